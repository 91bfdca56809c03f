"""Settings fields that carry their own parameter description (bounds, choices, docs, widget).

A settings dataclass of the world core declares each field once with `setting(...)`; the node API
(`oyster_nodes.node.params_from`) turns those fields into a node's `Param`s, so a default, a bound or a
choice lives in one place. A leaf: imports nothing else of ours, so the core can use it freely.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

#: the key under which a field's Setting is kept in `dataclasses.Field.metadata`
SETTING = "oyster.setting"


@dataclass(frozen=True, kw_only=True, slots=True)
class Setting:
    """What a node parameter needs to know about one settings field, beyond its name, type and default."""

    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    description: str = ""
    widget: str | None = None
    max_items: int | None = None
    max_length: int | None = None
    required: bool = False
    #: the modes this field belongs to: {param name: values of it under which the field applies}
    applies: dict[str, tuple[Any, ...]] | None = None
    #: the parameter's JSON type where it differs from the field's annotation (fps: int on the wire)
    param_type: type | None = None


def setting(default: Any, *, min: float | None = None, max: float | None = None,  # noqa: A002
            choices: tuple[Any, ...] | None = None, description: str = "", widget: str | None = None,
            max_items: int | None = None, max_length: int | None = None, required: bool = False,
            applies: dict[str, tuple[Any, ...]] | None = None, param_type: type | None = None) -> Any:
    """A dataclass field with `default` and what its node parameter shows and checks.

    `applies` names the mode a field belongs to, e.g. {"preset": ("dolly_in", "dolly_out")}: the editor shows
    it only while that parameter has one of those values. List and dict defaults are copied per instance.
    """
    meta = Setting(min=min, max=max, choices=tuple(choices) if choices is not None else None,
                   description=description, widget=widget, max_items=max_items, max_length=max_length,
                   required=required, applies={k: tuple(v) for k, v in applies.items()} if applies else None,
                   param_type=param_type)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata={SETTING: meta})
    return field(default=default, metadata={SETTING: meta})
