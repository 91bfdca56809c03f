"""Trees the prompt names read in the still: read as the kind named, stood where the words put them (along a
shore, lining a road, around the named building), shaped as named (cypress columns) and kept in frame; and the
vehicle and the buildings a prompt names together share the frame."""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.cover import LowCover
from oyster_nodes.world.camera.framing import frame_shot, subjects
from oyster_nodes.world.generate.treelines import AVENUE_SPACING_M
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.meshes import instance_card, instance_mesh, look_of
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, WorldState

SMALL = GenerateConfig(size_m=384.0, cell_m=1.5)
W, H = 320, 180


def spec(text: str) -> dict:
    return spec_from_prompt(Prompt(text=text), None).to_dict()


def world(text: str, seed: int = 5, cfg: GenerateConfig = SMALL) -> WorldState:
    return generate_world(spec_from_prompt(Prompt(text=text), None), seed, cfg)


def trees_of(w: WorldState, kind: str) -> np.ndarray:
    return w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index(kind), :2].astype(np.float64)


def test_a_tree_kind_before_trees_is_that_kind_alone() -> None:
    s = spec("a fringe of fir trees along the shore of a mountain lake")
    assert s["vegetation"]["conifers"] >= 0.4  # "a fringe of" is a row, not one tree (which would read 0.05)
    assert "broadleaf" not in s["vegetation"]  # "fir trees" are firs, not firs and broadleaf trees
    assert {"subject": "conifers", "relation": "near", "object": "lake"} in s["relations"]
    assert s["shore"] == "none" and "ocean" not in s["water"]  # the lake's shore, not a sea coast
    assert spec("a jungle island surrounded by ocean")["relations"] == []  # the island is, not the jungle
    assert spec("pine trees around a quiet lake")["relations"] == [
        {"subject": "conifers", "relation": "near", "object": "lake"}]  # a mood word stands between: still so
    coast = spec("palm trees along the shore of a tropical sea")
    assert coast["shore"] == "coast" and "ocean" in coast["water"]  # a sea named: the shore is its coast


def test_cypress_is_a_conifer_of_its_own_shape() -> None:
    s = spec("a road lined with cypress trees in the hills")
    assert s["modifiers"]["trees"] == "cypress"
    # lining the road, they stand there: fewer over the rest of the land than where cypresses are named alone
    assert 0.1 <= s["vegetation"]["conifers"] < spec("cypress trees in the hills")["vegetation"]["conifers"]
    assert {"subject": "conifers", "relation": "near", "object": "road"} in s["relations"]
    assert look_of(s, "conifer") == "cypress" and look_of(s, "broadleaf") == ""
    for lod, budget in ((0, 100), (1, 16)):
        m = instance_mesh("conifer", lod, "cypress")
        radius, top = float(np.hypot(m.pos[:, 0], m.pos[:, 1]).max()), float(m.pos[:, 2].max())
        assert m.triangles <= budget and top >= 12.0 and top / (2 * radius) >= 4.5  # a tall narrow column
    plain = instance_mesh("conifer", 0)
    assert float(np.hypot(plain.pos[:, 0], plain.pos[:, 1]).max()) > 2.5  # the spruce keeps its wide tiers
    card = instance_card("conifer", "cypress")
    assert card is not None and np.ptp(card.pos[:, 2]) / np.ptp(card.pos[:, 1]) >= 4.5


def shore_band(w: WorldState, lo: float, hi: float) -> np.ndarray:
    dist = ndimage.distance_transform_edt(~np.isfinite(w.water_hw)) * w.cell_m
    return (dist >= lo) & (dist <= hi)


def count_in(w: WorldState, xy: np.ndarray, mask: np.ndarray) -> int:
    ij = np.clip(np.round(xy[:, ::-1] / w.cell_m).astype(int), 0, w.n - 1)
    return int(mask[ij[:, 0], ij[:, 1]].sum())


def test_trees_along_the_shore_stand_in_a_fringe_round_the_lake() -> None:
    lined = world("a lake in the hills with pine trees along the shore")
    loose = world("a lake in the hills with pine trees")
    band = shore_band(lined, 2.0, 12.0)
    assert np.isfinite(lined.water_hw).any()
    along, before = count_in(lined, trees_of(lined, "conifer"), band), count_in(loose, trees_of(loose, "conifer"), band)
    assert along >= 20 and along >= 2 * before + 10
    per_100m2 = along / (band.sum() * lined.cell_m**2 / 100.0)
    # a fringe: about a tree every ~10 m along the band's two rows (0.78-0.85 over the stage streams seen)
    assert per_100m2 >= 0.7


