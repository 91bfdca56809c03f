"""A city: a street grid on levelled ground, its blocks built up with multi-storey buildings of several heights.

The grid is laid out square to a random bearing on the flattest ground that holds it; the whole square is levelled
to one height, the streets are carved as roads (with street lamps along them, as every road near buildings gets),
the pavement between the carriageways and the buildings is paved, and each block holds one to four buildings, the
tallest towards the middle (downtown) and lower ones at the edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..state.records import Structure
from .structures import Site, carve_road, flatten

F32 = np.float32

#: a block's side between the streets' kerbs (m), a street's width kerb to kerb (m), the carriageway's width (m)
BLOCK_M, STREET_M, CARRIAGEWAY_M = 34.0, 14.0, 8.0
#: blocks across the grid, most and fewest (fewer in a small world)
MOST_BLOCKS, FEWEST_BLOCKS = 5, 2
#: street lamps stand this far apart along each kerb (m)
LAMP_EVERY_M = 24.0
#: one storey's height (m)
STOREY_M = 3.4
#: facade colours (sRGB): concrete, pale stone, brick, dark glass, sandstone
FACADES: tuple[tuple[float, float, float], ...] = (
    (0.62, 0.62, 0.6), (0.78, 0.75, 0.68), (0.52, 0.3, 0.22), (0.25, 0.3, 0.36), (0.7, 0.6, 0.45),
)

#: a futuristic city's curtain walls (sRGB; each dark and blue enough to read as glass, meshes.facade_style), one
#: per FACADES entry (the same draw picks either), its towers this many times taller (and this many storeys more),
#: on lots this much narrower each side (m): slender towers with room between them
GLASS_FACADES: tuple[tuple[float, float, float], ...] = (
    (0.2, 0.27, 0.34), (0.26, 0.32, 0.4), (0.16, 0.22, 0.3), (0.3, 0.35, 0.41), (0.22, 0.3, 0.33),
)
FUTURE_TALLER, FUTURE_STOREYS, FUTURE_SETBACK_M = 1.7, 6, 3.0


@dataclass(kw_only=True, slots=True)
class City:
    """What a city adds to the world: its buildings, its street polylines ([x, y, z] points) and paved cells."""

    buildings: list[Structure] = field(default_factory=list)
    streets: list[np.ndarray] = field(default_factory=list)
    paved: np.ndarray | None = None
    centre: tuple[float, float] = (0.0, 0.0)
    #: street lamps on both kerbs of every street: x, y rows
    lamps: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


def blocks_for(size_m: float) -> int:
    """How many blocks across a city in a world of this size has (it takes at most half the world's side)."""
    pitch = BLOCK_M + STREET_M
    return int(np.clip((0.5 * size_m - STREET_M) // pitch, FEWEST_BLOCKS, MOST_BLOCKS))


def city_site(site: Site, span: float, rng: np.random.Generator) -> tuple[float, float] | None:
    """The flattest dry place (coarse cell centre) that holds a square of `span` metres, away from the border."""
    m = site.stride * site.cell_m
    rows = site.h.shape[0]
    half = int(math.ceil(span / 2 / m)) + 1
    if 2 * half + 2 >= rows:
        return None
    from scipy import ndimage

    rough = ndimage.uniform_filter(site.slope.astype(np.float64), size=2 * half + 1)
    wet = ndimage.maximum_filter(site.wet.astype(np.uint8), size=2 * half + 1) > 0
    spread = ndimage.maximum_filter(site.h, size=2 * half + 1) - ndimage.minimum_filter(site.h, size=2 * half + 1)
    score = -rough - 0.02 * spread + rng.uniform(0.0, 0.01, size=rough.shape)
    score[wet] = -np.inf
    score[:half, :] = score[-half:, :] = score[:, :half] = score[:, -half:] = -np.inf
    k = int(np.argmax(score))
    if not np.isfinite(score.ravel()[k]):
        return None
    i, j = divmod(k, rows)
    return site.xy(i, j)


def build_city(h: np.ndarray, road_mask: np.ndarray, site: Site, rng: np.random.Generator, *, cell_m: float,
               size_m: float, level_hw: np.ndarray, index: int = 1, futuristic: bool = False) -> City:
    """Lay out one city on `h` (levelled and carved in place); nothing when no place holds it. A futuristic one
    ("a futuristic city") has taller, slimmer towers of glass (material "glass": meshes.py draws them sleek,
    their edges lit); its layout and random draws are the plain city's."""
    blocks = blocks_for(size_m)
    pitch = BLOCK_M + STREET_M
    span = blocks * pitch + STREET_M
    where = city_site(site, span + 20.0, rng)
    if where is None:
        return City()
    cx, cy = where
    yaw = float(rng.uniform(0.0, math.pi / 2))
    level = flatten(h, cell_m=cell_m, x=cx, y=cy, w=span, d=span, yaw=yaw, apron_m=6.0, blend_m=30.0)
    c, s = math.cos(yaw), math.sin(yaw)

    def world(u: float, v: float) -> tuple[float, float]:
        return cx + u * c - v * s, cy + u * s + v * c

    city = City(centre=(cx, cy), paved=_square(h.shape[0], cell_m, cx, cy, span, yaw))
    lines = [-span / 2 + STREET_M / 2 + k * pitch for k in range(blocks + 1)]
    for t in lines:
        for along_u in (True, False):
            a, b = (-span / 2, t), (span / 2, t)
            ends = [world(*a), world(*b)] if along_u else [world(a[1], a[0]), world(b[1], b[0])]
            route = np.linspace(ends[0], ends[1], max(2, int(span / 4)))
            points, _ = carve_road(h, road_mask, route, cell_m=cell_m, level_hw=level_hw, width_m=CARRIAGEWAY_M)
            city.streets.append(np.asarray(points, np.float64))
    kerb = STREET_M / 2 - 1.0
    steps = np.arange(-span / 2 + STREET_M, span / 2 - STREET_M / 2, LAMP_EVERY_M)
    lamps = [world(a, t + side) for t in lines for a in steps for side in (-kerb, kerb)]
    lamps += [world(t + side, a) for t in lines for a in steps + LAMP_EVERY_M / 2 for side in (-kerb, kerb)]
    city.lamps = np.asarray(lamps, np.float64).reshape(-1, 2)
    reach = 0.5 * blocks * pitch
    counter = 0
    for bi in range(blocks):
        for bj in range(blocks):
            u0 = -span / 2 + STREET_M + bi * pitch
            v0 = -span / 2 + STREET_M + bj * pitch
            for lu, lv, lw, ld in _lots(rng):
                u, v = u0 + (lu + lw / 2) * BLOCK_M, v0 + (lv + ld / 2) * BLOCK_M
                downtown = math.exp(-((u * u + v * v) / (0.55 * reach) ** 2))
                storeys = int(2 + rng.integers(0, 3) + round(downtown * rng.uniform(4.0, 22.0)))
                x, y = world(u, v)
                counter += 1
                facade = int(rng.integers(0, len(FACADES)))
                trim = 3.0 + (2 * FUTURE_SETBACK_M if futuristic else 0.0)
                if futuristic:
                    storeys = int(storeys * FUTURE_TALLER) + FUTURE_STOREYS
                city.buildings.append(Structure(
                    id=f"highrise-{counter}", kind="highrise", x=round(x, 3), y=round(y, 3), z=round(level, 3),
                    yaw=round(yaw, 5), w=round(lw * BLOCK_M - trim, 3), d=round(ld * BLOCK_M - trim, 3),
                    h=round(storeys * STOREY_M + 1.2, 3), color=(GLASS_FACADES if futuristic else FACADES)[facade],
                    roof="flat", material="glass" if futuristic else "concrete", village=index))
    return city


def _lots(rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """A block split into lots (u, v, width, depth as shares of the block): whole, halves or quarters."""
    pick = rng.random()
    if pick < 0.25:
        return [(0.0, 0.0, 1.0, 1.0)]
    if pick < 0.55:
        return [(0.0, 0.0, 0.5, 1.0), (0.5, 0.0, 0.5, 1.0)]
    return [(a, b, 0.5, 0.5) for a in (0.0, 0.5) for b in (0.0, 0.5)]


def _square(n: int, cell_m: float, cx: float, cy: float, span: float, yaw: float) -> np.ndarray:
    """Cells inside the city's square."""
    ii, jj = np.mgrid[0:n, 0:n]
    dx, dy = jj * cell_m - cx, ii * cell_m - cy
    c, s = math.cos(yaw), math.sin(yaw)
    u, v = np.abs(dx * c + dy * s), np.abs(-dx * s + dy * c)
    return (u <= span / 2) & (v <= span / 2)


#: no trees this near a city's edge (m): parks and forest keep their distance from the streets
CLEARING_M = 30.0


def outskirts(paved: np.ndarray, cell_m: float) -> np.ndarray:
    """Cells within CLEARING_M of the city's square."""
    from scipy import ndimage

    return ndimage.distance_transform_edt(~paved) * cell_m <= CLEARING_M
