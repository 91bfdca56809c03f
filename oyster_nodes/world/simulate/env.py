"""The environment over a shot: clock (day–night), weather transitions, gusty wind, and vegetation sway.

Per-frame env keys: clock_h, sun_* and sky colours (from sky.build_env), weather (the nearer of the two
during a change) and weather_blend {from, to, t}, precipitation, cloud_cover, fog_density, lightning,
wind {dir_deg (heading the air moves towards, from +X towards +Y), speed_mps (steady), gust_speed_mps
(instantaneous), gustiness}; and, from Timeline.world_at, time_s and sway [x, y] (plant bend, radians).

Everything here is a deterministic function of the world's env, the script's time/weather/wind events and
the seed. Light and sky for each frame come from the world core's `sky.build_env` at that frame's hour and
weather; during a weather change the two weathers' numbers are blended. Vegetation sway is a damped
oscillator (about 0.4 Hz, like a young tree) driven by wind drag, the bend the renderer can apply to plants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ..state.records import Env, Wind
from ..state.records import or_default as _or
from ..state.sky import build_env

#: env keys each frame overrides
NUMERIC_KEYS = ("sun_intensity", "ambient_intensity", "fog_density", "exposure", "cloud_cover")
COLOUR_KEYS = ("sun_color", "ambient_color", "sky_zenith", "sky_horizon", "fog_color")
SWAY_HZ, SWAY_DAMPING, SWAY_GAIN = 0.4, 0.12, 0.0006


@dataclass(kw_only=True, slots=True)
class Ramp:
    """A value that changes from `start` to `end` between t0 and t1 (t1 == t0: a jump)."""

    t0: float
    t1: float
    end: float


@dataclass(kw_only=True, slots=True)
class EnvModel:
    base: Env
    seed: int
    clock_h: float
    time_scale_h_per_s: float = 0.0
    clock_ramps: list[Ramp] = field(default_factory=list)
    #: (t0, t1, weather): the weather changes to `weather` between t0 and t1
    weather_changes: list[tuple[float, float, str]] = field(default_factory=list)
    speed_ramps: list[Ramp] = field(default_factory=list)
    dir_ramps: list[Ramp] = field(default_factory=list)
    gust_ramps: list[Ramp] = field(default_factory=list)
    _phases: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def from_events(cls, env: Env, events: list[dict[str, Any]], *, seed: int,
                    time_scale_h_per_s: float = 0.0) -> EnvModel:
        wind = env.wind if env.wind is not None else Wind()
        model = cls(base=env, seed=seed, clock_h=_or(env.clock_h, 12.0), time_scale_h_per_s=time_scale_h_per_s)
        model.speed_ramps.append(Ramp(t0=0.0, t1=0.0, end=_or(wind.speed_mps, 2.0)))
        model.dir_ramps.append(Ramp(t0=0.0, t1=0.0, end=_or(wind.dir_deg, 0.0)))
        model.gust_ramps.append(Ramp(t0=0.0, t1=0.0, end=0.3))
        for e in events:
            t0, t1 = e["time"], e["end"] if e.get("end") is not None else e["time"]
            if e["kind"] == "time":
                model.clock_ramps.append(Ramp(t0=t0, t1=t1, end=float(e["to"])))
            elif e["kind"] == "weather":
                model.weather_changes.append((t0, t1, str(e["to"])))
            elif e["kind"] == "wind":
                model.speed_ramps.append(Ramp(t0=t0, t1=t1, end=float(e["speed"])))
                if e.get("dir") is not None:
                    model.dir_ramps.append(Ramp(t0=t0, t1=t1, end=float(e["dir"])))
                model.gust_ramps.append(Ramp(t0=t0, t1=t1, end=float(e.get("gust", 0.3))))
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 4242])))
        model._phases = rng.uniform(0.0, 2 * math.pi, size=8)
        return model

    # --- clock and weather -----------------------------------------------------------------------

    def clock_at(self, t: float) -> float:
        """Hour of day at `t` (may pass 24: the next day)."""
        rate = self.time_scale_h_per_s
        base_t, base_v = 0.0, self.clock_h
        for r in sorted(self.clock_ramps, key=lambda r: r.t0):
            if t < r.t0:
                break
            start = base_v + rate * (r.t0 - base_t)
            target = r.end
            while target < start - 1e-9:  # the clock only runs forwards
                target += 24.0
            if r.t1 > r.t0 and t < r.t1:
                return start + (target - start) * (t - r.t0) / (r.t1 - r.t0)
            base_t, base_v = max(r.t0, r.t1), target
        return base_v + rate * (t - base_t)

    def weather_at(self, t: float) -> tuple[str, str, float]:
        """(weather before, weather after, blend 0..1) at `t`."""
        current = _or(self.base.weather, "clear")
        for t0, t1, w in self.weather_changes:
            if t < t0:
                break
            if t >= t1:
                current = w
                continue
            return current, w, _smooth((t - t0) / (t1 - t0))
        return current, current, 0.0

    # --- wind ------------------------------------------------------------------------------------

    def wind_params(self, t: float) -> tuple[float, float, float]:
        """(base speed m/s, heading deg, gustiness 0..1) at `t`."""
        return (_ramped(self.speed_ramps, t), _ramped(self.dir_ramps, t, angle=True), _ramped(self.gust_ramps, t))

    def gust(self, t: np.ndarray) -> np.ndarray:
        """A smooth deterministic gust signal in about [-1, 1]."""
        freqs = np.array([0.07, 0.13, 0.23, 0.37, 0.59, 0.83, 1.3, 2.1])
        amps = np.array([1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.12, 0.08])
        s = np.sin(2 * math.pi * np.multiply.outer(np.asarray(t, np.float64), freqs) + self._phases) @ amps
        return s / amps.sum() * 1.8

    def wind_vectors(self, times: np.ndarray) -> np.ndarray:
        """Wind velocity (N x 3, m/s) at times, gusts included."""
        params = np.array([self.wind_params(float(t)) for t in times]).reshape(-1, 3)
        speed = np.maximum(params[:, 0] * (1.0 + params[:, 2] * self.gust(times)), 0.0)
        heading = np.radians(params[:, 1])
        return np.column_stack([speed * np.cos(heading), speed * np.sin(heading), np.zeros(len(times))])

    # --- frames ----------------------------------------------------------------------------------

    def frames(self, times: np.ndarray, dt: float,
               step_wind: np.ndarray | None = None) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Per-frame env overrides and vegetation sway (F x 2 radians); `step_wind` as for sway."""
        sway = self.sway(times, dt, step_wind)
        wind = self.wind_vectors(times)
        out = []
        for k, t in enumerate(times):
            env = self._light(float(t))
            base_speed, heading, gust = self.wind_params(float(t))
            env["wind"] = {"dir_deg": round(heading % 360.0, 4), "speed_mps": round(base_speed, 4),
                           "gust_speed_mps": round(float(np.hypot(*wind[k, :2])), 4), "gustiness": round(gust, 4)}
            out.append(env)
        return out, sway

    def _light(self, t: float) -> dict[str, Any]:
        clock = self.clock_at(t)
        before, after, blend = self.weather_at(t)
        a = _env_for(round(clock % 24.0, 4), before, self._static_key())
        if blend <= 0.0 or before == after:
            env = dict(a)
        else:
            b = _env_for(round(clock % 24.0, 4), after, self._static_key())
            env = _blend(a, b, blend)
        env["clock_h"] = round(clock % 24.0, 4)
        env["weather"] = after if blend >= 0.5 else before
        env["weather_blend"] = {"from": before, "to": after, "t": round(blend, 4)}
        return env

    def _static_key(self) -> tuple[Any, ...]:
        b = self.base
        return (_or(b.season, "summer"), _or(b.mood, "serene"), _or(b.palette, "natural"), _or(b.style, "natural"),
                int(self.seed), b.sea_level_m)

    def sway(self, times: np.ndarray, dt: float, step_wind: np.ndarray | None = None) -> np.ndarray:
        """Bend of plants (F x 2, radians) from a damped oscillator driven by wind drag; `step_wind`: the
        wind_vectors already computed at every step of dt from 0 (the simulation has them)."""
        if not len(times):
            return np.zeros((0, 2))
        end = float(times[-1])
        steps = int(math.ceil(end / dt)) + 1
        if step_wind is not None and len(step_wind) >= steps:
            wind = np.asarray(step_wind)[:steps, :2]
        else:
            wind = self.wind_vectors(np.arange(steps) * dt)[:, :2]
        drive = SWAY_GAIN * np.linalg.norm(wind, axis=1, keepdims=True) * wind
        omega = 2 * math.pi * SWAY_HZ
        theta, vel = np.zeros(2), np.zeros(2)
        out = np.zeros((steps, 2))
        theta = drive[0].copy()  # start at rest under the first wind, not from upright
        for k in range(steps):
            acc = omega * omega * (drive[k] - theta) - 2 * SWAY_DAMPING * omega * vel
            vel = vel + acc * dt
            theta = theta + vel * dt
            out[k] = theta
        idx = np.clip(np.round(np.asarray(times) / dt).astype(int), 0, steps - 1)
        return out[idx]


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def _ramped(ramps: list[Ramp], t: float, angle: bool = False) -> float:
    value = ramps[0].end
    for r in ramps[1:]:
        if t < r.t0:
            break
        target = r.end
        if angle:
            target = value + ((target - value + 180.0) % 360.0 - 180.0)
        if r.t1 <= r.t0 or t >= r.t1:
            value = target
        else:
            value = value + (target - value) * _smooth((t - r.t0) / (r.t1 - r.t0))
    return value


