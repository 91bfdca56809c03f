"""The server is safe to leave running: attacks a browser would make, from a page on another loopback port,
through the real editor in Chromium; and the CLI-style client, the editor and `test..png` keep working."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.server import harness
from oyster_nodes.server.harness import ServerProcess

from .conftest import PACKS, TEMPLATES, open_editor, start_server

WORKFLOW = (TEMPLATES / "arithmetic.json").read_bytes()
MARKUP = '<img src=x onerror="alert(1)">'
#: a string that runs if anything compiles it as a Vue template (the page allows 'unsafe-eval' for Vue)
MUSTACHE = "{{ constructor.constructor('alert(5)')() }}"


class Attacker:
    """A web page on another loopback port, and a log of every request that reached it."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.hits: list[str] = []
        pages, hits = self.pages, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                hits.append(self.path)
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 204)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def attacker() -> Iterator[Attacker]:
    a = Attacker()
    yield a
    a.httpd.shutdown()


def _raw(url: str, *, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _job_count(server: ServerProcess) -> int:
    return len(server.request("/oyster/api/jobs")[1])


# ---------------------------------------------------------------------------------------------- 1. the gate


def test_cross_origin_form_and_fetch_cannot_queue_or_cancel(browser: Any, server: ServerProcess,
                                                            attacker: Attacker) -> None:
    status, job = server.request("/oyster/api/jobs", method="POST", body=WORKFLOW)  # the CLI-style client
    assert status == 201 and len(job["id"]) == 33
    before = _job_count(server)
    target = server.base + "/oyster/api/jobs"
    attacker.pages["/csrf"] = f"""<!doctype html><body>
      <form id=f method=POST action="{target}" enctype="text/plain">
        <input name='{{"format":"oyster-workflow","x":"' value='"}}'></form>
      <script>
        const body = {json.dumps(WORKFLOW.decode())}
        const opts = (url) => fetch(url, {{method: 'POST', mode: 'no-cors', body,
                                             headers: {{'content-type': 'text/plain'}}}}).catch(() => null)
        Promise.all([opts("{target}"), opts("{target}/{job['id']}/cancel"),
                     fetch("{target}", {{method: 'POST', body, credentials: 'include'}}).catch(() => null)])
          .then(() => {{ document.title = 'sent'; document.getElementById('f').submit() }})
      </script></body>"""
    context = browser.new_context()
    page = context.new_page()
    page.goto(attacker.base + "/csrf")
    page.wait_for_url(target, timeout=10_000)
    assert "cross-origin" in page.content()
    context.close()
    assert _job_count(server) == before
    assert server.request(f"/oyster/api/jobs/{job['id']}")[1]["state"] != "cancelled"


def test_origin_rules_for_state_changing_requests(server: ServerProcess) -> None:
    url = server.base + "/oyster/api/jobs"
    host = server.base.removeprefix("http://")
    refused = [{"origin": "null"}, {"origin": "http://127.0.0.1:1"}, {"origin": f"https://{host}"},
               {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
               {"origin": f"http://{host}.evil.test"}]
    for headers in refused:
        assert _raw(url, method="POST", body=WORKFLOW, headers=headers)[0] == 403, headers
    for headers in ({}, {"origin": f"http://{host}"}, {"sec-fetch-site": "same-origin"}):
        assert _raw(url, method="POST", body=WORKFLOW, headers=headers)[0] == 201, headers
    assert _raw(server.base + "/_nicegui_ws/socket.io/?EIO=4&transport=polling",
                headers={"origin": "http://127.0.0.1:1"})[0] == 403


def test_foreign_origin_websockets_are_refused(browser: Any, server: ServerProcess, attacker: Attacker) -> None:
    _, job = server.request("/oyster/api/jobs", method="POST", body=WORKFLOW)
    ws_base = server.base.replace("http", "ws")
    script = """(urls) => Promise.all(urls.map((url) => new Promise((done) => {
        const ws = new WebSocket(url)
        ws.onopen = () => { done('open'); ws.close() }
        ws.onerror = () => done('refused')
        setTimeout(() => done('timeout'), 5000)
    })))"""
    urls = [f"{ws_base}/oyster/api/jobs/{job['id']}/events", f"{ws_base}/oyster/api/jobs/{job['id']}/events/stream",
            f"{ws_base}/oyster/api/explore/ws?world=x", f"{ws_base}/_nicegui_ws/socket.io/?EIO=4&transport=websocket"]
    attacker.pages["/ws"] = "<!doctype html><title>ws</title>"
    context = browser.new_context()
    page = context.new_page()
    page.goto(attacker.base + "/ws")
    assert page.evaluate(script, urls) == ["refused"] * len(urls)
    page.goto(server.base + "/oyster/api/nodes")  # the server's own origin may watch its jobs and explore
    assert page.evaluate(script, urls[:3]) == ["open"] * 3
    context.close()


ROUTE_TABLE = """
import json, os, sys
from pathlib import Path
from fastapi.routing import APIWebSocketRoute
from nicegui import app
from starlette.routing import Mount, WebSocketRoute
from oyster_nodes.server.app import install
from oyster_nodes.server.options import ServeOptions
install(ServeOptions(workspace=Path(sys.argv[1]), open_workflow=None, packs=(sys.argv[2],)).checked())
def rows(routes, prefix=""):
    for r in routes:
        if hasattr(r, "original_router"):  # an included router (FastAPI keeps them whole)
            yield from rows(r.original_router.routes, prefix + (getattr(r.include_context, "prefix", "") or ""))
            continue
        kind = "ws" if isinstance(r, (WebSocketRoute, APIWebSocketRoute)) else "mount" if isinstance(r, Mount) else "http"
        yield {"kind": kind, "path": prefix + r.path, "methods": sorted(getattr(r, "methods", None) or [])}
print(json.dumps(list(rows(app.routes))), flush=True)
os._exit(0)
"""


def _route_table(tmp_path: Path) -> list[dict[str, Any]]:
    """Every route and mount of the app `oyster serve` runs, read from the app itself (so new ones are included)."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", ROUTE_TABLE, str(tmp_path), str(PACKS)], capture_output=True,
                          text=True, timeout=120, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _concrete(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_and_socket_is_behind_the_gate(server: ServerProcess, tmp_path: Path) -> None:
    routes = _route_table(tmp_path)
    sockets = {r["path"] for r in routes if r["kind"] == "ws"}
    assert {"/oyster/api/jobs/{job_id}/events", "/oyster/api/jobs/{job_id}/events/stream",
            "/oyster/api/explore/ws"} <= sockets, sockets
    paths = {r["path"] for r in routes}
    assert {"/oyster/api/batches", "/oyster/api/schedules/{name}", "/oyster/api/schedules/{name}/run-now",
            "/oyster/api/jobs/{job_id}/retry", "/oyster/api/explore/worlds", "/_nicegui_ws"} <= paths, paths
    host = server.base.removeprefix("http://")
    foreign = ({"origin": "http://127.0.0.1:1"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"})

    def handshake(path: str, headers: dict[str, str]) -> int:
        """The status a websocket upgrade of `path` gets (101: switching to the socket), with exactly these headers."""
        import socket

        lines = [f"GET {path} HTTP/1.1", f"Host: {headers.pop('host', host)}", "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
                 *(f"{k}: {v}" for k, v in headers.items())]
        port = int(host.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            return int(conn.recv(64).split(b" ", 2)[1])

    for r in routes:
        path = _concrete(r["path"]) + ("/socket.io/?EIO=4&transport=polling" if r["path"] == "/_nicegui_ws" else
                                       "/x" if r["kind"] == "mount" else "")
        url = server.base + path
        assert _raw(url, headers={"host": "rebind.example"})[0] == 403, path
        if r["kind"] == "ws" or r["path"] == "/_nicegui_ws":
            ws_path = path.replace("transport=polling", "transport=websocket")
            for headers in (*foreign, {"host": "rebind.example", "origin": "http://rebind.example"}):
                assert handshake(ws_path, dict(headers)) == 403, (path, headers)
            assert handshake(ws_path, {"origin": f"http://{host}"}) == 101, path  # its own page gets past the gate
            continue
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            for headers in foreign:
                assert _raw(url, method=method, body=b"{}", headers=headers)[0] == 403, (method, path, headers)
        for method in set(r["methods"]) - {"GET", "HEAD"}:
            status = _raw(url, method=method, body=b"{}", headers={"origin": f"http://{host}"})[0]
            assert status != 403, (method, path)  # the same call from the editor's own page is not refused


def test_a_rebinding_host_is_refused(browser: Any, server: ServerProcess) -> None:
    port = server.base.rsplit(":", 1)[1]
    # a Chromium that resolves an outside name to this machine, as a rebound name does
    b = browser.browser_type.launch(executable_path=harness.CHROMIUM, args=[
        *harness.CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.example 127.0.0.1"])
    try:
        page = b.new_page()
        answer = page.goto(f"http://rebind.example:{port}/oyster/api/jobs")
        assert answer is not None and answer.status == 403 and "allow-host" in page.content()
        answer = page.goto(f"http://localhost:{port}/oyster/api/jobs")
        assert answer is not None and answer.status == 200
    finally:
        b.close()
    for host in ("evil.example", "127.0.0.1.evil.example", "", "[::2]"):
        assert _raw(server.base + "/oyster/api/jobs", headers={"host": host})[0] in (400, 403), host


def test_the_access_token_is_not_logged_and_allow_host_is_checked(tmp_path: Path) -> None:
    from oyster_nodes.server.options import OptionsError, ServeOptions

    with pytest.raises(OptionsError, match="allow-host"):
        ServeOptions(allowed_hosts=("bad name!",), workspace=tmp_path).checked()
    options = ServeOptions(allowed_hosts=("Studio.LAN.",), workspace=tmp_path).checked()
    assert options.gate_hosts()[0] == "studio.lan"
    token = "secret-token-0123456789abc"
    s = start_server(tmp_path / "ws", token=token)
    try:
        assert s.request("/oyster/api/jobs", method="POST", body=WORKFLOW, token=token)[0] == 201
        import http.cookiejar

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(s.url, timeout=10) as res:  # ?token= redirects to the bare address with a cookie
            assert res.status == 200 and "token" not in res.url
        assert s.request("/oyster/api/jobs", token=token + "x")[0] == 401
        for method in ("HEAD", "POST"):  # a mistyped address with the token in it (a GET is redirected without it)
            assert _raw(f"{s.base}/no-such-page?token={token}", method=method)[0] in (404, 405), method
        assert _raw(f"{s.base}/_nicegui_ws/socket.io/?EIO=4&transport=polling&token={token}")[0] == 200
    finally:
        s.stop()
    assert token not in (tmp_path / "ws" / "serve.log").read_text()


# ---------------------------------------------------------------------------------------------- 2. files


def test_files_are_served_as_data(browser: Any, server: ServerProcess, attacker: Attacker) -> None:
    out = server.workspace / "out"
    out.mkdir(exist_ok=True)
    script = f"<script>alert(1); fetch('{attacker.base}/leak')</script>"
    (out / "evil.html").write_text(f"<html><body>{script}</body></html>")
    (out / "evil.xhtml").write_text(f'<html xmlns="http://www.w3.org/1999/xhtml">{script}</html>')
    (out / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (out / "evil.png").write_text(script)  # a PNG name over HTML bytes: nosniff keeps it an image
    (out / "test..png").write_bytes(b"\x89PNG\r\n\x1a\n")
    for name in ("evil.html", "evil.xhtml", "evil.svg"):
        status, headers, _ = _raw(f"{server.base}/oyster/files/{name}")
        assert status == 200 and headers["content-type"] == "application/octet-stream"
        assert headers["content-disposition"].startswith("attachment") and headers["x-content-type-options"] == "nosniff"
    status, headers, body = _raw(f"{server.base}/oyster/files/test..png")
    assert status == 200 and headers["content-type"] == "image/png" and body.startswith(b"\x89PNG")
    assert "attachment" not in headers.get("content-disposition", "") and headers["x-content-type-options"] == "nosniff"
    for path, allowed in ((f"{'a' * 300}.png", (400, 404)), ("x%00.png", (400, 404)), ("a%0d%0ab.png", (400, 404)),
                          (f"{'b' * 255}/{'c' * 256}", (400, 404)), ("..%2F..%2Fetc%2Fpasswd", (400, 404))):
        assert _raw(f"{server.base}/oyster/files/{path}")[0] in allowed, path
    dialogs: list[str] = []
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for name in ("evil.html", "evil.xhtml", "evil.svg"):
        with page.expect_download():
            try:
                page.goto(f"{server.base}/oyster/files/{name}")
            except Exception:  # Chromium reports "Download is starting" as a navigation error
                pass
    page.goto(f"{server.base}/oyster/files/evil.png")
    page.wait_for_timeout(500)
    context.close()
    assert dialogs == [] and "/leak" not in attacker.hits


def test_editor_pages_carry_a_script_nonce_policy(server: ServerProcess) -> None:
    status, headers, body = _raw(server.base + "/")
    policy = headers["content-security-policy"]
    assert status == 200 and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert body.count(b"<script") == body.count(f'<script nonce="{nonce}"'.encode()) > 0
    assert headers["x-frame-options"] == "DENY" and headers["cross-origin-resource-policy"] == "same-origin"


# ---------------------------------------------------------------------------------------------- 3. markup


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, attacker: Attacker) -> Iterator[ServerProcess]:
    """A server whose templates, workflow strings, outputs and node errors all carry markup."""
    root = tmp_path_factory.mktemp("hostile")
    templates = root / "templates"
    templates.mkdir()
    leak = f'<img src="{attacker.base}/leak" onerror="alert(2)">'
    doc = json.loads(WORKFLOW)
    doc["metadata"] = {"name": MARKUP, "description": leak}
    doc["nodes"][0]["editor"]["title"] = leak + MUSTACHE
    doc["nodes"].append({"id": "w", "type": "uitest.widgets", "params": {"script": f"{MARKUP}\n"},
                         "editor": {"position": [0, 500], "title": MARKUP}})
    doc["nodes"].append({"id": "u", "type": MARKUP[:100], "params": {}, "editor": {"position": [300, 500]}})
    doc["notes"][0]["text"] = leak + "</textarea><script>alert(3)</script>" + MUSTACHE
    (templates / 'q" onmouseover="alert(1)" x=".json').write_text(json.dumps(doc))
    workspace = root / "ws"
    (workspace / "out").mkdir(parents=True)
    (workspace / "out" / f'{MARKUP}" onmouseover="alert(4).png').write_bytes(b"\x89PNG\r\n\x1a\n")
    (workspace / "out" / f"{MUSTACHE}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (workspace / "saved").mkdir()
    (workspace / "saved" / f"{MARKUP}.json").write_bytes(WORKFLOW)
    s = harness.start_server(workspace, templates=templates, packs=[PACKS])
    schedule = {"name": f"{MARKUP}{MUSTACHE}"[:100], "saved": f"{MARKUP}.json", "cron": "0 2 * * *"}
    assert s.request("/oyster/api/schedules", method="POST", body=json.dumps(schedule).encode())[0] == 201
    yield s
    s.stop()


def test_strings_from_workflows_files_and_packs_never_become_markup(browser: Any, hostile: ServerProcess,
                                                                   attacker: Attacker) -> None:
    page = open_editor(browser, hostile.url)
    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(hostile.base) else outside.append(r.url))
    page.get_by_test_id("templates-button").click()
    card = page.locator("[data-template]").first
    card.wait_for()
    assert card.get_attribute("data-template") == 'q" onmouseover="alert(1)" x=".json'
    card.hover()
    card.click()
    page.wait_for_selector(".oy-node[data-node-id='w']")
    page.hover(".oy-node-title >> nth=0")
    page.get_by_test_id("run-button").click()  # refused: the unknown type's problem (with its name) is listed
    page.wait_for_selector(".oy-problem-row")
    page.locator(".oy-problem-row").first.hover()
    page.get_by_text("Outputs").click()
    page.wait_for_selector(".oy-gallery")
    page.locator(".oy-gallery .oy-template").first.hover()
    page.keyboard.press("Escape")
    page.click("[data-testid=schedules-button]")
    page.locator("[data-testid=schedule-row]").first.hover()
    page.wait_for_timeout(800)
    assert dialogs == [] and outside == [] and "/leak" not in attacker.hits
    assert page.locator("script:not([nonce])").count() == 0
    shown = page.content().replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
    assert MARKUP in shown and MUSTACHE in shown
    page.context.close()


def test_a_node_error_with_markup_is_shown_as_text(browser: Any, hostile: ServerProcess, attacker: Attacker) -> None:
    doc = json.loads(WORKFLOW)
    doc["nodes"] = [{"id": "w", "type": "uitest.widgets", "params": {"script": f"{MARKUP}\n"},
                     "editor": {"position": [0, 0], "title": MARKUP}}]
    doc["links"], doc["notes"] = [], []
    page = open_editor(browser, hostile.url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    harness.drop_file(page, "hostile.json", doc)
    page.wait_for_selector(".oy-node[data-node-id='w']")
    page.get_by_test_id("run-button").click()
    message = page.locator(".oy-run-error .oy-error-message")
    message.wait_for(timeout=20_000)
    assert "onerror" in message.inner_text()
    page.locator(".oy-problem-row").first.wait_for()
    page.wait_for_timeout(500)
    assert dialogs == [] and "/leak" not in attacker.hits
    page.context.close()


# ---------------------------------------------------------------------------------------------- 4. errors


def test_job_errors_carry_no_traceback_or_absolute_paths(server: ServerProcess) -> None:
    doc = json.loads(WORKFLOW)
    doc["nodes"] = [{"id": "w", "type": "uitest.widgets", "params": {"script": "not a line\n"}}]
    doc["links"], doc["notes"] = [], []
    _, job = server.request("/oyster/api/jobs", method="POST", body=json.dumps(doc).encode())
    detail = _wait(server, job["id"])
    error = detail["nodes"]["w"]["error"]
    assert error["message"] and "traceback" not in error
    text = json.dumps(detail)
    for secret in (str(server.workspace), str(Path(__file__).resolve().parents[2]), str(Path.home()), "Traceback"):
        assert secret not in text, secret
    assert "Traceback" in (server.workspace / "serve.log").read_text()  # the operator still has it


def test_problems_of_served_files_name_them_inside_their_folder(tmp_path: Path) -> None:
    from oyster_nodes.server.workspace import Workspace
    from oyster_nodes.workflow import WorkflowError

    ws = Workspace(root=tmp_path / "ws", templates=tmp_path / "templates", outputs=tmp_path / "ws" / "out")
    for folder in (ws.templates, ws.saved):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "broken.json").write_text('{"format": "oyster-workflow", broken')
    for kind in ("template", "saved"):
        problem = next(e.problem for e in ws.list(kind) if e.path == "broken.json")
        assert problem and "'broken.json' is not valid JSON" in problem and str(tmp_path) not in problem, problem
        with pytest.raises(WorkflowError) as refused:
            ws.open(kind, "broken.json")
        assert str(tmp_path) not in str(refused.value) and "broken.json" in str(refused.value)


def test_redaction_cuts_paths_down() -> None:
    from oyster_nodes.server.jobs import redact

    text = redact("cannot open /home/ann/secret/world.glb (from /srv/ws/out/a.png); see http://x/y/z",
                  [(Path("/srv/ws"), "<workspace>")])
    assert text == "cannot open …/world.glb (from <workspace>/out/a.png); see http://x/y/z"


# ---------------------------------------------------------------------------------------------- 5. durability


def _wait(server: ServerProcess, job_id: str, states: tuple[str, ...] = ("done", "error", "cancelled"),
          timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, detail = server.request(f"/oyster/api/jobs/{job_id}")
        if status == 200 and detail["state"] in states:
            return detail
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not in {states} after {timeout} s")


def _slow(steps: int) -> bytes:
    doc = json.loads(WORKFLOW)
    doc["metadata"]["name"] = f"slow {steps}"
    doc["nodes"] = [{"id": "s", "type": "uitest.slow", "params": {"steps": steps, "delay_s": 0.1}}]
    doc["links"], doc["notes"] = [], []
    return json.dumps(doc).encode()


def _restart(workspace: Path) -> ServerProcess:
    return harness.start_server(workspace, templates=TEMPLATES, packs=[PACKS])


def test_jobs_survive_kill_9_and_sigterm(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    s = _restart(workspace)
    finished = s.request("/oyster/api/jobs", method="POST", body=WORKFLOW)[1]["id"]
    _wait(s, finished)
    running = s.request("/oyster/api/jobs", method="POST", body=_slow(60))[1]["id"]
    queued = [s.request("/oyster/api/jobs", method="POST", body=_slow(1 + i))[1]["id"] for i in range(4)]
    _wait(s, running, ("running",))
    os.kill(s.process.pid, signal.SIGKILL)
    s.process.wait()
    s = _restart(workspace)
    try:
        listed = {j["id"]: j for j in s.request("/oyster/api/jobs")[1]}
        assert {finished, running, *queued} <= set(listed)
        assert listed[finished]["state"] == "done"
        assert s.request(f"/oyster/api/jobs/{finished}")[1]["nodes"]["scaled"]["previews"][0]["text"] == "50"
        assert listed[running]["state"] in ("queued", "running") and "interrupted" in listed[running]["message"]
        assert all(listed[q]["state"] in ("queued", "running") for q in queued)
        _wait(s, running, ("running",))
        s.process.send_signal(signal.SIGTERM)  # the running node finishes; the run is recorded as interrupted
        assert s.process.wait(timeout=30) is not None
    finally:
        s.stop()
    s = _restart(workspace)
    try:
        for job_id in (running, *queued):
            assert _wait(s, job_id, timeout=90)["state"] == "done"
        log = s.request(f"/oyster/api/jobs/{running}/events/log")[1]
        kinds = [e["kind"] for e in log if e["kind"] not in ("node", "started", "progress", "committing", "output")]
        assert kinds == ["submitted", "leased", "interrupted", "requeued", "leased", "interrupted", "requeued",
                         "leased", "finished"], kinds
        reasons = [e["body"]["reason"] for e in log if e["kind"] == "interrupted"]
        assert reasons[1] == "the server was stopped", reasons
        assert [e["body"]["attempt"] for e in log if e["kind"] == "leased"] == [1, 2, 3]
    finally:
        s.stop()


# ---------------------------------------------------------------------------------------------- 6. memory


def test_page_visits_give_their_memory_back(server: ServerProcess) -> None:
    def visit(n: int) -> None:
        for _ in range(n):
            assert _raw(server.base + "/")[0] == 200

    def rss_mb() -> float:
        for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def freed() -> float:  # pages whose browser never connected are freed after 20 s
        deadline = time.monotonic() + 60
        while server.request("/oyster/api/sessions")[1]["live"] > 0:
            assert time.monotonic() < deadline, "visits that never connected keep their sessions"
            time.sleep(1)
        return rss_mb()

    visit(60)
    before = freed()
    visit(300)
    assert freed() - before <= 20
