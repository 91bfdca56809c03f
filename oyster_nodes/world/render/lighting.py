"""Light, sky and atmosphere for the renderer, read from a WorldState's `env` (a records.Env).

Env fields read (all optional; anything missing falls back to a default; the record checked the rest):
  sun_dir      [x, y, z] unit vector pointing towards the sun (default: from clock_h)
  sun_color    [r, g, b] linear 0..1 or 0..255, or "#rrggbb" (default: from sun elevation)
  sun_intensity  sun irradiance scale at full daylight (default 3.2), scaled down at dusk and by clouds
  sky_zenith, sky_horizon   linear colours of the sky gradient (default: from sun elevation)
  fog_density  extinction per metre at the fog's base (default 0.00004; 0.007 in fog, never under 0.0025),
               fog_color linear (in fog its luminance is kept and its hue taken from the whole sky, see
               sky_lit_fog; the sun's side of the fog takes the low sun's colour)
  fog_height_m the fog thins by e every this many metres up (default 300; 250 in fog; generated worlds lay
               fog at a low sun 60 m deep and named mist 20 m); the fog's base is the low ground around the
               shot's subject (see weather.fog_ground); over a fog lower than 300 m lies humid air (AIR_OVER_FOG)
  water_color  sRGB; colours the water's depths, shallows and the bed seen through it (water_uniforms)
  lightning    a thunderstorm's strikes: the sky's bolt and its flash (lightning.py)
  mist_density, mist_height_m   a shallow layer on the water near the subject (default: twice the fog's
               density in fog, else none; 10 m)
  exposure     exposure compensation in stops, EV (default 0; +1 doubles brightness)
  clock_h      hour of day 0..24 (default 11); used when sun_dir is absent, and for night
  weather      clear | cloudy | overcast | rain | storm | snow | fog (default clear)
  season       spring | summer | autumn | winter (default summer)
  cloud_cover  0..1 (default: from weather)
  wetness, snow_cover   0..1 overrides (default: from weather and season)
  extra "skylight_gain"  the sky's light on the ground over what the seen sky's colours give (default 1; a
               blizzard's: its dark sky is a cloud wall, the snow-filled air lights the ground from all round)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..state.records import Env, Wind
from ..state.records import or_default as _or
from ..state.sky import sky_colors, sun_color

#: direct sunlight relative to env.sun_intensity, so that bright ground at noon stays below white
SUN_SCALE = 0.65
LUMA = np.array([0.2126, 0.7152, 0.0722])
#: the grade's tint by night (moonlight reads blue)
NIGHT_TINT = np.array([0.88, 0.97, 1.12])
#: the moon's light on the ground (linear): blue, and bright enough that a moonlit plain shows its relief
MOONLIGHT = (0.25, 0.32, 0.52)
#: the least extinction per metre at the fog's base for a weather (visibility ~3.9 / density): even a light
#: mist is air one sees less than 1.6 km through (plain fog is 0.007, ~560 m; thick fog twice that)
FOG_FLOOR = {"fog": 0.0025}
#: the mist on the water in fog: its density at the water over the fog's (a shallow layer that doubles it)
MIST_OVER_FOG = 1.0
#: fog this dense (per metre) keeps half the sun's glow in its light (see fog_aureole)
FOG_EVEN = 0.0008
#: how far a low sun turns the fog's hue to twilight's blue skylight (the rest: the sky's own, warm at the horizon)
FOG_TWILIGHT_BLUE = 0.2
#: how much of the open sky's colour fog keeps (0: grey fog; 1: the sky's own hue)
FOG_SKY_SATURATION = 0.55
#: how much of the low sun's colour the fog on the sun's side takes (0: none; 1: the sun's own)
FOG_SUN_SATURATION = 0.45
#: how much of the low sun's tint the fog keeps away from the sun: the droplets there are sunlit too (a dawn
#: mist reads rose and gold all round, warmest towards the sun), only less of it scatters back
FOG_WARM_AWAY = 0.5
#: by a low sun, fog is lit by the dim zenith as well as the bright horizon: this much darker than the horizon
FOG_DIM_AT_LOW_SUN = 0.3
#: in fog, the air above a fog that lies low is humid: a layer of this share of the fog's density, thinning by
#: e every AIR_HEIGHT_M metres (the far hills over a misty valley fade; the sky overhead still reads)
AIR_OVER_FOG, AIR_HEIGHT_M = 0.12, 300.0
#: the hue of skylight at twilight, unit luminance
SKYLIGHT_BLUE = np.array([0.8, 0.9, 1.25]) / float(np.array([0.8, 0.9, 1.25]) @ LUMA)


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
    fog_height_m: float = 300.0
    #: mist lying on the water (or the low ground): density per metre at its base, and its e-folding height
    mist_density: float = 0.0
    mist_height_m: float = 10.0
    #: the humid air over a low-lying fog: density per metre at the fog's base and e-folding height (0: none)
    air_density: float = 0.0
    air_height_m: float = AIR_HEIGHT_M
    haze: float = 0.0001
    #: the fog's tint on the sun's side of the sky (unit luminance; 1, 1, 1: none): a low sun warms the fog
    #: towards it, and the fog away from it keeps the sky's cooler light
    fog_warm: tuple[float, float, float] = (1.0, 1.0, 1.0)
    #: the same tint away from the sun (see FOG_WARM_AWAY)
    fog_warm_away: tuple[float, float, float] = (1.0, 1.0, 1.0)
    glow: tuple[float, float, float] = (0.0, 0.0, 0.0)
    key_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ambient_sky: tuple[float, float, float] = (0.3, 0.35, 0.45)
    ambient_ground: tuple[float, float, float] = (0.1, 0.09, 0.07)
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    contrast: float = 1.0
    wind: tuple[float, float] = (0.0, 0.0)
    #: a rim light from behind (a studio's; env extra "rim_dir" / "rim_color"), drawn on placed meshes; none: 0
    rim_dir: tuple[float, float, float] = (0.0, 0.0, 1.0)
    rim_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: the water's deep colour, its shallows' colour and its absorption per metre (water_uniforms)
    water: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def shadow_key(self) -> tuple[float, ...]:
        """What the cached shadow map depends on (besides the world)."""
        return tuple(round(c, 4) for c in self.key_light_dir())

    def bake_key(self) -> tuple[Any, ...]:
        """What the baked terrain light depends on (besides the world)."""
        values = (*self.key_light_dir(), *self.key_color, *self.ambient_sky, *self.ambient_ground)
        return (*(round(float(v), 5) for v in values), round(self.snow, 4), round(self.wetness, 4))

    def key_light_dir(self) -> tuple[float, float, float]:
        """The direction shadows are cast from: the sun by day, the moon by night."""
        return self.sun_dir if self.sun_dir[2] > -0.02 else self.moon_dir

    def uniforms(self) -> dict[str, Any]:
        return {
            "u_sun_dir": self.sun_dir,
            "u_light_dir": self.key_light_dir(),
            "u_key_color": self.key_color,
            "u_moon_dir": self.moon_dir,
            "u_amb_sky": self.ambient_sky,
            "u_amb_ground": self.ambient_ground,
            "u_sky_zenith": self.sky_zenith,
            "u_sky_horizon": self.sky_horizon,
            "u_sky_ground": self.ground_color,
            "u_glow": self.glow,
            "u_fog_glow": tuple(c * fog_aureole(self.fog_density) for c in self.glow),
            "u_sun_disc": tuple(30.0 * c * (1.0 - 0.9 * self.cloud_cover) for c in self.glow),
            "u_fog_color": self.fog_color,
            "u_fog_warm": self.fog_warm,
            "u_fog_warm_away": self.fog_warm_away,
            "u_fog_density": self.fog_density,
            "u_fog_height": self.fog_height_m,
            "u_haze": self.haze,
            "u_mist_density": self.mist_density,
            "u_mist_height": self.mist_height_m,
            "u_air_density": self.air_density,
            "u_air_height": self.air_height_m,
            "u_exposure": self.exposure,
            "u_tint": self.tint,
            "u_saturation": self.saturation,
            "u_contrast": self.contrast,
            "u_night": self.night,
            "u_cloud": self.cloud_cover,
            "u_wet": self.wetness,
            "u_snow": self.snow,
            "u_wind": self.wind,
            "u_rough": 0.06 + 0.2 * self.wetness + 0.1 * self.cloud_cover,
            "u_rim_dir": self.rim_dir,
            "u_rim_color": self.rim_color,
            **self.water,
        }


#: the water's deep and shallow colours (linear) when the env names none
WATER_DEEP, WATER_SHALLOW = (0.012, 0.05, 0.07), (0.03, 0.2, 0.22)
#: per metre, how fast clear water absorbs red, green and blue (red first: shallows over sand read turquoise)
WATER_ABSORB = (0.45, 0.1, 0.08)


def water_uniforms(env: Env) -> dict[str, tuple[float, float, float]]:
    """The water's colours from env.water_color ("turquoise", "emerald", "dark" water; sRGB): its deep colour
    is that colour, and its shallows the same hue, lighter by as much as the colour is light (turquoise
    shallows glow, dark water stays dark)."""
    if env.water_color is None:
        return {"u_water_deep": WATER_DEEP, "u_water_shallow": WATER_SHALLOW, "u_water_absorb": WATER_ABSORB}
    srgb = np.clip(np.asarray(env.water_color, np.float64), 0.0, 1.0)
    deep = srgb ** 2.2
    lum = float(deep @ LUMA)
    shallow = deep / max(lum, 1e-5) * float(np.clip(6.0 * lum, 0.01, 0.2))
    # the bed shows through in the water's own hue: the colours it lacks are absorbed first, and dark water
    # hides its bed within a metre or two
    absorb = 0.08 + 0.4 * (1.0 - srgb / max(float(srgb.max()), 1e-5)) + 0.5 * (1.0 - min(lum / 0.01, 1.0))
    return {"u_water_deep": _vec(deep), "u_water_shallow": _vec(shallow), "u_water_absorb": _vec(absorb)}


def _vec(a: np.ndarray) -> tuple[float, float, float]:
    return (float(a[0]), float(a[1]), float(a[2]))


def fog_density_of(env: Env) -> float:
    """Extinction per metre at the fog's base: the env's, else the weather's, never under FOG_FLOOR."""
    weather = _or(env.weather, "clear").lower()
    default = {"fog": 0.007, "rain": 0.0012, "storm": 0.0015, "snow": 0.0012, "overcast": 0.0005}
    return max(_or(env.fog_density, default.get(weather, 0.00004)), FOG_FLOOR.get(weather, 0.0))


