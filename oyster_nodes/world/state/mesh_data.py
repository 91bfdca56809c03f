"""An imported mesh's surface as the renderer and the exporters read it: geometry plus its look.

The arrays of mesh `id` in WorldState.mesh_arrays, all in the mesh's own frame (Z up):
  mesh_{id}_v    float32 V x 3  vertices
  mesh_{id}_f    uint32  F x 3  triangles, grouped by material (MeshPlacement.materials give the runs)
  mesh_{id}_n    float32 V x 3  unit normals (absent: flat shading)
  mesh_{id}_uv   float32 V x 2  texture coordinates, v up (OpenGL's convention; glTF's is v down)
  mesh_{id}_c    uint8   V x 4  vertex colours, linear RGBA (absent: white)
  mesh_{id}_tex{k} uint8 H x W x 4  texture k, RGBA, first row the image's top
A mesh without materials (saved before they were kept) reads as one plain grey material, flat shaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .records import MAX_MESH_TEXTURES, MeshMaterial, MeshPlacement

#: the colour of a mesh that carries no materials (linear)
PLAIN_GREY = (0.55, 0.55, 0.55, 1.0)
#: the largest texture side kept (larger ones are downscaled on import)
MAX_TEXTURE_PX = 2048


def key(mesh_id: str, name: str) -> str:
    return f"mesh_{mesh_id}_{name}"


@dataclass(kw_only=True, slots=True)
class MeshSurface:
    """One imported mesh, ready to draw or export: every array has one row per vertex."""

    vertices_v3: np.ndarray
    faces_f3: np.ndarray
    normals_v3: np.ndarray
    #: linear RGBA 0..1
    colors_v4: np.ndarray
    uv_v2: np.ndarray | None
    materials: list[MeshMaterial]
    textures: list[np.ndarray] = field(default_factory=list)


def mesh_surface(arrays: dict[str, np.ndarray], m: MeshPlacement) -> MeshSurface | None:
    """The surface of placement `m` from the world's mesh arrays; None when it has no triangles."""
    v, f = arrays.get(key(m.id, "v")), arrays.get(key(m.id, "f"))
    if v is None or f is None or not len(f):
        return None
    v = np.asarray(v, np.float32).reshape(-1, 3)
    f = np.asarray(f, np.uint32).reshape(-1, 3)
    n = arrays.get(key(m.id, "n"))
    uv = arrays.get(key(m.id, "uv"))
    c = arrays.get(key(m.id, "c"))
    if n is None:  # flat shading: every triangle gets its own three vertices
        idx = f.reshape(-1)
        v, f = v[idx], np.arange(len(idx), dtype=np.uint32).reshape(-1, 3)
        uv = None if uv is None else np.asarray(uv)[idx]
        c = None if c is None else np.asarray(c)[idx]
        n = np.repeat(face_normals(v, f), 3, axis=0)
    colors = np.ones((len(v), 4), np.float32) if c is None else np.asarray(c, np.float32).reshape(-1, 4) / 255.0
    materials = m.materials or [MeshMaterial(name="plain", faces=len(f), base_color=PLAIN_GREY, roughness=0.8)]
    textures = [np.asarray(arrays[key(m.id, f"tex{k}")]) for k in range(MAX_MESH_TEXTURES)
                if key(m.id, f"tex{k}") in arrays]
    return MeshSurface(vertices_v3=v, faces_f3=f, normals_v3=np.asarray(n, np.float32).reshape(-1, 3),
                       colors_v4=colors, uv_v2=None if uv is None else np.asarray(uv, np.float32).reshape(-1, 2),
                       materials=materials, textures=textures)


def face_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Unit normals of triangles (counter-clockwise seen from outside); degenerate ones point up."""
    tri = np.asarray(v, np.float64)[np.asarray(f, np.int64)]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.where(length > 1e-12, n / np.maximum(length, 1e-30), np.array([0.0, 0.0, 1.0]))
    return n.astype(np.float32)


def problems(arrays: dict[str, np.ndarray], m: MeshPlacement) -> list[str]:
    """What is inconsistent between a placement and its arrays (for world files read from disk)."""
    v, f = arrays.get(key(m.id, "v")), arrays.get(key(m.id, "f"))
    if v is None or f is None:
        return []
    out = []
    nv, nf = len(v), len(f)
    for name, cols, dtype in (("n", 3, np.float32), ("uv", 2, np.float32), ("c", 4, np.uint8)):
        a = arrays.get(key(m.id, name))
        if a is not None and (a.shape != (nv, cols) or a.dtype != dtype):
            out.append(f"mesh {m.id!r}: '{name}' is {a.dtype}{a.shape}, expected {np.dtype(dtype)}({nv}, {cols})")
    if nf and (int(np.asarray(f).max()) >= nv):
        out.append(f"mesh {m.id!r}: triangles refer to vertices that do not exist")
    have = sum(1 for k in range(MAX_MESH_TEXTURES) if key(m.id, f"tex{k}") in arrays)
    for mat in m.materials:
        if mat.first_face + mat.faces > nf:
            out.append(f"mesh {m.id!r}: material {mat.name!r} covers faces past the last one")
        if any(k >= have for k in mat.textures()):
            out.append(f"mesh {m.id!r}: material {mat.name!r} uses a texture the file does not hold")
    for k in range(have):
        t = arrays[key(m.id, f"tex{k}")]
        if t.ndim != 3 or t.shape[2] != 4 or t.dtype != np.uint8 or max(t.shape[:2]) > MAX_TEXTURE_PX:
            out.append(f"mesh {m.id!r}: texture {k} is {t.dtype}{t.shape}, expected uint8 (H, W, 4) up to "
                       f"{MAX_TEXTURE_PX} px")
    return out
