"""Points sampled from a world's surfaces, as a coloured PLY point cloud and as a 3D Gaussian splat PLY.

Sampling is by area, so density is even across terrain, water, structures, imported meshes and every
scattered instance (each instance's share is its kind's mesh area times its scale squared). Colours are
sRGB, matching the GLB: the renderer's terrain albedo, the meshes' vertex colours.

The splat file uses the attribute layout of the original 3D Gaussian Splatting code that viewers and
editors read: x y z nx ny nz f_dc_0..2 f_rest_0..44 opacity scale_0..2 rot_0..3, all float32, binary
little-endian. f_dc holds degree-0 spherical-harmonic colour ((rgb - 0.5) / C0), f_rest is zero (no
view dependence), opacity is a logit, scales are log standard deviations in metres (flat discs lying in
the surface), rot is a unit quaternion w x y z turning local +Z to the surface normal.

Axes: "z_up" keeps world axes (x east, y north, z up); "y_up" is glTF's (x, z, -y); "y_down" is the
OpenCV/COLMAP convention many splat trainers write (x, -z, y).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...world.render.meshes import Mesh, water_mesh
from ...world.state.world_state import WorldState
from .world_geometry import (
    WATER_SRGB,
    kind_meshes,
    linear_to_srgb,
    structures_mesh,
    terrain_albedo_srgb,
    terrain_normals,
    user_meshes,
)

SH_C0 = 0.28209479177387814
SH_REST = 45
AXES_CHOICES = ("z_up", "y_up", "y_down")
AXES = {
    "z_up": np.eye(3),
    "y_up": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
    "y_down": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]]),
}
MAX_POINTS = 50_000_000
SPLAT_FIELDS: tuple[str, ...] = (
    ("x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2")
    + tuple(f"f_rest_{i}" for i in range(SH_REST)) + ("opacity", "scale_0", "scale_1", "scale_2")
    + ("rot_0", "rot_1", "rot_2", "rot_3")
)


class PlyError(ValueError):
    """A sampling request or array that cannot be written as PLY."""


@dataclass(kw_only=True, slots=True)
class SurfacePoints:
    """Points on surfaces: positions and unit normals (N x 3, world axes), sRGB colours in 0..1 (N x 3),
    and the surface area each point stands for (N, m²)."""

    xyz: np.ndarray
    normal: np.ndarray
    rgb: np.ndarray
    area_m2: np.ndarray

    @property
    def count(self) -> int:
        return int(len(self.xyz))


# ---------------------------------------------------------------------------------------- sampling


def _triangle_areas(pos: np.ndarray) -> np.ndarray:
    t = pos.reshape(-1, 3, 3).astype(np.float64)
    return 0.5 * np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)


def _mesh_areas(mesh: Mesh) -> np.ndarray:
    """Each triangle's area (empty for a mesh without triangles)."""
    return _triangle_areas(mesh.pos) if mesh.triangles else np.zeros(0)


def _sample_triangles(mesh: Mesh, count: int, rng: np.random.Generator,
                      areas: np.ndarray) -> tuple[np.ndarray, ...]:
    """count points on a flat-shaded mesh, area-weighted by `areas` (_mesh_areas(mesh)):
    (positions, normals, linear colours)."""
    pick = rng.choice(len(areas), size=count, p=areas / areas.sum())
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = mesh.pos.reshape(-1, 3, 3).astype(np.float64)[pick]
    xyz = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    return xyz, mesh.nrm[pick * 3].astype(np.float64), mesh.col[pick * 3].astype(np.float64)


def _mesh_points(mesh: Mesh, count: int, rng: np.random.Generator, areas: np.ndarray) -> SurfacePoints | None:
    if count <= 0 or not mesh.triangles:
        return None
    xyz, nrm, col = _sample_triangles(mesh, count, rng, areas)
    area = areas.sum() / count
    return SurfacePoints(xyz=xyz, normal=nrm, rgb=linear_to_srgb(col), area_m2=np.full(count, area))


