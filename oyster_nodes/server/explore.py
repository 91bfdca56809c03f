"""Explore in the browser: a world (or a simulated shot) opened from a node, streamed as JPEG frames.

One ExploreSession per websocket, so each tab explores privately: its own camera, its own changes, its own
snapshots (two people rewinding one shared world would undo each other). Closing the tab closes its socket,
which frees the session, its renderer hold and its encoder.

The stream: the server renders a frame only when the client has acknowledged the one before (at most
`WINDOW` frames unacknowledged), at most `MAX_FPS` a second. A client that falls behind gets fewer frames,
each showing the present: nothing is ever queued. The world keeps ticking in real time either way.

Frames are binary messages: a 4-byte big-endian header length, a JSON header (frame number, session time,
the last input applied, the viewer's pose) and the JPEG bytes. Input is small JSON text: the session's own
messages (keys, look, mode, speed, time, weather, event, say, snapshot, restore) plus `ack` and `record`.
A bad message gets an error message back; more than `RATE_PER_S` messages a second are dropped with a notice.
Every route sits behind the request gate (token, host and same-origin checks apply to the socket too).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import simplejpeg
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..devices import resolve
from ..executor import Executor, RunOptions
from ..graph import build, validate
from ..registry import Registry
from ..workflow import Problem, WorkflowError, parse_data
from ..world.actions.events import ActionError
from ..world.actions.parse import SIZE_FIX, check_size
from ..world.explore.session import ExploreError, ExploreSession, ExploreSettings
from ..world.prompt.concepts import WEATHERS
from ..world.state.timeline import Timeline
from ..world.state.world_state import WorldState
from .options import EDITOR_ROOT
from .sessions import SessionStore

log = logging.getLogger(__name__)

PREFIX = "/oyster"
MAX_MESSAGE_BYTES = 4096
#: input messages a second a client may send (a held key repeats ~30 a second, a mouse ~60-120)
RATE_PER_S = 120.0
BURST = 240.0
MAX_FPS = 30.0
#: frames sent and not yet acknowledged before the server stops rendering for this client
WINDOW = 1
MAX_OPENED = 8
MAP_PX = 160
EXPLORE_JS = EDITOR_ROOT / "src" / "explore.js"
EXPLORE_CSS = EDITOR_ROOT / "src" / "explore.css"


class OpenError(ValueError):
    """A node that cannot be explored; the text says why and what would work."""


@dataclass(kw_only=True, slots=True)
class Opened:
    """A world ready to explore: the node's world and, for a simulated shot, its events."""

    key: str
    node: str
    kind: str
    world: WorldState
    events: list[dict[str, Any]]
    #: the node whose World output the recorded camera should take
    world_source: tuple[str, str]
    sid: str | None = None


class OpenRequest(BaseModel):
    """POST body of /api/explore/worlds: a node of an editor tab's graph (sid) or of a workflow given here."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    node: str = Field(min_length=1, max_length=200)
    sid: str | None = Field(default=None, max_length=200)
    workflow: dict[str, Any] | None = None


class RecordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    world: str = Field(min_length=1, max_length=100)
    sid: str = Field(min_length=1, max_length=200)
    nodes: dict[str, dict[str, Any]]


class RateLimit:
    """A token bucket: `take()` is False once a client sends faster than RATE_PER_S for longer than BURST."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate, self.burst, self.tokens, self.last = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass(kw_only=True)
