"""Places the prompt names by their shape: a narrow alley between houses, a bay held by land, a futuristic city's
towers, a boat pulled up on a pebble shore, a town by its lake; and rock framed at its real slant. Checked on
generated worlds (256-512 m, so they stay quick), their framing and their meshes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot, ground_normals
from oyster_nodes.world.generate import alley as al
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.albedo import terrain_albedo
from oyster_nodes.world.render.meshes import EDGE_LIGHT_RGB, LAMP, _rock, merge, structure_mesh
from oyster_nodes.world.state.records import Structure
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


def world_of(text: str, size: float = 512.0, seed: int = 3):
    return generate_world(read(text), seed, GenerateConfig(size_m=size))


# ------------------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("text", ["a futuristic city", "a sleek city skyline at night", "a city, futuristic"])
def test_futuristic_is_a_building_modifier_and_understood(text: str) -> None:
    s = read(text)
    assert s.modifiers["building"] == "futuristic" and s.structures.get("city")
    assert not any("futuristic" in n for n in s.notes)


@pytest.mark.parametrize("text", ["a narrow alley between old houses", "a cobbled alleyway in an old village"])
def test_alley_words_ask_for_a_narrow_road(text: str) -> None:
    s = read(text)
    assert s.modifiers["road"] == "narrow" and al.wants_alley(s)


def test_a_narrow_street_in_a_city_is_no_alley_of_houses() -> None:
    assert not al.wants_alley(read("a narrow street in a city at night"))


@pytest.mark.parametrize("text", ["lightning over the bay at night", "a quiet cove", "a fjord with steep cliffs",
                                  "a narrow inlet of the sea"])
def test_bay_words_make_the_shore_a_bay(text: str) -> None:
    assert read(text).shore == "bay"


def test_a_plain_coast_stays_a_coast() -> None:
    assert read("a sandy beach by the sea").shore == "coast"


@pytest.mark.parametrize("text", ["a pebble shore of a lake", "a shingle beach by the sea", "a gravel beach"])
def test_pebble_words_are_a_shore_material_not_boulders(text: str) -> None:
    s = read(text)
    assert s.modifiers["sand"] == "pebble" and "rocks" not in s.props


# ------------------------------------------------------------------------------------------- generation


def test_an_alley_is_two_close_rows_of_houses_along_a_narrow_lane() -> None:
    w = world_of("a narrow alley between old houses")
    lane = next(p for p in w.paths if p.id == "alley-1")
    houses = [s for s in w.structures if s.kind == "house"]
    assert len(houses) >= 12  # both rows filled, whatever count "houses" gave
    a, b = lane.points_n3[0, :2], lane.points_n3[-1, :2]
    d = (b - a) / np.linalg.norm(b - a)
    normal = np.array([-d[1], d[0]])
    for s in houses:  # each house's front a step from the lane, on one side or the other
        off = abs(float((np.array([s.x, s.y]) - a) @ normal))
        assert off - s.d / 2 == pytest.approx(al.FRONTS_M / 2, abs=0.05)
    sides = [np.sign(float((np.array([s.x, s.y]) - a) @ normal)) for s in houses]
    assert sides.count(1.0) >= 6 and sides.count(-1.0) >= 6
    shot = frame_shot(w, width=320, height=180)
    pos = np.array(shot.camera.position)
    assert float(np.abs((pos[:2] - a) @ normal)) < 1.0  # in the lane, at eye height
    assert pos[2] - w.height_at(float(pos[0]), float(pos[1])) == pytest.approx(1.7, abs=0.2)
    assert "lane" in shot.note


def test_a_bay_is_water_held_by_land_on_three_sides_and_framed_through_its_mouth() -> None:
    w = world_of("a calm bay on a sunny afternoon")
    wet = np.isfinite(w.water_hw)
    n = w.n
    mid = wet[n // 4: 3 * n // 4, n // 4: 3 * n // 4]
    assert mid.mean() > 0.25  # the basin reaches into the world's middle
    shot = frame_shot(w, width=320, height=180)
    assert "bay" in shot.note and "mouth" in shot.note
    cam = shot.camera
    f = np.asarray(cam.forward())[:2]
    pos = np.asarray(cam.position)[:2]
    left, right = (np.array([math.cos(a), math.sin(a)]) for a in
                   (math.atan2(f[1], f[0]) + 0.45, math.atan2(f[1], f[0]) - 0.45))
    for side in (left, right):  # land to both sides of the view, within the world
        hits = [not wet[int(np.clip(p[1], 0, n - 1)), int(np.clip(p[0], 0, n - 1))]
                for p in (pos + side * t for t in np.arange(20.0, 300.0, 4.0))]
        assert any(hits)


def test_a_futuristic_city_builds_taller_glass_towers_with_lit_edges() -> None:
    plain = world_of("a city", 512.0)
    future = world_of("a futuristic city", 512.0)
    tall = [s for s in future.structures if s.kind == "highrise"]
    assert tall and all(s.material == "glass" for s in tall)
    assert len(tall) == len([s for s in plain.structures if s.kind == "highrise"])
    assert np.mean([s.h for s in tall]) > 1.5 * np.mean([s.h for s in plain.structures if s.kind == "highrise"])
    mesh = structure_mesh(tall[0])
    lit = mesh.part == LAMP
    assert lit.any() and np.allclose(mesh.col[lit], EDGE_LIGHT_RGB)
    top = mesh.pos[:, 2].max() - tall[0].z
    assert top == pytest.approx(tall[0].h, abs=STOREY_TOL)


STOREY_TOL = 4.0


def test_a_boat_pulled_up_on_a_pebble_shore_rests_on_land_listing() -> None:
    w = world_of("a rowing boat pulled up on a pebble shore of a lake")
    boat = next(s for s in w.structures if s.kind == "rowboat")
    i, j = int(round(boat.y / w.cell_m)), int(round(boat.x / w.cell_m))
    assert not np.isfinite(w.water_hw[i, j])  # on dry ground
    assert abs(boat.z - w.height_hw[i, j]) < 0.6
    assert boat.roll != 0.0
    stones = w.material_hw == MATERIALS.index("gravel")
    near = np.isfinite(w.water_hw)
    from scipy import ndimage

    shore = ~near & (ndimage.distance_transform_edt(~near) * w.cell_m < 4.0)
    assert stones[shore].mean() > 0.4  # the shore is stones, not sand
    albedo = terrain_albedo(w)[..., :3].astype(np.float64)
    grey = albedo[stones & shore]
    assert np.abs(grey[:, 0] - grey[:, 2]).mean() < 20  # grey, not sand-coloured
    assert grey.mean(axis=1).std() > 10  # mottled


def test_tilted_structures_round_trip_and_draw_tilted() -> None:
    s = Structure(id="b", kind="rowboat", x=1.0, y=2.0, z=0.5, w=4.0, d=1.5, h=0.7, roll=0.2, pitch=0.1)
    back = Structure.from_json(s.to_json())
    assert (back.roll, back.pitch) == (0.2, 0.1) and "roll" not in back.extra
    flat = Structure(id="b", kind="rowboat", x=1.0, y=2.0, z=0.5, w=4.0, d=1.5, h=0.7)
    assert "roll" not in flat.to_json()
    a, b = structure_mesh(flat).pos, structure_mesh(s).pos
    assert np.ptp(b[:, 2]) > np.ptp(a[:, 2]) + 0.2


def test_a_lakeside_town_stands_by_its_lake() -> None:
    w = world_of("a lakeside resort town with houses along the shore, mountains behind", 1024.0, seed=7)
    wet = np.isfinite(w.water_hw)
    from scipy import ndimage

    dist = ndimage.distance_transform_edt(~wet) * w.cell_m
    houses = [s for s in w.structures if s.kind == "house" and s.village]
    assert houses
    assert np.median([dist[int(s.y), int(s.x)] for s in houses]) < 150.0


# ------------------------------------------------------------------------------------------- framing and meshes


def test_ground_normals_follow_the_slope() -> None:
    w = world_of("rolling hills", 256.0)
    xy = np.array([[100.0, 120.0], [60.0, 40.0]])
    n = ground_normals(w, xy)
    assert np.allclose(np.linalg.norm(n, axis=1), 1.0) and (n[:, 2] > 0).all()
    step = 4.0
    dx = (w.height_at(104.0, 120.0) - w.height_at(96.0, 120.0)) / (2 * step)
    assert n[0, 0] == pytest.approx(-dx / math.sqrt(1 + dx * dx + (n[0, 1] / n[0, 2]) ** 2), abs=0.02)


def test_rocks_are_one_rounded_shape_near_and_far() -> None:
    near, far = _rock(0, 3.2), _rock(1, 3.2)
    assert near.triangles == far.triangles == 20  # no octahedron far away
    assert np.allclose(near.pos, far.pos)
    facets = merge([near]).nrm
    e1 = near.pos[1::3] - near.pos[0::3]
    e2 = near.pos[2::3] - near.pos[0::3]
    flat = np.cross(e1, e2)
    flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    lean = np.einsum("ij,ij->i", facets.reshape(-1, 3, 3)[:, 0], flat)
    assert (lean < 0.999).mean() > 0.8  # shaded soft, not per facet


def test_a_path_between_two_hills_runs_between_raised_rises_and_is_framed_from_it() -> None:
    from oyster_nodes.world.generate.flanks import asks_between

    assert asks_between("a path between two hills") == "hills"
    assert asks_between("a road through hills") == ""
    w = world_of("a path between two hills", 1024.0)  # a lone road in a small world is a stub to its edge
    flat = generate_world(read("a path through hills"), 3, GenerateConfig(size_m=1024.0))
    road = max((p for p in w.paths if p.kind == "road"), key=lambda p: len(p.points_n3))
    on_road = np.array([w.height_at(float(x), float(y)) for x, y, _ in road.points_n3])
    assert np.allclose(on_road, road.points_n3[:, 2], atol=1.0)  # the road's corridor left as it was
    raised = w.height_hw - flat.height_hw
    assert raised.max() > 20.0 and raised.min() > -1.0  # two rises raised, nothing lowered
    shot = frame_shot(w, width=320, height=180)
    assert "between" in shot.note
    pos = np.asarray(shot.camera.position)
    assert pos[2] - w.height_at(float(pos[0]), float(pos[1])) < 3.0  # low, on the road


def test_mountains_keep_their_own_relief_between_them() -> None:
    from oyster_nodes.world.generate.flanks import raise_flanks

    w = world_of("a road between the mountains", 256.0)
    h = w.height_hw.copy()
    assert not raise_flanks(h, w.paths, "a road between the mountains", "mountains", cell_m=w.cell_m,
                            road_hw=np.zeros(h.shape, bool), wet_hw=np.zeros(h.shape, bool))
    assert np.array_equal(h, w.height_hw)


def test_a_road_above_a_bay_keeps_an_open_coast_and_says_so() -> None:
    s = read("a vintage convertible on a cliffside road above a turquoise bay")
    assert s.shore == "coast" and any("open coast" in n for n in s.notes)


def test_only_a_prompts_own_rock_word_wants_more_of_the_frame() -> None:
    from oyster_nodes.world.camera.framing import subjects

    mountains = subjects(world_of("jagged snowy peaks", 256.0))
    coast = subjects(world_of("a rocky coast under a grey sky", 256.0))
    rocks = [s for s in mountains if s.kind == "props"]
    assert all(not s.rock_named for s in rocks)
    assert any(s.rock_named and s.normals is not None and np.isfinite(s.normals[:, 0]).any()
               for s in coast if s.kind == "props")


# ------------------------------------------------------------------------------------------- hamlets


@pytest.mark.parametrize("text", ["an old windmill and a farmhouse among fields",
                                  "a brick tower beside white cottages on a green hill",
                                  "three stone houses and two wooden cabins"])
def test_buildings_of_kinds_named_together_stand_together(text: str) -> None:
    w = generate_world(read(text), 7, GenerateConfig(size_m=1024.0))
    xy = np.array([(s.x, s.y) for s in w.structures if s.kind in ("windmill", "tower", "house", "cabin")])
    assert len(xy) >= 2
    far = max(math.hypot(*(a - b)) for a in xy for b in xy)
    assert far < 260.0, far  # one view holds them, not two ends of the map


def test_each_kind_of_building_is_built_of_its_own_material() -> None:
    s = read("three stone houses and two wooden cabins by a lake")
    assert s.modifiers["building.house"] == "stone" and s.modifiers["building.cabin"] == "wood"
    assert "building.house" not in read("five stone houses").modifiers  # one material: the plain key alone
    w = generate_world(s, 7, GenerateConfig(size_m=512.0))
    looks = {(st.kind, st.material) for st in w.structures if st.kind in ("house", "cabin")}
    assert looks == {("house", "stone"), ("cabin", "wood")}


def test_a_high_street_is_a_lane_between_terraces_lit_by_street_lamps() -> None:
    s = read("a rainy night on a small town high street, shop windows lit")
    assert s.modifiers["road"] == "narrow" and al.wants_alley(s)
    w = world_of("a rainy night on a small town high street, shop windows lit", 512.0)
    lamps = w.inst_xyz[w.inst_kind == INSTANCE_KINDS.index("lamp_post")]
    lane = next(p for p in w.paths if p.id == "alley-1").points_n3
    near = [float(np.min(np.hypot(*(lane[:, :2] - xy).T))) for xy in lamps[:, :2]]
    assert sum(d < 4.0 for d in near) >= 5  # along the lane, at the house fronts
    assert "narrow" not in read("a main road through fields").modifiers.get("road", "")
