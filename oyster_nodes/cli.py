"""The `oyster` command: run, batch, validate, nodes, schema, cache, serve, worker.

Exit codes: 0 success, 2 invalid workflow or arguments, 1 a node failed or the run was cancelled.
Expected mistakes (a bad workflow, a missing file, a file that exists) print one message naming
the node, the field and the fix; a traceback is printed only with --debug. Start-up is kept short:
node families and heavy libraries are imported when a node that needs them runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from . import __version__
from .hooks import Hook
from .registry import Registry, RegistryError, load_registry
from .workflow import Problem, Workflow, WorkflowError, json_schema, load

if TYPE_CHECKING:
    from rich.table import Table

    from .cache import Cache
    from .executor import NodeError, NodeRecord, RunResult

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2
#: the live view and the closing table show at most this many nodes (errors and the slowest first)
SHOWN_ROWS = 30
#: exceptions a node raises for a mistake in its input (a value, a file), not for a bug
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError)
STATUS_STYLE = {"queued": "dim", "running": "yellow", "cached": "cyan", "done": "green",
                "error": "bold red", "skipped": "magenta", "cancelled": "magenta"}


def default_cache_dir() -> Path:
    env = os.environ.get("OYSTER_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "oyster-nodes"


def make_cache(args: argparse.Namespace) -> Cache:
    from .cache import Cache, DiskCache

    disk = None if args.no_disk_cache else DiskCache(args.cache_dir, max_bytes=int(args.disk_cache_gb * 2**30))
    return Cache(memory_bytes=int(args.memory_cache_gb * 2**30), disk=disk)


# ------------------------------------------------------------------------------------- progress


class ProgressDisplay(Hook):
    """A live view on a terminal (counts, running nodes, the last few finished); plain lines otherwise.

    Its cost per event is a dict update, and the live view redraws at most four times a second
    with at most SHOWN_ROWS rows, so it stays cheap beside execution however big the graph is.
    """

    def __init__(self, console: Console, graph_types: Mapping[str, str]):
        self.console = console
        self.types = graph_types
        self.rows: dict[str, dict[str, Any]] = {}
        self.finished: list[str] = []
        self.live: Any = None
        self._lock = threading.Lock()
        self._started = time.perf_counter()

    def run_started(self, *, records: Mapping[str, NodeRecord], targets: Sequence[str]) -> None:
        self.rows = {n: {"status": r.status, "fraction": 0.0, "message": "", "seconds": r.seconds}
                     for n, r in records.items()}
        self._started = time.perf_counter()
        if self.console.is_terminal:
            from rich.live import Live

            self.live = Live(console=self.console, refresh_per_second=4, transient=True,
                             get_renderable=self._table)
            self.live.start()
        else:
            todo = sum(1 for r in records.values() if r.status == "queued")
            self._write(f"{len(records)} nodes needed: {todo} to run, {len(records) - todo} cached")

    def node_started(self, *, record: NodeRecord) -> None:
        self._update(record.node_id, status="running")

    def node_progress(self, *, node_id: str, fraction: float, message: str) -> None:
        self._update(node_id, fraction=fraction, message=message)

    def node_finished(self, *, record: NodeRecord) -> None:
        self._update(record.node_id, status=record.status, seconds=record.seconds, fraction=1.0)
        with self._lock:
            self.finished.append(record.node_id)
        if self.live is None:
            self._write(f"  {record.status:<9} {record.node_id} ({record.node_type}) {record.seconds:.2f}s")

    def run_finished(self, *, records: Mapping[str, NodeRecord], stats: Any) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _write(self, line: str) -> None:
        """Plain text straight to the stream: one line per node must not cost more than the node."""
        self.console.file.write(line + "\n")

    def _update(self, node_id: str, **fields: Any) -> None:
        with self._lock:
            self.rows.setdefault(node_id, {"status": "queued", "fraction": 0.0, "message": "", "seconds": 0.0})
            self.rows[node_id].update(fields)

    def shown(self) -> list[str]:
        """The nodes the live view shows: errors, running ones, then the most recently finished."""
        with self._lock:
            rows = list(self.rows.items())
            recent = self.finished[-SHOWN_ROWS:]
        picked = [n for n, r in rows if r["status"] == "error"]
        picked += [n for n, r in rows if r["status"] == "running"]
        picked += [n for n in reversed(recent) if n not in picked]
        return picked[:SHOWN_ROWS]

    def _table(self) -> Table:
        from rich.table import Table

        counts: dict[str, int] = {}
        for row in list(self.rows.values()):
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        tally = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        table = Table(title=f"running · {time.perf_counter() - self._started:.1f}s · {tally}", expand=False)
        for col in ("node", "type", "status", "progress", "message"):
            table.add_column(col)
        for node_id in self.shown():
            row = self.rows[node_id]
            bar = _bar(row["fraction"]) if row["status"] == "running" else ""
            style = STATUS_STYLE.get(row["status"], "")
            table.add_row(node_id, self.types.get(node_id, ""), f"[{style}]{row['status']}[/]", bar,
                          row["message"][:50])
        return table


def _bar(fraction: float, width: int = 20) -> str:
    filled = int(round(fraction * width))
    return "█" * filled + "░" * (width - filled) + f" {fraction * 100:3.0f}%"


def summary_rows(result: RunResult, limit: int = SHOWN_ROWS) -> list[NodeRecord]:
    """Every node when few; else the failed ones and the slowest, in run order."""
    records = list(result.records.values())
    if len(records) <= limit:
        return records
    ranked = sorted(records, key=lambda r: (r.status in ("done", "cached"), -r.seconds))[:limit]
    keep = {r.node_id for r in ranked}
    return [r for r in records if r.node_id in keep]


def summary_table(result: RunResult) -> Table:
    from rich.table import Table

    rows = summary_rows(result)
    hidden = len(result.records) - len(rows)
    table = Table(title=f"run finished in {result.seconds:.2f}s",
                  caption=f"{hidden} more nodes not shown ({_tally(result)})" if hidden else None)
    for col, justify in (("node", "left"), ("type", "left"), ("status", "left"), ("time", "right"),
                         ("cached", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for rec in rows:
        style = STATUS_STYLE.get(rec.status, "")
        table.add_row(rec.node_id, rec.node_type, f"[{style}]{rec.status}[/]",
                      f"{rec.seconds * 1000:.1f} ms" if rec.status == "done" else "",
                      "yes" if rec.status == "cached" else "no")
    return table


def _tally(result: RunResult) -> str:
    counts: dict[str, int] = {}
    for rec in result.records.values():
        counts[rec.status] = counts.get(rec.status, 0) + 1
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


# ----------------------------------------------------------------------------------- commands


def _print_problems(console: Console, problems: Sequence[Problem], source: str) -> None:
    console.print(f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}", style="bold red",
                  markup=False, soft_wrap=True)
    for p in problems:
        console.print(f"  • {p}", markup=False, soft_wrap=True)


def parse_set(items: Sequence[str]) -> list[tuple[str, str, Any]]:
    """NODE.PARAM=VALUE items; VALUE is JSON when it parses as JSON, else text."""
    out = []
    for item in items:
        target, sep, raw = item.partition("=")
        node, dot, param = target.rpartition(".")
        if not sep or not dot or not node or not param:
            raise ValueError(f"--set {item!r}: expected NODE.PARAM=VALUE")
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        out.append((node, param, value))
    return out


def apply_sets(workflow: Workflow, sets: Sequence[tuple[str, str, Any]]) -> list[Problem]:
    problems = []
    for node_id, param, value in sets:
        ref = workflow.node(node_id)
        if ref is None:
            problems.append(Problem("unknown_node", f"--set names node '{node_id}', which is not in the workflow",
                                    node=node_id, fix="check the node id with `oyster validate`"))
            continue
        ref.params[param] = value
    return problems


def _read_workflow(args: argparse.Namespace) -> tuple[Workflow, str]:
    """The workflow to run: a workflow file, or the one embedded in an exported file (--from)."""
    if args.from_file:
        from .io.provenance import read_workflow

        return read_workflow(args.from_file), args.from_file
    if not args.workflow:
        raise ValueError("give a workflow file, or --from an image, video or GLB this tool exported")
    return load(args.workflow), args.workflow


def _write_manifest(result: RunResult, graph: Any, out_dir: Path, console: Console) -> None:
    from .io.files import write_manifest
    from .types import Files

    files = [v for node_id, outs in result.outputs.items() if graph.nodes[node_id].cls.writes_files
             for v in outs.values() if isinstance(v, Files)]
    if files:
        path = write_manifest(out_dir, files, graph.workflow)
        console.print(f"manifest: {path}", highlight=False)


def cmd_run(args: argparse.Namespace, console: Console, registry: Registry) -> int:
    from .devices import DeviceError
    from .executor import Executor, RunOptions
    from .graph import build

    source = args.from_file or args.workflow or "workflow"
    try:
        workflow, source = _read_workflow(args)
        sets = parse_set(args.set or [])
    except WorkflowError as exc:
        _print_problems(console, exc.problems, source)
        return EXIT_INVALID
    except (ValueError, OSError) as exc:
        console.print(f"{exc}", style="red", markup=False, soft_wrap=True)
        return EXIT_INVALID
    problems = apply_sets(workflow, sets)
    try:
        graph = build(workflow, registry) if not problems else None
    except WorkflowError as exc:
        problems = exc.problems
    if problems or graph is None:
        _print_problems(console, problems, source)
        return EXIT_INVALID
    executor = Executor(make_cache(args), workers=args.workers)
    display = ProgressDisplay(console, {n: g.cls.type for n, g in graph.nodes.items()})
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        opts = RunOptions(targets=args.output or None, device=args.device, out_dir=Path(args.out),
                          cancel=cancel, hooks=[display])
        Path(args.out).mkdir(parents=True, exist_ok=True)
        result = executor.run(graph, opts)
    except (DeviceError, KeyError) as exc:
        console.print(f"{exc}", style="red", markup=False)
        return EXIT_INVALID
    finally:
        signal.signal(signal.SIGINT, previous)
    console.print(summary_table(result))
    _write_manifest(result, graph, Path(args.out), console)
    _print_outcome(console, result, debug=args.debug)
    return EXIT_OK if result.ok else EXIT_FAILED


def cmd_batch(args: argparse.Namespace, console: Console, registry: Registry) -> int:
    """A workflow's variants, validated all at once, run one after another on one executor and cache."""
    from rich.table import Table

    from . import batch
    from .executor import Executor, RunOptions

    try:
        workflow = load(args.workflow)
        axes = [batch.parse_sweep(s) for s in args.sweep or []]
        if args.table:
            axes.append(batch.read_table(args.table))
        variants = batch.expand(axes, mode=args.combine)
    except WorkflowError as exc:
        _print_problems(console, exc.problems, args.workflow)
        return EXIT_INVALID
    except (ValueError, OSError) as exc:
        console.print(f"{exc}", style="red", markup=False, soft_wrap=True)
        return EXIT_INVALID
    if args.submit and args.ray:
        console.print("--submit and --ray: choose one (the workspace's store, or the Ray cluster)", style="red",
                      markup=False)
        return EXIT_INVALID
    if not args.out:
        from .jobs.batches import default_folder

        args.out = default_folder(workflow.metadata.name) if args.submit else "out"
    if args.submit and (Path(args.out).is_absolute() or ".." in Path(args.out).parts):
        console.print(f"--out {args.out}: with --submit, give a folder inside the workspace's output folder "
                      "(e.g. --out batch/seeds)", style="red", markup=False)
        return EXIT_INVALID
    planned = batch.plan(workflow, variants, registry, prefix=args.out if args.submit else "")
    if planned.problems:
        _print_problems(console, planned.problems, args.workflow)
        return EXIT_INVALID
    if args.submit:
        return _submit_batch(args, console, workflow, planned)
    if args.ray:
        from .cluster.batch_cli import run_batch

        return run_batch(args, console, planned.variants)
    out = Path(args.out)
    console.print(f"batch: {len(variants)} variant(s) of {args.workflow} into {out}/", highlight=False)
    executor = Executor(make_cache(args), workers=args.workers)
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())

    def options(v: batch.Variant, folder: Path) -> RunOptions:
        display = ProgressDisplay(console, {n: g.cls.type for n, g in v.graph.nodes.items()})
        return RunOptions(device=args.device, out_dir=folder, cancel=cancel, hooks=[display])

    def done(job: batch.JobResult, k: int, n: int) -> None:
        state = "ok" if job.ok else "FAILED"
        console.print(f"[{k}/{n}] {state} variant {job.variant.index + 1} ({job.variant.label}): "
                      f"{job.executed} run, {job.cached} cached, {job.seconds:.2f} s, {len(job.files)} file(s)",
                      highlight=False, markup=False)
        for err in job.errors:
            console.print(f"  {err}", style="red", markup=False, soft_wrap=True)

    try:
        results = batch.run(planned, executor, out, make_options=options, on_done=done, cancelled=cancel.is_set)
    finally:
        signal.signal(signal.SIGINT, previous)
    table = Table(title=f"batch: {sum(r.ok for r in results)} of {len(variants)} variants done")
    for col in ("#", "variant", "status", "run", "cached", "time", "outputs"):
        table.add_column(col)
    for r in results:
        table.add_row(str(r.variant.index + 1), r.variant.label, "ok" if r.ok else "failed", str(r.executed),
                      str(r.cached), f"{r.seconds:.2f} s", "\n".join(r.files) or "-")
    console.print(table)
    ok = len(results) == len(variants) and all(r.ok for r in results)
    return EXIT_OK if ok else EXIT_FAILED


