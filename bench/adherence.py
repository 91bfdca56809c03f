"""Prompt adherence: does the default still show what each prompt names?

For every prompt in bench/prompts/adherence.json the default workflow (workflows/forest_dawn_still.json, only the
prompt changed; product prompts also get a world.import_mesh node, see `product_glb`) runs through the real
executor in-process, one registry and executor for the whole run. From the still's passes it measures whether
each named subject is in frame and large enough to read (THRESHOLDS, per class) and whether each named weather or
time is legible (WEATHER_FLOORS). Writes stills/NNN.png, report.json (per prompt) and summary.json into --out;
the last line printed is the summary as one JSON object.

Run: .venv/bin/python bench/adherence.py [--limit N] [--kind K] [--out DIR] [--width 1280 --height 720]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch and numpy threads contend on 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from oyster_nodes.world import INSTANCE_KINDS, MATERIALS, SEMANTIC_CLASSES, Camera, WorldState  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "bench" / "prompts" / "adherence.json"
WORKFLOW = ROOT / "workflows" / "forest_dawn_still.json"
SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}


# ---------------------------------------------------------------------------------------------------------------
# What counts as "in frame and readable", per class


@dataclass(kw_only=True, slots=True, frozen=True)
class Rule:
    """A subject reads when its pixels cover `share` of the frame and its largest connected piece spans at least
    `box_h` of the frame's height and `box_w` of its width."""

    share: float
    box_h: float = 0.0
    box_w: float = 0.0


_REGION = Rule(share=0.03, box_h=0.05, box_w=0.2)  # a surface one reads as "there is water / sand"
_TREE = Rule(share=0.01, box_h=0.03)  # a few trees, the biggest one at least ~22 px tall at 720p
_BUILDING = Rule(share=0.002, box_h=0.04)  # one building at least ~29 px tall at 720p
_SMALL_PROP = Rule(share=0.0005, box_h=0.025)  # a car or a lamp at least ~18 px tall at 720p
_ANIMAL = Rule(share=0.001, box_h=0.03)  # the animals cover a thousandth of the frame, the largest ~22 px tall at 720p
_BIRD = Rule(share=0.0005, box_h=0.015)  # ducks and swans afloat: half that, ~11 px tall
THRESHOLDS: dict[str, Rule] = {
    "water": _REGION,
    "sand": _REGION,
    "snow": Rule(share=0.05, box_h=0.05, box_w=0.2),
    "rock": Rule(share=0.02, box_h=0.03),
    "road": Rule(share=0.004, box_w=0.1),  # a strip of road crossing a tenth of the frame
    "conifer": _TREE, "broadleaf": _TREE, "palm": _TREE, "dead_tree": _TREE,
    "shrub": Rule(share=0.005), "flower": Rule(share=0.005), "cactus": _TREE,
    "house": _BUILDING, "cabin": _BUILDING, "tower": _BUILDING, "ruins": _BUILDING,
    "lighthouse": _BUILDING, "windmill": _BUILDING, "bridge": Rule(share=0.002, box_w=0.05),
    "vehicle": _SMALL_PROP, "lamp": _SMALL_PROP, "crate": _SMALL_PROP, "barrel": _SMALL_PROP,
    "fence": Rule(share=0.0005, box_w=0.03),
    "product": Rule(share=0.03, box_h=0.2),  # a packshot's hero: a fifth of the frame's height at least
    "sheep": _ANIMAL, "cattle": _ANIMAL, "horse": _ANIMAL, "goat": _ANIMAL, "deer": _ANIMAL, "duck": _BIRD,
}
#: bench class -> instance kinds (INSTANCE_KINDS) that draw it
INSTANCE_CLASSES: dict[str, tuple[str, ...]] = {
    "conifer": ("conifer",), "broadleaf": ("broadleaf",), "palm": ("palm",), "dead_tree": ("dead_tree",),
    "shrub": ("shrub",), "flower": ("flower",), "cactus": ("cactus",), "rock": ("rock", "boulder"),
    "vehicle": ("vehicle",), "lamp": ("lamp_post",), "crate": ("crate",), "barrel": ("barrel",),
    "fence": ("fence",),
    "sheep": ("sheep",), "cattle": ("cow",), "horse": ("horse",), "goat": ("goat",), "deer": ("deer",),
    "duck": ("duck",),
}
#: bench class -> terrain materials (MATERIALS) that show it
MATERIAL_CLASSES: dict[str, tuple[str, ...]] = {"sand": ("sand",), "rock": ("rock",), "road": ("road",)}
STRUCTURE_CLASSES = ("house", "cabin", "tower", "ruins", "lighthouse", "windmill", "bridge", "church")
#: a snow pixel: ground that is bright and nearly colourless (sRGB 0..1) where the world has snow, or bright
#: and blue-tinted up to SNOW_SHADE_CHROMA (blue over green over red): snow takes the colour of the light on
#: it, and in the shade of a clear sky, by moonlight or at twilight that light is the sky's blue
SNOW_LUM, SNOW_CHROMA, SNOW_SHADE_CHROMA = 0.55, 0.12, 0.2
#: an instance counts towards a requested number ("five houses") when it covers this many pixels
COUNT_MIN_PX = 40


