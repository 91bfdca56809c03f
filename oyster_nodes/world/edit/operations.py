"""Edits of a WorldState: add, move and remove objects by id; set the time of day and the weather.

Edits return a new state and never change the one passed in (states are shared by the cache).
Ids: structures, meshes, bodies and agents carry an "id"; scattered instances are "inst-<index>".
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..generate.scatter import KIND
from ..generate.structures import KINDS, flatten, structure_record
from ..prompt import concepts as cv
from ..state.records import Body, Env, Structure
from ..state.records import or_default as _or
from ..state.sky import build_env
from ..state.world_state import WorldState

_LISTS = ("structures", "meshes", "bodies", "agents")
OPS = ("add", "move", "remove", "set_time", "set_weather")


class EditError(ValueError):
    """An edit that cannot be applied; the message names the operation and the problem."""


def apply_edits(state: WorldState, ops: list[dict[str, Any]]) -> WorldState:
    """Apply a list of {"op": ...} edits in order (all checked first, with check_edits)."""
    check_edits(ops)
    for k, op in enumerate(ops):
        try:
            state = _apply(state, op)
        except (KeyError, TypeError) as exc:
            raise EditError(f"edit {k} ({op['op']}): missing or wrong field {exc}") from exc
        except EditError as exc:
            raise EditError(f"edit {k} ({op['op']}): {exc}") from exc
    return state


def check_edits(ops: list[Any]) -> None:
    """Raises EditError for the first operation no world could take: unknown op, missing field, bad value.

    What depends on the world (an id that exists, a position inside it) is checked when the edit is applied.
    """
    for k, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in OPS:
            raise EditError(f"edit {k}: expects an object with 'op' one of {', '.join(OPS)}, got {op!r}")
        try:
            _check_op(op)
        except KeyError as exc:
            raise EditError(f"edit {k} ({op['op']}): missing or wrong field {exc}") from exc
        except EditError as exc:
            raise EditError(f"edit {k} ({op['op']}): {exc}") from exc


#: per operation: the fields it needs, numbers and texts, and the numbers it may take
_NUMBERS = {"add": ("x", "y"), "move": ("x", "y"), "set_time": ("clock_h",)}
_TEXTS = {"add": ("kind",), "move": ("id",), "remove": ("id",), "set_weather": ("weather",)}
_OPTIONAL = {"add": ("yaw", "scale"), "move": ("yaw",)}


def _check_op(op: dict[str, Any]) -> None:
    kind = op["op"]
    for name in _TEXTS.get(kind, ()):
        op[name]  # noqa: B018 - a missing field raises KeyError, reported as such
    numbers = {name: _num(op[name]) for name in _NUMBERS.get(kind, ())}
    for name in _OPTIONAL.get(kind, ()):
        if name in op and not (kind == "move" and op[name] is None):
            numbers[name] = _num(op[name])
    if kind == "add":
        _check_scale(numbers.get("scale", 1.0))
        _check_kind(str(op["kind"]))
    elif kind == "set_time":
        _check_clock(numbers["clock_h"])
    elif kind == "set_weather":
        _check_weather(str(op["weather"]))


def _check_scale(scale: float) -> None:
    if not 0.01 <= scale <= 100.0:
        raise EditError(f"scale {scale:g} is outside 0.01..100")


def _check_kind(kind: str) -> None:
    if kind not in KINDS and kind not in KIND:
        known = ", ".join(list(KINDS) + list(KIND))
        raise EditError(f"unknown kind {kind!r}; known: {known}")


def _check_clock(clock_h: float) -> None:
    if not 0.0 <= clock_h <= 24.0:
        raise EditError(f"clock_h {clock_h:g} is outside 0..24")


def _check_weather(weather: str) -> None:
    if weather not in cv.WEATHERS:
        raise EditError(f"weather must be one of {', '.join(cv.WEATHERS)}; got {weather!r}")


def _apply(state: WorldState, op: dict[str, Any]) -> WorldState:
    kind = op["op"]
    if kind == "add":
        return add_object(
            state,
            str(op["kind"]),
            _num(op["x"]),
            _num(op["y"]),
            yaw=_num(op.get("yaw", 0.0)),
            scale=_num(op.get("scale", 1.0)),
        )[0]
    if kind == "move":
        return move_object(
            state,
            str(op["id"]),
            _num(op["x"]),
            _num(op["y"]),
            yaw=None if op.get("yaw") is None else _num(op["yaw"]),
        )
    if kind == "remove":
        return remove_object(state, str(op["id"]))
    if kind == "set_time":
        return set_time(state, _num(op["clock_h"]))
    return set_weather(state, str(op["weather"]))


def _num(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise EditError(f"expects a finite number, got {v!r}")
    return float(v)


def _inside(state: WorldState, x: float, y: float) -> None:
    if not (0.0 <= x <= state.size_m and 0.0 <= y <= state.size_m):
        raise EditError(f"position ({x:g}, {y:g}) is outside the world (0..{state.size_m:g} m)")


def next_id(state: WorldState, kind: str) -> str:
    """The first free '<kind>-<k>' id among all of the world's objects."""
    used = {item.id for name in _LISTS for item in getattr(state, name)}
    k = 1
    while f"{kind}-{k}" in used:
        k += 1
    return f"{kind}-{k}"


