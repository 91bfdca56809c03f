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
    assert s.world.env["weather"] == "rain"
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
