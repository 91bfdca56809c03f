"""Terrain colour maps read off a WorldState: albedo per material, rock tones, roads, lamp pools, normals.

Pure numpy and OpenCV (no GL), so the renderer, the top-down map and the 3D exports share one palette and
agree on every colour whether or not a GL context can be made.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

#: sRGB albedo per terrain material (index as in MATERIALS)
MATERIAL_SRGB = {
    "grass": (0.22, 0.33, 0.14),
    "rock": (0.4, 0.385, 0.36),
    "sand": (0.78, 0.71, 0.53),
    "snow": (0.9, 0.94, 0.99),
    "dirt": (0.46, 0.36, 0.25),
    "forest_floor": (0.27, 0.29, 0.14),
    "road": (0.38, 0.36, 0.33),
    "mud": (0.31, 0.25, 0.18),
    "ash": (0.2, 0.2, 0.21),
    "gravel": (0.52, 0.5, 0.46),
}


#: sRGB albedo overrides per terrain kind (warm sandstone in canyons and dunes)
TERRAIN_SRGB = {
    "canyon": {"rock": (0.66, 0.4, 0.25), "dirt": (0.72, 0.5, 0.32), "sand": (0.8, 0.6, 0.4),
               "gravel": (0.62, 0.44, 0.3)},
    "dunes": {"rock": (0.64, 0.44, 0.3), "sand": (0.84, 0.66, 0.44), "dirt": (0.7, 0.52, 0.36)},
    "mesa": {"rock": (0.66, 0.4, 0.25), "dirt": (0.72, 0.5, 0.32)},
    "volcanic": {"rock": (0.17, 0.16, 0.16)},  # dark basalt and lava rock
}


#: sRGB sand a sand modifier asks for ("black sand", "white sand beach")
SAND_SRGB = {
    "black": (0.12, 0.115, 0.11), "white": (0.75, 0.73, 0.67), "golden": (0.86, 0.68, 0.4),
    "red": (0.72, 0.38, 0.22), "pink": (0.88, 0.72, 0.68), "grey": (0.52, 0.5, 0.47), "wet": (0.55, 0.49, 0.37),
}
#: sRGB rock a rock modifier asks for ("black rock", "red rock")
ROCK_SRGB = {
    "black": (0.13, 0.125, 0.13), "red": (0.62, 0.34, 0.22), "grey": (0.45, 0.44, 0.43),
    "white": (0.78, 0.76, 0.72), "golden": (0.7, 0.55, 0.33),
}
#: relief kinds whose rock shows strata (sedimentary layers); elsewhere rock is unbanded
STRATA_TERRAINS = ("canyon",)


def terrain_colours(spec: dict) -> dict[str, tuple[float, float, float]]:
    """sRGB albedo per material for a world's spec: the base palette, the terrain's, the prompt's modifiers."""
    colours = {**MATERIAL_SRGB, **TERRAIN_SRGB.get(str(spec.get("terrain", "")), {})}
    if spec.get("season") == "winter" or spec.get("terrain") == "snowfield":
        colours["rock"] = (0.25, 0.24, 0.24)  # dark rock against snow
    mods = spec.get("modifiers") or {}
    if mods.get("sand") in SAND_SRGB:
        colours["sand"] = SAND_SRGB[mods["sand"]]
    if mods.get("rock") in ROCK_SRGB:
        colours["rock"] = ROCK_SRGB[mods["rock"]]
    if mods.get("sand") == "pebble":  # "a pebble shore", "a shingle beach": grey stones (generate/world.py)
        colours["gravel"] = PEBBLE_SRGB
    return colours


#: sRGB of a pebble shore's stones, and how much they vary stone to stone (a cell's brightness, +-)
PEBBLE_SRGB, PEBBLE_MOTTLE = (0.44, 0.44, 0.43), 0.38


def _mottled(rgb: np.ndarray, mat: np.ndarray, spec: dict, seed: int) -> np.ndarray:
    """A pebble shore's gravel mottled light and dark cell by cell, some stones warmer, some cooler."""
    if ((spec or {}).get("modifiers") or {}).get("sand") != "pebble":
        return rgb
    stones = mat == MATERIALS.index("gravel")
    if not stones.any():
        return rgb
    rng = np.random.default_rng(seed + 11)
    light = 1.0 + PEBBLE_MOTTLE * (rng.random(mat.shape, dtype=np.float32) * 2.0 - 1.0)
    warm = 0.06 * (rng.random(mat.shape, dtype=np.float32) * 2.0 - 1.0)
    tone = np.stack([light * (1 + warm), light, light * (1 - warm)], axis=-1)
    return np.where(stones[..., None], rgb * tone, rgb)


