"""Where an outdoor product stands: at the edge of the setting its prompt names.

"a perfume bottle on a rock by a calm sea", "a flask beside a mountain lake", "a can on wet sand at the water's
edge": the product belongs a few metres from the named water, on low, gentle, open ground, with broad water
beyond it (not a creek), so that a shot from the land side shows the product large and the water behind it.
"a lantern in a forest clearing": on open ground ringed by trees; "a cup on a table in a vineyard": just off the
rows, looking over them. `setting_spot` finds the nearest such spot to
where the product was asked for; the framing (camera/setting_view.py) then looks past the product at the setting.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

#: grid step (m) of the search
STEP_M = 2.0
#: the product stands this far (m) from the water's edge, its ground at most BANK_M above the water
SHORE_M, BANK_M, RIVER_BANK_M = (1.5, 6.0), 2.5, 3.0
#: the water beyond it: along the line from the product over the water, this share of the first OPEN_M metres
#: (a river: of the first RIVER_OPEN_M, its width)
OPEN_M, OPEN_SHARE, RIVER_OPEN_M = 70.0, 0.6, 16.0
#: metres of walk from the asked spot that one metre nearer the water's edge is worth
EDGE_WORTH = 15.0
#: ground gentle enough to stand a product and a camera on (rise over run); steeper shores (a mountain lake's)
#: only where no gentler one is found
GENTLE = (0.22, 0.4, 0.6)
#: nothing scattered (a tree, a boulder, a crate) nearer than this (m): the product and its camera stand free
FREE_M = 3.5
#: a forest clearing: no tree nearer than CLEARING_M, at least RING_TREES trees within RING_M
CLEARING_M, RING_M, RING_TREES = 5.0, 26.0, 12
#: a vineyard: the product this far (m) from the nearest vine, looking at the vines within VINE_REACH_M
VINE_M, VINE_REACH_M = (4.0, 9.0), 30.0
TREES = ("conifer", "broadleaf", "palm", "dead_tree", "cactus")
TREE_CONCEPTS = ("conifers", "broadleaf", "palms", "dead_trees")
BLOCKING = (*TREES, "rock", "boulder", "crate", "barrel", "vehicle", "lamp_post", "fence", "shrub")


@dataclass(kw_only=True, slots=True, frozen=True)
class Spot:
    """A product's place: x, y (m), the way from it towards its setting (unit xy, or None: all around) and what
    the setting is ("the sea", "the lake", "the forest")."""

    x: float
    y: float
    toward: tuple[float, float] | None
    setting: str


def named_water(world: WorldState) -> tuple[np.ndarray, str] | None:
    """The water the prompt names (a boolean mask over the terrain grid) and its name, or None."""
    kinds = named_water_kinds(world.spec or {})
    wet = np.isfinite(world.water_hw)
    if not kinds or not wet.any():
        return None
    sea = world.env.sea_level_m
    at_sea = wet & (np.abs(np.nan_to_num(world.water_hw, nan=1e9) - (sea if sea is not None else 1e9)) < 0.05)
    if "ocean" in kinds and at_sea.any():
        return at_sea, "the sea"
    inland = wet & ~at_sea
    if inland.any():
        return inland, f"the {kinds[0]}" if kinds[0] != "ocean" else "the water"
    return wet, "the water"


def setting_spot(world: WorldState, x: float, y: float) -> Spot | None:
    """The spot nearest (x, y) at the edge of the setting the world's prompt names (water first, then a forest),
    or None when the prompt names none or no spot fits."""
    water = named_water(world)
    if water is not None:
        return _shore_spot(world, x, y, *water)
    if names_trees(world.spec or {}):
        return _clearing_spot(world, x, y)
    if names_vines(world.spec or {}):
        return _vineyard_spot(world, x, y)
    return None


def named_water_kinds(spec: dict) -> list[str]:
    """The water kinds the prompt itself names (a beach or a coast names the sea), read from its matches: a spec
    written by hand, with no prompt read, names none."""
    out: list[str] = []
    for m in spec.get("matches") or []:
        if m.get("negated") or m.get("concept") == "waterfall":
            continue
        if m.get("category") == "water":
            out.append(str(m.get("concept")))
        elif m.get("category") == "shore" and "ocean" in spec.get("water", []):
            out.append("ocean")
    return [k for k in dict.fromkeys(out) if k in spec.get("water", [])]


def names_trees(spec: dict) -> bool:
    """Whether the prompt itself names trees (a forest, pines, palms), not only the biome's own."""
    return any(m.get("category") == "vegetation" and m.get("concept") in TREE_CONCEPTS and not m.get("negated")
               for m in spec.get("matches") or [])


