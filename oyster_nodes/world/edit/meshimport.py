"""Import a user mesh (GLB or OBJ) into a world, standing on the ground.

The geometry is stored once in the state (vertices in the mesh's own frame, Z up, centred on its
footprint with its lowest point at z = 0) with a placement (pos, yaw, scale). Broken, empty,
non-finite or huge meshes are refused with the reason.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..state.records import MeshPlacement
from ..state.world_state import WorldState
from .operations import next_id

SUFFIXES = (".glb", ".obj")


class MeshImportError(ValueError):
    """A mesh file that cannot be imported; the message says why."""


@dataclass(kw_only=True, slots=True)
class MeshLimits:
    max_file_bytes: int = 64 * 1024**2
    max_faces: int = 500_000
    max_vertices: int = 1_000_000
    #: largest extent after scaling, metres
    max_extent_m: float = 2000.0


def read_mesh(
    path: Path, *, up_axis: str = "y", limits: MeshLimits | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (float32 V x 3, Z up) and faces (uint32 F x 3) of a GLB/OBJ file, checked."""
    lim = limits or MeshLimits()
    if path.suffix.lower() not in SUFFIXES:
        raise MeshImportError(f"{path.name}: only {', '.join(SUFFIXES)} files can be imported")
    if not path.is_file():
        raise MeshImportError(f"{path.name}: no such file")
    size = path.stat().st_size
    if size > lim.max_file_bytes:
        raise MeshImportError(
            f"{path.name}: {size / 1e6:.1f} MB is larger than the {lim.max_file_bytes / 1e6:.0f} MB limit"
        )
    import trimesh

    try:
        mesh = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # trimesh raises many kinds of errors for broken files
        raise MeshImportError(f"{path.name}: cannot be read as a mesh ({type(exc).__name__}: {exc})") from exc
    vertices = np.asarray(getattr(mesh, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(mesh, "faces", np.zeros((0, 3))), dtype=np.int64)
    _check(path.name, vertices, faces, lim)
    if up_axis == "y":
        vertices = vertices[:, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])
    elif up_axis != "z":
        raise MeshImportError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    return (vertices - origin).astype(np.float32), faces.astype(np.uint32)


def _check(name: str, vertices: np.ndarray, faces: np.ndarray, lim: MeshLimits) -> None:
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) == 0:
        raise MeshImportError(f"{name}: has no vertices")
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise MeshImportError(f"{name}: has no triangles (is it a point cloud or an empty scene?)")
    if len(faces) > lim.max_faces:
        raise MeshImportError(
            f"{name}: {len(faces)} triangles is more than the {lim.max_faces} limit; decimate it first"
        )
    if len(vertices) > lim.max_vertices:
        raise MeshImportError(f"{name}: {len(vertices)} vertices is more than the {lim.max_vertices} limit")
    if not np.isfinite(vertices).all():
        raise MeshImportError(f"{name}: has NaN or infinite vertex coordinates")
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise MeshImportError(f"{name}: triangles refer to vertices that do not exist")
    if float(np.ptp(vertices, axis=0).max()) <= 1e-9:
        raise MeshImportError(f"{name}: is degenerate (all vertices at one point)")


def import_mesh(
    state: WorldState,
    path: str | Path,
    *,
    x: float,
    y: float,
    scale: float = 1.0,
    yaw_deg: float = 0.0,
    up_axis: str = "y",
    limits: MeshLimits | None = None,
) -> WorldState:
    """A new state with the mesh standing on the terrain at (x, y)."""
    lim = limits or MeshLimits()
    path = Path(path)
    if not (0.0 <= x <= state.size_m and 0.0 <= y <= state.size_m):
        raise MeshImportError(f"position ({x:g}, {y:g}) is outside the world (0..{state.size_m:g} m)")
    if not (scale > 0 and math.isfinite(scale)):
        raise MeshImportError(f"scale must be a positive number, got {scale!r}")
    vertices, faces = read_mesh(path, up_axis=up_axis, limits=lim)
    extent = float(np.ptp(vertices, axis=0).max()) * scale
    if extent > min(lim.max_extent_m, 2.0 * state.size_m):
        raise MeshImportError(
            f"{path.name}: {extent:.0f} m across after scaling is too large for this world "
            f"(limit {min(lim.max_extent_m, 2.0 * state.size_m):.0f} m); lower the scale"
        )
    yaw = math.radians(yaw_deg)
    z = _ground_under(state, vertices, x, y, scale, yaw)
    mesh_id = _mesh_id(state, path.stem)
    item = MeshPlacement(id=mesh_id, name=path.name, pos=(float(x), float(y), float(z)), yaw=yaw, scale=float(scale),
                         vertices=int(len(vertices)), faces=int(len(faces)), extent_m=round(extent, 3))
    arrays = {**state.mesh_arrays, f"mesh_{mesh_id}_v": vertices, f"mesh_{mesh_id}_f": faces}
    return dataclasses.replace(state, meshes=[*state.meshes, item], mesh_arrays=arrays)


def _ground_under(
    state: WorldState, vertices: np.ndarray, x: float, y: float, scale: float, yaw: float
) -> float:
    """Lowest terrain under the mesh's footprint, so no corner floats above the ground."""
    lo, hi = vertices[:, :2].min(axis=0) * scale, vertices[:, :2].max(axis=0) * scale
    c, s = math.cos(yaw), math.sin(yaw)
    heights = []
    for u in np.linspace(lo[0], hi[0], 5):
        for v in np.linspace(lo[1], hi[1], 5):
            px, py = x + u * c - v * s, y + u * s + v * c
            heights.append(state.height_at(px, py))
    return round(float(min(heights)), 4)


def _mesh_id(state: WorldState, stem: str) -> str:
    """An id from the file name, free among all of the world's objects (a mesh named 'cabin' next to
    structure 'cabin-1' becomes 'cabin-2')."""
    return next_id(state, "".join(ch if ch.isalnum() else "_" for ch in stem)[:40] or "mesh")