def _submit_batch(args: argparse.Namespace, console: Console, workflow: Workflow, planned: Any) -> int:
    """Every variant as a job in the workspace's store (a worker or `oyster serve` runs them); --wait follows."""
    from .jobs import JobStore
    from .jobs.batches import batch_id, submit_variants
    from .jobs.worker import outputs_path, store_path

    store = JobStore(store_path(Path(args.workspace)))
    variants = [(v.index, v.label, v.workflow.to_json()) for v in planned.variants]
    bid = args.batch_id or batch_id(workflow.to_json(), [v.label for v in planned.variants], args.out)
    submitted = submit_variants(store, batch=bid, name=workflow.metadata.name, variants=variants)
    added = sum(s.added for s in submitted)
    console.print(f"batch {bid}: {added} job(s) submitted, {len(submitted) - added} already in the store; outputs "
                  f"in {outputs_path(Path(args.workspace)) / args.out}/", highlight=False, markup=False)
    if not args.wait:
        console.print(f"run them with `oyster worker --workspace {args.workspace}` (or `oyster serve`)",
                      highlight=False, markup=False)
        return EXIT_OK
    return _follow_batch(console, store, bid, submitted)


def _follow_batch(console: Console, store: Any, bid: str, submitted: list[Any]) -> int:
    from rich.table import Table

    from .jobs import FINISHED

    reported: set[str] = set()
    records: dict[str, Any] = {}
    while len(reported) < len(submitted):
        for s in submitted:
            record = store.get(s.record.id)
            records[s.record.id] = record
            if record is not None and record.state in FINISHED and s.record.id not in reported:
                reported.add(s.record.id)
                console.print(f"[{len(reported)}/{len(submitted)}] {record.state} variant {s.index + 1} ({s.label}): "
                              f"{record.message}", highlight=False, markup=False)
        time.sleep(0.3)
    table = Table(title=f"batch {bid}: {sum(r.state == 'done' for r in records.values())} of {len(submitted)} done")
    for col in ("#", "variant", "job", "status", "outputs"):
        table.add_column(col)
    for s in submitted:
        r = records[s.record.id]
        table.add_row(str(s.index + 1), s.label, r.id, str(r.state), "\n".join(r.outputs) or "-")
    console.print(table)
    return EXIT_OK if all(r.state == "done" for r in records.values()) else EXIT_FAILED


