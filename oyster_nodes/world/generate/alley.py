"""A narrow alley: a lane a few metres wide between two close rows of old terraced houses ("a narrow alley between
old houses", "a cobbled alleyway in an old town").

The prompt reader marks it as the road modifier "narrow" (an alley, an alleyway, a narrow street or lane). Outside
a city, with dwellings asked, the dwellings become the alley's two rows: the strip is levelled on the flattest
ground that holds it, the lane is carved down its middle as a road, and the houses stand gable to gable along both
sides, their fronts a step from the lane, each a little different in width, depth, height and colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..prompt.spec import WorldSpec
from ..state.records import Structure
from .city import city_site
from .structures import Site, carve_road, flatten

#: the lane's length (m), its width between the house fronts (m) and the carved carriageway's width (m)
LANE_M, FRONTS_M, CARRIAGEWAY_M = 84.0, 5.0, 4.8
#: a terraced house's width along the lane, depth back from it and wall-plus-roof height (m), as (low, high)
HOUSE_W_M, HOUSE_D_M, HOUSE_H_M = (6.0, 8.5), (8.5, 11.0), (8.5, 12.5)
#: street lamps along the lane: this far apart (m), on either side in turn, this far in from the house fronts (m)
LAMP_EVERY_M, LAMP_IN_M = 13.0, 0.35
#: the gap between neighbouring houses of a row (m): they touch, as a terrace does
PARTY_GAP_M = 0.25
#: the structure kinds that become the alley's houses
DWELLINGS = ("house", "cabin", "village")
#: old-town walls (sRGB): ochre, cream, faded red, whitewash, grey stone, sand
OLD_WALLS: tuple[tuple[float, float, float], ...] = (
    (0.78, 0.62, 0.38), (0.86, 0.8, 0.66), (0.66, 0.36, 0.28), (0.9, 0.89, 0.84), (0.58, 0.56, 0.52),
    (0.76, 0.68, 0.52),
)


@dataclass(kw_only=True, slots=True)
class Alley:
    """What an alley adds to the world: its houses, its lane ([x, y, z] points) and the strip's middle."""

    houses: list[Structure] = field(default_factory=list)
    lane: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    centre: tuple[float, float] = (0.0, 0.0)
    yaw: float = 0.0
    #: street lamps at the house fronts, on either side in turn: x, y rows
    lamps: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


def wants_alley(spec: WorldSpec) -> bool:
    """A narrow lane named outside a city, with dwellings (or a village) to line it."""
    dwellings = any(spec.structures.get(k) for k in DWELLINGS)
    return spec.modifiers.get("road") == "narrow" and dwellings and not spec.structures.get("city")


def build_alley(h: np.ndarray, road_mask: np.ndarray, site: Site, rng: np.random.Generator, *, cell_m: float,
                level_hw: np.ndarray) -> Alley:
    """Lay out the alley on `h` (levelled and carved in place); nothing when no place holds it."""
    depth = FRONTS_M + 2 * HOUSE_D_M[1] + 4.0
    where = city_site(site, LANE_M + 24.0, rng)
    if where is None:
        return Alley()
    cx, cy = where
    yaw = float(rng.uniform(-math.pi, math.pi))
    level = flatten(h, cell_m=cell_m, x=cx, y=cy, w=LANE_M + 12.0, d=depth, yaw=yaw, apron_m=4.0, blend_m=20.0)
    c, s = math.cos(yaw), math.sin(yaw)

    def world(u: float, v: float) -> tuple[float, float]:
        return cx + u * c - v * s, cy + u * s + v * c

    ends = np.array([world(-LANE_M / 2 - 6.0, 0.0), world(LANE_M / 2 + 6.0, 0.0)])
    route = np.linspace(ends[0], ends[1], int(LANE_M / 3))
    points, _ = carve_road(h, road_mask, route, cell_m=cell_m, level_hw=level_hw, width_m=CARRIAGEWAY_M)
    out = Alley(lane=np.asarray(points, np.float64), centre=(cx, cy), yaw=yaw)
    steps = np.arange(-LANE_M / 2 + LAMP_EVERY_M / 2, LANE_M / 2, LAMP_EVERY_M)
    out.lamps = np.array([world(float(u), (1 if k % 2 else -1) * (FRONTS_M / 2 - LAMP_IN_M))
                          for k, u in enumerate(steps)], np.float64).reshape(-1, 2)
    for side in (-1.0, 1.0):
        u = -LANE_M / 2
        while True:
            w = float(rng.uniform(*HOUSE_W_M))
            if u + w > LANE_M / 2:
                break
            d, tall = float(rng.uniform(*HOUSE_D_M)), float(rng.uniform(*HOUSE_H_M))
            v = side * (FRONTS_M / 2 + d / 2)
            x, y = world(u + w / 2, v)
            out.houses.append(Structure(
                id=f"house-{len(out.houses) + 1}", kind="house", x=round(x, 3), y=round(y, 3), z=round(level, 3),
                yaw=round(yaw, 5), w=round(w - PARTY_GAP_M, 3), d=round(d, 3), h=round(tall, 3),
                color=OLD_WALLS[int(rng.integers(0, len(OLD_WALLS)))], roof="gable", material="plaster", village=1))
            u += w
    return out
