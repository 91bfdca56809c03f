"""The shared job queue: every tab's runs go through one worker thread, off the event loop.

Each job keeps a per-node state (status, progress, time, error, previews) with a version number per
node, so each client sends its browser only what changed since it last looked.
"""

from __future__ import annotations

import itertools
import logging
import queue
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..devices import DeviceError, resolve
from ..executor import Executor, NodeRecord, RunOptions
from ..graph import Graph, build
from ..hooks import Hook
from ..registry import Registry
from ..workflow import Workflow
from .previews import make_previews

log = logging.getLogger(__name__)

FINISHED = ("done", "error", "cancelled")
KEEP_JOBS = 50
PROGRESS_EVERY_S = 0.1


@dataclass(kw_only=True, slots=True)
class Job:
    id: str
    name: str
    owner: str
    graph: Graph
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_versions: dict[str, int] = field(default_factory=dict)
    version: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

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
                    "seconds": round(end - self.started, 3) if self.started else 0.0}

    def detail(self) -> dict[str, Any]:
        out = self.summary()
        with self.lock:
            out["nodes"] = {n: dict(s) for n, s in self.nodes.items()}
        return out


class JobHook(Hook):
    """Writes executor events into the job; makes previews as soon as a node's outputs exist."""

    def __init__(self, job: Job, executor: Executor, preview_args: dict[str, Any]):
        self.job, self.executor, self.preview_args = job, executor, preview_args
        self._last_progress: dict[str, float] = {}

    def run_started(self, *, records: Mapping[str, NodeRecord], targets: Sequence[str]) -> None:
        for node_id, rec in records.items():
            self.job.update(node_id, status=rec.status, fraction=0.0, message="", seconds=0.0, error=None,
                            warnings=[], previews=[])
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
        error = None
        if record.error is not None:
            error = {"message": record.error.message, "traceback": record.error.traceback[-6000:],
                     "inputs": record.error.inputs, "fix": _fix_for(record.error.message)}
        previews = self.previews(record.node_id, record.key) if record.status == "done" else []
        self.job.update(record.node_id, status=record.status, seconds=round(record.seconds, 6), fraction=1.0,
                        error=error, warnings=list(record.warnings), previews=previews)

    def previews(self, node_id: str, key: str) -> list[dict[str, Any]]:
        outputs = self.executor.cache.memory.get(key) if key else None
        return make_previews(node_id, outputs, **self.preview_args) if outputs else []


def _fix_for(message: str) -> str:
    """A hint for common failures; node authors put their own fixes in their messages."""
    if message.startswith(("ZeroDivisionError", "ValueError")) and ":" in message.split(":", 1)[1]:
        return message.split(":", 2)[-1].strip()
    if message.startswith("MemoryError"):
        return "lower the resolution or the number of frames"
    return ""


class JobQueue:
    """Jobs from every client, run one at a time on a worker thread against one executor and cache."""

    def __init__(self, *, registry: Registry, executor: Executor, out_dir: Path, previews_dir: Path,
                 device: str = "auto", url_prefix: str = "/oyster"):
        self.registry, self.executor, self.out_dir = registry, executor, out_dir
        self.previews_dir, self.device, self.url_prefix = previews_dir, device, url_prefix
        self.jobs: dict[str, Job] = {}
        self.version = 0
        self._pending: queue.Queue[Job | None] = queue.Queue()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="oyster-jobs", daemon=True)
        self._thread.start()

    def submit(self, workflow: Workflow, *, owner: str) -> Job:
        """Queue a workflow; raises WorkflowError listing every problem when it cannot run."""
        graph = build(workflow, self.registry)
        job = Job(id=f"j{int(time.time()) % 100000:05d}{next(self._ids)}", name=workflow.metadata.name,
                  owner=owner, graph=graph)
        for node_id in graph.order:
            job.update(node_id, status="queued")
        with self._lock:
            self.jobs[job.id] = job
            self.version += 1
            self._forget_old()
        self._pending.put(job)
        return job

    def cancel(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        if job is None or job.state in FINISHED:
            return False
        job.cancel.set()
        if job.state == "queued":
            self._finish(job, "cancelled", "cancelled before it started")
        return True

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            jobs = list(self.jobs.values())
        return [j.summary() for j in sorted(jobs, key=lambda j: j.created, reverse=True)]

    def stop(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel.set()
        self._pending.put(None)

    def _work(self) -> None:
        self._warm_up()
        while True:
            job = self._pending.get()
            if job is None:
                return
            if job.state != "queued":
                continue
            try:
                self._run(job)
            except Exception as exc:
                log.exception("job %s failed", job.id)
                self._finish(job, "error", f"{type(exc).__name__}: {exc}")

    def _warm_up(self) -> None:
        """Resolve the device now (it may import torch) so the first run does not wait for it."""
        try:
            resolve(self.device)
        except DeviceError as exc:
            log.warning("device %s: %s", self.device, exc)

    def _run(self, job: Job) -> None:
        job.state, job.started = "running", time.time()
        self._bump()
        folder = self.previews_dir / job.id
        args = {"folder": folder, "url": f"{self.url_prefix}/previews/{job.id}",
                "files_url": f"{self.url_prefix}/files", "out_dir": self.out_dir}
        hook = JobHook(job, self.executor, args)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        options = RunOptions(device=self.device, out_dir=self.out_dir, cancel=job.cancel, hooks=[hook])
        result = self.executor.run(job.graph, options)
        for node_id, outputs in result.outputs.items():
            if not job.nodes.get(node_id, {}).get("previews"):
                job.update(node_id, previews=make_previews(node_id, outputs, **args))
        failed = [e.node_id for e in result.errors]
        if result.cancelled:
            self._finish(job, "cancelled", "cancelled")
        elif failed:
            self._finish(job, "error", f"{len(failed)} node(s) failed: {', '.join(failed[:5])}")
        else:
            self._finish(job, "done", f"{len(result.executed)} ran, {len(result.records) - len(result.executed)} cached")

    def _finish(self, job: Job, state: str, message: str) -> None:
        job.state, job.message, job.finished = state, message, time.time()
        if state == "cancelled":
            for node_id, s in list(job.nodes.items()):
                if s.get("status") in ("queued", "running"):
                    job.update(node_id, status="cancelled")
        self._bump()

    def _bump(self) -> None:
        with self._lock:
            self.version += 1

    def _forget_old(self) -> None:
        finished = sorted((j for j in self.jobs.values() if j.state in FINISHED), key=lambda j: j.created)
        for job in finished[: max(0, len(self.jobs) - KEEP_JOBS)]:
            del self.jobs[job.id]
            shutil.rmtree(self.previews_dir / job.id, ignore_errors=True)
