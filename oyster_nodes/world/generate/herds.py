"""Animals the prompt names (WorldSpec.animals) as herds: grazing clusters on gentle open ground.

Each species is one herd, its centre where the ground suits it best (gentle grass for grazers, steeper rock for
goats, the open edge of a wood for deer, water for ducks), inside a fenced paddock when the world has one, near
the farm's buildings when there are some, and beside the herds placed before it (so one still holds them all).
Inside a herd the animals stand in a few loose clusters, never closer than their own spacing, never in water,
on a road, among trees or on a fence line, each facing its own way about the herd's heading. The count is exact:
where the chosen ground runs out, the herd spreads wider, then onto any dry free ground.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from ..state.records import Structure
from ..state.world_state import INSTANCE_KINDS
from .scatter import Ground
from .terrain import MAT

F32 = np.float32
#: WorldSpec.animals species -> the instance kind that draws one
SPECIES_KIND: dict[str, str] = {"sheep": "sheep", "cattle": "cow", "horses": "horse", "goats": "goat", "deer": "deer",
                                "ducks": "duck"}


@dataclass(kw_only=True, slots=True, frozen=True)
class Habit:
    """Where a kind of animal stands: the least gap between two (m), the steepest ground (rise over run), how
    well each terrain material suits it (0: never) and how far it keeps from a tree's trunk (m)."""

    spacing_m: float
    max_slope: float
    ground: dict[str, float]
    tree_clear_m: float = 2.5


_GRAZE = {"grass": 1.0, "dirt": 0.5, "forest_floor": 0.35, "snow": 0.2, "sand": 0.15, "mud": 0.3, "gravel": 0.15,
          "rock": 0.05}
HABITS: dict[str, Habit] = {
    "sheep": Habit(spacing_m=1.9, max_slope=0.4, ground=_GRAZE),
    "cow": Habit(spacing_m=3.6, max_slope=0.32, ground=_GRAZE),
    "horse": Habit(spacing_m=4.2, max_slope=0.32, ground={**_GRAZE, "sand": 0.5}),
    "goat": Habit(spacing_m=1.9, max_slope=0.95, ground={**_GRAZE, "rock": 0.9, "gravel": 0.6}),
    "deer": Habit(spacing_m=3.0, max_slope=0.5, ground={**_GRAZE, "forest_floor": 0.9}),
    "duck": Habit(spacing_m=1.1, max_slope=1.0, ground={}, tree_clear_m=1.0),
}
#: instances animals keep clear of (tree trunks, boulders, fence spans), and the small plants cleared under them
OBSTACLES = ("conifer", "broadleaf", "palm", "dead_tree", "cactus", "boulder", "fence", "vehicle", "lamp_post",
             "crate", "barrel", "hay_bale", "crop", "vine")
UNDERFOOT = ("grass_tuft", "flower", "shrub", "rock")
#: trees that make a wood's edge (deer graze beside one)
TREES = ("conifer", "broadleaf", "palm", "dead_tree")
#: buildings a farm's animals graze beside
FARM = ("house", "cabin", "windmill", "barn", "farmhouse")
#: structures a herd is not drawn to (it is drawn to the farm, or else to the buildings the prompt names)
AWAY = ("bridge", "waterfall", "pier", "quay", "ferry", "sailboat", "fishing_boat", "motorboat", "rowboat")
#: words that put horses (and other animals) on the sand ("a white horse on a beach")
ON_SAND = re.compile(r"\b(?:beach|beaches|sand|sands|sandy|shore|dunes?)\b")
#: ponies are small horses
PONIES = re.compile(r"\bpon(?:y|ies)\b")
PONY_SCALE = 0.72
#: coarse grid of herd centres, metres
GRID_M = 4.0


def herd_radius(kind: str, count: int) -> float:
    """The radius (m) a herd of `count` fills at a grazing density."""
    return HABITS[kind].spacing_m * (0.8 * math.sqrt(max(count, 1)) + 0.6) + 2.0


