"""The action script node's help lists every event the parser and the English matcher read, and a script over
its size limits is refused at once with the node, the field and the fix: in validation, in a run, and where an
Explore session records one."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from oyster_nodes.builtin.action import ActionScriptNode
from oyster_nodes.cache import Cache
from oyster_nodes.cli import main
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build, validate
from oyster_nodes.workflow import WorkflowError, parse_data
from oyster_nodes.world import RENDERER
from oyster_nodes.world.actions import events as events_module
from oyster_nodes.world.actions import parse as parse_module
from oyster_nodes.world.actions.english import INTENTS
from oyster_nodes.world.actions.events import EVENT_KINDS, MAX_EVENTS, ActionError, Field
from oyster_nodes.world.actions.forms import event_form, events_help
from oyster_nodes.world.actions.parse import MAX_SCRIPT_CHARS, parse_json, parse_lines, parse_script
from oyster_nodes.world.explore.session import ExploreSession, ExploreSettings

from ..params import component
from .shot_world import flat

MEGABYTE_LINES = "at 0s spawn sphere ball1 pos=10,10 height=5\n" * 22_800  # 1 MB


def test_the_help_lists_every_event_kind_and_what_english_is_matched_to() -> None:
    help_text = ActionScriptNode.describe()["description"]
    for kind in EVENT_KINDS:
        assert event_form(kind) in help_text, kind
    assert "from T to T viewer path=(x,y),…" in help_text  # the event a recording writes for the viewer
    english = dict.fromkeys(k for _, k in INTENTS)
    assert f"English lines are matched to: {', '.join(english)}." in help_text
    for phrase, kind in INTENTS:
        if phrase == next(p for p, k in INTENTS if k == kind):
            assert f"{kind} " in help_text and f"'{phrase}'" in help_text
    assert str(MAX_SCRIPT_CHARS) in help_text and str(MAX_EVENTS) in help_text
    # the editor and `oyster nodes` show the same text
    out = _cli_json(["nodes", "--json"])
    shown = next(n for n in out["nodes"] if n["type"] == "action.script")
    assert shown["description"] == help_text


def test_the_help_is_written_from_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EVENT_KINDS, "shake", (Field(name="strength", kind="number", required=True),))
    monkeypatch.setitem(events_module.POSITIONAL, "shake", ("strength",))
    monkeypatch.setitem(events_module.INTERVAL, "shake", "required")
    assert "  from T to T shake <strength>  — line form only" in events_help()


def test_every_form_in_the_help_reads_back() -> None:
    """Each form, with its placeholders filled, is a line the parser takes as that kind."""
    filled = {"spawn": "at 1s spawn sphere ball1 pos=10,10 height=2", "remove": "at 2s remove ball1",
              "impulse": "at 1.5s impulse ball1 0,0,5", "force": "from 1s to 2s force ball1 0,0,5",
              "move": "from 0s to 2s move @character to=5,5", "animate": "from 1s to 2s animate ball1 to=12,12,3",
              "time": "from 0s to 2s time 19:30", "weather": "at 1s weather rain", "wind": "at 0s wind 12 dir=90",
              "blast": "at 1s blast pos=10,10 radius=5", "material": "at 1.2s material ball1 metal",
              "viewer": "from 0s to 1s viewer path=(3,3),(4,4)"}
    assert set(filled) == set(EVENT_KINDS)
    for kind, line in filled.items():
        assert event_form(kind).startswith(("at T", "from T to T")) and line.startswith(("at ", "from "))
    kinds = [e["kind"] for e in parse_script("\n".join(filled.values()), english=False).events]
    assert sorted(kinds) == sorted(EVENT_KINDS)


def _cli_json(args: list[str]) -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(args) == 0
    return json.loads(buf.getvalue())


def _workflow(script: str, fmt: str = "auto") -> dict:
    return {"format": "oyster-workflow", "version": 1, "nodes": [
        {"id": "acts", "type": "action.script", "params": {"script": script, "format": fmt}}], "links": []}


@pytest.mark.parametrize("fmt", ["auto", "text", "json"])
def test_a_megabyte_script_is_refused_naming_node_field_and_fix(full_registry, fmt: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    script = MEGABYTE_LINES if fmt != "json" else "[" + ",".join(['{"time": 0, "kind": "wind", "speed": 3}'] * 26_000) + "]"
    assert len(script) >= 1_000_000
    t0 = time.perf_counter()
    problems = validate(parse_data(_workflow(script, fmt)), full_registry)
    assert time.perf_counter() - t0 < 5.0
    assert len(problems) == 1
    p = problems[0]
    assert p.node == "acts" and p.field == "params.script"
    assert f"the limit is {MAX_SCRIPT_CHARS}" in p.message and f"at most {MAX_SCRIPT_CHARS} characters" in p.fix
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_workflow(script, fmt)))
    assert main(["validate", str(path)]) != 0
    said = capsys.readouterr().out
    assert "node 'acts' params.script" in said and "shorten it" in said
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) != 0  # a run checks first, runs nothing
    with pytest.raises(WorkflowError, match="characters long"):
        Executor(Cache()).run(build(parse_data(_workflow(script, fmt)), full_registry), RunOptions(out_dir=tmp_path))


def test_too_many_event_lines_are_refused_before_any_is_read(full_registry) -> None:
    english = "a red ball falls from the sky\n" * (MAX_EVENTS + 1)  # English: reading one needs the encoder
    assert len(english) < MAX_SCRIPT_CHARS
    t0 = time.perf_counter()
    for parse in (parse_script, parse_lines):
        with pytest.raises(ActionError, match=f"2001 event lines; a script holds at most {MAX_EVENTS} events"):
            parse(english, encoder=None)
    assert time.perf_counter() - t0 < 1.0
    problems = validate(parse_data(_workflow(english)), full_registry)
    assert len(problems) == 1 and problems[0].node == "acts" and "split the shot" in problems[0].fix
    many = json.dumps([{"time": 0, "kind": "wind", "speed": 3}] * (MAX_EVENTS + 1))
    with pytest.raises(ActionError, match="2001 events"):
        parse_json(many)
    with pytest.raises(ActionError, match="characters; the limit is"):
        parse_json("[" + " " * MAX_SCRIPT_CHARS + "]")


def test_a_recording_too_long_for_a_script_gets_an_answer_and_the_session_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    s = ExploreSession(flat(), component(RENDERER), settings=ExploreSettings(width=96, height=54),
                       start=(30.0, 30.0))
    for _ in range(4):
        assert s.handle({"type": "drop", "color": "red"})["ok"]
        for _tick in range(6):
            s.tick(1 / 24)
    assert "spawn" in s.recording_nodes()["actions"]["params"]["script"]
    monkeypatch.setattr(parse_module, "MAX_SCRIPT_CHARS", 200)  # a recording over the limit, kept small here
    with pytest.raises(ValueError, match="does not fit one action script node: the script is .* characters; "
                                         "the limit is 200; record a shorter stretch"):
        s.recording_nodes()
    s.tick(1 / 24)
    assert s.handle({"type": "drop"})["ok"]  # the session goes on
