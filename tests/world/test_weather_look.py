"""Weather and atmosphere you can see: falling rain and snow, fog over distance, storm skies, night, sunset."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.lighting import lighting_from_env
from oyster_nodes.world.render.renderer import Renderer, RenderSettings
from oyster_nodes.world.render.sequence import falling_at
from oyster_nodes.world.render.weather import fog_ground, precip_uniforms, precipitation
from oyster_nodes.world.state.records import Env
from oyster_nodes.world.state.sky import build_env, clock_for_time
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES

from .test_render import small_world

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180


def env_of(weather: str = "clear", time_of_day: str = "afternoon", season: str = "summer") -> dict:
    return build_env(clock_h=clock_for_time(time_of_day, season), season=season, weather=weather, mood="serene",
                     palette="natural", style="natural", time_of_day=time_of_day, seed=3, sea_level_m=None)


def dry(env: dict) -> dict:
    """The same weather with nothing falling."""
    return {**env, "precipitation": {"kind": "none", "intensity": 0.0}}


def low_view(w: int = W, h: int = H) -> Camera:
    """A camera low over the small world looking across it, half sky."""
    return Camera(position=(20.0, 20.0, 22.0), target=(200.0, 200.0, 22.0), focal_mm=24.0, width=w, height=h,
                  near_m=0.5)


def luma(rgb: np.ndarray) -> np.ndarray:
    x = rgb.astype(np.float64) / 255.0
    return x[..., 0] * 0.2126 + x[..., 1] * 0.7152 + x[..., 2] * 0.0722


def high_pass(lum: np.ndarray) -> np.ndarray:
    """Luminance minus its 7x7 box mean (edges clamped)."""
    pad = np.pad(lum, 3, mode="edge")
    acc = np.zeros_like(lum)
    for dy in range(7):
        for dx in range(7):
            acc += pad[dy : dy + lum.shape[0], dx : dx + lum.shape[1]]
    return lum - acc / 49.0


def open_sky(img) -> np.ndarray:
    """Sky pixels at least 4 pixels from anything else."""
    sky = img.semantic_hw == SEM["sky"]
    out = sky.copy()
    for dy in range(-4, 5):
        for dx in range(-4, 5):
            out &= np.roll(np.roll(sky, dy, 0), dx, 1)
    out[:4], out[-4:], out[:, :4], out[:, -4:] = False, False, False, False
    return out


def streaks(img) -> dict[str, float]:
    """Over open sky: high-pass energy, horizontal over vertical gradient (vertical streaks > 1) and the share
    of bright specks."""
    region = open_sky(img)
    assert region.mean() > 0.1, "the view must show open sky"
    hp = high_pass(luma(img.rgb_hw3))
    gx, gy = np.abs(np.diff(hp, axis=1))[:-1], np.abs(np.diff(hp, axis=0))[:, :-1]
    r = region[:-1, :-1]
    return {"energy": float(np.abs(hp[region]).mean()), "anisotropy": float(gx[r].mean() / max(gy[r].mean(), 1e-9)),
            "specks": float((hp[region] > 0.06).mean())}


def render(renderer: Renderer, env: dict, cam: Camera | None = None):
    return renderer.render(small_world(env), cam or low_view())


def test_rain_falls_as_vertical_streaks_a_dry_frame_lacks(renderer: Renderer) -> None:
    wet = env_of("rain")
    rain, still_dry = streaks(render(renderer, wet)), streaks(render(renderer, dry(wet)))
    assert rain["energy"] > 0.004 and rain["energy"] > 4 * still_dry["energy"]
    assert rain["anisotropy"] > 1.4 > still_dry["anisotropy"]


def test_snowfall_shows_flakes(renderer: Renderer) -> None:
    snow = env_of("snow", season="winter")
    falling, calm = streaks(render(renderer, snow)), streaks(render(renderer, dry(snow)))
    assert falling["specks"] > 0.001 and calm["specks"] < 0.0002
    assert 0.6 < falling["anisotropy"] < 1.5  # round flakes, not streaks


def test_precipitation_is_deterministic_and_falls_on_over_a_shot(renderer: Renderer) -> None:
    env = env_of("rain")
    a, b = render(renderer, {**env, "time_s": 0.5}), render(renderer, {**env, "time_s": 0.5})
    assert np.array_equal(a.rgb_hw3, b.rgb_hw3)
    later = render(renderer, {**env, "time_s": 0.54})
    sky = open_sky(a)
    assert np.abs(a.rgb_hw3[sky].astype(int) - later.rgb_hw3[sky]).mean() > 1.0  # the streaks moved
    # a shot without a timeline still gets its clock, where something falls
    world = small_world(env)
    assert falling_at(world, 1.25).env.time_s == 1.25
    assert falling_at(small_world(env_of("clear")), 1.25).env.time_s is None


def test_rain_is_not_drawn_in_front_of_near_things(renderer: Renderer) -> None:
    world = small_world(env_of("rain"))
    cabin = world.structures[0]
    # one metre from the cabin's wall, looking at it: the nearest layer of rain lies behind the wall
    cam = Camera(position=(cabin.x - 5.0, cabin.y, cabin.z + 2.0), target=(cabin.x, cabin.y, cabin.z + 2.0),
                 focal_mm=50.0, width=W, height=H, near_m=0.1)
    wet = renderer.render(world, cam)
    still_dry = renderer.render(dataclasses.replace(world, env=dry(world.env.to_json())), cam)
    near = np.isfinite(wet.depth_hw) & (wet.depth_hw < 1.7)
    assert near.mean() > 0.3
    assert np.array_equal(wet.rgb_hw3[near], still_dry.rgb_hw3[near])


def test_precipitation_reads_env_and_weather() -> None:
    assert precipitation(Env(weather="storm")) == ("rain", 1.0)
    assert precipitation(Env(weather="snow"))[0] == "snow"
    assert precipitation(Env(weather="clear")) == ("none", 0.0)
    assert precipitation(Env.from_json({"precipitation": {"kind": "rain", "intensity": 0.0}})) == ("none", 0.0)
    env = Env.from_json(env_of("clear"))
    assert precip_uniforms(env, lighting_from_env(env), low_view(), 1) is None


def far_near(img, sky_l: float | None = None) -> tuple[float, float]:
    """Far ground's RMS contrast over the near ground's, and how far the far ground stands off the horizon."""
    lum = luma(img.rgb_hw3)
    ground = (img.semantic_hw != SEM["sky"]) & np.isfinite(img.depth_hw)
    d = img.depth_hw[ground]
    near = ground & (img.depth_hw <= np.quantile(d, 0.3))
    far = ground & (img.depth_hw >= np.quantile(d, 0.85))

    def contrast(m: np.ndarray) -> float:
        return float(lum[m].std() / max(lum[m].mean(), 1e-3))

    sky = img.semantic_hw == SEM["sky"]
    horizon = float(np.median(lum[sky & (np.arange(lum.shape[0])[:, None] > 0.25 * lum.shape[0])])) if sky.any() else 1.0
    return contrast(far) / contrast(near), abs(float(np.median(lum[far])) - horizon) / horizon


def fog_view() -> Camera:
    return Camera(position=(10.0, 10.0, 40.0), target=(240.0, 240.0, 0.0), focal_mm=28.0, width=W, height=H,
                  near_m=0.5)


def test_fog_takes_the_far_ground_into_the_fog(renderer: Renderer) -> None:
    foggy = env_of("fog", "morning")
    ratio, off_sky = far_near(render(renderer, {**foggy, "fog_density": 0.01}, fog_view()))
    clear_ratio, clear_off = far_near(render(renderer, env_of("clear", "morning"), fog_view()))
    assert ratio <= 0.45 < clear_ratio
    assert off_sky <= 0.2 < clear_off


def test_fog_lies_on_the_ground_around_the_subject() -> None:
    """A plateau 120 m up with a pit at the world's far corner: the fog's base is the plateau, not the pit."""
    world = small_world()
    h = np.full_like(world.height_hw, 120.0)
    h[-20:, -20:] = 0.0
    plateau = dataclasses.replace(world, height_hw=h, water_hw=np.full_like(h, np.nan))
    cam = Camera(position=(30.0, 30.0, 170.0), target=(100.0, 100.0, 120.0), width=W, height=H)
    base, mist = fog_ground(plateau, cam)
    assert base == pytest.approx(120.0) and np.isnan(mist)
    lake = dataclasses.replace(plateau, water_hw=np.where(np.hypot(*np.mgrid[0:257, 0:257] - 100.0) < 60, 118.0,
                                                          np.nan).astype(np.float32))
    assert fog_ground(lake, cam)[1] == pytest.approx(118.0)  # the mist lies on the water


def test_mist_lies_over_the_water_in_fog(renderer: Renderer) -> None:
    foggy = env_of("fog", "morning")
    lake = Camera(position=(60.0, 60.0, 30.0), target=(150.0, 150.0, 3.0), focal_mm=28.0, width=W, height=H)
    misty, none = render(renderer, foggy, lake), render(renderer, {**foggy, "mist_density": 0.0}, lake)
    water = misty.semantic_hw == SEM["water"]
    assert water.mean() > 0.01
    assert luma(misty.rgb_hw3)[water].std() < luma(none.rgb_hw3)[water].std()
    assert abs(luma(misty.rgb_hw3)[water].mean() - luma(none.rgb_hw3)[water].mean()) > 0.01


def sky_luma(img) -> float:
    return float(luma(img.rgb_hw3)[img.semantic_hw == SEM["sky"]].mean())


def test_a_storm_sky_is_dark_and_grey(renderer: Renderer) -> None:
    storm, clear = render(renderer, env_of("storm")), render(renderer, env_of("clear"))
    assert sky_luma(storm) < 0.5 and sky_luma(storm) < 0.75 * sky_luma(clear)
    rgb = storm.rgb_hw3[storm.semantic_hw == SEM["sky"]].astype(np.float64) / 255
    assert float((rgb.max(1) - rgb.min(1)).mean()) < 0.12


def test_a_night_frame_is_legible_under_a_dark_blue_sky(renderer: Renderer) -> None:
    img = render(renderer, env_of("clear", "night"), fog_view())
    lum = luma(img.rgb_hw3)
    ground = img.semantic_hw != SEM["sky"]
    assert lum[ground].mean() > 0.06  # the ground reads
    p5, p95 = np.quantile(lum, [0.05, 0.95])
    assert p95 - p5 > 0.12
    night_sky = render(renderer, env_of("clear", "night"))
    sky = night_sky.rgb_hw3[night_sky.semantic_hw == SEM["sky"]].astype(np.float64).mean(axis=0)
    assert 0.03 < sky_luma(night_sky) < 0.25 and sky[2] > sky[0] * 1.2  # dark blue, not black, not grey
    # under cloud too: the sky stays dark (neither fog nor cloud lifts it to grey) and the ground reads over it
    cloudy = render(renderer, env_of("overcast", "night"), fog_view())
    assert sky_luma(cloudy) < 0.2 < luma(cloudy.rgb_hw3)[cloudy.semantic_hw != SEM["sky"]].mean() + 0.1
    assert luma(cloudy.rgb_hw3)[cloudy.semantic_hw != SEM["sky"]].mean() > sky_luma(cloudy)


def horizon_warmth(img) -> float:
    """Mean red minus blue of the sky's lowest rows in each column."""
    rgb = img.rgb_hw3.astype(np.float64) / 255
    sky = img.semantic_hw == SEM["sky"]
    rows = np.arange(sky.shape[0])[:, None]
    bottom = np.where(sky, rows, -1).max(axis=0)
    low = sky & (rows >= bottom - 12)
    return float((rgb[..., 0] - rgb[..., 2])[low].mean())


