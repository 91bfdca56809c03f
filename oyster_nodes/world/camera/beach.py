"""A beach framed from its own sand: the camera stands on the sand near the water's edge, a little above eye
height, and looks out past the palms to the water and the horizon, so that the sand fills the foreground, the
palms stand near and the sea runs to the horizon (a travel advert's beach, an oasis's pool among dunes).

Candidate spots on the sand are scored without rendering: a coarse fan of rays over the heightfield and the
water says how much of the frame is sand, water and sky, and the palms near the spot are projected into it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..geometry.camera import Camera
from ..state.world_state import INSTANCE_KINDS, MATERIALS, WorldState, heights_at

#: the camera stands this high over the sand (m): just above eye level, the sand large in the foreground
BEACH_EYE_M = 2.6
#: the spots tried stand this far from the water (m): on the dry sand, the water's edge ahead
SHORE_BAND_M = (8.0, 30.0)
#: the horizon sits this far down the frame (the sand takes the lower part)
BEACH_HORIZON_AT = 0.4
#: per share of the frame, what the still wants of each: sand, water, sky (up to the share, then no more)
WANTS = {"sand": 0.3, "water": 0.22, "sky": 0.25}
#: a palm nearer than this (m) in the frame walls the view with its trunk
CLOSE_M = 9.0
#: palms within this distance (m) of a spot count for it
PALM_REACH_M = 70.0


@dataclass(kw_only=True, slots=True)
class BeachShot:
    camera: Camera
    shares: dict[str, float]
    palms: int
    note: str


def wants_beach(world: WorldState) -> bool:
    """The prompt asks for sand by water (a beach, an oasis): sand or palms named, water in the world."""
    spec = world.spec or {}
    sandy = spec.get("terrain") == "dunes" or "sand" in (spec.get("modifiers") or {}) or \
        "palms" in (spec.get("vegetation") or {})
    return bool(sandy and spec.get("water")) and bool(np.isfinite(world.water_hw).any())


def beach_shot(world: WorldState, *, width: int, height: int, focal_mm: float, sensor_mm: float) -> BeachShot | None:
    """The best view from the sand near the water, or None when the world has no sand by its water."""
    spots = _spots(world)
    if not len(spots):
        return None
    palms = _palms(world)
    best: tuple[float, BeachShot] | None = None
    for xy, sea in spots:
        for turn in (-50.0, -30.0, -12.0, 0.0, 12.0, 30.0, 50.0):
            cam = _camera(world, xy, sea + math.radians(turn), width, height, focal_mm, sensor_mm)
            shares = frame_classes(world, cam)
            seen, close = _palms_in_view(cam, palms)
            score = sum(min(shares[k] / v, 1.0) for k, v in WANTS.items()) + 0.6 * min(seen / 4.0, 1.0) \
                - 0.5 * close - 2.0 * shares["other"] - 0.002 * abs(turn)
            shot = BeachShot(camera=cam, shares=shares, palms=seen + close, note="")
            if best is None or score > best[0] + 1e-9:
                best = (score, shot)
    assert best is not None
    shot = best[1]
    shot.note = (f"framed the beach from the sand, {BEACH_EYE_M:.1f} m up: sand {shot.shares['sand']:.0%} of the "
                 f"frame in front, {shot.palms} palms near, the water ({shot.shares['water']:.0%}) out to the horizon")
    return shot


def _spots(world: WorldState, most: int = 6) -> list[tuple[np.ndarray, float]]:
    """Dry sand a little back from the water, near palms and the world's middle, best first: (xy, bearing to
    the water in radians)."""
    step = max(1, world.n // 256)
    m = step * world.cell_m
    wet = np.isfinite(world.water_hw[::step, ::step])
    sand = world.material_hw[::step, ::step] == MATERIALS.index("sand")
    if not wet.any() or not sand.any():
        return []
    dist, (wi, wj) = ndimage.distance_transform_edt(~wet, return_indices=True)
    dist = dist * m
    ii, jj = np.indices(wet.shape)
    inner = np.minimum(np.minimum(ii, jj), np.minimum(wet.shape[0] - 1 - ii, wet.shape[1] - 1 - jj)) * m
    ok = sand & ~wet & (dist >= SHORE_BAND_M[0]) & (dist <= SHORE_BAND_M[1]) & (inner > 0.12 * world.size_m)
    if not ok.any():
        return []
    pi, pj = np.nonzero(ok)
    xy = np.column_stack([pj * m, pi * m]).astype(np.float64)
    palms = _palms(world)
    near = np.zeros(len(xy))
    if len(palms):
        gap = np.hypot(xy[:, None, 0] - palms[None, :, 0], xy[:, None, 1] - palms[None, :, 1]) if len(xy) * len(
            palms) < 4_000_000 else np.full((len(xy), 1), np.inf)
        near = ((gap > 6.0) & (gap < PALM_REACH_M)).sum(axis=1)
    middle = np.hypot(*(xy - world.size_m / 2).T) / world.size_m
    rank = np.minimum(near, 12.0) - 6.0 * middle
    order = np.argsort(-rank, kind="stable")
    out: list[tuple[np.ndarray, float]] = []
    for k in order:
        if all(np.hypot(*(xy[k] - o[0])) > 60.0 for o in out):
            i, j = pi[k], pj[k]
            water = np.array([wj[i, j] * m, wi[i, j] * m], np.float64)
            out.append((xy[k], math.atan2(water[1] - xy[k][1], water[0] - xy[k][0])))
        if len(out) >= most:
            break
    return out


def _palms(world: WorldState) -> np.ndarray:
    if not len(world.inst_kind):
        return np.zeros((0, 3))
    return world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("palm")].astype(np.float64).reshape(-1, 3)


def _camera(world: WorldState, xy: np.ndarray, yaw: float, width: int, height: int, focal_mm: float,
            sensor_mm: float) -> Camera:
    ground = float(heights_at(world, xy[None])[0])
    pos = np.array([xy[0], xy[1], ground + BEACH_EYE_M])
    f_px = focal_mm / sensor_mm * width
    down = math.atan(height * (BEACH_HORIZON_AT - 0.5) * -1.0 / f_px)
    fwd = np.array([math.cos(yaw) * math.cos(down), math.sin(yaw) * math.cos(down), -math.sin(down)])
    return Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in pos + 100.0 * fwd),  # type: ignore[arg-type]
                  focal_mm=focal_mm, sensor_mm=sensor_mm, width=width, height=height, near_m=0.1,
                  far_m=max(5000.0, 4.0 * world.size_m))


def frame_classes(world: WorldState, cam: Camera, cols: int = 12, rows: int = 9) -> dict[str, float]:
    """Shares of a coarse grid of the frame's rays that meet sand, water, other ground, or nothing (sky);
    rays that leave the world over the sea's level count as water, else as other ground."""
    uv = np.array([(u, v) for v in (np.arange(rows) + 0.5) / rows * cam.height
                   for u in (np.arange(cols) + 0.5) / cols * cam.width])
    pos = np.asarray(cam.position, np.float64)
    d = cam.unproject(uv, np.full(len(uv), 100.0)) - pos
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    t = np.geomspace(0.3, 3.0 * world.size_m, 64)
    ray = pos[None, None] + t[None, :, None] * d[:, None]
    flat = ray[..., :2].reshape(-1, 2)
    ground = heights_at(world, flat).reshape(len(uv), len(t))
    n = world.n
    j = np.clip(np.round(flat[:, 0] / world.cell_m), 0, n - 1).astype(int)
    i = np.clip(np.round(flat[:, 1] / world.cell_m), 0, n - 1).astype(int)
    water = np.asarray(world.water_hw[i, j], np.float64).reshape(len(uv), len(t))
    surface = np.fmax(ground, np.where(np.isfinite(water), water, -np.inf))
    inside = (ray[..., 0] >= 0) & (ray[..., 0] <= world.size_m) & (ray[..., 1] >= 0) & (ray[..., 1] <= world.size_m)
    hit = (surface >= ray[..., 2]) & inside
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    out = {"sand": 0.0, "water": 0.0, "sky": 0.0, "other": 0.0}
    sea = world.env.sea_level_m
    for k, f in enumerate(first):
        if f < 0:
            leaves = d[k, 2] < 0 and sea is not None
            out["water" if leaves else "sky" if d[k, 2] >= 0 else "other"] += 1
            continue
        if np.isfinite(water[k, f]) and water[k, f] >= ground[k, f]:
            out["water"] += 1
        else:
            mat = world.material_hw[i.reshape(len(uv), len(t))[k, f], j.reshape(len(uv), len(t))[k, f]]
            out["sand" if mat == MATERIALS.index("sand") else "other"] += 1
    return {key: v / len(uv) for key, v in out.items()}


def _palms_in_view(cam: Camera, palms: np.ndarray) -> tuple[int, int]:
    """Palms within PALM_REACH_M whose trunk's middle falls in the frame: those standing near (a few to
    tens of metres off: they frame the view) and those so close that a trunk would wall it (under CLOSE_M)."""
    if not len(palms):
        return 0, 0
    pos = np.asarray(cam.position)
    near = np.hypot(palms[:, 0] - pos[0], palms[:, 1] - pos[1]) < PALM_REACH_M
    if not near.any():
        return 0, 0
    uv, depth = cam.project(palms[near] + (0.0, 0.0, 5.0))
    inside = (depth > 0.5) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width) & (uv[:, 1] >= -cam.height) & (
        uv[:, 1] < cam.height)
    return int((inside & (depth >= CLOSE_M)).sum()), int((inside & (depth < CLOSE_M)).sum())
