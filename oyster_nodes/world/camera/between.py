"""A road framed between the things the prompt puts it between ("a path between two hills", "a road between the
mountains"): from the road itself, low, looking along it where the ground rises highest on both sides of it."""

from __future__ import annotations

import math

import numpy as np

from ..generate.flanks import asks_between
from ..geometry.camera import Camera
from ..state.world_state import WorldState, heights_at

#: the camera's height over the road (m) and how far up it looks; the road must run on this far ahead (m), read
#: at these distances for how far it strays off the view's axis
EYE_M, TILT = 2.2, math.radians(2.0)
AHEAD_ROAD_M = (15.0, 30.0, 45.0)
#: where the ground beside the road is read: metres ahead of the camera, and to either side as shares of that
#: (inside the frame's edges at a 28 mm lens); what each degree the road ahead strays off the view's axis costs
AHEAD_M, ASIDE = (40.0, 80.0, 130.0, 200.0), (0.2, 0.35, 0.5)
STRAY_COST_M = 0.15
#: the least rise (m) on each side for the road to count as running between
MIN_RISE_M = 6.0


def between_view(world: WorldState, *, width: int, height: int, focal_mm: float,
                 sensor_mm: float) -> tuple[Camera, str] | None:
    """The camera on the world's road where the ground rises highest on both sides ahead, and a sentence saying
    so; None where the prompt puts nothing between, there is no road, or no stretch of it runs between rises."""
    if not asks_between(str((world.spec or {}).get("text", ""))):
        return None
    roads = [r for r in world.paths if r.kind == "road" and len(r.points_n3) >= 4]
    best: tuple[float, np.ndarray, np.ndarray, str] | None = None
    for r in roads:
        pts = r.points_n3[:, :2].astype(np.float64)
        walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
        for at in np.arange(5.0, walked[-1] - AHEAD_ROAD_M[-1], 10.0):
            for sign in (1.0, -1.0):
                got = _rises(world, pts, walked, at, sign)
                if got is not None and (best is None or got[0] > best[0]):
                    best = (got[0], got[1], got[2], r.id)
    if best is None or best[0] < MIN_RISE_M:
        return None
    rise, xy, d, rid = best
    pos = np.array([xy[0], xy[1], world.height_at(float(xy[0]), float(xy[1])) + EYE_M])
    fwd = np.array([d[0] * math.cos(TILT), d[1] * math.cos(TILT), math.sin(TILT)])
    cam = Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in pos + 100.0 * fwd),  # type: ignore[arg-type]
                 focal_mm=focal_mm, sensor_mm=sensor_mm, width=width, height=height,
                 far_m=max(5000.0, 4.0 * world.size_m))
    return cam, (f"framed {rid} from the road, low, looking along it where the ground rises {rise:.0f} m or more "
                 "on both sides (the road between them)")


def _rises(world: WorldState, pts: np.ndarray, walked: np.ndarray, at: float,
           sign: float) -> tuple[float, np.ndarray, np.ndarray] | None:
    """How high the ground rises on the lower side of the view along the road from `at` (sign: which way along
    it), with the camera's place and direction; None where the road ahead leaves the world."""
    def on_road(t: float) -> np.ndarray:
        return np.array([np.interp(t, walked, pts[:, 0]), np.interp(t, walked, pts[:, 1])])

    xy = on_road(at)
    if not 0.0 <= at + sign * AHEAD_ROAD_M[-1] <= walked[-1]:
        return None
    ahead = on_road(at + sign * 30.0)
    d = (ahead - xy) / max(float(np.linalg.norm(ahead - xy)), 1e-9)
    n = np.array([-d[1], d[0]])
    stray = max(abs(math.degrees(math.atan2(float((p - xy) @ n), float((p - xy) @ d))))
                for p in (on_road(at + sign * t) for t in AHEAD_ROAD_M))
    base = world.height_at(float(xy[0]), float(xy[1]))
    sides = []
    for side in (1.0, -1.0):
        probe = np.array([xy + d * a + n * side * s * a for a in AHEAD_M for s in ASIDE])
        inside = (probe > 0).all(axis=1) & (probe < world.size_m).all(axis=1)
        if not inside.any():
            return None
        sides.append(float(np.max(heights_at(world, probe[inside]))) - base)
    return min(sides) - STRAY_COST_M * stray, xy, d
