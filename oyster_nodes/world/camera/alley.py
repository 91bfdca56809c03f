"""A narrow alley framed from inside it (generate/alley.py): at eye height a few metres into the lane, looking
down it, the house fronts closing in on both sides and the far end where it opens."""

from __future__ import annotations

import math

import numpy as np

from ..geometry.camera import Camera
from ..state.world_state import WorldState

#: eye height over the lane (m), how far into the lane from its end the camera stands (m), how far up it looks
EYE_M, INTO_M, TILT = 1.7, 9.0, math.radians(6.0)


def alley_view(world: WorldState, *, width: int, height: int, focal_mm: float,
               sensor_mm: float) -> tuple[Camera, str] | None:
    """The camera down the world's alley and a sentence saying so, or None without an alley."""
    lane = next((p for p in world.paths if p.id.startswith("alley-") and len(p.points_n3) >= 4), None)
    if lane is None:
        return None
    pts = lane.points_n3[:, :2].astype(np.float64)
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    sun = np.asarray(world.env.sun_dir if world.env.sun_dir is not None else (0.4, -0.6, 0.7), np.float64)
    best = None
    for at in (INTO_M, walked[-1] - INTO_M):  # from either end: the one that looks away from the sun
        xy = np.array([np.interp(at, walked, pts[:, 0]), np.interp(at, walked, pts[:, 1])])
        ahead = pts[-1] if at < walked[-1] / 2 else pts[0]
        d = (ahead - xy) / max(float(np.linalg.norm(ahead - xy)), 1e-9)
        against = float(d @ sun[:2]) / max(float(np.linalg.norm(sun[:2])), 1e-9)
        if best is None or against < best[0]:
            best = (against, xy, d)
    _, xy, d = best  # type: ignore[misc]
    pos = np.array([xy[0], xy[1], world.height_at(float(xy[0]), float(xy[1])) + EYE_M])
    fwd = np.array([d[0] * math.cos(TILT), d[1] * math.cos(TILT), math.sin(TILT)])
    cam = Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in pos + 100.0 * fwd),  # type: ignore[arg-type]
                 focal_mm=focal_mm, sensor_mm=sensor_mm, width=width, height=height, near_m=0.1,
                 far_m=max(5000.0, 4.0 * world.size_m))
    return cam, f"framed from inside {lane.id} at eye height, looking down the lane between its houses"
