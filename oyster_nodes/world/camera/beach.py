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
from scipy.spatial import cKDTree

from ..generate.beach import names_beach
from ..geometry.camera import Camera
from ..state.world_state import INSTANCE_KINDS, MATERIALS, WorldState, heights_at

#: the camera stands this high over the sand (m): just above eye level, the sand large in the foreground
BEACH_EYE_M = 2.2
#: the spots tried stand this far from the water (m): on the dry sand, the water's edge ahead
SHORE_BAND_M = (6.0, 28.0)
#: the horizon sits this far down the frame (about a third: the sand and the water take the lower two)
BEACH_HORIZON_AT = 0.35
#: per share of the frame, what the still wants of each: sand, water, sky (up to the share, then no more)
WANTS = {"sand": 0.22, "water": 0.3, "sky": 0.28}
#: more sand than this share of the frame crowds the water out of it
SAND_MOST = 0.42
#: bearings tried (degrees off straight out to the water): out to sea, and along the shore with the sand
#: curving away on one side and the water on the other (the travel advert's view down the beach)
TURNS_DEG = (-70.0, -55.0, -40.0, -25.0, -12.0, 0.0, 12.0, 25.0, 40.0, 55.0, 70.0)
#: a trunk, shrub or rock nearer than this (m) in the frame walls the view
CLOSE_M = 12.0
#: the camera stands at least this far (m) from any tree, shrub or rock
CLEAR_M = 6.0
#: nothing this near (m) may straddle the frame's left or right edge (half a crown cut off by the frame)
EDGE_M = 20.0
#: what palms along the beach (up to six in frame, beyond CLOSE_M) add to a view's score
PALM_WEIGHT = 1.2
#: where the prompt names palms: what a palm standing large near a third of the frame adds (the travel advert's
#: palm leaning in beside the sand, not a fringe of small crowns at the frame's edge)
PALM_FEATURE_WEIGHT = 2.0
#: a palm reads as the picture's subject when it stands this share of the frame's height
PALM_FEATURE_TALL = 0.4
#: a palm's height (m) at scale 1 (render/meshes.py)
PALM_HEIGHT_M = 11.5
#: a building framed with the beach reads when it spans this share of the frame (across or high)
SUBJECT_SPAN = 0.12
#: and when it stands this share of the frame high (a row of low huts spread far off spans the frame across and
#: still reads as specks)
SUBJECT_TALL = 0.09
#: spots within this distance (m) of the buildings framed with the beach rank alike; farther ones lose
SUBJECT_NEAR_M = 45.0
#: palms within this distance (m) of a spot count for it
PALM_REACH_M = 110.0
#: kinds that wall or clutter a low view when near: (kind, radius in m of what shows at eye height)
CLUTTER_R_M = {"conifer": 2.2, "broadleaf": 2.6, "palm": 0.5, "dead_tree": 1.0, "cactus": 0.8, "shrub": 1.2,
               "boulder": 1.8, "rock": 0.6, "crate": 0.6, "barrel": 0.4, "hay_bale": 0.8}


@dataclass(kw_only=True, slots=True)
class BeachShot:
    camera: Camera
    shares: dict[str, float]
    palms: int
    note: str
    #: share of the subject's sample points in frame (1 when there is none)
    subject_seen: float = 1.0


def wants_beach(world: WorldState) -> bool:
    """The prompt asks for sand by water (a beach, an oasis): sand, a beach or palms named, water in the world."""
    spec = world.spec or {}
    sandy = spec.get("terrain") == "dunes" or "sand" in (spec.get("modifiers") or {}) or \
        "palms" in (spec.get("vegetation") or {}) or names_beach(spec.get("matches") or [], spec.get("modifiers") or {})
    return bool(sandy and spec.get("water")) and bool(np.isfinite(world.water_hw).any())


