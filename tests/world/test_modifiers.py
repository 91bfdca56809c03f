"""Prompt modifiers are read with their head noun: 'black sand' is a sand colour, not night."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import WATER_SRGB, GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import SpecError, WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.albedo import terrain_albedo
from oyster_nodes.world.state.records import Env
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


def test_black_sand_is_a_sand_colour_not_night() -> None:
    s = read("a black sand beach")
    assert s.modifiers["sand"] == "black"
    assert s.time_of_day != "night"
    assert s.shore == "coast" and s.terrain != "dunes"  # a beach's sand, not a desert


def test_dark_water_is_a_water_colour_not_night() -> None:
    s = read("a lake of dark water under pines")
    assert s.modifiers["water"] == "dark"
    assert s.time_of_day != "night"
    assert "lake" in s.water


def test_stone_houses_keep_their_count_and_add_no_rocks() -> None:
    s = read("five stone houses on a hillside")
    assert s.structures["house"] == 5
    assert s.modifiers["building"] == "stone"
    assert "rocks" not in s.props


def test_dry_riverbed_is_a_dry_channel() -> None:
    s = read("a dry riverbed in the desert")
    assert "river" in s.water and s.modifiers["river"] == "dry"


def test_canal_is_a_channel_of_water() -> None:
    s = read("a canal through a town")
    assert "river" in s.water and s.modifiers["river"] == "canal"


def test_first_light_is_dawn() -> None:
    assert read("a harbour at first light").time_of_day == "dawn"


def test_heavy_rainfall_is_heavy_rain() -> None:
    s = read("heavy rainfall over the valley")
    assert s.weather == "rain" and s.modifiers["precipitation"] == "heavy"


def test_the_word_water_names_a_water_body() -> None:
    s = read("a cabin by the water")
    assert s.water == ["lake"]
    assert read("a beach by the water").water == ["ocean"]  # by the sea the water is the sea's


def test_coastal_road_above_the_sea_has_cliffs_road_and_sea() -> None:
    s = read("a coastal road above the sea")
    assert s.structures.get("road") == 1 and s.shore == "coast" and "ocean" in s.water
    assert s.modifiers["shore"] == "cliffs" and s.terrain != "plains"


def test_a_coastal_cliff_road_is_a_shore_road_on_sea_cliffs_not_a_mountain_range() -> None:
    s = read("car commercial: a silver estate car on a coastal cliff road at golden hour")
    assert s.modifiers["road"] == "coastal" and s.modifiers["shore"] == "cliffs" and s.modifiers["vehicle"] == "silver"
    assert s.terrain == "hills" and "ocean" in s.water and s.structures.get("road") == 1
    assert not any("estate" in n and "not understood" in n for n in s.notes)
    assert read("a lighthouse on the cliffs of a rocky coast").modifiers["shore"] == "cliffs"


def test_a_cliff_road_with_no_sea_winds_through_mountains() -> None:
    s = read("a winding cliff road in the alps")
    assert s.modifiers["road"] == "winding" and s.shore == "none" and not s.water
    assert s.terrain == "mountains"


def test_an_estate_is_a_car_only_before_car() -> None:
    assert not read("a country estate with gardens").props.get("vehicles")
    assert read("a silver estate car by a lake").props.get("vehicles") == 1


def test_a_rocky_coast_is_strewn_with_rocks_not_one() -> None:
    assert read("a rocky coast").props["rocks"] > 1


def test_a_mountain_colour_is_its_rock_not_the_weather_or_the_night() -> None:
    s = read("rugged grey mountains with a lake at the foot, afternoon")
    assert s.weather != "overcast" and s.modifiers["rock"] == "grey" and s.water == ["lake"]
    assert read("dark mountains under a grey sky").time_of_day != "night"
    assert read("red mountains at dawn").modifiers["rock"] == "red"
    assert read("grey mountains under a grey sky").weather == "overcast"  # the sky's own grey still counts


def test_snowy_peaks_above_green_ground_whiten_the_heights_not_the_year() -> None:
    from oyster_nodes.world.generate.snowcover import wintry

    for text in ("snowy alpine peaks above a green valley at noon", "snowy peaks", "snowy mountains above a green valley"):
        s = read(text)
        assert s.season != "winter" and s.terrain == "mountains" and not wintry(s), text
    for text in ("snowy mountains", "a snowy mountain village", "snowy peaks behind a frozen lake", "a snowy forest"):
        assert read(text).season == "winter", text


def test_winding_country_road() -> None:
    s = read("a winding country road")
    assert s.structures.get("road") == 1 and s.modifiers["road"] == "winding"


def test_cherry_trees_in_bloom_blossom_in_spring() -> None:
    s = read("cherry trees in bloom")
    assert s.modifiers["trees"] == "blossom" and s.season == "spring"
    assert s.vegetation["broadleaf"] > 0.5
    assert "flowers" not in s.vegetation or s.vegetation["flowers"] < 0.5  # "bloom" is the trees', not a meadow


def test_autumn_forest() -> None:
    s = read("autumn forest")
    assert s.season == "autumn" and s.modifiers["trees"] == "autumn"


# -- readings the samples above do not cover ---------------------------------------------------


def test_golden_sand_is_not_golden_hour() -> None:
    s = read("golden sand dunes under a blazing sun")
    assert s.time_of_day != "golden_hour" and s.modifiers["sand"] == "golden" and s.terrain == "dunes"


def test_dark_forest_and_dark_sky_are_not_night() -> None:
    assert read("a cabin at the edge of a dark pine forest, dusk").time_of_day == "dusk"
    assert read("a thunderstorm over open plains, dark sky").time_of_day != "night"
    assert read("a lake in the dark").time_of_day == "night"  # darkness itself still is night


def test_clear_water_is_not_clear_weather_and_colours_apply() -> None:
    s = read("a bay of clear turquoise water, overcast")
    assert s.weather == "overcast" and s.modifiers["water"] == "turquoise"


def test_red_wooden_cabins_count_and_material() -> None:
    s = read("three red wooden cabins by a lake")
    assert s.structures["cabin"] == 3 and s.modifiers["building"] == "wood"  # the nearest modifier wins
    assert "rocks" not in s.props


def test_light_drizzle_and_pouring_rain() -> None:
    assert read("light rain on the moor").modifiers["precipitation"] == "light"
    assert read("pouring rain at night").modifiers["precipitation"] == "heavy"


def test_lying_snow_is_winter_falling_snow_is_snowfall() -> None:
    lying = read("a village in the snow")
    assert lying.weather != "snow" and lying.season == "winter"
    assert read("snow falling on a village").weather == "snow"
    capped = read("snow capped peaks above a lake in summer")
    assert capped.weather != "snow" and capped.season == "summer"


def test_wet_sand_is_not_rain() -> None:
    assert read("a drink can on wet sand at the beach").weather != "rain"


def test_black_car_is_a_car_colour() -> None:
    s = read("a black car on a mountain road")
    assert s.modifiers["vehicle"] == "black" and s.time_of_day != "night" and s.props.get("vehicles")


def test_mountain_pass_is_a_road_in_the_mountains() -> None:
    s = read("a red sports car on a winding mountain pass at sunset")
    assert s.terrain == "mountains" and s.structures.get("road") == 1 and s.modifiers["road"] == "winding"
    assert s.modifiers["vehicle"] == "red" and s.time_of_day == "golden_hour"


def test_negated_modifier_is_not_read() -> None:
    s = read("a beach, no black sand")
    assert "sand" not in s.modifiers


def test_modifiers_validated_with_field_and_choices() -> None:
    spec = read("a black sand beach")
    assert "~ sand: black" in spec.match_table()
    with pytest.raises(SpecError, match=r"modifiers\.sand.*one of"):
        spec.with_overrides({"modifiers": {"sand": "plaid"}})
    with pytest.raises(SpecError, match=r"modifiers\.colour' is unknown"):
        spec.with_overrides({"modifiers": {"colour": "black"}})
    assert WorldSpec.from_json(spec.to_json()).modifiers == spec.modifiers


# -- what generation makes of them -------------------------------------------------------------

SMALL = GenerateConfig(size_m=384.0, cell_m=1.5)


def make(text: str, seed: int = 4) -> WorldState:
    return generate_world(read(text), seed, SMALL)


def test_stone_houses_are_built_of_stone() -> None:
    w = make("five stone houses on a hillside")
    houses = [s for s in w.structures if s.kind == "house"]
    assert len(houses) == 5 and all(s.material == "stone" for s in houses)
    plain = [s for s in make("five houses on a hillside").structures if s.kind == "house"]
    assert all(s.material != "stone" for s in plain)


def test_dry_riverbed_is_cut_but_holds_no_water() -> None:
    w = make("a dry riverbed in rolling hills")
    beds = [p for p in w.paths if p.kind == "riverbed"]
    assert beds and not any(p.kind == "river" for p in w.paths)
    assert not np.isfinite(w.water_hw).any()
    ij = np.clip(np.round(beds[0].points_n3[:, 1::-1] / w.cell_m).astype(int), 0, w.n - 1)
    assert (w.material_hw[ij[:, 0], ij[:, 1]] == MATERIALS.index("gravel")).mean() > 0.8
    wet = make("a river in rolling hills")
    assert np.isfinite(wet.water_hw).any()


def test_canal_is_straight_still_water() -> None:
    w = make("a canal across the plains")
    canal = next(p for p in w.paths if p.kind == "canal")
    pts = canal.points_n3
    chord = np.linalg.norm(pts[-1, :2] - pts[0, :2])
    walked = np.linalg.norm(np.diff(pts[:, :2], axis=0), axis=1).sum()
    assert walked < 1.02 * chord and np.ptp(pts[:, 2]) < 0.01
    assert np.isfinite(w.water_hw).any()


def test_heavy_rain_is_heavier_and_water_colour_reaches_the_env() -> None:
    heavy, plain = make("heavy rain over dark water"), make("rain over water")
    assert heavy.env.precipitation.intensity > plain.env.precipitation.intensity
    assert heavy.env.water_color == WATER_SRGB["dark"] and plain.env.water_color is None
    assert heavy.env.to_json()["water_color"] == list(WATER_SRGB["dark"]) and "water_color" not in plain.env.to_json()
    assert heavy.env.clock_h == plain.env.clock_h  # dark water is not night


def test_black_sand_is_drawn_black() -> None:
    black, plain = make("a black sand beach"), make("a sandy beach")
    sand = MATERIALS.index("sand")
    lum = [terrain_albedo(w)[..., :3][w.material_hw == sand].mean() for w in (black, plain)]
    assert lum[0] < 0.4 * lum[1]


def test_strata_only_in_canyons() -> None:
    assert terrain_albedo(make("jagged mountains"))[..., 3].max() == 0
    assert terrain_albedo(make("a red rock canyon"))[..., 3].max() > 100


def test_cliffs_stand_above_the_sea() -> None:
    w = make("a coastal road above the sea")
    sea = np.isfinite(w.water_hw) & (w.height_hw < 0)
    dist = ndimage.distance_transform_edt(~sea) * w.cell_m
    coast = (dist > 20) & (dist < 60)
    flat = make("a road along a beach by the sea")
    fsea = np.isfinite(flat.water_hw) & (flat.height_hw < 0)
    fcoast = (ndimage.distance_transform_edt(~fsea) * flat.cell_m > 20) & (
        ndimage.distance_transform_edt(~fsea) * flat.cell_m < 60)
    assert np.median(w.height_hw[coast]) > 15.0 > np.median(flat.height_hw[fcoast])
    assert any(p.kind == "road" for p in w.paths)


def test_winding_road_bends_more() -> None:
    def bendiness(w: WorldState) -> float:
        road = max((p for p in w.paths if p.kind == "road"), key=lambda p: len(p.points_n3))
        d = np.diff(road.points_n3[:, :2], axis=0)
        heading = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
        return float(np.abs(np.diff(heading)).sum())

    assert bendiness(make("a winding road across the plains")) > 1.3 * bendiness(make("a road across the plains"))


def test_modified_worlds_stay_deterministic() -> None:
    spec = read("a winding road past five stone houses to a black sand beach, heavy rain")
    a, b = generate_world(spec, 9, SMALL), generate_world(spec, 9, SMALL)
    assert a.content_hash() == b.content_hash()


def test_a_contradiction_is_noted_not_dropped_silently() -> None:
    s = read("a desert with a frozen lake")
    assert s.terrain == "dunes"
    assert any(n.startswith("not honoured: 'frozen'") and "dunes" in n for n in s.notes)
    for fine in ("a frozen lake in the mountains", "snowy peaks above a green valley", "a flat desert plain"):
        assert not [n for n in read(fine).notes if n.startswith("not honoured")], fine


def test_snowstorm_and_thick_fog_are_read_with_their_strength() -> None:
    storm = read("a snowstorm over a mountain village")
    assert storm.weather == "snow" and storm.modifiers.get("precipitation") == "heavy"
    assert read("thick fog over a harbour").modifiers.get("fog") == "heavy"
    assert read("thin mist over a lake").modifiers.get("fog") == "light"


def test_a_blizzard_darkens_the_sky_and_thick_fog_thickens() -> None:
    def env(text: str) -> Env:
        return generate_world(read(text), 3, SMALL).env

    snow, blizzard = env("snow falling on a mountain ridge"), env("a blizzard on a mountain ridge")
    assert sum(blizzard.sky_horizon) < 0.6 * sum(snow.sky_horizon)
    assert blizzard.precipitation.intensity > snow.precipitation.intensity
    assert blizzard.wind.speed_mps >= 14.0 and blizzard.cloud_cover == 1.0
    assert env("thick fog over hills").fog_density > 1.5 * env("fog over hills").fog_density


def test_a_car_stands_on_its_road_clear_of_the_house_and_a_4x4_is_a_vehicle() -> None:
    world = generate_world(read("a family car on a country lane, a farmhouse in the distance"), 7, SMALL)
    cars = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle")]
    assert len(cars) == 1
    road = np.concatenate([p.points_n3[:, :2] for p in world.paths if p.kind == "road"])
    assert np.hypot(*(road - cars[0, :2]).T).min() < 2.5  # in the lane, not in the trees beside it
    houses = np.array([[s.x, s.y] for s in world.structures])
    assert np.hypot(*(houses - cars[0, :2]).T).min() > 15.0
    assert read("a rugged 4x4 on a gravel road").props.get("vehicles") == 1
    assert read("a yellow taxi on a road").modifiers.get("vehicle") == "yellow"


def test_a_named_paint_colours_the_vehicle() -> None:
    from oyster_nodes.world.render.meshes import VEHICLE_PAINT, instance_mesh, look_of

    look = look_of(read("a black sedan on a road").to_dict(), "vehicle")
    body = instance_mesh("vehicle", 0, look).col[0]
    assert np.allclose(body, VEHICLE_PAINT["black"]) and not np.allclose(body, VEHICLE_PAINT["red"])


def test_drizzle_falls_from_a_paler_sky_through_clearer_air_and_a_downpour_from_a_darker_one() -> None:
    light, plain, heavy = make("light rain on the moor"), make("rain on the moor"), make("torrential rain on the moor")
    lum = lambda e: sum(e.sky_horizon) / 3.0  # noqa: E731
    assert lum(light.env) > 1.2 * lum(plain.env) > 1.2 * lum(heavy.env)
    assert light.env.fog_density < plain.env.fog_density < heavy.env.fog_density
    assert light.env.wetness < 0.85 and light.env.precipitation.intensity < plain.env.precipitation.intensity


def test_a_blizzard_is_a_dark_sky_over_ground_lit_from_all_round() -> None:
    from oyster_nodes.world.render.lighting import lighting_from_env

    blizzard, snow = make("a blizzard on a mountain ridge"), make("snow falling on a mountain ridge")
    assert sum(blizzard.env.sky_horizon) < 0.5 * sum(snow.env.sky_horizon)  # the storm's dark sky
    assert blizzard.env.fog_density > 2.5 * snow.env.fog_density  # thick with snow
    b, s = lighting_from_env(blizzard.env), lighting_from_env(snow.env)
    # the ground's sky light stays near the plain snowfall's although the sky seen is far darker
    assert sum(b.ambient_sky) > 0.7 * sum(s.ambient_sky)
    assert blizzard.env.to_json()["skylight_gain"] == pytest.approx(2.0)


def test_a_structure_named_positively_is_one_building_not_every_kind() -> None:
    s = read("a stone structure on a hill")
    assert s.structures == {"house": 1} and s.modifiers.get("building") == "stone"
    assert not read("a valley with no structures").structures  # negated, the word still rules out all
