"""Export speed and size: 120 frames of 1280x720 to H.264 (+AAC), and a GLB of a 1 km² world.

The world comes from the world core's generator (1025 x 1025 heightfield, lakes, a river, cabins,
roads, forest); scattered instances are topped up to INSTANCES with grass, shrubs and rocks on the
terrain when the generator placed fewer. The frames pan over that world's terrain colours with film
grain, so the encoder sees natural texture rather than flat colour. Timings are medians of REPEATS runs.
Prints one JSON object as its last line.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.io.exporters.heightmap import write_heightmaps
from oyster_nodes.io.exporters.ply import sample_world, splat_ply
from oyster_nodes.io.exporters.world_geometry import terrain_albedo_srgb
from oyster_nodes.io.files import OutputFolder
from oyster_nodes.io.video import encode_video
from oyster_nodes.types import Audio
from oyster_nodes.world.generate.world import generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, WorldState

REPEATS = 3
INSTANCES = 50_000
FRAMES, WIDTH, HEIGHT, FPS = 120, 1280, 720, 24.0
SPLATS = 1_000_000


def timed(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def world_1km() -> WorldState:
    spec = WorldSpec(terrain="mountains", water=["lake", "river"], structures={"cabin": 4, "road": 1},
                     vegetation={"conifers": 1.0, "broadleaf": 0.8, "grass": 1.0, "shrubs": 0.8, "flowers": 0.6},
                     props={"rocks": 300, "barrels": 6})
    return top_up(generate_world(spec, 7), INSTANCES)


def top_up(world: WorldState, total: int) -> WorldState:
    extra = total - len(world.inst_kind)
    if extra <= 0:
        return world
    rng = np.random.default_rng(11)
    kinds = np.array([INSTANCE_KINDS.index(k) for k in ("grass_tuft", "shrub", "rock", "flower")])
    xy = rng.uniform(1, world.size_m - 1, (extra, 2))
    ij = np.rint(xy / world.cell_m).astype(int)
    z = world.height_hw[ij[:, 1], ij[:, 0]]
    world.inst_kind = np.concatenate([world.inst_kind, rng.choice(kinds, extra).astype(world.inst_kind.dtype)])
    world.inst_xyz = np.concatenate([world.inst_xyz, np.column_stack([xy, z]).astype(np.float32)])
    world.inst_yaw = np.concatenate([world.inst_yaw, rng.uniform(0, 6.28, extra).astype(np.float32)])
    world.inst_scale = np.concatenate([world.inst_scale, rng.uniform(0.6, 1.4, extra).astype(np.float32)])
    world.inst_var = np.concatenate([world.inst_var, rng.integers(0, 255, extra).astype(world.inst_var.dtype)])
    return world


def pan_frames(world: WorldState) -> np.ndarray:
    """FRAMES x HEIGHT x WIDTH x 3 uint8: a slow pan and zoom over the terrain's colours, with grain."""
    albedo = cv2.resize(terrain_albedo_srgb(world), (2048, 2048), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(5)
    out = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    for i in range(FRAMES):
        x0, y0, zoom = 200 + 3 * i, 300 + i, 1.0 + 0.002 * i
        crop = albedo[y0:y0 + int(HEIGHT * 1.2 / zoom), x0:x0 + int(WIDTH * 1.2 / zoom)]
        frame = cv2.resize(crop, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.int16)
        frame += rng.integers(-6, 7, (HEIGHT, WIDTH, 1), dtype=np.int16)
        out[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return out


def stereo(seconds: float, rate: int = 48000) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    wind = np.random.default_rng(3).normal(0, 0.05, (len(t), 2))
    tone = 0.2 * np.sin(2 * np.pi * 220 * t)[:, None]
    return Audio(samples_nc=(wind + tone).astype(np.float32), sample_rate=rate)


def video_figures(frames: np.ndarray, tmp: Path) -> dict[str, Any]:
    audio = stereo(FRAMES / FPS)
    out: dict[str, Any] = {}
    for quality in ("standard", "draft", "high"):
        path = tmp / f"{quality}.mp4"
        seconds, _ = timed(lambda p=path, q=quality: (p.unlink(missing_ok=True),
                                                      encode_video(p, frames, fps=FPS, audio=audio, quality=q)))
        out[f"encode_120f_720p_{quality}_s"] = round(seconds, 3)
        out[f"mp4_{quality}_mb"] = round(path.stat().st_size / 1e6, 2)
    seconds, _ = timed(lambda: encode_video(tmp / "p.mov", frames, fps=FPS, audio=audio, codec="prores"), 1)
    out["prores_120f_720p_s"] = round(seconds, 3)
    out["encode_120f_720p_s"] = out["encode_120f_720p_standard_s"]
    return out


def glb_figures(world: WorldState) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode in ("nodes", "gpu"):
        seconds, (data, info) = timed(lambda m=mode: world_glb(world, options=GlbOptions(instancing=m),
                                                               workflow_json="{}"))
        suffix = "" if mode == "nodes" else "_gpu_instancing"
        out[f"glb_export{suffix}_s"] = round(seconds, 3)
        out[f"glb{suffix}_mb"] = round(len(data) / 1e6, 2)
    out.update(terrain_triangles=info.terrain_triangles, terrain_error_m=info.terrain_error_m,
               instances=info.instances)
    return out


def other_figures(world: WorldState, tmp: Path) -> dict[str, Any]:
    seconds, points = timed(lambda: sample_world(world, SPLATS), 1)
    splat_s, data = timed(lambda: splat_ply(points), 1)
    folder = OutputFolder(root=tmp / "hm", if_exists="overwrite")
    hm_s, _ = timed(lambda: write_heightmaps(folder, world, stem="w"), 1)
    return {"splat_1m_sample_s": round(seconds, 3), "splat_1m_write_s": round(splat_s, 3),
            "splat_1m_mb": round(len(data) / 1e6, 1), "heightmap_and_masks_s": round(hm_s, 3)}


def main() -> None:
    start = time.perf_counter()
    world = world_1km()
    setup_s = time.perf_counter() - start
    frames = pan_frames(world)
    with tempfile.TemporaryDirectory() as tmp:
        figures = {"world": f"{world.n}x{world.n} heightfield, {len(world.inst_kind)} instances",
                   "world_setup_s": round(setup_s, 2)}
        figures |= glb_figures(world)
        figures |= video_figures(frames, Path(tmp))
        figures |= other_figures(world, Path(tmp))
    for key, value in figures.items():
        print(f"{key:32s} {value}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
