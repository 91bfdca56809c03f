"""Explore: the viewer walks on the ground, keeps out of solid things, changes the world live, rewinds exactly,
and the session becomes nodes that validate and run."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from oyster_nodes.graph import build
from oyster_nodes.workflow import parse_data
from oyster_nodes.world import RENDERER, TEXT_ENCODER
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.explore.session import ExploreSession, ExploreSettings
from oyster_nodes.world.explore.walker import EYE_M, Inputs, Walker
from oyster_nodes.world.state.world_state import heights_at

from ..params import component
from .shot_world import drop_script, flat, hills

SMALL = ExploreSettings(width=96, height=54)


def session(**kw) -> ExploreSession:  # noqa: ANN003
    events = parse_script(drop_script(6, 60, 60), english=False).events
    return ExploreSession(hills(), component(RENDERER), events=events, settings=SMALL, start=(100.0, 30.0), **kw)


def test_walking_follows_the_ground_and_jumps_land() -> None:
    world = hills()
    walker = Walker.standing(world, 100.0, 30.0, yaw_deg=0.0)
    keys = Inputs(keys={"KeyW"})
    for _ in range(48):
        walker.step(world, keys, 1 / 24)
    p = walker.pose
    assert p.x == pytest.approx(100.0 + 2.5 * 2.0, abs=0.2) and abs(p.y - 30.0) < 1e-6  # 2 s east at 2.5 m/s
    assert p.z == pytest.approx(float(heights_at(world, np.array([[p.x, p.y]]))[0]) + EYE_M, abs=0.05)
    standing = p.z
    walker.step(world, Inputs(keys={"Space"}), 1 / 24)
    assert not walker.on_ground and walker.pose.z > standing
    for _ in range(48):
        walker.step(world, Inputs(), 1 / 24)
    assert walker.on_ground


def test_the_viewer_never_walks_into_a_building() -> None:
    world = hills()
    cabin = world.structures[0]
    walker = Walker.standing(world, cabin.x - 15.0, cabin.y, yaw_deg=0.0)
    walker.pose.yaw_deg = 0.0  # straight at the cabin, along +x
    for _ in range(24 * 12):
        walker.step(world, Inputs(keys={"KeyW"}), 1 / 24)
        p = walker.pose
        box = cabin.box(roof=True)
        c, s = np.cos(box[2]), np.sin(box[2])
        lx, ly = (p.x - box[0]) * c + (p.y - box[1]) * s, -(p.x - box[0]) * s + (p.y - box[1]) * c
        assert not (abs(lx) < box[3] and abs(ly) < box[4]), "walked inside the cabin"


def test_flying_keeps_above_the_ground_and_inside_the_world() -> None:
    world = flat()
    walker = Walker.standing(world, 64.0, 64.0)
    walker.mode = "fly"
    for _ in range(200):
        walker.step(world, Inputs(keys={"KeyW", "KeyQ", "ShiftLeft"}), 1 / 24)
    p = walker.pose
    assert 0 < p.x < world.size_m and 0 < p.y < world.size_m
    assert p.z >= float(heights_at(world, np.array([[p.x, p.y]]))[0]) + 0.99


def test_keys_move_the_camera_and_change_the_frames() -> None:
    s = session()
    first = cv2.imdecode(np.frombuffer(s.frame_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    before = s.camera().position
    assert s.handle({"type": "keys", "down": ["KeyD"]})["ok"]
    assert s.handle({"type": "look", "dx": 20.0, "dy": 0.0})["ok"]
    for _ in range(24):
        s.tick(1 / 24)
    after = cv2.imdecode(np.frombuffer(s.frame_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert first.shape == (54, 96, 3) and np.abs(first.astype(int) - after.astype(int)).mean() > 2.0
    assert np.hypot(s.camera().position[0] - before[0], s.camera().position[1] - before[1]) > 2.0


def test_bad_messages_get_answers_and_the_session_goes_on() -> None:
    s = session()
    for bad in ("hello", {"type": "teleport"}, {"type": "look", "dx": float("nan")}, {"type": "weather",
                "weather": "plague"}, {"type": "keys", "down": ["KeyW"] * 100}, {"type": "event", "event": {
                    "kind": "impulse", "id": "nobody", "vec": [0, 0, 1]}}, {"type": "restore", "name": "never"}):
        reply = s.handle(bad)
        assert reply["ok"] is False and reply["error"], bad
    s.tick(1 / 24)
    assert s.handle({"type": "keys", "down": ["KeyW"], "up": []})["ok"]


def test_rewinding_restores_the_world_and_the_viewer_exactly() -> None:
    s = session()
    for _ in range(12):
        s.tick(1 / 24)
    s.handle({"type": "snapshot", "name": "start"})
    s.handle({"type": "keys", "down": ["KeyW"]})
    s.handle({"type": "event", "event": {"kind": "impulse", "id": "b0", "vec": [0.0, 0.0, 900.0]}})
    for _ in range(24):
        s.tick(1 / 24)
    later = (s.camera().position, s.world_now().bodies[0].pos)
    assert s.handle({"type": "restore", "name": "start"})["ok"]
    s.handle({"type": "keys", "down": ["KeyW"]})
    s.handle({"type": "event", "event": {"kind": "impulse", "id": "b0", "vec": [0.0, 0.0, 900.0]}})
    for _ in range(24):
        s.tick(1 / 24)
    assert (s.camera().position, s.world_now().bodies[0].pos) == later


def test_words_change_the_weather_and_the_clock() -> None:
    s = session(encoder=component(TEXT_ENCODER))
    assert s.handle({"type": "say", "text": "make it rain"})["ok"]
    assert s.world.env.weather == "rain"
    reply = s.handle({"type": "say", "text": "frobnicate the quux"})
    assert reply["ok"] is False and "understand" in reply["error"]


def test_a_recorded_session_becomes_nodes_that_validate_and_run(full_registry, tmp_path) -> None:
    from oyster_nodes.cache import Cache
    from oyster_nodes.executor import Executor, RunOptions

    s = session()
    s.handle({"type": "keys", "down": ["KeyW"]})
    for k in range(36):
        s.tick(1 / 24)
        if k == 10:
            s.handle({"type": "event", "event": {"kind": "impulse", "id": "b1", "vec": [0.0, 300.0, 300.0]}})
            s.handle({"type": "weather", "weather": "rain"})
    nodes = s.recording_nodes()
    cam, acts = nodes["camera"], nodes["actions"]
    assert len(cam["params"]["keys"]) >= 3 and "impulse" in acts["params"]["script"]
    script = acts["params"]["script"]
    assert "spawn shape=sphere id=b0 pos=60,60" in script.splitlines()[0]  # the session's own script comes first
    doc = {"format": "oyster-workflow", "version": 1, "nodes": [
        {"id": "spec", "type": "world.spec_edit", "params": {"override": {}}} if False else
        {"id": "load", "type": "world.load", "params": {"path": "hills.oyworld.safetensors"}},
        {"id": "cam", "type": cam["type"], "params": {**cam["params"], "resolution": "144p", "map_px": 128}},
        {"id": "acts", "type": acts["type"], "params": {**acts["params"], "script": script}},
        {"id": "sim", "type": "simulate.run", "params": {"duration_s": cam["params"]["duration_s"]}},
        {"id": "shot", "type": "sequence.render", "params": {}},
    ], "links": [
        {"from_node": "load", "from_output": "world", "to_node": "cam", "to_input": "world"},
        {"from_node": "load", "from_output": "world", "to_node": "sim", "to_input": "world"},
        {"from_node": "acts", "from_output": "script", "to_node": "sim", "to_input": "script"},
        {"from_node": "load", "from_output": "world", "to_node": "shot", "to_input": "world"},
        {"from_node": "cam", "from_output": "path", "to_node": "shot", "to_input": "path"},
        {"from_node": "sim", "from_output": "timeline", "to_node": "shot", "to_input": "timeline"},
    ]}
    from oyster_nodes.world import save_world

    save_world(hills(), tmp_path / "hills.oyworld.safetensors")
    graph = build(parse_data(json.loads(json.dumps(doc))), full_registry)
    result = Executor(Cache()).run(graph, RunOptions(out_dir=tmp_path))
    assert result.ok, result.errors
    assert result.outputs["shot"]["frames"].rgb_nhw3.shape[0] == round(cam["params"]["duration_s"] * 24)


def test_a_viewer_in_deep_water_swims_with_the_eye_above_the_surface() -> None:
    from oyster_nodes.world.explore.walker import dry_start
    from oyster_nodes.world.state.world_state import water_at

    world = hills()
    x, y = dry_start(world)
    assert not np.isfinite(water_at(world, np.array([[x, y]]))[0]) or water_at(world, np.array([[x, y]]))[0] <= \
        heights_at(world, np.array([[x, y]]))[0] + 0.05
    walker = Walker.standing(world, 40.0, 40.0, yaw_deg=45.0)  # in the lake
    for _ in range(24 * 8):
        walker.step(world, Inputs(keys={"KeyW"}), 1 / 24)
        p = walker.pose
        surface = water_at(world, np.array([[p.x, p.y]]))[0]
        if np.isfinite(surface) and surface - heights_at(world, np.array([[p.x, p.y]]))[0] > 0.9:
            assert p.z == pytest.approx(surface + 0.3, abs=1e-6)
    assert 8.0 < np.hypot(walker.pose.x - 40.0, walker.pose.y - 40.0) < 12.0  # 8 s at half of 2.5 m/s


def test_numbers_that_are_not_finite_are_refused_and_ledges_are_fallen_from() -> None:
    s = session()
    for bad in ({"type": "speed", "mps": float("nan")}, {"type": "look", "dx": 10 ** 400},
                {"type": "time", "clock_h": "noon"}, {"type": "speed", "mps": True}):
        assert s.handle(bad)["ok"] is False
    s.tick(1 / 24)  # still runs
    world = flat()
    walker = Walker.standing(world, 64.0, 64.0 - 20.0, yaw_deg=90.0)  # below the hill, walking up it ...
    for _ in range(24 * 12):
        walker.step(world, Inputs(keys={"KeyW"}), 1 / 24)  # ... over the top and down the far side
    p = walker.pose
    assert p.z == pytest.approx(float(heights_at(world, np.array([[p.x, p.y]]))[0]) + EYE_M, abs=0.6)


def test_snapshots_are_bounded() -> None:
    s = session()
    for k in range(40):
        s.handle({"type": "snapshot", "name": f"s{k}"})
    assert len(s.snapshots) == 16 and "s39" in s.snapshots and "s0" not in s.snapshots


def flat_session(script: str = "", **kw) -> ExploreSession:  # noqa: ANN003
    events = parse_script(script, english=False).events if script else []
    return ExploreSession(flat(), component(RENDERER), events=events, settings=SMALL, start=(30.0, 30.0), **kw)


def body(s: ExploreSession, body_id: str) -> np.ndarray:
    k = next(k for k, b in enumerate(s.sim.bodies) if b.id == body_id)
    return s.sample.body_pos_b3[k]


def test_throwing_and_dropping_spawn_bodies_from_the_viewer() -> None:
    s = flat_session()  # looking along +y (yaw 90)
    thrown = s.handle({"type": "throw", "speed": 10.0})
    assert thrown["ok"] and thrown["event"]["kind"] == "spawn", thrown
    for _ in range(12):
        s.tick(1 / 24)
    ball = body(s, thrown["event"]["id"])
    assert ball[1] > 30.0 + 4.0 and abs(ball[0] - 30.0) < 0.5  # half a second at 10 m/s along the view
    dropped = s.handle({"type": "drop", "shape": "box", "size": 0.4, "material": "wood"})
    assert dropped["ok"], dropped
    for _ in range(36):
        s.tick(1 / 24)
    box = body(s, dropped["event"]["id"])
    ground = float(heights_at(s.world, box[None, :2])[0])
    assert box[2] == pytest.approx(ground + 0.2, abs=0.03) and 31.0 < box[1] < 32.5  # fell and rests ahead
    for bad in ({"type": "throw", "shape": "dragon"}, {"type": "throw", "speed": 1e9}, {"type": "drop", "size": 0},
                {"type": "drop", "material": "cheese"}):
        assert s.handle(bad)["ok"] is False, bad


def test_pushing_sends_the_body_in_front_away() -> None:
    s = flat_session("at 0s spawn box crate pos=30,32.5 size=0.6")
    for _ in range(24):
        s.tick(1 / 24)
    s.walker.pose.pitch_deg = -15.0  # look down at it
    rest = body(s, "crate").copy()
    reply = s.handle({"type": "push", "speed": 3.0})
    assert reply["ok"] and reply["event"]["id"] == "crate", reply
    for _ in range(12):
        s.tick(1 / 24)
    assert body(s, "crate")[1] > rest[1] + 0.3  # pushed along the view (+y)
    s.walker.pose.yaw_deg = 270.0  # turn round: nothing there
    reply = s.handle({"type": "push"})
    assert reply["ok"] is False and "nothing to push" in reply["error"] and "crate" in reply["error"]


def test_spawn_text_makes_what_it_says() -> None:
    s = flat_session("at 0s spawn box cart pos=30,40 size=2,1.2,0.6 material=wood", encoder=component(TEXT_ENCODER))
    for _ in range(24):
        s.tick(1 / 24)
    reply = s.handle({"type": "say", "text": "a campfire here"})
    assert reply["ok"], reply
    fire = [b for b in s.sim.bodies if b.id.startswith("campfire1_")]
    assert len(fire) == 7 and sum(b.shape == "sphere" for b in fire) == 6
    reply = s.handle({"type": "say", "text": "three crates on the cart"})
    assert reply["ok"] and len(reply["did"]) == 3, reply
    for _ in range(48):
        s.tick(1 / 24)
    cart_top = body(s, "cart")[2] + 0.3
    for k in (1, 2, 3):
        crate = body(s, f"crate{k}")
        assert crate[2] == pytest.approx(cart_top + 0.2, abs=0.05) and abs(crate[1] - 40.0) < 0.7  # on the cart
    centre = np.mean([body(s, b.id) for b in fire], axis=0)
    assert np.hypot(centre[0] - 30.0, centre[1] - 32.5) < 0.3  # 2.5 m ahead of the viewer
    assert s.handle({"type": "say", "text": "make it rain"})["ok"] and s.world.env.weather == "rain"
    reply = s.handle({"type": "say", "text": "drop 2 red balls from 3 m there"})
    assert reply["ok"] and [d["event"]["shape"] for d in reply["did"]] == ["sphere", "sphere"], reply
    ball = next(b for b in s.sim.bodies if b.id == "ball1")
    assert ball.color == pytest.approx([0.85, 0.12, 0.1]) and reply["did"][0]["event"]["pos"][2] > 12.5  # 3 m up
    assert "too many" in s.handle({"type": "say", "text": "40 crates here"})["error"]
    for text in ("a dragon here", "frobnicate the quux"):
        reply = s.handle({"type": "say", "text": text})
        assert reply["ok"] is False and "campfire" in reply["error"] and "make it rain" in reply["error"], reply
    reply = s.handle({"type": "say", "text": "two crates on the wagon"})
    assert reply["ok"] is False and "no 'wagon'" in reply["error"] and "cart" in reply["error"]


def _state(s: ExploreSession) -> bytes:
    x = s.sample
    return b"".join(a.tobytes() for a in (x.body_pos_b3, x.body_quat_b4, x.body_alive_b, x.agent_pos_a3,
                                          x.agent_yaw_a))


def agree(a: dict[int, bytes], b: dict[int, bytes]) -> bool:
    common = set(a) & set(b)
    assert len(common) >= 20
    return all(a[f] == b[f] for f in common)


def states(s: ExploreSession, ticks: int) -> dict[int, bytes]:
    """The world's state at each frame shown over `ticks` ticks of 1/24 s, by frame."""
    out = {}
    for _ in range(ticks):
        s.tick(1 / 24)
        out[s.sample.frame] = _state(s)
    return out


