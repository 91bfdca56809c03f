"""`oyster schedule add|list|remove|run-now|serve`: cron schedules on saved workflows, kept in the workspace's
job store (WORKSPACE/.oyster/jobs.sqlite). The editor server runs the scheduler loop; `serve` runs it alone,
for machines where `oyster worker` (or a server elsewhere) runs the jobs it enqueues."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from .schedules import GRACE_S, MissedPolicy, Schedule, ScheduleError, ScheduleLoop, Schedules, zone
from .store import JobStore, StoreError

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def add_parser(sub: Any, *, help: str) -> argparse.ArgumentParser:
    p = sub.add_parser("schedule", help=help)
    p.add_argument("--workspace", default=".", help="workspace whose job store holds the schedules (default: .)")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="schedule a saved workflow (validated now; re-add to pick up edits)")
    add.add_argument("name")
    add.add_argument("workflow", help="workflow JSON file")
    add.add_argument("--cron", required=True, help="five fields: 'minute hour day month weekday' ('0 2 * * *')")
    add.add_argument("--tz", default="UTC", help="IANA time zone of the cron times (default: UTC)")
    add.add_argument("--missed", choices=[str(m) for m in MissedPolicy], default="skip",
                     help=f"fires missed by more than {GRACE_S:g} s (downtime): skip them (default), run once, "
                     "or catch up the latest N")
    add.add_argument("--catch-up", type=int, default=0, metavar="N", help="with --missed catch-up: how many")
    listing = actions.add_parser("list", help="schedules with their time zone, policy and next fire")
    listing.add_argument("--json", action="store_true")
    remove = actions.add_parser("remove", help="delete a schedule (its queued jobs stay queued)")
    remove.add_argument("name")
    now = actions.add_parser("run-now", help="queue the schedule's workflow at once")
    now.add_argument("name")
    serve = actions.add_parser("serve", help="run the scheduler loop alone (it only queues jobs)")
    for action in (p, add, listing, remove, now, serve):
        action.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    for action in (add, listing, remove, now, serve):
        action.add_argument("--workspace", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def cmd_schedule(args: argparse.Namespace, console: Console, registry: Any) -> int:
    try:
        schedules = Schedules(JobStore(Path(args.workspace) / ".oyster" / "jobs.sqlite"))
        return ACTIONS[args.action](args, console, schedules)
    except (ScheduleError, StoreError) as exc:
        console.print(str(exc), style="red", markup=False, soft_wrap=True)
        return EXIT_INVALID


def _add(args: argparse.Namespace, console: Console, schedules: Schedules) -> int:
    from ..graph import build
    from ..registry import load_registry
    from ..workflow import WorkflowError, load

    try:
        workflow = load(args.workflow)
        build(workflow, load_registry(folders=getattr(args, "packs", [])))
    except WorkflowError as exc:
        console.print(f"{args.workflow}: {len(exc.problems)} problem(s)", style="bold red", markup=False)
        for problem in exc.problems:
            console.print(f"  • {problem}", markup=False, soft_wrap=True)
        return EXIT_INVALID
    except OSError as exc:
        console.print(f"{args.workflow}: {exc}", style="red", markup=False)
        return EXIT_INVALID
    schedule = schedules.add(name=args.name, workflow=workflow.to_json(), cron=args.cron, timezone=args.tz,
                             policy=args.missed, catch_up=args.catch_up, source=str(Path(args.workflow).resolve()))
    row = _row(schedule, schedules.clock())
    console.print(f"schedule {schedule.name!r}: {row['cron']} ({row['timezone']}), missed fires: {row['missed']}; "
                  f"next {row['next_fire']}", markup=False, highlight=False)
    return EXIT_OK


def _list(args: argparse.Namespace, console: Console, schedules: Schedules) -> int:
    now = schedules.clock()
    rows = [_row(s, now) for s in schedules.list()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    console.print(f"{len(rows)} schedule(s) in {schedules.store.path}", markup=False, highlight=False)
    for r in rows:
        console.print(f"{r['name']}: '{r['cron']}' in {r['timezone']}, missed fires: {r['missed']}, "
                      f"last fire {r['last_fire'] or '-'}, next fire {r['next_fire'] or 'never'} — {r['source']}",
                      markup=False, highlight=False, soft_wrap=True)
    return EXIT_OK


def _remove(args: argparse.Namespace, console: Console, schedules: Schedules) -> int:
    schedules.remove(args.name)
    console.print(f"removed schedule {args.name!r}", markup=False)
    return EXIT_OK


def _run_now(args: argparse.Namespace, console: Console, schedules: Schedules) -> int:
    job_id = schedules.run_now(args.name)
    console.print(f"queued job {job_id} from schedule {args.name!r}", markup=False, highlight=False)
    return EXIT_OK


def _serve(args: argparse.Namespace, console: Console, schedules: Schedules) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    loop = ScheduleLoop(schedules, on_error=lambda exc: console.print(f"scheduler: {exc}", style="red",
                                                                         markup=False)).start()
    console.print(f"scheduler: {len(schedules.list())} schedule(s) in {schedules.store.path}; queueing only",
                  markup=False, highlight=False)
    stop.wait()
    loop.stop()
    return EXIT_OK


def _row(s: Schedule, now: float) -> dict[str, Any]:
    tz = zone(s.timezone)
    nxt = s.next_fire(now)

    def show(t: float | None) -> str | None:
        return datetime.fromtimestamp(t, tz).isoformat(timespec="seconds") if t is not None else None

    return {"name": s.name, "cron": s.cron, "timezone": s.timezone, "missed": s.policy_text(),
            "last_fire": show(s.last_fire), "next_fire": show(nxt), "source": s.source, "id": s.id}


ACTIONS = {"add": _add, "list": _list, "remove": _remove, "run-now": _run_now, "serve": _serve}
