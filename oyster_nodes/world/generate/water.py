"""Water that obeys the terrain: depression filling (lakes to their spill level), rivers along
steepest-descent paths carved into the ground, and the ocean at sea level.

Hydrology runs on a coarse grid (about 129 x 129, whatever the map size) so it stays cheap; the
results are carved into and compared against the full-resolution heightfield.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

F32 = np.float32
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(kw_only=True, slots=True)
class Coarse:
    """A subsampled view of the heightfield: every `stride`-th sample."""

    stride: int
    h: np.ndarray

    @classmethod
    def of(cls, h: np.ndarray, target: int = 128) -> Coarse:
        stride = max(1, (h.shape[0] - 1) // target)
        return cls(stride=stride, h=np.ascontiguousarray(h[::stride, ::stride]))

    def to_full(self, a: np.ndarray, n: int) -> np.ndarray:
        """Nearest-sample upsampling of a coarse array to n x n."""
        idx = np.minimum((np.arange(n) + self.stride // 2) // self.stride, a.shape[0] - 1)
        return a[idx[:, None], idx[None, :]]


def fill_depressions(h: np.ndarray, drains: np.ndarray, eps: float = 0.0, max_iter: int = 4000) -> np.ndarray:
    """Lowest surface >= h with no pits: water level where water would pool (spill level).

    `drains` marks cells that are outlets (map border, ocean). With eps > 0 the filled surface keeps a
    small slope so every cell has a strictly lower neighbour on its way to a drain.
    """
    big = F32(np.finfo(np.float32).max / 4)
    w = np.where(drains, h, big).astype(F32)
    e = F32(eps)
    for _ in range(max_iter):
        padded = np.pad(w, 1, mode="edge")
        lowest = w.copy()
        for di, dj in _NEIGHBOURS:
            np.minimum(
                lowest, padded[1 + di : 1 + di + w.shape[0], 1 + dj : 1 + dj + w.shape[1]] + e, out=lowest
            )
        new = np.where(drains, w, np.maximum(h, lowest))
        if np.array_equal(new, w):
            break
        w = new
    return w


def border_mask(shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[0, :] = m[-1, :] = m[:, 0] = m[:, -1] = True
    return m


def steepest_path(w: np.ndarray, start: tuple[int, int], stop: np.ndarray) -> list[tuple[int, int]]:
    """Cells from start following the lowest neighbour of a pit-free surface until a `stop` cell."""
    i, j = start
    path = [(i, j)]
    rows, cols = w.shape
    for _ in range(rows * cols):
        if stop[i, j]:
            break
        best, best_h = None, w[i, j]
        for di, dj in _NEIGHBOURS:
            a, b = i + di, j + dj
            if 0 <= a < rows and 0 <= b < cols and w[a, b] < best_h:
                best, best_h = (a, b), w[a, b]
        if best is None:
            break
        i, j = best
        path.append(best)
    return path


def chaikin(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Corner-cutting smoothing of an open polyline (keeps the end points)."""
    p = points
    for _ in range(rounds):
        if len(p) < 3:
            return p
        q = 0.75 * p[:-1] + 0.25 * p[1:]
        r = 0.25 * p[:-1] + 0.75 * p[1:]
        mid = np.empty((2 * len(q), p.shape[1]), p.dtype)
        mid[0::2], mid[1::2] = q, r
        p = np.vstack([p[:1], mid, p[-1:]])
    return p


def densify(points: np.ndarray, step: float) -> np.ndarray:
    """Resample a polyline so consecutive points are at most `step` apart."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:], strict=True):
        k = max(1, int(np.ceil(np.linalg.norm(b[:2] - a[:2]) / step)))
        t = (np.arange(1, k + 1) / k)[:, None]
        out.append(a + (b - a) * t)
    return np.vstack(out)


def corridor(points_ij: np.ndarray, n: int, reach: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (cells) from every cell near a polyline to it, the nearest point's index, and the window.

    Returns (dist, index, (i0, i1, j0, j1)) over the polyline's bounding box grown by `reach` cells.
    """
    i0 = max(0, int(np.floor(points_ij[:, 0].min() - reach)))
    i1 = min(n, int(np.ceil(points_ij[:, 0].max() + reach)) + 1)
    j0 = max(0, int(np.floor(points_ij[:, 1].min() - reach)))
    j1 = min(n, int(np.ceil(points_ij[:, 1].max() + reach)) + 1)
    shape = (i1 - i0, j1 - j0)
    ri = np.clip(np.rint(points_ij[:, 0]).astype(np.int64) - i0, 0, shape[0] - 1)
    rj = np.clip(np.rint(points_ij[:, 1]).astype(np.int64) - j0, 0, shape[1] - 1)
    label = np.full(shape, -1, np.int64)
    label[ri, rj] = np.arange(len(points_ij))
    dist, (ni, nj) = ndimage.distance_transform_edt(label < 0, return_indices=True)
    return dist.astype(F32), label[ni, nj], np.array([i0, i1, j0, j1])