def verge_trees(w: WorldState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The conifers 2.5-10 m from a road's centre line, the road's points, and each such tree's nearest point."""
    pts = np.concatenate([r.points_n3[:, :2] for r in w.paths if r.kind == "road"])
    trees = trees_of(w, "conifer")
    d = np.hypot(*(trees[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    verge = (d.min(axis=1) > 2.5) & (d.min(axis=1) < 10.0)
    return trees[verge], pts, d[verge].argmin(axis=1)


def test_a_road_lined_with_cypresses_has_them_on_both_sides() -> None:
    read = spec_from_prompt(Prompt(text="a country road lined with cypress trees"), None)
    w = generate_world(read, 3, SMALL)
    plain = generate_world(dataclasses.replace(read, relations=[]), 3, SMALL)  # the same world, no avenue
    trees, pts, k = verge_trees(w)
    length = sum(float(np.hypot(*np.diff(r.points_n3[:, :2], axis=0).T).sum()) for r in w.paths if r.kind == "road")
    assert len(trees) >= len(verge_trees(plain)[0]) + 0.5 * length / AVENUE_SPACING_M
    # both sides: the side of the road each verge tree stands on, by the cross product with the road's heading
    ahead = np.gradient(pts, axis=0)[k]
    rel = trees - pts[k]
    side = np.sign(ahead[:, 0] * rel[:, 1] - ahead[:, 1] * rel[:, 0])
    assert (side > 0).sum() >= 0.3 * len(trees) and (side < 0).sum() >= 0.3 * len(trees)


def test_named_trees_grow_around_the_named_building_above_the_tree_line() -> None:
    w = world("a frozen mountain with a watchtower on a ridge and pine trees", seed=2)
    tower = next(s for s in w.structures if s.kind == "tower")
    near = np.hypot(*(trees_of(w, "conifer") - (tower.x, tower.y)).T) < 55.0
    assert near.sum() >= 8
    plain = world("a frozen mountain with a watchtower on a ridge", seed=2)  # no trees named: no grove
    t2 = next(s for s in plain.structures if s.kind == "tower")
    assert (np.hypot(*(trees_of(plain, "conifer") - (t2.x, t2.y)).T) < 55.0).sum() < near.sum()


def test_named_trees_are_kept_in_frame_and_read(renderer: Renderer) -> None:
    w = world("a frozen mountain with a watchtower on a ridge and pine trees", seed=2,
              cfg=GenerateConfig(size_m=512.0, cell_m=2.0))
    kinds = [s.kind for s in subjects(w)]
    assert "trees" in kinds and kinds[0] != "trees"  # kept beside the tower, never framed for themselves
    shot = frame_shot(w, width=W, height=H)
    assert shot.subject.kind == "structure" and "the conifers" in shot.note
    img = renderer.render(w, shot.camera)
    ids = img.instance_hw.astype(np.int64)
    conifer = np.zeros(ids.shape, bool)
    inst = (ids >= 1) & (ids <= len(w.inst_kind))
    conifer[inst] = w.inst_kind[ids[inst] - 1] == INSTANCE_KINDS.index("conifer")
    assert conifer.mean() >= 0.01


def test_a_road_through_vines_reads_only_from_above_or_along_it() -> None:
    w = world("a winding road through a vineyard with a few stone houses", seed=4)
    road = next(s for s in subjects(w) if s.kind == "road")
    cover = LowCover.of(w, road.points, np.ones(len(road.points), bool))
    assert cover is not None and cover.covered.any()
    k = int(np.nonzero(cover.covered)[0][0])
    p, across = road.points[k], np.array([-cover.along[k][1], cover.along[k][0]])
    low = np.r_[p[:2] + 40.0 * across, p[2] + 2.0]
    high = np.r_[p[:2] + 40.0 * across, p[2] + 30.0]
    along = np.r_[p[:2] + 40.0 * cover.along[k], p[2] + 2.0]
    pts = road.points
    assert cover.shown(low, pts)[k] < 0.2 < 0.9 < cover.shown(high, pts)[k]
    assert cover.shown(along, pts)[k] > 0.9


def test_a_vehicle_drives_by_the_building_named_with_it() -> None:
    w = world("wrecked cars on a cracked road past ruined buildings", seed=6)
    cars = trees_of(w, "vehicle")
    ruin = next(s for s in w.structures if s.kind == "ruins")
    assert len(cars) and np.hypot(*(cars - (ruin.x, ruin.y)).T).min() < 90.0


def test_an_outskirts_car_drives_out_of_town_by_the_houses() -> None:
    w = world("a car on a city outskirts road at night", seed=1, cfg=GenerateConfig(size_m=512.0, cell_m=2.0))
    streets = [p for p in w.paths if p.id.startswith("street-")]
    houses = np.array([[s.x, s.y] for s in w.structures if s.kind == "house"])
    assert streets and len(houses)
    k = int(np.nonzero(w.inst_kind == INSTANCE_KINDS.index("vehicle"))[0][0])
    car = w.inst_xyz[k, :2].astype(np.float64)
    on_street = min(float(np.hypot(*(p.points_n3[:, :2] - car).T).min()) for p in streets)
    gap = np.hypot(*(houses - car).T)
    assert on_street > 6.0 and gap.min() < 60.0
    front = np.array([np.cos(w.inst_yaw[k]), np.sin(w.inst_yaw[k])])
    assert float(front @ (car - houses[int(gap.argmin())])) > 0  # driving away: its front view shows the houses


def test_a_lighthouse_stands_tall_in_its_frame() -> None:
    from oyster_nodes.world.camera.framing import SLENDER_FILL

    w = world("a lighthouse on a headland by the sea", seed=3, cfg=GenerateConfig(size_m=512.0, cell_m=2.0))
    shot = frame_shot(w, width=W, height=H)
    assert shot.subject.kind == "structure" and "lighthouse" in shot.subject.label
    s = next(b for b in w.structures if b.kind == "lighthouse")
    uv, depth = shot.camera.project(np.array([[s.x, s.y, s.z], [s.x, s.y, s.z + s.h]]))
    assert (depth > 0).all() and abs(float(uv[1, 1] - uv[0, 1])) / H >= 0.8 * SLENDER_FILL
