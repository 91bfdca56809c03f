"""The headless runner: outputs published exactly once under the lease's fence, resumed runs, retries."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.executor import Executor
from oyster_nodes.jobs import EventKind, JobState, JobStore, typed_body
from oyster_nodes.jobs.records import OutputWritten
from oyster_nodes.jobs.runner import Run, RunEnd, Runner, RunWatcher
from oyster_nodes.jobs.store import SCHEMA_VERSION
from oyster_nodes.registry import load_registry

from .jobtools import PACKS, REPO, dump, env, exactly_once, leftovers, workflow


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return load_registry(folders=[str(PACKS)], use_entry_points=False)


class Ends(RunWatcher):
    def __init__(self) -> None:
        self.ends: list[RunEnd] = []

    def run_ended(self, run: Run, end: RunEnd) -> None:
        self.ends.append(end)


def _runner(store: JobStore, registry, out: Path, cache: Path, **kw) -> Runner:  # type: ignore[no-untyped-def]
    executor = Executor(Cache(memory_bytes=2**26, disk=DiskCache(cache)))
    return Runner(store=store, registry=registry, executor=executor, out_dir=out, device="cpu", **kw)


def test_a_run_publishes_its_outputs_once_with_typed_events(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.submit(name="a", owner="t", workflow=dump(workflow(seed=3)))
    runner = _runner(store, registry, tmp_path / "out", tmp_path / "cache")
    assert runner.run_one() and not runner.run_one()
    record = store.get(job.id)
    assert record is not None and record.state is JobState.DONE and record.outputs == ["frames-3.txt"]
    kinds = [e.kind for e in store.events(job.id)]
    assert kinds[:3] == [EventKind.SUBMITTED, EventKind.LEASED, EventKind.STARTED]
    assert kinds[-3:] == [EventKind.COMMITTING, EventKind.OUTPUT, EventKind.FINISHED]
    assert EventKind.PROGRESS in kinds and EventKind.NODE in kinds
    output = typed_body(next(e for e in store.events(job.id) if e.kind is EventKind.OUTPUT))
    assert isinstance(output, OutputWritten) and output.path == "frames-3.txt" and output.bytes > 4096
    assert exactly_once(store, [job.id], tmp_path / "out") == {"not_once": 0, "twice_written": 0, "missing": 0,
                                                               "overlapping_leases": 0}
    assert leftovers(tmp_path / "out") == []
    assert "workflow path frames-3.txt\n" in (tmp_path / "out" / "frames-3.txt").read_text()  # as submitted


def test_an_existing_output_refuses_the_job_and_publishes_nothing(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    out.mkdir()
    (out / "frames-4.txt").write_text("someone else's")
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.submit(name="a", owner="t", workflow=dump(workflow(seed=4)))
    _runner(store, registry, out, tmp_path / "cache").run_one()
    record = store.get(job.id)
    assert record is not None and record.state is JobState.ERROR and "already exists" in record.message
    assert record.nodes["write"]["error"]["message"].startswith("'frames-4.txt' already exists")
    assert (out / "frames-4.txt").read_text() == "someone else's" and leftovers(out) == []


def test_a_stale_runner_whose_lease_was_taken_over_writes_nothing(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    """Runner A hangs (no heartbeat) past its lease; B takes the job over and publishes; A, waking up, is
    refused at its fenced commit: it neither writes the output nor marks the job done."""
    store, out = JobStore(tmp_path / "jobs.sqlite"), tmp_path / "out"
    job = store.submit(name="a", owner="t", workflow=dump(workflow(seed=5, write_delay_s=1.5)))
    watcher_a = Ends()
    a = _runner(store, registry, out, tmp_path / "cache-a", lease_s=0.5, watcher=watcher_a)
    a.beat_every_s = 3600.0  # A stops renewing: a hung process, or one cut off from the store
    thread = threading.Thread(target=a.run_one)
    thread.start()
    deadline = time.monotonic() + 20
    while not any(e.kind is EventKind.STARTED for e in store.events(job.id)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.6)  # A's lease expires while it is still writing
    assert store.recover() == [job.id]
    b = _runner(store, registry, out, tmp_path / "cache-b")
    assert b.run_one()
    thread.join(30)
    assert watcher_a.ends and watcher_a.ends[-1].recorded is False and watcher_a.ends[-1].state is None
    record = store.get(job.id)
    assert record is not None and record.state is JobState.DONE and record.attempts == 2
    events = store.events(job.id)
    outputs = [e for e in events if e.kind is EventKind.OUTPUT]
    assert len(outputs) == 1 and outputs[0].body["fence"] == record.fence
    assert not [e for e in events if e.kind is EventKind.COMMITTING and e.body["fence"] != record.fence]
    assert exactly_once(store, [job.id], out)["missing"] == 0 and leftovers(out) == []


DIES_WHILE_PUBLISHING = """
import os, signal, sys
from pathlib import Path
from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor
from oyster_nodes.jobs import JobStore
from oyster_nodes.jobs.runner import Runner
from oyster_nodes.registry import load_registry

