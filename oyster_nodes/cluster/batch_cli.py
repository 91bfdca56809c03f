"""`oyster batch ... --ray ADDRESS`: a batch's variants submitted as jobs to a Ray cluster, their shots split into
frame ranges over the nodes; the output and cache folders must be on storage every node mounts at the same
path. Running the same command again attaches to the jobs already submitted (their keys are Ray submission ids,
which Ray refuses twice) instead of running them again."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from .ray_jobs import (
    FRAMES_PER_TASK,
    ClusterError,
    JobSpec,
    ShotProgress,
    Submitted,
    client,
    result,
    submit,
    wait,
)

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ray", metavar="ADDRESS", help="run the variants on a Ray cluster: its dashboard address "
                   "(`ray start --head` prints it; default port 8265); --out and --cache-dir must be shared folders")
    p.add_argument("--frames-per-task", type=int, default=FRAMES_PER_TASK, metavar="N",
                   help=f"with --ray: a shot is rendered in ranges of N frames, spread over the nodes "
                   f"(default {FRAMES_PER_TASK})")


def run_batch(args: argparse.Namespace, console: Console, variants: list[Any]) -> int:
    """Submit every planned variant, wait for all, print what each wrote."""
    if args.frames_per_task < 1:
        console.print(f"--frames-per-task {args.frames_per_task}: give 1 or more", style="red", markup=False)
        return EXIT_INVALID
    out, cache = Path(args.out).resolve(), Path(args.cache_dir).resolve()
    try:
        jobs = client(args.ray)
        submitted = [submit(jobs, _spec(v, out, cache, args)) for v in variants]
    except ClusterError as exc:
        console.print(str(exc), style="red", markup=False, soft_wrap=True)
        return EXIT_INVALID
    labels = {s.key: f"variant {v.index + 1} ({v.label})" for s, v in zip(submitted, variants, strict=True)}
    for s in submitted:
        what = "already submitted: attached to it, not run again" if s.refused else "submitted"
        console.print(f"{labels[s.key]}: Ray job {s.key} {what}", markup=False, highlight=False)
    status = wait(jobs, submitted, on_change=lambda s, now: console.print(
        f"  {labels[s.key]}: {now.lower()}", markup=False, highlight=False),
        on_progress=_progress_printer(console, labels))
    return _summary(console, submitted, status, labels)


def _progress_printer(console: Console, labels: dict[str, str]) -> Any:
    """Prints a job's shot progress each time it passes another quarter (and at its end)."""
    shown: dict[tuple[str, str], int] = {}

    def show(s: Submitted, node: str, tally: ShotProgress) -> None:
        quarter = int(tally.fraction(node) * 4)
        if quarter > shown.get((s.key, node), 0):
            shown[(s.key, node)] = quarter
            console.print(f"  {labels[s.key]}: {node} {tally.fraction(node):.0%} ({tally.message(node)})",
                          markup=False, highlight=False)

    return show


def _spec(variant: Any, out: Path, cache: Path, args: argparse.Namespace) -> JobSpec:
    return JobSpec(workflow=variant.workflow.to_json(), out_dir=str(out), cache_dir=str(cache),
                   name=f"{variant.workflow.metadata.name} {variant.label}", frames_per_task=args.frames_per_task,
                   device=args.device, packs=[str(Path(p).resolve()) for p in getattr(args, "packs", [])])


def _summary(console: Console, submitted: list[Submitted], status: dict[str, str], labels: dict[str, str]) -> int:
    ok = 0
    for s in submitted:
        done = result(s.spec) or {}
        good = status[s.key] == "SUCCEEDED" and done.get("ok", False)
        ok += good
        files = ", ".join(done.get("outputs", [])) or "-"
        console.print(f"{labels[s.key]}: {'ok' if good else 'FAILED'} ({status[s.key].lower()}, "
                      f"{done.get('ranges', 0)} frame ranges, {done.get('seconds', 0):.1f} s): {files}",
                      markup=False, highlight=False, soft_wrap=True)
        for err in done.get("errors", []):
            console.print(f"  {err}", style="red", markup=False, soft_wrap=True)
    console.print(f"batch on Ray: {ok} of {len(submitted)} jobs done", markup=False)
    return EXIT_OK if ok == len(submitted) else EXIT_FAILED
