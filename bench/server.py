"""Server figures: jobs kept over kill -9/restart cycles, submit time with 1,000 queued, memory per page visit.

    python bench/server.py [--cycles 20] [--visits 300] [--parts submit,visits,kill]

- jobs_lost_after_kill: over CYCLES rounds, jobs are submitted to a real `oyster serve` (some slow, so one is
  running), the server is killed with SIGKILL at a random moment and restarted on the same workspace; a job
  is lost when an id acknowledged with 201 is not listed after the restart (among the newest 1,000: older
  finished jobs are forgotten by the store's retention, counted as jobs_forgotten_by_retention). At the end every job must finish
  exactly once (one `finished` event each, and never two leases open at once): `jobs_run_twice`.
- submit_ms: validating and durably recording one job (JobQueue.submit, SQLite WAL, synchronous=NORMAL: it
  survives kill -9) into a store already holding 1,000 queued jobs, mean over 200 submits; `submit_fsync_ms`
  the same with every commit flushed to the disk (JobStore(fsync=True)); `submit_http_ms` through the API.
- rss_growth_mb_300_visits: the server's resident memory after VISITS plain `GET /` (once their clients were
  freed) minus before.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from oyster_nodes.server import harness  # noqa: E402

TEMPLATES = REPO / "tests" / "ui" / "templates"
PACKS = REPO / "tests" / "ui" / "packs"
WORKFLOW = json.loads((TEMPLATES / "arithmetic.json").read_text())


def slow(steps: int, tag: int) -> bytes:
    doc = dict(WORKFLOW, metadata={"name": f"slow {tag}"}, links=[], notes=[])
    doc["nodes"] = [{"id": "s", "type": "uitest.slow", "params": {"steps": steps, "delay_s": 0.05}}]
    return json.dumps(doc).encode()


def start(workspace: Path) -> harness.ServerProcess:
    return harness.start_server(workspace, templates=TEMPLATES, packs=[PACKS])


def kill_cycles(cycles: int, rng: random.Random) -> dict[str, Any]:
    """Jobs lost over kill -9/restart cycles. The store keeps the newest KEEP_FINISHED finished jobs and forgets
    older finished ones (its retention policy), so only the newest KEEP_FINISHED acknowledged jobs must all be
    listed: none of them can have been forgotten, and each cycle's jobs in flight are among them at the next start."""
    from oyster_nodes.jobs.store import KEEP_FINISHED

    workspace = Path(tempfile.mkdtemp(prefix="oyster-bench-kill-"))
    acknowledged: list[str] = []
    lost: set[str] = set()
    starts = []
    tag = 0

    def check(server: harness.ServerProcess) -> set[str]:
        listed = {j["id"] for j in server.request("/oyster/api/jobs?limit=100000")[1]}
        lost.update(j for j in acknowledged[-KEEP_FINISHED:] if j not in listed)
        return listed

    for _ in range(cycles):
        t0 = time.perf_counter()
        server = start(workspace)
        starts.append(time.perf_counter() - t0)
        check(server)
        deadline = time.monotonic() + rng.uniform(0.3, 1.2)
        while time.monotonic() < deadline:
            tag += 1
            status, job = server.request("/oyster/api/jobs", method="POST", body=slow(rng.randint(1, 6), tag))
            if status == 201:
                acknowledged.append(job["id"])
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    server = start(workspace)
    try:
        kept = [j for j in acknowledged if j in check(server)]
        unfinished = wait_all(server, kept, timeout_s=600)
        (workspace / "acknowledged.json").write_text(json.dumps(acknowledged))  # for a look afterwards
        logs = {j: server.request(f"/oyster/api/jobs/{j}/events/log") for j in kept}
    finally:
        server.stop()
    unreadable = {j: answer for j, answer in logs.items() if answer[0] != 200 or not isinstance(answer[1], list)}
    for j, answer in list(unreadable.items())[:5]:
        print(f"events of {j}: {answer}", file=sys.stderr)
    twice = sum(1 for j, (_, events) in logs.items() if j not in unreadable and ran_twice(events))
    return {"jobs_acknowledged": len(acknowledged), "jobs_lost_after_kill": len(lost), "jobs_run_twice": twice,
            "jobs_unfinished": unfinished, "jobs_unreadable": len(unreadable),
            "jobs_forgotten_by_retention": len(acknowledged) - len(kept) - len(lost),
            "server_start_s": round(statistics.median(starts), 2)}


