"""Action events: what can happen during a shot, checked field by field.

An event is a plain dict: {"time": s, "end": s or None, "kind": ..., fields...}, plus "line" and "column"
where it came from. Kinds and their fields are data (EVENT_KINDS); `check_event` turns a raw dict from the
text form, JSON or an English line into a normalised event or raises ActionError with the position.

Units: metres, seconds, kilograms, newtons (force), newton-seconds (impulse), degrees, m/s, hours.
Wind `dir_deg` is the heading the air moves towards, counter-clockwise from +X (east), as camera yaw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SHAPES: tuple[str, ...] = ("sphere", "box", "capsule", "mesh")
AGENT_KINDS: tuple[str, ...] = ("character", "vehicle")
WEATHERS: tuple[str, ...] = ("clear", "overcast", "fog", "rain", "snow", "storm")
EASES: tuple[str, ...] = ("linear", "in", "out", "in_out")

#: surface and density presets: friction, restitution (bounce), density kg/m³, sRGB colour
MATERIALS: dict[str, dict[str, Any]] = {
    "rubber": {"friction": 0.9, "bounce": 0.75, "density": 1100.0, "color": [0.85, 0.2, 0.15]},
    "wood": {"friction": 0.6, "bounce": 0.3, "density": 650.0, "color": [0.62, 0.45, 0.28]},
    "metal": {"friction": 0.35, "bounce": 0.2, "density": 7800.0, "color": [0.7, 0.72, 0.75]},
    "stone": {"friction": 0.7, "bounce": 0.1, "density": 2500.0, "color": [0.5, 0.5, 0.48]},
    "ice": {"friction": 0.03, "bounce": 0.05, "density": 920.0, "color": [0.8, 0.92, 1.0]},
    "plastic": {"friction": 0.45, "bounce": 0.45, "density": 1000.0, "color": [0.2, 0.45, 0.85]},
}

COLORS: dict[str, list[float]] = {
    "red": [0.85, 0.12, 0.1],
    "green": [0.2, 0.65, 0.2],
    "blue": [0.15, 0.3, 0.85],
    "yellow": [0.95, 0.82, 0.1],
    "orange": [0.95, 0.5, 0.1],
    "purple": [0.5, 0.2, 0.7],
    "pink": [0.95, 0.5, 0.7],
    "white": [0.92, 0.92, 0.92],
    "black": [0.05, 0.05, 0.05],
    "grey": [0.5, 0.5, 0.5],
    "gray": [0.5, 0.5, 0.5],
    "brown": [0.45, 0.3, 0.18],
    "cyan": [0.1, 0.8, 0.85],
    "gold": [0.85, 0.68, 0.2],
    "silver": [0.75, 0.76, 0.78],
}


class ActionError(ValueError):
    """A bad event; carries the 1-based line and column it came from (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        self.line, self.column, self.reason = line, column, message
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(where + message)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an event kind: its name, kind of value, bounds and default."""

    name: str
    kind: str  # number | vec2 | vec3 | vec23 | word | id | color | path | clock
    default: Any = None
    lo: float = -1e6
    hi: float = 1e6
    choices: tuple[str, ...] | None = None
    required: bool = False
    help: str = ""


def _f(name: str, kind: str, default: Any = None, lo: float = -1e6, hi: float = 1e6, **kw: Any) -> Field:
    return Field(name=name, kind=kind, default=default, lo=lo, hi=hi, **kw)


_BODY = _f("id", "id", required=True, help="the body or agent")
_SURFACE = (
    _f("friction", "number", None, 0.0, 5.0),
    _f("bounce", "number", None, 0.0, 1.0),
    _f("material", "word", None, choices=tuple(MATERIALS)),
    _f("color", "color"),
)

EVENT_KINDS: dict[str, tuple[Field, ...]] = {
    "spawn": (
        _f("shape", "word", "sphere", choices=SHAPES + AGENT_KINDS),
        _f("id", "id"),
        _f("pos", "vec23", help="x, y (on the ground) or x, y, z"),
        _f("height", "number", 0.0, 0.0, 10000.0, help="metres above the ground"),
        _f("size", "vec3", None, 0.02, 500.0, help="sphere radius, box w,d,h, capsule radius,length"),
        _f("mass", "number", None, 0.001, 1e7),
        _f("vel", "vec3", None, -500.0, 500.0),
        _f("spin", "vec3", None, -200.0, 200.0),
        _f("yaw", "number", 0.0, -3600.0, 3600.0),
        _f("mesh", "id", help="id of an imported mesh (shape mesh)"),
        _f("speed", "number", None, 0.0, 60.0),
        *_SURFACE,
    ),
    "remove": (_BODY,),
    "impulse": (_BODY, _f("vec", "vec3", required=True, lo=-1e6, hi=1e6, help="N·s")),
    "force": (_BODY, _f("vec", "vec3", required=True, lo=-1e7, hi=1e7, help="N")),
    "move": (_BODY, _f("to", "vec2"), _f("path", "path"), _f("speed", "number", None, 0.05, 60.0)),
    "animate": (
        _BODY,
        _f("to", "vec23", required=True),
        _f("yaw", "number", None, -3600.0, 3600.0),
        _f("ease", "word", "in_out", choices=EASES),
    ),
    "time": (_f("to", "clock", required=True, help="hour 0..24 or hh:mm"),),
    "weather": (_f("to", "word", required=True, choices=WEATHERS),),
    "wind": (
        _f("speed", "number", required=True, lo=0.0, hi=80.0, help="m/s"),
        _f("dir", "number", None, -360.0, 360.0, help="heading in degrees"),
        _f("gust", "number", 0.3, 0.0, 1.0),
    ),
    "blast": (
        _f("pos", "vec23", help="centre; default: the 'near' body, else the world's centre"),
        _f("near", "id", help="centre the blast on this body or agent"),
        _f("radius", "number", 15.0, 0.5, 1000.0),
        _f("strength", "number", 2000.0, 0.0, 1e7, help="impulse in N·s at the centre"),
    ),
    "material": (_BODY, *_SURFACE),
    "viewer": (_f("path", "path", required=True,
                  help="where a viewer stands on the ground, points evenly spaced over the interval"),),
}

#: words that may stand before key=value fields, in order, per kind
POSITIONAL: dict[str, tuple[str, ...]] = {
    "spawn": ("shape", "id"),
    "remove": ("id",),
    "impulse": ("id", "vec"),
    "force": ("id", "vec"),
    "move": ("id",),
    "animate": ("id",),
    "time": ("to",),
    "weather": ("to",),
    "wind": ("speed",),
    "blast": ("pos",),
    "material": ("id", "material"),
    "viewer": ("path",),
}

#: instant: no interval; optional: an interval makes it gradual; required: needs from..to
INTERVAL: dict[str, str] = {
    "spawn": "instant",
    "remove": "instant",
    "impulse": "instant",
    "force": "required",
    "move": "optional",
    "animate": "required",
    "time": "optional",
    "weather": "optional",
    "wind": "optional",
    "blast": "instant",
    "material": "instant",
    "viewer": "required",
}

MAX_EVENTS = 2000
MAX_TIME_S = 3600.0


def check_event(raw: dict[str, Any], *, line: int = 0, column: int = 0) -> dict[str, Any]:
    """A normalised event from a raw dict; raises ActionError naming the field and the fix."""
    kind = raw.get("kind")
    if kind not in EVENT_KINDS:
        raise ActionError(f"unknown event {kind!r}: use one of {', '.join(EVENT_KINDS)}", line, column)
    t0, t1 = _times(raw, kind, line, column)
    event: dict[str, Any] = {"time": t0, "end": t1, "kind": kind}
    known = {f.name for f in EVENT_KINDS[kind]}
    extra = sorted(set(raw) - known - {"time", "end", "kind", "line", "column", "text", "source"})
    if extra:
        raise ActionError(
            f"{kind}: unknown field {extra[0]!r}; {kind} takes {', '.join(sorted(known))}", line, column
        )
    for f in EVENT_KINDS[kind]:
        value = raw.get(f.name)
        if value is None:
            if f.required:
                raise ActionError(
                    f"{kind}: needs {f.name}" + (f" ({f.help})" if f.help else ""), line, column
                )
            if f.default is not None:
                event[f.name] = f.default
            continue
        event[f.name] = _value(f, value, kind, line, column)
    _cross_checks(event, line, column)
    event["line"], event["column"] = line, column
    if isinstance(raw.get("text"), str):
        event["text"] = raw["text"][:500]
    return event


def _times(raw: dict[str, Any], kind: str, line: int, column: int) -> tuple[float, float | None]:
    t0 = _finite(raw.get("time"), "time", line, column)
    t1 = raw.get("end")
    t1 = None if t1 is None else _finite(t1, "end", line, column)
    if not 0.0 <= t0 <= MAX_TIME_S:
        raise ActionError(f"time {t0:g} s is outside 0..{MAX_TIME_S:g} s", line, column)
    mode = INTERVAL[kind]
    if t1 is not None:
        if mode == "instant":
            raise ActionError(
                f"{kind} happens at one moment; write 'at {t0:g}s', not an interval", line, column
            )
        if t1 <= t0:
            raise ActionError(f"the interval ends ({t1:g} s) before it starts ({t0:g} s)", line, column)
    elif mode == "required":
        raise ActionError(f"{kind} needs an interval: 'from {t0:g}s to {t0 + 1:g}s {kind} ...'", line, column)
    return t0, t1


def _finite(value: Any, name: str, line: int, column: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ActionError(f"{name} expects a number of seconds, got {value!r:.40}", line, column)
    return float(value)


def _value(f: Field, value: Any, kind: str, line: int, column: int) -> Any:
    where = f"{kind} {f.name}"
    try:
        return _convert(f, value)
    except (TypeError, ValueError) as exc:
        raise ActionError(f"{where}: {exc}", line, column) from None


def _convert(f: Field, value: Any) -> Any:
    k = f.kind
    if k == "number":
        return _bounded(_num(value), f)
    if k in ("vec2", "vec3", "vec23"):
        sizes = {"vec2": (2,), "vec3": (1, 2, 3) if f.name == "size" else (3,), "vec23": (2, 3)}[k]
        v = _vec(value)
        if len(v) not in sizes:
            raise ValueError(f"expects {' or '.join(str(s) for s in sizes)} numbers, got {len(v)}")
        return [_bounded(c, f) for c in v]
    if k in ("word", "id"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expects a name, got {value!r:.40}")
        value = value.strip()
        if f.choices is not None and value not in f.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(f.choices)}")
        if k == "id" and not _is_id(value):
            raise ValueError(
                f"{value!r} is not a valid id (letters, digits, _ - . up to 64; '@kind' for "
                "the first of a kind)"
            )
        return value
    if k == "color":
        return _color(value)
    if k == "path":
        points = [_vec(p) for p in value] if isinstance(value, (list, tuple)) else []
        if len(points) < 1 or any(len(p) not in (2, 3) for p in points) or len(points) > 1000:
            raise ValueError("expects a list of 1..1000 points [x, y]")
        return [p[:2] for p in points]
    if k == "clock":
        return _clock(value)
    raise ValueError(f"unknown field kind {k}")


def _is_id(value: str) -> bool:
    body = value[1:] if value.startswith("@") else value
    return 0 < len(body) <= 64 and all(ch.isalnum() or ch in "_-." for ch in body)


def check_field(kind: str, name: str, value: Any) -> Any:
    """One field's value converted and bounds-checked; raises ValueError saying what is wrong."""
    for f in EVENT_KINDS[kind]:
        if f.name == name:
            return _convert(f, value)
    known = ", ".join(f.name for f in EVENT_KINDS[kind])
    raise ValueError(f"{kind} has no field {name!r}; it takes {known}")


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"expects a number, got {value!r:.40}")
    return float(value)


