"""The server's parts without a browser: path confinement, saving, the token gate, the catalog, previews."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oyster_nodes.registry import load_registry
from oyster_nodes.server.api import build_catalog
from oyster_nodes.server.auth import TokenGate
from oyster_nodes.server.previews import make_previews
from oyster_nodes.server.workspace import PathRefused, SaveConflict, Workspace, inside, safe_name
from oyster_nodes.types import CameraPath, Files, Image
from oyster_nodes.workflow import Workflow


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "", "C:\\x", "a\x00b"])
def test_paths_from_outside_stay_inside(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PathRefused):
        inside(tmp_path, bad)


def test_safe_names_and_no_silent_overwrite(tmp_path: Path) -> None:
    for hostile in ("../../etc/passwd", "..", "a/b\\c", ""):
        name = safe_name(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name.endswith(".json")
    ws = Workspace(root=tmp_path, templates=tmp_path / "t", outputs=tmp_path / "out")
    first = Workflow(metadata={"name": "same"})
    name, digest = ws.save(first, "same", opened_hash=None)
    other = Workflow(metadata={"name": "same", "description": "another graph"})
    with pytest.raises(SaveConflict):
        ws.save(other, "same", opened_hash=None)
    ws.save(first, "same", opened_hash=digest)
    ws.save(other, "same", opened_hash=None, overwrite=True)
    assert "another graph" in (tmp_path / "saved" / name).read_text()


def _call(gate: TokenGate, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever the browser fixtures run
        pool.submit(asyncio.run, gate(scope, receive, send)).result()
    return sent[0]["status"], dict(sent[0].get("headers", []))


def test_token_gate() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    gate = TokenGate(app, "secret-token-0123456789")
    base = {"type": "http", "method": "GET", "path": "/", "headers": []}
    assert _call(gate, {**base, "query_string": b""})[0] == 401
    status, headers = _call(gate, {**base, "query_string": b"token=secret-token-0123456789"})
    assert status == 303 and b"HttpOnly" in headers[b"set-cookie"] and headers[b"location"] == b"/"
    cookie = [(b"cookie", b"oyster_token=secret-token-0123456789")]
    assert _call(gate, {**base, "query_string": b"", "headers": cookie})[0] == 200
    bearer = [(b"authorization", b"Bearer secret-token-0123456789")]
    assert _call(gate, {**base, "query_string": b"", "headers": bearer})[0] == 200
    assert _call(gate, {**base, "query_string": b"token=wrong"})[0] == 401


def test_catalog_says_why_links_are_refused() -> None:
    catalog = build_catalog(load_registry(use_entry_points=False))
    assert catalog["compat"]["Float"]["Float"] is None
    assert catalog["compat"]["Int"]["Float"] is None
    assert catalog["compat"]["Text"]["Float"] == "expects Float, got Text"
    assert catalog["colors"]["Float"].startswith("#")


def test_previews_by_output_type(tmp_path: Path) -> None:
    rgb = np.zeros((40, 60, 3), np.uint8)
    image = Image(rgb_hw3=rgb, depth_hw=np.linspace(1, 100, 2400, dtype=np.float32).reshape(40, 60),
                  instance_hw=np.arange(2400).reshape(40, 60) % 7)
    camera = CameraPath(keys=[{"time": 0, "position": [0, 0, 5], "target": [1, 1, 0]}])
    outside = Files(root="/etc", paths=["passwd"])
    items = make_previews("n", {"img": image, "cam": camera, "f": outside, "x": 1.5}, folder=tmp_path,
                          url="/p", files_url="/f", out_dir=tmp_path / "out")
    kinds = {i["output"]: i for i in items}
    assert set(kinds["img"]["passes"]) == {"rgb", "depth", "instance"}
    assert (tmp_path / "n.img.depth.png").read_bytes()[:4] == b"\x89PNG"
    assert kinds["cam"]["keys"][0]["target"] == [1.0, 1.0, 0.0]
    assert kinds["f"]["files"][0]["url"] == ""
    assert kinds["x"]["text"] == "1.5"
