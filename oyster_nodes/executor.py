"""Run a validated graph: plan what the requested outputs need, skip what the cache holds, run the rest.

Content keys are built in one topological pass (node type + version + canonical params + upstream
keys), so planning is linear in graph size. Planning walks back from the requested nodes and stops
at every node the cache can serve. Independent branches run on a thread pool; GPU nodes take a
per-device lock. A failing node is reported with its inputs and traceback; nodes that do not depend
on it still finish. Hooks observe everything from outside.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import Cache, CacheStats, Outputs
from .devices import DeviceLocks, free_gpu_memory, resolve
from .graph import Graph, GraphNode
from .hooks import Hook
from .node import Cancelled, RelPath, RunContext
from .types import Files, value_matches, wire_name


@dataclass(slots=True)
class NodeError:
    node_id: str
    node_type: str
    message: str
    traceback: str = ""
    inputs: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"node '{self.node_id}' ({self.node_type}) failed: {self.message}"


@dataclass(slots=True)
class NodeRecord:
    node_id: str
    node_type: str
    status: str = "queued"
    seconds: float = 0.0
    key: str = ""
    error: NodeError | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RunResult:
    records: dict[str, NodeRecord]
    outputs: dict[str, Outputs]
    targets: list[str]
    stats: CacheStats
    seconds: float = 0.0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(r.status in ("done", "cached") for r in self.records.values())

    @property
    def executed(self) -> list[str]:
        return [n for n, r in self.records.items() if r.status == "done"]

    @property
    def errors(self) -> list[NodeError]:
        return [r.error for r in self.records.values() if r.error is not None]


@dataclass(kw_only=True, slots=True)
class RunOptions:
    targets: Sequence[str] | None = None
    device: str | None = None
    out_dir: Path = field(default_factory=lambda: Path("out"))
    cancel: threading.Event | None = None
    hooks: Sequence[Hook] = ()


def _canonical(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_keys(graph: Graph, nodes: Iterable[str], out_dir: Path) -> dict[str, str]:
    """Key of each node from its own definition and its parents' keys, in one topological pass."""
    wanted = set(nodes)
    keys: dict[str, str] = {}
    out = str(out_dir.resolve())
    for node_id in graph.order:
        if node_id not in wanted:
            continue
        gn = graph.nodes[node_id]
        cls = gn.cls
        parts = [cls.type, str(cls.version), _canonical(gn.params)]
        parts += [f"{name}={keys[src]}.{port}" for name, (src, port) in sorted(gn.inputs.items())]
        if cls.writes_files:
            parts.append(out)
        if cls.reads_files:
            parts += _file_stamps(gn, out_dir)
        keys[node_id] = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()
    return keys


