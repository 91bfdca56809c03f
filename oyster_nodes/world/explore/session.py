"""Explore: a viewer walking (or flying) through a world while its simulation runs, frame by frame.

An ExploreSession owns the viewer (Walker), the world's steppable simulation (WorldSession, when the world
has a script), the renderer (given by the caller, e.g. from the executor's component store) and a recording
of the camera and of what the viewer did, which becomes a camera-keyframes node and an action-script node so
the session renders as a full-quality shot. Messages from a client are plain dicts; a bad one gets an error
reply and leaves the session running. Frames are JPEG bytes; a client that falls behind gets the newest frame
(the caller keeps one slot, never a queue).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ...types import Image
from ..actions.events import check_event, format_event
from ..edit.operations import EditError, set_time, set_weather
from ..prompt.concepts import WEATHERS
from ..simulate.run import FrameSample, SessionSnapshot, SimSettings, WorldSession
from ..state.records import Agent, number
from ..state.world_state import WorldState
from .walker import KNOWN_KEYS, Inputs, Walker, dry_start

MAX_MESSAGE_KEYS = 32
MAX_LOOK_DEG = 90.0
MAX_SNAPSHOTS = 16
#: the camera is recorded this often (the keyframes node takes every 0.5 s by default)
RECORD_EVERY_S = 0.1


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


@dataclass(kw_only=True, slots=True)
class Recorded:
    """A moment of the session: time, the camera's eye and target, and the events applied then."""

    t: float
    position: tuple[float, float, float]
    target: tuple[float, float, float]
    events: list[dict[str, Any]] = field(default_factory=list)


