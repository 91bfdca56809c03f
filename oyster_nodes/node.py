"""The public node API: a node declares typed ports and parameters as data, and one `run`.

A node is a definition, not a machine: it holds no weights and no global state. The executor gives
`run` a RunContext (device, output folder, progress, cancellation, the component store) and the
node's inputs and parameters as keyword arguments. Parameters can come from a settings dataclass of the
core declared with `oyster_nodes.settings.setting` (`params_from`, `settings_from`), so each is declared once.
Imports only `types` and `settings` (and `components` lazily, when a node run outside an executor first
asks for a component).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import typing
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .paths import inside_folder, relpath_problem
from .settings import SETTING, Setting
from .types import AnyData, link_problem, wire_name

if TYPE_CHECKING:
    from .components import ComponentSpec, ComponentStore

T = TypeVar("T")


class RelPath(str):
    """A parameter holding a path relative to the run's output folder; never leaves it."""


class Cancelled(Exception):
    """Raised inside a node when its run was cancelled."""


@dataclass(frozen=True, slots=True)
class Port:
    name: str
    type: type
    description: str = ""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """A node parameter: its type, default, bounds, choices, docs and the editor widget to use."""

    name: str
    type: type
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    description: str = ""
    #: editor hint: slider, textarea, seed, color, vector, file, keyframes, script, json
    widget: str | None = None
    #: for list parameters: bounds on the number of items
    max_items: int | None = None
    #: for text parameters
    max_length: int = 100_000
    required: bool = False
    #: the mode this parameter belongs to, {param name: values}: the editor shows it only under those values
    applies: Mapping[str, tuple[Any, ...]] | None = None

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Coerce a JSON value to this parameter's type; returns (value, problem or None)."""
        t = self.type
        if value is None:
            return None, "is required" if self.required or self.default is not None else None
        if t is bool:
            if not isinstance(value, bool):
                return value, f"expects true or false, got {_show(value)}"
        elif t is int:
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                return value, f"expects a whole number, got {_show(value)}"
        elif t is float:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return value, f"expects a number, got {_show(value)}"
            try:
                value = float(value)
            except OverflowError:
                return value, "is too large a number"
            if not math.isfinite(value):
                return value, "expects a finite number"
        elif issubclass(t, str):
            if not isinstance(value, str):
                return value, f"expects text, got {_show(value)}"
            if len(value) > self.max_length:
                return value, f"is {len(value)} characters long; the limit is {self.max_length}"
            if t is RelPath:
                problem = relpath_problem(value)
                if problem:
                    return value, problem
                value = RelPath(value)
        elif t is list:
            if not isinstance(value, list):
                return value, f"expects a list, got {_show(value)}"
            if self.max_items is not None and len(value) > self.max_items:
                return value, f"has {len(value)} items; the limit is {self.max_items}"
        elif t is dict:
            if not isinstance(value, dict):
                return value, f"expects an object, got {_show(value)}"
        return value, self._bounds_problem(value)

    def _bounds_problem(self, value: Any) -> str | None:
        if self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(str, self.choices))}; got {_show(value)}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.min is not None and value < self.min:
                return f"is {value}, below the minimum {self.min:g}"
            if self.max is not None and value > self.max:
                return f"is {value}, above the maximum {self.max:g}"
        if isinstance(value, list) and self.type is list and len(value) == 0 and self.required:
            return "needs at least one item"
        return None

    def describe(self) -> dict[str, Any]:
        described = {
            "name": self.name,
            "type": _param_type_name(self.type),
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
            "description": self.description,
            "widget": self.widget,
            "required": self.required,
        }
        if self.applies is not None:
            described["applies"] = {name: list(values) for name, values in self.applies.items()}
        return described


@dataclass(frozen=True, slots=True)
class ParamProblem:
    """A structured parameter that the node's own parser refuses: which, why (the parser's words), the fix."""

    param: str
    message: str
    fix: str


def parse_problems(param: str, fix: str, parse: Callable[..., object], *args: Any,
                   **kwargs: Any) -> list[ParamProblem]:
    """Run the parser a node's `run` uses on a parameter; its ValueError becomes the problem's message."""
    try:
        parse(*args, **kwargs)
    except ValueError as exc:
        return [ParamProblem(param, str(exc), fix)]
    return []


_PARAM_TYPES = {bool: bool, int: int, float: float, str: str, list: list, tuple: list, dict: dict}


