"""Falling rain and snow for the renderer: the tiling streak and flake textures, and each frame's uniforms of
the precipitation pass (shaders/precip.frag).

The pass lays four layers at set distances from the camera on the view's angles. Each layer falls at the
angular speed of drops (or flakes) at its distance, drifts with the wind across the view, and shows only in
front of what the depth pass holds there. Everything follows from the world's env (precipitation, wind,
time_s) and the camera, so the same world and camera give the same pixels, and a shot's frames fall on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geometry.camera import Camera
from ..state.records import Env, Wind
from .lighting import LUMA, Lighting, grade

#: texels per side of the streak and flake textures
TEXELS = 512
#: the output focal length (pixels) the layers' tile counts are set for: 1280 px wide at 35 mm
REF_FOCAL_PX = 1280 * 35.0 / 36.0


@dataclass(kw_only=True, slots=True, frozen=True)
class Layers:
    """The four layers of one kind of precipitation."""

    distance_m: tuple[float, float, float, float]
    #: texture tiles per turn across at REF_FOCAL_PX (scaled with the focal length in pixels, rounded to
    #: whole numbers so that a full turn of the camera wraps seamlessly)
    tiles_per_turn: tuple[int, int, int, int]
    #: vertical texture scale over the horizontal (under 1: the texture is stretched into longer streaks)
    stretch: tuple[float, float, float, float]
    alpha: tuple[float, float, float, float]
    fall_mps: float
    #: sideways wander of snowflakes, metres
    wander_m: float = 0.0


#: per layer (near to far), how much of its opacity a layer loses from the heaviest fall to none
THINNING = (0.0, 0.1, 0.45, 0.75)
#: per layer (near to far), the share of its drops (or flakes) drawn is DROPS_AT_NONE + DROPS_PER_INTENSITY x
#: intensity, at most all: the weather's own rain or snow (0.6) draws them all; a drizzle (0.15-0.3) keeps most
#: of the near drops one reads one by one and loses most of the far ones that make a downpour's veil
DROPS_AT_NONE, DROPS_PER_INTENSITY = (0.55, 0.3, 0.1, 0.1), 1.5
#: light rain falls in finer, slower drops: its streaks are up to this much shorter (at no intensity)
SHORTER_WHEN_LIGHT = 0.3
RAIN = Layers(distance_m=(3.0, 7.0, 16.0, 40.0), tiles_per_turn=(7, 11, 17, 27),
              stretch=(0.55, 0.7, 0.85, 1.0), alpha=(0.62, 0.52, 0.42, 0.34), fall_mps=8.0)
SNOW = Layers(distance_m=(2.0, 5.0, 12.0, 30.0), tiles_per_turn=(5, 8, 13, 21),
              stretch=(1.0, 1.0, 1.0, 1.0), alpha=(0.95, 0.9, 0.8, 0.65), fall_mps=1.1, wander_m=0.35)


def _ranked(img: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The two channels of a drop texture: brightness, and each drop's rank (0..1, the share of drops that
    must be drawn for it to show; 1 where there is no drop)."""
    return (np.stack([np.clip(img, 0.0, 1.0), rank], axis=-1) * 255).round().astype(np.uint8)


def rain_texture(texels: int = TEXELS, seed: int = 4242) -> np.ndarray:
    """Thin vertical streaks of varied length and brightness on black, tiling, with each streak's rank
    (uint8, texels x texels x 2, see _ranked). A streak's rank covers it and a texel either side, so a
    bilinear read at its edge sees its own rank."""
    rng = np.random.Generator(np.random.PCG64(seed))
    img = np.zeros((texels, texels), np.float32)
    n = texels * texels // 360
    xs = rng.uniform(0, texels, n)
    ys = rng.integers(0, texels, n)
    lengths = rng.integers(18, 46, n)
    bright = rng.uniform(0.45, 1.0, n)
    ranks = (rng.permutation(n) + 0.5) / n
    rank = np.ones((texels, texels), np.float32)
    for x, y, length, b, r in zip(xs, ys, lengths, bright, ranks, strict=True):
        s = (np.arange(length) + 0.5) / length
        profile = b * np.sqrt(np.sin(np.pi * s)) * (0.55 + 0.45 * s)  # brightest towards the drop's head
        rows = (y + np.arange(-1, length + 1)) % texels  # a texel of halo above and below
        profile = np.concatenate([[0.0], profile, [0.0]])
        col, frac = int(x) % texels, float(x - int(x))
        for dc, share in ((-1, 0.0), (0, 1.0 - frac), (1, frac), (2, 0.0)):
            c = (col + dc) % texels
            own, there = profile * share, img[rows, c]
            # where this streak is the brighter, its rank; in its halo, the lower of its and what is there
            rank[rows, c] = np.where(own > there, r, np.where(there > 0.0, rank[rows, c],
                                                               np.minimum(rank[rows, c], r)))
            img[rows, c] = np.maximum(there, own)
    return _ranked(img, rank)


