"""Sun, sky, fog and weather: the env of a WorldState (JSON, parsed into records.Env) from clock, season, weather.

env keys written here (all plain JSON):
  clock_h, day_of_year, latitude_deg, season, weather, mood, palette, style, time_of_day,
  sun_dir [x, y, z] unit vector from the ground towards the sun (+Z up; below 0 at night),
  sun_elevation_deg, sun_azimuth_deg (clockwise from north), sun_color [r, g, b] linear,
  sun_intensity, ambient_color, ambient_intensity, sky_zenith, sky_horizon (linear rgb),
  fog_density (per metre at the fog's base, exponential height fog), fog_height_m (the fog thins by e
  every this many metres up), fog_color, exposure (EV offset), cloud_cover 0..1,
  precipitation {kind: none|rain|snow, intensity 0..1}, wind {dir_deg, speed_mps},
  lightning (bool), sea_level_m (or null), tint [r, g, b], saturation, contrast,
  foliage_color, grass_color (linear rgb, season-dependent).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

LATITUDE_DEG = 45.0
SEASON_DAY: dict[str, int] = {"spring": 100, "summer": 180, "autumn": 280, "winter": 355}

#: time-of-day concept -> sun elevation target (deg) and whether it is the morning side
_TIME_TARGETS: dict[str, tuple[float, bool]] = {
    "dawn": (2.0, True),
    "golden_hour": (5.0, False),
    "dusk": (-4.0, False),
}
_TIME_FIXED: dict[str, float] = {"morning": 9.0, "noon": 12.5, "afternoon": 15.5, "night": 23.0}

_WEATHER: dict[str, dict[str, Any]] = {
    "clear": {"fog": 0.00004, "fog_h": 400.0, "cloud": 0.12, "sky": 1.0, "sun": 1.0, "precip": ("none", 0.0), "wind": 3.0},
    "overcast": {"fog": 0.0005, "fog_h": 250.0, "cloud": 0.85, "sky": 0.9, "sun": 0.3, "precip": ("none", 0.0), "wind": 5.0},
    "fog": {"fog": 0.007, "fog_h": 250.0, "cloud": 0.35, "sky": 0.95, "sun": 0.6, "precip": ("none", 0.0), "wind": 1.0},
    "rain": {"fog": 0.0012, "fog_h": 200.0, "cloud": 0.95, "sky": 0.5, "sun": 0.2, "precip": ("rain", 0.6), "wind": 7.0},
    "snow": {"fog": 0.0012, "fog_h": 200.0, "cloud": 0.8, "sky": 0.68, "sun": 0.3, "precip": ("snow", 0.6), "wind": 4.0},
    "storm": {"fog": 0.0015, "fog_h": 200.0, "cloud": 1.0, "sky": 0.2, "sun": 0.1, "precip": ("rain", 1.0), "wind": 16.0},
}

_PALETTE: dict[str, dict[str, Any]] = {
    "natural": {"tint": (1.0, 1.0, 1.0), "saturation": 1.0, "contrast": 1.0},
    "warm": {"tint": (1.08, 0.98, 0.86), "saturation": 1.05, "contrast": 1.0},
    "cool": {"tint": (0.88, 0.97, 1.1), "saturation": 0.95, "contrast": 1.0},
    "muted": {"tint": (1.0, 1.0, 1.0), "saturation": 0.6, "contrast": 0.9},
    "vibrant": {"tint": (1.0, 1.0, 1.0), "saturation": 1.35, "contrast": 1.1},
    "pastel": {"tint": (1.04, 1.0, 1.04), "saturation": 0.7, "contrast": 0.8},
    "monochrome": {"tint": (1.0, 1.0, 1.0), "saturation": 0.0, "contrast": 1.15},
}

_MOOD: dict[str, dict[str, float]] = {
    "serene": {"fog": 1.0, "exposure": 0.0},
    "gloomy": {"fog": 2.0, "exposure": -0.5},
    "eerie": {"fog": 3.0, "exposure": -0.7},
    "majestic": {"fog": 0.8, "exposure": 0.2},
    "cheerful": {"fog": 0.7, "exposure": 0.3},
    "desolate": {"fog": 1.5, "exposure": -0.2},
}

_STYLE: dict[str, dict[str, float]] = {
    "natural": {"contrast": 1.0, "saturation": 1.0},
    "cinematic": {"contrast": 1.12, "saturation": 0.9},
    "stylized": {"contrast": 1.05, "saturation": 1.3},
    "painterly": {"contrast": 0.9, "saturation": 1.15},
    "noir": {"contrast": 1.3, "saturation": 0.0},
    "vintage": {"contrast": 0.92, "saturation": 0.7},
}

_FOLIAGE: dict[str, tuple[float, float, float]] = {
    "spring": (0.20, 0.45, 0.12),
    "summer": (0.12, 0.32, 0.08),
    "autumn": (0.55, 0.26, 0.06),
    "winter": (0.22, 0.22, 0.16),
}


def declination_deg(day_of_year: int) -> float:
    return -23.44 * math.cos(2 * math.pi * (day_of_year + 10) / 365.0)


def sun_position(clock_h: float, day_of_year: int, latitude_deg: float = LATITUDE_DEG) -> tuple[float, float]:
    """Solar elevation and azimuth (deg, azimuth clockwise from north) at local solar time."""
    lat, dec = math.radians(latitude_deg), math.radians(declination_deg(day_of_year))
    hour_angle = math.radians((clock_h - 12.0) * 15.0)
    sin_el = math.sin(lat) * math.sin(dec) + math.cos(lat) * math.cos(dec) * math.cos(hour_angle)
    el = math.asin(max(-1.0, min(1.0, sin_el)))
    cos_az = (math.sin(dec) - math.sin(el) * math.sin(lat)) / max(1e-9, math.cos(el) * math.cos(lat))
    az = math.degrees(math.acos(max(-1.0, min(1.0, cos_az))))
    if hour_angle > 0:
        az = 360.0 - az
    return math.degrees(el), az


def clock_for_time(time_of_day: str, season: str) -> float:
    """The local hour that shows a time-of-day concept in a season (sunset is later in summer)."""
    if time_of_day in _TIME_FIXED:
        return _TIME_FIXED[time_of_day]
    target, morning = _TIME_TARGETS.get(time_of_day, (30.0, False))
    day = SEASON_DAY.get(season, 180)
    lo, hi = (0.0, 12.0) if morning else (12.0, 24.0)
    for _ in range(40):  # elevation is monotonic on each half-day: bisect
        mid = 0.5 * (lo + hi)
        above = sun_position(mid, day)[0] > target
        if morning:
            hi, lo = (mid, lo) if above else (hi, mid)
        else:
            lo, hi = (mid, hi) if above else (lo, mid)
    return round(0.5 * (lo + hi), 3)


def sun_direction(elevation_deg: float, azimuth_deg: float) -> list[float]:
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    return [
        round(math.cos(el) * math.sin(az), 6),
        round(math.cos(el) * math.cos(az), 6),
        round(math.sin(el), 6),
    ]


def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> list[float]:
    t = min(max(t, 0.0), 1.0)
    return [round(x * (1 - t) + y * t, 5) for x, y in zip(a, b, strict=True)]


#: sun elevation (deg) -> sky zenith, sky horizon (linear rgb): night, blue hour, twilight, golden, day
_SKY_KEYS: tuple[tuple[float, tuple[float, float, float], tuple[float, float, float]], ...] = (
    (-18.0, (0.0012, 0.002, 0.0065), (0.003, 0.0048, 0.012)),
    (-7.0, (0.012, 0.02, 0.07), (0.09, 0.07, 0.11)),
    (-2.0, (0.035, 0.05, 0.17), (0.8, 0.33, 0.14)),
    (3.0, (0.06, 0.1, 0.3), (1.05, 0.5, 0.22)),
    (12.0, (0.05, 0.14, 0.42), (0.7, 0.66, 0.62)),
    (35.0, (0.03, 0.11, 0.46), (0.42, 0.56, 0.78)),
)


def sun_color(elevation: float) -> list[float]:
    """Linear colour of direct light at a sun elevation (moonlight below -6 degrees)."""
    if elevation <= -6:
        return [0.35, 0.45, 0.75]  # moonlight
    return _mix((1.0, 0.36, 0.1), (1.0, 0.95, 0.88), (elevation + 2.0) / 28.0)


def sky_colors(elevation: float, cloud: float, weather: str = "clear") -> tuple[list[float], list[float]]:
    """Linear sky zenith and horizon colours for a sun elevation (deg), cloud cover 0..1 and weather (heavy
    rain and storm clouds let through less light: their skies are darker)."""
    keys = _SKY_KEYS
    e = min(max(elevation, keys[0][0]), keys[-1][0])
    k = next(i for i in range(1, len(keys)) if e <= keys[i][0])
    (e0, z0, h0), (e1, z1, h1) = keys[k - 1], keys[k]
    t = (e - e0) / (e1 - e0)
    z, h = _mix(z0, z1, t), _mix(h0, h1, t)
    level = sum(h) / 3.0
    grey = (level * 0.9, level * 0.92, level * 0.98)
    dark = float(_WEATHER.get(weather, _WEATHER["clear"])["sky"])
    zenith, horizon = _mix(tuple(z), tuple(g * 0.8 for g in grey), cloud * 0.8), _mix(tuple(h), grey, cloud * 0.7)
    return [round(c * dark, 5) for c in zenith], [round(c * dark, 5) for c in horizon]


#: fog under a sun this low (degrees) is a morning's or an evening's radiation fog: it lies low, in the valleys
#: and on the water, and thins by e every LOW_FOG_H metres up (the tops of trees and hills and the sky above read)
LOW_FOG_SUN_DEG, LOW_FOG_H = 12.0, 60.0


#: the densest fog a mood makes of weather fog (per metre; "thick fog" is read as twice plain fog too)
MOOD_FOG_MAX = 0.014


def fog_height(weather: str, elevation: float, default: float) -> float:
    """The fog's e-folding height (m): low-lying radiation fog at a low sun, else the weather's."""
    return LOW_FOG_H if weather == "fog" and -8.0 < elevation < LOW_FOG_SUN_DEG else default


def build_env(
    *,
    clock_h: float,
    season: str,
    weather: str,
    mood: str,
    palette: str,
    style: str,
    time_of_day: str,
    seed: int,
    sea_level_m: float | None,
) -> dict[str, Any]:
    """The full env dict of a world (see the module docstring for its keys)."""
    day = SEASON_DAY.get(season, 180)
    elevation, azimuth = sun_position(clock_h, day)
    w, m = _WEATHER[weather], _MOOD[mood]
    pal, sty = _PALETTE[palette], _STYLE[style]
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 77])))
    wind_dir = float(rng.uniform(0.0, 360.0))
    daylight = min(max((elevation + 4.0) / 14.0, 0.0), 1.0)
    zenith, horizon = sky_colors(elevation, w["cloud"], weather)
    fog_density = w["fog"] * m["fog"]
    if weather == "fog":  # a mood thickens a fog no further than thick fog (an eerie fog is still a fog)
        fog_density = min(fog_density, MOOD_FOG_MAX)
    # by day the fog is lit grey-white; at night it is no brighter than the sky (a dark blue, not grey)
    mist = tuple(c * w["sky"] * daylight for c in (0.62, 0.66, 0.72))
    fog_color = _mix(tuple(horizon), mist, (0.55 if weather in ("fog", "overcast") else 0.3) * daylight)
    return {
        "clock_h": round(float(clock_h), 3),
        "day_of_year": day,
        "latitude_deg": LATITUDE_DEG,
        "season": season,
        "weather": weather,
        "mood": mood,
        "palette": palette,
        "style": style,
        "time_of_day": time_of_day,
        "sun_dir": sun_direction(elevation, azimuth),
        "sun_elevation_deg": round(elevation, 3),
        "sun_azimuth_deg": round(azimuth, 3),
        "sun_color": sun_color(elevation),
        "sun_intensity": round((0.08 + 2.9 * daylight) * w["sun"] if elevation > -6 else 0.05, 4),
        "ambient_color": horizon,
        "ambient_intensity": round(0.05 + 0.5 * daylight, 4),
        "sky_zenith": zenith,
        "sky_horizon": horizon,
        "fog_density": round(fog_density, 6),
        "fog_height_m": fog_height(weather, elevation, w["fog_h"]),
        "fog_color": fog_color,
        "exposure": round(m["exposure"] + (0.5 if elevation < -6 else 0.0), 3),
        "cloud_cover": w["cloud"],
        "precipitation": {"kind": w["precip"][0], "intensity": w["precip"][1]},
        "wind": {"dir_deg": round(wind_dir, 3), "speed_mps": w["wind"]},
        "lightning": weather == "storm",
        "sea_level_m": sea_level_m,
        "tint": list(pal["tint"]),
        "saturation": round(pal["saturation"] * sty["saturation"], 4),
        "contrast": round(pal["contrast"] * sty["contrast"], 4),
        "foliage_color": list(_FOLIAGE[season]),
        "grass_color": _mix(_FOLIAGE[season], (0.3, 0.4, 0.12), 0.3),
    }
