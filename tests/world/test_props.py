"""Named props: read with their counts, generated where they make sense, framed, rendered and exported."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from oyster_nodes.io.exporters.glb import world_glb
from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot
from oyster_nodes.world.generate.props import wants_flowers
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.flowers import FLOWER_COLOURS, flower_look
from oyster_nodes.world.render.meshes import instance_mesh, look_of
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

W, H = 320, 180
KIND = {name: i for i, name in enumerate(INSTANCE_KINDS)}
SMALL = GenerateConfig(size_m=256.0)


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text), None)


def of_kind(world: WorldState, kind: str) -> np.ndarray:
    return world.inst_xyz[world.inst_kind == KIND[kind]].astype(np.float64)


def instance_share(world: WorldState, image: object, kind: str) -> float:
    """Share of the frame that shows instances of one kind (from the instance pass)."""
    ids = image.instance_hw.astype(np.int64)  # type: ignore[attr-defined]
    n = len(world.inst_kind)
    table = np.r_[False, world.inst_kind == KIND[kind]]
    return float(table[np.clip(ids, 0, n) * ((ids >= 1) & (ids <= n))].mean())


@pytest.mark.parametrize(("text", "props", "structures"), [
    ("a desert outpost with crates and barrels", {"crates": 8, "barrels": 8}, {}),
    ("a crate by the road", {"crates": 1}, {"road": 1}),
    ("three barrels and a lamp", {"barrels": 3, "lamps": 1}, {}),
    ("the ruins of a castle", {}, {"ruins": 1}),
    ("a ranch with a horse paddock", {}, {"fences": 1}),
])
def test_plural_prop_words_ask_for_several(text: str, props: dict[str, int], structures: dict[str, int]) -> None:
    spec = read(text)
    assert {k: v for k, v in spec.props.items() if k != "rocks"} == props
    assert {k: v for k, v in spec.structures.items() if k in structures} == structures


def test_crates_and_barrels_pile_up_beside_the_houses_in_the_asked_numbers() -> None:
    spec = WorldSpec(terrain="plains", structures={"house": 2, "road": 1}, props={"crates": 5, "barrels": 3})
    world = generate_world(spec, 4, SMALL)
    crates, barrels = of_kind(world, "crate"), of_kind(world, "barrel")
    assert len(crates) == 5 and len(barrels) == 3
    houses = np.array([[s.x, s.y] for s in world.structures if s.kind == "house"])
    for p in np.concatenate([crates, barrels]):
        assert np.hypot(*(houses - p[:2]).T).min() < 14.0  # by a house, not scattered over the world
        i, j = int(round(p[1] / world.cell_m)), int(round(p[0] / world.cell_m))
        assert world.material_hw[i, j] != MATERIALS.index("road")
    ground = np.array([world.height_at(float(x), float(y)) for x, y, _ in crates])
    assert (crates[:, 2] - ground > 0.5).any()  # some crates stand on others: a stack


def test_props_with_nothing_to_stand_by_gather_round_the_middle_and_are_framed() -> None:
    world = generate_world(WorldSpec(terrain="plains", props={"crates": 6}), 2, SMALL)
    crates = of_kind(world, "crate")
    assert len(crates) == 6 and np.ptp(crates[:, 0]) < 30.0 and np.ptp(crates[:, 1]) < 30.0
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "props" and "crates" in shot.subject.label
    assert np.linalg.norm(np.asarray(shot.camera.position)[:2] - crates[:, :2].mean(axis=0)) < 60.0


def test_an_arena_is_ringed_by_a_closed_fence_line(renderer: Renderer) -> None:
    spec = WorldSpec(text="an arena in a grassy plain ringed by a fence", terrain="plains",
                     structures={"fences": 1}, vegetation={"grass": 0.5})
    world = generate_world(spec, 5, SMALL)
    fence = of_kind(world, "fence")
    centre = fence[:, :2].mean(axis=0)
    r = np.hypot(*(fence[:, :2] - centre).T)
    assert len(fence) >= 40 and r.std() < 0.05 * r.mean()  # a ring
    gaps = np.hypot(*np.diff(np.r_[fence[:, :2], fence[:1, :2]], axis=0).T)
    assert np.median(gaps) == pytest.approx(2.5, abs=0.3)  # span after span, post to post
    yaw = world.inst_yaw[world.inst_kind == KIND["fence"]]
    tangent = np.c_[np.cos(yaw), np.sin(yaw)]
    radial = (fence[:, :2] - centre) / r[:, None]
    assert np.abs((tangent * radial).sum(axis=1)).max() < 0.2  # each span runs along the ring
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "props"
    img = renderer.render(world, shot.camera)
    assert instance_share(world, img, "fence") >= 0.002


def test_fences_by_a_farm_enclose_fields_beside_its_buildings() -> None:
    spec = WorldSpec(text="a farm with fences", terrain="plains", structures={"house": 2, "fences": 1})
    world = generate_world(spec, 7, SMALL)
    fence = of_kind(world, "fence")
    houses = np.array([[s.x, s.y] for s in world.structures if s.kind == "house"])
    assert len(fence) >= 20
    assert np.hypot(*(fence[:, None, :2] - houses[None]).transpose(2, 0, 1)).min(axis=1).max() < 60.0


def test_lavender_fields_are_dense_purple_rows_by_the_farmhouse(renderer: Renderer) -> None:
    text = "lavender fields and a stone farmhouse"
    spec = WorldSpec(text=text, terrain="plains", structures={"house": 1}, vegetation={"flowers": 0.6, "grass": 0.5})
    world = generate_world(spec, 3, SMALL)
    flowers = of_kind(world, "flower")
    house = next(s for s in world.structures if s.kind == "house")
    near = np.hypot(flowers[:, 0] - house.x, flowers[:, 1] - house.y) < 90.0
    assert near.sum() >= 1000
    assert look_of(world.spec, "flower") == "lavender"
    mesh = instance_mesh("flower", 0, "lavender")
    purple = np.isclose(mesh.col, FLOWER_COLOURS["lavender"][0], atol=1e-3).all(axis=1)
    assert purple.mean() > 0.2
    shot = frame_shot(world, width=W, height=H)
    img = renderer.render(world, shot.camera)
    assert instance_share(world, img, "flower") >= 0.005


def test_a_meadow_of_wildflowers_is_framed_close_enough_to_read(renderer: Renderer) -> None:
    spec = WorldSpec(text="a wide prairie full of wildflowers", terrain="plains",
                     vegetation={"flowers": 0.9, "grass": 0.9})
    world = generate_world(spec, 1, SMALL)
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "props" and "flowers" in shot.subject.label
    img = renderer.render(world, shot.camera)
    assert instance_share(world, img, "flower") >= 0.005


@pytest.mark.parametrize(("text", "look"), [("red poppies", "poppy"), ("tulip fields", "tulip"),
                                             ("a meadow of flowers", "wild"), ("a green meadow", ""),
                                             ("cherry trees in flower", ""), ("flowering cherry trees", "")])
def test_the_flower_words_set_the_flowers_look(text: str, look: str) -> None:
    assert flower_look(text) == look
    assert wants_flowers(text) == bool(look)  # trees in flower are blossom on the trees, not fields of flowers


def test_plain_meadows_keep_their_flowers_as_they_were() -> None:
    spec = WorldSpec(text="rolling hills", terrain="hills", vegetation={"flowers": 0.2, "grass": 0.5})
    world = generate_world(spec, 1, SMALL)
    assert look_of(world.spec, "flower") == ""
    assert len(of_kind(world, "flower")) < 2000  # the biome's few, no fields


def test_props_generate_the_same_bytes_twice_and_export_in_the_glb() -> None:
    spec = WorldSpec(text="a farm with fences, crates and barrels", terrain="plains",
                     structures={"house": 1, "fences": 1}, props={"crates": 4, "barrels": 2})
    a, b = generate_world(spec, 9, SMALL), generate_world(spec, 9, SMALL)
    assert a.content_hash() == b.content_hash()
    data, info = world_glb(a)
    n = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + n])
    names = {node.get("name") for node in doc["nodes"]}
    assert {"fence_instances", "crate_instances", "barrel_instances"} <= names
    assert info.instances == len(a.inst_kind)


def test_no_flower_fields_where_the_prompt_leaves_flowers_out() -> None:
    spec = read("a meadow without flowers")
    world = generate_world(spec, 1, SMALL)
    assert "flowers" in spec.excluded
    assert len(of_kind(world, "flower")) == 0


@pytest.mark.parametrize("landmark", ["windmill", "tower"])
def test_a_village_gathers_round_the_landmark_named_with_it(landmark: str) -> None:
    spec = WorldSpec(terrain="plains", structures={"village": 1, landmark: 1})
    world = generate_world(spec, 6, GenerateConfig(size_m=1024.0, cell_m=2.0))
    mark = next(s for s in world.structures if s.kind == landmark)
    houses = np.array([[s.x, s.y] for s in world.structures if s.kind == "house"])
    assert len(houses) >= 10
    assert np.hypot(*(houses - (mark.x, mark.y)).T).min() < 120.0  # one shot holds the landmark and the houses


def test_a_harbours_crates_are_stacked_on_its_deck() -> None:
    spec = WorldSpec(text="a fishing harbour with crates", terrain="hills", shore="coast", water=["ocean"],
                     structures={"harbour": 1}, props={"crates": 4})
    world = generate_world(spec, 2, GenerateConfig(size_m=512.0))
    deck = next(s for s in world.structures if s.kind in ("quay", "pier"))
    crates = of_kind(world, "crate")
    assert len(crates) == 4
    assert np.hypot(crates[:, 0] - deck.x, crates[:, 1] - deck.y).max() < deck.w / 2
    assert crates[:, 2].min() == pytest.approx(deck.z + deck.h, abs=1e-3)  # on the planks, not in the water


def test_flower_fields_line_the_road_where_no_house_stands() -> None:
    spec = WorldSpec(text="sunflower fields along a road", terrain="plains", structures={"road": 1},
                     vegetation={"flowers": 0.6})
    world = generate_world(spec, 2, SMALL)
    flowers = of_kind(world, "flower")[:, :2]
    road = np.concatenate([p.points_n3[:, :2] for p in world.paths if p.kind == "road"])
    gap = np.hypot(*(flowers[:, None, :] - road[None, ::4, :]).transpose(2, 0, 1)).min(axis=1)
    assert (gap < 50.0).sum() >= 2000 and (gap > 2.0).all()  # fields beside the road, none on it
