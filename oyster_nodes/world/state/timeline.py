"""Timeline: a simulated shot as data — per-frame body and agent poses, per-frame environment, contacts.

The simulate node's output. It goes to the executor's disk cache (plain arrays + JSON), so changing the
camera re-renders from it and never re-simulates. `world_at(world, t)` gives the WorldState at any time
(poses interpolated between frames, for motion-blur sub-frames) sharing the world's static arrays, so the
renderer's uploaded copy of the world stays valid across frames.

Arrays (F frames, B bodies, A agents): body_pos_fb3, body_quat_fb4 (w, x, y, z), body_alive_fb (1 while
spawned), body_rgb_fb3 (linear-ish sRGB 0..1), agent_pos_fa3 (feet on the ground), agent_yaw_fa (rad),
agent_alive_fa, impacts_n6 (time s, body
index, impulse N·s, x, y, z), sway_f2 (vegetation bend, radians, x and y).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...types import WireData
from .records import Agent, Body, Env, Event, parse_list
from .world_state import WorldState


class TimelineError(ValueError):
    """A timeline used with the wrong world or an unknown object id."""


@dataclass(kw_only=True, slots=True)
class Timeline(WireData):
    """Everything that moves or changes during a shot, one sample per frame."""

    wire_name: ClassVar[str] = "Timeline"
    wire_color: ClassVar[str] = "#ffd54f"
    disk_cache: ClassVar[bool] = True

    fps: float
    duration_s: float
    dt: float
    world_hash: str
    #: the bodies (what they are; their poses are the per-frame arrays)
    bodies: list[Body] = field(default_factory=list)
    #: the agents (their kinds; positions and headings are the per-frame arrays)
    agents: list[Agent] = field(default_factory=list)
    #: per frame: env keys that change (clock_h, sun_dir, weather, wind, cloud_cover, precipitation, sway ...)
    env_frames: list[Env] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    body_pos_fb3: np.ndarray
    body_quat_fb4: np.ndarray
    body_alive_fb: np.ndarray
    body_rgb_fb3: np.ndarray
    agent_pos_fa3: np.ndarray
    agent_yaw_fa: np.ndarray
    agent_alive_fa: np.ndarray
    impacts_n6: np.ndarray
    sway_f2: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.body_pos_fb3.shape[0])

    def summary(self) -> str:
        return (f"Timeline({self.duration_s:g} s @ {self.fps:g} fps, {len(self.bodies)} bodies, "
                f"{len(self.agents)} agents, {len(self.impacts_n6)} impacts)")

    def frame_at(self, t: float) -> tuple[int, int, float]:
        """The frames around time `t` and the blend between them."""
        f = min(max(t * self.fps, 0.0), self.n_frames - 1.0)
        i = min(int(math.floor(f)), self.n_frames - 1)
        j = min(i + 1, self.n_frames - 1)
        return i, j, f - i

    def to_record(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = WireData.to_record(self)
        meta["bodies"] = [b.describe() for b in self.bodies]
        meta["agents"] = [a.describe() for a in self.agents]
        meta["env_frames"] = [e.to_json() for e in self.env_frames]
        meta["events"] = [e.to_json() for e in self.events]
        return meta, arrays

    def __post_init__(self) -> None:
        self.bodies = parse_list(Body, self.bodies, "timeline bodies")
        self.agents = parse_list(Agent, self.agents, "timeline agents")
        self.env_frames = parse_list(Env, self.env_frames, "timeline env_frames")
        self.events = parse_list(Event, self.events, "timeline events")

    def content_hash(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        meta, arrays = self.to_record()
        h.update(repr(sorted(meta.items(), key=lambda kv: kv[0])).encode())
        for name in sorted(arrays):
            h.update(np.ascontiguousarray(arrays[name]).tobytes())
        return h.hexdigest()

    def track(self, object_id: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (N x 3) and headings (N, radians) of a body or agent at `times`."""
        ids = [b.id for b in self.bodies]
        if object_id in ids:
            k = ids.index(object_id)
            pos = _sample(self.body_pos_fb3[:, k], times, self.fps)
            quat = _sample(self.body_quat_fb4[:, k], times, self.fps)
            return pos, np.array([_yaw(q) for q in quat])
        agent_ids = [a.id for a in self.agents]
        if object_id in agent_ids:
            k = agent_ids.index(object_id)
            pos = _sample(self.agent_pos_fa3[:, k], times, self.fps)
            return pos, _sample_angle(self.agent_yaw_fa[:, k], times, self.fps)
        known = ", ".join(ids + agent_ids) or "none"
        raise TimelineError(f"no body or agent {object_id!r} in the timeline (known: {known})")

    def world_at(self, world: WorldState, t: float) -> WorldState:
        """The world at time `t`: bodies, agents and env of that moment; static content shared."""
        if world.content_hash() != self.world_hash:
            raise TimelineError("this timeline was simulated from another world: connect the same world "
                                "to the simulate node and here")
        return self.world_at_unchecked(world, t)

    def world_at_unchecked(self, world: WorldState, t: float) -> WorldState:
        i, j, u = self.frame_at(t)
        bodies = []
        for k, b in enumerate(self.bodies):
            if not (self.body_alive_fb[i, k] or self.body_alive_fb[j, k]):
                continue
            pos = self.body_pos_fb3[i, k] * (1 - u) + self.body_pos_fb3[j, k] * u
            quat = _nlerp(self.body_quat_fb4[i, k], self.body_quat_fb4[j, k], u)
            bodies.append(b.posed(pos, quat, self.body_rgb_fb3[i, k]))
        agents = []
        for k, a in enumerate(self.agents):
            if not (self.agent_alive_fa[i, k] or self.agent_alive_fa[j, k]):
                continue
            pos = self.agent_pos_fa3[i, k] * (1 - u) + self.agent_pos_fa3[j, k] * u
            yaw = _lerp_angle(float(self.agent_yaw_fa[i, k]), float(self.agent_yaw_fa[j, k]), u)
            agents.append(dataclasses.replace(a, pos=tuple(float(c) for c in pos), yaw=yaw))
        env = world.env
        if self.env_frames:
            sway = self.sway_f2[i] * (1 - u) + self.sway_f2[j] * u
            env = dataclasses.replace(env.merged(self.env_frames[i]), sway=(float(sway[0]), float(sway[1])),
                                      time_s=float(t))
        return dataclasses.replace(world, bodies=bodies, agents=agents, env=env)


