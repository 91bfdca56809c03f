"""Shared by the job tests: the test pack, a small workflow, workers as real processes, exactly-once checks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from oyster_nodes.jobs import EventKind, JobStore

REPO = Path(__file__).resolve().parents[2]
PACKS = Path(__file__).resolve().parent / "packs"


def workflow(*, seed: int = 1, delay_s: float = 0.0, write_delay_s: float = 0.0, path: str = "frames-{seed}.txt",
             overwrite: bool = False, name: str = "jobtest") -> dict[str, Any]:
    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": name},
            "nodes": [{"id": "frames", "type": "jobtest.frames", "params": {"seed": seed, "delay_s": delay_s}},
                      {"id": "write", "type": "jobtest.write",
                       "params": {"path": path.replace("{seed}", str(seed)), "overwrite": overwrite,
                                  "delay_s": write_delay_s}}],
            "links": [{"from_node": "frames", "from_output": "frames", "to_node": "write", "to_input": "frames"}]}


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


def oyster(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oyster_nodes.cli", "--packs", str(PACKS), *args], env=env(),
                          cwd=REPO, capture_output=True, text=True, timeout=300, **kwargs)


def start_worker(workspace: Path, *extra: str, log_name: str = "worker.log") -> subprocess.Popen[bytes]:
    log = open(workspace / log_name, "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen([sys.executable, "-m", "oyster_nodes.cli", "--packs", str(PACKS), "worker",
                             "--workspace", str(workspace), "--cache-dir", str(workspace / ".cache"), "--device",
                             "cpu", *extra], env=env(), cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exactly_once(store: JobStore, job_ids: list[str], out_dir: Path) -> dict[str, int]:
    """Counts of problems: jobs not finished exactly once, outputs written twice, missing or differing."""
    bad = {"not_once": 0, "twice_written": 0, "missing": 0, "overlapping_leases": 0}
    seen: dict[str, int] = {}
    for job_id in job_ids:
        events = store.events(job_id, limit=100_000)
        finishes = [e for e in events if e.kind is EventKind.FINISHED]
        bad["not_once"] += len(finishes) != 1 or finishes[0].body.get("state") != "done"
        open_leases = 0
        for e in events:
            if e.kind is EventKind.LEASED:
                open_leases += 1
                bad["overlapping_leases"] += open_leases > 1
            elif e.kind in (EventKind.INTERRUPTED, EventKind.FINISHED):
                open_leases = 0
        for e in events:
            if e.kind is EventKind.OUTPUT:
                seen[e.body["path"]] = seen.get(e.body["path"], 0) + 1
                target = out_dir / e.body["path"]
                bad["missing"] += not target.is_file() or sha256(target) != e.body["sha256"]
    bad["twice_written"] = sum(n > 1 for n in seen.values())
    return bad


def leftovers(out_dir: Path) -> list[str]:
    """Staged or temporary files left in the output folder."""
    stage = out_dir / ".oyster-stage"
    found = [str(p) for p in stage.rglob("*") if p.is_file()] if stage.is_dir() else []
    return found + [str(p) for p in out_dir.rglob("*.tmp*")]


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc)
