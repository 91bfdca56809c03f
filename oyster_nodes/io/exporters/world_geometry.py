"""What the 3D exports (GLB, point clouds, splats) read off a WorldState: colours and static meshes.

Kept apart from the writers so that the GLB and the PLY files of one world agree on every colour and
surface. Geometry is in world axes (x east, y north, z up); meshes are the world core's flat-shaded
triangle lists with linear vertex colours.
"""

from __future__ import annotations

import numpy as np

from ...world.render.albedo import terrain_albedo
from ...world.render.meshes import Mesh, instance_mesh, look_of, merge, structure_mesh, transform, with_plain_windows
from ...world.state.mesh_data import MeshSurface, mesh_surface
from ...world.state.world_state import INSTANCE_KINDS, WorldState

WATER_SRGB = (0.16, 0.33, 0.42)


def terrain_albedo_srgb(world: WorldState) -> np.ndarray:
    """uint8 n x n x 3 sRGB terrain colour: the renderer's albedo."""
    return np.ascontiguousarray(terrain_albedo(world)[..., :3])


def kind_name(kind: int) -> str:
    return INSTANCE_KINDS[kind] if 0 <= kind < len(INSTANCE_KINDS) else "rock"


def kind_meshes(world: WorldState, lod: int = 0) -> dict[int, Mesh]:
    """One local mesh per instance kind present in the world."""
    return {int(k): instance_mesh(kind_name(int(k)), lod, look_of(world.spec or {}, kind_name(int(k))))
            for k in np.unique(np.asarray(world.inst_kind))}


def user_meshes(world: WorldState) -> Mesh:
    """Imported meshes placed in the world, each vertex coloured as it looks: base colour x vertex colour x
    base colour texture (linear); the GLB writer exports their materials and textures as authored instead."""
    out = []
    for m in world.meshes:
        surface = mesh_surface(world.mesh_arrays, m)
        if surface is None or not m.placed:
            continue
        f = surface.faces_f3.reshape(-1)
        rgb = surface_colors(surface)
        mesh = Mesh(pos=surface.vertices_v3[f], nrm=surface.normals_v3[f], col=rgb[f].astype(np.float32),
                    part=np.zeros(len(f), np.float32))
        out.append(transform(mesh, scale=(m.scale, m.scale, m.scale), yaw=m.yaw, offset=m.pos))
    return merge(out)


def surface_colors(surface: MeshSurface) -> np.ndarray:
    """Linear RGB per vertex of an imported mesh: its material's base colour, vertex colour and texture."""
    rgb = surface.colors_v4[:, :3].astype(np.float64).copy()
    for mat in surface.materials:
        rows = np.unique(surface.faces_f3[mat.first_face : mat.first_face + mat.faces].reshape(-1))
        rgb[rows] *= np.asarray(mat.base_color[:3])
        if 0 <= mat.base_texture < len(surface.textures) and surface.uv_v2 is not None:
            tex = surface.textures[mat.base_texture]
            h, w = tex.shape[:2]
            uv = surface.uv_v2[rows] % 1.0
            px = np.clip((uv[:, 0] * w).astype(np.int64), 0, w - 1)
            py = np.clip(((1.0 - uv[:, 1]) * h).astype(np.int64), 0, h - 1)  # v up; row 0 is the top
            rgb[rows] *= (tex[py, px, :3].astype(np.float64) / 255.0) ** 2.2
    return np.clip(rgb, 0.0, 1.0)


def structures_mesh(world: WorldState) -> Mesh:
    return merge([with_plain_windows(structure_mesh(s)) for s in world.structures])


def linear_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """The inverse of the world core's 2.2-gamma srgb_to_linear."""
    return np.clip(np.asarray(rgb, np.float64), 0.0, 1.0) ** (1 / 2.2)


def terrain_normals(world: WorldState) -> np.ndarray:
    """Unit normals of the heightfield, n x n x 3 float32 (world axes)."""
    gy, gx = np.gradient(np.asarray(world.height_hw, np.float32), world.cell_m)
    n = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    return (n / np.linalg.norm(n, axis=-1, keepdims=True)).astype(np.float32)
