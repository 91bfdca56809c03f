"""Named rock: what the prompt's rock words put into the world, where a still can show it.

- boulders, rocks, stones (plural): a boulder field of readable size on open ground by the world's focus (the
  buildings' middle, else the world's), on a ring when the prompt says "ringed" or "circle";
- rock spires, pinnacles, hoodoos, sea stacks, outcrops, tors: pillars and knolls of bare rock raised in the
  heightfield (sea stacks standing in the sea off the nearest shore);
- "a plain of grey rock", "rocky ground", "lava rock", "bare rock": the ground itself is rock, in broad sheets;
- "a rocky coast", "rocky shore", "rocky headland": the beach is rock, boulders line the waterline.

The words are read from the spec's text and matches (negated mentions drop out), so every kind of prompt that
names them gets them, with its own counts and its own seed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from ..prompt.spec import WorldSpec
from ..state.records import Route, Structure
from .scatter import KIND, Ground, Instances
from .terrain import MAT, fbm

F32 = np.float32

_BOULDERS = re.compile(r"\b(?:boulders?|rocks|stones|pebbles|boulder[- ]strewn|rock[- ]strewn|rubble)\b")
_RING = re.compile(r"\b(?:ringed|ring|circle|circled|encircled|surrounded)\b")
_SPIRES = re.compile(r"\b(?:(?<!church )(?<!chapel )(?<!cathedral )spires?|pinnacles?|hoodoos?|monoliths?|"
                     r"(?:rock|sandstone|granite|basalt|limestone) (?:towers?|pillars?|columns?|formations?|needles?|"
                     r"arch(?:es)?)|(?:pillars?|towers?|columns?) of (?:rock|stone))\b")
_STACKS = re.compile(r"\b(?:sea ?stacks?|stacks?|skerr(?:y|ies)|sea (?:pillars?|rocks?))\b")
_OUTCROPS = re.compile(r"\b(?:outcrops?|outcroppings?|tors|knolls? of rock|buttes?)\b")
_GROUND = re.compile(r"\b(?:(?:plains?|fields?|sheets?|ground|desert|plateau|expanse|landscape|wasteland|floor) of "
                     r"(?:\w+ )?(?:rock|stone|basalt|granite|slate)|rocky (?:ground|plain|plateau|desert|terrain|"
                     r"landscape|wasteland|moor|hillside|slopes?|field)|stony (?:ground|plain|desert|field)|"
                     r"(?:lava|bare|volcanic|grey|gray|black|naked|barren) rock|moon-?like|lunar|rock ?fields?)\b")
_SHORE = re.compile(r"\b(?:rocky|rock[- ]bound|craggy|stony) (?:coast(?:line)?|shores?|headlands?|beach(?:es)?|"
                    r"cove|bay|seashore|shoreline|point|islands?)\b")
_NEGATION = re.compile(r"\b(?:no|without|not|never|nor)\b")


@dataclass(kw_only=True, slots=True, frozen=True)
class RockAsk:
    """What rock the prompt names."""

    boulders: int = 0  # how many boulders in the field (0: none)
    ring: bool = False
    spires: int = 0  # rock pillars on land
    stacks: int = 0  # sea stacks
    outcrops: int = 0  # low knolls of bare rock
    ground: bool = False
    shore: bool = False
    cliffs: bool = False  # a cliff coast ("a cliffside road above the bay"): its top's edge is bare rock

    @property
    def any(self) -> bool:
        return bool(self.boulders or self.spires or self.stacks or self.outcrops or self.ground or self.shore
                    or self.cliffs)


def _clauses(text: str) -> list[str]:
    """The prompt's clauses, those that negate ("no rocks") left out."""
    return [c for c in re.split(r"[,;.]| but | and no ", text.lower()) if not _NEGATION.search(c)]


def read_rock(spec: WorldSpec) -> RockAsk:
    """The rock features a spec's prompt names."""
    return read_rock_of(spec.text, spec.matches, int(spec.props.get("rocks", 0)),
                        sea=spec.shore != "none" or "ocean" in spec.water, cliffs=spec.modifiers.get("shore") == "cliffs")


