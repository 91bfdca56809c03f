"""Named props where they make sense: crates and barrels stacked in clusters beside buildings and roads, fence
lines of posts and rails round fields, paddocks and arenas, and flower fields as dense rows or patches of blooms.

Everything here draws from the world's "yard" stage RNG (generate/world.py), so adding props leaves the rest of
a world as it was.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..state.records import Route, Structure
from .scatter import KIND, Ground, Instances
from .terrain import MAT

#: a fence instance (render/meshes.py _fence) is one span of rails between two posts, this long
FENCE_SPAN_M = 2.5
#: crates stand this far apart in a cluster (a crate is 1 m), barrels (0.8 m across) this far
CRATE_PITCH_M, BARREL_PITCH_M = 1.08, 0.9
#: props per cluster (a stack by a door, a pile by the road)
CLUSTER_MOST = 8
#: props on open ground gather this far (m) from the world's flat middle
OPEN_OFFSET_M = 14.0
#: harbour decks crates and barrels are stacked on (first the quay), and the order they are used in
DECKS = {"quay": 0, "pier": 1}
#: buildings that crates and barrels stand beside, and that fields and paddocks lie next to
YARD_KINDS = ("house", "cabin", "windmill", "ruins", "tower", "lighthouse", "church")
#: prompt words for a round enclosure rather than a field's rectangle
RING_WORDS = re.compile(r"\b(?:arena|arenas|ring|ringed|corral|corrals|round ?pen|circle|circled|encircled)\b")
#: prompt words that spread props out instead of piling them
SCATTER_WORDS = re.compile(r"\b(?:scattered|strewn|spread|littered|dotted)\b")
#: flower words (and their plurals) that ask for flowers one can see: fields of them, not a few in the grass
#: (trees "in bloom" or "flowering" are blossom on the trees: render/meshes.py tree looks)
FLOWER_WORDS = re.compile(
    r"\b(?<!in )(?:flowers?|wild ?flowers?|lavenders?|tulips?|popp(?:y|ies)|daisy|daisies|sunflowers?|bluebells?)\b")
#: cultivated flowers grow in rows; the rest in patches
ROW_WORDS = re.compile(r"\b(?:lavenders?|tulips?|sunflowers?|fields?|rows?|farm|farms|plantation)\b")
#: flower rows: metres between rows, between plants along a row
ROW_PITCH_M, PLANT_PITCH_M = 1.7, 0.8
#: a wildflower patch: metres between plants
PATCH_PITCH_M = 0.9
#: flower fields may take at most this share of a world's instance budget
FLOWER_BUDGET = 0.3


def wants_flowers(spec_text: str) -> bool:
    """Whether the prompt names flowers (as opposed to the few a biome grows by default)."""
    return bool(FLOWER_WORDS.search(spec_text.lower()))


# ----------------------------------------------------------------------------------------- crates and barrels


def place_crates_and_barrels(g: Ground, counts: dict[str, int], structures: list[Structure], roads: list[Route],
                             *, size_m: float, text: str, rng: np.random.Generator, out: Instances) -> None:
    """Exactly the asked number of crates and barrels (where the ground allows), in clusters of a few: beside
    the buildings nearest the settlement's middle, else by the road's middle stretch, else round the world's
    middle; with "scattered" the clusters are smaller and farther apart."""
    crates, barrels = int(counts.get("crates", 0)), int(counts.get("barrels", 0))
    total = crates + barrels
    if total <= 0:
        return
    spread = bool(SCATTER_WORDS.search(text.lower()))
    per = 3 if spread else CLUSTER_MOST
    n_clusters = max(1, math.ceil(total / per))
    spots = _cluster_spots(g, structures, roads, n_clusters, size_m=size_m, spread=spread, rng=rng)
    kinds = _mix(crates, barrels, n_clusters)
    for (x, y, yaw, deck), members in zip(spots, kinds, strict=False):
        _pile(g, x, y, yaw, members, rng, out, deck_z=deck)


def _mix(crates: int, barrels: int, clusters: int) -> list[list[str]]:
    """The props of each cluster: crates and barrels dealt out in turn, so each pile has some of both."""
    items = ["crate"] * crates + ["barrel"] * barrels
    order = np.argsort(np.r_[np.arange(crates) / max(crates, 1), np.arange(barrels) / max(barrels, 1)], kind="stable")
    items = [items[int(k)] for k in order]
    return [items[k::clusters] for k in range(clusters)]


def _cluster_spots(g: Ground, structures: list[Structure], roads: list[Route], count: int, *, size_m: float,
                   spread: bool, rng: np.random.Generator) -> list[tuple[float, float, float, float | None]]:
    """(x, y, yaw, deck height or None) of each cluster: on a harbour's quay or pier deck, against a
    building's wall on its road side, else at a road's edge, else on open ground round the middle."""
    road_xy = np.concatenate([r.points_n3[:, :2] for r in roads]) if roads else np.zeros((0, 2))
    out: list[tuple[float, float, float, float | None]] = []
    for k, s in enumerate(sorted((s for s in structures if s.kind in DECKS), key=lambda s: (DECKS[s.kind], s.id))):
        if len(out) < count:
            out.append(_on_deck(s, k, rng))
    yards = _central([s for s in structures if s.kind in YARD_KINDS])
    for k in range(count * 4):
        if len(out) >= count or not yards:
            break
        s = yards[k % len(yards)]
        spot = _beside(g, s, road_xy, k // len(yards), rng)
        if spot is not None:
            out.append((*spot, None))
    if len(out) < count and len(road_xy):
        out += [(*p, None) for p in _road_side(g, road_xy, count - len(out), size_m, rng)]
    if len(out) < count:
        out += [(*p, None) for p in _open_ground(g, count - len(out), size_m, 40.0 if spread else 14.0, rng)]
    return out


def _on_deck(s: Structure, k: int, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """A spot on a quay's deck (its landward half) or a pier's, along its length; the deck's height."""
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    u = float(rng.uniform(-0.3, 0.3)) * s.w + (k % 2) * 0.15 * s.w
    v = s.d / 4 if s.kind == "quay" else 0.0
    return s.x + u * c - v * sn, s.y + u * sn + v * c, s.yaw, s.z + s.h


