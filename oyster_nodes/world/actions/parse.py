"""Action scripts from text: the line form, JSON, and plain English lines.

The line form, one event per line ('#' starts a comment):

    at 0.5s spawn sphere ball1 pos=64,64 height=20 size=0.5 color=red material=rubber
    at 2s impulse ball1 0,5,2
    from 1s to 3s force crate1 0,0,900
    from 0s to 5s wind 12 dir=90 gust=0.4
    at 3s blast 60,60 radius=20 strength=5000
    from 1s to 4s move hero path=(10,10),(20,20),(30,10) speed=1.5
    from 0s to 5s time 19:30          # the clock runs to half past seven over the shot
    from 2s to 4s weather rain
    at 4s material ball1 metal
    at 4.5s remove ball1

Times: 'at T', 'from T to T', 'T..T' or a bare 'T'; seconds ('2', '2s', '500ms'). 'for D' after an event
gives its duration. A line whose words are not this form is read as English by `action_english`, using
the sentence-embedding matcher ('at 2s drop a red ball from 20 m'). JSON: a list of event objects, or
{"events": [...]}, each with time, optional end, kind and fields. Every error carries line and column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ...types import ActionScript
from .events import (
    EVENT_KINDS,
    INTERVAL,
    MAX_EVENTS,
    POSITIONAL,
    ActionError,
    check_event,
    check_field,
    format_event,
    ordered_events,
)

ALIASES: dict[str, str] = {
    "add": "spawn",
    "create": "spawn",
    "delete": "remove",
    "despawn": "remove",
    "push": "impulse",
    "explosion": "blast",
    "explode": "blast",
    "clock": "time",
    "goto": "move",
    "paint": "material",
}
#: a script's size limits: MAX_SCRIPT_CHARS characters and MAX_EVENTS events (events.py). 2000 events of ~100
#: characters (a spawn with its fields) fit; so do the 'viewer' lines of a long recording (up to 240 points,
#: ~4 KB each). A script is parsed and kept whole in the workflow, its cache key and the editor, so it stays
#: well under the workflow file's limit, and a bigger one is refused before any line is read (check_size)
MAX_SCRIPT_CHARS = 200_000
#: what to do about a script over the limits
SIZE_FIX = ("keep fewer events or shorter lines (a long path in fewer points), or split the shot over several "
            "action script and simulate nodes")
#: how much of a line an event keeps as its text (the timeline's event records hold up to 500 characters)
MAX_TEXT = 500

_NUM = r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?"
_PAREN = rf"\(\s*{_NUM}(?:\s*,\s*{_NUM})*\s*\)"
TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>(?<!=)\#.*)
  | (?P<parens>{_PAREN}(?:\s*,\s*{_PAREN})*)
  | (?P<key>[A-Za-z_]\w*)=
  | (?P<clock>\d{{1,2}}:\d{{2}})(?![\d.])
  | (?P<num>{_NUM}(?:,{_NUM})*)(?P<unit>ms|sec|s|m/s|km/h|kg|deg|m|h|N)?(?!\w|\.\d)
  | (?P<range>\.\.)
  | (?P<word>[@A-Za-z_\#][\w\-.\#]*)
  | (?P<quoted>"[^"\n]*")
""",
    re.VERBOSE,
)


class NotLineForm(ActionError):
    """The line is not written in the line form (it may be English)."""


ARTICLES = frozenset({"a", "an", "the", "some", "it", "its", "my", "this", "that"})


@dataclass(slots=True)
class Token:
    kind: str
    text: str
    column: int
    value: Any = None
    unit: str = ""


@dataclass(kw_only=True, slots=True)
class Parsed:
    """A parsed script: the events, what each line was read as, and notes for the user."""

    events: list[dict[str, Any]]
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_script(self, source: str) -> ActionScript:
        return ActionScript(events=self.events, source=source)

    def shown(self) -> str:
        return "\n".join(self.lines)


def tokenize(text: str, line: int) -> list[Token]:
    """Tokens of one line with 1-based columns; raises ActionError at the first character it cannot read."""
    tokens, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None:
            raise NotLineForm(f"cannot read {text[pos : pos + 12]!r}", line, pos + 1)
        kind = m.lastgroup or ""
        if kind == "unit":
            kind = "num"
        if kind not in ("ws", "comment"):
            tokens.append(_token(kind, m, pos + 1))
        pos = m.end()
    return tokens