class DiesWhilePublishing(Runner):
    def _publish(self, run, files, nodes, message):
        os.kill(os.getpid(), signal.SIGKILL)  # decided, not yet renamed: the worst moment

store = JobStore(Path(sys.argv[1]))
registry = load_registry(folders=[sys.argv[3]], use_entry_points=False)
DiesWhilePublishing(store=store, registry=registry, executor=Executor(Cache()), out_dir=Path(sys.argv[2]),
                    device="cpu").run_one()
"""


def test_a_runner_killed_between_deciding_and_renaming_is_completed_not_rerun(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    store, out = JobStore(tmp_path / "jobs.sqlite"), tmp_path / "out"
    job = store.submit(name="a", owner="t", workflow=dump(workflow(seed=6, path="deep/er/frames-{seed}.txt")))
    child = subprocess.run([sys.executable, "-c", DIES_WHILE_PUBLISHING, str(store.path), str(out), str(PACKS)],
                           env=env(), cwd=REPO, timeout=120)
    assert child.returncode == -9
    record = store.get(job.id)
    assert record is not None and record.state is JobState.RUNNING and record.commit
    assert not (out / "deep/er/frames-6.txt").exists() and (out / record.commit[0]["staged"]).is_file()
    assert store.recover() == [job.id]
    assert _runner(store, registry, out, tmp_path / "cache").run_one()
    record = store.get(job.id)
    assert record is not None and record.state is JobState.DONE and record.outputs == ["deep/er/frames-6.txt"]
    started = [e for e in store.events(job.id) if e.kind is EventKind.STARTED]
    assert len(started) == 1  # the graph ran once; the second attempt only renamed
    assert exactly_once(store, [job.id], out) == {"not_once": 0, "twice_written": 0, "missing": 0,
                                                  "overlapping_leases": 0}
    assert leftovers(out) == []


def test_retry_runs_a_cancelled_job_again_from_the_cache(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    store, out = JobStore(tmp_path / "jobs.sqlite"), tmp_path / "out"
    job = store.submit(name="a", owner="t", workflow=dump(workflow(seed=7, write_delay_s=3.0)))
    runner = _runner(store, registry, out, tmp_path / "cache")
    thread = threading.Thread(target=runner.run_one)
    thread.start()
    deadline = time.monotonic() + 20
    while not any(e.kind is EventKind.NODE and e.body["node"] == "frames" for e in store.events(job.id)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert store.request_cancel(job.id)
    thread.join(30)
    record = store.get(job.id)
    assert record is not None and record.state is JobState.CANCELLED and not (out / "frames-7.txt").exists()
    assert not store.retry(store.submit(name="q", owner="t", workflow="{}").id)  # only failed or cancelled jobs
    assert store.retry(job.id)
    fresh = _runner(store, registry, out, tmp_path / "cache")  # a new process's memory: the disk cache serves
    assert fresh.run_one()
    record = store.get(job.id)
    assert record is not None and record.state is JobState.DONE and record.nodes["frames"]["status"] == "cached"
    assert [e.kind for e in store.events(job.id)].count(EventKind.RETRIED) == 1


def test_a_key_makes_a_submit_idempotent_and_old_stores_migrate(tmp_path: Path) -> None:
    import sqlite3

    old = tmp_path / "v1.sqlite"
    db = sqlite3.connect(old)
    from oyster_nodes.jobs.store import SCHEMA

    db.executescript(SCHEMA + "INSERT INTO meta VALUES ('schema', '1');")
    db.execute("INSERT INTO jobs (id, version, name, owner, workflow, state, created) VALUES "
               "('jold', 1, 'old', 't', '{}', 'queued', 1.0)")
    db.commit()
    db.close()
    store = JobStore(old)
    assert store.get("jold") is not None and store.get("jold").batch == ""  # type: ignore[union-attr]
    first, added = store.submit_once(name="a", owner="t", workflow="{}", key="k1", batch="b1")
    again, added_again = store.submit_once(name="a", owner="t", workflow="{}", key="k1", batch="b1")
    assert added and not added_again and again.id == first.id
    assert [r.id for r in store.list(batch="b1")] == [first.id]
    row = sqlite3.connect(old).execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    assert int(row[0]) == SCHEMA_VERSION


def test_the_worker_imports_no_ui() -> None:
    code = ("import sys; import oyster_nodes.jobs.worker, oyster_nodes.jobs.runner, oyster_nodes.cli; "
            "assert not [m for m in sys.modules if m.startswith(('nicegui', 'fastapi'))], 'UI imported'")
    assert subprocess.run([sys.executable, "-c", code], env=env(), cwd=REPO).returncode == 0
    assert os.environ.get("OMP_NUM_THREADS") == "1"
