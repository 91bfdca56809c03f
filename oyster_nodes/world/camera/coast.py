"""A building on a sea coast framed from the sea: a lighthouse on its cliff, seen from low over the water, with
the sea in the foreground, the rocks and the waterline at the cliff's foot and the building on top (the coast
the prompt names, not the building on a grey hill).

Candidate places are over the water in front of the building's stretch of shore, a few to tens of metres
over the sea; each is aimed to hold the building's top and the shore below it, and scored without rendering
on what shows: the building whole and tall enough, the shore below it in sight, the water and the sky's shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..geometry.camera import Camera
from ..state.world_state import WorldState, heights_at
from .beach import frame_classes

#: the building stands within this distance (m) of the sea for a coast shot
COAST_REACH_M = 220.0
#: heights over the sea (m) tried: low over the swell, a boat's deck, a low drone
SEA_EYE_M = (6.0, 16.0, 32.0, 55.0)
#: distances (m) from the building tried, as shares of the one that frames it TALL_AIM high (or nearer in fog)
DIST_SHARES = (0.8, 1.1, 1.4, 1.7)
#: in fog, the distances tried as shares of the farthest the building still reads at: nearer, so that its
#: outline and colours come through the fog (not the clear-air shares, which reach far past it)
FOG_DIST_SHARES = (0.7, 0.85, 1.0, 1.2)
#: the farthest (m) a coast shot stands from its building in clear air
CLEAR_FAR_M = 320.0
#: the aim, between the building's top (1) and the waterline below it (0): tried in turn
AIM_TOP = (0.58, 0.45, 0.32)
#: in fog, nearer, the aim leans higher so that the building's top stays in frame
FOG_AIM_TOP = (0.72, 0.58, 0.45)
#: what the frame should hold: water and sky shares (up to these, then no more)
WANTS = {"water": 0.2, "sky": 0.15}
#: the building should span at least this share of the frame's height; the distances tried centre on the one
#: at which it spans TALL_AIM
TALL_SHARE, TALL_AIM = 0.17, 0.24


@dataclass(kw_only=True, slots=True)
class CoastShot:
    camera: Camera
    shares: dict[str, float]
    note: str


def coast_shot(world: WorldState, pts: np.ndarray, *, width: int, height: int, focal_mm: float, sensor_mm: float,
               far_m: float = 0.0) -> CoastShot | None:
    """The best view from over the sea of the building whose sample points are `pts` (N x 3), or None when it
    does not stand by a sea; `far_m` caps the distance (fog: the farthest the building still reads)."""
    sea = world.env.sea_level_m
    if sea is None or not len(pts):
        return None
    base = pts.mean(axis=0)
    top = pts[np.argmax(pts[:, 2])]
    shore = _shore_below(world, base)
    if shore is None:
        return None
    f_px = focal_mm / sensor_mm * width
    fill = float(np.ptp(pts[:, 2]) + 2.0) * f_px / (TALL_AIM * height)  # the building TALL_AIM of the frame high
    foggy = 0 < far_m < fill
    far = far_m if foggy else min(fill, CLEAR_FAR_M)
    out = shore[:2] - base[:2]
    out = out / max(float(np.hypot(*out)), 1e-6)
    best: tuple[float, CoastShot] | None = None
    for turn in (-50.0, -30.0, -15.0, 0.0, 15.0, 30.0, 50.0):
        a = math.atan2(out[1], out[0]) + math.radians(turn)
        way = np.array([math.cos(a), math.sin(a)])
        for share in FOG_DIST_SHARES if foggy else DIST_SHARES:
            xy = base[:2] + share * far * way
            if not _over_water(world, xy):
                continue
            for eye, lean in ((e, t) for e in SEA_EYE_M for t in (FOG_AIM_TOP if foggy else AIM_TOP)):
                pos = np.array([xy[0], xy[1], sea + eye])
                cam = _aimed(world, pos, lean * top + (1.0 - lean) * shore, width, height, focal_mm, sensor_mm)
                score, shares = _score(world, cam, pts, shore)
                if best is None or score > best[0] + 1e-9:
                    dist = float(np.hypot(*(xy - base[:2])))
                    best = (score, CoastShot(camera=cam, shares=shares, note=(
                        f"from {eye:.0f} m over the sea, {dist:.0f} m out: the water in front, the shore and rocks "
                        f"below, the building on top")))
    if best is None or best[1].shares["water"] < 0.05:
        return None
    return best[1]


def _shore_below(world: WorldState, base: np.ndarray) -> np.ndarray | None:
    """The waterline nearest the building (xyz at the sea's level), or None when it is farther than COAST_REACH_M."""
    step = max(1, world.n // 256)
    m = step * world.cell_m
    wet = np.isfinite(world.water_hw[::step, ::step])
    if not wet.any():
        return None
    ii, jj = np.nonzero(wet)
    xy = np.column_stack([jj * m, ii * m]).astype(np.float64)
    gap = np.hypot(*(xy - base[:2]).T)
    k = int(np.argmin(gap))
    if gap[k] > COAST_REACH_M:
        return None
    return np.array([xy[k, 0], xy[k, 1], float(world.env.sea_level_m or 0.0)])


def _over_water(world: WorldState, xy: np.ndarray) -> bool:
    """Whether a place is over the sea: on the world's water, or past its border where the sea goes on."""
    n = world.n
    j, i = int(round(xy[0] / world.cell_m)), int(round(xy[1] / world.cell_m))
    if 0 <= i < n and 0 <= j < n:
        return bool(np.isfinite(world.water_hw[i, j]))
    return False


def _aimed(world: WorldState, pos: np.ndarray, target: np.ndarray, width: int, height: int,
           focal_mm: float, sensor_mm: float) -> Camera:
    return Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in target),  # type: ignore[arg-type]
                  focal_mm=focal_mm, sensor_mm=sensor_mm, width=width, height=height, near_m=0.5,
                  far_m=max(5000.0, 4.0 * world.size_m))


