"""Explore: a viewer walking (or flying) through a world while its simulation runs, frame by frame.

An ExploreSession owns the viewer (Walker), the world's steppable simulation (WorldSession, with spare bodies
for live spawns), the renderer (given by the caller, e.g. from the executor's component store), the world's
timelines (Direct: play, pause, seek, edit, branch; see `direct`) and a recording of the camera, which with
the current branch's events becomes a camera-keyframes node and an action-script node so the session renders
as a full-quality shot. Messages from a client are plain dicts; a bad one gets an error reply and leaves the
session running. A 'say' line naming a mesh file the world does not import brings it in from `files` (the output
folder, confined as a node's paths are) as an edit of its own, which a recording turns into a mesh import node.
Frames are JPEG bytes; a client that falls behind gets the newest frame (the caller keeps
one slot, never a queue).

Message types (each a dict with "type"; the reply is {"ok": true, ...} or {"ok": false, "error": ...}):
keys, look, mode, speed (the viewer); time, weather, event, say, throw, drop, push (the world, now);
play, pause, seek, status, branch, checkout, branches, edits, remove_edit, snapshot, restore (time).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import cv2
import numpy as np

from ...paths import inside_folder
from ...types import Image
from ..actions.events import EVENT_KINDS, ActionError, check_event, check_field, format_event
from ..actions.parse import check_size
from ..edit.meshimport import SUFFIXES as MESH_SUFFIXES
from ..edit.meshimport import MeshLimits
from ..edit.operations import EditError, set_time, set_weather
from ..prompt.concepts import WEATHERS
from ..simulate.run import (
    MAX_SPARE_MESHES,
    FrameSample,
    SessionSnapshot,
    SimSettings,
    SimulationError,
    Spare,
    WorldSession,
)
from ..state.records import Agent, number
from ..state.world_state import WorldState
from . import act
from .direct import KEYFRAME_FRAMES, MAX_BRANCHES, Branch, Edit, Keyframe
from .walker import KNOWN_KEYS, Inputs, Walker, dry_start

MAX_MESSAGE_KEYS = 32
MAX_LOOK_DEG = 90.0
MAX_SNAPSHOTS = 16
#: the most points one recorded 'viewer' line holds (ten seconds at 24 fps)
VIEWER_POINTS = 240
#: a stretch of at least this many frames standing still is written as one point
STILL_FRAMES = 6
#: the camera is recorded this often (the keyframes node takes every 0.5 s by default)
RECORD_EVERY_S = 0.1
#: a recorded spawn is written this much higher than it was, so that the x, y cut to a script line's digits
#: (up to half a millimetre on a slope) never puts it inside the ground it rested on
LIFT_M = 0.003
MESSAGE_TYPES = ("keys", "look", "mode", "speed", "time", "weather", "event", "say", "throw", "drop", "push",
                 "play", "pause", "seek", "status", "branch", "checkout", "branches", "edits", "remove_edit",
                 "snapshot", "restore")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
#: the kind of an edit that brings a mesh file in (not an action event: a recording makes it a mesh import node)
IMPORT = "import_mesh"


class ExploreError(ValueError):
    """A message the session cannot act on; the text says why and what would work."""


@dataclass(kw_only=True, slots=True)
class ExploreSettings:
    width: int = 640
    height: int = 360
    focal_mm: float = 24.0
    jpeg_quality: int = 80
    #: simulation frames per second (the viewer moves every rendered frame)
    sim_fps: float = 24.0
    #: how long the world's script may run, seconds
    duration_s: float = 600.0
    #: free bodies and agents for live spawns (throw, drop, spawn text)
    spare: Spare = field(default_factory=Spare)
    #: what a mesh file brought in live may hold (smaller than a mesh import node's: it is read while you watch)
    import_limits: MeshLimits = field(default_factory=lambda: MeshLimits(
        max_file_bytes=16_000_000, max_faces=200_000, max_vertices=400_000))


@dataclass(kw_only=True, slots=True)
class Recorded:
    """A moment of the session: time, the camera's eye and target, and the events applied then."""

    t: float
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True, frozen=True, slots=True)
class Saved:
    """A named snapshot: the moment, the viewer, the world's light, the simulation and the branch's edits."""

    t: float
    walker: Walker
    world: WorldState
    sim: SessionSnapshot
    branch: str
    edits: tuple[Edit, ...]


