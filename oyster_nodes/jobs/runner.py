"""The headless job runner: claims jobs from the store with a lease, runs them on an executor, publishes their
outputs exactly once. `oyster worker` runs it alone; `oyster serve` runs it behind its live view of jobs.

One run: the job is claimed (lease: owner, expiry, fencing token, attempt), its workflow is built with its
export paths moved under the attempt's staging folder (`outputs.py`), a heartbeat renews the lease while the
executor runs (a cancel asked for in the store, from any process, reaches the run there), node ends and progress
become events, and on success the outputs are decided under the fence and renamed into place. A run that lost its
lease stops and writes nothing more; a run found with decided but unpublished outputs (its runner died in
between) only completes the renames. Nodes whose results the content-addressed cache holds (on disk: world
states, images, frames) are not computed again when another runner resumes a job.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..executor import Executor, NodeRecord, RunOptions, RunResult
from ..graph import Graph, build
from ..hooks import Hook
from ..registry import Registry
from ..workflow import WorkflowError, parse_text
from .outputs import (
    CommitError,
    apply_commit,
    plan_commit,
    remove_staging,
    stage_folder,
    stage_prefix,
    staged_workflow,
    written_files,
)
from .records import JobRecord, JobState, Lease
from .store import JobStore, LeaseLost, lease_owner

log = logging.getLogger(__name__)

LEASE_S = 30.0
IDLE_POLL_S = 1.0
#: progress is stored at most this often per node (the live view of `oyster serve` shows every update)
STORED_PROGRESS_EVERY_S = 1.0
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~>-])/(?:[^\s/'\"<>:]+/)+([^\s/'\"<>:]*)")


def redact(text: str, roots: Iterable[tuple[Path, str]]) -> str:
    """Text for a client: known folders named by their role, other absolute paths cut to their last part."""
    for path, label in roots:
        text = text.replace(str(path), label)
    return ABSOLUTE_PATH.sub(lambda m: f"…/{m.group(1)}", text)


def redaction_roots(folders: Sequence[tuple[Path, str]], out_dir: Path) -> list[tuple[Path, str]]:
    roots = [*folders, (out_dir, "<outputs>"), (Path(sys.prefix), "<python>"), (Path.home(), "~")]
    roots = [(Path(os.path.realpath(p)), label) for p, label in roots] + roots
    return sorted({(p, label) for p, label in roots if str(p) not in ("/", "")}, key=lambda r: -len(str(r[0])))


def fix_for(message: str) -> str:
    """A hint for common failures; node authors put their own fixes in their messages."""
    if message.startswith(("ZeroDivisionError", "ValueError")) and ":" in message.split(":", 1)[1]:
        return message.split(":", 2)[-1].strip()
    if message.startswith("MemoryError"):
        return "lower the resolution or the number of frames"
    return ""


@dataclass(kw_only=True, slots=True)
class Run:
    """One attempt of a job on this runner."""

    record: JobRecord
    lease: Lease
    prefix: str
    graph: Graph | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    #: final node states as stored: status, seconds, error, warnings (a watcher may add previews)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)


@dataclass(kw_only=True, slots=True)
class RunEnd:
    """How a run ended. `state` is None when it stopped without finishing (released, or its lease was lost)."""

    state: JobState | None
    message: str
    outputs: list[str] = field(default_factory=list)
    #: staged path -> final path of every published file
    renamed: dict[str, str] = field(default_factory=dict)
    recorded: bool = True


class RunWatcher:
    """What a host (the editor server) adds to runs: more hooks, richer node states, notice of the end."""

    def run_started(self, run: Run) -> Sequence[Hook]:
        return ()

    def outputs_ready(self, run: Run, outputs: Mapping[str, Mapping[str, Any]]) -> None:
        """The run's outputs (computed and cached ones), before they are published."""

    def final_nodes(self, run: Run) -> dict[str, dict[str, Any]]:
        return run.nodes

    def run_ended(self, run: Run, end: RunEnd) -> None:
        pass


