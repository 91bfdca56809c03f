"""`oyster worker`: a headless process that runs jobs from a workspace's store, N at a time, beside (or instead
of) `oyster serve`. It imports no UI. SIGTERM or Ctrl-C stops it after the running nodes; their runs are released
and queued again, to resume from the cache. A `kill -9` leaves leases that the next runner to look (this host:
at once, as the owner's process is gone; elsewhere: when the lease expires) interrupts and queues again.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from ..cache import Cache, DiskCache
from ..executor import Executor
from ..registry import load_registry
from .records import InterruptedPolicy
from .runner import LEASE_S, Runner
from .store import JobStore, lease_owner

log = logging.getLogger(__name__)


def store_path(workspace: Path) -> Path:
    """Where a workspace keeps its jobs (the same file `oyster serve --workspace` uses)."""
    return Path(workspace) / ".oyster" / "jobs.sqlite"


def outputs_path(workspace: Path) -> Path:
    return Path(workspace) / "out"


@dataclass(kw_only=True, slots=True)
class WorkerOptions:
    workspace: Path
    cache_dir: Path | None = None
    out_dir: Path | None = None
    concurrency: int = 1
    device: str = "auto"
    packs: tuple[str, ...] = ()
    node_workers: int = 2
    memory_cache_gb: float = 2.0
    lease_s: float = LEASE_S
    interrupted: str = "requeue"
    #: stop once nothing is queued or running, instead of waiting for more work
    drain: bool = False
    #: run the jobs on this Ray cluster (its dashboard address) instead of here; see cluster/ray_worker.py
    ray: str | None = None
    frames_per_task: int = 24


class Worker:
    """N runners over one executor (one cache, one component store) and one store."""

    def __init__(self, options: WorkerOptions):
        if options.concurrency < 1:
            raise ValueError(f"--concurrency {options.concurrency}: give 1 or more")
        self.options = options
        workspace = Path(options.workspace).resolve()
        self.store = JobStore(store_path(workspace), policy=InterruptedPolicy(options.interrupted))
        self.out_dir = Path(options.out_dir or outputs_path(workspace)).resolve()
        disk = DiskCache(options.cache_dir) if options.cache_dir else None
        executor = Executor(Cache(memory_bytes=int(options.memory_cache_gb * 2**30), disk=disk),
                            workers=options.node_workers)
        registry = load_registry(folders=list(options.packs))
        common = {"store": self.store, "registry": registry, "executor": executor, "out_dir": self.out_dir,
                  "device": options.device, "lease_s": options.lease_s}
        if options.ray:
            from ..cluster.ray_worker import ray_runners

            self.runners = ray_runners(address=options.ray, cache_dir=options.cache_dir, count=options.concurrency,
                                       frames_per_task=options.frames_per_task, packs=options.packs, **common)
        else:
            self.runners = [Runner(**common, owner=lease_owner()) for _ in range(options.concurrency)]
        for r in self.runners:
            r.stop_reason = "the worker was stopped"
        self.wake = threading.Event()

    def run(self) -> None:
        """Run until stopped (or, with drain, until the store has nothing left to run)."""
        self.store.recover()
        threads = [threading.Thread(target=self._loop, args=(r,), name=f"oyster-runner-{k}", daemon=True)
                   for k, r in enumerate(self.runners)]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)

    def _loop(self, runner: Runner) -> None:
        if not self.options.drain:
            runner.serve(wake=self.wake)
            return
        while not runner.stopping.is_set():
            if not runner.run_one():
                self.store.recover()
                if not self._work_left():
                    return
                self.wake.wait(0.2)

    def _work_left(self) -> bool:
        counts = self.store.counts()
        return bool(counts.get("queued", 0) or counts.get("running", 0))

    def stop(self) -> None:
        for r in self.runners:
            r.stop()
        self.wake.set()


def run_worker(options: WorkerOptions) -> None:
    """The `oyster worker` process: SIGTERM and SIGINT stop it cleanly."""
    worker = Worker(options)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    log.info("worker on %s: %d runner(s)", worker.store.path, len(worker.runners))
    print(f"oyster worker: {len(worker.runners)} runner(s) on {worker.store.path}, outputs in {worker.out_dir}",
          flush=True)
    worker.run()
