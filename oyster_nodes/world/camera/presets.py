"""Camera moves a film crew would name: orbit, dolly, truck, crane, pan, tilt, fly-through, walk, follow.

Every preset gives one camera per frame (PathSamples) around a subject: the one the default still frames (an
imported mesh, else a vehicle, a named structure, the road, named water; see framing.subjects), else the centre. Azimuth "auto" picks the side with the
clearest line of sight that does not look into the sun. Clearance is applied afterwards (camera_path.keep_clear).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ...settings import setting
from ..state.world_state import WorldState
from .framing import subjects
from .path import (
    EASINGS,
    CameraPathError,
    PathSamples,
    Shot,
    heights_at,
    occluded_fraction,
    smooth_cover,
)

PRESETS: tuple[str, ...] = (
    "orbit",
    "dolly_in",
    "dolly_out",
    "truck",
    "crane",
    "pan",
    "tilt",
    "fly_through",
    "walk",
)
FOLLOW_MODES: tuple[str, ...] = ("chase", "side", "overhead", "pov")
EYE_HEIGHT_M = 1.7


_MOVING_PRESETS = ("orbit", "pan", "tilt")


@dataclass(kw_only=True, slots=True)
class PresetSettings:
    """What a preset needs; distances in metres, angles in degrees."""

    preset: str = setting("orbit", choices=PRESETS, description="the move")
    subject: tuple[float, float] | None = None
    #: aim this high above the ground at the subject (ignored for meshes and structures: their middle)
    aim_height_m: float = setting(2.0, min=0.0, max=500.0, description="aim this high above the ground")
    distance_m: float = setting(40.0, min=0.5, max=5000.0, description="distance from the subject")
    end_distance_m: float = setting(12.0, min=0.5, max=5000.0, description="dolly: distance at the end",
                                    applies={"preset": ("dolly_in", "dolly_out")})
    height_m: float = setting(12.0, min=-100.0, max=2000.0, description="camera height above the subject")
    end_height_m: float = setting(40.0, min=-100.0, max=2000.0, description="crane: height at the end",
                                  applies={"preset": ("crane",)})
    #: None picks the side with the clearest view (best_azimuth)
    azimuth_deg: float | None = None
    sweep_deg: float = setting(360.0, min=-1080.0, max=1080.0, description="orbit, pan or tilt angle",
                               applies={"preset": _MOVING_PRESETS})
    #: truck travel or fly-through length; 0 picks one from the distance or the world's size
    travel_m: float = setting(0.0, min=0.0, max=20000.0, description="truck / fly-through length; 0: auto",
                              applies={"preset": ("truck", "fly_through")})
    altitude_m: float = setting(25.0, min=1.0, max=2000.0, description="fly-through height above ground",
                                applies={"preset": ("fly_through",)})
    speed_mps: float = setting(1.4, min=0.1, max=30.0, description="walking speed", applies={"preset": ("walk",)})
    focal_mm: float = setting(35.0, min=4.0, max=600.0, widget="slider")
    ease: str = setting("in_out", choices=tuple(EASINGS), description="easing of the move")


_AROUND = {"mode": ("chase", "side", "overhead")}


@dataclass(kw_only=True, slots=True)
class FollowSettings:
    """How a camera follows a body or agent of a simulated shot."""

    target_id: str = setting("", max_length=64, required=True, description="id of the body or agent")
    mode: str = setting("chase", choices=FOLLOW_MODES)
    distance_m: float = setting(8.0, min=0.5, max=1000.0, applies=_AROUND)
    height_m: float = setting(3.0, min=-50.0, max=500.0, applies=_AROUND)
    lag_s: float = setting(0.4, min=0.0, max=10.0, description="how lazily the camera catches up", applies=_AROUND)
    focal_mm: float = setting(35.0, min=4.0, max=600.0, widget="slider")


class Track(Protocol):
    """Anything that tells where a body or agent is over time (a simulate.Timeline)."""

    def track(self, object_id: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def subject_point(world: WorldState, settings: PresetSettings) -> np.ndarray:
    """The point the preset looks at (x, y, z): the given subject on the ground, else the middle of the subject
    the default still frames (an imported mesh > a vehicle > a named structure > the road > named water; see
    framing.subjects), else the world's centre."""
    if settings.subject is not None:
        x, y = settings.subject
        return np.array([x, y, world.height_at(x, y) + settings.aim_height_m])
    first = next(s for s in subjects(world) if s.kind not in ("props", "trees"))
    if first.kind in ("product", "vehicle", "structure"):
        return np.asarray(first.centre, np.float64).copy()
    x, y = float(first.centre[0]), float(first.centre[1])
    return np.array([x, y, world.height_at(x, y) + settings.aim_height_m])


