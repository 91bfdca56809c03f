"""Views of one world agree: depth from camera A, unprojected and seen from camera B, matches B's depth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import WorldState


def hills_world() -> WorldState:
    n = 257
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    h = 25 * np.exp(-((x - 90) ** 2 + (y - 160) ** 2) / 1800.0) + 15 * np.exp(
        -((x - 180) ** 2 + (y - 80) ** 2) / 900.0
    )
    h = (h + 3 * np.sin(x / 13.0) * np.cos(y / 17.0) + 6).astype(np.float32)
    water = np.where(h < 4.5, 4.5, np.nan).astype(np.float32)
    rng = np.random.default_rng(1)
    px, py = rng.uniform(10, 246, 150), rng.uniform(10, 246, 150)
    world = WorldState(
        size_m=256.0,
        height_hw=h,
        material_hw=np.zeros((n, n), np.uint8),
        water_hw=water,
        inst_kind=np.zeros(150, np.uint16),
        inst_xyz=np.zeros((150, 3), np.float32),
        inst_yaw=rng.uniform(0, 6, 150).astype(np.float32),
        inst_scale=np.ones(150, np.float32),
        inst_var=np.arange(150, dtype=np.uint32),
    )
    world.inst_xyz[:] = np.stack([px, py, [world.height_at(a, b) for a, b in zip(px, py, strict=True)]], 1)
    tower = {"id": "tower-1", "kind": "tower", "x": 128.0, "y": 128.0, "z": world.height_at(128, 128),
             "w": 6, "d": 6, "h": 18}
    return dataclasses.replace(world, structures=[tower])


def warp_agreement(
    depth_a: np.ndarray, cam_a: Camera, depth_b: np.ndarray, cam_b: Camera, rel_tol: float
) -> tuple[float, int]:
    """Fraction of A's pixels visible in B whose depth agrees with B's within rel_tol, and how many."""
    pts = cam_a.unproject_depth(depth_a).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(axis=1)]
    uv, d = cam_b.project(pts)
    j, i = np.floor(uv[:, 0]).astype(int), np.floor(uv[:, 1]).astype(int)
    inside = (d > 0) & (j >= 0) & (j < cam_b.width) & (i >= 0) & (i < cam_b.height)
    seen = depth_b[i[inside], j[inside]]
    d = d[inside]
    covisible = np.isfinite(seen) & (d <= seen * 1.05)  # not hidden behind something nearer in B
    rel = np.abs(d[covisible] - seen[covisible]) / seen[covisible]
    return float(np.mean(rel <= rel_tol)), int(covisible.sum())


@pytest.mark.parametrize("move", [(6.0, 0.0, 0.0), (0.0, 10.0, 4.0), (-15.0, 12.0, -6.0)])
def test_depth_warps_between_views(renderer: Renderer, move: tuple[float, float, float]) -> None:
    world = hills_world()
    target = (130.0, 130.0, 8.0)
    a = Camera(position=(30.0, 20.0, 55.0), target=target, focal_mm=24.0, width=320, height=180, near_m=0.5)
    b = Camera(
        position=tuple(np.add(a.position, move)),
        target=target,
        focal_mm=28.0,
        width=320,
        height=180,
        near_m=0.5,
    )
    depth_a = renderer.render(world, a).depth_hw
    depth_b = renderer.render(world, b).depth_hw
    agree, count = warp_agreement(depth_a, a, depth_b, b, rel_tol=0.02)
    assert count > 0.3 * a.width * a.height
    assert agree >= 0.95, agree


def test_depth_is_along_the_view_axis(renderer: Renderer) -> None:
    world = hills_world()
    cam = Camera(
        position=(128.0, 20.0, 40.0), yaw_deg=90.0, pitch_deg=-20.0, width=160, height=90, near_m=0.5
    )
    img = renderer.render(world, cam)
    pts = cam.unproject_depth(img.depth_hw)
    ok = np.isfinite(img.depth_hw)
    along = (pts[ok] - np.asarray(cam.position)) @ cam.forward()
    assert np.allclose(along, img.depth_hw[ok], rtol=1e-4)