def terrain_albedo(world: WorldState) -> np.ndarray:
    """uint8 n x n x 4: sRGB albedo from materials, slope, roads and variation; alpha: strata (canyons only)."""
    n, cell = world.n, world.cell_m
    colours = terrain_colours(world.spec)
    palette = np.array([colours.get(m, (0.4, 0.4, 0.4)) for m in MATERIALS] + [(0.4, 0.4, 0.4)] * 246, np.float32)
    mat = np.asarray(world.material_hw, np.uint8)
    rgb = palette[mat]
    h = np.asarray(world.height_hw, np.float32)
    gy, gx = np.gradient(h, cell)
    slope = np.sqrt(gx * gx + gy * gy)
    rng = np.random.default_rng(world.seed + 7)
    rock = np.clip((slope - 0.75) / 0.5, 0, 1)
    if mat.size and (mat == MATERIALS.index("snow")).any():
        rock = rock * np.where(mat == MATERIALS.index("snow"), 0.35, 1.0).astype(np.float32)
    tones = _rock_tones(colours["rock"], n, cell, rng)
    rgb = rgb * (1 - rock[..., None]) + tones * rock[..., None]
    rocky = np.maximum(rock, (mat == MATERIALS.index("rock")).astype(np.float32))
    is_rock = (mat == MATERIALS.index("rock"))[..., None]
    rgb = np.where(is_rock, tones, rgb)
    patches = cv2.GaussianBlur(rng.random((n, n), dtype=np.float32), (0, 0), 6.0 / cell)
    patches = (patches - patches.mean()) / (patches.std() + 1e-6)
    tint = np.stack([1 + 0.05 * patches, 1 + 0.035 * patches, 1 - 0.03 * patches], axis=-1)
    rgb = rgb * tint
    rgb = _sand_look(rgb, world, mat, rng)
    road = road_mask(world)
    if road is not None:
        rgb = rgb * (1 - road[..., None]) + np.array(_road_srgb(world.spec), np.float32) * road[..., None]
        rocky = rocky * (1 - road)
    rgb = _mottled(_soften_steep(cv2.GaussianBlur(rgb, (0, 0), 0.6), slope), mat, world.spec, world.seed)
    if str(world.spec.get("terrain", "")) in STRATA_TERRAINS:
        strata = rocky
    elif _rock_formations(world):  # the bare rock of the formations, not every steep slope (a dune's face)
        from ..generate.outcrops import formation_mask

        strata = formation_mask(world.height_hw, mat, cell).astype(np.float32)
    else:
        strata = np.zeros_like(rocky)
    out = np.concatenate([np.clip(rgb, 0, 1), cv2.GaussianBlur(strata, (0, 0), 1.0)[..., None]], axis=-1)
    return (out * 255 + 0.5).astype(np.uint8)


#: sand: wind ripples (wavelength m, brightness either way), drifts of lighter and darker sand (size m,
#: brightness either way), and the wet sand by the water (how much darker, how far up from the water's edge m)
SAND_RIPPLE_M, SAND_RIPPLE = 4.2, 0.08
SAND_DRIFT_M, SAND_DRIFT = 9.0, 0.09
WET_SAND, WET_SAND_M = 0.58, 4.0


def _sand_look(rgb: np.ndarray, world: WorldState, mat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sand that reads as sand: ripples the wind has drawn across it (bending with the drifts), lighter and
    darker drifts of a warmer or cooler tone, and a band of wet, darker sand along the water's edge."""
    sand = mat == MATERIALS.index("sand")
    if not sand.any():
        return rgb
    n, cell = world.n, world.cell_m
    drift = cv2.GaussianBlur(rng.random((n, n), dtype=np.float32), (0, 0), SAND_DRIFT_M / cell)
    drift = (drift - drift.mean()) / (drift.std() + 1e-6)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) * np.float32(cell)
    a = float(rng.uniform(0.0, math.pi))
    along = xx * math.cos(a) + yy * math.sin(a) + 3.0 * drift
    ripple = np.sin(along * np.float32(2.0 * math.pi / SAND_RIPPLE_M)) * np.float32(SAND_RIPPLE)
    shade = 1.0 + np.float32(SAND_DRIFT) * np.clip(drift, -2.0, 2.0) + ripple
    look = rgb * shade[..., None] * (1.0 + np.float32(0.02) * drift[..., None] * np.array([1.0, 0.2, -1.0], np.float32))
    wet_hw = np.isfinite(world.water_hw)
    if wet_hw.any():
        d = cv2.distanceTransform((~wet_hw).astype(np.uint8), cv2.DIST_L2, 5) * np.float32(cell)
        damp = np.clip(1.0 - (d - 0.5 * WET_SAND_M * (1.0 + 0.4 * np.clip(drift, -1.5, 1.5))) / WET_SAND_M, 0.0, 1.0)
        look = look * (1.0 - np.float32(1.0 - WET_SAND) * (damp * damp)[..., None])
    return np.where(sand[..., None], look, rgb).astype(np.float32)


def sand_mask(world: WorldState) -> np.ndarray:
    """uint8 n x n: 255 on sand, 0 elsewhere, softened over a cell: where the renderer draws the sand's fine
    wind ripples (too fine for the colour map's cells)."""
    sand = (np.asarray(world.material_hw) == MATERIALS.index("sand")).astype(np.float32)
    return (cv2.GaussianBlur(sand, (0, 0), 0.8) * 255 + 0.5).astype(np.uint8)


