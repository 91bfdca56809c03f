"""`oyster worker --ray ADDRESS`: a worker that leases jobs from the workspace's store as any worker does, but runs
each on a Ray cluster, its shots split into frame ranges over the nodes (see ray_jobs).

- **One Ray job per attempt.** The Ray submission id is `oyster-<job id>-<fence>`: a new lease (a new fence) is a
  new Ray job, and submitting the same attempt again is refused by Ray and attaches to the running one.
- **The lease.** The heartbeat renews the lease while Ray runs the job; a cancel asked for in the store, a stopped
  worker or a lost lease stops the Ray job. A new holder of the lease stops the Ray jobs of the earlier fences.
- **Exactly-once outputs.** The Ray job renders into this attempt's staging folder (`.oyster-stage/<job>.<fence>`
  inside the output folder, which every node mounts at the same path) and publishes nothing: the worker decides
  the staged files under its fence and renames them into place (`jobs/outputs.py`), so a Ray job of a stale fence
  can never publish. World states go through the content-addressed cache on a shared folder, so the attempt that
  resumes a job after a worker died takes them from there.
- **Progress.** The frames the Ray job's range tasks have rendered become the shot node's progress events in the
  store (what `oyster serve`, its batch panel and `oyster jobs` show).
- **A lost cluster.** A cluster that stops answering for `lost_after_s` (its head is gone), or a Ray job that
  ended without a result (its driver was lost), gives the run back to the store: interrupted and queued again
  (up to the store's attempts), not failed; this worker claims nothing more until the cluster answers again.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from ..jobs.outputs import remove_staging, staged_workflow
from ..jobs.records import JobState
from ..jobs.runner import STORED_PROGRESS_EVERY_S, Heartbeat, Run, RunEnd, Runner, redact
from ..jobs.store import LeaseLost, lease_owner
from ..workflow import parse_text
from .ray_jobs import FRAMES_PER_TASK, TERMINAL, ClusterError, JobSpec, ShotProgress, client, result, submit

log = logging.getLogger(__name__)

POLL_S = 0.5
#: a cluster that does not answer for this long is taken as lost: the run goes back to the store
LOST_AFTER_S = 30.0
#: what a cluster that is down raises from Ray's job client (requests' errors are OSErrors)
UNREACHABLE = (OSError, RuntimeError, ValueError)


class ClusterLost(RuntimeError):
    """The cluster stopped answering, or lost the job's driver; the message says which."""


def submission_id(job_id: str, fence: int) -> str:
    return f"oyster-{job_id}-{fence}"