def cmd_worker(args: argparse.Namespace, console: Console, registry: Registry | None) -> int:
    from .jobs.store import StoreError
    from .jobs.worker import WorkerOptions, run_worker

    options = WorkerOptions(workspace=Path(args.workspace), cache_dir=args.cache_dir,
                            out_dir=Path(args.out) if args.out else None, concurrency=args.concurrency,
                            device=args.device, packs=tuple(args.packs), node_workers=args.workers,
                            lease_s=args.lease_s, interrupted=args.interrupted, drain=args.drain,
                            ray=args.ray, frames_per_task=args.frames_per_task)
    try:
        run_worker(options)
    except (ValueError, StoreError, RegistryError) as exc:
        console.print(f"{exc}", style="bold red", markup=False)
        return EXIT_INVALID
    return EXIT_OK


def _cmd_schedule(args: argparse.Namespace, console: Console, registry: Registry | None) -> int:
    from .jobs.schedule_cli import cmd_schedule

    return cmd_schedule(args, console, registry)


def _print_outcome(console: Console, result: RunResult, *, debug: bool) -> None:
    stats = result.stats
    console.print(f"cache: {stats.memory_hits} memory hits, {stats.disk_hits} disk hits, {stats.misses} misses, "
                  f"{stats.corrupt} corrupt entries recomputed")
    _print_warnings(console, result)
    bugs = 0
    for err in result.errors:
        expected = is_user_error(err)
        bugs += not expected
        print_node_error(console, err, expected=expected, debug=debug)
    if bugs and not debug:
        console.print("run again with --debug to see the traceback", style="dim", markup=False)
    if result.cancelled:
        console.print("[magenta]cancelled[/]")