@dataclass(kw_only=True, slots=True)
class SubjectScore:
    name: str
    share: float
    box_h: float
    box_w: float
    count: int
    ok: bool
    why: str = ""


def largest_piece(mask_hw: np.ndarray) -> tuple[float, float]:
    """Height and width (fractions of the frame) of the bounding box of the mask's largest connected piece."""
    if not mask_hw.any():
        return 0.0, 0.0
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask_hw.astype(np.uint8), connectivity=8)
    best = 1 + int(np.argmax(stats[1:n, cv2.CC_STAT_AREA]))
    h, w = mask_hw.shape
    return float(stats[best, cv2.CC_STAT_HEIGHT]) / h, float(stats[best, cv2.CC_STAT_WIDTH]) / w


def score_subject(name: str, mask_hw: np.ndarray, ids_hw: np.ndarray | None = None) -> SubjectScore:
    """Whether the pixels of one named subject make it readable, by THRESHOLDS[name]."""
    rule = THRESHOLDS[name]
    share = float(mask_hw.mean())
    box_h, box_w = largest_piece(mask_hw)
    count = count_instances(mask_hw, ids_hw)
    fails = []
    if share < rule.share:
        fails.append(f"covers {share:.4f} of the frame < {rule.share}")
    if box_h < rule.box_h:
        fails.append(f"largest piece {box_h:.3f} of the height < {rule.box_h}")
    if box_w < rule.box_w:
        fails.append(f"largest piece {box_w:.3f} of the width < {rule.box_w}")
    why = ("absent" if share == 0 else "; ".join(fails))
    return SubjectScore(name=name, share=round(share, 5), box_h=round(box_h, 4), box_w=round(box_w, 4),
                        count=count, ok=not fails, why=why if fails else "")


def count_instances(mask_hw: np.ndarray, ids_hw: np.ndarray | None) -> int:
    """Distinct instance ids with at least COUNT_MIN_PX pixels under the mask."""
    if ids_hw is None or not mask_hw.any():
        return 0
    _, counts = np.unique(ids_hw[mask_hw], return_counts=True)
    return int((counts >= COUNT_MIN_PX).sum())


# ---------------------------------------------------------------------------------------------------------------
# Masks of each class from the passes and the world's own tables


@dataclass(kw_only=True, slots=True)
class Passes:
    """What the scoring reads from a still: rgb uint8, metric view depth, semantic and instance ids, and, per
    pixel, the terrain material under it (-1 off the terrain) and the instance kind name's index (-1 none)."""

    rgb_hw3: np.ndarray
    depth_hw: np.ndarray
    semantic_hw: np.ndarray
    instance_hw: np.ndarray
    material_hw: np.ndarray
    inst_kind_hw: np.ndarray
    structure_kind_hw: np.ndarray  # index into STRUCTURE_CLASSES, -1 none
    snowy_world: bool = False
    #: the same view drawn without its falling rain or snow (None: not drawn), see streak_metrics
    dry_rgb_hw3: np.ndarray | None = None