def _central(buildings: list[Structure]) -> list[Structure]:
    """Buildings nearest their own middle first (where a shot of the settlement looks)."""
    if not buildings:
        return []
    mid = np.mean([[s.x, s.y] for s in buildings], axis=0)
    return sorted(buildings, key=lambda s: (round(math.hypot(s.x - mid[0], s.y - mid[1]), 3), s.id))


def _beside(g: Ground, s: Structure, road_xy: np.ndarray, turn: int,
            rng: np.random.Generator) -> tuple[float, float, float] | None:
    """A spot 3 m out from one of a building's walls (first the one facing the nearest road), free ground."""
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    sides = [(0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)]
    if len(road_xy):
        near = road_xy[int(np.argmin(np.hypot(*(road_xy - (s.x, s.y)).T)))]
        lx, ly = (near[0] - s.x) * c + (near[1] - s.y) * sn, -(near[0] - s.x) * sn + (near[1] - s.y) * c
        sides.sort(key=lambda d: -(d[0] * lx + d[1] * ly))
    for k in range(4):
        ax, ay = sides[(turn + k) % 4]
        along = float(rng.uniform(-0.3, 0.3))
        lx = ax * (s.w / 2 + 3.2) + ay * along * s.w
        ly = ay * (s.d / 2 + 3.2) + ax * along * s.d
        x, y = s.x + lx * c - ly * sn, s.y + lx * sn + ly * c
        if _free(g, np.array([[x, y]]))[0]:
            return x, y, s.yaw
    return None


