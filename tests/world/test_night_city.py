"""A city named in other words: a street among towers or tall buildings, or lit by neon, is a city street; a named
city's towers are its highrises; wet pavement wets the ground without rain falling; neon lights windows and
shopfronts magenta and cyan at night."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import WET_GROUND, GenerateConfig, generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Structure

from .shot_world import flat


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


@pytest.mark.parametrize("text", [
    "a neon-lit cyberpunk street at night with tall towers and wet pavement",
    "a narrow street between tall buildings",
    "an avenue lined with towers at dusk",
    "a neon-lit alley at night",
    "a cyberpunk market at night",
])
def test_streets_among_towers_or_neon_are_a_city(text: str) -> None:
    spec = read(text)
    assert spec.structures.get("city") == 1, (text, spec.structures)
    assert "tower" not in spec.structures and "house" not in spec.structures  # the highrises are the city's


def test_a_named_citys_towers_are_its_highrises() -> None:
    spec = read("a futuristic city of glass towers at dusk")
    assert spec.structures.get("city") == 1 and "tower" not in spec.structures


@pytest.mark.parametrize("text", [
    "a stone tower on a hill above a river valley",
    "a village street with a church tower",
    "a street lamp beside a watchtower",
    "a row of houses along a village street",
])
def test_towers_and_streets_elsewhere_stay_what_they_are(text: str) -> None:
    assert "city" not in read(text).structures, text


def test_wet_pavement_wets_the_ground_without_rain() -> None:
    spec = read("a city street at night with wet pavement")
    assert spec.weather != "rain" and spec.modifiers.get("road") == "wet"
    small = dataclasses.replace(spec, structures={}, vegetation={})
    world = generate_world(small, 2, GenerateConfig(size_m=128.0))
    assert world.env.wetness == WET_GROUND
    assert world.env.precipitation is None or world.env.precipitation.kind in (None, "none")
    dry = generate_world(dataclasses.replace(small, modifiers={}), 2, GenerateConfig(size_m=128.0))
    assert dry.env.wetness is None


def test_neon_is_read_as_the_buildings_light() -> None:
    assert read("a rainy downtown avenue at night with neon signs").modifiers.get("building") == "neon"
    assert read("a cyberpunk city").modifiers.get("building") == "neon"
    assert "building" not in read("a city street at night").modifiers


def _night_shot(renderer: Renderer, neon: bool) -> np.ndarray:
    world = flat(160.0)
    tower = Structure(id="highrise-1", kind="highrise", x=50.0, y=125.0, z=10.0, yaw=0.0, w=30.0, d=20.0, h=41.0,
                      color=(0.62, 0.62, 0.6), roof="flat", material="concrete")
    spec = {**world.spec, "modifiers": {"building": "neon"} if neon else {}}
    world = dataclasses.replace(world, structures=[tower], spec=spec,
                                env=dataclasses.replace(world.env, clock_h=23.0, weather="clear"))
    cam = Camera(position=(50.0, 70.0, 12.0), target=(50.0, 125.0, 22.0), focal_mm=24.0, width=320, height=240)
    return renderer.render(world, cam).rgb_hw3.astype(float)


def test_neon_lights_windows_magenta_and_cyan(renderer: Renderer) -> None:
    def shares(rgb: np.ndarray) -> tuple[float, float]:
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        bright = rgb.max(axis=-1) > 60
        magenta = bright & (r > 1.6 * g) & (b > 1.3 * g)
        cyan = bright & (b > 1.6 * r) & (g > 1.4 * r)
        return float(magenta.mean()), float(cyan.mean())

    plain, neon = shares(_night_shot(renderer, False)), shares(_night_shot(renderer, True))
    assert plain[0] < 0.001 and neon[0] > 0.003, (plain, neon)
    assert neon[1] > max(0.003, 3 * plain[1]), (plain, neon)
