"""A person in the world: walk on the ground (or fly), look around, jump, collide with what is solid.

Input is a held-key set plus mouse-look deltas (degrees) and, where the browser exposes one, gamepad axes.
Walking follows the terrain under the feet with gravity and jumps; it never enters structures, imported
meshes, large instances or bodies (boxes and circles pushed out of) and swims (at half speed, the eye
just above the surface) in water deeper than wading depth. Flying moves freely, kept above the ground and inside the world. Deterministic: the same inputs at the
same steps give the same poses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..geometry.camera import Camera
from ..geometry.obstacles import SOLID_INSTANCES, obstacle_boxes
from ..state.world_state import INSTANCE_KINDS, WorldState, heights_at, water_at

EYE_M = 1.65
RADIUS_M = 0.35
GRAVITY = 9.81
JUMP_MPS = 4.2
WADE_M = 0.9
SWIM_EYE_M = 0.3
FLY_CLEARANCE_M = 1.0
MAX_PITCH = 85.0
#: keys (KeyboardEvent.code) -> (forward, right, up) intent
MOVES = {
    "KeyW": (1, 0, 0), "ArrowUp": (1, 0, 0), "KeyS": (-1, 0, 0), "ArrowDown": (-1, 0, 0),
    "KeyD": (0, 1, 0), "ArrowRight": (0, 1, 0), "KeyA": (0, -1, 0), "ArrowLeft": (0, -1, 0),
    "KeyE": (0, 0, 1), "KeyQ": (0, 0, -1),
}
KNOWN_KEYS = frozenset(MOVES) | {"Space", "ShiftLeft", "ShiftRight"}


@dataclass(kw_only=True, slots=True)
class Inputs:
    """What the viewer is doing now: keys held, look deltas since the last step, gamepad axes."""

    keys: set[str] = field(default_factory=set)
    look_deg: tuple[float, float] = (0.0, 0.0)
    #: left stick (x right, y forward) and right stick (x yaw, y pitch), each -1..1
    stick_move: tuple[float, float] = (0.0, 0.0)
    stick_look: tuple[float, float] = (0.0, 0.0)


@dataclass(kw_only=True, slots=True)
class Pose:
    x: float
    y: float
    z: float
    yaw_deg: float
    pitch_deg: float

    def eye(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.z)


@dataclass(kw_only=True, slots=True)
class Walker:
    """The viewer's body: its eye pose, vertical speed, mode and walking speed."""

    pose: Pose
    mode: str = "walk"
    speed_mps: float = 2.5
    vz: float = 0.0
    on_ground: bool = True
    #: look speed of a full stick deflection, degrees per second
    stick_deg_s: float = 120.0
    #: the obstacle boxes of the world last walked in (an imported mesh's cost a pass over its vertices)
    boxes: list[tuple[float, ...]] = field(default_factory=list, repr=False, compare=False)
    boxes_of: WorldState | None = field(default=None, repr=False, compare=False)

    @classmethod
    def standing(cls, world: WorldState, x: float, y: float, yaw_deg: float = 90.0) -> Walker:
        z = float(heights_at(world, np.array([[x, y]]))[0]) + EYE_M
        return cls(pose=Pose(x=x, y=y, z=z, yaw_deg=yaw_deg, pitch_deg=0.0))

    def camera(self, *, width: int, height: int, focal_mm: float = 24.0) -> Camera:
        p = self.pose
        return Camera(position=p.eye(), yaw_deg=p.yaw_deg, pitch_deg=p.pitch_deg, focal_mm=focal_mm,
                      width=width, height=height, near_m=0.1, far_m=6000.0)

    def step(self, world: WorldState, inputs: Inputs, dt: float, bodies_xyr: np.ndarray | None = None) -> None:
        """Advance the viewer by dt seconds."""
        p = self.pose
        lx, ly = inputs.look_deg
        sx, sy = inputs.stick_look
        p.yaw_deg = (p.yaw_deg - lx - sx * self.stick_deg_s * dt) % 360.0
        p.pitch_deg = float(np.clip(p.pitch_deg - ly + sy * self.stick_deg_s * dt, -MAX_PITCH, MAX_PITCH))
        f, r, u = (sum(MOVES[k][i] for k in inputs.keys if k in MOVES) for i in range(3))
        f, r = f + inputs.stick_move[1], r + inputs.stick_move[0]
        run = 2.5 if inputs.keys & {"ShiftLeft", "ShiftRight"} else 1.0
        speed = self.speed_mps * run * (4.0 if self.mode == "fly" else 1.0)
        yaw = math.radians(p.yaw_deg)
        fwd, right = np.array([math.cos(yaw), math.sin(yaw)]), np.array([math.sin(yaw), -math.cos(yaw)])
        move = fwd * f + right * r
        norm = float(np.linalg.norm(move))
        step_xy = move / max(norm, 1.0) * speed * dt
        if self.mode == "fly":
            self._fly(world, step_xy, u * speed * dt)
        else:
            self._walk(world, step_xy, "Space" in inputs.keys, dt, bodies_xyr)

    def _fly(self, world: WorldState, step_xy: np.ndarray, dz: float) -> None:
        p = self.pose
        x, y = _inside(world, p.x + step_xy[0], p.y + step_xy[1])
        ground = float(heights_at(world, np.array([[x, y]]))[0])
        p.x, p.y, p.z = x, y, float(np.clip(p.z + dz, ground + FLY_CLEARANCE_M, ground + 3000.0))

    def _walk(self, world: WorldState, step_xy: np.ndarray, jump: bool, dt: float,
              bodies_xyr: np.ndarray | None) -> None:
        p = self.pose
        x, y = _inside(world, p.x + step_xy[0], p.y + step_xy[1])
        if self.boxes_of is not world:
            self.boxes, self.boxes_of = obstacle_boxes(world), world
        x, y = _push_out(world, self.boxes, x, y, p.z - EYE_M, bodies_xyr)
        ground, depth = _ground_and_depth(world, x, y)
        if depth > WADE_M:  # too deep to wade: swim, at half speed, the eye just above the surface
            x, y = p.x + (x - p.x) * 0.5, p.y + (y - p.y) * 0.5
            ground, depth = _ground_and_depth(world, x, y)
            p.x, p.y, p.z = x, y, ground + depth + SWIM_EYE_M
            self.vz, self.on_ground = 0.0, True
            return
        feet = p.z - EYE_M
        if self.on_ground and jump:
            self.vz, self.on_ground = JUMP_MPS, False
        if not self.on_ground:
            self.vz -= GRAVITY * dt
            feet += self.vz * dt
        if feet <= ground or (self.on_ground and feet - ground < 0.6):  # land, or follow the slope down
            feet, self.vz, self.on_ground = ground, 0.0, True
        elif self.on_ground:  # stepped off a ledge: fall from here
            self.on_ground = False
        p.x, p.y, p.z = x, y, feet + EYE_M


