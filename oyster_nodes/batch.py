"""Batches: one saved workflow expanded into variants by parameter sweeps and tables, validated at once, run on one
executor so that work they share (a world every camera looks at) is computed once.

A sweep is `NODE.PARAM=V1,V2,...` (each value JSON when it parses, else text; a JSON list `[[1,2],[3,4]]` gives
list values), `NODE.PARAM=A..B` (integers A to B inclusive) or `NODE.PARAM=A..B:STEP`. A table is a CSV file whose
header names NODE.PARAM columns and whose rows are variants. Axes combine as a cartesian product (every
combination) or zipped (the k-th value of every axis together; all axes the same length); a table is always one
axis of zipped columns. Each variant writes into its own folder `OUT/<nnn>-<label>`: the paths of its export
nodes get that folder in front, while nodes that read files (a saved world, a mesh) read them from OUT itself.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .graph import build
from .workflow import Problem, Workflow, WorkflowError

MAX_VARIANTS = 10_000
MAX_TABLE_BYTES = 4 << 20
_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)(?::(\d+))?$")

Setting = tuple[str, str, Any]


class BatchError(ValueError):
    """A sweep, table or combination that cannot make variants; the message says which and how to fix it."""


@dataclass(kw_only=True, frozen=True, slots=True)
class Axis:
    """One dimension of a batch: its label and, per value, the parameters it sets."""

    label: str
    values: tuple[tuple[Setting, ...], ...]


@dataclass(kw_only=True, slots=True)
class Variant:
    index: int
    settings: tuple[Setting, ...]
    workflow: Workflow | None = None
    graph: Any = None

    @property
    def label(self) -> str:
        return " ".join(f"{n}.{p}={_show(v)}" for n, p, v in self.settings) or "as saved"

    @property
    def folder(self) -> str:
        """The variant's folder inside the batch's output folder."""
        safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", "_".join(f"{p}={_show(v)}" for _, p, v in self.settings))[:80]
        return f"{self.index + 1:03d}-{safe}" if safe else f"{self.index + 1:03d}"


@dataclass(kw_only=True, slots=True)
class BatchPlan:
    variants: list[Variant]
    problems: list[Problem] = field(default_factory=list)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _target(text: str, what: str) -> tuple[str, str]:
    node, dot, param = text.strip().rpartition(".")
    if not dot or not node or not param:
        raise BatchError(f"{what} {text!r}: name a parameter as NODE.PARAM (e.g. cam.azimuth_deg)")
    return node, param


def _value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_sweep(item: str) -> Axis:
    """An axis from `NODE.PARAM=V1,V2,...`, `NODE.PARAM=A..B[:STEP]` or `NODE.PARAM=[v1, v2, ...]` (JSON)."""
    target, sep, raw = item.partition("=")
    if not sep or not raw.strip():
        raise BatchError(f"--sweep {item!r}: expected NODE.PARAM=V1,V2,... or NODE.PARAM=A..B")
    node, param = _target(target, "--sweep")
    raw = raw.strip()
    match = _RANGE.match(raw)
    if match:
        a, b, step = int(match[1]), int(match[2]), int(match[3] or 1)
        if step < 1 or b < a:
            raise BatchError(f"--sweep {item!r}: a range A..B[:STEP] needs A <= B and a step of 1 or more")
        span = range(a, b + 1, step)
        if len(span) > MAX_VARIANTS:
            raise BatchError(f"--sweep {item!r}: {len(span)} values; the limit is {MAX_VARIANTS}")
        values: list[Any] = list(span)
    elif raw.startswith("["):
        parsed = _value(raw)
        if not isinstance(parsed, list):
            raise BatchError(f"--sweep {item!r}: a value list starting with '[' must be a JSON list")
        values = parsed
    else:
        values = [_value(v.strip()) for v in raw.split(",") if v.strip()]
    if not values:
        raise BatchError(f"--sweep {item!r}: no values")
    if len(values) > MAX_VARIANTS:
        raise BatchError(f"--sweep {item!r}: {len(values)} values; the limit is {MAX_VARIANTS}")
    return Axis(label=f"{node}.{param}", values=tuple(((node, param, v),) for v in values))


def read_table(path: str | Path) -> Axis:
    """An axis from a CSV file: a header of NODE.PARAM columns, one variant per row."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise BatchError(f"{path}: {size} bytes; a variants table is at most {MAX_TABLE_BYTES >> 20} MB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the table ({exc})") from None
    return parse_table(text, name=str(path))


def parse_table(text: str, *, name: str = "table") -> Axis:
    """An axis from CSV text (a file's, or one pasted into the editor's Batch panel)."""
    if len(text.encode("utf-8")) > MAX_TABLE_BYTES:
        raise BatchError(f"{name}: a variants table is at most {MAX_TABLE_BYTES >> 20} MB")
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise BatchError(f"{name}: a table needs a header row of NODE.PARAM columns and at least one row")
    header = [_target(h, f"{name}: column") for h in rows[0]]
    values = []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise BatchError(f"{name} line {n}: {len(row)} cells for {len(header)} columns")
        values.append(tuple((node, param, _value(cell.strip())) for (node, param), cell in zip(header, row,
                                                                                               strict=True)))
    return Axis(label=f"table {Path(name).name}", values=tuple(values))


