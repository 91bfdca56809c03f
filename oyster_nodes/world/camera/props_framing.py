"""Named props as a subject of the default still: the crates, barrels, lamps, fences, rocks, flower and crop fields a
prompt names, kept in frame beside the main subject, or framed for themselves when nothing larger is named
("an arena ringed by a fence", "a plain with crates scattered", "a prairie full of wildflowers")."""

from __future__ import annotations

import numpy as np

from ..generate.crops import crop_look
from ..generate.props import wants_flowers
from ..state.world_state import INSTANCE_KINDS, WorldState

#: spec props (and fences, and named flowers) -> the instance kinds that show them
PROP_KINDS: dict[str, tuple[str, ...]] = {"rocks": ("rock", "boulder"), "lamps": ("lamp_post",), "crates": ("crate",),
                                          "barrels": ("barrel",), "fences": ("fence",), "flowers": ("flower",),
                                          "crops": ("crop", "hay_bale")}
#: the face (m^2 at scale 1) each kind shows a camera
FACE_M2: dict[str, float] = {"flower": 0.2, "fence": 2.0, "lamp_post": 0.6, "crop": 2.0, "hay_bale": 1.5}
#: sample points per named kind (so a few crates are not drowned among thousands of flowers)
SAMPLES_PER_KIND = 160
#: a props subject framed for itself takes the props within this many metres of their densest spot
GROUP_REACH_M = 45.0


def named_props(spec: dict) -> list[str]:
    """The prop names (PROP_KINDS keys) a world's spec asks for."""
    asked = {**(spec.get("props") or {}), **{k: v for k, v in (spec.get("structures") or {}).items() if k == "fences"}}
    if (spec.get("vegetation") or {}).get("flowers") and wants_flowers(str(spec.get("text", ""))):
        asked["flowers"] = 1
    if crop_look(str(spec.get("text", ""))):  # crop fields (generate/crops.py)
        asked["crops"] = 1
    return [n for n in PROP_KINDS if asked.get(n)]


def prop_points(world: WorldState, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sample points (N x 3, half a metre up) of the named props' instances and the area each stands for."""
    pts, area = [], []
    for name in names:
        ids = [INSTANCE_KINDS.index(k) for k in PROP_KINDS[name]]
        where = np.nonzero(np.isin(world.inst_kind, ids))[0]
        if not len(where):
            continue
        pick = where[np.linspace(0, len(where) - 1, min(len(where), SAMPLES_PER_KIND)).astype(int)]
        scale = np.maximum(world.inst_scale[pick].astype(np.float64), 0.2)
        face = np.array([FACE_M2.get(INSTANCE_KINDS[int(k)], 1.2) for k in world.inst_kind[pick]])
        pts.append(world.inst_xyz[pick].astype(np.float64) + (0.0, 0.0, 0.5))
        area.append(scale**2 * face * (len(where) / len(pick)))
    if not pts:
        return np.zeros((0, 3)), np.zeros(0)
    return np.concatenate(pts), np.concatenate(area)


def densest_group(pts: np.ndarray, area: np.ndarray, reach_m: float = GROUP_REACH_M) -> np.ndarray:
    """Indices of the points within `reach_m` of the point whose neighbourhood holds the most area."""
    if len(pts) <= 1:
        return np.arange(len(pts))
    d = np.hypot(*(pts[:, None, :2] - pts[None, :, :2]).transpose(2, 0, 1))
    held = ((d < reach_m) * area[None, :]).sum(axis=1)
    best = int(np.argmax(held))
    return np.nonzero(d[best] < reach_m)[0]