class RayRunner(Runner):
    """A runner whose runs execute on a Ray cluster; the lease, the fence and the commit stay here."""

    def __init__(self, *, address: str, cache_dir: Path, frames_per_task: int = FRAMES_PER_TASK,
                 packs: tuple[str, ...] = (), jobs: Any = None, lost_after_s: float = LOST_AFTER_S, **kwargs: Any):
        super().__init__(**kwargs)
        if frames_per_task < 1:
            raise ValueError(f"--frames-per-task {frames_per_task}: give 1 or more")
        self.jobs = jobs if jobs is not None else client(address)
        self.cache_dir = Path(cache_dir).resolve()
        self.frames_per_task = frames_per_task
        self.packs = [str(Path(p).resolve()) for p in packs]
        self.address, self.lost_after_s = address, lost_after_s
        #: set when a run was given back because the cluster was lost; cleared once it answers again
        self.cluster_lost = False

    def run_one(self) -> bool:
        """Claim and run one job; after a lost cluster, none until the cluster answers again."""
        if self.cluster_lost:
            try:
                self.jobs.get_version()
            except UNREACHABLE:
                return False
            self.cluster_lost = False
        return super().run_one()

    def spec(self, run: Run) -> JobSpec:
        """The Ray job of this attempt: the staged workflow (exports under the attempt's staging folder)."""
        staged = staged_workflow(parse_text(run.record.workflow, source=f"job {run.record.id}"), self.registry,
                                 run.prefix)
        return JobSpec(workflow=staged.to_json(), embed=run.record.workflow, out_dir=str(self.out_dir.resolve()),
                       cache_dir=str(self.cache_dir), name=run.record.name, frames_per_task=self.frames_per_task,
                       device=self.device, packs=self.packs,
                       submission=submission_id(run.record.id, run.lease.fence))

    def _execute(self, run: Run) -> None:
        assert run.graph is not None
        if not self.store.started(run.lease, nodes=len(run.graph.nodes)):
            raise LeaseLost(run.record.id)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._stop_stale(run)
        spec = self.spec(run)
        beat = Heartbeat(self.store, run.lease, run.cancel, lease_s=self.lease_s, every_s=self.beat_every_s)
        beat.start()
        lost = ""
        try:
            submitted = submit(self.jobs, spec)
            if submitted.refused:
                log.info("job %s: Ray job %s already submitted; attached to it", run.record.id, spec.key())
            status = self._follow(spec, run)
            if status is not None and status != "SUCCEEDED" and result(spec) is None:
                raise ClusterLost(f"the Ray job {spec.key()} ended {status.lower()} without a result: its driver "
                                  "was lost")
        except ClusterLost as exc:
            lost = str(exc)
        except LeaseLost:
            raise
        except UNREACHABLE as exc:  # ClusterError too: from a submit to a cluster that is gone
            if self._answers():
                raise
            lost = f"the Ray cluster at {self.address or 'its address'} cannot be reached ({_first_line(exc)})"
        finally:
            beat.stop()
        if beat.lost:
            raise LeaseLost(run.record.id)
        if lost:
            self._given_back(run, lost)
            return
        if status is None:
            self._cancelled(run, cancel_requested=beat.cancel_requested)
            return
        self._ended(run, spec, status)

    def _answers(self) -> bool:
        try:
            self.jobs.get_version()
        except UNREACHABLE:
            return False
        return True

    def _given_back(self, run: Run, reason: str) -> None:
        """The cluster was lost mid-job: the run is interrupted and queued again for a worker to resume later.
        (A Ray job stopped because this run lost its lease is that run's end: it writes nothing more.)"""
        if not self.store.holds(run.lease):
            log.warning("job %s: its lease was taken over; this attempt ends without a record", run.record.id)
            self._lost(run)
            return
        log.warning("job %s: %s; given back to the store", run.record.id, reason)
        self.cluster_lost = True
        remove_staging(self.out_dir, run.record.id)
        recorded = self.store.release(run.lease, redact(reason, self.folders))
        self.watcher.run_ended(run, RunEnd(state=None, message="interrupted", recorded=recorded))

    def _follow(self, spec: JobSpec, run: Run) -> str | None:
        """The Ray job's final status, its shot progress put into the store meanwhile; None when the run was
        cancelled (or lost its lease) and the job stopped. Raises ClusterLost when the cluster stops answering."""
        key, tally, stored = spec.key(), ShotProgress(), _ProgressStore(self, run)
        silent_since: float | None = None
        while True:
            try:
                status = str(self.jobs.get_job_status(key).value)
                silent_since = None
            except UNREACHABLE as exc:
                silent_since = silent_since or time.monotonic()
                if time.monotonic() - silent_since > self.lost_after_s:
                    raise ClusterLost(f"the Ray cluster stopped answering for {self.lost_after_s:g} s mid-job "
                                      f"({_first_line(exc)})") from None
                status = ""
            stored.push(tally, tally.read(spec), final=status in TERMINAL)
            if status in TERMINAL:
                return status
            if run.cancel.wait(POLL_S):
                self._stop(key)
                return None

    def _stop(self, key: str) -> None:
        try:
            self.jobs.stop_job(key)
        except RuntimeError as exc:  # unknown or already ended
            log.debug("Ray job %s: %s", key, exc)

    def _stop_stale(self, run: Run) -> None:
        """The Ray jobs of this job's earlier fences (a worker died or lost its lease) are stopped."""
        for fence in range(1, run.lease.fence):
            key = submission_id(run.record.id, fence)
            try:
                status = str(self.jobs.get_job_status(key).value)
            except RuntimeError:
                continue
            if status not in TERMINAL:
                log.warning("job %s: stopping Ray job %s of a stale attempt", run.record.id, key)
                self._stop(key)

    def _cancelled(self, run: Run, *, cancel_requested: bool) -> None:
        if self.stopping.is_set() and not cancel_requested:
            remove_staging(self.out_dir, run.record.id)
            recorded = self.store.release(run.lease, self.stop_reason)
            self.watcher.run_ended(run, RunEnd(state=None, message="interrupted", recorded=recorded))
        else:
            self._finish(run, JobState.CANCELLED, "cancelled")

    def _finish(self, run: Run, state: JobState, message: str) -> None:
        """A run that lost its lease (its Ray job stopped by the new holder) removes only its own staging folder:
        the rest of the job's staging belongs to the attempt now running."""
        if not self.store.holds(run.lease):
            log.warning("job %s: its lease was taken over; this attempt ends without a record", run.record.id)
            self._lost(run)
            return
        super()._finish(run, state, message)

    def _ended(self, run: Run, spec: JobSpec, status: str) -> None:
        done = result(spec) or {}
        if status != "SUCCEEDED" or not done.get("ok"):
            errors = done.get("errors") or [f"the Ray job {spec.key()} ended {status.lower()}"]
            self._finish(run, JobState.ERROR, redact(str(errors[0]), self.folders))
            return
        executed = set(done.get("executed", []))
        for node in run.graph.nodes if run.graph is not None else ():
            run.nodes[node] = {"status": "done" if node in executed else "cached", "seconds": 0.0, "error": None,
                               "warnings": []}
        written = [(node, rel) for node, paths in done.get("files", {}).items() for rel in paths]
        message = (f"{len(executed)} ran, {len(run.nodes) - len(executed)} cached on Ray "
                   f"({done.get('ranges', 0)} frame ranges, {done.get('seconds', 0):.1f} s)")
        self._commit_written(run, written, message)