def test_seeking_back_and_replaying_gives_bit_identical_states() -> None:
    s = flat_session("at 0s spawn sphere ball pos=34,34 size=0.3\nat 0s spawn character hiker pos=20,20\n"
                     "from 0s to 10s move hiker to=40,40")
    s.handle({"type": "keys", "down": ["KeyW"]})
    first = states(s, 24)
    s.handle({"type": "event", "event": {"kind": "impulse", "id": "ball", "vec": [0.0, 40.0, 60.0]}})
    s.handle({"type": "throw"})
    first |= states(s, 40)
    s.handle({"type": "say", "text": "at 0s blast pos=30,32 radius=5 strength=50"})
    first |= states(s, 30)
    assert s.handle({"type": "seek", "t": 0.5})["frame"] == 12
    again = states(s, 90)
    common = sorted(set(again) & set(first))
    assert len(common) > 70 and common[0] == 13
    assert all(again[f] == first[f] for f in common)  # every frame after the seek, bit for bit, edits and all
    s.handle({"type": "seek", "t": 2.0})  # forward and back again land on the same states
    assert s.handle({"type": "status"})["t"] == 2.0
    assert s.sample.frame == 48 and _state(s) == first[48]
    s.handle({"type": "pause"})
    paused = s.sample
    for _ in range(10):
        s.tick(1 / 24)
    assert s.sample is paused and s.t == 2.0
    assert s.handle({"type": "play"})["playing"] is True


