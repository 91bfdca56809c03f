"""Run a validated graph: plan what the requested outputs need, skip what the cache holds, run the rest.

Content keys are built in one topological pass (node type + version + the code stamp of its
package and pack + canonical params + upstream keys), so planning is linear in graph size.
Planning walks back from the requested nodes and stops at every node the cache can serve; every
node the targets depend on gets a record, `cached` when it does not run. Nodes with the same key
in one run compute once: the later ones wait for the first and share its outputs. Independent
branches run on a thread pool in a fixed order (topological, ties broken by node id); GPU nodes
take a per-device lock. A failing node is reported with its inputs and traceback; nodes that do not
depend on it still finish. Skipping and cancelling walk the graph iteratively, so a chain of any
length fails or cancels cleanly. Hooks observe everything from outside; a hook that raises is
reported as a HookError, dropped for the rest of the run, and never changes a node's outcome.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import Cache, CacheStats, Outputs, code_stamp
from .components import ComponentStore
from .devices import free_gpu_memory, resolve
from .graph import Graph, GraphNode
from .hooks import Hook
from .node import Cancelled, RelPath, RunContext
from .types import Files, value_matches, wire_name

#: statuses of a node that finished: its outputs exist
FINISHED = frozenset({"done", "cached"})


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
class HookError(NodeError):
    """A hook raised while observing the run (node_id is the node the event was about, or "")."""

    hook: str = ""
    event: str = ""

    def __str__(self) -> str:
        about = f" for node '{self.node_id}'" if self.node_id else ""
        return f"hook {self.hook} failed in {self.event}{about}: {self.message}"


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
    #: some planned node did not run because the run was cancelled
    cancelled: bool = False
    run_id: str = ""
    hook_errors: list[HookError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every planned node finished and no hook failed; a cancel that came too late changes nothing."""
        return (not self.cancelled and not self.hook_errors
                and all(r.status in FINISHED for r in self.records.values()))

    @property
    def executed(self) -> list[str]:
        return [n for n, r in self.records.items() if r.status == "done"]

    @property
    def errors(self) -> list[NodeError]:
        return [r.error for r in self.records.values() if r.error is not None] + list(self.hook_errors)


@dataclass(kw_only=True, slots=True)
class RunOptions:
    #: node ids whose outputs are wanted; None means every sink; an empty list is an error
    targets: Sequence[str] | None = None
    device: str | None = None
    out_dir: Path = field(default_factory=lambda: Path("out"))
    cancel: threading.Event | None = None
    hooks: Sequence[Hook] = ()
    #: names this run on its result and in hook events; a fresh one is made when empty
    run_id: str = ""


@dataclass(kw_only=True, slots=True)
class Plan:
    """What a run will do: keys of every needed node, the cached outputs it uses, the nodes to run."""

    targets: list[str]
    #: every node the targets depend on, in execution order
    needed: list[str]
    keys: dict[str, str]
    cached: dict[str, Outputs]
    #: nodes that must run, in execution order
    order: list[str]
    #: a node to run whose key equals an earlier one's -> that earlier node
    same_as: dict[str, str]
    #: needed nodes that neither run nor are read: upstream of a cached result
    up_to_date: list[str]


