"""Vineyards: rows of vines on trellises running down the slope, laid out around the world's road.

A vineyard is a patch of parallel rows (ROW_GAP_M apart) of vine instances set end to end (VINE_STEP_M), the rows
along the patch's fall line as on a hillside vineyard; the road runs through it (rows stop short of the road
and of water and buildings), and no tree grows inside it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .scatter import KIND, Ground, Instances

#: metres between rows and between vines along a row (a vine's mesh is VINE_LENGTH_M long: one hedge)
ROW_GAP_M = 2.8
VINE_STEP_M = 2.2
#: the patch's side: this share of the world, within (min, max) metres
PATCH_SHARE, PATCH_M = 0.2, (80.0, 180.0)
#: vines keep this far (m) from water and buildings, and a road keeps a verge this wide (m) on both sides, so
#: that it reads between the rows
CLEAR_M, ROAD_VERGE_M = 1.5, 4.0
#: steeper ground than this (rise over run) carries no vines
MAX_SLOPE = 0.7


def patch_side(size_m: float, density: float) -> float:
    """The vineyard's side in metres: larger for a vineyard named strongly."""
    lo, hi = PATCH_M
    return float(np.clip(PATCH_SHARE * size_m * (0.6 + 0.5 * density), lo, hi))


def row_direction(g: Ground, centre: np.ndarray, half: float) -> float:
    """The rows' bearing (radians): down the patch's mean slope, or along x on flat ground."""
    i0, j0 = g.cells(np.array([centre - half]))
    i1, j1 = g.cells(np.array([centre + half]))
    patch = g.h[int(i0[0]) : int(i1[0]) + 1, int(j0[0]) : int(j1[0]) + 1].astype(np.float64)
    if patch.shape[0] < 3 or patch.shape[1] < 3:
        return 0.0
    gy, gx = np.gradient(patch, g.cell_m)
    mx, my = float(gx.mean()), float(gy.mean())
    return math.atan2(my, mx) if math.hypot(mx, my) > 0.01 else 0.0


def lay_vineyard(g: Ground, centre: tuple[float, float], density: float, size_m: float,
                 rng: np.random.Generator, out: Instances, road_hw: np.ndarray | None = None) -> np.ndarray:
    """Rows of vines around `centre`, clear of `road_hw`'s verges; returns the patch's cells (full-resolution
    mask) where nothing else may grow. Density 0 lays nothing."""
    if density <= 0:
        return np.zeros(g.h.shape, bool)
    side = patch_side(size_m, density)
    c = np.asarray(centre, np.float64)
    yaw = row_direction(g, c, side / 2)
    along, across = np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])
    a = np.arange(-side / 2, side / 2, VINE_STEP_M)
    b = np.arange(-side / 2, side / 2, ROW_GAP_M)
    aa, bb = np.meshgrid(a, b)
    xy = c + aa.reshape(-1, 1) * along + bb.reshape(-1, 1) * across
    inside = np.all((xy > 1.0) & (xy < (g.n - 2) * g.cell_m), axis=1)
    xy = xy[inside]
    reach = max(1, int(math.ceil(CLEAR_M / g.cell_m)))
    (i0, i1), (j0, j1) = _window(g, c, side)
    clear = np.zeros(g.h.shape, bool)
    clear[i0:i1, j0:j1] = ~ndimage.binary_dilation(g.blocked[i0:i1, j0:j1], iterations=reach)
    if road_hw is not None and road_hw[i0:i1, j0:j1].any():
        verge = max(1, int(math.ceil(ROAD_VERGE_M / g.cell_m)))
        clear[i0:i1, j0:j1] &= ~ndimage.binary_dilation(road_hw[i0:i1, j0:j1], iterations=verge)
    i, j = g.cells(xy)
    keep = clear[i, j] & (g.slope[i, j] < MAX_SLOPE)
    xy = xy[keep]
    out.add(np.full(len(xy), KIND["vine"]), np.column_stack([xy, g.height(xy) - np.float32(0.03)]),
            np.full(len(xy), yaw), rng.uniform(0.92, 1.06, len(xy)))
    return _patch_mask(g, c, along, across, side)


def _window(g: Ground, c: np.ndarray, side: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """Row and column ranges of the cells a patch of `side` around `c` (turned any way) may cover."""
    r = side * 0.75 + 4.0
    lo = np.clip(((c - r) / g.cell_m).astype(int), 0, g.n)
    hi = np.clip(((c + r) / g.cell_m).astype(int) + 1, 0, g.n)
    return (int(lo[1]), int(hi[1])), (int(lo[0]), int(hi[0]))


def _patch_mask(g: Ground, c: np.ndarray, along: np.ndarray, across: np.ndarray, side: float) -> np.ndarray:
    (i0, i1), (j0, j1) = _window(g, c, side)
    jj, ii = np.meshgrid(np.arange(j0, j1) * g.cell_m, np.arange(i0, i1) * g.cell_m)
    dx, dy = jj - c[0], ii - c[1]
    u, v = dx * along[0] + dy * along[1], dx * across[0] + dy * across[1]
    mask = np.zeros(g.h.shape, bool)
    mask[i0:i1, j0:j1] = (np.abs(u) <= side / 2 + 1.0) & (np.abs(v) <= side / 2 + 1.0)
    return mask