def test_branches_are_their_own_replayable_timelines() -> None:
    s = flat_session("at 0s spawn sphere ball pos=34,34 size=0.3")
    states(s, 24)
    reply = s.handle({"type": "branch", "name": "kick"})
    assert reply["ok"] and reply["current"] == "kick" and len(reply["branches"]) == 2
    s.handle({"type": "event", "event": {"kind": "impulse", "id": "ball", "vec": [0.0, 0.0, 50.0]}})
    kicked = states(s, 24)
    assert s.handle({"type": "checkout", "name": "main"})["branch"] == "main"
    s.handle({"type": "seek", "t": 1.0})
    calm = states(s, 24)
    assert not agree(calm, kicked)
    s.handle({"type": "checkout", "name": "kick"})
    s.handle({"type": "seek", "t": 1.0})
    assert agree(states(s, 24), kicked)
    edits = s.handle({"type": "edits"})["edits"]
    assert [e["kind"] for e in edits] == ["impulse"] and "impulse id=ball" in edits[0]["line"]
    assert s.handle({"type": "remove_edit", "index": 0})["ok"]  # the branch without its kick is the calm one
    s.handle({"type": "seek", "t": 1.0})
    assert agree(states(s, 24), calm)
    for bad in ({"type": "branch", "name": "kick"}, {"type": "branch", "name": "a b"},
                {"type": "checkout", "name": "nowhere"}, {"type": "remove_edit", "index": 5},
                {"type": "seek", "t": -1}, {"type": "seek", "t": "soon"}):
        assert s.handle(bad)["ok"] is False, bad