def _terrain_area(world: WorldState, normals: np.ndarray) -> tuple[np.ndarray, float]:
    nz = normals[..., 2]
    factor = 1.0 / np.maximum(nz, 0.05)
    return factor, float(factor[:-1, :-1].mean() * world.size_m ** 2)


def _terrain_points(world: WorldState, count: int, rng: np.random.Generator, factor: np.ndarray,
                    area: float, normals: np.ndarray) -> SurfacePoints | None:
    """Area-weighted points on the heightfield: uniform in x, y, kept with probability ∝ slope area."""
    if count <= 0:
        return None
    h, cell, n = np.asarray(world.height_hw, np.float64), world.cell_m, world.n
    xs, ys = [], []
    top = float(factor.max())
    while sum(len(x) for x in xs) < count:
        x, y = rng.uniform(0, world.size_m, (2, count))
        keep = rng.random(count) * top < factor[_cell(y, cell, n), _cell(x, cell, n)]
        xs.append(x[keep])
        ys.append(y[keep])
    x, y = np.concatenate(xs)[:count], np.concatenate(ys)[:count]
    z = _bilinear(h, x / cell, y / cell)
    i, j = _cell(y, cell, n), _cell(x, cell, n)
    albedo = terrain_albedo_srgb(world)
    return SurfacePoints(xyz=np.stack([x, y, z], axis=1), normal=normals[i, j].astype(np.float64),
                         rgb=albedo[i, j] / 255.0, area_m2=np.full(count, area / count))


def _cell(v: np.ndarray, cell: float, n: int) -> np.ndarray:
    return np.clip(np.rint(v / cell).astype(np.int64), 0, n - 1)


