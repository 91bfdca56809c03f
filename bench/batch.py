"""Batch figures: a 20-view sweep of one world (workflows/batch_seed_sweep.json) run as a batch against the sum of
its single runs.

sweep_efficiency = (sum of the 20 single runs - 19 x the world's cost) / the batch's time; >= 1 means the batch
computes the shared world once (and costs no more than its parts). Single runs each get a fresh cache; all runs
share one component store (the renderer and text encoder are process state, not cached work). ray_speedup comes
from bench/batch_ray.py (--no-ray skips it). Last line: JSON.

    .venv/bin/python bench/batch.py [--views 20] [--size 512]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oyster_nodes import batch  # noqa: E402
from oyster_nodes.cache import Cache  # noqa: E402
from oyster_nodes.components import ComponentStore  # noqa: E402
from oyster_nodes.executor import Executor, RunOptions  # noqa: E402
from oyster_nodes.registry import load_registry  # noqa: E402
from oyster_nodes.workflow import load  # noqa: E402

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "batch_seed_sweep.json"
SHARED = ("prompt", "spec", "world")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--views", type=int, default=20)
    ap.add_argument("--size", type=float, default=512.0)
    ap.add_argument("--no-ray", action="store_true", help="skip ray_speedup (see bench/batch_ray.py)")
    args = ap.parse_args()
    registry = load_registry(use_entry_points=False)
    workflow = load(WORKFLOW)
    workflow.node("world").params["size_m"] = args.size
    step = 360 // args.views
    planned = batch.plan(workflow, batch.expand([batch.parse_sweep(f"cam.azimuth_deg=0..{359}:{step}")]), registry)
    assert not planned.problems, planned.problems
    variants = planned.variants[: args.views]
    planned.variants = variants
    store = ComponentStore()
    warm = Executor(Cache(), components=store)  # load the encoder and make the GL context once, outside the timing
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        warm.run(variants[0].graph, RunOptions(out_dir=out / "warm"))
        singles, world_costs = [], []
        for v in variants:
            ex = Executor(Cache(), components=store)
            t = time.perf_counter()
            result = ex.run(v.graph, RunOptions(out_dir=out / f"single-{v.index}"))
            singles.append(time.perf_counter() - t)
            assert result.ok, result.errors
            world_costs.append(sum(result.records[n].seconds for n in SHARED))
            print(f"single {v.index + 1}: {singles[-1]:.2f} s (world {world_costs[-1]:.2f} s)", file=sys.stderr)
        ex = Executor(Cache(), components=store)
        t = time.perf_counter()
        results = batch.run(planned, ex, out / "batch", make_options=lambda v, f: RunOptions(out_dir=f))
        batch_s = time.perf_counter() - t
    assert all(r.ok for r in results)
    world_s = sorted(world_costs)[len(world_costs) // 2]
    figures = {
        "views": len(variants), "world_size_m": args.size,
        "sum_single_runs_s": round(sum(singles), 3), "world_cost_s": round(world_s, 3),
        "batch_s": round(batch_s, 3), "worlds_computed_in_batch": sum(r.executed == len(r.variant.graph.nodes)
                                                                      for r in results),
        "sweep_efficiency": round((sum(singles) - (len(variants) - 1) * world_s) / batch_s, 3),
    }
    if not args.no_ray:
        figures.update(ray_figures())
    print(json.dumps(figures))


def ray_figures() -> dict:
    """ray_speedup: a 240-frame shot on a two-node local Ray cluster against one node (bench/batch_ray.py)."""
    from bench.batch_ray import ray_speedup

    return ray_speedup()


if __name__ == "__main__":
    main()
