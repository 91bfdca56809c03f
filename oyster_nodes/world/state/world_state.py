"""The explicit world state every view is rendered from.

Coordinates: metres, right-handed, +X east, +Y north, +Z up. The terrain heightfield covers
[0, size_m] x [0, size_m]; sample (row i, col j) sits at x = j * cell_m, y = i * cell_m.
Everything here is plain data (numpy arrays plus JSON-able lists), so a state is serialisable
(safetensors + JSON), content-hashable and bit-identical for the same spec and seed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...types import WireData
from .records import Agent, Body, Env, MeshPlacement, Route, Structure, parse_list

STATE_VERSION = 1

#: terrain material ids in `material_hw`
MATERIALS: tuple[str, ...] = (
    "grass", "rock", "sand", "snow", "dirt", "forest_floor", "road", "mud", "ash", "gravel",
)

#: kinds of scattered instances in `inst_kind` (vegetation and props)
INSTANCE_KINDS: tuple[str, ...] = (
    "conifer", "broadleaf", "palm", "grass_tuft", "shrub", "flower", "cactus", "dead_tree",
    "rock", "boulder", "crate", "barrel", "vehicle", "lamp_post", "fence", "vine",
    "crop", "hay_bale",
    "sheep", "cow", "horse", "goat", "deer", "duck",
)
#: the instance kinds that are animals (generate/herds.py): the semantic pass draws them as "animal"
ANIMAL_KINDS: tuple[str, ...] = ("sheep", "cow", "horse", "goat", "deer", "duck")

#: semantic class ids written to the semantic pass
SEMANTIC_CLASSES: tuple[str, ...] = (
    "sky", "terrain", "water", "vegetation", "prop", "structure", "body", "agent", "mesh", "animal",
)


def hash_arrays(h: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """Feed named arrays to hash `h` in name order: "name:dtype:shape", then the C-order bytes."""
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())


@dataclass(kw_only=True, slots=True)
class WorldState(WireData):
    """Terrain, water, vegetation, props, structures, bodies, agents, light, weather and clock."""

    wire_name: ClassVar[str] = "WorldState"
    wire_color: ClassVar[str] = "#81c784"
    disk_cache: ClassVar[bool] = True

    version: int = STATE_VERSION
    seed: int = 0
    size_m: float = 1024.0
    cell_m: float = 1.0
    #: terrain height in metres, float32 (n, n) with n = size_m / cell_m + 1
    height_hw: np.ndarray
    #: material id per cell, uint8 (n, n), index into MATERIALS
    material_hw: np.ndarray
    #: water surface height in metres, float32 (n, n); NaN where there is no water
    water_hw: np.ndarray
    #: scattered instances: kind (uint16, INSTANCE_KINDS), position (float32 N x 3), yaw rad,
    #: uniform scale, and a per-instance variation seed
    inst_kind: np.ndarray
    inst_xyz: np.ndarray
    inst_yaw: np.ndarray
    inst_scale: np.ndarray
    inst_var: np.ndarray
    #: buildings and built things
    structures: list[Structure] = field(default_factory=list)
    #: roads and rivers
    paths: list[Route] = field(default_factory=list)
    #: dynamic rigid bodies (posed)
    bodies: list[Body] = field(default_factory=list)
    #: agents (characters, vehicles)
    agents: list[Agent] = field(default_factory=list)
    #: imported user meshes; geometry in mesh_arrays["mesh_<id>_v"] / ["mesh_<id>_f"]
    meshes: list[MeshPlacement] = field(default_factory=list)
    mesh_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: light, sky, atmosphere, weather and time: sun_dir, sun_color, sky_zenith, sky_horizon,
    #: fog_density, fog_color, exposure, clock_h, day_of_year, latitude, weather, wind, season ...
    env: Env = field(default_factory=Env)
    #: the spec this state was generated from (JSON), for provenance
    spec: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # JSON records (from a file, a test or a pack) are parsed here once; records pass through
        self.structures = parse_list(Structure, self.structures, "world structures")
        self.paths = parse_list(Route, self.paths, "world paths")
        self.bodies = parse_list(Body, self.bodies, "world bodies")
        self.agents = parse_list(Agent, self.agents, "world agents")
        self.meshes = parse_list(MeshPlacement, self.meshes, "world meshes")
        self.env = Env.from_json(self.env, "world env")

    def to_record(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {
            name: getattr(self, name)
            for name in ("height_hw", "material_hw", "water_hw", "inst_kind", "inst_xyz",
                         "inst_yaw", "inst_scale", "inst_var")
        }
        arrays.update({f"mesh:{k}": v for k, v in self.mesh_arrays.items()})
        meta = {
            "version": self.version, "seed": self.seed, "size_m": self.size_m, "cell_m": self.cell_m,
            "structures": [s.to_json() for s in self.structures], "paths": [r.to_json() for r in self.paths],
            "bodies": [b.to_json() for b in self.bodies], "agents": [a.to_json() for a in self.agents],
            "meshes": [m.to_json() for m in self.meshes], "env": self.env.to_json(), "spec": self.spec,
        }
        return meta, arrays

    @classmethod
    def from_record(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> WorldState:
        mesh_arrays = {k[5:]: v for k, v in arrays.items() if k.startswith("mesh:")}
        plain = {k: v for k, v in arrays.items() if not k.startswith("mesh:")}
        return cls(**meta, **plain, mesh_arrays=mesh_arrays)

    def content_hash(self) -> str:
        """Hash of everything in the state; equal states hash equal."""
        meta, arrays = self.to_record()
        h = hashlib.blake2b(digest_size=16)
        h.update(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
        hash_arrays(h, arrays)
        return h.hexdigest()

    @property
    def n(self) -> int:
        return int(self.height_hw.shape[0])

    def height_at(self, x: float, y: float) -> float:
        """Bilinear terrain height at world (x, y), clamped to the terrain's edge."""
        n = self.n
        fx = min(max(x / self.cell_m, 0.0), n - 1.0)
        fy = min(max(y / self.cell_m, 0.0), n - 1.0)
        j0, i0 = min(int(fx), n - 2), min(int(fy), n - 2)
        tx, ty = fx - j0, fy - i0
        h = self.height_hw
        top = h[i0, j0] * (1 - tx) + h[i0, j0 + 1] * tx
        bottom = h[i0 + 1, j0] * (1 - tx) + h[i0 + 1, j0 + 1] * tx
        return float(top * (1 - ty) + bottom * ty)

    def summary(self) -> str:
        return (f"WorldState({self.size_m:g} m, {self.n}x{self.n} cells, {len(self.inst_kind)} instances, "
                f"{len(self.structures)} structures)")


