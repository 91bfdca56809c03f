"""Camera paths: shot settings, keyframes, easing, smooth interpolation, and clearance from ground and objects.

A path is authored as keyframes (or made by a preset in `camera_presets.py`), sampled once per frame into
`PathSamples`, kept clear of terrain, water, structures, imported meshes and large instances, and handed on
as a CameraPath whose keys are those per-frame samples (time, position, target, focal_mm). Dense keys make
the path exact for rendering and for exports; `camera_at` interpolates between them for sub-frame times
(motion blur).

Interpolation is Catmull-Rom in Hermite form with tangents scaled by the real key spacing in time, so the
camera's velocity is continuous through keys that are unevenly spaced. Easing applies twice: once to the
whole shot (the move starts and ends gently) and, per key, to the segment that leaves it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...settings import setting
from ...types import CameraPath
from ..geometry.camera import Camera, camera_from_key
from ..geometry.obstacles import INSTANCE_TOP, SOLID_INSTANCES, obstacle_boxes
from ..state.world_state import INSTANCE_KINDS, WorldState, heights_at, water_at


class CameraPathError(ValueError):
    """A path that cannot be made; the message says which key or setting and how to fix it."""


ASPECTS: dict[str, float] = {"16:9": 16 / 9, "2.39:1": 2.39, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3}
RESOLUTIONS: dict[str, int] = {
    "144p": 144,
    "240p": 240,
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "720p": 720,
    "1080p": 1080,
    "1440p": 1440,
    "2160p": 2160,
}
FPS_CHOICES: tuple[int, ...] = (24, 25, 30, 60)

EASINGS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "in": lambda u: u * u * u,
    "out": lambda u: 1.0 - (1.0 - u) ** 3,
    "in_out": lambda u: u * u * (3.0 - 2.0 * u),
    "smooth": lambda u: u * u * u * (u * (6.0 * u - 15.0) + 10.0),
    "hold": lambda u: np.zeros_like(u),
}

@dataclass(kw_only=True, slots=True)
class Shot:
    """Duration, frame rate and frame size of a shot."""

    duration_s: float = 5.0
    fps: float = 24.0
    width: int = 1280
    height: int = 720
    sensor_mm: float = 36.0
    near_m: float = 0.1
    far_m: float = 5000.0

    @property
    def n_frames(self) -> int:
        return max(1, int(round(self.duration_s * self.fps)))

    def times(self) -> np.ndarray:
        return np.arange(self.n_frames, dtype=np.float64) / self.fps


RESOLUTION_CHOICES: tuple[str, ...] = (*RESOLUTIONS, "custom")


@dataclass(kw_only=True, slots=True)
class ShotSettings:
    """How a camera node frames its shot: length, rate, frame size, clearance and the map preview."""

    duration_s: float = setting(5.0, min=0.1, max=600.0, description="length of the shot in seconds")
    fps: int = setting(24, choices=FPS_CHOICES, description="frames per second")
    resolution: str = setting("720p", choices=RESOLUTION_CHOICES,
                              description="short side of a 16:9 frame; other aspects keep its long side")
    aspect: str = setting("16:9", choices=tuple(ASPECTS), description="frame shape",
                          applies={"resolution": tuple(RESOLUTIONS)})
    width: int = setting(1280, min=16, max=8192, description="used when resolution is custom",
                         applies={"resolution": ("custom",)})
    height: int = setting(720, min=16, max=8192, description="used when resolution is custom",
                          applies={"resolution": ("custom",)})
    clearance_m: float = setting(1.5, min=0.0, max=100.0,
                                 description="the camera stays this far above ground, water and objects")
    map_px: int = setting(512, min=128, max=2048, description="size of the top-down preview")

    def shot(self) -> Shot:
        """The Shot these settings frame (custom size, or the resolution at the aspect)."""
        if self.resolution == "custom":
            width, height = int(self.width), int(self.height)
        else:
            width, height = frame_size(self.resolution, self.aspect)
        return Shot(duration_s=float(self.duration_s), fps=float(self.fps), width=width, height=height)


def frame_size(resolution: str, aspect: str) -> tuple[int, int]:
    """(width, height) in even pixels: `resolution` is the short side of 16:9; other aspects keep its long side."""
    if resolution not in RESOLUTIONS or aspect not in ASPECTS:
        raise CameraPathError(
            f"unknown resolution {resolution!r} or aspect {aspect!r}: "
            f"use one of {', '.join(RESOLUTIONS)} and {', '.join(ASPECTS)}"
        )
    short = RESOLUTIONS[resolution]
    long = short * 16 / 9
    ratio = ASPECTS[aspect]
    if ratio >= 16 / 9:
        w, h = long, long / ratio
    elif ratio >= 1.0:
        w, h = short * ratio, short
    else:
        w, h = short, short / ratio
    return _even(w), _even(h)


def _even(v: float) -> int:
    return max(2, int(round(v / 2.0)) * 2)


@dataclass(kw_only=True, slots=True)
class PathSamples:
    """One camera per frame: times (N), positions (N x 3), targets (N x 3), focal lengths (N)."""

    times: np.ndarray
    position: np.ndarray
    target: np.ndarray
    focal_mm: np.ndarray
    notes: list[str] = field(default_factory=list)


# --- keyframes ----------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class Key:
    time: float
    position: np.ndarray
    target: np.ndarray
    focal_mm: float
    ease: str = "linear"


def parse_keys(raw: list[Any], *, duration_s: float) -> tuple[list[Key], list[str]]:
    """Keys from JSON-like dicts, sorted by time; raises CameraPathError naming the bad key; returns notes."""
    if not raw:
        raise CameraPathError("no keyframes: give at least one {time, position, target}")
    keys, notes = [], []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise CameraPathError(
                f"key {i}: expects an object with time, position and target, got {item!r:.40}"
            )
        keys.append(_parse_key(i, item))
    keys.sort(key=lambda k: k.time)
    times = [k.time for k in keys]
    if len(set(times)) != len(times):
        raise CameraPathError(f"two keys share a time ({times}): give each key its own time")
    late = [k.time for k in keys if k.time > duration_s + 1e-9]
    if late:
        notes.append(
            f"keys at {', '.join(f'{t:g}' for t in late)} s lie after the shot ends ({duration_s:g} s); "
            "the shot stops before them"
        )
    return keys, notes


def _parse_key(i: int, item: dict[str, Any]) -> Key:
    t = _number(item, "time", i, 0.0, 86400.0)
    pos = _vector(item.get("position"), f"key {i} position")
    if item.get("target") is not None:
        target = _vector(item["target"], f"key {i} target")
    elif "yaw_deg" in item or "pitch_deg" in item:
        cam = camera_from_key(item)
        target = pos + 10.0 * cam.forward()
    else:
        raise CameraPathError(f"key {i}: give a target [x, y, z] or an orientation (yaw_deg, pitch_deg)")
    if np.linalg.norm(target - pos) < 1e-6:
        raise CameraPathError(f"key {i}: target equals position; aim the camera somewhere else")
    ease = str(item.get("ease", "linear"))
    if ease not in EASINGS:
        raise CameraPathError(f"key {i}: ease {ease!r} is not one of {', '.join(EASINGS)}")
    focal = _number(item, "focal_mm", i, 4.0, 1200.0, default=35.0)
    return Key(time=t, position=pos, target=target, focal_mm=focal, ease=ease)


def _number(
    item: dict[str, Any], name: str, i: int, lo: float, hi: float, default: float | None = None
) -> float:
    value = item.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CameraPathError(f"key {i}: {name} expects a number, got {value!r:.40}")
    if not lo <= value <= hi:
        raise CameraPathError(f"key {i}: {name} is {value:g}; keep it within {lo:g}..{hi:g}")
    return float(value)


def _vector(value: Any, what: str) -> np.ndarray:
    try:
        v = np.asarray([float(c) for c in value], dtype=np.float64)
    except (TypeError, ValueError):
        raise CameraPathError(f"{what}: expects [x, y, z] in metres, got {value!r:.40}") from None
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise CameraPathError(f"{what}: expects [x, y, z] in metres, got {value!r:.40}")
    return v


def sample_keys(
    keys: list[Key], times: np.ndarray, *, shot_ease: str = "linear", duration_s: float | None = None
) -> PathSamples:
    """Positions, targets and focal lengths at `times`, through the keys, with easing."""
    span = duration_s if duration_s else float(times[-1]) if len(times) else 0.0
    t = np.asarray(times, dtype=np.float64)
    if span > 0 and shot_ease != "linear":
        t = EASINGS[shot_ease](np.clip(t / span, 0.0, 1.0)) * span
    kt = np.array([k.time for k in keys])
    pos = _hermite(kt, np.stack([k.position for k in keys]), keys, t)
    tgt = _hermite(kt, np.stack([k.target for k in keys]), keys, t)
    focal = _hermite(kt, np.array([[k.focal_mm] for k in keys]), keys, t)[:, 0]
    return PathSamples(times=np.asarray(times, np.float64), position=pos, target=tgt, focal_mm=focal)


def _hermite(kt: np.ndarray, values: np.ndarray, keys: list[Key], t: np.ndarray) -> np.ndarray:
    """Time-aware Catmull-Rom through `values` (K x D) at times `t`; constant outside the keys."""
    k = len(kt)
    if k == 1:
        return np.repeat(values[:1], len(t), axis=0)
    tangents = np.zeros_like(values)
    for i in range(k):
        lo, hi = max(i - 1, 0), min(i + 1, k - 1)
        tangents[i] = (values[hi] - values[lo]) / (kt[hi] - kt[lo])
    seg = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, k - 2)
    dt = kt[seg + 1] - kt[seg]
    u = np.clip((t - kt[seg]) / dt, 0.0, 1.0)
    for s in np.unique(seg):
        mask = seg == s
        u[mask] = EASINGS[keys[s].ease](u[mask])
    u2, u3 = u * u, u * u * u
    h00, h10, h01, h11 = 2 * u3 - 3 * u2 + 1, u3 - 2 * u2 + u, -2 * u3 + 3 * u2, u3 - u2
    p0, p1 = values[seg], values[seg + 1]
    m0, m1 = tangents[seg] * dt[:, None], tangents[seg + 1] * dt[:, None]
    return h00[:, None] * p0 + h10[:, None] * m0 + h01[:, None] * p1 + h11[:, None] * m1


# --- clearance ----------------------------------------------------------------------------------


def ground_floor(world: WorldState, xy: np.ndarray, radius_m: float = 1.0) -> np.ndarray:
    """Highest terrain, water, structure roof or imported-mesh top near each (x, y) point (N x 2)."""
    xy = np.asarray(xy, np.float64).reshape(-1, 2)
    top = np.full(len(xy), -np.inf)
    for dx, dy in ((0, 0), (radius_m, 0), (-radius_m, 0), (0, radius_m), (0, -radius_m)):
        p = xy + (dx, dy)
        top = np.maximum(top, heights_at(world, p))
        top = np.maximum(top, water_at(world, p))
    return np.maximum(top, _roofs_at(world, xy, radius_m))


def _roofs_at(world: WorldState, xy: np.ndarray, margin: float) -> np.ndarray:
    top = np.full(len(xy), -np.inf)
    for box in obstacle_boxes(world):
        cx, cy, yaw, hw, hd, z0, z1 = box
        c, s = math.cos(yaw), math.sin(yaw)
        lx = (xy[:, 0] - cx) * c + (xy[:, 1] - cy) * s
        ly = -(xy[:, 0] - cx) * s + (xy[:, 1] - cy) * c
        inside = (np.abs(lx) <= hw + margin) & (np.abs(ly) <= hd + margin)
        top = np.where(inside, np.maximum(top, z1), top)
    return top


def frame_times(path: CameraPath, max_frames: int | None = None) -> np.ndarray:
    """The times of a path's frames, i / fps over its duration (over the keys' span plus one frame when it
    has no duration): what a render of the path and an export of its camera both have."""
    if not (path.fps > 0 and math.isfinite(path.fps)):
        raise CameraPathError(f"camera path fps must be positive, got {path.fps}")
    duration = path.duration_s
    if not duration or duration <= 0:
        duration = float(path.times_k.max()) + 1.0 / path.fps
    count = max(1, int(round(duration * path.fps)))
    if max_frames is not None and count > max_frames:
        raise CameraPathError(f"camera path has {count} frames; the limit is {max_frames}")
    return np.arange(count, dtype=np.float64) / path.fps


def keep_clear(world: WorldState, samples: PathSamples, *, clearance_m: float = 1.5) -> PathSamples:
    """The path moved out of large instances and lifted clear of ground and roofs, smoothly; notes say how much."""
    pos = samples.position.copy()
    pushed = _push_out_of_instances(world, pos, clearance_m)
    floor = ground_floor(world, pos[:, :2], radius_m=max(0.5, clearance_m)) + clearance_m
    deficit = np.maximum(floor - pos[:, 2], 0.0)
    notes = list(samples.notes)
    if deficit.max() > 1e-6:
        lift = smooth_cover(deficit, max(2, len(pos) // 12))
        pos[:, 2] += lift
        hit = np.nonzero(deficit > 1e-6)[0]
        notes.append(
            f"lifted the camera up to {deficit.max():.1f} m to keep {clearance_m:g} m clear of the ground "
            f"and objects between {samples.times[hit[0]]:.2f} s and {samples.times[hit[-1]]:.2f} s"
        )
    if pushed > 0.01:
        notes.append(f"moved the camera up to {pushed:.1f} m sideways out of trees, rocks or props")
    notes += _outside_notes(world, pos)
    out = PathSamples(
        times=samples.times,
        position=pos,
        target=samples.target.copy(),
        focal_mm=samples.focal_mm.copy(),
        notes=notes,
    )
    hidden = occluded_fraction(world, out)
    if hidden > 0.0:
        out.notes.append(f"the target is hidden behind terrain in {100 * hidden:.0f}% of the frames")
    leafy = canopy_fraction(world, out)
    if leafy >= 0.25:
        out.notes.append(f"trees stand between the camera and its target in {100 * leafy:.0f}% of the frames; "
                         "raise the camera or move it closer")
    return out


#: tree crowns as upright cylinders: radius and the share of the height where the crown starts (scale 1)
CANOPIES: dict[str, tuple[float, float]] = {"conifer": (2.2, 0.2), "broadleaf": (3.2, 0.35), "palm": (2.4, 0.75)}


def canopy_fraction(world: WorldState, samples: PathSamples, frames: int = 24, steps: int = 16) -> float:
    """Share of (up to `frames` sampled) frames whose line of sight to the target passes through a tree crown."""
    if not len(world.inst_kind):
        return 0.0
    kinds = np.asarray(world.inst_kind).reshape(-1)
    names = np.array([INSTANCE_KINDS[k] if 0 <= k < len(INSTANCE_KINDS) else "" for k in range(len(INSTANCE_KINDS))])
    kind_names = names[np.clip(kinds, 0, len(names) - 1)]
    crown = np.isin(kind_names, list(CANOPIES))
    if not crown.any():
        return 0.0
    xyz = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)[crown]
    scale = np.asarray(world.inst_scale, np.float64).reshape(-1)[crown]
    radius = np.array([CANOPIES[n][0] for n in kind_names[crown]]) * scale
    top = np.array([INSTANCE_TOP[n] for n in kind_names[crown]]) * scale
    bottom = np.array([CANOPIES[n][1] for n in kind_names[crown]]) * top
    picks = np.unique(np.linspace(0, len(samples.times) - 1, min(frames, len(samples.times))).astype(int))
    ts = np.linspace(0.08, 0.92, steps)
    blocked = 0
    for i in picks:
        pts = samples.position[i] + ts[:, None] * (samples.target[i] - samples.position[i])
        lo, hi = pts[:, :2].min(axis=0) - radius.max(), pts[:, :2].max(axis=0) + radius.max()
        near = np.nonzero(np.all((xyz[:, :2] >= lo) & (xyz[:, :2] <= hi), axis=1))[0]
        if not len(near):
            continue
        d = np.linalg.norm(pts[:, None, :2] - xyz[None, near, :2], axis=2)
        z = pts[:, None, 2] - xyz[None, near, 2]
        inside = (d < radius[near]) & (z > bottom[near]) & (z < top[near])
        blocked += int(inside.any())
    return blocked / len(picks)


def smooth_cover(values: np.ndarray, w: int) -> np.ndarray:
    """A smooth curve at least `values` everywhere: a running max, then a running mean, of width 2w+1."""
    w = max(1, w)
    pad = np.pad(values, w, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(pad, 2 * w + 1)
    peak = windows.max(axis=1)
    pad2 = np.pad(peak, w, mode="edge")
    return np.maximum(np.lib.stride_tricks.sliding_window_view(pad2, 2 * w + 1).mean(axis=1), values)


def _push_out_of_instances(world: WorldState, pos: np.ndarray, margin: float) -> float:
    """Move low cameras sideways out of tree trunks, boulders and props (in place); the largest move."""
    if not len(world.inst_kind):
        return 0.0
    kinds = np.asarray(world.inst_kind).reshape(-1)
    xyz = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)
    scale = np.asarray(world.inst_scale, np.float64).reshape(-1)
    names = [INSTANCE_KINDS[k] if 0 <= k < len(INSTANCE_KINDS) else "" for k in range(len(INSTANCE_KINDS))]
    radius = (
        np.array([SOLID_INSTANCES.get(nm, 0.0) for nm in names])[np.clip(kinds, 0, len(names) - 1)] * scale
    )
    tops = np.array([INSTANCE_TOP.get(nm, 0.0) for nm in names])[np.clip(kinds, 0, len(names) - 1)] * scale
    solid = radius > 0
    xyz, radius, tops = xyz[solid], radius[solid] + margin, tops[solid]
    moved = 0.0
    if not len(xyz):
        return moved
    lo, hi = pos[:, :2].min(axis=0) - 20.0, pos[:, :2].max(axis=0) + 20.0
    near = np.all((xyz[:, :2] >= lo) & (xyz[:, :2] <= hi), axis=1)
    xyz, radius, tops = xyz[near], radius[near], tops[near]
    for i in range(len(pos)):
        d = pos[i, :2] - xyz[:, :2]
        dist = np.linalg.norm(d, axis=1)
        inside = (dist < radius) & (pos[i, 2] < xyz[:, 2] + tops + margin)
        for k in np.nonzero(inside)[0]:
            direction = d[k] / dist[k] if dist[k] > 1e-6 else np.array([1.0, 0.0])
            step = radius[k] - dist[k]
            pos[i, :2] += direction * step
            moved = max(moved, float(step))
    return moved


def _outside_notes(world: WorldState, pos: np.ndarray) -> list[str]:
    out = (pos[:, 0] < 0) | (pos[:, 1] < 0) | (pos[:, 0] > world.size_m) | (pos[:, 1] > world.size_m)
    if out.any():
        return [
            f"the camera leaves the terrain ({world.size_m:g} m square) in {int(out.sum())} frames; "
            "the terrain's edge may show"
        ]
    return []


def occluded_fraction(world: WorldState, samples: PathSamples, steps: int = 24) -> float:
    """Share of frames where terrain blocks the straight line from the camera to its target."""
    ts = np.linspace(0.04, 0.96, steps)
    pos, tgt = samples.position, samples.target
    pts = pos[:, None, :] + ts[None, :, None] * (tgt - pos)[:, None, :]
    ground = heights_at(world, pts[..., :2].reshape(-1, 2)).reshape(len(pos), steps)
    blocked = np.any(ground > pts[..., 2] + 0.25, axis=1)
    return float(blocked.mean())


# --- to and from the wire type -------------------------------------------------------------------


def to_camera_path(samples: PathSamples, shot: Shot) -> CameraPath:
    """A CameraPath holding one key per frame (times rounded to the microsecond)."""
    return CameraPath(
        times_k=np.array([round(float(t), 6) for t in samples.times], np.float64),
        position_k3=samples.position,
        target_k3=samples.target,
        focal_mm_k=samples.focal_mm,
        duration_s=shot.duration_s,
        fps=shot.fps,
        width=shot.width,
        height=shot.height,
        sensor_mm=shot.sensor_mm,
        near_m=shot.near_m,
        far_m=shot.far_m,
    )


def path_from_keys(keys: list[dict[str, Any]], **shot: Any) -> CameraPath:
    """A CameraPath from keys as JSON ({time, position, target or yaw_deg/pitch_deg, focal_mm}), sorted by
    time; `shot` sets duration_s, fps, width, height, sensor_mm, near_m, far_m."""
    if not keys:
        raise CameraPathError("the camera path has no keys")
    try:
        ordered = sorted(keys, key=lambda k: float(k.get("time", 0.0)))
        times = [float(k.get("time", 0.0)) for k in ordered]
        pos = [[float(c) for c in k["position"]] for k in ordered]
        tgt = [[float(c) for c in (k.get("target") or np.add(k["position"], camera_from_key(k).forward()))]
               for k in ordered]
        focal = [float(k.get("focal_mm", 35.0)) for k in ordered]
        return CameraPath(times_k=times, position_k3=pos, target_k3=tgt, focal_mm_k=focal, **shot)
    except (KeyError, TypeError, ValueError) as exc:
        raise CameraPathError(f"camera keys: {exc}") from None


def path_arrays(path: CameraPath) -> PathSamples:
    """A CameraPath's keys as PathSamples (the same arrays, no copies)."""
    return PathSamples(times=path.times_k, position=path.position_k3, target=path.target_k3, focal_mm=path.focal_mm_k)


def camera_at(path: CameraPath, t: float, arrays: PathSamples | None = None) -> Camera:
    """The camera at time `t` (seconds), interpolated linearly between the path's keys."""
    a = arrays or path_arrays(path)
    if len(a.times) == 1:
        i, u = 0, 0.0
    else:
        i = int(np.clip(np.searchsorted(a.times, t, side="right") - 1, 0, len(a.times) - 2))
        span = a.times[i + 1] - a.times[i]
        u = float(np.clip((t - a.times[i]) / span, 0.0, 1.0)) if span > 0 else 0.0
    j = min(i + 1, len(a.times) - 1)
    pos = a.position[i] * (1 - u) + a.position[j] * u
    tgt = a.target[i] * (1 - u) + a.target[j] * u
    focal = a.focal_mm[i] * (1 - u) + a.focal_mm[j] * u
    return Camera(
        position=tuple(map(float, pos)),
        target=tuple(map(float, tgt)),
        focal_mm=float(focal),
        sensor_mm=path.sensor_mm,
        width=path.width,
        height=path.height,
        near_m=path.near_m,
        far_m=path.far_m,
    )
