"""Inland landscapes as the words ask: autumn colour mixed, bare winter broadleaf, broken stone ruins, stone
bridges, frozen water, a green gorge, buildings by a lake, and fog thin enough before the subject for it to read."""

from __future__ import annotations

import dataclasses

import numpy as np

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import atmosphere
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.lighting import lighting_from_env
from oyster_nodes.world.render.meshes import structure_mesh
from oyster_nodes.world.render.renderer import Renderer, ice_of
from oyster_nodes.world.render.weather import fog_clear_m
from oyster_nodes.world.state.records import Structure
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState

from .test_render import small_world
from .test_weather_look import env_of

SMALL = GenerateConfig(size_m=384.0, cell_m=1.5)
SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}


def spec(text: str) -> dict:
    return spec_from_prompt(Prompt(text=text), None).to_dict()


def world(text: str, seed: int = 5) -> WorldState:
    return generate_world(spec_from_prompt(Prompt(text=text), None), seed, SMALL)


def test_colours_joined_by_and_qualify_the_trees_not_the_palette() -> None:
    """'orange and red broadleaf forest': autumn trees, not an orange grade over the whole frame."""
    s = spec("a river valley in autumn with orange and red broadleaf forest, morning mist over the water")
    assert s["modifiers"].get("trees") == "autumn" and s["palette"] == "natural" and s["season"] == "autumn"


def test_a_green_gorge_is_a_green_valley_and_a_red_one_a_canyon() -> None:
    green = spec("a waterfall into a green gorge")
    assert green["terrain"] == "valley" and "cactus" not in green["vegetation"]
    assert spec("a red rock gorge with a river")["terrain"] == "canyon"


def test_frozen_water_is_read_and_drawn_as_ice() -> None:
    lake, stream = spec("a frozen lake among snowy birch trees"), spec("a birch grove in winter with a frozen stream")
    assert lake["modifiers"]["water"] == "frozen" and "lake" in lake["water"] and lake["season"] == "winter"
    assert stream["modifiers"]["river"] == "frozen" and "river" in stream["water"]
    assert ice_of(lake) == ice_of(stream) == 1.0 and ice_of(spec("a calm lake at dawn")) == 0.0


def test_a_lakeside_building_stands_by_the_lake() -> None:
    s = spec("a lakeside monastery among autumn hills")
    assert s["structures"] == {"church": 1}
    assert {"subject": "church", "relation": "near", "object": "lake"} in s["relations"]


def test_a_stone_bridge_is_built_of_stone() -> None:
    w = world("an old stone bridge over a narrow river in an autumn forest")
    bridges = [s for s in w.structures if s.kind == "bridge"]
    assert bridges and all(b.material == "stone" for b in bridges)
    mesh = structure_mesh(bridges[0])
    assert (mesh.col.mean(axis=1) > 0.2).all() and (mesh.col[:, 0] < 1.8 * mesh.col[:, 2]).all()  # light stone
    wooden = [s for s in world("a meadow valley with a river and a wooden footbridge").structures if s.kind == "bridge"]
    assert wooden and all(b.material == "wood" for b in wooden)


def test_ruins_are_broken_stone_walls_with_fallen_blocks() -> None:
    ruin = Structure(id="r", kind="ruins", x=0.0, y=0.0, z=0.0, yaw=0.0, w=14.0, d=12.0, h=6.0,
                     color=(0.72, 0.67, 0.57), roof="none", material="stone")
    mesh = structure_mesh(ruin)
    tri = mesh.pos.reshape(-1, 3, 3)
    tops = np.round(tri[:, :, 2].max(axis=1), 1)
    assert len(np.unique(tops[tops > 1.0])) >= 8  # uneven tops: broken to many heights, not one box
    # the front wall has a breach: along its line (y = -d/2) no stone stands above knee height in the middle
    front = (np.abs(tri[:, :, 1].mean(axis=1) + 5.55) < 0.5) & (np.abs(tri[:, :, 0].mean(axis=1)) < 0.6)
    assert not (tri[front][:, :, 2] > 0.6).any()
    low = tri[:, :, 2].max(axis=1) < 1.0
    assert low.sum() > 9 * 12 // 2  # fallen blocks lie on the ground round it
    rgb = mesh.col.mean(axis=0)
    assert rgb[0] >= rgb[1] >= rgb[2] and rgb.mean() > 0.25  # warm light stone, not a blue-grey slab