def snow_texture(texels: int = TEXELS, seed: int = 4343) -> np.ndarray:
    """Soft round flakes of varied size and brightness on black, tiling, with each flake's rank (uint8,
    texels x texels x 2, see _ranked)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    img = np.zeros((texels, texels), np.float32)
    rank = np.ones((texels, texels), np.float32)
    n = texels * texels // 480
    ranks = (np.random.Generator(np.random.PCG64(seed + 1)).permutation(n) + 0.5) / n
    for k in range(n):
        cx, cy = rng.uniform(0, texels, 2)
        r = float(rng.uniform(0.9, 2.6))
        b = float(rng.uniform(0.6, 1.0))
        reach = int(math.ceil(2.0 * r)) + 1
        x0, y0 = int(cx) - reach, int(cy) - reach
        gx = np.arange(x0, x0 + 2 * reach + 1)
        gy = np.arange(y0, y0 + 2 * reach + 1)
        d2 = (gx[None, :] + 0.5 - cx) ** 2 + (gy[:, None] + 0.5 - cy) ** 2
        flake = b * np.exp(-1.6 * d2 / (r * r))
        rows, cols = gy % texels, gx % texels
        at = np.ix_(rows, cols)
        mine = flake >= img[at]
        rank[at] = np.where(mine, ranks[k], rank[at])
        img[at] = np.maximum(img[at], flake)
    return _ranked(img, rank)


def lowest_water(world: Any) -> float:
    """The lowest water surface in the world (NaN: none)."""
    water = np.asarray(world.water_hw)
    finite = water[np.isfinite(water)]
    return float(finite.min()) if finite.size else math.nan


def precipitation(env: Env) -> tuple[str, float]:
    """What falls and how hard (kind "rain" | "snow" | "none", intensity 0..1) from env.precipitation,
    else from env.weather."""
    p = env.precipitation
    if p is not None:
        kind = (p.kind if p.kind is not None else "none").lower()
        amount = p.intensity if p.intensity is not None else 0.0
    else:
        weather = (env.weather if env.weather is not None else "clear").lower()
        kind, amount = {"rain": ("rain", 0.6), "storm": ("rain", 1.0), "snow": ("snow", 0.6)}.get(weather, ("none", 0.0))
    if kind not in ("rain", "snow") or amount <= 0.0:
        return "none", 0.0
    return kind, min(amount, 1.0)


def _wind_xy(env: Env) -> np.ndarray:
    w = env.wind if env.wind is not None else Wind()
    speed = w.speed_mps if w.speed_mps is not None else 0.0
    a = math.radians(w.dir_deg if w.dir_deg is not None else 0.0)
    return np.array([math.cos(a), math.sin(a)]) * min(speed, 40.0)


def _time(env: Env) -> float:
    return env.time_s if env.time_s is not None else 0.0


def precip_color(kind: str, light: Lighting) -> tuple[float, float, float]:
    """Display colour of drops and flakes: they catch the sky's light (and a little of the key light), and
    read a little brighter than the sky behind them."""
    amb, key, hor = (np.asarray(v) for v in (light.ambient_sky, light.key_color, light.sky_horizon))
    lit = amb * (1.5 if kind == "rain" else 2.2) + key * (0.25 if kind == "rain" else 0.6) + hor * 0.3
    shown = grade(lit, light)
    sky = grade(hor, light)
    lift = 1.18 if kind == "rain" else 1.35
    floor = float(sky @ LUMA) * lift + (0.09 if kind == "rain" else 0.16)
    l = max(float(shown @ LUMA), 1e-4)
    out = shown * max(1.0, floor / l)
    return tuple(float(c) for c in np.clip(out, 0.0, 1.0))  # type: ignore[return-value]


def precip_uniforms(env: Env, light: Lighting, camera: Camera, seed: int,
                    supersample: int = 1) -> dict[str, Any] | None:
    """The precipitation pass's uniforms for a frame at `camera` (already at the rendered size, `supersample`
    times the output's), or None when nothing falls. Drops and flakes keep their size in output pixels at any
    resolution (a preview shows its rain as a full frame does)."""
    kind, amount = precipitation(env)
    if kind == "none":
        return None
    layers = RAIN if kind == "rain" else SNOW
    f = camera.forward()
    yaw, pitch = math.atan2(f[1], f[0]), math.asin(float(np.clip(f[2], -1.0, 1.0)))
    right = np.array([f[1], -f[0]]) / max(math.hypot(f[0], f[1]), 1e-9)
    wind_across = float(_wind_xy(env) @ right)
    t = _time(env)
    per_turn = np.array(layers.tiles_per_turn, np.float64) * camera.focal_px / (supersample * REF_FOCAL_PX)
    tiles = np.maximum(np.round(per_turn), 1.0) / (2.0 * math.pi)  # tiles per radian
    dist = np.array(layers.distance_m)
    shorter = 1.0 + SHORTER_WHEN_LIGHT * max(0.0, 1.0 - amount / 0.6) if kind == "rain" else 1.0
    stretch = np.array(layers.stretch) * shorter
    fall = (layers.fall_mps * t / dist) * tiles * stretch
    wander = layers.wander_m * np.sin(0.9 * t + np.arange(4) * 1.7) if layers.wander_m else np.zeros(4)
    drift = (-(wind_across * t + wander) / dist) * tiles
    slant = float(np.clip(wind_across / (layers.fall_mps * (1.0 if kind == "rain" else 3.0)), -0.35, 0.35))
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 91])))
    # light rain or snow is fewer drops (u_keep), not fainter ones: the near layers keep their drops'
    # brightness, the far layers (in a downpour a veil) thin with the intensity
    scale = 1.0 - (1.0 - amount) * np.asarray(THINNING)
    return {
        "u_centre": (camera.width / 2.0, camera.height / 2.0),
        "u_focal": float(camera.focal_px),
        "u_view": (yaw, pitch),
        "u_fade": tuple(float(1.0 / (0.6 * v)) for v in dist),
        "u_tiles": tuple(float(v) for v in tiles),
        "u_stretch": tuple(float(v) for v in stretch),
        "u_fall": tuple(float(v % 1.0) for v in fall),
        "u_drift": tuple(float(v % 1.0) for v in drift),
        "u_alpha": tuple(float(a * k) for a, k in zip(layers.alpha, scale, strict=True)),
        "u_slant": slant,
        "u_keep": tuple(round(min(1.0, k + DROPS_PER_INTENSITY * amount), 4) for k in DROPS_AT_NONE),
        "u_drop_color": precip_color(kind, light),
        "u_seed": tuple(float(v) for v in rng.uniform(0.0, 1.0, 2)),
        "kind": kind,
    }


#: the fixed pattern of ground samples around a shot's subject (a golden-angle spiral over the unit disc)
_SPIRAL = np.stack([np.sqrt((np.arange(96) + 0.5) / 96) * np.cos(np.arange(96) * 2.39996323),
                    np.sqrt((np.arange(96) + 0.5) / 96) * np.sin(np.arange(96) * 2.39996323)], axis=1)


def fog_ground(world: Any, camera: Camera, lowest_water: float = math.nan) -> tuple[float, float]:
    """Where the fog and the mist lie in this shot: (fog base, mist base) in metres. The fog's base is the low
    ground (a quarter of the ground lower) around the subject, so fog fills the valleys the camera sees
    wherever the shot is; the mist lies on the water there, else on the world's `lowest_water` (NaN: no water,
    no mist).
    Follows only the world and where the camera looks, so an orbit around a subject keeps its fog."""
    pos = np.asarray(camera.position, np.float64)
    if camera.target is not None:
        centre = np.asarray(camera.target, np.float64)[:2]
    else:
        f = camera.forward()
        flat = np.hypot(f[0], f[1])
        centre = pos[:2] + (f[:2] / flat * 300.0 if flat > 1e-6 else np.zeros(2))
    radius = float(np.clip(np.hypot(*(pos[:2] - centre)), 120.0, 700.0))
    xy = centre + _SPIRAL * radius
    n = world.n
    f = np.clip(xy / world.cell_m, 0.0, n - 1.0)
    lo = np.minimum(f.astype(int), n - 2)
    t = f - lo
    h = np.asarray(world.height_hw)  # the samples are taken first, then widened (not the whole grid per frame)
    i, j = lo[:, 1], lo[:, 0]
    h00, h01, h10, h11 = (h[a, b].astype(np.float64) for a, b in ((i, j), (i, j + 1), (i + 1, j), (i + 1, j + 1)))
    # bilinear heights: the base moves smoothly as the camera does (no steps from cell to cell)
    ground = (h00 * (1 - t[:, 0]) + h01 * t[:, 0]) * (1 - t[:, 1]) + (h10 * (1 - t[:, 0]) + h11 * t[:, 0]) * t[:, 1]
    ij = np.clip(np.round(f).astype(int), 0, n - 1)
    water = np.asarray(world.water_hw)[ij[:, 1], ij[:, 0]].astype(np.float64)
    wet = np.isfinite(water)
    surface = np.where(wet, np.fmax(water, ground), ground)
    base = float(np.percentile(surface, 25))
    mist = float(np.median(water[wet])) if wet.any() else float(lowest_water)
    return base, mist