def passes_from_image(image: Any, world: WorldState) -> Passes:
    """Join the rendered passes with the world's tables: terrain material under each terrain pixel, the
    instance kind and structure kind of each id."""
    sem, inst, depth = image.semantic_hw, image.instance_hw.astype(np.int64), image.depth_hw
    h, w = sem.shape
    cam = image_camera(image, w, h)
    material = np.full((h, w), -1, np.int16)
    ground = (sem == SEM["terrain"]) & np.isfinite(depth)
    if ground.any():
        pts = cam.unproject_depth(np.where(ground, depth, 0.0))
        j = np.clip(np.round(pts[..., 0] / world.cell_m), 0, world.n - 1).astype(int)
        i = np.clip(np.round(pts[..., 1] / world.cell_m), 0, world.n - 1).astype(int)
        material[ground] = world.material_hw[i[ground], j[ground]]
    ranges = image.info["id_ranges"]
    n_inst = len(world.inst_kind)
    kind_of = np.full(n_inst + 1, -1, np.int16)
    kind_of[1:] = world.inst_kind.astype(np.int16)
    in_inst = (inst >= 1) & (inst <= n_inst)
    inst_kind = np.where(in_inst, kind_of[np.clip(inst, 0, n_inst)], -1).astype(np.int16)
    first, last = ranges["structures"]
    table = np.array([STRUCTURE_CLASSES.index(s.kind) if s.kind in STRUCTURE_CLASSES else -1
                      for s in world.structures] or [-1], np.int16)
    in_struct = (inst >= first) & (inst <= last) & (len(world.structures) > 0)
    struct_kind = np.where(in_struct, table[np.clip(inst - first, 0, len(table) - 1)], -1).astype(np.int16)
    spec = world.spec or {}
    snowy = (spec.get("season") == "winter" or spec.get("weather") == "snow"
             or spec.get("terrain") == "snowfield" or bool((world.material_hw == MATERIALS.index("snow")).any()))
    return Passes(rgb_hw3=image.rgb_hw3, depth_hw=depth, semantic_hw=sem, instance_hw=inst, material_hw=material,
                  inst_kind_hw=inst_kind, structure_kind_hw=struct_kind, snowy_world=snowy)


def image_camera(image: Any, width: int, height: int) -> Camera:
    """The camera a still was rendered from, from its info (position, forward, lens)."""
    c = image.info["camera"]
    pos = np.asarray(c["position"], np.float64)
    target = pos + np.asarray(c["forward"], np.float64) * 100.0
    return Camera(position=tuple(pos), target=tuple(target), focal_mm=c["focal_mm"], sensor_mm=c["sensor_mm"],
                  width=width, height=height)


def subject_mask(name: str, p: Passes) -> np.ndarray:
    """Pixels that show the named bench class."""
    mask = np.zeros(p.semantic_hw.shape, bool)
    if name == "water":
        mask |= p.semantic_hw == SEM["water"]
    if name == "product":
        mask |= p.semantic_hw == SEM["mesh"]
    if name == "snow":
        mask |= snow_pixels(p)
    for mat in MATERIAL_CLASSES.get(name, ()):
        mask |= p.material_hw == MATERIALS.index(mat)
    for kind in INSTANCE_CLASSES.get(name, ()):
        mask |= p.inst_kind_hw == INSTANCE_KINDS.index(kind)
    if name in STRUCTURE_CLASSES:
        mask |= p.structure_kind_hw == STRUCTURE_CLASSES.index(name)
    return mask


def snow_pixels(p: Passes) -> np.ndarray:
    """Ground (terrain, plants, props, buildings) that looks like snow, in a world that has snow."""
    if not p.snowy_world:
        return np.zeros(p.semantic_hw.shape, bool)
    rgb = p.rgb_hw3.astype(np.float32) / 255.0
    chroma = rgb.max(axis=2) - rgb.min(axis=2)
    ground = np.isin(p.semantic_hw, [SEM["terrain"], SEM["vegetation"], SEM["prop"], SEM["structure"]])
    blue_shade = (rgb[..., 2] >= rgb[..., 1]) & (rgb[..., 1] >= rgb[..., 0]) & (chroma <= SNOW_SHADE_CHROMA)
    return ground & (luminance(p.rgb_hw3) >= SNOW_LUM) & ((chroma <= SNOW_CHROMA) | blue_shade)


# ---------------------------------------------------------------------------------------------------------------
# Weather and time of day


@dataclass(kw_only=True, slots=True, frozen=True)
class WeatherFloors:
    """Where each weather or time check draws its line (luminance and colour in sRGB 0..1)."""

    fog_far_near_ratio: float = 0.45  # far ground's RMS contrast at most this share of the near ground's
    fog_far_sky_contrast: float = 0.2  # |far ground - horizon sky| / horizon sky, when sky is in frame
    fog_min_far_m: float = 120.0  # the frame must reach this far for fog to be judged at all
    streak_energy: float = 0.006  # mean |high-pass| over open pixels (sky, water, far ground)
    rain_anisotropy: float = 1.4  # horizontal over vertical gradient energy: falling streaks are vertical
    flake_share: float = 0.002  # share of open pixels that are small bright specks
    open_share_min: float = 0.03  # rain and snow are read against at least this much open sky or water
    night_mean_min: float = 0.05  # legible: not black
    night_spread_min: float = 0.15  # legible: p95 - p5 of luminance
    night_sky_max: float = 0.25  # reads as night: the sky (or the frame without sky) is dark
    warm_min: float = 0.06  # mean R - B of the horizon sky or of the lit ground
    storm_sky_max: float = 0.5  # dark sky
    grey_sky_chroma: float = 0.12  # overcast and storm skies are nearly colourless