def test_a_frozen_birch_wood_is_bare_white_birches() -> None:
    w = world("a frozen lake among snowy birch trees under a pale winter sky, first light")
    kinds = np.asarray(w.inst_kind)
    assert (kinds == INSTANCE_KINDS.index("broadleaf")).sum() > (kinds == INSTANCE_KINDS.index("conifer")).sum()
    assert ice_of(w.spec) == 1.0


def test_autumn_broadleaf_trees_take_red_orange_and_yellow(renderer: Renderer) -> None:
    base = small_world(env_of(season="autumn"))
    broad = INSTANCE_KINDS.index("broadleaf")
    w = dataclasses.replace(base, inst_kind=np.full_like(np.asarray(base.inst_kind), broad))
    cam = Camera(position=(20.0, 20.0, 60.0), target=(160.0, 160.0, 5.0), focal_mm=28.0, width=320, height=180)
    img = renderer.render(w, cam, passes=("rgb", "semantic", "instance"))
    rgb = img.rgb_hw3.astype(np.float64)[np.asarray(img.instance_hw) > 0]
    r, g, b = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    red = (r > 1.8 * g) & (r > 60)
    yellow = (g > 0.7 * r) & (g > 1.6 * b) & (r > 90)
    assert red.mean() > 0.05 and yellow.mean() > 0.05  # a mixed wood, not one orange


def test_fog_thins_before_the_subject_and_the_distance_still_fades(renderer: Renderer) -> None:
    """The same view with a subject (fog thinned before it) and without (even fog): the near ground reads with
    more contrast, while the far ground stays in the fog; clear air is left alone."""
    fog = {**env_of("fog", "morning"), "fog_density": 0.008}
    w = small_world(fog)
    aimed = Camera(position=(20.0, 20.0, 30.0), target=(140.0, 140.0, 4.0), focal_mm=28.0, width=320, height=180)
    f = aimed.forward()
    yaw, pitch = np.degrees(np.arctan2(f[1], f[0])), np.degrees(np.arcsin(f[2]))
    even = dataclasses.replace(aimed, target=None, yaw_deg=float(yaw), pitch_deg=float(pitch))
    light = lighting_from_env(w.env)
    assert fog_clear_m(aimed, light) > 0.0 == fog_clear_m(even, light)
    assert fog_clear_m(aimed, lighting_from_env(small_world(env_of("clear")).env)) == 0.0
    a, e = renderer.render(w, aimed), renderer.render(w, even)
    clear = renderer.render(small_world({**fog, "fog_density": 0.00004}), aimed)  # the same light, no fog
    ground = (e.semantic_hw != SEM["sky"]) & np.isfinite(e.depth_hw)
    depth = e.depth_hw[ground]
    near = ground & (e.depth_hw <= np.quantile(depth, 0.4))
    far = ground & (e.depth_hw >= np.quantile(depth, 0.9))

    def fogged(img, mask) -> float:  # how far the fog moved the pixels from their clear-air colour
        return float(np.abs(img.rgb_hw3[mask].astype(float) - clear.rgb_hw3[mask].astype(float)).mean())

    assert fogged(a, near) < 0.85 * fogged(e, near)
    assert fogged(a, far) > 0.8 * fogged(e, far)
    assert atmosphere(w).water_max_m > atmosphere(w).subject_max_m  # water framed from farther in fog


def test_a_named_waterfall_is_the_shot_not_a_speck_down_the_river() -> None:
    from oyster_nodes.world.camera.framing import frame_shot, subject_in_view

    w = world("a tall waterfall in a pine forest, morning light")
    fall = next(s for s in w.structures if s.kind == "waterfall")
    shot = frame_shot(w, width=320, height=180)
    assert "waterfall" in shot.subject.label
    assert subject_in_view(shot.camera, np.array([[fall.x, fall.y, fall.z + fall.h / 2]]))[0]
    assert np.hypot(shot.camera.position[0] - fall.x, shot.camera.position[1] - fall.y) < 150.0


def test_falling_snow_is_not_autumn_to_the_sentence_model() -> None:
    """'falling' beside snow says how the snow comes down: the sentence model is not asked about it (it would
    read 'fall' as autumn and colour a winter birch wood orange)."""
    from oyster_nodes.world.prompt.embed import load_encoder

    s = spec_from_prompt(Prompt(text="falling snow over a quiet birch wood at dusk", seed=7), load_encoder()).to_dict()
    assert s["season"] == "winter" and s["weather"] == "snow"
    assert not any(m["concept"] == "autumn" for m in s["matches"])