def add_herds(inst: dict[str, np.ndarray], g: Ground, water_hw: np.ndarray, structures: list[Structure],
              spec: dict, rng: np.random.Generator, size_m: float) -> dict[str, np.ndarray]:
    """The world's instances with the spec's animals appended and the small plants under them removed."""
    asked = [(SPECIES_KIND[s], int(n)) for s, n in (spec.get("animals") or {}).items() if n and s in SPECIES_KIND]
    if not asked:
        return inst
    site = _Site.of(inst, g, water_hw, structures, bool((spec.get("structures") or {}).get("fences")), size_m)
    site.near_water = bool(spec.get("water"))
    sandy = bool(ON_SAND.search(str(spec.get("text", "")).lower()))
    kinds, xy, yaw, scale, z = [], [], [], [], []
    centres: list[tuple[np.ndarray, float]] = []
    for kind, count in sorted(asked, key=lambda a: -HABITS[a[0]].spacing_m):  # the largest first: they need room
        centre = site.centre(kind, count, centres, sandy, rng)
        pts = site.scatter(kind, count, centre, rng, sandy)
        heading = float(rng.uniform(-math.pi, math.pi))
        kinds.append(np.full(len(pts), INSTANCE_KINDS.index(kind)))
        xy.append(pts)
        yaw.append(heading + rng.vonmises(0.0, 0.7, len(pts)) if kind != "duck"
                   else rng.uniform(-math.pi, math.pi, len(pts)))
        small = PONIES.search(str(spec.get("text", "")).lower()) if kind == "horse" else None
        scale.append(rng.uniform(0.9, 1.08, len(pts)) * (PONY_SCALE if small else 1.0))
        z.append(site.surface(pts, kind))
        centres.append((centre, herd_radius(kind, count)))
        site.take(pts, HABITS[kind].spacing_m)
    pts = np.concatenate(xy)
    keep = _not_underfoot(inst, pts)
    out = {k: v[keep] for k, v in inst.items()}
    n = len(pts)
    return {
        "inst_kind": np.concatenate([out["inst_kind"], np.concatenate(kinds).astype(np.uint16)]),
        "inst_xyz": np.concatenate([out["inst_xyz"], np.column_stack([pts, np.concatenate(z)]).astype(F32)]),
        "inst_yaw": np.concatenate([out["inst_yaw"], np.concatenate(yaw).astype(F32)]),
        "inst_scale": np.concatenate([out["inst_scale"], np.concatenate(scale).astype(F32)]),
        "inst_var": np.concatenate([out["inst_var"], rng.integers(0, 2**31 - 1, n, dtype=np.int64).astype(np.uint32)]),
    }