def best_azimuth(world: WorldState, subject: np.ndarray, distance: float, height: float) -> float:
    """The direction (deg, from +X towards +Y) to stand in: clear line of sight, sun not behind the subject."""
    sun = np.asarray(world.env.sun_dir if world.env.sun_dir is not None else (0.4, -0.6, 0.7), np.float64)[:2]
    sun = sun / (np.linalg.norm(sun) + 1e-9)
    best, best_score = 0.0, -math.inf
    for k in range(16):
        az = 360.0 * k / 16
        a = math.radians(az)
        pos = subject + np.array([distance * math.cos(a), distance * math.sin(a), height])
        pos[2] = max(pos[2], world.height_at(pos[0], pos[1]) + 2.0)
        s = PathSamples(times=np.zeros(1), position=pos[None], target=subject[None], focal_mm=np.ones(1))
        look = -np.array([math.cos(a), math.sin(a)])
        score = (
            -4.0 * occluded_fraction(world, s)
            - 0.8 * max(float(look @ sun), 0.0)
            - 0.02 * abs(az - 225) / 180
        )
        if score > best_score + 1e-9:
            best, best_score = az, score
    return best


def preset_samples(world: WorldState, shot: Shot, name: str, settings: PresetSettings) -> PathSamples:
    """One camera per frame for the named preset."""
    if name not in PRESETS:
        raise CameraPathError(f"unknown camera preset {name!r}: use one of {', '.join(PRESETS)}")
    times = shot.times()
    span = max(shot.duration_s - 1.0 / shot.fps, 1e-9)
    u = EASINGS[settings.ease](np.clip(times / span, 0.0, 1.0))
    subject = subject_point(world, settings)
    az = settings.azimuth_deg
    if az is None:
        az = best_azimuth(world, subject, settings.distance_m, settings.height_m)
    pos, tgt = _MOVES[name](world, subject, math.radians(az), u, settings, times)
    return PathSamples(
        times=times, position=pos, target=tgt, focal_mm=np.full(len(times), settings.focal_mm)
    )


def _ring(subject: np.ndarray, az: np.ndarray, dist: np.ndarray, height: np.ndarray) -> np.ndarray:
    return np.stack(
        [subject[0] + dist * np.cos(az), subject[1] + dist * np.sin(az), subject[2] + height], axis=1
    )