def heights_at(world: WorldState, xy: np.ndarray) -> np.ndarray:
    """Bilinear terrain height at many points, clamped to the terrain's edge (vectorised height_at)."""
    n, h = world.n, world.height_hw
    fx = np.clip(xy[:, 0] / world.cell_m, 0.0, n - 1.0)
    fy = np.clip(xy[:, 1] / world.cell_m, 0.0, n - 1.0)
    j0, i0 = np.minimum(fx.astype(int), n - 2), np.minimum(fy.astype(int), n - 2)
    tx, ty = fx - j0, fy - i0
    top = h[i0, j0] * (1 - tx) + h[i0, j0 + 1] * tx
    bottom = h[i0 + 1, j0] * (1 - tx) + h[i0 + 1, j0 + 1] * tx
    return (top * (1 - ty) + bottom * ty).astype(np.float64)


def water_at(world: WorldState, xy: np.ndarray) -> np.ndarray:
    """Water surface height at points (nearest cell), -inf where dry."""
    n = world.n
    j = np.clip(np.round(xy[:, 0] / world.cell_m), 0, n - 1).astype(int)
    i = np.clip(np.round(xy[:, 1] / world.cell_m), 0, n - 1).astype(int)
    w = np.asarray(world.water_hw[i, j], np.float64)
    return np.where(np.isfinite(w), w, -np.inf)