def _print_warnings(console: Console, result: RunResult) -> None:
    """Warnings of the nodes that ran (at most SHOWN_ROWS), and one line for the nodes a failure kept from running."""
    shown = left = 0
    for rec in result.records.values():
        if rec.status in ("skipped", "cancelled"):
            continue
        for warning in rec.warnings:
            if shown == SHOWN_ROWS:
                left += 1
                continue
            shown += 1
            console.print(f"[yellow]warning[/] node '{rec.node_id}': {warning}", markup=True, highlight=False)
    if left:
        console.print(f"[yellow]warning[/] {left} more warnings not shown", markup=True, highlight=False)
    skipped = [n for n, rec in result.records.items() if rec.status == "skipped"]
    if skipped:
        named = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        console.print(f"[yellow]warning[/] {len(skipped)} node{'s' if len(skipped) != 1 else ''} not run because "
                      f"an upstream node did not finish: {named}", markup=True, highlight=False)


def print_node_error(console: Console, err: NodeError, *, expected: bool, debug: bool) -> None:
    """One message for a mistake in the input; inputs and (with --debug) the traceback for a bug."""
    message = _without_type(err.message) if expected else err.message
    console.print(f"[bold red]error[/] node '{err.node_id}' ({err.node_type}) failed: ", end="", highlight=False)
    console.print(message, markup=False, highlight=False)
    if not expected or debug:
        for name, value in err.inputs.items():
            console.print(f"    {name} = {value}", markup=False, highlight=False)
    if debug and err.traceback:
        console.print(err.traceback.rstrip(), markup=False, highlight=False, style="dim")


