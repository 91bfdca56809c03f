"""`oyster worker --ray`: jobs leased from the workspace's store run on the real two-node cluster, their outputs
published once, under the fence, by the worker; the Ray job of a stale attempt publishes nothing.

(This file sorts before test_ray.py, whose last test removes the cluster's second node.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.cluster import ray_jobs
from oyster_nodes.cluster.local import dashboard_address, start_local_cluster
from oyster_nodes.cluster.ray_worker import RayRunner, submission_id
from oyster_nodes.executor import Executor
from oyster_nodes.jobs import EventKind, JobStore
from oyster_nodes.jobs.outputs import STAGE_DIR
from oyster_nodes.jobs.runner import Run, RunEnd, Runner, RunWatcher
from oyster_nodes.jobs.worker import outputs_path, store_path
from oyster_nodes.registry import load_registry

from .conftest import SHOT, decoded, digest

pytestmark = pytest.mark.ray


def kinds(store: JobStore, job_id: str, kind: EventKind) -> list[Any]:
    return [e for e in store.events(job_id, limit=10_000) if e.kind is kind]


class Ended(RunWatcher):
    def __init__(self, ends: list[RunEnd]):
        self.ends = ends

    def run_ended(self, run: Run, end: RunEnd) -> None:
        self.ends.append(end)


def paths_of(out: Path, key: str) -> ray_jobs.JobSpec:
    return ray_jobs.JobSpec(workflow="", out_dir=str(out), cache_dir="", submission=key)


def rendering(out: Path, key: str, thread: threading.Thread) -> ray_jobs.JobSpec:
    """Wait (up to 2 minutes, while the worker's thread lives) until Ray job `key` runs a render task."""
    spec = paths_of(out, key)
    deadline = time.monotonic() + 120
    while not any(a["task"].startswith("render[") for a in ray_jobs.attempts(spec)):
        assert time.monotonic() < deadline and thread.is_alive(), ray_jobs.attempts(spec)
        time.sleep(0.05)
    return spec


def published_once(store: JobStore, job_id: str, out: Path, fence: int, single_mp4: Path) -> None:
    record = store.get(job_id)
    assert record is not None and record.state == "done", record
    assert record.outputs == ["shot.mp4"]
    committing, finished = kinds(store, job_id, EventKind.COMMITTING), kinds(store, job_id, EventKind.FINISHED)
    assert [e.body["fence"] for e in committing] == [fence] and len(finished) == 1
    assert decoded(out / "shot.mp4") == decoded(single_mp4)  # the frames a local run renders
    assert digest(out / "shot.mp4") == digest(single_mp4)  # and the file: it embeds the workflow as submitted
    assert not list((out / STAGE_DIR).glob("*/**/*.mp4")), "a staged file was left behind"
    assert sorted(p.name for p in out.glob("*.mp4")) == ["shot.mp4"]


def test_oyster_worker_ray_runs_a_stored_job_on_the_cluster(tmp_path: Path, ray_cluster: Any,
                                                            single_render: tuple[Path, Path]) -> None:
    workspace = tmp_path / "ws"
    store = JobStore(store_path(workspace))
    job = store.submit(name="shot", owner="test", workflow=SHOT.read_text())
    # attempt 1 was leased by a worker on another machine that died: its lease runs out, the worker resumes it
    dead = store.claim("elsewhere:1:dead", lease_s=0.5)
    assert dead is not None and dead[0].fence == 1
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "oyster_nodes.cli", "worker", "--workspace", str(workspace),
                           "--cache-dir", str(tmp_path / "cache"), "--device", "cpu", "--drain", "--ray",
                           dashboard_address(ray_cluster), "--frames-per-task", "12"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = outputs_path(workspace)
    published_once(store, job.id, out, 2, single_render[1])
    assert not store.holds(dead[0])
    progress = [e.body for e in kinds(store, job.id, EventKind.PROGRESS) if e.body["fence"] == 2]
    assert progress and {p["node"] for p in progress} == {"render"}, progress  # the ranges' frames, as they go
    fractions = [p["fraction"] for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and "48/48" in progress[-1]["message"]
    key = submission_id(job.id, 2)
    jobs = ray_jobs.client(dashboard_address(ray_cluster))
    assert str(jobs.get_job_status(key).value) == "SUCCEEDED"
    with pytest.raises(RuntimeError):
        jobs.get_job_info(submission_id(job.id, 1))  # the dead attempt never reached the cluster
    ranges = [a for a in ray_jobs.attempts(paths_of(out, key)) if a["task"].startswith("render[")]
    assert len(ranges) == 4 and len({a["node"] for a in ranges}) == 2  # 48 frames in 4 ranges, on both nodes
    tried = len(ray_jobs.attempts(paths_of(out, key)))
    again = ray_jobs.submit(jobs, paths_of(out, key))  # the same attempt submitted again: refused, attached
    assert again.refused and len(ray_jobs.attempts(paths_of(out, key))) == tried


def test_a_stale_attempt_on_ray_publishes_nothing(tmp_path: Path, ray_cluster: Any,
                                                  single_render: tuple[Path, Path]) -> None:
    out, store = tmp_path / "out", JobStore(tmp_path / "jobs.sqlite")
    job = store.submit(name="shot", owner="test", workflow=SHOT.read_text())
    registry, jobs = load_registry(use_entry_points=False), ray_jobs.client(dashboard_address(ray_cluster))

    def runner(lease_s: float) -> RayRunner:
        return RayRunner(address="", jobs=jobs, cache_dir=tmp_path / "cache", frames_per_task=4, store=store,
                         registry=registry, executor=Executor(Cache()), out_dir=out, device="cpu", lease_s=lease_s)

    hung, ends = runner(1.0), []
    hung.watcher = Ended(ends)
    hung.beat_every_s = 3600.0  # a worker that hangs: it stops renewing its lease while Ray runs its job
    thread = threading.Thread(target=hung.run_one)
    thread.start()
    rendering(out, submission_id(job.id, 1), thread)
    time.sleep(1.0)
    assert store.recover() == [job.id]  # its lease ran out: queued again
    assert runner(30.0).run_one()  # attempt 2 stops the stale Ray job, renders, publishes
    thread.join(120)
    assert not thread.is_alive()
    published_once(store, job.id, out, 2, single_render[1])
    assert str(jobs.get_job_status(submission_id(job.id, 1)).value) in ("STOPPED", "SUCCEEDED", "FAILED")
    assert not (out / STAGE_DIR / f"{job.id}.1").exists()
    assert [(e.state, e.message, e.recorded) for e in ends] == [(None, "lost its lease", False)]


def test_a_cancel_in_the_store_stops_the_ray_job(tmp_path: Path, ray_cluster: Any) -> None:
    out, store = tmp_path / "out", JobStore(tmp_path / "jobs.sqlite")
    job = store.submit(name="shot", owner="test", workflow=SHOT.read_text())
    jobs = ray_jobs.client(dashboard_address(ray_cluster))
    runner = RayRunner(address="", jobs=jobs, cache_dir=tmp_path / "cache", frames_per_task=4, store=store,
                       registry=load_registry(use_entry_points=False), executor=Executor(Cache()), out_dir=out,
                       device="cpu", lease_s=5.0)
    thread = threading.Thread(target=runner.run_one)
    thread.start()
    key = submission_id(job.id, 1)
    deadline = time.monotonic() + 120
    while not ray_jobs.attempts(paths_of(out, key)):
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    assert store.request_cancel(job.id)
    thread.join(60)
    assert not thread.is_alive()
    record = store.get(job.id)
    assert record is not None and record.state == "cancelled" and record.outputs == []
    deadline = time.monotonic() + 20
    while str(jobs.get_job_status(key).value) not in ray_jobs.TERMINAL and time.monotonic() < deadline:
        time.sleep(0.1)  # Ray marks a stopped job once its driver has exited
    assert str(jobs.get_job_status(key).value) == "STOPPED"
    assert not kinds(store, job.id, EventKind.COMMITTING) and not list(out.glob("*.mp4"))


def test_a_cluster_lost_mid_job_gives_the_job_back_to_the_store(tmp_path: Path, ray_cluster: Any,
                                                                 single_render: tuple[Path, Path]) -> None:
    """The Ray head goes away while the job renders: the run is interrupted and queued again, not failed; the
    worker claims nothing while the cluster is gone, and a worker elsewhere finishes the job later."""
    out, store = tmp_path / "out", JobStore(tmp_path / "jobs.sqlite")
    job = store.submit(name="shot", owner="test", workflow=SHOT.read_text())
    registry = load_registry(use_entry_points=False)
    cluster = start_local_cluster(nodes=1, num_cpus=1)  # a cluster of its own: this test takes its head away
    try:
        runner = RayRunner(address=dashboard_address(cluster), cache_dir=single_render[0], frames_per_task=4,
                           store=store, registry=registry, executor=Executor(Cache()), out_dir=out, device="cpu",
                           lease_s=30.0, lost_after_s=2.0)
        thread = threading.Thread(target=runner.run_one)
        thread.start()
        first = rendering(out, submission_id(job.id, 1), thread)
        # its tasks run on this cluster, not on another one running on the machine (the session's, say)
        assert {a["node"] for a in ray_jobs.attempts(first)} == {cluster.head_node.node_id}
    finally:
        cluster.shutdown()
    thread.join(60)
    assert not thread.is_alive()
    record = store.get(job.id)
    assert record is not None and record.state == "queued" and record.outputs == [], record
    interrupted = kinds(store, job.id, EventKind.INTERRUPTED)
    assert len(interrupted) == 1 and "Ray cluster" in interrupted[0].body["reason"], interrupted
    assert not kinds(store, job.id, EventKind.FINISHED) and not (out / STAGE_DIR / f"{job.id}.1").exists()
    assert not runner.run_one()  # the cluster is still gone: the job stays queued for a worker that can run it
    elsewhere = Runner(store=store, registry=registry, executor=Executor(Cache(disk=DiskCache(single_render[0]))),
                       out_dir=out, device="cpu")
    assert elsewhere.run_one()
    published_once(store, job.id, out, 2, single_render[1])
