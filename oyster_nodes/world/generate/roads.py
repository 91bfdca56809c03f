"""Roads that follow a shore: a coastal road along the cliff top above the sea, a lakeside road along a lake.

A shore road is a least-cost route between two points of a band at a fixed distance from the water, just inland
of where the land turns flat (the cliff's top edge, or the back of a beach): its cost rises with the distance
from that band, so the route keeps to it and the water stays beside the road the whole way.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .structures import Site, _grid_graph, _route

#: road styles (WorldSpec.modifiers["road"]) that run along a shore
SHORE_STYLES = ("coastal",)
#: the road's centre keeps this far (m) inland of the first flat ground by the water
SHORE_SETBACK_M = 7.0
#: ground flatter than this (rise over run) is past the cliff face: the top of the shore
FLAT_SLOPE = 0.35
#: a shore road's two ends lie about this share of the world's size apart, either side of its middle
SHORE_REACH = 0.32
#: the stretch of the world (share of its size from each border) a shore road keeps to: the border's own
#: falloff into the sea is no coast one drives along
INNER = 0.13


def shore_distance(site: Site) -> np.ndarray | None:
    """Metres from the water a shore road follows, per coarse cell: the sea if there is one, else the lakes;
    None when the world has neither."""
    for dist in (site.sea_dist, site.lake_dist):
        if np.isfinite(dist).any() and (dist == 0).any():
            return dist.astype(np.float64)
    return None


def shore_offset(site: Site, dist: np.ndarray) -> float:
    """How far from the water the road runs: just inland of the first ring of ground (by distance from the
    water) whose typical slope is gentle, i.e. past a cliff's face, at its top edge."""
    ok = _inner(site) & ~site.wet & (dist > 0)
    m = site.stride * site.cell_m
    for ring in np.arange(0.0, 200.0, m):
        cells = ok & (dist > ring) & (dist <= ring + m)
        if cells.sum() >= 4 and float(np.median(site.slope[cells])) < FLAT_SLOPE:
            return float(np.clip(ring + m + SHORE_SETBACK_M, 12.0, 120.0))
    return 40.0


def _inner(site: Site) -> np.ndarray:
    rows = site.h.shape[0]
    k = np.arange(rows)
    ok = (k >= INNER * rows) & (k <= (1 - INNER) * rows)
    return ok[:, None] & ok[None, :]


def shore_route(site: Site, size_m: float) -> np.ndarray | None:
    """A road's coarse route (x, y metres) along the shore of the world's sea or lake; None without water or
    where no band of ground beside it is long enough."""
    dist = shore_distance(site)
    if dist is None:
        return None
    off = shore_offset(site, dist)
    band = (np.abs(dist - off) < 0.35 * off + 4.0) & _inner(site) & ~site.wet
    if band.sum() < 8:
        return None
    m = site.stride * site.cell_m
    ii, jj = np.nonzero(band)
    xy = np.column_stack([jj * m, ii * m]).astype(np.float64)
    middle = xy[int(np.argmin(np.hypot(*(xy - size_m / 2).T)))]
    ends = _band_ends(xy, middle, SHORE_REACH * size_m)
    if ends is None:
        return None
    off_band = np.clip(np.abs(dist - off) / off, 0.0, 4.0)
    cost = 1.0 + 60.0 * site.slope.astype(np.float64) ** 2 + 30.0 * off_band**2 + np.where(site.wet, 1e4, 0.0)
    graph = _grid_graph(cost, m)
    rows = site.h.shape[0]
    nodes = [int(round(p[1] / m)) * rows + int(round(p[0] / m)) for p in (ends[0], middle, ends[1])]
    _, pred = dijkstra(graph, indices=nodes[:2], return_predecessors=True)
    first = _route(pred[0], nodes[0], nodes[1], rows, m)
    second = _route(pred[1], nodes[1], nodes[2], rows, m)
    route = np.concatenate([first, second[1:]])
    return route if len(route) >= 4 else None


