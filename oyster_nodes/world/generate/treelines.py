"""Trees where the prompt puts them: along something it names ("a fringe of firs along the shore", "pines
around the lake", "a road lined with cypresses", "willows by the river"), and around the building it names with
them ("a watchtower on a ridge and pine trees", "a cabin among birches").

The prompt reader turns the first kind of phrase into relations (WorldSpec.relations, subject a tree kind, object a
lake, the coast, a river or a road); each becomes a band of trees a few metres from that thing's edge, spaced like
a planted row. A tree kind named by word with no such relation, in a world whose named building has few of those
trees near it (the ridge above the tree line), gets a small grove around that building. Either way the trees
stand on ground a tree can stand on, clear of the trees already there. The scatter of the whole world stays as it
was: these trees are added after it, from a random stream of their own.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from ..state.records import Route, Structure
from .scatter import KIND, TREES, Ground

F32 = np.float32
#: the band a line of trees stands in: metres from the water's edge or the road's side
SHORE_BAND_M, VERGE_BAND_M = (3.0, 8.0), (3.5, 6.5)
#: metres between neighbouring trees of a line (a shore's fringe is looser than an avenue)
SHORE_SPACING_M, AVENUE_SPACING_M = 8.0, 16.0
#: an avenue leaves this many metres clear around a building by its road
YARD_M = 45.0
#: at most this many trees per line, so that a long coast stays a fringe and the renderer keeps its speed
MAX_PER_LINE = 700
#: a tree kind read as sparse ("a lone pine", "a few palms"), below this density, lines only FEW trees
SPARSE_BELOW, FEW = 0.3, 5
#: ground steeper than this (rise over run) holds no tree of a line, nor of a grove on a ridge
MAX_SLOPE, GROVE_SLOPE = 1.1, 1.5
#: a line's tree keeps this far (metres) from the trees already standing
CLEAR_M = 3.5
#: relation objects that are water, and the water they mean
WATERS = ("lake", "coast", "ocean", "river")


def lined(spec_relations: list[dict[str, str]]) -> list[tuple[str, str]]:
    """(instance kind, object) for each relation that puts a tree kind along something."""
    out = []
    for r in spec_relations:
        if r.get("subject") in TREES and r.get("object") in (*WATERS, "road"):
            pair = (TREES[r["subject"]], r["object"])
            if pair not in out:
                out.append(pair)
    return out


#: a named building with fewer of the named trees than GROVE_MIN within GROVE_RING_M[1] gets a grove of
#: GROVE_TREES trees in that ring around it
GROVE_MIN, GROVE_TREES, GROVE_RING_M = 8, 18, (10.0, 50.0)
#: a landmark on high ground (a watchtower on a ridge, a lighthouse) gets a larger grove: its slopes hide half
LANDMARK_GROVE = ("lighthouse", "castle", "windmill", "tower", "watchtower", "ruins", "church")
LANDMARK_GROVE_MIN, LANDMARK_GROVE_TREES, LANDMARK_GROVE_RING_M = 12, 32, (9.0, 55.0)
#: the building a grove stands around: the first named kind of these that the world holds
GROVE_AT = ("lighthouse", "castle", "windmill", "tower", "watchtower", "ruins", "cabin", "house", "barn", "church")


def named_kinds(spec: dict) -> list[str]:
    """Instance kinds of the tree kinds a prompt names by word (not the biome's default trees)."""
    out = []
    for m in spec.get("matches") or []:
        concept = m.get("concept")
        if concept in TREES and m.get("source") == "word" and not m.get("negated") and \
                (spec.get("vegetation") or {}).get(concept, 0.0) > 0 and TREES[concept] not in out:
            out.append(TREES[concept])
    return out


def add_tree_lines(inst: dict[str, np.ndarray], g: Ground, water_hw: np.ndarray, sea_hw: np.ndarray,
                   paths: list[Route], structures: list[Structure], spec: dict, rng: np.random.Generator,
                   size_m: float) -> dict[str, np.ndarray]:
    """The world's instances with the lines and groves of trees its prompt asks for appended (the others
    untouched)."""
    wanted = lined(spec.get("relations") or [])
    lone = [k for k in named_kinds(spec) if all(k != w for w, _ in wanted)]
    host = next((s for kind in GROVE_AT for s in structures if s.kind == kind and kind in _asked(spec)), None)
    if not wanted and (not lone or host is None):
        return inst
    kinds, xyz, yaw, scale = [], [], [], []
    taken = _taken(inst, g, size_m)
    yards = np.array([[b.x, b.y] for b in structures if b.kind not in ("bridge", "waterfall")]).reshape(-1, 2)
    plan = [(k, t) for k, t in wanted] + [(k, "grove") for k in lone if host is not None]
    for kind, thing in plan:
        if thing == "grove":
            xy = _grove(kind, host, inst, g, rng, taken) if host is not None else np.zeros((0, 2))
        else:
            xy = _line_points(thing, g, water_hw, sea_hw, paths, rng, size_m, taken, yards)
            if _density(spec, kind) < SPARSE_BELOW and len(xy) > FEW:  # "a lone pine on the lakeshore"
                xy = xy[np.sort(rng.choice(len(xy), FEW, replace=False))]
        if not len(xy):
            continue
        _mark(taken, xy, g, size_m)
        kinds.append(np.full(len(xy), KIND[kind], np.uint16))
        xyz.append(np.column_stack([xy, g.height(xy) - F32(0.05)]).astype(F32))
        yaw.append(rng.uniform(0, 2 * np.pi, len(xy)).astype(F32))
        scale.append(rng.uniform(0.85, 1.25, len(xy)).astype(F32))
    if not kinds:
        return inst
    n = sum(len(k) for k in kinds)
    var = rng.integers(0, 2**31 - 1, size=n, dtype=np.int64).astype(np.uint32)
    return {"inst_kind": np.concatenate([inst["inst_kind"], *kinds]),
            "inst_xyz": np.concatenate([inst["inst_xyz"], *xyz]),
            "inst_yaw": np.concatenate([inst["inst_yaw"], *yaw]),
            "inst_scale": np.concatenate([inst["inst_scale"], *scale]),
            "inst_var": np.concatenate([inst["inst_var"], var])}


def _density(spec: dict, kind: str) -> float:
    concept = next((c for c, k in TREES.items() if k == kind), "")
    return float((spec.get("vegetation") or {}).get(concept, 0.0))


def _asked(spec: dict) -> set[str]:
    asked = set((spec.get("structures") or {}).keys())
    return asked | {"house", "cabin"} if "village" in asked else asked


def _grove(kind: str, host: Structure, inst: dict[str, np.ndarray], g: Ground, rng: np.random.Generator,
           taken: np.ndarray) -> np.ndarray:
    """GROVE_TREES trees of `kind` in a ring around the building, unless it has GROVE_MIN of them near already."""
    least, trees, ring = (LANDMARK_GROVE_MIN, LANDMARK_GROVE_TREES, LANDMARK_GROVE_RING_M) \
        if host.kind in LANDMARK_GROVE else (GROVE_MIN, GROVE_TREES, GROVE_RING_M)
    mine = inst["inst_kind"] == KIND[kind]
    gap = np.hypot(*(inst["inst_xyz"][mine, :2].astype(np.float64) - (host.x, host.y)).T)
    if int((gap < ring[1]).sum()) >= least:
        return np.zeros((0, 2))
    n = 16 * trees
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = ring[0] + (ring[1] - ring[0]) * np.sqrt(rng.random(n))
    xy = np.column_stack([host.x + radius * np.cos(angle), host.y + radius * np.sin(angle)])
    out: list[np.ndarray] = []
    for p in _standable(xy, g, taken, rng, GROVE_SLOPE):  # one by one, so the grove's own trees keep apart
        if len(out) >= trees:
            break
        if all(math.hypot(*(p - q)) >= CLEAR_M * 1.5 for q in out):
            out.append(p)
    return np.array(out).reshape(-1, 2)


#: the occupancy grid's cell (metres)
_GRID_M = CLEAR_M


def _taken(inst: dict[str, np.ndarray], g: Ground, size_m: float) -> np.ndarray:
    """Cells of a CLEAR_M grid where a tree already stands."""
    k = max(1, int(math.ceil(size_m / _GRID_M)))
    grid = np.zeros((k, k), bool)
    trees = np.isin(inst["inst_kind"], [KIND[t] for t in TREES.values()])
    _mark(grid, inst["inst_xyz"][trees, :2].astype(np.float64), g, size_m)
    return grid


def _mark(grid: np.ndarray, xy: np.ndarray, g: Ground, size_m: float) -> None:
    ij = np.clip((xy / _GRID_M).astype(np.int64), 0, grid.shape[0] - 1)
    grid[ij[:, 1], ij[:, 0]] = True


def _free(grid: np.ndarray, xy: np.ndarray) -> np.ndarray:
    ij = np.clip((xy / _GRID_M).astype(np.int64), 0, grid.shape[0] - 1)
    return ~grid[ij[:, 1], ij[:, 0]]


def _line_points(thing: str, g: Ground, water_hw: np.ndarray, sea_hw: np.ndarray, paths: list[Route],
                 rng: np.random.Generator, size_m: float, taken: np.ndarray, yards: np.ndarray) -> np.ndarray:
    """Where the trees of one line stand (N x 2 metres)."""
    if thing == "road":
        roads = [p for p in paths if p.kind == "road" and not p.id.startswith("street-") and len(p.points_n3) >= 2]
        xy = _beside_routes(roads, g, rng, taken, AVENUE_SPACING_M, VERGE_BAND_M)
        if len(yards) and len(xy):  # the avenue opens out by a building (its yard, and the view of it)
            xy = xy[np.hypot(*(xy[:, None, :] - yards[None, :, :]).transpose(2, 0, 1)).min(axis=1) > YARD_M]
        return xy
    if thing == "river":
        rivers = [p for p in paths if p.kind == "river" and len(p.points_n3) >= 2]
        if rivers:
            return _beside_routes(rivers, g, rng, taken, SHORE_SPACING_M, SHORE_BAND_M)
    wet = np.isfinite(water_hw)
    wet = wet & sea_hw if thing in ("coast", "ocean") else wet & ~sea_hw if thing == "lake" else wet
    return _along_edge(wet, g, rng, size_m, taken)


def _along_edge(wet: np.ndarray, g: Ground, rng: np.random.Generator, size_m: float,
                taken: np.ndarray) -> np.ndarray:
    """A band of trees SHORE_BAND_M from the edge of the wet cells, on a jittered grid SHORE_SPACING_M apart."""
    if not wet.any():
        return np.zeros((0, 2))
    stride = max(1, int(round(2.0 / g.cell_m)))
    m = stride * g.cell_m
    dist = ndimage.distance_transform_edt(~wet[::stride, ::stride]) * m
    k = max(1, int(size_m // SHORE_SPACING_M))
    centres = (np.arange(k) + 0.5) * (size_m / k)
    xy = np.stack(np.meshgrid(centres, centres, indexing="xy"), axis=-1).reshape(-1, 2)
    xy = xy + rng.uniform(-0.4, 0.4, size=xy.shape) * (size_m / k)
    xy = np.clip(xy, g.cell_m, size_m - g.cell_m)
    ci = np.clip((xy / m).astype(np.int64), 0, dist.shape[0] - 1)
    d = dist[ci[:, 1], ci[:, 0]]
    near = (d >= SHORE_BAND_M[0]) & (d <= SHORE_BAND_M[1])
    return _standable(xy[near], g, taken, rng)


def _beside_routes(routes: list[Route], g: Ground, rng: np.random.Generator, taken: np.ndarray, spacing: float,
                   band: tuple[float, float]) -> np.ndarray:
    """Two rows of trees, one on each side of every route, `spacing` apart along it and `band` off its side."""
    out = []
    for r in routes:
        p = r.points_n3[:, :2].astype(np.float64)
        seg = np.hypot(*np.diff(p, axis=0).T)
        walked = np.concatenate([[0.0], np.cumsum(seg)])
        if walked[-1] < spacing:
            continue
        at = np.arange(0.5 * spacing, walked[-1], spacing)
        xy = np.column_stack([np.interp(at, walked, p[:, 0]), np.interp(at, walked, p[:, 1])])
        ahead = np.column_stack([np.interp(at + 1.0, walked, p[:, 0]), np.interp(at + 1.0, walked, p[:, 1])]) - \
            np.column_stack([np.interp(at - 1.0, walked, p[:, 0]), np.interp(at - 1.0, walked, p[:, 1])])
        ahead /= np.maximum(np.hypot(*ahead.T), 1e-9)[:, None]
        side = np.column_stack([-ahead[:, 1], ahead[:, 0]])
        off = 0.5 * r.width_m + rng.uniform(band[0], band[1], len(xy))
        out += [xy + side * off[:, None], xy - side * off[:, None]]
    if not out:
        return np.zeros((0, 2))
    return _standable(np.concatenate(out), g, taken, rng)


def _standable(xy: np.ndarray, g: Ground, taken: np.ndarray, rng: np.random.Generator,
               max_slope: float = MAX_SLOPE) -> np.ndarray:
    """The points a tree can stand on: not water, road or a building's pad, not too steep, clear of the trees
    already there; at most MAX_PER_LINE of them, spread along the line."""
    if not len(xy):
        return xy
    size = (g.n - 1) * g.cell_m
    xy = xy[(xy >= g.cell_m).all(axis=1) & (xy <= size - g.cell_m).all(axis=1)]
    i, j = g.cells(xy)
    ok = ~g.blocked[i, j] & (g.slope[i, j] < max_slope) & _free(taken, xy)
    xy = xy[ok]
    if len(xy) > MAX_PER_LINE:
        xy = xy[np.sort(rng.choice(len(xy), MAX_PER_LINE, replace=False))]
    return xy
