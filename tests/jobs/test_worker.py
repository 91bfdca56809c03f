"""`oyster worker` processes killed with SIGKILL mid-batch and restarted: every job finishes exactly once, every
output is complete and written once, and a resumed job takes what its dead runner computed from the cache."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from oyster_nodes.jobs import EventKind, JobState, JobStore
from oyster_nodes.jobs.worker import store_path

from .jobtools import exactly_once, leftovers, oyster, start_worker, workflow


def _wait(predicate, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_workers_mid_batch_and_restart(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    doc = tmp_path / "wf.json"
    doc.write_text(json.dumps(workflow(delay_s=0.6, write_delay_s=0.6, path="frames.txt")))
    submitted = oyster("batch", str(doc), "--sweep", "frames.seed=1..6", "--submit", "--workspace", str(workspace),
                       "--out", "sweep")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    again = oyster("batch", str(doc), "--sweep", "frames.seed=1..6", "--submit", "--workspace", str(workspace),
                   "--out", "sweep")
    assert "0 job(s) submitted, 6 already in the store" in again.stdout  # a resubmission adds nothing
    store = JobStore(store_path(workspace))
    jobs = [r.id for r in store.list(limit=100)]
    assert len(jobs) == 6

    def frames_done_on_a_running_job() -> bool:
        running = [r for r in store.list(limit=100) if r.state is JobState.RUNNING]
        return any(any(e.kind is EventKind.NODE and e.body["node"] == "frames" for e in store.events(r.id))
                   for r in running)

    killed = 0
    for _ in range(3):  # kill while a job is between its cached world and its export
        worker = start_worker(workspace, "--concurrency", "2")
        _wait(frames_done_on_a_running_job)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        killed += 1
    worker = start_worker(workspace, "--concurrency", "2", "--drain")
    assert worker.wait(timeout=180) == 0, (workspace / "worker.log").read_text()

    out = workspace / "out"
    records = [store.get(j) for j in jobs]
    assert all(r is not None and r.state is JobState.DONE for r in records), [r and r.message for r in records]
    assert exactly_once(store, jobs, out) == {"not_once": 0, "twice_written": 0, "missing": 0,
                                              "overlapping_leases": 0}
    assert leftovers(out) == []
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert len(written) == 6 and all(p.startswith("sweep/") for p in written)
    assert all(len((out / p).read_text()) > 4096 for p in written)
    resumed = [r for r in records if r is not None and r.attempts > 1]
    assert resumed and killed == 3
    assert any(r.nodes["frames"]["status"] == "cached" for r in resumed)  # its world came from the cache


def test_a_batch_with_an_invalid_variant_submits_nothing(tmp_path: Path) -> None:
    doc = tmp_path / "wf.json"
    doc.write_text(json.dumps(workflow()))
    workspace = tmp_path / "ws"
    answer = oyster("batch", str(doc), "--sweep", "frames.seed=1,2,-3", "--submit", "--workspace", str(workspace))
    assert answer.returncode == 2 and "variant 3" in answer.stdout and "seed" in answer.stdout
    assert not store_path(workspace).exists() or not JobStore(store_path(workspace)).list()
    outside = oyster("batch", str(doc), "--submit", "--workspace", str(workspace), "--out", "../elsewhere")
    assert outside.returncode == 2 and "inside the workspace's output folder" in outside.stdout
