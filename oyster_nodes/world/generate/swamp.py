"""A swamp's standing water: pools between the trees.

A swamp's relief is nearly flat, so filling its depressions alone leaves a few puddles. Here noise picks blobs
that bring the water to about POOL_SHARE of the world, a few tens of metres across and joined into meandering sheets; each is
dug a little below the lowest ground around it and filled to just under that rim, so its water meets the mud at
its edge and no sheet of water hangs over lower ground. The trees, shrubs and buildings scattered later keep to
the mud between the pools.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from . import terrain as tr

F32 = np.float32
#: share of the world under standing water (the hollows' own puddles count towards it)
POOL_SHARE = 0.5
#: pools are about this many metres across (the noise's lattice spacing)
POOL_M = 120.0
#: how far (m) under its rim a pool's water stands, and how deep its middle is dug below the water
FREEBOARD_M, DEPTH_M = 0.06, 0.9


def dig_pools(h: np.ndarray, level_hw: np.ndarray, rng: np.random.Generator, *, cell_m: float,
              keep_dry: np.ndarray | None = None) -> np.ndarray:
    """Dig and fill the pools in place (heights and water levels); returns the mask of pool water.
    `keep_dry`: cells that must stay land (where other water already lies, nothing is dug)."""
    n = h.shape[0]
    size = (n - 1) * cell_m
    noise = tr.fbm(rng, n, max(2, int(round(size / POOL_M))), 2, gain=0.35)
    dry = np.isnan(level_hw) if keep_dry is None else np.isnan(level_hw) & ~keep_dry
    share = (POOL_SHARE - float(np.mean(~np.isnan(level_hw)))) / max(float(dry.mean()), 1e-6)  # what is missing
    if share <= 0.0 or not dry.any():
        return np.zeros(h.shape, bool)
    cut = float(np.quantile(noise[dry], 1.0 - min(share, 1.0)))
    pool = (noise > cut) & dry
    pool = ndimage.binary_opening(pool, iterations=2)
    labels, count = ndimage.label(pool)
    if count == 0:
        return pool
    land = labels == 0  # the land just outside each pool: a cell between two pools is the rim of both
    big = np.where(land, count + 1, labels)
    ring_hi = ndimage.grey_dilation(labels, size=(3, 3)) * land
    ring_lo = np.where(land, ndimage.grey_erosion(big, size=(3, 3)), 0)
    ring_lo[ring_lo > count] = 0
    idx = np.arange(1, count + 1)
    rim = np.fmin(np.asarray(ndimage.minimum(h, labels=ring_hi, index=idx), np.float64),
                  np.asarray(ndimage.minimum(h, labels=ring_lo, index=idx), np.float64))
    inner = np.asarray(ndimage.minimum(h, labels=labels, index=idx), np.float64)
    rim = np.where(np.isfinite(rim), rim, inner + 0.5)
    lvl = np.zeros(count + 1, np.float64)
    lvl[1:] = rim - FREEBOARD_M
    level = lvl[labels]
    strength = np.clip((noise - cut) / max(float(noise.max()) - cut, 1e-6) * 4.0, 0.0, 1.0)
    floor = level - 0.15 - DEPTH_M * strength
    dug = pool & (h > floor)
    h[dug] = floor[dug].astype(h.dtype)
    level_hw[pool] = level[pool].astype(level_hw.dtype)
    return pool
