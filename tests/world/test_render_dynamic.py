"""Bodies and agents drawn by the renderer itself (full rotation, every pass, their own ids), and plant sway
applied to vegetation only."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES, WorldState

from .test_render import small_world

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}


@pytest.fixture(scope="module")
def world() -> WorldState:
    return small_world()


def close_up(world: WorldState, at: tuple[float, float], w: int = 160, h: int = 90) -> Camera:
    x, y = at
    z = world.height_at(x, y)
    return Camera(position=(x, y - 14.0, z + 6.0), target=(x, y, z + 1.0), focal_mm=30.0, width=w, height=h,
                  near_m=0.3)


def with_dynamic(world: WorldState, bodies: list[dict], agents: list[dict] | None = None) -> WorldState:
    return replace(world, bodies=bodies, agents=agents or [])


def test_bodies_land_in_every_pass_at_their_projected_position(renderer: Renderer, world: WorldState) -> None:
    x, y = 120.0, 60.0
    z = world.height_at(x, y)
    ball = {"id": "ball", "shape": "sphere", "size": [1.0], "pos": [x - 2.5, y, z + 1.5], "color": [0.9, 0.1, 0.1]}
    crate = {"id": "crate", "shape": "box", "size": [1.6, 1.6, 1.6], "pos": [x + 2.5, y, z + 1.2],
             "quat": [1, 0, 0, 0], "color": [0.1, 0.2, 0.9]}
    hero = {"id": "hero", "kind": "character", "pos": [x, y + 3.0, z], "yaw": 0.0}
    cam = close_up(world, (x, y))
    img = renderer.render(with_dynamic(world, [ball, crate], [hero]), cam)
    assert img.info["dynamic"] is True
    lo, hi = img.info["id_ranges"]["dynamic"]
    assert hi - lo == 2 and lo > img.info["id_ranges"]["structures"][1]
    body = img.semantic_hw == SEM["body"]
    assert set(np.unique(img.instance_hw[body]).tolist()) == {lo, lo + 1}  # ball and crate, never blended
    assert ((img.semantic_hw == SEM["agent"]) & (img.instance_hw == lo + 2)).sum() > 10
    for item, ident in ((ball, lo), (crate, lo + 1)):
        uv, _ = cam.project(np.array([item["pos"]]))
        u, v = uv[0]
        mask = img.instance_hw == ident
        assert mask[int(v), int(u)], f"{item['id']} is not at its projected position"
        assert np.isfinite(img.depth_hw[mask]).all()
        assert np.abs(img.normal_hw3[mask]).sum(axis=-1).min() > 0.5
    rgb = img.rgb_hw3.astype(int)
    assert (rgb[img.instance_hw == lo][:, 0] > rgb[img.instance_hw == lo][:, 2]).mean() > 0.8  # red ball


def test_bodies_turn_by_their_full_quaternion(renderer: Renderer, world: WorldState) -> None:
    x, y = 120.0, 60.0
    z = world.height_at(x, y)
    slab = {"id": "slab", "shape": "box", "size": [4.0, 0.4, 0.3], "pos": [x, y, z + 2.5]}
    tilt = math.radians(60.0)  # about the y axis: the slab's long side tips up
    tilted = slab | {"quat": [math.cos(tilt / 2), 0.0, math.sin(tilt / 2), 0.0]}
    cam = close_up(world, (x, y))
    flat_img = renderer.render(with_dynamic(world, [slab | {"quat": [1, 0, 0, 0]}]), cam)
    tilt_img = renderer.render(with_dynamic(world, [tilted]), cam)
    rows = [np.nonzero((im.semantic_hw == SEM["body"]).any(axis=1))[0] for im in (flat_img, tilt_img)]
    cols = [np.nonzero((im.semantic_hw == SEM["body"]).any(axis=0))[0] for im in (flat_img, tilt_img)]
    assert np.ptp(rows[1]) > np.ptp(rows[0]) + 3, "a tilted slab stands taller on screen"
    assert np.ptp(cols[1]) < np.ptp(cols[0]) - 3, "and narrower"


def test_dynamic_frames_are_bit_identical_and_leave_the_world_uploaded(renderer: Renderer,
                                                                       world: WorldState) -> None:
    cam = close_up(world, (120.0, 60.0))
    z = world.height_at(120.0, 60.0)
    frames = [with_dynamic(world, [{"id": "b", "shape": "capsule", "size": [0.4, 2.0], "pos": [120, 60, z + 1 + k],
                                    "quat": [0.9, 0.3, 0.2, 0.1]}]) for k in (0, 1)]
    scene = renderer.scene(world)
    a, b = renderer.render(frames[0], cam), renderer.render(frames[0], cam)
    assert a.rgb_hw3.tobytes() == b.rgb_hw3.tobytes() and a.instance_hw.tobytes() == b.instance_hw.tobytes()
    c = renderer.render(frames[1], cam)
    assert renderer.scene(frames[1]) is scene  # moving bodies re-upload nothing static
    assert a.rgb_hw3.tobytes() != c.rgb_hw3.tobytes()


def test_sway_bends_vegetation_and_nothing_else(renderer: Renderer, world: WorldState) -> None:
    cam = Camera(position=(40.0, 30.0, 40.0), target=(140.0, 140.0, 5.0), focal_mm=35.0, width=192, height=108,
                 near_m=0.5)
    still = renderer.render(world, cam)
    swayed = renderer.render(replace(world, env=replace(world.env, sway=(0.12, -0.05))), cam)
    plant = (still.semantic_hw == SEM["vegetation"]) | (swayed.semantic_hw == SEM["vegetation"])
    changed_ids = still.instance_hw != swayed.instance_hw
    assert changed_ids.sum() > 20, "plants did not move"
    assert not (changed_ids & ~plant).any(), "something other than a plant moved"
    rgb_changed = np.abs(still.rgb_hw3.astype(int) - swayed.rgb_hw3.astype(int)).max(axis=2) > 0
    near_plant = cv2.dilate(plant.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert not (rgb_changed & ~near_plant).any()


def test_bodies_shade_the_ground_beneath_them(renderer: Renderer, world: WorldState) -> None:
    x, y = 120.0, 60.0
    z = world.height_at(x, y)
    cam = close_up(world, (x, y))
    bare = renderer.render(world, cam)
    ball = renderer.render(with_dynamic(world, [{"id": "b", "shape": "sphere", "size": [1.0],
                                                 "pos": [x, y, z + 1.5]}]), cam)
    ground = (bare.semantic_hw == SEM["terrain"]) & (ball.semantic_hw == SEM["terrain"])
    ground = cv2.erode(ground.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0  # edge smoothing aside
    darker = bare.rgb_hw3.astype(int).sum(axis=2) - ball.rgb_hw3.astype(int).sum(axis=2)
    assert (darker[ground] > 30).sum() > 20
    assert (darker[ground] >= -3).all()  # nothing lights up


def test_body_shadow_patch_is_lit_at_its_rim_and_dark_under_each_body() -> None:
    from oyster_nodes.world.render.renderer import blob_map

    discs = [(100.0, 50.0, 1.0), (110.0, 58.0, 2.0)]
    light, (x0, y0, scale) = blob_map(discs, 128)
    assert light.shape == (128, 128) and light.dtype == np.float32
    assert np.all(light[[0, -1], :] == 1.0) and np.all(light[:, [0, -1]] == 1.0)
    for x, y, r in discs:
        col, row = int((x - x0) * scale), int((y - y0) * scale)
        assert light[row, col] == pytest.approx(0.45, abs=0.05)  # rows are y, columns x
        far = int(1.05 * r * scale) + 1
        assert light[row, min(col + far, 127)] > 0.99 or (x, y) == discs[0]
    assert light.min() >= 0.45 * 0.45 - 1e-6 and light.max() <= 1.0
