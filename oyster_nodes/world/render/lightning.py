"""Lightning in a thunderstorm (env.lightning): a forked bolt in the sky and its flash lighting the scene.

A still shows a strike (the bolt and its afterglow on the land). Over a shot (env.time_s set) strikes come at
moments drawn from the world's seed: a few seconds apart, each a double flicker a few tenths of a second long,
with the frames between them dark. The bolt's shape and bearing follow the seed and the strike's number, so the
same world and camera give the same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..geometry.camera import Camera
from ..state.records import Env
from .lighting import Lighting

#: segments of a bolt the sky shader draws (its trunk and two forks)
MAX_SEGMENTS = 24
#: seconds between strikes over a shot (uniform between the two), and the first strike's time
GAP_S, FIRST_S = (2.5, 7.0), 0.6
#: how long a strike's light lasts (s): two return strokes, the second this far after the first
STROKE_S, RESTRIKE_S = 0.07, 0.16
#: a still's flash: the afterglow of the strike its bolt shows (the scene lit, not whited out)
STILL_FLASH = 0.35
#: the flash's light (linear), added to the sky's light in the shadows and to the sky, at full flash
FLASH_LIGHT = np.array([0.55, 0.6, 0.85])
BOLT_COLOR = (2.4, 2.5, 3.2)


@dataclass(kw_only=True, slots=True, frozen=True)
class Strike:
    """One strike as a frame sees it: its number, and how bright its flash and its bolt are now (0..1)."""

    index: int
    flash: float
    bolt: float


def strike_at(env: Env, seed: int) -> Strike | None:
    """The strike a frame shows (None: none now, or no lightning in this weather)."""
    if not env.lightning:
        return None
    t = env.time_s
    if t is None:
        return Strike(index=0, flash=STILL_FLASH, bolt=1.0)
    times = strike_times(seed, float(t))
    before = times[times <= t]
    if not len(before):
        return None
    dt = float(t - before[-1])
    light = max(math.exp(-dt / STROKE_S), 0.8 * math.exp(-(dt - RESTRIKE_S) / STROKE_S) if dt >= RESTRIKE_S else 0.0)
    if light < 0.02:
        return None
    return Strike(index=len(before) - 1, flash=light, bolt=min(1.0, 1.4 * light))


def strike_times(seed: int, until_s: float) -> np.ndarray:
    """When strikes come over a shot, up to `until_s` (seconds; the same seed, the same moments)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 5151])))
    n = int(until_s / GAP_S[0]) + 2
    return FIRST_S + np.concatenate([[0.0], np.cumsum(rng.uniform(*GAP_S, n))])


def flashed(light: Lighting, strike: Strike | None) -> Lighting:
    """The light of a frame during a strike's flash: the flash fills the shadows and lights the sky."""
    if strike is None or strike.flash <= 0.0:
        return light
    f = FLASH_LIGHT * strike.flash
    return replace(light, ambient_sky=_add(light.ambient_sky, f), sky_zenith=_add(light.sky_zenith, 0.1 * f),
                   sky_horizon=_add(light.sky_horizon, 0.2 * f))


def _add(a: tuple[float, float, float], b: np.ndarray) -> tuple[float, float, float]:
    return (float(a[0] + b[0]), float(a[1] + b[1]), float(a[2] + b[2]))


def bolt_uniforms(strike: Strike | None, camera: Camera, seed: int) -> dict[str, Any]:
    """The sky shader's bolt: its segments in pixels of `camera` (already at the rendered size), its core
    width and its colour times the strike's brightness; no segments when no bolt shows."""
    if strike is None or strike.bolt <= 0.0:
        return {"u_bolt_n": 0}
    segs = bolt_segments(camera, seed, strike.index)
    pad = segs + [(0.0, 0.0, 0.0, 0.0)] * (MAX_SEGMENTS - len(segs))
    return {"u_bolt_n": len(segs), "u_bolt": pad, "u_bolt_px": max(1.0, 1.6 * camera.height / 720.0),
            "u_bolt_color": tuple(c * strike.bolt for c in BOLT_COLOR)}


def bolt_segments(camera: Camera, seed: int, index: int) -> list[tuple[float, float, float, float]]:
    """A forked bolt from the cloud base down to the horizon, at a bearing inside the camera's view: pixel
    segments (x0, y0, x1, y1), y down."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 5252, index])))
    f = camera.forward()
    yaw = math.atan2(f[1], f[0])
    half = math.radians(camera.fov_x_deg) / 2.0
    pitch = math.asin(float(np.clip(f[2], -1.0, 1.0)))
    top = float(np.clip(pitch + math.radians(camera.fov_y_deg) * 0.42, math.radians(8.0), math.radians(40.0)))
    bearing = yaw + rng.uniform(-0.55, 0.55) * half
    trunk = _walk(rng, bearing, top, 0.0, 12, 0.035 * top + 0.004)
    segs = _pixels(camera, trunk)
    for start in sorted(rng.choice(np.arange(3, 9), size=2, replace=False)):
        a, e = trunk[int(start)]
        fork = _walk(rng, a, e, e * rng.uniform(0.35, 0.7), 5, 0.05 * top + 0.004, lean=rng.choice([-1.0, 1.0]))
        segs += _pixels(camera, fork)
    return segs[:MAX_SEGMENTS]


def _walk(rng: np.random.Generator, bearing: float, top: float, bottom: float, steps: int, jag: float,
          lean: float = 0.0) -> list[tuple[float, float]]:
    """A jagged path of (bearing, elevation) in radians from `top` down to `bottom`."""
    out = [(bearing, top)]
    for k in range(1, steps + 1):
        e = top + (bottom - top) * k / steps
        out.append((out[-1][0] + rng.normal(0.0, jag) + lean * jag * 0.8, e))
    return out


def _pixels(camera: Camera, path: list[tuple[float, float]]) -> list[tuple[float, float, float, float]]:
    pos = np.asarray(camera.position, np.float64)
    pts = np.array([[math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e)] for a, e in path])
    uv, depth = camera.project(pos + 2000.0 * pts)
    return [(float(uv[k, 0]), float(uv[k, 1]), float(uv[k + 1, 0]), float(uv[k + 1, 1]))
            for k in range(len(path) - 1) if depth[k] > 0 and depth[k + 1] > 0]