def test_live_spawns_and_pushes_come_back_in_the_recorded_script() -> None:
    s = flat_session("at 0s spawn box crate pos=30,32.5 size=0.6")
    states(s, 12)
    s.handle({"type": "throw", "speed": 8.0, "color": "red"})
    s.walker.pose.pitch_deg = -15.0
    assert s.handle({"type": "push"})["ok"]
    states(s, 12)
    script = s.recording_nodes()["actions"]["params"]["script"]
    lines = script.splitlines()
    assert lines[0].startswith("at 0s spawn shape=box id=crate")
    assert any("spawn shape=sphere id=sphere1" in x and "vel=" in x and "color=#" in x for x in lines)
    assert any(x.startswith("at 0.54166s impulse id=crate") for x in lines)  # frame 13, cut to 6 digits
    replay = parse_script(script, english=False).events  # the script replays the session
    from oyster_nodes.world.simulate.run import SimSettings, simulate

    timeline = simulate(flat(), replay, SimSettings(duration_s=1.0, fps=24))
    k = [b.id for b in timeline.bodies].index("sphere1")
    live = body(s, "sphere1")
    assert np.allclose(timeline.body_pos_fb3[s.sim.frame - 1, k], live, atol=0.05)


def test_a_said_line_is_done_whole_or_not_at_all() -> None:
    from oyster_nodes.world.simulate.run import Spare

    settings = ExploreSettings(width=96, height=54, spare=Spare(bodies=(("box", 2),), agents=()))
    s = ExploreSession(flat(), component(RENDERER), settings=settings, start=(30.0, 30.0),
                       encoder=component(TEXT_ENCODER))
    for _ in range(12):
        s.tick(1 / 24)
    before = (_state(s), len(s.sim.bodies), len(s.sim.events), len(s.branch.edits), len(s.recording))
    reply = s.handle({"type": "say", "text": "three crates here"})  # the third finds no spare box
    assert reply["ok"] is False and "no spare box left" in reply["error"], reply
    assert "event 3 of the line's 3: none of them was done" in reply["error"]
    assert (_state(s), len(s.sim.bodies), len(s.sim.events), len(s.branch.edits), len(s.recording)) == before
    assert len(s.sim.free_bodies["box"]) == 2
    assert "crate" not in s.recording_nodes()["actions"]["params"]["script"]
    reply = s.handle({"type": "say", "text": "two crates here"})  # the session goes on, and the ids are free
    assert reply["ok"], reply
    assert [d["event"]["id"] for d in reply["did"]] == ["crate1", "crate2"]
    for _ in range(12):
        s.tick(1 / 24)
    assert s.sample.body_alive_b.sum() == 2


