"""Benchmark of the film pass's own cost on a tiny random Stable Diffusion pipeline (no real weights).

Builds the pipeline the tests use into a temporary models folder, then times: importing torch and
diffusers, loading the pipeline (first use of the component), one pass at each size, and a re-run of
the same pass with the pipeline warm. Real weights cost far more per step; this measures the stage's
overhead. Prints one JSON object as its last line.

Run: .venv/bin/python bench/film_pass.py [--sizes 64,128] [--steps 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from oyster_nodes.components import ComponentStore  # noqa: E402
from oyster_nodes.types import Image  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="64,128")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    import diffusers  # noqa: F401
    import torch  # noqa: F401

    import_s = time.perf_counter() - t
    from oyster_nodes.world.refine.film import FilmSettings, refine
    from tests.neural.tiny import tiny_pipeline

    result: dict[str, object] = {"import_s": round(import_s, 2), "steps": args.steps}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        tiny_pipeline(Path(tmp) / "tiny")
        result["build_and_save_s"] = round(time.perf_counter() - t, 3)
        store = ComponentStore()
        settings = FilmSettings(model=str(Path(tmp) / "tiny"), steps=args.steps, strength=0.5, prompt="a lake")

        def use(spec):  # noqa: ANN001, ANN202
            return store.use(spec, "cpu")

        for size in (int(s) for s in args.sizes.split(",")):
            image = Image(rgb_hw3=np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8),
                          depth_hw=np.full((size, size), 10.0, np.float32))
            t = time.perf_counter()
            refine(image, settings, use)
            first = time.perf_counter() - t
            times = []
            for _ in range(args.rounds):
                t = time.perf_counter()
                refine(image, settings, use)
                times.append(time.perf_counter() - t)
            result[f"first_pass_{size}px_s"] = round(first, 3)
            result[f"warm_pass_{size}px_ms"] = round(1e3 * statistics.median(times), 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
