"""Car commercials: a coastal road above the sea, vineyards a road runs through, the hero angle on the car, and
each named vehicle with its own body and paint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot, vehicle_view_angle
from oyster_nodes.world.generate.world import generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.gpu_scene import _look_groups
from oyster_nodes.world.render.meshes import instance_mesh, vehicle_looks, vine_look
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, SEMANTIC_CLASSES, WorldState

VEHICLE, VINE = INSTANCE_KINDS.index("vehicle"), INSTANCE_KINDS.index("vine")
TREES = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm")]


def coastal(text: str = "a red sports car on a coastal road above the sea") -> WorldSpec:
    return WorldSpec(text=text, terrain="hills", shore="coast", water=["ocean"], structures={"road": 1},
                     props={"vehicles": 1}, vegetation={"broadleaf": 0.35, "conifers": 0.1, "grass": 0.8},
                     modifiers={"road": "coastal", "shore": "cliffs"}, time_of_day="afternoon")


@pytest.fixture(scope="module")
def coast_world() -> WorldState:
    return generate_world(coastal(), 7)


def sea_distance(world: WorldState) -> np.ndarray:
    from scipy import ndimage

    return ndimage.distance_transform_edt(~np.isfinite(world.water_hw)) * world.cell_m


def test_a_coastal_road_runs_along_the_cliff_top_near_the_sea(coast_world: WorldState) -> None:
    road = next(p for p in coast_world.paths if p.kind == "road")
    d = sea_distance(coast_world)
    ij = np.clip(np.round(road.points_n3[:, 1::-1] / coast_world.cell_m).astype(int), 0, coast_world.n - 1)
    along = d[ij[:, 0], ij[:, 1]]
    assert len(road.points_n3) > 40  # a road along the coast, not a stub
    assert np.median(along) < 80.0 and np.percentile(along, 90) < 110.0
    assert float(np.median(road.points_n3[:, 2])) > 15.0  # on the cliff top, above the sea


def test_nothing_between_the_coastal_road_and_the_sea_stands_above_the_road(coast_world: WorldState) -> None:
    road = next(p for p in coast_world.paths if p.kind == "road")
    d = sea_distance(coast_world)
    pts = road.points_n3[len(road.points_n3) // 4: 3 * len(road.points_n3) // 4: 6]
    for x, y, z in pts:
        i, j = int(y / coast_world.cell_m), int(x / coast_world.cell_m)
        gy, gx = np.gradient(d[i - 3:i + 4, j - 3:j + 4])
        seaward = -np.array([gx[3, 3], gy[3, 3]]) / (math.hypot(gx[3, 3], gy[3, 3]) + 1e-9)
        ahead = [np.array([x, y]) + seaward * t for t in np.arange(8.0, 60.0, 4.0)]
        heights = [coast_world.height_at(float(p[0]), float(p[1])) for p in ahead]
        assert max(heights) <= z + 1.0, (x, y, z, max(heights))
    kinds = coast_world.inst_kind
    trees = np.isin(kinds, TREES)
    txy = coast_world.inst_xyz[trees, :2].astype(np.float64)
    txy = txy[np.hypot(*(txy[:, None, :] - road.points_n3[None, ::4, :2]).transpose(2, 0, 1)).min(axis=1) < 60.0]
    tij = np.clip(np.round(txy[:, ::-1] / coast_world.cell_m).astype(int), 0, coast_world.n - 1)
    road_d = np.array([d[int(y / coast_world.cell_m), int(x / coast_world.cell_m)] for x, y, _ in road.points_n3])
    # no tree stands on the cliff top between the road and the edge (seaward of the road's line, on land)
    assert (d[tij[:, 0], tij[:, 1]] < np.percentile(road_d, 10) - 15).sum() <= 0.02 * len(txy) + 5


def test_the_coastal_car_is_framed_with_the_sea_in_the_picture(coast_world: WorldState, renderer: Renderer) -> None:
    shot = frame_shot(coast_world, width=320, height=180)
    assert shot.subject.kind == "vehicle"
    img = renderer.render(coast_world, shot.camera)
    sem = img.semantic_hw
    water = float((sem == SEMANTIC_CLASSES.index("water")).mean())
    assert water >= 0.03, shot.note
    car = np.isin(img.instance_hw, np.nonzero(coast_world.inst_kind == VEHICLE)[0] + 1).mean()
    assert car >= 0.01, shot.note


def view_off_nose(shot_cam_pos: tuple[float, float, float], world: WorldState) -> float:
    car = world.inst_xyz[world.inst_kind == VEHICLE][0].astype(np.float64)
    yaw = float(world.inst_yaw[world.inst_kind == VEHICLE][0])
    rel = np.asarray(shot_cam_pos[:2]) - car[:2]
    return math.degrees(math.acos(float(np.dot(rel / np.linalg.norm(rel), (math.cos(yaw), math.sin(yaw))))))


def plains_car(text: str) -> WorldState:
    spec = WorldSpec(text=text, terrain="plains", structures={"road": 1}, props={"vehicles": 1},
                     vegetation={"grass": 0.8})
    return generate_world(spec, 3)


def test_a_car_is_framed_front_three_quarter_unless_the_prompt_asks_for_its_side() -> None:
    world = plains_car("a silver sedan on an empty road")
    off = view_off_nose(frame_shot(world, width=320, height=180).camera.position, world)
    assert 20.0 <= off <= 65.0
    side = plains_car("a silver sedan on an empty road, side profile tracking shot")
    assert vehicle_view_angle(side.spec) == 90.0
    assert 70.0 <= view_off_nose(frame_shot(side, width=320, height=180).camera.position, side) <= 110.0


def test_a_lakeside_road_reads_as_a_road_along_the_shore() -> None:
    spec = spec_from_prompt(Prompt(text="a sports coupe on a lakeside road at dawn", seed=7), None)
    assert spec.modifiers.get("road") == "coastal" and "lake" in spec.water


@pytest.fixture(scope="module")
def vineyard() -> WorldState:
    spec = spec_from_prompt(
        Prompt(text="an electric hatchback commercial driving through autumn vineyards at golden hour", seed=7), None)
    return generate_world(spec, 7)


def test_driving_through_vineyards_reads_as_vines_and_a_road(vineyard: WorldState) -> None:
    spec = vineyard.spec
    assert spec["vegetation"].get("vines", 0) > 0
    assert spec["structures"].get("road") == 1
    assert spec["season"] == "autumn"


def test_a_vineyard_is_rows_of_vines_down_the_slope_with_the_road_through_it(vineyard: WorldState) -> None:
    vines = vineyard.inst_kind == VINE
    assert vines.sum() > 2000
    yaw = float(vineyard.inst_yaw[vines][0])
    assert np.ptp(vineyard.inst_yaw[vines]) < 1e-5  # every row runs the same way
    turn = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])  # world -> row frame: @ turn

    def rows(xy: np.ndarray) -> np.ndarray:
        return np.asarray(xy, np.float64) @ turn

    xy = rows(vineyard.inst_xyz[vines, :2])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    road = rows(np.concatenate([p.points_n3[:, :2] for p in vineyard.paths if p.kind == "road"]))
    assert (np.all((road > lo) & (road < hi), axis=1)).sum() >= 10  # the road runs through the vineyard
    car = rows(vineyard.inst_xyz[vineyard.inst_kind == VEHICLE][:1, :2])[0]
    assert np.all((car > lo) & (car < hi))
    trees = np.isin(vineyard.inst_kind, TREES)
    txy = rows(vineyard.inst_xyz[trees, :2])
    inside = np.all((txy > lo + 5) & (txy < hi - 5), axis=1)
    assert inside.sum() == 0


def test_autumn_vines_turn_gold_and_rust() -> None:
    summer, autumn = instance_mesh("vine", 0, vine_look({"season": "summer"})), instance_mesh(
        "vine", 0, vine_look({"season": "autumn"}))
    assert vine_look({"season": "autumn"}) == "autumn"
    leaf_s, leaf_a = summer.col[summer.pos[:, 2] > 1.3].mean(axis=0), autumn.col[autumn.pos[:, 2] > 1.3].mean(axis=0)
    assert leaf_s[1] > leaf_s[0] and leaf_a[0] > 2 * leaf_a[2] and leaf_a[0] > leaf_a[1]


def test_the_vineyard_world_is_deterministic(vineyard: WorldState) -> None:
    again = generate_world(WorldSpec.from_json(vineyard.spec), 7)
    assert np.array_equal(again.inst_xyz, vineyard.inst_xyz) and np.array_equal(again.height_hw, vineyard.height_hw)


def test_each_named_vehicle_gets_its_own_body_and_paint() -> None:
    text = "a red pickup and a blue sedan on a country road"
    assert vehicle_looks(text) == [("red", "pickup"), ("blue", "sedan")]
    assert vehicle_looks("a red sports car") == [("red", "sports")]
    assert vehicle_looks("a pickup truck on a track") == [("", "pickup")]
    assert vehicle_looks("a silver estate car") == [("silver", "estate")]
    assert vehicle_looks("a blue hatchback and an old station wagon") == [("blue", "hatchback"), ("", "estate")]
    assert vehicle_looks("a red car at a country estate") == [("red", "sedan")]  # the estate is the house
    assert vehicle_looks("a city street with taxis") == [("yellow", "sedan")]  # a taxi is yellow unless painted
    assert vehicle_looks("a black taxi") == [("black", "sedan")]
    spec = spec_from_prompt(Prompt(text=text, seed=7), None)
    assert spec.props["vehicles"] == 2
    world = generate_world(spec, 7)
    groups = [(k, look) for k, members, look in _look_groups(world, world.inst_kind.astype(np.int64))
              if k % 1000 == VEHICLE]
    assert [look for _, look in groups] == ["red:pickup", "blue:sedan"]
    cars = world.inst_xyz[world.inst_kind == VEHICLE]
    assert len(cars) == 2 and np.hypot(*(cars[0, :2] - cars[1, :2])) < 20.0  # one shot holds both
    shot = frame_shot(world, width=320, height=180)
    assert shot.subject.label == "the 2 vehicles"


def test_nothing_on_the_cliff_lip_stands_between_a_clifftop_car_and_the_sea() -> None:
    from scipy import ndimage

    spec = spec_from_prompt(Prompt(text="a silver estate car on a coastal cliff road at golden hour", seed=7), None)
    world = generate_world(spec, 7)
    car = world.inst_xyz[world.inst_kind == VEHICLE][0]
    wet = np.isfinite(world.water_hw)
    _, (wi, wj) = ndimage.distance_transform_edt(~wet, return_indices=True)
    i, j = int(car[1] / world.cell_m), int(car[0] / world.cell_m)
    way = np.array([wj[i, j] - j, wi[i, j] - i], np.float64)
    way /= np.hypot(*way)
    boulders = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("boulder")][:, :2] - car[:2]
    r = np.hypot(boulders[:, 0], boulders[:, 1])
    seaward = (boulders @ way) >= np.cos(np.radians(50.0)) * r
    assert not (seaward & (r < 60.0)).any()


def test_a_highway_is_dark_asphalt_and_a_dirt_road_is_not() -> None:
    from oyster_nodes.world.render.albedo import terrain_albedo

    def road_colour(text: str, mods: dict[str, str]) -> float:
        spec = WorldSpec(text=text, terrain="dunes", structures={"road": 1}, modifiers=mods)
        world = generate_world(spec, 5)
        alb = terrain_albedo(world)
        road = world.material_hw == MATERIALS.index("road")
        return float(alb[road, :3].mean())

    assert road_colour("a black car on a desert highway", {}) < 0.6 * road_colour("a car on a desert road", {})
    assert road_colour("a jeep on a dirt highway", {"road": "dirt"}) == road_colour("a car on a desert road", {})


def test_a_car_s_own_road_runs_through_the_world_end_to_end() -> None:
    world = plains_car("a black car on a desert highway")
    road = next(p for p in world.paths if p.kind == "road")
    ends = road.points_n3[[0, -1], :2]
    margin = np.minimum(ends, world.size_m - ends).min(axis=1)
    assert (margin < 0.03 * world.size_m).all()  # both ends at the border: no dead end where the car stands
    assert np.hypot(*(ends[0] - ends[1])) > 0.5 * world.size_m


def test_a_drone_shot_of_a_car_is_taken_from_well_above_it() -> None:
    world = plains_car("a silver sedan on an empty road, drone shot")
    shot = frame_shot(world, width=320, height=180)
    car = world.inst_xyz[world.inst_kind == VEHICLE][0]
    assert shot.camera.position[2] - car[2] > 6.0
    low = frame_shot(plains_car("a silver sedan on an empty road"), width=320, height=180)
    assert low.camera.position[2] - car[2] < shot.camera.position[2] - car[2]