def _token(kind: str, m: re.Match[str], column: int) -> Token:
    text = m.group(kind)
    if kind == "num":
        values = [float(v) for v in text.split(",")]
        unit = m.group("unit") or ""
        scale = {"ms": 0.001, "km/h": 1 / 3.6}.get(unit, 1.0)
        values = [v * scale for v in values]
        return Token("num", m.group(0), column, values[0] if len(values) == 1 else values, unit)
    if kind == "parens":
        groups = re.findall(_PAREN, text)
        vecs = [[float(v) for v in g.strip("() \t").split(",")] for g in groups]
        return Token("parens", text, column, vecs[0] if len(vecs) == 1 else vecs)
    if kind == "quoted":
        return Token("word", text, column, text[1:-1])
    if kind == "key":
        return Token("key", text, column, text)
    return Token(kind, text, column, text)


def parse_script(text: str, *, encoder: Any = None, english: bool = True) -> Parsed:
    """Events from the line form or JSON; English lines need the sentence encoder (loaded on demand)."""
    check_size(text)
    if _is_json(text):
        return parse_json(text)
    return parse_lines(text, encoder=encoder, english=english)


def check_script(text: str, *, format: str = "auto", english: bool = True) -> None:  # noqa: A002
    """Raises the ActionError parsing the script would, short of reading its English lines.

    `format` is auto (as parse_script), text (parse_lines) or json (parse_json). Lines not in the line form
    are left to the English reader when `english`: it needs the sentence encoder, so they are read when the
    script's node runs.
    """
    check_size(text, json_form=None if format == "auto" else format == "json")
    if format == "json" or (format == "auto" and _is_json(text)):
        parse_json(text)
        return
    for number, raw_line in _event_lines(text):
        try:
            parse_line(raw_line, number)
        except NotLineForm:
            if not english:
                raise


def check_size(text: str, *, json_form: bool | None = None) -> None:
    """Refuses, before reading a line, a script over MAX_SCRIPT_CHARS characters or with more event lines than
    a script may hold events (MAX_EVENTS); counting them costs one look at the text, not the parsing of
    its lines (an English line takes the sentence encoder)."""
    if len(text) > MAX_SCRIPT_CHARS:
        raise ActionError(f"the script is {len(text)} characters; the limit is {MAX_SCRIPT_CHARS}")
    if _is_json(text) if json_form is None else json_form:
        return
    lines = sum(1 for line in text.splitlines() if line.split("#", 1)[0].strip())
    if lines > MAX_EVENTS:
        raise ActionError(f"the script has {lines} event lines; a script holds at most {MAX_EVENTS} events")


def _is_json(text: str) -> bool:
    return text.lstrip().startswith(("[", "{"))


def _event_lines(text: str) -> list[tuple[int, str]]:
    """(1-based number, line) of every line that is not blank or only a comment."""
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.split("#", 1)[0].strip()]


def parse_lines(text: str, *, encoder: Any = None, english: bool = True) -> Parsed:
    from .english import EnglishReader

    check_size(text, json_form=False)
    out = Parsed(events=[])
    reader: EnglishReader | None = None
    for number, raw_line in _event_lines(text):
        try:
            event = parse_line(raw_line, number)
        except NotLineForm as dsl_error:
            if not english:
                raise
            reader = reader or EnglishReader(encoder=encoder, context=out.events)
            event = reader.read(raw_line, number, dsl_error)
            out.notes.append(
                f"line {number}: read {raw_line.strip()!r} as '{format_event(event)}' "
                f"({event.pop('matched')})"
            )
        out.events.append(event)
        out.lines.append(f"{number:>3}: {format_event(event)}")
    out.events = ordered_events(out.events)
    return out


def parse_line(text: str, line: int) -> dict[str, Any]:
    """One event from one line of the line form."""
    tokens = tokenize(text, line)
    t0, t1, i = _time_prefix(tokens, line)
    if i >= len(tokens) or tokens[i].kind != "word":
        col = tokens[i].column if i < len(tokens) else len(text) + 1
        raise NotLineForm(f"expects an event after the time: one of {', '.join(EVENT_KINDS)}", line, col)
    verb = tokens[i]
    kind = ALIASES.get(verb.text.lower(), verb.text.lower())
    if kind not in EVENT_KINDS:
        raise NotLineForm(f"unknown event {verb.text!r}: use one of {', '.join(EVENT_KINDS)}", line, verb.column)
    rest = tokens[i + 1 :]
    if rest and rest[0].kind == "word" and rest[0].text.lower() in ARTICLES:
        raise NotLineForm(f"{kind} {rest[0].text!r}: the line form takes values, not words", line, rest[0].column)
    raw: dict[str, Any] = {"kind": kind, "time": t0, "end": t1}
    t_end = _fields(kind, tokens[i + 1 :], raw, line)
    if t_end is not None:
        raw["end"] = t0 + t_end
    if INTERVAL[kind] == "instant" and raw.get("end") is not None and t1 is None:
        raise ActionError(f"{kind} happens at one moment; remove 'for'", line, verb.column)
    event = check_event(raw, line=line, column=verb.column)
    event["text"] = text.strip()[:MAX_TEXT]  # a long line (a path of many points) keeps its start, as check_event
    return event