class StoreHook(Hook):
    """Writes node ends and throttled progress of a run into the store, under its fence; keeps its node states."""

    def __init__(self, run: Run, store: JobStore, error_of: Callable[[str, NodeRecord], dict[str, Any]]):
        self.run, self.store, self.error_of = run, store, error_of
        self._last: dict[str, float] = {}

    def run_started(self, *, records: Mapping[str, NodeRecord], targets: Sequence[str]) -> None:
        for node_id, rec in records.items():
            self.run.nodes[node_id] = {"status": rec.status, "seconds": 0.0, "error": None, "warnings": []}

    def node_progress(self, *, node_id: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(node_id, -1e9) < STORED_PROGRESS_EVERY_S:
            return
        self._last[node_id] = now
        self.store.progress(self.run.lease, node_id, fraction, message)

    def node_finished(self, *, record: NodeRecord) -> None:
        error = self.error_of(self.run.record.id, record) if record.error is not None else None
        self.run.nodes[record.node_id] = {"status": record.status, "seconds": round(record.seconds, 6),
                                          "error": error, "warnings": list(record.warnings)}
        self.store.node_event(self.run.lease, record.node_id, {"status": record.status,
                                                               "seconds": round(record.seconds, 6)})


class Runner:
    """Claims and runs jobs from one store; several runner threads may share one executor and its cache."""

    def __init__(self, *, store: JobStore, registry: Registry, executor: Executor, out_dir: Path,
                 device: str = "auto", owner: str | None = None, lease_s: float = LEASE_S,
                 watcher: RunWatcher | None = None, expose_tracebacks: bool = False,
                 folders: Sequence[tuple[Path, str]] = ()):
        self.store, self.registry, self.executor, self.out_dir = store, registry, executor, Path(out_dir)
        self.device, self.lease_s = device, lease_s
        self.owner = owner or lease_owner()
        self.watcher = watcher or RunWatcher()
        self.expose_tracebacks = expose_tracebacks
        self.folders = redaction_roots(folders, self.out_dir)
        self.stopping = threading.Event()
        #: recorded on a run released because its runner was stopped
        self.stop_reason = "its runner was stopped"
        self.current: Run | None = None
        #: seconds between heartbeats (a test may stop them to play a runner that hangs)
        self.beat_every_s = min(1.0, lease_s / 3)

    # ------------------------------------------------------------------ loop
    def serve(self, *, wake: threading.Event | None = None, poll_s: float = IDLE_POLL_S) -> None:
        """Run jobs until `stop()`; when idle, look for runs whose runner died and wait for work."""
        wake = wake or threading.Event()
        while not self.stopping.is_set():
            try:
                ran = self.run_one()
            except Exception:
                log.exception("cannot claim a job")
                ran = False
            if not ran and not self.stopping.is_set():
                wake.wait(poll_s)
                wake.clear()
                try:
                    self.store.recover()
                except Exception:
                    log.exception("cannot recover stale runs")

    def stop(self) -> None:
        """Stop after the running node: that run is released (interrupted, queued again to resume)."""
        self.stopping.set()
        run = self.current
        if run is not None:
            run.cancel.set()

    def run_one(self) -> bool:
        """Claim one job and run it to its end; False when none is queued."""
        claimed = self.store.claim(self.owner, lease_s=self.lease_s)
        if claimed is None:
            return False
        lease, record = claimed
        run = Run(record=record, lease=lease, prefix=stage_prefix(record.id, lease.fence))
        self.current = run
        try:
            self._run_claimed(run)
        finally:
            self.current = None
        return True

    # ------------------------------------------------------------------ one run
    def _run_claimed(self, run: Run) -> None:
        pending = run.record.commit
        remove_staging(self.out_dir, run.record.id, keep=stage_folder(pending[0]["staged"]) if pending else None)
        try:
            if pending:
                self._publish(run, pending, run.record.nodes, run.record.message)
                return
            workflow = parse_text(run.record.workflow, source=f"job {run.record.id}")
            run.graph = build(staged_workflow(workflow, self.registry, run.prefix), self.registry)
            run.graph.workflow = workflow  # exports embed the workflow as submitted, not its staging paths
            self._execute(run)
        except WorkflowError as exc:
            self._finish(run, JobState.ERROR, f"the stored workflow no longer runs: {exc.problems[0]}")
        except LeaseLost:
            log.warning("job %s lost its lease; its run stopped and wrote nothing more", run.record.id)
            self._lost(run)
        except Exception as exc:
            log.exception("job %s failed", run.record.id)
            self._finish(run, JobState.ERROR, redact(f"{type(exc).__name__}: {exc}", self.folders))

    def _execute(self, run: Run) -> None:
        assert run.graph is not None
        if not self.store.started(run.lease, nodes=len(run.graph.nodes)):
            raise LeaseLost(run.record.id)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        beat = Heartbeat(self.store, run.lease, run.cancel, lease_s=self.lease_s, every_s=self.beat_every_s)
        hooks = [StoreHook(run, self.store, self.public_error), *self.watcher.run_started(run)]
        beat.start()
        try:
            result = self.executor.run(run.graph, RunOptions(device=self.device, out_dir=self.out_dir,
                                                             cancel=run.cancel, hooks=hooks))
        finally:
            beat.stop()
        if beat.lost:
            raise LeaseLost(run.record.id)
        self.watcher.outputs_ready(run, result.outputs)
        self._conclude(run, result, cancel_requested=beat.cancel_requested)

    def _conclude(self, run: Run, result: RunResult, *, cancel_requested: bool) -> None:
        failed = [e.node_id for e in result.errors]
        if result.cancelled and self.stopping.is_set() and not cancel_requested:
            remove_staging(self.out_dir, run.record.id)
            recorded = self.store.release(run.lease, self.stop_reason)
            log.warning("job %s stopped with its runner; recorded as interrupted", run.record.id)
            self.watcher.run_ended(run, RunEnd(state=None, message="interrupted", recorded=recorded))
        elif result.cancelled:
            self._finish(run, JobState.CANCELLED, "cancelled")
        elif failed:
            self._finish(run, JobState.ERROR, f"{len(failed)} node(s) failed: {', '.join(failed[:5])}")
        else:
            self._commit(run, result)

    def _commit(self, run: Run, result: RunResult) -> None:
        ran = len(result.executed)
        self._commit_written(run, written_files(result.outputs, self.out_dir),
                             f"{ran} ran, {len(result.records) - ran} cached")

    def _commit_written(self, run: Run, written: list[tuple[str, str]], message: str) -> None:
        """Decide the staged files `written` ((node, path in the output folder)) under the fence, then publish."""
        assert run.graph is not None
        replace = {n: bool(g.params.get("overwrite", False)) for n, g in run.graph.nodes.items()}
        files, refused = plan_commit(self.out_dir, run.prefix, written, replace)
        if refused:
            for r in refused:
                run.nodes.setdefault(r.node, {})["status"] = "error"
                run.nodes[r.node]["error"] = {"message": r.message, "fix": r.fix, "inputs": {}}
            self._finish(run, JobState.ERROR, f"{len(refused)} output(s) refused: {refused[0].message}")
            return
        nodes = self.watcher.final_nodes(run)
        if not self.store.begin_commit(run.lease, files, nodes=_storable(nodes), message=message):
            raise LeaseLost(run.record.id)
        self._publish(run, files, nodes, message)

    def _publish(self, run: Run, files: list[dict[str, Any]], nodes: dict[str, dict[str, Any]], message: str) -> None:
        """Rename the decided files into place and finish the job as done."""
        try:
            apply_commit(self.out_dir, files)
        except CommitError as exc:
            self._finish(run, JobState.ERROR, redact(str(exc), self.folders))
            return
        remove_staging(self.out_dir, run.record.id)
        outputs = [f["final"] for f in files]
        recorded = self.store.finish(run.lease, JobState.DONE, message=message, nodes=_storable(nodes),
                                     outputs=outputs)
        if not recorded:
            log.warning("job %s: its lease was taken over while publishing; the new holder finishes it", run.record.id)
        self.watcher.run_ended(run, RunEnd(state=JobState.DONE, message=message, outputs=outputs,
                                           renamed={f["staged"]: f["final"] for f in files}, recorded=recorded))

    def _finish(self, run: Run, state: JobState, message: str) -> None:
        remove_staging(self.out_dir, run.record.id)
        if state is JobState.CANCELLED:
            for s in run.nodes.values():
                if s.get("status") in ("queued", "running"):
                    s["status"] = "cancelled"
        end = RunEnd(state=state, message=message)
        nodes = self.watcher.final_nodes(run)
        end.recorded = self.store.finish(run.lease, state, message=message, nodes=_storable(nodes), outputs=[])
        if not end.recorded:
            log.warning("job %s: its lease was taken over; its end is not recorded", run.record.id)
        self.watcher.run_ended(run, end)

    def _lost(self, run: Run) -> None:
        """Only this attempt's own staging goes: the job's new holder owns everything else."""
        record = self.store.get(run.record.id)
        decided = record is not None and any(f["staged"].startswith(run.prefix + "/") for f in record.commit)
        if not decided:
            shutil.rmtree(self.out_dir / run.prefix, ignore_errors=True)
        self.watcher.run_ended(run, RunEnd(state=None, message="lost its lease", recorded=False))

    def public_error(self, job_id: str, record: NodeRecord) -> dict[str, Any]:
        err = record.error
        assert err is not None
        log.error("job %s: node %s failed: %s\n%s", job_id, record.node_id, err.message, err.traceback)
        out: dict[str, Any] = {"message": redact(err.message, self.folders),
                               "fix": redact(fix_for(err.message), self.folders),
                               "inputs": {k: redact(str(v), self.folders) for k, v in err.inputs.items()}}
        if self.expose_tracebacks:
            out["traceback"] = err.traceback[-6000:]
        return out


def _storable(nodes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: {k: v for k, v in s.items() if k != "started"} for n, s in nodes.items()}


class Heartbeat:
    """Renews a run's lease; a cancel asked for in the store (from any process) reaches the run."""

    def __init__(self, store: JobStore, lease: Lease, cancel: threading.Event, *, lease_s: float = LEASE_S,
                 every_s: float = 1.0):
        self.store, self.lease, self.cancel, self.lease_s, self.every_s = store, lease, cancel, lease_s, every_s
        self.lost = self.cancel_requested = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{lease.job_id[:9]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(5)

    def _beat(self) -> None:
        while not self._done.wait(self.every_s):
            try:
                if self.store.heartbeat(self.lease, lease_s=self.lease_s):
                    self.cancel_requested = True
                    self.cancel.set()
            except LeaseLost:
                self.lost = True
                self.cancel.set()
                return
            except Exception:
                log.exception("lease renewal failed")