class ExploreSession:
    def __init__(self, world: WorldState, renderer: Any, *, events: list[dict[str, Any]] | None = None,
                 settings: ExploreSettings | None = None, start: tuple[float, float] | None = None,
                 encoder: Any = None, files: Path | None = None) -> None:
        #: the folder mesh files named in 'say' lines are imported from (the output folder, which a mesh import
        #: node reads); None: a file the world does not import is answered with how to bring it in
        self.files = files
        self._surfaces: dict[str, Any] = {}
        #: the sentence encoder (or a provider of it) for 'say' messages in English, as action scripts read them
        self.encoder = encoder
        self.settings = settings or ExploreSettings()
        self.world = world
        self.renderer = renderer
        #: the world's script; its 'viewer' events (a recorded viewer) give way to the one exploring now
        self.script = [e for e in events or [] if e["kind"] != "viewer"]
        self.sim = WorldSession(world, list(self.script), SimSettings(
            duration_s=self.settings.duration_s, fps=self.settings.sim_fps), spare=self.settings.spare)
        x, y = start or dry_start(world)
        self.walker = Walker.standing(world, x, y)
        self.inputs = Inputs()
        self.t = 0.0
        self.playing = True
        self.branch = Branch(name="main")
        self.branches: dict[str, Branch] = {"main": self.branch}
        self.branch.keyframes[0] = Keyframe(sim=self.sim.snapshot(), world=self.world)
        self.sample: FrameSample | None = self._advance()
        self.recording: list[Recorded] = []
        self.snapshots: dict[str, Saved] = {}
        self._reader: Any = None

    # --- input -------------------------------------------------------------------------------------

    def handle(self, msg: Any) -> dict[str, Any]:
        """Act on one client message; the reply says what happened or, for a bad message, why not."""
        try:
            return {"ok": True, **self._handle(msg)}
        except (ExploreError, EditError, ValueError, TypeError, KeyError) as exc:
            return {"ok": False, "error": str(exc)}

    def _handle(self, msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise ExploreError(f"a message is a JSON object with a 'type' ({', '.join(MESSAGE_TYPES)})")
        kind = msg["type"]
        handler = getattr(self, f"_msg_{kind}", None) if kind in MESSAGE_TYPES else None
        if handler is None:
            raise ExploreError(f"unknown message type {kind!r:.40}; the types are {', '.join(MESSAGE_TYPES)}")
        return handler(msg)

    def _msg_keys(self, msg: dict[str, Any]) -> dict[str, Any]:
        down, up = msg.get("down", []), msg.get("up", [])
        if not (isinstance(down, list) and isinstance(up, list)) or len(down) + len(up) > MAX_MESSAGE_KEYS:
            raise ExploreError(f"'keys' takes lists 'down' and 'up' of at most {MAX_MESSAGE_KEYS} key codes")
        self.inputs.keys |= {k for k in down if k in KNOWN_KEYS}
        self.inputs.keys -= {k for k in up if isinstance(k, str)}
        return {}

    def _msg_look(self, msg: dict[str, Any]) -> dict[str, Any]:
        dx, dy = number(msg, "dx", "'look'", 0.0), number(msg, "dy", "'look'", 0.0)
        ox, oy = self.inputs.look_deg
        self.inputs.look_deg = (float(np.clip(ox + dx, -MAX_LOOK_DEG, MAX_LOOK_DEG)),
                                float(np.clip(oy + dy, -MAX_LOOK_DEG, MAX_LOOK_DEG)))
        return {}

    def _msg_mode(self, msg: dict[str, Any]) -> dict[str, Any]:
        if msg.get("mode") not in ("walk", "fly"):
            raise ExploreError("'mode' is walk or fly")
        self.walker.mode, self.walker.on_ground = msg["mode"], msg["mode"] == "walk" and self.walker.on_ground
        return {"mode": self.walker.mode}

    def _msg_speed(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.walker.speed_mps = float(np.clip(number(msg, "mps", "'speed'", 2.5), 0.2, 60.0))
        return {"speed_mps": self.walker.speed_mps}

    def _msg_time(self, msg: dict[str, Any]) -> dict[str, Any]:
        clock = number(msg, "clock_h", "'time'", None)
        self._edit({"kind": "time", "to": clock})
        return self._env_reply()

    def _msg_weather(self, msg: dict[str, Any]) -> dict[str, Any]:
        if msg.get("weather") not in WEATHERS:
            raise ExploreError(f"'weather' is one of {', '.join(WEATHERS)}")
        self._edit({"kind": "weather", "to": msg["weather"]})
        return self._env_reply()

    def _env_reply(self) -> dict[str, Any]:
        return {"env": {"clock_h": self.world.env.clock_h, "weather": self.world.env.weather}}

    def _msg_event(self, msg: dict[str, Any]) -> dict[str, Any]:
        event = msg.get("event")
        if not isinstance(event, dict):
            raise ExploreError("'event' takes an action event object, e.g. {'kind': 'impulse', 'id': 'ball', "
                               "'vec': [0, 0, 500]}")
        applied = self._edit(event)
        return {"event": _brief(applied)}

    def _msg_say(self, msg: dict[str, Any]) -> dict[str, Any]:
        """A short line read like an action script's, happening now: the line form ('at 0s impulse ball1
        0,0,500'), or English ('make it rain', 'a campfire here', 'three crates on the cart') with the encoder."""
        from ..actions.parse import NotLineForm, parse_lines

        text = msg.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 200 or "\n" in text:
            raise ExploreError("'say' takes one short line (up to 200 characters), e.g. 'make it rain'")
        did: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        undo = self._undo_point()
        try:  # a line is applied whole or not at all (a mesh file it brought in goes again too)
            try:
                events = [_from_now(e) for e in parse_lines(text, encoder=None, english=False).events]
            except NotLineForm:
                events = self._english(text, did)
            for raw in events:
                applied = self._edit(raw)
                did.append(self._env_reply() if applied["kind"] in ("time", "weather") else {"event": _brief(applied)})
        except (ExploreError, EditError, ValueError, TypeError, KeyError) as exc:
            self._undo(undo)
            if len(events) < 2:
                raise
            raise ExploreError(f"{exc} (event {len(did) + 1} of the line's {len(events)}: none of them was "
                               "done)") from None
        return {"did": did}

    def _undo_point(self) -> tuple[Any, ...]:
        """What an edit changes: the simulation, the world's light, the branch's edits, keyframes and track,
        and the recording."""
        b = self.branch
        return (self.sim.snapshot(), self.world, list(b.edits), dict(b.keyframes), dict(b.track), set(b.near),
                len(self.recording))

    def _undo(self, point: tuple[Any, ...]) -> None:
        sim, self.world, edits, keyframes, track, near, recorded = point
        self.sim.restore(sim)
        self.branch.edits, self.branch.keyframes, self.branch.track = edits, keyframes, track
        self.branch.near = near
        del self.recording[recorded:]

    def _english(self, text: str, did: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The events an English line asks for; a mesh file it names that the world does not import is
        imported first (an edit of its own, reported in `did`), where the session may read files."""
        from ..actions.english import EnglishReader

        if self.encoder is None:
            raise ExploreError("English lines need the sentence encoder; write the line form instead, e.g. "
                               "'at 0s spawn box crate1 pos=10,10'")
        if self._reader is None:
            self._reader = EnglishReader(encoder=self.encoder)
        self._reader.context = list(self.sim.events)
        try:
            return act.read_line(text, self._reader, self.world, self.sim, self._viewer())
        except act.FileNeeded as need:
            imported = self._edit(self._import_request(need))
            did.append({"imported": {k: imported[k] for k in ("path", "mesh", "name")}})
        return act.read_line(text, self._reader, self.world, self.sim, self._viewer())

    # --- mesh files brought in live ------------------------------------------------------------------

    def _import_request(self, need: act.FileNeeded) -> dict[str, Any]:
        """The edit that imports a mesh file a line named, checked: a GLB or OBJ inside the session's folder."""
        if self.files is None:
            raise ExploreError(str(need))
        name = need.path.replace("\\", "/").rsplit("/", 1)[-1]
        if Path(name).suffix.lower() not in MESH_SUFFIXES:
            raise ExploreError(f"{name}: only {' and '.join(MESH_SUFFIXES)} files can be imported (as the mesh import "
                               "node reads them); convert it to GLB and name that file")
        self._file(need.path)
        kept = len(set(self.sim.spare.mesh_ids(self.sim.world)))
        if kept >= MAX_SPARE_MESHES:
            raise ExploreError(f"this session already keeps spare bodies of {kept} meshes, the most it keeps; spawn "
                               "one of those, or import the file with a mesh import node and spawn it in a script")
        return {"kind": IMPORT, "path": str(PurePosixPath(need.path))}

    def _file(self, relative: str) -> Path:
        """The file at `relative` inside the session's folder, confined as a node's paths are."""
        try:
            path = inside_folder(Path(self.files or "."), relative)
        except ValueError as exc:
            raise ExploreError(f"cannot import {relative!r}: the path {exc}; put the file in the output folder and "
                               "name it from there, e.g. 'put models/chair.glb here'") from None
        if not path.is_file():
            raise ExploreError(f"there is no file {relative!r} in the output folder; put it there (or name it as it "
                               "is under the output folder) and say it again")
        return path

    def _import(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Bring a mesh file into this session's world, kept aside (as world.import_mesh with place aside), and
        give the simulation spare bodies of it. The file is read once: replays and rewinds use what was read."""
        from ..edit.meshimport import MeshImportError, keep_aside, read_mesh
        from ..simulate.run import mesh_problem

        relative = str(raw.get("path", ""))
        try:
            surface = self._surfaces.get(relative)
            if surface is None:
                surface = read_mesh(self._file(relative), limits=self.settings.import_limits)
            world = keep_aside(self.world, surface, PurePosixPath(relative).name, limits=self.settings.import_limits)
        except MeshImportError as exc:
            raise ExploreError(f"{relative!r} cannot be imported: {exc}") from None
        mesh = world.meshes[-1].id
        problem = mesh_problem(world, mesh)
        if problem is not None:
            raise ExploreError(f"{relative!r} was read but {problem}")
        try:
            self.sim.add_mesh(dataclasses.replace(self.sim.world, meshes=world.meshes, mesh_arrays=world.mesh_arrays),
                              mesh)
        except SimulationError as exc:
            raise ExploreError(str(exc)) from None
        self._surfaces[relative] = surface  # kept once it is in: what replays and rewinds bring in again
        self.world = world
        return {"kind": IMPORT, "path": relative, "mesh": mesh, "name": world.meshes[-1].name, "time": self.t}

    def _msg_throw(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"event": _brief(self._edit(act.throw_event(msg, self.world, self._viewer())))}

    def _msg_drop(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"event": _brief(self._edit(act.drop_event(msg, self.world, self._viewer())))}

    def _msg_push(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"event": _brief(self._edit(act.push_event(msg, self.sim, self._viewer())))}

    def _viewer(self) -> act.Viewer:
        cam = self.camera()
        return act.Viewer(eye=np.asarray(cam.position, np.float64), forward=np.asarray(cam.forward(), np.float64))

    # --- edits: every change to the world goes through here --------------------------------------------

    def _edit(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Apply an event now and keep it in the current branch (so replays and the recording have it)."""
        raw = dict(raw)
        if "for_s" in raw:  # an interval from now
            raw["end"] = self.sim.time_s + float(raw.pop("for_s"))
        applied = self._apply(raw)
        frame = self.sim.frame
        self.branch.insert(Edit(frame=frame, raw=raw, applied=applied))
        self.branch.forget_track_from(frame)
        self._remember(applied)
        return applied

    def _apply(self, raw: dict[str, Any]) -> dict[str, Any]:
        if raw.get("kind") == IMPORT:
            return self._import(raw)
        if raw.get("kind") == "viewer":
            raise ExploreError("'viewer' events are where a recorded viewer stood; here the viewer is you (walk "
                               "there instead)")
        world = self.world
        if raw.get("kind") == "time":
            world = set_time(world, float(check_field("time", "to", raw.get("to"))))
        elif raw.get("kind") == "weather":
            world = set_weather(world, raw.get("to"))  # type: ignore[arg-type]
        try:
            applied = self.sim.apply(raw)
        except SimulationError as exc:
            raise ExploreError(str(exc)) from None
        self.world = world
        return applied

    def _remember(self, event: dict[str, Any]) -> None:
        cam = self.camera()
        clean = {k: v for k, v in event.items() if k not in ("line", "column") and not k.startswith("resolved")}
        # an event applied to the simulation fires at its next frame: record that moment
        clean["time"] = float(event.get("time", self.t))
        here = Recorded(t=self.t, position=cam.position, target=_target(cam), events=[clean])
        self.recording.append(here)

    # --- time: play, pause, seek, branches ---------------------------------------------------------------

    @property
    def fps(self) -> float:
        return float(self.sim.settings.fps)

    def _msg_play(self, msg: dict[str, Any]) -> dict[str, Any]:
        if self.sim.finished:
            raise ExploreError(f"the timeline ends at {self.t:.2f} s; seek back to play again")
        self.playing = True
        return self._status()

    def _msg_pause(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.playing = False
        return self._status()

    def _msg_status(self, msg: dict[str, Any]) -> dict[str, Any]:
        return self._status()

    def _status(self) -> dict[str, Any]:
        return {"t": round(self.t, 4), "frame": self.sim.frame - 1, "playing": self.playing,
                "duration_s": self.sim.n_frames / self.fps, "branch": self.branch.name,
                "finished": self.sim.finished}

    def _msg_seek(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.seek(number(msg, "t", "'seek'", None, lo=0.0, hi=self.sim.n_frames / self.fps))
        return self._status()

    def seek(self, t: float) -> None:
        """Go to the world's moment t on the current branch (back or forward), exactly as playing gets there."""
        shown = int(np.clip(round(t * self.fps), 0, self.sim.n_frames - 1))
        self._goto(shown + 1)
        self.t = shown / self.fps
        self.recording = [r for r in self.recording if r.t <= self.t + 1e-9]

    def _goto(self, target: int) -> None:
        """Put the simulation at frame `target` (the next to sample) with the branch's edits there applied."""
        k, key = self.branch.keyframe_at_or_before(target)
        self.sim.restore(key.sim)
        self.world = key.world
        self.sample = self.sim.sample(max(k - 1, 0))
        self._replay_edits(k)
        while self.sim.frame < target:
            self.sample = self._advance()

    def _advance(self) -> FrameSample:
        """Step the world one frame on the current branch: the viewer's position the agents see (as lived, or
        now), a keyframe now and then, and the branch's edits at the new frame."""
        f = self.sim.frame
        if f not in self.branch.track:
            self.branch.track[f] = self._viewer_xy()
        xy = self.branch.track[f]
        self.sim.viewer_xy = None if xy is None else np.array(xy, np.float64)
        sample = self.sim.advance()
        if self.sim.viewer_felt:
            self.branch.near.add(f)
        else:
            self.branch.near.discard(f)
        f = self.sim.frame
        if f % KEYFRAME_FRAMES == 0 and f not in self.branch.keyframes:
            self.branch.keyframes[f] = Keyframe(sim=self.sim.snapshot(), world=self.world)
        self._replay_edits(f)
        return sample

    def _replay_edits(self, frame: int) -> None:
        for edit in self.branch.edits_at(frame):
            try:
                self._apply(edit.raw)
            except ValueError as exc:  # an edit whose target an earlier change removed
                self.sim.notes.append(f"the edit at {frame / self.fps:.2f} s no longer applies: {exc}")

    def _viewer_xy(self) -> tuple[float, float] | None:
        """Where the agents see the viewer: its ground position in walk mode, to the digits a script line keeps
        (so the recording's 'viewer' events give the agents the very same place), None while flying."""
        p = self.walker.pose
        return (float(f"{p.x:g}"), float(f"{p.y:g}")) if self.walker.mode == "walk" else None

    def _msg_branch(self, msg: dict[str, Any]) -> dict[str, Any]:
        name = msg.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ExploreError("'branch' takes a 'name' of 1 to 40 letters, digits, '_', '-' or '.'")
        if name in self.branches:
            raise ExploreError(f"there is already a branch {name!r}; use 'checkout' to go to it")
        if len(self.branches) >= MAX_BRANCHES:
            raise ExploreError(f"a session keeps at most {MAX_BRANCHES} branches")
        self.branch = self.branch.fork(name, self.sim.frame)
        self.branches[name] = self.branch
        return self._msg_branches(msg)

    def _msg_checkout(self, msg: dict[str, Any]) -> dict[str, Any]:
        name = msg.get("name")
        if name not in self.branches:
            raise ExploreError(f"no branch {str(name)[:40]!r} (there are: {', '.join(self.branches)})")
        self.branch = self.branches[name]
        self.seek(self.t)
        return {**self._status(), **self._msg_branches(msg)}

    def _msg_branches(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"branches": [b.describe(self.fps, b is self.branch) for b in self.branches.values()],
                "current": self.branch.name}

    def _msg_edits(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {"edits": [{"index": k, "t": round(e.frame / self.fps, 4), "kind": e.applied["kind"],
                           "line": _line(e.applied, e.frame / self.fps)} for k, e in enumerate(self.branch.edits)]}

    def _msg_remove_edit(self, msg: dict[str, Any]) -> dict[str, Any]:
        k = msg.get("index")
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(self.branch.edits):
            raise ExploreError(f"'remove_edit' takes an 'index' from 0 to {len(self.branch.edits) - 1} "
                               "(see 'edits')" if self.branch.edits else "this branch has no edits to remove")
        edit = self.branch.edits.pop(k)
        self.branch.forget_after(edit.frame)
        self.seek(self.t)  # the world now is what the branch without that edit gives
        return {"removed": _line(edit.applied, edit.frame / self.fps), **self._status()}

    def _msg_snapshot(self, msg: dict[str, Any]) -> dict[str, Any]:
        name = str(msg.get("name", f"t{self.t:.2f}"))[:40]
        self.snapshots.pop(name, None)
        while len(self.snapshots) >= MAX_SNAPSHOTS:  # the oldest goes
            self.snapshots.pop(next(iter(self.snapshots)))
        self.snapshots[name] = Saved(t=self.t, walker=_copy_walker(self.walker), world=self.world,
                                     sim=self.sim.snapshot(), branch=self.branch.name,
                                     edits=tuple(self.branch.edits))
        return {"snapshot": name}

    def _msg_restore(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Go back to a snapshot and forget what came after it on its branch (its edits, its recording)."""
        name = str(msg.get("name", ""))
        if name not in self.snapshots:
            raise ExploreError(f"no snapshot {name[:40]!r} (there are: {', '.join(self.snapshots) or 'none'})")
        saved = self.snapshots[name]
        self.branch = self.branches.get(saved.branch, self.branch)
        self.t, self.world = saved.t, saved.world
        self.walker = _copy_walker(saved.walker)
        self.sim.restore(saved.sim)
        self.sample = self.sim.sample(max(self.sim.frame - 1, 0))
        self.branch.edits = list(saved.edits)
        self.branch.forget_after(self.sim.frame)
        self.branch.forget_track_from(self.sim.frame)
        self.recording = [r for r in self.recording if r.t <= saved.t]
        return {"restored": name, "t": saved.t}

    # --- the clock -------------------------------------------------------------------------------------

    def tick(self, dt: float) -> None:
        """Advance the viewer by dt seconds of wall time, and the world too while it plays."""
        dt = float(np.clip(dt, 0.0, 0.25))
        bodies = self._bodies_xyr()
        self.walker.step(self.world, self.inputs, dt, bodies)
        self.inputs.look_deg = (0.0, 0.0)
        if self.playing:
            self.t += dt
            while not self.sim.finished and self.sim.time_s <= self.t:
                self.sample = self._advance()
        if not self.recording or self.t - self.recording[-1].t >= RECORD_EVERY_S - 1e-9:
            cam = self.camera()
            self.recording.append(Recorded(t=self.t, position=cam.position, target=_target(cam)))

    def _bodies_xyr(self) -> np.ndarray | None:
        s = self.sample
        if s is None:
            return None
        rows = [(s.body_pos_b3[k][0], s.body_pos_b3[k][1], self.sim.bodies[k].radius())
                for k in range(len(s.body_alive_b)) if s.body_alive_b[k]]
        return np.asarray(rows, np.float64).reshape(-1, 3)

    # --- pictures ----------------------------------------------------------------------------------

    def camera(self) -> Any:
        s = self.settings
        return self.walker.camera(width=s.width, height=s.height, focal_mm=s.focal_mm)

    def world_now(self) -> WorldState:
        """The world as it is at this moment: bodies and agents where the simulation has them."""
        s = self.sample
        if s is None:
            return self.world
        bodies = [self.sim.bodies[k].record().posed(s.body_pos_b3[k], s.body_quat_b4[k], s.body_rgb_b3[k])
                  for k in range(len(s.body_alive_b)) if s.body_alive_b[k]]
        agents = [Agent(id=self.sim.agents[k].spec.id, kind=self.sim.agents[k].spec.kind,
                        pos=tuple(float(c) for c in s.agent_pos_a3[k]), yaw=float(s.agent_yaw_a[k]))
                  for k in range(len(s.agent_alive_a)) if s.agent_alive_a[k]]
        return dataclasses.replace(self.world, bodies=bodies, agents=agents)

    def render(self) -> Image:
        return self.renderer.render(self.world_now(), self.camera(), passes=("rgb",))

    def frame_jpeg(self) -> bytes:
        rgb = self.render().rgb_hw3
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, self.settings.jpeg_quality])
        if not ok:
            raise ExploreError("the frame could not be encoded")
        return data.tobytes()

    # --- recording -> nodes --------------------------------------------------------------------------

    def recording_nodes(self, *, every_s: float = 0.5, with_script: bool = True) -> dict[str, dict[str, Any]]:
        """The session as a camera-keyframes node and an action-script node (params as workflow JSON).

        The script holds the session's own script (unless `with_script` is False) and the current branch's
        edits up to now, each at the moment it fired, spawns at the place they were resolved to, so
        `simulate.run` replays them."""
        keys, last = [], -1e9
        for r in self.recording:
            if r.t - last >= every_s or r is self.recording[-1]:
                keys.append({"time": round(r.t, 3), "position": [round(c, 3) for c in r.position],
                             "target": [round(c, 3) for c in r.target]})
                last = r.t
        duration = round(max(self.t, 0.1), 3)
        lines = [_line(e, e["time"]) for e in self.script] if with_script else []
        done = [e for e in self.branch.edits if e.frame / self.fps <= duration]
        lines += [_line(e.applied, e.frame / self.fps) for e in done if e.applied["kind"] != IMPORT]
        lines += viewer_lines(self.branch, self.fps, min(self.sim.frame, int(round(duration * self.fps))) - 1)
        script = "\n".join(x for x in lines if x) or "# nothing was done in the session"
        try:
            check_size(script, json_form=False)
        except ActionError as exc:
            raise ExploreError(f"the recording does not fit one action script node: {exc.reason}; record a "
                               "shorter stretch (rewind to a snapshot nearer its end and record from there)") from None
        imports = {f"import{k + 1}": {"type": "world.import_mesh", "params": {
            "path": e.applied["path"], "place": "aside", "up_axis": "y", "scale": 1.0}}
            for k, e in enumerate(e for e in done if e.applied["kind"] == IMPORT)}
        return {
            **imports,
            "camera": {"type": "camera.keyframes", "params": {"keys": keys or [{"time": 0.0, "position": list(
                self.camera().position), "target": list(_target(self.camera()))}], "duration_s": duration,
                "resolution": "720p", "ease": "linear"}},
            "actions": {"type": "action.script", "params": {"script": script, "english": False}},
        }


def viewer_lines(branch: Branch, fps: float, last: int) -> list[str]:
    """The viewer's track as 'viewer' script lines, for the frames (up to `last`) where an agent came within
    reach of it, so `simulate.run` moves the agents around the same place at the same steps: one point per
    frame while the viewer moves (at most VIEWER_POINTS a line), one point for a stretch where it stood still
    (STILL_FRAMES or more). Elsewhere the viewer changed nothing, and the replay has no viewer there."""
    frames = sorted(f for f in branch.near if 0 < f <= last and branch.track.get(f) is not None)
    lines: list[str] = []
    moving: list[int] = []
    for still in _stretches(frames, branch.track):
        if len(still) >= STILL_FRAMES or moving and still[0] != moving[-1] + 1:
            lines += _path_lines(branch, moving, fps)
            moving = []
        if len(still) >= STILL_FRAMES:
            lines.append(_viewer_line(branch, still, fps, still=True))
        else:
            moving += still
    return lines + _path_lines(branch, moving, fps)


def _stretches(frames: list[int], track: dict[int, Any]) -> list[list[int]]:
    """Consecutive frames in groups with the same place."""
    out: list[list[int]] = []
    for f in frames:
        if out and f == out[-1][-1] + 1 and track[f] == track[out[-1][-1]]:
            out[-1].append(f)
        else:
            out.append([f])
    return out


def _path_lines(branch: Branch, frames: list[int], fps: float) -> list[str]:
    return [_viewer_line(branch, frames[k:k + VIEWER_POINTS], fps, still=False)
            for k in range(0, len(frames), VIEWER_POINTS)]


def _viewer_line(branch: Branch, run: list[int], fps: float, *, still: bool) -> str:
    points = [list(branch.track[f]) for f in (run[:1] if still else run)]  # type: ignore[arg-type]
    t0, t1 = _floor_time(run[0] / fps), _floor_time(run[-1] / fps)
    return format_event(check_event({"kind": "viewer", "time": t0, "end": max(t1, t0 + 1e-3), "path": points}))


def _from_now(e: dict[str, Any]) -> dict[str, Any]:
    """A parsed line's event to apply now: an interval keeps its length from now."""
    out = {k: v for k, v in e.items() if k not in ("time", "end", "line", "column", "text", "matched")}
    if e.get("end") is not None:
        out["for_s"] = float(e["end"] - e["time"])
    return out


def _brief(e: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in e.items() if k in ("kind", "id", "time", "shape")}
    if "resolved_pos" in e:
        out["pos"] = [round(float(c), 3) for c in e["resolved_pos"]]
    return out


def _line(e: dict[str, Any], t: float) -> str:
    """An event as a script line that fires at the same simulation step as it did in the session."""
    if e["kind"] == IMPORT:  # no script line: a recording makes it a mesh import node
        return f"# {e['path']} imported as mesh {e['mesh']} at {_floor_time(t):g}s"
    fields = {f.name for f in EVENT_KINDS[e["kind"]]}
    raw = {k: v for k, v in e.items() if k in fields and v is not None} | {"kind": e["kind"]}
    if e["kind"] == "spawn" and "resolved_pos" in e:
        pos = [float(c) for c in e["resolved_pos"]]
        raw["pos"] = pos[:2] if e.get("shape") in ("character", "vehicle") else [*pos[:2], _ceil_digits(pos[2] + LIFT_M)]
        raw.pop("height", None)
    raw["time"] = _floor_time(t)
    if e.get("end") is not None:
        raw["end"] = max(_floor_time(float(e["end"])), raw["time"] + 1e-3)
    return format_event(check_event(raw))


def _floor_time(t: float) -> float:
    """t cut (never rounded up) to the digits a script line keeps (six significant), so that an event
    recorded at a frame's moment fires at that frame's step, not the one after."""
    digits = max(6 - len(str(int(t))), 0)
    return math.floor(t * 10 ** digits + 1e-6) / 10 ** digits


def _ceil_digits(z: float) -> float:
    """z raised (never lowered) to the digits a script line keeps."""
    digits = max(6 - len(str(int(abs(z)))), 0)
    return math.ceil(z * 10 ** digits - 1e-6) / 10 ** digits


def _copy_walker(w: Walker) -> Walker:
    return dataclasses.replace(w, pose=dataclasses.replace(w.pose))


def _target(cam: Any) -> tuple[float, float, float]:
    return tuple(float(c) for c in np.asarray(cam.position) + 10.0 * cam.forward())  # type: ignore[return-value]


__all__ = ["MESSAGE_TYPES", "ExploreError", "ExploreSession", "ExploreSettings", "Recorded"]