def params_from(settings: type, *, only: Iterable[str] | None = None, exclude: Iterable[str] = ()) -> tuple[Param, ...]:
    """The Params of a settings dataclass's `setting(...)` fields, in field order (`only` picks and orders)."""
    fields = {f.name: f for f in dataclasses.fields(settings) if SETTING in f.metadata}
    hints = typing.get_type_hints(settings)
    names = list(only) if only is not None else [n for n in fields if n not in set(exclude)]
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise TypeError(f"{settings.__name__} has no setting field {', '.join(unknown)}")
    return tuple(_param_of(fields[n], hints[n], settings) for n in names)


def _param_of(f: dataclasses.Field[Any], hint: Any, settings: type) -> Param:
    meta: Setting = f.metadata[SETTING]
    ptype = meta.param_type or _PARAM_TYPES.get(typing.get_origin(hint) or hint)
    if ptype is None:
        raise TypeError(f"{settings.__name__}.{f.name}: annotation {hint!r} has no parameter type; give param_type")
    default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    if ptype is int and isinstance(default, float) and default.is_integer():
        default = int(default)
    if ptype is list and isinstance(default, tuple):
        default = list(default)
    extra = {"max_length": meta.max_length} if meta.max_length is not None else {}
    return Param(f.name, ptype, default, min=meta.min, max=meta.max, choices=meta.choices,
                 description=meta.description, widget=meta.widget, max_items=meta.max_items,
                 required=meta.required, applies=meta.applies, **extra)


def settings_from(settings: type[Any], values: Mapping[str, Any], **overrides: Any) -> Any:
    """A settings object from a node's checked parameters (its `setting` fields), plus `overrides`."""
    hints = typing.get_type_hints(settings)
    kwargs = {}
    for f in dataclasses.fields(settings):
        if SETTING in f.metadata and f.name in values and f.name not in overrides:
            value = values[f.name]
            if hints[f.name] is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            kwargs[f.name] = value
    return settings(**kwargs, **overrides)