def _not_underfoot(inst: dict[str, np.ndarray], animals: np.ndarray, reach_m: float = 1.6) -> np.ndarray:
    """Which instances to keep: not the small plants and stones under an animal's body."""
    small = np.isin(inst["inst_kind"], [INSTANCE_KINDS.index(k) for k in UNDERFOOT])
    keep = np.ones(len(inst["inst_kind"]), bool)
    idx = np.nonzero(small)[0]
    if not len(idx):
        return keep
    lo, hi = animals.min(axis=0) - reach_m, animals.max(axis=0) + reach_m
    xy = inst["inst_xyz"][idx, :2].astype(np.float64)
    near = idx[np.all((xy >= lo) & (xy <= hi), axis=1)]
    for part in np.array_split(near, max(1, len(near) // 4000)):
        d = np.hypot(*(inst["inst_xyz"][part, None, :2] - animals[None, :, :]).transpose(2, 0, 1))
        keep[part[(d < reach_m).any(axis=1)]] = False
    return keep


@dataclass(kw_only=True, slots=True)
class _Site:
    """What herds are placed against: the ground, the water, the obstacles, a paddock and the farm."""

    g: Ground
    water_hw: np.ndarray
    obstacles: np.ndarray  # x, y, clearance (m)
    trees: np.ndarray  # x, y of tree trunks
    paddock: np.ndarray | None  # bool (n, n): inside a fence ring
    farm: np.ndarray  # x, y of farm buildings
    size_m: float
    taken: list[tuple[np.ndarray, float]]
    #: the prompt names water: a herd grazes within sight of it
    near_water: bool = False

    @classmethod
    def of(cls, inst: dict[str, np.ndarray], g: Ground, water_hw: np.ndarray, structures: list[Structure],
           fenced: bool, size_m: float) -> _Site:
        names = np.array(INSTANCE_KINDS)[inst["inst_kind"].astype(int)] if len(inst["inst_kind"]) else np.zeros(0)
        xy = inst["inst_xyz"][:, :2].astype(np.float64)
        hit = np.isin(names, OBSTACLES)
        clear = np.where(np.isin(names[hit], TREES), 2.5 * inst["inst_scale"][hit], 1.4).astype(np.float64)
        clear = np.where(names[hit] == "boulder", 3.0 * inst["inst_scale"][hit], clear)
        fences = xy[names == "fence"]
        farm = np.array([[s.x, s.y] for s in structures if s.kind in FARM]).reshape(-1, 2)
        if not len(farm):  # no farm: the buildings the prompt names (a castle, a cabin, a lighthouse)
            farm = np.array([[s.x, s.y] for s in structures if s.kind not in AWAY]).reshape(-1, 2)[:6]
        return cls(g=g, water_hw=water_hw, obstacles=np.column_stack([xy[hit], clear]), trees=xy[np.isin(names, TREES)],
                   paddock=_paddock(fences, g) if fenced and len(fences) >= 6 else None, farm=farm, size_m=size_m,
                   taken=[])

    # --- herd centres -----------------------------------------------------------------------------------

    def suits(self, kind: str, sandy: bool) -> np.ndarray:
        """0..1 per terrain cell: how well the ground suits the kind (0 where it may not stand at all)."""
        g = self.g
        if kind == "duck":
            return np.isfinite(self.water_hw).astype(F32)
        habit = HABITS[kind]
        ground = {**habit.ground, **({"sand": max(habit.ground.get("sand", 0.0), 0.9)} if sandy else {})}
        table = np.zeros(max(MAT.values()) + 1, F32)
        for name, w in ground.items():
            table[MAT[name]] = w
        ok = table[g.material] * (g.slope <= habit.max_slope) * ~g.blocked
        return (ok * np.clip(1.2 - g.slope / max(habit.max_slope, 1e-3), 0.2, 1.0)).astype(F32)

    def centre(self, kind: str, count: int, placed: list[tuple[np.ndarray, float]], sandy: bool,
               rng: np.random.Generator) -> np.ndarray:
        """The herd's centre: the coarse cell whose surroundings suit the kind best, inside a paddock when there
        is one, by the farm, beside the herds placed before, clear of trees, towards the world's middle."""
        step = max(1, int(round(GRID_M / self.g.cell_m)))
        suit = self.suits(kind, sandy)
        if self.paddock is not None and kind != "duck" and (self.paddock & (suit > 0)).sum() * self.g.cell_m ** 2 > 40:
            suit = suit * (0.15 + 0.85 * self.paddock)
        coarse = suit[::step, ::step]
        m = step * self.g.cell_m
        r = herd_radius(kind, count)
        k = max(3, int(round(2 * r / m)) | 1)
        room = cv2.blur(coarse, (k, k), borderType=cv2.BORDER_CONSTANT)
        rows, cols = coarse.shape
        y, x = (np.mgrid[0:rows, 0:cols] * m).astype(np.float64)
        middle = np.hypot(x - self.size_m / 2, y - self.size_m / 2) / (0.5 * self.size_m)
        score = 2.0 * room - 0.6 * middle ** 2 + rng.uniform(0.0, 0.05, room.shape)
        score -= (1.5 if kind == "deer" else 3.0) * self._tree_share(x, y, r, m, rows)  # trees hide a herd
        if kind == "deer":  # the open edge of a wood: trees within a few tens of metres
            score += 0.8 * np.clip(self._tree_share(x, y, r + 30.0, m, rows) * 6.0, 0.0, 1.0)
        if kind == "duck" and np.isfinite(self.water_hw).any():  # near a shore, where the camera stands
            dry = ~np.isfinite(self.water_hw[::step, ::step])
            score -= 0.02 * ndimage.distance_transform_edt(~dry) * m
        if self.near_water and kind != "duck" and np.isfinite(self.water_hw).any():  # "sheep by the sea cliff"
            wet = np.isfinite(self.water_hw[::step, ::step])
            d = ndimage.distance_transform_edt(~wet) * m
            score += 1.2 * np.exp(-(((d - (r + 12.0)) / 30.0) ** 2))
        if len(self.farm):  # by the named buildings: the farmhouse, the castle over the swans' lake
            d = np.min(np.hypot(x[..., None] - self.farm[:, 0], y[..., None] - self.farm[:, 1]), axis=-1)
            score += 1.2 * np.exp(-(((d - (r + 22.0)) / 25.0) ** 2))
        for c, rr in placed:  # beside the herds before, not on them
            d = np.hypot(x - c[0], y - c[1])
            score += 0.9 * np.exp(-(((d - (r + rr + 6.0)) / 25.0) ** 2)) - 3.0 * (d < r + rr)
        score[coarse <= 0] -= 5.0
        edge = np.minimum(np.minimum(x, y), np.minimum(self.size_m - x, self.size_m - y))
        penned = self.paddock[::step, ::step] if self.paddock is not None and kind != "duck" else False
        score[(edge < 0.12 * self.size_m) & ~penned] -= 4.0  # (a paddock by the border still holds its herd)
        i, j = np.unravel_index(int(np.argmax(score)), score.shape)
        return np.array([j * m, i * m], np.float64)

    def _tree_share(self, x: np.ndarray, y: np.ndarray, r: float, m: float, rows: int) -> np.ndarray:
        """Trunks per square metre within about `r` of each coarse cell, times the area a tree shades (~20 m^2)."""
        if not len(self.trees):
            return np.zeros(x.shape)
        ij = np.clip((self.trees[:, ::-1] / m).astype(int), 0, rows - 1)
        count = np.zeros(x.shape, F32)
        np.add.at(count, (ij[:, 0], ij[:, 1]), 1.0)
        k = max(3, int(round(2 * r / m)) | 1)
        return cv2.blur(count, (k, k), borderType=cv2.BORDER_CONSTANT).astype(np.float64) * 20.0 / (m * m)

    # --- animals in a herd ------------------------------------------------------------------------------

    def scatter(self, kind: str, count: int, centre: np.ndarray, rng: np.random.Generator,
                sandy: bool) -> np.ndarray:
        """`count` positions about `centre` in a few grazing clusters: on ground that suits the kind, then (when
        it runs out) wider, then on any free dry ground."""
        suit = self.suits(kind, sandy)
        suit = suit / max(float(suit.max()), 1e-6)  # the best ground there is (a snowfield's, a beach's) suits
        inside = self.paddock if self.paddock is not None and kind != "duck" else None
        r = herd_radius(kind, count)
        clusters = centre + _disk(rng, max(1, round(count / 6)), 0.55 * r)
        got: list[np.ndarray] = []
        for spread, floor, fenced in ((1.0, 0.25, True), (1.6, 0.1, True), (2.5, 0.0, False), (4.0, 0.0, False)):
            ok = suit > floor
            if inside is not None and fenced and (inside & ok).sum() * self.g.cell_m ** 2 > 4.0 * count:
                ok = ok & inside
            got = self._fill(kind, count, got, clusters, spread * 0.4 * r, ok, rng)
            if len(got) >= count:
                break
        if len(got) < count:  # the kind's ground ran out: any dry free ground near the herd
            free = ~self.g.blocked & (self.g.slope < 1.2) if kind != "duck" else np.isfinite(self.water_hw)
            got = self._fill(kind, count, got, clusters, 1.5 * r + 20.0, free, rng, tries=200)
        if len(got) < count:  # nothing stands in the way of exactness but the world itself: widen to all of it
            got = self._fill(kind, count, got, clusters, self.size_m / 3, ~self.g.blocked | (kind == "duck"), rng,
                             tries=400)
        return np.array(got[:count], np.float64).reshape(-1, 2) if len(got) else centre[None, :].repeat(count, 0)

    def _fill(self, kind: str, count: int, got: list[np.ndarray], clusters: np.ndarray, sigma: float,
              ok: np.ndarray, rng: np.random.Generator, tries: int = 60) -> list[np.ndarray]:
        habit = HABITS[kind]
        g = self.g
        got = list(got)
        near = self._obstacles_near(clusters.mean(axis=0), sigma * 3 + 10.0)
        for _ in range(tries * count):
            if len(got) >= count:
                break
            c = clusters[int(rng.integers(len(clusters)))]
            p = c + rng.normal(0.0, sigma, 2)
            if not (2.0 <= p[0] <= self.size_m - 2.0 and 2.0 <= p[1] <= self.size_m - 2.0):
                continue
            j, i = int(round(p[0] / g.cell_m)), int(round(p[1] / g.cell_m))
            if not ok[i, j]:
                continue
            if got and np.min(np.hypot(*(np.asarray(got) - p).T)) < habit.spacing_m:
                continue
            if any(np.hypot(*(q - p)) < rr + habit.spacing_m for q, rr in self._taken_near(p)):
                continue
            if len(near) and (np.hypot(near[:, 0] - p[0], near[:, 1] - p[1]) < near[:, 2] * habit.tree_clear_m / 2.5
                              ).any():
                continue
            got.append(p)
        return got

    def _obstacles_near(self, c: np.ndarray, reach: float) -> np.ndarray:
        o = self.obstacles
        return o[np.hypot(o[:, 0] - c[0], o[:, 1] - c[1]) < reach] if len(o) else o

    def _taken_near(self, p: np.ndarray) -> list[tuple[np.ndarray, float]]:
        return [(q, r) for q, r in self.taken if abs(q[0] - p[0]) < 8 and abs(q[1] - p[1]) < 8]

    def take(self, pts: np.ndarray, spacing: float) -> None:
        """Positions a later herd keeps `spacing` from."""
        self.taken += [(p, spacing / 2) for p in pts]

    def surface(self, pts: np.ndarray, kind: str) -> np.ndarray:
        """Where each animal stands: the ground, or the water's surface for a swimmer."""
        z = self.g.height(pts).astype(np.float64)
        if kind == "duck":
            j = np.clip(np.rint(pts[:, 0] / self.g.cell_m).astype(int), 0, self.g.n - 1)
            i = np.clip(np.rint(pts[:, 1] / self.g.cell_m).astype(int), 0, self.g.n - 1)
            level = self.water_hw[i, j].astype(np.float64)
            z = np.where(np.isfinite(level), level - 0.04, z)
        return z


def _disk(rng: np.random.Generator, n: int, r: float) -> np.ndarray:
    a = rng.uniform(0.0, 2 * math.pi, n)
    d = r * np.sqrt(rng.uniform(0.0, 1.0, n))
    out = np.column_stack([d * np.cos(a), d * np.sin(a)])
    out[0] = 0.0  # one cluster at the herd's own centre
    return out


def paddock_cells(inst: dict[str, np.ndarray], g: Ground) -> np.ndarray:
    """Cells inside the world's paddocks (rings of fence spans), all False where there are none."""
    names = np.array(INSTANCE_KINDS)[inst["inst_kind"].astype(int)] if len(inst["inst_kind"]) else np.zeros(0)
    fences = inst["inst_xyz"][:, :2].astype(np.float64)[names == "fence"]
    inside = _paddock(fences, g) if len(fences) >= 6 else None
    return inside if inside is not None else np.zeros(g.h.shape, bool)


def _paddock(fences: np.ndarray, g: Ground) -> np.ndarray | None:
    """Cells inside a ring of fence spans (gaps of a gate or two closed), at least a metre from the fence."""
    n = g.n
    mask = np.zeros((n, n), np.uint8)
    ij = np.clip(np.rint(fences[:, ::-1] / g.cell_m).astype(int), 0, n - 1)
    mask[ij[:, 0], ij[:, 1]] = 1
    close = max(3, int(round(7.0 / g.cell_m)) | 1)
    ring = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close)))
    ring = cv2.erode(ring, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (max(1, close - 4) | 1,) * 2))
    inside = ndimage.binary_fill_holes(ring.astype(bool)) & ~ring.astype(bool)
    if inside.sum() * g.cell_m ** 2 < 60.0:  # a ring with wider gaps (a span left off on a path, a footprint):
        inside = _hulls(ij, n, g.cell_m) & ~ring.astype(bool)  # what its runs of fence enclose
    return inside if inside.sum() * g.cell_m ** 2 >= 60.0 else None