def test_the_stream_shows_the_shots_own_pixels() -> None:
    """Explore streams the renderer's default quality: a frame is, pixel for pixel, what rendering the same
    world at the same moment from the same camera with every pass gives (as render.image and sequence.render
    do); only the passes read differ."""
    s = session()
    s.handle({"type": "keys", "down": ["KeyW"]})
    for _ in range(30):
        s.tick(1 / 24)
    streamed = s.render()
    shot = s.renderer.render(s.world_now(), s.camera())
    assert streamed.semantic_hw is None and shot.semantic_hw is not None
    assert np.array_equal(streamed.rgb_hw3, shot.rgb_hw3)
    assert s.renderer.settings == type(s.renderer.settings)()  # the shots' settings, no other tier


def test_a_recorded_session_replays_the_agents_as_they_were_lived(full_registry, tmp_path) -> None:
    """The scripted session (the one workflows/explore_replay.json keeps): the hiker walks round the viewer
    standing in its way; the recording's nodes, run by the executor, move the hiker the same, bit for bit, at
    every frame (the viewer's path is in the script, at the digits the agents saw it live)."""
    from oyster_nodes.cache import Cache
    from oyster_nodes.executor import Executor, RunOptions
    from oyster_nodes.world import save_world
    from oyster_nodes.world.explore import scripted
    from oyster_nodes.world.simulate.agents import KEEP_M

    events = parse_script(scripted.session_script(30.0, 30.0), english=False).events
    s = ExploreSession(flat(), component(RENDERER), events=events, settings=SMALL, start=(30.0, 30.0),
                       encoder=component(TEXT_ENCODER))
    lived: dict[int, tuple[np.ndarray, tuple[float, float]]] = {}

    def watch(s: ExploreSession) -> None:
        lived[s.sample.frame] = (s.sample.agent_pos_a3[0].copy(), (s.walker.pose.x, s.walker.pose.y))

    scripted.play(s, 36.0, watch=watch)  # the hiker walks round the viewer (8-15 s) and runs from a blast (34 s)
    gap = min(float(np.hypot(*(pos[:2] - np.asarray(eye)))) for pos, eye in lived.values())
    assert KEEP_M - 0.1 < gap < 1.5 and max(abs(pos[1] - 50.0) for pos, _ in lived.values()) > 0.8  # it went round
    nodes = s.recording_nodes()
    script = nodes["actions"]["params"]["script"]
    assert "viewer path=(" in script and "id=crate3" in script and " blast " in script
    save_world(flat(), tmp_path / "flat.oyworld.safetensors")

    def replay(script: str) -> np.ndarray:
        doc = {"format": "oyster-workflow", "version": 1, "nodes": [
            {"id": "load", "type": "world.load", "params": {"path": "flat.oyworld.safetensors"}},
            {"id": "cam", "type": "camera.keyframes", "params": nodes["camera"]["params"]},
            {"id": "acts", "type": "action.script", "params": {**nodes["actions"]["params"], "script": script}},
            {"id": "sim", "type": "simulate.run", "params": {"duration_s": nodes["camera"]["params"]["duration_s"]}},
        ], "links": [
            {"from_node": "load", "from_output": "world", "to_node": "cam", "to_input": "world"},
            {"from_node": "load", "from_output": "world", "to_node": "sim", "to_input": "world"},
            {"from_node": "acts", "from_output": "script", "to_node": "sim", "to_input": "script"},
        ]}
        result = Executor(Cache()).run(build(parse_data(doc), full_registry), RunOptions(out_dir=tmp_path))
        assert result.ok, result.errors
        timeline = result.outputs["sim"]["timeline"]
        assert [a.id for a in timeline.agents] == ["hiker"]
        return timeline.agent_pos_fa3[:, 0]

    shot = replay(script)
    frames = [f for f in lived if f < len(shot)]
    assert len(frames) >= 850 and all(np.array_equal(shot[f], lived[f][0]) for f in frames)
    blind = replay("\n".join(x for x in script.splitlines() if " viewer " not in x))  # the script without the viewer
    assert max(float(np.abs(blind[f] - lived[f][0]).max()) for f in frames) > 0.5