class _ProgressStore:
    """Shot progress into the store under the run's lease: at most every STORED_PROGRESS_EVERY_S per node, a
    shot's last frame at once, and each node's last count when the job ends."""

    def __init__(self, runner: RayRunner, run: Run):
        self.runner, self.run = runner, run
        self.last: dict[str, float] = {}
        self.pending: set[str] = set()

    def push(self, tally: ShotProgress, changed: list[str], *, final: bool = False) -> None:
        self.pending.update(changed)
        now = time.monotonic()
        for node in sorted(self.pending):
            if final or tally.fraction(node) >= 1.0 or now - self.last.get(node, -1e9) >= STORED_PROGRESS_EVERY_S:
                self.last[node] = now
                self.pending.discard(node)
                self.runner.store.progress(self.run.lease, node, tally.fraction(node), tally.message(node))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def ray_runners(*, address: str, cache_dir: Path | None, count: int, frames_per_task: int,
                packs: tuple[str, ...], **kwargs: Any) -> list[Runner]:
    """The runners of `oyster worker --ray`: one Ray client shared by all."""
    if cache_dir is None:
        raise ValueError("--ray needs --cache-dir: a folder every node of the cluster mounts at the same path")
    try:
        jobs = client(address)
    except ClusterError as exc:
        raise ValueError(str(exc)) from None
    return [RayRunner(address=address, cache_dir=cache_dir, frames_per_task=frames_per_task, packs=packs, jobs=jobs,
                      owner=lease_owner(), **kwargs) for _ in range(count)]

