"""Named rock and snow are in the world: boulder fields, spires, sea stacks, rocky ground and coasts, snow cover."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot, subjects
from oyster_nodes.world.generate.outcrops import formation_mask, read_rock
from oyster_nodes.world.generate.snowcover import DRIFT, SNOW_SLOPE, wintry
from oyster_nodes.world.generate.terrain import slope
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

SMALL = GenerateConfig(size_m=256.0, cell_m=1.0, max_instances=4000, erosion_iterations=2)


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


def world_of(text: str, seed: int = 5) -> WorldState:
    return generate_world(read(text), seed, SMALL)


def share(world: WorldState, material: str) -> float:
    return float((world.material_hw == MATERIALS.index(material)).mean())


def test_rock_spires_are_rock_not_towers() -> None:
    s = read("an alien desert with towering rock spires")
    assert "tower" not in s.structures
    assert read_rock(s).spires > 0
    assert "tower" in read("a stone watchtower on a hill").structures  # a building stays a building


def test_spires_stand_tall_and_bare_and_are_framed() -> None:
    w = world_of("red rock spires in a desert")
    flat = world_of("a red desert")
    assert float(w.height_hw.max() - flat.height_hw.max()) > 15.0
    assert share(w, "rock") > share(flat, "rock") + 0.005
    shot = frame_shot(w, width=160, height=90)
    assert shot.subject.kind == "outcrop" and "spires" in shot.subject.label


def test_boulder_field_is_big_clustered_and_framed() -> None:
    w = world_of("scattered boulders on a grassy plain", seed=11)
    boulders = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("boulder")]
    assert len(boulders) >= 20
    field = [s for s in subjects(w) if s.kind == "outcrop"]
    assert field and field[0].label == "the boulders" and field[0].width_m < 120.0
    assert frame_shot(w, width=160, height=90).subject.kind == "outcrop"


def test_no_rocks_means_no_boulder_field() -> None:
    w = world_of("a grassy plain with no rocks")
    assert not read_rock(read("a grassy plain with no rocks")).any
    assert not any(s.kind == "outcrop" for s in subjects(w))


def test_rocky_ground_is_rock_material() -> None:
    assert share(world_of("a barren plain of grey rock"), "rock") > 0.4
    assert share(world_of("a green plain"), "rock") < 0.05


def test_rocky_coast_and_sea_stacks() -> None:
    rocky, sandy = world_of("a rocky coast by the sea"), world_of("a sandy coast by the sea")
    assert share(rocky, "rock") > share(sandy, "rock") + 0.01
    stacks = world_of("sea stacks off a misty coast")
    wet = np.isfinite(stacks.water_hw)
    assert read_rock(read("sea stacks off a misty coast")).stacks > 0
    plain = world_of("a misty coast")
    assert float((~wet).mean()) > float((~np.isfinite(plain.water_hw)).mean())  # stacks stand out of the sea


def test_snowy_words_lay_snow_on_the_slopes() -> None:
    for text in ("a snow-covered meadow with a red barn", "a frozen mountain range", "a hatchback in fresh snow"):
        assert wintry(read(text)), text
    assert not wintry(read("snow-capped peaks above a green valley"))
    assert not wintry(read("a desert canyon in winter"))
    frozen, summer = world_of("a frozen mountain range"), world_of("a mountain range in summer")
    gentle = slope(frozen.height_hw, frozen.cell_m) < SNOW_SLOPE - DRIFT
    snow = frozen.material_hw == MATERIALS.index("snow")
    assert snow[gentle].mean() > 0.95  # the mountain sides, not only the heights
    assert share(frozen, "snow") > share(summer, "snow") + 0.1
    assert share(frozen, "rock") > 0.0  # the sheerest crags stay bare


def test_same_seed_same_rock() -> None:
    a, b = world_of("granite boulders along a mountain stream"), world_of("granite boulders along a mountain stream")
    assert np.array_equal(a.height_hw, b.height_hw) and np.array_equal(a.inst_xyz, b.inst_xyz)


def test_boulders_line_a_named_river() -> None:
    w = world_of("granite boulders along a mountain stream", seed=2)
    river = next(p for p in w.paths if p.kind == "river")
    boulders = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("boulder"), :2].astype(np.float64)
    gap = np.hypot(*(boulders[:, None, :] - river.points_n3[None, :, :2]).transpose(2, 0, 1)).min(axis=1)
    assert (gap < river.width_m / 2 + 12.0).sum() >= 20  # on its banks, not scattered over the world


def test_a_cliff_coast_has_a_bare_lip_with_boulders_and_its_road_keeps_a_verge() -> None:
    text = "a car on a cliffside road above the sea"
    w = world_of(text)
    assert read_rock(read(text)).cliffs
    rock = w.material_hw == MATERIALS.index("rock")
    top = rock & (w.height_hw > 3.0) & (slope(w.height_hw, w.cell_m) < 0.5)
    assert top.mean() > 0.005
    road = w.material_hw == MATERIALS.index("road")
    assert road.any()
    verge = ndimage.binary_dilation(road, iterations=3) & ~road
    assert not (verge & top).any()  # the bare lip keeps off the road's verge (steep cuttings aside)
    boulders = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("boulder"), :2]
    i, j = (np.clip(np.rint(boulders[:, k] / w.cell_m).astype(int), 0, w.n - 1) for k in (1, 0))
    assert top[i, j].sum() >= 10  # boulders stand on the lip


def test_a_lone_spire_is_one_and_framing_finds_it_not_the_valley_walls() -> None:
    assert read_rock(read("a lonely rock pinnacle above a green valley")).spires == 1
    assert read_rock(read("red rock spires")).spires > 1
    assert read_rock(read("a church spire in a village")).spires == 0
    w = generate_world(read("a lonely rock pinnacle above a green valley"), 5, GenerateConfig(size_m=1024.0, cell_m=2.0))
    mask = formation_mask(w.height_hw, w.material_hw, w.cell_m)
    assert 50 < mask.sum() < 0.02 * mask.size  # the pinnacle, not every steep rock face
    (outcrop,) = [s for s in subjects(w) if s.kind == "outcrop"]
    assert outcrop.width_m < 80.0
