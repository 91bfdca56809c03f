"""Boats on the water and harbours where the land meets it.

A harbour is a pier reaching out from the shore over water deep enough to moor at (and, for "harbour", "port",
"quay" or "marina", a stone quay along the shore at its root). Boats float at the water level: moored along the
piers first, then at anchor on open water near the harbour (or near the buildings, or the world's middle), each
clear of the land, of the others and of the piers, in water deep enough for its draught. The kinds come from the
words that named them ("three fishing boats and a ferry"), their count from spec.structures["boat"].
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..prompt.spec import WorldSpec
from ..state.records import Structure
from . import structures as st


@dataclass(kw_only=True, slots=True, frozen=True)
class BoatKind:
    """Size at scale 1 (length along the yaw, beam, height over the waterline to the top of the mast or the
    funnel), the water it needs under its keel, how far from land it anchors, and its hull colours (sRGB)."""

    length: float
    beam: float
    height: float
    depth: float
    offshore: float
    hulls: tuple[tuple[float, float, float], ...]


BOAT_KINDS: dict[str, BoatKind] = {
    "fishing_boat": BoatKind(length=10.0, beam=3.4, height=6.5, depth=1.2, offshore=10.0,
                             hulls=((0.12, 0.3, 0.6), (0.7, 0.14, 0.1), (0.15, 0.42, 0.3), (0.92, 0.92, 0.9),
                                    (0.9, 0.68, 0.12))),
    "sailboat": BoatKind(length=9.0, beam=3.0, height=13.0, depth=1.6, offshore=12.0,
                         hulls=((0.95, 0.95, 0.93), (0.95, 0.95, 0.93), (0.1, 0.15, 0.35))),
    "rowboat": BoatKind(length=4.0, beam=1.5, height=0.7, depth=0.4, offshore=4.0,
                        hulls=((0.55, 0.36, 0.2), (0.2, 0.35, 0.55), (0.82, 0.82, 0.8), (0.6, 0.15, 0.1))),
    "motorboat": BoatKind(length=6.5, beam=2.4, height=1.9, depth=0.7, offshore=8.0,
                          hulls=((0.95, 0.95, 0.93), (0.15, 0.2, 0.4))),
    "ferry": BoatKind(length=46.0, beam=11.0, height=15.0, depth=3.5, offshore=35.0,
                      hulls=((0.12, 0.16, 0.32), (0.6, 0.1, 0.08))),
}
#: the words that name each kind (last word in singular); "boat" alone depends on the water (see generic_kind)
WORD_KINDS: dict[str, str] = {
    "fishing boat": "fishing_boat", "trawler": "fishing_boat", "fishing vessel": "fishing_boat",
    "tugboat": "fishing_boat", "sailing boat": "sailboat", "sailboat": "sailboat", "yacht": "sailboat",
    "sloop": "sailboat", "schooner": "sailboat", "catamaran": "sailboat", "rowing boat": "rowboat",
    "rowboat": "rowboat", "dinghy": "rowboat", "canoe": "rowboat", "kayak": "rowboat", "skiff": "rowboat",
    "gondola": "rowboat", "punt": "rowboat", "motorboat": "motorboat", "speedboat": "motorboat", "ferry": "ferry",
    "ship": "ferry", "steamer": "ferry", "cruise ship": "ferry", "freighter": "ferry", "vessel": "ferry",
}
#: harbour words that mean a stone quay with its pier; the others ("pier", "jetty", "dock") a wooden pier
QUAY_WORDS = ("harbour", "harbor", "port", "quay", "marina", "wharf", "fishing harbour", "fishing port")
#: sRGB hull colours of the boat modifier words ("a red fishing boat")
BOAT_PAINT: dict[str, tuple[float, float, float]] = {
    "red": (0.72, 0.12, 0.1), "blue": (0.12, 0.28, 0.62), "white": (0.94, 0.94, 0.92), "green": (0.15, 0.45, 0.28),
    "yellow": (0.92, 0.72, 0.1), "black": (0.06, 0.06, 0.07), "wood": (0.55, 0.36, 0.2), "orange": (0.9, 0.42, 0.1),
}
PIER_LENGTH_M = {"pier": 38.0, "quay": 46.0}
PIER_WIDTH_M = {"pier": 3.2, "quay": 5.0}
#: the pier's deck stands this high over the water; its root reaches this far inland
DECK_M, ROOT_M = 1.3, 5.0
QUAY_SIZE_M = (48.0, 9.0, 1.6)
#: water the pier's tip needs under it (boats moor there)
PIER_TIP_DEPTH_M = 2.0
BOAT_GAP_M, PIER_GAP_M = 1.2, 0.4


def kind_of_words(text: str, generic: str) -> str:
    """The boat kind a matched phrase names ("fishing boats" -> fishing_boat); `generic` for a bare "boat"."""
    words = text.lower().split()
    for k in range(len(words)):
        phrase = " ".join(words[k:])
        for form in _singulars(phrase):
            if form in WORD_KINDS:
                return WORD_KINDS[form]
    return generic


def _singulars(phrase: str) -> list[str]:
    out = [phrase]
    if phrase.endswith("ies"):
        out.append(phrase[:-3] + "y")
    if phrase.endswith("es"):
        out.append(phrase[:-2])
    if phrase.endswith("s"):
        out.append(phrase[:-1])
    return out


def generic_kind(spec: WorldSpec) -> str:
    """What a bare "boat" is here: a sailing boat in a marina, a fishing boat on the sea, a rowing boat on a lake
    or a river."""
    words = spec.text.lower()
    if "marina" in words:
        return "sailboat"
    return "fishing_boat" if spec.shore != "none" or "ocean" in spec.water else "rowboat"


def boat_plan(spec: WorldSpec) -> list[str]:
    """One kind per boat the spec asks for, in the order the prompt named them."""
    total = int(spec.structures.get("boat", 0))
    if total <= 0:
        return []
    generic = generic_kind(spec)
    asked: dict[str, tuple[str, int]] = {}
    for m in spec.matches:
        if m.get("concept") != "boat" or m.get("negated"):
            continue
        text = str(m.get("text", ""))
        n = int(m["count"]) if m.get("count") is not None else (4 if text.endswith("s") else 1)
        kind = kind_of_words(text, generic)
        asked[text] = (kind, max(n, asked.get(text, (kind, 0))[1]))
    plan = [kind for kind, n in asked.values() for _ in range(n)]
    plan += [generic] * (total - len(plan))
    return plan[:total]


def harbour_kind(spec: WorldSpec) -> str:
    """"quay" (a stone quay with a pier) when a harbour word named it, else "pier" (a wooden pier)."""
    for m in spec.matches:
        if m.get("concept") == "harbour" and not m.get("negated"):
            if any(form in QUAY_WORDS for form in _singulars(str(m.get("text", "")).lower())):
                return "quay"
    return "pier"


@dataclass(kw_only=True, slots=True)
class Water:
    """The water a world's boats float on: full-resolution level and ground, a coarse grid to search."""

    level: np.ndarray
    h: np.ndarray
    cell_m: float
    size_m: float
    stride: int
    wet_c: np.ndarray
    depth_c: np.ndarray
    land_dist_c: np.ndarray  # m from a wet coarse cell to the nearest dry one (0 on land)
    water_dist_c: np.ndarray  # m from a dry coarse cell to the nearest wet one (0 in water)
    out_c: np.ndarray  # unit direction from the land out over the water, per coarse cell (2 x rows x cols)

    @classmethod
    def of(cls, h: np.ndarray, level: np.ndarray, cell_m: float, size_m: float) -> Water:
        n = h.shape[0]
        stride = max(1, (n - 1) // 256)
        lv, hc = level[::stride, ::stride], h[::stride, ::stride]
        wet = np.isfinite(lv)
        m = stride * cell_m
        land_dist = ndimage.distance_transform_edt(wet) * m
        water_dist = ndimage.distance_transform_edt(~wet) * m
        sdf = ndimage.gaussian_filter(land_dist - water_dist, 2.0)
        gy, gx = np.gradient(sdf)
        norm = np.maximum(np.hypot(gx, gy), 1e-9)
        return cls(level=level, h=h, cell_m=cell_m, size_m=size_m, stride=stride, wet_c=wet,
                   depth_c=np.where(wet, lv - hc, 0.0), land_dist_c=land_dist, water_dist_c=water_dist,
                   out_c=np.stack([gx / norm, gy / norm]))

    def at(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Water level (NaN on land or off the world) and depth (0 there) at points (... x 2)."""
        n = self.h.shape[0]
        j = np.round(xy[..., 0] / self.cell_m).astype(np.int64)
        i = np.round(xy[..., 1] / self.cell_m).astype(np.int64)
        inside = (i >= 0) & (i < n) & (j >= 0) & (j < n)
        i, j = np.clip(i, 0, n - 1), np.clip(j, 0, n - 1)
        lv = np.where(inside, self.level[i, j], np.nan)
        depth = np.where(np.isfinite(lv), lv - self.h[i, j], 0.0)
        return lv, depth

    def h_at(self, xy: np.ndarray) -> float:
        """The ground's height at a point (nearest cell)."""
        n = self.h.shape[0]
        j, i = (int(np.clip(round(float(v) / self.cell_m), 0, n - 1)) for v in xy)
        return float(self.h[i, j])

    def coarse_xy(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        m = self.stride * self.cell_m
        return np.column_stack([jj * m, ii * m]).astype(np.float64)


# ------------------------------------------------------------------------------------------- footprints


def _corners(x: float, y: float, yaw: float, w: float, d: float) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    local = np.array([[a * w / 2, b * d / 2] for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    return local @ np.array([[c, -s], [s, c]]).T + (x, y)


def overlaps(a: np.ndarray, b: np.ndarray, gap: float) -> bool:
    """Whether two rectangles (4 x 2 corners each) come closer than about `gap` (separating axes)."""
    for poly in (a, b):
        for k in range(4):
            edge = poly[(k + 1) % 4] - poly[k]
            axis = np.array([-edge[1], edge[0]]) / max(float(np.hypot(*edge)), 1e-9)
            pa, pb = a @ axis, b @ axis
            if pa.max() + gap <= pb.min() or pb.max() + gap <= pa.min():
                return False
    return True


def _floats(water: Water, x: float, y: float, yaw: float, kind: BoatKind, scale: float) -> float | None:
    """The water level under a boat there, or None where it would touch land or ground in shallow water."""
    w, d = kind.length * scale, kind.beam * scale
    pts = np.concatenate([_corners(x, y, yaw, w, d), _corners(x, y, yaw, w * 0.5, d), [[x, y]]])
    margin = 2.0
    if (pts < margin).any() or (pts > water.size_m - margin).any():
        return None
    lv, depth = water.at(pts)
    if not np.isfinite(lv).all() or depth[-1] < kind.depth * scale or depth[:-1].min() < 0.45 * kind.depth * scale:
        return None
    return float(lv[-1])


# ------------------------------------------------------------------------------------------- harbours


def _target(structures: list[Structure], size_m: float) -> np.ndarray:
    """Where the boats and the harbour gather: by the buildings when there are some, else the world's middle."""
    built = [(s.x, s.y) for s in structures if s.kind in st.KINDS or s.kind == "highrise"]
    return np.median(np.asarray(built, np.float64), axis=0) if built else np.array([size_m / 2, size_m / 2])


def find_pier(water: Water, target: np.ndarray, length: float, avoid: list[np.ndarray],
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """A root on the shore and a direction out over the water for a pier of `length` metres: low ground at the
    root, water under the outer two thirds, deep water at its tip and beyond it, near `target`."""
    land = ~water.wet_c & (water.water_dist_c <= 1.5 * water.stride * water.cell_m)
    ii, jj = np.nonzero(land)
    if not len(ii):
        return None
    xy = water.coarse_xy(ii, jj)
    edge = np.minimum(xy, water.size_m - xy).min(axis=1)
    keep = edge > max(0.1 * water.size_m, length + 20.0)
    ii, jj, xy = ii[keep], jj[keep], xy[keep]
    if not len(ii):
        return None
    out = water.out_c[:, ii, jj].T
    t = np.linspace(0.35, 1.0, 8) * length
    beyond = np.linspace(length + 4.0, length + 16.0, 3)
    along = xy[:, None, :] + out[:, None, :] * np.concatenate([t, beyond])[None, :, None]
    lv, depth = water.at(along)
    lv0, _ = water.at(xy)
    ground = water.h[np.clip(np.round(xy[:, 1] / water.cell_m).astype(int), 0, water.h.shape[0] - 1),
                     np.clip(np.round(xy[:, 0] / water.cell_m).astype(int), 0, water.h.shape[0] - 1)]
    tip_level = lv[:, len(t) - 1]
    ok = np.isfinite(lv).all(axis=1) & (depth[:, len(t) - 1:] >= PIER_TIP_DEPTH_M).all(axis=1) & ~np.isfinite(lv0)
    rise = ground - np.where(np.isfinite(tip_level), tip_level, 0.0)
    ok &= rise < 3.0
    for a in avoid:
        ok &= np.hypot(*(xy - a).T) > 70.0
    if not ok.any():
        return None
    score = np.hypot(*(xy - target).T) + 8.0 * np.maximum(rise, 0.0) + rng.uniform(0.0, 5.0, len(xy))
    best = int(np.argmin(np.where(ok, score, np.inf)))
    return xy[best], out[best]


def harbour_structures(water: Water, kind: str, count: int, target: np.ndarray,
                       rng: np.random.Generator) -> list[Structure]:
    """`count` piers (each with a stone quay at its root when `kind` is "quay")."""
    out: list[Structure] = []
    roots: list[np.ndarray] = []
    length, width = PIER_LENGTH_M[kind], PIER_WIDTH_M[kind]
    for k in range(count):
        found = find_pier(water, target, length, roots, rng)
        if found is None:
            break
        root, out_dir = found
        roots.append(root)
        tip = root + out_dir * length
        level = float(water.at(tip[None])[0][0])
        yaw = math.atan2(out_dir[1], out_dir[0])
        mid = (root - out_dir * ROOT_M + tip) / 2
        out.append(Structure(id=f"pier-{k + 1}", kind="pier", x=round(float(mid[0]), 3), y=round(float(mid[1]), 3),
                             z=round(level, 3), yaw=round(yaw, 5), w=round(length + ROOT_M, 3), d=width, h=DECK_M,
                             color=(0.42, 0.3, 0.2), material="wood"))
        if kind == "quay":
            qw, qd, qh = QUAY_SIZE_M
            at = root + out_dir * 1.0
            out.append(Structure(id=f"quay-{k + 1}", kind="quay", x=round(float(at[0]), 3), y=round(float(at[1]), 3),
                                 z=round(level, 3), yaw=round(yaw + math.pi / 2, 5), w=qw, d=qd, h=qh,
                                 color=(0.55, 0.53, 0.5), material="stone"))
    return out


# ------------------------------------------------------------------------------------------- boats


def _boat(kind_name: str, k: int, x: float, y: float, z: float, yaw: float, scale: float,
          rgb: tuple[float, float, float]) -> Structure:
    kind = BOAT_KINDS[kind_name]
    return Structure(id=f"{kind_name}-{k}", kind=kind_name, x=round(x, 3), y=round(y, 3), z=round(z, 3),
                     yaw=round(yaw, 5), w=round(kind.length * scale, 3), d=round(kind.beam * scale, 3),
                     h=round(kind.height * scale, 3), color=rgb, material="boat")


def _moorings(piers: list[Structure], kind: BoatKind, scale: float) -> list[tuple[float, float, float]]:
    """Berths along both sides of each pier's outer part, boats lying alongside it: (x, y, yaw)."""
    out = []
    length, beam = kind.length * scale, kind.beam * scale
    for p in piers:
        c, s = math.cos(p.yaw), math.sin(p.yaw)
        root = np.array([p.x - c * p.w / 2, p.y - s * p.w / 2])
        for t in np.arange(p.w - length / 2 - 1.0, p.w * 0.4, -(length + BOAT_GAP_M + 0.5)):
            for side in (1.0, -1.0):
                off = side * (p.d / 2 + beam / 2 + 0.6)
                out.append((float(root[0] + c * t - s * off), float(root[1] + s * t + c * off),
                            p.yaw if side > 0 else p.yaw + math.pi))
    return out


def _anchorages(water: Water, kind: BoatKind, scale: float, near: np.ndarray, rng: np.random.Generator,
                wind: float) -> list[tuple[float, float, float]]:
    """Open water far enough from land and deep enough for the kind, nearest `near` first."""
    reach = max(kind.offshore * scale, 0.6 * kind.length * scale)
    ok = water.wet_c & (water.land_dist_c >= reach) & (water.depth_c >= kind.depth * scale)
    ok &= water.land_dist_c <= max(reach * 4.0, 160.0)
    ii, jj = np.nonzero(ok)
    if not len(ii):
        return []
    xy = water.coarse_xy(ii, jj) + rng.uniform(-0.4, 0.4, (len(ii), 2)) * water.stride * water.cell_m
    order = np.argsort(np.hypot(*(xy - near).T) + rng.uniform(0.0, 12.0, len(xy)), kind="stable")[:400]
    yaw = wind + rng.uniform(-0.35, 0.35, len(order))
    return [(float(xy[o, 0]), float(xy[o, 1]), float(a)) for o, a in zip(order, yaw, strict=True)]


#: words that put a small boat on the shore instead of the water ("a rowing boat pulled up on a pebble shore")
ASHORE = re.compile(r"\b(?:(?:pulled|drawn|hauled|dragged) up|beached|ashore|aground|stranded|"
                    r"(?:lying|resting|sitting|upturned|overturned) on|"
                    r"on the (?:shore|beach|shingle|sand|pebbles|bank|lakeshore|strand|foreshore))\b")
#: the boat kinds pulled up a beach (a fishing boat by its crew and a winch, as on an open fishing beach)
BEACHABLE = ("rowboat", "motorboat", "fishing_boat")
#: a beached boat lists this much (radians) onto its bilge; its keel this far (share of its length) up the shore
#: from the waterline; no steeper ground than this (rise over run) under it
BEACHED_ROLL, BEACHED_UP, BEACHED_SLOPE = 0.2, 0.45, 0.3


def asks_ashore(spec: WorldSpec) -> bool:
    """Whether the prompt puts its boat on the shore."""
    return bool(ASHORE.search(spec.text.lower()))


def _ashore(water: Water, kind: BoatKind, scale: float, near: np.ndarray,
            rng: np.random.Generator) -> list[tuple[float, float, float, float, float]]:
    """Places on dry gentle ground at the water's edge nearest `near`, the bow up the shore and the stern at the
    waterline: (x, y, yaw, ground z, pitch) nearest first."""
    length = kind.length * scale
    m = water.stride * water.cell_m
    ii, jj = np.nonzero(~water.wet_c & (water.water_dist_c > 0) & (water.water_dist_c <= 1.5 * m))
    if not len(ii):
        return []
    edge = water.coarse_xy(ii, jj)
    out_xy = -water.out_c[:, ii, jj].T  # from the water up the land
    xy = edge + out_xy * (BEACHED_UP * length)
    order = np.argsort(np.hypot(*(xy - near).T) + rng.uniform(0.0, 6.0, len(xy)), kind="stable")[:200]
    spots = []
    for o in order:
        bow, stern = xy[o] + out_xy[o] * length / 2, xy[o] - out_xy[o] * length / 2
        zb, zs, zc = (float(water.h_at(p)) for p in (bow, stern, xy[o]))
        lv, _ = water.at(np.array([bow, xy[o]]))
        if np.isfinite(lv).any() or abs(zb - zs) > BEACHED_SLOPE * length:
            continue
        spots.append((float(xy[o, 0]), float(xy[o, 1]), math.atan2(out_xy[o, 1], out_xy[o, 0]), zc,
                      math.atan2(zb - zs, length)))
    far = np.hypot(*(np.array([p[:2] for p in spots]).reshape(-1, 2) - near).T)
    return [spots[k] for k in np.argsort([abs(p[4]) + f / 400.0 for p, f in zip(spots, far, strict=True)],
                                         kind="stable")]  # the gentlest shore near there


def place_boats(water: Water, plan: list[str], piers: list[Structure], taken: list[np.ndarray],
                near: np.ndarray, paint: str, rng: np.random.Generator, *, ashore: bool = False) -> list[Structure]:
    """The boats of `plan`, moored along the piers first (all but ferries), then at anchor near `near`; with
    `ashore` each small or fishing boat is pulled up on the shore nearest `near` instead, listing on its bilge."""
    out: list[Structure] = []
    placed: list[np.ndarray] = []
    wind = float(rng.uniform(-math.pi, math.pi))
    counters: dict[str, int] = {}
    for name in plan:
        kind = BOAT_KINDS[name]
        scale = float(rng.uniform(0.9, 1.1))
        rgb = BOAT_PAINT.get(paint) or kind.hulls[int(rng.integers(len(kind.hulls)))]
        if ashore and name in BEACHABLE:  # each boat the shore can take is pulled up on it, side by side
            beached = next(((x, y, yaw, z, pitch) for x, y, yaw, z, pitch in _ashore(water, kind, scale, near, rng)
                            if not any(overlaps(_corners(x, y, yaw, kind.length * scale, kind.beam * scale), o,
                                                PIER_GAP_M) for o in taken)
                            and not any(overlaps(_corners(x, y, yaw, kind.length * scale, kind.beam * scale), o,
                                                 BOAT_GAP_M) for o in placed)), None)
            if beached is not None:
                x, y, yaw, z, pitch = beached
                counters[name] = counters.get(name, 0) + 1
                boat = _boat(name, counters[name], x, y, z + 0.6 * kind.depth * scale, yaw, scale, rgb)
                boat.roll, boat.pitch = BEACHED_ROLL, round(pitch, 5)
                out.append(boat)
                placed.append(_corners(x, y, yaw, kind.length * scale, kind.beam * scale))
                continue
        spots = ([] if name == "ferry" else _moorings(piers, kind, scale)) + _anchorages(water, kind, scale, near,
                                                                                        rng, wind)
        for x, y, yaw in spots:
            rect = _corners(x, y, yaw, kind.length * scale, kind.beam * scale)
            if any(overlaps(rect, o, BOAT_GAP_M) for o in placed) or any(overlaps(rect, o, PIER_GAP_M) for o in taken):
                continue
            z = _floats(water, x, y, yaw, kind, scale)
            if z is None:
                continue
            counters[name] = counters.get(name, 0) + 1
            out.append(_boat(name, counters[name], x, y, z, yaw, scale, rgb))
            placed.append(rect)
            break
    return out


def harbour_and_boats(h: np.ndarray, water_hw: np.ndarray, structures: list[Structure], spec: WorldSpec,
                      rng: np.random.Generator, *, cell_m: float, size_m: float) -> list[Structure]:
    """The harbours and boats a spec asks for, placed on this world's water (none where it has no water)."""
    plan = boat_plan(spec)
    harbours = int(spec.structures.get("harbour", 0))
    if not (plan or harbours) or not np.isfinite(water_hw).any():
        return []
    water = Water.of(h, water_hw, cell_m, size_m)
    target = _target(structures, size_m)
    built = harbour_structures(water, harbour_kind(spec), harbours, target, rng) if harbours else []
    piers = [s for s in built if s.kind == "pier"]
    taken = [_corners(s.x, s.y, s.yaw, s.w, s.d) for s in built + structures if s.kind != "waterfall"]
    near = np.array([piers[0].x, piers[0].y]) if piers else _water_near(water, target)
    return built + place_boats(water, plan, piers, taken, near, spec.modifiers.get("boat", ""), rng,
                               ashore=asks_ashore(spec))


def _water_near(water: Water, target: np.ndarray) -> np.ndarray:
    """The open water nearest a point (where boats gather when there is no harbour)."""
    ii, jj = np.nonzero(water.wet_c & (water.land_dist_c >= 6.0))
    if not len(ii):
        return target
    xy = water.coarse_xy(ii, jj)
    return xy[int(np.argmin(np.hypot(*(xy - target).T)))]


def afloat_note(spec: WorldSpec, structures: list[Structure]) -> str:
    """What of the asked boats and harbours the world could not hold, in a sentence ("" when all of it)."""
    asked, harbours = len(boat_plan(spec)), int(spec.structures.get("harbour", 0))
    placed = sum(s.kind in BOAT_KINDS for s in structures)
    piers = sum(s.kind == "pier" for s in structures)
    out = []
    if placed < asked:
        out.append(f"{asked} boats asked, {placed} placed: the water has no room deep enough for more")
    if piers < harbours:
        out.append(f"{harbours} harbours asked, {piers} built: no more shore with deep water beside it")
    return "; ".join(out)