class Viewer:
    """One socket's session and its stream state."""

    id: int
    opened: Opened
    session: ExploreSession
    stack: ExitStack
    lock: threading.Lock = field(default_factory=threading.Lock)
    frame: int = 0
    acked: int = 0
    dropped: int = 0
    applied_seq: int = 0
    flooded: int = 0
    flood_noticed: float = 0.0
    limit: RateLimit = field(default_factory=RateLimit)
    ack_event: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def in_flight(self) -> int:
        return self.frame - self.acked

    def step(self, dt: float) -> tuple[WorldState, Any]:
        """Tick the world and the viewer; what to render now (taken under the lock, rendered outside it)."""
        with self.lock:
            self.session.tick(dt)
            return self.session.world_now(), self.session.camera()

    def header(self) -> dict[str, Any]:
        p = self.session.walker.pose
        return {"kind": "frame", "frame": self.frame, "t": round(self.session.t, 4), "input_seq": self.applied_seq,
                "pos": [round(p.x, 3), round(p.y, 3), round(p.z, 3)], "yaw_deg": round(p.yaw_deg, 2),
                "pitch_deg": round(p.pitch_deg, 2), "mode": self.session.walker.mode,
                "speed_mps": round(self.session.walker.speed_mps, 2), "dropped": self.dropped,
                "clock_h": self.session.world.env.clock_h, "weather": self.session.world.env.weather,
                "snapshots": list(self.session.snapshots), "sent_unix": time.time()}


@dataclass(kw_only=True, slots=True)
class Picture:
    """A rendered frame not yet sent: its pixels and its header (without the frame number)."""

    rgb: np.ndarray
    header: dict[str, Any]


