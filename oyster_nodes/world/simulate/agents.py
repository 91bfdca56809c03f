"""Agents (characters, vehicles) that follow the terrain: kinematic steering along waypoints.

An agent's position is its feet on the ground. Characters turn quickly and walk straight at their target;
vehicles turn slowly, drive along their heading and tilt with the slope under them. Agents are mocap bodies
in MuJoCo, so rigid bodies bounce off them, but nothing pushes them back. They stop at deep water.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..state.world_state import WorldState, heights_at, water_at
from .scene import CHARACTER, VEHICLE, AgentSpec

TURN_RATE = {"character": 6.0, "vehicle": 1.2}
MAX_WADE_M = 0.6
#: an agent steers around a viewer closer than AVOID_REACH_M and never comes nearer than KEEP_M
AVOID_REACH_M = 3.0
KEEP_M = 1.0
#: how fast agents run from a blast (m/s), and how far beyond its reach they go
FLEE_MPS = {"character": 4.5, "vehicle": 14.0}
FLEE_BEYOND_M = 8.0


@dataclass(kw_only=True, slots=True)
class AgentState:
    spec: AgentSpec
    xy: np.ndarray
    yaw: float
    speed: float
    waypoints: list[np.ndarray] = field(default_factory=list)
    alive: bool = False
    #: kinematic override: (t0, t1, start xyz, end xyz, start yaw, end yaw, ease)
    animation: tuple | None = None
    stopped_note: bool = False

    @classmethod
    def of(cls, spec: AgentSpec) -> AgentState:
        return cls(spec=spec, xy=np.array(spec.pos[:2], np.float64), yaw=spec.yaw, speed=spec.speed,
                   waypoints=[np.array(p[:2], np.float64) for p in spec.waypoints])

    def half_height(self) -> float:
        return VEHICLE["half"][2] if self.spec.kind == "vehicle" else CHARACTER["height"] / 2

    def set_route(self, points: list[list[float]], speed: float | None) -> None:
        self.waypoints = [np.array(p[:2], np.float64) for p in points]
        if speed is not None:
            self.speed = speed

    def route_length(self) -> float:
        total, here = 0.0, self.xy
        for p in self.waypoints:
            total += float(np.linalg.norm(p - here))
            here = p
        return total

    def step(self, world: WorldState, dt: float, notes: list[str], t: float,
             avoid: np.ndarray | None = None) -> None:
        """Advance one time step along the route, around the viewer at `avoid` (x, y) if there is one."""
        if not self.waypoints or not self.alive:
            return
        target = self.waypoints[0]
        d = target - self.xy
        dist = float(np.linalg.norm(d))
        if dist < 0.05:
            self.waypoints.pop(0)
            return
        want = math.atan2(d[1], d[0])
        turn = (want - self.yaw + math.pi) % (2 * math.pi) - math.pi
        limit = TURN_RATE.get(self.spec.kind, 3.0) * dt
        self.yaw += max(-limit, min(limit, turn))
        travel = min(self.speed * dt, dist)
        if self.spec.kind == "vehicle":
            heading = np.array([math.cos(self.yaw), math.sin(self.yaw)])
            travel *= max(math.cos(turn), 0.2)
        else:
            heading = d / dist if avoid is None else _around(self.xy, d / dist, avoid)
        nxt = self.xy + heading * travel
        if avoid is not None:
            nxt = _kept_from(self.xy, nxt, avoid)
        if self._too_deep(world, nxt):
            if not self.stopped_note:
                notes.append(f"{self.spec.id} stopped at the water's edge at {t:.2f} s")
                self.stopped_note = True
            self.waypoints.clear()
            return
        self.xy = nxt

    def flee(self, world: WorldState, centre: np.ndarray, reach: float) -> bool:
        """Run straight away from a blast at `centre` when within `reach`; True when it runs."""
        if not self.alive:
            return False
        off = self.xy - centre[:2]
        dist = float(np.linalg.norm(off))
        if dist >= reach:
            return False
        away = off / dist if dist > 1e-6 else np.array([1.0, 0.0])
        m = world.cell_m * 2
        goal = np.clip(self.xy + away * (reach - dist + FLEE_BEYOND_M), m, world.size_m - m)
        self.animation = None
        self.set_route([goal.tolist()], FLEE_MPS.get(self.spec.kind, 4.0))
        return True

    def _too_deep(self, world: WorldState, xy: np.ndarray) -> bool:
        ground = float(heights_at(world, xy[None])[0])
        water = float(water_at(world, xy[None])[0])
        return water - ground > MAX_WADE_M

    def animate(self, world: WorldState, t: float) -> bool:
        """Apply a running animation at time t; False when none is running."""
        if self.animation is None:
            return False
        t0, t1, start, end, yaw0, yaw1, ease = self.animation
        if t < t0:
            return False
        u = ease(min(max((t - t0) / (t1 - t0), 0.0), 1.0))
        self.xy = start[:2] + (end[:2] - start[:2]) * u
        self.yaw = yaw0 + (yaw1 - yaw0) * u
        if t >= t1:
            self.animation = None
        return True

    def feet(self, world: WorldState) -> np.ndarray:
        z = float(heights_at(world, self.xy[None])[0])
        return np.array([self.xy[0], self.xy[1], z])

    def mocap_pose(self, world: WorldState) -> tuple[np.ndarray, np.ndarray]:
        """Centre position and quaternion (w, x, y, z) of the agent's collision shape."""
        feet = self.feet(world)
        if self.spec.kind != "vehicle":
            return feet + np.array([0.0, 0.0, self.half_height()]), _quat_yaw(self.yaw)
        normal = _ground_normal(world, self.xy)
        quat = _quat_yaw_on(self.yaw, normal)
        return feet + normal * self.half_height(), quat