def test_a_scripted_viewer_is_walked_round_and_its_path_is_read_between_points() -> None:
    from oyster_nodes.world.simulate.agents import KEEP_M
    from oyster_nodes.world.simulate.run import SimSettings, SimulationError, WorldSession, simulate, viewer_at

    walk = "at 0s spawn character hiker pos=20,30\nfrom 0s to 8s move hiker to=40,30\n"
    settings = SimSettings(duration_s=8.0, fps=24)
    blind = simulate(flat(), parse_script(walk, english=False).events, settings).agent_pos_fa3[:, 0]
    seen = simulate(flat(), parse_script(walk + "from 0s to 8s viewer path=(30,30.2)", english=False).events,
                    settings).agent_pos_fa3[:, 0]
    assert np.abs(blind[:, 1] - 30.0).max() < 1e-9  # straight through where nobody stands ...
    assert np.hypot(seen[:, 0] - 30.0, seen[:, 1] - 30.2).min() >= KEEP_M - 1e-6  # ... round the viewer
    assert seen[-1, 0] > 35.0 and np.abs(seen[:, 1] - 30.0).max() > 0.5
    paths = parse_script("from 1s to 3s viewer path=(10,10),(20,10),(20,30)", english=False).events
    assert viewer_at(paths, 2.5, 0.01).tolist() == [20.0, 20.0]  # halfway along the second leg
    assert viewer_at(paths, 2.0, 0.01).tolist() == [20.0, 10.0] and viewer_at(paths, 3.5, 0.01) is None
    session = WorldSession(flat(), [], settings)
    with pytest.raises(SimulationError, match="viewer path is part of a script"):
        session.apply({"kind": "viewer", "end": 2.0, "path": [[1.0, 2.0]]})
    s = flat_session()
    reply = s.handle({"type": "say", "text": "from 0s to 1s viewer path=(3,3)"})
    assert reply["ok"] is False and "the viewer is you" in reply["error"]


