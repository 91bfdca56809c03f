"""The job API of `oyster serve` beside a headless worker on the same store: submit (refused with the CLI's
problems when invalid), status, cancel, retry, the stored-event websocket, and the OpenAPI description behind the
access token; ten concurrent clients submitting and cancelling."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from oyster_nodes.jobs import EventKind, JobStore
from oyster_nodes.jobs.worker import store_path
from oyster_nodes.server import harness

from .jobtools import PACKS, REPO, exactly_once, leftovers, oyster, start_worker, workflow

TEMPLATES = REPO / "tests" / "ui" / "templates"
TOKEN = "jobs-test-token-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.ServerProcess]:
    s = harness.start_server(tmp_path_factory.mktemp("api") / "ws", templates=TEMPLATES, packs=[PACKS])
    yield s
    s.stop()


def _body(**kw) -> bytes:  # type: ignore[no-untyped-def]
    return json.dumps(workflow(**kw)).encode()


def _wait(server: harness.ServerProcess, job_id: str, timeout_s: float = 60) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = server.request(f"/oyster/api/jobs/{job_id}")[1]
        if job["state"] in ("done", "error", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_an_invalid_workflow_is_refused_at_submit_with_the_clis_problems(server: harness.ServerProcess,
                                                                          tmp_path: Path) -> None:
    doc = workflow()
    doc["nodes"][0]["params"]["seed"] = -5
    doc["nodes"].append({"id": "ghost", "type": "jobtest.frmes", "params": {}})
    doc["links"].append({"from_node": "nowhere", "from_output": "x", "to_node": "write", "to_input": "frames"})
    status, answer = server.request("/oyster/api/jobs", method="POST", body=json.dumps(doc).encode())
    assert status == 422
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    cli = oyster("validate", str(path), "--json")
    assert cli.returncode == 2
    expected = json.loads(cli.stdout)[str(path)]
    assert [{k: v for k, v in p.items() if k != "text"} for p in answer["problems"]] == expected
    assert len(expected) >= 3 and any(p["node"] == "ghost" and "did you mean" in p["fix"] for p in expected)
    assert all(p["text"] for p in answer["problems"])


def test_ten_clients_submit_and_cancel_at_once_beside_a_worker(server: harness.ServerProcess) -> None:
    worker = start_worker(server.workspace, "--concurrency", "2")
    try:
        submitted: dict[int, list[str]] = {}
        cancelled: dict[int, list[tuple[str, bool]]] = {}
        errors: list[str] = []

        def client(k: int) -> None:
            try:
                ids = []
                for i in range(4):
                    status, job = server.request("/oyster/api/jobs", method="POST",
                                                 body=_body(seed=100 + 10 * k + i, write_delay_s=0.2,
                                                            path=f"c{k}/f{{seed}}.txt"))
                    assert status == 201, job
                    ids.append(job["id"])
                submitted[k] = ids
                cancelled[k] = [(j, server.request(f"/oyster/api/jobs/{j}/cancel", method="POST")[1]["cancelled"])
                                for j in ids[::2]]
            except Exception as exc:  # noqa: BLE001 - reported below, with the client's number
                errors.append(f"client {k}: {exc!r}")

        threads = [threading.Thread(target=client, args=(k,)) for k in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        all_ids = [j for ids in submitted.values() for j in ids]
        assert len(all_ids) == 40 == len(set(all_ids))
        listed = {j["id"] for j in server.request("/oyster/api/jobs?limit=1000")[1]}
        assert set(all_ids) <= listed
        finals = {j: _wait(server, j, 120) for j in all_ids}
        asked = {j for pairs in cancelled.values() for j, ok in pairs if ok}
        assert all(finals[j]["state"] == "cancelled" or finals[j]["state"] == "done" for j in asked)
        assert sum(finals[j]["state"] == "cancelled" for j in asked) >= len(asked) // 2  # most caught in time
        kept = [j for j in all_ids if j not in asked]
        assert all(finals[j]["state"] == "done" for j in kept), [finals[j]["message"] for j in kept]
        store = JobStore(store_path(server.workspace))
        owners = {e.body["owner"].split(":")[1] for j in kept for e in store.events(j) if e.kind is EventKind.LEASED}
        assert len(owners) == 2, "the server and the worker both ran jobs from the one store"
        done = [j for j in all_ids if finals[j]["state"] == "done"]
        bad = exactly_once(store, done, server.workspace / "out")
        assert bad == {"not_once": 0, "twice_written": 0, "missing": 0, "overlapping_leases": 0}
        for j in all_ids:
            assert [e.kind for e in store.events(j)].count(EventKind.FINISHED) == 1
        assert leftovers(server.workspace / "out") == []
    finally:
        worker.terminate()
        worker.wait(30)


def test_status_outputs_retry_and_the_event_websocket(server: harness.ServerProcess) -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    status, job = server.request("/oyster/api/jobs", method="POST", body=_body(seed=900, delay_s=0.5,
                                                                                path="ws/f{seed}.txt"))
    assert status == 201
    url = server.base.replace("http", "ws") + f"/oyster/api/jobs/{job['id']}/events/stream"
    kinds = []
    with websockets.connect(url, open_timeout=10) as ws:
        while True:
            message = json.loads(ws.recv(timeout=60))
            if message.get("final"):
                break
            kinds.append(message["kind"])
    assert kinds[0] == "submitted" and "progress" in kinds and kinds[-2:] == ["output", "finished"]
    detail = server.request(f"/oyster/api/jobs/{job['id']}")[1]
    assert detail["state"] == "done" and detail["outputs"] == ["ws/f900.txt"]
    assert (server.workspace / "out" / "ws" / "f900.txt").is_file()
    assert server.request(f"/oyster/api/jobs/{job['id']}/retry", method="POST")[1] == {"retried": False}
    # the same workflow again: its output exists with other bytes? no, the same bytes: published as it is
    status, twin = server.request("/oyster/api/jobs?key=twin-1", method="POST", body=_body(seed=900,
                                                                                            path="ws/f{seed}.txt"))
    status2, again = server.request("/oyster/api/jobs?key=twin-1", method="POST", body=_body(seed=900,
                                                                                             path="ws/f{seed}.txt"))
    assert status == status2 == 201 and twin["id"] == again["id"]
    assert _wait(server, twin["id"])["state"] == "done"


def test_the_openapi_description_lists_the_job_routes_behind_the_token(tmp_path: Path) -> None:
    guarded = harness.start_server(tmp_path / "ws", templates=TEMPLATES, packs=[PACKS], token=TOKEN)
    try:
        assert guarded.request("/oyster/api/openapi.json")[0] == 401
        status, spec = guarded.request("/oyster/api/openapi.json", token=TOKEN)
        assert status == 200
        paths = spec["paths"]
        for route in ("/oyster/api/jobs", "/oyster/api/jobs/{job_id}", "/oyster/api/jobs/{job_id}/cancel",
                      "/oyster/api/jobs/{job_id}/retry", "/oyster/api/jobs/{job_id}/events/log"):
            assert route in paths, route
        assert "422" in paths["/oyster/api/jobs"]["post"]["responses"]
        assert guarded.request("/oyster/api/jobs", method="POST", body=_body())[0] == 401
        req = urllib.request.Request(guarded.base + "/oyster/api/jobs", data=_body(seed=2), method="POST",
                                     headers={"authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req, timeout=10) as res:
            assert res.status == 201
    finally:
        guarded.stop()