def add_object(
    state: WorldState, kind: str, x: float, y: float, *, yaw: float = 0.0, scale: float = 1.0
) -> tuple[WorldState, str]:
    """Add a structure (levelling its ground) or a scattered instance; returns the new state and its id."""
    _inside(state, x, y)
    _check_scale(scale)
    _check_kind(kind)
    if kind in KINDS:
        spec = KINDS[kind]
        height = state.height_hw.copy()
        w, d = spec["w"] * scale, spec["d"] * scale
        z = flatten(height, cell_m=state.cell_m, x=x, y=y, w=w, d=d, yaw=yaw)
        new_id = next_id(state, kind)
        item = structure_record(kind, new_id, x, y, z, yaw, scale)
        return dataclasses.replace(state, height_hw=height, structures=[*state.structures, item]), new_id
    z = state.height_at(x, y)
    new = dataclasses.replace(
        state,
        inst_kind=np.append(state.inst_kind, np.uint16(KIND[kind])),
        inst_xyz=np.vstack([state.inst_xyz, np.array([[x, y, z]], np.float32)]),
        inst_yaw=np.append(state.inst_yaw, np.float32(yaw)),
        inst_scale=np.append(state.inst_scale, np.float32(scale)),
        inst_var=np.append(state.inst_var, np.uint32(len(state.inst_kind))),
    )
    return new, f"inst-{len(state.inst_kind)}"


def _find(state: WorldState, object_id: str) -> tuple[str, int]:
    if object_id.startswith("inst-"):
        try:
            index = int(object_id[5:])
        except ValueError:
            index = -1
        if 0 <= index < len(state.inst_kind):
            return "inst", index
        raise EditError(f"no instance {object_id!r} (there are {len(state.inst_kind)})")
    for name in _LISTS:
        for k, item in enumerate(getattr(state, name)):
            if item.id == object_id:
                return name, k
    raise EditError(f"no object with id {object_id!r}")


def move_object(
    state: WorldState, object_id: str, x: float, y: float, *, yaw: float | None = None
) -> WorldState:
    """Move an object; a structure gets its new ground levelled, everything sits on the terrain."""
    _inside(state, x, y)
    where, k = _find(state, object_id)
    if where == "inst":
        xyz, yaws = state.inst_xyz.copy(), state.inst_yaw.copy()
        xyz[k] = (x, y, state.height_at(x, y))
        if yaw is not None:
            yaws[k] = yaw
        return dataclasses.replace(state, inst_xyz=xyz, inst_yaw=yaws)
    items = list(getattr(state, where))
    items[k], changes = _moved(state, items[k], x, y, yaw)
    changes[where] = items
    return dataclasses.replace(state, **changes)


def _moved(state: WorldState, item: Any, x: float, y: float, yaw: float | None) -> tuple[Any, dict[str, Any]]:
    """A moved copy of a structure, mesh, body or agent, and the state changes it brings (levelled ground)."""
    changes: dict[str, Any] = {}
    if isinstance(item, Structure):
        yaw = item.yaw if yaw is None else yaw
        if item.kind in KINDS:
            height = state.height_hw.copy()
            z = round(flatten(height, cell_m=state.cell_m, x=x, y=y, w=item.w, d=item.d, yaw=yaw), 3)
            changes["height_hw"] = height
        else:
            z = state.height_at(x, y)
        return dataclasses.replace(item, x=x, y=y, z=z, yaw=yaw), changes
    z = state.height_at(x, y)
    if isinstance(item, Body):
        quat = item.quat if yaw is None else (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
        return dataclasses.replace(item, pos=(x, y, z), quat=quat), changes
    return dataclasses.replace(item, pos=(x, y, z), yaw=item.yaw if yaw is None else yaw), changes


def remove_object(state: WorldState, object_id: str) -> WorldState:
    """Remove an object; removing instance k renumbers the instances after it."""
    where, k = _find(state, object_id)
    if where == "inst":
        keep = np.arange(len(state.inst_kind)) != k
        return dataclasses.replace(
            state,
            inst_kind=state.inst_kind[keep],
            inst_xyz=state.inst_xyz[keep],
            inst_yaw=state.inst_yaw[keep],
            inst_scale=state.inst_scale[keep],
            inst_var=state.inst_var[keep],
        )
    items = [i for n, i in enumerate(getattr(state, where)) if n != k]
    changes: dict[str, Any] = {where: items}
    if where == "meshes":
        changes["mesh_arrays"] = {
            key: v for key, v in state.mesh_arrays.items() if not key.startswith(f"mesh_{object_id}_")
        }
    return dataclasses.replace(state, **changes)


def _rebuilt_env(state: WorldState, **change: Any) -> Env:
    env = state.env
    args = {
        "clock_h": _or(env.clock_h, 15.5),
        "season": _or(env.season, "summer"),
        "weather": _or(env.weather, "clear"),
        "mood": _or(env.mood, "serene"),
        "palette": _or(env.palette, "natural"),
        "style": _or(env.style, "natural"),
        "time_of_day": _or(env.time_of_day, "custom"),
        "seed": state.seed,
        "sea_level_m": env.sea_level_m,
    } | change
    return env.merged(Env.from_json(build_env(**args), "rebuilt env"))


def set_time(state: WorldState, clock_h: float) -> WorldState:
    """Set the clock (0..24 h); sun, sky and light follow."""
    _check_clock(clock_h)
    return dataclasses.replace(state, env=_rebuilt_env(state, clock_h=clock_h, time_of_day="custom"))


def set_weather(state: WorldState, weather: str) -> WorldState:
    """Set the weather; fog, clouds, precipitation and wind follow."""
    _check_weather(weather)
    return dataclasses.replace(state, env=_rebuilt_env(state, weather=weather))