class ExploreSession:
    def __init__(self, world: WorldState, renderer: Any, *, events: list[dict[str, Any]] | None = None,
                 settings: ExploreSettings | None = None, start: tuple[float, float] | None = None,
                 encoder: Any = None) -> None:
        #: the sentence encoder (or a provider of it) for 'say' messages in English, as action scripts read them
        self.encoder = encoder
        self.settings = settings or ExploreSettings()
        self.world = world
        self.renderer = renderer
        self.sim = WorldSession(world, list(events or []), SimSettings(
            duration_s=self.settings.duration_s, fps=self.settings.sim_fps)) if events else None
        x, y = start or dry_start(world)
        self.walker = Walker.standing(world, x, y)
        self.inputs = Inputs()
        self.t = 0.0
        self.sample: FrameSample | None = self.sim.advance() if self.sim else None
        self.recording: list[Recorded] = []
        self.snapshots: dict[str, tuple[float, Walker, WorldState, SessionSnapshot | None]] = {}

    # --- input -------------------------------------------------------------------------------------

    def handle(self, msg: Any) -> dict[str, Any]:
        """Act on one client message; the reply says what happened or, for a bad message, why not."""
        try:
            return {"ok": True, **self._handle(msg)}
        except (ExploreError, EditError, ValueError, TypeError, KeyError) as exc:
            return {"ok": False, "error": str(exc)}

    def _handle(self, msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise ExploreError("a message is a JSON object with a 'type' (keys, look, mode, speed, time, weather, "
                               "event, say, snapshot, restore)")
        kind = msg["type"]
        if kind == "keys":
            down, up = msg.get("down", []), msg.get("up", [])
            if not (isinstance(down, list) and isinstance(up, list)) or len(down) + len(up) > MAX_MESSAGE_KEYS:
                raise ExploreError(f"'keys' takes lists 'down' and 'up' of at most {MAX_MESSAGE_KEYS} key codes")
            self.inputs.keys |= {k for k in down if k in KNOWN_KEYS}
            self.inputs.keys -= set(up)
            return {}
        if kind == "look":
            dx, dy = number(msg, "dx", f"'{kind}'", 0.0), number(msg, "dy", f"'{kind}'", 0.0)
            ox, oy = self.inputs.look_deg
            self.inputs.look_deg = (float(np.clip(ox + dx, -MAX_LOOK_DEG, MAX_LOOK_DEG)),
                                    float(np.clip(oy + dy, -MAX_LOOK_DEG, MAX_LOOK_DEG)))
            return {}
        if kind == "mode":
            if msg.get("mode") not in ("walk", "fly"):
                raise ExploreError("'mode' is walk or fly")
            self.walker.mode, self.walker.on_ground = msg["mode"], msg["mode"] == "walk" and self.walker.on_ground
            return {"mode": self.walker.mode}
        if kind == "speed":
            self.walker.speed_mps = float(np.clip(number(msg, "mps", f"'{kind}'", 2.5), 0.2, 60.0))
            return {"speed_mps": self.walker.speed_mps}
        if kind == "time":
            clock = number(msg, "clock_h", f"'{kind}'", None)
            return self._env(set_time(self.world, clock), {"kind": "time", "to": clock})
        if kind == "weather":
            if msg.get("weather") not in WEATHERS:
                raise ExploreError(f"'weather' is one of {', '.join(WEATHERS)}")
            return self._env(set_weather(self.world, msg["weather"]), {"kind": "weather", "to": msg["weather"]})
        if kind == "event":
            return self._event(msg.get("event"))
        if kind == "say":
            return self._say(msg.get("text"))
        if kind == "snapshot":
            name = str(msg.get("name", f"t{self.t:.2f}"))[:40]
            self.snapshots.pop(name, None)
            while len(self.snapshots) >= MAX_SNAPSHOTS:  # the oldest goes
                self.snapshots.pop(next(iter(self.snapshots)))
            self.snapshots[name] = (self.t, dataclasses.replace(self.walker, pose=dataclasses.replace(self.walker.pose)),
                                    self.world, self.sim.snapshot() if self.sim else None)
            return {"snapshot": name}
        if kind == "restore":
            return self._restore(str(msg.get("name", "")))
        raise ExploreError(f"unknown message type {kind!r}")

    def _env(self, world: WorldState, event: dict[str, Any]) -> dict[str, Any]:
        self.world = world
        if self.sim is not None:  # the simulation's light, wind and weather follow too (and its timeline)
            event = self.sim.apply(event)
        self._remember(event)
        return {"env": {"clock_h": world.env.clock_h, "weather": world.env.weather}}

    def _event(self, event: Any) -> dict[str, Any]:
        if self.sim is None:
            raise ExploreError("this world has no simulation to act on: start the session from a world with an "
                               "action script")
        if not isinstance(event, dict):
            raise ExploreError("'event' takes an action event object, e.g. {'kind': 'impulse', 'id': 'ball', "
                               "'vec': [0, 0, 500]}")
        applied = self.sim.apply(event)
        self._remember(applied)
        return {"event": {k: v for k, v in applied.items() if k in ("kind", "id", "time")}}

    def _say(self, text: Any) -> dict[str, Any]:
        """A short line ('make it rain', 'at 0s kick ball1 north hard', 'the sun sets until 21:00') read like an
        action script's line, happening now."""
        from ..actions.parse import parse_lines

        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            raise ExploreError("'say' takes a short text (up to 200 characters), e.g. 'make it rain'")
        done = []
        for e in parse_lines(text, encoder=self.encoder, english=self.encoder is not None).events:
            if e["kind"] == "time":
                done.append(self._handle({"type": "time", "clock_h": e["to"]}))
            elif e["kind"] == "weather":
                done.append(self._handle({"type": "weather", "weather": e["to"]}))
            else:
                done.append(self._event({k: v for k, v in e.items() if k not in ("time", "end", "line", "column")}))
        return {"did": done}

    def _restore(self, name: str) -> dict[str, Any]:
        if name not in self.snapshots:
            raise ExploreError(f"no snapshot {name!r} (there are: {', '.join(self.snapshots) or 'none'})")
        t, walker, world, snap = self.snapshots[name]
        self.t, self.world = t, world
        self.walker = dataclasses.replace(walker, pose=dataclasses.replace(walker.pose))
        if self.sim is not None and snap is not None:
            self.sim.restore(snap)
            self.sample = self.sim.sample(max(self.sim.frame - 1, 0))
        self.recording = [r for r in self.recording if r.t <= t]
        return {"restored": name, "t": t}

    def _remember(self, event: dict[str, Any]) -> None:
        cam = self.camera()
        clean = {k: v for k, v in event.items() if k not in ("line", "column") and not k.startswith("resolved")}
        # an event applied to the simulation fires at its next frame: record that moment
        clean["time"] = float(event.get("time", self.t))
        here = Recorded(t=self.t, position=cam.position, target=_target(cam), events=[clean])
        self.recording.append(here)

    # --- time --------------------------------------------------------------------------------------

    def tick(self, dt: float) -> None:
        """Advance the viewer and the world by dt seconds of wall time."""
        dt = float(np.clip(dt, 0.0, 0.25))
        bodies = self._bodies_xyr()
        self.walker.step(self.world, self.inputs, dt, bodies)
        self.inputs.look_deg = (0.0, 0.0)
        self.t += dt
        if self.sim is not None:
            while not self.sim.finished and self.sim.time_s <= self.t:
                self.sample = self.sim.advance()
        if not self.recording or self.t - self.recording[-1].t >= RECORD_EVERY_S - 1e-9:
            cam = self.camera()
            self.recording.append(Recorded(t=self.t, position=cam.position, target=_target(cam)))

    def _bodies_xyr(self) -> np.ndarray | None:
        s = self.sample
        if s is None or self.sim is None:
            return None
        rows = [(p[0], p[1], b.radius()) for p, b, alive in zip(s.body_pos_b3, self.sim.bodies, s.body_alive_b,
                                                                 strict=True) if alive]
        return np.asarray(rows, np.float64).reshape(-1, 3)

    # --- pictures ----------------------------------------------------------------------------------

    def camera(self) -> Any:
        s = self.settings
        return self.walker.camera(width=s.width, height=s.height, focal_mm=s.focal_mm)

    def world_now(self) -> WorldState:
        """The world as it is at this moment: bodies and agents where the simulation has them."""
        s = self.sample
        if s is None or self.sim is None:
            return self.world
        bodies = [b.record().posed(s.body_pos_b3[k], s.body_quat_b4[k], s.body_rgb_b3[k])
                  for k, b in enumerate(self.sim.bodies) if s.body_alive_b[k]]
        agents = [Agent(id=a.spec.id, kind=a.spec.kind, pos=tuple(float(c) for c in s.agent_pos_a3[k]),
                        yaw=float(s.agent_yaw_a[k])) for k, a in enumerate(self.sim.agents) if s.agent_alive_a[k]]
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

    def recording_nodes(self, *, every_s: float = 0.5) -> dict[str, dict[str, Any]]:
        """The session as a camera-keyframes node and an action-script node (params as workflow JSON)."""
        keys, last = [], -1e9
        for r in self.recording:
            if r.t - last >= every_s or r is self.recording[-1]:
                keys.append({"time": round(r.t, 3), "position": [round(c, 3) for c in r.position],
                             "target": [round(c, 3) for c in r.target]})
                last = r.t
        lines = [format_event(check_event(e)) for r in self.recording for e in r.events]
        duration = round(max(self.t, 0.1), 3)
        return {
            "camera": {"type": "camera.keyframes", "params": {"keys": keys or [{"time": 0.0, "position": list(
                self.camera().position), "target": list(_target(self.camera()))}], "duration_s": duration,
                "resolution": "720p", "ease": "linear"}},
            "actions": {"type": "action.script", "params": {"script": "\n".join(x for x in lines if x) or
                                                            "# nothing was done in the session", "english": False}},
        }


def _target(cam: Any) -> tuple[float, float, float]:
    return tuple(float(c) for c in np.asarray(cam.position) + 10.0 * cam.forward())  # type: ignore[return-value]


__all__ = ["ExploreError", "ExploreSession", "ExploreSettings", "Recorded"]
