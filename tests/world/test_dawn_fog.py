"""Dawn fog and mist that keep the picture: fog as dense as the words say, lying low at a low sun (the sky and
the tops of things read above it), lit by the whole sky (cool away from the sun, warm towards it)."""

from __future__ import annotations

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import MIST_H, GenerateConfig, generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.lighting import lighting_from_env
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Env
from oyster_nodes.world.state.sky import LOW_FOG_H

from .test_weather_look import SEM, H, W, env_of, luma, render


def env_for(text: str) -> Env:
    return generate_world(spec_from_prompt(Prompt(text=text, seed=3), None), 5, GenerateConfig(size_m=256.0)).env


def test_fog_is_as_dense_as_the_words_say() -> None:
    plain, thick, light = (env_for(t).fog_density for t in
                           ("fog over the hills", "thick fog over the hills", "light fog over the hills"))
    assert light < plain < thick
    assert plain == pytest.approx(0.007)  # visibility ~560 m
    assert lighting_from_env(env_for("light fog over the hills")).fog_density < 0.007  # no floor lifts it back


def test_fog_at_a_low_sun_and_named_mist_lie_low() -> None:
    assert env_for("fog over the hills at noon").fog_height_m == pytest.approx(250.0)
    assert env_for("fog over the hills at dawn").fog_height_m == pytest.approx(LOW_FOG_H)
    assert env_for("mist over the lake at noon").fog_height_m == pytest.approx(MIST_H)
    assert env_for("fog and mist over the lake at noon").fog_height_m == pytest.approx(250.0)  # fog is named


def up_view() -> Camera:
    """Low over the small world, looking across it and a little up: mostly sky, the ground at the bottom."""
    return Camera(position=(20.0, 20.0, 8.0), target=(200.0, 200.0, 60.0), focal_mm=24.0, width=W, height=H,
                  near_m=0.5)


def test_the_sky_reads_above_a_low_lying_dawn_fog(renderer: Renderer) -> None:
    dawn = env_of("fog", "dawn")
    low, deep = render(renderer, dawn, up_view()), render(renderer, {**dawn, "fog_height_m": 250.0}, up_view())
    sky = low.semantic_hw == SEM["sky"]
    rows = np.arange(H)[:, None]
    top, horizon = sky & (rows < 0.2 * H), sky & (rows > 0.6 * H)
    assert top.sum() > 100 and horizon.sum() > 100

    def spread(img) -> float:  # how differently the sky reads overhead and at the horizon (fog: it does not)
        rgb = img.rgb_hw3.astype(np.float64)
        return float(np.abs(rgb[top].mean(axis=0) - rgb[horizon].mean(axis=0)).sum())

    assert spread(low) > 1.6 * spread(deep) and spread(low) > 9.0


def test_dawn_fog_is_lit_by_the_sky_not_a_flat_beige(renderer: Renderer) -> None:
    dawn = Env.from_json(env_of("fog", "dawn"))
    light = lighting_from_env(dawn)
    env_fog, fog = np.asarray(dawn.fog_color), np.asarray(light.fog_color)
    assert fog[2] / fog[0] > 1.3 * env_fog[2] / env_fog[0]  # bluer than the horizon-coloured env fog
    warm = np.asarray(light.fog_warm)
    assert warm[0] > 1.05 > 0.95 > warm[2]  # and warmer on the sun's side
    sun = np.asarray(dawn.sun_dir)
    frames = {}
    for name, sign in (("towards", 1.0), ("away", -1.0)):
        at = np.array([128.0, 128.0, 6.0])
        cam = Camera(position=tuple(at), target=tuple(at + sign * 100.0 * np.array([sun[0], sun[1], 0.0])),
                     focal_mm=24.0, width=W, height=H, near_m=0.5)
        frames[name] = render(renderer, env_of("fog", "dawn"), cam)

    def warmth(img) -> float:
        rgb = img.rgb_hw3.astype(np.float64)[img.semantic_hw == SEM["sky"]]
        return float((rgb[:, 0] - rgb[:, 2]).mean())

    assert warmth(frames["towards"]) > warmth(frames["away"]) + 8.0
    assert luma(frames["away"].rgb_hw3).mean() < 0.93  # no white-out


def test_a_mood_thickens_fog_no_further_than_thick_fog() -> None:
    from oyster_nodes.world.state.sky import MOOD_FOG_MAX

    eerie = env_for("a haunted swamp with dead trees and fog").fog_density
    assert eerie == pytest.approx(MOOD_FOG_MAX) and eerie > env_for("fog over a swamp").fog_density


def test_humid_air_lies_over_a_low_fog_and_dawn_fog_is_not_lifted_to_a_wash() -> None:
    from oyster_nodes.world.render.lighting import AIR_OVER_FOG

    low = lighting_from_env(Env.from_json(env_of("fog", "dawn")))
    deep = lighting_from_env(Env.from_json({**env_of("fog", "dawn"), "fog_height_m": 400.0}))
    assert low.air_density == pytest.approx(AIR_OVER_FOG * low.fog_density) and deep.air_density == 0.0
    clear = lighting_from_env(Env.from_json(env_of("clear", "dawn")))
    assert low.exposure < 0.9 * clear.exposure  # fog glows: the eye adapts less than to a clear dawn


def test_dawn_mist_is_warm_away_from_the_sun_too() -> None:
    """The droplets away from a low sun are sunlit too: the fog there keeps part of its warm tint (a rose and
    gold morning mist all round), less than towards the sun; by day and outside fog there is none."""
    light = lighting_from_env(Env.from_json(env_of("fog", "dawn")))
    warm, away = np.asarray(light.fog_warm), np.asarray(light.fog_warm_away)
    assert warm[0] > away[0] > 1.02 and warm[2] < away[2] < 0.98
    noon = lighting_from_env(Env.from_json(env_of("clear", "afternoon")))
    assert noon.fog_warm_away == (1.0, 1.0, 1.0)