def _road_side(g: Ground, road_xy: np.ndarray, count: int, size_m: float,
               rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Spots just off the road's edge along its middle stretch."""
    mid = np.full(2, size_m / 2)
    order = np.argsort(np.hypot(*(road_xy - mid).T), kind="stable")
    out: list[tuple[float, float, float]] = []
    for k in order[:: max(1, len(order) // (4 * count + 1))]:
        a, b = road_xy[max(int(k) - 1, 0)], road_xy[min(int(k) + 1, len(road_xy) - 1)]
        d = b - a
        yaw = math.atan2(d[1], d[0])
        side = 1.0 if rng.random() < 0.5 else -1.0
        xy = road_xy[int(k)] + side * 5.5 * np.array([-math.sin(yaw), math.cos(yaw)])
        if _free(g, xy[None])[0]:
            out.append((float(xy[0]), float(xy[1]), yaw))
        if len(out) >= count:
            break
    return out


def _open_ground(g: Ground, count: int, size_m: float, reach_m: float,
                 rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Spots on free, gentle ground within `reach_m` of a place OPEN_OFFSET_M from the flattest free place near
    the world's middle (the middle itself is left for what is set down there: an imported product)."""
    turn = float(rng.uniform(0, 2 * math.pi))
    centre = _flat_middle(g, size_m) + OPEN_OFFSET_M * np.array([math.cos(turn), math.sin(turn)])
    out: list[tuple[float, float, float]] = []
    for _ in range(count * 30):
        if len(out) >= count:
            break
        a, r = rng.uniform(0, 2 * math.pi), reach_m * math.sqrt(rng.random()) if out else 0.0
        xy = centre + r * np.array([math.cos(a), math.sin(a)])
        if _free(g, xy[None])[0] and all(math.hypot(xy[0] - p[0], xy[1] - p[1]) > 5.0 for p in out):
            out.append((float(xy[0]), float(xy[1]), float(rng.uniform(-math.pi, math.pi))))
    return out


def _flat_middle(g: Ground, size_m: float) -> np.ndarray:
    """The free cell of gentle slope nearest the world's middle (on a coarse grid)."""
    step = max(1, g.n // 128)
    ii, jj = np.mgrid[0:g.n:step, 0:g.n:step]
    ok = ~g.blocked[ii, jj] & (g.slope[ii, jj] < 0.25)
    c = size_m / 2
    dist = np.hypot(jj * g.cell_m - c, ii * g.cell_m - c) + np.where(ok, 0.0, 1e9)
    k = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return np.array([jj[k] * g.cell_m, ii[k] * g.cell_m], np.float64)


def _free(g: Ground, xy: np.ndarray) -> np.ndarray:
    """Points on dry land, off roads and footprints, not on a steep face, inside the world."""
    inside = np.all((xy > 2.0) & (xy < (g.n - 3) * g.cell_m), axis=1)
    i, j = g.cells(xy)
    return inside & ~g.blocked[i, j] & (g.slope[i, j] < 0.45)


def _pile(g: Ground, x: float, y: float, yaw: float, members: list[str], rng: np.random.Generator,
          out: Instances, deck_z: float | None = None) -> None:
    """One cluster: crates side by side in a row with a second tier on them (half of the crates), barrels in
    two rows beside them."""
    c, s = math.cos(yaw), math.sin(yaw)
    crates = [k for k in members if k == "crate"]
    barrels = [k for k in members if k == "barrel"]
    base = max(1, math.ceil(len(crates) / 2)) if crates else 0
    spots: list[tuple[str, float, float, float]] = []
    for k in range(len(crates)):  # the bottom tier along the wall, then the top tier on it
        tier, at = (0, k) if k < base else (1, k - base)
        spots.append(("crate", (at - (base - 1) / 2) * CRATE_PITCH_M + 0.3 * tier, 0.0, 1.0 * tier))
    start = (base + 1) / 2 * CRATE_PITCH_M if crates else -(len(barrels) - 1) / 4 * BARREL_PITCH_M
    for k in range(len(barrels)):  # two rows of barrels at the pile's end
        spots.append(("barrel", start + (k // 2) * BARREL_PITCH_M, (k % 2 - 0.5) * BARREL_PITCH_M * (len(barrels) > 1),
                      0.0))
    if not spots:
        return
    local = np.array([(u, v) for _, u, v, _ in spots], np.float64) + rng.uniform(-0.05, 0.05, (len(spots), 2))
    xy = np.column_stack([x + local[:, 0] * c - local[:, 1] * s, y + local[:, 0] * s + local[:, 1] * c])
    ground = g.height(xy) - np.float32(0.04) if deck_z is None else np.full(len(xy), deck_z, np.float32)
    z = ground + np.array([t for *_, t in spots], np.float32)
    kind = np.array([KIND[k] for k, *_ in spots])
    turn = np.where(kind == KIND["crate"], yaw + rng.uniform(-0.12, 0.12, len(spots)), rng.uniform(0, 2 * np.pi, len(spots)))
    out.add(kind, np.column_stack([xy, z]), turn, rng.uniform(0.92, 1.08, len(spots)))


# ----------------------------------------------------------------------------------------------- fences


def place_fences(g: Ground, structures: list[Structure], *, size_m: float, text: str, rng: np.random.Generator,
                 out: Instances) -> np.ndarray:
    """Fence lines of spans between posts: paddocks and fields beside the dwellings (the nearest the middle
    first), an enclosure round a lone ruin or tower, or a ring round the world's middle (an arena, a corral)
    where no building stands. Spans on roads, water or footprints are left out (gates and gaps). Returns the
    fences' own (x, y) corners for others to keep clear of."""
    ring = bool(RING_WORDS.search(text.lower()))
    dwellings = _central([s for s in structures if s.kind in ("house", "cabin", "windmill")])
    others = _central([s for s in structures if s.kind in YARD_KINDS and s.kind not in ("house", "cabin", "windmill")])
    lines: list[np.ndarray] = []
    if dwellings and not ring:
        mid = np.mean([[s.x, s.y] for s in dwellings], axis=0)
        for s in dwellings[:3]:
            lines.append(_paddock(s, mid, rng))
    elif others and not ring:
        for s in others[:2]:
            lines.append(_enclosure(s))
    elif ring:  # an arena, a corral: round the first building, else round the open middle
        first = (dwellings or others)[:1]
        centre = np.array([first[0].x, first[0].y]) if first else _flat_middle(g, size_m)
        lines.append(_circle(centre, 22.0 if first else float(rng.uniform(18.0, 26.0))))
    else:  # a paddock on open ground: a field's rectangle about the middle
        c = _flat_middle(g, size_m)
        lines.append(_rectangle(c[0], c[1], float(rng.uniform(-math.pi, math.pi)), float(rng.uniform(16.0, 24.0)),
                                float(rng.uniform(11.0, 16.0))))
    broken = 0.25 if any(s.kind == "ruins" for s in structures) and not dwellings else 0.0
    placed = [_spans(g, line, broken, rng, out) for line in lines]
    return np.concatenate(placed) if placed else np.zeros((0, 2))


def _paddock(s: Structure, mid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A field's rectangle (22-40 m by 16-28 m) beside a building, on its side away from the settlement's
    middle, its near edge 6 m from the wall, turned with the building."""
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    away = np.array([s.x, s.y]) - mid
    lx, ly = away[0] * c + away[1] * sn, -away[0] * sn + away[1] * c
    if abs(lx) < 1e-6 and abs(ly) < 1e-6:
        lx = 1.0
    ax, ay = (math.copysign(1.0, lx), 0.0) if abs(lx) >= abs(ly) else (0.0, math.copysign(1.0, ly))
    long, short = float(rng.uniform(22.0, 40.0)), float(rng.uniform(16.0, 28.0))
    reach = (s.w if ax else s.d) / 2 + 6.0
    cu, cv = ax * (reach + short / 2), ay * (reach + short / 2)
    hu, hv = (short / 2, long / 2) if ax else (long / 2, short / 2)
    return _rectangle(s.x + cu * c - cv * sn, s.y + cu * sn + cv * c, s.yaw, hu, hv)


def _rectangle(x: float, y: float, yaw: float, hu: float, hv: float) -> np.ndarray:
    """A closed rectangle of half-sides hu, hv round (x, y), turned by yaw."""
    c, sn = math.cos(yaw), math.sin(yaw)
    corners = [(-hu, -hv), (hu, -hv), (hu, hv), (-hu, hv), (-hu, -hv)]
    return np.array([(x + u * c - v * sn, y + u * sn + v * c) for u, v in corners], np.float64)


def _enclosure(s: Structure) -> np.ndarray:
    """A rectangle 7 m outside a building's footprint."""
    return _rectangle(s.x, s.y, s.yaw, s.w / 2 + 7.0, s.d / 2 + 7.0)


def _circle(centre: np.ndarray, radius: float) -> np.ndarray:
    """A closed ring of spans round `centre`."""
    k = max(12, int(round(2 * math.pi * radius / FENCE_SPAN_M)))
    a = np.linspace(0.0, 2 * math.pi, k + 1)
    return np.column_stack([centre[0] + radius * np.cos(a), centre[1] + radius * np.sin(a)])


def _spans(g: Ground, line: np.ndarray, broken: float, rng: np.random.Generator, out: Instances) -> np.ndarray:
    """Fence spans end to end along a polyline (each side cut into whole spans), the ones on blocked ground
    left out, a `broken` share of the rest missing."""
    mids, yaws = [], []
    for a, b in zip(line[:-1], line[1:], strict=True):
        d = b - a
        length = float(np.hypot(*d))
        k = max(1, int(round(length / FENCE_SPAN_M)))
        t = (np.arange(k) + 0.5) / k
        mids.append(a + t[:, None] * d)
        yaws.append(np.full(k, math.atan2(d[1], d[0])))
    xy, yaw = np.concatenate(mids), np.concatenate(yaws)
    keep = _free(g, xy)
    if broken > 0:
        keep &= rng.random(len(xy)) >= broken
    xy, yaw = xy[keep], yaw[keep]
    span = np.array([np.hypot(*(b - a)) / max(1, int(round(np.hypot(*(b - a)) / FENCE_SPAN_M)))
                     for a, b in zip(line[:-1], line[1:], strict=True)])
    stretch = float(np.clip(np.median(span) / FENCE_SPAN_M, 0.8, 1.25)) if len(span) else 1.0
    out.add(np.full(len(xy), KIND["fence"]), np.column_stack([xy, g.height(xy) - np.float32(0.05)]), yaw,
            np.full(len(xy), stretch))
    return xy


# ----------------------------------------------------------------------------------------------- flowers


def lay_flower_fields(g: Ground, text: str, structures: list[Structure], roads: list[Route], *, size_m: float,
                      budget: int, rng: np.random.Generator, out: Instances) -> np.ndarray:
    """Fields of flowers the prompt names: rows (lavender, tulips, "fields of") or wildflower patches, beside
    the dwellings when there are some (a farmhouse in its lavender), else along the road's middle stretch, else
    round the middle of the world. Marks nothing; returns the cells (bool mask) the fields cover, for trees to
    keep out of."""
    covered = np.zeros(g.h.shape, bool)
    if not wants_flowers(text) or budget <= 0:
        return covered
    rows = bool(ROW_WORDS.search(text.lower()))
    homes = _central([s for s in structures if s.kind in YARD_KINDS])
    centres = _field_centres(g, homes, size_m, rng) if homes or not roads else _along_road(roads, size_m)
    per = max(1, budget // max(len(centres), 1))
    for cx, cy, yaw in centres:
        xy = _rows(cx, cy, yaw, rng) if rows else _patch(cx, cy, rng)
        xy = xy[_free(g, xy) & _soft(g, xy)][:per]
        if not len(xy):
            continue
        i, j = g.cells(xy)
        covered[i, j] = True
        out.add(np.full(len(xy), KIND["flower"]), np.column_stack([xy, g.height(xy) - np.float32(0.05)]),
                rng.uniform(0, 2 * np.pi, len(xy)), rng.uniform(1.25, 1.6, len(xy)))
    return covered


def _field_centres(g: Ground, homes: list[Structure], size_m: float,
                   rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Where the fields lie: round the first dwellings (the field beyond each, turned with it), else three
    fields about the flattest free middle."""
    if homes:
        mid = np.mean([[s.x, s.y] for s in homes], axis=0)
        out = []
        for s in homes[:3]:
            away = np.array([s.x, s.y]) - mid
            a = math.atan2(away[1], away[0]) if np.hypot(*away) > 1.0 else float(rng.uniform(-math.pi, math.pi))
            d = 12.0 + max(s.w, s.d) + 22.0
            out.append((s.x + d * math.cos(a), s.y + d * math.sin(a), s.yaw))
        return out
    c = _flat_middle(g, size_m)
    turn = float(rng.uniform(-math.pi, math.pi))
    return [(float(c[0] + 55.0 * math.cos(turn + k * 2.1)), float(c[1] + 55.0 * math.sin(turn + k * 2.1)), turn)
            for k in range(3)] + [(float(c[0]), float(c[1]), turn)]


def _along_road(roads: list[Route], size_m: float) -> list[tuple[float, float, float]]:
    """Fields either side of the road's most inland stretch, turned with it, every 60 m along it."""
    pts = max(roads, key=lambda r: len(r.points_n3)).points_n3[:, :2].astype(np.float64)
    inner = int(np.argmax(np.minimum(pts, size_m - pts).min(axis=1)))
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    out = []
    for k, step in enumerate((0.0, 60.0, -60.0, 120.0)):
        i = int(np.clip(np.searchsorted(walked, walked[inner] + step), 1, len(pts) - 2))
        d = pts[i + 1] - pts[i - 1]
        yaw = math.atan2(d[1], d[0])
        side = 26.0 if k % 2 == 0 else -26.0
        out.append((float(pts[i, 0] - side * math.sin(yaw)), float(pts[i, 1] + side * math.cos(yaw)), yaw))
    return out


def _rows(cx: float, cy: float, yaw: float, rng: np.random.Generator) -> np.ndarray:
    """Plants along parallel rows over a 40-56 m by 30-42 m field."""
    long, wide = float(rng.uniform(40.0, 56.0)), float(rng.uniform(30.0, 42.0))
    u = np.arange(-long / 2, long / 2, PLANT_PITCH_M)
    v = np.arange(-wide / 2, wide / 2, ROW_PITCH_M)
    uu, vv = np.meshgrid(u, v, indexing="xy")
    uu = uu + rng.uniform(-0.12, 0.12, uu.shape)
    c, s = math.cos(yaw), math.sin(yaw)
    return np.column_stack([(cx + uu * c - vv * s).ravel(), (cy + uu * s + vv * c).ravel()])


def _patch(cx: float, cy: float, rng: np.random.Generator) -> np.ndarray:
    """A ragged round patch of wildflowers 18-30 m across, densest in its middle."""
    r = float(rng.uniform(18.0, 30.0))
    k = int(r * 2 / PATCH_PITCH_M)
    g = (np.arange(k) - (k - 1) / 2) * PATCH_PITCH_M
    xx, yy = np.meshgrid(g, g, indexing="xy")
    xy = np.column_stack([xx.ravel(), yy.ravel()]) + rng.uniform(-0.4, 0.4, (k * k, 2))
    bearing = np.arctan2(xy[:, 1], xy[:, 0])
    edge = r * (0.8 + 0.2 * np.sin(3 * bearing + rng.uniform(0, 6.3)) + 0.1 * np.sin(5 * bearing))
    d = np.hypot(xy[:, 0], xy[:, 1])
    keep = rng.random(len(xy)) < np.clip(1.3 - d / edge, 0.0, 1.0)
    return xy[keep] + (cx, cy)


def _soft(g: Ground, xy: np.ndarray) -> np.ndarray:
    """Points on ground where flowers grow (grass, forest floor, dirt)."""
    i, j = g.cells(xy)
    return np.isin(g.material[i, j], [MAT["grass"], MAT["forest_floor"], MAT["dirt"]])