def expand(axes: Sequence[Axis], *, mode: str = "cartesian") -> list[Variant]:
    """The variants the axes make: every combination (cartesian) or the k-th values together (zip)."""
    if not axes:
        return [Variant(index=0, settings=())]
    if mode == "zip":
        lengths = {a.label: len(a.values) for a in axes}
        if len(set(lengths.values())) > 1:
            raise BatchError("zipped sweeps need the same number of values: " +
                             ", ".join(f"{k} has {v}" for k, v in lengths.items()))
        combos: Any = zip(*(a.values for a in axes), strict=True)
        count = next(iter(lengths.values()))
    elif mode == "cartesian":
        count = 1
        for a in axes:
            count *= len(a.values)
        combos = itertools.product(*(a.values for a in axes))
    else:
        raise BatchError(f"unknown combination {mode!r}: use cartesian or zip")
    if count > MAX_VARIANTS:
        raise BatchError(f"the sweeps make {count} variants; the limit is {MAX_VARIANTS} (zip them, or sweep less)")
    return [Variant(index=k, settings=tuple(s for part in combo for s in part)) for k, combo in enumerate(combos)]


def plan(workflow: Workflow, variants: list[Variant], registry: Any, *, prefix: str = "") -> BatchPlan:
    """Every variant's workflow built and validated before anything runs. A problem is reported once with the
    variants it is found in ("variant 3 (cam.seed=4)", "variants 1, 2", "all 20 variants"). A `prefix` puts the
    variants' folders inside that folder (a batch submitted as jobs writes into PREFIX/<nnn>-<label>/)."""
    found: dict[tuple[str, str | None, str | None, str, str], list[Variant]] = {}
    for v in variants:
        wf = workflow.model_copy(deep=True)
        problems = []
        for node_id, param, value in v.settings:
            ref = wf.node(node_id)
            if ref is None:
                problems.append(Problem("unknown_node", f"the sweep names node '{node_id}', which is not in the "
                                        "workflow", node=node_id, fix="check the node ids with `oyster validate`"))
                continue
            ref.params[param] = value
        into_folder(wf, f"{prefix}/{v.folder}" if prefix else v.folder, registry)
        try:
            graph = build(wf, registry)
        except WorkflowError as exc:
            problems += exc.problems
        else:
            if not problems:
                v.graph, v.workflow = graph, wf
        for p in problems:
            found.setdefault((p.kind, p.node, p.field, p.message, p.fix), []).append(v)
    out = BatchPlan(variants=variants)
    for (kind, node, field_name, message, fix), where in found.items():
        out.problems.append(Problem(kind, f"{_which(where, len(variants))}: {message}", node=node,
                                    field=field_name, fix=fix))
    return out


def into_folder(wf: Workflow, folder: str, registry: Any) -> None:
    """Put `folder` in front of every file path the workflow's export nodes write, in place (a batch's variant
    folder, a job's staging folder); nodes that read files are untouched."""
    from .node import RelPath

    for ref in wf.nodes:
        cls = registry.get(ref.type)
        if cls is None or not cls.writes_files:
            continue
        for p in cls.params:
            if p.type is RelPath:
                ref.params[p.name] = f"{folder}/{ref.params.get(p.name, p.default)}"


def _which(where: list[Variant], total: int) -> str:
    if len(where) == total and total > 1:
        return f"all {total} variants"
    if len(where) == 1:
        return f"variant {where[0].index + 1} ({where[0].label})"
    shown = ", ".join(str(v.index + 1) for v in where[:8])
    return f"variants {shown}{', ...' if len(where) > 8 else ''}"


@dataclass(kw_only=True, slots=True)
class JobResult:
    variant: Variant
    ok: bool
    seconds: float
    executed: int
    cached: int
    files: list[str]
    errors: list[str]


def run(batch: BatchPlan, executor: Any, out_dir: Path, *, make_options: Callable[[Variant, Path], Any],
        on_done: Callable[[JobResult, int, int], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False) -> list[JobResult]:
    """Run the variants one after another on one executor (so its cache serves what they share)."""
    import time

    from .types import Files

    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for k, v in enumerate(batch.variants):
        if cancelled():
            break
        t0 = time.perf_counter()
        result = executor.run(v.graph, make_options(v, out_dir))
        root = out_dir.resolve()
        files = [str(Path(f.root, p).resolve().relative_to(root)) for outs in result.outputs.values()
                 for f in outs.values() if isinstance(f, Files) for p in f.paths]
        statuses = [r.status for r in result.records.values()]
        job = JobResult(variant=v, ok=result.ok, seconds=time.perf_counter() - t0,
                        executed=statuses.count("done"), cached=statuses.count("cached"), files=files,
                        errors=[f"node '{e.node_id}': {e.message}" for e in result.errors])
        results.append(job)
        if on_done is not None:
            on_done(job, k + 1, len(batch.variants))
    return results