def test_sunset_light_is_warm(renderer: Renderer) -> None:
    golden, noon = env_of("clear", "golden_hour"), env_of("clear", "noon")
    assert horizon_warmth(render(renderer, golden)) > 0.06 > horizon_warmth(render(renderer, noon))
    key, key_noon = lighting_from_env(Env.from_json(golden)).key_color, lighting_from_env(Env.from_json(noon)).key_color
    assert key[0] > 2.5 * key[2] and key_noon[0] < 1.3 * key_noon[2]


@pytest.mark.parametrize("weather, time_of_day", [("rain", "afternoon"), ("snow", "dusk"), ("fog", "dawn"),
                                                  ("storm", "night")])
def test_weather_renders_bit_identically(renderer: Renderer, weather: str, time_of_day: str) -> None:
    env = env_of(weather, time_of_day)
    other = Renderer()
    try:
        a, b = render(renderer, env), render(other, env)
    finally:
        other.release()
    assert np.array_equal(a.rgb_hw3, b.rgb_hw3)


def test_supersampled_frames_show_rain_and_the_setting_turns_it_off(renderer: Renderer) -> None:
    env = env_of("rain")
    fine, off = Renderer(RenderSettings(supersample=2)), Renderer(RenderSettings(precipitation=False))
    try:
        assert fine.supersample == 2
        rain = streaks(render(fine, env))
        assert rain["energy"] > 0.003 and rain["anisotropy"] > 1.4
        assert np.array_equal(render(off, env).rgb_hw3, render(renderer, dry(env)).rgb_hw3)
    finally:
        fine.release()
        off.release()


