"""The durable job store: submits survive kill -9, leases fence stale runs, dead runners are recovered by policy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oyster_nodes.jobs import EventKind, InterruptedPolicy, JobState, JobStore, LeaseLost, StoreError, new_job_id

REPO = Path(__file__).resolve().parents[2]
SUBMITTER = """
import sys
from oyster_nodes.jobs import JobStore
store = JobStore(sys.argv[1])
for i in range(100000):
    job = store.submit(name=f"job {i}", owner="t", workflow="{}")
    print(job.id, flush=True)
"""
HOLDER = """
import sys, time
from oyster_nodes.jobs import JobStore
from oyster_nodes.jobs.store import lease_owner
store = JobStore(sys.argv[1])
lease, record = store.claim(lease_owner(), lease_s=600)
print(record.id, flush=True)
time.sleep(600)
"""
CLAIMER = """
import sys
from oyster_nodes.jobs import JobStore, JobState
store = JobStore(sys.argv[1])
owner = sys.argv[2]
while (claimed := store.claim(owner)) is not None:
    lease, record = claimed
    print(record.id, flush=True)
    store.finish(lease, JobState.DONE, message="ok", nodes={}, outputs=[])
"""


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, env=env)


def _owner(pid: int) -> str:
    import socket

    return f"{socket.gethostname()}:{pid}:test"


def test_job_ids_carry_128_random_bits() -> None:
    ids = {new_job_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 33 and int(i[1:], 16) >= 0 for i in ids)


def test_every_acknowledged_submit_survives_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    for cycle in range(3):
        child = _child(SUBMITTER, str(db))
        assert child.stdout is not None
        acknowledged = [child.stdout.readline().strip() for _ in range(20 + 15 * cycle)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        store = JobStore(db)
        for job_id in acknowledged:
            record = store.get(job_id)
            assert record is not None and record.state is JobState.QUEUED, job_id
        store.close()


def test_a_killed_runner_is_interrupted_then_requeued(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    store = JobStore(db)
    first = store.submit(name="a", owner="t", workflow="{}")
    second = store.submit(name="b", owner="t", workflow="{}")
    child = _child(HOLDER, str(db))
    assert child.stdout is not None
    assert child.stdout.readline().strip() == first.id
    assert store.recover() == []  # its owner is alive and its lease fresh
    assert store.claim("me") is not None  # the second job; the first is still leased: never handed out twice
    assert store.claim("me") is None
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # an owner on this host whose process is gone is dead at once, long before its lease expires
    assert store.recover() == [first.id]
    record = store.get(first.id)
    assert record is not None and record.state is JobState.QUEUED and record.attempts == 1
    kinds = [e.kind for e in store.events(first.id)]
    assert kinds == [EventKind.SUBMITTED, EventKind.LEASED, EventKind.INTERRUPTED, EventKind.REQUEUED]
    lease, again = store.claim("me") or (None, None)
    assert again is not None and again.id == first.id and lease is not None and lease.attempt == 2
    assert second.id != first.id


def test_fail_policy_and_max_attempts(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite", policy=InterruptedPolicy.FAIL)
    job = store.submit(name="a", owner="t", workflow="{}")
    store.claim(_owner(2**22 + 12345), lease_s=600)  # a pid above the kernel's limit: never alive
    assert store.recover() == [job.id]
    record = store.get(job.id)
    assert record is not None and record.state is JobState.ERROR and "interrupted" in record.message
    requeue = JobStore(tmp_path / "other.sqlite", max_attempts=2)
    job = requeue.submit(name="a", owner="t", workflow="{}")
    for _ in range(2):
        requeue.claim(_owner(2**22 + 12345))
        requeue.recover()
    record = requeue.get(job.id)
    assert record is not None and record.state is JobState.ERROR and record.attempts == 2


def test_a_stale_fence_writes_nothing(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    store.submit(name="a", owner="t", workflow="{}")
    old, _ = store.claim(_owner(2**22 + 1), lease_s=0.01) or (None, None)
    assert old is not None
    time.sleep(0.05)
    assert store.recover()  # the lease expired
    new, _ = store.claim("me") or (None, None)
    assert new is not None and new.fence == old.fence + 1
    with pytest.raises(LeaseLost):
        store.heartbeat(old)
    assert not store.node_event(old, "n", {"status": "done"})
    assert not store.finish(old, JobState.DONE, message="late", nodes={}, outputs=["x.png"])
    assert store.finish(new, JobState.DONE, message="ok", nodes={"n": {"status": "done"}}, outputs=["y.png"])
    record = store.get(new.job_id)
    assert record is not None and record.outputs == ["y.png"] and record.message == "ok"


def test_cancel_reaches_a_queued_and_a_running_job(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    running = store.submit(name="a", owner="t", workflow="{}")
    queued = store.submit(name="b", owner="t", workflow="{}")
    lease, _ = store.claim("me") or (None, None)
    assert lease is not None and lease.job_id == running.id
    assert store.request_cancel(queued.id)
    assert store.get(queued.id).state is JobState.CANCELLED  # type: ignore[union-attr]
    assert not store.request_cancel(queued.id)
    assert store.request_cancel(running.id)
    assert store.heartbeat(lease) is True


def test_concurrent_claimers_never_share_a_job(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    store = JobStore(db)
    ids = {store.submit(name=str(i), owner="t", workflow="{}").id for i in range(150)}
    children = [_child(CLAIMER, str(db), f"w{k}") for k in range(3)]
    claimed = [line.strip() for c in children for line in c.communicate()[0].splitlines()]
    assert sorted(claimed) == sorted(ids)
    assert store.counts() == {"done": 150}


def test_another_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    with store._write() as db:
        db.execute("UPDATE meta SET value='99' WHERE key='schema'")
    store.close()
    with pytest.raises(StoreError, match="schema 99"):
        JobStore(tmp_path / "jobs.sqlite")
    (tmp_path / "junk.sqlite").write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="move it away"):
        JobStore(tmp_path / "junk.sqlite")


def test_fsync_flushes_every_commit(tmp_path: Path) -> None:
    assert JobStore(tmp_path / "a.sqlite")._db().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert JobStore(tmp_path / "b.sqlite", fsync=True)._db().execute("PRAGMA synchronous").fetchone()[0] == 2
    assert JobStore(tmp_path / "b.sqlite")._db().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