WEATHER_FLOORS = WeatherFloors()
#: prompt words of time and weather -> the check that reads them
WEATHER_CHECKS = ("fog", "rain", "snowfall", "storm", "night", "sunrise", "sunset", "overcast")


@dataclass(kw_only=True, slots=True)
class WeatherScore:
    name: str
    ok: bool
    metrics: dict[str, float] = field(default_factory=dict)
    why: str = ""


def luminance(rgb_hw3: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of sRGB uint8 pixels, 0..1."""
    rgb = rgb_hw3.astype(np.float32) / 255.0
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


def rms_contrast(lum: np.ndarray) -> float:
    return float(lum.std() / max(float(lum.mean()), 1e-3)) if lum.size else 0.0


def fog_score(p: Passes, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    """Fog: the far ground keeps little of the near ground's contrast and fades into the horizon sky."""
    lum = luminance(p.rgb_hw3)
    sky = p.semantic_hw == SEM["sky"]
    ground = ~sky & np.isfinite(p.depth_hw)
    if ground.sum() < 100:
        return WeatherScore(name="fog", ok=False, why="no ground in frame")
    d = p.depth_hw[ground]
    near_cut, far_cut = np.quantile(d, 0.3), np.quantile(d, 0.85)
    far_m = float(np.median(d[d >= far_cut]))
    if far_m < f.fog_min_far_m:
        return WeatherScore(name="fog", ok=False, metrics={"far_m": far_m},
                            why=f"the frame reaches only {far_m:.0f} m: no distance for fog to show")
    near, far = ground & (p.depth_hw <= near_cut), ground & (p.depth_hw >= far_cut)
    ratio = rms_contrast(lum[far]) / max(rms_contrast(lum[near]), 1e-3)
    m = {"far_m": round(far_m, 1), "far_near_contrast": round(ratio, 3)}
    fails = [] if ratio <= f.fog_far_near_ratio else [f"far contrast {ratio:.2f} of near > {f.fog_far_near_ratio}"]
    horizon = horizon_sky(sky)
    if horizon.sum() >= 200:
        sky_l = float(np.median(lum[horizon]))
        c = abs(float(np.median(lum[far])) - sky_l) / max(sky_l, 1e-3)
        m["far_sky_contrast"] = round(c, 3)
        if c > f.fog_far_sky_contrast:
            fails.append(f"far ground stands {c:.2f} off the horizon sky > {f.fog_far_sky_contrast}")
    return WeatherScore(name="fog", ok=not fails, metrics=m, why="; ".join(fails))


def horizon_sky(sky: np.ndarray) -> np.ndarray:
    """Sky pixels in the lowest quarter of each column's sky: the sky next to the horizon."""
    if not sky.any():
        return sky
    rows = np.arange(sky.shape[0])[:, None]
    bottom = np.where(sky, rows, -1).max(axis=0)
    top = np.where(sky, rows, sky.shape[0]).min(axis=0)
    return sky & (rows >= bottom - 0.25 * (bottom - top + 1))


def uniform_ids(p: Passes) -> np.ndarray:
    """Pixels whose semantic and instance ids are the same over a 7x7 window (no silhouette edge, no small
    object in front)."""
    kernel = np.ones((7, 7), np.uint8)
    uniform = np.ones(p.semantic_hw.shape, bool)
    for ids in (p.semantic_hw.astype(np.float32), p.instance_hw.astype(np.float32)):
        uniform &= cv2.dilate(ids, kernel) == cv2.erode(ids, kernel)
    return uniform


def open_pixels(p: Passes) -> np.ndarray:
    """Where falling rain or snow shows and geometry cannot fake it: sky and water pixels of uniform ids.
    Ground texture is not used on its own: its detail reads as specks (see streak_metrics for frames with
    no open sky or water)."""
    return uniform_ids(p) & np.isin(p.semantic_hw, [SEM["sky"], SEM["water"]])


def high_pass(rgb_hw3: np.ndarray) -> np.ndarray:
    lum = luminance(rgb_hw3)
    return lum - cv2.blur(lum, (7, 7))


def streak_metrics(p: Passes) -> dict[str, float]:
    """High-frequency signal over open pixels: its energy, its anisotropy (vertical streaks give horizontal
    gradients), and the share of small bright specks (flakes). A frame with too little open sky or water
    (a snowfall seen against a snowfield, a street walled in by houses) is read over all its pixels of
    uniform ids instead, as the difference from the same view drawn dry (`dry_rgb_hw3`): what the falling
    rain or snow adds, with the ground's own texture taken out."""
    region = open_pixels(p)
    against = "open"
    if region.mean() < WEATHER_FLOORS.open_share_min and p.dry_rgb_hw3 is not None:
        region, against = uniform_ids(p), "all"
    if region.mean() < WEATHER_FLOORS.open_share_min:
        return {"open_share": float(region.mean()), "energy": 0.0, "anisotropy": 1.0, "specks": 0.0}
    hp = high_pass(p.rgb_hw3)
    if against == "all":
        hp = hp - high_pass(p.dry_rgb_hw3)
    gx = np.abs(cv2.Sobel(hp, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(hp, cv2.CV_32F, 0, 1, ksize=3))
    m = {"open_share": round(float(region.mean()), 4), "energy": round(float(np.abs(hp[region]).mean()), 5),
         "anisotropy": round(float(gx[region].mean() / max(float(gy[region].mean()), 1e-6)), 3),
         "specks": round(float((hp[region] > 0.06).mean()), 5)}
    if against == "all":
        m["read_against_dry_view"] = 1.0
    return m


def needs_dry_view(p: Passes) -> bool:
    """Whether streak_metrics needs the view drawn dry: too little open sky or water to read the fall."""
    return float(open_pixels(p).mean()) < WEATHER_FLOORS.open_share_min


def rain_score(p: Passes, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    m = streak_metrics(p)
    fails = []
    if m["energy"] < f.streak_energy:
        fails.append(f"streak energy {m['energy']:.4f} < {f.streak_energy}")
    if m["anisotropy"] < f.rain_anisotropy:
        fails.append(f"no vertical streaks (anisotropy {m['anisotropy']:.2f} < {f.rain_anisotropy})")
    return WeatherScore(name="rain", ok=not fails, metrics=m, why="; ".join(fails))


def snowfall_score(p: Passes, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    m = streak_metrics(p)
    fails = []
    if m["specks"] < f.flake_share:
        fails.append(f"bright specks {m['specks']:.4f} of open pixels < {f.flake_share}")
    return WeatherScore(name="snowfall", ok=not fails, metrics=m, why="; ".join(fails))


def sky_stats(p: Passes) -> tuple[float, float, float]:
    """Share of the frame that is sky, its mean luminance and its mean chroma (max - min channel)."""
    sky = p.semantic_hw == SEM["sky"]
    if sky.sum() < 100:
        return float(sky.mean()), math.nan, math.nan
    rgb = p.rgb_hw3[sky].astype(np.float32) / 255.0
    return float(sky.mean()), float(luminance(p.rgb_hw3)[sky].mean()), float((rgb.max(1) - rgb.min(1)).mean())


def night_score(p: Passes, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    """Night: reads as night (dark sky, or a dark frame where no sky shows) and is legible (not black, spread)."""
    lum = luminance(p.rgb_hw3)
    _, sky_l, _ = sky_stats(p)
    dark = sky_l if math.isfinite(sky_l) else float(lum.mean())
    p5, p95 = np.quantile(lum, [0.05, 0.95])
    m = {"mean": round(float(lum.mean()), 4), "spread": round(float(p95 - p5), 4), "sky_or_frame": round(dark, 4)}
    fails = []
    if m["mean"] < f.night_mean_min:
        fails.append(f"too dark to read: mean luminance {m['mean']:.3f} < {f.night_mean_min}")
    if m["spread"] < f.night_spread_min:
        fails.append(f"flat: p95 - p5 {m['spread']:.3f} < {f.night_spread_min}")
    if dark > f.night_sky_max:
        fails.append(f"does not read as night: sky luminance {dark:.2f} > {f.night_sky_max}")
    return WeatherScore(name="night", ok=not fails, metrics=m, why="; ".join(fails))


def warm_score(p: Passes, name: str, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    """Sunrise and sunset: the horizon sky or the sunlit ground is warm (red over blue)."""
    rgb = p.rgb_hw3.astype(np.float32) / 255.0
    warmth = rgb[..., 0] - rgb[..., 2]
    sky = p.semantic_hw == SEM["sky"]
    horizon = horizon_sky(sky)
    lum = luminance(p.rgb_hw3)
    ground = ~sky
    lit = ground & (lum >= np.quantile(lum[ground], 0.8)) if ground.sum() >= 100 else ground
    m = {"horizon_warmth": round(float(warmth[horizon].mean()), 4) if horizon.sum() >= 100 else -1.0,
         "lit_warmth": round(float(warmth[lit].mean()), 4) if lit.any() else -1.0}
    best = max(m.values())
    ok = best >= f.warm_min
    return WeatherScore(name=name, ok=ok, metrics=m, why="" if ok else f"warmth {best:.3f} < {f.warm_min}")


def grey_sky_score(p: Passes, name: str, f: WeatherFloors = WEATHER_FLOORS) -> WeatherScore:
    """Overcast: a colourless sky; storm: a colourless and dark sky."""
    share, sky_l, chroma = sky_stats(p)
    m = {"sky_share": round(share, 4), "sky_lum": round(sky_l, 4), "sky_chroma": round(chroma, 4)}
    if not math.isfinite(sky_l):
        return WeatherScore(name=name, ok=False, metrics=m, why="no sky in frame to read it from")
    fails = [] if chroma <= f.grey_sky_chroma else [f"sky chroma {chroma:.3f} > {f.grey_sky_chroma}"]
    if name == "storm" and sky_l > f.storm_sky_max:
        fails.append(f"sky luminance {sky_l:.2f} > {f.storm_sky_max}")
    return WeatherScore(name=name, ok=not fails, metrics=m, why="; ".join(fails))


def score_weather(name: str, p: Passes) -> WeatherScore:
    if name == "fog":
        return fog_score(p)
    if name == "rain":
        return rain_score(p)
    if name == "snowfall":
        return snowfall_score(p)
    if name == "night":
        return night_score(p)
    if name in ("sunrise", "sunset"):
        return warm_score(p, name)
    if name in ("storm", "overcast"):
        return grey_sky_score(p, name)
    raise ValueError(f"unknown weather/time {name!r}: use one of {', '.join(WEATHER_CHECKS)}")


# ---------------------------------------------------------------------------------------------------------------
# The prompt set, the product meshes, the runs


@dataclass(kw_only=True, slots=True)
class BenchPrompt:
    id: int
    kind: str
    text: str
    subjects: list[str]
    weather: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    product: dict[str, Any] | None = None


def load_prompts(path: Path = PROMPTS) -> list[BenchPrompt]:
    """The prompt set, checked: every subject a class in THRESHOLDS, every weather a check in WEATHER_CHECKS."""
    doc = json.loads(path.read_text())
    out = []
    for row in doc["prompts"]:
        p = BenchPrompt(**row)
        bad = [s for s in p.subjects if s not in THRESHOLDS] + [w for w in p.weather if w not in WEATHER_CHECKS]
        if bad:
            raise ValueError(f"{path.name} prompt {p.id}: unknown subject or weather {bad}")
        if ("product" in p.subjects) != (p.product is not None):
            raise ValueError(f"{path.name} prompt {p.id}: a 'product' subject needs a 'product' mesh and back")
        out.append(p)
    return out


def product_glb(product: dict[str, Any], path: Path) -> Path:
    """A simple product mesh (bottle, cylinder or box of the given size in metres, one colour) as a Y-up GLB."""
    import trimesh

    w, d, h = (float(v) for v in product["size_m"])
    shape = product["shape"]
    if shape == "box":
        mesh = trimesh.creation.box(extents=(w, d, h))
    elif shape == "cylinder":
        mesh = trimesh.creation.cylinder(radius=w / 2, height=h, sections=48)
    elif shape == "bottle":
        body = trimesh.creation.cylinder(radius=w / 2, height=0.7 * h, sections=48)
        neck = trimesh.creation.cylinder(radius=w / 6, height=0.3 * h, sections=32)
        neck.apply_translation((0, 0, 0.5 * h))
        mesh = trimesh.util.concatenate([body, neck])
    else:
        raise ValueError(f"product shape {shape!r}: use box, cylinder or bottle")
    mesh.apply_translation((0, 0, -mesh.bounds[0][2]))
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, (1, 0, 0)))  # Z-up -> Y-up
    rgba = np.array([*product.get("color", (0.6, 0.6, 0.6)), 1.0]) * 255
    mesh.visual.vertex_colors = np.tile(rgba.astype(np.uint8), (len(mesh.vertices), 1))
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb"))
    return path


def dry_spot(world: WorldState) -> tuple[float, float]:
    """The dry, gentle ground nearest the world's centre: where a product is set down."""
    step = max(1, world.n // 128)
    h = world.height_hw[::step, ::step]
    dry = ~np.isfinite(world.water_hw[::step, ::step])
    gy, gx = np.gradient(h, step * world.cell_m)
    ok = dry & (np.hypot(gx, gy) < 0.3)
    ii, jj = np.indices(h.shape)
    c = (h.shape[0] - 1) / 2
    dist = np.where(ok, np.hypot(ii - c, jj - c), np.inf)
    i, j = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return float(j * step * world.cell_m), float(i * step * world.cell_m)


class Bench:
    """One registry and executor for the whole run, so the text encoder and the renderer stay warm."""

    def __init__(self, out: Path, width: int, height: int):
        from oyster_nodes.cache import Cache
        from oyster_nodes.executor import Executor
        from oyster_nodes.registry import load_registry

        self.out, self.width, self.height = out, width, height
        self.registry = load_registry(use_entry_points=False)
        self.executor = Executor(Cache(memory_bytes=1 << 30))
        self._dry: Any = None

    def dry_view(self, image: Any, world: WorldState) -> np.ndarray:
        """The still's view drawn again without its falling rain or snow (the same world, camera and light)."""
        from oyster_nodes.world.render.renderer import Renderer, RenderSettings

        if self._dry is None:
            self._dry = Renderer(RenderSettings(precipitation=False))
        h, w = image.rgb_hw3.shape[:2]
        return self._dry.render(world, image_camera(image, w, h), passes=("rgb",)).rgb_hw3

    def workflow(self, prompt: BenchPrompt, product_at: tuple[float, float] | None) -> Any:
        from oyster_nodes.workflow import Link, NodeRef, load

        wf = load(WORKFLOW)
        for ref in wf.nodes:
            if ref.id == "prompt":
                ref.params["text"] = prompt.text
            if ref.id == "render" and (self.width, self.height) != (1280, 720):
                ref.params.update(width=self.width, height=self.height)
        wf.nodes = [r for r in wf.nodes if r.id != "png"]
        wf.links = [lk for lk in wf.links if lk.to_node != "png"]
        if product_at is not None:
            wf.nodes.append(NodeRef(id="product", type="world.import_mesh",
                                    params={"path": f"product_{prompt.id:03d}.glb", "x": product_at[0],
                                            "y": product_at[1], "yaw_deg": 30.0, "up_axis": "y"}))
            wf.links = [lk for lk in wf.links if lk.to_node != "render"]
            wf.links += [Link(from_node="world", from_output="world", to_node="product", to_input="world"),
                         Link(from_node="product", from_output="world", to_node="render", to_input="world")]
        return wf

    def run(self, wf: Any, targets: list[str]) -> dict[str, Any]:
        from oyster_nodes.executor import RunOptions
        from oyster_nodes.graph import build

        result = self.executor.run(build(wf, self.registry), RunOptions(targets=targets, out_dir=self.out,
                                                                          device="cpu"))
        if not result.ok:
            raise RuntimeError("\n".join(f"{e}\n{e.traceback}" for e in result.errors))
        return result.outputs

    def still(self, prompt: BenchPrompt) -> tuple[Any, WorldState, str]:
        """The default still of a prompt, the world it shows and the prompt's reading (matched concepts)."""
        product_at = None
        if prompt.product is not None:
            world = self.run(self.workflow(prompt, None), ["world"])["world"]["world"]
            product_glb(prompt.product, self.out / f"product_{prompt.id:03d}.glb")
            product_at = dry_spot(world)
        wf = self.workflow(prompt, product_at)
        last = "product" if product_at else "world"
        outs = self.run(wf, ["render", "spec", last])
        return outs["render"]["image"], outs[last]["world"], outs["spec"]["matches"]


def score_prompt(prompt: BenchPrompt, p: Passes) -> tuple[list[SubjectScore], list[WeatherScore], dict[str, int]]:
    subjects = [score_subject(s, subject_mask(s, p), p.instance_hw) for s in prompt.subjects]
    weather = [score_weather(w, p) for w in prompt.weather]
    counts = {s: next(x.count for x in subjects if x.name == s) for s in prompt.counts}
    return subjects, weather, counts


def summarise(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The run's figures: shares overall, per kind and per class."""
    subj = [(r["kind"], s) for r in rows for s in r["subjects"]]
    named = [r for r in rows if r["weather"]]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    wx_kind: dict[str, list[bool]] = defaultdict(list)
    by_class: dict[str, list[bool]] = defaultdict(list)
    by_weather: dict[str, list[bool]] = defaultdict(list)
    for kind, s in subj:
        by_kind[kind].append(s["ok"])
        by_class[s["name"]].append(s["ok"])
    for r in named:
        wx_kind[r["kind"]].append(all(w["ok"] for w in r["weather"]))
        for w in r["weather"]:
            by_weather[w["name"]].append(w["ok"])
    counts = [c for r in rows for c in r["counts"]]

    def share(v: list[bool]) -> float:
        return round(sum(v) / len(v), 4) if v else 1.0

    return {
        "subjects_in_frame": share([s["ok"] for _, s in subj]),
        "weather_legible": share([all(w["ok"] for w in r["weather"]) for r in named]),
        "counts_met": share([c["seen"] >= c["asked"] for c in counts]),
        "subjects": len(subj), "prompts_naming_weather": len(named),
        "per_kind": {k: {"subjects_in_frame": share(v), "subjects": len(v),
                         "weather_legible": share(wx_kind.get(k, []))} for k, v in sorted(by_kind.items())},
        "per_class": {k: {"in_frame": share(v), "n": len(v)} for k, v in sorted(by_class.items())},
        "per_weather": {k: {"legible": share(v), "n": len(v)} for k, v in sorted(by_weather.items())},
        "thresholds": {k: asdict(v) for k, v in THRESHOLDS.items()},
        "weather_floors": asdict(WEATHER_FLOORS),
        "prompts": len(rows), "seconds": round(seconds, 1),
    }


def bench_one(bench: Bench, prompt: BenchPrompt) -> dict[str, Any]:
    t = time.perf_counter()
    image, world, matches = bench.still(prompt)
    cv2.imwrite(str(bench.out / "stills" / f"{prompt.id:03d}.png"), cv2.cvtColor(image.rgb_hw3, cv2.COLOR_RGB2BGR))
    passes = passes_from_image(image, world)
    if {"rain", "snowfall"} & set(prompt.weather) and needs_dry_view(passes):
        passes.dry_rgb_hw3 = bench.dry_view(image, world)
    subjects, weather, counts = score_prompt(prompt, passes)
    return {"id": prompt.id, "kind": prompt.kind, "text": prompt.text, "still": f"stills/{prompt.id:03d}.png",
            "subjects": [asdict(s) for s in subjects], "weather": [asdict(w) for w in weather],
            "counts": [{"class": k, "asked": v, "seen": counts[k]} for k, v in prompt.counts.items()],
            "matches": matches.splitlines(), "camera": image.info.get("camera"),
            "frame_classes": frame_classes(passes), "seconds": round(time.perf_counter() - t, 2)}


def frame_classes(p: Passes) -> dict[str, float]:
    """Share of the frame per semantic class: what the still shows instead, for the diagnosis."""
    ids, n = np.unique(p.semantic_hw, return_counts=True)
    return {SEMANTIC_CLASSES[int(i)]: round(float(c) / p.semantic_hw.size, 4) for i, c in zip(ids, n, strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N prompts (after --kind)")
    ap.add_argument("--kind", default="", help="only prompts of this kind, e.g. car_commercial")
    ap.add_argument("--ids", default="", help="only these prompt ids, comma-separated, e.g. 12,18,49")
    ap.add_argument("--out", type=Path, default=Path("/tmp/oyster-adherence"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    args = ap.parse_args()
    ids = {int(i) for i in args.ids.split(",") if i.strip()} if args.ids else set()
    prompts = [p for p in load_prompts() if (not args.kind or p.kind == args.kind) and (not ids or p.id in ids)]
    if not prompts:
        raise SystemExit(f"--kind {args.kind!r} --ids {args.ids!r}: no prompts match")
    prompts = prompts[: args.limit] if args.limit > 0 else prompts
    (args.out / "stills").mkdir(parents=True, exist_ok=True)
    bench = Bench(args.out.resolve(), args.width, args.height)
    started, rows = time.perf_counter(), []
    for prompt in prompts:
        rows.append(bench_one(bench, prompt))
        r = rows[-1]
        marks = " ".join(f"{s['name']}{'+' if s['ok'] else '-'}" for s in r["subjects"] + r["weather"])
        print(f"{r['id']:3d} {r['kind']:<17} {r['seconds']:5.1f} s  {marks}", flush=True)
    summary = summarise(rows, time.perf_counter() - started)
    summary["resolution"] = [args.width, args.height]
    (args.out / "report.json").write_text(json.dumps({"summary": summary, "prompts": rows}, indent=1))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