def test_wet_ground_is_darker_near_and_mirrors_the_sky_at_a_glancing_view(renderer: Renderer) -> None:
    cam = Camera(position=(200.0, 20.0, 8.0), target=(240.0, 120.0, 4.0), focal_mm=24.0, width=W, height=H,
                 near_m=0.3)
    env = env_of("rain")
    wet, parched = render(renderer, env, cam), render(renderer, {**env, "wetness": 0.0}, cam)
    ground = (wet.semantic_hw == SEM["terrain"]) & (parched.semantic_hw == SEM["terrain"])
    near, far = ground & (wet.depth_hw < 15.0), ground & (wet.depth_hw > 35.0)
    assert near.mean() > 0.05 and far.mean() > 0.002
    lw, ld = luma(wet.rgb_hw3), luma(parched.rgb_hw3)
    assert lw[near].mean() < ld[near].mean() - 0.01  # darkened by the wet
    assert lw[far].mean() > ld[far].mean() + 0.02  # the sky's sheen on level ground far off


def test_the_fog_base_moves_smoothly_with_the_camera() -> None:
    world = small_world()
    bases = [fog_ground(world, Camera(position=(20.0 + 0.05 * k, 20.0, 40.0), target=(150.0, 150.0, 5.0),
                                      width=W, height=H))[0] for k in range(40)]
    assert np.abs(np.diff(bases)).max() < 0.05 and min(bases) > 0.5 * max(bases)


