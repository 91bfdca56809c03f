"""Benchmark of the world core: generate a 1 km² world from a prompt (warm model), then render the gallery
worlds at 1280x720 with every pass read back, from a moving camera. Prints one JSON object as its last line.

Run: LP_NUM_THREADS=2 .venv/bin/python bench/world.py [--frames 20] [--prompts 6]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch and numpy threads contend on 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from oyster_nodes.types import Prompt  # noqa: E402
from oyster_nodes.world.camera.framing import establishing_shot  # noqa: E402
from oyster_nodes.world.generate.world import GenerateConfig, generate_world  # noqa: E402
from oyster_nodes.world.geometry.camera import Camera  # noqa: E402
from oyster_nodes.world.prompt.embed import load_encoder  # noqa: E402
from oyster_nodes.world.prompt.understand import spec_from_prompt  # noqa: E402
from oyster_nodes.world.render.renderer import Renderer, RenderSettings  # noqa: E402
from oyster_nodes.world.state.world_state import WorldState  # noqa: E402

GALLERY = (
    "a misty pine forest on rolling hills around a calm lake at dawn, two wooden cabins by the lake",
    "a red desert canyon at noon with cactus and scattered rocks",
    "a snowy mountain village at dusk with six cabins, a road and conifers",
    "a tropical island with palm trees and white beaches in a turquoise ocean, sunny afternoon",
    "a foggy rocky coast with a lighthouse on the cliffs, overcast morning",
    "city outskirts at night: a village of many houses along roads, street lamps, open fields",
)


def generate(encoder: object, text: str, seed: int = 1) -> tuple[WorldState, float]:
    t = time.perf_counter()
    spec = spec_from_prompt(Prompt(text=text, seed=seed), encoder)
    world = generate_world(spec, seed, GenerateConfig(size_m=1024.0, cell_m=1.0))
    return world, time.perf_counter() - t


def dolly(world: WorldState, start: Camera, k: int) -> Camera:
    """The establishing shot, circling its target by 1.5 degrees and sinking 0.5 m per frame."""
    target = np.asarray(start.target, np.float64)
    offset = np.asarray(start.position, np.float64) - target
    a = math.radians(1.5 * k)
    x = offset[0] * math.cos(a) - offset[1] * math.sin(a)
    y = offset[0] * math.sin(a) + offset[1] * math.cos(a)
    z = max(offset[2] - 0.5 * k, world.height_at(target[0] + x, target[1] + y) - target[2] + 5.0)
    pos = tuple(float(v) for v in target + (x, y, z))
    return Camera(position=pos, target=start.target, focal_mm=start.focal_mm, width=1280, height=720,  # type: ignore[arg-type]
                  near_m=start.near_m, far_m=start.far_m)


def render_fps(renderer: Renderer, worlds: list[WorldState], frames: int) -> tuple[float, dict[str, float]]:
    times, stages = [], []
    for world in worlds:
        start = establishing_shot(world, width=1280, height=720)
        renderer.render(world, start)  # upload, shadow map and light bake: once per world
        for k in range(frames):
            t = time.perf_counter()
            img = renderer.render(world, dolly(world, start, k))
            times.append(time.perf_counter() - t)
            stages.append(img.info["timing_ms"])
    median = {k: round(float(np.median([s[k] for s in stages])), 1) for k in stages[0]}
    return len(times) / sum(times), median


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--prompts", type=int, default=len(GALLERY))
    args = ap.parse_args()
    encoder = load_encoder()
    generate(encoder, GALLERY[0])  # warm up
    results = [generate(encoder, text) for text in GALLERY[: max(1, args.prompts)]]
    worlds = [w for w, _ in results]
    renderer = Renderer(RenderSettings())
    load = os.getloadavg()[0]
    fps, stage_ms = render_fps(renderer, worlds, args.frames)
    print(json.dumps({
        "generate_s": round(min(s for _, s in results), 3),
        "generate_s_max": round(max(s for _, s in results), 3),
        "render_fps_1280x720": round(fps, 2),
        "render_frames": args.frames * len(worlds),
        "render_stage_ms_p50": stage_ms,
        "world_state_mb": round(max(w.nbytes() for w in worlds) / 1e6, 2),
        "device": renderer.device,
        "supersample": renderer.supersample,
        "lp_num_threads": os.environ.get("LP_NUM_THREADS"),
        "load_avg_1m_before_render": round(load, 2),
        "load_avg_1m_after_render": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
