"""Terrain heightfield → an adaptive triangle mesh with a bounded height error and no cracks.

A right-triangulated irregular network (RTIN, the 4-8 mesh): the grid's square is split by its diagonal,
and every triangle is split at the midpoint of its long edge for as long as the height there deviates
from the edge by more than `max_error_m`, there or at any midpoint further down. This midpoint measure
is what the bound holds for; at other grid points the deviation can be larger (up to about 1.7x the
bound on rough test terrains). Each grid vertex that is the midpoint of some long edge
keeps the largest error below it (its own interpolation error and those of the midpoints its two child
triangles would use), so the two triangles sharing a long edge always agree on splitting: no T-junctions.

The per-vertex errors are computed level by level on the grid itself (array slices, no per-triangle
loop), from the smallest triangles up: for squares of side s (cells), first the midpoints of their edges,
then their centres. The diagonal used in a square runs towards the centre of its parent square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class TerrainMeshError(ValueError):
    """A heightfield this module cannot triangulate."""


@dataclass(kw_only=True, slots=True)
class TerrainMesh:
    """Grid vertices (row, col) used by the mesh and counter-clockwise (seen from +Z) triangles into them."""

    rows: np.ndarray
    cols: np.ndarray
    triangles: np.ndarray
    max_error_m: float
    #: a regular grid every `stride` samples (for heightfields that are not 2^k + 1 on a side)
    stride: int = 0

    @property
    def n_triangles(self) -> int:
        return int(len(self.triangles))


def _check(height_hw: np.ndarray, *, rtin: bool = True) -> int:
    h = np.asarray(height_hw)
    n = h.shape[0] if h.ndim == 2 else 0
    if h.ndim != 2 or h.shape[1] != n or n < 2:
        raise TerrainMeshError(f"the heightfield must be square with at least 2 samples per side, got {h.shape}")
    if rtin and (n < 3 or (n - 1) & (n - 2)):
        raise TerrainMeshError(f"an adaptive mesh needs 2^k + 1 samples per side, got {h.shape}")
    if not np.all(np.isfinite(h)):
        raise TerrainMeshError("the heightfield holds non-finite heights")
    return n


def _take(a: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a[r, c] over the outer product of index vectors, 0 where the index is outside the grid."""
    n = a.shape[0]
    rv, cv = (r >= 0) & (r < n), (c >= 0) & (c < n)
    out = a[np.ix_(np.clip(r, 0, n - 1), np.clip(c, 0, n - 1))]
    return np.where(np.outer(rv, cv), out, 0)


def _edge_level(h: np.ndarray, err: np.ndarray, s: int) -> None:
    """Midpoints of the edges of s-squares: interpolation error along the edge, then the children."""
    n, half, q = h.shape[0], s // 2, s // 4
    along = np.arange(half, n, s)
    across = np.arange(0, n, s)
    for horizontal in (True, False):
        r, c = (across, along) if horizontal else (along, across)
        if horizontal:
            ends = (h[np.ix_(r, c - half)] + h[np.ix_(r, c + half)]) / 2
        else:
            ends = (h[np.ix_(r - half, c)] + h[np.ix_(r + half, c)]) / 2
        e = np.abs(ends - h[np.ix_(r, c)])
        if q:
            for dr in (-q, q):
                for dc in (-q, q):
                    e = np.maximum(e, _take(err, r + dr, c + dc))
        err[np.ix_(r, c)] = np.maximum(err[np.ix_(r, c)], e)