def test_thick_fog_glows_evenly_towards_a_low_sun(renderer: Renderer) -> None:
    """Dawn fog seen towards the sun: thick fog scatters the sun's light many times over, so the far ground
    fades into an even glow (no bright swathe across the frame) while thin haze keeps its aureole."""
    from oyster_nodes.world.render.lighting import fog_aureole

    toward_sun = {**env_of("fog", "morning"), "fog_density": 0.006, "sun_dir": [0.7, 0.7, 0.12]}
    ratio, _ = far_near(render(renderer, toward_sun, fog_view()))
    assert ratio <= 0.45
    assert fog_aureole(0.00004) > 0.9 > 0.3 > fog_aureole(0.0045)


def test_light_rain_is_fewer_drops_not_fainter_ones(renderer: Renderer) -> None:
    """Drizzle keeps the near drops as bright as a downpour's (so it reads in a still) but draws fewer of them,
    most of all in the far layers that make a downpour's veil: it reads lighter, and still reads as rain."""
    def uniforms(intensity: float) -> dict:
        env = Env.from_json({**env_of("rain"), "precipitation": {"kind": "rain", "intensity": intensity}})
        return precip_uniforms(env, lighting_from_env(env), low_view(), 1)

    light, usual, heavy = uniforms(0.3), uniforms(0.6), uniforms(1.0)
    assert light["u_alpha"][0] == pytest.approx(heavy["u_alpha"][0]) and light["u_alpha"][3] < 0.5 * heavy["u_alpha"][3]
    assert usual["u_keep"] == heavy["u_keep"] == (1.0, 1.0, 1.0, 1.0)  # the weather's own rain: every drop
    assert light["u_keep"][0] > 0.9 and light["u_keep"][3] < 0.6  # near drops stay, the far veil thins
    assert light["u_stretch"][0] > heavy["u_stretch"][0]  # finer drops: shorter streaks
    drizzle = {**env_of("rain"), "precipitation": {"kind": "rain", "intensity": 0.3}}
    downpour = {**env_of("rain"), "precipitation": {"kind": "rain", "intensity": 1.0}}
    light_s, heavy_s = streaks(render(renderer, drizzle)), streaks(render(renderer, downpour))
    assert 0.5 * heavy_s["energy"] < light_s["energy"] < 0.85 * heavy_s["energy"]
    assert light_s["anisotropy"] > 1.4  # still falling streaks


def test_drop_textures_rank_every_drop_and_nothing_else() -> None:
    """Each texel of a drop carries that drop's rank (so a share of the drops can be drawn); empty texels far
    from any drop rank last (1), so no share draws them."""
    from oyster_nodes.world.render.weather import rain_texture, snow_texture

    for tex in (rain_texture(128), snow_texture(128)):
        assert tex.shape == (128, 128, 2) and tex.dtype == np.uint8
        lit, rank = tex[..., 0] > 40, tex[..., 1].astype(int)
        assert (rank[lit] < 255).mean() > 0.99
        ranks = rank[lit]
        assert ranks.min() < 40 and ranks.max() > 215  # drops of every rank


def test_a_moonlit_plain_shows_its_relief_under_a_sky_darker_than_the_ground(renderer: Renderer) -> None:
    """Day-for-night: the moonlit ground is lit well above the night sky, so a bare plain at night is not flat."""
    img = render(renderer, env_of("clear", "night"), low_view())
    lum = luma(img.rgb_hw3)
    ground = (img.semantic_hw != SEM["sky"]) & np.isfinite(img.depth_hw)
    assert float(np.quantile(lum[ground], 0.95)) - sky_luma(img) >= 0.18


def test_mist_on_the_water_doubles_the_fog_there_and_no_more() -> None:
    """The mist layer adds the fog's own density at the water (a lake at first light stays a lake, not a
    white sheet); outside fog there is none."""
    fog = lighting_from_env(Env.from_json(env_of("fog", "morning")))
    assert fog.mist_density == pytest.approx(fog.fog_density)
    assert lighting_from_env(Env.from_json(env_of("clear", "morning"))).mist_density == 0.0
