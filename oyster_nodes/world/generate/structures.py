"""Structures on levelled ground, and roads between them along low-slope routes.

Sites are chosen on the coarse hydrology grid by score (flatness, distance to water, relations such
as "a cabin by the lake", "a lighthouse on the coast"); the terrain under each footprint is flattened
to one level, and roads are least-cost paths (Dijkstra on an 8-connected grid) carved into the ground.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from ..state.records import Structure
from .water import border_mask, chaikin, corridor, densify

F32 = np.float32

#: footprint width, depth, height (m), minimum spacing (m), colour, roof, wall material
KINDS: dict[str, dict[str, Any]] = {
    "cabin": {
        "w": 6.0,
        "d": 8.0,
        "h": 5.0,
        "gap": 25.0,
        "color": [0.45, 0.3, 0.18],
        "roof": "gable",
        "material": "wood",
    },
    "house": {
        "w": 8.0,
        "d": 10.0,
        "h": 7.0,
        "gap": 18.0,
        "color": [0.82, 0.78, 0.7],
        "roof": "gable",
        "material": "plaster",
    },
    "tower": {
        "w": 6.0,
        "d": 6.0,
        "h": 18.0,
        "gap": 60.0,
        "color": [0.55, 0.54, 0.5],
        "roof": "cone",
        "material": "stone",
    },
    "ruins": {
        "w": 14.0,
        "d": 12.0,
        "h": 6.0,
        "gap": 60.0,
        "color": [0.72, 0.67, 0.57],
        "roof": "none",
        "material": "stone",
    },
    "lighthouse": {
        "w": 6.0,
        "d": 6.0,
        "h": 22.0,
        "gap": 120.0,
        "color": [0.92, 0.92, 0.9],
        "roof": "cone",
        "material": "plaster",
        "stripes": [0.75, 0.1, 0.1],
    },
    "highrise": {  # a city's building (generate/city.py sizes each one to its lot and storeys)
        "w": 16.0,
        "d": 16.0,
        "h": 30.0,
        "gap": 40.0,
        "color": [0.62, 0.62, 0.6],
        "roof": "flat",
        "material": "concrete",
    },
    "skyscraper": {  # a lone office tower of glass on its plaza (render/meshes.py _glass_tower)
        "w": 24.0,
        "d": 24.0,
        "h": 96.0,
        "gap": 120.0,
        "color": [0.2, 0.3, 0.42],
        "roof": "flat",
        "material": "glass",
    },
    "tent": {  # a ridge tent (its ridge along x, its door at +x); a camp pitches a few round its fire
        "w": 3.6,
        "d": 2.8,
        "h": 2.0,
        "gap": 22.0,
        "color": [0.85, 0.42, 0.12],
        "roof": "gable",
        "material": "canvas",
    },
    "campfire": {  # a ring of stones round burning logs at a camp's middle
        "w": 1.8,
        "d": 1.8,
        "h": 0.95,
        "gap": 4.0,
        "color": [0.45, 0.43, 0.4],
        "roof": "none",
        "material": "stone",
    },
    "windmill": {
        "w": 7.0,
        "d": 7.0,
        "h": 14.0,
        "gap": 50.0,
        "color": [0.8, 0.76, 0.66],
        "roof": "cone",
        "material": "wood",
    },
    "church": {  # a nave along x (its door at -x, the west), its bell tower and spire at that end (meshes _church);
        # h is the spire's tip; CHURCH_SIZES scales it to a chapel or a cathedral
        "w": 24.0,
        "d": 10.0,
        "h": 28.0,
        "gap": 28.0,
        "color": [0.66, 0.62, 0.54],
        "roof": "gable",
        "material": "stone",
    },
}

#: "a chapel", "a great cathedral": the scale a church word gives a church (KINDS["church"] is a village church);
#: below CHAPEL_BELOW the renderer gives it a bellcote instead of a tower (render/meshes.py _church)
CHURCH_SIZES: tuple[tuple[re.Pattern[str], float], ...] = (
    (re.compile(r"\b(?:chapels?|kirks?)\b"), 0.62),
    (re.compile(r"\b(?:cathedrals?|minsters?|basilicas?|abbeys?|priory|priories|monaster(?:y|ies))\b"), 1.45),
)
CHAPEL_BELOW = 0.8


def church_scale(text: str) -> float:
    """The scale of the church a prompt names: the first church word in it that sizes one, else 1."""
    low, best = text.lower(), (len(text) + 1, 1.0)
    for pattern, scale in CHURCH_SIZES:
        m = pattern.search(low)
        if m and m.start() < best[0]:
            best = (m.start(), scale)
    return best[1]


@dataclass(kw_only=True, slots=True)
class Site:
    """Per coarse-cell layers used to choose places."""

    stride: int
    cell_m: float
    h: np.ndarray  # coarse heights
    slope: np.ndarray  # coarse slope
    wet: np.ndarray  # coarse water
    water_dist: np.ndarray  # m to any water
    sea_dist: np.ndarray  # m to the ocean (inf without one)
    lake_dist: np.ndarray  # m to lakes
    river_dist: np.ndarray  # m to rivers
    taken: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, gap

    def xy(self, i: int, j: int) -> tuple[float, float]:
        return j * self.stride * self.cell_m, i * self.stride * self.cell_m


def _dist(mask: np.ndarray, metres_per_cell: float) -> np.ndarray:
    if not mask.any():
        return np.full(mask.shape, np.inf, F32)
    return (ndimage.distance_transform_edt(~mask) * metres_per_cell).astype(F32)


def make_site(
    *, h_c: np.ndarray, stride: int, cell_m: float, sea_c: np.ndarray, lake_c: np.ndarray, river_c: np.ndarray
) -> Site:
    m = stride * cell_m
    gy, gx = np.gradient(h_c.astype(F32), F32(m))
    wet = sea_c | lake_c | river_c
    return Site(
        stride=stride,
        cell_m=cell_m,
        h=h_c,
        slope=np.sqrt(gx * gx + gy * gy),
        wet=wet,
        water_dist=_dist(wet, m),
        sea_dist=_dist(sea_c, m),
        lake_dist=_dist(lake_c, m),
        river_dist=_dist(river_c, m),
    )


def _relation_score(site: Site, kind: str, relations: list[dict[str, str]], alt: np.ndarray) -> np.ndarray:
    score = np.zeros(site.h.shape, F32)
    for rel in relations:
        if rel["subject"] != kind and not (kind in ("house", "cabin") and rel["subject"] == "village"):
            continue
        obj = rel["object"]
        dist = {
            "lake": site.lake_dist,
            "river": site.river_dist,
            "ocean": site.sea_dist,
            "coast": site.sea_dist,
            "island": site.sea_dist,
            "waterfall": site.river_dist,
        }.get(obj)
        if dist is not None and np.isfinite(dist).any() and rel["relation"] == "overlooks":  # high, by the water
            score += F32(4.0) * alt * np.exp(-np.maximum(dist - 30.0, 0.0) / 60.0).astype(F32)
        elif dist is not None and np.isfinite(dist).any():
            score += F32(3.0) * np.exp(-np.maximum(dist - 20.0, 0.0) / 40.0).astype(F32)
        elif obj in ("mountains", "hills", "volcanic", "snowfield") or rel["relation"] == "on":
            score += F32(2.0) * alt
        elif obj in ("valley", "canyon", "plains", "swamp"):
            score += F32(2.0) * (F32(1.0) - alt)
    return score


def choose_sites(
    site: Site,
    kind: str,
    count: int,
    rng: np.random.Generator,
    relations: list[dict[str, str]],
    *,
    margin_m: float = 40.0,
    near: tuple[float, float, float] | None = None,
    tries: int = 64,
) -> list[tuple[float, float]]:
    """Up to `count` positions for a kind, best-scored first, spaced apart and off the water (among the best
    `tries` places per position asked)."""
    spec = KINDS[kind]
    m = site.stride * site.cell_m
    rows = site.h.shape[0]
    lo, hi = np.percentile(site.h, (2, 98))
    alt = np.clip((site.h - F32(lo)) / F32(max(hi - lo, 1e-3)), 0, 1).astype(F32)
    score = -F32(6.0) * site.slope + _relation_score(site, kind, relations, alt)
    score += rng.uniform(0.0, 0.6, size=score.shape).astype(F32)
    ok = (site.slope < 0.35) & (site.water_dist > 12.0 + (CAMP_RING_M + 6.0 if kind == "tent" else 0.0))
    if kind == "lighthouse" and np.isfinite(site.sea_dist).any():
        ok &= (site.sea_dist < 70.0) & (site.slope < 0.6)
        score += alt
    edge = max(1, int(math.ceil(margin_m / m)))
    ok[:edge, :] = ok[-edge:, :] = ok[:, :edge] = ok[:, -edge:] = False
    if near is not None:
        ii, jj = np.mgrid[0:rows, 0:rows]
        d = np.hypot(jj * m - near[0], ii * m - near[1])
        ok &= d < near[2]
        score -= F32(0.02) * d.astype(F32)
    order = np.argsort(-np.where(ok, score, -np.inf), axis=None, kind="stable")
    out: list[tuple[float, float]] = []
    for flat in order[: max(tries, count * tries)]:
        i, j = divmod(int(flat), rows)
        if not ok[i, j] or len(out) >= count:
            break
        x, y = site.xy(i, j)
        x += float(rng.uniform(-0.3, 0.3)) * m
        y += float(rng.uniform(-0.3, 0.3)) * m
        if all(math.hypot(x - tx, y - ty) >= max(spec["gap"], g) for tx, ty, g in site.taken):
            out.append((x, y))
            site.taken.append((x, y, spec["gap"]))
    return out


def flatten(
    h: np.ndarray,
    *,
    cell_m: float,
    x: float,
    y: float,
    w: float,
    d: float,
    yaw: float,
    apron_m: float = 2.0,
    blend_m: float = 7.0,
    level: float | None = None,
) -> float:
    """Level the ground under a rotated footprint (plus an apron) and blend the edges; returns the level."""
    n = h.shape[0]
    reach = (math.hypot(w, d) / 2 + apron_m + blend_m) / cell_m
    ci, cj = y / cell_m, x / cell_m
    i0, i1 = max(0, int(ci - reach)), min(n, int(ci + reach) + 2)
    j0, j1 = max(0, int(cj - reach)), min(n, int(cj + reach) + 2)
    ii, jj = np.mgrid[i0:i1, j0:j1]
    dx, dy = jj * cell_m - x, ii * cell_m - y
    c, s = math.cos(yaw), math.sin(yaw)
    u, v = np.abs(dx * c + dy * s), np.abs(-dx * s + dy * c)
    outside = np.hypot(np.maximum(u - (w / 2 + apron_m), 0), np.maximum(v - (d / 2 + apron_m), 0))
    window = h[i0:i1, j0:j1]
    core = outside <= 0
    if level is None:
        level = float(np.median(window[core])) if core.any() else float(window.mean())
    level = F32(level)
    t = np.clip(outside / blend_m, 0.0, 1.0).astype(F32)
    weight = F32(1.0) - t * t * (F32(3.0) - F32(2.0) * t)
    window[:] = window * (F32(1.0) - weight) + level * weight
    return float(level)


def structure_record(kind: str, ident: str, x: float, y: float, z: float, yaw: float,
                     scale: float = 1.0) -> Structure:
    """One structure of a kind in KINDS as the world state keeps it (position rounded to mm, yaw to 1e-5)."""
    spec = KINDS[kind]
    return Structure(id=ident, kind=kind, x=round(x, 3), y=round(y, 3), z=round(z, 3), yaw=round(yaw, 5),
                     w=spec["w"] * scale, d=spec["d"] * scale, h=spec["h"] * scale, color=tuple(spec["color"]),
                     roof=spec["roof"], material=spec["material"],
                     stripes=tuple(spec["stripes"]) if "stripes" in spec else None)


#: what a building modifier makes of houses, cabins and villages: (material, sRGB wall colour)
BUILDING_LOOKS: dict[str, tuple[str, tuple[float, float, float]]] = {
    "stone": ("stone", (0.66, 0.62, 0.54)),
    "brick": ("brick", (0.55, 0.27, 0.18)),
    "wood": ("wood", (0.45, 0.3, 0.18)),
    "white": ("plaster", (0.93, 0.92, 0.88)),
    "red": ("wood", (0.6, 0.13, 0.1)),
    "painted": ("plaster", (0.85, 0.66, 0.4)),
    "concrete": ("concrete", (0.62, 0.62, 0.6)),
    "adobe": ("adobe", (0.72, 0.55, 0.4)),
}


#: the materials a bridge or a tower can be built of ("a stone bridge", "an old brick viaduct", "a wooden
#: watchtower"; others keep a bridge's timber deck and a tower's own stone)
BUILT_MATERIALS = ("stone", "brick", "wood", "concrete")


def restyle(structures: list[Structure], look: str, by_kind: dict[str, str] | None = None) -> None:
    """Give the dwellings the material and colour a building modifier names ("stone houses"), the bridges
    theirs ("a stone bridge"); `by_kind` (kind -> look) gives a kind its own ("stone houses and wooden cabins")."""
    for s in structures:
        kind_look = (by_kind or {}).get(s.kind, look)
        if kind_look not in BUILDING_LOOKS:
            continue
        material, color = BUILDING_LOOKS[kind_look]
        if s.kind in ("cabin", "house", "church") or (s.kind == "bridge" and material in BUILT_MATERIALS) or (
                s.kind == "tower" and s.kind in (by_kind or {}) and material in BUILT_MATERIALS):
            s.material, s.color = material, color


#: "three cabins", "five houses": up to this many dwellings of one kind stand together (a few, all in one view)
CLUSTER_MOST, CLUSTER_REACH_M = 6, 80.0


def _sites_of(site: Site, kind: str, count: int, rng: np.random.Generator,
              relations: list[dict[str, str]], *, clustered: bool = True,
              beside: tuple[float, float, float] | None = None) -> list[tuple[float, float]]:
    """Sites for `count` of a kind; a few dwellings cluster round the best site (within `beside`, x y reach,
    where other named buildings already stand), the rest go where they fit."""
    if beside is not None and count:  # near the buildings named with them (or twice as far); where none fits, where they fit
        # (many tries: the nearest places are within the first building's own gap)
        near = choose_sites(site, kind, 1, rng, relations, near=beside, tries=1024) or choose_sites(
            site, kind, 1, rng, relations, near=(beside[0], beside[1], 2.0 * beside[2]), tries=1024)
        if near:
            beside = (*near[0], CLUSTER_REACH_M)
            rest = choose_sites(site, kind, count - 1, rng, relations, near=beside) if count > 1 else []
            out = near + rest
            return out + choose_sites(site, kind, count - len(out), rng, relations) if len(out) < count else out
    if not clustered or kind not in ("cabin", "house") or not 2 <= count <= CLUSTER_MOST:
        return choose_sites(site, kind, count, rng, relations)
    first = choose_sites(site, kind, 1, rng, relations)
    if not first:
        return []
    near = (*first[0], CLUSTER_REACH_M)
    out = first + choose_sites(site, kind, count - 1, rng, relations, near=near)
    return out + choose_sites(site, kind, count - len(out), rng, relations) if len(out) < count else out


#: kinds that stand together when a prompt names several of them (no village), within this reach (m) of the first
HAMLET_KINDS, HAMLET_REACH_M = ("tower", "ruins", "windmill", "cabin", "house", "church"), 110.0
#: relation objects that are water: a village stands by the water its houses are asked by
BY_WATER = ("lake", "river", "ocean", "coast", "island", "waterfall")
#: a village's centre lies within this many metres of a landmark the prompt names with it
VILLAGE_LANDMARKS, LANDMARK_REACH_M = ("windmill", "lighthouse", "tower"), 160.0


def place_structures(
    h: np.ndarray,
    site: Site,
    wanted: dict[str, int],
    relations: list[dict[str, str]],
    rng: np.random.Generator,
    *,
    tent_row: bool = False,
    church_size: float = 1.0,
    ruined_church: bool = False,
) -> list[Structure]:
    """Structures with ids, footprints and levelled pads; villages become clusters of houses (of cabins where
    cabins are asked beside a village) round their church, if one is asked; a camp's tents round their fire, or
    in a row behind it (`tent_row`). A church is `church_size` times KINDS' own, its nave east-west; the ruins of
    one (`ruined_church`: "a ruined abbey") are its roofless shell (RUINED_CHURCH_SIZE, roof "gable")."""
    out: list[Structure] = []
    counters: dict[str, int] = {}

    def add(kind: str, x: float, y: float, village: int | None = None, apron_m: float = 2.0) -> None:
        spec = KINDS[kind]
        scale = church_size if kind == "church" else 1.0
        shell = kind == "ruins" and ruined_church
        yaw = float(rng.uniform(-math.pi, math.pi))
        if kind == "church" or shell:  # its altar to the east (+x), its door and tower to the west, give or take
            yaw = CHURCH_YAW_JITTER * yaw / math.pi
        w, d = (RUINED_CHURCH_SIZE[:2] if shell else (spec["w"] * scale, spec["d"] * scale))
        z = flatten(h, cell_m=site.cell_m, x=x, y=y, w=w, d=d, yaw=yaw, apron_m=apron_m, blend_m=max(7.0, apron_m))
        counters[kind] = counters.get(kind, 0) + 1
        item = structure_record(kind, f"{kind}-{counters[kind]}", x, y, z, yaw, scale)
        if shell:
            item.w, item.d, item.h = RUINED_CHURCH_SIZE
            item.roof = "gable"  # the roof it had: render/meshes.py builds a church's roofless shell
        item.village = village
        out.append(item)

    # "a village of small cabins", "a village with wooden chalets": the village's dwellings are the cabins
    dwelling = "cabin" if wanted.get("village") and wanted.get("cabin") else "house"
    if wanted.get("skyscraper"):  # (no draw from rng otherwise: other worlds stay as they were)
        for x, y in choose_sites(site, "skyscraper", wanted["skyscraper"], rng, relations):
            add("skyscraper", x, y, apron_m=PLAZA_M)
    # a church asked with a village stands at the village's middle (placed with it, below)
    village_church = bool(wanted.get("village") and wanted.get("church"))
    for kind in ("lighthouse", "tower", "ruins", "windmill", "cabin", "house", "church"):
        if kind == dwelling == "cabin" or (kind == "church" and (village_church or not wanted.get("church"))):
            continue  # (no church asked: no draw from rng for one, other worlds stay as they were)
        clustered = not wanted.get("village")  # with a village, the village is the cluster
        # "stone houses and wooden cabins", "a tower beside white cottages": the kinds named together stand
        # together (a hamlet in one view), unless the prompt puts this kind by the water
        placed = [s for s in out if s.kind in HAMLET_KINDS]
        own = any(r["subject"] == kind and r["object"] in BY_WATER for r in relations)  # "cabins by the lake"
        beside = (placed[0].x, placed[0].y, HAMLET_REACH_M) if (
            clustered and placed and kind in HAMLET_KINDS and not own
            and sum(wanted.get(k, 0) for k in HAMLET_KINDS) <= CLUSTER_MOST * 2) else None
        for x, y in _sites_of(site, kind, wanted.get(kind, 0), rng, relations, clustered=clustered, beside=beside):
            add(kind, x, y)
    if wanted.get("tent"):  # a camp near the cabin or the house asked with it ("a campsite and a cabin")
        homes = [(s.x, s.y) for s in out if s.kind in ("cabin", "house")]
        out += _camp(h, site, int(wanted["tent"]), rng, relations, near=homes[0] if homes else None, row=tent_row)
    landmarks = [s for s in out if s.kind in VILLAGE_LANDMARKS]
    for v in range(wanted.get("village", 0)):
        own = [r | {"subject": "ruins"} for r in relations if r["subject"] == "village"]
        # "a lakeside town with houses along the shore": the houses by the water are the town's, it stands there
        own = own or [r | {"subject": "ruins"} for r in relations if r["subject"] == dwelling
                      and r["object"] in BY_WATER]
        # "a farming village with a windmill", "a fishing town with a lighthouse": the village round its landmark
        near = (landmarks[v].x, landmarks[v].y, LANDMARK_REACH_M) if v < len(landmarks) else None
        centres = choose_sites(site, "ruins", 1, rng, own, near=near, tries=1024) if near else []
        size = site.h.shape[0] * site.stride * site.cell_m  # the centre off the border, its houses around it
        centres = centres or choose_sites(site, "ruins", 1, rng, own, margin_m=min(90.0, 0.15 * size))
        if not centres:
            break
        cx, cy = centres[0]
        site.taken.pop()
        if village_church and v < wanted["church"]:  # the village's church at its middle, its houses round it
            # (its own relations: "a church on a hill" puts the village round it there)
            spot = choose_sites(site, "church", 1, rng, relations, near=(cx, cy, CHURCH_NEAR_MIDDLE_M), tries=1024)
            if spot:
                add("church", *spot[0], v + 1)
        houses = int(rng.integers(10, 17))
        for x, y in choose_sites(site, dwelling, houses, rng, relations, near=(cx, cy, 130.0)):
            add(dwelling, x, y, v + 1)
    return out


#: a village's church stands within this many metres of the village's middle; a church's nave is turned this
#: far (radians) at most from east-west
CHURCH_NEAR_MIDDLE_M, CHURCH_YAW_JITTER = 40.0, 0.3
#: a church's churchyard: no tree grows within this many metres of its walls
CHURCHYARD_M = 12.0
#: "a ruined abbey", "the ruins of a chapel", "church ruins": ruins that are a church's shell, this long, wide and
#: high at its gables (m)
RUINED_CHURCH = re.compile(
    r"\b(?:ruined |ruins? of (?:an? |the )?(?:old |ancient |medieval )?)(?:abbey|church|chapel|cathedral|priory|"
    r"monastery|kirk|minster)s?\b|\b(?:abbey|church|chapel|cathedral|priory|monastery|kirk|minster)\s+ruins?\b")
RUINED_CHURCH_SIZE = (26.0, 11.0, 15.0)


#: a skyscraper's plaza: the ground levelled and paved this far round its footprint (m); trees keep this far off
PLAZA_M, PLAZA_CLEAR_M = 10.0, 26.0
#: a camp: its tents stand this far from the fire (m), a row of them this far apart; nothing grows in its clearing
CAMP_RING_M, CAMP_ROW_M, CAMP_CLEAR_M = 6.5, 4.6, 20.0
#: a camp asked with a cabin or a house stands within this many metres of it (its clearing reaching the cabin)
CAMP_NEAR_M = 40.0
#: more tents than this stand in two rings round the fire
CAMP_RING_MOST = 6


def _camp(h: np.ndarray, site: Site, tents: int, rng: np.random.Generator, relations: list[dict[str, str]],
          near: tuple[float, float] | None = None, row: bool = False) -> list[Structure]:
    """A camp: tents pitched round a campfire, each with its door towards the fire, in a clearing (levelled
    gently, each tent on its own pad); within CAMP_NEAR_M of `near` where that has room."""
    tents = max(1, min(tents, 12))
    centre = choose_sites(site, "tent", 1, rng, relations, near=(*near, CAMP_NEAR_M)) if near else []
    centre = centre or choose_sites(site, "tent", 1, rng, relations)
    if not centre:
        return []
    cx, cy = centre[0]
    fire_z = flatten(h, cell_m=site.cell_m, x=cx, y=cy, w=2.0 * CAMP_RING_M, d=2.0 * CAMP_RING_M, yaw=0.0,
                     apron_m=3.0, blend_m=10.0)
    out = [structure_record("campfire", "campfire-1", cx, cy, fire_z, 0.0)]
    start = float(rng.uniform(-math.pi, math.pi))
    # one or two: side by side by the fire; more: round it (a second ring, between the first's, past six)
    spread = 2.0 * math.pi / min(tents, CAMP_RING_MOST) if tents > 2 else math.radians(70.0)
    for k in range(tents):
        ring = CAMP_RING_M + (2.5 if k >= CAMP_RING_MOST else 0.0)
        a = start + spread * (k % CAMP_RING_MOST + 0.5 * (k >= CAMP_RING_MOST))
        a += float(rng.uniform(-0.12, 0.12))
        x, y = cx + ring * math.cos(a), cy + ring * math.sin(a)
        yaw = a + math.pi + float(rng.uniform(-0.2, 0.2))  # the door (+x) towards the fire
        if row:  # "a row of tents": side by side behind the fire, every door facing it
            along = (k - (tents - 1) / 2) * CAMP_ROW_M
            x = cx + CAMP_RING_M * math.cos(start) - along * math.sin(start)
            y = cy + CAMP_RING_M * math.sin(start) + along * math.cos(start)
            yaw = start + math.pi + float(rng.uniform(-0.08, 0.08))
        spec = KINDS["tent"]
        z = flatten(h, cell_m=site.cell_m, x=x, y=y, w=spec["w"], d=spec["d"], yaw=yaw, apron_m=0.5, blend_m=3.0)
        item = structure_record("tent", f"tent-{k + 1}", x, y, z, yaw)
        item.color = TENT_COLOURS[int(rng.integers(len(TENT_COLOURS)))] if k else item.color
        out.append(item)
    return out


#: tent flysheets (sRGB): orange, forest green, blue, yellow, red, olive
TENT_COLOURS: tuple[tuple[float, float, float], ...] = (
    (0.85, 0.42, 0.12), (0.2, 0.42, 0.25), (0.16, 0.32, 0.62), (0.9, 0.72, 0.16), (0.72, 0.14, 0.1),
    (0.45, 0.47, 0.25),
)


def road_anchors(structures: list[Structure], size_m: float) -> list[tuple[float, float]]:
    """Where roads reach the structures: each building, but a camp only at its clearing's edge (on the side
    towards the other buildings, else the world's middle), so no road runs between its tents."""
    out = [(s.x, s.y) for s in structures if s.kind not in ("tent", "campfire")]
    toward = np.mean(out, axis=0) if out else np.array([size_m / 2, size_m / 2])
    for s in structures:
        if s.kind == "campfire":
            d = toward - np.array([s.x, s.y])
            d = d / max(float(np.hypot(*d)), 1e-6) if float(np.hypot(*d)) > 1.0 else np.array([1.0, 0.0])
            reach = CAMP_CLEAR_M + 6.0
            out.append((float(s.x + reach * d[0]), float(s.y + reach * d[1])))
    return out


