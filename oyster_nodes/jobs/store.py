"""The durable job store: one SQLite file in WAL mode, shared by every process that runs or watches jobs.

A submit is committed to the write-ahead log before it returns, so a job acknowledged to a client survives a
`kill -9` or crash of any process (WAL with synchronous=NORMAL: the log is written, not flushed to the disk, on
each commit). With `fsync=True` every commit is also flushed (synchronous=FULL) and survives a power loss, at
the price of one disk flush per submit (~6 ms on the development machines against ~0.5 ms). A run claims its job with a lease (owner, expiry, fencing token; the attempt count
grows by one); the owner renews the lease while it runs, and every later write about the run names its fence,
so a run whose lease was taken over writes nothing. A lease whose owner died — its process is gone from this
host, or its expiry passed — is `recover`ed: the job is marked interrupted and then queued again or failed by
the store's InterruptedPolicy. Only one lease on a job is live at a time, so nothing runs twice at once.

Schema 2 adds to each job an idempotency `key` (unique; `submit_once` returns the job already holding it), the
`batch` it belongs to, and `commit`: the outputs a run decided under its fence (`begin_commit`) and not yet all
renamed into place; a job interrupted with a decided commit is always queued again, for its next holder to
complete the renames (`runner.py`, `outputs.py`). Older stores are migrated in place when opened.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from .records import FINISHED, RECORD_VERSION, EventKind, InterruptedPolicy, JobEvent, JobRecord, JobState, Lease, dumps

SCHEMA_VERSION = 2
KEEP_FINISHED = 1000
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL, workflow TEXT NOT NULL,
  state TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL, message TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL DEFAULT 3, lease_owner TEXT,
  lease_expires REAL, fence INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,
  nodes TEXT NOT NULL DEFAULT '{}', outputs TEXT NOT NULL DEFAULT '[]', seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, created);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, at REAL NOT NULL, kind TEXT NOT NULL,
  version INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_job ON events (job_id, seq);
"""
#: each step takes the schema from the version before it to its own (appended to, never edited)
MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: ("ALTER TABLE jobs ADD COLUMN key TEXT",
        "ALTER TABLE jobs ADD COLUMN batch TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE jobs ADD COLUMN [commit] TEXT NOT NULL DEFAULT '[]'",
        "CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs (key) WHERE key IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS jobs_batch ON jobs (batch, created)"),
}
COLUMNS = ("id", "version", "name", "owner", "workflow", "state", "created", "started", "finished", "message",
           "attempts", "max_attempts", "lease_owner", "lease_expires", "fence", "cancel_requested", "nodes", "outputs",
           "seq", "key", "batch", "commit")
#: what listing reads: everything but the workflow text and the node states
LIST_COLUMNS = tuple(c for c in COLUMNS if c not in ("workflow", "nodes"))


def _select(columns: tuple[str, ...]) -> str:
    return ", ".join(f"[{c}]" for c in columns)


class StoreError(RuntimeError):
    """The store file cannot be used (another schema version, a broken file)."""


class LeaseLost(RuntimeError):
    """The run's lease expired or was taken over: it must stop and write nothing more."""


def new_job_id() -> str:
    """128 random bits: unguessable, so a job's details and files are reached only by whoever was told its id."""
    return "j" + secrets.token_hex(16)