def beach_shot(world: WorldState, *, width: int, height: int, focal_mm: float, sensor_mm: float,
               subject_pts: np.ndarray | None = None) -> BeachShot | None:
    """The best view from the sand near the water, or None when the world has no sand by its water; with
    `subject_pts` (a named building's corners: beach huts), views that keep it in frame win."""
    spots = _spots(world, near_xy=None if subject_pts is None or not len(subject_pts) else subject_pts.mean(axis=0))
    if not len(spots):
        return None
    palms = _palms(world)
    named_palms = "palms" in {m.get("concept") for m in (world.spec or {}).get("matches") or [] if not m.get("negated")}
    scales = _palm_scales(world) if named_palms else np.zeros(0)
    clutter = _clutter(world)
    best: tuple[float, BeachShot] | None = None
    for xy, sea in spots:
        for turn in TURNS_DEG:
            cam = _camera(world, xy, sea + math.radians(turn), width, height, focal_mm, sensor_mm)
            shares = frame_classes(world, cam)
            seen, _ = _palms_in_view(cam, palms)
            close, cut = _walls(cam, clutter)
            shown = _shown(cam, subject_pts)
            score = sum(min(shares[k] / v, 1.0) for k, v in WANTS.items()) + PALM_WEIGHT * min(seen / 6.0, 1.0) \
                - 1.5 * close - 0.8 * cut - 2.0 * shares["other"] - 0.002 * abs(turn) + 2.0 * shown \
                - 4.0 * max(shares["sand"] - SAND_MOST, 0.0)
            if named_palms:
                score += PALM_FEATURE_WEIGHT * palm_feature(cam, palms, scales) * min(shares["water"] / 0.2, 1.0)
            shot = BeachShot(camera=cam, shares=shares, palms=seen, note="", subject_seen=shown)
            if best is None or score > best[0] + 1e-9:
                best = (score, shot)
    assert best is not None
    shot = best[1]
    shot.note = (f"framed the beach from the sand, {BEACH_EYE_M:.1f} m up: sand {shot.shares['sand']:.0%} of the "
                 f"frame in front, {shot.palms} palms along it, the water ({shot.shares['water']:.0%}) out to the "
                 f"horizon a third down the frame")
    return shot


def _shown(cam: Camera, pts: np.ndarray | None) -> float:
    """Share of the points inside the frame and in front of the camera, less where what they outline is too
    small to read (under SUBJECT_SPAN of the frame across or high, or under SUBJECT_TALL high) and less the
    farther its middle stands from the frame's left or right third; 1 when there are none."""
    if pts is None or not len(pts):
        return 1.0
    uv, depth = cam.project(pts)
    inside = (depth > 1.0) & (uv[:, 0] >= 0) & (uv[:, 0] < cam.width) & (uv[:, 1] >= 0) & (uv[:, 1] < cam.height)
    if not inside.any():
        return 0.0
    box = uv[inside].max(axis=0) - uv[inside].min(axis=0)
    span = max(box[0] / cam.width, box[1] / cam.height)
    middle = float(uv[inside, 0].mean()) / cam.width
    third = 1.0 - 0.3 * min(min(abs(middle - 1 / 3), abs(middle - 2 / 3)) / 0.25, 1.0)  # near a third: it leads
    return float(inside.mean()) * min(span / SUBJECT_SPAN, 1.0) * min(box[1] / cam.height / SUBJECT_TALL, 1.0) * third


def _clutter(world: WorldState) -> np.ndarray:
    """Trees, shrubs and rocks as rows (x, y, z, radius m): what walls a low view or is cut by its edge."""
    if not len(world.inst_kind):
        return np.zeros((0, 4))
    radius = np.array([CLUTTER_R_M.get(k, 0.0) for k in INSTANCE_KINDS], np.float64)[world.inst_kind]
    keep = radius > 0
    r = radius[keep] * np.asarray(world.inst_scale, np.float64).reshape(-1)[keep]
    return np.column_stack([np.asarray(world.inst_xyz, np.float64)[keep], r])