#: "a row of tents", "a line of tents", "tents in a row": a camp's tents side by side
TENT_ROW = re.compile(r"\b(?:row|rows|line|lines)\s+of\s+(?:\w+\s+)?tents?\b|\btents?\s+in\s+(?:a\s+)?(?:row|line)\b")


def clearings(structures: list[Structure]) -> list[tuple[float, float, float]]:
    """Round places kept clear of trees and scrub: a camp's clearing, a skyscraper's plaza and lawn, a church's
    churchyard (x, y, r)."""
    out = [(s.x, s.y, CAMP_CLEAR_M) for s in structures if s.kind == "campfire"]
    homes = [s for s in structures if s.kind in ("cabin", "house")]
    for fire in [s for s in structures if s.kind == "campfire"] if homes else []:  # the camp's cabin in it too
        home = min(homes, key=lambda s: math.hypot(s.x - fire.x, s.y - fire.y))
        gap = math.hypot(home.x - fire.x, home.y - fire.y)
        if gap < CAMP_NEAR_M + 15.0:
            out.append(((home.x + fire.x) / 2, (home.y + fire.y) / 2, gap / 2 + 10.0))
    out += [(s.x, s.y, math.hypot(s.w, s.d) / 2 + PLAZA_CLEAR_M) for s in structures if s.kind == "skyscraper"]
    out += [(s.x, s.y, math.hypot(s.w, s.d) / 2 + CHURCHYARD_M) for s in structures if s.kind == "church"]
    return out


