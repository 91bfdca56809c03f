"""WorldSpec + seed -> WorldState.

Stages: relief -> shore -> erosion -> rivers -> lakes -> ocean -> structures -> roads -> materials ->
vegetation and props -> sky. Every stage draws from its own Generator(PCG64) seeded by (seed, stage),
so the same spec and seed give a bit-identical state, and editing one stage's inputs does not
reshuffle the others.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from ...settings import setting
from ..prompt.spec import WorldSpec
from ..state.records import Env, Route, Structure
from ..state.sky import build_env
from ..state.world_state import INSTANCE_KINDS, WorldState
from . import alley as al
from . import beach as bc
from . import boats as bt
from . import city as cy
from . import crops as cp
from . import flanks as fl
from . import herds as hd
from . import outcrops as oc
from . import props as pp
from . import riverside as rv
from . import roads as rd
from . import roadside as rs
from . import scatter as sc
from . import snowcover as sn
from . import standin as si
from . import structures as st
from . import studio as sd
from . import swamp as sw
from . import terrain as tr
from . import treelines as tl
from . import vineyards as vy
from . import water as wt
from . import waterside as ws

F32 = np.float32
MAX_SAMPLES = 4097
MIN_SAMPLES = 65
#: worlds this large are seen from far enough that their edge would show: ease the relief down there
#: (smaller ones are arenas that keep their relief to the edge)
EDGE_FALLOFF_MIN_M = 400.0
LAMP_SPACING_M = 24.0
MAX_STREET_LAMPS = 240
_STAGES = (
    "relief",
    "shore",
    "river",
    "lake",
    "structures",
    "roads",
    "noise",
    "trees",
    "small",
    "props",
    "vars",
    "waterfall",
    "city",
    "boats",
    "vines",
    "yard",
    "outcrops",
    "swamp",
    "treelines",
    "crops",
    "herds",
    "alley",
)

Progress = Callable[[float, str], None]


class GenerateError(ValueError):
    """Generation settings that cannot work (the message says which and why)."""


SIZES: tuple[float, ...] = (256.0, 512.0, 1024.0, 2048.0, 4096.0)
CELLS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)


@dataclass(kw_only=True, slots=True)
class GenerateConfig:
    size_m: float = setting(1024.0, choices=SIZES, description="side of the square world in metres")
    cell_m: float = setting(1.0, choices=CELLS, description="terrain sample spacing in metres")
    #: upper bound on scattered instances (trees, plants, props) so renderers stay interactive
    max_instances: int = setting(60_000, min=0, max=200_000, description="cap on trees, plants and props")
    erosion_iterations: int = 10

    def samples(self) -> int:
        """Heightfield samples per side; raises GenerateError when out of range."""
        if not (self.size_m > 0 and self.cell_m > 0):
            raise GenerateError("size_m and cell_m must be positive")
        cells = self.size_m / self.cell_m
        if abs(cells - round(cells)) > 1e-6:
            raise GenerateError(f"size_m {self.size_m:g} is not a whole number of cells of {self.cell_m:g} m")
        n = int(round(cells)) + 1
        if not MIN_SAMPLES <= n <= MAX_SAMPLES:
            raise GenerateError(
                f"size_m / cell_m gives {n} samples per side; allowed {MIN_SAMPLES}..{MAX_SAMPLES}"
                " (use a larger cell_m for big worlds)"
            )
        return n


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), _STAGES.index(stage)])))


def generate_world(
    spec: WorldSpec, seed: int, config: GenerateConfig | None = None, progress: Progress | None = None
) -> WorldState:
    """Build the world a spec describes; the same spec, seed and config always give the same bytes."""
    cfg = config or GenerateConfig()
    n = cfg.samples()
    if spec.studio:  # a packshot set: backdrop, stand and product, whatever the world's size (studio.py)
        return sd.generate_studio(spec, int(seed), progress)
    report = progress or (lambda f, m: None)
    seed = int(seed)
    shore = spec.shore if spec.shore != "none" or "ocean" not in spec.water else "coast"
    sea_level = 0.0 if shore != "none" else None

    report(0.05, "terrain")
    h = tr.biome_height(spec.terrain, stage_rng(seed, "relief"), n, cfg.size_m, spec.relief)
    h = tr.apply_shore(h, shore, stage_rng(seed, "shore"), n, cliffs=spec.modifiers.get("shore") == "cliffs")
    if cfg.size_m >= EDGE_FALLOFF_MIN_M:
        h = tr.edge_falloff(h, sea_level)
    talus = 0.9 if spec.terrain in ("mountains", "canyon", "volcanic") else 0.6
    h = tr.thermal_erosion(h, cell_m=cfg.cell_m, talus=talus, iterations=cfg.erosion_iterations)
    rock = oc.read_rock(spec)
    rng_rock = stage_rng(seed, "outcrops")
    raised = oc.raise_rock(h, rock, rng_rock, cell_m=cfg.cell_m, sea_level=sea_level)

    report(0.3, "water")
    level = np.full((n, n), np.nan, F32)
    masks, rivers, waterfall = _water(h, level, spec, seed, cfg, sea_level)

    report(0.5, "structures")
    coarse = wt.Coarse.of(h)
    site = st.make_site(
        h_c=coarse.h,
        stride=coarse.stride,
        cell_m=cfg.cell_m,
        **{k: np.ascontiguousarray(v[:: coarse.stride, :: coarse.stride]) for k, v in masks.items()},
    )
    road_mask = np.zeros((n, n), bool)
    city = cy.City()
    if spec.structures.get("city"):
        city = cy.build_city(h, road_mask, site, stage_rng(seed, "city"), cell_m=cfg.cell_m, size_m=cfg.size_m,
                             level_hw=level, futuristic=spec.modifiers.get("building") == "futuristic")
        if city.buildings:
            site.taken.append((*city.centre, 0.75 * cy.blocks_for(cfg.size_m) * (cy.BLOCK_M + cy.STREET_M)))
    alley = al.Alley()
    if al.wants_alley(spec):  # "a narrow alley between old houses": the dwellings line a lane (alley.py)
        alley = al.build_alley(h, road_mask, site, stage_rng(seed, "alley"), cell_m=cfg.cell_m, level_hw=level)
        if alley.houses:
            site.taken.append((*alley.centre, 0.6 * al.LANE_M + 12.0))
    wanted = {k: v for k, v in spec.structures.items() if not alley.houses or k not in al.DWELLINGS}
    rng_s = stage_rng(seed, "structures")
    structures = st.place_structures(h, site, wanted, rv.implied_relations(spec), rng_s,
                                     tent_row=bool(st.TENT_ROW.search(spec.text.lower())),
                                     church_size=st.church_scale(spec.text),
                                     ruined_church=bool(st.RUINED_CHURCH.search(spec.text.lower())))
    verge = np.zeros((n, n), bool)
    extra = [city.centre] if city.buildings else []
    extra += [tuple(alley.lane[-1, :2])] if alley.houses and structures else []  # the lane's end joins the roads
    paths, bridges = _roads(h, road_mask, level, site, structures, spec, seed, cfg, extra=extra, verge=verge) \
        if not alley.houses or structures else ([], [])
    if alley.houses:
        paths.append(Route(id="alley-1", kind="road", width_m=al.CARRIAGEWAY_M, points_n3=alley.lane))
        structures += alley.houses
    # "a path between two hills": the rises raised either side of the road (flanks.py)
    fl.raise_flanks(h, paths, spec.text, spec.terrain, cell_m=cfg.cell_m, road_hw=road_mask, wet_hw=np.isfinite(level))
    paths += [Route(id=f"street-{k + 1}", kind="road", width_m=cy.CARRIAGEWAY_M, points_n3=pts)
              for k, pts in enumerate(city.streets)]
    structures += city.buildings
    for s in structures:  # roads may have cut into pads: level them again at their own height
        st.flatten(h, cell_m=cfg.cell_m, x=s.x, y=s.y, w=s.w, d=s.d, yaw=s.yaw, level=s.z)
    structures += bridges + _extra_bridges(spec, rivers, bridges, len(bridges),
                                           near=rv.settlement_centre(structures)) + waterfall
    river_kind = {"dry": "riverbed", "canal": "canal"}.get(spec.modifiers.get("river", ""), "river")
    paths += [
        Route(id=f"{river_kind}-{k + 1}", kind=river_kind, width_m=round(r.width_m, 3),
              points_n3=np.round(r.points, 3).astype(np.float64))
        for k, r in enumerate(rivers)
    ]
    st.restyle(structures, spec.modifiers.get("building", ""),
               {k.split(".", 1)[1]: v for k, v in spec.modifiers.items() if k.startswith("building.")})

    report(0.65, "materials")
    water_hw = wt.finalize(h, level)
    structures += bt.harbour_and_boats(h, water_hw, structures, spec, stage_rng(seed, "boats"), cell_m=cfg.cell_m,
                                       size_m=cfg.size_m)
    ground = _ground(h, water_hw, road_mask, structures, masks, spec, seed, cfg, sea_level)
    if city.paved is not None:  # pavements and yards between the streets and the buildings; nothing grows there
        ground.material[city.paved & ~road_mask] = tr.MAT["gravel"]
        ground.blocked |= city.paved | cy.outskirts(city.paved, cfg.cell_m)
    _dry_beds(ground, [p for p in paths if p.kind == "riverbed"], spec)
    if rock.any:  # the rock the prompt names: bare ground, raised pillars, a rocky shore (outcrops.py)
        rock_noise = oc.ground_noise(rng_rock, n, cfg.size_m)
        bare = ground.material == tr.MAT["road"]
        oc.rock_ground(rock, ground.material, rock_noise, raised & ~bare)
        oc.rock_shore(rock, ground.material, h, np.isfinite(water_hw), sea_level, rock_noise, cfg.cell_m)
        ground.blocked |= raised

    report(0.8, "vegetation")
    env = Env.from_json(build_env(
        clock_h=spec.clock_h,
        season=spec.season,
        weather=spec.weather,
        mood=spec.mood,
        palette=spec.palette,
        style=spec.style,
        time_of_day=spec.time_of_day,
        seed=seed,
        sea_level_m=sea_level,
    ), "world env")
    env = _modified_env(env, spec)
    roads_xy = np.array([p[:2] for r in paths if r.kind == "road" and not r.id.startswith("street-")
                         for p in r.points_n3], np.float64).reshape(-1, 2)
    car_at = ws.vehicle_spot(roads_xy, water_hw, ws.names_water(spec.matches), env.sun_dir, cfg.cell_m,
                             cfg.size_m) if spec.props.get("vehicles") else None
    street_lamps = np.concatenate([city.lamps.reshape(-1, 2), alley.lamps.reshape(-1, 2)])
    inst = _scatter(ground, spec, structures, paths, seed, cfg, city_lamps=street_lamps, car_at=car_at,
                    rock=(rock, rng_rock, np.isfinite(water_hw), sea_level))
    inst = tl.add_tree_lines(inst, ground, water_hw, masks["sea_c"], paths, structures, spec.to_dict(),
                             stage_rng(seed, "treelines"), cfg.size_m)
    inst = _clear_verge(inst, verge, cfg.cell_m)
    if spec.water:  # a car by the named water: its view over the water cleared (waterside.py)
        inst = ws.clear_views(inst, water_hw, cfg.cell_m)
    if spec.structures.get("fences") and any(spec.animals.values()):  # a paddock is open grazing: no tree in it
        inst = _clear_verge(inst, hd.paddock_cells(inst, ground), cfg.cell_m)
    inst = hd.add_herds(inst, ground, water_hw, structures, spec.to_dict(), stage_rng(seed, "herds"), cfg.size_m)
    report(1.0, "done")
    world = WorldState(
        seed=seed,
        size_m=float(cfg.size_m),
        cell_m=float(cfg.cell_m),
        height_hw=h,
        material_hw=ground.material,
        water_hw=water_hw,
        structures=structures,
        paths=paths,
        env=env,
        spec=spec.to_dict(),
        **inst,
    )
    return si.place_stand_in(world)  # a product named outdoors: its stand-in at its setting (standin.py)


#: precipitation strength a modifier asks for, times the weather's own
PRECIPITATION_SCALE = {"heavy": 1.8, "light": 0.5}
#: fog density a modifier asks for ("thick fog", "thin mist"), times the weather's own
FOG_SCALE = {"heavy": 2.0, "light": 0.5}
#: a blizzard's sky: the light its clouds let through, times the snow's own
BLIZZARD_SKY = 0.38
#: and its air: thick with snow lit from every side (the white ground below too), so it is lighter than the
#: sky (BLIZZARD_AIR times the snow's own fog colour) and BLIZZARD_FOG times as dense (far rocks grey out
#: into the fall instead of standing black)
BLIZZARD_AIR, BLIZZARD_FOG = 0.34, 3.0
#: the light on the ground under it over what its dark sky alone would give (env extra "skylight_gain"): the
#: dark grey seen is the cloud wall; the snow-filled air lights the ground from every side, so the ground
#: stays white under the dark sky (a whiteout, not a grey dusk)
BLIZZARD_SKYLIGHT = 2.0
#: rain's strength in its sky and air: (sky and fog light, fog density, sunlight) times the rain's own, and
#: how wet the ground is (rain's own: 0.85). A drizzle falls from thinner cloud (a paler sky, clearer air: the
#: far shore still reads) on damp ground; a downpour from a darker one, through a thicker veil, on ground awash
RAIN_AIR = {"light": (1.4, 0.5, 1.6, 0.5), "heavy": (0.8, 1.4, 0.8, 1.0)}
#: sRGB deep-water colours a water modifier asks for (env "water_color"; the renderer's default otherwise)
WATER_SRGB = {
    "dark": (0.02, 0.04, 0.05), "clear": (0.05, 0.3, 0.34), "turquoise": (0.04, 0.42, 0.45),
    "green": (0.04, 0.2, 0.12), "murky": (0.12, 0.11, 0.06), "blue": (0.02, 0.12, 0.3),
}


#: a vehicle keeps to the right of a road's centre line by this many metres
LANE_OFFSET_M = 1.6
#: and stands this far from any building's centre where the roads allow
VEHICLE_CLEAR_M = 25.0
#: with no road, a vehicle parks this far (min, max metres) from a building's centre
VEHICLE_BESIDE_M = (9.0, 12.0)


def _vehicles_on_roads(g: sc.Ground, roads: list[Route], count: int, size_m: float, buildings: np.ndarray,
                       rng: np.random.Generator, out: sc.Instances,
                       centre: tuple[float, float] | None = None, away_from: tuple[float, float] | None = None) -> None:
    """`count` vehicles on the roads, in the right-hand lane and facing along the road ("a car on a country
    lane" stands on the lane, never in the trees beside it), spread along the roads' inner stretches first and
    clear of the buildings (which would hide them from every side but one)."""
    if count <= 0:
        return
    pts = np.concatenate([r.points_n3[:, :2] for r in roads]).astype(np.float64)
    ahead = np.concatenate([np.gradient(r.points_n3[:, :2].astype(np.float64), axis=0) for r in roads])
    length = np.maximum(np.hypot(ahead[:, 0], ahead[:, 1]), 1e-9)
    ahead /= length[:, None]
    inner = np.minimum(pts, size_m - pts).min(axis=1) > 0.15 * size_m
    clear = np.ones(len(pts), bool)
    if len(buildings):
        gap = np.min(np.hypot(*(pts[:, None, :] - buildings[None, :, :]).transpose(2, 0, 1)), axis=1)
        clear = gap > VEHICLE_CLEAR_M
    middle = np.asarray(centre if centre is not None else (size_m / 2, size_m / 2), np.float64)
    rank = np.hypot(*(pts - middle).T) + 4.0 * size_m * ~clear + 2.0 * size_m * ~inner
    order = np.argsort(rank, kind="stable")
    good = max(int((clear & inner).sum()), int(clear.sum()), 1)
    picks = order[np.linspace(0, min(good, max(len(order) // 3, 1)) - 1, count).astype(int) % len(order)]
    if count <= CONVOY_MAX:
        picks = _convoy(int(order[0]), count, [len(r.points_n3) for r in roads])
    if away_from is not None:  # driving away from it: its front three-quarter view looks back at it
        back = pts[picks] - np.asarray(away_from)
        ahead[picks] *= np.where((ahead[picks] * back).sum(axis=1) < 0, -1.0, 1.0)[:, None]
    side = np.c_[ahead[picks, 1], -ahead[picks, 0]]
    xy = np.clip(pts[picks] + side * LANE_OFFSET_M, 1.0, (g.n - 2) * g.cell_m)
    yaw = np.arctan2(ahead[picks, 1], ahead[picks, 0])
    out.add(np.full(len(xy), sc.KIND["vehicle"]), np.column_stack([xy, g.height(xy)]), yaw,
            rng.uniform(0.95, 1.05, len(xy)))


#: a prompt's few named vehicles ("a red pickup and a blue sedan") drive one behind the other, this many road
#: points (about 4 m each) apart, so that one shot holds them all
CONVOY_MAX, CONVOY_GAP = 4, 3


def _convoy(first: int, count: int, lengths: list[int]) -> np.ndarray:
    """Indices (into the roads' concatenated points) of `count` vehicles behind the one at `first`, on its road."""
    ends = np.cumsum([0, *lengths])
    road = int(np.searchsorted(ends, first, side="right")) - 1
    lo, hi = int(ends[road]), int(ends[road + 1]) - 1
    at = first + CONVOY_GAP * np.arange(count)
    if at[-1] > hi:  # no room ahead on this road: line up the other way
        at = first - CONVOY_GAP * np.arange(count)
    return np.clip(at, lo, hi)


#: how wet the ground is where a wet road or pavement is named without rain falling (rain itself wets it 0.85)
WET_GROUND = 0.85  # "wet pavement" with no rain named: the ground after rain


def _modified_env(env: Env, spec: WorldSpec) -> Env:
    """What the prompt's modifiers say of light and weather: rain strength, the water's colour, wet ground."""
    precip = env.precipitation
    scale = PRECIPITATION_SCALE.get(spec.modifiers.get("precipitation", ""))
    if scale and precip is not None and precip.kind not in (None, "none"):
        intensity = round(min(1.0, (precip.intensity or 0.0) * scale), 4)
        env = dataclasses.replace(env, precipitation=dataclasses.replace(precip, intensity=intensity))
    if spec.modifiers.get("water") in WATER_SRGB:
        env = dataclasses.replace(env, water_color=WATER_SRGB[spec.modifiers["water"]])
    fog = FOG_SCALE.get(spec.modifiers.get("fog", ""))
    if fog and spec.weather == "fog" and env.fog_density is not None:
        env = dataclasses.replace(env, fog_density=round(env.fog_density * fog, 6))
    if spec.weather == "snow" and spec.modifiers.get("precipitation") == "heavy":
        env = _blizzard(env)
    if spec.weather == "rain" and spec.modifiers.get("precipitation") in RAIN_AIR:
        env = _rain_air(env, *RAIN_AIR[spec.modifiers["precipitation"]])
    if spec.modifiers.get("road") == "wet" and env.wetness is None and spec.weather not in ("rain", "storm"):
        env = dataclasses.replace(env, wetness=WET_GROUND)
    if _rained_before(spec.text) and spec.weather != "snow" and env.wetness is None:  # "puddles on the lane"
        env = dataclasses.replace(env, wetness=WET_GROUND)
    env = bc.exposed_for_sand(env, spec)
    return _mist_of_words(env, spec)


#: rain that has fallen ("after the rain", "rain-soaked", "puddles"; "wet pavement" is the road's modifier), and
#: rain falling now
_RAINED = re.compile(r"\bafter (?:the |a |an |heavy |some )?(?:rain\w*|showers?|storms?|downpours?|drizzle|"
                     r"thunderstorms?)\b|\brain[- ]?(?:soaked|slicked|washed|wet)\b|\bpuddles?\b")
_RAINING = re.compile(r"\b(?:rain\w*|drizzl\w*|showers?|downpours?|storm\w*|thunder\w*|lightning|pouring)\b")


def _rained_before(text: str) -> bool:
    """The prompt speaks of rain that has fallen (puddles, after the rain) and of none falling now ("puddles in
    the rain" is falling rain)."""
    text = text.lower()
    return bool(_RAINED.search(text)) and not _RAINING.search(_RAINED.sub(" ", text))


#: mist (not fog) is named: a shallow layer lying on the low ground and the water, e-folding this many metres
MIST_H = 20.0
_MIST = re.compile(r"\bmist(?:s|y)?\b")
_FOG = re.compile(r"\b(?:fog|foggy|fogbank|smog)\b")


def _mist_of_words(env: Env, spec: WorldSpec) -> Env:
    """'Mist over the water', 'a misty valley': fog that lies low (the tops of trees and hills, and the sky
    above, read over it); where fog is named as well the fog's own height stands."""
    text = spec.text.lower()
    if spec.weather != "fog" or not _MIST.search(text) or _FOG.search(text):
        return env
    return dataclasses.replace(env, fog_height_m=min(env.fog_height_m or MIST_H, MIST_H))


def _rain_air(env: Env, light: float, fog: float, sun: float, wet: float) -> Env:
    """Light or heavy rain: its sky and fog lit `light` times the rain's own, its fog `fog` times as dense, its
    sun `sun` times as strong (the rain's own where the env names none), the ground `wet` unless the env says."""
    lit = {key: tuple(round(min(1.0, float(c) * light), 5) for c in getattr(env, key))
           for key in ("sky_zenith", "sky_horizon", "fog_color") if getattr(env, key) is not None}
    return dataclasses.replace(
        env, **lit,
        fog_density=round(env.fog_density * fog, 6) if env.fog_density is not None else None,
        sun_intensity=round(env.sun_intensity * sun, 4) if env.sun_intensity is not None else None,
        wetness=env.wetness if env.wetness is not None else wet)


def _blizzard(env: Env) -> Env:
    """Heavy snow (a blizzard, a snowstorm): a storm's dark grey sky over the white ground, thick air, strong
    wind."""
    greys = {}
    for key in ("sky_zenith", "sky_horizon", "fog_color"):
        colour = getattr(env, key)
        if colour is not None:
            grey = sum(float(c) for c in colour) / 3.0 * (BLIZZARD_AIR if key == "fog_color" else BLIZZARD_SKY)
            greys[key] = tuple(round(grey * tint, 5) for tint in (0.96, 0.98, 1.04))
    wind = env.wind
    if wind is not None:
        wind = dataclasses.replace(wind, speed_mps=max(wind.speed_mps or 0.0, 14.0))
    fog = round(env.fog_density * BLIZZARD_FOG, 6) if env.fog_density is not None else None
    return dataclasses.replace(env, **greys, cloud_cover=1.0, fog_density=fog, wind=wind,
                               extra={**env.extra, "skylight_gain": BLIZZARD_SKYLIGHT})


def _water(
    h: np.ndarray, level: np.ndarray, spec: WorldSpec, seed: int, cfg: GenerateConfig, sea_level: float | None
) -> tuple[dict[str, np.ndarray], list[wt.River], list[Structure]]:
    n = h.shape[0]
    rivers: list[wt.River] = []
    river_mask = np.zeros((n, n), bool)
    if "river" in spec.water or "waterfall" in spec.water:
        coarse = wt.Coarse.of(h)
        drains = _drains(coarse.h, sea_level)
        river = wt.carve_river(
            h,
            cell_m=cfg.cell_m,
            coarse=coarse,
            drains=drains,
            rng=stage_rng(seed, "river"),
            sea_level=sea_level,
            level_hw=level,
            form=spec.modifiers.get("river", ""),
        )
        if river is not None:
            rivers.append(river)
            river_mask = ~np.isnan(level)
    lake_mask = np.zeros((n, n), bool)
    if "lake" in spec.water or spec.terrain == "swamp":
        centres = None
        if "lake" in spec.water:
            centres = [_dig_lake(h, river_mask, cfg, sea_level, stage_rng(seed, "lake"))]
        if spec.terrain == "swamp":
            centres = None
        coarse = wt.Coarse.of(h)
        before = ~np.isnan(level)
        wt.lakes(
            h,
            coarse,
            _drains(coarse.h, sea_level),
            min_cells=1 if spec.terrain == "swamp" else 4,
            level_hw=level,
            only_at=centres,
        )
        if spec.terrain == "swamp":  # standing pools between the trees, not only the hollows' puddles
            sw.dig_pools(h, level, stage_rng(seed, "swamp"), cell_m=cfg.cell_m, keep_dry=river_mask)
        lake_mask = ~np.isnan(level) & ~before
    sea_mask = np.zeros((n, n), bool)
    if sea_level is not None:
        before = ~np.isnan(level)
        wt.ocean(h, sea_level, level)
        sea_mask = ~np.isnan(level) & ~before
    falls = _waterfall(rivers[0]) if rivers and "waterfall" in spec.water else []
    return {"sea_c": sea_mask, "lake_c": lake_mask, "river_c": river_mask}, rivers, falls


def _drains(h_c: np.ndarray, sea_level: float | None) -> np.ndarray:
    drains = wt.border_mask(h_c.shape)
    if sea_level is not None:
        drains |= h_c < sea_level
    return drains


def _dig_lake(
    h: np.ndarray,
    river_mask: np.ndarray,
    cfg: GenerateConfig,
    sea_level: float | None,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """A basin in low, gentle ground away from the river; filling then makes the lake."""
    n = h.shape[0]
    radius_m = float(np.clip(cfg.size_m * 0.09, 35.0, 220.0))
    coarse = wt.Coarse.of(h)
    m = coarse.stride * cfg.cell_m
    hc = ndimage.uniform_filter(coarse.h, size=5)
    rows = hc.shape[0]
    ok = np.zeros(hc.shape, bool)
    lo, hi = int(rows * 0.22), int(rows * 0.78) + 1
    ok[lo:hi, lo:hi] = True
    if river_mask.any():
        rd = ndimage.distance_transform_edt(~river_mask[:: coarse.stride, :: coarse.stride]) * m
        ok &= rd > radius_m + 30.0
    if sea_level is not None:
        ok &= hc > sea_level + 4.0
    if not ok.any():
        ok[lo:hi, lo:hi] = True
    gy, gx = np.gradient(hc, m)
    score = (
        -(hc - hc.min()) / max(float(np.ptp(hc)), 1e-3)
        - 2.0 * np.hypot(gx, gy)
        + rng.uniform(0, 0.25, hc.shape)
    )
    flat = int(np.argmax(np.where(ok, score, -np.inf)))
    i, j = divmod(flat, rows)
    centre = (min(n - 1, i * coarse.stride), min(n - 1, j * coarse.stride))
    wt.carve_lake_basin(h, cell_m=cfg.cell_m, centre_ij=centre, radius_cells=radius_m / cfg.cell_m)
    return centre


def _waterfall(river: wt.River) -> list[Structure]:
    """A waterfall where the river surface drops the most over a short run."""
    z = river.points[:, 2]
    k = min(5, len(z) - 1)
    if k < 1:
        return []
    drop = z[:-k] - z[k:]
    a = int(np.argmax(drop))
    p, q = river.points[a], river.points[a + k]
    yaw = math.atan2(q[1] - p[1], q[0] - p[0])
    return [
        Structure(id="waterfall-1", kind="waterfall", x=round(float((p[0] + q[0]) / 2), 3),
                  y=round(float((p[1] + q[1]) / 2), 3), z=round(float(q[2]), 3), yaw=round(yaw, 5),
                  w=round(river.width_m, 3), d=4.0, h=round(float(max(drop[a], 1.0)), 3), color=(0.85, 0.9, 0.95),
                  roof="none", material="water")
    ]


def _roads(
    h: np.ndarray,
    road_mask: np.ndarray,
    level: np.ndarray,
    site: st.Site,
    structures: list[Structure],
    spec: WorldSpec,
    seed: int,
    cfg: GenerateConfig,
    extra: list[tuple[float, float]] | None = None,
    verge: np.ndarray | None = None,
) -> tuple[list[Route], list[Structure]]:
    """The roads a spec asks for, carved into `h`; a shore road's seaward verge is marked in `verge`."""
    if not spec.structures.get("road"):
        return [], []
    rng = stage_rng(seed, "roads")
    anchors = st.road_anchors(structures, cfg.size_m) + list(extra or [])
    style = spec.modifiers.get("road", "")
    shore = rd.shore_route(site, cfg.size_m) if style in rd.SHORE_STYLES else None
    lone = not anchors and shore is None  # a road of its own
    if lone:
        anchors = st.choose_sites(site, "cabin", 1, rng, []) or [(cfg.size_m / 2, cfg.size_m / 2)]
    paths: list[Route] = []
    bridges: list[Structure] = []
    routes = ([shore] if shore is not None else []) + (st.road_network(site, anchors, rng, style=style)
                                                        if anchors else [])
    if lone and len(routes) == 1 and spec.props.get("vehicles"):  # a car's own road runs through, end to end
        back = rd.through_route(site, routes[0], rng, style)
        routes = [np.concatenate([back[::-1], routes[0][1:]])] if back is not None else routes
    for k, route in enumerate(routes):
        before = road_mask.copy() if k == 0 and shore is not None else None
        points, crossings = st.carve_road(h, road_mask, route, cell_m=cfg.cell_m, level_hw=level)
        if before is not None:  # the shore road: nothing between it and the water stands higher than it
            _open_to_shore(h, road_mask & ~before, level, site, cfg, verge)
        paths.append(Route(id=f"road-{k + 1}", kind="road", width_m=5.0, points_n3=np.asarray(points, np.float64)))
        for run in crossings:
            bridges.append(st.bridge_for(run, _crossing_level(run, level, h, cfg.cell_m), len(bridges) + 1))
    return paths, bridges


def _open_to_shore(h: np.ndarray, road_hw: np.ndarray, level: np.ndarray, site: st.Site, cfg: GenerateConfig,
                   verge: np.ndarray | None) -> None:
    """The ground between a shore road and its water lowered below the road (roads.open_to_shore)."""
    wet = np.isfinite(level)
    floor = float(np.nanmax(level[wet])) + 0.5 if wet.any() else 0.5
    cells = rd.open_to_shore(h, road_hw, site, stride=wt.Coarse.of(h).stride, cell_m=cfg.cell_m, floor_z=floor)
    if verge is not None:
        verge |= cells


def _clear_verge(inst: dict[str, np.ndarray], verge: np.ndarray, cell_m: float) -> dict[str, np.ndarray]:
    """No trees on a shore road's seaward verge (they would hide the water from the road)."""
    if not verge.any() or not len(inst["inst_kind"]):
        return inst
    trees = np.isin(inst["inst_kind"], [INSTANCE_KINDS.index(k) for k in VERGE_CLEAR])
    ij = np.clip(np.round(inst["inst_xyz"][:, 1::-1] / cell_m).astype(np.int64), 0, verge.shape[0] - 1)
    keep = ~(trees & verge[ij[:, 0], ij[:, 1]])
    return {k: v[keep] for k, v in inst.items()}


#: what may not grow between a shore road and its water
VERGE_CLEAR = ("conifer", "broadleaf", "palm", "dead_tree", "shrub", "cactus")


def _crossing_level(run_xy: np.ndarray, level: np.ndarray, h: np.ndarray, cell_m: float) -> float:
    """The water level under a road's crossing: at its middle cell, else the highest level along it, else
    the highest ground (a crossing whose cells all lost their water level when the road was carved)."""
    ij = np.clip(np.round(run_xy[:, ::-1] / cell_m).astype(np.int64), 0, level.shape[0] - 1)
    mid = run_xy[len(run_xy) // 2]
    centre = float(level[int(mid[1] / cell_m), int(mid[0] / cell_m)])
    if math.isfinite(centre):
        return centre
    along = level[ij[:, 0], ij[:, 1]]
    finite = along[np.isfinite(along)]
    return float(finite.max()) if finite.size else float(h[ij[:, 0], ij[:, 1]].max())


def _extra_bridges(
    spec: WorldSpec, rivers: list[wt.River], have: list[Structure], start: int, near: np.ndarray | None = None
) -> list[Structure]:
    """Bridges asked for beyond those roads needed: beside the settlement `near` (xy), else spread along the
    river (riverside.py)."""
    wanted = rv.bridges_missing(spec.structures.get("bridge", 0), have, near)
    if wanted <= 0 or not rivers:
        return []
    pts = rivers[0].points
    out = []
    for k, a in enumerate(rv.bridge_sites(pts, wanted, near)):
        d = pts[a + 1, :2] - pts[a - 1, :2]
        across = np.array([-d[1], d[0]]) / max(float(np.linalg.norm(d)), 1e-6) * (rivers[0].width_m / 2 + 3)
        run = np.stack([pts[a, :2] - across, pts[a, :2] + across])
        out.append(st.bridge_for(run, float(pts[a, 2]), start + k + 1))
    return out


def _along(points: np.ndarray, step_m: float, near: np.ndarray, reach_m: float = 160.0) -> np.ndarray:
    """Points every `step_m` metres along a polyline's samples, kept within `reach_m` of `near` if given."""
    if len(points) < 2:
        return points
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    walked = np.concatenate([[0.0], np.cumsum(np.where(seg < 4 * step_m, seg, 0.0))])
    picks = points[np.unique(np.searchsorted(walked, np.arange(0.0, walked[-1], step_m)))]
    if len(near):
        d = np.linalg.norm(picks[:, None, :] - near[None, :, :], axis=2).min(axis=1)
        picks = picks[d < reach_m] if (d < reach_m).any() else picks
    return picks


def _ground(
    h: np.ndarray,
    water_hw: np.ndarray,
    road_mask: np.ndarray,
    structures: list[Structure],
    masks: dict[str, np.ndarray],
    spec: WorldSpec,
    seed: int,
    cfg: GenerateConfig,
    sea_level: float | None,
) -> sc.Ground:
    n = h.shape[0]
    wet = ~np.isnan(water_hw)
    coarse = wt.Coarse.of(h)
    wet_c = wet[:: coarse.stride, :: coarse.stride]
    m = coarse.stride * cfg.cell_m
    dist_c = ndimage.distance_transform_edt(~wet_c) * m if wet_c.any() else np.full(wet_c.shape, 1e4)
    base = {"swamp": 0.5, "dunes": -0.3, "canyon": -0.2, "volcanic": -0.1, "snowfield": 0.2}.get(
        spec.terrain, 0.1
    )
    noise = tr.fbm(stage_rng(seed, "noise"), n, max(4, int(cfg.size_m / 64)), 3)
    moisture_c = np.exp(-dist_c / 80.0).astype(F32) + F32(base)
    moisture = np.clip(coarse.to_full(moisture_c, n) + noise * F32(0.25), 0.0, 1.0).astype(F32)
    slope_hw = tr.slope(h, cfg.cell_m)
    forest = max(spec.vegetation.get("conifers", 0.0), spec.vegetation.get("broadleaf", 0.0))
    material = tr.materials(
        terrain=spec.terrain,
        h=h,
        slope_hw=slope_hw,
        moisture_hw=moisture,
        noise_hw=noise,
        sea_level=sea_level,
        season=spec.season,
        forest=forest,
    )
    sn.lay_snow(spec, material, slope_hw, noise, h)
    material[wet & (masks["sea_c"] | (h < F32(sea_level if sea_level is not None else -1e9)))] = tr.MAT[
        "sand"
    ]
    material[wet & ~masks["sea_c"]] = tr.MAT["gravel"] if spec.terrain != "swamp" else tr.MAT["mud"]
    open_sand = np.zeros_like(wet)
    if sea_level is not None and masks["sea_c"].any():
        sea_c = masks["sea_c"][:: coarse.stride, :: coarse.stride]
        sea_d = coarse.to_full((ndimage.distance_transform_edt(~sea_c) * m).astype(F32), n)
        wide = bc.names_beach(spec.matches, spec.modifiers)  # "white sand": a beach one walks across, not a fringe
        reach, rise = (F32(40.0), F32(7.0)) if wide else (F32(22.0), F32(5.0))
        beach = (sea_d < reach + noise * F32(14.0)) & (h < F32(sea_level) + rise) & (slope_hw < 0.45)
        material[beach & ~wet] = tr.MAT["sand"]
        if wide or "palms" in spec.vegetation:  # nothing grows on the sand by the water: palms at its back
            open_sand = bc.open_band(sea_d, noise, reach) & (material == tr.MAT["sand"]) & ~wet
        moisture = np.maximum(moisture, np.exp(-sea_d / F32(70.0)).astype(F32))  # sea air: palms by the shore
    if spec.modifiers.get("sand") == "pebble":  # "a pebble shore", "a shingle beach": stones, not sand
        _pebble_shore(material, h, water_hw, slope_hw, noise, cfg.cell_m)
    material[road_mask] = tr.MAT["road"]
    blocked = wet | road_mask | open_sand
    sc.mark_footprints(blocked, [s for s in structures if s.kind != "waterfall"], cfg.cell_m)
    _clearings(blocked, material, structures, cfg.cell_m)
    land = h[h > F32(sea_level)] if sea_level is not None and (h > F32(sea_level)).any() else h
    lo, hi = np.percentile(land, (2, 98))
    alt = np.clip((h - F32(lo)) / F32(max(hi - lo, 1e-3)), 0, 1).astype(F32)
    return sc.Ground(
        cell_m=cfg.cell_m, h=h, slope=slope_hw, material=material, moisture=moisture, blocked=blocked, alt=alt,
        sand_desert=spec.terrain == "dunes",
    )


#: structures that are no farm's or household's (no crop field round them, no parked car by them in a city)
NOT_HOMES = ("highrise", "skyscraper", "tent", "campfire", "church")


def _clearings(blocked: np.ndarray, material: np.ndarray, structures: list[Structure], cell_m: float) -> None:
    """Nothing grows in a camp's clearing or on a skyscraper's plaza and lawn; the plaza is paved."""
    n = blocked.shape[0]
    jj, ii = np.meshgrid(np.arange(n) * cell_m, np.arange(n) * cell_m)
    for x, y, r in st.clearings(structures):
        blocked |= (jj - x) ** 2 + (ii - y) ** 2 <= r * r
    towers = [s for s in structures if s.kind == "skyscraper"]
    if towers:
        paved = np.zeros_like(blocked)
        sc.mark_footprints(paved, towers, cell_m, pad_m=st.PLAZA_M)
        material[paved] = tr.MAT["gravel"]


#: a pebble shore: how far (m) from the water's edge it reaches (plus up to half as much again by the noise), how
#: high over the water (m), on ground no steeper than this (rise over run)
PEBBLE_BAND_M, PEBBLE_RISE_M, PEBBLE_SLOPE = 10.0, 4.0, 0.9


def _pebble_shore(material: np.ndarray, h: np.ndarray, water_hw: np.ndarray, slope_hw: np.ndarray,
                  noise: np.ndarray, cell_m: float) -> None:
    """The shore's sand, and a band of the land along any water, made gravel (in place): a beach of pebbles."""
    wet = np.isfinite(water_hw)
    if not wet.any():
        return
    material[material == tr.MAT["sand"]] = tr.MAT["gravel"]
    dist, (ii, jj) = ndimage.distance_transform_edt(~wet, return_indices=True)
    level = water_hw[ii, jj]
    band = (~wet & (dist * cell_m < PEBBLE_BAND_M * (1.0 + 0.5 * noise)) & (h < level + F32(PEBBLE_RISE_M))
            & (slope_hw < PEBBLE_SLOPE))
    material[band] = tr.MAT["gravel"]


def _dry_beds(g: sc.Ground, beds: list[Route], spec: WorldSpec) -> None:
    """A dry riverbed's floor is gravel (sand in a desert), and nothing grows in it."""
    if not beds:
        return
    n = g.n
    mask = np.zeros((n, n), np.uint8)
    for bed in beds:
        px = np.round(bed.points_n3[:, :2] / g.cell_m * 16).astype(np.int32)
        thickness = max(1, int(round(bed.width_m * 0.8 / g.cell_m)))
        cv2.polylines(mask, [px], False, 1, thickness=thickness, lineType=cv2.LINE_8, shift=4)
    bed_cells = mask.astype(bool) & (g.material != tr.MAT["road"])
    g.material[bed_cells] = tr.MAT["sand" if spec.terrain in ("dunes", "canyon") else "gravel"]
    g.blocked |= bed_cells


def _vineyard(g: sc.Ground, spec: WorldSpec, paths: list[Route], seed: int, cfg: GenerateConfig,
              out: sc.Instances) -> None:
    """The vineyard a spec asks for (vegetation "vines"), around the road's middle stretch when there is a road
    ("driving through vineyards"), else the world's middle; nothing else grows inside it."""
    density = spec.vegetation.get("vines", 0.0)
    if density <= 0:
        return
    pts = np.concatenate([p.points_n3[:, :2] for p in paths if p.kind == "road"] or [np.zeros((0, 2))])
    middle = np.full(2, cfg.size_m / 2)
    centre = pts[int(np.argmin(np.hypot(*(pts - middle).T)))] if len(pts) else middle
    patch = vy.lay_vineyard(g, (float(centre[0]), float(centre[1])), density, cfg.size_m, stage_rng(seed, "vines"),
                            out, road_hw=g.material == tr.MAT["road"])
    g.blocked |= patch


def _crop_fields(g: sc.Ground, spec: WorldSpec, structures: list[Structure], paths: list[Route], seed: int,
                 cfg: GenerateConfig, out: sc.Instances) -> None:
    """The crop fields the prompt names (generate/crops.py) about its buildings or road; nothing else grows in
    them."""
    road = max((p for p in paths if p.kind == "road"), key=lambda p: len(p.points_n3), default=None)
    road_pts = road.points_n3[:, :2].astype(np.float64) if road is not None else np.zeros((0, 2))
    homes = [s for s in structures if s.kind in st.KINDS and s.kind not in NOT_HOMES]
    g.blocked |= cp.lay_crop_fields(g, spec.text, homes, road_pts, size_m=cfg.size_m,
                                    budget=int(cfg.max_instances * 0.15), rng=stage_rng(seed, "crops"), out=out)


def _scatter(
    g: sc.Ground,
    spec: WorldSpec,
    structures: list[Structure],
    paths: list[Route],
    seed: int,
    cfg: GenerateConfig,
    city_lamps: np.ndarray | None = None,
    rock: tuple[oc.RockAsk, np.random.Generator, np.ndarray, float | None] | None = None,
    car_at: tuple[float, float] | None = None,
) -> dict[str, np.ndarray]:
    out = sc.Instances(kind=[], xyz=[], yaw=[], scale=[])
    budget = cfg.max_instances
    _vineyard(g, spec, paths, seed, cfg, out)
    _crop_fields(g, spec, structures, paths, seed, cfg, out)
    _yard(g, spec, structures, paths, seed, cfg, out)
    sc.scatter_layer(
        g,
        spec.vegetation,
        sc.TREES,
        size_m=cfg.size_m,
        spacing=7.0,
        budget=int(budget * 0.45),
        scale=(0.7, 1.35),
        rng=stage_rng(seed, "trees"),
        out=out,
    )
    small = {k: v * (0.5 if k == "grass" else 1.0) for k, v in spec.vegetation.items()}
    sc.scatter_layer(
        g,
        small,
        sc.SMALL,
        size_m=cfg.size_m,
        spacing=4.0,
        budget=int(budget * 0.4),
        scale=(0.6, 1.4),
        rng=stage_rng(seed, "small"),
        out=out,
    )
    rng = stage_rng(seed, "props")
    props = spec.props
    sc.scatter_rocks(g, props.get("rocks", 0), cfg.size_m, rng, out)
    if rock is not None and rock[0].any:  # the named boulders where a still shows them, a rocky shore's
        ask, rng_rock, wet, sea_level = rock
        oc.boulder_field(g, ask, structures, [p for p in paths if p.kind == "river"], cfg.size_m, rng_rock, out)
        oc.waterline_boulders(g, ask, wet, sea_level, rng_rock, out)
    buildings = np.array([[s.x, s.y] for s in structures if s.kind in st.KINDS], np.float64).reshape(
        -1, 2
    )
    road_pts = np.array(
        [p[:2] for path in paths if path.kind == "road" for p in path.points_n3], np.float64
    ).reshape(-1, 2)
    around = buildings if len(buildings) else road_pts
    if not len(around):
        around = np.array([[cfg.size_m / 2, cfg.size_m / 2]])
    roads = [p for p in paths if p.kind == "road" and len(p.points_n3) >= 2]
    streets = [p for p in roads if p.id.startswith("street-")]
    out_of_town = rs.outskirts_road(roads, structures, np.mean([p.points_n3[len(p.points_n3) // 2, :2]
                                                                 for p in streets], axis=0)) \
        if streets and rs.wants_outskirts(spec.text) else None
    if out_of_town is not None:  # "a city outskirts road": the road out of town, by the houses there
        _vehicles_on_roads(g, out_of_town[0], props.get("vehicles", 0), cfg.size_m, buildings, rng, out,
                           centre=out_of_town[1], away_from=out_of_town[1])
    elif streets:  # a car in a city drives down its streets, towards downtown, between the buildings
        low = np.array([[s.x, s.y] for s in structures if s.kind in st.KINDS and s.kind not in NOT_HOMES],
                       np.float64).reshape(-1, 2)
        middle = np.mean([p.points_n3[len(p.points_n3) // 2, :2] for p in streets], axis=0)
        _vehicles_on_roads(g, streets, props.get("vehicles", 0), cfg.size_m, low, rng, out,
                           centre=(float(middle[0]), float(middle[1])))
    elif roads:  # by the named water (waterside.py), else by the building the prompt names, driving away from it
        named_at = None if car_at is not None else rs.by_named_building(structures, spec.structures)
        _vehicles_on_roads(g, roads, props.get("vehicles", 0), cfg.size_m, buildings, rng, out,
                           centre=car_at or named_at, away_from=named_at)
    else:
        # beside the buildings, not inside their footprints (a house is 8 x 10 m: nearer, a car stands in it)
        sc.scatter_near(g, around, "vehicle", props.get("vehicles", 0), ring=VEHICLE_BESIDE_M, rng=rng, out=out)
    if city_lamps is not None and len(city_lamps):  # a city's streets are lit from both kerbs
        out.add(np.full(len(city_lamps), sc.KIND["lamp_post"]), np.column_stack([city_lamps, g.height(city_lamps)]),
                np.zeros(len(city_lamps)), np.ones(len(city_lamps)))
        road_pts = np.array([p[:2] for path in paths if path.kind == "road" and not path.id.startswith("street-")
                             for p in path.points_n3], np.float64).reshape(-1, 2)
    lamps = props.get("lamps", 0)
    lamp_at = _along(road_pts, LAMP_SPACING_M, near=buildings) if len(road_pts) and lamps else around
    if len(road_pts) and lamps:  # street lamps line the roads near the buildings
        lamps = max(lamps, min(len(lamp_at), MAX_STREET_LAMPS))
    sc.scatter_near(g, lamp_at, "lamp_post", lamps, ring=(3.5, 4.0), rng=rng, out=out)
    return out.arrays(stage_rng(seed, "vars"))


def _yard(g: sc.Ground, spec: WorldSpec, structures: list[Structure], paths: list[Route], seed: int,
          cfg: GenerateConfig, out: sc.Instances) -> None:
    """The named props that stand in their own places (generate/props.py): flower fields, fence lines, piles of
    crates and barrels. Laid before the trees, and kept clear of them."""
    rng = stage_rng(seed, "yard")
    roads = [p for p in paths if p.kind == "road" and len(p.points_n3) >= 2]
    kw = {"size_m": cfg.size_m, "text": spec.text, "rng": rng, "out": out}
    if spec.vegetation.get("flowers", 0.0) > 0 and "flowers" not in spec.excluded:
        g.blocked |= pp.lay_flower_fields(g, spec.text, structures, roads, size_m=cfg.size_m, rng=rng, out=out,
                                          budget=int(cfg.max_instances * pp.FLOWER_BUDGET))
    if spec.structures.get("fences"):
        _keep_clear(g, pp.place_fences(g, structures, **kw), 1.0)
    start = len(out.xyz)
    pp.place_crates_and_barrels(g, spec.props, structures, roads, **kw)
    if len(out.xyz) > start:
        _keep_clear(g, np.concatenate(out.xyz[start:])[:, :2], 1.5)


def _keep_clear(g: sc.Ground, xy: np.ndarray, reach_m: float) -> None:
    """Nothing else grows or stands within `reach_m` of these points."""
    if not len(xy):
        return
    r = max(1, int(math.ceil(reach_m / g.cell_m)))
    i, j = g.cells(xy.astype(np.float64))
    for di in range(-r, r + 1):
        for dj in range(-r, r + 1):
            g.blocked[np.clip(i + di, 0, g.n - 1), np.clip(j + dj, 0, g.n - 1)] = True