def _score(world: WorldState, cam: Camera, pts: np.ndarray, shore: np.ndarray) -> tuple[float, dict[str, float]]:
    """What a view shows: the building in frame and in sight, tall enough; the shore below in sight; water and
    sky."""
    uv, depth = cam.project(pts)
    inside = (depth > 1.0) & (uv[:, 0] >= 0.04 * cam.width) & (uv[:, 0] < 0.96 * cam.width) & (uv[:, 1] >= 0.03 * cam.height) \
        & (uv[:, 1] < cam.height)
    seen = _in_sight(world, np.asarray(cam.position), pts)
    tall = (uv[:, 1].max() - uv[:, 1].min()) / cam.height if inside.any() else 0.0
    shore_uv, shore_depth = cam.project(shore[None])
    shore_in = bool(shore_depth[0] > 1.0 and 0 <= shore_uv[0, 1] < cam.height and 0 <= shore_uv[0, 0] < cam.width)
    shares = frame_classes(world, cam)
    score = 2.0 * float((inside & seen).mean()) + min(tall / TALL_SHARE, 1.0) + 0.8 * shore_in \
        - 4.0 * max(TALL_SHARE - tall, 0.0) / TALL_SHARE \
        + 1.5 * sum(min(shares[k] / v, 1.0) for k, v in WANTS.items()) - 3.0 * max(0.08 - shares["water"], 0.0) / 0.08
    return score, shares


def _in_sight(world: WorldState, pos: np.ndarray, pts: np.ndarray, steps: int = 16) -> np.ndarray:
    """Which points the camera sees over the land."""
    t = np.linspace(0.03, 0.97, steps)
    ray = pos[None, None, :] + t[None, :, None] * (pts - pos)[:, None, :]
    ground = heights_at(world, ray[..., :2].reshape(-1, 2)).reshape(len(pts), steps)
    return ~(ground > ray[..., 2] - 0.1).any(axis=1)