def _around(xy: np.ndarray, heading: np.ndarray, viewer: np.ndarray) -> np.ndarray:
    """A heading bent away from a nearby viewer, sidestepping when the viewer stands in the way."""
    off = xy - viewer
    dist = float(np.linalg.norm(off))
    if dist >= AVOID_REACH_M or dist < 1e-9:
        return heading
    weight = (AVOID_REACH_M - dist) / AVOID_REACH_M
    ahead = max(-float(heading @ off) / dist, 0.0)  # 1: the viewer is straight ahead
    side = np.array([-heading[1], heading[0]])
    if float(side @ off) < 0:  # pass on the side the agent already is
        side = -side
    bent = heading + off / dist * weight + side * ahead * 2.0 * weight
    norm = float(np.linalg.norm(bent))
    return bent / norm if norm > 1e-9 else side


def _kept_from(xy: np.ndarray, nxt: np.ndarray, viewer: np.ndarray) -> np.ndarray:
    """The next position, held KEEP_M from the viewer (it slides around rather than through)."""
    off = nxt - viewer
    dist = float(np.linalg.norm(off))
    if dist >= KEEP_M:
        return nxt
    if dist < 1e-9:
        return xy
    return viewer + off / dist * KEEP_M


def _quat_yaw(yaw: float) -> np.ndarray:
    return np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])


def _ground_normal(world: WorldState, xy: np.ndarray, step: float = 1.5) -> np.ndarray:
    pts = np.array([xy + (step, 0), xy - (step, 0), xy + (0, step), xy - (0, step)])
    h = heights_at(world, pts)
    n = np.array([-(h[0] - h[1]) / (2 * step), -(h[2] - h[3]) / (2 * step), 1.0])
    return n / np.linalg.norm(n)


def _quat_yaw_on(yaw: float, normal: np.ndarray) -> np.ndarray:
    """Orientation with heading `yaw` whose up axis is `normal`."""
    fwd = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    fwd = fwd - normal * float(fwd @ normal)
    fwd /= np.linalg.norm(fwd)
    left = np.cross(normal, fwd)
    m = np.column_stack([fwd, left, normal])
    return _quat_from_matrix(m)


def _quat_from_matrix(m: np.ndarray) -> np.ndarray:
    w = math.sqrt(max(0.0, 1.0 + m[0, 0] + m[1, 1] + m[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1.0 + m[0, 0] - m[1, 1] - m[2, 2])) / 2, m[2, 1] - m[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1.0 - m[0, 0] + m[1, 1] - m[2, 2])) / 2, m[0, 2] - m[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1.0 - m[0, 0] - m[1, 1] + m[2, 2])) / 2, m[1, 0] - m[0, 1])
    q = np.array([w, x, y, z])
    return q / np.linalg.norm(q)