def read_rock_of(text: str, matches: list[dict], count: int, *, sea: bool, cliffs: bool = False) -> RockAsk:
    """The rock features a prompt's text names, given its concept matches, its rock count, whether it has a
    sea and whether its shore is cliffs (world.spec holds them all)."""
    text = " ".join(_clauses(text))
    named = any(m.get("concept") == "rocks" and not m.get("negated") for m in matches)
    plural = named and bool(_BOULDERS.search(text))
    stacks = bool(_STACKS.search(text)) and sea
    spires, outcrops = _SPIRES.search(text), _OUTCROPS.search(text)
    return RockAsk(boulders=int(np.clip(count, 28, 48)) if plural else 0, ring=plural and bool(_RING.search(text)),
                   spires=_how_many(spires, 5) if not stacks else 0,
                   stacks=_how_many(_STACKS.search(text), 4) if stacks else 0,
                   outcrops=_how_many(outcrops, 4), ground=bool(_GROUND.search(text)),
                   shore=sea and bool(_SHORE.search(text) or (named and re.search(r"\brocky\b", text))),
                   cliffs=sea and cliffs)


def _how_many(found: re.Match[str] | None, several: int) -> int:
    """How many formations a matched phrase asks for: one for a singular ("a lone spire"), else `several`."""
    if found is None:
        return 0
    head = found.group(0).split()[0 if " of " in found.group(0) else -1]
    return several if head.endswith(("s", "ies")) else 1


# --------------------------------------------------------------------------------------------- relief

#: (radius m, height m) ranges of a rock spire, a sea stack, an outcrop
SPIRE = ((7.0, 13.0), (28.0, 60.0))
STACK = ((8.0, 15.0), (22.0, 42.0))
OUTCROP = ((12.0, 22.0), (6.0, 14.0))
#: a group of spires stands within this many metres of its focus
GROUP_M = 110.0


def raise_rock(h: np.ndarray, ask: RockAsk, rng: np.random.Generator, *, cell_m: float,
               sea_level: float | None) -> np.ndarray:
    """Spires, sea stacks and outcrops raised into `h` (in place); bool n x n of the cells that are bare rock."""
    n = h.shape[0]
    rock = np.zeros((n, n), bool)
    jobs = [(ask.spires, SPIRE, False), (ask.outcrops, OUTCROP, False), (ask.stacks, STACK, True)]
    for count, (radius, height), at_sea in jobs:
        if count <= 0:
            continue
        centres = _sites(h, count, rng, cell_m=cell_m, sea_level=sea_level, at_sea=at_sea, spread=radius[1] * 2.2)
        for cx, cy in centres:
            _pillar(h, rock, cx, cy, float(rng.uniform(*radius)), float(rng.uniform(*height)), rng, cell_m=cell_m,
                    flare=0.35 if not at_sea else 0.1, knoll=radius is OUTCROP[0],
                    floor=sea_level if at_sea and sea_level is not None else None)
    return rock