def _band_ends(xy: np.ndarray, middle: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The band's farthest points either way along the shore's direction at the middle, within `reach`."""
    near = xy[np.hypot(*(xy - middle).T) < reach]
    if len(near) < 4:
        return None
    centred = near - near.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    along = (near - middle) @ vt[0]
    lo, hi = near[int(np.argmin(along))], near[int(np.argmax(along))]
    if math.hypot(*(hi - lo)) < 0.5 * reach:
        return None
    return lo, hi


#: the ground between a shore road and the water falls away from the road's edge at least this steeply
#: (rise over run), so that from the road one sees over it to the water
VERGE_FALL = 0.12


def open_to_shore(h: np.ndarray, road_hw: np.ndarray, site: Site, *, stride: int, cell_m: float,
                  floor_z: float) -> np.ndarray:
    """Lower the ground between a shore road (`road_hw`, its cells) and the water to below the road, falling
    away from it (a verge to the cliff's edge, no hump hiding the sea); returns that verge's cells, where no
    tree should grow either. Never lowers ground under `floor_z` (the water's level and a little)."""
    dist = shore_distance(site)
    if dist is None or not road_hw.any():
        return np.zeros(h.shape, bool)
    n = h.shape[0]
    k = np.minimum(np.arange(n) // stride, dist.shape[0] - 1)
    shore_m = dist[k[:, None], k[None, :]]
    on_road = shore_m[road_hw]
    road_at = float(np.median(on_road))
    gap, (ri, rj) = _nearest(road_hw)
    gap_m = gap * cell_m
    verge = (shore_m < road_at) & (gap_m > 0) & (gap_m < road_at + 20.0) & (shore_m < shore_m[ri, rj])
    cap = np.maximum(h[ri, rj] - 0.3 - VERGE_FALL * gap_m, floor_z)
    h[verge] = np.minimum(h[verge], cap[verge].astype(h.dtype))
    return verge


def _nearest(mask: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    from scipy import ndimage

    gap, idx = ndimage.distance_transform_edt(~mask, return_indices=True)
    return gap, (idx[0], idx[1])


#: words that make a road a paved, dark asphalt one (a highway), and the sRGB albedo of that asphalt
ASPHALT_WORDS = frozenset(("highway", "highways", "asphalt", "tarmac", "motorway", "freeway", "interstate",
                           "autobahn", "expressway"))
ASPHALT_SRGB = (0.2, 0.2, 0.21)


def is_asphalt(spec: dict) -> bool:
    """Whether a world's roads are dark asphalt: "a desert highway", "a paved road" (not "a dirt road")."""
    style = str((spec.get("modifiers") or {}).get("road", ""))
    if style == "dirt":
        return False
    words = set(str(spec.get("text", "")).lower().replace(",", " ").split())
    return style == "paved" or bool(words & ASPHALT_WORDS)


def through_route(site: Site, first: np.ndarray, rng: np.random.Generator | None = None,
                  style: str = "") -> np.ndarray | None:
    """The other half of a road that starts at `first[0]` and leaves the map at `first[-1]`: a least-cost route
    from that start to the border on the far side (bending like the first half when `style` is winding), so that the road runs through (a highway, a country road a
    car drives along) instead of ending where the car stands. None when no such border cell can be reached."""
    from .water import border_mask

    rows = site.h.shape[0]
    m = site.stride * site.cell_m
    start, out = first[0], first[-1]
    away = start - out
    if float(np.hypot(*away)) < 1e-6:
        return None
    away /= float(np.hypot(*away))
    cost = (1.0 + 60.0 * site.slope.astype(np.float64) ** 2 + np.where(site.wet, 40.0, 0.0))
    if style == "winding" and rng is not None:  # as structures.road_network bends a winding road
        from scipy import ndimage

        patches = ndimage.gaussian_filter(rng.random(site.h.shape), sigma=max(1.0, 40.0 / m))
        patches = (patches - patches.min()) / max(float(np.ptp(patches)), 1e-9)
        cost *= 1.0 + 6.0 * patches**2
    node = int(np.clip(round(start[1] / m), 0, rows - 1)) * rows + int(np.clip(round(start[0] / m), 0, rows - 1))
    dist, pred = dijkstra(_grid_graph(cost, m), indices=[node], return_predecessors=True)
    border = np.flatnonzero(border_mask((rows, rows)).ravel())
    bxy = np.column_stack([(border % rows) * m, (border // rows) * m]).astype(np.float64)
    rel = bxy - start
    facing = (rel @ away) / np.maximum(np.hypot(*rel.T), 1e-6)
    score = np.where(facing > 0.5, dist[0, border], np.inf)
    if not np.isfinite(score).any():
        return None
    route = _route(pred[0], node, int(border[int(np.argmin(score))]), rows, m)
    return route if len(route) >= 2 else None
