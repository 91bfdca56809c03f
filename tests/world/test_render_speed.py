"""What keeps a frame cheap without changing its pixels: the static-content key of a frame's world copy is
not recomputed, water out of view is not drawn, and a frame read for rgb alone writes colour and depth only."""

from __future__ import annotations

import dataclasses

import numpy as np

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.gpu_scene import frustum_planes
from oyster_nodes.world.render.renderer import FLIP_Y, Renderer
from oyster_nodes.world.state.records import Body
from oyster_nodes.world.state.world_state import WorldState

from .test_render import small_world

LAKE = Camera(position=(120.0, 120.0, 12.0), target=(150.0, 150.0, 3.0), focal_mm=24.0, width=160, height=90,
              near_m=0.5)
AWAY = Camera(position=(120.0, 120.0, 12.0), target=(120.0, 60.0, 40.0), focal_mm=24.0, width=160, height=90,
              near_m=0.5)


def planes_of(cam: Camera) -> np.ndarray:
    return frustum_planes(FLIP_Y @ cam.view_projection())


def test_a_frames_copy_of_the_world_is_not_keyed_again(renderer: Renderer) -> None:
    world = small_world()
    renderer.render(world, LAKE, passes=("rgb",))
    memo = renderer._hash_memo
    ball = Body(id="ball", shape="sphere", pos=(150.0, 150.0, 8.0), size=(0.5,))
    frame = dataclasses.replace(world, bodies=[ball])  # new record lists holding the same records
    assert frame.structures is not world.structures
    renderer.render(frame, LAKE, passes=("rgb",))
    assert renderer._hash_memo is memo  # the static content was not hashed again
    other = dataclasses.replace(world, structures=[])
    assert renderer._world_key(other) != renderer._world_key(world)  # a changed list is a changed world


def test_water_out_of_view_is_not_drawn_and_the_picture_is_the_same(renderer: Renderer) -> None:
    world: WorldState = small_world()
    scene = renderer.scene(world)
    total = scene.water_tris
    seen = sum(n for _, n in scene.water_draws(planes_of(LAKE))) // 3
    away = sum(n for _, n in scene.water_draws(planes_of(AWAY))) // 3
    assert 0 < seen < total and away < seen  # the mirrored lakes around the world are out of view
    culled = renderer.render(world, LAKE)
    runs = scene.water_runs
    try:  # one run holding every triangle, in any frustum: the whole buffer drawn
        scene.water_runs = (np.array([0]), np.array([3 * total]), np.array([[-1e9, -1e9, -1e9, 1e9, 1e9, 1e9]]))
        whole = renderer.render(world, LAKE)
    finally:
        scene.water_runs = runs
    assert whole.info["triangles"] > culled.info["triangles"]
    assert np.array_equal(whole.rgb_hw3, culled.rgb_hw3) and np.array_equal(whole.depth_hw, culled.depth_hw)
    assert np.array_equal(whole.instance_hw, culled.instance_hw)


def test_rgb_alone_is_the_same_picture_as_with_every_pass(renderer: Renderer) -> None:
    for env in ({}, {"weather": "rain"}):  # rain reads the depth pass
        world = small_world(env)
        full = renderer.render(world, LAKE)
        alone = renderer.render(world, LAKE, passes=("rgb",))
        assert np.array_equal(full.rgb_hw3, alone.rgb_hw3)
        assert alone.depth_hw is None and alone.semantic_hw is None
    if renderer.supersample == 1:
        assert (LAKE.width, LAKE.height, True) in renderer._targets
        assert len(renderer._targets[(LAKE.width, LAKE.height, True)].passes) == 2
