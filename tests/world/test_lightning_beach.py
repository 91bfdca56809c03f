"""Lightning you can see (a bolt in a still, flashes at seeded moments over a shot), beaches framed from their
sand, and water coloured by its words."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.beach import frame_classes, wants_beach
from oyster_nodes.world.camera.framing import frame_shot
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.lighting import WATER_DEEP, water_uniforms
from oyster_nodes.world.render.lightning import STILL_FLASH, strike_at, strike_times
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Env

from .test_weather_look import SEM, H, W, env_of, low_view, render


def storm(**extra: object) -> dict:
    return {**env_of("storm"), "lightning": True, **extra}


def bright_sky_specks(img) -> int:
    rgb = img.rgb_hw3.astype(np.int32)
    sky = img.semantic_hw == SEM["sky"]
    return int((sky & (rgb.min(axis=2) > 200)).sum())


def test_a_thunderstorm_still_shows_a_bolt_and_its_flash(renderer: Renderer) -> None:
    lit, dark = render(renderer, storm()), render(renderer, storm(lightning=False))
    assert bright_sky_specks(lit) > 15 and bright_sky_specks(dark) == 0  # the bolt's white channel
    ground = lit.semantic_hw != SEM["sky"]
    assert lit.rgb_hw3[ground].mean() > dark.rgb_hw3[ground].mean() + 2.0  # its flash lights the land
    again = render(renderer, storm())
    assert np.array_equal(lit.rgb_hw3, again.rgb_hw3)


def test_over_a_shot_lightning_flashes_at_seeded_moments() -> None:
    env = Env.from_json(storm())
    assert strike_at(env, 7).flash == pytest.approx(STILL_FLASH)  # a still: a strike
    times = np.arange(0.0, 30.0, 1.0 / 24.0)
    seen = [strike_at(dataclasses.replace(env, time_s=float(t)), 7) for t in times]
    lit = np.array([s is not None for s in seen])
    assert 0.02 < lit.mean() < 0.3  # moments, not the whole shot
    starts = np.flatnonzero(lit[1:] & ~lit[:-1])
    assert len(starts) >= 3  # several strikes, dark between them
    assert np.array_equal(strike_times(7, 30.0), strike_times(7, 30.0))
    assert not np.array_equal(strike_times(7, 30.0)[:4], strike_times(8, 30.0)[:4])
    assert strike_at(Env.from_json(env_of("rain")), 7) is None  # rain without thunder: none


def test_the_bolt_follows_the_seed(renderer: Renderer) -> None:
    from .test_render import small_world

    a = renderer.render(small_world(storm()), low_view())
    b = renderer.render(dataclasses.replace(small_world(storm()), seed=99), low_view())
    sky = (a.semantic_hw == SEM["sky"]) & (b.semantic_hw == SEM["sky"])
    assert np.abs(a.rgb_hw3[sky].astype(int) - b.rgb_hw3[sky].astype(int)).max() > 60


def world_of(text: str, size_m: float = 512.0):
    return generate_world(spec_from_prompt(Prompt(text=text, seed=3), None), 4, GenerateConfig(size_m=size_m))


def test_a_beach_is_framed_from_its_sand_with_the_water_ahead() -> None:
    world = world_of("a tropical beach with palm trees and turquoise water at noon")
    assert wants_beach(world)
    shot = frame_shot(world, width=W, height=H)
    eye = shot.camera.position[2] - world.height_at(shot.camera.position[0], shot.camera.position[1])
    assert eye < 4.0 and "from the sand" in shot.note
    shares = frame_classes(world, shot.camera, cols=24, rows=16)
    assert shares["sand"] >= 0.15 and shares["water"] >= 0.08 and shares["sky"] >= 0.15


def test_a_lake_without_sand_is_no_beach() -> None:
    world = world_of("a cabin beside a calm lake in a pine forest")
    assert not wants_beach(world)
    assert "from the sand" not in frame_shot(world, width=W, height=H).note


def test_water_colour_words_colour_the_water(renderer: Renderer) -> None:
    assert water_uniforms(Env())["u_water_deep"] == WATER_DEEP  # unnamed: the default, unchanged
    turquoise = water_uniforms(Env(water_color=(0.04, 0.42, 0.45)))
    dark = water_uniforms(Env(water_color=(0.02, 0.04, 0.05)))
    assert turquoise["u_water_shallow"][1] > 0.15 > dark["u_water_shallow"][1]
    from .test_render import small_world

    cam = low_view()
    look = dataclasses.replace(cam, target=(150.0, 150.0, 3.0), position=(112.0, 112.0, 18.0))  # down on the lake
    frames = {name: renderer.render(small_world({**env_of("clear", "noon"), **({"water_color": c} if c else {})}),
                                    look)
              for name, c in (("plain", None), ("turquoise", [0.04, 0.42, 0.45]), ("dark", [0.02, 0.04, 0.05]),
                              ("green", [0.04, 0.2, 0.12]))}
    water = frames["plain"].semantic_hw == SEM["water"]
    assert water.mean() > 0.05
    mean = {k: f.rgb_hw3[water].astype(float).mean(axis=0) for k, f in frames.items()}
    assert mean["dark"].sum() < mean["plain"].sum() - 15
    assert mean["green"][1] - mean["green"][2] > mean["plain"][1] - mean["plain"][2] + 5
    assert mean["turquoise"][1] > mean["dark"][1] + 20


def test_a_dry_thunderstorm_shot_keeps_its_clock() -> None:
    from oyster_nodes.world.render.sequence import falling_at

    from .test_render import small_world

    dry_storm = small_world({**storm(), "precipitation": {"kind": "none", "intensity": 0.0}})
    assert falling_at(dry_storm, 2.5).env.time_s == pytest.approx(2.5)  # its strikes come and go over the shot
    calm = small_world({**env_of("clear"), "precipitation": {"kind": "none", "intensity": 0.0}})
    assert falling_at(calm, 2.5).env.time_s is None