#: fence posts this close (m) belong to one paddock's fence; a paddock's fence runs round at least this share of
#: its hull's outline (fences along a lane or a field's one side enclose nothing)
PADDOCK_LINK_M, PADDOCK_RUN_SHARE = 14.0, 0.6


def _hulls(ij: np.ndarray, n: int, cell_m: float) -> np.ndarray:
    """Cells inside the convex hull of each group of fence spans that runs round most of that hull."""
    mask = np.zeros((n, n), np.uint8)
    mask[ij[:, 0], ij[:, 1]] = 1
    k = max(3, int(round(PADDOCK_LINK_M / cell_m)) | 1)
    groups, count = ndimage.label(cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) > 0)
    owner = groups[ij[:, 0], ij[:, 1]]
    out = np.zeros((n, n), np.uint8)
    for label in range(1, count + 1):
        pts = ij[owner == label][:, ::-1].astype(np.int32)
        if len(pts) < 6:
            continue
        hull = cv2.convexHull(pts)
        outline = cv2.arcLength(hull, True) * cell_m
        if outline <= 0 or len(pts) * 2.5 < PADDOCK_RUN_SHARE * outline:  # spans are ~2.5 m each
            continue
        cv2.fillPoly(out, [hull], 1)
    return out.astype(bool)
