"""Light, sky and atmosphere for the renderer, read from a WorldState's `env` dict.

Env keys read (all optional; anything missing or malformed falls back to a default):
  sun_dir      [x, y, z] unit vector pointing towards the sun (default: from clock_h)
  sun_color    [r, g, b] linear 0..1 or 0..255, or "#rrggbb" (default: from sun elevation)
  sun_intensity  sun irradiance scale at full daylight (default 3.2), scaled down at dusk and by clouds
  sky_zenith, sky_horizon   linear colours of the sky gradient (default: from sun elevation)
  fog_density  extinction per metre (default 0.0005), fog_color linear (default: sky horizon)
  exposure     exposure compensation in stops, EV (default 0; +1 doubles brightness)
  clock_h      hour of day 0..24 (default 11); used when sun_dir is absent, and for night
  weather      clear | cloudy | overcast | rain | storm | snow | fog (default clear)
  season       spring | summer | autumn | winter (default summer)
  cloud_cover  0..1 (default: from weather)
  wetness, snow_cover   0..1 overrides (default: from weather and season)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

WEATHERS = ("clear", "cloudy", "overcast", "rain", "storm", "snow", "fog")


@dataclass(kw_only=True, slots=True)
class Lighting:
    """Everything the shaders need about light and air; colours are linear RGB."""

    sun_dir: tuple[float, float, float]
    sun_color: tuple[float, float, float]
    moon_dir: tuple[float, float, float]
    sky_zenith: tuple[float, float, float]
    sky_horizon: tuple[float, float, float]
    ground_color: tuple[float, float, float]
    fog_color: tuple[float, float, float]
    fog_density: float
    exposure: float
    night: float
    cloud_cover: float
    wetness: float
    snow: float
    season: str

    def shadow_key(self) -> tuple[float, ...]:
        """What the cached shadow map depends on (besides the world)."""
        return tuple(round(c, 4) for c in self.key_light_dir())

    def key_light_dir(self) -> tuple[float, float, float]:
        """The direction shadows are cast from: the sun by day, the moon by night."""
        return self.sun_dir if self.sun_dir[2] > -0.02 else self.moon_dir

    def uniforms(self) -> dict[str, Any]:
        light_dir = self.key_light_dir()
        return {
            "u_sun_dir": self.sun_dir,
            "u_light_dir": light_dir,
            "u_sun_color": self.sun_color,
            "u_moon_dir": self.moon_dir,
            "u_sky_zenith": self.sky_zenith,
            "u_sky_horizon": self.sky_horizon,
            "u_ground_color": self.ground_color,
            "u_fog_color": self.fog_color,
            "u_fog_density": self.fog_density,
            "u_exposure": self.exposure,
            "u_night": self.night,
            "u_cloud": self.cloud_cover,
            "u_wet": self.wetness,
            "u_snow": self.snow,
        }


def color(value: Any, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """A colour from "#rrggbb", [r, g, b] in 0..1, or [r, g, b] in 0..255; default when unreadable."""
    try:
        if isinstance(value, str):
            s = value.strip().lstrip("#")
            if len(s) == 6:
                return tuple(int(s[k : k + 2], 16) / 255.0 for k in (0, 2, 4))  # type: ignore[return-value]
            return default
        c = [float(v) for v in value][:3]
        if len(c) != 3 or not all(math.isfinite(v) for v in c):
            return default
        if max(c) > 1.5:
            c = [v / 255.0 for v in c]
        return tuple(max(v, 0.0) for v in c)  # type: ignore[return-value]
    except (TypeError, ValueError):
        return default


def srgb_to_linear(c: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(float(v) ** 2.2 for v in c)  # type: ignore[return-value]


def _num(env: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    try:
        v = float(env.get(key, default))
    except (TypeError, ValueError):
        return default
    return min(max(v, lo), hi) if math.isfinite(v) else default


def _unit(value: Any, default: tuple[float, float, float]) -> tuple[float, float, float]:
    try:
        v = np.asarray([float(c) for c in value][:3], dtype=np.float64)
    except (TypeError, ValueError):
        return default
    if v.shape != (3,) or not np.all(np.isfinite(v)) or np.linalg.norm(v) < 1e-9:
        return default
    v = v / np.linalg.norm(v)
    return (float(v[0]), float(v[1]), float(v[2]))


def sun_from_clock(clock_h: float) -> tuple[float, float, float]:
    """A plausible sun direction for the hour: rises in the east at 6, south-high at noon, sets at 18."""
    a = (clock_h - 6.0) / 12.0 * math.pi  # 0 at sunrise, pi at sunset
    elev = math.sin(a) * math.radians(62.0)
    az = -a  # east (+X) at sunrise, south (-Y) at noon, west at sunset
    v = (math.cos(elev) * math.cos(az), math.cos(elev) * math.sin(az), math.sin(elev))
    return _unit(v, (0.3, -0.5, 0.8))


def lighting_from_env(env: dict[str, Any]) -> Lighting:
    """Resolve the env dict into concrete lighting, filling every gap with a physically plausible default."""
    clock = _num(env, "clock_h", 11.0, 0.0, 24.0)
    sun = _unit(env.get("sun_dir"), sun_from_clock(clock)) if "sun_dir" in env else sun_from_clock(clock)
    weather = str(env.get("weather", "clear")).lower()
    season = str(env.get("season", "summer")).lower()
    elev = sun[2]
    day = float(np.clip((elev + 0.08) / 0.22, 0.0, 1.0))  # 0 at night, 1 once the sun is ~8° up
    night = 1.0 - day
    warm = float(np.clip(1.0 - elev / 0.35, 0.0, 1.0))  # low sun is warmer
    sun_rgb = np.array([1.0, 0.96, 0.9]) * (1 - warm) + np.array([1.0, 0.55, 0.28]) * warm
    sun_rgb = color(env.get("sun_color"), tuple(sun_rgb))
    intensity = _num(env, "sun_intensity", 3.2, 0.0, 100.0)
    cover_default = {"cloudy": 0.45, "overcast": 0.9, "rain": 0.95, "storm": 1.0, "snow": 0.9, "fog": 0.7}
    cloud = _num(env, "cloud_cover", cover_default.get(weather, 0.12), 0.0, 1.0)
    sun_strength = day * intensity * (1.0 - 0.8 * cloud**1.5)
    zen_day, hor_day = np.array([0.09, 0.24, 0.62]), np.array([0.5, 0.64, 0.82])
    zen_dusk, hor_dusk = np.array([0.12, 0.16, 0.38]), np.array([0.95, 0.55, 0.3])
    zen_night, hor_night = np.array([0.004, 0.007, 0.02]), np.array([0.02, 0.03, 0.06])
    zen = zen_day * (1 - warm) + zen_dusk * warm
    hor = hor_day * (1 - warm) + hor_dusk * warm
    zen, hor = zen * day + zen_night * night, hor * day + hor_night * night
    grey = np.array([0.55, 0.58, 0.62]) * (0.15 + 0.85 * day)
    zen, hor = (
        zen * (1 - cloud * 0.85) + grey * 0.85 * cloud * 0.85,
        hor * (1 - cloud * 0.8) + grey * cloud * 0.8,
    )
    zen = _env_color(env, "sky_zenith", zen)
    hor = _env_color(env, "sky_horizon", hor)
    fog_default = {"fog": 0.006, "rain": 0.0025, "storm": 0.003, "snow": 0.0025, "overcast": 0.0012}
    fog_density = _num(env, "fog_density", fog_default.get(weather, 0.0005), 0.0, 0.2)
    fog_col = _env_color(env, "fog_color", hor * 0.9 + grey * 0.1)
    wet = _num(env, "wetness", {"rain": 0.85, "storm": 1.0}.get(weather, 0.0), 0.0, 1.0)
    snow_default = 0.9 if weather == "snow" else (0.55 if season == "winter" else 0.0)
    snow = _num(env, "snow_cover", snow_default, 0.0, 1.0)
    moon = _unit(env.get("moon_dir"), _unit((-sun[0], -sun[1], max(0.35, -sun[2])), (0.2, 0.4, 0.9)))
    exposure = 0.8 * 2.0 ** _num(env, "exposure", 0.0, -10.0, 10.0) * (1.0 + 5.0 * night)
    ground = np.array([0.3, 0.27, 0.22]) * (0.05 + 0.95 * day)
    return Lighting(
        sun_dir=sun,
        sun_color=tuple(float(c) * sun_strength for c in sun_rgb),
        moon_dir=moon,
        sky_zenith=_t(zen),
        sky_horizon=_t(hor),
        ground_color=_t(ground),
        fog_color=_t(fog_col),
        fog_density=fog_density,
        exposure=exposure,
        night=night,
        cloud_cover=cloud,
        wetness=wet,
        snow=snow,
        season=season,
    )


def _env_color(env: dict[str, Any], key: str, default: np.ndarray) -> np.ndarray:
    """A linear colour from env, or the default."""
    if key not in env:
        return default
    return np.array(color(env[key], tuple(default)))


def _t(a: np.ndarray) -> tuple[float, float, float]:
    return (float(a[0]), float(a[1]), float(a[2]))