def _orbit(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    angles = az + math.radians(s.sweep_deg) * u
    pos = _ring(subject, angles, np.full_like(u, s.distance_m), np.full_like(u, s.height_m))
    return pos, np.repeat(subject[None], len(u), axis=0)


def _dolly(inward: bool) -> Any:
    def move(
        world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        d0, d1 = (s.distance_m, s.end_distance_m) if inward else (s.end_distance_m, s.distance_m)
        dist = d0 + (d1 - d0) * u
        height = s.height_m * dist / max(s.distance_m, 1e-6)  # keep the angle down onto the subject
        pos = _ring(subject, np.full_like(u, az), dist, height)
        return pos, np.repeat(subject[None], len(u), axis=0)

    return move


def _truck(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    side = np.array([-math.sin(az), math.cos(az), 0.0])
    travel = s.travel_m if s.travel_m > 0 else 0.75 * s.distance_m
    offset = (u - 0.5)[:, None] * travel * side[None]
    base = _ring(subject, np.array([az]), np.array([s.distance_m]), np.array([s.height_m]))[0]
    return base[None] + offset, subject[None] + offset


def _crane(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    height = s.height_m + (s.end_height_m - s.height_m) * u
    pos = _ring(subject, np.full_like(u, az), np.full_like(u, s.distance_m), height)
    return pos, np.repeat(subject[None], len(u), axis=0)


def _pan(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    pos = _ring(subject, np.array([az]), np.array([s.distance_m]), np.array([s.height_m]))[0]
    look = math.atan2(subject[1] - pos[1], subject[0] - pos[0])
    yaw = look + math.radians(s.sweep_deg) * (u - 0.5)
    dist = max(s.distance_m, 1.0)
    tgt = np.stack(
        [pos[0] + dist * np.cos(yaw), pos[1] + dist * np.sin(yaw), np.full_like(u, subject[2])], axis=1
    )
    return np.repeat(pos[None], len(u), axis=0), tgt


def _tilt(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    pos = _ring(subject, np.array([az]), np.array([s.distance_m]), np.array([s.height_m]))[0]
    d = subject - pos
    flat = math.hypot(d[0], d[1])
    pitch0 = math.atan2(d[2], flat)
    pitch = np.clip(pitch0 + math.radians(s.sweep_deg) * u, -1.5, 1.5)
    heading = np.array([d[0], d[1]]) / max(flat, 1e-9)
    dist = max(flat, 1.0)
    tgt = np.stack(
        [
            pos[0] + dist * np.cos(pitch) * heading[0],
            pos[1] + dist * np.cos(pitch) * heading[1],
            pos[2] + dist * np.sin(pitch),
        ],
        axis=1,
    )
    return np.repeat(pos[None], len(u), axis=0), tgt


def _fly_through(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    length = s.travel_m if s.travel_m > 0 else 0.8 * world.size_m
    heading = np.array([-math.cos(az), -math.sin(az)])  # from the azimuth side across the subject
    start = subject[:2] - heading * length / 2
    ahead = max(20.0, 0.1 * length)
    along = np.linspace(-ahead, length + 2 * ahead, 512)
    ground = heights_at(world, start[None] + along[:, None] * heading[None])
    profile = smooth_cover(ground, int(np.ceil(2 * ahead / max(along[1] - along[0], 1e-6))))
    dist = u * length
    z = np.interp(dist, along, profile) + s.altitude_m
    pos = np.column_stack([start[None] + dist[:, None] * heading[None], z])
    look = dist + ahead
    tz = np.interp(look, along, profile) + s.altitude_m * 0.6
    tgt = np.column_stack([start[None] + look[:, None] * heading[None], tz])
    return pos, tgt


def _walk(
    world: WorldState, subject: np.ndarray, az: float, u: np.ndarray, s: PresetSettings, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    length = min(s.speed_mps * float(times[-1] if len(times) else 0.0), max(s.distance_m - 3.0, 0.5))
    heading = np.array([-math.cos(az), -math.sin(az)])
    start = subject[:2] - heading * s.distance_m
    dist = np.clip(times * s.speed_mps, 0.0, length) if s.ease == "linear" else u * length
    xy = start[None] + dist[:, None] * heading[None]
    ground = _smooth(heights_at(world, xy), 5)
    bob = 0.03 * np.sin(2 * math.pi * 1.8 * times) * np.minimum(times / 0.5, 1.0)
    pos = np.column_stack([xy, ground + EYE_HEIGHT_M + bob])
    look_xy = xy + heading[None] * 8.0
    look_z = heights_at(world, look_xy) + EYE_HEIGHT_M * 0.9
    return pos, np.column_stack([look_xy, look_z])


def _smooth(values: np.ndarray, w: int) -> np.ndarray:
    pad = np.pad(values, w, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(pad, 2 * w + 1).mean(axis=1)


_MOVES = {
    "orbit": _orbit,
    "dolly_in": _dolly(True),
    "dolly_out": _dolly(False),
    "truck": _truck,
    "crane": _crane,
    "pan": _pan,
    "tilt": _tilt,
    "fly_through": _fly_through,
    "walk": _walk,
}


def follow_samples(world: WorldState, shot: Shot, track: Track, settings: FollowSettings) -> PathSamples:
    """A camera that follows a body or agent: behind it, beside it, above it, or from its eyes (pov)."""
    mode, distance_m, height_m, focal_mm = settings.mode, settings.distance_m, settings.height_m, settings.focal_mm
    if mode not in FOLLOW_MODES:
        raise CameraPathError(f"unknown follow mode {mode!r}: use one of {', '.join(FOLLOW_MODES)}")
    times = shot.times()
    where, heading = track.track(settings.target_id, times)
    if mode == "pov":
        fwd = np.column_stack([np.cos(heading), np.sin(heading), np.zeros_like(heading)])
        eye = where + np.array([0.0, 0.0, EYE_HEIGHT_M * 0.5]) + 0.3 * fwd
        return PathSamples(
            times=times,
            position=eye,
            target=eye + 10.0 * fwd + np.array([0, 0, -1.0]),
            focal_mm=np.full(len(times), focal_mm),
        )
    direction = _travel_direction(where, heading)
    side = np.column_stack([-direction[:, 1], direction[:, 0]])
    offsets = {"chase": -direction * distance_m, "side": side * distance_m, "overhead": -direction * 0.5}
    up = {"chase": height_m, "side": height_m * 0.5, "overhead": max(distance_m * 2.0, height_m)}
    wanted = where + np.column_stack([offsets[mode], np.full(len(times), up[mode])])
    pos = _lagged(wanted, times, settings.lag_s)
    return PathSamples(
        times=times,
        position=pos,
        target=where.copy(),
        focal_mm=np.full(len(times), focal_mm),
    )


def _travel_direction(where: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Unit xy direction of travel, from the track's motion where it moves, else from its heading."""
    vel = np.gradient(where[:, :2], axis=0) if len(where) > 1 else np.zeros((len(where), 2))
    smooth = np.column_stack([_smooth(vel[:, 0], 6), _smooth(vel[:, 1], 6)])
    speed = np.linalg.norm(smooth, axis=1)
    fallback = np.column_stack([np.cos(heading), np.sin(heading)])
    direction = np.where(speed[:, None] > 1e-3, smooth / np.maximum(speed, 1e-9)[:, None], fallback)
    for i in range(1, len(direction)):  # hold the last direction while the object is still
        if speed[i] <= 1e-3 and speed[i - 1] > 1e-3:
            direction[i] = direction[i - 1]
    return direction


def _lagged(wanted: np.ndarray, times: np.ndarray, lag_s: float) -> np.ndarray:
    """A critically damped follower of `wanted`: smooth, deterministic, starts on it."""
    if lag_s <= 0 or len(wanted) < 2:
        return wanted.copy()
    out = np.empty_like(wanted)
    out[0], vel = wanted[0], np.zeros(3)
    omega = 2.0 / lag_s
    for i in range(1, len(wanted)):
        dt = times[i] - times[i - 1]
        x = omega * dt
        decay = 1.0 / (1.0 + x + 0.48 * x * x + 0.235 * x * x * x)
        change = out[i - 1] - wanted[i]
        temp = (vel + omega * change) * dt
        vel = (vel - omega * temp) * decay
        out[i] = wanted[i] + (change + temp) * decay
    return out