def _walls(cam: Camera, clutter: np.ndarray) -> tuple[int, int]:
    """How many things stand in the frame nearer than CLOSE_M (a trunk or a bush walling the view), and how
    many nearer than EDGE_M straddle the frame's left or right edge (cut in half by it)."""
    pos = np.asarray(cam.position)
    near = np.hypot(clutter[:, 0] - pos[0], clutter[:, 1] - pos[1]) < EDGE_M + 4.0 if len(clutter) else []
    if not np.any(near):
        return 0, 0
    c = clutter[near]
    uv, depth = cam.project(c[:, :3] + (0.0, 0.0, 1.0))
    ahead = depth > 0.3
    r_px = cam.focal_px * c[:, 3] / np.maximum(depth, 0.3)
    left, right = uv[:, 0] + r_px, uv[:, 0] - r_px
    inside = ahead & (left >= 0) & (right < cam.width)
    straddles = ahead & (((left > 0) & (right < 0)) | ((left > cam.width) & (right < cam.width)))
    return int((inside & (depth < CLOSE_M)).sum()), int((straddles & (depth < EDGE_M)).sum())


def _spots(world: WorldState, most: int = 8, near_xy: np.ndarray | None = None) -> list[tuple[np.ndarray, float]]:
    """Dry sand a little back from the water, near palms and the world's middle (or near `near_xy`: the
    buildings framed with the beach), best first: (xy, bearing to the water in radians)."""
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
    clutter = _clutter(world)
    if len(clutter):  # never inside a grove: the camera keeps clear of trunks, bushes and rocks
        gap, _ = cKDTree(clutter[:, :2]).query(xy)
        clear = gap > CLEAR_M
        if not clear.any():
            return []
        pi, pj, xy = pi[clear], pj[clear], xy[clear]
    back = ndimage.distance_transform_edt(sand | wet)[pi, pj] * m  # sand on the land side too: a wide beach
    palms = _palms(world)
    near = np.zeros(len(xy))
    if len(palms):
        gap = np.hypot(xy[:, None, 0] - palms[None, :, 0], xy[:, None, 1] - palms[None, :, 1]) if len(xy) * len(
            palms) < 4_000_000 else np.full((len(xy), 1), np.inf)
        near = ((gap > 6.0) & (gap < PALM_REACH_M)).sum(axis=1)
    middle = np.hypot(*(xy - world.size_m / 2).T) / world.size_m
    rank = np.minimum(near, 12.0) - 6.0 * middle + np.minimum(back, 30.0) / 6.0
    if near_xy is not None:  # within a few tens of metres of the huts: they stand large at the beach's back
        rank -= np.maximum(np.hypot(*(xy - near_xy[:2]).T) - SUBJECT_NEAR_M, 0.0) / 10.0
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


def _palm_scales(world: WorldState) -> np.ndarray:
    keep = world.inst_kind == INSTANCE_KINDS.index("palm")
    return np.asarray(world.inst_scale, np.float64).reshape(-1)[keep] if len(world.inst_kind) else np.zeros(0)


def palm_feature(cam: Camera, palms: np.ndarray, scales: np.ndarray) -> float:
    """How well one palm stands as the picture's subject (0..1): the tallest palm wholly across the frame (trunk
    and crown inside it, beyond CLOSE_M), by its height in the frame (up to PALM_FEATURE_TALL) and how near it
    stands to the frame's left or right third (at the edge it counts for a little)."""
    if not len(palms):
        return 0.0
    pos = np.asarray(cam.position)
    near = np.hypot(palms[:, 0] - pos[0], palms[:, 1] - pos[1]) < PALM_REACH_M
    if not near.any():
        return 0.0
    foot, tip = palms[near], palms[near] + np.c_[np.zeros((near.sum(), 2)), PALM_HEIGHT_M * scales[near]]
    uv0, d0 = cam.project(foot)
    uv1, d1 = cam.project(tip)
    margin = 0.04 * cam.width
    inside = (d0 >= CLOSE_M) & (d1 > 1.0) & (uv0[:, 0] > margin) & (uv0[:, 0] < cam.width - margin) & (uv1[:, 1] >= 0)
    if not inside.any():
        return 0.0
    tall = (uv0[inside, 1] - uv1[inside, 1]) / cam.height
    k = int(np.argmax(tall))
    x = uv0[inside, 0][k] / cam.width
    third = 1.0 - 0.7 * min(min(abs(x - 1 / 3), abs(x - 2 / 3)) / 0.2, 1.0)
    return float(min(tall[k] / PALM_FEATURE_TALL, 1.0) * third)


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
