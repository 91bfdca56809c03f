"""The server's view of jobs: one a worker runs shows its node states, folded from the store's events."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor
from oyster_nodes.jobs import JobStore
from oyster_nodes.jobs.runner import Runner
from oyster_nodes.registry import load_registry
from oyster_nodes.server.jobs import JobQueue
from oyster_nodes.server.pages import queue_line
from oyster_nodes.workflow import parse_data

from .jobtools import PACKS, workflow


def test_a_job_run_by_a_worker_shows_its_nodes_in_the_server(tmp_path: Path) -> None:
    registry = load_registry(folders=[str(PACKS)], use_entry_points=False)
    store = JobStore(tmp_path / "jobs.sqlite")
    queue = JobQueue(registry=registry, executor=Executor(Cache()), store=store, out_dir=tmp_path / "out",
                     previews_dir=tmp_path / "previews", run=False)  # the server runs nothing: the worker does
    job = queue.submit(parse_data(workflow(seed=11, write_delay_s=2.0)), owner="tab")
    assert queue.get(job.id).nodes["write"]["status"] == "queued"  # type: ignore[union-attr]
    worker = Runner(store=JobStore(store.path), registry=registry, executor=Executor(Cache()),
                    out_dir=tmp_path / "out", device="cpu")
    thread = threading.Thread(target=worker.run_one)
    thread.start()
    seen = set()
    deadline = time.monotonic() + 30
    while thread.is_alive() and time.monotonic() < deadline:
        view = queue.get(job.id)
        assert view is not None
        if view.state == "running":
            seen.add((view.nodes.get("frames", {}).get("status"), view.nodes.get("write", {}).get("status")))
        time.sleep(0.05)
    thread.join(10)
    assert ("done", "running") in seen, seen
    final = queue.get(job.id)
    assert final is not None and final.state == "done" and final.outputs == ["frames-11.txt"]


def test_a_finished_job_is_listed_with_the_counts_of_its_nodes(tmp_path: Path) -> None:
    registry = load_registry(folders=[str(PACKS)], use_entry_points=False)
    store = JobStore(tmp_path / "jobs.sqlite")
    queue = JobQueue(registry=registry, executor=Executor(Cache()), store=store, out_dir=tmp_path / "out",
                     previews_dir=tmp_path / "previews", run=False)
    job = queue.submit(parse_data(workflow(seed=12)), owner="tab")
    worker = Runner(store=JobStore(store.path), registry=registry, executor=Executor(Cache()),
                    out_dir=tmp_path / "out", device="cpu")
    worker.run_one()
    (listed,) = [j for j in queue.list() if j["id"] == job.id]
    assert listed["state"] == "done" and listed["counts"] == {"done": 2}
    assert queue_line(listed).startswith("done · 2/2 nodes · ")


def test_the_queue_line_names_no_count_before_any_node_is_known() -> None:
    assert queue_line({"state": "error", "counts": {}, "seconds": 0.4}) == "error · 0.4 s"
    assert queue_line({"state": "error", "counts": {"done": 499, "error": 1}, "seconds": 2.0}) == \
        "error · 499/500 nodes · 1 failed · 2.0 s"