def _param_type_name(t: type) -> str:
    names = {bool: "bool", int: "int", float: "float", str: "text", list: "list", dict: "object"}
    return "path" if t is RelPath else names.get(t, t.__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Node:
    """Base class of every node. Subclasses set the class attributes and implement `run`."""

    #: unique type name, "pack.name"
    type: ClassVar[str] = ""
    version: ClassVar[int] = 1
    title: ClassVar[str] = ""
    category: ClassVar[str] = "misc"
    description: ClassVar[str] = ""
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    #: same inputs and params always give the same outputs; a random node takes a `seed` param
    deterministic: ClassVar[bool] = True
    #: writes files into the output folder (an export); its cache key includes that folder
    writes_files: ClassVar[bool] = False
    #: reads files named by its RelPath params; their size and mtime join its cache key
    reads_files: ClassVar[bool] = False
    #: runs torch work that benefits from a GPU; serialised per device
    uses_gpu: ClassVar[bool] = False
    #: the pack that registered this node (set by the registry)
    pack: ClassVar[str] = ""
    #: what a bypassed node passes through: {output name: input name of a type that fits the output}
    bypass: ClassVar[Mapping[str, str]] = {}

    def run(self, ctx: RunContext, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        """Problems in structured parameters (keyframes, scripts, ...) found by the parsers `run` uses.

        Called by validation with every parameter already checked against its Param; the default finds none.
        """
        return []

    @classmethod
    def input_stamps(cls, params: dict[str, Any]) -> tuple[str, ...]:
        """Stamps of what the node reads from outside the graph (a model folder), joined to its cache key.

        Called when a run is planned, with the checked parameters; must be cheap (sizes and times, not
        contents) and must not raise (stamp a missing thing as missing). The default reads nothing.
        """
        return ()

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Everything the editor and `oyster nodes` show about this node."""
        return {
            "type": cls.type,
            "title": cls.title or cls.type,
            "version": cls.version,
            "category": cls.category,
            "pack": cls.pack,
            "description": cls.description or (cls.__doc__ or "").strip(),
            "deterministic": cls.deterministic,
            "writes_files": cls.writes_files,
            "reads_files": cls.reads_files,
            "uses_gpu": cls.uses_gpu,
            "inputs": [_describe_port(p) for p in cls.inputs],
            "outputs": [_describe_port(p) for p in cls.outputs],
            "params": [p.describe() for p in cls.params],
            "bypass": dict(cls.bypass),
        }

    @classmethod
    def definition_problems(cls) -> list[str]:
        """What is wrong with this class as a node definition (checked at registration)."""
        problems = []
        if not cls.type or "." not in cls.type:
            problems.append(f"{cls.__name__}: type must be 'pack.name', got {cls.type!r}")
        names = [p.name for p in cls.inputs] + [p.name for p in cls.params]
        if len(set(names)) != len(names):
            problems.append(f"{cls.type}: input and param names must be distinct: {names}")
        if len({p.name for p in cls.outputs}) != len(cls.outputs):
            problems.append(f"{cls.type}: duplicate output names")
        if not cls.deterministic and "seed" not in {p.name for p in cls.params}:
            problems.append(f"{cls.type}: a non-deterministic node must take a 'seed' param")
        for p in cls.params:
            if p.default is not None:
                _, problem = p.check(p.default)
                if problem:
                    problems.append(f"{cls.type}: default of param '{p.name}' {problem}")
        problems += _applies_problems(cls.type, cls.params)
        problems += _bypass_problems(cls)
        if cls.run is Node.run:
            problems.append(f"{cls.type}: no run() method")
        return problems


def _applies_problems(type_name: str, params: tuple[Param, ...]) -> list[str]:
    """An `applies` must name another param of the node, and values that param can take."""
    by_name = {p.name: p for p in params}
    problems = []
    for p in params:
        for name, values in (p.applies or {}).items():
            other = by_name.get(name)
            if other is None or other is p:
                problems.append(f"{type_name}: param '{p.name}' applies under '{name}', which is not another param")
            elif other.choices is not None and not set(values) <= set(other.choices):
                problems.append(f"{type_name}: param '{p.name}' applies under {name} values "
                                f"{sorted(set(values) - set(other.choices), key=str)} that are not among its choices")
    return problems


def _bypass_problems(cls: type[Node]) -> list[str]:
    """A pass-through must map an output to an input whose type fits that output."""
    ins = {p.name: p for p in cls.inputs}
    outs = {p.name: p for p in cls.outputs}
    problems = []
    for out, inp in cls.bypass.items():
        if out not in outs or inp not in ins:
            problems.append(f"{cls.type}: bypass maps '{inp}' to '{out}', but outputs are {sorted(outs)} "
                            f"and inputs {sorted(ins)}")
        elif link_problem(ins[inp].type, outs[out].type):
            problems.append(f"{cls.type}: bypass cannot pass input '{inp}' ({wire_name(ins[inp].type)}) "
                            f"to output '{out}' ({wire_name(outs[out].type)})")
    return problems


def _describe_port(p: Port) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": wire_name(p.type),
        "description": p.description,
        "optional": p.optional,
        "any": p.type is AnyData,
    }


@dataclass(kw_only=True)
class RunContext:
    """What the executor hands a running node."""

    node_id: str
    device: str = "cpu"
    out_dir: Path = field(default_factory=lambda: Path("out"))
    cancel_event: threading.Event = field(default_factory=threading.Event)
    report: Callable[[float, str], None] | None = None
    #: renderers, encoders and pipelines by (kind, device), kept across runs (oyster_nodes.components)
    components: ComponentStore | None = None
    warnings: list[str] = field(default_factory=list)
    #: the Workflow being run (oyster_nodes.workflow.Workflow); exports embed its JSON for provenance
    workflow: Any = None

    @property
    def workflow_name(self) -> str:
        """The running workflow's name ("workflow" when a node runs outside one)."""
        return self.workflow.metadata.name if self.workflow is not None else "workflow"

    def use_component(self, spec: ComponentSpec[T], device: str | None = None) -> AbstractContextManager[T]:
        """The component of `spec` on this node's device (or `device`), in use for a `with` block."""
        if self.components is None:
            from .components import ComponentStore

            self.components = ComponentStore()
        return self.components.use(spec, device or self.device)

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress from inside a long node; also a cancellation point."""
        self.check_cancelled()
        if self.report is not None:
            self.report(min(max(fraction, 0.0), 1.0), message)

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled(f"node '{self.node_id}' was cancelled")

    def warn(self, message: str) -> None:
        """A correction the node made that the user should see (shown on the node)."""
        self.warnings.append(message)

    def output_path(self, relative: str) -> Path:
        """A path inside the output folder; refuses anything that would leave it."""
        try:
            return inside_folder(self.out_dir, relative)
        except ValueError as exc:
            raise ValueError(f"node '{self.node_id}': output path {exc}") from None

