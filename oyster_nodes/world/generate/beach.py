"""A beach the prompt names: which words ask for one, and the open band of sand between the land's growth and
the water (palms stand at its back and lean over it; the sand by the water stays open to walk and to look
across)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from ..prompt.spec import WorldSpec
from ..state.records import Env

#: prompt words that ask for a beach of sand by the sea
BEACH_WORDS = ("beach", "beaches", "sand", "sandy", "sands")


def names_beach(matches: Sequence[Mapping[str, object]], modifiers: Mapping[str, str]) -> bool:
    """Whether the prompt names a beach or sand (a shore modifier of cliffs says otherwise)."""
    if modifiers.get("shore") == "cliffs":
        return False
    return any(str(m.get("text", "")).lower() in BEACH_WORDS for m in matches if not m.get("negated")) or (
        "sand" in modifiers)


#: of a beach's band of sand (its reach from the sea, m), this share by the water is kept open
OPEN_SHARE = 0.62


def open_band(sea_d_hw: np.ndarray, noise_hw: np.ndarray, reach_m: float) -> np.ndarray:
    """Cells of the beach's seaward part, where nothing is scattered (a ragged edge: the noise moves it)."""
    return sea_d_hw < np.float32(OPEN_SHARE * reach_m) + noise_hw * np.float32(6.0)


#: a beach in sunlight is exposed for its sand, as a film would (stops under the scene's default), so that the
#: sand's drifts, ripples and wet edge hold detail instead of burning out; light sand more than golden
SAND_EV = {"white": -0.7, "golden": -0.35, "pink": -0.5, None: -0.4}
#: at this sun elevation (degrees) and above the full correction applies; none below zero
SAND_SUN_DEG = 25.0


def exposed_for_sand(env: Env, spec: WorldSpec) -> Env:
    """The env with its exposure lowered for a sunlit beach the prompt names (unchanged for other worlds)."""
    mod = spec.modifiers.get("sand")
    if env.sea_level_m is None or not names_beach(spec.matches, spec.modifiers) or (mod is not None and mod not in SAND_EV):
        return env
    elev = env.sun_elevation_deg if env.sun_elevation_deg is not None else 0.0
    day = min(max(elev / SAND_SUN_DEG, 0.0), 1.0) * (1.0 - 0.6 * (env.cloud_cover or 0.0))
    if day <= 0.0:
        return env
    return dataclasses.replace(env, exposure=round((env.exposure or 0.0) + SAND_EV[mod] * day, 3))
