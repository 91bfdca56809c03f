"""An ambience track synthesised from the world over a shot, sample-locked to its frames.

Layers, each driven per frame by the Timeline (or the still world) and heard from the camera:
  wind     two bands of shaped noise whose loudness and brightness follow the gusty wind speed
  rain     hiss plus scattered drops, by precipitation intensity (snow only muffles)
  water    a babbling stream or, by the sea, slow surf, louder as the camera nears water
  birds    chirps whose rate follows the biome (trees nearby, terrain kind) and the hour (dawn chorus,
           quiet noon, silent night); crickets on warm nights
  impacts  knocks from the simulation's contacts: pitch by size, timbre by material, loudness by impulse
           and distance, panned by where they are relative to the camera; blasts boom; storms thunder
Everything is numpy and seeded: the same inputs give the same samples. Sample n belongs to time n / rate,
so frame k starts at sample k * rate / fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...settings import setting
from ...types import Audio, CameraPath
from ..camera.path import path_arrays
from ..state.records import Body, Env, Precipitation
from ..state.timeline import Timeline
from ..state.world_state import INSTANCE_KINDS, WorldState

TREES = {INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm", "dead_tree", "shrub")}
BIRDS_BY_TERRAIN = {"dunes": 0.15, "snowfield": 0.1, "volcanic": 0.1, "canyon": 0.3, "plains": 0.7,
                    "swamp": 0.9, "hills": 0.8, "valley": 0.9, "mountains": 0.5}
TIMBRE = {"metal": (3.1, 0.35, 0.5), "stone": (1.8, 0.06, 0.7), "wood": (1.0, 0.08, 0.5),
          "rubber": (0.6, 0.05, 0.2), "ice": (2.4, 0.12, 0.6), "plastic": (1.4, 0.05, 0.4), "": (1.0, 0.07, 0.5)}


LAYERS: tuple[str, ...] = ("wind", "rain", "water", "birds", "impacts")


def _level() -> float:
    return setting(1.0, min=0.0, max=4.0, widget="slider")


@dataclass(kw_only=True, slots=True)
class AudioSettings:
    sample_rate: int = setting(48000, choices=(44100, 48000))
    gain: float = setting(1.0, min=0.0, max=8.0, widget="slider")
    #: the level of each layer (LAYERS)
    wind: float = _level()
    rain: float = _level()
    water: float = _level()
    birds: float = _level()
    impacts: float = _level()
    seed: int = setting(0, min=0, max=2**31 - 1, widget="seed", description="0: the world's seed")

    @property
    def levels(self) -> dict[str, float]:
        """Each layer's level by name."""
        return {name: getattr(self, name) for name in LAYERS}


@dataclass(kw_only=True, slots=True)
class Controls:
    """Per-sample control signals and per-frame listener data."""

    n: int
    rate: int
    frame_times: np.ndarray
    wind: np.ndarray
    rain: np.ndarray
    snow: np.ndarray
    clock: np.ndarray
    listener: np.ndarray  # F x 3
    right: np.ndarray  # F x 3
    storm: bool = False


def ambience(world: WorldState, timeline: Timeline | None, path: CameraPath | None,
             settings: AudioSettings) -> Audio:
    """The stereo ambience of a shot, as long as the shot to the sample."""
    c = _controls(world, timeline, path, settings.sample_rate)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(settings.seed or world.seed), 991])))
    lv = settings.levels
    mix = np.zeros((c.n, 2), np.float64)
    mix += lv.get("wind", 1.0) * _wind(c, rng)
    mix += lv.get("rain", 1.0) * _rain(c, rng)
    mix += lv.get("water", 1.0) * _water(world, c, rng)
    mix += lv.get("birds", 1.0) * _birds(world, c, rng)
    if timeline is not None:
        mix += lv.get("impacts", 1.0) * _impacts(timeline, c, rng)
    out = np.tanh(mix * settings.gain * 1.2) / math.tanh(1.2)
    return Audio(samples_nc=np.clip(out, -1.0, 1.0).astype(np.float32), sample_rate=settings.sample_rate)


