"""The events an action script understands, written out from the parser's own tables (EVENT_KINDS,
POSITIONAL, INTERVAL) and the English matcher's (INTENTS), so the node's help never lists less or more
than the parser reads."""

from __future__ import annotations

from .english import INTENTS
from .events import EVENT_KINDS, INTERVAL, MAX_EVENTS, POSITIONAL, Field
from .parse import MAX_SCRIPT_CHARS

#: how a field's value is written in the line form
_VALUES = {"number": "N", "vec2": "x,y", "vec3": "x,y,z", "vec23": "x,y[,z]", "word": "word", "id": "id",
           "color": "colour", "path": "(x,y),…", "clock": "hh:mm"}
_TIMES = {"instant": "at T", "required": "from T to T", "optional": "at T | from T to T"}


def english_kinds() -> tuple[str, ...]:
    """The kinds the English matcher can pick for a line, in the order of its table."""
    return tuple(dict.fromkeys(kind for _, kind in INTENTS))


def event_form(kind: str) -> str:
    """One kind's line form: 'from T to T viewer path=(x,y),…', 'at T spawn [shape] [id] pos=x,y[,z] …'."""
    parts = [_TIMES[INTERVAL[kind]], kind]
    for f in EVENT_KINDS[kind]:
        parts.append(_field_form(f, positional=f.name in POSITIONAL[kind]))
    return " ".join(parts)


def _field_form(f: Field, *, positional: bool) -> str:
    value = "|".join(f.choices) if f.choices and len(f.choices) <= 6 else _VALUES[f.kind]
    if positional and f.kind not in ("path", "vec23"):
        shown = f.name if f.kind in ("id", "number") else value
        return f"<{shown}>" if f.required else f"[{shown}]"
    shown = f"{f.name}={value}"
    return shown if f.required else f"[{shown}]"


def events_help() -> str:
    """Every event kind with its line form, and which of them English lines are read as."""
    english = english_kinds()
    lines = [f"Events ({len(EVENT_KINDS)} kinds; T is seconds, e.g. 2s or 500ms; [..] is optional):"]
    for kind in EVENT_KINDS:
        example = next((phrase for phrase, k in INTENTS if k == kind), None)
        said = f"  — in English e.g. '{example}'" if example else "  — line form only"
        lines.append(f"  {event_form(kind)}{said}")
    lines.append(f"English lines are matched to: {', '.join(english)}. A script holds at most {MAX_EVENTS} events "
                 f"and {MAX_SCRIPT_CHARS} characters.")
    return "\n".join(lines)


__all__ = ["english_kinds", "event_form", "events_help"]