def _ground_and_depth(world: WorldState, x: float, y: float) -> tuple[float, float]:
    xy = np.array([[x, y]])
    ground = float(heights_at(world, xy)[0])
    return ground, max(float(water_at(world, xy)[0]) - ground, 0.0)


def dry_start(world: WorldState, near: tuple[float, float] | None = None) -> tuple[float, float]:
    """The dry, walkable spot nearest `near` (the world's centre by default), for a viewer to start on."""
    cx, cy = near or (world.size_m / 2, world.size_m / 2)
    step = max(world.size_m / 64, world.cell_m)
    grid = np.arange(step, world.size_m - step, step)
    xx, yy = np.meshgrid(grid, grid)
    xy = np.column_stack([xx.ravel(), yy.ravel()])
    dry = ~np.isfinite(water_at(world, xy)) | (water_at(world, xy) < heights_at(world, xy) + 0.05)
    if not dry.any():
        return cx, cy
    xy = xy[dry]
    k = int(np.argmin(np.hypot(xy[:, 0] - cx, xy[:, 1] - cy)))
    return float(xy[k, 0]), float(xy[k, 1])


def _inside(world: WorldState, x: float, y: float) -> tuple[float, float]:
    m = RADIUS_M + world.cell_m
    return float(np.clip(x, m, world.size_m - m)), float(np.clip(y, m, world.size_m - m))


def _push_out(world: WorldState, boxes: list[tuple[float, ...]], x: float, y: float, feet: float,
              bodies_xyr: np.ndarray | None) -> tuple[float, float]:
    """(x, y) moved out of structures, meshes, trunks and rocks, and the bodies (x, y, radius rows)."""
    for cx, cy, yaw, hw, hd, z0, z1 in boxes:
        if not z0 - 0.2 <= feet <= z1:
            continue
        c, s = math.cos(yaw), math.sin(yaw)
        lx, ly = (x - cx) * c + (y - cy) * s, -(x - cx) * s + (y - cy) * c
        ex, ey = hw + RADIUS_M - abs(lx), hd + RADIUS_M - abs(ly)
        if ex > 0 and ey > 0:  # inside: leave by the nearer side
            if ex < ey:
                lx += math.copysign(ex, lx)
            else:
                ly += math.copysign(ey, ly)
            x, y = cx + lx * c - ly * s, cy + lx * s + ly * c
    circles = [_solid_instances(world, x, y)]
    if bodies_xyr is not None and len(bodies_xyr):
        circles.append(np.asarray(bodies_xyr, np.float64).reshape(-1, 3))
    for rows in circles:
        for bx, by, r in rows:
            d = math.hypot(x - bx, y - by)
            reach = r + RADIUS_M
            if d < reach:
                k = reach / max(d, 1e-6)
                x, y = bx + (x - bx) * k, by + (y - by) * k
    return x, y


def _solid_instances(world: WorldState, x: float, y: float, reach: float = 6.0) -> np.ndarray:
    kinds = np.asarray(world.inst_kind)
    if not len(kinds):
        return np.zeros((0, 3))
    xyz = np.asarray(world.inst_xyz, np.float64)
    near = (np.abs(xyz[:, 0] - x) < reach) & (np.abs(xyz[:, 1] - y) < reach)
    out = []
    for k in np.nonzero(near)[0]:
        radius = SOLID_INSTANCES.get(INSTANCE_KINDS[int(kinds[k])])
        if radius is not None:
            out.append((xyz[k, 0], xyz[k, 1], radius * float(world.inst_scale[k])))
    return np.asarray(out, np.float64).reshape(-1, 3)