def names_vines(spec: dict) -> bool:
    """Whether the prompt itself names a vineyard (its rows of vines)."""
    return any(m.get("concept") == "vines" and not m.get("negated") for m in spec.get("matches") or [])


def _vineyard_spot(world: WorldState, x: float, y: float) -> Spot | None:
    """Open ground just off the end or side of a vineyard's rows (VINE_M from the nearest vine), looking over
    the rows: the way towards the vines within VINE_REACH_M."""
    vines = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vine"), :2].astype(np.float64)
    if len(vines) < RING_TREES:
        return None
    k, gx, gy, h = _grid(world)
    ok = (_slope(h, k * world.cell_m) < GENTLE[1]) & ~np.isfinite(world.water_hw[::k, ::k])
    ci, cj = np.nonzero(ok & _free(world, gx, gy, FREE_M))
    if not len(ci):
        return None
    pts = np.column_stack([gx[ci, cj], gy[ci, cj]])
    tree = cKDTree(vines)
    gap, _ = tree.query(pts)
    fit = (gap >= VINE_M[0]) & (gap <= VINE_M[1])
    if not fit.any():
        return None
    pts = pts[fit]
    best = pts[int(np.argmin(np.hypot(pts[:, 0] - x, pts[:, 1] - y)))]
    near = vines[tree.query_ball_point(best, VINE_REACH_M)]
    way = near.mean(axis=0) - best
    n = float(np.hypot(*way))
    toward = (float(way[0] / n), float(way[1] / n)) if n > 1e-6 else None
    return Spot(x=float(best[0]), y=float(best[1]), toward=toward, setting="the vineyard")


def _grid(world: WorldState) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """The search grid: its stride in cells, and per grid point x, y (m) and the terrain height."""
    k = max(1, int(round(STEP_M / world.cell_m)))
    h = world.height_hw[::k, ::k].astype(np.float64)
    ii, jj = np.indices(h.shape)
    return k, jj * k * world.cell_m, ii * k * world.cell_m, h


def _slope(h: np.ndarray, m: float) -> np.ndarray:
    """Per grid point, the steepest rise over run around it."""
    gy, gx = np.gradient(h, m)
    return ndimage.maximum_filter(np.hypot(gx, gy), size=3)


def _free(world: WorldState, gx: np.ndarray, gy: np.ndarray, radius: float) -> np.ndarray:
    """Grid points with nothing scattered or built within `radius` metres."""
    ok = np.ones(gx.shape, bool)
    ids = [INSTANCE_KINDS.index(k) for k in BLOCKING]
    xy = world.inst_xyz[np.isin(world.inst_kind, ids), :2].astype(np.float64)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    if len(xy):
        d, _ = cKDTree(xy).query(pts, distance_upper_bound=radius)
        ok &= ~np.isfinite(d).reshape(gx.shape)
    for s in world.structures:
        reach = 0.5 * math.hypot(s.w, s.d) + radius
        ok &= np.hypot(gx - s.x, gy - s.y) > reach
    return ok