def pack(header: dict[str, Any], payload: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return len(head).to_bytes(4, "big") + head + payload


def map_jpeg(world: WorldState, px: int = MAP_PX) -> bytes:
    """A small top-down map: terrain shaded by height, water blue, buildings dark; +y is up."""
    n = world.height_hw.shape[0]
    idx = np.linspace(0, n - 1, px).astype(int)
    h = world.height_hw[np.ix_(idx, idx)].astype(np.float32)
    w = world.water_hw[np.ix_(idx, idx)]
    lo, hi = float(np.nanmin(h)), float(np.nanmax(h))
    v = (h - lo) / max(hi - lo, 1e-6)
    rgb = np.stack([60 + 120 * v, 110 + 90 * v, 60 + 60 * v], -1)
    wet = np.isfinite(w) & (w > h)
    rgb[wet] = (40, 90, 160)
    cell = world.size_m / (px - 1)
    for s in world.structures:
        i, j = int(round(s.y / cell)), int(round(s.x / cell))
        rgb[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2] = (40, 36, 32)
    img = np.ascontiguousarray(np.clip(rgb, 0, 255).astype(np.uint8)[::-1])
    return simplejpeg.encode_jpeg(img, quality=80, colorspace="RGB")


class ExploreHub:
    """Opened worlds (by their node's cache key) and the live viewers; renders on one thread of its own."""

    def __init__(self, *, registry: Registry, executor: Executor, sessions: SessionStore, device: str,
                 out_dir: Any, settings: ExploreSettings | None = None) -> None:
        self.registry, self.executor, self.sessions = registry, executor, sessions
        self.device, self.out_dir = device, out_dir
        self.settings = settings or ExploreSettings()
        self.opened: OrderedDict[str, Opened] = OrderedDict()
        self.viewers: dict[int, Viewer] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oyster-explore")
        self._ids = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ opening a node's world
    def open(self, doc: dict[str, Any], node: str, *, sid: str | None = None) -> Opened:
        """Run the graph up to `node` (cached results are reused) and keep its world to explore."""
        graph = build(parse_data(doc, source="graph"), self.registry)
        if node not in graph.nodes:
            raise OpenError(f"there is no node {node!r} in the graph: save the graph, or pick a node that is there")
        gn = graph.nodes[node]
        ports = {p.name: p.type for p in gn.cls.outputs}
        timeline = next((n for n, t in ports.items() if t is Timeline), None)
        world_port = next((n for n, t in ports.items() if t is WorldState), None)
        if timeline is None and world_port is None:
            raise OpenError(f"node {node!r} ({gn.cls.type}) outputs no World or Timeline: explore a world or "
                            "simulate node")
        source = (node, world_port) if world_port else gn.inputs.get("world")
        if source is None:
            raise OpenError(f"node {node!r} has no world connected: connect its 'world' input")
        targets = list(dict.fromkeys([node, source[0]]))
        options = RunOptions(targets=targets, device=self.device, out_dir=self.out_dir)
        key = self.executor.plan(graph, targets, out_dir=self.out_dir).keys[node]
        result = self.executor.run(graph, options)
        if result.errors:
            e = result.errors[0]
            raise OpenError(f"node {e.node_id!r} failed, so there is no world to explore: {e.message}")
        world = result.outputs[source[0]][source[1]]
        shot = timeline is not None and world_port is None
        events = [e.to_json() for e in result.outputs[node][timeline].events] if shot else []
        opened = Opened(key=key, node=node, kind="timeline" if shot else "world", world=world, events=events,
                        world_source=(source[0], source[1]), sid=sid)
        with self._lock:
            self.opened[key] = opened
            self.opened.move_to_end(key)
            while len(self.opened) > MAX_OPENED:
                self.opened.popitem(last=False)
        return opened

    def find(self, key: str) -> Opened | None:
        with self._lock:
            return self.opened.get(key)

    # ------------------------------------------------------------------ viewers
    def start(self, opened: Opened, settings: ExploreSettings) -> Viewer:
        from ..world.prompt.embed import TEXT_ENCODER
        from ..world.render.renderer import RENDERER

        stack = ExitStack()
        try:
            renderer = stack.enter_context(self.executor.components.use(RENDERER, resolve(self.device)))

            def encoder() -> Any:  # loaded once a 'say' line is English
                return stack.enter_context(self.executor.components.use(TEXT_ENCODER, "cpu"))

            session = ExploreSession(opened.world, renderer, events=opened.events or None, settings=settings,
                                     encoder=encoder, files=Path(self.out_dir) if self.out_dir else None)
        except BaseException:
            stack.close()
            raise
        with self._lock:
            self._ids += 1
            viewer = Viewer(id=self._ids, opened=opened, session=session, stack=stack)
            self.viewers[viewer.id] = viewer
        return viewer

    def stop(self, viewer: Viewer) -> None:
        with self._lock:
            self.viewers.pop(viewer.id, None)
        with viewer.lock:
            viewer.stack.close()

    def draw(self, viewer: Viewer, dt: float) -> Picture:
        """Tick and render one frame (on the hub's render thread); it is encoded and sent elsewhere, while
        the next one is drawn."""
        with viewer.lock:
            viewer.session.tick(dt)
            world, camera = viewer.session.world_now(), viewer.session.camera()
            header = viewer.header()
        rgb = viewer.session.renderer.render(world, camera, passes=("rgb",)).rgb_hw3
        return Picture(rgb=rgb, header=header)

    def encode(self, picture: Picture, frame: int) -> bytes:
        """The frame message: its header (numbered `frame`) and the picture as JPEG."""
        jpeg = simplejpeg.encode_jpeg(np.ascontiguousarray(picture.rgb), quality=self.settings.jpeg_quality,
                                      colorspace="RGB", fastdct=True)
        return pack({**picture.header, "frame": frame, "sent_unix": time.time()}, jpeg)

    # ------------------------------------------------------------------ recording -> nodes
    def insert_recording(self, opened: Opened, sid: str, nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Add the recording's nodes to an editor tab's graph (a new revision): a camera path and an action
        script, and a mesh import node (place aside) for each mesh file brought in live, chained after the
        explored world in the order they came; the camera takes its world from the last of them."""
        for role, spec in nodes.items():
            _check_script_size(role, spec)
        session = self.sessions.get(sid)
        if session is None:
            raise OpenError("the editor tab this world came from is closed: open Explore again from the editor")
        doc = json.loads(json.dumps(session.doc))
        taken = {n["id"] for n in doc.get("nodes", [])}
        anchor = next((n for n in doc.get("nodes", []) if n["id"] == opened.world_source[0]), None)
        x, y = (anchor.get("editor", {}).get("position", (0.0, 0.0)) if anchor else (0.0, 0.0))
        ids = {}
        imports = sorted((r for r in nodes if re.fullmatch(r"import\d{1,2}", r)), key=lambda r: int(r[6:]))
        for k, (role, spec) in enumerate(sorted(nodes.items())):
            if RECORDED.get("import" if role in imports else role.replace("import", "-")) != spec.get("type"):
                raise OpenError(f"recording node {role!r} is not a camera, action script or mesh import node")
            ids[role] = _fresh(f"explore_{role}", taken)
            doc["nodes"].append({"id": ids[role], "type": spec["type"], "params": dict(spec.get("params", {})),
                                 "editor": {"position": [float(x) + 340.0 * k, float(y) + 320.0],
                                            "title": TITLES[role.rstrip("0123456789")]}})
        world = opened.world_source
        for role in [*imports, "camera"]:
            if role in ids:
                doc.setdefault("links", []).append({"from_node": world[0], "from_output": world[1],
                                                    "to_node": ids[role], "to_input": "world"})
                if role != "camera":
                    world = (ids[role], "world")
        workflow = parse_data(self.sessions.canonical(doc), source="graph")
        problems = [p for p in validate(workflow, self.registry) if p.node in ids.values()]
        session.doc = workflow.model_dump(mode="json")  # a new revision of the same graph: the tab reloads it
        session.rev += 1
        session.touched = time.time()
        session.problems = [p.to_dict() for p in self.sessions.problems_of(workflow)]
        session.seq += 1  # a journal version of its own: a copy the tab kept of the graph before cannot win over it
        self.sessions.workspace.autosave(session.doc_id, workflow, seq=session.seq)
        return {"nodes": ids, "rev": session.rev, "world": {"node": world[0], "output": world[1]},
                "problems": [p.to_dict() | {"text": str(p)} for p in problems]}


#: the node type of each role a recording's nodes have ("import" for import1, import2, ...)
RECORDED = {"camera": "camera.keyframes", "actions": "action.script", "import": "world.import_mesh"}
TITLES = {"camera": "Explored camera", "actions": "Explored actions", "import": "Explored mesh"}


def _check_script_size(role: str, spec: dict[str, Any]) -> None:
    """A recorded action script within the node's limits, before it goes into the graph."""
    script = spec.get("params", {}).get("script") if isinstance(spec.get("params"), dict) else None
    if spec.get("type") != "action.script" or not isinstance(script, str):
        return
    try:
        check_size(script)
    except ActionError as exc:
        raise OpenError(f"recording node {role!r} (action.script) params.script: {exc.reason}; {SIZE_FIX}") from None


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name


# ---------------------------------------------------------------------- the socket
class Connection:
    """One websocket: a receiver for input and a sender for frames, until either side goes."""

    def __init__(self, hub: ExploreHub, websocket: WebSocket, viewer: Viewer) -> None:
        self.hub, self.ws, self.viewer = hub, websocket, viewer
        self.send_lock = asyncio.Lock()

    async def send_json(self, body: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(body, separators=(",", ":"), default=str))

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.receive()), asyncio.create_task(self.frames())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t.exception() is not None and not isinstance(t.exception(), WebSocketDisconnect):
                    raise t.exception()  # type: ignore[misc]
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def frames(self) -> None:
        """Draw, then send: the next frame is drawn while the last one is encoded, sent and acknowledged, and
        it goes once that one was (at most WINDOW unacknowledged). A client that has not acknowledged within a
        frame period gets no frame from that picture and none drawn for it until it does: the world goes on,
        the slots are counted as dropped, and the next frame drawn shows the present."""
        loop, v, period = asyncio.get_running_loop(), self.viewer, 1.0 / MAX_FPS
        last = time.monotonic()
        sending: asyncio.Task[None] | None = None
        pipelined = False  # a frame went out on the last turn: draw the next one while it travels
        try:
            while True:
                start = time.monotonic()
                dt, last = start - last, start
                if v.in_flight < WINDOW or pipelined:
                    ahead = v.in_flight >= WINDOW  # drawn while the last frame is still on its way
                    picture = await loop.run_in_executor(self.hub.pool, self.hub.draw, v, dt)
                    picture.header["ahead"] = ahead
                    if v.in_flight >= WINDOW:
                        await self.acknowledged(period)
                    pipelined = v.in_flight < WINDOW
                    if pipelined:
                        if sending is not None:
                            await sending
                        v.frame += 1
                        sending = asyncio.create_task(self.send_frame(picture, v.frame))
                    else:  # the client is behind: this picture is not sent
                        v.dropped += 1
                else:  # the client has not shown the last frame yet: the world goes on, no frame is made
                    await loop.run_in_executor(self.hub.pool, v.step, dt)
                    v.dropped += 1
                rest = period - (time.monotonic() - start)
                if rest > 0:
                    await asyncio.sleep(rest)
                if v.in_flight >= WINDOW and not pipelined:
                    await self.acknowledged(period)
        finally:
            if sending is not None:
                sending.cancel()

    async def acknowledged(self, timeout: float) -> None:
        """Wait until the client acknowledges a frame, or `timeout` seconds."""
        v = self.viewer
        v.ack_event.clear()
        if v.in_flight < WINDOW:
            return
        try:
            await asyncio.wait_for(v.ack_event.wait(), timeout=timeout)
        except TimeoutError:
            pass

    async def send_frame(self, picture: Picture, frame: int) -> None:
        data = await asyncio.to_thread(self.hub.encode, picture, frame)
        async with self.send_lock:
            await self.ws.send_bytes(data)

    async def receive(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            reply = await self.answer(message.get("text"), message.get("bytes"))
            if reply is not None:
                await self.send_json(reply)

    async def answer(self, text: str | None, data: bytes | None) -> dict[str, Any] | None:
        """What to send back for one message (None: nothing)."""
        if text is None:
            return _error("binary messages are not taken here: send input as JSON text, e.g. "
                          '{"type": "keys", "down": ["KeyW"]}', size=len(data or b""))
        if len(text) > MAX_MESSAGE_BYTES:
            return _error(f"a message is at most {MAX_MESSAGE_BYTES} bytes (this one has {len(text)})")
        try:
            msg = json.loads(text)
        except json.JSONDecodeError as exc:
            return _error(f"the message is not JSON ({exc.msg} at character {exc.pos}): send e.g. "
                          '{"type": "keys", "down": ["KeyW"]}')
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            return _error("a message is a JSON object with a 'type' (keys, look, mode, speed, time, weather, "
                          "event, say, snapshot, restore, record, ack)")
        if msg["type"] == "ack":
            return self.ack(msg)
        if not self.viewer.limit.take():
            return self.flooded()
        seq = msg.pop("seq", None)
        if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**53):
            return _error("'seq' is a whole number from 0 (it names the input in the frames that show it)")
        if msg["type"] == "record":
            return {"type": "recording", "seq": seq, **await asyncio.to_thread(self.recording)}
        reply = await asyncio.to_thread(self.apply, msg, seq)
        if reply.get("ok") and msg["type"] in ("keys", "look"):
            return None
        return {"type": "reply", "for": msg["type"], "seq": seq, **reply}

    def apply(self, msg: dict[str, Any], seq: int | None) -> dict[str, Any]:
        v = self.viewer
        with v.lock:
            reply = v.session.handle(msg)
            if seq is not None:
                v.applied_seq = seq
        return reply

    def recording(self) -> dict[str, Any]:
        with self.viewer.lock:
            try:
                nodes = self.viewer.session.recording_nodes()
            except ExploreError as exc:  # too long a session for one script: say so, the session goes on
                return {"ok": False, "error": str(exc)}
        return {"ok": True, "nodes": nodes, "world": self.viewer.opened.key}

    def ack(self, msg: dict[str, Any]) -> dict[str, Any] | None:
        n = msg.get("frame")
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= self.viewer.frame:
            return _error(f"'ack' takes the 'frame' number of a frame received (0 to {self.viewer.frame})")
        self.viewer.acked = max(self.viewer.acked, n)
        self.viewer.ack_event.set()
        return None

    def flooded(self) -> dict[str, Any] | None:
        v = self.viewer
        v.flooded += 1
        now = time.monotonic()
        if now - v.flood_noticed < 1.0:
            return None
        v.flood_noticed = now
        return _error(f"too many messages: at most {RATE_PER_S:g} a second are taken; {v.flooded} were dropped "
                      "so far (the session keeps running)", flooded=v.flooded)


def _error(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "ok": False, "error": text, **extra}


def settings_from(query: dict[str, str], base: ExploreSettings) -> ExploreSettings:
    """The frame size a client asks for (?w=&h=), bounded; anything else keeps the server's settings."""
    def dim(name: str, default: int, lo: int, hi: int) -> int:
        try:
            return max(lo, min(hi, int(query.get(name, default))))
        except ValueError:
            return default

    return ExploreSettings(width=dim("w", base.width, 64, 1920), height=dim("h", base.height, 36, 1080),
                           focal_mm=base.focal_mm, jpeg_quality=base.jpeg_quality, sim_fps=base.sim_fps,
                           duration_s=base.duration_s)


# ---------------------------------------------------------------------- routes
def make_explore_router(hub: ExploreHub) -> APIRouter:
    router = APIRouter()

    @router.get(f"{PREFIX}/explore")
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"cache-control": "no-store"})

    @router.get(f"{PREFIX}/explore/explore.js")
    def script() -> FileResponse:
        return FileResponse(EXPLORE_JS, media_type="text/javascript", headers={"cache-control": "no-cache"})

    @router.get(f"{PREFIX}/explore/explore.css")
    def style() -> FileResponse:
        return FileResponse(EXPLORE_CSS, media_type="text/css", headers={"cache-control": "no-cache"})

    @router.post(f"{PREFIX}/api/explore/worlds")
    async def open_world(request: Request) -> Response:
        from .api import problems_body, read_body

        try:
            body = OpenRequest.model_validate_json(await read_body(request))
            doc = body.workflow
            if body.sid is not None:
                session = hub.sessions.get(body.sid)
                if session is None:
                    raise OpenError("no such editor tab (reload the editor and press Explore again)")
                doc = session.doc
            if doc is None:
                raise OpenError("give the editor tab ('sid') or a 'workflow' holding the node")
            opened = await asyncio.to_thread(hub.open, doc, body.node, sid=body.sid)
        except ValidationError as exc:
            err = exc.errors()[0]
            return problems_body([Problem("schema", f"{'.'.join(map(str, err['loc']))}: {err['msg']}")])
        except WorkflowError as exc:
            return problems_body(exc.problems)
        except OpenError as exc:
            return problems_body([Problem("explore", str(exc))])
        return JSONResponse({"world": opened.key, "kind": opened.kind, "node": opened.node,
                             "url": f"{PREFIX}/explore?world={opened.key}"}, status_code=201)

    @router.post(f"{PREFIX}/api/explore/record")
    async def record(request: Request) -> Response:
        from .api import problems_body, read_body

        try:
            body = RecordRequest.model_validate_json(await read_body(request))
            opened = hub.find(body.world)
            if opened is None:
                raise OpenError("this world is no longer open: press Explore on its node again")
            return JSONResponse(hub.insert_recording(opened, body.sid, body.nodes))
        except ValidationError as exc:
            return problems_body([Problem("schema", str(exc.errors()[0]["msg"]))])
        except (WorkflowError, OpenError) as exc:
            problems = exc.problems if isinstance(exc, WorkflowError) else [Problem("explore", str(exc))]
            return problems_body(problems)

    @router.get(f"{PREFIX}/api/explore/sessions")
    def live() -> dict[str, Any]:
        return {"live": len(hub.viewers), "opened": len(hub.opened)}

    @router.websocket(f"{PREFIX}/api/explore/ws")
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        query = dict(websocket.query_params)
        opened = hub.find(query.get("world", ""))
        if opened is None:
            await websocket.send_text(json.dumps(_error("no open world by that key: press Explore on a world or "
                                                        "simulate node in the editor")))
            await websocket.close(code=4404)
            return
        viewer = await asyncio.to_thread(hub.start, opened, settings_from(query, hub.settings))
        try:
            conn = Connection(hub, websocket, viewer)
            await conn.send_json({"type": "hello", "world": opened.key, "kind": opened.kind, "node": opened.node,
                                  "size_m": opened.world.size_m, "width": viewer.session.settings.width,
                                  "height": viewer.session.settings.height, "window": WINDOW,
                                  "rate_per_s": RATE_PER_S, "shared": False, "weathers": list(WEATHERS),
                                  "simulated": viewer.session.sim is not None})
            await websocket.send_bytes(pack({"kind": "map", "size_m": opened.world.size_m},
                                            await asyncio.to_thread(map_jpeg, opened.world)))
            await conn.run()
        except WebSocketDisconnect:
            pass
        except Exception:  # a socket that broke mid-send, a render that failed: this viewer ends, others go on
            log.exception("explore viewer %d ended", viewer.id)
        finally:
            await asyncio.to_thread(hub.stop, viewer)

    return router


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Explore · Oyster Nodes</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/oyster/explore/explore.css"></head>
<body>
<main id="explore" aria-label="Explore the world">
  <div class="ex-view-wrap">
    <img id="view" class="ex-view" tabindex="0" alt="World view" role="application"
      aria-label="World view: W A S D or arrows move, Q and E down and up, Space jumps, Shift runs, J and L turn,
 I and K look up and down; click for mouse look" aria-describedby="help">
    <canvas id="map" class="ex-map" width="160" height="160" role="img" aria-label="Map with your position"></canvas>
    <div id="hud" class="ex-hud" role="status" aria-live="polite"></div>
  </div>
  <aside class="ex-panel" aria-label="Explore controls">
    <h1>Explore</h1>
    <p id="source" class="ex-muted"></p>
    <div class="ex-row">
      <button id="mode" aria-label="Switch to fly mode" aria-pressed="false">Fly</button>
      <button id="jump" aria-label="Jump">Jump</button>
    </div>
    <label for="speed">Speed <span id="speed-value">2.5</span> m/s</label>
    <input id="speed" type="range" min="0.5" max="30" step="0.5" value="2.5">
    <label for="clock">Time of day <span id="clock-value"></span></label>
    <input id="clock" type="range" min="0" max="24" step="0.25" value="12">
    <label for="weather">Weather</label>
    <select id="weather"><option value="">(as it is)</option></select>
    <form id="say-form" class="ex-row">
      <label for="say" class="ex-sr">Say what happens</label>
      <input id="say" type="text" maxlength="200" placeholder="make it rain · a campfire here" autocomplete="off">
      <button type="submit" aria-label="Do it">Do</button>
    </form>
    <div class="ex-row">
      <button id="snapshot" aria-label="Take a snapshot of this moment">Snapshot</button>
      <select id="snapshots" aria-label="Snapshots"></select>
      <button id="rewind" aria-label="Rewind to the chosen snapshot">Rewind</button>
    </div>
    <div id="timeline" class="ex-timeline" hidden>
      <label for="scrub">Timeline <span id="scrub-value">0.0 s</span></label>
      <div class="ex-row">
        <button id="play" aria-label="Pause the world">Pause</button>
        <input id="scrub" type="range" min="0" max="1" step="0.05" value="0">
      </div>
    </div>
    <button id="record" aria-label="Record the session into the graph as nodes">Record → nodes</button>
    <div id="log" class="ex-log" role="log" aria-live="polite" aria-label="Messages"></div>
    <p id="help" class="ex-muted">Keys: W A S D / arrows move · Q E down, up · Space jump · Shift run · J L turn ·
      I K look · F fly/walk · a gamepad works where the browser has one. Click the view for mouse look
      (Esc leaves it).</p>
  </aside>
</main>
<script type="module" src="/oyster/explore/explore.js"></script>
</body></html>
"""