def lease_owner() -> str:
    """host:pid:random — enough for a restarted process on this host to tell that the owner is gone."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_dead(owner: str | None) -> bool:
    """True only when the owner ran on this host and its process no longer exists."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class JobStore:
    """Jobs and their events in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path, *, policy: InterruptedPolicy = InterruptedPolicy.REQUEUE, max_attempts: int = 3,
                 fsync: bool = False):
        self.path, self.policy, self.max_attempts = Path(path), InterruptedPolicy(policy), max_attempts
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._migrate()

    # ------------------------------------------------------------------ connection
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={'FULL' if self.fsync else 'NORMAL'}")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # a failed COMMIT leaves the transaction open: end it, or every later BEGIN fails
                db.execute("ROLLBACK")
            raise

    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the store's file, for tables other modules keep beside the jobs."""
        return self._db()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error) on this thread's connection."""
        return self._write()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _migrate(self) -> None:
        try:
            with self._write() as db:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    db.execute(statement)
                row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                found = 1 if row is None else int(row[0])
                if found > SCHEMA_VERSION:
                    raise StoreError(f"{self.path} holds job store schema {row[0]}, this version reads up to "
                                     f"{SCHEMA_VERSION}: use another --workspace or upgrade")
                for step in range(found + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[step]:
                        db.execute(statement)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable job store ({exc}): move it away to start afresh") from None

    # ------------------------------------------------------------------ events
    @staticmethod
    def _event(db: sqlite3.Connection, job_id: str, kind: EventKind, body: dict[str, Any], now: float) -> int:
        cur = db.execute("INSERT INTO events (job_id, at, kind, version, body) VALUES (?, ?, ?, ?, ?)",
                         (job_id, now, str(kind), RECORD_VERSION, dumps(body)))
        seq = int(cur.lastrowid or 0)
        db.execute("UPDATE jobs SET seq=? WHERE id=?", (seq, job_id))
        return seq

    def events(self, job_id: str, *, after: int = 0, limit: int = 1000) -> list[JobEvent]:
        rows = self._db().execute("SELECT seq, job_id, at, kind, version, body FROM events WHERE job_id=? AND seq>? "
                                  "ORDER BY seq LIMIT ?", (job_id, after, limit)).fetchall()
        return [JobEvent(seq=r[0], job_id=r[1], at=r[2], kind=EventKind(r[3]), version=r[4], body=json.loads(r[5]))
                for r in rows]

    # ------------------------------------------------------------------ submit and read
    def submit(self, *, name: str, owner: str, workflow: str, job_id: str | None = None,
               max_attempts: int | None = None, key: str | None = None, batch: str = "") -> JobRecord:
        """Record a queued job; it is on disk when this returns. With a `key` already in the store, nothing is
        added and the job holding that key is returned (so a resubmission is never a duplicate)."""
        return self.submit_once(name=name, owner=owner, workflow=workflow, job_id=job_id, max_attempts=max_attempts,
                                key=key, batch=batch)[0]

    def submit_once(self, *, name: str, owner: str, workflow: str, job_id: str | None = None,
                    max_attempts: int | None = None, key: str | None = None,
                    batch: str = "") -> tuple[JobRecord, bool]:
        """As submit, and whether this call added the job (False: the key was already taken)."""
        now = time.time()
        record = JobRecord(id=job_id or new_job_id(), name=name, owner=owner, workflow=workflow, created=now,
                           max_attempts=max_attempts or self.max_attempts, key=key, batch=batch)
        with self._write() as db:
            if key is not None:
                row = db.execute("SELECT id FROM jobs WHERE key=?", (key,)).fetchone()
                if row is not None:
                    existing = self._get(db, row[0], COLUMNS)
                    assert existing is not None
                    return existing, False
            db.execute("INSERT INTO jobs (id, version, name, owner, workflow, state, created, max_attempts, key, "
                       "batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (record.id, record.version, name, owner, workflow, str(JobState.QUEUED), now,
                        record.max_attempts, key, batch))
            self._event(db, record.id, EventKind.SUBMITTED, {"name": name, "owner": owner}, now)
        return record, True

    @staticmethod
    def _get(db: sqlite3.Connection, job_id: str, columns: tuple[str, ...]) -> JobRecord | None:
        row = db.execute(f"SELECT {_select(columns)} FROM jobs WHERE id=?", (job_id,)).fetchone()
        return _record(dict(zip(columns, row, strict=True))) if row else None

    def get(self, job_id: str, *, with_workflow: bool = False) -> JobRecord | None:
        columns = COLUMNS if with_workflow else tuple(c for c in COLUMNS if c != "workflow")
        return self._get(self._db(), job_id, columns)

    def seq(self, job_id: str) -> int:
        row = self._db().execute("SELECT seq FROM jobs WHERE id=?", (job_id,)).fetchone()
        return int(row[0]) if row else -1

    def list(self, *, limit: int = 100, states: tuple[JobState, ...] | None = None,
             batch: str | None = None) -> list[JobRecord]:
        """Newest first, without workflows or node states; only one batch's jobs when `batch` is given."""
        clauses, args = [], [str(s) for s in states or ()]
        if states:
            clauses.append(f"state IN ({', '.join('?' * len(states))})")
        if batch is not None:
            clauses.append("batch=?")
            args.append(batch)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db().execute(f"SELECT {_select(LIST_COLUMNS)} FROM jobs {where} ORDER BY created DESC, "
                                  "rowid DESC LIMIT ?", (*args, limit)).fetchall()
        return [_record(dict(zip(LIST_COLUMNS, r, strict=True))) for r in rows]

    def counts(self) -> dict[str, int]:
        return dict(self._db().execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())

    # ------------------------------------------------------------------ runs
    def claim(self, owner: str, *, lease_s: float = 30.0) -> tuple[Lease, JobRecord] | None:
        """Lease the oldest queued job to `owner`, or None when nothing is queued."""
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT id FROM jobs WHERE state=? AND cancel_requested=0 ORDER BY created, rowid "
                             "LIMIT 1", (str(JobState.QUEUED),)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE jobs SET state=?, started=?, attempts=attempts+1, fence=fence+1, lease_owner=?, "
                       "lease_expires=? WHERE id=?", (str(JobState.RUNNING), now, owner, now + lease_s, row[0]))
            attempt, fence = db.execute("SELECT attempts, fence FROM jobs WHERE id=?", (row[0],)).fetchone()
            self._event(db, row[0], EventKind.LEASED, {"owner": owner, "attempt": attempt, "fence": fence}, now)
        record = self.get(row[0], with_workflow=True)
        assert record is not None
        return Lease(job_id=row[0], owner=owner, fence=fence, attempt=attempt, expires=now + lease_s), record

    def heartbeat(self, lease: Lease, *, lease_s: float = 30.0) -> bool:
        """Renew the lease; returns whether a cancel was asked for. LeaseLost when the lease is gone."""
        with self._write() as db:
            cur = db.execute("UPDATE jobs SET lease_expires=? WHERE id=? AND fence=? AND state=?",
                             (time.time() + lease_s, lease.job_id, lease.fence, str(JobState.RUNNING)))
            if cur.rowcount != 1:
                raise LeaseLost(f"job {lease.job_id} attempt {lease.attempt} lost its lease")
            return bool(db.execute("SELECT cancel_requested FROM jobs WHERE id=?", (lease.job_id,)).fetchone()[0])

    def node_event(self, lease: Lease, node_id: str, body: dict[str, Any]) -> bool:
        """Record a node's end for a run that still holds its lease."""
        with self._write() as db:
            if not self._holds(db, lease):
                return False
            self._event(db, lease.job_id, EventKind.NODE, {"node": node_id, "fence": lease.fence, **body}, time.time())
            return True

    def finish(self, lease: Lease, state: JobState, *, message: str, nodes: dict[str, dict[str, Any]],
               outputs: list[str]) -> bool:
        """End the run with its final node states and outputs; False (and nothing written) without the lease."""
        if state not in FINISHED:
            raise ValueError(f"finish with {state}: give done, error or cancelled")
        now = time.time()
        with self._write() as db:
            if not self._holds(db, lease):
                return False
            pending = json.loads(db.execute("SELECT [commit] FROM jobs WHERE id=?", (lease.job_id,)).fetchone()[0])
            if state is JobState.DONE:
                for item in pending:
                    self._event(db, lease.job_id, EventKind.OUTPUT, {"path": item["final"], "sha256": item["sha256"],
                                                                     "bytes": item["bytes"], "fence": lease.fence}, now)
            db.execute("UPDATE jobs SET state=?, finished=?, message=?, nodes=?, outputs=?, lease_owner=NULL, "
                       "lease_expires=NULL, [commit]='[]' WHERE id=?", (str(state), now, message[:2000], dumps(nodes),
                                                                       dumps(outputs), lease.job_id))
            self._event(db, lease.job_id, EventKind.FINISHED, {"state": str(state), "message": message[:2000],
                                                                "fence": lease.fence}, now)
        return True

    def started(self, lease: Lease, *, nodes: int) -> bool:
        """Record that the run began executing; False without the lease."""
        return self._fenced_event(lease, EventKind.STARTED, {"attempt": lease.attempt, "fence": lease.fence,
                                                             "nodes": nodes})

    def progress(self, lease: Lease, node_id: str, fraction: float, message: str = "") -> bool:
        return self._fenced_event(lease, EventKind.PROGRESS, {"node": node_id, "fraction": round(fraction, 4),
                                                              "message": message[:200], "fence": lease.fence})

    def _fenced_event(self, lease: Lease, kind: EventKind, body: dict[str, Any]) -> bool:
        with self._write() as db:
            if not self._holds(db, lease):
                return False
            self._event(db, lease.job_id, kind, body, time.time())
            return True

    def begin_commit(self, lease: Lease, files: list[dict[str, Any]], *, nodes: dict[str, dict[str, Any]] | None = None,
                     message: str = "") -> bool:
        """Decide the run's outputs under its fence: [{staged, final, sha256, bytes, replace}]. After this the
        renames belong to the job, not to this run: if it dies, the next holder of the lease completes them.
        False (and nothing recorded) when the lease was lost: the caller must write nothing."""
        with self._write() as db:
            if not self._holds(db, lease):
                return False
            db.execute("UPDATE jobs SET [commit]=?, nodes=?, message=? WHERE id=?",
                       (dumps(files), dumps(nodes or {}), message[:2000], lease.job_id))
            self._event(db, lease.job_id, EventKind.COMMITTING, {"fence": lease.fence, "files": len(files)},
                        time.time())
            return True

    def holds(self, lease: Lease) -> bool:
        """Whether the lease is still the job's live one."""
        return self._holds(self._db(), lease)

    def retry(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again, with a fresh allowance of attempts; False for any other state."""
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT state, attempts FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None or row[0] not in (JobState.ERROR, JobState.CANCELLED):
                return False
            db.execute("UPDATE jobs SET state=?, finished=NULL, cancel_requested=0, message=?, max_attempts=?, "
                       "[commit]='[]' WHERE id=?", (str(JobState.QUEUED), f"retried after {row[0]}",
                                                    row[1] + self.max_attempts, job_id))
            self._event(db, job_id, EventKind.RETRIED, {"previous": row[0]}, now)
        return True

    def release(self, lease: Lease, reason: str) -> bool:
        """Give the lease back without finishing (a clean stop): interrupted, then re-queued or failed."""
        now = time.time()
        with self._write() as db:
            if not self._holds(db, lease):
                return False
            attempts, max_attempts = db.execute("SELECT attempts, max_attempts FROM jobs WHERE id=?",
                                                (lease.job_id,)).fetchone()
            self._interrupt(db, lease.job_id, attempts, max_attempts, reason, now)
        return True

    @staticmethod
    def _holds(db: sqlite3.Connection, lease: Lease) -> bool:
        return db.execute("SELECT 1 FROM jobs WHERE id=? AND fence=? AND state=?",
                          (lease.job_id, lease.fence, str(JobState.RUNNING))).fetchone() is not None

    def request_cancel(self, job_id: str) -> bool:
        """A queued job is cancelled at once; a running one is asked to stop (its runner sees it on heartbeat)."""
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None or row[0] in FINISHED:
                return False
            if row[0] == JobState.QUEUED:
                db.execute("UPDATE jobs SET state=?, finished=?, message=? WHERE id=?",
                           (str(JobState.CANCELLED), now, "cancelled before it started", job_id))
                self._event(db, job_id, EventKind.FINISHED, {"state": "cancelled"}, now)
            else:
                db.execute("UPDATE jobs SET cancel_requested=1 WHERE id=?", (job_id,))
                self._event(db, job_id, EventKind.CANCEL_REQUESTED, {}, now)
        return True

    def recover(self) -> list[str]:
        """Interrupt every running job whose owner is dead or whose lease expired; returns their ids."""
        now = time.time()
        with self._write() as db:
            rows = db.execute("SELECT id, lease_owner, lease_expires, attempts, max_attempts FROM jobs WHERE state=?",
                              (str(JobState.RUNNING),)).fetchall()
            stale = [r for r in rows if (r[2] or 0) < now or owner_is_dead(r[1])]
            for job_id, owner, _, attempts, max_attempts in stale:
                self._interrupt(db, job_id, attempts, max_attempts, f"its runner {owner} stopped", now)
        return [r[0] for r in stale]

    def _interrupt(self, db: sqlite3.Connection, job_id: str, attempts: int, max_attempts: int, reason: str,
                   now: float) -> None:
        self._event(db, job_id, EventKind.INTERRUPTED, {"attempt": attempts, "reason": reason}, now)
        cancelled, pending = db.execute("SELECT cancel_requested, [commit] FROM jobs WHERE id=?", (job_id,)).fetchone()
        if pending != "[]":  # its outputs were decided: whoever runs it next only renames them into place
            db.execute("UPDATE jobs SET state=?, lease_owner=NULL, lease_expires=NULL, message=? WHERE id=?",
                       (str(JobState.QUEUED), f"interrupted while committing its outputs ({reason}); queued to "
                        "finish them", job_id))
            self._event(db, job_id, EventKind.REQUEUED, {"attempt": attempts}, now)
            return
        if cancelled:
            state, message = JobState.CANCELLED, "cancelled (interrupted while cancelling)"
        elif self.policy is InterruptedPolicy.REQUEUE and attempts < max_attempts:
            db.execute("UPDATE jobs SET state=?, lease_owner=NULL, lease_expires=NULL, message=? WHERE id=?",
                       (str(JobState.QUEUED), f"interrupted in attempt {attempts} ({reason}); queued again", job_id))
            self._event(db, job_id, EventKind.REQUEUED, {"attempt": attempts}, now)
            return
        else:
            state = JobState.ERROR
            message = f"interrupted in attempt {attempts} of {max_attempts} ({reason}); not run again"
        db.execute("UPDATE jobs SET state=?, finished=?, message=?, lease_owner=NULL, lease_expires=NULL WHERE id=?",
                   (str(state), now, message, job_id))
        self._event(db, job_id, EventKind.FINISHED, {"state": str(state), "message": message}, now)

    def prune(self, *, keep: int = KEEP_FINISHED) -> list[str]:
        """Forget finished jobs beyond the newest `keep`; returns the ids forgotten."""
        with self._write() as db:
            ids = [r[0] for r in db.execute(
                f"SELECT id FROM jobs WHERE state IN ({', '.join('?' * len(FINISHED))}) ORDER BY created DESC "
                "LIMIT -1 OFFSET ?", (*(str(s) for s in FINISHED), keep)).fetchall()]
            for job_id in ids:
                db.execute("DELETE FROM events WHERE job_id=?", (job_id,))
                db.execute("DELETE FROM jobs WHERE id=?", (job_id,))
        return ids


def _record(row: dict[str, Any]) -> JobRecord:
    row = dict(row)
    row["state"] = JobState(row["state"])
    row["cancel_requested"] = bool(row["cancel_requested"])
    row["nodes"] = json.loads(row["nodes"]) if "nodes" in row else {}
    row["outputs"] = json.loads(row["outputs"]) if "outputs" in row else []
    row["commit"] = json.loads(row["commit"]) if row.get("commit") else []
    row["batch"] = row.get("batch") or ""
    row.setdefault("workflow", "")
    return JobRecord(**row)