def is_user_error(err: NodeError) -> bool:
    """Whether a node failed on a mistake in its input (ValueError, OSError and their kinds) rather than a bug.

    The executor records the exception as text; its class is the one named on the traceback's last line.
    """
    cls = exception_class(err.traceback)
    return cls is not None and issubclass(cls, USER_ERRORS)


def exception_class(traceback_text: str) -> type[BaseException] | None:
    lines = [line for line in traceback_text.strip().splitlines() if line and not line.startswith(" ")]
    if not lines:
        return None
    qualified = lines[-1].split(":", 1)[0].strip()
    module_name, _, name = qualified.rpartition(".")
    if not name.isidentifier():
        return None
    module = sys.modules.get(module_name or "builtins")
    cls = getattr(module, name, None) if module is not None else None
    return cls if isinstance(cls, type) and issubclass(cls, BaseException) else None


def _without_type(message: str) -> str:
    """'MeshImportError: product.glb: no such file' -> 'product.glb: no such file'."""
    head, sep, rest = message.partition(": ")
    return rest if sep and head.isidentifier() else message


def cmd_validate(args: argparse.Namespace, console: Console, registry: Registry) -> int:
    from .graph import validate

    report: dict[str, list[dict[str, Any]]] = {}
    for path in args.files:
        try:
            problems = validate(load(path), registry)
        except WorkflowError as exc:
            problems = exc.problems
        report[path] = [p.to_dict() for p in problems]
        if not args.json:
            if problems:
                _print_problems(console, problems, path)
            else:
                console.print(f"[green]{path}: valid[/]")
    if args.json:
        print(json.dumps(report, indent=2))
    return EXIT_INVALID if any(report.values()) else EXIT_OK