@dataclass(kw_only=True, slots=True)
class River:
    points: np.ndarray  # (K, 3) world x, y, surface z
    width_m: float


def pick_source(coarse: np.ndarray, rng: np.random.Generator, avoid: np.ndarray) -> tuple[int, int]:
    """A high interior cell to start a river from."""
    m = coarse.shape[0]
    lo, hi = int(m * 0.15), int(m * 0.85)
    inner = np.zeros_like(avoid)
    inner[lo:hi, lo:hi] = True
    ok = inner & ~avoid
    if not ok.any():
        ok = inner
    level = np.quantile(coarse[ok], 0.75)
    cand = np.argwhere(ok & (coarse >= level))
    i, j = cand[int(rng.integers(0, len(cand)))]
    return int(i), int(j)


def carve_river(
    h: np.ndarray,
    *,
    cell_m: float,
    coarse: Coarse,
    drains: np.ndarray,
    rng: np.random.Generator,
    sea_level: float | None,
    level_hw: np.ndarray,
    form: str = "",
) -> River | None:
    """Trace a river downhill from a high point to a drain and cut its channel; writes its surface.

    `form` "dry": the channel is cut but holds no water (a dry riverbed); "canal": a straight channel
    with one still water level."""
    n = h.shape[0]
    filled = fill_depressions(coarse.h, drains, eps=1e-3)
    start = pick_source(coarse.h, rng, drains)
    cells = steepest_path(filled, start, drains)
    if len(cells) < 4:
        return None
    if form == "canal":
        ends = np.array([cells[len(cells) // 3], cells[-1]], np.float64) * coarse.stride
        pts = densify(np.clip(ends, 0, n - 1), step=0.7)
    else:
        pts = chaikin(np.array(cells, np.float64) * coarse.stride, rounds=3)
        jitter = rng.normal(0.0, coarse.stride * 0.15, size=pts.shape)
        jitter[0] = jitter[-1] = 0.0
        pts = densify(np.clip(pts + jitter, 0, n - 1), step=0.7)
    ground = h[np.rint(pts[:, 0]).astype(int), np.rint(pts[:, 1]).astype(int)].astype(np.float64)
    depth = 2.5
    surface = np.minimum.accumulate(ground) - 0.6
    if form == "canal":
        surface = np.full_like(ground, float(np.percentile(ground, 10)) - 1.2)
    if sea_level is not None:
        surface = np.maximum(surface, sea_level)
    half = max(3.0, 5.0 * (n * cell_m / 1024.0) ** 0.3) / cell_m
    bank = half * 2.5
    dist, idx, (i0, i1, j0, j1) = corridor(pts, n, half + bank + 2)
    s = surface[idx].astype(F32)
    bed = s - F32(depth)
    profile = (
        bed + F32(depth + 1.0) * np.clip((dist - F32(half * 0.6)) / F32(half * 0.4 + bank), 0.0, 1.0) ** 2
    )
    window = h[i0:i1, j0:j1]
    near = dist <= half + bank
    window[near] = np.minimum(window[near], profile[near])
    if form == "dry":  # a bed of gravel a metre under its banks, no water in it
        return River(points=_river_points(pts, surface - 2.0, cell_m), width_m=2 * half * cell_m)
    wet = (dist <= half) & (window < s)
    lw = level_hw[i0:i1, j0:j1]
    lw[wet] = np.fmax(lw[wet], s[wet])
    return River(points=_river_points(pts, surface, cell_m), width_m=2 * half * cell_m)


def _river_points(pts: np.ndarray, z: np.ndarray, cell_m: float) -> np.ndarray:
    """World (x, y, z) every ~4 m along a channel traced in (row, col) cells."""
    xyz = np.column_stack([pts[:, 1] * cell_m, pts[:, 0] * cell_m, z])
    return xyz[:: max(1, int(4 / cell_m))].astype(np.float64)


def carve_lake_basin(
    h: np.ndarray, *, cell_m: float, centre_ij: tuple[int, int], radius_cells: float
) -> None:
    """Dig a bowl whose rim is the lowest ground around it, so filling makes a lake there."""
    n = h.shape[0]
    ci, cj = centre_ij
    reach = int(radius_cells * 1.4) + 2
    i0, i1, j0, j1 = max(0, ci - reach), min(n, ci + reach + 1), max(0, cj - reach), min(n, cj + reach + 1)
    ii, jj = np.mgrid[i0:i1, j0:j1]
    r = np.sqrt((ii - ci) ** 2 + (jj - cj) ** 2).astype(F32) / F32(radius_cells)
    window = h[i0:i1, j0:j1]
    ring = window[(r > 1.0) & (r < 1.3)]
    rim = float(ring.min()) if ring.size else float(window.min())
    depth = max(4.0, 0.04 * radius_cells * cell_m)
    bowl = F32(rim - 0.5) - F32(depth) * np.clip(1.0 - r * r, 0.0, 1.0) ** F32(0.6)
    blend = np.clip((1.3 - r) / 0.4, 0.0, 1.0).astype(F32)
    target = np.minimum(window, bowl)
    window[:] = window * (F32(1.0) - blend) + target * blend


def lakes(
    h: np.ndarray,
    coarse: Coarse,
    drains: np.ndarray,
    *,
    min_cells: int,
    level_hw: np.ndarray,
    only_at: list[tuple[int, int]] | None = None,
) -> None:
    """Fill depressions of at least `min_cells` coarse cells to their spill level, writing level_hw in place.

    With `only_at` (full-resolution cells), only the depressions holding those cells become lakes.
    """
    filled = fill_depressions(coarse.h, drains)
    pooled = (filled - coarse.h) > 0.05
    labels, count = ndimage.label(pooled)
    if count == 0:
        return
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, count + 1))
    levels = ndimage.maximum(filled, labels, index=np.arange(1, count + 1))
    keep = np.zeros(count + 1, bool)
    keep[1:] = sizes >= min_cells
    if only_at is not None:
        wanted = np.zeros(count + 1, bool)
        for i, j in only_at:
            wanted[
                labels[
                    min(i // coarse.stride, labels.shape[0] - 1), min(j // coarse.stride, labels.shape[1] - 1)
                ]
            ] = True
        keep &= wanted
    lake_level = np.zeros(count + 1, F32)
    lake_level[1:] = levels
    for k, box in enumerate(ndimage.find_objects(labels), start=1):
        if keep[k] and box is not None:
            _flood(h, labels, k, box, coarse.stride, lake_level[k], level_hw)


def _flood(
    h: np.ndarray,
    labels: np.ndarray,
    k: int,
    box: tuple[slice, slice],
    stride: int,
    level: float,
    level_hw: np.ndarray,
) -> None:
    """Full-resolution water of one lake: ground below its level connected to its coarse cells."""
    n = h.shape[0]
    i0, i1 = max(0, (box[0].start - 2) * stride), min(n, (box[0].stop + 2) * stride)
    j0, j1 = max(0, (box[1].start - 2) * stride), min(n, (box[1].stop + 2) * stride)
    window = h[i0:i1, j0:j1]
    below, count = ndimage.label(window < F32(level))
    if count == 0:
        return
    seeds = np.argwhere(labels == k) * stride - np.array([i0, j0])
    inside = (
        (seeds[:, 0] >= 0)
        & (seeds[:, 0] < window.shape[0])
        & (seeds[:, 1] >= 0)
        & (seeds[:, 1] < window.shape[1])
    )
    ids = np.unique(below[seeds[inside, 0], seeds[inside, 1]])
    wet = np.isin(below, ids[ids > 0])
    lw = level_hw[i0:i1, j0:j1]
    lw[wet] = np.fmax(lw[wet], F32(level))


def ocean(h: np.ndarray, sea_level: float, level_hw: np.ndarray) -> None:
    """Sea water wherever the ground is below sea level and connected to the map edge."""
    below = h < F32(sea_level)
    labels, count = ndimage.label(below)
    if count == 0:
        return
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    sea = np.isin(labels, edge)
    level_hw[sea] = np.fmax(level_hw[sea], F32(sea_level))


def finalize(h: np.ndarray, level_hw: np.ndarray) -> np.ndarray:
    """Water surface where it lies above the (final) ground, NaN elsewhere."""
    return np.where(level_hw > h, level_hw, F32(np.nan)).astype(F32)
