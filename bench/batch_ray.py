"""Ray figure for bench/batch.py: a 240-frame shot (the film orbit shot at a small size) rendered as one job on a
local Ray cluster of one node and on one of two nodes (one CPU each, on this machine), its frames split into
ranges, the two measured in turns.

ray_speedup = one node's time / two nodes' time, each from submit to the job's end (the median over the pairs).
Both read the world and the simulation from the shared disk cache (a first job, not timed, computes them), so the
figure is about spreading the frames. Each node is started by `ray start` in a session of its own, as on separate
machines: with Linux's autogroup scheduling (on here) the kernel shares a busy CPU between sessions, so nodes
started by one process (`--one-session`, ray.cluster_utils) share one session's share and cannot be faster than
one node while anything else runs. Every line of timings carries the load averages. Last line: JSON.

    .venv/bin/python bench/batch_ray.py [--frames 240] [--width 640] [--height 360] [--frames-per-task 24]
                                [--motion-blur 4] [--repeats 1] [--one-session]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)

from oyster_nodes.cluster import ray_jobs  # noqa: E402
from oyster_nodes.cluster.local import (  # noqa: E402
    dashboard_address,
    start_local_cluster,
    start_session_cluster,
)

SHOT = ROOT / "workflows" / "film_orbit_shot.json"


def shot_workflow(frames: int, width: int, height: int, motion_blur: int = 1) -> str:
    """The film orbit shot, `frames` long at 24 fps, at width x height on a smaller world, with `motion_blur`
    renders averaged per frame."""
    doc = json.loads(SHOT.read_text())
    seconds = frames / 24.0
    for node in doc["nodes"]:
        if node["id"] == "world":
            node["params"]["size_m"] = 512.0
        if node["id"] == "sim":
            node["params"]["duration_s"] = seconds
        if node["id"] == "camera":
            node["params"].update(duration_s=seconds, resolution="custom", width=width, height=height, map_px=128)
        if node["id"] == "render":
            node["params"]["motion_blur"] = motion_blur
    return json.dumps(doc)


def timed_job(jobs: Any, spec: ray_jobs.JobSpec) -> float:
    t = time.perf_counter()
    submitted = ray_jobs.submit(jobs, spec)
    status = ray_jobs.wait(jobs, [submitted], poll_s=0.1, timeout_s=900)
    seconds = time.perf_counter() - t
    done = ray_jobs.result(spec) or {}
    if status[submitted.key] != "SUCCEEDED" or not done.get("ok"):
        raise RuntimeError(f"job {submitted.key} ended {status[submitted.key]}: {done.get('errors')}\n"
                           f"{jobs.get_job_logs(submitted.key)[-3000:]}")
    print(f"{spec.name}: {seconds:.2f} s, phases {done.get('phases')}, load {load()}", file=sys.stderr)
    return seconds


def load() -> list[float]:
    """The machine's load averages (1, 5, 15 minutes): figures from a busy machine are not comparable."""
    return [round(x, 2) for x in os.getloadavg()]


def placement(spec: ray_jobs.JobSpec) -> list[int]:
    """How many frame ranges each node rendered, most first."""
    counts: dict[str, int] = {}
    for a in ray_jobs.attempts(spec):
        if a["task"].startswith("render["):
            counts[a["node"]] = counts.get(a["node"], 0) + 1
    return sorted(counts.values(), reverse=True)


def ray_speedup(*, frames: int = 240, width: int = 640, height: int = 360, per_task: int = 24,
                motion_blur: int = 4, repeats: int = 1, one_session: bool = False) -> dict[str, Any]:
    """One node against two nodes for the same shot; each node has one CPU. A cluster of one node and one of two
    are started side by side and measured in turns (`repeats` pairs), so that a load that drifts on a shared
    machine weighs on both; the figure is the median of the pairs' ratios. Each node runs in a session of its
    own (`ray start`), as on separate machines: with Linux's autogroup scheduling the nodes of a cluster started
    by one process would share that process's one share of a busy machine (`one_session` measures that)."""
    workflow = shot_workflow(frames, width, height, motion_blur)
    load_before = load()
    ones, twos, spread = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"

        def spec(name: str) -> ray_jobs.JobSpec:
            return ray_jobs.JobSpec(workflow=workflow, out_dir=str(Path(tmp) / "jobs" / name), cache_dir=str(cache),
                                    frames_per_task=per_task, device="cpu", name=name)

        with clusters(one_session) as (one, two):
            timed_job(one, spec("warm-up (world, simulation)"))
            for r in range(repeats):
                ones.append(timed_job(one, spec(f"one node #{r + 1}")))
                twos.append(timed_job(two, spec(f"two nodes #{r + 1}")))
                spread = placement(spec(f"two nodes #{r + 1}"))
    ratios = sorted(o / t for o, t in zip(ones, twos, strict=True))
    return {"ray_frames": frames, "ray_size": f"{width}x{height}", "ray_motion_blur": motion_blur,
            "ray_frames_per_task": per_task, "ray_one_node_s": [round(x, 3) for x in ones],
            "ray_two_nodes_s": [round(x, 3) for x in twos], "ray_speedup": round(statistics.median(ratios), 3),
            "ray_ranges_per_node": spread, "ray_node_sessions": "one" if one_session else "own",
            "ray_load_before": load_before, "ray_load_after": load()}


@contextlib.contextmanager
def clusters(one_session: bool) -> Iterator[tuple[Any, Any]]:
    """Job clients of a one-node and a two-node local cluster (one CPU a node)."""
    if one_session:
        started = [start_local_cluster(nodes=1), start_local_cluster(nodes=2)]
        try:
            yield tuple(ray_jobs.client(dashboard_address(c)) for c in started)
        finally:
            for c in started:
                c.shutdown()
        return
    own: list[Any] = []
    try:
        own += [start_session_cluster(nodes=1)]
        own += [start_session_cluster(nodes=2)]
        yield tuple(ray_jobs.client(c.dashboard) for c in own)
    finally:
        for c in own:
            c.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=240)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--frames-per-task", type=int, default=24)
    ap.add_argument("--motion-blur", type=int, default=4, help="renders per frame (a film shot's cost per frame)")
    ap.add_argument("--repeats", type=int, default=1, help="one-node and two-node runs measured in turns")
    ap.add_argument("--one-session", action="store_true",
                    help="start the nodes from this process (ray.cluster_utils), not each in a session of its own")
    args = ap.parse_args()
    print(json.dumps(ray_speedup(frames=args.frames, width=args.width, height=args.height,
                                 per_task=args.frames_per_task, motion_blur=args.motion_blur, repeats=args.repeats,
                                 one_session=args.one_session)))


if __name__ == "__main__":
    main()