def _canonical(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_keys(graph: Graph, nodes: Iterable[str], out_dir: Path) -> dict[str, str]:
    """Key of each node from its own definition, its code and its parents' keys, in one topological pass."""
    wanted = set(nodes)
    keys: dict[str, str] = {}
    stamps: dict[type, str] = {}
    out = str(out_dir.resolve())
    for node_id in graph.order:
        if node_id not in wanted:
            continue
        gn = graph.nodes[node_id]
        cls = gn.cls
        stamp = stamps.get(cls)
        if stamp is None:
            stamp = stamps[cls] = code_stamp(cls)
        parts = [cls.type, str(cls.version), stamp, _canonical(gn.params)]
        parts += [f"{name}={keys[src]}.{port}" for name, (src, port) in sorted(gn.inputs.items())]
        if cls.writes_files:
            parts.append(out)
        if cls.reads_files:
            parts += _file_stamps(gn, out_dir)
        parts += cls.input_stamps(gn.params)
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


def _check_targets(graph: Graph, targets: Sequence[str] | None) -> list[str]:
    if targets is None:
        return graph.sinks()
    if isinstance(targets, str):
        raise TypeError(f"targets must be a list of node ids, got the text {targets!r}: use [{targets!r}]")
    if not targets:
        raise ValueError("targets is an empty list, so there is nothing to compute: name the node ids "
                         "whose outputs you want, or leave targets unset to compute every output")
    unknown = [t for t in targets if t not in graph.nodes]
    if unknown:
        raise KeyError(f"no node with id {', '.join(map(repr, unknown))} in the workflow")
    return list(dict.fromkeys(targets))


class Executor:
    """Runs graphs against one cache; owns the component store that keeps models across runs and jobs."""

    def __init__(self, cache: Cache | None = None, *, workers: int = 2, gpu_budget_bytes: int = 8 << 30,
                 components: ComponentStore | None = None):
        self.cache = cache or Cache()
        self.workers = max(1, workers)
        self.gpu_budget_bytes = gpu_budget_bytes
        #: renderers, encoders and pipelines by (kind, device), handed to nodes in their RunContext
        self.components = components if components is not None else ComponentStore()
        #: one lock table for GPU nodes and exclusive components
        self._locks = self.components.locks

    def plan(self, graph: Graph, targets: Sequence[str] | None = None, *, out_dir: Path = Path("out")) -> Plan:
        """Keys, the cached outputs that will be used, and the nodes that must run, in execution order."""
        wanted_list = _check_targets(graph, targets)
        needed_set = _ancestors_and_self(graph, wanted_list)
        keys = content_keys(graph, needed_set, out_dir)
        needed = [n for n in graph.order if n in needed_set]
        wanted = set(wanted_list)
        cached: dict[str, Outputs] = {}
        to_run: set[str] = set()
        for node_id in reversed(needed):
            if node_id not in wanted:
                continue
            outputs, _ = self.cache.get(keys[node_id])
            if _usable(outputs):
                cached[node_id] = outputs  # type: ignore[assignment]
                continue
            to_run.add(node_id)
            wanted.update(src for src, _ in graph.nodes[node_id].inputs.values())
        order = [n for n in needed if n in to_run]
        first: dict[str, str] = {}
        same_as = {n: first[keys[n]] for n in order if first.setdefault(keys[n], n) != n}
        up_to_date = [n for n in needed if n not in to_run and n not in cached]
        return Plan(targets=wanted_list, needed=needed, keys=keys, cached=cached, order=order, same_as=same_as,
                    up_to_date=up_to_date)

    def run(self, graph: Graph, options: RunOptions | None = None) -> RunResult:
        opts = options or RunOptions()
        started = time.perf_counter()
        plan = self.plan(graph, opts.targets, out_dir=opts.out_dir)
        self.cache.refresh([plan.keys[n] for n in plan.up_to_date])
        run = _Run(self, graph, opts, plan)
        run.execute()
        return RunResult(records=run.records, outputs=run.results, targets=plan.targets,
                         stats=self.cache.snapshot(), seconds=time.perf_counter() - started,
                         cancelled=any(r.status == "cancelled" for r in run.records.values()),
                         run_id=run.run_id, hook_errors=run.hook_errors)


_ACCEPTS_RUN_ID: dict[tuple[type, str], bool] = {}


def _accepts_run_id(hook: Hook, event: str) -> bool:
    """Whether a hook's method takes `run_id` (hooks written before run ids existed do not)."""
    key = (type(hook), event)
    known = _ACCEPTS_RUN_ID.get(key)
    if known is None:
        params = inspect.signature(getattr(hook, event)).parameters.values()
        known = _ACCEPTS_RUN_ID[key] = any(p.name == "run_id" or p.kind is p.VAR_KEYWORD for p in params)
    return known


class _Run:
    """The state of one run: records, results and the ready queue."""

    def __init__(self, ex: Executor, graph: Graph, opts: RunOptions, plan: Plan):
        self.ex, self.graph, self.opts, self.plan, self.keys = ex, graph, opts, plan, plan.keys
        self.run_id = opts.run_id or uuid.uuid4().hex
        self.hooks: tuple[Hook, ...] = tuple(opts.hooks)
        self.hook_errors: list[HookError] = []
        self._hook_lock = threading.Lock()
        self.cancel = opts.cancel or threading.Event()
        self.results: dict[str, Outputs] = dict(plan.cached)
        self.order = plan.order
        self.run_device = resolve(opts.device) if self._needs_device() else "cpu"
        queued = set(plan.order)
        self.records: dict[str, NodeRecord] = {
            n: NodeRecord(n, graph.nodes[n].cls.type, "queued" if n in queued else "cached", key=plan.keys[n])
            for n in plan.needed}
        self._emit("run_started", "", records=self.records, targets=plan.targets)

    def _needs_device(self) -> bool:
        return self.opts.device not in (None, "cpu", "auto") or any(
            self.graph.nodes[n].cls.uses_gpu or self.graph.nodes[n].device for n in self.order)

    def _emit(self, event: str, about: str, /, **kwargs: Any) -> None:
        """Call one event on every live hook; a hook that raises is reported (about node `about`) and dropped."""
        for hook in self.hooks:
            try:
                if _accepts_run_id(hook, event):
                    getattr(hook, event)(run_id=self.run_id, **kwargs)
                else:
                    getattr(hook, event)(**kwargs)
            except Exception as exc:
                self._hook_failed(hook, event, about, exc)

    def _hook_failed(self, hook: Hook, event: str, node_id: str, exc: Exception) -> None:
        name = type(hook).__name__
        with self._hook_lock:
            self.hooks = tuple(h for h in self.hooks if h is not hook)
            self.hook_errors.append(HookError(node_id, "hook", f"{type(exc).__name__}: {exc}",
                                              traceback.format_exc(), hook=name, event=event))

    def execute(self) -> None:
        to_run = set(self.order)
        same_as = self.plan.same_as
        consumers: dict[str, list[str]] = {n: [] for n in self.order}
        waiting: dict[str, int] = {}
        for n in self.order:
            sources = [src for src, _ in self.graph.nodes[n].inputs.values() if src in to_run]
            if n in same_as:
                sources.append(same_as[n])
            waiting[n] = len(sources)
            for src in sources:
                consumers[src].append(n)
        blocked: dict[str, str] = {}
        ready = deque(n for n in self.order if waiting[n] == 0)

        def finish(node_id: str) -> None:
            stack = [node_id]
            while stack:
                n = stack.pop()
                failed = self.records[n].status not in FINISHED
                for c in consumers[n]:
                    if failed:
                        blocked.setdefault(c, n)
                    waiting[c] -= 1
                    if waiting[c] != 0:
                        continue
                    if c in blocked:
                        self._skip(c, blocked[c])
                        stack.append(c)
                    elif c in same_as:
                        self._share(c, same_as[c])
                        stack.append(c)
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
                    for fut in sorted(done, key=lambda f: in_flight[f]):
                        node_id = in_flight.pop(fut)
                        self._settle(node_id, fut)
                        finish(node_id)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        self._emit("run_finished", "", records=self.records, stats=self.ex.cache.snapshot())

    def _settle(self, node_id: str, fut: Future[None]) -> None:
        """A node whose thread ended without an end status gets one (never left `running`)."""
        exc = fut.exception()
        rec = self.records[node_id]
        if exc is not None or rec.status in ("queued", "running"):
            rec.status = "error"
            message = f"{type(exc).__name__}: {exc}" if exc is not None else "ended without a status"
            rec.error = NodeError(node_id, rec.node_type, message,
                                  "".join(traceback.format_exception(exc)) if exc is not None else "")

    def _mark(self, node_id: str, status: str) -> None:
        rec = self.records[node_id]
        rec.status = status
        self._emit("node_finished", node_id, record=rec)

    def _skip(self, node_id: str, because: str) -> None:
        rec = self.records[node_id]
        rec.warnings.append(f"not run: upstream node '{because}' did not finish")
        self._mark(node_id, "cancelled" if self.cancel.is_set() else "skipped")

    def _share(self, node_id: str, leader: str) -> None:
        """A node identical to one that already ran takes its outputs."""
        self.results[node_id] = self.results[leader]
        self._mark(node_id, "cached")

    def _execute(self, node_id: str) -> None:
        gn = self.graph.nodes[node_id]
        rec = self.records[node_id]
        rec.status = "running"
        start = time.perf_counter()
        kwargs: dict[str, Any] = {}
        try:
            self._emit("node_started", node_id, record=rec)
            device = resolve(gn.device) if gn.device else self.run_device
            kwargs = self._inputs(gn)
            ctx = RunContext(node_id=node_id, device=device, out_dir=self.opts.out_dir, cancel_event=self.cancel,
                             report=self._reporter(node_id) if self.hooks else None,
                             components=self.ex.components, warnings=rec.warnings, workflow=self.graph.workflow)
            outputs = self._call(gn, ctx, kwargs, device)
            self.ex.cache.put(rec.key, outputs)
        except Cancelled:
            rec.status = "cancelled"
        except Exception as exc:
            rec.status = "error"
            rec.error = NodeError(node_id, gn.cls.type, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                                  {k: _short(v) for k, v in kwargs.items()})
        else:
            self.results[node_id] = outputs
            rec.status = "done"
        rec.seconds = time.perf_counter() - start
        self._emit("node_finished", node_id, record=rec)

    def _inputs(self, gn: GraphNode) -> dict[str, Any]:
        kwargs = dict(gn.params)
        for name, (src, port) in gn.inputs.items():
            kwargs[name] = self.results[src][port]
        for port in gn.cls.inputs:
            kwargs.setdefault(port.name, None)
        return kwargs

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
            self._emit("node_progress", node_id, node_id=node_id, fraction=fraction, message=message)
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
