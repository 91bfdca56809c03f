"""The Explore stream against a real `oyster serve`: frames are paced by acknowledgements (a slow client gets
skipped frames, never stale ones), bad input gets a clear answer and the session keeps running, a key flood is
cut off, and the socket obeys the request gate."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from oyster_nodes.server import harness
from oyster_nodes.server.explore_client import Client
from oyster_nodes.server.harness import ServerProcess

from .conftest import PACKS, TEMPLATES

WORLD = Path(__file__).parent / "explore_world.json"
SMALL = "w=160&h=90"


def open_world(server: ServerProcess, node: str = "sim", token: str | None = None) -> str:
    """The key of a node's world, once the server has made it (that can take a while on a busy machine)."""
    body = json.dumps({"workflow": json.loads(WORLD.read_text()), "node": node}).encode()
    req = urllib.request.Request(server.base + "/oyster/api/explore/worlds", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=300) as res:
        assert res.status == 201
        return str(json.loads(res.read())["world"])


@pytest.fixture(scope="module")
def explore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    s = harness.start_server(tmp_path_factory.mktemp("explore"), templates=TEMPLATES, packs=[PACKS])
    try:
        yield s, open_world(s)
    finally:
        s.stop()


def test_frames_come_while_acknowledged_and_show_the_input(explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        assert c.hello and c.hello["shared"] is False and c.hello["simulated"] and c.map_jpeg[:2] == b"\xff\xd8"
        c.until(lambda m: m.get("kind") == "frame", 60.0)  # the first frame uploads the world to the renderer
        c.pump(1.5)
        assert len(c.frames) >= 3 and c.frames[-1][2][:2] == b"\xff\xd8"
        seq = c.send({"type": "keys", "down": ["KeyW"]})
        shown = c.until(lambda m: m.get("kind") == "frame" and m["input_seq"] >= seq)
        c.pump(1.0)
        last = c.frames[-1][1]
        assert last["t"] > shown["t"] and last["pos"] != shown["pos"]  # walking forward
    finally:
        c.close()


def test_the_next_frame_is_drawn_while_the_last_one_travels(explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        c.until(lambda m: m.get("kind") == "frame", 60.0)
        c.frames.clear()
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 2.0:  # a client that shows each frame 40 ms after it came
            h = c.receive(1.0, ack=False)
            if isinstance(h, dict) and h.get("kind") == "frame":
                time.sleep(0.04)
                c.ws.send(json.dumps({"type": "ack", "frame": h["frame"]}))
        numbers = [h["frame"] for _, h, _ in c.frames]
        assert len(numbers) >= 5 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        # drawn while the one before was unacknowledged, and sent only once it was
        assert sum(bool(h["ahead"]) for _, h, _ in c.frames) >= len(numbers) // 2
    finally:
        c.close()


def test_a_client_that_does_not_acknowledge_gets_skipped_frames_not_stale_ones(
        explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        first = c.until(lambda m: m.get("kind") == "frame", ack=False)
        c.pump(2.0, ack=False)  # a stalled client: nothing more is sent (one frame in flight at most)
        assert len(c.frames) == 1, [h["frame"] for _, h, _ in c.frames]
        stalled_at = time.perf_counter()
        c.ws.send(json.dumps({"type": "ack", "frame": first["frame"]}))
        fresh = c.until(lambda m: m.get("kind") == "frame" and m["frame"] > first["frame"], 5.0)
        assert time.perf_counter() - stalled_at < 2.0
        assert fresh["frame"] == first["frame"] + 1  # the next frame, not a backlog
        assert fresh["t"] - first["t"] >= 1.8  # ...and it shows the present: the world went on meanwhile
        assert fresh["dropped"] >= 20  # ~30 frame slots a second were skipped, not queued
    finally:
        c.close()


def test_malformed_messages_get_an_error_and_the_session_keeps_running(explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        for bad, expect in [("{not json", "not JSON"), ("[1, 2]", "JSON object with a 'type'"),
                            (json.dumps({"type": "teleport"}), "unknown message type 'teleport'"),
                            (json.dumps({"type": "look", "dx": "left"}), "dx"),
                            (json.dumps({"type": "ack", "frame": 10**9}), "'ack' takes"),
                            (json.dumps({"type": "keys", "down": "KeyW", "seq": -1}), "'seq' is a whole number"),
                            ("x" * 5000, "at most 4096 bytes")]:
            c.send(bad)
            msg = c.until(lambda m: m.get("ok") is False)
            assert expect in msg["error"], (bad[:40], msg)
        c.ws.send(b"\x00\x01")
        assert "binary messages" in c.until(lambda m: m.get("ok") is False)["error"]
        seq = c.send({"type": "say", "text": "make it rain"})
        assert c.reply_to(seq)["ok"]
        n = len(c.frames)
        rainy = c.until(lambda m: m.get("kind") == "frame" and m["weather"] == "rain")
        assert rainy and len(c.frames) > n  # frames kept coming
    finally:
        c.close()


def test_a_key_flood_is_cut_off_with_a_notice_and_the_stream_goes_on(explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        for k in range(1500):
            c.ws.send(json.dumps({"type": "keys", "down": ["KeyW"] if k % 2 else [], "up": [] if k % 2 else ["KeyW"]}))
        notice = c.until(lambda m: m.get("ok") is False)
        assert "too many messages" in notice["error"] and notice["flooded"] > 0
        time.sleep(2.5)  # the bucket fills again
        seq = c.send({"type": "speed", "mps": 4.0})
        assert c.reply_to(seq)["speed_mps"] == 4.0
        frames = len(c.frames)
        c.pump(1.0)
        assert len(c.frames) > frames
    finally:
        c.close()


def test_snapshot_and_rewind_over_the_socket_restore_the_pose_exactly(explore: tuple[ServerProcess, str]) -> None:
    server, world = explore
    c = Client.open(server.base, world, size=SMALL)
    try:
        c.pump(0.5)
        snap = c.reply_to(c.send({"type": "snapshot", "name": "here"}))
        assert snap["snapshot"] == "here"
        at = c.until(lambda m: m.get("kind") == "frame" and "here" in m["snapshots"])
        c.send({"type": "keys", "down": ["KeyW", "KeyD"]})
        c.pump(1.5)
        c.send({"type": "keys", "up": ["KeyW", "KeyD"]})
        moved = c.frames[-1][1]
        restored = c.reply_to(c.send({"type": "restore", "name": "here"}))
        assert restored["ok"] and moved["pos"] != at["pos"]
        seq = c.seq
        back = c.until(lambda m: m.get("kind") == "frame" and m["input_seq"] >= seq)
        assert back["pos"] == pytest.approx(at["pos"], abs=0.05) and back["t"] < moved["t"]
        unknown = c.reply_to(c.send({"type": "restore", "name": "nowhere"}))
        assert not unknown["ok"] and "no snapshot 'nowhere'" in unknown["error"]
    finally:
        c.close()


def test_an_imported_mesh_is_spawned_live_over_the_socket_and_recorded(explore: tuple[ServerProcess, str]) -> None:
    import trimesh

    server, _ = explore
    out = server.workspace / "out"
    out.mkdir(parents=True, exist_ok=True)
    trimesh.creation.box(extents=(0.6, 0.4, 0.5)).export(str(out / "gift.glb"))
    doc = json.loads(WORLD.read_text())
    doc["nodes"].append({"id": "gift", "type": "world.import_mesh", "params": {"path": "gift.glb", "x": 120.0,
                                                                              "y": 120.0}})
    doc["links"] = [x for x in doc["links"] if x["to_node"] != "sim" or x["to_input"] != "world"] + [
        {"from_node": "world", "from_output": "world", "to_node": "gift", "to_input": "world"},
        {"from_node": "gift", "from_output": "world", "to_node": "sim", "to_input": "world"}]
    body = json.dumps({"workflow": doc, "node": "sim"}).encode()
    req = urllib.request.Request(server.base + "/oyster/api/explore/worlds", data=body, method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as res:
        world = str(json.loads(res.read())["world"])
    c = Client.open(server.base, world, size=SMALL)
    try:
        c.until(lambda m: m.get("kind") == "frame", 60.0)
        reply = c.reply_to(c.send({"type": "say", "text": "the product here"}), 60.0)
        assert reply["ok"] and reply["did"][0]["event"]["shape"] == "mesh", reply
        refused = c.reply_to(c.send({"type": "say", "text": "a chair.glb here"}))
        assert not refused["ok"] and "there is no file 'chair.glb' in the output folder" in refused["error"], refused
        outside = c.reply_to(c.send({"type": "say", "text": "a ../chair.glb here"}))
        assert not outside["ok"] and "leaves the output folder" in outside["error"], outside
        trimesh.creation.box(extents=(0.5, 0.5, 0.8)).export(str(out / "chair.glb"))
        brought = c.reply_to(c.send({"type": "say", "text": "put chair.glb here"}), 60.0)  # from the output folder
        assert brought["ok"] and brought["did"][0]["imported"]["mesh"] == "chair-1", brought
        n = len(c.frames)
        c.pump(1.0)
        assert len(c.frames) > n  # frames kept coming
        recording = c.reply_to(c.send({"type": "record"}))
        assert "spawn shape=mesh id=gift1" in recording["nodes"]["actions"]["params"]["script"], recording
        assert "mesh=chair-1" in recording["nodes"]["actions"]["params"]["script"]
        assert recording["nodes"]["import1"]["params"] == {"path": "chair.glb", "place": "aside", "up_axis": "y",
                                                           "scale": 1.0}
    finally:
        c.close()


def test_opening_a_node_without_a_world_says_which_nodes_can_be_explored(explore: tuple[ServerProcess, str]) -> None:
    server, _ = explore
    body = json.dumps({"workflow": json.loads(WORLD.read_text()), "node": "prompt"}).encode()
    status, answer = server.request("/oyster/api/explore/worlds", method="POST", body=body)
    assert status == 422 and "outputs no World or Timeline" in answer["problems"][0]["text"]
    status, answer = server.request("/oyster/api/explore/worlds", method="POST", body=b'{"node": 3}')
    assert status == 422 and "node" in answer["problems"][0]["text"]
    with connect(server.base.replace("http", "ws") + "/oyster/api/explore/ws?world=" + "0" * 40) as ws:
        assert "no open world by that key" in json.loads(ws.recv(timeout=10))["error"]
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 4404


def test_the_socket_needs_the_token_and_the_same_origin(tmp_path: Path) -> None:
    token = "explore-secret-token-1234567890"
    s = harness.start_server(tmp_path / "ws", templates=TEMPLATES, packs=[PACKS], token=token)
    try:
        world = open_world(s, "world", token=token)
        assert s.request("/oyster/api/explore/worlds", method="POST", body=b"{}")[0] == 401
        with pytest.raises(InvalidStatus) as refused:
            Client.open(s.base, world, size=SMALL)
        assert refused.value.response.status_code == 403  # refused before the handshake (uvicorn answers 403)
        with pytest.raises(InvalidStatus) as cross:
            Client.open(s.base, world, size=SMALL, headers={"authorization": f"Bearer {token}",
                                                            "origin": "http://127.0.0.1:1"})
        assert cross.value.response.status_code == 403
        c = Client.open(s.base, world, size=SMALL, headers={"authorization": f"Bearer {token}"})
        try:
            assert c.hello is not None and c.hello["kind"] == "world"
            c.until(lambda m: m.get("kind") == "frame")
        finally:
            c.close()
    finally:
        s.stop()
