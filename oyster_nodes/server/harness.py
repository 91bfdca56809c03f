"""Drive the editor from outside: an `oyster serve` subprocess and Debian's headless Chromium.

Shared by the browser tests, the editor benchmark and the screenshot script. Playwright is a dev
dependency and is imported only by `launch_chromium`.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .options import REPO_ROOT

CHROMIUM = os.environ.get("OYSTER_CHROMIUM", "/usr/bin/chromium")
#: WebGL comes from SwiftShader (ANGLE on the CPU), so the 3D view renders the same with or without a GPU
WEBGL_ARGS = ("--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", *WEBGL_ARGS, "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(kw_only=True)
class ServerProcess:
    base: str
    workspace: Path
    token: str | None
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}" if self.token else f"{self.base}/"

    def request(self, path: str, *, method: str = "GET", body: bytes | None = None,
                token: str | None = None) -> tuple[int, Any]:
        """(status, decoded JSON) of one API call."""
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers={"content-type": "application/json", "accept": "application/json"})
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(workspace: Path, *, templates: Path, token: str | None = None, packs: Sequence[Path] = (),
                 open_workflow: Path | None = None, timeout_s: float = 60.0, port: int | None = None) -> ServerProcess:
    """Start `oyster serve` on a free port (or `port`, to restart one in place) and wait until its API answers."""
    port = port or free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    for name in ("OYSTER_TOKEN", "PYTEST_CURRENT_TEST", "NICEGUI_SCREEN_TEST_PORT"):
        env.pop(name, None)
    args = [sys.executable, "-m", "oyster_nodes.cli", *[a for p in packs for a in ("--packs", str(p))], "serve",
            "--port", str(port), "--workspace", str(workspace), "--templates", str(templates),
            "--cache-dir", str(workspace / ".cache"), "--device", "cpu"]
    args += ["--open", str(open_workflow)] if open_workflow else ["--blank"]
    if token:
        args += ["--token", token]
    workspace.mkdir(parents=True, exist_ok=True)
    with open(workspace / "serve.log", "wb") as log:
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(base=f"http://127.0.0.1:{port}", workspace=workspace, token=token, process=process)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oyster serve exited:\n{(workspace / 'serve.log').read_text()}")
        try:
            if server.request("/oyster/api/sessions", token=token)[0] == 200:
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"oyster serve did not answer in {timeout_s:.0f} s")


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def open_editor(browser: Any, url: str, *, width: int = 1500, height: int = 900) -> Any:
    """A fresh browser context on the editor, once the canvas and its API are up."""
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(".vue-flow__pane", timeout=20_000)
    page.wait_for_function("window.oysterEditor !== undefined && window.oysterEditor.catalogReady")
    return page


def drop_file(page: Any, name: str, doc: dict[str, Any] | bytes) -> None:
    """Drop a file onto the canvas, as dragging it from the desktop does: a workflow (dict, sent as JSON) or
    any file's bytes (an exported PNG, MP4, GLB... carrying one)."""
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    page.evaluate("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
        const dt = new DataTransfer()
        dt.items.add(new File([bytes], name))
        const canvas = document.querySelector('.oy-canvas')
        for (const kind of ['dragover', 'drop'])
            canvas.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }))
    }""", [name, base64.b64encode(data).decode()])