# ---------------------------------------------------------------------------------------------
# roads


def _grid_graph(cost: np.ndarray, metres_per_cell: float) -> coo_matrix:
    rows, cols = cost.shape
    idx = np.arange(rows * cols).reshape(rows, cols)
    src, dst, weight = [], [], []
    for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = idx[max(0, -di) : rows - max(0, di), max(0, -dj) : cols - max(0, dj)]
        b = idx[max(0, di) : rows - max(0, -di) or None, max(0, dj) : cols - max(0, -dj) or None]
        ca = cost.ravel()[a.ravel()]
        cb = cost.ravel()[b.ravel()]
        length = metres_per_cell * math.hypot(di, dj)
        w = 0.5 * (ca + cb) * length
        src += [a.ravel(), b.ravel()]
        dst += [b.ravel(), a.ravel()]
        weight += [w, w]
    n = rows * cols
    return coo_matrix(
        (np.concatenate(weight), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)
    ).tocsr()


def road_network(
    site: Site, anchors: list[tuple[float, float]], rng: np.random.Generator, style: str = ""
) -> list[np.ndarray]:
    """Least-cost routes (coarse cell paths in world x, y) linking anchors; one also reaches the map edge.

    `style` "winding": the cost field is patchy, so routes bend around its hills; "coastal": routes keep
    near the sea, 30-90 m from it."""
    rows = site.h.shape[0]
    m = site.stride * site.cell_m
    cost = (1.0 + 60.0 * site.slope**2 + np.where(site.wet, 40.0, 0.0)).astype(np.float64)
    if style == "winding":
        patches = ndimage.gaussian_filter(rng.random(site.h.shape), sigma=max(1.0, 40.0 / m))
        patches = (patches - patches.min()) / max(float(np.ptp(patches)), 1e-9)
        cost *= 1.0 + 6.0 * patches**2
    if style == "coastal" and np.isfinite(site.sea_dist).any():
        cost += 6.0 * np.clip(np.abs(site.sea_dist.astype(np.float64) - 60.0) / 60.0, 0.0, 3.0)
    graph = _grid_graph(cost, m)
    nodes = [
        int(np.clip(round(y / m), 0, rows - 1)) * rows + int(np.clip(round(x / m), 0, rows - 1))
        for x, y in anchors
    ]
    nodes = list(dict.fromkeys(nodes))
    dist, pred = dijkstra(graph, indices=nodes, return_predecessors=True)
    routes: list[np.ndarray] = []
    if len(nodes) >= 2:
        tree = minimum_spanning_tree(dist[:, nodes]).tocoo()
        pairs = sorted(zip(tree.row.tolist(), tree.col.tolist(), strict=True))
        routes += [_route(pred[a], nodes[a], nodes[b], rows, m) for a, b in pairs]
    border = np.flatnonzero(border_mask((rows, rows)).ravel())
    to_edge = dist[:, border]
    k, e = np.unravel_index(int(np.argmin(to_edge)), to_edge.shape)
    if np.isfinite(to_edge[k, e]):
        routes.append(_route(pred[k], nodes[k], int(border[e]), rows, m))
    return [r for r in routes if len(r) >= 2]


