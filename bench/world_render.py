"""Frames per second of the renderer at 1280x720, every pass read back, with a camera moving over a 1 km world.

Uses the world generator when it is importable (a prompt → spec → world), else a synthetic world of the same
density. Prints one JSON object as its last line. Run: .venv/bin/python bench/world_render.py [--frames N]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer, RenderSettings
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

PROMPT = "a forested valley with a lake, a river, a cabin and a lighthouse on the shore, late afternoon"


def generated_world() -> tuple[WorldState, str]:
    try:
        from oyster_nodes.types import Prompt
        from oyster_nodes.world.generate.world import generate_world
        from oyster_nodes.world.prompt.understand import spec_from_prompt

        return generate_world(spec_from_prompt(Prompt(text=PROMPT, seed=1), None), 1), "generated"
    except Exception as exc:  # the generator is optional here; the benchmark measures the renderer
        print(f"generator unavailable ({type(exc).__name__}: {exc}); using a synthetic world")
        return synthetic_world(), "synthetic"


def synthetic_world(n: int = 1025, count: int = 30000, seed: int = 0) -> WorldState:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    h = np.zeros((n, n), np.float32)
    for _ in range(12):
        cx, cy, r, a = rng.uniform(0, n), rng.uniform(0, n), rng.uniform(60, 220), rng.uniform(10, 70)
        h += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
    h += 3 * np.sin(x / 37) * np.cos(y / 29) + 1.5 * np.sin(x / 11 + y / 13)
    h -= 25 * np.clip(1 - np.hypot(x - 600, y - 500) / 140, 0, 1)
    water = np.where(h < 8, 8.0, np.nan).astype(np.float32)
    mat = np.where(h > 60, MATERIALS.index("rock"), 0).astype(np.uint8)
    px, py = rng.uniform(0, n - 1, count), rng.uniform(0, n - 1, count)
    dry = h[py.astype(int), px.astype(int)] > 9
    px, py = px[dry], py[dry]
    kinds = rng.choice([INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "shrub", "grass_tuft", "rock",
                                                          "flower", "boulder")], len(px),
                       p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05])
    z = h[py.astype(int), px.astype(int)]
    world = WorldState(height_hw=h, material_hw=mat, water_hw=water, inst_kind=kinds.astype(np.uint16),
                       inst_xyz=np.stack([px, py, z], 1).astype(np.float32),
                       inst_yaw=rng.uniform(0, 6.28, len(px)).astype(np.float32),
                       inst_scale=rng.uniform(0.7, 1.4, len(px)).astype(np.float32),
                       inst_var=rng.integers(0, 1 << 30, len(px)).astype(np.uint32), env={"clock_h": 16.5})
    world.structures = [{"kind": k, "x": 300.0 + 60 * i, "y": 300.0, "z": world.height_at(300 + 60 * i, 300),
                         "w": 8, "d": 6, "h": 7 if k != "lighthouse" else 24} for i, k in
                        enumerate(("cabin", "cabin", "tower", "lighthouse"))]
    return world


def orbit(world: WorldState, k: int, frames: int) -> Camera:
    c = world.size_m / 2
    a = 2 * math.pi * k / max(frames, 1) * 0.5
    x, y = c + 0.38 * world.size_m * math.cos(a), c + 0.38 * world.size_m * math.sin(a)
    z = world.height_at(x, y) + 40.0
    return Camera(position=(x, y, z), target=(c, c, world.height_at(c, c) + 10), focal_mm=28.0, width=1280,
                  height=720, near_m=0.5, far_m=6000.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--profile", action="store_true", help="finish after each stage to time it")
    args = parser.parse_args()
    world, source = (synthetic_world(), "synthetic") if args.synthetic else generated_world()
    renderer = Renderer(RenderSettings(profile=args.profile))
    t = time.perf_counter()
    first = renderer.render(world, orbit(world, 0, args.frames))
    upload_s = time.perf_counter() - t
    tris, times, stages = [], [], []
    for k in range(args.frames):
        cam = orbit(world, k, args.frames)
        t = time.perf_counter()
        img = renderer.render(world, cam)
        times.append(time.perf_counter() - t)
        tris.append(img.info["triangles"])
        stages.append(img.info["timing_ms"])
    fps = len(times) / sum(times)
    print(json.dumps({
        "render_fps_1280x720": round(fps, 2), "device": renderer.device, "triangles": int(np.mean(tris)),
        "world_triangles_full_res": renderer.scene(world).full_res_triangles, "instances": int(len(world.inst_kind)),
        "world": source, "frames": args.frames, "supersample": renderer.supersample,
        "first_frame_s_incl_upload_and_shadow_map": round(upload_s, 2),
        "frame_ms_p50": round(1e3 * float(np.median(times)), 1),
        "stage_ms_p50": {k: round(float(np.median([st[k] for st in stages])), 1) for k in stages[0]},
        "profiled": args.profile, "passes": sorted(
            k for k in ("rgb_hw3", "depth_hw", "normal_hw3", "instance_hw", "semantic_hw")
            if getattr(first, k) is not None),
    }))


if __name__ == "__main__":
    main()
