"""A car by the water the prompt names has the water in its shot.

"a sports coupe on a lakeside road, mist over the water": the road runs along the shore, but trees on its land
side stand where a camera looking past the car at the lake would be. Around each vehicle within REACH_M of the
water, the trees, shrubs and boulders on its land side (a cone opening away from the water), on its water side
(a cone towards the water) and close around it are cleared, like a lay-by with a view: the framing then finds the shot with the water behind the car.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..state.world_state import INSTANCE_KINDS

#: a vehicle this near (m) to the water gets its view cleared
REACH_M = 110.0
#: what is cleared: within CLEAR_M on the land side (half-angle CONE_DEG about the way from the water), and
#: within CLOSE_M all around
CLEAR_M, CONE_DEG, CLOSE_M = 32.0, 65.0, 7.0
#: and on the water side, within SEA_CLEAR_M and half-angle SEA_CONE_DEG about the way to the water (the
#: boulders on a cliff's lip, the trees of the shore: nothing stands between the car and the water it is shot over)
SEA_CLEAR_M, SEA_CONE_DEG = 70.0, 55.0
BLOCKING = ("conifer", "broadleaf", "palm", "dead_tree", "shrub", "cactus", "boulder")


def clear_views(inst: dict[str, np.ndarray], water_hw: np.ndarray, cell_m: float) -> dict[str, np.ndarray]:
    """The instances without those that block the view past each waterside vehicle over the water."""
    cars = np.nonzero(inst["inst_kind"] == INSTANCE_KINDS.index("vehicle"))[0]
    wet = np.isfinite(water_hw)
    if not len(cars) or not wet.any():
        return inst
    step = max(1, int(round(2.0 / cell_m)))
    dist, (wi, wj) = ndimage.distance_transform_edt(~wet[::step, ::step], return_indices=True)
    m = step * cell_m
    xy = inst["inst_xyz"][:, :2].astype(np.float64)
    blocking = np.isin(inst["inst_kind"], [INSTANCE_KINDS.index(k) for k in BLOCKING])
    drop = np.zeros(len(xy), bool)
    cos_cone, cos_sea = np.cos(np.radians(CONE_DEG)), np.cos(np.radians(SEA_CONE_DEG))
    for c in cars[:8]:
        i = min(int(round(xy[c, 1] / m)), dist.shape[0] - 1)
        j = min(int(round(xy[c, 0] / m)), dist.shape[1] - 1)
        if dist[i, j] * m > REACH_M:
            continue
        way = np.array([wj[i, j] - j, wi[i, j] - i], np.float64)
        way /= max(float(np.hypot(*way)), 1e-9)
        rel = xy - xy[c]
        r = np.hypot(rel[:, 0], rel[:, 1])
        land = (-(rel @ way)) >= cos_cone * r  # within the cone opening away from the water
        sea = (rel @ way) >= cos_sea * r  # between the car and the water: the view the shot looks out over
        drop |= blocking & ((r < CLOSE_M) | (land & (r < CLEAR_M)) | (sea & (r < SEA_CLEAR_M)))
    return {k: v[~drop] for k, v in inst.items()} if drop.any() else inst


#: a car's spot on its road: this near (m) to the named water, at least this far from the world's border (share)
SPOT_WATER_M, SPOT_INNER = (8.0, 45.0), 0.15
#: a sun this low (degrees) colours the sky over the water: the car's spot has the water towards it
LOW_SUN_DEG = (-8.0, 14.0)


def vehicle_spot(roads_xy: np.ndarray, water_hw: np.ndarray, named: bool, sun_dir: tuple[float, ...] | None,
                 cell_m: float, size_m: float) -> tuple[float, float] | None:
    """Where on its roads (points, N x 2) a car by the water the prompt names stands: near the water, away
    from the border, and at dawn or dusk where the water lies towards the low sun (so the shot past the car over
    the water also faces the coloured sky); None when the prompt names no water or no road runs by it."""
    wet = np.isfinite(water_hw)
    if not named or not len(roads_xy) or not wet.any():
        return None
    step = max(1, int(round(2.0 / cell_m)))
    dist, (wi, wj) = ndimage.distance_transform_edt(~wet[::step, ::step], return_indices=True)
    m = step * cell_m
    i = np.clip(np.round(roads_xy[:, 1] / m).astype(int), 0, dist.shape[0] - 1)
    j = np.clip(np.round(roads_xy[:, 0] / m).astype(int), 0, dist.shape[1] - 1)
    d = dist[i, j] * m
    inner = np.minimum(roads_xy, size_m - roads_xy).min(axis=1) > SPOT_INNER * size_m
    ok = (d >= SPOT_WATER_M[0]) & (d <= SPOT_WATER_M[1]) & inner
    if not ok.any():
        return None
    way = np.column_stack([wj[i, j] - j, wi[i, j] - i]).astype(np.float64)
    way /= np.maximum(np.hypot(way[:, 0], way[:, 1]), 1e-9)[:, None]
    middle = np.hypot(*(roads_xy - size_m / 2).T) / size_m
    score = -middle - 0.01 * d
    if sun_dir is not None:
        elev = np.degrees(np.arcsin(np.clip(sun_dir[2], -1.0, 1.0)))
        sun = np.asarray(sun_dir[:2], np.float64)
        if LOW_SUN_DEG[0] < elev < LOW_SUN_DEG[1] and np.hypot(*sun) > 1e-6:
            score = score + 2.0 * (way @ (sun / np.hypot(*sun)))
    k = int(np.argmax(np.where(ok, score, -np.inf)))
    return float(roads_xy[k, 0]), float(roads_xy[k, 1])


def names_water(matches: list[dict]) -> bool:
    """Whether the prompt itself names water (its matches; a spec written by hand names none)."""
    return any(m.get("category") in ("water", "shore") and not m.get("negated") for m in matches)