def _shore_spot(world: WorldState, x: float, y: float, mask: np.ndarray, name: str) -> Spot | None:
    k, gx, gy, h = _grid(world)
    m = k * world.cell_m
    wet = mask[::k, ::k]
    if not wet.any():
        return None
    dist, (wi, wj) = ndimage.distance_transform_edt(~wet, return_indices=True)
    dist = dist * m
    level = np.nan_to_num(world.water_hw[::k, ::k].astype(np.float64), nan=0.0)[wi, wj]
    road = world.material_hw[::k, ::k] == MATERIALS.index("road")
    rise = h - level
    # a river's surface follows its bed down the valley: its banks may lie a little under the level beside them
    low = rise > 0.15 if name != "the river" else rise > -RIVER_BANK_M
    shore = ((dist >= SHORE_M[0]) & (dist <= SHORE_M[1]) & (rise <= BANK_M) & low
             & ~road & ~np.isfinite(world.water_hw[::k, ::k]))
    slope = _slope(h, m)
    for steep in GENTLE:
        spot = _shore_pick(world, x, y, shore & (slope < steep), wet, (wi, wj), (gx, gy), h, dist, name)
        if spot is not None:
            return spot
    return None


def _shore_pick(world: WorldState, x: float, y: float, ok: np.ndarray, wet: np.ndarray,
                nearest: tuple[np.ndarray, np.ndarray], grid_xy: tuple[np.ndarray, np.ndarray], h: np.ndarray,
                dist: np.ndarray, name: str) -> Spot | None:
    """The candidate nearest (x, y) (and to the water's edge) among the shore points `ok` with broad water beyond
    and open land behind."""
    k = max(1, int(round(STEP_M / world.cell_m)))
    m = k * world.cell_m
    (wi, wj), (gx, gy) = nearest, grid_xy
    if not ok.any():
        return None
    ci, cj = np.nonzero(ok)
    u = np.column_stack([wj[ci, cj] - cj, wi[ci, cj] - ci]).astype(np.float64)
    u /= np.maximum(np.hypot(u[:, 0], u[:, 1]), 1e-9)[:, None]
    reach = RIVER_OPEN_M if name == "the river" else OPEN_M
    openness = _open_share(wet, ci, cj, u, m, reach)
    back = _land_behind(h, ci, cj, u, m, wet)
    keep = (openness >= OPEN_SHARE) & back
    sandy = _wants_sand(world)
    if sandy:
        sand = world.material_hw[::k, ::k][ci, cj] == MATERIALS.index("sand")
        keep = keep & sand if (keep & sand).any() else keep
    if not keep.any():
        return None
    ci, cj, u = ci[keep], cj[keep], u[keep]
    free = _free(world, gx[ci, cj], gy[ci, cj], FREE_M)
    if free.any():
        ci, cj, u = ci[free], cj[free], u[free]
    far = np.hypot(gx[ci, cj] - x, gy[ci, cj] - y) + EDGE_WORTH * dist[ci, cj]
    best = int(np.argmin(far))
    toward = _open_way(wet, int(ci[best]), int(cj[best]), u[best], m, reach)
    return Spot(x=float(gx[ci[best], cj[best]]), y=float(gy[ci[best], cj[best]]),
                toward=(float(toward[0]), float(toward[1])), setting=name)


def _open_way(wet: np.ndarray, i: int, j: int, near: np.ndarray, m: float, reach: float) -> np.ndarray:
    """The way from a shore point over the most water (within 60 degrees of the nearest water's way): out to
    sea rather than along the shore."""
    base = math.atan2(near[1], near[0])
    turns = np.radians(np.arange(-60.0, 61.0, 7.5))
    ways = np.column_stack([np.cos(base + turns), np.sin(base + turns)])
    share = _open_share(wet, np.full(len(ways), i), np.full(len(ways), j), ways, m, reach)
    share = np.convolve(np.pad(share, 2, mode="edge"), np.ones(5) / 5.0, mode="valid")  # a broad opening
    return ways[int(np.argmax(share - 0.002 * np.abs(np.degrees(turns))))]


def _open_share(wet: np.ndarray, ci: np.ndarray, cj: np.ndarray, u: np.ndarray, m: float,
                reach: float) -> np.ndarray:
    """Per candidate, the share of the line from it over the water (`reach` metres long) that is water."""
    t = np.arange(SHORE_M[1] + m, max(reach, SHORE_M[1] + 3 * m), m) / m
    ri = np.clip(np.round(ci[:, None] + u[:, 1:2] * t[None]).astype(int), 0, wet.shape[0] - 1)
    rj = np.clip(np.round(cj[:, None] + u[:, 0:1] * t[None]).astype(int), 0, wet.shape[1] - 1)
    return wet[ri, rj].mean(axis=1)