def cmd_nodes(args: argparse.Namespace, console: Console, registry: Registry) -> int:
    described = registry.describe()
    if args.json:
        packs = {name: {"version": p.version, "source": p.source} for name, p in registry.packs.items()}
        print(json.dumps({"packs": packs, "nodes": described}, indent=2))
        return EXIT_OK
    for d in described:
        console.print(f"[bold]{d['type']}[/] — {d['title']} [dim]({d['category']}, pack {d['pack']}, "
                      f"v{d['version']})[/]", highlight=False)
        if d["description"]:
            console.print(f"    {d['description']}", markup=False, highlight=False)
        for p in d["inputs"]:
            opt = " (optional)" if p["optional"] else ""
            console.print(f"    in  {p['name']}: {p['type']}{opt}", markup=False, highlight=False)
        for p in d["outputs"]:
            console.print(f"    out {p['name']}: {p['type']}", markup=False, highlight=False)
        for p in d["params"]:
            bounds = _bounds(p)
            console.print(f"    param {p['name']}: {p['type']} = {p['default']!r}{bounds}"
                          f"{' — ' + p['description'] if p['description'] else ''}", markup=False, highlight=False)
    return EXIT_OK


def _bounds(p: dict[str, Any]) -> str:
    if p["choices"]:
        return f" one of {p['choices']}"
    if p["min"] is not None or p["max"] is not None:
        return f" [{p['min']}, {p['max']}]"
    return ""


def cmd_schema(args: argparse.Namespace, console: Console, registry: Registry | None) -> int:
    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_cache(args: argparse.Namespace, console: Console, registry: Registry | None) -> int:
    from .cache import DiskCache

    disk = DiskCache(args.cache_dir, max_bytes=int(args.disk_cache_gb * 2**30))
    if args.clear:
        disk.clear()
    temp = disk.temp_files()
    info = {"path": str(disk.root), "entries": disk.count(), "bytes": disk.size_bytes(), "limit_bytes": disk.max_bytes,
            "temp_removed": disk.temp_removed[0], "temp_removed_bytes": disk.temp_removed[1],
            "temp_files": len(temp), "temp_bytes": sum(size for _, size in temp)}
    print(json.dumps(info, indent=2))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, console: Console, registry: Registry | None) -> int:
    from .server import ServeOptions
    from .server.options import OptionsError

    options = ServeOptions(host=args.host, port=args.port, token=args.token or os.environ.get("OYSTER_TOKEN"),
                           workspace=Path(args.workspace), templates=Path(args.templates),
                           out_dir=Path(args.out) if args.out else None, cache_dir=args.cache_dir,
                           workers=args.workers, device=args.device, packs=tuple(args.packs),
                           open_workflow=None if args.blank else Path(args.open),
                           allowed_hosts=tuple(args.allow_host), interrupted=args.interrupted)
    try:
        options.checked()
        from .server.app import serve
        from .server.editor import FrontendMissing

        serve(options)
    except (OptionsError, RegistryError) as exc:
        console.print(f"[bold red]{exc}[/]", highlight=False)
        return EXIT_INVALID
    except FrontendMissing as exc:
        console.print(f"[bold red]{exc}[/]", highlight=False)
        return EXIT_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------------------- parser


#: commands whose options come from modules `oyster run` never needs (the job store, APScheduler, Ray, the server),
#: with their help; a lean parser (see main) gives them no options, so parsing `oyster run` imports none of them
LATE_COMMANDS = {
    "batch": "run a workflow's variants: parameter sweeps and tables, sharing cached work",
    "serve": "start the browser node editor",
    "schedule": "cron schedules that queue a saved workflow as jobs",
}


def build_parser(*, lean: bool = False) -> argparse.ArgumentParser:
    """The command line; `lean` leaves out the options of LATE_COMMANDS (their names and help stay)."""
    parser = argparse.ArgumentParser(prog="oyster", description="Oyster Nodes: an open world-model studio.")
    parser.add_argument("--version", action="version", version=f"oyster-nodes {__version__}")
    parser.add_argument("--packs", action="append", default=[], metavar="DIR",
                        help="also load node packs from this folder (repeatable; see OYSTER_NODE_PATH)")
    _debug_arg(parser, default=False)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a workflow")
    run.add_argument("workflow", nargs="?", help="workflow JSON file")
    run.add_argument("--from", dest="from_file", metavar="FILE",
                     help="run the workflow embedded in a PNG, MP4, MOV, EXR, GLB or PLY this tool exported")
    run.add_argument("--set", action="append", metavar="NODE.PARAM=VALUE", help="override a parameter")
    run.add_argument("--out", default="out", help="output folder (default: ./out)")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    run.add_argument("--output", action="append", metavar="NODE", help="only compute what this node needs")
    run.add_argument("--workers", type=int, default=2, help="nodes run at once on independent branches")
    _cache_args(run)
    run.add_argument("--no-disk-cache", action="store_true", help="keep results in memory only")
    run.add_argument("--memory-cache-gb", type=float, default=4.0)
    _debug_arg(run)

    if lean:
        sub.add_parser("batch", help=LATE_COMMANDS["batch"], add_help=False)
    else:
        _add_batch(sub)
    _add_worker(sub)
    _add_checks(sub)
    if lean:
        sub.add_parser("serve", help=LATE_COMMANDS["serve"], add_help=False)
        sub.add_parser("schedule", help=LATE_COMMANDS["schedule"], add_help=False)
    else:
        _add_serve(sub)
        from .jobs.schedule_cli import add_parser as add_schedule_parser

        add_schedule_parser(sub, help=LATE_COMMANDS["schedule"])
    return parser