def _time_prefix(tokens: list[Token], line: int) -> tuple[float, float | None, int]:
    """(start, end or None, index of the first token after the time)."""
    if not tokens:
        raise ActionError("empty line", line, 1)
    first = tokens[0]
    word = first.text.lower() if first.kind == "word" else ""
    if word == "at":
        return _seconds(tokens, 1, line), None, 2
    if word == "from":
        t0 = _seconds(tokens, 1, line)
        if len(tokens) < 4 or tokens[2].text.lower() not in ("to", "until", "-"):
            col = tokens[2].column if len(tokens) > 2 else tokens[1].column
            raise ActionError("expects 'from T to T'", line, col)
        return t0, _seconds(tokens, 3, line), 4
    if first.kind == "num":
        t0 = _seconds(tokens, 0, line)
        if len(tokens) > 2 and tokens[1].kind == "range":
            return t0, _seconds(tokens, 2, line), 3
        return t0, None, 1
    raise NotLineForm("a line starts with its time: 'at 2s', 'from 1s to 3s' or '2s'", line, first.column)


def _seconds(tokens: list[Token], i: int, line: int) -> float:
    if i >= len(tokens):
        raise ActionError("expects a time in seconds", line, tokens[-1].column + len(tokens[-1].text))
    tok = tokens[i]
    if tok.kind != "num" or not isinstance(tok.value, float) or tok.unit not in ("", "s", "sec", "ms"):
        raise ActionError(f"expects a time in seconds, got {tok.text!r}", line, tok.column)
    if tok.value < 0:
        raise ActionError(f"time {tok.value:g} s is before the shot starts (0 s)", line, tok.column)
    return float(tok.value)


def _fields(kind: str, tokens: list[Token], raw: dict[str, Any], line: int) -> float | None:
    """Fill `raw` from positional values and key=value pairs; returns a 'for D' duration if given."""
    slots = list(POSITIONAL[kind])
    duration = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "word" and tok.text.lower() == "for":
            duration = _seconds(tokens, i + 1, line)
            i += 2
            continue
        if tok.kind == "key":
            if i + 1 >= len(tokens):
                raise ActionError(f"{tok.text}= has no value", line, tok.column)
            name, value_tok = tok.text, tokens[i + 1]
            i += 2
        else:
            slots = [s for s in slots if s not in raw]
            if not slots:
                raise ActionError(f"unexpected {tok.text!r}: name the field (key=value)", line, tok.column)
            name, value_tok = slots[0], tok
            i += 1
        if name in raw:
            raise ActionError(f"{name} is given twice", line, tok.column)
        raw[name] = _field_value(kind, name, value_tok, line)
    return duration


def _field_value(kind: str, name: str, tok: Token, line: int) -> Any:
    value: Any = tok.value
    if tok.kind == "clock":
        value = tok.text
    if name == "path" and tok.kind == "parens" and value and not isinstance(value[0], list):
        value = [value]
    try:
        return check_field(kind, name, value)
    except ValueError as exc:
        raise ActionError(f"{kind} {name}: {exc}", line, tok.column) from None


# --- JSON ----------------------------------------------------------------------------------------


def parse_json(text: str) -> Parsed:
    """Events from a JSON list (or {"events": [...]}); errors carry the line and column of the event."""
    check_size(text, json_form=True)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ActionError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    items = doc.get("events") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise ActionError('JSON scripts are a list of events or {"events": [...]}', 1, 1)
    if len(items) > MAX_EVENTS:
        raise ActionError(f"the script has {len(items)} events; a script holds at most {MAX_EVENTS} events", 1, 1)
    starts = _item_starts(text)
    out = Parsed(events=[])
    for k, item in enumerate(items):
        line, col = starts[k] if k < len(starts) else (0, 0)
        if not isinstance(item, dict):
            raise ActionError(f"event {k} is not an object", line, col)
        raw = {key: value for key, value in item.items()}
        event = check_event(raw, line=line, column=col)
        out.events.append(event)
        out.lines.append(f"{line:>3}: {format_event(event)}")
    out.events = ordered_events(out.events)
    return out


def _item_starts(text: str) -> list[tuple[int, int]]:
    """(line, column) of each element of the events array, found with the JSON decoder itself."""
    decoder = json.JSONDecoder()
    m = re.search(r'"events"\s*:\s*\[', text) if text.lstrip().startswith("{") else re.search(r"\[", text)
    if m is None:
        return []
    pos, starts = m.end(), []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return starts
        line = text.count("\n", 0, pos) + 1
        starts.append((line, pos - text.rfind("\n", 0, pos)))
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return starts
