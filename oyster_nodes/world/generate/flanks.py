"""A road between two rises ("a path between two hills", "a track between grassy ridges"): two rounded hills raised
either side of the road's middle stretch, the road's corridor and the water left as they were, so a still taken
along the road (camera/between.py) has the rises on both sides of it."""

from __future__ import annotations

import re

import numpy as np
from scipy import ndimage

from ..state.records import Route

F32 = np.float32

#: "between two hills", "between the mountains": the road runs between rises; the words of the rise
BETWEEN = re.compile(r"\bbetween (?:the |two |a pair of |twin |high |steep |rolling |green |wooded |grassy )*"
                     r"(hills?|mountains?|peaks?|ridges?|slopes?|cliffs?|crags?|dunes?|hillsides?|mesas?|buttes?)\b")
#: a raised rise: its centre this far (m) to the side of the road, its radius (m) and height (m); the road's
#: corridor (m either side of its centre line) where the ground is left as it was
SIDE_M, RADIUS_M, HILL_M, CORRIDOR_M = 60.0, 48.0, 32.0, (9.0, 28.0)
#: rise words the world's own relief answers (a mountain range has its peaks; a raised dome would not be one)
OWN_RELIEF = ("mountain", "mountains", "peak", "peaks", "crag", "crags", "cliff", "cliffs", "mesa", "mesas", "butte",
              "buttes")
STEEP_TERRAINS = ("mountains", "canyon", "volcanic", "snowfield")


def asks_between(text: str) -> str:
    """The rise word a prompt puts its road between ("" when none)."""
    found = BETWEEN.search(text.lower())
    return found.group(1) if found else ""


def raise_flanks(h: np.ndarray, paths: list[Route], text: str, terrain: str, *, cell_m: float,
                 road_hw: np.ndarray, wet_hw: np.ndarray) -> bool:
    """Two rises either side of the longest road's middle raised into `h` (in place), unless the world's relief
    is steep of itself (`terrain`); whether it did."""
    word = asks_between(text)
    roads = [p for p in paths if p.kind == "road" and len(p.points_n3) >= 4]
    if not word or word in OWN_RELIEF or terrain in STEEP_TERRAINS or not roads:
        return False
    road = max(roads, key=lambda r: float(np.hypot(*np.diff(r.points_n3[:, :2], axis=0).T).sum()))
    pts = road.points_n3[:, :2].astype(np.float64)
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    mid = walked[-1] / 2
    at = np.array([np.interp(mid, walked, pts[:, 0]), np.interp(mid, walked, pts[:, 1])])
    ahead = np.array([np.interp(mid + 10.0, walked, pts[:, 0]), np.interp(mid + 10.0, walked, pts[:, 1])]) - \
        np.array([np.interp(mid - 10.0, walked, pts[:, 0]), np.interp(mid - 10.0, walked, pts[:, 1])])
    ahead /= max(float(np.linalg.norm(ahead)), 1e-9)
    side = np.array([-ahead[1], ahead[0]])
    tall = HILL_M
    n = h.shape[0]
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) * F32(cell_m)
    bump = np.zeros((n, n), F32)
    for s, stagger in ((1.0, 12.0), (-1.0, -12.0)):
        c = at + side * s * SIDE_M + ahead * stagger
        r2 = ((xx - F32(c[0])) ** 2 + (yy - F32(c[1])) ** 2) / F32(RADIUS_M**2)
        bump += F32(tall) * np.exp(-r2 * F32(1.2)).astype(F32)
    off_road = ndimage.distance_transform_edt(~road_hw) * cell_m
    t = np.clip((off_road - CORRIDOR_M[0]) / (CORRIDOR_M[1] - CORRIDOR_M[0]), 0.0, 1.0)
    keep = (t * t * (3.0 - 2.0 * t)).astype(F32) * (~wet_hw)
    h += bump * keep
    return True