def _add_batch(sub: Any) -> None:
    bat = sub.add_parser("batch", help=LATE_COMMANDS["batch"])
    bat.add_argument("workflow", help="workflow JSON file")
    bat.add_argument("--sweep", action="append", metavar="NODE.PARAM=V1,V2|A..B",
                     help="values of one parameter (repeatable); A..B[:STEP] for integer ranges")
    bat.add_argument("--table", metavar="CSV", help="a CSV of variants: a header of NODE.PARAM columns, a row each")
    bat.add_argument("--combine", choices=("cartesian", "zip"), default="cartesian",
                     help="every combination of the sweeps (default), or their k-th values together")
    bat.add_argument("--out", help="output folder (default: ./out; with --submit: batch/<workflow name> inside the "
                     "workspace's output folder, as from the editor); each variant writes into OUT/<nnn>-<label>/")
    bat.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    bat.add_argument("--workers", type=int, default=2, help="nodes run at once on independent branches")
    _cache_args(bat)
    bat.add_argument("--no-disk-cache", action="store_true", help="keep results in memory only")
    bat.add_argument("--memory-cache-gb", type=float, default=4.0)
    bat.add_argument("--submit", action="store_true",
                     help="submit the variants as jobs into the workspace's store (they survive crashes; a worker "
                     "or `oyster serve` runs them) instead of running them here")
    bat.add_argument("--workspace", default=".", help="with --submit: the workspace whose store takes the jobs")
    bat.add_argument("--wait", action="store_true", help="with --submit: follow the jobs until all have finished")
    bat.add_argument("--batch-id", help="with --submit: the batch's id (default: made from the workflow, the "
                     "variants and --out, so submitting the same batch again adds only what is missing)")
    from .cluster.batch_cli import add_arguments as add_ray_arguments

    add_ray_arguments(bat)
    _debug_arg(bat)


def _add_worker(sub: Any) -> None:
    work = sub.add_parser("worker", help="run jobs from a workspace's store, headless (beside or instead of serve)")
    work.add_argument("--workspace", default=".", help="the workspace whose store and output folder to use")
    work.add_argument("--concurrency", type=int, default=1, help="jobs run at once (default: 1)")
    work.add_argument("--out", help="output folder (default: WORKSPACE/out)")
    work.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    work.add_argument("--workers", type=int, default=2, help="nodes run at once on independent branches")
    work.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="disk cache folder (share it "
                      "with the other workers and the server, so a resumed job takes world states from it)")
    work.add_argument("--lease-s", type=float, default=30.0, help="a run's lease; another runner takes the job "
                      "over when its runner stops renewing it for this long")
    work.add_argument("--interrupted", choices=("requeue", "fail"), default="requeue",
                      help="a job whose runner died: queue it again (up to 3 attempts) or fail it")
    work.add_argument("--drain", action="store_true", help="exit once nothing is queued or running")
    work.add_argument("--ray", metavar="ADDRESS", help="run each leased job on a Ray cluster (its dashboard "
                      "address, default port 8265), shots split into frame ranges over the nodes; --out and "
                      "--cache-dir must be folders every node mounts at the same path")
    work.add_argument("--frames-per-task", type=int, default=24, metavar="N",
                      help="with --ray: a shot is rendered in ranges of N frames (default 24)")
    _debug_arg(work)


