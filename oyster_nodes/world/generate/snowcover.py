"""Snow lying on the ground of a wintry world ("a snowy mountain landscape", "frozen peaks", "in fresh snow",
a blizzard): a blanket over every face gentle enough to hold it, not only above the snowline, so the mountain
sides read white and only the steepest faces show their rock."""

from __future__ import annotations

import re

import numpy as np

from ..prompt.concepts import WINTER_WORDS
from ..prompt.spec import WorldSpec
from .terrain import MAT

F32 = np.float32
#: snow holds on ground up to this steep (rise over run, ~66 degrees: a snowy range reads white but for its sheer crags), give or take DRIFT with the ground noise
SNOW_SLOPE = 2.3
DRIFT = 0.7
#: relief kinds whose winter is dry (a desert's cold season is not a white one)
DRY_TERRAINS = ("dunes", "canyon")
#: materials snow does not cover here (roads are laid, beaches and beds set, after the blanket)
BARE = ("road", "sand")


#: words that lay snow on the ground whatever the season reads as ("a snow-covered meadow", "in fresh snow");
#: "snow-capped peaks" and "snow-covered summits" keep their snow to the heights
_LYING = re.compile(r"\b(?:snow[- ]?(?:covered|clad|bound|laden|blanketed)|blanketed in snow|deep snow|fresh snow|"
                    r"under snow|in snow|snowy|snowbound)\b(?! (?:peaks?|summits?|tops?|mountains?|ridges?|caps?))")
_NEGATED = re.compile(r"\b(?:no|without|not)\b[^,.;]*\bsnow")


#: snow named on the heights only ("snowy peaks behind"): the low ground keeps its own season's look
_PEAKS = re.compile(r"\b(?:snowy|snow[- ]?(?:capped|covered|topped|clad)) (?:[a-z]+ )?(?:peaks?|summits?|tops?|mountains?|"
                    r"ridges?|caps?|heights?)\b(?! (?:landscape|country|world|scene|village|valley|pass))")
#: words of a white winter on the ground too
_WINTER = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, WINTER_WORDS), key=len, reverse=True)) + r")\b")


def wintry(spec: WorldSpec) -> bool:
    """Whether the world's ground lies under snow: winter, falling snow, a snowfield or snow named lying on the
    ground, in a wet climate (not where snow is named on the peaks alone)."""
    if spec.terrain in DRY_TERRAINS:
        return False
    text = spec.text.lower()
    if _NEGATED.search(text):
        return False
    lying = bool(_LYING.search(_PEAKS.sub(" ", text)))
    peaks_only = bool(_PEAKS.search(text)) and not lying and not _WINTER.search(text)
    if spec.weather == "snow" or spec.terrain == "snowfield" or lying:
        return True
    return spec.season == "winter" and not peaks_only


def snow_blanket(spec: WorldSpec, material_hw: np.ndarray, slope_hw: np.ndarray, noise_hw: np.ndarray) -> np.ndarray:
    """Cells the snow covers (bool n x n): every face up to SNOW_SLOPE (the limit drifting with `noise_hw`),
    in a wintry world; none otherwise."""
    if not wintry(spec):
        return np.zeros(material_hw.shape, bool)
    limit = F32(SNOW_SLOPE) + F32(DRIFT) * noise_hw
    return (slope_hw < limit) & ~np.isin(material_hw, [MAT[m] for m in BARE])


#: snow named on the peaks alone lies above this share of the land's height range (its 5th to 95th percentile)
CAP_LINE = 0.55


def lay_snow(spec: WorldSpec, material_hw: np.ndarray, slope_hw: np.ndarray, noise_hw: np.ndarray,
             h: np.ndarray | None = None) -> None:
    """Set the snow material on the cells snow_blanket gives (in place); where the prompt names snowy peaks
    over a land that is not wintry ("snowy peaks above a green valley"), on the upper heights (`h`) as well, so
    the caps read from the valley."""
    material_hw[snow_blanket(spec, material_hw, slope_hw, noise_hw)] = MAT["snow"]
    text = spec.text.lower()
    if h is None or wintry(spec) or not _PEAKS.search(text) or _NEGATED.search(text):
        return
    lo, hi = np.percentile(h, (5, 95))
    alt = (h - F32(lo)) / F32(max(float(hi - lo), 1e-3))
    caps = (alt + F32(0.1) * noise_hw > F32(CAP_LINE)) & (slope_hw < F32(SNOW_SLOPE) + F32(DRIFT) * noise_hw)
    material_hw[caps & ~np.isin(material_hw, [MAT[m] for m in BARE])] = MAT["snow"]