def _sample(values_f: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    f = np.clip(np.asarray(times, np.float64) * fps, 0.0, len(values_f) - 1.0)
    i = np.minimum(np.floor(f).astype(int), len(values_f) - 1)
    j = np.minimum(i + 1, len(values_f) - 1)
    u = (f - i).reshape(-1, *([1] * (values_f.ndim - 1)))
    return values_f[i] * (1 - u) + values_f[j] * u


def _sample_angle(values_f: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    unwrapped = np.unwrap(values_f) if len(values_f) else values_f
    return _sample(unwrapped, times, fps)


def _nlerp(a: np.ndarray, b: np.ndarray, u: float) -> np.ndarray:
    if float(np.dot(a, b)) < 0:
        b = -b
    q = a * (1 - u) + b * u
    n = float(np.linalg.norm(q))
    return q / n if n > 1e-12 else a


def _lerp_angle(a: float, b: float, u: float) -> float:
    d = (b - a + math.pi) % (2 * math.pi) - math.pi
    return a + d * u


def _yaw(q: np.ndarray) -> float:
    w, x, y, z = (float(c) for c in q)
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def empty_arrays(frames: int, bodies: int, agents: int) -> dict[str, np.ndarray]:
    """Zeroed per-frame arrays of the right shapes and types."""
    quat = np.zeros((frames, bodies, 4))
    quat[..., 0] = 1.0
    return {"body_pos_fb3": np.zeros((frames, bodies, 3)), "body_quat_fb4": quat,
            "body_alive_fb": np.zeros((frames, bodies), np.uint8),
            "body_rgb_fb3": np.zeros((frames, bodies, 3), np.float32),
            "agent_pos_fa3": np.zeros((frames, agents, 3)), "agent_yaw_fa": np.zeros((frames, agents)),
            "agent_alive_fa": np.zeros((frames, agents), np.uint8),
            "impacts_n6": np.zeros((0, 6)), "sway_f2": np.zeros((frames, 2))}
