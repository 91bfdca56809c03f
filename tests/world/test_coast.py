"""Beaches and coasts as a film would show them: a beach from its open sand with palms at its back and nothing
walling or cut by the frame, huts by the sand, sand with drifts and a wet edge, a surf line on a sea's shore,
sunlit sand exposed for, and a lighthouse on its cliff framed from the sea with the shore below it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera import beach as bc
from oyster_nodes.world.camera.framing import frame_shot, subjects
from oyster_nodes.world.generate.beach import exposed_for_sand
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.albedo import sand_mask, terrain_albedo
from oyster_nodes.world.render.lighting import water_uniforms
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Env
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS

from .test_weather_look import SEM, H, W


def world_of(text: str, size_m: float = 512.0, seed: int = 4):
    return generate_world(spec_from_prompt(Prompt(text=text, seed=3), None), seed, GenerateConfig(size_m=size_m))


def water_distance(world) -> np.ndarray:
    return ndimage.distance_transform_edt(~np.isfinite(world.water_hw)) * world.cell_m


def test_a_beach_is_framed_from_open_sand_clear_of_trunks_with_the_horizon_a_third_down(renderer: Renderer) -> None:
    world = world_of("a sandy beach with palm trees by the sea, sunny noon")
    shot = frame_shot(world, width=W, height=H)
    cam = shot.camera
    pos = np.asarray(cam.position)
    assert "from the sand" in shot.note and pos[2] - world.height_at(pos[0], pos[1]) < 3.0
    clutter = bc._clutter(world)
    assert np.hypot(*(clutter[:, :2] - pos[:2]).T).min() > bc.CLEAR_M  # not standing in a grove
    assert bc._walls(cam, clutter) == (0, 0)  # no trunk walling the view, nothing cut by the frame's edge near
    pitch = math.asin(float(cam.forward()[2]))
    horizon_row = 0.5 + cam.focal_px * math.tan(pitch) / cam.height
    assert abs(horizon_row - bc.BEACH_HORIZON_AT) < 0.03
    img = renderer.render(world, cam)
    sem = img.semantic_hw
    for name, least in (("terrain", 0.15), ("water", 0.1), ("sky", 0.2)):
        assert (sem == SEM[name]).mean() >= least, name
    assert (sem[H // 2:] == SEM["vegetation"]).mean() < 0.05  # the lower half is sand and water, no trunk


def test_the_sand_by_the_sea_is_open_and_palms_stand_at_its_back() -> None:
    world = world_of("a tropical island with palm trees and white beaches in a turquoise ocean")
    palms = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("palm")]
    assert len(palms) > 20
    d = water_distance(world)
    i, j = (np.clip(palms[:, k].astype(int), 0, world.n - 1) for k in (1, 0))
    on_sand = world.material_hw[i, j] == MATERIALS.index("sand")
    assert on_sand.any() and not (on_sand & (d[i, j] < 6.0)).any()  # the sand along the water stays open
    by_water = (d > 0) & (d < 25.0)
    assert (world.material_hw[by_water] == MATERIALS.index("sand")).mean() > 0.6  # a band of sand along the shore


def test_beach_huts_stand_by_the_sand() -> None:
    world = world_of("a white sand beach by the sea with a few beach huts")
    huts = [s for s in world.structures if s.kind == "cabin"]
    assert huts
    d = water_distance(world)
    assert max(d[int(s.y), int(s.x)] for s in huts) < 45.0  # at the back of the beach, not inland


def test_sand_has_drifts_and_a_wet_darker_edge_along_the_water() -> None:
    world = world_of("a sandy beach by the sea")
    rgb = terrain_albedo(world)[..., :3].astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])
    sand = world.material_hw == MATERIALS.index("sand")
    d = water_distance(world)
    wet, dry = sand & (d > 0) & (d <= 1.5), sand & (d > 12.0)
    assert wet.sum() > 100 and dry.sum() > 1000
    assert rgb[wet].mean() < 0.8 * rgb[dry].mean()
    assert rgb[dry].std() > 0.04 * rgb[dry].mean()  # drifts and ripples, not one flat colour
    mask = sand_mask(world)  # where the renderer draws the fine ripples
    assert (mask[dry] > 128).mean() > 0.97 and (mask[world.material_hw == MATERIALS.index("grass")] < 60).mean() > 0.9


def test_a_sea_has_a_surf_line_and_sunlit_sand_is_exposed_for() -> None:
    assert water_uniforms(Env(sea_level_m=0.0))["u_foam"] > 0.0
    assert water_uniforms(Env())["u_foam"] == 0.0  # a lake laps without surf
    spec = spec_from_prompt(Prompt(text="a white sand beach by the sea at noon"), None)
    env = Env(sea_level_m=0.0, sun_elevation_deg=60.0, exposure=0.3, cloud_cover=0.1)
    assert exposed_for_sand(env, spec).exposure < 0.3 - 0.4
    assert exposed_for_sand(dataclasses.replace(env, sun_elevation_deg=-10.0), spec).exposure == 0.3  # night
    grass = spec_from_prompt(Prompt(text="a grassy coast by the sea at noon"), None)
    assert exposed_for_sand(env, grass).exposure == 0.3


def test_a_lighthouse_on_a_sea_cliff_is_framed_from_the_sea_with_the_shore_below(renderer: Renderer) -> None:
    world = world_of("a lighthouse on the cliffs of a rocky coast, afternoon", size_m=1024.0, seed=7)
    shot = frame_shot(world, width=W, height=H)
    assert "over the sea" in shot.note, shot.note
    cam = shot.camera
    assert cam.position[2] - world.env.sea_level_m < 60.0
    house = next(s for s in subjects(world) if s.kind == "structure")
    uv, depth = cam.project(house.points)
    assert (depth > 0).all() and ((uv[:, 0] >= 0) & (uv[:, 0] < W) & (uv[:, 1] >= 0) & (uv[:, 1] < H)).all()
    sem = renderer.render(world, cam).semantic_hw
    assert (sem == SEM["water"]).mean() > 0.05 and (sem == SEM["structure"]).any()