def _file_stamps(gn: GraphNode, out_dir: Path) -> list[str]:
    """Size and modification time of each file a reading node names, so an edited file re-runs it."""
    stamps = []
    for param in gn.cls.params:
        value = gn.params.get(param.name)
        if param.type is RelPath and value:
            try:
                st = (out_dir / value).stat()
                stamps.append(f"{param.name}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                stamps.append(f"{param.name}:missing")
    return stamps


def _ancestors_and_self(graph: Graph, targets: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = list(targets)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack += [src for src, _ in graph.nodes[n].inputs.values()]
    return seen


def _usable(outputs: Outputs | None) -> bool:
    return outputs is not None and all(v.exist() for v in outputs.values() if isinstance(v, Files))


def _short(value: Any, limit: int = 120) -> str:
    summary = getattr(value, "summary", None)
    text = summary() if callable(summary) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Executor:
    """Runs graphs against one cache; keeps loaded models across runs for interactive use."""

    def __init__(self, cache: Cache | None = None, *, workers: int = 2, gpu_budget_bytes: int = 8 << 30):
        self.cache = cache or Cache()
        self.workers = max(1, workers)
        self.gpu_budget_bytes = gpu_budget_bytes
        self.models: dict[str, Any] = {}
        self._locks = DeviceLocks()

    def plan(self, graph: Graph, targets: Sequence[str] | None = None, *,
             out_dir: Path = Path("out")) -> tuple[dict[str, str], dict[str, Outputs], list[str]]:
        """Keys, the cached outputs that will be used, and the nodes that must run (topological)."""
        targets = list(targets) if targets is not None else graph.sinks()
        unknown = [t for t in targets if t not in graph.nodes]
        if unknown:
            raise KeyError(f"no node with id {', '.join(map(repr, unknown))} in the workflow")
        needed = _ancestors_and_self(graph, targets)
        keys = content_keys(graph, needed, out_dir)
        wanted = set(targets)
        cached: dict[str, Outputs] = {}
        to_run: set[str] = set()
        for node_id in reversed(graph.order):
            if node_id not in wanted:
                continue
            outputs, _ = self.cache.get(keys[node_id])
            if _usable(outputs):
                cached[node_id] = outputs  # type: ignore[assignment]
                continue
            to_run.add(node_id)
            wanted.update(src for src, _ in graph.nodes[node_id].inputs.values())
        order = [n for n in graph.order if n in to_run]
        return keys, cached, order

    def run(self, graph: Graph, options: RunOptions | None = None) -> RunResult:
        opts = options or RunOptions()
        started = time.perf_counter()
        targets = list(opts.targets) if opts.targets is not None else graph.sinks()
        keys, cached, order = self.plan(graph, targets, out_dir=opts.out_dir)
        run = _Run(self, graph, opts, keys, cached, order, targets)
        run.execute()
        return RunResult(records=run.records, outputs=run.results, targets=targets,
                         stats=self.cache.snapshot(), seconds=time.perf_counter() - started,
                         cancelled=run.cancel.is_set())


class _Run:
    """The state of one run: records, results and the ready queue."""

    def __init__(self, ex: Executor, graph: Graph, opts: RunOptions, keys: dict[str, str],
                 cached: dict[str, Outputs], order: list[str], targets: list[str]):
        self.ex, self.graph, self.opts, self.keys = ex, graph, opts, keys
        self.hooks = list(opts.hooks)
        self.cancel = opts.cancel or threading.Event()
        self.results: dict[str, Outputs] = dict(cached)
        self.records: dict[str, NodeRecord] = {}
        self.order = order
        self.run_device = resolve(opts.device) if self._needs_device() else "cpu"
        for node_id in cached:
            self.records[node_id] = NodeRecord(node_id, graph.nodes[node_id].cls.type, "cached", key=keys[node_id])
        for node_id in order:
            self.records[node_id] = NodeRecord(node_id, graph.nodes[node_id].cls.type, key=keys[node_id])
        for hook in self.hooks:
            hook.run_started(records=self.records, targets=targets)

    def _needs_device(self) -> bool:
        return self.opts.device not in (None, "cpu", "auto") or any(
            self.graph.nodes[n].cls.uses_gpu or self.graph.nodes[n].device for n in self.order)

    def execute(self) -> None:
        to_run = set(self.order)
        waiting = {n: sum(1 for src, _ in self.graph.nodes[n].inputs.values() if src in to_run)
                   for n in self.order}
        consumers: dict[str, list[str]] = {n: [] for n in self.order}
        for n in self.order:
            for src, _ in self.graph.nodes[n].inputs.values():
                if src in to_run:
                    consumers[src].append(n)
        blocked: set[str] = set()
        ready = deque(n for n in self.order if waiting[n] == 0)

        def finish(node_id: str) -> None:
            failed = self.records[node_id].status != "done"
            for c in consumers[node_id]:
                if failed:
                    blocked.add(c)
                waiting[c] -= 1
                if waiting[c] == 0:
                    if c in blocked:
                        self._skip(c, node_id)
                        finish(c)
                    else:
                        ready.append(c)

        pool = ThreadPoolExecutor(self.ex.workers, thread_name_prefix="oyster-node") if self.ex.workers > 1 else None
        in_flight: dict[Future[None], str] = {}
        try:
            while ready or in_flight:
                while ready and len(in_flight) < self.ex.workers:
                    node_id = ready.popleft()
                    if self.cancel.is_set():
                        self._mark(node_id, "cancelled")
                        finish(node_id)
                    elif pool is None or (not in_flight and not ready):
                        self._execute(node_id)
                        finish(node_id)
                    else:
                        in_flight[pool.submit(self._execute, node_id)] = node_id
                if in_flight:
                    done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                    for fut in done:
                        finish(in_flight.pop(fut))
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        for hook in self.hooks:
            hook.run_finished(records=self.records, stats=self.ex.cache.snapshot())

    def _mark(self, node_id: str, status: str) -> None:
        rec = self.records[node_id]
        rec.status = status
        for hook in self.hooks:
            hook.node_finished(record=rec)

    def _skip(self, node_id: str, because: str) -> None:
        rec = self.records[node_id]
        rec.warnings.append(f"not run: upstream node '{because}' did not finish")
        self._mark(node_id, "cancelled" if self.cancel.is_set() else "skipped")

    def _execute(self, node_id: str) -> None:
        gn = self.graph.nodes[node_id]
        rec = self.records[node_id]
        rec.status = "running"
        for hook in self.hooks:
            hook.node_started(record=rec)
        device = resolve(gn.device) if gn.device else self.run_device
        kwargs = dict(gn.params)
        for name, (src, port) in gn.inputs.items():
            kwargs[name] = self.results[src][port]
        for port in gn.cls.inputs:
            kwargs.setdefault(port.name, None)
        ctx = RunContext(node_id=node_id, device=device, out_dir=self.opts.out_dir,
                         cancel_event=self.cancel,
                         report=self._reporter(node_id) if self.hooks else None, models=self.ex.models,
                         warnings=rec.warnings, workflow=self.graph.workflow)
        start = time.perf_counter()
        try:
            outputs = self._call(gn, ctx, kwargs, device)
        except Cancelled:
            rec.status = "cancelled"
        except Exception as exc:
            rec.status = "error"
            rec.error = NodeError(node_id, gn.cls.type, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                                  {k: _short(v) for k, v in kwargs.items()})
        else:
            self.results[node_id] = outputs
            self.ex.cache.put(rec.key, outputs)
            rec.status = "done"
        rec.seconds = time.perf_counter() - start
        for hook in self.hooks:
            hook.node_finished(record=rec)

    def _call(self, gn: GraphNode, ctx: RunContext, kwargs: dict[str, Any], device: str) -> Outputs:
        lock = self.ex._locks.lock_for(device) if gn.cls.uses_gpu else None
        if lock is None:
            value = gn.cls().run(ctx, **kwargs)
        else:
            with lock:
                value = gn.cls().run(ctx, **kwargs)
                free_gpu_memory(device, self.ex.gpu_budget_bytes)
        return _check_outputs(gn, value)

    def _reporter(self, node_id: str) -> Any:
        def report(fraction: float, message: str) -> None:
            for hook in self.hooks:
                hook.node_progress(node_id=node_id, fraction=fraction, message=message)
        return report


def _check_outputs(gn: GraphNode, value: Any) -> Outputs:
    ports = gn.cls.outputs
    if len(ports) == 1 and not (isinstance(value, dict) and set(value) == {ports[0].name}):
        value = {ports[0].name: value}
    if not isinstance(value, dict):
        raise TypeError(f"{gn.cls.type}.run must return a dict of outputs, got {type(value).__name__}")
    missing = [p.name for p in ports if p.name not in value]
    if missing:
        raise TypeError(f"{gn.cls.type}.run did not return output(s) {', '.join(missing)}")
    for p in ports:
        if not value_matches(value[p.name], p.type):
            raise TypeError(f"output '{p.name}' should be {wire_name(p.type)}, "
                            f"got {type(value[p.name]).__name__}")
    return {p.name: value[p.name] for p in ports}
