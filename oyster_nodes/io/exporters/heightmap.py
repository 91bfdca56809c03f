"""Heightmaps and material masks for game-engine terrain (Unreal landscapes, Unity and Godot terrains).

Written per world:
- `<stem>_height.png`: 16-bit grey, the lowest height 0 and the highest 65535 (linear);
- `<stem>_height.r16`: the same samples as raw little-endian uint16 (Unity's RAW import);
- `<stem>_mask_<material>.png`: 8-bit, 255 where that material is, one per material present;
- `<stem>_water.png`: 8-bit, 255 where there is water;
- `<stem>_splat_<k>.png`: RGBA control maps packing materials 4k..4k+3 (Unity terrain layers);
- `<stem>.json`: sizes, height range, scale factors for the engines, the orientation and the workflow.
Orientation: image row 0 is the north edge (world y = size_m), column 0 the west edge (x = 0): a map view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...world.state.world_state import MATERIALS, WorldState
from ..files import OutputFolder
from ..images import encode_png
from ..provenance import GLTF_EXTRA

HEIGHTMAP_FORMAT = "oyster-heightmap"
#: an Unreal landscape with Z scale 100 spans 512 m over the 16-bit range
UNREAL_RANGE_M_AT_100 = 512.0


@dataclass(kw_only=True, slots=True)
class Heightmap:
    """The 16-bit samples (row 0 north) and what they mean."""

    samples_hw: np.ndarray
    min_m: float
    max_m: float
    cell_m: float

    @property
    def metres_per_step(self) -> float:
        return (self.max_m - self.min_m) / 65535.0 if self.max_m > self.min_m else 0.0

    def heights_m(self) -> np.ndarray:
        """Heights back in metres (row 0 north)."""
        return (self.samples_hw.astype(np.float64) * self.metres_per_step + self.min_m).astype(np.float32)


@dataclass(kw_only=True, slots=True)
class HeightmapFiles:
    paths: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def map_view(a_hw: np.ndarray) -> np.ndarray:
    """World rows (row 0 at y = 0, south) → image rows (row 0 north)."""
    return np.ascontiguousarray(np.asarray(a_hw)[::-1])


def heightmap(world: WorldState) -> Heightmap:
    h = np.asarray(world.height_hw, np.float64)
    if not np.all(np.isfinite(h)):
        raise ValueError("the heightfield holds non-finite heights")
    lo, hi = float(h.min()), float(h.max())
    scaled = (h - lo) / (hi - lo) * 65535.0 if hi > lo else np.zeros_like(h)
    return Heightmap(samples_hw=map_view(np.rint(scaled).astype(np.uint16)), min_m=lo, max_m=hi, cell_m=world.cell_m)


def material_masks(world: WorldState) -> dict[str, np.ndarray]:
    """uint8 masks (row 0 north) per material present, 255 inside."""
    ids = map_view(world.material_hw)
    present = np.unique(ids)
    return {MATERIALS[k] if k < len(MATERIALS) else f"material_{k}": np.where(ids == k, 255, 0).astype(np.uint8)
            for k in present}


def splat_maps(world: WorldState) -> list[np.ndarray]:
    """RGBA uint8 control maps: channel c of map k is material 4k + c (every material in MATERIALS)."""
    ids = map_view(world.material_hw).astype(np.int64)
    maps = []
    for k in range(0, len(MATERIALS), 4):
        channels = [np.where(ids == k + c, 255, 0).astype(np.uint8) for c in range(4)]
        maps.append(np.stack(channels, axis=-1))
    return maps


def heightmap_info(world: WorldState, hm: Heightmap, masks: list[str]) -> dict[str, Any]:
    span = hm.max_m - hm.min_m
    n = world.n
    return {
        "format": HEIGHTMAP_FORMAT, "version": 1, "samples": [n, n], "cell_m": world.cell_m,
        "size_m": world.size_m, "min_height_m": hm.min_m, "max_height_m": hm.max_m,
        "metres_per_step": hm.metres_per_step,
        "orientation": "row 0 is the north edge (y = size_m), column 0 the west edge (x = 0)",
        "materials": masks, "splat_channels": [MATERIALS[k:k + 4] for k in range(0, len(MATERIALS), 4)],
        "unreal": {"scale_xy_cm": world.cell_m * 100.0, "scale_z_percent": span / UNREAL_RANGE_M_AT_100 * 100.0,
                   "location_z_cm": (hm.min_m + span / 2) * 100.0},
        "unity": {"heightmap_resolution": n, "terrain_size_m": [world.size_m, span, world.size_m],
                  "raw": "16-bit, byte order Windows (little-endian); the file's first row is north"},
    }


def write_heightmaps(folder: OutputFolder, world: WorldState, *, stem: str,
                     workflow_json: str | None = None) -> HeightmapFiles:
    """Every heightmap file for one world under `stem` (checked before any is written)."""
    hm = heightmap(world)
    masks = material_masks(world)
    splats = splat_maps(world)
    water = map_view(np.where(np.isfinite(world.water_hw), 255, 0).astype(np.uint8))
    info = heightmap_info(world, hm, sorted(masks))
    if workflow_json is not None:
        info[GLTF_EXTRA] = workflow_json
    files = {f"{stem}_height.png": encode_png(hm.samples_hw, bits=16, workflow_json=workflow_json),
             f"{stem}_height.r16": hm.samples_hw.astype("<u2").tobytes(),
             f"{stem}_water.png": encode_png(water, workflow_json=workflow_json)}
    files |= {f"{stem}_mask_{name}.png": encode_png(m, workflow_json=workflow_json) for name, m in masks.items()}
    files |= {f"{stem}_splat_{k}.png": encode_png(s, workflow_json=workflow_json) for k, s in enumerate(splats)}
    files[f"{stem}.json"] = (json.dumps(info, indent=2) + "\n").encode()
    names = folder.claim_all(list(files))
    out = HeightmapFiles(info=info)
    for name, data in zip(names, files.values(), strict=True):
        out.paths.append(folder.write_bytes(name, data, claimed=True))
    return out