def _bounded(v: float, f: Field) -> float:
    if not f.lo <= v <= f.hi:
        raise ValueError(f"{v:g} is outside {f.lo:g}..{f.hi:g}")
    return float(v)


def _vec(value: Any) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [_num(value)]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"expects numbers like [1, 2, 3], got {value!r:.40}")
    return [_num(c) for c in value]


def _color(value: Any) -> list[float]:
    if isinstance(value, str):
        name = value.strip().lower()
        if name in COLORS:
            return list(COLORS[name])
        hexa = name.lstrip("#")
        if len(hexa) == 6 and all(c in "0123456789abcdef" for c in hexa):
            return [int(hexa[i : i + 2], 16) / 255.0 for i in (0, 2, 4)]
        raise ValueError(
            f"unknown colour {value!r}: use a name ({', '.join(list(COLORS)[:6])}, ...) or #rrggbb"
        )
    rgb = _vec(value)
    if len(rgb) != 3:
        raise ValueError("expects [r, g, b]")
    scale = 255.0 if max(rgb) > 1.0 else 1.0
    return [min(max(c / scale, 0.0), 1.0) for c in rgb]


def _clock(value: Any) -> float:
    if isinstance(value, str) and ":" in value:
        hh, mm = value.split(":", 1)
        if not (hh.strip().isdigit() and mm.strip().isdigit()) or int(mm) >= 60:
            raise ValueError(f"expects hh:mm, got {value!r}")
        hours = int(hh) + int(mm) / 60.0
    else:
        hours = _num(value)
    if not 0.0 <= hours <= 48.0:
        raise ValueError(f"hour {hours:g} is outside 0..48 (hours after midnight)")
    return float(hours)


