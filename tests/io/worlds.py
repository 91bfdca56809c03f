"""Small synthetic worlds, camera paths, frames and audio for the export tests."""

from __future__ import annotations

import numpy as np

from oyster_nodes.types import Audio, CameraPath, Frames
from oyster_nodes.world.camera.path import path_from_keys
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState


def synthetic_world(*, size_m: float = 128.0, cell_m: float = 1.0, instances: int = 400, seed: int = 0,
                    bodies: int = 2) -> WorldState:
    """Rolling hills with a lake, scattered instances of every kind, a house and a few bodies."""
    rng = np.random.default_rng(seed)
    n = int(round(size_m / cell_m)) + 1
    y, x = np.mgrid[0:n, 0:n] * cell_m
    h = (8 * np.sin(x / size_m * 6.1) * np.cos(y / size_m * 4.3) + 0.02 * x
         + rng.normal(0, 0.05, (n, n))).astype(np.float32)
    material = ((x // (size_m / 4) + y // (size_m / 3)) % len(MATERIALS)).astype(np.uint8)
    water = np.where(h < -5, np.float32(-5.0), np.nan).astype(np.float32)
    kinds = rng.integers(0, len(INSTANCE_KINDS), instances).astype(np.uint16)
    xy = rng.uniform(2, size_m - 2, (instances, 2))
    z = [h[int(round(b / cell_m)), int(round(a / cell_m))] for a, b in xy]
    return WorldState(
        seed=seed, size_m=size_m, cell_m=cell_m, height_hw=h, material_hw=material, water_hw=water,
        inst_kind=kinds, inst_xyz=np.column_stack([xy, z]).astype(np.float32),
        inst_yaw=rng.uniform(0, 2 * np.pi, instances).astype(np.float32),
        inst_scale=rng.uniform(0.7, 1.3, instances).astype(np.float32),
        inst_var=rng.integers(0, 255, instances).astype(np.uint8),
        structures=[{"kind": "house", "id": "house-1", "x": size_m / 2, "y": size_m / 2,
                     "z": float(h[n // 2, n // 2]), "yaw": 0.3, "w": 8, "d": 6, "h": 6}],
        bodies=[{"id": f"ball-{k}", "shape": "sphere" if k % 2 == 0 else "box", "size": 0.5,
                 "pos": [10.0 + 3 * k, 20.0, 15.0], "quat": [1, 0, 0, 0], "mass": 1.0, "color": "#cc4422"}
                for k in range(bodies)],
        env={"sun_dir": [0.3, -0.4, 0.85], "clock_h": 14.0},
    )


def camera_path(*, frames: int = 48, fps: float = 24.0, width: int = 640, height: int = 360) -> CameraPath:
    t = np.arange(frames) / fps
    keys = [{"time": float(ti), "position": [10.0 + 40 * ti, 5.0, 30.0], "target": [64.0, 64.0, 5.0],
             "focal_mm": 35.0} for ti in t]
    return path_from_keys(keys, duration_s=frames / fps, fps=fps, width=width, height=height)


def frames(n: int = 12, h: int = 72, w: int = 128, fps: float = 24.0, seed: int = 0) -> Frames:
    rng = np.random.default_rng(seed)
    base = (rng.random((h, w * 2, 3)) * 255).astype(np.uint8)
    rgb = np.stack([base[:, i:i + w] for i in range(n)])
    depth = np.broadcast_to(np.linspace(1, 200, w, dtype=np.float32), (n, h, w)).copy()
    depth[:, : h // 4] = np.inf
    normal = np.zeros((n, h, w, 3), np.float32)
    normal[..., 2] = 1.0
    ids = rng.integers(0, 70_000, (n, h, w)).astype(np.int32)
    return Frames(rgb_nhw3=rgb, fps=fps, depth_nhw=depth, normal_nhw3=normal, instance_nhw=ids,
                  semantic_nhw=(ids % 9).astype(np.uint8))


def tone(seconds: float, *, rate: int = 48000, channels: int = 2) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    cols = [0.3 * np.sin(2 * np.pi * (440 + 220 * c) * t) for c in range(channels)]
    return Audio(samples_nc=np.stack(cols, axis=1).astype(np.float32), sample_rate=rate)