def wait_all(server: harness.ServerProcess, ids: list[str], *, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        states = {j["id"]: j["state"] for j in server.request("/oyster/api/jobs?limit=100000")[1]}
        pending = {j for j in pending if states.get(j) not in ("done", "error", "cancelled")}
        time.sleep(0.5)
    return len(pending)


def ran_twice(events: list[dict[str, Any]]) -> bool:
    """More than one finish, or a second lease taken while the first was neither interrupted nor finished."""
    open_leases, finishes = 0, 0
    for e in events:
        if e["kind"] == "leased":
            open_leases += 1
            if open_leases > 1:
                return True
        elif e["kind"] in ("interrupted", "finished"):
            open_leases = 0
            finishes += e["kind"] == "finished"
    return finishes != 1


def submit_times() -> dict[str, float]:
    from oyster_nodes.cache import Cache
    from oyster_nodes.executor import Executor
    from oyster_nodes.jobs import JobStore
    from oyster_nodes.registry import load_registry
    from oyster_nodes.server.jobs import JobQueue
    from oyster_nodes.workflow import parse_data

    folder = Path(tempfile.mkdtemp(prefix="oyster-bench-submit-"))
    registry = load_registry(folders=[str(PACKS)])
    workflow = parse_data(WORKFLOW)
    figures = {}
    for key, fsync in (("submit_ms", False), ("submit_fsync_ms", True)):
        queue = JobQueue(registry=registry, executor=Executor(Cache(memory_bytes=2**26)), run=False,
                         store=JobStore(folder / f"{key}.db", fsync=fsync), out_dir=folder / "out",
                         previews_dir=folder / "previews")
        for _ in range(1000):
            queue.submit(workflow, owner="bench")
        t0 = time.perf_counter()
        for _ in range(200):
            queue.submit(workflow, owner="bench")
        figures[key] = round((time.perf_counter() - t0) / 200 * 1000, 3)
    server = start(folder / "ws")
    try:
        body = slow(1000, 0)
        server.request("/oyster/api/jobs", method="POST", body=body)  # occupies the runner
        for _ in range(1000):
            server.request("/oyster/api/jobs", method="POST", body=json.dumps(WORKFLOW).encode())
        t0 = time.perf_counter()
        for _ in range(100):
            server.request("/oyster/api/jobs", method="POST", body=json.dumps(WORKFLOW).encode())
        http = (time.perf_counter() - t0) / 100 * 1000
    finally:
        server.stop()
    return figures | {"submit_http_ms": round(http, 3)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def visits(count: int) -> dict[str, float]:
    server = start(Path(tempfile.mkdtemp(prefix="oyster-bench-visits-")))
    try:
        def visit(n: int) -> None:
            for _ in range(n):
                with urllib.request.urlopen(server.base + "/", timeout=10) as res:
                    res.read()

        def settled() -> float:
            deadline = time.monotonic() + 30
            while server.request("/oyster/api/sessions")[1]["live"] > 0 and time.monotonic() < deadline:
                time.sleep(0.5)
            return rss_mb(server.process.pid)

        visit(60)
        before = settled()
        t0 = time.perf_counter()
        visit(count)
        visit_ms = (time.perf_counter() - t0) / count * 1000
        after = settled()
    finally:
        server.stop()
    return {f"rss_growth_mb_{count}_visits": round(after - before, 2), "rss_before_mb": round(before, 1),
            "visit_ms": round(visit_ms, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--visits", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", default="submit,visits,kill", help="which figures: submit, visits, kill")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parts = set(args.parts.split(","))
    figures: dict[str, Any] = {}
    if "submit" in parts:
        figures |= submit_times()
    if "visits" in parts:
        figures |= visits(args.visits)
    if "kill" in parts:
        figures |= kill_cycles(args.cycles, random.Random(args.seed))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