def _land_behind(h: np.ndarray, ci: np.ndarray, cj: np.ndarray, u: np.ndarray, m: float,
                 wet: np.ndarray) -> np.ndarray:
    """Whether the ground a few metres on the land side (where the camera stands) is dry and no bank above it."""
    out = np.ones(len(ci), bool)
    for back_m in (2.0, 4.0):
        bi = np.clip(np.round(ci - u[:, 1] * back_m / m).astype(int), 0, h.shape[0] - 1)
        bj = np.clip(np.round(cj - u[:, 0] * back_m / m).astype(int), 0, h.shape[1] - 1)
        out &= ~wet[bi, bj] & (h[bi, bj] <= h[ci, cj] + 0.35 * back_m)
    return out


def _wants_sand(world: WorldState) -> bool:
    spec = world.spec or {}
    return spec.get("terrain") in ("dunes", "desert") or "sand" in (spec.get("modifiers") or {})


def _clearing_spot(world: WorldState, x: float, y: float) -> Spot | None:
    k, gx, gy, h = _grid(world)
    ids = [INSTANCE_KINDS.index(t) for t in TREES]
    trees = world.inst_xyz[np.isin(world.inst_kind, ids), :2].astype(np.float64)
    if len(trees) < RING_TREES:
        return None
    tree = cKDTree(trees)
    # only near the asked spot: the nearest clearing, searched out to a quarter of the world
    near = np.hypot(gx - x, gy - y) < 0.25 * world.size_m
    ok = near & (_slope(h, k * world.cell_m) < GENTLE[0]) & ~np.isfinite(world.water_hw[::k, ::k])
    ci, cj = np.nonzero(ok)
    if not len(ci):
        return None
    pts = np.column_stack([gx[ci, cj], gy[ci, cj]])
    gap, _ = tree.query(pts)
    ring = np.array([len(r) for r in tree.query_ball_point(pts, RING_M)])
    fit = (gap >= CLEARING_M) & (ring >= RING_TREES)
    if not fit.any():
        return None
    pts, ring = pts[fit], ring[fit]
    best = int(np.argmin(np.hypot(pts[:, 0] - x, pts[:, 1] - y) - 2.0 * ring))
    return Spot(x=float(pts[best, 0]), y=float(pts[best, 1]), toward=None, setting="the forest")


def set_on_rock(state: WorldState, vertices: np.ndarray, x: float, y: float, ground: float,
                scale: float) -> tuple[WorldState, float]:
    """A rock instance under the mesh (about twice its footprint across) and the height of its top."""
    foot = float(np.ptp(vertices[:, :2], axis=0).max()) * scale
    size = max(0.45, 2.0 * foot)  # the rock mesh is ~1.2 m across at scale 1
    base = ground - 0.15 * size
    top = base + 0.62 * size  # a little under the blob's crown, so the mesh sits on it, not above it
    rng = np.random.default_rng(abs(int(round(x * 1000)) * 7919 + int(round(y * 1000))))
    arrays = {
        "inst_kind": np.append(state.inst_kind, np.uint16(INSTANCE_KINDS.index("rock"))).astype(np.uint16),
        "inst_xyz": np.vstack([state.inst_xyz, np.array([[x, y, base]], np.float32)]).astype(np.float32),
        "inst_yaw": np.append(state.inst_yaw, np.float32(rng.uniform(0, 2 * math.pi))).astype(np.float32),
        "inst_scale": np.append(state.inst_scale, np.float32(size)).astype(np.float32),
        "inst_var": np.append(state.inst_var, np.uint32(rng.integers(0, 2**31 - 1))).astype(np.uint32),
    }
    return dataclasses.replace(state, **arrays), round(top, 4)
