"""Framing for weather and time: a still whose weather or low sun is read from the sky keeps sky in frame, and
the sea drawn past the world's border counts as water in frame."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.world.camera.framing import FOG_KEEP, atmosphere, frame_march, frame_rays, frame_shot, subjects
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES, WorldState

from .shot_world import flat

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180


def ruin_on_cliffs(weather: str) -> WorldState:
    """A ruin on sea cliffs, under `weather`; the same world with any weather (only the env differs)."""
    spec = WorldSpec(terrain="hills", shore="cliffs", water=["ocean"], structures={"ruins": 1}, weather="overcast")
    world = generate_world(spec, 7, GenerateConfig(size_m=512.0))
    return dataclasses.replace(world, env=dataclasses.replace(world.env, weather=weather))


def with_env(world: WorldState, **env: object) -> WorldState:
    return dataclasses.replace(world, env=dataclasses.replace(world.env, **env))


def test_atmosphere_asks_for_sky_under_sky_weather_and_a_low_sun_and_for_distance_in_fog() -> None:
    world = ruin_on_cliffs("clear")
    noon = with_env(world, sun_dir=(0.0, -0.5, 0.87))
    assert atmosphere(noon).sky == 0.0 and atmosphere(noon).reach_m == 0.0
    assert atmosphere(with_env(noon, weather="overcast")).sky > 0.0
    fog = atmosphere(with_env(noon, weather="fog"))
    assert fog.sky > 0.0 and fog.reach_m >= 200.0
    sunset = atmosphere(with_env(noon, sun_dir=(0.96, 0.0, 0.08)))
    assert sunset.sky > 0.0 and "low sun" in sunset.why


def test_an_overcast_still_keeps_sky_in_frame_a_clear_one_need_not(renderer: Renderer) -> None:
    grey, clear = ruin_on_cliffs("overcast"), ruin_on_cliffs("clear")
    grey_shot, clear_shot = frame_shot(grey, width=W, height=H), frame_shot(clear, width=W, height=H)
    assert frame_rays(grey, grey_shot.camera, sea=True)[1] >= 0.2
    assert frame_rays(clear, clear_shot.camera, sea=True)[1] < 0.15
    img = renderer.render(grey, grey_shot.camera)
    assert np.mean(img.semantic_hw == SEM["sky"]) >= 0.15  # the grey sky the overcast is read from
    assert np.mean(img.semantic_hw == SEM["structure"]) > 0.0  # and the ruin still in frame


def test_fog_frames_ground_far_enough_to_fade() -> None:
    fog = ruin_on_cliffs("fog")
    shot = frame_shot(fog, width=W, height=H)
    _, sky, reach = frame_rays(fog, shot.camera, sea=True)
    assert sky >= 0.15 and reach >= 0.8 * atmosphere(fog).reach_m


def test_the_sea_past_the_border_is_part_of_the_sea_subject() -> None:
    world = ruin_on_cliffs("clear")
    sea = next(s for s in subjects(world) if s.kind == "water")
    xy = sea.points[:, :2]
    beyond = (xy < 0).any(axis=1) | (xy > world.size_m).any(axis=1)
    assert beyond.sum() >= 50 and (sea.area_m2[beyond] > 0).all()
    assert np.allclose(sea.points[beyond, 2], world.env.sea_level_m)


@pytest.mark.parametrize("weather", ["fog", "overcast"])
def test_weather_framing_is_deterministic(weather: str) -> None:
    a, b = frame_shot(ruin_on_cliffs(weather), width=W, height=H), frame_shot(ruin_on_cliffs(weather), width=W, height=H)
    assert a.camera == b.camera and a.note == b.note


def test_in_fog_the_subject_is_framed_near_enough_to_read() -> None:
    """Fog takes the far ground, not the subject: the camera stands no farther than the fog leaves it legible."""
    from oyster_nodes.world.render.lighting import FOG_FLOOR, fog_density_of, lighting_from_env

    fog = with_env(ruin_on_cliffs("fog"), fog_density=0.014)  # a generated thick fog (sky.py)
    air = atmosphere(fog)
    assert air.subject_max_m == pytest.approx(FOG_KEEP / lighting_from_env(fog.env).fog_density)
    assert fog_density_of(fog.env) >= FOG_FLOOR["fog"]  # even a light mist is air one sees under 1.6 km through
    shot = frame_shot(fog, width=W, height=H)
    gap = float(np.linalg.norm(np.asarray(shot.camera.position) - shot.subject.centre))
    grey = frame_shot(ruin_on_cliffs("overcast"), width=W, height=H)
    assert gap <= 1.1 * air.subject_max_m < float(np.linalg.norm(np.asarray(grey.camera.position) - grey.subject.centre))


def test_a_rock_face_close_in_front_of_the_camera_counts_as_a_wall() -> None:
    """The march that scores viewpoints sees ground rising close in the frame's upper part (a canyon's face
    filling half the frame), and none over open ground."""
    open_ground = flat(256.0)
    h = open_ground.height_hw.copy()
    h[:, 60:70] += 80.0  # a face 80 m tall, 30 m ahead of the camera
    walled = dataclasses.replace(open_ground, height_hw=h)
    cam = Camera(position=(30.0, 128.0, 14.0), target=(200.0, 128.0, 14.0), width=W, height=H)
    assert frame_march(walled, cam, sea=False, wall_m=60.0)[3] >= 0.5
    assert frame_march(open_ground, cam, sea=False, wall_m=60.0)[3] == 0.0
    assert frame_march(walled, cam, sea=False, wall_m=20.0)[3] == 0.0  # nearer than the face: no wall


def test_a_landscape_in_fog_is_seen_low_over_the_near_land() -> None:
    """Fog over open hills: not the aerial view a clear day gets (all of it lost in the fog), but a low one
    over the near land, the far hills fading behind."""
    world = generate_world(WorldSpec(terrain="hills", weather="fog"), 3, GenerateConfig(size_m=1024.0))
    clear = with_env(world, weather="clear")
    fog_shot, clear_shot = frame_shot(world, width=W, height=H), frame_shot(clear, width=W, height=H)
    assert fog_shot.subject.kind == clear_shot.subject.kind == "landscape"

    def gap(shot: object) -> float:
        return float(np.linalg.norm(np.asarray(shot.camera.position) - shot.subject.centre))  # type: ignore[attr-defined]

    assert gap(fog_shot) <= 3.1 * atmosphere(world).subject_max_m < gap(clear_shot)