def _add_checks(sub: Any) -> None:
    val = sub.add_parser("validate", help="check workflow files without running them")
    val.add_argument("files", nargs="+")
    val.add_argument("--json", action="store_true", help="print problems as JSON")

    nodes = sub.add_parser("nodes", help="list every node type with its ports, params and docs")
    nodes.add_argument("--json", action="store_true")

    schema = sub.add_parser("schema", help="print the JSON Schema of the workflow format")

    cache = sub.add_parser("cache", help="show or clear the disk cache")
    _cache_args(cache)
    cache.add_argument("--clear", action="store_true")
    for command in (val, nodes, schema, cache):
        _debug_arg(command)


def _add_serve(sub: Any) -> None:
    from .server.options import DEFAULT_WORKFLOW, TEMPLATES

    serve = sub.add_parser("serve", help=LATE_COMMANDS["serve"])
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8420)
    serve.add_argument("--open", default=str(DEFAULT_WORKFLOW), metavar="WORKFLOW",
                       help="workflow a new tab opens with (default: the forest-at-dawn example)")
    serve.add_argument("--blank", action="store_true", help="new tabs open an empty graph")
    serve.add_argument("--token", help="access token, required for any non-local --host ('auto' makes one; "
                       "default: $OYSTER_TOKEN)")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="also answer requests for this host name (repeatable); loopback names always work")
    serve.add_argument("--interrupted", choices=("requeue", "fail"), default="requeue",
                       help="a job running when the server died: queue it again (up to 3 attempts) or fail it")
    serve.add_argument("--workspace", default=".", help="folder for saved workflows, autosaves and outputs")
    serve.add_argument("--templates", default=str(TEMPLATES), help="template gallery folder")
    serve.add_argument("--out", help="output folder (default: WORKSPACE/out)")
    serve.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    serve.add_argument("--workers", type=int, default=2, help="nodes run at once on independent branches")
    serve.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="disk cache folder")
    _debug_arg(serve)


def _debug_arg(p: argparse.ArgumentParser, default: Any = argparse.SUPPRESS) -> None:
    """--debug before or after the command; a subcommand leaves the value the main parser set."""
    p.add_argument("--debug", action="store_true", default=default,
                   help="print tracebacks of failures (for reporting a bug)")


def _cache_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", type=Path, default=default_cache_dir(), help="disk cache folder")
    p.add_argument("--disk-cache-gb", type=float, default=20.0, help="disk cache size limit")


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "nodes": cmd_nodes, "schema": cmd_schema,
            "cache": cmd_cache, "serve": cmd_serve, "batch": cmd_batch, "worker": cmd_worker,
            "schedule": _cmd_schedule}
NEEDS_REGISTRY = {"run", "validate", "nodes", "batch"}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The lean parser's reading when it knows the command and every option; else the full parser's (help, errors
    and the late commands read the same as ever)."""
    args, rest = build_parser(lean=True).parse_known_args(argv)
    if rest or args.command in LATE_COMMANDS:
        return build_parser().parse_args(argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(soft_wrap=True, stderr=args.command in ("schema", "cache") or getattr(args, "json", False),
                      highlight=False)
    try:
        return _dispatch(args, console)
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        console.print("interrupted", style="magenta")
        return EXIT_FAILED
    except Exception as exc:
        if args.debug:
            raise
        console.print(f"internal error: {type(exc).__name__}: {exc}", style="bold red", markup=False)
        console.print("run again with --debug to see the traceback", style="dim", markup=False)
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    registry = None
    if args.command in NEEDS_REGISTRY:
        try:
            registry = load_registry(folders=args.packs)
        except RegistryError as exc:
            return _registry_error(console, exc, debug=args.debug)
    try:
        return COMMANDS[args.command](args, console, registry)  # type: ignore[arg-type]
    except RegistryError as exc:  # a listed node family that fails to import when first used
        return _registry_error(console, exc, debug=args.debug)


def _registry_error(console: Console, exc: RegistryError, *, debug: bool) -> int:
    console.print(f"{exc}", style="bold red", markup=False)
    if exc.detail and debug:
        console.print(exc.detail, markup=False, style="dim")
    elif exc.detail:
        console.print("run again with --debug to see the traceback", style="dim", markup=False)
    return EXIT_INVALID


def _closed_pipe() -> int:
    """The reader went away (`oyster schema | head`): stop quietly, as other command-line tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass  # not a real file (tests capture output)
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
