"""Jobs on a real local Ray cluster (a head and a second node): a batch spread over both nodes gives the MP4 a
single render gives; the same batch submitted again is refused by its keys and attaches, running nothing twice;
a node killed mid-job loses its tasks to the other node and the job still finishes, with the same bytes.

The node-killing test removes the second node, so it runs last in this file."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.cluster import ray_jobs
from oyster_nodes.cluster.local import dashboard_address

from .conftest import SHOT, decoded, digest

pytestmark = pytest.mark.ray


def frame_differences(a: Path, b: Path) -> list[int]:
    import av
    import numpy as np

    def frames(p: Path) -> list[Any]:
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]

    return [int(np.abs(x - y).max()) for x, y in zip(frames(a), frames(b), strict=False)]


def address(cluster: Any) -> str:
    return dashboard_address(cluster)


def oyster(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oyster_nodes.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_batch_on_ray_matches_one_render_and_refuses_a_resubmission(tmp_path: Path, ray_cluster: Any,
                                                                     single_render: tuple[Path, Path]) -> None:
    out = tmp_path / "batch out (1)"  # a folder name the job's entrypoint command must quote
    command = ["batch", str(SHOT), "--sweep", "prompt.seed=3,4", "--ray", address(ray_cluster), "--out",
               str(out), "--cache-dir", str(tmp_path / "cache"), "--frames-per-task", "12",
               "--device", "cpu"]
    first = oyster(*command, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("submitted") == 2 and "2 of 2 jobs done" in first.stdout
    for variant in ("variant 1 (prompt.seed=3)", "variant 2 (prompt.seed=4)"):  # frames as the ranges render
        assert f"{variant}: render 100% (frame 48/48 on Ray" in first.stdout, first.stdout
    mp4s = sorted(out.glob("*/shot.mp4"))
    assert [p.parent.name for p in mp4s] == ["001-seed=3", "002-seed=4"]
    # seed 3 is the saved shot: the same frames as one render (the files differ in the workflow they carry)
    assert decoded(mp4s[0]) == decoded(single_render[1]), frame_differences(mp4s[0], single_render[1])
    assert decoded(mp4s[1]) != decoded(single_render[1])
    local = oyster("batch", str(SHOT), "--sweep", "prompt.seed=3", "--out", str(tmp_path / "local"), "--cache-dir",
                   str(single_render[0]), "--device", "cpu", cwd=tmp_path)
    assert local.returncode == 0, local.stdout + local.stderr
    assert digest(tmp_path / "local" / "001-seed=3" / "shot.mp4") == digest(mp4s[0])  # the bytes a local batch writes
    specs = sorted((out / ray_jobs.JOBS_FOLDER).glob("oyster-*.attempts.jsonl"))
    tried = [json.loads(line) for p in specs for line in p.read_text().splitlines()]
    ranges = [a for a in tried if a["task"].startswith("render[")]
    assert len(ranges) == 8 and len({a["node"] for a in ranges}) == 2  # 4 ranges a job, on both nodes
    # each task renders with one thread, at the usual priority (Ray's default for task workers is niceness 15)
    assert {(a["nice"], a["threads"]) for a in tried} == {(0, "1")}, tried

    again = oyster(*command, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already submitted: attached to it, not run again") == 2
    assert sum(len(p.read_text().splitlines()) for p in specs) == len(tried)  # nothing ran a second time


def test_an_unreachable_cluster_is_a_clear_error(tmp_path: Path) -> None:
    done = oyster("batch", str(SHOT), "--ray", "127.0.0.1:9", "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no Ray cluster answers there" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_node_killed_mid_job_and_the_job_finishing_elsewhere(tmp_path: Path, ray_cluster: Any,
                                                               single_render: tuple[Path, Path]) -> None:
    cache_dir, single_mp4 = single_render[0], digest(single_render[1])
    spec = ray_jobs.JobSpec(workflow=SHOT.read_text(), out_dir=str(tmp_path / "out"), cache_dir=str(cache_dir),
                            frames_per_task=4, device="cpu")
    jobs = ray_jobs.client(address(ray_cluster))
    second = next(n for n in ray_cluster.list_all_nodes() if n is not ray_cluster.head_node)
    submitted = ray_jobs.submit(jobs, spec)
    deadline = time.monotonic() + 240
    while not any(a["node"] == second.node_id and a["task"].startswith("render[")
                  for a in ray_jobs.attempts(spec)):
        assert time.monotonic() < deadline, ray_jobs.attempts(spec)
        assert jobs.get_job_status(submitted.key).is_terminal() is False, "the job ended before the second node " \
            f"took a range: {ray_jobs.attempts(spec)}"
        time.sleep(0.02)
    ray_cluster.remove_node(second, allow_graceful=False)  # the machine is gone, its workers with it
    status = ray_jobs.wait(jobs, [submitted], timeout_s=180)
    assert status == {submitted.key: "SUCCEEDED"}, jobs.get_job_logs(submitted.key)[-3000:]
    tried = ray_jobs.attempts(spec)
    on_second = {a["task"] for a in tried if a["node"] == second.node_id and a["task"].startswith("render[")}
    again = {a["task"] for a in tried if a["node"] != second.node_id}
    assert on_second & again, tried  # a range the lost node held was rendered again on the head
    assert ray_jobs.result(spec)["ok"] and ray_jobs.result(spec)["ranges"] == 12
    assert digest(tmp_path / "out" / "shot.mp4") == single_mp4
