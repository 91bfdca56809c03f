"""The setting a prompt names is in the picture: an outdoor product at the edge of its water with the water
behind it, swamp pools between the trees, a village and its bridge by the named river, a cliff-top building over
the sea, a waterside car's view over the water. Real generation and rendering of small worlds."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot
from oyster_nodes.world.edit.meshimport import import_mesh
from oyster_nodes.world.edit.setting import SHORE_M, named_water, setting_spot
from oyster_nodes.world.generate import riverside as rv
from oyster_nodes.world.generate import swamp as sw
from oyster_nodes.world.generate import terrain as tr
from oyster_nodes.world.generate import waterside as ws
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState

from .test_framing import box_glb

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180


@cache
def world_of(text: str, size_m: float = 512.0, seed: int = 3) -> WorldState:
    """The world a prompt reads as (lexical rules only), generated small."""
    spec = spec_from_prompt(Prompt(text=text, seed=seed), None)
    return generate_world(spec, seed, GenerateConfig(size_m=size_m, cell_m=1.0))


def water_distance(world: WorldState, x: float, y: float) -> float:
    wet = np.isfinite(world.water_hw)
    d = ndimage.distance_transform_edt(~wet) * world.cell_m
    return float(d[int(round(y / world.cell_m)), int(round(x / world.cell_m))])


@pytest.mark.parametrize("text", ["a thermos flask on a boulder beside a mountain lake, early morning",
                                  "a perfume bottle on a smooth rock by a calm sea at sunset",
                                  "a can of soda on the sand at the water's edge"])
def test_an_outdoor_product_stands_at_its_waters_edge_with_the_water_behind_it(
        renderer: Renderer, tmp_path: Path, text: str) -> None:
    world = world_of(text)
    c = world.size_m / 2
    assert water_distance(world, c, c) > 20.0  # the asked spot is far from the water: the product must move
    out = import_mesh(world, box_glb(tmp_path / "p.glb", (0.08, 0.08, 0.28)), x=c, y=c, yaw_deg=30.0)
    m = out.meshes[0]
    assert water_distance(out, m.pos[0], m.pos[1]) <= SHORE_M[1] + 2.5
    assert m.extra["setting"] in ("the lake", "the sea", "the water")
    shot = frame_shot(out, width=W, height=H)
    img = renderer.render(out, shot.camera)
    water = img.semantic_hw == SEM["water"]
    product = img.semantic_hw == SEM["mesh"]
    assert water.mean() >= 0.03 and product.mean() >= 0.03
    rows = np.nonzero(product.any(axis=1))[0]
    assert (rows.max() - rows.min() + 1) / H >= 0.25  # the product large
    # the water lies behind the product: farther from the camera than the product is
    assert float(np.median(img.depth_hw[water])) > float(np.median(img.depth_hw[product]))


def test_the_shown_side_faces_the_land(tmp_path: Path) -> None:
    world = world_of("a thermos flask on a boulder beside a mountain lake, early morning")
    c = world.size_m / 2
    out = import_mesh(world, box_glb(tmp_path / "p.glb", (0.08, 0.08, 0.28)), x=c, y=c, yaw_deg=0.0)
    m = out.meshes[0]
    front = np.array([math.sin(m.yaw), -math.cos(m.yaw)])
    toward = np.asarray(m.extra["toward"])
    assert float(front @ toward) < -0.99  # its front looks away from the water, at the camera on the land


def test_to_setting_off_keeps_x_and_y(tmp_path: Path) -> None:
    world = world_of("a thermos flask on a boulder beside a mountain lake, early morning")
    out = import_mesh(world, box_glb(tmp_path / "p.glb", (0.08, 0.08, 0.28)), x=256.0, y=256.0,
                      to_setting=False)
    assert out.meshes[0].pos[:2] == (256.0, 256.0) and "setting" not in out.meshes[0].extra


def test_a_spec_written_by_hand_names_no_setting() -> None:
    spec = WorldSpec(terrain="hills", water=["lake"], relief=0.6)
    world = generate_world(spec, 3, GenerateConfig(size_m=256.0))
    assert named_water(world) is None and setting_spot(world, 128.0, 128.0) is None


def test_a_product_in_a_forest_stands_in_a_clearing_ringed_by_trees(tmp_path: Path) -> None:
    world = world_of("a coffee mug on a tree stump in a pine forest")
    c = world.size_m / 2
    out = import_mesh(world, box_glb(tmp_path / "p.glb", (0.09, 0.09, 0.1)), x=c, y=c)
    m = out.meshes[0]
    trees = np.isin(out.inst_kind, [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf")])
    d = np.hypot(*(out.inst_xyz[trees, :2] - np.asarray(m.pos[:2])).T)
    assert d.min() >= 4.0 and (d < 26.0).sum() >= 12
    assert m.extra["setting"] == "the forest"


def test_swamp_pools_meet_the_mud_at_their_rims() -> None:
    n = 513
    h = (tr.fbm(np.random.default_rng(1), n, 24, 5) + 1.0).astype(np.float32) * 2.2
    level = np.full((n, n), np.nan, np.float32)
    pools = sw.dig_pools(h, level, np.random.default_rng(2), cell_m=1.0)
    assert 0.35 <= pools.mean() <= 0.6 and ndimage.label(pools)[1] >= 2  # pools, not one lake
    assert (h[pools] < level[pools]).all()
    # no sheet of water hangs over lower dry ground beside it
    edge = ndimage.binary_dilation(pools, structure=np.ones((3, 3))) & ~pools
    level_next = ndimage.grey_dilation(np.nan_to_num(level, nan=-1e9), size=(3, 3))
    assert float(np.max(level_next[edge] - h[edge])) <= 0.0


def test_a_swamp_world_has_standing_water_between_its_dead_trees() -> None:
    world = world_of("a swamp with dead trees and murky water", size_m=512.0)
    wet = np.isfinite(world.water_hw)
    assert 0.35 <= wet.mean() <= 0.6
    dead = world.inst_kind == INSTANCE_KINDS.index("dead_tree")
    ij = np.round(world.inst_xyz[dead, 1::-1] / world.cell_m).astype(int)
    assert dead.sum() > 20 and wet[ij[:, 0], ij[:, 1]].mean() < 0.05  # the trees stand between the pools


def test_a_village_named_with_a_river_stands_by_it_with_its_bridge() -> None:
    world = world_of("an open valley with a river, a wooden bridge and a small village", size_m=1024.0)
    houses = np.array([(s.x, s.y) for s in world.structures if s.kind == "house"])
    assert len(houses)
    river = next(p for p in world.paths if p.kind == "river").points_n3[:, :2]
    gap = np.hypot(*(houses[:, None, :] - river[None]).transpose(2, 0, 1)).min(axis=1)
    assert float(np.median(gap)) < 120.0
    centre = houses.mean(axis=0)
    bridges = [s for s in world.structures if s.kind == "bridge"]
    assert any(math.hypot(b.x - centre[0], b.y - centre[1]) < rv.BRIDGE_NEAR_M for b in bridges)
    bridge = min(bridges, key=lambda b: math.hypot(b.x - centre[0], b.y - centre[1]))
    assert float(np.hypot(*(river - (bridge.x, bridge.y)).T).min()) < 6.0  # it spans the river


def test_implied_relations() -> None:
    spec = WorldSpec(water=["river"], structures={"village": 1})
    assert {"subject": "village", "relation": "near", "object": "river"} in rv.implied_relations(spec)
    told = WorldSpec(water=["river"], structures={"village": 1},
                     relations=[{"subject": "village", "relation": "near", "object": "hills"}])
    assert rv.implied_relations(told) == told.relations  # the prompt's own word stands
    cliff = WorldSpec(water=["ocean"], structures={"ruins": 1},
                      relations=[{"subject": "ruins", "relation": "on", "object": "mountains"}])
    assert {"subject": "ruins", "relation": "overlooks", "object": "ocean"} in rv.implied_relations(cliff)


def test_a_building_on_a_cliff_over_the_sea_stands_high_and_by_the_sea() -> None:
    world = world_of("ruins of an old castle on a cliff over the sea", size_m=1024.0)
    ruin = next(s for s in world.structures if s.kind == "ruins")
    assert water_distance(world, ruin.x, ruin.y) < 150.0
    assert ruin.z > float(np.percentile(world.height_hw[world.height_hw > 0], 60))


def test_a_waterside_car_has_no_trees_between_it_and_its_camera_over_the_water() -> None:
    world = world_of("a sports coupe on a lakeside road at dawn")
    car = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle")][0]
    wet = np.isfinite(world.water_hw)
    _, (wi, wj) = ndimage.distance_transform_edt(~wet, return_indices=True)
    i, j = int(round(car[1])), int(round(car[0]))
    way = np.array([wj[i, j] - j, wi[i, j] - i], float)
    way /= np.linalg.norm(way)
    trees = np.isin(world.inst_kind, [INSTANCE_KINDS.index(k) for k in ws.BLOCKING])
    rel = world.inst_xyz[trees, :2] - car[:2]
    r = np.hypot(rel[:, 0], rel[:, 1])
    land = -(rel @ way) >= math.cos(math.radians(ws.CONE_DEG)) * r
    assert not ((r < ws.CLEAR_M - 2.0) & land).any()


def test_a_car_by_the_named_water_at_dawn_has_the_water_towards_the_sun() -> None:
    world = world_of("a sports coupe on a lakeside road at dawn")
    car = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle")][0]
    assert water_distance(world, float(car[0]), float(car[1])) <= ws.SPOT_WATER_M[1] + 8.0
    wet = np.isfinite(world.water_hw)
    ii, jj = np.nonzero(wet)
    near = np.hypot(jj * world.cell_m - car[0], ii * world.cell_m - car[1]) < 60.0
    way = np.array([jj[near].mean() * world.cell_m - car[0], ii[near].mean() * world.cell_m - car[1]])
    sun = np.asarray(world.env.sun_dir[:2], float)
    assert float(way @ sun) / (np.linalg.norm(way) * np.linalg.norm(sun)) > 0.0  # the water lies sunwards


def test_no_named_water_no_waterside_spot() -> None:
    roads = np.array([[100.0, 100.0], [120.0, 100.0]])
    water = np.full((257, 257), np.nan, np.float32)
    water[100:140, 100:140] = 1.0
    assert ws.vehicle_spot(roads, water, False, None, 1.0, 256.0) is None
    assert ws.vehicle_spot(roads, water, True, None, 1.0, 256.0) is None  # the road runs through the water
