"""Action scripts: the line form, JSON, English lines via the embedding matcher, and errors with positions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oyster_nodes.builtin import action as action_nodes
from oyster_nodes.types import ActionScript
from oyster_nodes.world import TEXT_ENCODER
from oyster_nodes.world.actions.events import EVENT_KINDS, ActionError, check_event, format_event
from oyster_nodes.world.actions.parse import parse_json, parse_line, parse_lines, parse_script

from ..params import component, node_context

SCRIPT = """# a little of everything
at 0.5s spawn sphere ball1 pos=64,64 height=20 size=0.5 color=red material=rubber
at 2s impulse ball1 0,5,2
from 1s to 3s force ball1 0,0,90
from 0s to 5s wind 12 dir=90 gust=0.4
at 3s blast 60,60 radius=20 strength=5000
at 0 spawn character hero pos=(10,10)
from 1s to 4s move hero path=(10,10),(20,20),(30,10) speed=1.5
from 0s to 5s time 19:30
2s..4s weather rain
at 4s material ball1 metal
from 1s to 2s animate ball1 to=70,70,30 ease=in_out
from 2s to 3s viewer path=(12,10),(14,10)
at 4.5s remove ball1   # gone
"""


def test_line_form_covers_every_kind() -> None:
    parsed = parse_script(SCRIPT, english=False)
    kinds = {e["kind"] for e in parsed.events}
    assert kinds == set(EVENT_KINDS)
    spawn = next(e for e in parsed.events if e["kind"] == "spawn" and e["id"] == "ball1")
    assert spawn["pos"] == [64.0, 64.0] and spawn["height"] == 20.0 and spawn["size"] == [0.5]
    assert spawn["color"][0] > 0.8 and spawn["line"] == 2
    move = next(e for e in parsed.events if e["kind"] == "move")
    assert move["path"] == [[10.0, 10.0], [20.0, 20.0], [30.0, 10.0]] and move["end"] == 4.0
    clock = next(e for e in parsed.events if e["kind"] == "time")
    assert clock["to"] == pytest.approx(19.5)
    assert [e["time"] for e in parsed.events] == sorted(e["time"] for e in parsed.events)


def test_format_then_parse_gives_the_same_event() -> None:
    for event in parse_script(SCRIPT, english=False).events:
        again = parse_line(format_event(event), event["line"])
        for key in ("time", "end", "kind"):
            assert again[key] == event[key]
        for field in EVENT_KINDS[event["kind"]]:
            a, b = again.get(field.name), event.get(field.name)
            if isinstance(b, (float, list)):
                np.testing.assert_allclose(a, b, atol=3e-3, err_msg=field.name)
            else:
                assert a == b, field.name


def test_json_form_matches_the_line_form() -> None:
    events = [{"time": 0.5, "kind": "spawn", "shape": "box", "id": "crate", "pos": [10, 10], "size": [1, 1, 1]},
              {"time": 1.0, "end": 2.0, "kind": "wind", "speed": 8}]
    parsed = parse_json(json.dumps({"events": events}, indent=2))
    assert [e["kind"] for e in parsed.events] == ["spawn", "wind"]
    assert parsed.events[0]["line"] == 3  # where the object starts in the JSON text


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("at 2s spawn sphere ball1 size=-1", 1, 31, "size"),
    ("\n\nat -1s spawn sphere", 3, 4, "before the shot starts"),
    ("from 3s to 1s wind 5", 1, 15, "ends"),
    ("at 1s force ball1 0,0,1", 1, 7, "needs an interval"),
    ("at 1s wind 500", 1, 12, "outside 0..80"),
    ("at 1s weather sunny", 1, 15, "not one of"),
    ("at 1s spawn sphere a1\nat 2s spawn box a1", 2, 7, "spawned twice"),
    ("at 1s move hero", 1, 7, "give to="),
    ("at 1s impulse ball1 0,5", 1, 21, "3 numbers"),
])
def test_errors_carry_line_and_column(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ActionError) as info:
        parse_lines(text, english=False)
    assert (info.value.line, info.value.column) == (line, column), str(info.value)
    assert fragment in str(info.value)


def test_json_errors_carry_line_and_column() -> None:
    with pytest.raises(ActionError) as info:
        parse_json('[\n  {"time": 1, "kind": "spawn"},\n  {"time": 2, "kind": "wind", "speed": 500}\n]')
    assert (info.value.line, info.value.column) == (3, 3)
    with pytest.raises(ActionError) as bad:
        parse_json('[{"time": 1, "kind": "spawn",}]')
    assert bad.value.line == 1 and bad.value.column > 1
    with pytest.raises(ActionError, match="unknown event 'dance'"):
        parse_json('[{"time": 1, "kind": "dance"}]')


def test_unknown_fields_and_instant_intervals_are_errors() -> None:
    with pytest.raises(ActionError, match="unknown field 'colour'"):
        check_event({"kind": "spawn", "time": 0, "colour": "red"})
    with pytest.raises(ActionError, match="one moment"):
        check_event({"kind": "impulse", "time": 0, "end": 1, "id": "a", "vec": [0, 0, 1]})


def test_english_lines_use_the_embedding_matcher() -> None:
    text = """at 2s drop a red ball from 20 m
at 3s kick the red ball north hard
from 1 to 4 s the wind picks up to 15 m/s blowing east
at 4s a big explosion near the ball
the sun sets until 21:00 over 5 seconds
at 1s it starts to snow
at 4.5s remove the red ball"""
    parsed = parse_script(text, encoder=component(TEXT_ENCODER))
    kinds = [e["kind"] for e in sorted(parsed.events, key=lambda e: e["line"])]
    assert kinds == ["spawn", "impulse", "wind", "blast", "time", "weather", "remove"]
    ball = next(e for e in parsed.events if e["kind"] == "spawn")
    assert ball["shape"] == "sphere" and ball["height"] == 20.0 and ball["time"] == 2.0
    kick = next(e for e in parsed.events if e["kind"] == "impulse")
    assert kick["id"] == ball["id"] and kick["vec"][1] > 0 and abs(kick["vec"][0]) < 1e-9
    wind = next(e for e in parsed.events if e["kind"] == "wind")
    assert (wind["time"], wind["end"], wind["speed"], wind["dir"]) == (1.0, 4.0, 15.0, 0.0)
    assert len(parsed.notes) == 7 and all("read '" in n and "matched" in n for n in parsed.notes)
    assert "at 2s spawn" in parsed.shown()


def test_english_that_means_nothing_is_an_error() -> None:
    with pytest.raises(ActionError, match="could not understand"):
        parse_script("at 2s frobnicate the quux", encoder=component(TEXT_ENCODER))
    with pytest.raises(ActionError, match="nothing spawned"):
        parse_script("at 2s kick the ball", encoder=component(TEXT_ENCODER))


def test_node_shows_the_parsed_events() -> None:
    ctx = node_context(node_id="act")
    node = action_nodes.ActionScriptNode()
    out = node.run(ctx, script="at 1s spawn box crate pos=5,5\nat 2s drop a ball from 10 m", format="auto",
                   english=True)
    assert isinstance(out["script"], ActionScript) and len(out["script"].events) == 2
    assert "at 1s spawn shape=box id=crate" in out["parsed"]
    assert any("drop a ball" in w for w in ctx.warnings)
    with pytest.raises(ActionError):
        node.run(node_context(node_id="act"), script='[{"time": 1}]', format="json", english=False)