def _centre_level(h: np.ndarray, err: np.ndarray, s: int) -> None:
    """Centres of s-squares: interpolation error along the square's diagonal, then its four edges."""
    n, half = h.shape[0], s // 2
    centres = np.arange(half, n, s)
    r, c = np.ix_(centres, centres)
    main = (centres[:, None] // s) % 2 == (centres[None, :] // s) % 2
    along_main = (h[r - half, c - half] + h[r + half, c + half]) / 2
    along_anti = (h[r - half, c + half] + h[r + half, c - half]) / 2
    e = np.abs(np.where(main, along_main, along_anti) - h[r, c])
    for dr, dc in ((-half, 0), (half, 0), (0, -half), (0, half)):
        e = np.maximum(e, err[r + dr, c + dc])
    err[r, c] = e


def vertex_errors(height_hw: np.ndarray) -> np.ndarray:
    """Per grid vertex: the largest height error (m) of every triangle that would split at it."""
    n = _check(height_hw)
    h = np.asarray(height_hw, np.float64)
    err = np.zeros((n, n), np.float64)
    s = 2
    while s < n:
        _edge_level(h, err, s)
        _centre_level(h, err, s)
        s *= 2
    return err


def _roots(size: int) -> np.ndarray:
    """The two top triangles as rows of (a_r, a_c, b_r, b_c, c_r, c_c); ab is the long edge."""
    return np.array([[0, 0, size, size, 0, size], [size, size, 0, 0, size, 0]], np.int64)


def extract(errors: np.ndarray, max_error_m: float) -> TerrainMesh:
    """The coarsest RTIN mesh whose every triangle stays within max_error_m of the grid."""
    n = errors.shape[0]
    tri = _roots(n - 1)
    done = []
    while len(tri):
        mr, mc = (tri[:, 0] + tri[:, 2]) // 2, (tri[:, 1] + tri[:, 3]) // 2
        leg = np.abs(tri[:, 0] - tri[:, 4]) + np.abs(tri[:, 1] - tri[:, 5])
        split = (leg > 1) & (errors[mr, mc] > max_error_m)
        done.append(tri[~split])
        t, mr, mc = tri[split], mr[split], mc[split]
        left = np.stack([t[:, 4], t[:, 5], t[:, 0], t[:, 1], mr, mc], axis=1)
        right = np.stack([t[:, 2], t[:, 3], t[:, 4], t[:, 5], mr, mc], axis=1)
        tri = np.concatenate([left, right])
    return _indexed(np.concatenate(done), n, max_error_m)


def _indexed(tri: np.ndarray, n: int, max_error_m: float) -> TerrainMesh:
    corners = tri.reshape(-1, 3, 2)
    # counter-clockwise seen from +Z, with x = col and y = row
    cross = ((corners[:, 1, 1] - corners[:, 0, 1]) * (corners[:, 2, 0] - corners[:, 0, 0])
             - (corners[:, 1, 0] - corners[:, 0, 0]) * (corners[:, 2, 1] - corners[:, 0, 1]))
    corners[cross < 0] = corners[cross < 0][:, ::-1]
    linear = (corners[..., 0] * n + corners[..., 1]).ravel()
    used, inverse = np.unique(linear, return_inverse=True)
    return TerrainMesh(rows=(used // n).astype(np.int32), cols=(used % n).astype(np.int32),
                       triangles=inverse.reshape(-1, 3).astype(np.uint32), max_error_m=float(max_error_m))


def grid_mesh(height_hw: np.ndarray, *, max_triangles: int) -> TerrainMesh:
    """A regular grid mesh every `stride` samples (the last row and column always kept), within max_triangles."""
    n = _check(height_hw, rtin=False)
    stride = 1
    while 2 * ((n - 2) // stride + 1) ** 2 > max_triangles and stride < n - 1:
        stride += 1
    picks = np.unique(np.append(np.arange(0, n, stride), n - 1))
    k = len(picks)
    idx = np.arange(k * k).reshape(k, k)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    tri = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]).astype(np.uint32)
    rr, cc = np.meshgrid(picks, picks, indexing="ij")
    return TerrainMesh(rows=rr.ravel().astype(np.int32), cols=cc.ravel().astype(np.int32), triangles=tri,
                       max_error_m=0.0 if stride == 1 else float("inf"), stride=stride)


def terrain_mesh(height_hw: np.ndarray, *, max_error_m: float = 0.25, max_triangles: int = 600_000) -> TerrainMesh:
    """Adaptive mesh within max_error_m; the error bound is doubled until the mesh fits max_triangles.

    Heightfields that are not 2^k + 1 samples on a side get a regular grid mesh instead (grid_mesh)."""
    if not (max_error_m >= 0 and max_triangles >= 2):
        raise TerrainMeshError("max_error_m must be >= 0 and max_triangles >= 2")
    n = _check(height_hw, rtin=False)
    if n < 3 or (n - 1) & (n - 2):
        return grid_mesh(height_hw, max_triangles=max_triangles)
    errors = vertex_errors(height_hw)
    bound = max_error_m
    while True:
        mesh = extract(errors, bound)
        if mesh.n_triangles <= max_triangles:
            return mesh
        bound = max(bound * 2.0, 0.01)
