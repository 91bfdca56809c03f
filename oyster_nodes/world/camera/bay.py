"""A bay framed as a bay (generate/terrain.py apply_shore "bay"): from the land at the back of its basin, a little
above the water, looking out over the basin towards its mouth, the shores closing in on both sides and the
headlands at the mouth ahead."""

from __future__ import annotations

import math

import numpy as np

from ..geometry.camera import Camera
from ..state.world_state import WorldState

#: the basin: sea cells at least this far (share of the world's side) from its border; the camera stands this
#: far (m) inland of the basin's back shore, this high (m) over the ground there
INNER, INLAND_M, EYE_M = 0.18, 12.0, 28.0
#: ground higher than this over the sea (m) at the back shore (a fjord's walls) puts the camera on the water
HIGH_M = 55.0
#: directions tried from the basin's middle for its mouth
BEARINGS = 32


def bay_view(world: WorldState, *, width: int, height: int, focal_mm: float,
             sensor_mm: float) -> tuple[Camera, str] | None:
    """The camera looking out of the world's bay through its mouth and a sentence saying so, or None where the
    world's sea has no basin held by land."""
    if (world.spec or {}).get("shore") != "bay" or world.env.sea_level_m is None:
        return None
    step = max(1, world.n // 256)
    wet = np.isfinite(world.water_hw[::step, ::step])
    k = wet.shape[0]
    m = step * world.cell_m
    ii, jj = np.mgrid[0:k, 0:k]
    border = np.minimum(np.minimum(ii, jj), np.minimum(k - 1 - ii, k - 1 - jj)) * m
    basin = wet & (border > INNER * world.size_m)
    if basin.sum() < 50:
        return None
    centre = np.array([jj[basin].mean(), ii[basin].mean()]) * m
    reach = [_run(wet, centre, b, m) for b in _bearings()]
    mouth = _bearings()[int(np.argmax([r[0] for r in reach]))]
    back = -mouth
    shore_m = _shore_along(wet, centre, back, m)
    if shore_m is None:
        return None
    sea = float(world.env.sea_level_m)
    xy = centre + back * (shore_m + INLAND_M)
    ground = max(world.height_at(float(xy[0]), float(xy[1])), sea)
    where = "from its back shore"
    if ground + EYE_M > sea + HIGH_M:  # a fjord's walls: from the water inside the back of the basin instead
        xy, ground, where = centre + back * (0.7 * shore_m), sea, "from the water at its back"
    pos = np.array([xy[0], xy[1], ground + EYE_M])
    target = np.array([centre[0], centre[1], sea]) + np.r_[mouth * 0.5 * shore_m, 0.0]
    cam = Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in target),  # type: ignore[arg-type]
                 focal_mm=focal_mm, sensor_mm=sensor_mm, width=width, height=height,
                 far_m=max(5000.0, 4.0 * world.size_m))
    return cam, (f"framed the bay {where}, {EYE_M:.0f} m up, looking out over it towards its mouth "
                 "(land on both sides and the headlands ahead)")


def _bearings() -> list[np.ndarray]:
    return [np.array([math.cos(a), math.sin(a)]) for a in np.linspace(0.0, 2 * math.pi, BEARINGS, endpoint=False)]


def _run(wet: np.ndarray, start: np.ndarray, d: np.ndarray, m: float) -> tuple[float, bool]:
    """How far (m) a ray over the water from `start` runs before meeting land, and whether it leaves the world."""
    k = wet.shape[0]
    for t in np.arange(0.0, 2.0 * k * m, m):
        j, i = ((start + d * t) / m).round().astype(int)
        if not (0 <= i < k and 0 <= j < k):
            return 1e9, True
        if not wet[i, j]:
            return float(t), False
    return 1e9, True


def _shore_along(wet: np.ndarray, start: np.ndarray, d: np.ndarray, m: float) -> float | None:
    """Metres from `start` to the first land along `d`, or None when the ray leaves the world over water."""
    t, left = _run(wet, start, d, m)
    return None if left else t