def _controls(world: WorldState, timeline: Timeline | None, path: CameraPath | None, rate: int) -> Controls:
    if timeline is not None:
        frames, fps = timeline.n_frames, timeline.fps
    elif path is not None:
        fps = path.fps
        frames = max(1, int(round(path.duration_s * fps)))
    else:
        raise ValueError("ambience needs a timeline or a camera path to know how long the shot is")
    n = int(round(frames / fps * rate))
    times = np.arange(frames) / fps
    env = timeline.env_frames if timeline is not None and timeline.env_frames else [world.env] * frames
    wind = np.array([_wind_speed(e) for e in env])
    precip = [e.precipitation if e.precipitation is not None else Precipitation() for e in env]
    rain = np.array([_intensity(p) if p.kind == "rain" else 0.0 for p in precip])
    snow = np.array([_intensity(p) if p.kind == "snow" else 0.0 for p in precip])
    clock = np.array([e.clock_h if e.clock_h is not None else 12.0 for e in env])
    listener, right = _listener(world, path, times)
    t = np.arange(n) / rate

    def per_sample(v: np.ndarray) -> np.ndarray:
        return np.interp(t, times, v) if len(times) > 1 else np.full(n, float(v[0]))

    return Controls(n=n, rate=rate, frame_times=times, wind=per_sample(wind), rain=per_sample(rain),
                    snow=per_sample(snow), clock=per_sample(clock), listener=listener, right=right,
                    storm=any(bool(e.lightning) for e in env))


def _wind_speed(env: Env) -> float:
    """The wind's gust speed, else its steady speed (m/s); 3 when the env gives no wind."""
    w = env.wind
    if w is None:
        return 3.0
    return w.gust_speed_mps if w.gust_speed_mps is not None else w.speed_mps if w.speed_mps is not None else 3.0


def _intensity(p: Precipitation) -> float:
    return p.intensity if p.intensity is not None else 0.0


def _listener(world: WorldState, path: CameraPath | None, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if path is None:
        c = world.size_m / 2
        pos = np.tile([c, c, world.height_at(c, c) + 2.0], (len(times), 1))
        return pos, np.tile([1.0, 0.0, 0.0], (len(times), 1))
    a = path_arrays(path)
    pos = np.column_stack([np.interp(times, a.times, a.position[:, k]) for k in range(3)])
    tgt = np.column_stack([np.interp(times, a.times, a.target[:, k]) for k in range(3)])
    fwd = tgt - pos
    right = np.column_stack([fwd[:, 1], -fwd[:, 0], np.zeros(len(times))])
    norm = np.linalg.norm(right, axis=1, keepdims=True)
    right = np.where(norm > 1e-9, right / np.maximum(norm, 1e-9), [1.0, 0.0, 0.0])
    return pos, right


# --- sources -------------------------------------------------------------------------------------


def shaped_noise(rng: np.random.Generator, n: int, rate: int, lo: float, hi: float, tilt: float = 0.0,
                 channels: int = 2) -> np.ndarray:
    """Noise band-limited to lo..hi Hz with a spectral tilt (dB per octave), unit RMS, n x channels."""
    spec = np.fft.rfft(rng.standard_normal((channels, n)), axis=1)
    f = np.fft.rfftfreq(n, 1.0 / rate)
    shape = ((f >= lo) & (f <= hi)) * np.power(np.maximum(f, 1.0) / max(lo, 1.0), tilt / 6.02)
    out = np.fft.irfft(spec * shape, n=n, axis=1).T
    return out / max(float(np.sqrt(np.mean(out * out))), 1e-12)


def _wind(c: Controls, rng: np.random.Generator) -> np.ndarray:
    strength = np.clip(c.wind / 15.0, 0.0, 2.0)
    low = shaped_noise(rng, c.n, c.rate, 30, 600, tilt=-6.0)
    high = shaped_noise(rng, c.n, c.rate, 400, 4000, tilt=-4.0)
    gain_low = 0.10 * strength ** 1.5
    gain_high = 0.035 * strength ** 2.5
    return low * gain_low[:, None] + high * gain_high[:, None]


def _rain(c: Controls, rng: np.random.Generator) -> np.ndarray:
    if c.rain.max() <= 0 and c.snow.max() <= 0:
        return np.zeros((c.n, 2))
    hiss = shaped_noise(rng, c.n, c.rate, 900, 12000, tilt=-2.0) * (0.06 * c.rain)[:, None]
    drops = np.zeros((c.n, 2))
    rate = 120.0 * float(c.rain.max())
    count = rng.poisson(rate * c.n / c.rate)
    at = rng.integers(0, c.n, count)
    keep = rng.random(count) < c.rain[at] / max(float(c.rain.max()), 1e-9)
    np.add.at(drops, (at[keep], rng.integers(0, 2, int(keep.sum()))), rng.uniform(0.05, 0.25, int(keep.sum())))
    kernel = np.exp(-np.arange(int(0.004 * c.rate)) / (0.0008 * c.rate))
    for ch in range(2):
        drops[:, ch] = np.convolve(drops[:, ch], kernel)[:c.n]
    return hiss + drops * 0.3


def _water(world: WorldState, c: Controls, rng: np.random.Generator) -> np.ndarray:
    wet = np.isfinite(world.water_hw)
    if not wet.any():
        return np.zeros((c.n, 2))
    dist_hw = cv2.distanceTransform((~wet).astype(np.uint8), cv2.DIST_L2, 5) * world.cell_m
    n = world.n
    j = np.clip(np.round(c.listener[:, 0] / world.cell_m), 0, n - 1).astype(int)
    i = np.clip(np.round(c.listener[:, 1] / world.cell_m), 0, n - 1).astype(int)
    ground = np.array([world.height_at(x, y) for x, y in c.listener[:, :2]])
    dist = np.hypot(dist_hw[i, j], np.maximum(c.listener[:, 2] - ground, 0.0))
    near = np.clip(1.0 - dist / 120.0, 0.0, 1.0) ** 2
    gain = np.interp(np.arange(c.n) / c.rate, c.frame_times, near) if len(near) > 1 else np.full(c.n, near[0])
    sea = world.env.sea_level_m is not None
    if sea:
        swell = 0.5 + 0.5 * np.sin(2 * math.pi * 0.09 * np.arange(c.n) / c.rate + rng.uniform(0, 6.28))
        body = shaped_noise(rng, c.n, c.rate, 60, 2500, tilt=-5.0) * (swell ** 2)[:, None]
    else:
        wobble = shaped_noise(rng, c.n, c.rate, 2, 9, channels=1)[:, 0]
        body = shaped_noise(rng, c.n, c.rate, 300, 3500, tilt=-3.0) * (0.6 + 0.4 * np.tanh(wobble))[:, None]
    return body * (0.08 * gain)[:, None]


def _bird_rate(world: WorldState, c: Controls) -> np.ndarray:
    """Chirps per second over the shot, from the biome near the listener and the hour."""
    terrain = str(world.spec.get("terrain", "hills")) if isinstance(world.spec, dict) else "hills"
    base = BIRDS_BY_TERRAIN.get(terrain, 0.6)
    kinds = np.asarray(world.inst_kind).reshape(-1)
    xy = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)[:, :2]
    centre = c.listener[:, :2].mean(axis=0)
    trees = np.isin(kinds, list(TREES)) & (np.linalg.norm(xy - centre, axis=1) < 80.0) if len(kinds) else []
    density = min(float(np.sum(trees)) / 40.0, 1.0)
    h = c.clock % 24.0
    dawn = np.exp(-((h - 6.5) / 1.3) ** 2)
    day = np.clip((h - 5.5) / 1.0, 0, 1) * np.clip((20.5 - h) / 1.0, 0, 1)
    return (base * (0.3 + 0.7 * density)) * (2.5 * dawn + 0.6 * day) * (1.0 - 0.8 * np.clip(c.rain * 2, 0, 1))