def _cross_checks(event: dict[str, Any], line: int, column: int) -> None:
    kind = event["kind"]
    if kind == "spawn":
        if event.get("shape") == "mesh" and not event.get("mesh"):
            raise ActionError("spawn mesh: name the imported mesh with mesh=<id>", line, column)
        if event.get("shape") in AGENT_KINDS and event.get("size") is not None:
            raise ActionError("spawn: characters and vehicles have a fixed size; remove size", line, column)
    if kind == "move" and event.get("to") is None and event.get("path") is None:
        raise ActionError("move: give to=x,y or path=(x,y),(x,y),...", line, column)
    if kind == "material" and all(event.get(k) is None for k in ("friction", "bounce", "material", "color")):
        raise ActionError("material: change at least one of material, color, friction, bounce", line, column)


def ordered_events(checked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events that each passed check_event, as one script: within the size limit, spawned ids unique,
    sorted by time (stable: same-time events keep their order)."""
    if len(checked) > MAX_EVENTS:
        raise ActionError(f"{len(checked)} events; the limit is {MAX_EVENTS}")
    _check_ids(checked)
    return sorted(checked, key=lambda e: e["time"])


def _check_ids(events: list[dict[str, Any]]) -> None:
    """Spawned ids are unique within the script."""
    seen: dict[str, int] = {}
    for e in sorted(events, key=lambda e: e["time"]):
        if e["kind"] == "spawn" and e.get("id"):
            if e["id"] in seen:
                raise ActionError(
                    f"id {e['id']!r} is spawned twice (also on line {seen[e['id']]}); "
                    "give each spawn its own id",
                    e["line"],
                    e["column"],
                )
            seen[e["id"]] = e["line"]


def format_event(e: dict[str, Any]) -> str:
    """The canonical one-line text form of a normalised event (what the node shows as parsed)."""
    if e.get("end") is not None:
        head = f"from {e['time']:g}s to {e['end']:g}s {e['kind']}"
    else:
        head = f"at {e['time']:g}s {e['kind']}"
    parts = [head]
    for f in EVENT_KINDS[e["kind"]]:
        value = e.get(f.name)
        if value is None:
            continue
        parts.append(f"{f.name}={_show(f, value)}")
    return " ".join(parts)


def _show(f: Field, value: Any) -> str:
    if f.kind == "path":
        return ",".join(f"({p[0]:g},{p[1]:g})" for p in value)
    if f.kind == "color":
        return "#" + "".join(f"{int(round(c * 255)):02x}" for c in value)
    if f.kind == "clock":
        minutes = int(round(value * 60))
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if isinstance(value, list):
        return ",".join(f"{c:g}" for c in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
