"""Boats float at the water level, clear of the land and of each other; harbours reach from the land over the
water; cars have bodies chosen by the prompt's words. Checked on generated worlds, the meshes and a render."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot, subjects
from oyster_nodes.world.generate.boats import BOAT_KINDS, boat_plan, harbour_kind, kind_of_words, overlaps
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.meshes import (
    STRUCTURE_BUILDERS,
    VEHICLE_BODIES,
    VEHICLE_PAINT,
    VEHICLE_SIZES,
    Mesh,
    _vehicle,
    instance_mesh,
    look_of,
    merge,
    vehicle_body,
)
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Structure
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES, WorldState

CFG = GenerateConfig(size_m=512.0, cell_m=1.0)
SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


def boats(world: WorldState) -> list[Structure]:
    return [s for s in world.structures if s.kind in BOAT_KINDS]


def corners(s: Structure, w: float | None = None) -> np.ndarray:
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    w = s.w if w is None else w
    local = np.array([[a * w / 2, b * s.d / 2] for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    return local @ np.array([[c, -sn], [sn, c]]).T + (s.x, s.y)


def cell(world: WorldState, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    j = np.clip(np.round(xy[..., 0] / world.cell_m).astype(int), 0, world.n - 1)
    i = np.clip(np.round(xy[..., 1] / world.cell_m).astype(int), 0, world.n - 1)
    return world.water_hw[i, j], world.height_hw[i, j]


# ------------------------------------------------------------------------------------------- reading


def test_boat_words_give_kinds_counts_and_colour() -> None:
    s = read("three red fishing boats and a ferry in a bay")
    assert s.structures["boat"] == 4 and s.modifiers["boat"] == "red"
    assert sorted(boat_plan(s)) == ["ferry", "fishing_boat", "fishing_boat", "fishing_boat"]
    assert "road" not in s.structures  # boats are not buildings that want a road
    lake = read("a rowing boat on a misty lake")
    assert boat_plan(lake) == ["rowboat"] and lake.shore == "none" and "lake" in lake.water
    assert boat_plan(read("boats on a lake")) == ["rowboat"] * 4  # a bare "boat" on a lake rows
    assert boat_plan(read("boats in a marina")) == ["sailboat"] * 4
    assert kind_of_words("yachts", "x") == "sailboat" and kind_of_words("boat", "x") == "x"


def test_a_harbour_is_read_and_brings_its_water() -> None:
    s = read("a wooden jetty")
    assert s.structures["harbour"] == 1 and s.shore == "coast" and harbour_kind(s) == "pier"
    assert any("added a coast" in n for n in s.notes)
    town = read("a harbour town at sunset with fishing boats")
    assert harbour_kind(town) == "quay" and town.structures["boat"] == 4
    assert {"subject": "village", "relation": "near", "object": "coast"} in town.relations
    marina = read("a marina at dusk")  # a working harbour has boats in it, a bare jetty need not
    assert boat_plan(marina) == ["sailboat"] * 3 and any("moored 3 boats" in n for n in marina.notes)
    assert "boat" not in s.structures and "boat" not in read("a harbour with no boats").structures


# ------------------------------------------------------------------------------------------- generation


@pytest.fixture(scope="module")
def harbour_world() -> WorldState:
    return generate_world(read("a fishing harbour with five fishing boats, a sailing boat and a ferry"), 5, CFG)


def test_boats_float_at_the_water_level_and_never_on_land(harbour_world: WorldState) -> None:
    found = boats(harbour_world)
    assert sorted(b.kind for b in found) == ["ferry", "fishing_boat", "fishing_boat", "fishing_boat", "fishing_boat",
                                             "fishing_boat", "sailboat"]
    for b in found:
        level, ground = cell(harbour_world, np.array([b.x, b.y]))
        assert np.isfinite(level) and b.z == pytest.approx(float(level), abs=1e-3)
        assert level - ground >= BOAT_KINDS[b.kind].depth * 0.85  # deep enough for its keel
        rim_level, rim_ground = cell(harbour_world, corners(b))
        assert np.isfinite(rim_level).all() and (rim_level > rim_ground).all()  # no corner on land
    for a in range(len(found)):
        for b in range(a + 1, len(found)):
            assert not overlaps(corners(found[a]), corners(found[b]), 0.5)


def test_a_harbour_reaches_from_the_land_over_the_water(harbour_world: WorldState) -> None:
    piers = [s for s in harbour_world.structures if s.kind == "pier"]
    assert len(piers) == 1 and any(s.kind == "quay" for s in harbour_world.structures)
    p = piers[0]
    c, sn = math.cos(p.yaw), math.sin(p.yaw)
    root = np.array([p.x - c * p.w / 2, p.y - sn * p.w / 2])
    tip = np.array([p.x + c * p.w / 2, p.y + sn * p.w / 2])
    assert not np.isfinite(cell(harbour_world, root)[0])  # its root on the shore
    level, ground = cell(harbour_world, tip)
    assert np.isfinite(level) and level - ground >= 1.5  # its tip over water deep enough to moor at
    moored = [b for b in boats(harbour_world) if np.hypot(b.x - p.x, b.y - p.y) < p.w]
    assert len(moored) >= 3  # boats lie along it
    for b in boats(harbour_world):
        assert not overlaps(corners(b), corners(p), 0.2)


def test_boats_and_harbours_are_deterministic(harbour_world: WorldState) -> None:
    again = generate_world(read("a fishing harbour with five fishing boats, a sailing boat and a ferry"), 5, CFG)
    assert [s.to_json() for s in again.structures] == [s.to_json() for s in harbour_world.structures]


def test_no_water_no_boats_and_a_rowing_boat_on_its_lake() -> None:
    dry = generate_world(WorldSpec(terrain="dunes", structures={"boat": 2}), 1, CFG)
    assert not boats(dry)
    lake = generate_world(read("a rowing boat on a calm lake"), 2, CFG)
    (b,) = boats(lake)
    assert b.kind == "rowboat" and b.z > 1.0  # the lake's level, not the sea's


# ------------------------------------------------------------------------------------------- framing


def test_named_boats_are_the_still_subject_and_show_in_the_passes(renderer: Renderer) -> None:
    world = generate_world(read("three fishing boats moored at a wooden jetty"), 4, CFG)
    first = subjects(world)[0]
    assert first.kind == "structure" and ("fishing_boat" in first.label or "pier" in first.label)
    shot = frame_shot(world, width=320, height=180)
    img = renderer.render(world, shot.camera)
    lo, hi = img.info["id_ranges"]["structures"]
    ids = [lo + k for k, s in enumerate(world.structures) if s.kind in BOAT_KINDS]
    shown = np.isin(img.instance_hw.astype(np.int64), ids)
    assert shown.mean() >= 0.002 and (img.semantic_hw[shown] == SEM["structure"]).all()


# ------------------------------------------------------------------------------------------- meshes


def closed(m: Mesh) -> float:
    """Share of the edges (by welded positions) that two or more triangles share."""
    key = np.round(m.pos.astype(np.float64), 4)
    _, idx = np.unique(key, axis=0, return_inverse=True)
    tri = idx.reshape(-1, 3)
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return float((counts >= 2).mean())


@pytest.mark.parametrize("kind", [*BOAT_KINDS, "pier", "quay"])
def test_boat_and_harbour_meshes_are_sane(kind: str) -> None:
    size = BOAT_KINDS[kind] if kind in BOAT_KINDS else None
    w, d, h = (size.length, size.beam, size.height) if size else (40.0, 4.0, 1.4)
    m = merge(STRUCTURE_BUILDERS[kind](w, d, h, (0.3, 0.05, 0.04)))
    assert 50 <= m.triangles <= 1500 and np.isfinite(m.pos).all() and np.isfinite(m.nrm).all()
    assert m.pos[:, 2].max() == pytest.approx(h + (0.9 if kind == "pier" else 0.6 if kind == "quay" else 0.0), abs=0.3)
    assert closed(m) >= 0.9
    assert (np.abs(m.pos[:, 0]) <= w / 2 + 0.6).all()


@pytest.mark.parametrize("body", VEHICLE_BODIES)
def test_car_bodies_are_closed_wheeled_and_cheap(body: str) -> None:
    near, far = _vehicle(0, VEHICLE_PAINT["blue"], body), _vehicle(1, VEHICLE_PAINT["blue"], body)
    assert 100 <= near.triangles <= 700 and far.triangles <= 0.5 * near.triangles
    assert np.allclose(near.col[0], VEHICLE_PAINT["blue"])  # the paint is the body's
    assert (near.part == 3.0).any() and (near.part == 2.0).any()  # windows and lamps
    assert closed(near) >= 0.95 and np.isfinite(near.pos).all()
    length, width, height = VEHICLE_SIZES[body]
    ext = near.pos.max(axis=0) - near.pos.min(axis=0)
    assert ext[0] == pytest.approx(length, abs=0.3) and ext[1] == pytest.approx(width, abs=0.2)
    assert ext[2] == pytest.approx(height, abs=0.1) and near.pos[:, 2].min() >= -1e-3
    dark = np.all(near.col < 0.05, axis=1) & (near.pos[:, 2] < 0.9)
    assert dark.sum() >= 4 * 30  # four (or more) dark tyres


def test_the_prompt_words_choose_the_car_body() -> None:
    cases = {"a red pickup truck on a desert highway": "pickup", "an SUV on a muddy forest track": "suv",
             "a rugged 4x4 on a gravel road": "suv", "a sleek sports coupe": "sports", "a city bus": "bus",
             "a lorry on the motorway": "truck", "a white van": "van", "a black car at night": "sedan",
             "a road through hills": "sedan"}
    for text, body in cases.items():
        assert vehicle_body(text) == body, text
    look = look_of(read("a red pickup truck on a desert highway").to_dict(), "vehicle")
    assert look == "red:pickup"
    pickup, sedan = instance_mesh("vehicle", 0, look), instance_mesh("vehicle", 0, "red:sedan")
    assert pickup.triangles != sedan.triangles and np.allclose(pickup.col[0], VEHICLE_PAINT["red"])


def test_a_car_by_a_house_parks_beside_it_not_inside_it() -> None:
    spec = read("a white van parked by a farmhouse")
    for seed in range(4):
        world = generate_world(spec, seed, GenerateConfig(size_m=256.0))
        cars = world.inst_xyz[world.inst_kind == 12]
        assert len(cars) == 1, seed
        for s in world.structures:
            local = np.abs(np.array([[math.cos(s.yaw), math.sin(s.yaw)], [-math.sin(s.yaw), math.cos(s.yaw)]])
                           @ (cars[0, :2] - (s.x, s.y)))
            assert (local > (s.w / 2, s.d / 2)).any()  # outside the footprint


def test_boats_the_water_cannot_hold_are_reported_by_the_node() -> None:
    from oyster_nodes.builtin.world import WorldGenerate

    from ..params import checked_params, node_context

    ctx = node_context(node_id="world")
    spec = WorldSpec(terrain="dunes", structures={"boat": 2, "harbour": 1})
    world = WorldGenerate().run(ctx, spec=spec, **checked_params(WorldGenerate, size_m=256.0, seed=1))
    assert not boats(world)
    assert any("2 boats asked, 0 placed" in w and "1 harbours asked, 0 built" in w for w in ctx.warnings)
    ok = node_context(node_id="world")
    WorldGenerate().run(ok, spec=read("a rowing boat on a calm lake"), **checked_params(WorldGenerate, size_m=512.0))
    assert not ok.warnings


def test_the_framing_sizes_a_vehicle_by_its_body() -> None:
    bus = generate_world(read("a city bus on a road through fields"), 2, GenerateConfig(size_m=256.0))
    car = generate_world(read("a car on a road through fields"), 2, GenerateConfig(size_m=256.0))
    (vb,), (vc,) = [[s for s in subjects(w) if s.kind == "vehicle"] for w in (bus, car)]
    assert vb.width_m == pytest.approx(VEHICLE_SIZES["bus"][0], rel=0.06)
    assert vc.width_m == pytest.approx(VEHICLE_SIZES["sedan"][0], rel=0.06)


def test_the_renderer_keeps_a_gpu_copy_per_car_body_and_paint() -> None:
    import dataclasses

    from oyster_nodes.world.render.gpu_scene import static_hash

    world = generate_world(WorldSpec(text="a car", terrain="plains", structures={"road": 1}, props={"vehicles": 1}), 3,
                           GenerateConfig(size_m=256.0))
    spec = world.spec or {}
    bus = dataclasses.replace(world, spec={**spec, "text": "a bus"})
    black = dataclasses.replace(world, spec={**spec, "modifiers": {"vehicle": "black"}})
    assert len({static_hash(world), static_hash(bus), static_hash(black)}) == 3
    assert static_hash(dataclasses.replace(world, spec={**spec, "text": "a car at dusk"})) == static_hash(world)
