"""A lone glass office tower, a campsite's tents round their fire, and animals penned in their paddock."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.structures import CAMP_CLEAR_M, CAMP_RING_M
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.meshes import FACADE, TOWER_GLASS, structure_mesh, with_plain_windows
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS

SMALL = GenerateConfig(size_m=256.0, cell_m=1.0)
TREES = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm", "dead_tree")]


def spec(text: str):
    return spec_from_prompt(Prompt(text=text), None)


@pytest.mark.parametrize("text", ["a glass office tower", "a modern glass skyscraper", "a glass tower by a lake",
                                  "an office building on a hill"])
def test_a_lone_glass_tower_is_a_skyscraper_not_a_city_or_a_watchtower(text: str) -> None:
    s = spec(text)
    assert s.structures.get("skyscraper") == 1 and "city" not in s.structures and "tower" not in s.structures


@pytest.mark.parametrize("text", ["downtown skyscrapers along city streets at night", "skyscrapers at night",
                                  "a city skyline with a glass tower", "a glass skyscraper on a busy street"])
def test_skyscrapers_in_a_city_or_many_of_them_are_the_city(text: str) -> None:
    s = spec(text)
    assert s.structures.get("city") == 1 and "skyscraper" not in s.structures


def test_a_stone_tower_stays_a_tower() -> None:
    assert spec("a stone tower on a hill").structures == {"tower": 1}


def test_a_campsite_is_tents_and_a_camping_lantern_is_no_tent() -> None:
    s = spec("a forest clearing with a campsite, crates and a cabin, a road leading out")
    assert s.structures.get("tent") == 3 and s.props.get("crates") and "vehicles" not in s.props
    assert spec("a camping tent by a mountain lake").structures.get("tent") == 1
    assert spec("a row of tents in a forest clearing").structures.get("tent", 0) >= 2
    assert "tent" not in spec("a camping lantern on the ground in a forest clearing at night").structures
    assert "road" not in spec("three tents in a meadow").structures  # tents need no road between them


def test_the_tower_stands_on_its_paved_plaza_with_no_tree_near() -> None:
    w = generate_world(spec("a glass office tower in a pine forest"), 7, SMALL)
    (t,) = [s for s in w.structures if s.kind == "skyscraper"]
    assert t.h > 60 and t.material == "glass"
    i, j = int(t.y / w.cell_m), int(t.x / w.cell_m)
    assert w.material_hw[i, j + int(t.w / 2 + 4)] == MATERIALS.index("gravel")
    trees = w.inst_xyz[np.isin(w.inst_kind, TREES), :2]
    assert not len(trees) or np.hypot(*(trees - [t.x, t.y]).T).min() > t.w / 2 + 10


def test_the_tower_mesh_has_a_curtain_wall_and_exports_as_plain_glass() -> None:
    w = generate_world(spec("a glass office tower"), 7, SMALL)
    (t,) = [s for s in w.structures if s.kind == "skyscraper"]
    m = structure_mesh(t)
    facade = m.part == FACADE
    assert facade.any() and np.isclose(m.col[facade, 2], TOWER_GLASS).mean() > 0.8
    assert float(m.pos[:, 2].max()) > t.z + t.h  # the mast above the roof
    plain = with_plain_windows(m)
    assert not (plain.part == FACADE).any() and np.isfinite(plain.pos).all()


def test_a_camp_rings_its_fire_in_a_clearing_with_no_road_between_its_tents() -> None:
    w = generate_world(spec("a campsite in a forest, a cabin and a road"), 7, SMALL)
    (fire,) = [s for s in w.structures if s.kind == "campfire"]
    tents = [s for s in w.structures if s.kind == "tent"]
    assert len(tents) == 3
    for t in tents:
        assert abs(math.hypot(t.x - fire.x, t.y - fire.y) - CAMP_RING_M) < 1.0
        door = np.array([math.cos(t.yaw), math.sin(t.yaw)])  # the door (+x) faces the fire
        assert door @ (np.array([fire.x - t.x, fire.y - t.y]) / CAMP_RING_M) > 0.9
    trees = w.inst_xyz[np.isin(w.inst_kind, TREES), :2]
    assert not len(trees) or np.hypot(*(trees - [fire.x, fire.y]).T).min() > CAMP_CLEAR_M - 1.5
    road = np.concatenate([p.points_n3[:, :2] for p in w.paths if p.kind == "road"])
    assert np.hypot(*(road - [fire.x, fire.y]).T).min() > CAMP_RING_M + 2.0


def test_horses_in_a_paddock_graze_inside_its_fence_by_the_barn() -> None:
    w = generate_world(spec("horses in a paddock beside a red barn"), 7, GenerateConfig(size_m=1024.0))
    fence = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("fence"), :2]
    horses = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("horse"), :2]
    (barn,) = [s for s in w.structures if s.kind == "house"]
    assert len(horses) == 4 and len(fence) >= 6
    lo, hi = fence.min(axis=0), fence.max(axis=0)
    assert ((horses > lo) & (horses < hi)).all()  # within the fence's bounds
    assert np.hypot(*(horses - [barn.x, barn.y]).T).max() < 80.0