def unit_hue(c: np.ndarray) -> np.ndarray:
    """A colour scaled to unit luminance (its hue and saturation)."""
    return np.asarray(c, np.float64) / max(float(np.asarray(c) @ LUMA), 1e-6)


def sky_lit_fog(colour: np.ndarray, zenith: np.ndarray, horizon: np.ndarray, sun_rgb: np.ndarray,
                warm: float) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Fog lit by the whole sky rather than by the horizon alone: the env fog colour's luminance in the hue
    of the open sky's light (zenith and horizon together, paled as droplets scatter every colour alike), so a
    dawn fog is a cool pale grey-blue and no flat beige wash; and the tint that the low sun gives the fog on
    its side of the sky (the same brightness, its colour: thick fog glows evenly but warms towards the sun)."""
    sky = 0.5 * unit_hue(zenith) + 0.5 * unit_hue(horizon)
    hue = unit_hue(1.0 + (unit_hue(sky + FOG_TWILIGHT_BLUE * warm * (SKYLIGHT_BLUE - sky)) - 1.0) * FOG_SKY_SATURATION)
    lum = float(np.asarray(colour) @ LUMA) * (1.0 - FOG_DIM_AT_LOW_SUN * warm)  # the dim zenith lights it too
    sun = unit_hue(1.0 + (unit_hue(sun_rgb) - 1.0) * FOG_SUN_SATURATION * warm)
    return lum * hue, _t(sun / hue)


def fog_aureole(density: float) -> float:
    """The share of the sun's glow that fog of `density` (per metre) keeps towards the sun: thin haze scatters
    light forward (a bright aureole round a low sun), thick fog scatters it many times over and glows evenly
    in every direction (so a dawn fog is no brighter on the sun's side than a grey one)."""
    return 1.0 / (1.0 + max(density, 0.0) / FOG_EVEN)


def srgb_to_linear(c: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(float(v) ** 2.2 for v in c)  # type: ignore[return-value]


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


def lighting_from_env(env: Env) -> Lighting:
    """Resolve the env into concrete lighting, filling every gap with a plausible default."""
    clock = _or(env.clock_h, 11.0)
    sun = _unit(env.sun_dir, sun_from_clock(clock)) if env.sun_dir is not None else sun_from_clock(clock)
    weather = _or(env.weather, "clear").lower()
    season = _or(env.season, "summer").lower()
    elev = math.degrees(math.asin(max(-1.0, min(1.0, sun[2]))))
    day = float(np.clip((elev + 7.0) / 12.0, 0.0, 1.0))  # 0 at night, 1 once the sun is ~5 degrees up
    night = 1.0 - day
    moonlit = float(np.clip((-6.0 - elev) / 6.0, 0.0, 1.0))  # past civil twilight: the night grade takes over
    cover_default = {"cloudy": 0.45, "overcast": 0.85, "rain": 0.95, "storm": 1.0, "snow": 0.8, "fog": 0.35}
    cloud = _or(env.cloud_cover, cover_default.get(weather, 0.12))
    zen_default, hor_default = sky_colors(elev, cloud, weather)
    zen = np.array(_or(env.sky_zenith, zen_default))
    hor = np.array(_or(env.sky_horizon, hor_default))
    sun_rgb = np.array(_or(env.sun_color, sun_color(elev)))
    weather_sun = {"overcast": 0.3, "fog": 0.45, "rain": 0.2, "snow": 0.3, "storm": 0.1}.get(weather, 1.0)
    daylight = float(np.clip((elev + 4.0) / 14.0, 0.0, 1.0))
    intensity = _or(env.sun_intensity, (0.08 + 2.9 * daylight) * weather_sun)
    above = float(np.clip((elev + 1.0) / 3.0, 0.0, 1.0))  # the sun's own light fades as it sets
    moon_default = _unit((-sun[0], -sun[1], max(0.6, -sun[2])), (0.2, 0.4, 0.9))
    moon = _unit(env.moon_dir, moon_default) if env.moon_dir is not None else moon_default
    # day-for-night: a blue moonlight strong enough to read the ground by, only partly dimmed by cloud
    moonlight = np.array(MOONLIGHT) * (1.0 - 0.35 * cloud)
    key = SUN_SCALE * sun_rgb * intensity * above if sun[2] > -0.02 else moonlight * night
    warm = float(np.clip(1.0 - elev / 20.0, 0.0, 1.0)) * float(np.clip((elev + 8.0) / 6.0, 0.0, 1.0))
    glow = sun_rgb / max(float(sun_rgb.max()), 1e-6) * (0.15 + 0.85 * warm) * (1.0 - 0.6 * cloud)
    amb_sky = (hor * 0.55 + zen * 0.45) * (0.9 + 0.6 * cloud) * _skylight_gain(env)
    amb_sky = amb_sky + np.array([0.004, 0.006, 0.012]) * night
    # a low sun leaves the open sky's blue as the light in shadow (snow reads blue-white, not pink)
    lum = float(amb_sky @ LUMA)
    amb_sky = amb_sky + (lum * SKYLIGHT_BLUE - amb_sky) * min(1.0, 1.2 * warm)
    amb_ground = np.array([0.32, 0.28, 0.22]) * (0.12 * key + 0.35 * amb_sky)
    fog_density = fog_density_of(env)
    fog_h = _or(env.fog_height_m, 250.0 if weather == "fog" else 300.0)
    mist = _or(env.mist_density, MIST_OVER_FOG * fog_density if weather == "fog" else 0.0)
    fog_col = np.asarray(_or(env.fog_color, hor * (1.0 - 0.3 * day) + np.array([0.6, 0.64, 0.7]) * 0.3 * day * day))
    fog_warm = (1.0, 1.0, 1.0)
    if weather == "fog" and day > 0.0:
        fog_col, fog_warm = sky_lit_fog(fog_col, zen, hor, sun_rgb, warm)
    wet = _or(env.wetness, {"rain": 0.85, "storm": 1.0}.get(weather, 0.0))
    snow_default = 0.9 if weather == "snow" else (0.55 if season == "winter" else 0.0)
    snow = _or(env.snow_cover, snow_default)
    # the eye adapts: dim scenes get more exposure (twilight ~1.9x, night ~2.7x)
    # (less in fog: its glow fills the view, and a dawn fog lifted as far reads as a blank wash)
    adapt = 1.0 + (0.9 if weather != "fog" else 0.45) * float(np.clip((8.0 - elev) / 12.0, 0.0, 1.0)) + 0.8 * night
    exposure = 0.95 * 2.0 ** _or(env.exposure, 0.0) * adapt
    return Lighting(
        sun_dir=sun,
        sun_color=_t(sun_rgb * intensity),
        moon_dir=moon,
        sky_zenith=_t(zen),
        sky_horizon=_t(hor),
        ground_color=_t(hor * 0.45 + amb_ground * 0.5),
        fog_color=_t(np.asarray(fog_col)),
        fog_warm=fog_warm,
        fog_warm_away=_t(1.0 + (np.asarray(fog_warm) - 1.0) * FOG_WARM_AWAY),
        fog_density=fog_density,
        fog_height_m=fog_h,
        mist_density=mist,
        mist_height_m=_or(env.mist_height_m, 10.0),
        air_density=AIR_OVER_FOG * fog_density if weather == "fog" and fog_h < AIR_HEIGHT_M else 0.0,
        haze=0.00004 + 0.0001 * cloud,
        exposure=exposure,
        night=night,
        cloud_cover=cloud,
        wetness=wet,
        snow=snow,
        season=season,
        glow=_t(glow),
        key_color=_t(key),
        ambient_sky=_t(amb_sky),
        ambient_ground=_t(amb_ground),
        tint=_t(np.asarray(_or(env.tint, (1.0, 1.0, 1.0))) * (1.0 + moonlit * (NIGHT_TINT - 1.0))),
        # by moonlight colours fade towards a blue grey (the eye's night vision; a film's day-for-night grade)
        saturation=_or(env.saturation, 1.0) * 1.08 * (1.0 - 0.6 * moonlit),
        contrast=_or(env.contrast, 1.0),
        wind=_wind(env),
        water=water_uniforms(env),
        **_rim(env),
    )


def _skylight_gain(env: Env) -> float:
    """The env extra "skylight_gain" (0.25..4; 1 when absent or not a number)."""
    try:
        gain = float(env.extra.get("skylight_gain", 1.0))
    except (TypeError, ValueError):
        return 1.0
    return float(np.clip(gain, 0.25, 4.0)) if math.isfinite(gain) else 1.0


def _rim(env: Env) -> dict[str, tuple[float, float, float]]:
    """The rim light an env's extra asks for (a studio's), with the unit scale of the key light."""
    colour = env.extra.get("rim_color")
    if colour is None:
        return {}
    try:
        rgb = tuple(float(c) for c in colour)
    except (TypeError, ValueError):
        return {}
    if len(rgb) != 3 or not all(math.isfinite(c) and c >= 0 for c in rgb):
        return {}
    return {"rim_dir": _unit(env.extra.get("rim_dir"), (0.0, 0.7, 0.7)),
            "rim_color": _t(SUN_SCALE * np.asarray(rgb))}


def _wind(env: Env) -> tuple[float, float]:
    """Cloud drift offset in noise-texture units from the env's wind and time_s."""
    w = _or(env.wind, Wind())
    t = _or(env.time_s, 0.0)
    speed = _or(w.speed_mps, 3.0) * t * 1e-4
    a = math.radians(_or(w.dir_deg, 0.0))
    return (speed * math.cos(a), speed * math.sin(a))


def _t(a: np.ndarray) -> tuple[float, float, float]:
    return (float(a[0]), float(a[1]), float(a[2]))


def grade(linear: np.ndarray, light: Lighting) -> np.ndarray:
    """Display colour of linear radiance, as tone.glsl's grade() gives it (for colours set on the CPU)."""
    x = np.asarray(linear, np.float64) * light.exposure
    t = np.clip((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0)
    t = np.sqrt(t) * np.asarray(light.tint)
    lum = float(t @ LUMA)
    t = lum + (t - lum) * light.saturation
    return np.clip((t - 0.5) * light.contrast + 0.5, 0.0, 1.0)
