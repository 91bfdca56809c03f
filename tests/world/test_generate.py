"""Generation: determinism, water rules, levelled structures, counts, negation, relations, env."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import GenerateConfig, GenerateError, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

SMALL = GenerateConfig(size_m=256.0, cell_m=1.0)


def world(text: str, seed: int = 7, config: GenerateConfig = SMALL) -> WorldState:
    return generate_world(spec_from_prompt(Prompt(text=text), None), seed, config)


def footprint_heights(w: WorldState, s: dict) -> np.ndarray:
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    out = []
    for u in np.linspace(-s.w / 2, s.w / 2, 7):
        for v in np.linspace(-s.d / 2, s.d / 2, 7):
            out.append(w.height_at(s.x + u * c - v * sn, s.y + u * sn + v * c))
    return np.array(out)


def test_same_spec_and_seed_is_bit_identical() -> None:
    spec = spec_from_prompt(Prompt(text="hills with a river, a lake, a village and pine trees"), None)
    a, b = generate_world(spec, 11, SMALL), generate_world(spec, 11, SMALL)
    assert a.content_hash() == b.content_hash()
    assert a.height_hw.tobytes() == b.height_hw.tobytes()
    assert np.array_equal(a.inst_xyz, b.inst_xyz)
    assert generate_world(spec, 12, SMALL).content_hash() != a.content_hash()


def test_arrays_have_the_state_contract() -> None:
    w = world("mountains with conifers and rocks")
    n = 257
    assert w.height_hw.shape == (n, n) and w.height_hw.dtype == np.float32
    assert w.material_hw.dtype == np.uint8 and w.water_hw.dtype == np.float32
    assert w.inst_kind.dtype == np.uint16 and w.inst_xyz.shape == (len(w.inst_kind), 3)
    assert w.inst_var.dtype == np.uint32 and int(w.inst_kind.max()) < len(INSTANCE_KINDS)
    assert w.spec["terrain"] == "mountains"


@pytest.mark.parametrize(
    "text", ["a lighthouse on the coast", "volcanic island", "swamp", "hills with a lake and a river"]
)
def test_water_never_below_terrain(text: str) -> None:
    w = world(text)
    wet = ~np.isnan(w.water_hw)
    assert wet.any()
    assert (w.water_hw[wet] >= w.height_hw[wet]).all()


def test_ocean_fills_ground_below_sea_level() -> None:
    w = world("an island in the ocean")
    assert w.env.sea_level_m == 0.0
    deep = w.height_hw < -1.0
    assert deep.mean() > 0.2
    assert (w.water_hw[deep] == 0.0).mean() > 0.99


def test_lake_fills_a_depression_to_one_spill_level() -> None:
    w = world("a lake in the hills")
    wet = ~np.isnan(w.water_hw)
    levels = np.unique(w.water_hw[wet])
    assert len(levels) == 1
    level = levels[0]
    rim = np.zeros_like(wet)
    rim[1:, :] |= wet[:-1, :]
    rim[:-1, :] |= wet[1:, :]
    rim[:, 1:] |= wet[:, :-1]
    rim[:, :-1] |= wet[:, 1:]
    rim &= ~wet
    assert (w.height_hw[rim] >= level - 1e-4).all()


def test_river_runs_downhill() -> None:
    w = world("a river through the plains")
    river = next(p for p in w.paths if p.kind == "river")
    z = river.points_n3[:, 2]
    assert len(z) > 10 and (np.diff(z) <= 1e-6).all()


def test_structures_stand_on_levelled_ground() -> None:
    w = world("three cabins and a tower")
    kinds = [s.kind for s in w.structures]
    assert kinds.count("cabin") == 3 and kinds.count("tower") == 1
    for s in w.structures:
        if s.kind in ("cabin", "tower"):
            assert np.abs(footprint_heights(w, s) - s.z).max() < 0.05, s.id


def test_roads_connect_buildings_and_are_road_material() -> None:
    w = world("a village on the plains")
    roads = [p for p in w.paths if p.kind == "road"]
    assert roads
    assert (w.material_hw == 6).sum() > 100  # MATERIALS.index("road")


def test_cabin_by_the_lake_is_near_water() -> None:
    w = generate_world(
        spec_from_prompt(Prompt(text="a cabin by the lake"), None),
        3,
        GenerateConfig(size_m=512.0, cell_m=1.0),
    )
    cabin = next(s for s in w.structures if s.kind == "cabin")
    wet = np.argwhere(~np.isnan(w.water_hw))
    d = np.hypot(wet[:, 1] * w.cell_m - cabin.x, wet[:, 0] * w.cell_m - cabin.y).min()
    assert 5.0 < d < 80.0


def test_lighthouse_is_on_the_coast() -> None:
    w = world("a lighthouse", seed=3)
    lh = next(s for s in w.structures if s.kind == "lighthouse")
    sea = np.argwhere(w.water_hw == 0.0)
    assert np.hypot(sea[:, 1] - lh.x, sea[:, 0] - lh.y).min() < 90.0


def test_negation_removes_trees() -> None:
    with_trees = world("hills with a dense forest")
    without = world("hills with no trees")
    tree_ids = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm", "dead_tree")]
    assert np.isin(with_trees.inst_kind, tree_ids).sum() > 50
    assert not np.isin(without.inst_kind, tree_ids).any()


def test_env_follows_time_and_weather() -> None:
    night = world("foggy night")
    noon = world("clear noon")
    assert night.env.sun_elevation_deg < 0 < noon.env.sun_elevation_deg
    assert abs(np.linalg.norm(noon.env.sun_dir) - 1.0) < 1e-4
    assert night.env.fog_density > noon.env.fog_density


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(GenerateError, match="samples per side"):
        generate_world(WorldSpec(), 0, GenerateConfig(size_m=4096.0, cell_m=0.5))
    with pytest.raises(GenerateError, match="whole number of cells"):
        generate_world(WorldSpec(), 0, GenerateConfig(size_m=300.0, cell_m=7.0))


def test_one_square_kilometre_stays_small() -> None:
    w = world("a village by a river in wooded hills with rocks", config=GenerateConfig())
    assert w.n == 1025
    assert w.nbytes() < 200e6
    assert 0 < len(w.inst_kind) <= 60_000


def test_island_has_beaches_and_palms_by_the_shore() -> None:
    w = world("a tropical island with palm trees and white beaches in a turquoise ocean", seed=2,
              config=GenerateConfig(size_m=512.0, cell_m=2.0))
    land = w.height_hw > 0.0
    sea = ~np.isnan(w.water_hw) & ~land
    to_sea = ndimage.distance_transform_edt(~sea) * w.cell_m
    shore = land & (to_sea < 8.0)  # sea level 0
    assert (w.material_hw[shore] == 2).mean() > 0.6  # MATERIALS.index("sand")
    assert w.height_hw.max() > 12.0, "the island should have some hills"
    palms = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("palm")]
    assert len(palms) > 30
    j, i = (np.clip(np.round(palms[:, k] / w.cell_m).astype(int), 0, w.n - 1) for k in (0, 1))
    # palms crowd the back of the beach (the sand by the water stays open, generate/beach.py)
    assert (to_sea[i, j] < 60.0).mean() > 0.8, "palms should crowd the shore"
    assert not ((w.material_hw[i, j] == 2) & (to_sea[i, j] < 6.0)).any(), "the sand by the sea stays open"


def test_large_worlds_ease_their_relief_down_at_the_edge() -> None:
    w = world("rugged mountains", seed=4, config=GenerateConfig(size_m=512.0, cell_m=2.0))
    h = w.height_hw
    border = np.concatenate([h[0], h[-1], h[:, 0], h[:, -1]])
    lo, hi = np.percentile(h, (5, 99))
    assert border.max() < lo + 0.3 * (hi - lo), "no cliff may be cut off at the world's edge"


def test_villages_have_many_houses_and_street_lamps_line_the_roads() -> None:
    w = world("a village of many houses along roads, street lamps", seed=5,
              config=GenerateConfig(size_m=512.0, cell_m=2.0))
    assert sum(s.kind == "house" for s in w.structures) >= 10
    lamps = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("lamp_post")]
    assert len(lamps) >= 8


def test_a_village_of_cabins_is_built_of_cabins() -> None:
    w = world("a hobbit-like village of small cabins in green hills", seed=5,
              config=GenerateConfig(size_m=512.0, cell_m=2.0))
    cabins = [s for s in w.structures if s.kind == "cabin"]
    assert len(cabins) >= 10 and all(s.village == 1 for s in cabins)
    assert not any(s.kind == "house" for s in w.structures)


def test_a_city_is_a_street_grid_of_buildings_of_several_heights_with_lit_kerbs() -> None:
    from oyster_nodes.world.generate import city as cy

    w = world("downtown skyscrapers along city streets at night", seed=4,
              config=GenerateConfig(size_m=512.0, cell_m=2.0))
    towers = [s for s in w.structures if s.kind == "highrise"]
    assert len(towers) >= 8
    storeys = {round(s.h / cy.STOREY_M) for s in towers}
    assert len(storeys) >= 4 and max(s.h for s in towers) >= 30.0  # several heights, the tallest many storeys
    assert len({s.z for s in towers}) == 1  # the city stands on levelled ground
    streets = [p for p in w.paths if p.id.startswith("street-")]
    blocks = cy.blocks_for(512.0)
    assert len(streets) == 2 * (blocks + 1) and all(p.kind == "road" for p in streets)
    for p in streets:  # straight streets: every point on the line through the ends
        a, b = p.points_n3[0, :2], p.points_n3[-1, :2]
        d = (b - a) / np.linalg.norm(b - a)
        off = np.abs((p.points_n3[:, :2] - a) @ np.array([-d[1], d[0]]))
        assert off.max() < 1.5
    lamps = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("lamp_post")]
    assert len(lamps) >= 4 * len(streets)
    gravel = MATERIALS.index("gravel")
    for s in towers[:5]:  # pavement round the buildings, no trees in the city
        assert w.material_hw[int(s.y / w.cell_m), int(s.x / w.cell_m)] == gravel
    trees = w.inst_xyz[np.isin(w.inst_kind, [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf")])]
    for s in towers:
        assert not (np.hypot(trees[:, 0] - s.x, trees[:, 1] - s.y) < 0.4 * min(s.w, s.d)).any()


def test_three_cabins_by_a_lake_stand_together_by_the_lake() -> None:
    w = world("three wooden cabins beside a calm lake, early morning", seed=2,
              config=GenerateConfig(size_m=512.0, cell_m=2.0))
    cabins = np.array([[s.x, s.y] for s in w.structures if s.kind == "cabin"])
    assert len(cabins) == 3
    assert np.linalg.norm(cabins[:, None] - cabins[None], axis=2).max() <= 2 * 80.0 + 1.0
    wet = np.isfinite(w.water_hw)
    dist = ndimage.distance_transform_edt(~wet) * w.cell_m
    assert all(dist[int(y / w.cell_m), int(x / w.cell_m)] < 120.0 for x, y in cabins)


def test_a_named_beach_is_a_wide_band_of_sand_between_land_and_sea() -> None:
    cfg = GenerateConfig(size_m=512.0, cell_m=2.0)
    sand = MATERIALS.index("sand")
    beach = world("a coast with a wide sandy beach, sunny afternoon", seed=3, config=cfg)
    plain = world("a green coast, sunny afternoon", seed=3, config=cfg)
    dry = ~np.isfinite(beach.water_hw)
    assert ((beach.material_hw == sand) & dry).sum() > 1.4 * ((plain.material_hw == sand) & ~np.isfinite(plain.water_hw)).sum()
