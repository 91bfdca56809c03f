"""The server's job queue: a view on the durable job store (oyster_nodes.jobs) plus one runner thread.

A submit is validated, then committed to the store before it returns (so before the API's 201). The runner
claims jobs from the store with a lease, renews it while the executor runs off the event loop, and writes each
node's end and the run's final node states and outputs back under its fencing token. Jobs this process runs
keep a live per-node state (status, progress, time, error, previews) with a version per node, so each client
sends its browser only what changed; every other job is read from the store.

On a stop (SIGTERM) the running node finishes, the run stops between nodes and is recorded as interrupted and
queued again; a run cut off by a `kill -9` is found at the next start (its owner's process is gone) and
handled by the store's policy: re-queued up to its maximum attempts (the default) or failed (`--interrupted
fail`). Node errors shown to clients carry the node, the message and the fix, with absolute paths cut down;
the traceback goes to the server log, and to clients only when the server is behind an access token.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..devices import DeviceError, resolve
from ..executor import Executor, NodeRecord, RunOptions
from ..graph import Graph, build
from ..hooks import Hook
from ..jobs import JobRecord, JobState, JobStore, Lease, LeaseLost
from ..jobs.store import lease_owner
from ..registry import Registry
from ..types import Files
from ..workflow import Workflow, WorkflowError, parse_text
from .previews import make_previews

log = logging.getLogger(__name__)

FINISHED = ("done", "error", "cancelled")
PROGRESS_EVERY_S = 0.1
LEASE_S = 30.0
IDLE_POLL_S = 1.0
STOP_WAIT_S = 20.0
CACHED_RECORDS = 64
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~>-])/(?:[^\s/'\"<>:]+/)+([^\s/'\"<>:]*)")


def redact(text: str, roots: Iterable[tuple[Path, str]]) -> str:
    """Text for a client: known folders named by their role, other absolute paths cut to their last part."""
    for path, label in roots:
        text = text.replace(str(path), label)
    return ABSOLUTE_PATH.sub(lambda m: f"…/{m.group(1)}", text)


@dataclass(kw_only=True, slots=True)
class Job:
    """One job as clients see it: live while this process runs it, else loaded from the store."""

    id: str
    name: str
    owner: str
    graph: Graph | None = None
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    attempts: int = 0
    outputs: list[str] = field(default_factory=list)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_versions: dict[str, int] = field(default_factory=dict)
    version: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_record(cls, record: JobRecord) -> Job:
        job = cls(id=record.id, name=record.name, owner=record.owner, state=str(record.state), created=record.created,
                  started=record.started, finished=record.finished, message=record.message,
                  attempts=record.attempts, outputs=list(record.outputs))
        for node_id, state in record.nodes.items():
            job.update(node_id, **state)
        return job

    def update(self, node_id: str, **fields: Any) -> None:
        with self.lock:
            self.nodes.setdefault(node_id, {}).update(fields)
            self.version += 1
            self.node_versions[node_id] = self.version

    def changes_since(self, seen: int) -> tuple[dict[str, dict[str, Any]], int]:
        """Node states changed after version `seen`, and the version they bring the reader to."""
        with self.lock:
            return {n: dict(self.nodes[n]) for n, v in self.node_versions.items() if v > seen}, self.version

    def summary(self) -> dict[str, Any]:
        with self.lock:
            counts: dict[str, int] = {}
            for s in self.nodes.values():
                counts[s.get("status", "queued")] = counts.get(s.get("status", "queued"), 0) + 1
            end = self.finished or time.time()
            return {"id": self.id, "name": self.name, "owner": self.owner, "state": self.state,
                    "created": self.created, "message": self.message, "counts": counts, "version": self.version,
                    "attempts": self.attempts, "outputs": list(self.outputs),
                    "seconds": round(end - self.started, 3) if self.started else 0.0}

    def detail(self) -> dict[str, Any]:
        out = self.summary()
        with self.lock:
            out["nodes"] = {n: dict(s) for n, s in self.nodes.items()}
        return out


class JobHook(Hook):
    """Writes executor events into the live job and the store; makes previews as soon as a node's outputs exist."""

    def __init__(self, job: Job, queue: JobQueue, lease: Lease, preview_args: dict[str, Any]):
        self.job, self.queue, self.lease, self.preview_args = job, queue, lease, preview_args
        self._last_progress: dict[str, float] = {}

    def run_started(self, *, records: Mapping[str, NodeRecord], targets: Sequence[str]) -> None:
        for node_id, rec in records.items():
            self.job.update(node_id, status=rec.status, fraction=0.0, message="", seconds=0.0, error=None,
                            warnings=[], previews=[])
        assert self.job.graph is not None
        for node_id in self.job.graph.order:
            if node_id not in records:  # upstream of a cached result: up to date, nothing to do
                self.job.update(node_id, status="cached", fraction=1.0, seconds=0.0, error=None, warnings=[])

    def node_started(self, *, record: NodeRecord) -> None:
        self.job.update(record.node_id, status="running", fraction=0.0, started=time.time())

    def node_progress(self, *, node_id: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_progress.get(node_id, 0.0) < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self._last_progress[node_id] = now
        self.job.update(node_id, fraction=round(fraction, 4), message=message[:200])

    def node_finished(self, *, record: NodeRecord) -> None:
        error = self.queue.public_error(self.job.id, record) if record.error is not None else None
        previews = self.previews(record.node_id, record.key) if record.status == "done" else []
        self.job.update(record.node_id, status=record.status, seconds=round(record.seconds, 6), fraction=1.0,
                        error=error, warnings=list(record.warnings), previews=previews)
        self.queue.store.node_event(self.lease, record.node_id, {"status": record.status,
                                                                 "seconds": round(record.seconds, 6)})

    def previews(self, node_id: str, key: str) -> list[dict[str, Any]]:
        outputs = self.queue.executor.cache.memory.get(key) if key else None
        return make_previews(node_id, outputs, **self.preview_args) if outputs else []


def _fix_for(message: str) -> str:
    """A hint for common failures; node authors put their own fixes in their messages."""
    if message.startswith(("ZeroDivisionError", "ValueError")) and ":" in message.split(":", 1)[1]:
        return message.split(":", 2)[-1].strip()
    if message.startswith("MemoryError"):
        return "lower the resolution or the number of frames"
    return ""


class JobQueue:
    """Jobs from every client, kept in the store and run one at a time on a runner thread."""

    def __init__(self, *, registry: Registry, executor: Executor, store: JobStore, out_dir: Path, previews_dir: Path,
                 device: str = "auto", url_prefix: str = "/oyster", expose_tracebacks: bool = False,
                 folders: Sequence[tuple[Path, str]] = (), run: bool = True):
        self.registry, self.executor, self.store, self.out_dir = registry, executor, store, out_dir
        self.previews_dir, self.device, self.url_prefix = previews_dir, device, url_prefix
        self.expose_tracebacks = expose_tracebacks
        self.folders = _redaction_roots(folders, out_dir)
        self.owner = lease_owner()
        self._live: dict[str, Job] = {}
        self._loaded: OrderedDict[tuple[str, int], Job] = OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._submits = 0
        recovered = store.recover()
        if recovered:
            log.warning("jobs interrupted by the last stop: %s", ", ".join(recovered))
        self._thread = threading.Thread(target=self._work, name="oyster-jobs", daemon=True)
        if run:
            self._thread.start()

    # ------------------------------------------------------------------ what clients call
    def submit(self, workflow: Workflow, *, owner: str) -> Job:
        """Record a workflow as a queued job; raises WorkflowError listing every problem when it cannot run."""
        graph = build(workflow, self.registry)
        record = self.store.submit(name=workflow.metadata.name, owner=owner, workflow=workflow.to_json())
        job = Job(id=record.id, name=record.name, owner=owner, graph=graph, created=record.created)
        for node_id in graph.order:
            job.update(node_id, status="queued")
        with self._lock:
            self._live[job.id] = job
        self._submits += 1
        if self._submits % 100 == 0:
            self._prune()
        self._wake.set()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            live = self._live.get(job_id)
        if live is not None:
            return live
        if not job_id.isascii() or len(job_id) > 64:
            return None
        seq = self.store.seq(job_id)
        if seq < 0:
            return None
        with self._lock:
            cached = self._loaded.get((job_id, seq))
        if cached is not None:
            return cached
        record = self.store.get(job_id)
        if record is None:
            return None
        job = Job.from_record(record)
        job.version = max(job.version, record.seq)
        with self._lock:
            self._loaded[(job_id, seq)] = job
            while len(self._loaded) > CACHED_RECORDS:
                self._loaded.popitem(last=False)
        return job

    def cancel(self, job_id: str) -> bool:
        if not self.store.request_cancel(job_id):
            return False
        job = self._live.get(job_id)
        if job is not None:
            job.cancel.set()
            record = self.store.get(job_id)
            if record is not None and record.state is JobState.CANCELLED:
                self._mark_finished(job, "cancelled", record.message)
        return True

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        out = []
        for record in self.store.list(limit=limit):
            live = self._live.get(record.id)
            out.append(live.summary() if live is not None else record.summary())
        return out

    def stop(self) -> None:
        """Stop after the running node: its run is recorded as interrupted and queued again."""
        self._stopping.set()
        with self._lock:
            running = [j for j in self._live.values() if j.state == "running"]
        for job in running:
            job.cancel.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_S)

    def public_error(self, job_id: str, record: NodeRecord) -> dict[str, Any]:
        err = record.error
        assert err is not None
        log.error("job %s: node %s failed: %s\n%s", job_id, record.node_id, err.message, err.traceback)
        message = redact(err.message, self.folders)
        out: dict[str, Any] = {"message": message, "fix": redact(_fix_for(err.message), self.folders),
                               "inputs": {k: redact(str(v), self.folders) for k, v in err.inputs.items()}}
        if self.expose_tracebacks:
            out["traceback"] = err.traceback[-6000:]
        return out

    # ------------------------------------------------------------------ the runner
    def _work(self) -> None:
        self._warm_up()
        while not self._stopping.is_set():
            try:
                claimed = self.store.claim(self.owner, lease_s=LEASE_S)
            except Exception:
                log.exception("cannot claim a job")
                claimed = None
            if claimed is None:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()
                self.store.recover()
                continue
            self._run_claimed(*claimed)

    def _warm_up(self) -> None:
        """Resolve the device now (it may import torch) so the first run does not wait for it."""
        try:
            resolve(self.device)
        except DeviceError as exc:
            log.warning("device %s: %s", self.device, exc)

    def _run_claimed(self, lease: Lease, record: JobRecord) -> None:
        with self._lock:
            job = self._live.get(record.id)
        if job is None:  # queued before a restart, or by another process
            job = Job(id=record.id, name=record.name, owner=record.owner, created=record.created,
                      message=record.message)
            with self._lock:
                self._live[job.id] = job
        job.state, job.started, job.attempts = "running", time.time(), lease.attempt
        try:
            if job.graph is None:
                job.graph = build(parse_text(record.workflow, source=f"job {record.id}"), self.registry)
            self._run(job, lease)
        except WorkflowError as exc:
            self._end(job, lease, JobState.ERROR, f"the stored workflow no longer runs: {exc.problems[0]}")
        except LeaseLost:
            log.warning("job %s lost its lease; its run stopped", job.id)
            self._drop_live(job)
        except Exception as exc:
            log.exception("job %s failed", job.id)
            self._end(job, lease, JobState.ERROR, redact(f"{type(exc).__name__}: {exc}", self.folders))

    def _run(self, job: Job, lease: Lease) -> None:
        assert job.graph is not None
        folder = self.previews_dir / job.id
        args = {"folder": folder, "url": f"{self.url_prefix}/previews/{job.id}",
                "files_url": f"{self.url_prefix}/files", "out_dir": self.out_dir}
        self.out_dir.mkdir(parents=True, exist_ok=True)
        beat = _Heartbeat(self.store, lease, job.cancel)
        beat.start()
        try:
            options = RunOptions(device=self.device, out_dir=self.out_dir, cancel=job.cancel,
                                 hooks=[JobHook(job, self, lease, args)])
            result = self.executor.run(job.graph, options)
        finally:
            beat.stop()
        if beat.lost:
            raise LeaseLost(job.id)
        for node_id, outputs in result.outputs.items():
            if not job.nodes.get(node_id, {}).get("previews"):
                job.update(node_id, previews=make_previews(node_id, outputs, **args))
        job.outputs = self._outputs(result.outputs.values())
        failed = [e.node_id for e in result.errors]
        if result.cancelled and self._stopping.is_set() and not beat.cancel_requested:
            self.store.release(lease, "the server was stopped")
            log.warning("job %s stopped with the server; recorded as interrupted", job.id)
            self._drop_live(job)
        elif result.cancelled:
            self._end(job, lease, JobState.CANCELLED, "cancelled")
        elif failed:
            self._end(job, lease, JobState.ERROR, f"{len(failed)} node(s) failed: {', '.join(failed[:5])}")
        else:
            ran = len(result.executed)
            self._end(job, lease, JobState.DONE, f"{ran} ran, {len(result.records) - ran} cached")

    def _outputs(self, outputs: Iterable[Mapping[str, Any]]) -> list[str]:
        out_root = self.out_dir.resolve()
        found = []
        for values in outputs:
            for value in values.values():
                if isinstance(value, Files):
                    for rel in value.paths:
                        full = (Path(value.root) / rel).resolve()
                        if out_root in full.parents:
                            found.append(full.relative_to(out_root).as_posix())
        return found

    def _end(self, job: Job, lease: Lease, state: JobState, message: str) -> None:
        if state is JobState.CANCELLED:
            for node_id, s in list(job.nodes.items()):
                if s.get("status") in ("queued", "running"):
                    job.update(node_id, status="cancelled")
        nodes = {n: {k: v for k, v in s.items() if k != "started"} for n, s in job.detail()["nodes"].items()}
        if not self.store.finish(lease, state, message=message, nodes=nodes, outputs=job.outputs):
            log.warning("job %s: its lease was taken over; its end is not recorded", job.id)
        self._mark_finished(job, str(state), message)

    def _mark_finished(self, job: Job, state: str, message: str) -> None:
        job.state, job.message, job.finished = state, message, time.time()
        if state == "cancelled":
            for node_id, s in list(job.nodes.items()):
                if s.get("status") in ("queued", "running"):
                    job.update(node_id, status="cancelled")
        self._drop_live(job)

    def _drop_live(self, job: Job) -> None:
        with self._lock:
            self._live.pop(job.id, None)

    def _prune(self) -> None:
        for job_id in self.store.prune():
            shutil.rmtree(self.previews_dir / job_id, ignore_errors=True)


class _Heartbeat:
    """Renews a run's lease; a cancel asked for in the store (from any process) reaches the run."""

    def __init__(self, store: JobStore, lease: Lease, cancel: threading.Event):
        self.store, self.lease, self.cancel = store, lease, cancel
        self.lost = self.cancel_requested = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{lease.job_id[:9]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._done.wait(min(1.0, LEASE_S / 3)):
            try:
                if self.store.heartbeat(self.lease, lease_s=LEASE_S):
                    self.cancel_requested = True
                    self.cancel.set()
            except LeaseLost:
                self.lost = True
                self.cancel.set()
                return
            except Exception:
                log.exception("lease renewal failed")


def _redaction_roots(folders: Sequence[tuple[Path, str]], out_dir: Path) -> list[tuple[Path, str]]:
    roots = [*folders, (out_dir, "<outputs>"), (Path(sys.prefix), "<python>"), (Path.home(), "~")]
    roots = [(Path(os.path.realpath(p)), label) for p, label in roots] + roots
    return sorted({(p, label) for p, label in roots if str(p) not in ("/", "")}, key=lambda r: -len(str(r[0])))
