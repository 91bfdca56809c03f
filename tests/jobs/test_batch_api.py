"""The batch and schedule API of `oyster serve`: a sweep of a saved workflow submitted as one batch (valid, invalid
with the CLI's problems, resubmitted without duplicates), its progress and outputs, and schedules added, listed,
run and removed with bad input named field by field."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.server import harness

from .jobtools import PACKS, REPO, oyster, workflow

TEMPLATES = REPO / "tests" / "ui" / "templates"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.ServerProcess]:
    s = harness.start_server(tmp_path_factory.mktemp("batchapi") / "ws", templates=TEMPLATES, packs=[PACKS])
    saved = s.workspace / "saved"
    saved.mkdir(parents=True, exist_ok=True)
    (saved / "sweep.json").write_text(json.dumps(workflow(name="sweep", path="frames.txt")))
    yield s
    s.stop()


def post(server: harness.ServerProcess, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    return server.request(path, method="POST", body=json.dumps(body).encode())


def wait_batch(server: harness.ServerProcess, bid: str, timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, body = server.request(f"/oyster/api/batches/{bid}")
        assert status == 200, body
        if body["complete"]:
            return body
        time.sleep(0.2)
    raise AssertionError(f"batch {bid} did not finish")


def test_a_sweep_of_a_saved_workflow_runs_as_one_batch_and_a_resubmission_adds_nothing(
        server: harness.ServerProcess) -> None:
    request = {"saved": "sweep.json", "sweeps": ["frames.seed=1..3"], "out": "batch/seeds"}
    status, dry = post(server, "/oyster/api/batches", {**request, "dry_run": True})
    assert status == 200 and dry["count"] == 3, dry
    status, first = post(server, "/oyster/api/batches", request)
    assert status == 201, first
    assert first["count"] == 3 and first["added"] == 3 and [j["label"] for j in first["jobs"]] == [
        "frames.seed=1", "frames.seed=2", "frames.seed=3"]
    done = wait_batch(server, first["batch"])
    assert done["done"] == 3 and done["fraction"] == 1.0, done
    assert [(j["index"], j["label"]) for j in done["jobs"]] == [(k, f"frames.seed={k + 1}") for k in range(3)]
    for k, job in enumerate(done["jobs"]):
        (out,) = job["outputs"]
        assert out["path"] == f"batch/seeds/{k + 1:03d}-seed={k + 1}/frames.txt", out
        assert (server.workspace / "out" / out["path"]).is_file()
        assert urllib.request.urlopen(server.base + out["url"], timeout=10).status == 200
    status, again = post(server, "/oyster/api/batches", request)
    assert status == 201 and again["batch"] == first["batch"] and again["added"] == 0
    assert [j["id"] for j in again["jobs"]] == [j["id"] for j in first["jobs"]]
    assert len(server.request(f"/oyster/api/batches/{first['batch']}")[1]["jobs"]) == 3


def test_an_invalid_batch_is_refused_with_the_clis_problems_and_nothing_is_submitted(
        server: harness.ServerProcess) -> None:
    before = len(server.request("/oyster/api/jobs?limit=10000")[1])
    sweeps = ["frames.seed=-5,1", "ghost.seed=1,2"]
    status, answer = post(server, "/oyster/api/batches", {"saved": "sweep.json", "sweeps": sweeps})
    assert status == 422, answer
    cli = oyster("batch", str(server.workspace / "saved" / "sweep.json"), *[a for s in sweeps for a in ("--sweep", s)])
    assert cli.returncode == 2
    texts = [p["text"] for p in answer["problems"]]
    assert texts and all(t in cli.stdout.replace("\n", "") for t in texts), (texts, cli.stdout)
    rows = {p.get("row") for p in answer["problems"]}
    assert rows == {0, 1}, answer
    bad_seed = next(p for p in answer["problems"] if p["node"] == "frames")
    assert bad_seed["field"] == "params.seed" and bad_seed["fix"] and "variants 1, 2" in bad_seed["message"]
    status, syntax = post(server, "/oyster/api/batches", {"saved": "sweep.json",
                                                          "sweeps": ["frames.seed=1,2", "seed 1 2", "frames.seed=5..1"]})
    assert status == 422 and [(p["row"], p["field"]) for p in syntax["problems"]] == [(1, "sweeps[1]"),
                                                                                     (2, "sweeps[2]")]
    status, unsaved = post(server, "/oyster/api/batches", {"saved": "nope.json", "sweeps": ["frames.seed=1"]})
    assert status == 422 and unsaved["problems"][0]["field"] == "saved" and "save" in unsaved["problems"][0]["fix"]
    status, table = post(server, "/oyster/api/batches", {"saved": "sweep.json", "table": "frames.seed\n1\n2,3\n"})
    assert status == 422 and table["problems"][0]["field"] == "table" and "line 3" in table["problems"][0]["message"]
    status, schema = post(server, "/oyster/api/batches", {"saved": "sweep.json", "combine": "diagonal"})
    assert status == 422 and schema["problems"][0]["field"] == "combine"
    assert len(server.request("/oyster/api/jobs?limit=10000")[1]) == before


def test_a_table_zipped_with_nothing_else_makes_one_job_per_row(server: harness.ServerProcess) -> None:
    status, answer = post(server, "/oyster/api/batches", {"saved": "sweep.json", "table": "frames.seed\n7\n8\n",
                                                          "out": "batch/table"})
    assert status == 201 and answer["count"] == 2, answer
    done = wait_batch(server, answer["batch"])
    assert done["done"] == 2


def test_schedules_are_added_listed_run_and_removed_with_bad_input_named(server: harness.ServerProcess) -> None:
    status, bad = post(server, "/oyster/api/schedules", {"name": "x", "saved": "sweep.json", "cron": "61 * * *",
                                                         "timezone": "Mars/Olympus", "policy": "catch-up",
                                                         "catch_up": 0})
    assert status == 422
    fields = {p["field"]: p for p in bad["problems"]}
    assert set(fields) == {"cron", "timezone", "catch_up"}, bad
    assert "five" in fields["cron"]["message"] and "IANA" in fields["timezone"]["message"]
    assert all(p["fix"] for p in bad["problems"])
    status, range_bad = post(server, "/oyster/api/schedules", {"name": "x", "saved": "sweep.json",
                                                               "cron": "61 * * * *"})
    assert status == 422 and range_bad["problems"][0]["field"] == "cron"
    status, missing = post(server, "/oyster/api/schedules", {"name": "x", "saved": "gone.json", "cron": "0 2 * * *"})
    assert status == 422 and missing["problems"][0]["field"] == "saved"
    status, added = post(server, "/oyster/api/schedules", {"name": "nightly", "saved": "sweep.json",
                                                           "cron": "30 2 * * *", "timezone": "Europe/Paris",
                                                           "policy": "once"})
    assert status == 201, added
    assert added["next_fire"].endswith(("+01:00", "+02:00")) and "T02:30:00" in added["next_fire"]
    assert added["next_fire_at"] > time.time() and added["missed"] == "once"
    status, dup = post(server, "/oyster/api/schedules", {"name": "nightly", "saved": "sweep.json", "cron": "0 * * * *"})
    assert status == 422 and dup["problems"][0]["field"] == "name"
    listed = server.request("/oyster/api/schedules")[1]
    assert [s["name"] for s in listed] == ["nightly"] and listed[0]["source"] == "saved/sweep.json"
    status, fired = post(server, "/oyster/api/schedules/nightly/run-now", {})
    assert status == 200 and server.request(f"/oyster/api/jobs/{fired['job']}")[0] == 200
    assert server.request("/oyster/api/schedules/nightly", method="DELETE")[0] == 200
    assert server.request("/oyster/api/schedules")[1] == []
    assert server.request("/oyster/api/schedules/nightly", method="DELETE")[0] == 404
    assert post(server, "/oyster/api/schedules/nightly/run-now", {})[0] == 404


def test_the_routes_are_described_and_behind_the_gate(server: harness.ServerProcess) -> None:
    spec = server.request("/oyster/api/openapi.json")[1]
    for path in ("/oyster/api/batches", "/oyster/api/batches/{bid}", "/oyster/api/schedules",
                 "/oyster/api/schedules/{name}", "/oyster/api/schedules/{name}/run-now"):
        assert path in spec["paths"], path
    batch_body = spec["paths"]["/oyster/api/batches"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"saved", "session", "sweeps", "table", "combine", "out", "dry_run"} <= set(batch_body["properties"])
    schedule_body = spec["paths"]["/oyster/api/schedules"]["post"]["requestBody"]["content"]["application/json"]
    assert {"cron", "timezone", "policy", "catch_up"} <= set(schedule_body["schema"]["properties"])
    request = urllib.request.Request(server.base + "/oyster/api/schedules", method="POST", data=b"{}",
                                     headers={"origin": "http://127.0.0.1:1", "content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403


def test_the_batch_and_schedule_routes_need_the_token(tmp_path: Path) -> None:
    token = "batch-api-token-0123456789"
    s = harness.start_server(tmp_path / "ws", templates=TEMPLATES, packs=[PACKS], token=token)
    try:
        assert s.request("/oyster/api/schedules")[0] == 401
        assert s.request("/oyster/api/batches", method="POST", body=b"{}")[0] == 401
        assert s.request("/oyster/api/schedules", token=token)[0] == 200
    finally:
        s.stop()


def test_without_a_folder_the_editor_and_the_cli_write_a_batch_to_the_same_place(
        server: harness.ServerProcess, tmp_path: Path) -> None:
    status, dry = post(server, "/oyster/api/batches", {"saved": "sweep.json", "sweeps": ["frames.seed=1..2"],
                                                        "dry_run": True})
    assert status == 200 and dry["out"] == "batch/sweep", dry
    doc = tmp_path / "sweep.json"
    doc.write_text((server.workspace / "saved" / "sweep.json").read_text())
    answer = oyster("batch", str(doc), "--sweep", "frames.seed=1..2", "--submit", "--workspace", str(tmp_path / "ws"))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"outputs in {tmp_path / 'ws' / 'out' / 'batch' / 'sweep'}/" in answer.stdout.replace("\n", ""), answer.stdout