def _bilinear(h: np.ndarray, fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    n = h.shape[0]
    j0, i0 = np.clip(fx.astype(np.int64), 0, n - 2), np.clip(fy.astype(np.int64), 0, n - 2)
    tx, ty = np.clip(fx - j0, 0, 1), np.clip(fy - i0, 0, 1)
    top = h[i0, j0] * (1 - tx) + h[i0, j0 + 1] * tx
    bottom = h[i0 + 1, j0] * (1 - tx) + h[i0 + 1, j0 + 1] * tx
    return top * (1 - ty) + bottom * ty


def _instance_points(world: WorldState, counts: np.ndarray, meshes: dict[int, Mesh],
                     rng: np.random.Generator, areas: dict[int, np.ndarray]) -> SurfacePoints | None:
    """counts[i] points on instance i: sampled on its kind's mesh, then scaled, turned and placed."""
    kinds = np.asarray(world.inst_kind, np.int64)
    parts = []
    for k, mesh in meshes.items():
        members = np.nonzero((kinds == k) & (counts > 0))[0]
        total = int(counts[members].sum())
        if not total or not mesh.triangles:
            continue
        owner = np.repeat(members, counts[members])
        xyz, nrm, col = _sample_triangles(mesh, total, rng, areas[k])
        yaw = np.asarray(world.inst_yaw, np.float64)[owner]
        scale = np.asarray(world.inst_scale, np.float64)[owner]
        c, s = np.cos(yaw), np.sin(yaw)
        turned = np.stack([c * xyz[:, 0] - s * xyz[:, 1], s * xyz[:, 0] + c * xyz[:, 1], xyz[:, 2]], axis=1)
        normals = np.stack([c * nrm[:, 0] - s * nrm[:, 1], s * nrm[:, 0] + c * nrm[:, 1], nrm[:, 2]], axis=1)
        area = areas[k].sum() * scale ** 2 / counts[owner]
        placed = turned * scale[:, None] + np.asarray(world.inst_xyz, np.float64)[owner]
        parts.append(SurfacePoints(xyz=placed, normal=normals, rgb=linear_to_srgb(col), area_m2=area))
    return _concat(parts) if parts else None


def _concat(parts: Sequence[SurfacePoints | None]) -> SurfacePoints:
    kept = [p for p in parts if p is not None and p.count]
    if not kept:
        empty = np.zeros((0, 3))
        return SurfacePoints(xyz=empty, normal=empty, rgb=empty, area_m2=np.zeros(0))
    return SurfacePoints(xyz=np.concatenate([p.xyz for p in kept]), normal=np.concatenate([p.normal for p in kept]),
                         rgb=np.concatenate([p.rgb for p in kept]), area_m2=np.concatenate([p.area_m2 for p in kept]))


def _water(world: WorldState) -> Mesh:
    pos = water_mesh(np.asarray(world.water_hw), world.cell_m, max(1, (world.n - 1) // 256))
    count = len(pos)
    return Mesh(pos=pos, nrm=np.tile(np.float32([0, 0, 1]), (count, 1)),
                col=np.tile(np.float32(WATER_SRGB) ** 2.2, (count, 1)), part=np.zeros(count, np.float32))


def sample_world(world: WorldState, count: int, *, seed: int = 0, instances: bool = True) -> SurfacePoints:
    """About `count` points spread evenly by area over every surface of the world."""
    if not 1 <= count <= MAX_POINTS:
        raise PlyError(f"point count must be in 1..{MAX_POINTS}, got {count}")
    rng = np.random.default_rng(seed)
    meshes = kind_meshes(world) if instances and len(world.inst_kind) else {}
    kind_tri = {k: _mesh_areas(m) for k, m in meshes.items()}  # triangle areas, computed once per mesh
    inst_area = _instance_areas(world, kind_tri)
    statics = [structures_mesh(world), user_meshes(world), _water(world)]
    static_tri = [_mesh_areas(m) for m in statics]
    static_area = [float(a.sum()) if m.triangles else 0.0 for m, a in zip(statics, static_tri, strict=True)]
    normals = terrain_normals(world)
    factor, terrain_area = _terrain_area(world, normals)
    total = terrain_area + float(inst_area.sum()) + sum(static_area)
    per_m2 = count / total
    inst_counts = rng.poisson(inst_area * per_m2) if len(inst_area) else np.zeros(0, np.int64)
    parts = [_terrain_points(world, int(round(terrain_area * per_m2)), rng, factor, terrain_area, normals)]
    parts += [_mesh_points(m, int(round(a * per_m2)), rng, tri)
              for m, a, tri in zip(statics, static_area, static_tri, strict=True)]
    if meshes:
        parts.append(_instance_points(world, inst_counts, meshes, rng, kind_tri))
    return _concat(parts)


def _instance_areas(world: WorldState, kind_tri: dict[int, np.ndarray]) -> np.ndarray:
    """Each instance's surface area: its kind's mesh area (from the per-triangle areas) times scale squared."""
    if not kind_tri:
        return np.zeros(0)
    kind_area = {k: float(a.sum()) for k, a in kind_tri.items()}
    kinds = np.asarray(world.inst_kind, np.int64)
    per_kind = np.array([kind_area.get(int(k), 0.0) for k in kinds])
    return per_kind * np.asarray(world.inst_scale, np.float64) ** 2


# ----------------------------------------------------------------------------------------- writing


def _header(count: int, properties: Sequence[tuple[str, str]], comments: Sequence[str]) -> bytes:
    lines = ["ply", "format binary_little_endian 1.0"]
    lines += [f"comment {c}" for c in comments]
    lines.append(f"element vertex {count}")
    lines += [f"property {t} {n}" for n, t in properties]
    lines.append("end_header")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _check_comments(comments: Sequence[str]) -> None:
    if any("\n" in c or "\r" in c for c in comments):
        raise PlyError("PLY comments must be single lines")


def _axes(points: SurfacePoints, axes: str) -> tuple[np.ndarray, np.ndarray]:
    if axes not in AXES:
        raise PlyError(f"axes must be one of {', '.join(AXES_CHOICES)}, got {axes!r}")
    m = AXES[axes]
    return points.xyz @ m.T, points.normal @ m.T


def point_cloud_ply(points: SurfacePoints, *, axes: str = "z_up", comments: Sequence[str] = ()) -> bytes:
    """Binary PLY with x y z nx ny nz (float) and red green blue (uchar)."""
    _check_comments(comments)
    xyz, nrm = _axes(points, axes)
    dtype = np.dtype([(n, "<f4") for n in ("x", "y", "z", "nx", "ny", "nz")] + [(n, "u1") for n in ("red", "green", "blue")])
    rows = np.empty(points.count, dtype)
    for k, n in enumerate(("x", "y", "z")):
        rows[n] = xyz[:, k]
        rows["n" + n] = nrm[:, k]
    rgb = np.clip(np.rint(points.rgb * 255), 0, 255).astype(np.uint8)
    for k, n in enumerate(("red", "green", "blue")):
        rows[n] = rgb[:, k]
    props = [(n, "float") for n in ("x", "y", "z", "nx", "ny", "nz")] + [(n, "uchar") for n in ("red", "green", "blue")]
    return _header(points.count, props, [f"axes {axes}", *comments]) + rows.tobytes()


def normal_rotations(normals_n3: np.ndarray) -> np.ndarray:
    """Unit quaternions (w, x, y, z) turning +Z onto each unit normal."""
    n = np.asarray(normals_n3, np.float64)
    n = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    q = np.stack([1.0 + n[:, 2], -n[:, 1], n[:, 0], np.zeros(len(n))], axis=1)
    opposite = q[:, 0] < 1e-9
    q[opposite] = [0.0, 1.0, 0.0, 0.0]
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def splat_arrays(points: SurfacePoints, *, axes: str = "z_up", opacity: float = 0.95,
                 thickness: float = 0.15, size: float = 1.0) -> np.ndarray:
    """The splat attributes as a structured float32 array with the fields in SPLAT_FIELDS."""
    if not (0 < opacity < 1 and 0 < thickness <= 1 and 0 < size <= 10):
        raise PlyError("opacity must be in (0, 1), thickness in (0, 1] and size in (0, 10]")
    xyz, nrm = _axes(points, axes)
    cols = np.zeros((points.count, len(SPLAT_FIELDS)), "<f4")
    cols[:, 0:3], cols[:, 3:6] = xyz, nrm
    cols[:, 6:9] = (points.rgb - 0.5) / SH_C0
    at = SPLAT_FIELDS.index("opacity")
    cols[:, at] = np.log(opacity / (1 - opacity))
    log_r = np.log(np.sqrt(np.maximum(points.area_m2, 1e-8) / np.pi) * size)
    cols[:, at + 1], cols[:, at + 2], cols[:, at + 3] = log_r, log_r, log_r + np.log(thickness)
    cols[:, at + 4:at + 8] = normal_rotations(nrm)
    return cols.view(np.dtype([(n, "<f4") for n in SPLAT_FIELDS])).reshape(points.count)


def splat_ply(points: SurfacePoints, *, axes: str = "z_up", comments: Sequence[str] = (), opacity: float = 0.95,
              thickness: float = 0.15, size: float = 1.0) -> bytes:
    """A 3D Gaussian splat PLY in the standard attribute layout."""
    _check_comments(comments)
    rows = splat_arrays(points, axes=axes, opacity=opacity, thickness=thickness, size=size)
    return _header(points.count, [(n, "float") for n in SPLAT_FIELDS], [f"axes {axes}", *comments]) + rows.tobytes()


def read_ply(data: bytes) -> tuple[dict[str, str], np.ndarray]:
    """A binary little-endian single-element PLY (as written here) → (header comments by key, rows)."""
    end = data.index(b"end_header\n") + len(b"end_header\n")
    lines = data[:end].decode("utf-8").splitlines()
    if lines[:2] != ["ply", "format binary_little_endian 1.0"]:
        raise PlyError("only binary little-endian PLY is read here")
    types = {"float": "<f4", "uchar": "u1", "int": "<i4", "double": "<f8"}
    fields, count, comments = [], 0, {}
    for line in lines[2:]:
        word = line.split(" ", 2)
        if word[0] == "comment":
            comments[word[1]] = word[2] if len(word) > 2 else ""
        elif word[0] == "element":
            count = int(word[2])
        elif word[0] == "property":
            fields.append((word[2], types[word[1]]))
    return comments, np.frombuffer(data, np.dtype(fields), count=count, offset=end)