def _gift_world(tmp_path) -> object:  # noqa: ANN001
    import trimesh

    from oyster_nodes.world.edit.meshimport import import_mesh

    trimesh.creation.box(extents=(0.6, 0.4, 0.5)).export(str(tmp_path / "gift.glb"))
    return import_mesh(flat(), tmp_path / "gift.glb", x=40.0, y=40.0)


def test_an_imported_mesh_is_spawned_live_by_name_and_replays_from_the_recording(tmp_path) -> None:  # noqa: ANN001
    from oyster_nodes.world.simulate.run import SimSettings, simulate

    world = _gift_world(tmp_path)
    s = ExploreSession(world, component(RENDERER), settings=SMALL, start=(30.0, 30.0),
                       events=parse_script("at 0s spawn box cart pos=30,40 size=2,1.2,0.6", english=False).events,
                       encoder=component(TEXT_ENCODER))
    states(s, 12)
    for text, where in (("the product here", (30.0, 32.5)), ("a gift.glb on the cart", (30.0, 40.0)),
                        ("two gifts there", None)):
        reply = s.handle({"type": "say", "text": text})
        assert reply["ok"] and all(d["event"]["shape"] == "mesh" for d in reply["did"]), (text, reply)
        if where:
            assert reply["did"][0]["event"]["pos"][:2] == pytest.approx(where, abs=0.05), text
    states(s, 36)
    gifts = [k for k, b in enumerate(s.sim.bodies) if b.shape == "mesh"]
    assert [s.sim.bodies[k].id for k in gifts] == ["gift1", "gift2", "gift3", "gift4"]
    first, on_cart = (s.sample.body_pos_b3[gifts[k]] for k in (0, 1))
    assert first[2] == pytest.approx(float(heights_at(world, first[None, :2])[0]), abs=0.02)  # rests on the ground
    assert on_cart[2] == pytest.approx(body(s, "cart")[2] + 0.3, abs=0.03)  # ... and on the cart's top
    assert np.array_equal(s.render().rgb_hw3, s.renderer.render(s.world_now(), s.camera()).rgb_hw3)
    script = s.recording_nodes()["actions"]["params"]["script"]
    assert script.count("spawn shape=mesh") == 4 and "mesh=gift-1" in script
    timeline = simulate(world, parse_script(script, english=False).events, SimSettings(duration_s=2.5, fps=24))
    for k in gifts:
        again = timeline.body_pos_fb3[s.sim.frame - 1, [b.id for b in timeline.bodies].index(s.sim.bodies[k].id)]
        assert np.allclose(again, s.sample.body_pos_b3[k], atol=0.05)  # the live spare and the scripted body agree
    reply = s.handle({"type": "say", "text": "a gift here"})
    assert reply["ok"] is False and "no spare 'gift-1' left" in reply["error"], reply  # four spares each