def _route(pred_row: np.ndarray, start: int, end: int, rows: int, m: float) -> np.ndarray:
    cells = [end]
    while cells[-1] != start and pred_row[cells[-1]] >= 0:
        cells.append(int(pred_row[cells[-1]]))
    cells.reverse()
    ij = np.array([divmod(c, rows) for c in cells], np.float64)
    return np.column_stack([ij[:, 1] * m, ij[:, 0] * m])


def carve_road(
    h: np.ndarray,
    road_mask: np.ndarray,
    route_xy: np.ndarray,
    *,
    cell_m: float,
    level_hw: np.ndarray,
    width_m: float = 5.0,
) -> tuple[list[list[float]], list[np.ndarray]]:
    """Cut a road into the terrain; returns its [x, y, z] points and the point runs that cross water."""
    n = h.shape[0]
    pts = densify(chaikin(route_xy, rounds=3), step=cell_m * 0.7) / cell_m  # (x, y) in cells
    ij = pts[:, ::-1]
    ri = np.clip(np.rint(ij[:, 0]).astype(int), 0, n - 1)
    rj = np.clip(np.rint(ij[:, 1]).astype(int), 0, n - 1)
    ground = h[ri, rj].astype(np.float64)
    k = max(3, int(12 / cell_m))
    grade = np.convolve(np.pad(ground, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    wet = level_hw[ri, rj] > h[ri, rj]
    half, shoulder = width_m / 2 / cell_m, 5.0 / cell_m
    dist, idx, (i0, i1, j0, j1) = corridor(ij, n, half + shoulder + 2)
    target = grade[idx].astype(F32)
    dry = ~wet[idx]
    t = np.clip((dist - F32(half)) / F32(shoulder), 0.0, 1.0)
    weight = np.where(dry, F32(1.0) - t * t * (F32(3.0) - F32(2.0) * t), F32(0.0))
    window = h[i0:i1, j0:j1]
    window[:] = window * (F32(1.0) - weight) + target * weight
    road_mask[i0:i1, j0:j1] |= (dist <= half) & dry
    points = [
        [round(float(x * cell_m), 3), round(float(y * cell_m), 3), round(float(z), 3)]
        for (x, y), z in zip(pts[:: max(1, int(4 / cell_m))], grade[:: max(1, int(4 / cell_m))], strict=True)
    ]
    runs = _runs(wet)
    return points, [pts[a:b] * cell_m for a, b in runs]


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def bridge_for(run_xy: np.ndarray, level: float, index: int) -> Structure:
    """A bridge structure spanning a water crossing of a road."""
    a, b = run_xy[0], run_xy[-1]
    length = float(np.linalg.norm(b - a)) + 8.0
    mid = (a + b) / 2
    yaw = math.atan2(float(b[1] - a[1]), float(b[0] - a[0]))
    return Structure(id=f"bridge-{index}", kind="bridge", x=round(float(mid[0]), 3), y=round(float(mid[1]), 3),
                     z=round(level + 1.5, 3), yaw=round(yaw, 5), w=round(length, 3), d=5.0, h=1.5,
                     color=(0.42, 0.32, 0.22), roof="none", material="wood")
