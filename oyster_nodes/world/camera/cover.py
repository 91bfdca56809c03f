"""Rows that hide the ground behind them from a low camera: a road through a vineyard, or an avenue of trees
lining it, reads from above or along its length, not across the rows from eye level (where the trellises or the
trunks and crowns stand in front of it).

For framing: which sample points of a flat subject (a road) run between rows, how tall those rows stand, and, from
a camera position, what share of each such point still shows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from ..state.world_state import INSTANCE_KINDS, WorldState

#: how tall a vine row stands (m), how near (m) a vine must be for a road point to run between rows, and the
#: clear verge (m) beside the road before the first row
ROW_H_M, NEAR_M, VERGE_M = 1.7, 9.0, 4.0
#: an avenue: the height (m) of the crowns that hide the road, and how near (m) its trees stand to the road
AVENUE_H_M, AVENUE_NEAR_M = 9.0, 11.0
#: tree kinds that line an avenue (spec concept -> instance kind)
AVENUE_TREES = {"conifers": "conifer", "broadleaf": "broadleaf", "palms": "palm", "dead_trees": "dead_tree"}


class LowCover:
    """Sample points between low rows, and the direction of the road through each (unit x, y)."""

    def __init__(self, covered: np.ndarray, along: np.ndarray, road: np.ndarray, walls: np.ndarray,
                 height_m: np.ndarray, half_width_m: float = 2.5):
        self.covered, self.along, self.road, self.walls, self.half = covered, along, road, walls, half_width_m
        self.height = height_m

    @classmethod
    def of(cls, world: WorldState, pts: np.ndarray, flat_road: np.ndarray) -> LowCover | None:
        """The cover of `pts` (N x 3) where `flat_road` marks a road's points (in order along it); None when no
        road point runs between vines."""
        if not flat_road.any() or not len(world.inst_kind):
            return None
        height = np.zeros(len(pts))
        vines = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vine"), :2].astype(np.float64)
        if len(vines):
            height[flat_road & (cKDTree(vines).query(pts[:, :2], k=1)[0] < NEAR_M)] = ROW_H_M
        lining = [AVENUE_TREES[r["subject"]] for r in (world.spec or {}).get("relations", [])
                  if r.get("object") == "road" and r.get("subject") in AVENUE_TREES]
        trees = world.inst_xyz[np.isin(world.inst_kind, [INSTANCE_KINDS.index(k) for k in lining]), :2]
        if len(trees):  # "a road lined with cypresses": the avenue's crowns stand beside the road
            near = cKDTree(trees.astype(np.float64)).query(pts[:, :2], k=1)[0] < AVENUE_NEAR_M
            height[flat_road & near] = AVENUE_H_M
        covered = height > 0
        if not covered.any():
            return None
        along = np.gradient(pts[:, :2], axis=0)
        along /= np.maximum(np.hypot(*along.T), 1e-9)[:, None]
        walls = np.array([[b.x, b.y, b.z, 0.42 * math.hypot(b.w, b.d), b.z + 1.2 * b.h] for b in world.structures
                          if b.kind not in ("waterfall", "bridge")]).reshape(-1, 5)
        return cls(covered, along, flat_road, walls, height)

    def shown(self, pos: np.ndarray, pts: np.ndarray) -> np.ndarray:
        """Per point, the share of the road's width a camera at `pos` sees over the rows beside it: all of it
        looking along the road or from high enough above, none looking across it from low down."""
        out = np.ones(len(pts))
        k = self.covered
        rel = pts[k] - pos
        flat = np.maximum(np.hypot(rel[:, 0], rel[:, 1]), 1e-6)
        steep = np.abs(rel[:, 2]) / flat  # tan of the angle the camera looks down at the point
        hidden = np.clip(self.height[k] / np.maximum(steep, 1e-3) - VERGE_M, 0.0, None)  # road behind the row
        across = np.clip(1.0 - hidden / (2.0 * self.half), 0.0, 1.0)
        lengthwise = np.abs((rel[:, :2] / flat[:, None] * self.along[k]).sum(axis=1)) ** 8  # only nearly along it
        out[k] = np.maximum(across, lengthwise)
        return out * ~self._behind_walls(pos, pts)

    def _behind_walls(self, pos: np.ndarray, pts: np.ndarray) -> np.ndarray:
        """Road points a farm's buildings stand in front of, seen from `pos`."""
        hidden = np.zeros(len(pts), bool)
        if not len(self.walls):
            return hidden
        idx = np.nonzero(self.road)[0]
        d = pts[idx] - pos
        span = np.maximum((d[:, :2] ** 2).sum(axis=1), 1e-9)
        rel = self.walls[None, :, :2] - pos[:2]
        t = np.clip((rel * d[:, None, :2]).sum(axis=2) / span[:, None], 0.0, 1.0)
        near = np.hypot(*(rel - t[..., None] * d[:, None, :2]).transpose(2, 0, 1)) < self.walls[None, :, 3]
        z = pos[2] + t * d[:, None, 2]
        hidden[idx] = (near & (t > 0.02) & (t < 0.98) & (z < self.walls[None, :, 4])).any(axis=1)
        return hidden


#: a road between low rows is also tried from this high (rise over distance: ~24 degrees down)
HIGH_RISE = 0.45


def is_avenue(world: WorldState) -> bool:
    """Whether the prompt lines its road with trees ("a road lined with cypresses"): an avenue reads looking
    down it, from the road itself."""
    spec = world.spec or {}
    return any(r.get("object") == "road" and r.get("subject") in AVENUE_TREES for r in spec.get("relations", []))


def higher_rises(world: WorldState) -> tuple[float, ...]:
    """Extra rises (height over distance) to try where a named road runs between rows (a vineyard, an avenue)."""
    spec = world.spec or {}
    vines = (spec.get("vegetation") or {}).get("vines", 0.0) > 0
    return (HIGH_RISE,) if (vines or is_avenue(world)) and (spec.get("structures") or {}).get("road") else ()