def _rock_formations(world: WorldState) -> bool:
    """Whether the world raised rock formations its prompt names (spires, sea stacks, outcrops: their faces
    show layers, as a canyon's do)."""
    from ..generate.outcrops import read_rock_of

    spec = world.spec or {}
    ask = read_rock_of(str(spec.get("text", "")), list(spec.get("matches") or []), 0,
                       sea=world.env.sea_level_m is not None)
    return bool(ask.spires or ask.stacks or ask.outcrops)


def _road_srgb(spec: dict) -> tuple[float, float, float]:
    """A road's albedo: dark asphalt for a highway or a paved road (generate/roads.py), else the road material's."""
    from ..generate.roads import ASPHALT_SRGB, is_asphalt

    return ASPHALT_SRGB if is_asphalt(spec or {}) else MATERIAL_SRGB["road"]


def _soften_steep(rgb: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """On steep faces one texel of the top-down map covers metres of wall, so cell-to-cell variation there is
    drawn as streaks down the fall line: blend those cells toward a wider blur of their neighbourhood."""
    wide = cv2.GaussianBlur(rgb, (0, 0), 2.5)
    t = np.clip((slope - 0.9) / 1.2, 0.0, 1.0)[..., None].astype(np.float32)
    return rgb * (1 - t) + wide * t


def _rock_tones(base: tuple[float, float, float], n: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """Rock albedo varying over tens of metres: lighter and darker outcrops, some warmer (iron) ones."""
    big = cv2.GaussianBlur(rng.random((n, n), dtype=np.float32), (0, 0), 18.0 / cell)
    mid = cv2.GaussianBlur(rng.random((n, n), dtype=np.float32), (0, 0), 4.0 / cell)
    big = (big - big.mean()) / (big.std() + 1e-6)
    mid = (mid - mid.mean()) / (mid.std() + 1e-6)
    shade = np.clip(1.0 + 0.16 * big + 0.08 * mid, 0.6, 1.4)[..., None]
    warm = np.clip(0.5 + 0.5 * mid * big, 0.0, 1.0)[..., None] * np.array([0.08, 0.02, -0.05], np.float32)
    return np.asarray(base, np.float32) * shade + warm * np.float32(np.mean(base))


def lamp_pools(world: WorldState, reach_m: float = 7.0) -> np.ndarray:
    """uint8 n x n: how much light the street lamps throw on the ground around them (1 under a lamp)."""
    n, cell = world.n, world.cell_m
    pools = np.zeros((n, n), np.float32)
    kinds = np.asarray(world.inst_kind).reshape(-1)
    if "lamp_post" in INSTANCE_KINDS and len(kinds):
        xy = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)[kinds == INSTANCE_KINDS.index("lamp_post"), :2]
        ij = np.round(xy / cell).astype(np.int64)
        ok = (ij >= 0).all(axis=1) & (ij < n).all(axis=1)
        pools[ij[ok, 1], ij[ok, 0]] = 1.0
        if ok.any():
            sigma = reach_m / 2.0 / cell
            pools = cv2.GaussianBlur(pools, (0, 0), sigma) * np.float32(2 * math.pi * sigma * sigma)
    return (np.clip(pools, 0, 1) * 255 + 0.5).astype(np.uint8)


def terrain_normals(world: WorldState) -> np.ndarray:
    """uint8 n x n x 4: world normal * 0.5 + 0.5 in rgb, cavity occlusion in alpha."""
    h = np.asarray(world.height_hw, np.float32)
    gy, gx = np.gradient(h, world.cell_m)
    nrm = np.stack([-gx, -gy, np.ones_like(h)], axis=-1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    lap = cv2.Laplacian(cv2.GaussianBlur(h, (0, 0), 2.0), cv2.CV_32F) / (world.cell_m**2)
    ao = np.clip(1.0 - lap * 1.5, 0.45, 1.0)
    out = np.concatenate([nrm * 0.5 + 0.5, ao[..., None]], axis=-1)
    return (out * 255 + 0.5).astype(np.uint8)


def road_mask(world: WorldState) -> np.ndarray | None:
    """float32 n x n: how much of each cell the roads and paths cover (0..1, soft edged); None: no paths."""
    if not world.paths:
        return None
    n, cell, k = world.n, world.cell_m, 4  # 1/16 cell sub-pixel precision in cv2.polylines
    mask = np.zeros((n, n), np.uint8)
    for p in world.paths:
        pts = p.points_n3[:, :2]
        if len(pts) < 2:
            continue
        width = max(p.width_m, cell)
        px = np.round(pts / cell * (1 << k)).astype(np.int32)
        cv2.polylines(
            mask, [px], False, 255, thickness=max(1, int(round(width / cell))), lineType=cv2.LINE_AA, shift=k
        )
    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 0.7)
