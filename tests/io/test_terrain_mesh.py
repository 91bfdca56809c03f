from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from oyster_nodes.io.exporters.terrain_mesh import TerrainMeshError, extract, terrain_mesh, vertex_errors


def tree_errors(h: np.ndarray) -> np.ndarray:
    """Reference: walk the RTIN triangle tree explicitly and propagate errors from the leaves up."""
    size = h.shape[0] - 1
    levels = [[(0, 0, size, size, 0, size), (size, size, 0, 0, size, 0)]]
    while True:
        children = []
        for ar, ac, br, bc, cr, cc in levels[-1]:
            if abs(ar - cr) + abs(ac - cc) > 1:
                mr, mc = (ar + br) // 2, (ac + bc) // 2
                children += [(cr, cc, ar, ac, mr, mc), (br, bc, cr, cc, mr, mc)]
        if not children:
            break
        levels.append(children)
    err = np.zeros(h.shape)
    for level in reversed(levels):
        for ar, ac, br, bc, cr, cc in level:
            if (ar + br) % 2 or (ac + bc) % 2:
                continue
            mr, mc = (ar + br) // 2, (ac + bc) // 2
            e = abs((h[ar, ac] + h[br, bc]) / 2 - h[mr, mc])
            for xr, xc in (((ar + cr) / 2, (ac + cc) / 2), ((br + cr) / 2, (bc + cc) / 2)):
                if xr.is_integer() and xc.is_integer():
                    e = max(e, err[int(xr), int(xc)])
            err[mr, mc] = max(err[mr, mc], e)
    return err


@pytest.mark.parametrize("n", [3, 5, 17, 33])
def test_grid_errors_match_the_triangle_tree(n: int) -> None:
    h = np.random.default_rng(n).normal(size=(n, n)).cumsum(0).cumsum(1)
    assert np.allclose(vertex_errors(h), tree_errors(h))


def _edges(triangles: np.ndarray) -> Counter:
    return Counter(tuple(e) for t in triangles for e in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])))


def _plane_error(h: np.ndarray, rows: np.ndarray, cols: np.ndarray, tri: np.ndarray) -> float:
    """Largest distance between the grid and the mesh over every grid point inside each triangle."""
    worst = 0.0
    ii, jj = np.mgrid[0:h.shape[0], 0:h.shape[1]]
    for t in tri:
        r, c = rows[t].astype(float), cols[t].astype(float)
        m = np.array([[c[1] - c[0], c[2] - c[0]], [r[1] - r[0], r[2] - r[0]]])
        uv = np.linalg.solve(m, np.stack([jj.ravel() - c[0], ii.ravel() - r[0]]))
        inside = (uv[0] >= -1e-9) & (uv[1] >= -1e-9) & (uv.sum(0) <= 1 + 1e-9)
        z = h[rows[t], cols[t]]
        plane = z[0] + uv[0] * (z[1] - z[0]) + uv[1] * (z[2] - z[0])
        worst = max(worst, float(np.abs(plane - h.ravel())[inside].max()))
    return worst


@pytest.mark.parametrize("bound", [0.0, 0.3, 1.0, 100.0])
def test_mesh_is_watertight_counter_clockwise_and_close_to_the_grid(bound: float) -> None:
    n = 33
    h = np.random.default_rng(1).normal(size=(n, n)).cumsum(0).cumsum(1) * 0.05
    mesh = extract(vertex_errors(h), bound)
    rows, cols, tri = mesh.rows, mesh.cols, mesh.triangles.astype(np.int64)
    x, y = cols[tri].astype(float), rows[tri].astype(float)
    twice_area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (y[:, 1] - y[:, 0]) * (x[:, 2] - x[:, 0])
    assert (twice_area > 0).all()
    assert twice_area.sum() / 2 == pytest.approx((n - 1) ** 2)
    edges = _edges(tri)
    for (a, b), count in edges.items():
        assert count == 1
        on_border = {rows[a], rows[b]} <= {0, n - 1} and rows[a] == rows[b] or \
            {cols[a], cols[b]} <= {0, n - 1} and cols[a] == cols[b]
        assert (b, a) in edges or on_border, "an inner edge without its twin is a crack"
    # the bound holds at skipped edge midpoints; elsewhere the deviation may exceed it somewhat
    assert _plane_error(h, rows, cols, tri) <= 2 * bound + 1e-9
    if bound == 0.0:
        assert mesh.n_triangles == 2 * (n - 1) ** 2
    if bound == 100.0:
        assert mesh.n_triangles == 2


def test_triangle_budget_raises_the_bound() -> None:
    h = np.random.default_rng(2).normal(size=(65, 65))
    mesh = terrain_mesh(h, max_error_m=0.0, max_triangles=500)
    assert mesh.n_triangles <= 500 and mesh.max_error_m > 0


@pytest.mark.parametrize("n, budget, stride", [(4, 100, 1), (101, 20_000, 1), (101, 5_000, 2), (1000, 600_000, 2)])
def test_other_sizes_get_a_regular_grid(n: int, budget: int, stride: int) -> None:
    mesh = terrain_mesh(np.zeros((n, n)), max_triangles=budget)
    assert mesh.stride == stride and mesh.n_triangles <= budget
    assert mesh.rows.max() == n - 1 and mesh.cols.max() == n - 1
    rows, cols, tri = mesh.rows, mesh.cols, mesh.triangles.astype(np.int64)
    x, y = cols[tri].astype(float), rows[tri].astype(float)
    twice_area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (y[:, 1] - y[:, 0]) * (x[:, 2] - x[:, 0])
    assert (twice_area > 0).all() and twice_area.sum() / 2 == pytest.approx((n - 1) ** 2)


@pytest.mark.parametrize("h", [np.zeros((1, 1)), np.zeros((5, 6)), np.full((5, 5), np.nan)])
def test_unusable_heightfields_are_refused(h: np.ndarray) -> None:
    with pytest.raises(TerrainMeshError):
        terrain_mesh(h)
