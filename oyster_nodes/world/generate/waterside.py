"""A car by the water the prompt names has the water in its shot.

"a sports coupe on a lakeside road, mist over the water": the road runs along the shore, but trees on its land
side stand where a camera looking past the car at the lake would be. Around each vehicle within REACH_M of the
water, the trees, shrubs and boulders on its land side (a cone opening away from the water) and close around it
are cleared, like a lay-by with a view: the framing then finds the shot with the water behind the car.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..state.world_state import INSTANCE_KINDS

#: a vehicle this near (m) to the water gets its view cleared
REACH_M = 60.0
#: what is cleared: within CLEAR_M on the land side (half-angle CONE_DEG about the way from the water), and
#: within CLOSE_M all around
CLEAR_M, CONE_DEG, CLOSE_M = 32.0, 65.0, 7.0
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
    cos_cone = np.cos(np.radians(CONE_DEG))
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
        drop |= blocking & ((r < CLOSE_M) | (land & (r < CLEAR_M)))
    return {k: v[~drop] for k, v in inst.items()} if drop.any() else inst
