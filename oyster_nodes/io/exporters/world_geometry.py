"""What the 3D exports (GLB, point clouds, splats) read off a WorldState: colours and static meshes.

Kept apart from the writers so that the GLB and the PLY files of one world agree on every colour and
surface. Geometry is in world axes (x east, y north, z up); meshes are the world core's flat-shaded
triangle lists with linear vertex colours.
"""

from __future__ import annotations

import numpy as np

from ...world.render.albedo import terrain_albedo
from ...world.render.meshes import Mesh, from_faces, instance_mesh, merge, structure_mesh, transform
from ...world.state.world_state import INSTANCE_KINDS, WorldState

WATER_SRGB = (0.16, 0.33, 0.42)


def terrain_albedo_srgb(world: WorldState) -> np.ndarray:
    """uint8 n x n x 3 sRGB terrain colour: the renderer's albedo."""
    return np.ascontiguousarray(terrain_albedo(world)[..., :3])


def kind_name(kind: int) -> str:
    return INSTANCE_KINDS[kind] if 0 <= kind < len(INSTANCE_KINDS) else "rock"


def kind_meshes(world: WorldState, lod: int = 0) -> dict[int, Mesh]:
    """One local mesh per instance kind present in the world."""
    return {int(k): instance_mesh(kind_name(int(k)), lod) for k in np.unique(np.asarray(world.inst_kind))}


def user_meshes(world: WorldState) -> Mesh:
    """Imported meshes placed in the world (grey; their own colours are not stored)."""
    out = []
    for m in world.meshes:
        v, f = world.mesh_arrays.get(f"mesh_{m.id}_v"), world.mesh_arrays.get(f"mesh_{m.id}_f")
        if v is None or f is None or not len(f):
            continue
        mesh = from_faces(np.asarray(v, np.float64).reshape(-1, 3), np.asarray(f, np.int64).reshape(-1, 3),
                          (0.55, 0.55, 0.55))
        out.append(transform(mesh, scale=(m.scale, m.scale, m.scale), yaw=m.yaw, offset=m.pos))
    return merge(out)


def structures_mesh(world: WorldState) -> Mesh:
    return merge([structure_mesh(s) for s in world.structures])


def linear_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """The inverse of the world core's 2.2-gamma srgb_to_linear."""
    return np.clip(np.asarray(rgb, np.float64), 0.0, 1.0) ** (1 / 2.2)


def terrain_normals(world: WorldState) -> np.ndarray:
    """Unit normals of the heightfield, n x n x 3 float32 (world axes)."""
    gy, gx = np.gradient(np.asarray(world.height_hw, np.float32), world.cell_m)
    n = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    return (n / np.linalg.norm(n, axis=-1, keepdims=True)).astype(np.float32)
