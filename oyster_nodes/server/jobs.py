"""The server's job queue: a live view on the durable job store, over the headless runner of oyster_nodes.jobs.

A submit is validated, then committed to the store before it returns (so before the API's 201). The runner
(`oyster_nodes.jobs.runner`, the same one `oyster worker` runs) claims jobs with a lease, runs them, and publishes
their outputs exactly once; this module adds what the editor shows: jobs this process runs keep a live per-node
state (status, progress, time, error, previews) with a version per node, so each client sends its browser only
what changed. Jobs run elsewhere (by a worker) are read from the store, their node states folded from its events.

On a stop (SIGTERM) the running node finishes, the run stops between nodes and is recorded as interrupted and
queued again; a run cut off by a `kill -9` is found at the next start (its owner's process is gone) and
handled by the store's policy: re-queued up to its maximum attempts (the default) or failed (`--interrupted
fail`). Node errors shown to clients carry the node, the message and the fix, with absolute paths cut down;
the traceback goes to the server log, and to clients only when the server is behind an access token.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..devices import DeviceError, resolve
from ..executor import Executor, NodeRecord
from ..graph import Graph, build
from ..hooks import Hook
from ..jobs import EventKind, JobRecord, JobState, JobStore
from ..jobs.runner import Run, RunEnd, Runner, RunWatcher, redact
from ..registry import Registry
from ..workflow import Workflow
from .previews import CACHED_PREFIX, keep_cached_folders, make_previews

__all__ = ["FINISHED", "Job", "JobHook", "JobQueue", "redact"]

log = logging.getLogger(__name__)

FINISHED = ("done", "error", "cancelled")
PROGRESS_EVERY_S = 0.1
STOP_WAIT_S = 20.0
CACHED_RECORDS = 64
#: events folded into the node states of a job another process is running
FOLDED_EVENTS = 20_000


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
    #: nodes whose files are written but not yet published: shown running ("publishing") until they are
    publishing: set[str] = field(default_factory=set)
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

    def fold(self, events: Sequence[Any]) -> None:
        """Node states of a run in another process, from its stored node and progress events."""
        for e in events:
            if e.kind is EventKind.NODE:
                self.update(e.body["node"], status=e.body.get("status"), seconds=e.body.get("seconds", 0.0),
                            fraction=1.0)
            elif e.kind is EventKind.PROGRESS:
                self.update(e.body["node"], status="running", fraction=e.body.get("fraction", 0.0),
                            message=e.body.get("message", ""))

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
    """Writes executor events into the live job; makes previews as soon as a node's outputs exist."""

    def __init__(self, job: Job, queue: JobQueue, run: Run, preview_args: dict[str, Any]):
        self.job, self.queue, self.run, self.preview_args = job, queue, run, preview_args
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
        error = self.run.nodes.get(record.node_id, {}).get("error") if record.error is not None else None
        previews = self.previews(record.node_id, record.key) if record.status == "done" else []
        status, message = record.status, ""
        graph = self.job.graph
        if status == "done" and graph is not None and graph.nodes[record.node_id].cls.writes_files:
            status, message = "running", "publishing"  # done once its files are in their final place
            self.job.publishing.add(record.node_id)
        self.job.update(record.node_id, status=status, message=message, seconds=round(record.seconds, 6),
                        fraction=1.0, error=error, warnings=list(record.warnings),
                        previews=published(previews, self.run.prefix))

    def previews(self, node_id: str, key: str) -> list[dict[str, Any]]:
        outputs = self.queue.executor.cache.memory.get(key) if key else None
        return make_previews(node_id, outputs, **self.preview_args) if outputs else []


