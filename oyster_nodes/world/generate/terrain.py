"""Heightfields: value-noise fBm and ridged noise, per-biome relief, shore shaping, thermal erosion,
and terrain materials. All vectorised numpy on float32; randomness only from the Generator passed in."""

from __future__ import annotations

import numpy as np

from ..state.world_state import MATERIALS

MAT = {name: i for i, name in enumerate(MATERIALS)}
F32 = np.float32


def _cubic_weights(t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Catmull-Rom weights for the 4 taps around each sample."""
    t2, t3 = t * t, t * t * t
    return (
        -0.5 * t3 + t2 - 0.5 * t,
        1.5 * t3 - 2.5 * t2 + 1.0,
        -1.5 * t3 + 2.0 * t2 + 0.5 * t,
        0.5 * t3 - 0.5 * t2,
    )


def _taps(n: int, cells: int) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    pos = np.linspace(0.0, cells, n, dtype=np.float64)
    i0 = np.minimum(pos.astype(np.int64), cells - 1)
    w = tuple(x.astype(F32) for x in _cubic_weights(pos - i0))
    return i0, w


def value_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """Smooth noise in about [-1, 1] on an n x n grid with `cells` lattice cells per side."""
    cells = max(1, int(cells))
    lattice = rng.uniform(-1.0, 1.0, size=(cells + 3, cells + 3)).astype(F32)
    i0, w = _taps(n, cells)
    rows = sum(w[k][None, :] * lattice[:, i0 + k] for k in range(4))  # (cells+3, n)
    return sum(w[k][:, None] * rows[i0 + k, :] for k in range(4)).astype(F32)


def fbm(rng: np.random.Generator, n: int, cells: int, octaves: int, gain: float = 0.5) -> np.ndarray:
    total = np.zeros((n, n), F32)
    amp, norm = 1.0, 0.0
    for k in range(octaves):
        c = cells * 2**k
        if c > n // 2:
            break
        total += F32(amp) * value_noise(rng, n, c)
        norm += amp
        amp *= gain
    return total / F32(norm)


def ridged(rng: np.random.Generator, n: int, cells: int, octaves: int, gain: float = 0.5) -> np.ndarray:
    """Ridged multifractal-like noise in [0, 1]: sharp crests where the base noise crosses zero."""
    total = np.zeros((n, n), F32)
    amp, norm = 1.0, 0.0
    weight = np.ones((n, n), F32)
    for k in range(octaves):
        c = cells * 2**k
        if c > n // 2:
            break
        r = F32(1.0) - np.abs(value_noise(rng, n, c))
        r = r * r * weight
        weight = np.clip(r * 1.6, 0.0, 1.0)
        total += F32(amp) * r
        norm += amp
        amp *= gain
    return total / F32(norm)


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    u = np.linspace(0.0, 1.0, n, dtype=F32)
    return u[None, :], u[:, None]  # x (columns), y (rows), broadcastable


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - F32(e0)) / F32(e1 - e0), 0.0, 1.0)
    return t * t * (F32(3.0) - F32(2.0) * t)


def biome_height(terrain: str, rng: np.random.Generator, n: int, size_m: float, relief: float) -> np.ndarray:
    """Relief of one biome in metres, roughly 0 at its lowest; scale follows the map size."""
    scale = max(1.0, size_m / 1024.0)
    c = max(1, round(2 * scale))  # lattice cells for the largest features, ~500 m apart
    x, y = _grid(n)
    detail = fbm(rng, n, c * 8, 6)
    if terrain == "mountains":
        h = ridged(rng, n, c * 2, 7) * F32(330) + fbm(rng, n, c, 3) * F32(90) + detail * F32(8)
    elif terrain == "hills":
        h = (fbm(rng, n, c * 2, 6) + F32(1.0)) * F32(45) + detail * F32(3)
    elif terrain == "plains":
        h = (fbm(rng, n, c, 5) + F32(1.0)) * F32(6) + detail * F32(1.2)
    elif terrain == "valley":
        warp = fbm(rng, n, c, 3) * F32(0.12)
        d = np.abs(y - F32(0.5) - warp)
        h = F32(150) * _smoothstep(0.04, 0.45, d) ** F32(1.3) + (fbm(rng, n, c * 2, 6) + F32(1)) * F32(25)
    elif terrain == "canyon":
        h = _canyon(rng, n, c, x, y, detail)
    elif terrain == "dunes":
        h = _dunes(rng, n, c, x, y, scale)
    elif terrain == "snowfield":
        h = (fbm(rng, n, c * 2, 6) + F32(1.0)) * F32(30) + detail * F32(1.5)
    elif terrain == "swamp":
        h = (fbm(rng, n, c * 3, 6) + F32(1.0)) * F32(2.2) + detail * F32(0.4)
    elif terrain == "volcanic":
        h = _volcano(rng, n, c, x, y, detail)
    else:
        raise ValueError(f"unknown terrain {terrain!r}")
    h = h * F32(relief)
    return (h - h.min()).astype(F32)


def _canyon(
    rng: np.random.Generator, n: int, c: int, x: np.ndarray, y: np.ndarray, detail: np.ndarray
) -> np.ndarray:
    warp = fbm(rng, n, c, 4) * F32(0.18)
    d = np.abs(y - F32(0.5) - warp)
    floor = _smoothstep(0.025, 0.11, d)
    plateau = F32(90) + fbm(rng, n, c * 2, 4) * F32(12)
    h = plateau * floor
    step = F32(12.0)
    terraced = np.floor(h / step) * step + F32(0.35) * (h - np.floor(h / step) * step)
    mesas = _smoothstep(0.55, 0.7, ridged(rng, n, c * 2, 3)) * F32(35)
    return terraced + mesas * floor + detail * F32(2.0)


def _dunes(
    rng: np.random.Generator, n: int, c: int, x: np.ndarray, y: np.ndarray, scale: float
) -> np.ndarray:
    angle = float(rng.uniform(0, np.pi))
    along = x * F32(np.cos(angle)) + y * F32(np.sin(angle))
    warp = fbm(rng, n, c * 2, 4) * F32(1.5)
    waves = F32(11.0 * scale)
    phase = (along * waves + warp) % F32(1.0)
    profile = np.where(phase < 0.7, phase / F32(0.7), (F32(1.0) - phase) / F32(0.3))  # gentle windward side
    return profile ** F32(1.5) * F32(18) + (fbm(rng, n, c, 4) + F32(1)) * F32(12)


def _volcano(
    rng: np.random.Generator, n: int, c: int, x: np.ndarray, y: np.ndarray, detail: np.ndarray
) -> np.ndarray:
    cx, cy = (float(v) for v in rng.uniform(0.4, 0.6, size=2))
    warp = fbm(rng, n, c * 2, 3) * F32(0.04)
    r = np.sqrt((x - F32(cx)) ** 2 + (y - F32(cy)) ** 2) + warp
    cone = F32(340) * np.clip(F32(1.0) - r / F32(0.42), 0.0, 1.0) ** F32(1.8)
    crater = F32(90) * (F32(1.0) - _smoothstep(0.02, 0.075, r))
    flows = ridged(rng, n, c * 4, 4) * F32(25) * np.clip(F32(1.0) - r / F32(0.5), 0.0, 1.0)
    return cone - crater + flows + (fbm(rng, n, c, 4) + F32(1.0)) * F32(15) + detail * F32(2.5)


def apply_shore(h: np.ndarray, shore: str, rng: np.random.Generator, n: int, cliffs: bool = False) -> np.ndarray:
    """Push part of the land below sea level 0: a coast on one side, or the ring around an island.

    `cliffs` (a coast): the land stands 25-45 m above the sea and drops into it over a few tens of metres."""
    if shore == "none":
        return h
    x, y = _grid(n)
    c = 3
    warp = fbm(rng, n, c, 4) * F32(0.08)
    land = h - np.percentile(h, 5) + F32(3.0)
    if shore == "island":
        r = np.sqrt((x - F32(0.5)) ** 2 + (y - F32(0.5)) ** 2) + warp
        mask = F32(1.0) - _smoothstep(0.17, 0.36, r)
        hills = (fbm(rng, n, 4, 4) + F32(1.0)) * F32(14.0) + F32(10.0)
        land = land + hills * (F32(1.0) - _smoothstep(0.02, 0.26, r)) ** F32(1.5)  # gentle inland hills
    elif shore == "bay":
        side = int(rng.integers(0, 4))
        coord = np.broadcast_to((x, F32(1.0) - x, y, F32(1.0) - y)[side], (n, n))
        mask = _bay_land(coord, np.broadcast_to((y, y, x, x)[side], (n, n)), warp, float(rng.uniform(-0.06, 0.06)))
        if cliffs:  # a fjord, a cliff-girt cove: the land stands high and drops steeply into the water
            top = F32(25.0) + (fbm(rng, n, 6, 3) + F32(1.0)) * F32(10.0)
            land = land + top * _smoothstep(0.05, 0.5, mask)
            mask = _smoothstep(0.0, 0.3, mask)
    else:
        side = int(rng.integers(0, 4))
        coord = (x, F32(1.0) - x, y, F32(1.0) - y)[side] + warp
        coord = np.broadcast_to(coord, (n, n))
        mask = _smoothstep(0.18, 0.4, coord)
        if cliffs:
            top = F32(25.0) + (fbm(rng, n, 6, 3) + F32(1.0)) * F32(10.0)
            land = land + top * _smoothstep(0.2, 0.235, coord)
            mask = _smoothstep(0.17, 0.215, coord)
    depth = F32(-16.0 if shore == "island" else -25.0)  # islands: a shallow lagoon shelf
    sea_floor = depth * (F32(1.0) - mask) ** F32(1.6 if shore == "island" else 1.0)
    rise = F32(1.5 if shore == "island" else 0.7)  # islands: land climbs slowly from a long beach
    return _beach_shelf(land * mask**rise + sea_floor + F32(2.0) * mask - F32(1.0))


#: a bay (shares of the world's side): its basin's middle this far in from the sea's border, the basin's half-length
#: inland and half-width along the coast (longer than wide: from its back the shores on both sides show), the
#: half-width of its mouth, and the strip of open sea along that border beyond the mouth
BAY_AT, BAY_LONG, BAY_WIDE, BAY_MOUTH, BAY_OPEN = 0.42, 0.24, 0.14, 0.085, 0.07


def _bay_land(coord: np.ndarray, along: np.ndarray, warp: np.ndarray, shift: float) -> np.ndarray:
    """0..1 land mask of a bay: a long basin of water inside the land, open to the sea on one side through a
    narrower mouth between two headlands (land on three sides of the water); `coord` runs in from the sea's
    border, `along` beside it."""
    across = along - F32(0.5 + shift)
    basin = (np.sqrt(((coord - F32(BAY_AT)) / F32(BAY_LONG)) ** 2 + (across / F32(BAY_WIDE)) ** 2) - F32(1.0)) \
        * F32(BAY_WIDE)
    mouth = np.maximum(np.abs(across) - F32(BAY_MOUTH), coord - F32(BAY_AT))
    d = np.minimum(np.minimum(basin, mouth), coord - F32(BAY_OPEN)) + warp * F32(0.5)
    return _smoothstep(0.0, 0.09, d)


def _beach_shelf(h: np.ndarray, reach_m: float = 6.0) -> np.ndarray:
    """Heights within `reach_m` of sea level 0 pulled toward it (slopes there down to a quarter, monotonic),
    so shores shelve gently into beaches and shallows while cliffs above keep their height."""
    t = np.clip(np.abs(h) / F32(reach_m), 0.0, 1.0)
    return (h * (F32(0.25) + F32(0.75) * t * t * (F32(3.0) - F32(2.0) * t))).astype(F32)


def edge_falloff(h: np.ndarray, sea_level: float | None, width: float = 0.12) -> np.ndarray:
    """Relief eased down toward the world's boundary, so no cliff is cut off at the edge: under the sea
    where there is a sea, else toward the low ground (keeping a little of the relief)."""
    n = h.shape[0]
    x, y = _grid(n)
    edge = np.minimum(np.minimum(x, F32(1.0) - x), np.minimum(y, F32(1.0) - y))
    s = _smoothstep(0.0, width, edge)
    if sea_level is not None:
        return (h * s + F32(sea_level - 14.0) * (F32(1.0) - s)).astype(F32)
    lo = F32(np.percentile(h, 12))
    return (lo + (h - lo) * (F32(0.15) + F32(0.85) * s)).astype(F32)


def thermal_erosion(
    h: np.ndarray, *, cell_m: float, talus: float = 0.7, rate: float = 0.25, iterations: int = 6
) -> np.ndarray:
    """Move material downhill wherever the slope to a 4-neighbour exceeds `talus` (rise over run)."""
    h = h.astype(F32, copy=True)
    limit = F32(talus * cell_m)
    k = F32(rate * 0.25)
    for _ in range(iterations):
        dx = h[:, 1:] - h[:, :-1]
        dy = h[1:, :] - h[:-1, :]
        mx = (np.maximum(np.abs(dx) - limit, 0.0) * np.sign(dx) * k).astype(F32)
        my = (np.maximum(np.abs(dy) - limit, 0.0) * np.sign(dy) * k).astype(F32)
        h[:, 1:] -= mx
        h[:, :-1] += mx
        h[1:, :] -= my
        h[:-1, :] += my
    return h


def slope(h: np.ndarray, cell_m: float) -> np.ndarray:
    """Gradient magnitude (rise over run)."""
    gy, gx = np.gradient(h, F32(cell_m))
    return np.sqrt(gx * gx + gy * gy).astype(F32)


def materials(
    *,
    terrain: str,
    h: np.ndarray,
    slope_hw: np.ndarray,
    moisture_hw: np.ndarray,
    noise_hw: np.ndarray,
    sea_level: float | None,
    season: str,
    forest: float,
) -> np.ndarray:
    """Material id per cell from biome, slope, altitude and moisture."""
    base = {"dunes": "sand", "canyon": "dirt", "snowfield": "snow", "swamp": "mud", "volcanic": "ash"}
    mat = np.full(h.shape, MAT[base.get(terrain, "grass")], np.uint8)
    lo, hi = np.percentile(h, (5, 95))
    alt = (h - F32(lo)) / F32(max(hi - lo, 1e-3))
    if terrain == "swamp":
        mat[moisture_hw + noise_hw * F32(0.3) < 0.55] = MAT["grass"]
    if terrain == "volcanic":
        mat[(alt < 0.35) & (noise_hw > 0.1)] = MAT["dirt"]
    if terrain == "canyon":
        mat[(alt < 0.15)] = MAT["sand"]
    if terrain in ("hills", "plains", "valley", "mountains", "swamp") and forest > 0:
        woods = (moisture_hw * F32(0.6) + noise_hw * F32(0.5)) > F32(1.0 - 0.6 * forest)
        mat[woods & (mat == MAT["grass"])] = MAT["forest_floor"]
    steep = F32(0.85 if terrain != "mountains" else 0.6)
    mat[slope_hw > steep] = MAT["rock"]
    mat[(slope_hw > steep * F32(0.7)) & (slope_hw <= steep) & (noise_hw > 0.2)] = MAT["gravel"]
    snowline = {"winter": 0.35, "spring": 0.7, "autumn": 0.78, "summer": 0.85}[season]
    if terrain in ("mountains", "snowfield", "volcanic") or season == "winter":
        snow = (alt + noise_hw * F32(0.08) > F32(snowline)) & (slope_hw < F32(1.1))
        if season == "winter" and terrain not in ("dunes", "canyon"):
            snow |= slope_hw < F32(0.5)
        mat[snow] = MAT["snow"]
    if sea_level is not None:
        beach = (h < F32(sea_level + 2.5 + noise_hw * 1.0)) & (slope_hw < 0.4)
        mat[beach] = MAT["sand"]
    return mat
