"""Vehicles framed as a commercial would: as many as the prompt names, whole with room around them, not behind a
tree; and a town's outskirts framed by its houses, not downtown's towers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import _blockers, covered, frame_shot, subjects
from oyster_nodes.world.generate.world import generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.meshes import VEHICLE_SIZES, vehicle_body, vehicle_looks
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, WorldState

VEHICLE = INSTANCE_KINDS.index("vehicle")
TREES = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf")]
W, H = 320, 180


def world_of(text: str, seed: int = 7) -> WorldState:
    return generate_world(spec_from_prompt(Prompt(text=text, seed=seed), None), seed)


def hidden_in_render(img: object, world: WorldState, cam: Camera, pts: np.ndarray) -> float:
    """Share of the subject's box in the frame that other things nearer the camera than all of it cover."""
    uv, depth = cam.project(pts)
    lo = np.clip(uv.min(axis=0), 0, (cam.width - 1, cam.height - 1)).astype(int)
    hi = np.clip(uv.max(axis=0), 0, (cam.width - 1, cam.height - 1)).astype(int)
    ids = img.instance_hw[lo[1]:hi[1] + 1, lo[0]:hi[0] + 1]  # type: ignore[attr-defined]
    near = img.depth_hw[lo[1]:hi[1] + 1, lo[0]:hi[0] + 1] < depth.min()  # type: ignore[attr-defined]
    mine = np.isin(ids, np.nonzero(world.inst_kind == VEHICLE)[0] + 1)
    return float((near & (ids > 0) & ~mine).mean())


@pytest.mark.parametrize(("text", "looks"), [
    ("car commercial: a red sports car on a winding mountain road at sunset", [("red", "sports")]),
    ("a car commercial on a coastal road", [("", "sedan")]),
    ("a red double-decker bus on a busy city street", [("red", "double_decker")]),
    ("a double decker tour bus by the sea", [("", "double_decker")]),
    ("a taxi, a bus and a van", [("yellow", "sedan"), ("", "bus"), ("", "van")]),
    ("a red pickup and a blue sedan", [("red", "pickup"), ("blue", "sedan")]),
])
def test_each_named_vehicle_is_one_vehicle(text: str, looks: list[tuple[str, str]]) -> None:
    assert vehicle_looks(text) == looks
    assert vehicle_body(text) == looks[0][1]


def test_a_car_commercial_with_one_car_has_exactly_one_car() -> None:
    text = "car commercial: a red sports car on a winding mountain road at sunset, pine forest below"
    spec = spec_from_prompt(Prompt(text=text, seed=7), None)
    assert spec.props["vehicles"] == 1
    world = generate_world(spec, 7)
    assert int((world.inst_kind == VEHICLE).sum()) == 1


@pytest.fixture(scope="module")
def forest_road() -> WorldState:
    return world_of("a red car on a country road through a dense pine forest")


def test_the_cover_estimate_agrees_with_the_render(forest_road: WorldState, renderer: Renderer) -> None:
    s = subjects(forest_road)[0]
    assert s.kind == "vehicle"
    trees = forest_road.inst_xyz[np.isin(forest_road.inst_kind, TREES)].astype(np.float64)
    d = np.hypot(*(trees[:, :2] - s.centre[:2]).T)
    tree = trees[np.argsort(np.where(d > 8.0, d, np.inf))[0]]  # the nearest tree clear of the road
    away = (tree[:2] - s.centre[:2]) / np.linalg.norm(tree[:2] - s.centre[:2])
    xy = tree[:2] + 5.0 * away  # just behind that tree, looking at the car through it
    behind = Camera(position=(float(xy[0]), float(xy[1]), forest_road.height_at(*map(float, xy)) + 1.5),
                    target=tuple(float(v) for v in s.centre), width=W, height=H, near_m=0.1, far_m=4000.0)
    blockers = _blockers(forest_road, s, 80.0)
    est, real = covered(blockers, behind, s), hidden_in_render(renderer.render(forest_road, behind), forest_road,
                                                                 behind, s.points)
    assert real > 0.25 and est > 0.25, (est, real)
    shot = frame_shot(forest_road, width=W, height=H)
    est = covered(blockers, shot.camera, s)
    real = hidden_in_render(renderer.render(forest_road, shot.camera), forest_road, shot.camera, s.points)
    assert est < 0.1 and real < 0.1, (est, real, shot.note)


@pytest.mark.parametrize("text", [
    "car commercial: a red sports car on a winding mountain road at sunset, pine forest below",
    "a red double-decker bus on a busy city street",
    "a delivery van on a suburban street in the morning",
])
def test_a_vehicle_is_framed_whole_with_room_and_nothing_in_front(text: str, renderer: Renderer) -> None:
    world = world_of(text)
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "vehicle", shot.note
    img = renderer.render(world, shot.camera)
    ys, xs = np.nonzero(np.isin(img.instance_hw, np.nonzero(world.inst_kind == VEHICLE)[0] + 1))
    assert len(xs), shot.note
    assert xs.min() >= 0.02 * W and xs.max() <= 0.98 * W and ys.min() >= 0.02 * H and ys.max() <= 0.98 * H
    assert 0.15 <= (xs.max() - xs.min()) / W <= 0.65, shot.note  # a hero size, neither a speck nor filling it
    assert ys.mean() >= 0.45 * H  # on the ground in the lower half, the land it drives towards above
    assert hidden_in_render(img, world, shot.camera, shot.subject.points) < 0.1, shot.note


def test_a_bus_is_framed_from_farther_than_a_car(renderer: Renderer) -> None:
    bus = frame_shot(world_of("a red double-decker bus on a busy city street"), width=W, height=H)
    car = frame_shot(world_of("a red sedan on a busy city street"), width=W, height=H)
    far = [float(np.linalg.norm(np.asarray(s.camera.position) - s.subject.centre)) for s in (bus, car)]
    assert far[0] > 1.5 * far[1], far
    assert bus.subject.width_m == pytest.approx(VEHICLE_SIZES["double_decker"][0], rel=0.06)


def test_city_outskirts_are_framed_by_their_houses_not_downtown(renderer: Renderer) -> None:
    world = world_of("city outskirts at night: a village of many houses along roads, street lamps, open fields")
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "structure" and shot.subject.label.startswith("the house"), shot.note
    assert "street level" not in shot.note
    img = renderer.render(world, shot.camera)
    first = len(world.inst_kind) + 1
    ids = {k: [first + i for i, s in enumerate(world.structures) if s.kind == k] for k in ("house", "highrise")}
    house, tower = (float(np.isin(img.instance_hw, ids[k]).mean()) for k in ("house", "highrise"))
    assert house > 0.02 and house > 3.0 * tower, (house, tower, shot.note)
    lamps = np.isin(img.instance_hw, np.nonzero(world.inst_kind == INSTANCE_KINDS.index("lamp_post"))[0] + 1)
    assert lamps.any()
    cam = np.asarray(shot.camera.position[:2])
    towers = np.array([[s.x, s.y] for s in world.structures if s.kind == "highrise"])
    if len(towers):  # the camera stands out of town, not between the towers
        assert np.hypot(*(towers - cam).T).min() > 25.0
    assert math.isfinite(float(shot.camera.position[2]))
