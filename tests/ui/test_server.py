"""The server without a canvas: the access token, the REST job API, per-tab sessions."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.server.harness import ServerProcess as Server
from oyster_nodes.server.options import OptionsError, ServeOptions

from .actions import open_template, run_and_wait
from .conftest import TEMPLATES, open_editor, start_server

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("guarded"), token=TOKEN)
    yield s
    s.stop()


def test_non_local_address_needs_a_token() -> None:
    with pytest.raises(OptionsError, match="access token"):
        ServeOptions(host="0.0.0.0", workspace=Path("/tmp/oyster-ws")).checked()
    with pytest.raises(OptionsError, match="16-256"):
        ServeOptions(host="0.0.0.0", token="short", workspace=Path("/tmp/oyster-ws")).checked()
    options = ServeOptions(host="0.0.0.0", token="auto", workspace=Path("/tmp/oyster-ws")).checked()
    assert options.token and len(options.token) >= 16


def test_every_route_refuses_requests_without_the_token(guarded: Server) -> None:
    for path in ("/", "/oyster/api/jobs", "/oyster/api/nodes", "/oyster/assets/editor.js",
                 "/_nicegui_ws/socket.io/?EIO=4&transport=polling"):
        status, _ = _raw(guarded.base + path)
        assert status == 401, path
    assert guarded.request("/oyster/api/jobs", token="wrong-token-0123456789")[0] == 401
    assert guarded.request("/oyster/api/jobs", token=TOKEN)[0] == 200


def test_websocket_without_the_token_is_closed(guarded: Server) -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    url = guarded.base.replace("http", "ws") + "/oyster/api/jobs/none/events"
    with pytest.raises(Exception):  # noqa: B017 - refused during the handshake, or closed right after
        with websockets.connect(url, open_timeout=5) as ws:
            ws.recv(timeout=5)


def test_browser_with_the_token_link_gets_in_and_runs(browser: Any, guarded: Server) -> None:
    page = open_editor(browser, guarded.url)
    assert "token" not in page.url
    open_template(page)
    run_and_wait(page, "scaled")
    page.context.close()
    refused = browser.new_page()
    refused.goto(guarded.base + "/")
    assert "access token is required" in refused.content()
    refused.close()


def _raw(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_rest_job_api_runs_a_workflow_and_reports_problems(server: Server) -> None:
    body = (TEMPLATES / "arithmetic.json").read_bytes()
    status, job = server.request("/oyster/api/jobs", method="POST", body=body)
    assert status == 201
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _, detail = server.request(f"/oyster/api/jobs/{job['id']}")
        if detail["state"] in ("done", "error", "cancelled"):
            break
        time.sleep(0.1)
    assert detail["state"] == "done"
    assert detail["nodes"]["scaled"]["previews"][0]["text"] == "50"
    broken = json.loads(body)
    broken["links"] = broken["links"][:1]
    status, answer = server.request("/oyster/api/jobs", method="POST", body=json.dumps(broken).encode())
    assert status == 422
    assert any(p["node"] == "scaled" and p["field"] == "inputs.a" and p["fix"] for p in answer["problems"])
    status, _ = server.request("/oyster/api/jobs", method="POST", body=b"{" * 100)
    assert status == 422


def test_paths_cannot_leave_their_folders(server: Server) -> None:
    for path in ("/oyster/files/..%2F..%2Fetc%2Fpasswd", "/oyster/files/%2Fetc%2Fpasswd",
                 "/oyster/previews/x/..%2F..%2F..%2Fetc%2Fpasswd"):
        status, _ = _raw(server.base + path)
        assert status in (400, 404), path


def test_each_tab_keeps_its_own_graph_and_is_freed_on_close(browser: Any, server: Server) -> None:
    first = open_editor(browser, server.url)
    second = open_editor(browser, server.url)
    open_template(first)
    assert second.evaluate("window.oysterEditor.stats().nodes") == 0
    sid = second.evaluate("window.oysterEditor.session")
    assert server.request(f"/oyster/api/session/{sid}/doc")[1]["doc"]["nodes"] == []
    second.context.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and server.request(f"/oyster/api/session/{sid}/doc")[0] == 200:
        time.sleep(0.25)
    assert server.request(f"/oyster/api/session/{sid}/doc")[0] == 404
    mine = first.evaluate("window.oysterEditor.session")
    assert len(server.request(f"/oyster/api/session/{mine}/doc")[1]["doc"]["nodes"]) == 4
    first.context.close()


def test_job_events_stream_over_a_websocket(server: Server) -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    body = json.loads((TEMPLATES / "arithmetic.json").read_text())
    body["nodes"][0]["params"]["value"] = 123.0
    _, job = server.request("/oyster/api/jobs", method="POST", body=json.dumps(body).encode())
    url = server.base.replace("http", "ws") + f"/oyster/api/jobs/{job['id']}/events"
    seen: dict[str, str] = {}
    with websockets.connect(url, open_timeout=5) as ws:
        while True:
            message = json.loads(ws.recv(timeout=30))
            seen.update({n: s["status"] for n, s in message["nodes"].items()})
            if message.get("final"):
                break
    assert message["job"]["state"] == "done"
    assert seen["scaled"] == "done" and set(seen.values()) <= {"done", "cached"}


def test_recent_lists_saved_workflows(browser: Any, server: Server) -> None:
    page = open_editor(browser, server.url)
    open_template(page)
    page.fill(".oy-name input", "Recent one")
    page.locator(".oy-name input").press("Enter")
    page.wait_for_timeout(600)
    page.click("[data-testid=save-button]")
    page.wait_for_function("document.body.innerText.includes('Saved to saved/Recent one.json')")
    page.click("text=New")
    page.wait_for_function("window.oysterEditor.stats().nodes === 0")
    page.get_by_role("button", name="Recent").click()  # not text=Recent: the "Saved to ...Recent one" notice has it too
    page.locator(".q-menu .q-item", has_text="Recent one").filter(has_text="saved").first.click()
    page.wait_for_function("window.oysterEditor.stats().nodes === 5")
    page.context.close()


def test_a_new_tab_opens_the_default_workflow(browser: Any, tmp_path: Path) -> None:
    """`oyster serve` without --blank shows the forest-at-dawn example, ready to run."""
    from oyster_nodes.server import harness
    from oyster_nodes.server.options import DEFAULT_WORKFLOW

    s = harness.start_server(tmp_path / "ws", templates=TEMPLATES, open_workflow=DEFAULT_WORKFLOW)
    try:
        page = open_editor(browser, s.url)
        page.wait_for_function("window.oysterEditor.stats().nodes === 5")
        sid = page.evaluate("window.oysterEditor.session")
        doc = s.request(f"/oyster/api/session/{sid}/doc")[1]["doc"]
        assert doc["metadata"]["name"] == "forest_dawn_still"
        assert [n["type"] for n in doc["nodes"]][:2] == ["prompt.text", "prompt.to_spec"]
        page.context.close()
    finally:
        s.stop()


def test_opening_an_exported_png_restores_its_workflow(browser: Any, server: Server) -> None:
    """What the editor's drop and upload send: an exported image brings back the graph that made it."""
    import numpy as np

    from oyster_nodes.io.images import encode_png
    from oyster_nodes.workflow import load

    original = load(TEMPLATES / "arithmetic.json")
    png = encode_png(np.zeros((8, 8, 3), np.uint8), workflow_json=original.to_json())
    page = open_editor(browser, server.url)
    sid = page.evaluate("window.oysterEditor.session")
    status, body = server.request(f"/oyster/api/session/{sid}/open?name=shot.png", method="POST", body=png)
    assert status == 200
    assert [n["id"] for n in body["doc"]["nodes"]] == [n.id for n in original.nodes]
    status, body = server.request(f"/oyster/api/session/{sid}/open?name=notes.txt", method="POST", body=b"hello")
    assert status == 422 and "not a file type that carries a workflow" in body["problems"][0]["message"]
    page.context.close()