def _birds(world: WorldState, c: Controls, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((c.n, 2))
    rate = _bird_rate(world, c)
    peak = float(rate.max())
    if peak > 0:
        count = rng.poisson(peak * c.n / c.rate)
        for at in np.sort(rng.integers(0, c.n, count)):
            if rng.random() < rate[at] / peak:
                _chirp(out, int(at), c.rate, rng)
    night = (c.clock % 24.0 > 21.0) | (c.clock % 24.0 < 4.5)
    if night.any() and (world.env.season if world.env.season is not None else "summer") in ("summer", "spring"):
        out += _crickets(c, rng) * night[:, None]
    return out


def _chirp(out: np.ndarray, at: int, rate: int, rng: np.random.Generator) -> None:
    f0 = rng.uniform(2200, 5200)
    pan = rng.uniform(-0.9, 0.9)
    gain = rng.uniform(0.01, 0.05)
    pos = at
    for _ in range(int(rng.integers(1, 6))):
        length = int(rng.uniform(0.04, 0.14) * rate)
        t = np.arange(length) / rate
        sweep = f0 * (1 + rng.uniform(-0.35, 0.35) * t / t[-1])
        phase = 2 * math.pi * np.cumsum(sweep) / rate
        tone = np.sin(phase + 0.6 * np.sin(2 * math.pi * rng.uniform(20, 60) * t)) * np.hanning(length)
        end = min(pos + length, len(out))
        if end <= pos:
            return
        out[pos:end] += np.outer(tone[:end - pos] * gain, _pan(pan))
        pos = end + int(rng.uniform(0.02, 0.09) * rate)


def _crickets(c: Controls, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(c.n) / c.rate
    pulse = (np.sin(2 * math.pi * 17.0 * t) > 0.3) * (np.sin(2 * math.pi * 0.7 * t + rng.uniform(0, 6)) > -0.2)
    tone = np.sin(2 * math.pi * 4600.0 * t) * pulse * 0.012
    return np.column_stack([tone, np.roll(tone, int(0.011 * c.rate))])


def _pan(p: float) -> np.ndarray:
    a = (min(max(p, -1.0), 1.0) + 1) * math.pi / 4
    return np.array([math.cos(a), math.sin(a)])


def _impacts(timeline: Timeline, c: Controls, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((c.n, 2))
    sounds: dict[int, np.ndarray] = {}
    for t, k, impulse, x, y, z in timeline.impacts_n6:
        body = timeline.bodies[int(k)] if int(k) < len(timeline.bodies) else Body(id=f"body-{int(k)}")
        if int(k) not in sounds:
            sounds[int(k)] = knock_sound(body, c.rate, rng)
        loud = min(math.log1p(float(impulse) / max(body.mass if body.mass is not None else 1.0, 1e-3)) / 3.0, 1.2)
        gain, pan = _where(c, float(t), np.array([x, y, z]))
        _add(out, sounds[int(k)] * loud * gain, float(t), c.rate, pan)
    for e in timeline.events:
        if e.kind == "blast" and e.resolved_pos is not None:
            _boom(out, c, e.time, np.asarray(e.resolved_pos, np.float64), float(e.fields["strength"]), rng)
    if c.storm:
        for t in np.sort(rng.uniform(0, c.n / c.rate, rng.poisson(c.n / c.rate / 6.0))):
            _boom(out, c, float(t), c.listener[0] + rng.uniform(-800, 800, 3), 4e5, rng, rumble=True)
    return out


def _where(c: Controls, t: float, pos: np.ndarray) -> tuple[float, float]:
    """(distance gain, pan) of a source heard from the listener at time t."""
    f = int(min(max(round(t * (len(c.frame_times) / max(c.n / c.rate, 1e-9))), 0), len(c.listener) - 1))
    d = pos - c.listener[f]
    dist = float(np.linalg.norm(d))
    return 1.0 / (1.0 + dist / 6.0), float(d @ c.right[f]) / max(dist, 1e-6)


def knock_sound(body: Body, rate: int, rng: np.random.Generator) -> np.ndarray:
    """The knock a body makes when it hits something: pitch from its size, timbre from its material."""
    ratio, decay_s, noise = TIMBRE.get(body.material, TIMBRE[""])
    size = max(float(body.size[0]), 0.05)
    f0 = float(np.clip(180.0 / size, 50.0, 1400.0))
    length = int((decay_s * 4 + 0.03) * rate)
    s = np.arange(length) / rate
    tone = (np.sin(2 * math.pi * f0 * s) + 0.5 * np.sin(2 * math.pi * f0 * ratio * s)) * np.exp(-s / decay_s)
    burst = rng.standard_normal(length) * np.exp(-s / 0.006) * noise
    return (tone * (1 - noise) + burst) * 0.25


def _add(out: np.ndarray, sound: np.ndarray, t: float, rate: int, pan: float) -> None:
    start = int(round(t * rate))
    end = min(start + len(sound), len(out))
    if 0 <= start < len(out):
        out[start:end] += np.outer(sound[:end - start], _pan(pan))


def _boom(out: np.ndarray, c: Controls, t: float, pos: np.ndarray, strength: float, rng: np.random.Generator,
          rumble: bool = False) -> None:
    gain, pan = _where(c, t, pos)
    length = int((3.5 if rumble else 2.0) * c.rate)
    s = np.arange(length) / c.rate
    low = shaped_noise(rng, length, c.rate, 20, 180 if rumble else 400, tilt=-6.0, channels=1)[:, 0]
    env = (1 - np.exp(-s / 0.01)) * np.exp(-s / (1.2 if rumble else 0.45))
    loud = min(math.log1p(strength / 500.0) / 4.0, 1.5) * (0.5 if rumble else 1.0)
    sound = low * env * 0.35 * loud * max(gain, 0.15)
    start = int(round(t * c.rate))
    end = min(start + length, c.n)
    if 0 <= start < c.n:
        out[start:end] += np.outer(sound[:end - start], _pan(pan))