@lru_cache(maxsize=512)
def _env_cached(clock: float, weather: str, key: tuple[Any, ...]) -> tuple[tuple[str, Any], ...]:
    season, mood, palette, style, seed, sea = key
    env = build_env(clock_h=clock, season=season, weather=weather, mood=mood, palette=palette, style=style,
                    time_of_day="custom", seed=seed, sea_level_m=sea)
    keep = ("sun_dir", "sun_elevation_deg", "sun_azimuth_deg", "precipitation", "lightning", *NUMERIC_KEYS,
            *COLOUR_KEYS)
    return tuple((k, env[k]) for k in keep if k in env)


def _env_for(clock: float, weather: str, key: tuple[Any, ...]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
            for k, v in _env_cached(clock, weather, key)}


def _blend(a: dict[str, Any], b: dict[str, Any], u: float) -> dict[str, Any]:
    out = dict(a)
    for k in NUMERIC_KEYS:
        if k in a and k in b:
            out[k] = round(float(a[k]) * (1 - u) + float(b[k]) * u, 6)
    for k in COLOUR_KEYS:
        if k in a and k in b:
            out[k] = [round(float(x) * (1 - u) + float(y) * u, 6) for x, y in zip(a[k], b[k], strict=False)]
    pa, pb = a.get("precipitation", {}), b.get("precipitation", {})
    kind = pb.get("kind", "none") if pb.get("kind", "none") != "none" else pa.get("kind", "none")
    intensity = float(pa.get("intensity", 0.0)) * (1 - u) + float(pb.get("intensity", 0.0)) * u
    out["precipitation"] = {"kind": kind, "intensity": round(intensity, 4)}
    out["lightning"] = bool(b.get("lightning")) if u >= 0.5 else bool(a.get("lightning"))
    return out