def test_an_unknown_or_broken_mesh_gets_a_clear_answer_and_the_session_goes_on(tmp_path) -> None:  # noqa: ANN001
    import dataclasses

    from oyster_nodes.world.state.records import MeshPlacement

    world = _gift_world(tmp_path)
    broken = MeshPlacement(id="lamp-1", name="lamp.obj", pos=(50.0, 50.0, 10.0))  # no geometry in the world
    world = dataclasses.replace(world, meshes=[*world.meshes, broken])
    s = ExploreSession(world, component(RENDERER), settings=SMALL, start=(30.0, 30.0), encoder=component(TEXT_ENCODER))
    for text, expect in (("a chair.glb here", "'chair.glb' is not imported into this world"),
                         ("a lamp here", "'lamp-1' has no geometry"), ("the product here", "which product?")):
        reply = s.handle({"type": "say", "text": text})
        assert reply["ok"] is False and expect in reply["error"], (text, reply)
    assert "mesh import node" in s.handle({"type": "say", "text": "a chair.glb here"})["error"]
    reply = s.handle({"type": "event", "event": {"kind": "spawn", "shape": "mesh", "mesh": "teapot", "pos": [31, 31]}})
    assert reply["ok"] is False and "no imported mesh 'teapot'" in reply["error"]
    assert s.handle({"type": "say", "text": "a gift here"})["ok"]  # the session goes on
    plain = flat_session(encoder=component(TEXT_ENCODER))
    reply = plain.handle({"type": "say", "text": "the product here"})
    assert reply["ok"] is False and "imports no mesh" in reply["error"]