def _sites(h: np.ndarray, count: int, rng: np.random.Generator, *, cell_m: float, sea_level: float | None,
           at_sea: bool, spread: float) -> list[tuple[float, float]]:
    """Centres (m) for `count` features: on gentle dry land near the world's middle, or in the sea a few tens of
    metres off the shore nearest it (sea stacks), at least `spread` metres apart."""
    n = h.shape[0]
    step = max(1, n // 128)
    hc = h[::step, ::step]
    m = step * cell_m
    size = (n - 1) * cell_m
    ii, jj = np.indices(hc.shape)
    xy = np.stack([jj * m, ii * m], axis=-1).reshape(-1, 2)
    mid = np.hypot(*(xy - size / 2).T)
    inner = np.minimum(xy, size - xy).min(axis=1) > 0.15 * size
    if at_sea and sea_level is not None:
        wet = hc < F32(sea_level - 3.0)
        land_d = cv2.distanceTransform((wet * 255).astype(np.uint8), cv2.DIST_L2, 5).reshape(-1) * m
        ok = wet.reshape(-1) & (land_d > 18.0) & (land_d < 90.0) & inner
        rank = mid + 3.0 * land_d
    else:
        gy, gx = np.gradient(hc, m)
        dry = hc > F32(sea_level + 2.0) if sea_level is not None else np.ones(hc.shape, bool)
        ok = (dry & (np.hypot(gx, gy) < 0.35)).reshape(-1) & inner
        rank = mid
    if not ok.any():
        return []
    order = np.argsort(np.where(ok, rank + rng.uniform(0, 40.0, len(rank)), np.inf), kind="stable")
    first = xy[order[0]]
    picked: list[np.ndarray] = []
    for k in order:
        if not ok[k] or len(picked) >= count:
            break
        p = xy[k]
        if np.hypot(*(p - first)) > GROUP_M + spread * count / 2:
            continue
        if all(np.hypot(*(p - q)) >= spread for q in picked):
            picked.append(p)
    return [(float(p[0]), float(p[1])) for p in picked]


def _pillar(h: np.ndarray, rock: np.ndarray, cx: float, cy: float, r: float, tall: float,
            rng: np.random.Generator, *, cell_m: float, flare: float, knoll: bool, floor: float | None = None) -> None:
    """One pillar of rock: sheer, lumpy sides, a gently domed top and a flared foot of scree, raised from the
    lowest ground under it (from `floor`, the sea's surface, for a sea stack)."""
    n = h.shape[0]
    reach = r * 2.2
    i0, i1 = max(0, int((cy - reach) / cell_m)), min(n, int((cy + reach) / cell_m) + 2)
    j0, j1 = max(0, int((cx - reach) / cell_m)), min(n, int((cx + reach) / cell_m) + 2)
    if i1 <= i0 or j1 <= j0:
        return
    ii, jj = np.mgrid[i0:i1, j0:j1]
    dx, dy = jj * cell_m - cx, ii * cell_m - cy
    angle = np.arctan2(dy, dx)
    lobes = sum(float(rng.uniform(0.04, 0.1)) * np.cos(k * angle + float(rng.uniform(0, 2 * math.pi)))
                for k in (2, 3, 5))
    rn = (np.hypot(dx, dy) / r / (1.0 + lobes)).astype(F32)
    base = float(h[i0:i1, j0:j1].min()) if floor is None else float(floor)
    edge = (0.55, 1.0) if knoll else (0.86, 1.0)
    t = np.clip((rn - edge[0]) / (edge[1] - edge[0]), 0, 1)
    body = (1.0 - t * t * (3 - 2 * t)) * (1.0 - 0.12 * rn * rn)
    foot = flare * np.clip(1.0 - (rn - 0.8) / 1.0, 0, 1) ** 2
    shape = np.maximum(body, foot).astype(F32)
    ledges = np.floor(shape * tall / 4.0) * 4.0 + 0.45 * (shape * tall % 4.0)  # ledges a few metres apart
    top = F32(base) + np.where(body > 0.02, ledges, shape * tall).astype(F32)
    h[i0:i1, j0:j1] = np.maximum(h[i0:i1, j0:j1], top)
    rock[i0:i1, j0:j1] |= rn < 1.15


# --------------------------------------------------------------------------------------------- ground

#: share of the gentle land a rocky ground lays bare
GROUND_SHARE = 0.75


def rock_ground(ask: RockAsk, material: np.ndarray, noise_hw: np.ndarray, raised: np.ndarray) -> None:
    """Rock material where the prompt's ground is rock (broad sheets over most of the land, in place), on every
    raised feature, and on a rocky shore's beach."""
    material[raised] = MAT["rock"]
    soft = np.isin(material, [MAT[m] for m in ("grass", "forest_floor", "dirt", "ash", "gravel", "mud")])
    if ask.ground:  # between the sheets scree, where the ground is not bare earth of its own (ash, dirt)
        cut = np.quantile(noise_hw, 1.0 - GROUND_SHARE)
        material[soft & (noise_hw >= cut)] = MAT["rock"]
        green = np.isin(material, [MAT["grass"], MAT["forest_floor"]])
        material[green & (noise_hw < cut)] = MAT["gravel"]


#: a rocky coast's bare rock reaches this far (m) inland from the water; a cliff coast's, over its face (~35 m
#: across, terrain.apply_shore) and its lip
SHORE_M, CLIFF_EDGE_M = 36.0, 80.0
#: and leaves this many metres of its own ground each side of a road
ROAD_VERGE_M = 5.0


def rock_shore(ask: RockAsk, material: np.ndarray, h: np.ndarray, wet: np.ndarray, sea_level: float | None,
               noise_hw: np.ndarray, cell_m: float = 1.0) -> None:
    """A rocky coast: the shore above the waterline is bare rock for SHORE_M, a little beach left in coves."""
    if not (ask.shore or ask.cliffs) or sea_level is None:
        return
    dry = ~wet
    sea_d = cv2.distanceTransform(dry.astype(np.uint8), cv2.DIST_L2, 5) * F32(cell_m)
    near = dry & (sea_d < F32(SHORE_M)) & (h < F32(sea_level + 14.0)) if ask.shore else np.zeros(h.shape, bool)
    if ask.cliffs:  # the face and the lip of the cliff top above it
        near |= dry & (sea_d < F32(CLIFF_EDGE_M)) & (h > F32(sea_level + 3.0))
    coast = np.isin(material, [MAT[m] for m in ("sand", "grass", "forest_floor", "dirt", "gravel")])
    road = (material == MAT["road"]).astype(np.uint8)
    if road.any():  # a verge of the ground's own between a road and the rock, so the road reads against it
        reach = 2 * int(round(ROAD_VERGE_M / max(cell_m, 1e-6))) + 1
        coast &= ~cv2.dilate(road, np.ones((reach, reach), np.uint8)).astype(bool)
    material[near & coast & (noise_hw > -0.35)] = MAT["rock"]


# --------------------------------------------------------------------------------------------- boulders

#: a boulder field's radius (m); its boulders' scale range (x ~3 m at 1)
FIELD_M = 34.0
BOULDER_SCALE = (0.7, 1.9)


def focus(structures: list[Structure], size_m: float) -> tuple[float, float]:
    """Where a still of this world looks: the buildings' middle when there are buildings, else the world's."""
    xy = np.array([[s.x, s.y] for s in structures if s.kind not in ("waterfall", "bridge")], np.float64)
    if not len(xy):
        return size_m / 2, size_m / 2
    mid = np.median(xy, axis=0)
    return float(mid[0]), float(mid[1])


def boulder_field(g: Ground, ask: RockAsk, structures: list[Structure], rivers: list[Route], size_m: float,
                  rng: np.random.Generator, out: Instances) -> None:
    """The named boulders where a still looks: along the banks of the river's middle stretch when there is a
    river and no building ("boulders along a mountain stream"), else a loose field on open ground by the world's
    focus (a ring when the prompt says so); big ones and small ones, half sunk, never on water, roads or
    footprints."""
    if ask.boulders <= 0:
        return
    cand = 8 * ask.boulders
    buildings = any(s.kind not in ("waterfall", "bridge") for s in structures)
    if rivers and not buildings:
        xy = _banks(rivers[0], cand, size_m, rng)
    else:
        cx, cy = focus(structures, size_m)
        offset = FIELD_M * 1.3 if buildings else 0.0
        a = rng.uniform(0, 2 * math.pi, cand)
        r = FIELD_M * (rng.uniform(0.92, 1.08, cand) if ask.ring else np.sqrt(rng.uniform(0.0, 1.0, cand)))
        side = float(rng.uniform(0, 2 * math.pi))
        centre = np.array([cx + offset * math.cos(side), cy + offset * math.sin(side)])
        xy = centre + np.column_stack([np.cos(a), np.sin(a)]) * r[:, None]
    xy = np.clip(xy, 2.0, size_m - 2.0)
    i, j = g.cells(xy)
    ok = ~g.blocked[i, j] & (g.slope[i, j] < 1.2)
    xy = xy[ok]
    keep: list[np.ndarray] = []
    for p in xy:  # a few metres apart: each boulder reads on its own
        if all(np.hypot(*(p - q)) > 4.5 for q in keep):
            keep.append(p)
        if len(keep) >= ask.boulders:
            break
    if not keep:
        return
    pts = np.array(keep)
    scale = rng.uniform(*BOULDER_SCALE, len(pts)) * np.where(rng.random(len(pts)) < 0.2, 1.4, 1.0)
    z = g.height(pts) - F32(0.18) * scale
    out.add(np.full(len(pts), KIND["boulder"]), np.column_stack([pts, z]), rng.uniform(0, 2 * math.pi, len(pts)),
            scale)


def _banks(river: Route, count: int, size_m: float, rng: np.random.Generator) -> np.ndarray:
    """`count` points on both banks of a river (1-9 m out from its edge) along 2 FIELD_M of its stretch nearest
    the world's middle."""
    pts = river.points_n3[:, :2].astype(np.float64)
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    here = walked[int(np.argmin(np.hypot(*(pts - size_m / 2).T)))]
    at = np.clip(here + rng.uniform(-FIELD_M, FIELD_M, count), 0.0, walked[-1])
    xy = np.column_stack([np.interp(at, walked, pts[:, 0]), np.interp(at, walked, pts[:, 1])])
    k = np.clip(np.searchsorted(walked, at), 1, len(pts) - 1)
    d = pts[k] - pts[k - 1]
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    out = river.width_m / 2 + rng.uniform(1.0, 9.0, count)
    side = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    return xy + np.column_stack([-d[:, 1], d[:, 0]]) * (out * side)[:, None]


def waterline_boulders(g: Ground, ask: RockAsk, wet: np.ndarray, sea_level: float | None,
                       rng: np.random.Generator, out: Instances, most: int = 160) -> None:
    """A rocky coast's boulders along the waterline, a cliff coast's on the bare lip of its top (rock_shore),
    thickest near the world's middle."""
    if not (ask.shore or ask.cliffs) or sea_level is None:
        return
    n = wet.shape[0]
    cells = np.zeros(wet.shape, bool)
    if ask.shore:
        cells |= ~wet & cv2.dilate(wet.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    if ask.cliffs:
        cells |= (g.material == MAT["rock"]) & (g.slope < 0.5) & (g.h > F32(sea_level + 3.0)) & ~g.blocked
    ii, jj = np.nonzero(cells[::2, ::2])
    if not len(ii):
        return
    xy = np.column_stack([jj * 2, ii * 2]).astype(np.float64) * g.cell_m
    size = (n - 1) * g.cell_m
    mid = np.hypot(*(xy - size / 2).T)
    order = np.argsort(mid + rng.uniform(0, 0.3 * size, len(mid)), kind="stable")[: most * 3]
    pick = order[rng.random(len(order)) < 0.34][:most]
    pts = xy[pick] + rng.uniform(-1.5, 1.5, (len(pick), 2))
    scale = rng.uniform(0.8, 2.0, len(pts))
    z = g.height(pts) - F32(0.2) * scale
    out.add(np.full(len(pts), KIND["boulder"]), np.column_stack([pts, z]),
            rng.uniform(0, 2 * math.pi, len(pts)), scale)


def ground_noise(rng: np.random.Generator, n: int, size_m: float) -> np.ndarray:
    """Broad patches (tens of metres) that split a rocky ground into sheets of rock and of scree."""
    return fbm(rng, n, max(4, int(size_m / 48)), 3)


# --------------------------------------------------------------------------------------------- finding them again

#: a formation's top stands this many metres over the lowest ground within FORMATION_WINDOW_M and within
#: TOP_SLACK_M of the highest within half that: a pillar or knoll, not a valley's wall
FORMATION_RISE_M, FORMATION_WINDOW_M, TOP_SLACK_M = 12.0, 64.0, 2.5
#: and has walls this steep (rise over run) beside it; a dune's slip face or a hill's flank is gentler
SHEER = 1.6
#: the formations of one group stand within this many metres of the one nearest the world's middle
GROUP_REACH_M = GROUP_M + 2.5 * SPIRE[0][1] * 2


def formation_mask(height_hw: np.ndarray, material_hw: np.ndarray, cell_m: float, step: int = 1) -> np.ndarray:
    """Bool mask (at `step` cells) of the bare rock of raised formations: rock around a prominent local top,
    the group nearest the world's middle (what raise_rock made, found again from the heightfield)."""
    h = np.ascontiguousarray(height_hw[::step, ::step], np.float32)
    rock = material_hw[::step, ::step] == MAT["rock"]
    m = step * cell_m
    wide = max(3, int(FORMATION_WINDOW_M / m) | 1)
    near = max(3, int(FORMATION_WINDOW_M / 2 / m) | 1)
    low = cv2.erode(h, np.ones((wide, wide), np.uint8))
    gy, gx = np.gradient(h, F32(m))
    sheer = (np.hypot(gx, gy) > F32(SHEER)).astype(np.uint8)
    tops = rock & (h - low > F32(FORMATION_RISE_M)) & (h >= cv2.dilate(h, np.ones((near, near), np.uint8)) - F32(TOP_SLACK_M))
    tops &= cv2.dilate(sheer, np.ones((near, near), np.uint8)).astype(bool)  # walled, not a dune's crest
    if not tops.any():
        return np.zeros(h.shape, bool)
    ii, jj = np.nonzero(tops)
    xy = np.column_stack([jj, ii]).astype(np.float64) * m
    mid = (h.shape[0] - 1) * m / 2
    first = xy[int(np.argmin(np.hypot(*(xy - mid).T)))]
    keep = np.hypot(*(xy - first).T) < GROUP_REACH_M
    seeds = np.zeros(h.shape, np.uint8)
    seeds[ii[keep], jj[keep]] = 1
    around = cv2.dilate(seeds, np.ones((near, near), np.uint8)).astype(bool)
    mask = around & rock & (h - low > F32(FORMATION_RISE_M * 0.4))
    pieces, count = ndimage.label(mask)
    if not count:
        return mask
    rise = ndimage.maximum(h, pieces, np.arange(1, count + 1)) - ndimage.minimum(h, pieces, np.arange(1, count + 1))
    tall = np.r_[False, np.asarray(rise) >= 1.5 * FORMATION_RISE_M]  # a pillar, not a dune's face beside it
    return tall[pieces]