def published(previews: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """File previews naming a run's staged files name where they were published instead."""
    out = []
    for p in previews:
        if p.get("kind") == "files":
            files = [{**f, "name": f.get("name", "").removeprefix(prefix + "/"),
                      "url": f.get("url", "").replace(f"/{prefix}/", "/")} for f in p.get("files", [])]
            p = {**p, "files": files}
        out.append(p)
    return out


class JobQueue(RunWatcher):
    """Jobs from every client, kept in the store and run one at a time by a headless runner on its own thread."""

    def __init__(self, *, registry: Registry, executor: Executor, store: JobStore, out_dir: Path, previews_dir: Path,
                 device: str = "auto", url_prefix: str = "/oyster", expose_tracebacks: bool = False,
                 folders: Sequence[tuple[Path, str]] = (), run: bool = True):
        self.registry, self.executor, self.store, self.out_dir = registry, executor, store, out_dir
        self.previews_dir, self.device, self.url_prefix = previews_dir, device, url_prefix
        self.runner = Runner(store=store, registry=registry, executor=executor, out_dir=out_dir, device=device,
                             watcher=self, expose_tracebacks=expose_tracebacks, folders=folders)
        self.runner.stop_reason = "the server was stopped"
        self.folders = self.runner.folders
        self.owner = self.runner.owner
        self._live: dict[str, Job] = {}
        #: jobs submitted here and not yet claimed, with their node list; whoever claims them (this server or a
        #: worker) takes them out of here
        self._queued: dict[str, Job] = {}
        self._loaded: OrderedDict[tuple[str, int], Job] = OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._submits = 0
        recovered = store.recover()
        if recovered:
            log.warning("jobs interrupted by the last stop: %s", ", ".join(recovered))
        self._thread = threading.Thread(target=self._work, name="oyster-jobs", daemon=True)
        if run:
            self._thread.start()

    # ------------------------------------------------------------------ what clients call
    def submit(self, workflow: Workflow, *, owner: str, key: str | None = None, batch: str = "",
               name: str | None = None) -> Job:
        """Record a workflow as a queued job; raises WorkflowError listing every problem when it cannot run."""
        graph = build(workflow, self.registry)
        record, added = self.store.submit_once(name=name or workflow.metadata.name, owner=owner,
                                               workflow=workflow.to_json(), key=key, batch=batch)
        if not added:
            existing = self.get(record.id)
            assert existing is not None
            return existing
        job = Job(id=record.id, name=record.name, owner=owner, graph=graph, created=record.created)
        for node_id in graph.order:
            job.update(node_id, status="queued")
        with self._lock:
            self._queued[job.id] = job
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
            queued = self._queued.get(job_id)
        if queued is not None:
            record = self.store.get(job_id)
            if record is not None and record.state is JobState.QUEUED and not record.attempts:
                return queued
            with self._lock:
                self._queued.pop(job_id, None)
        with self._lock:
            cached = self._loaded.get((job_id, seq))
        if cached is not None:
            return cached
        record = self.store.get(job_id)
        if record is None:
            return None
        job = Job.from_record(record)
        if record.state is JobState.QUEUED and record.attempts == 0:
            for node_id in self._node_ids(record.id):
                job.update(node_id, status="queued")
        if record.state is JobState.RUNNING:
            job.fold(self.store.events(job_id, limit=FOLDED_EVENTS))
        job.version = max(job.version, record.seq)
        with self._lock:
            self._loaded[(job_id, seq)] = job
            while len(self._loaded) > CACHED_RECORDS:
                self._loaded.popitem(last=False)
        return job

    def _node_ids(self, job_id: str) -> list[str]:
        record = self.store.get(job_id, with_workflow=True)
        try:
            return [n["id"] for n in json.loads(record.workflow)["nodes"]] if record else []
        except (ValueError, KeyError, TypeError):
            return []

    def cancel(self, job_id: str) -> bool:
        if not self.store.request_cancel(job_id):
            return False
        with self._lock:
            self._queued.pop(job_id, None)
        job = self._live.get(job_id)
        if job is not None:
            job.cancel.set()
            run = self.runner.current
            if run is not None and run.record.id == job_id:
                run.cancel.set()
            record = self.store.get(job_id)
            if record is not None and record.state is JobState.CANCELLED:
                self._mark_finished(job, "cancelled", record.message)
        return True

    def retry(self, job_id: str) -> bool:
        """Queue a failed or cancelled job again (it resumes from the cache)."""
        if not self.store.retry(job_id):
            return False
        self._wake.set()
        return True

    def list(self, limit: int = 100) -> list[dict[str, Any]]:
        out = []
        for record in self.store.list(limit=limit):
            # listing reads no node states: a job's counts come from its live view, or its stored record (cached)
            view = self._live.get(record.id) or self.get(record.id)
            out.append({**record.summary(), **view.summary()} if view is not None else record.summary())
            if record.state is not JobState.QUEUED and record.id in self._queued:
                with self._lock:
                    self._queued.pop(record.id, None)
        return out

    def stop(self) -> None:
        """Stop after the running node: its run is recorded as interrupted and queued again."""
        self.runner.stop()
        with self._lock:
            running = [j for j in self._live.values() if j.state == "running"]
        for job in running:
            job.cancel.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_S)

    def public_error(self, job_id: str, record: NodeRecord) -> dict[str, Any]:
        return self.runner.public_error(job_id, record)

    # ------------------------------------------------------------------ the runner's watcher
    def _work(self) -> None:
        try:
            resolve(self.device)  # resolve the device now (it may import torch) so the first run does not wait
        except DeviceError as exc:
            log.warning("device %s: %s", self.device, exc)
        self.runner.serve(wake=self._wake)

    def run_started(self, run: Run) -> Sequence[Hook]:
        record = run.record
        with self._lock:
            job = self._live.get(record.id) or self._queued.pop(record.id, None)
            if job is not None:
                self._live[record.id] = job
            if job is None:  # queued before a restart, or by another process
                job = self._live[record.id] = Job(id=record.id, name=record.name, owner=record.owner,
                                                  created=record.created, message=record.message)
        job.state, job.started, job.attempts, job.graph = "running", time.time(), run.lease.attempt, run.graph
        job.cancel = run.cancel
        return (JobHook(job, self, run, self._preview_args(job.id)),)

    def cached_previews(self, workflow: Workflow, node_id: str) -> list[dict[str, Any]] | None:
        """Previews of a node's outputs as the cache holds them for this workflow (None: not in the cache).

        A node upstream of a cached result is never read by the run that finds it up to date, so it has no
        previews of its own; the viewer asks for them here. WorkflowError if the workflow does not run, KeyError
        if it has no such node."""
        graph = build(workflow, self.registry)
        if node_id not in graph.nodes:
            raise KeyError(node_id)
        plan = self.executor.plan(graph, [node_id], out_dir=self.out_dir)
        outputs = plan.cached.get(node_id)
        if outputs is None:
            return None
        args = self._preview_args(f"{CACHED_PREFIX}{plan.keys[node_id][:24]}")
        previews = make_previews(node_id, outputs, **args)
        keep_cached_folders(self.previews_dir, args["folder"])
        return previews

    def _preview_args(self, job_id: str) -> dict[str, Any]:
        return {"folder": self.previews_dir / job_id, "url": f"{self.url_prefix}/previews/{job_id}",
                "files_url": f"{self.url_prefix}/files", "out_dir": self.out_dir}

    def outputs_ready(self, run: Run, outputs: Mapping[str, Mapping[str, Any]]) -> None:
        """Previews for nodes whose outputs came from the cache (they had no node_finished to make them)."""
        job = self._live.get(run.record.id)
        if job is None:
            return
        args = self._preview_args(job.id)
        for node_id, values in outputs.items():
            if not job.nodes.get(node_id, {}).get("previews"):
                job.update(node_id, previews=make_previews(node_id, values, **args))

    def final_nodes(self, run: Run) -> dict[str, dict[str, Any]]:
        job = self._live.get(run.record.id)
        if job is None:
            return run.nodes
        for node_id, s in run.nodes.items():  # refusals found while publishing land on their nodes
            if s.get("status") == "error" and job.nodes.get(node_id, {}).get("status") != "error":
                job.update(node_id, status="error", error=s.get("error"))
            if s.get("status") == "cancelled":
                job.update(node_id, status="cancelled")
        for node_id, s in list(job.nodes.items()):
            if s.get("previews"):
                job.update(node_id, previews=published(s["previews"], run.prefix))
        nodes = job.detail()["nodes"]
        for node_id in job.publishing:  # as stored: done, when the publishing that follows succeeds
            if nodes.get(node_id, {}).get("status") == "running":
                nodes[node_id].update(status="done", message="")
        return nodes

    def run_ended(self, run: Run, end: RunEnd) -> None:
        job = self._live.get(run.record.id)
        if job is None:
            return
        if end.state is None:
            self._drop_live(job)
            return
        job.outputs = list(end.outputs)
        for node_id in job.publishing:
            if job.nodes.get(node_id, {}).get("status") == "running":
                done = end.state is JobState.DONE
                job.update(node_id, status="done" if done else run.nodes.get(node_id, {}).get("status", "done"),
                           message="" if done else "not published: the run did not finish")
        job.publishing.clear()
        self._mark_finished(job, str(end.state), end.message)

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
