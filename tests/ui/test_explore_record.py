"""The Explore hub without a browser: a recording's nodes go into the editor tab's graph with the mesh files
brought in live as mesh import nodes chained after the explored world; a recorded script over the size limit
and a megabyte socket message are refused with a clear answer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor
from oyster_nodes.registry import load_registry
from oyster_nodes.server.explore import Connection, ExploreHub, Opened, OpenError
from oyster_nodes.server.sessions import SessionStore
from oyster_nodes.server.workspace import Workspace
from oyster_nodes.world.explore.session import ExploreSettings
from oyster_nodes.world.state.world_state import WorldState

from ..world.shot_world import flat
from ..world.test_explore_import import mesh_files

SMALL = ExploreSettings(width=96, height=54)
GRAPH = {"format": "oyster-workflow", "version": 1, "nodes": [
    {"id": "load", "type": "world.load", "params": {"path": "flat.oyworld.safetensors"}}], "links": []}


def run_apart(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a loop of its own, whatever loop the browser fixtures keep running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def hub_and_tab(tmp_path: Path) -> tuple[ExploreHub, str, Opened]:
    registry = load_registry(use_entry_points=False)
    out = mesh_files(tmp_path / "out")
    sessions = SessionStore(registry=registry, workspace=Workspace(root=tmp_path, templates=tmp_path / "t",
                                                                  outputs=out))
    hub = ExploreHub(registry=registry, executor=Executor(Cache()), sessions=sessions, device="cpu", out_dir=out)
    tab = sessions.create()
    sessions.update(tab, tab.rev, GRAPH)
    world: WorldState = flat()
    opened = Opened(key="k1", node="load", kind="world", world=world, events=[], world_source=("load", "world"),
                    sid=tab.sid)
    return hub, tab.sid, opened


def test_a_recording_with_live_meshes_becomes_import_nodes_chained_before_the_camera(tmp_path: Path) -> None:
    hub, sid, opened = hub_and_tab(tmp_path)
    viewer = hub.start(opened, SMALL)
    try:
        s = viewer.session
        assert s.files == tmp_path / "out"  # the hub's sessions read from the output folder
        s.encoder = _encoder()
        for text in ("put chair.glb here", "spawn models/lamp.obj there"):
            assert s.handle({"type": "say", "text": text})["ok"]
            for _ in range(6):
                s.tick(1 / 24)
        nodes = s.recording_nodes()
    finally:
        hub.stop(viewer)
    body = hub.insert_recording(opened, sid, nodes)
    ids = body["nodes"]
    assert set(ids) == {"camera", "actions", "import1", "import2"} and body["problems"] == []
    doc = hub.sessions.get(sid).doc
    links = {(lk["from_node"], lk["to_node"]) for lk in doc["links"]}
    assert {("load", ids["import1"]), (ids["import1"], ids["import2"]), (ids["import2"], ids["camera"])} <= links
    assert body["world"] == {"node": ids["import2"], "output": "world"}
    placed = {n["id"]: n for n in doc["nodes"]}
    assert placed[ids["import1"]]["params"]["path"] == "chair.glb"
    assert placed[ids["import2"]]["params"]["place"] == "aside"


def test_a_recorded_script_over_the_limit_is_refused_naming_the_node_and_field(tmp_path: Path) -> None:
    hub, sid, opened = hub_and_tab(tmp_path)
    nodes = {"actions": {"type": "action.script", "params": {"script": "at 0s wind 3\n" * 80_000}}}
    with pytest.raises(OpenError, match=r"recording node 'actions' \(action.script\) params.script: the script is "
                                        r"1040000 characters; the limit is 200000; keep fewer events"):
        hub.insert_recording(opened, sid, nodes)
    with pytest.raises(OpenError, match="is not a camera, action script or mesh import node"):
        hub.insert_recording(opened, sid, {"import": {"type": "world.import_mesh", "params": {}}})
    assert len(hub.sessions.get(sid).doc["nodes"]) == 1  # nothing was inserted


def test_a_megabyte_message_gets_an_answer_and_the_session_goes_on(tmp_path: Path) -> None:
    hub, sid, opened = hub_and_tab(tmp_path)
    viewer = hub.start(opened, SMALL)
    try:
        conn = Connection(hub, None, viewer)  # type: ignore[arg-type]  # answers need no socket
        said = '{"type": "say", "text": "' + "a" * 1_000_000 + '"}'
        reply = run_apart(conn.answer(said, None))
        assert reply["type"] == "error" and "at most 4096 bytes" in reply["error"]
        reply = run_apart(conn.answer('{"type": "drop"}', None))
        assert reply["ok"] is True
    finally:
        hub.stop(viewer)


def _encoder() -> object:
    from oyster_nodes.world import TEXT_ENCODER

    from ..params import component

    return component(TEXT_ENCODER)
