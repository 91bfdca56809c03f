"""Wet ground: puddles where the ground takes them, and the lamps' streaks on a wet road at night."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.render.wet import MAX_WET_LIGHTS, puddle_sites, wet_light_uniforms, wet_lights
from oyster_nodes.world.state.records import Structure
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, SEMANTIC_CLASSES, WorldState

from .test_weather_look import env_of, luma

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180
LAMP_XY = (64.0, 70.0)


def street(env: dict, lamps: list[tuple[float, float]] | None = None) -> WorldState:
    """128 m of flat grass with a road strip down the middle (x 58..70) and street lamps on it."""
    n = 129
    material = np.full((n, n), MATERIALS.index("grass"), np.uint8)
    material[:, 58:71] = MATERIALS.index("road")
    material[:, :8] = MATERIALS.index("sand")
    xy = np.asarray(lamps if lamps is not None else [LAMP_XY], np.float32).reshape(-1, 2)
    return WorldState(
        size_m=128.0, cell_m=1.0, height_hw=np.full((n, n), 2.0, np.float32), material_hw=material,
        water_hw=np.full((n, n), np.nan, np.float32),
        inst_kind=np.full(len(xy), INSTANCE_KINDS.index("lamp_post"), np.uint16),
        inst_xyz=np.concatenate([xy, np.full((len(xy), 1), 2.0, np.float32)], axis=1),
        inst_yaw=np.zeros(len(xy), np.float32), inst_scale=np.ones(len(xy), np.float32),
        inst_var=np.arange(len(xy), dtype=np.uint32), env=env,
    )


def down_the_road() -> Camera:
    return Camera(position=(64.0, 20.0, 3.7), target=(64.0, 100.0, 3.2), focal_mm=28.0, width=W, height=H,
                  near_m=0.3)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    r = Renderer()
    yield r
    r.release()


def test_puddles_gather_on_roads_and_hollows_and_not_on_sand() -> None:
    world = street({})
    site = puddle_sites(world, None)[..., 0].astype(np.float64) / 255.0
    assert site[:, 60:68].mean() > 0.9  # the road
    assert site[:, 80:120].mean() < 0.2  # grass soaks the rain up
    assert site[:, :6].max() == 0.0  # sand drains
    h = np.full((129, 129), 2.0, np.float32)
    h[90:100, 90:100] = 1.6  # a hollow in the grass
    hollow = puddle_sites(dataclasses.replace(world, height_hw=h), None)[..., 0]
    assert hollow[95, 95] > site[95, 95] * 255 + 30


def test_the_nearest_lights_in_front_are_mirrored_and_none_by_day() -> None:
    lamps = [(64.0, 30.0 + 6.0 * k) for k in range(24)] + [(64.0, 5.0)]  # the last one behind the camera
    lights = wet_lights(street({}, lamps))
    cam, fwd = np.array([64.0, 20.0, 3.7]), np.array([0.0, 1.0, 0.0])
    u = wet_light_uniforms(lights, cam, fwd, 1.0)
    assert u["u_n_wet_lights"] == MAX_WET_LIGHTS
    pos = np.frombuffer(u["u_wl_pos"], np.float32).reshape(-1, 4)
    assert pos[:, 1].min() > 20.0 and pos[:, 1].max() < 30.0 + 6.0 * MAX_WET_LIGHTS  # ahead, the nearest
    assert wet_light_uniforms(lights, cam, fwd, 0.0)["u_n_wet_lights"] == 0
    # a lit wall is mirrored only from the side it faces
    shop = Structure(id="s", kind="house", x=64.0, y=60.0, z=2.0, w=10.0, d=6.0, h=6.0)
    walls = wet_lights(dataclasses.replace(street({}, []), structures=[shop]))
    assert len(walls) == 4
    u = wet_light_uniforms(walls, cam, fwd, 1.0)
    assert u["u_n_wet_lights"] == 1


def test_a_wet_road_at_night_mirrors_the_lamp_as_a_streak_towards_the_viewer(renderer: Renderer) -> None:
    env = {**env_of("rain", "night"), "precipitation": {"kind": "none", "intensity": 0.0}}
    cam = down_the_road()
    wet = renderer.render(street(env), cam)
    parched = renderer.render(street({**env, "wetness": 0.0}), cam)
    ground = (wet.semantic_hw == SEM["terrain"]) & (parched.semantic_hw == SEM["terrain"])
    gain = np.where(ground, luma(wet.rgb_hw3) - luma(parched.rgb_hw3), 0.0)
    lit = gain > 0.15  # the streak, not the sheen of the sky
    assert lit.sum() > 30
    rows, cols = np.nonzero(lit)
    assert rows.max() - rows.min() > 2.0 * (np.percentile(cols, 95) - np.percentile(cols, 5))  # drawn out down
    assert abs(np.median(cols) - W / 2) < W * 0.08  # under the lamp, down the middle of the view
    again = renderer.render(street(env), cam)
    assert np.array_equal(wet.rgb_hw3, again.rgb_hw3)


@pytest.mark.parametrize("text, after", [
    ("a village lane after rain at dusk with puddles", True),
    ("rain-soaked streets of a small town at night", True),
    ("a suburban street at night after a storm", True),
    ("a city street at night in heavy rain, wet pavement reflecting the street lamps", False),
    ("puddles on a country road in the rain", False),
    ("a can on wet sand by a stone bridge", False),
    ("a stormy night over the sea", False),
])
def test_rain_that_has_fallen_is_told_from_rain_falling(text: str, after: bool) -> None:
    from oyster_nodes.world.generate.world import _rained_before

    assert _rained_before(text) is after
