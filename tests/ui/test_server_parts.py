"""The server's parts without a browser: path confinement, saving, the token gate, the catalog, previews."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oyster_nodes.registry import load_registry
from oyster_nodes.server import workspace as workspace_module
from oyster_nodes.server.api import build_catalog
from oyster_nodes.server.auth import RequestGate
from oyster_nodes.server.previews import keep_cached_folders, make_previews
from oyster_nodes.server.sessions import SessionStore, StaleVersion
from oyster_nodes.server.workspace import PathRefused, SaveConflict, Workspace, inside, safe_name
from oyster_nodes.types import Files, Image
from oyster_nodes.workflow import Workflow
from oyster_nodes.world.camera.path import path_from_keys


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


def test_autosaves_are_listed_newest_first_and_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace_module, "MAX_AUTOSAVES", 3)
    ws = Workspace(root=tmp_path, templates=tmp_path / "t", outputs=tmp_path / "out")
    graph = Workflow(metadata={"name": "g"}, nodes=[{"id": "n1", "type": "core.number", "params": {"value": 1}}])
    for i in range(5):
        assert ws.autosave(f"doc{i}", graph)
        os.utime(ws.autosaves / f"doc{i}.json", (1000 + i, 1000 + i))
        assert len(list(ws.autosaves.glob("*.json"))) == min(i + 1, 3)
    ws.autosave("doc3", graph)  # rewriting an autosave adds no file
    os.utime(ws.autosaves / "doc3.json", (2000, 2000))
    assert sorted(p.stem for p in ws.autosaves.glob("*.json")) == ["doc2", "doc3", "doc4"]
    assert [e.path for e in ws.list("autosave")] == ["doc3.json", "doc4.json", "doc2.json"]
    assert [e.path for e in ws.list("autosave", limit=1)] == ["doc3.json"]
    assert ws.list("autosave", limit=0) == []
    fresh = Workspace(root=tmp_path, templates=tmp_path / "t", outputs=tmp_path / "out")
    (ws.autosaves / "extra.json").write_text(graph.to_json())
    fresh.autosave("doc5", graph)  # a new workspace counts (and prunes) on its first save
    assert len(list(ws.autosaves.glob("*.json"))) == 3


def test_journal_versions_go_on_across_sessions_and_leave_with_their_autosave(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace_module, "MAX_AUTOSAVES", 1)
    ws = Workspace(root=tmp_path, templates=tmp_path / "t", outputs=tmp_path / "out")
    store = SessionStore(registry=load_registry(), workspace=ws)
    graph = Workflow(metadata={"name": "g"}, nodes=[{"id": "n1", "type": "core.number", "params": {"value": 1}}])
    doc = graph.model_dump(mode="json")
    first = store.create()
    store.update(first, first.rev, doc)
    store.update(first, first.rev, doc, 7)  # the version a tab gave the copy it kept
    with pytest.raises(StaleVersion):
        store.update(first, first.rev, doc, 7)  # a write that arrives after a newer one changes nothing
    assert (first.seq, ws.journal_seq(first.doc_id)) == (7, 7)
    again = store.create()  # a reloaded tab reopens the journal at its version
    again.replace(graph, ("autosave", f"{first.doc_id}.json"), doc_id=first.doc_id, seq=ws.journal_seq(first.doc_id))
    store.update(again, again.rev, doc)
    assert ws.journal_seq(first.doc_id) == 8
    assert ws.journal_seq("../x") == ws.journal_seq("0123456789ab") == 0
    os.utime(ws.autosaves / f"{first.doc_id}.json", (1000, 1000))
    ws.autosave("fedcba987654", graph)  # pruned: the version goes with its autosave
    assert not (ws.autosaves / f"{first.doc_id}.seq").exists() and ws.journal_seq(first.doc_id) == 0


def test_file_listing_stops_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for d in range(6):
        (tmp_path / f"d{d}").mkdir()
        for f in range(3):
            (tmp_path / f"d{d}" / f"f{f}.txt").write_text("x")
    visited: list[str] = []
    real_walk = os.walk

    def walk(top: Any) -> Any:
        for item in real_walk(top):
            visited.append(item[0])
            yield item

    monkeypatch.setattr(workspace_module.os, "walk", walk)
    ws = Workspace(root=tmp_path, templates=tmp_path / "t", outputs=tmp_path / "out")
    assert len(ws.files(tmp_path, limit=1)) == 1
    assert len(visited) == 3  # the root (no files), d0 (3 files), d1: the 4th file reaches the cap
    assert len(ws.files(tmp_path, limit=100)) == 18


def _call(gate: RequestGate, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes]]:
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

    gate = RequestGate(app, token="secret-token-0123456789")
    host = (b"host", b"127.0.0.1:8420")
    base = {"type": "http", "method": "GET", "path": "/", "headers": [host]}
    assert _call(gate, {**base, "query_string": b""})[0] == 401
    status, headers = _call(gate, {**base, "query_string": b"token=secret-token-0123456789"})
    assert status == 303 and b"HttpOnly" in headers[b"set-cookie"] and headers[b"location"] == b"/"
    cookie = [host, (b"cookie", b"oyster_token=secret-token-0123456789")]
    assert _call(gate, {**base, "query_string": b"", "headers": cookie})[0] == 200
    bearer = [host, (b"authorization", b"Bearer secret-token-0123456789")]
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
    camera = path_from_keys([{"time": 0, "position": [0, 0, 5], "target": [1, 1, 0]}])
    outside = Files(root="/etc", paths=["passwd"])
    items = make_previews("n", {"img": image, "cam": camera, "f": outside, "x": 1.5}, folder=tmp_path,
                          url="/p", files_url="/f", out_dir=tmp_path / "out")
    kinds = {i["output"]: i for i in items}
    assert set(kinds["img"]["passes"]) == {"rgb", "depth", "instance"}
    assert (tmp_path / "n.img.depth.png").read_bytes()[:4] == b"\x89PNG"
    assert kinds["cam"]["keys"][0]["target"] == [1.0, 1.0, 0.0]
    assert kinds["f"]["files"][0]["url"] == ""
    assert kinds["x"]["text"] == "1.5"


def test_cached_preview_folders_are_bounded_and_the_one_in_use_stays(tmp_path: Path) -> None:
    root = tmp_path / "previews"
    image = Image(rgb_hw3=np.zeros((8, 8, 3), np.uint8))
    args = {"files_url": "/f", "out_dir": tmp_path / "out"}
    for i in range(6):
        make_previews("n1", {"image": image}, folder=root / f"cached-{i}", url=f"/p/cached-{i}", **args)
        os.utime(root / f"cached-{i}", (1000 + i, 1000 + i))
    make_previews("n1", {"image": image}, folder=root / "job1", url="/p/job1", **args)
    os.utime(root / "job1", (1, 1))  # a run's previews are the job store's to prune, never these
    removed = keep_cached_folders(root, root / "cached-0", keep=3)  # cached-0 was just read again: the newest now
    assert sorted(removed) == ["cached-1", "cached-2", "cached-3"]
    assert sorted(p.name for p in root.iterdir()) == ["cached-0", "cached-4", "cached-5", "job1"]
    assert any((root / "cached-0").iterdir())
    assert keep_cached_folders(root, root / "cached-9", keep=3) == []  # a key with no files: nothing to keep
