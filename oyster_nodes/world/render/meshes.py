"""Procedural low-poly geometry for the renderer: vegetation and props, structures, terrain patches, water.

Meshes are flat-shaded triangle lists (no index buffer): position, normal, linear colour and a `part` code
the shaders use: 0 plain, 1 foliage (season tint, translucency), 2 lamp (glows at night), 3 window, 4 facade
windows (a highrise's, drawn with frames, mullions and lit rooms by mesh.frag; their colour holds window coordinates).
Instance meshes are in metres for scale 1, standing on z = 0, facing +X at yaw 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..state.records import Structure
from ..state.world_state import ANIMAL_KINDS
from .lighting import srgb_to_linear

PLAIN, FOLIAGE, LAMP, WINDOW, FACADE = 0.0, 1.0, 2.0, 3.0, 4.0
#: builders kept in modules of their own that build on the helpers here (farm_vehicles.py, flowers.py): each puts
#: its builders in on import and the render package imports both, so this module never imports them
BUILDERS: dict[str, Callable[..., Any]] = {}


@dataclass(kw_only=True, slots=True)
class Mesh:
    """A flat-shaded triangle list; every array has 3 * triangles rows."""

    pos: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    nrm: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    col: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    part: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.float32))

    @property
    def triangles(self) -> int:
        return len(self.pos) // 3

    def interleaved(self, extra: np.ndarray | None = None) -> np.ndarray:
        """float32 rows: pos3 nrm3 col3 part1 (+ extra columns)."""
        cols = [self.pos, self.nrm, self.col, self.part[:, None]]
        if extra is not None:
            cols.append(extra.reshape(len(self.pos), -1))
        return np.ascontiguousarray(np.concatenate(cols, axis=1), dtype=np.float32)


def merge(meshes: list[Mesh]) -> Mesh:
    meshes = [m for m in meshes if m.triangles]
    if not meshes:
        return Mesh()
    return Mesh(
        pos=np.concatenate([m.pos for m in meshes]),
        nrm=np.concatenate([m.nrm for m in meshes]),
        col=np.concatenate([m.col for m in meshes]),
        part=np.concatenate([m.part for m in meshes]),
    )


def from_faces(
    verts: np.ndarray, faces: np.ndarray, rgb: tuple[float, float, float], part: float = PLAIN
) -> Mesh:
    """Flat-shaded mesh from an indexed one (faces counter-clockwise seen from outside)."""
    tri = np.asarray(verts, np.float64)[np.asarray(faces).reshape(-1)].reshape(-1, 3, 3)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    count = len(tri) * 3
    return Mesh(
        pos=tri.reshape(-1, 3).astype(np.float32),
        nrm=np.repeat(n, 3, axis=0).astype(np.float32),
        col=np.tile(np.asarray(rgb, np.float32), (count, 1)),
        part=np.full(count, part, np.float32),
    )


def transform(
    m: Mesh,
    *,
    scale: tuple[float, float, float] = (1, 1, 1),
    yaw: float = 0.0,
    offset: tuple[float, float, float] = (0, 0, 0),
) -> Mesh:
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    sc = np.asarray(scale, np.float64)
    pos = (m.pos * sc) @ rot.T + np.asarray(offset)
    nrm = (m.nrm / sc) @ rot.T
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    return Mesh(pos=pos.astype(np.float32), nrm=nrm.astype(np.float32), col=m.col, part=m.part)


# --- primitives -----------------------------------------------------------------------------------


def frustum(
    r0: float,
    r1: float,
    z0: float,
    z1: float,
    seg: int,
    rgb: tuple[float, float, float],
    part: float = PLAIN,
    caps: bool = True,
    phase: float = 0.0,
    bottom: bool = True,
) -> Mesh:
    """A (truncated) cone or cylinder around the Z axis; r1 = 0 gives a cone (one triangle per side).

    `caps` closes the ends (a cone has only the bottom one); `bottom=False` leaves the bottom open, for
    trunks and stems that stand in the ground."""
    a = phase + 2 * np.pi * np.arange(seg) / seg
    ring = np.stack([np.cos(a), np.sin(a)], axis=1)
    verts = np.concatenate(
        [
            np.c_[ring * r0, np.full(seg, z0)],
            np.c_[ring * max(r1, 1e-4), np.full(seg, z1)],
            [[0, 0, z0], [0, 0, z1]],
        ]
    )
    k = np.arange(seg)
    k1 = (k + 1) % seg
    if r1 <= 0.0:
        faces = [np.stack([k, k1, np.full(seg, 2 * seg + 1)], 1)]
    else:
        faces = [np.stack([k, k1, seg + k1], 1), np.stack([k, seg + k1, seg + k], 1)]
    if caps and bottom:
        faces.append(np.stack([np.full(seg, 2 * seg), k1, k], 1))
    if caps and r1 > 0.0:
        faces.append(np.stack([np.full(seg, 2 * seg + 1), seg + k, seg + k1], 1))
    return from_faces(verts, np.concatenate(faces), rgb, part)


def box(
    center: tuple[float, float, float],
    size: tuple[float, float, float],
    rgb: tuple[float, float, float],
    part: float = PLAIN,
) -> Mesh:
    c, h = np.asarray(center, np.float64), np.asarray(size, np.float64) / 2
    v = np.array([[x, y, z] for z in (-1, 1) for y in (-1, 1) for x in (-1, 1)], np.float64) * h + c
    faces = np.array(
        [
            [0, 2, 1],
            [1, 2, 3],
            [4, 5, 6],
            [5, 7, 6],
            [0, 1, 4],
            [1, 5, 4],
            [2, 6, 3],
            [3, 6, 7],
            [0, 4, 2],
            [2, 4, 6],
            [1, 3, 5],
            [3, 7, 5],
        ]
    )
    return from_faces(v, faces, rgb, part)


def _icosahedron() -> tuple[np.ndarray, np.ndarray]:
    t = (1 + 5**0.5) / 2
    v = np.array(
        [
            [-1, t, 0],
            [1, t, 0],
            [-1, -t, 0],
            [1, -t, 0],
            [0, -1, t],
            [0, 1, t],
            [0, -1, -t],
            [0, 1, -t],
            [t, 0, -1],
            [t, 0, 1],
            [-t, 0, -1],
            [-t, 0, 1],
        ],
        np.float64,
    )
    f = np.array(
        [
            [0, 11, 5],
            [0, 5, 1],
            [0, 1, 7],
            [0, 7, 10],
            [0, 10, 11],
            [1, 5, 9],
            [5, 11, 4],
            [11, 10, 2],
            [10, 7, 6],
            [7, 1, 8],
            [3, 9, 4],
            [3, 4, 2],
            [3, 2, 6],
            [3, 6, 8],
            [3, 8, 9],
            [4, 9, 5],
            [2, 4, 11],
            [6, 2, 10],
            [8, 6, 7],
            [9, 8, 1],
        ]
    )
    return v / np.linalg.norm(v, axis=1, keepdims=True), f


def blob(
    center: tuple[float, float, float],
    radii: tuple[float, float, float],
    rgb: tuple[float, float, float],
    part: float = FOLIAGE,
    seed: int = 0,
    jitter: float = 0.12,
) -> Mesh:
    """A lumpy low-poly sphere (icosahedron with seeded radial jitter)."""
    v, f = _icosahedron()
    r = 1.0 + jitter * np.random.default_rng(seed).uniform(-1, 1, len(v))
    return from_faces(v * r[:, None] * np.asarray(radii) + np.asarray(center), f, rgb, part)


def blade(
    angle: float,
    length: float,
    width: float,
    rise: float,
    rgb: tuple[float, float, float],
    z0: float = 0.0,
    part: float = FOLIAGE,
) -> Mesh:
    """A drooping leaf or frond from the origin outwards (one-sided: open meshes are drawn from both sides)."""
    d = np.array([math.cos(angle), math.sin(angle), 0.0])
    side = np.array([-d[1], d[0], 0.0]) * width / 2
    base, mid, tip = (
        np.array([0, 0, z0]),
        d * length * 0.5 + [0, 0, z0 + rise],
        d * length + [0, 0, z0 + rise * 0.2],
    )
    v = np.array([base, mid + side, mid - side, tip])
    f = np.array([[0, 2, 1], [1, 2, 3]])
    return from_faces(v, f, rgb, part)


# --- instance kinds -------------------------------------------------------------------------------

BARK, DARK_BARK = (0.22, 0.14, 0.08), (0.12, 0.1, 0.09)
NEEDLE, LEAF, PALM_LEAF = (0.04, 0.12, 0.05), (0.08, 0.2, 0.05), (0.07, 0.22, 0.05)
STONE = (0.33, 0.32, 0.3)


#: per tree look (WorldSpec.modifiers["trees"]): bark colour, leaf colour (linear)
TREE_LOOKS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "": (BARK, LEAF),
    "birch": ((0.62, 0.6, 0.55), (0.12, 0.24, 0.05)),
    "blossom": ((0.16, 0.1, 0.07), (0.78, 0.38, 0.46)),
    "dark": (DARK_BARK, (0.03, 0.08, 0.03)),
    "green": (BARK, (0.07, 0.22, 0.04)),
    # bare crowns in winter (_bare_broadleaf: limbs and twigs, no leaves; the renderer lays snow on their tops);
    # a birch's white bark
    "winter": (BARK, (0.11, 0.09, 0.08)),
    "birch_winter": ((0.78, 0.77, 0.72), (0.13, 0.1, 0.1)),
}
#: looks whose crowns are not leaves (no foliage tint, no autumn colour)
BARE_LOOKS = ("winter", "birch_winter")


def tree_look(spec: dict) -> str:
    """The look a world's spec asks of its trees ("" by default): a TREE_LOOKS entry for broadleaf trees, or
    "autumn" in an autumn world (conifers then keep their green: their needles take no autumn tint)."""
    look = str((spec.get("modifiers") or {}).get("trees", ""))
    look = "" if look == "cypress" else look  # the conifers' form (look_of); broadleaf trees keep their own look
    if spec.get("season") == "winter" and look in ("", "birch", "bare"):
        return "birch_winter" if look == "birch" else "winter"
    if look and look in TREE_LOOKS:
        return look
    return "autumn" if spec.get("season") == "autumn" else ""


def _limb(z0: float, length: float, r0: float, r1: float, tilt: float, yaw: float, rgb: tuple[float, float, float],
          seg: int = 3) -> Mesh:
    """A branch from the trunk at height z0, leaning `tilt` radians out from vertical towards `yaw`."""
    b = frustum(r0, r1, 0.0, length, seg, rgb, caps=False)
    c, s = math.cos(tilt), math.sin(tilt)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])  # about y: +z leans towards +x
    pos, nrm = (b.pos @ rot.T).astype(np.float32), (b.nrm @ rot.T).astype(np.float32)
    return transform(Mesh(pos=pos, nrm=nrm, col=b.col, part=b.part), yaw=yaw, offset=(0, 0, z0))


def soft(mesh: Mesh, centre: tuple[float, float, float], radii: tuple[float, float, float],
         crown: tuple[float, float, float] | None = None) -> Mesh:
    """The mesh shaded as a soft mass instead of facets: each vertex's normal is the ellipsoid's (centre, radii)
    through it, bent towards the direction from `crown` (the middle of the whole crown, so that the masses of one
    tree shade as one)."""
    d = (mesh.pos - np.asarray(centre, np.float32)) / np.asarray(radii, np.float32) ** 2
    n = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    if crown is not None:
        out = mesh.pos - np.asarray(crown, np.float32)
        n = n + 0.7 * out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    return Mesh(pos=mesh.pos, nrm=n.astype(np.float32), col=mesh.col, part=mesh.part)


def _whorl(z0: float, r: float, z1: float, phase: float, seg: int = 12) -> Mesh:
    """A tier of a conifer's branches: a cone whose rim alternates long drooping branch tips and shorter ones
    between them (a ragged star, not a smooth cone), shaded soft (outward and up)."""
    cone = frustum(r, 0.0, z0, z1, seg, NEEDLE, FOLIAGE, caps=False, phase=phase)
    pos = cone.pos.astype(np.float64).copy()
    rim = pos[:, 2] < z0 + 1e-6
    ang = np.arctan2(pos[:, 1], pos[:, 0]) - phase
    k = np.round(ang / (2 * math.pi / seg)).astype(int) % seg
    long_tip = (k % 2) == 0
    pos[rim, :2] *= np.where(long_tip[rim], 1.0, 0.68)[:, None]
    pos[rim, 2] -= np.where(long_tip[rim], 0.35 * r / 2.9, 0.0)
    radial = np.hypot(pos[:, 0], pos[:, 1])
    n = np.c_[pos[:, :2] / np.maximum(radial, 1e-6)[:, None] * (z1 - z0), np.full(len(pos), r)]
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return Mesh(pos=pos.astype(np.float32), nrm=n.astype(np.float32), col=cone.col, part=cone.part)


def _conifer(lod: int) -> Mesh:
    """A spruce-like spire: a trunk and ragged tiers of drooping branches, narrowing to the crown."""
    if lod:
        parts = [frustum(0.28, 0.18, 0, 2.6, 3, BARK, caps=False)]
        parts.append(frustum(2.5, 0.0, 1.8, 12.0, 4, NEEDLE, FOLIAGE, caps=False))
        return merge(parts)
    parts = [frustum(0.3, 0.12, 0, 9.0, 5, BARK, caps=False)]
    whorls = ((1.6, 2.9, 4.6), (3.3, 2.4, 6.4), (5.0, 1.9, 8.1), (6.7, 1.35, 9.8), (8.3, 0.85, 11.2),
              (9.6, 0.45, 12.4))
    for i, (z0, r, z1) in enumerate(whorls):
        parts.append(_whorl(z0, r, z1, 0.9 * i, seg=12 if i < 4 else 8))
    under = frustum(2.9 * 0.66, 2.9 * 0.3, 1.6, 2.1, 7, NEEDLE, FOLIAGE, caps=False)  # hidden in the tips
    return merge(parts + [under])


#: a Mediterranean cypress: its column's radius (m) at heights up the tree, its tip, and its darker needles
CYPRESS_PROFILE = ((0.9, 0.55), (2.4, 1.15), (4.6, 1.3), (7.4, 1.1), (10.2, 0.65), (12.2, 0.22))
CYPRESS_TIP_M = 13.2
CYPRESS_NEEDLE = (0.03, 0.085, 0.035)


def _cypress(lod: int) -> Mesh:
    """A cypress: a short trunk under a tall narrow column of foliage, thickest a third of the way up and
    tapering to a point (a flame, not a cone), shaded as one soft mass. Far away: the column alone."""
    prof = CYPRESS_PROFILE if lod == 0 else (CYPRESS_PROFILE[0], CYPRESS_PROFILE[2])
    seg = 7 if lod == 0 else 4
    column = [frustum(r0, r1, z0, z1, seg, CYPRESS_NEEDLE, FOLIAGE, caps=False, phase=0.4 * k)
              for k, ((z0, r0), (z1, r1)) in enumerate(zip(prof, prof[1:], strict=False))]
    column.append(frustum(prof[-1][1], 0.0, prof[-1][0], CYPRESS_TIP_M, seg, CYPRESS_NEEDLE, FOLIAGE, caps=False))
    mass = soft(merge(column), (0.0, 0.0, 5.0), (1.3, 1.3, 6.5))
    return mass if lod else merge([frustum(0.22, 0.16, 0, 1.4, 5, BARK, caps=False), mass])


def _broadleaf(lod: int, bark: tuple[float, float, float] = BARK,
               leaf: tuple[float, float, float] = LEAF) -> Mesh:
    """A trunk that forks into limbs, each carrying a leaf mass, under a crown mass."""
    if lod:  # a trunk under one ovoid crown, taller than wide: a pentagonal bipyramid (10 triangles)
        parts = [frustum(0.35, 0.22, 0, 4.8, 3, bark, caps=False)]
        ring = [(2.6 * math.cos(a), 2.6 * math.sin(a), 6.6) for a in np.arange(5) * 2 * math.pi / 5]
        v = np.array([*ring, (0.0, 0.0, 10.2), (0.0, 0.0, 3.9)])
        f = [[k, (k + 1) % 5, 5] for k in range(5)] + [[(k + 1) % 5, k, 6] for k in range(5)]
        parts.append(from_faces(v, np.array(f), leaf, FOLIAGE))
        return merge(parts)
    parts = [frustum(0.36, 0.2, 0, 5.2, 6, bark, caps=False)]
    masses = []
    for k in range(4):
        yaw, tilt, length = 0.4 + 2 * math.pi * k / 4 + 0.3 * (k % 2), 0.75 + 0.12 * (k % 3), 3.0 + 0.5 * (k % 2)
        z0 = 2.9 + 0.55 * k
        parts.append(_limb(z0, length, 0.15, 0.06, tilt, yaw, bark))
        reach = length * math.sin(tilt)
        tip = (reach * math.cos(yaw), reach * math.sin(yaw), z0 + length * math.cos(tilt) + 0.6)
        size = 1.9 - 0.15 * (k % 2)
        radii = (size, size, size * 0.8)
        masses.append(soft(blob(tip, radii, leaf, seed=11 + k, jitter=0.2), tip, radii, CROWN))
    masses.append(soft(blob(CROWN, (2.4, 2.4, 1.9), leaf, seed=10, jitter=0.2), CROWN, (2.4, 2.4, 1.9)))
    return merge(parts + masses)


#: the middle of a near broadleaf tree's crown (its top mass)
CROWN = (0.2, -0.1, 7.9)


#: a far bare crown reads as a haze of twigs and hoar frost: this pale grey blended into the bark's colour
TWIG_FROST = (0.5, 0.48, 0.47)


def _limb_tip(z0: float, length: float, tilt: float, yaw: float) -> tuple[float, float, float]:
    reach = length * math.sin(tilt)
    return reach * math.cos(yaw), reach * math.sin(yaw), z0 + length * math.cos(tilt)


def _bare_broadleaf(lod: int, bark: tuple[float, float, float]) -> Mesh:
    """A broadleaf tree in winter: its trunk, limbs that fork into fine branches and twigs, and no leaves (LOD 1:
    the trunk, four limbs and their forks; a far bare wood reads as a haze of pale trunks and branches)."""
    if lod:
        parts = [frustum(0.35, 0.12, 0, 8.0, 3, bark, caps=False)]
        for k in range(4):
            z0, yaw = 3.0 + 0.9 * k, 0.5 + 2 * math.pi * k / 4
            parts.append(_limb(z0, 3.0, 0.12, 0.05, 0.6, yaw, bark, seg=3))
            tip = _limb_tip(z0, 3.0, 0.6, yaw)
            parts += [transform(_limb(0.0, 1.8, 0.05, 0.02, 0.4, yaw + 0.6 * t, bark, seg=3), offset=tip)
                      for t in (-1, 1)]
        return merge(parts)
    parts = [frustum(0.34, 0.1, 0, 8.6, 6, bark, caps=False)]
    for k in range(6):
        yaw, tilt = 0.4 + 2 * math.pi * k / 6 + 0.35 * (k % 2), 0.55 + 0.14 * (k % 3)
        z0, length = 2.6 + 0.75 * k, 3.2 - 0.2 * (k % 3)
        parts.append(_limb(z0, length, 0.13, 0.05, tilt, yaw, bark, seg=4))
        tip = _limb_tip(z0, length, tilt, yaw)
        for side in (-1, 1):  # each limb forks into two branches, each branch into two twigs
            b_yaw, b_tilt, b_len = yaw + 0.5 * side, tilt * 0.7, 1.9 - 0.2 * (k % 2)
            parts.append(transform(_limb(0.0, b_len, 0.05, 0.02, b_tilt, b_yaw, bark, seg=3), offset=tip))
            end = np.add(tip, _limb_tip(0.0, b_len, b_tilt, b_yaw))
            parts += [transform(_limb(0.0, 0.9, 0.02, 0.008, b_tilt * 0.6 + 0.3 * t, b_yaw + 0.45 * t, bark, seg=3),
                                offset=tuple(end)) for t in (-1, 1)]
    return merge(parts)


def _palm(lod: int) -> Mesh:
    parts = [frustum(0.32, 0.2, 0, 10.5, 5 if lod == 0 else 3, (0.42, 0.33, 0.22), bottom=False)]
    fronds = 9 if lod == 0 else 5
    parts += [
        blade(2 * math.pi * k / fronds + 0.2, 5.2, 1.6, 0.6, PALM_LEAF, z0=10.3)
        for k in range(fronds)
    ]
    return merge(parts)


def _icosphere(level: int) -> tuple[np.ndarray, np.ndarray]:
    """A unit icosahedron with each face split into 4**level (shared vertices, faces counter-clockwise)."""
    v, f = _icosahedron()
    verts = [tuple(p) for p in v]
    for _ in range(level):
        mid: dict[tuple[int, int], int] = {}
        nf = []
        for tri in f:
            m = []
            for a, b in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])):
                key = (min(a, b), max(a, b))
                if key not in mid:
                    p = (np.asarray(verts[a]) + np.asarray(verts[b])) / 2
                    verts.append(tuple(p / np.linalg.norm(p)))
                    mid[key] = len(verts) - 1
                m.append(mid[key])
            ab, bc, ca = m
            nf += [(tri[0], ab, ca), (tri[1], bc, ab), (tri[2], ca, bc), (ab, bc, ca)]
        f = np.asarray(nf)
    return np.asarray(verts, np.float64), np.asarray(f)


def smooth_mesh(verts: np.ndarray, faces: np.ndarray, nrm: np.ndarray, col: np.ndarray, part: float) -> Mesh:
    """A triangle list from an indexed mesh with per-vertex normals and colours (shaded smooth, not in facets)."""
    idx = np.asarray(faces).reshape(-1)
    return Mesh(pos=np.asarray(verts, np.float32)[idx], nrm=np.asarray(nrm, np.float32)[idx],
                col=np.asarray(col, np.float32)[idx], part=np.full(len(idx), part, np.float32))


#: a shrub's leaves: the shaded underside near the ground, the sunlit top (linear)
SHRUB_DARK, SHRUB_LIGHT = (0.018, 0.045, 0.014), (0.075, 0.19, 0.04)
SHRUB_TOP_M = 1.45
#: the lobes of a near shrub: centre (x, y, z) and radius (m); the first is the middle mass
SHRUB_LOBES = (
    ((0.0, 0.0, 0.74), 0.66),
    ((0.52, 0.16, 0.58), 0.46),
    ((-0.2, 0.5, 0.6), 0.48),
    ((-0.48, -0.26, 0.56), 0.44),
    ((0.18, -0.5, 0.54), 0.42),
    ((0.06, 0.04, 1.08), 0.4),
)
SHRUB_MIDDLE = (0.0, 0.0, 0.7)


def _leaf_lobe(centre: tuple[float, float, float], r: float, level: int, seed: int, squash: float = 0.85,
               tone: float = 0.0, lift: float = 1.0) -> Mesh:
    """One rounded mass of a shrub's leaves: a lumpy sphere (flattened to `squash` of its width), its normals
    smoothed outward from the shrub's middle so that the lobes shade as one soft body; darker low down (the shade
    of the mass over it) and towards the ground, lighter on top, dappled leaf by leaf; `lift` lightens it all (the
    bunches of leaves at the tips of twigs, in the light)."""
    v, f = _icosphere(level)
    rng = np.random.default_rng(seed)
    lump = 1.0 + rng.uniform(-0.16, 0.16, len(v))
    radii = np.array([r, r, r * squash])
    pos = v * lump[:, None] * radii + np.asarray(centre)
    pos[:, 2] = np.maximum(pos[:, 2], 0.12)  # the foot of the mass flattens over the stems
    own = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    out = pos - np.asarray(SHRUB_MIDDLE)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    nrm = own + 0.8 * out + np.array([0.0, 0.0, 0.25]) + rng.normal(0.0, 0.22, (len(v), 3))  # leaf clusters
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    up = np.clip(pos[:, 2] / SHRUB_TOP_M, 0.0, 1.0)
    t = np.clip(0.15 + 0.85 * up**0.8 * (0.55 + 0.45 * np.clip(own[:, 2] + 0.4, 0.0, 1.0)), 0.0, 1.0)
    t = t * (0.85 + 0.3 * rng.random(len(v)))  # leaf clusters catching more or less light
    dark, light = np.asarray(SHRUB_DARK), np.asarray(SHRUB_LIGHT) * (1.0 + np.array([0.12, 0.0, -0.1]) * tone)
    col = dark + (light - dark) * np.clip(t * lift, 0.0, 1.15)[:, None]
    return smooth_mesh(pos, f, nrm, col, FOLIAGE)


def _shrub(lod: int) -> Mesh:
    """A bush: overlapping rounded lobes of leaves, shaded as one soft mass, on a few woody stems. LOD 1 has the
    same lobes, coarser (but the top one), each inside its near lobe."""
    lobes = []
    for k, (c, r) in enumerate(SHRUB_LOBES):
        level = 2 if r > 0.6 or c[2] > 1.0 else 1
        if lod:
            if c[2] > 1.0:
                continue
            level -= 1
        lobes.append(_leaf_lobe(c, r, level, 30 + k, tone=(-1.0, 1.0)[k % 2] * (k > 0)))
    if lod:
        return merge(lobes)
    stems = [_limb(0.0, 0.55, 0.045, 0.025, 0.35, yaw, BARK, seg=3) for yaw in (0.3, 2.4, 4.4)]
    return merge(stems + lobes + _leaf_sprigs())


def _shrub_caster() -> Mesh:
    """What a shrub casts its shadow with: its lobes as plain icosahedra (inside the near and far lobes)."""
    return merge([_leaf_lobe(c, r, 0, 30 + k) for k, (c, r) in enumerate(SHRUB_LOBES) if c[2] <= 1.0])


#: how many small bunches of leaves stand out of a near shrub's lobes (breaking its outline into leafy tufts)
SHRUB_SPRIGS = 22


def _leaf_sprigs() -> list[Mesh]:
    """Small bunches of leaves standing half out of the lobes' surfaces, where no other lobe covers them."""
    rng = np.random.default_rng(50)
    centres = np.array([c for c, _ in SHRUB_LOBES])
    radii = np.array([r for _, r in SHRUB_LOBES])
    out: list[Mesh] = []
    while len(out) < SHRUB_SPRIGS:
        k = int(rng.integers(len(SHRUB_LOBES)))
        d = rng.normal(size=3)
        d[2] = abs(d[2]) * 0.8 - 0.15  # mostly on the upper and outer faces
        d /= np.linalg.norm(d)
        at = centres[k] + d * radii[k] * np.array([1.0, 1.0, 0.85]) * 1.04
        inside = np.linalg.norm((at - centres) / (radii[:, None] * np.array([1.0, 1.0, 0.85])), axis=1)
        if at[2] < 0.35 or np.any(np.delete(inside, k) < 1.0):
            continue
        out.append(_leaf_lobe(tuple(at), float(rng.uniform(0.1, 0.16)), 0, 60 + len(out), squash=0.8,
                              tone=float(rng.uniform(-0.5, 0.5)), lift=1.15))
    return out


#: a grass blade's colour at its foot, halfway and at its tip (linear)
GRASS_BASE, GRASS_MID, GRASS_TIP = (0.04, 0.08, 0.02), (0.11, 0.24, 0.05), (0.22, 0.34, 0.08)


def _blades(n: int, seg: int, seed: int, spread: float = 1.0) -> Mesh:
    """A tuft of n thin tapered blades fanning out from one foot, each curving outward as it rises, darker at
    the foot than at the tip; normals lean outward and up so the tuft shades as a soft clump from either side."""
    rng = np.random.default_rng(seed)
    golden = math.pi * (3.0 - math.sqrt(5.0))
    pos, nrm, col = [], [], []
    t = np.linspace(0.0, 1.0, seg + 1)
    for k in range(n):
        a = golden * k + rng.uniform(-0.3, 0.3)
        d = np.array([math.cos(a), math.sin(a), 0.0])
        side = np.array([-d[1], d[0], 0.0])
        inner = k / max(n - 1, 1)  # later blades stand further out and lean more
        length = rng.uniform(0.38, 0.56) * (1.05 - 0.25 * inner)
        lean = (0.15 + 0.75 * inner) * spread * rng.uniform(0.8, 1.2)  # how far out the tip reaches, per length
        width = rng.uniform(0.035, 0.055)
        foot = d * rng.uniform(0.0, 0.05)
        # the centreline: rising, bending outward ever more (a drooping tip on the longest leaning blades)
        out = lean * length * t**1.6
        up = length * (t - 0.35 * lean * t**2.2)
        centre = foot + np.outer(out, d) + np.outer(up, [0.0, 0.0, 1.0])
        half = width / 2 * (1.0 - t**1.3)
        left, right = centre + np.outer(half, side), centre - np.outer(half, side)
        normal = d * (0.35 + 0.5 * t)[:, None] + np.outer(np.ones_like(t), [0.0, 0.0, 1.0])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        tone = rng.uniform(0.85, 1.15)
        shade = np.where(t[:, None] < 0.5, GRASS_BASE + (np.asarray(GRASS_MID) - GRASS_BASE) * (t[:, None] / 0.5),
                         GRASS_MID + (np.asarray(GRASS_TIP) - GRASS_MID) * ((t[:, None] - 0.5) / 0.5)) * tone
        for s in range(seg):
            if s < seg - 1:
                quad = [(left, s), (right, s), (right, s + 1), (left, s), (right, s + 1), (left, s + 1)]
            else:  # the tip: one triangle to a point
                quad = [(left, s), (right, s), (centre, s + 1)]
            for arr, i in quad:
                pos.append(arr[i])
                nrm.append(normal[i])
                col.append(shade[i])
    count = len(pos)
    return Mesh(pos=np.asarray(pos, np.float32), nrm=np.asarray(nrm, np.float32), col=np.asarray(col, np.float32),
                part=np.full(count, FOLIAGE, np.float32))


#: the small tufts beside a grass clump's main one: offset (m), size, blades near and far
GRASS_SIDE_TUFTS = (((0.3, 0.14), 0.72, 6, 3), ((-0.2, -0.27), 0.62, 5, 2))


def _grass(lod: int) -> Mesh:
    """A clump of grass: a tuft of many thin curved blades fanning out from one foot and two smaller tufts beside
    it (LOD 1: fewer blades, fewer bends)."""
    seg = 3 if lod == 0 else 2
    parts = [_blades(14 if lod == 0 else 7, seg, 21 + lod)]
    for k, ((x, y), size, near, far) in enumerate(GRASS_SIDE_TUFTS):
        tuft = _blades(near if lod == 0 else far, seg, 31 + k)
        parts.append(transform(tuft, scale=(size, size, size), offset=(x, y, 0.0)))
    return merge(parts)


def _leaves(n: int) -> Mesh:
    """A few broad flat leaves at a flower's foot."""
    return merge([blade(2 * math.pi * k / n, 0.35, 0.12, 0.45, (0.15, 0.3, 0.08)) for k in range(n)])


def _flower(lod: int) -> Mesh:
    parts = [_leaves(3)]
    for k, rgb in enumerate(((0.85, 0.15, 0.2), (0.9, 0.75, 0.1), (0.7, 0.3, 0.8))):
        a = 2.1 * k
        parts.append(
            blob((0.12 * math.cos(a), 0.12 * math.sin(a), 0.38), (0.07, 0.07, 0.05), rgb, PLAIN, seed=k)
        )
    if lod:  # the stems and one bloom as a small cone
        return merge([parts[0], frustum(0.09, 0.0, 0.33, 0.46, 3, (0.85, 0.3, 0.35), phase=0.5)])
    return merge(parts)


def _cactus(lod: int) -> Mesh:
    g = (0.15, 0.3, 0.12)
    seg = 6 if lod == 0 else 4
    parts = [frustum(0.35, 0.3, 0, 3.2, seg, g, FOLIAGE, bottom=False)]
    if lod == 0:
        parts += [
            box((0.55, 0, 1.4), (0.8, 0.3, 0.3), g, FOLIAGE),
            frustum(0.2, 0.18, 1.4, 2.4, seg, g, FOLIAGE),
            box((-0.5, 0, 1.9), (0.7, 0.28, 0.28), g, FOLIAGE),
        ]
        parts[-2] = transform(parts[-2], offset=(0.85, 0, 0))
    return merge(parts)


def _dead_tree(lod: int) -> Mesh:
    parts = [frustum(0.3, 0.08, 0, 7.0, 5 if lod == 0 else 3, DARK_BARK, bottom=False)]
    if lod == 0:
        for k in range(4):
            a = 1.7 * k
            branch = frustum(0.1, 0.03, 0, 2.5, 3, DARK_BARK)
            tilt = transform(branch, scale=(1, 1, 1))
            pos = tilt.pos.astype(np.float64)
            pos[:, 0] += pos[:, 2] * 0.8
            parts.append(
                transform(
                    Mesh(pos=pos.astype(np.float32), nrm=tilt.nrm, col=tilt.col, part=tilt.part),
                    yaw=a,
                    offset=(0, 0, 3.0 + 0.8 * k),
                )
            )
    return merge(parts)


#: how far a rock's vertex normals lean from its facets towards the smooth ellipsoid through them (0 facets, 1 smooth)
ROCK_SMOOTH = 0.6


def _rock(lod: int, size: float = 1.0, colour: tuple[float, float, float] = STONE) -> Mesh:
    """A lumpy stone, the same shape near and far (an icosahedron of 20 faces, so a far boulder is no octahedron
    popping into a rounder one), its normals leaning towards a smooth mass: weathered, not cut."""
    centre, radii = (0.0, 0.0, 0.25 * size), (0.6 * size, 0.5 * size, 0.45 * size)
    lump = blob(centre, radii, colour, PLAIN, seed=7, jitter=0.25)
    smooth = soft(lump, centre, radii).nrm
    n = (1.0 - ROCK_SMOOTH) * lump.nrm + ROCK_SMOOTH * smooth
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)
    return Mesh(pos=lump.pos, nrm=n.astype(np.float32), col=lump.col, part=lump.part)


#: linear paint colours of the vehicle modifier words ("a black car"); red when none is named
VEHICLE_PAINT: dict[str, tuple[float, float, float]] = {
    "red": (0.45, 0.08, 0.06), "black": (0.025, 0.025, 0.03), "silver": (0.42, 0.43, 0.45),
    "white": (0.75, 0.75, 0.74), "blue": (0.05, 0.12, 0.4), "yellow": (0.7, 0.5, 0.04), "green": (0.06, 0.22, 0.08),
}


#: the car bodies the vehicle words choose (see vehicle_body); "sedan" when none is named
VEHICLE_BODIES = ("sedan", "sports", "suv", "pickup", "van", "truck", "bus", "tractor", "harvester", "double_decker",
                  "estate", "hatchback")
#: words (singular) -> body; the first such word in the prompt decides
BODY_WORDS: dict[str, str] = {
    "sports": "sports", "coupe": "sports", "roadster": "sports", "supercar": "sports", "hypercar": "sports",
    "racecar": "sports", "convertible": "sports", "racing": "sports", "suv": "suv", "jeep": "suv",
    "offroader": "suv", "crossover": "suv", "landcruiser": "suv", "rover": "suv", "pickup": "pickup", "ute": "pickup",
    "van": "van", "minivan": "van", "campervan": "van", "camper": "van", "minibus": "van", "truck": "truck",
    "lorry": "truck", "bus": "bus", "coach": "bus", "decker": "double_decker", "doubledecker": "double_decker",
    "routemaster": "double_decker", "sedan": "sedan", "car": "sedan", "taxi": "sedan",
    "hatchback": "hatchback", "hatch": "hatchback", "limousine": "sedan", "automobile": "sedan", "estate": "estate",
    "wagon": "estate", "saloon": "sedan",
    "tractor": "tractor", "combine": "harvester", "harvester": "harvester",
}


def vehicle_body(text: str) -> str:
    """The body a prompt's words ask of its vehicles ("a red pickup" -> pickup); sedan when none is named."""
    looks = vehicle_looks(text)
    return looks[0][1] if looks else "sedan"


#: bodies with a paint of their own when none is named (a city's taxis are yellow)
OWN_PAINT: dict[str, str] = {"taxi": "yellow", "cab": "yellow"}
#: paint words of a vehicle (concepts.MODIFIERS["vehicle"] reads the same ones for the first vehicle)
PAINT_WORDS: dict[str, str] = {"black": "black", "red": "red", "silver": "silver", "white": "white", "blue": "blue",
                               "yellow": "yellow", "green": "green", "grey": "silver", "gray": "silver",
                               "dark": "black"}
#: body words that only say "a car" after a more specific one ("a sports car" is one sports car)
GENERIC_BODIES = ("car", "vehicle", "automobile")


#: words between two vehicle words that keep them two vehicles ("a taxi, a bus", "cars and vans")
APART_WORDS = frozenset("a an the and or nor with by behind beside next near past than then plus two three four "
                        "five several many some".split()) | frozenset(PAINT_WORDS)
#: words after a vehicle word that make it the kind of film, not a vehicle in it ("a car commercial: a red
#: coupe ..." names one car, the coupe)
GENRE_WORDS = frozenset("commercial commercials ad ads advert adverts advertisement advertising campaign spot shoot "
                        "photoshoot brand launch".split())


def _body_form(word: str) -> str | None:
    """The BODY_WORDS entry a word is (itself or its plural: "cars", "buses"), None if none ("busy" is not a bus)."""
    forms = (word, word[:-1] if word.endswith("s") else "", word[:-2] if word.endswith("es") else "")
    return next((f for f in forms if f in BODY_WORDS), None)


def _is_body_here(form: str, words: list[str], i: int) -> bool:
    """Whether a body word names a car where it stands: an estate or a hatch only before "car" ("a country
    estate" is a house, "an escape hatch" no car), a wagon only after "station" (a hay wagon is a cart)."""
    if form in ("estate", "hatch"):
        return i + 1 < len(words) and words[i + 1] in ("car", "cars")
    if form == "wagon":
        return i > 0 and words[i - 1] == "station"
    return True


def vehicle_looks(text: str) -> list[tuple[str, str]]:
    """Each vehicle the prompt names, in order, as (paint, body): "a red pickup and a blue sedan" ->
    [("red", "pickup"), ("blue", "sedan")]; paint "" where none is said. A paint word counts within the three
    words before its body word. A vehicle word naming the kind of film ("car commercial") is no vehicle of its
    own where the prompt names one; where it names none, it is the one car."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"\b(?:4x4|4wd|4 ?x ?4)\b", " offroader ", text.lower()))
    out: list[tuple[str, str]] = []
    genre: list[tuple[str, str]] = []
    last = -9
    for i, word in enumerate(words):
        form = _body_form(word)
        if form is None or not _is_body_here(form, words, i):
            continue
        if out and (i - last == 1 or i - last == 2 and words[i - 1] not in APART_WORDS):
            # "sports car", "pickup truck", "a double decker tour bus": one vehicle, of the first word's body
            if words[last] in GENERIC_BODIES:
                out[-1] = (out[-1][0], BODY_WORDS[form])
            last = i
            continue
        paint = next((PAINT_WORDS[w] for w in reversed(words[max(0, i - 3):i]) if w in PAINT_WORDS), "")
        paint = paint or OWN_PAINT.get(form, "")  # a taxi is yellow unless the prompt paints it
        if i + 1 < len(words) and words[i + 1] in GENRE_WORDS:
            genre.append((paint, BODY_WORDS[form]))
            continue
        out.append((paint, BODY_WORDS[form]))
        last = i
    return out or genre[:1]


def _prism(profile: list[tuple[float, float]], half: float, rgb: tuple[float, float, float], part: float = PLAIN,
           taper: float = 0.0, x0: float = 0.0) -> Mesh:
    """A convex side profile (x, z points, counter-clockwise) extruded across y = -half..half, `taper` metres
    narrower at its top than at its bottom (a car's tumblehome)."""
    p = np.asarray(profile, np.float64) + (x0, 0.0)
    z0, z1 = p[:, 1].min(), p[:, 1].max()
    hw = half - taper * (p[:, 1] - z0) / max(z1 - z0, 1e-6)
    k = len(p)
    v = np.concatenate([np.c_[p[:, 0], hw, p[:, 1]], np.c_[p[:, 0], -hw, p[:, 1]]])
    faces = [[0, a, a + 1] for a in range(1, k - 1)] + [[k, k + a, k + a + 1] for a in range(1, k - 1)]
    for a in range(k):
        b = (a + 1) % k
        faces += [[a, b, k + b], [a, k + b, k + a]]
    f = np.asarray(faces)
    return from_faces(v, _outward(v, f, v.mean(axis=0)), rgb, part)


def _wheels(xs: tuple[float, ...], track: float, r: float, lod: int, tread: float = 0.13,
            rim: tuple[float, float, float] = (0.45, 0.45, 0.47)) -> list[Mesh]:
    """Dark tyres `tread` metres either side of their middle, with `rim`-coloured hubs, axles along y."""
    seg = 10 if lod == 0 else 6
    out = []
    for x in xs:
        for s in (-1, 1):
            parts = [frustum(r, r, -tread, tread, seg, (0.025, 0.025, 0.025))]
            if lod == 0:
                parts.append(frustum(0.6 * r, 0.6 * r, tread, tread + 0.015, seg, rim) if s > 0 else
                             frustum(0.6 * r, 0.6 * r, -tread - 0.015, -tread, seg, rim))
            wheel = merge(parts)
            turned = Mesh(pos=wheel.pos[:, [0, 2, 1]], nrm=wheel.nrm[:, [0, 2, 1]], col=wheel.col, part=wheel.part)
            out.append(transform(turned, offset=(x, s * track, r)))
    return out


GLASS, TYRE, CHROME = (0.03, 0.035, 0.045), (0.025, 0.025, 0.025), (0.35, 0.35, 0.37)
HEADLAMP, TAILLAMP = (1.0, 0.92, 0.75), (0.7, 0.02, 0.015)


def _lamps(front: float, back: float, half: float, z: float, size: float = 0.16) -> list[Mesh]:
    """Head lamps at the front (+x) and tail lamps at the back, glowing at night."""
    out = []
    for s in (-1, 1):
        y = s * (half - 0.28)
        out += [box((front, y, z), (0.06, 0.32, size), HEADLAMP, LAMP),
                box((back, y, z + 0.05), (0.06, 0.3, size), TAILLAMP, LAMP)]
    return out


def _car(body: str, lod: int, paint: tuple[float, float, float]) -> Mesh:
    """A car of one body: a lower body, a glass cabin under a painted roof, four wheels, lamps; at LOD 1 the
    body, cabin and wheels only."""
    length, width, r, belt, nose, roof, cab_r, cab_f, rake_f, rake_r = {
        "sedan": (4.7, 1.82, 0.33, 0.98, 0.86, 1.45, -1.45, 0.75, 0.62, 0.42),
        "sports": (4.45, 1.9, 0.34, 0.8, 0.66, 1.18, -1.4, 0.45, 0.72, 0.6),
        "suv": (4.75, 1.92, 0.4, 1.18, 1.08, 1.8, -2.25, 0.55, 0.48, 0.12),
        "pickup": (5.3, 1.9, 0.4, 1.12, 1.08, 1.86, -0.55, 0.95, 0.42, 0.06),
        # the roof runs on to an upright tailgate: an estate's long load space, a hatchback's short tail
        "estate": (4.8, 1.84, 0.33, 0.98, 0.86, 1.48, -2.2, 0.75, 0.62, 0.1),
        "hatchback": (4.1, 1.78, 0.31, 0.95, 0.84, 1.47, -1.84, 0.62, 0.6, 0.28),
    }[body]
    half, ground, wb = width / 2, 0.45 * r, length * 0.6
    lx, fx = -length / 2, length / 2
    body_lo = [(lx + 0.12, ground), (fx - 0.25, ground), (fx, ground + 0.3), (fx - 0.1, nose), (lx + 0.04, belt),
               (lx, ground + 0.3)]
    if body == "pickup":  # a cab over the front half, an open load bed behind it
        bed = cab_r - 0.05
        parts = [_prism([(bed, ground), (fx - 0.25, ground), (fx, ground + 0.3), (fx - 0.1, nose), (bed, belt)], half,
                        paint, taper=0.04),
                 _prism([(lx + 0.12, ground), (bed, ground), (bed, belt - 0.45), (lx, belt - 0.45),
                         (lx, ground + 0.3)], half, paint)]
        parts += [box(((lx + bed) / 2, s * (half - 0.05), belt - 0.2), (bed - lx, 0.1, 0.5), paint) for s in (-1, 1)]
        parts.append(box((lx + 0.05, 0, belt - 0.2), (0.1, width, 0.5), paint))
        parts.append(box(((lx + bed) / 2, 0, belt - 0.44), (bed - lx - 0.2, width - 0.22, 0.02), TYRE))
    else:
        parts = [_prism(body_lo, half, paint, taper=0.04)]
    cabin = [(cab_r, belt - 0.02), (cab_f, belt - 0.02), (cab_f - rake_f, roof - 0.05), (cab_r + rake_r, roof - 0.05)]
    parts.append(_prism(cabin, half - 0.06, GLASS, WINDOW, taper=0.14))
    top = (cab_f - rake_f + 0.03) - (cab_r + rake_r - 0.03)
    parts.append(box(((cab_f - rake_f + cab_r + rake_r) / 2, 0, roof - 0.02), (top, width - 0.36, 0.07), paint))
    if lod == 0:
        parts += _lamps(fx - 0.06, lx + 0.03, half, nose - 0.14)
        parts.append(box((fx - 0.02, 0, ground + 0.26), (0.06, width * 0.45, 0.2), TYRE))
        if body == "suv":
            parts += [box(((cab_r + cab_f) / 2 - 0.3, s * (half - 0.35), roof + 0.05), (2.0, 0.05, 0.05), CHROME)
                      for s in (-1, 1)]
    return merge(parts + _wheels((-wb / 2 - (0.25 if body == "pickup" else 0.0), wb / 2), half - 0.12, r, lod))


def _boxy(body: str, lod: int, paint: tuple[float, float, float]) -> Mesh:
    """A van, a truck (a cab and a box body) or a bus: upright boxes with a glass front and side windows."""
    if body == "van":
        length, width, r, height = 5.1, 1.98, 0.36, 2.25
        parts = [_prism([(-length / 2, 0.3), (length / 2 - 0.3, 0.3), (length / 2, 0.7), (length / 2 - 0.25, 1.1),
                         (length / 2 - 0.95, height), (-length / 2, height)], width / 2, paint, taper=0.05)]
        glass = _prism([(length / 2 - 0.6, 1.15), (length / 2 - 0.25, 1.15), (length / 2 - 0.83, height - 0.15),
                        (length / 2 - 1.6, height - 0.15), (length / 2 - 1.6, 1.15)], width / 2 + 0.01, GLASS, WINDOW,
                       taper=0.045)  # stands a little proud of the body's windscreen slope and sides
        parts.append(glass)
        axles = (-length / 2 + 0.9, length / 2 - 1.0)
        lamp_z, front, back = 0.85, length / 2 - 0.05, -length / 2 - 0.01
    elif body == "truck":
        length, width, r = 8.0, 2.45, 0.5
        cab_x = length / 2 - 2.2
        parts = [_prism([(cab_x, 0.7), (length / 2, 0.7), (length / 2, 2.7), (length / 2 - 0.25, 3.05),
                         (cab_x, 3.05)], width / 2, paint),
                 box(((cab_x - 0.15 - length / 2) / 2, 0, 2.3), (cab_x - 0.15 + length / 2, width + 0.05, 3.2),
                     (0.72, 0.72, 0.7)),
                 box((0.0, 0, 0.75), (length - 0.2, width * 0.6, 0.3), TYRE),
                 box((length / 2 + 0.01, 0, 2.2), (0.04, width - 0.3, 0.9), GLASS, WINDOW)]
        parts += _glass_band(cab_x + 0.5, length / 2 - 0.4, 2.0, 2.7, width / 2 + 0.005)
        axles = (-length / 2 + 1.2, -length / 2 + 2.3, length / 2 - 1.2)
        lamp_z, front, back = 1.0, length / 2 + 0.02, -length / 2 - 0.02
    elif body == "double_decker":  # two decks, a band of windows along each, the upper front glazed too
        length, width, r, height = 10.2, 2.5, 0.5, 4.4
        parts = [_prism([(-length / 2, 0.35), (length / 2, 0.35), (length / 2, height - 0.25),
                         (length / 2 - 0.3, height), (-length / 2 + 0.3, height), (-length / 2, height - 0.25)],
                        width / 2, paint),
                 box((length / 2 + 0.01, 0, 1.95), (0.04, width - 0.25, 1.2), GLASS, WINDOW),
                 box((length / 2 + 0.01, 0, 3.55), (0.04, width - 0.25, 0.9), GLASS, WINDOW)]
        parts += _glass_band(-length / 2 + 0.6, length / 2 - 0.6, 1.5, 2.45, width / 2 + 0.005)
        parts += _glass_band(-length / 2 + 0.5, length / 2 - 0.5, 3.1, 3.95, width / 2 + 0.005)
        axles = (-length / 2 + 2.4, length / 2 - 2.3)
        lamp_z, front, back = 0.75, length / 2 + 0.02, -length / 2 - 0.02
    else:  # bus
        length, width, r = 11.0, 2.5, 0.5
        parts = [_prism([(-length / 2, 0.35), (length / 2, 0.35), (length / 2, 2.95), (length / 2 - 0.2, 3.15),
                         (-length / 2 + 0.2, 3.15), (-length / 2, 2.95)], width / 2, paint),
                 box((length / 2 + 0.01, 0, 2.0), (0.04, width - 0.25, 1.5), GLASS, WINDOW)]
        parts += _glass_band(-length / 2 + 0.6, length / 2 - 0.6, 1.55, 2.6, width / 2 + 0.005)
        axles = (-length / 2 + 2.6, length / 2 - 2.4)
        lamp_z, front, back = 0.75, length / 2 + 0.02, -length / 2 - 0.02
    if lod == 0:
        parts += _lamps(front, back, width / 2, lamp_z, 0.2)
    return merge(parts + _wheels(axles, width / 2 - 0.15, r, lod))


#: length, width and height of each body in metres at scale 1
VEHICLE_SIZES: dict[str, tuple[float, float, float]] = {
    "sedan": (4.7, 1.82, 1.45), "sports": (4.45, 1.9, 1.18), "suv": (4.75, 1.92, 1.85), "pickup": (5.3, 1.9, 1.86),
    "van": (5.1, 1.98, 2.25), "truck": (8.0, 2.45, 3.9), "bus": (11.0, 2.5, 3.15), "double_decker": (10.2, 2.5, 4.4),
    "tractor": (3.9, 2.6, 2.95), "harvester": (7.55, 4.6, 3.9), "estate": (4.8, 1.84, 1.48),
    "hatchback": (4.1, 1.78, 1.47),
}


def _vehicle(lod: int, body: tuple[float, float, float] = VEHICLE_PAINT["red"], kind: str = "sedan") -> Mesh:
    """A vehicle of a body in VEHICLE_BODIES (front towards +x, on z = 0) painted `body`."""
    if kind in ("van", "truck", "bus", "double_decker"):
        return _boxy(kind, lod, body)
    if kind in ("tractor", "harvester"):
        return BUILDERS["farm_vehicle"](kind, lod, body)
    return _car(kind if kind in VEHICLE_BODIES else "sedan", lod, body)


#: a vine's leaves by look (linear RGB; the first colour fills the row, the second tops it): summer green, an
#: autumn vineyard's gold and rust (drawn plain: the renderer's own foliage tint would turn them again), winter's
#: bare canes
VINE_LEAVES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], float]] = {
    "": ((0.09, 0.2, 0.04), (0.12, 0.24, 0.05), FOLIAGE),
    "autumn": ((0.52, 0.3, 0.04), (0.45, 0.1, 0.03), PLAIN),
    "winter": ((0.16, 0.1, 0.06), (0.14, 0.09, 0.05), PLAIN),
}
VINE_WOOD, VINE_GRAPE = (0.16, 0.1, 0.06), (0.09, 0.03, 0.08)
#: a vine's length along its row (m): plants this far apart make one unbroken hedge of leaves
VINE_LENGTH_M = 2.2


def vine_look(spec: dict) -> str:
    """The look a world's season asks of its vines (see VINE_LEAVES)."""
    season = str(spec.get("season", ""))
    return season if season in VINE_LEAVES else ""


def _vine(lod: int, look: str = "") -> Mesh:
    """One vine of a vineyard row (along x, VINE_LENGTH_M long): a trellis post and wire, a gnarled trunk, a
    hedge of leaves over it with grape bunches under the leaves (LOD 1: the post and the hedge)."""
    fill, top, part = VINE_LEAVES.get(look, VINE_LEAVES[""])
    half = VINE_LENGTH_M / 2
    end = half * 0.99
    canopy = [(-end, 0.55), (end, 0.55), (end, 1.45), (-end, 1.45)]
    parts = [box((-half + 0.05, 0, 0.85), (0.08, 0.08, 1.7), VINE_WOOD),
             _prism(canopy, 0.36, fill, part, taper=0.2)]
    if lod == 0:
        parts += [_prism([(-end * 0.9, 1.4), (end * 0.85, 1.4), (end * 0.7, 1.72), (-end * 0.75, 1.72)], 0.17, top,
                         part, taper=0.08),
                  box((0.3, 0, 0.3), (0.09, 0.09, 0.6), VINE_WOOD),
                  box((0, 0, 0.6), (VINE_LENGTH_M, 0.02, 0.02), CHROME)]
        if look != "winter":
            parts += [box((x, s * 0.34, 0.66), (0.12, 0.07, 0.18), VINE_GRAPE) for x in (-0.5, 0.45) for s in (-1, 1)]
    return merge(parts)


#: linear colours of a crop's looks (generate/crops.CROP_WORDS): the band's body, its ears or flowers on top, and
#: its height (m): ripe wheat and barley gold, rapeseed in flower yellow over green, maize tall and straw-green
CROP_LOOKS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], float]] = {
    "wheat": ((0.5, 0.33, 0.08), (0.66, 0.46, 0.12), 0.95),
    "rapeseed": ((0.16, 0.26, 0.04), (0.78, 0.62, 0.02), 1.1),
    "maize": ((0.26, 0.3, 0.07), (0.5, 0.4, 0.12), 2.1),
    "stubble": ((0.48, 0.34, 0.1), (0.6, 0.45, 0.15), 0.3),  # a mown hay field, its bales lying on it
}


def _crop(lod: int, look: str = "wheat") -> Mesh:
    """One length of a crop row (along x, 2.2 m: end to end a row reads as one band): a band of stalks with its
    ears (or flowers) on top, drawn plain so the renderer's foliage tint leaves the crop's colour alone."""
    body, top, height = CROP_LOOKS.get(look, CROP_LOOKS["wheat"])
    end = 1.1
    parts = [_prism([(-end, 0.0), (end, 0.0), (end, height * 0.8), (-end, height * 0.8)], 0.6, body, taper=0.15)]
    parts.append(_prism([(-end, height * 0.75), (end, height * 0.75), (end, height), (-end, height)], 0.5, top,
                        taper=0.12 if lod == 0 else 0.0))
    return merge(parts)


HAY, HAY_END = (0.56, 0.4, 0.13), (0.44, 0.3, 0.09)


def _hay_bale(lod: int) -> Mesh:
    """A round bale of hay lying on its side: 1.5 m across, 1.2 m wide (axis along y), darker rolled ends."""
    seg = 12 if lod == 0 else 7
    bale = merge([frustum(0.75, 0.75, -0.6, 0.6, seg, HAY, caps=False),
                  frustum(0.75, 0.75, 0.6, 0.61, seg, HAY_END), frustum(0.75, 0.75, -0.61, -0.6, seg, HAY_END)])
    turned = Mesh(pos=bale.pos[:, [0, 2, 1]], nrm=bale.nrm[:, [0, 2, 1]], col=bale.col, part=bale.part)
    return transform(turned, offset=(0.0, 0.0, 0.72))


LAMP_IRON = (0.08, 0.08, 0.09)


def _lamp_post(lod: int) -> Mesh:
    """A 5 m street lamp: a tapering iron pole on a footing, an arm over the street, a lantern that glows."""
    parts = [
        frustum(0.12, 0.07, 0, 5.0, 6 if lod == 0 else 4, LAMP_IRON, bottom=False),
        box((0.5, 0, 4.96), (1.1, 0.13, 0.13), LAMP_IRON),
        box((0.95, 0, 4.84), (0.62, 0.36, 0.1), LAMP_IRON),
        box((0.95, 0, 4.7), (0.56, 0.32, 0.2), (1.0, 0.8, 0.5), LAMP),
    ]
    if lod == 0:
        parts.append(frustum(0.2, 0.16, 0, 0.6, 6, LAMP_IRON))
    return merge(parts)


FENCE_WOOD, FENCE_POST = (0.36, 0.26, 0.15), (0.27, 0.19, 0.11)


def _fence(lod: int) -> Mesh:
    """One 2.5 m span: two rails between two posts (far: the top rail and the posts)."""
    rails = [box((0, 0, 0.92), (2.5, 0.07, 0.13), FENCE_WOOD), box((0, 0, 0.5), (2.5, 0.07, 0.13), FENCE_WOOD)]
    posts = [box((x, 0, 0.58), (0.15, 0.15, 1.16), FENCE_POST) for x in (-1.2, 1.2)]
    return merge(rails + posts if lod == 0 else rails[:1] + posts)


CRATE_WOOD, CRATE_FRAME = (0.52, 0.37, 0.19), (0.3, 0.2, 0.1)


def _crate(lod: int) -> Mesh:
    """A 1 m wooden crate: plank sides inside a darker frame (rims and corner battens)."""
    parts = [box((0, 0, 0.5), (0.94, 0.94, 0.94), CRATE_WOOD)]
    parts += [box((0, 0, z), (1.0, 1.0, 0.1), CRATE_FRAME) for z in (0.05, 0.95)]
    if lod == 0:
        parts += [box((x, y, 0.5), (0.1, 0.1, 0.8), CRATE_FRAME) for x in (-0.46, 0.46) for y in (-0.46, 0.46)]
    return merge(parts)


BARREL_WOOD, BARREL_HOOP = (0.44, 0.26, 0.12), (0.16, 0.15, 0.14)


def _barrel(lod: int) -> Mesh:
    """A 1.1 m barrel bulging at its middle, with dark iron hoops."""
    seg = 10 if lod == 0 else 6
    parts = [frustum(0.34, 0.41, 0.0, 0.55, seg, BARREL_WOOD, caps=False),
             frustum(0.41, 0.34, 0.55, 1.1, seg, BARREL_WOOD)]
    parts += [frustum(r, r, z, z + 0.07, seg, BARREL_HOOP, caps=False) for r, z in ((0.37, 0.12), (0.37, 0.91))]
    if lod == 0:
        parts += [frustum(0.42, 0.42, z, z + 0.06, seg, BARREL_HOOP, caps=False) for z in (0.4, 0.64)]
    return merge(parts)


INSTANCE_BUILDERS = {
    "conifer": _conifer,
    "broadleaf": _broadleaf,
    "palm": _palm,
    "grass_tuft": _grass,
    "shrub": _shrub,
    "flower": _flower,
    "cactus": _cactus,
    "dead_tree": _dead_tree,
    "rock": _rock,
    "boulder": lambda lod: _rock(lod, 3.2),
    "crate": _crate,
    "barrel": _barrel,
    "vehicle": _vehicle,
    "lamp_post": _lamp_post,
    "fence": _fence,
    "vine": _vine,
    "crop": _crop,
    "hay_bale": _hay_bale,
}
#: rough height in metres at scale 1, for culling by projected size
INSTANCE_HEIGHT = {
    "conifer": 12.0,
    "broadleaf": 10.0,
    "palm": 11.5,
    "grass_tuft": 0.5,
    "shrub": 1.4,
    "flower": 0.45,
    "cactus": 3.2,
    "dead_tree": 8.0,
    "rock": 0.9,
    "boulder": 2.9,
    "crate": 1.0,
    "barrel": 1.1,
    "vehicle": 2.0,
    "lamp_post": 5.1,
    "fence": 1.1,
    "vine": 1.7,
    "crop": 3.0,  # a field's rows read as one surface: kept out as far as a 3 m thing is
    "hay_bale": 1.5,
    # animals (render/animals.py): to the top of the head or the horns
    "sheep": 1.0,
    "cow": 1.5,
    "horse": 2.1,
    "goat": 1.1,
    "deer": 1.6,
    "duck": 0.4,
}


#: linear stone colours of the rock looks (rock_look): boulders of the world's own rock
ROCK_LOOKS: dict[str, tuple[float, float, float]] = {
    "black": (0.04, 0.038, 0.04), "red": (0.3, 0.12, 0.06), "white": (0.55, 0.53, 0.5), "golden": (0.42, 0.28, 0.1),
}
#: relief kinds whose rock has a colour of its own (basalt, sandstone)
TERRAIN_ROCK_LOOKS = {"volcanic": "black", "canyon": "red", "dunes": "red"}


def rock_look(spec: dict) -> str:
    """The look of a world's rocks and boulders: the prompt's rock colour ("black rock"), else its terrain's
    (basalt by a volcano, sandstone in a canyon), else the plain grey stone ("")."""
    named = str((spec.get("modifiers") or {}).get("rock", ""))
    look = named if named in ROCK_LOOKS else TERRAIN_ROCK_LOOKS.get(str(spec.get("terrain", "")), "")
    return "" if named == "grey" else look


def look_of(spec: dict, kind: str) -> str:
    """The look a world's spec asks of one instance kind: its trees' (tree_look), its vehicles' paint."""
    if kind == "vehicle":  # "paint:body" ("red:pickup")
        paint = str((spec.get("modifiers") or {}).get("vehicle", ""))
        if not paint:  # a paint word the reader took for something else ("a green estate car": green grass)
            paint = next((p for p, _ in vehicle_looks(str(spec.get("text", ""))) if p), "")
        return f"{paint}:{vehicle_body(str(spec.get('text', '')))}"
    if kind == "vehicles":  # each named vehicle's own "paint:body", in the prompt's order ("red:pickup|blue:sedan")
        looks = vehicle_looks(str(spec.get("text", "")))
        return "|".join(f"{p}:{b}" for p, b in looks) if len(looks) > 1 else ""
    if kind == "vine":
        return vine_look(spec)
    if kind == "crop":
        from ..generate.crops import crop_look

        return crop_look(str(spec.get("text", "")))
    if kind == "conifer" and (spec.get("modifiers") or {}).get("trees") == "cypress":
        return "cypress"
    if kind == "flower":
        return BUILDERS["flower_look"](str(spec.get("text", "")))
    if kind in ("rock", "boulder"):
        return rock_look(spec)
    if kind in ANIMAL_KINDS:  # the first of the herd's looks (render/animals.py animal_looks)
        return BUILDERS["animal_looks"](spec, kind)[0]
    return tree_look(spec)


def instance_mesh(kind: str, lod: int, look: str = "") -> Mesh:
    """The mesh for an instance kind at LOD 0 (near) or 1 (far); unknown kinds get a rock. `look` (see
    look_of) colours broadleaf trees (birch bark, blossom) and paints vehicles."""
    if kind == "vehicle":
        paint, _, body = look.partition(":")
        return _vehicle(lod, VEHICLE_PAINT.get(paint, VEHICLE_PAINT["red"]), body or "sedan")
    if kind == "vine":
        return _vine(lod, look)
    if kind in ANIMAL_KINDS:
        return BUILDERS["animal_mesh"](kind, lod, look)
    if kind == "crop":
        return _crop(lod, look or "wheat")
    if kind == "flower" and look:
        return BUILDERS["flower_mesh"](lod, look)
    if kind == "broadleaf" and look in TREE_LOOKS:
        bark, leaf = TREE_LOOKS[look]
        return _bare_broadleaf(lod, bark) if look in BARE_LOOKS else _broadleaf(lod, bark, leaf)
    if kind == "conifer" and look == "cypress":
        return _cypress(lod)
    if kind in ("rock", "boulder") and look in ROCK_LOOKS:
        return _rock(lod, 3.2 if kind == "boulder" else 1.0, ROCK_LOOKS[look])
    mesh = INSTANCE_BUILDERS.get(kind, _rock)(lod)
    return _evergreen(mesh) if kind == "conifer" and look == "autumn" else mesh


#: kinds that cast their shadows with a coarser mesh than their near one (a shrub's near lobes have many small
#: facets; the sun's shadow map sees only their outline)
SHADOW_BUILDERS: dict[str, Callable[[], Mesh]] = {"shrub": lambda: _shrub_caster()}


def instance_shadow_mesh(kind: str) -> Mesh | None:
    """The mesh an instance kind casts its shadow with, where it is not its near mesh; None: its near mesh."""
    build = SHADOW_BUILDERS.get(kind)
    return build() if build is not None else None


def _evergreen(mesh: Mesh) -> Mesh:
    """The mesh with its foliage drawn as plain surfaces, which the renderer's foliage and autumn tints leave
    alone (conifers in autumn, bare crowns in winter)."""
    part = np.where(mesh.part == FOLIAGE, PLAIN, mesh.part).astype(np.float32)
    return Mesh(pos=mesh.pos, nrm=mesh.nrm, col=mesh.col, part=part)


# --- cards: the most distant level of detail ------------------------------------------------------


def card(
    points: list[tuple[float, float]],
    faces: list[tuple[int, int, int]],
    rgb: tuple[float, float, float],
    part: float = PLAIN,
    radius: float = 1.0,
    up: float = 0.3,
) -> Mesh:
    """A flat outline in the plane x = 0 (points are (y, z)), meant to be turned towards the camera.

    Its normals are those of a rounded body of `radius` seen from +x: facing the viewer in the middle,
    turning sideways at the rim and tilted up by `up`, so per-vertex light still shades a lit and a dark side.
    """
    yz = np.asarray(points, np.float64)
    side = np.clip(yz[:, 0] / radius, -1.0, 1.0)
    nrm = np.c_[np.sqrt(1.0 - side**2) + 0.15, side, np.full(len(yz), up)]
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    idx = np.asarray(faces).reshape(-1)
    pos = np.c_[np.zeros(len(yz)), yz]
    count = len(idx)
    return Mesh(
        pos=pos[idx].astype(np.float32),
        nrm=nrm[idx].astype(np.float32),
        col=np.tile(np.asarray(rgb, np.float32), (count, 1)),
        part=np.full(count, part, np.float32),
    )


def _trunk_card(half: float, top: float, rgb: tuple[float, float, float]) -> Mesh:
    return card([(-half, 0.0), (half, 0.0), (half * 0.7, top), (-half * 0.7, top)], [(0, 1, 2), (0, 2, 3)], rgb,
                radius=half, up=0.0)


def _fan(cy: float, cz: float, ry: float, rz: float, n: int, rgb: tuple[float, float, float], phase: float = 0.0) -> Mesh:
    """A filled ellipse of n rim points around (cy, cz), as a fan of n triangles."""
    a = phase + 2 * np.pi * np.arange(n) / n
    pts = [(cy, cz)] + [(cy + ry * math.cos(t), cz + rz * math.sin(t)) for t in a]
    return card(pts, [(0, 1 + k, 1 + (k + 1) % n) for k in range(n)], rgb, FOLIAGE, radius=ry, up=0.35)


def _cypress_card() -> Mesh:
    """A cypress's far card: its trunk and the narrow flame of its column."""
    rim = [(0.0, CYPRESS_TIP_M), *((-r, z) for z, r in CYPRESS_PROFILE),
           *((r, z) for z, r in reversed(CYPRESS_PROFILE))]
    n = len(CYPRESS_PROFILE)
    faces = [(0, 1 + k, 1 + (k + 1) % (2 * n)) for k in range(2 * n)]  # a fan from the tip, closed at the foot
    return merge([_trunk_card(0.18, 1.2, BARK), card(rim, faces, CYPRESS_NEEDLE, FOLIAGE, radius=1.3, up=0.35)])


def _shaded(mesh: Mesh, dark: tuple[float, float, float], light: tuple[float, float, float], top: float) -> Mesh:
    """The mesh coloured from `dark` at its foot to `light` at height `top`."""
    t = np.clip(mesh.pos[:, 2:3] / top, 0.0, 1.0)
    col = np.asarray(dark, np.float32) + (np.asarray(light, np.float32) - np.asarray(dark, np.float32)) * t
    return Mesh(pos=mesh.pos, nrm=mesh.nrm, col=col.astype(np.float32), part=mesh.part)


#: how far a shrub's card stands in front of its middle (m, towards the camera)
SHRUB_CARD_FRONT_M = 0.6
#: points around a shrub card's outline (one triangle each: far shrubs are many)
SHRUB_CARD_RIM = 10


def _shrub_card() -> Mesh:
    """A shrub's far card: the rounded, lobed outline of its leaf masses seen from the side, dark at the foot."""
    lobes = [((c[0], c[2]), r) for c, r in SHRUB_LOBES]
    mid = np.array([0.0, 0.66])
    rim = []
    for a in np.pi / 2 + 2 * np.pi * np.arange(SHRUB_CARD_RIM) / SHRUB_CARD_RIM:
        d = np.array([math.cos(a), math.sin(a)])
        reach = 0.0
        for (cy, cz), r in lobes:  # the furthest any lobe's circle reaches along this ray from the middle
            o = mid - (cy, cz)
            b = float(o @ d)
            disc = b * b - (float(o @ o) - r * r)
            if disc >= 0.0:
                reach = max(reach, -b + math.sqrt(disc))
        y, z = mid + d * reach
        rim.append((float(y), max(float(z), 0.1)))
    n = len(rim)
    mesh = card([tuple(mid), *rim], [(0, 1 + k, 1 + (k + 1) % n) for k in range(n)], SHRUB_LIGHT, FOLIAGE)
    dome = np.c_[np.full(len(mesh.pos), 0.7), mesh.pos[:, 1] / 0.9, (mesh.pos[:, 2] - mid[1]) / 0.7 + 0.45]
    dome /= np.linalg.norm(dome, axis=1, keepdims=True)  # a mound's: lit on top like the near lobes
    foot = tuple(0.6 * d + 0.4 * c for d, c in zip(SHRUB_DARK, SHRUB_LIGHT, strict=True))
    mesh = _shaded(Mesh(pos=mesh.pos, nrm=dome.astype(np.float32), col=mesh.col, part=mesh.part), foot,
                   tuple(1.1 * c for c in SHRUB_LIGHT), SHRUB_TOP_M)
    # stood on the near face of the mass, not through its middle: there the shadow map sees what the leaves see
    return transform(mesh, offset=(SHRUB_CARD_FRONT_M, 0.0, 0.0))


def _grass_card() -> Mesh:
    """A grass tuft's far card: a fan of thin curved spikes from one foot, dark at the foot, light at the tips."""
    pts, faces = [], []
    spikes = (((-0.06, -0.3, 0.3), (-0.03, -0.17, 0.44), (0.0, -0.04, 0.51), (0.03, 0.1, 0.46), (0.06, 0.26, 0.32),
               (0.28, 0.14, 0.3), (0.33, 0.45, 0.22), (-0.24, -0.12, 0.26), (-0.28, -0.46, 0.18)))
    for k, (foot, tip_y, tip_z) in enumerate(spikes):  # the main tuft's fan and the two small tufts beside it
        pts += [(foot - 0.03, 0.0), (foot + 0.03, 0.0), (tip_y, tip_z)]
        faces.append((3 * k, 3 * k + 1, 3 * k + 2))
    return _shaded(card(pts, faces, GRASS_TIP, FOLIAGE, radius=0.3, up=0.6), GRASS_BASE, GRASS_TIP, 0.5)


CARD_BUILDERS = {
    "conifer": lambda: merge([
        _trunk_card(0.22, 2.0, BARK),
        card([(0.0, 12.0), (-2.5, 1.8), (0.0, 1.6), (2.5, 1.8)], [(0, 1, 2), (0, 2, 3)], NEEDLE, FOLIAGE,
             radius=2.5, up=0.35),
    ]),
    "broadleaf": lambda: merge([_trunk_card(0.3, 4.8, BARK), _fan(0.0, 6.6, 3.4, 2.4, 6, LEAF, math.pi / 6)]),
    "palm": lambda: merge([
        _trunk_card(0.26, 10.4, (0.42, 0.33, 0.22)),
        card([(0.0, 10.9), (-5.0, 9.2), (-2.0, 10.2), (2.0, 10.2), (5.0, 9.2), (0.0, 10.0)],
             [(0, 1, 2), (0, 3, 4), (0, 2, 5), (0, 5, 3)], PALM_LEAF, FOLIAGE, radius=5.0, up=0.6),
    ]),
    "cactus": lambda: card([(-0.35, 0.0), (0.35, 0.0), (0.3, 3.0), (0.0, 3.25), (-0.3, 3.0)],
                           [(0, 1, 2), (0, 2, 4), (4, 2, 3)], (0.15, 0.3, 0.12), FOLIAGE, radius=0.35),
    "grass_tuft": _grass_card,
    "shrub": _shrub_card,
    "flower": lambda: merge([
        card([(-0.2, 0.0), (0.2, 0.0), (0.0, 0.42)], [(0, 1, 2)], (0.15, 0.3, 0.08), FOLIAGE, radius=0.25, up=0.6),
        card([(-0.12, 0.34), (0.12, 0.34), (0.0, 0.46)], [(0, 1, 2)], (0.85, 0.3, 0.35), radius=0.12, up=0.6),
    ]),
    "dead_tree": lambda: merge([
        _trunk_card(0.28, 7.0, DARK_BARK),
        card([(0.0, 3.4), (-1.8, 5.8), (0.0, 3.9), (0.0, 4.6), (1.7, 6.6), (0.0, 5.1)], [(0, 1, 2), (3, 4, 5)],
             DARK_BARK, radius=1.8, up=0.2),
    ]),
}


def instance_card(kind: str, look: str = "") -> Mesh | None:
    """The camera-facing card drawn for an instance kind when it is only a few pixels tall; None: no card."""
    if kind == "broadleaf" and look in BARE_LOOKS:  # a pale trunk, the strokes of its branches, a haze of twigs
        bark, _ = TREE_LOOKS[look]
        strokes = [card([(0.0, 3.2 + 0.9 * k), (0.12, 3.4 + 0.9 * k), (s * (1.6 + 0.3 * k), 6.8 + 0.6 * k)], [(0, 1, 2)],
                        bark, radius=2.0) for k, s in enumerate((-1, 1, -1, 1))]
        veil = _fan(0.0, 6.8, 2.0, 2.4, 6, tuple(0.55 * c + 0.45 * f for c, f in zip(bark, TWIG_FROST, strict=True)),
                    math.pi / 6)
        return merge([_trunk_card(0.3, 8.0, bark), *strokes, _evergreen(veil)])
    if kind == "broadleaf" and look in TREE_LOOKS:
        bark, leaf = TREE_LOOKS[look]
        return merge([_trunk_card(0.3, 4.8, bark), _fan(0.0, 6.6, 3.4, 2.4, 6, leaf, math.pi / 6)])
    if kind == "conifer" and look == "cypress":
        return _cypress_card()
    if kind == "flower" and look:
        return BUILDERS["flower_card"](look)
    build = CARD_BUILDERS.get(kind)
    mesh = build() if build is not None else None
    return _evergreen(mesh) if mesh is not None and kind == "conifer" and look == "autumn" else mesh


# --- structures -----------------------------------------------------------------------------------


def _gable(w: float, d: float, z0: float, rise: float, rgb: tuple[float, float, float]) -> Mesh:
    """A pitched roof over a w (along X) by d footprint, ridge along X."""
    hw, hd = w / 2 + 0.4, d / 2 + 0.4
    v = np.array(
        [[-hw, -hd, z0], [hw, -hd, z0], [hw, hd, z0], [-hw, hd, z0], [-hw, 0, z0 + rise], [hw, 0, z0 + rise]]
    )
    f = np.array([[0, 1, 5], [0, 5, 4], [2, 3, 4], [2, 4, 5], [0, 4, 3], [1, 2, 5], [0, 3, 2], [0, 2, 1]])
    return from_faces(v, f, rgb)


def _windows(w: float, d: float, z: float, count: int) -> list[Mesh]:
    """A house's windows along both long walls at height z: framed, with a mullion and a transom (FACADE punched
    windows, see mesh.frag), some of the rooms lit at night."""
    rows = []
    for side in (-1, 1):
        for k in range(count):
            x = (k + 0.5) / count * w - w / 2
            rows.append((side, x - 0.5, x + 0.5, z - 0.58, z + 0.58, d / 2 + 0.04, -(k + 1 + count * (side > 0)),
                         0, PUNCHED))
    return [_facade_quads(np.asarray(rows, np.float64))]


def _house(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    roof = (0.35, 0.12, 0.08) if sum(rgb) > 1.2 else (0.18, 0.16, 0.15)
    wall_h = h * 0.62
    return [
        box((0, 0, wall_h / 2), (w, d, wall_h), rgb),
        _gable(w, d, wall_h, h - wall_h, roof),
        box((-w / 2 - 0.03, 0, 1.0), (0.08, 1.0, 2.0), (0.15, 0.09, 0.05)),
    ] + _windows(w, d, wall_h * 0.55, max(1, int(w / 3.5)))


#: a highrise's storey (m); its facade styles (see FACADE): windows in a wall, a curtain wall of glass, shopfronts
STOREY_M = 3.4
PUNCHED, CURTAIN, SHOPFRONT, TOWER_GLASS = 0.0, 1.0, 2.0, 3.0
#: punched windows: their pitch along a face, width and height (m), and how high above a storey's floor they sit
WINDOW_PITCH_M, WINDOW_W_M, WINDOW_H_M, SILL_M = 3.0, 1.8, 1.7, 0.75
#: a curtain wall's and a shopfront's panes are about this wide (m)
CURTAIN_PANE_M, SHOP_PANE_M = 1.5, 3.2


def facade_style(rgb: tuple[float, float, float]) -> float:
    """A facade's style from its (linear) colour: dark blue-grey facades are curtain walls of glass."""
    return CURTAIN if max(rgb) < 0.15 and rgb[2] >= rgb[0] else PUNCHED


def _highrise(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A flat-roofed building of storeys with a parapet: shopfronts on the ground floor, and above them windows
    on every storey of every face, framed and divided by mullions (mesh.frag draws them on FACADE quads, which
    hold their window coordinates): punched windows in the wall, or a curtain wall of glass with spandrels."""
    storeys = max(1, int((h - 1.2) / STOREY_M))
    style = facade_style(rgb)
    quads: list[tuple[float, ...]] = []  # face, from, to, bottom, top, out, panes across, storey, style
    for side, length, across in ((-1, w, d), (1, w, d), (-2, d, w), (2, d, w)):
        out = across / 2 + 0.04
        usable = length - 0.6  # the corners stay wall
        panes = max(1, round(usable / SHOP_PANE_M))
        quads.append((side, -usable / 2, usable / 2, 0.3, 3.0, out, panes, 0, SHOPFRONT))
        for k in range(1, storeys):
            z = k * STOREY_M
            if style == CURTAIN:
                panes = max(1, round(usable / CURTAIN_PANE_M))
                quads.append((side, -usable / 2, usable / 2, z, z + STOREY_M, out, panes, k, CURTAIN))
                continue
            count = max(1, int(usable / WINDOW_PITCH_M))
            for a in range(count):
                c = (a + 0.5) / count * usable - usable / 2
                quads.append((side, c - WINDOW_W_M / 2, c + WINDOW_W_M / 2, z + SILL_M, z + SILL_M + WINDOW_H_M,
                              out, -(a + 1), k, PUNCHED))  # a punched window: its index along the face
    parts = [box((0, 0, h / 2), (w, d, h), rgb), box((0, 0, h + 0.4), (w + 0.3, d + 0.3, 0.8), rgb)]
    parts.append(_facade_quads(np.asarray(quads, np.float64)))
    return parts


#: a sleek tower: the share of its height where its crown (set back by CROWN_SETBACK of its footprint) begins,
#: the light strips on its edges (m square) and their colour (linear: a cool white-cyan, mesh.frag's lamp part)
CROWN_AT, CROWN_SETBACK, EDGE_LIGHT_M, EDGE_LIGHT_RGB = 0.82, 0.72, 0.35, (0.35, 0.75, 0.95)


def _sleek_highrise(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A futuristic tower: a curtain wall of glass on every storey over glazed shopfronts, a narrower crown set
    back on top, and strips of light up its corners and round both roofs (lamp parts: soft by day, bright at
    night)."""
    storeys = max(2, int((h - 1.2) / STOREY_M))
    crown_from = max(1, int(storeys * CROWN_AT))
    body_h = crown_from * STOREY_M
    cw, cd = w * CROWN_SETBACK, d * CROWN_SETBACK
    quads: list[tuple[float, ...]] = []
    for bw, bd, k0, k1 in ((w, d, 0, crown_from), (cw, cd, crown_from, storeys)):
        for side, length, across in ((-1, bw, bd), (1, bw, bd), (-2, bd, bw), (2, bd, bw)):
            out, usable = across / 2 + 0.04, length - 0.6
            for k in range(k0, k1):
                z = k * STOREY_M
                if k == 0:
                    quads.append((side, -usable / 2, usable / 2, 0.3, 3.0, out, max(1, round(usable / SHOP_PANE_M)),
                                  0, SHOPFRONT))
                    continue
                quads.append((side, -usable / 2, usable / 2, z, z + STOREY_M, out,
                              max(1, round(usable / CURTAIN_PANE_M)), k, CURTAIN))
    top = storeys * STOREY_M + 0.6
    parts = [box((0, 0, body_h / 2), (w, d, body_h), rgb),
             box((0, 0, (body_h + top) / 2), (cw, cd, top - body_h), rgb),
             _facade_quads(np.asarray(quads, np.float64))]
    e = EDGE_LIGHT_M
    for bw, bd, z0, z1 in ((w, d, 0.0, body_h), (cw, cd, body_h, top)):
        for sx in (-1, 1):
            for sy in (-1, 1):
                parts.append(box((sx * bw / 2, sy * bd / 2, (z0 + z1) / 2), (e, e, z1 - z0), EDGE_LIGHT_RGB, LAMP))
        parts += [box((0, sy * bd / 2, z1), (bw + e, e, e), EDGE_LIGHT_RGB, LAMP) for sy in (-1, 1)]
        parts += [box((sx * bw / 2, 0, z1), (e, bd + e, e), EDGE_LIGHT_RGB, LAMP) for sx in (-1, 1)]
    return parts


#: a glass office tower (a lone skyscraper): its podium's height (m) and how far it stands out round the shaft (m);
#: a storey (m); a band of metal (a plant floor) every this many storeys; fins on its faces every this many m;
#: its crown: the share of the footprint it is set back to, and its storeys
TOWER_PODIUM_M, TOWER_PODIUM_OUT_M, TOWER_STOREY_M, TOWER_BAND_EVERY, TOWER_FIN_M = 7.2, 3.0, 3.6, 8, 3.0
TOWER_CROWN_SETBACK, TOWER_CROWN_STOREYS = 0.78, 3
#: sRGB-linear colours: the mullions' and fins' anodised aluminium, the podium's pale stone, the lobby canopy,
#: the plant screen round the crown
TOWER_METAL, TOWER_STONE, TOWER_CANOPY, TOWER_SCREEN = (0.42, 0.45, 0.5), (0.46, 0.45, 0.42), (0.12, 0.13, 0.14), \
    (0.2, 0.22, 0.25)
#: the red light on top of its mast (an aviation light; a lamp part: it glows at night)
AVIATION_RGB = (0.9, 0.05, 0.03)


def _glass_tower(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A lone office skyscraper: a podium of pale stone glazed all round (its lobby), an entrance canopy on its
    front (+x); a shaft clad in a curtain wall of reflective blue glass (FACADE quads of style TOWER_GLASS: panes
    in mullions, a spandrel band at every floor, lit offices at dusk and night), with aluminium fins up its
    faces, slim corner posts and a band of metal at every plant floor; a crown set back, its plant screened,
    a parapet, and a mast with an aviation light."""
    storeys = max(4, int((h - TOWER_PODIUM_M) / TOWER_STOREY_M))
    crown_from = max(2, storeys - TOWER_CROWN_STOREYS)
    shaft_top = TOWER_PODIUM_M + crown_from * TOWER_STOREY_M
    top = TOWER_PODIUM_M + storeys * TOWER_STOREY_M
    cw, cd = w * TOWER_CROWN_SETBACK, d * TOWER_CROWN_SETBACK
    pw, pd = w + 2 * TOWER_PODIUM_OUT_M, d + 2 * TOWER_PODIUM_OUT_M
    quads: list[tuple[float, ...]] = []
    for side, length, across in ((-1, pw, pd), (1, pw, pd), (-2, pd, pw), (2, pd, pw)):  # the lobby's glazing
        usable = length - 1.2
        for k, (z0, z1) in enumerate(((0.25, 3.9), (4.1, TOWER_PODIUM_M - 0.5))):
            quads.append((side, -usable / 2, usable / 2, z0, z1, across / 2 + 0.04,
                          max(1, round(usable / SHOP_PANE_M)), k, SHOPFRONT))
    for bw, bd, z_from, k0, k1 in ((w, d, TOWER_PODIUM_M, 0, crown_from), (cw, cd, shaft_top, 0, storeys - crown_from)):
        for side, length, across in ((-1, bw, bd), (1, bw, bd), (-2, bd, bw), (2, bd, bw)):
            usable = length - 0.5
            panes = max(1, round(usable / CURTAIN_PANE_M))
            for k in range(k0, k1):
                z = z_from + k * TOWER_STOREY_M
                quads.append((side, -usable / 2, usable / 2, z, z + TOWER_STOREY_M, across / 2 + 0.04, panes,
                              k + 2 + (crown_from if z_from > TOWER_PODIUM_M else 0), TOWER_GLASS))
    parts = [box((0, 0, TOWER_PODIUM_M / 2), (pw, pd, TOWER_PODIUM_M), TOWER_STONE),
             box((0, 0, TOWER_PODIUM_M + 0.25), (pw + 0.3, pd + 0.3, 0.5), TOWER_METAL),  # the podium's coping
             box((0, 0, (TOWER_PODIUM_M + shaft_top) / 2), (w, d, shaft_top - TOWER_PODIUM_M), rgb),
             box((0, 0, (shaft_top + top) / 2), (cw, cd, top - shaft_top), rgb),
             _facade_quads(np.asarray(quads, np.float64))]
    # the entrance: a canopy over the doors on the front, on two posts
    parts.append(box((pw / 2 + 2.0, 0, 4.0), (4.0, 9.0, 0.35), TOWER_CANOPY))
    parts += [box((pw / 2 + 3.7, y, 2.0), (0.3, 0.3, 4.0), TOWER_CANOPY) for y in (-4.0, 4.0)]
    # fins up every face and posts at the corners, shaft and crown
    for bw, bd, z0, z1 in ((w, d, TOWER_PODIUM_M, shaft_top), (cw, cd, shaft_top, top)):
        zc, zh = (z0 + z1) / 2, z1 - z0
        for sx in (-1, 1):
            for sy in (-1, 1):
                parts.append(box((sx * bw / 2, sy * bd / 2, zc), (0.7, 0.7, zh), TOWER_METAL))
        for length, across, on_y in ((bw, bd, True), (bd, bw, False)):
            n = max(1, int(length / TOWER_FIN_M))
            for a in np.linspace(-length / 2, length / 2, n + 1)[1:-1]:
                for sgn in (-1, 1):
                    c = (a, sgn * (across / 2 + 0.2), zc) if on_y else (sgn * (across / 2 + 0.2), a, zc)
                    size = (0.16, 0.4, zh) if on_y else (0.4, 0.16, zh)
                    parts.append(box(c, size, TOWER_METAL))
        for k in range(TOWER_BAND_EVERY, int((z1 - z0) / TOWER_STOREY_M), TOWER_BAND_EVERY):  # the plant floors
            z = z0 + k * TOWER_STOREY_M
            parts.append(box((0, 0, z), (bw + 0.5, bd + 0.5, 0.9), TOWER_METAL))
        parts.append(box((0, 0, z1 + 0.6), (bw + 0.4, bd + 0.4, 1.2), TOWER_METAL))  # the parapet
    parts.append(box((0, 0, top + 2.2), (cw * 0.55, cd * 0.55, 3.2), TOWER_SCREEN))  # the plant on the roof
    parts.append(frustum(0.5, 0.12, top + 3.8, top + 16.0, 6, TOWER_METAL))  # the mast
    parts.append(box((0, 0, top + 16.3), (0.6, 0.6, 0.6), AVIATION_RGB, LAMP))
    return parts


def _facade_quads(q: np.ndarray) -> Mesh:
    """FACADE rectangles on a box's faces, facing out, from rows of (face -1/1 = -y/+y, -2/2 = -x/+x, from, to
    along the face, bottom, top, distance out, panes, storey, style). Their colour holds the window coordinates
    mesh.frag reads: x the pane (whole part) and the place across it, y the storey and the height in it, z the
    style. A row with panes -a is punched window a - 1 (its x runs a - 1 .. a); else x runs 0 .. panes."""
    side, a0, a1, z0, z1, out, panes, storey, style = q.T
    sign = np.sign(side)
    on_y = np.abs(side) == 1
    x0 = np.where(panes < 0, -panes - 1, 0.0)
    x1 = np.where(panes < 0, -panes, panes)
    corners, coords = [], []
    for a, z, u, t in ((a0, z0, x0, 0.0), (a1, z0, x1, 0.0), (a1, z1, x1, 1.0), (a0, z1, x0, 1.0)):
        corners.append(np.stack([np.where(on_y, a, sign * out), np.where(on_y, sign * out, a), z], axis=1))
        coords.append(np.stack([u, storey + t * 0.999, style], axis=1))
    v, c = np.stack(corners, axis=1), np.stack(coords, axis=1)  # n x 4 x 3
    flip = (on_y & (sign > 0)) | (~on_y & (sign < 0))
    v[flip], c[flip] = v[flip][:, ::-1], c[flip][:, ::-1]
    tri = np.array([0, 1, 2, 0, 2, 3])
    pos, col = v[:, tri].reshape(-1, 3), c[:, tri].reshape(-1, 3)
    e1, e2 = v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]
    nrm = np.cross(e1, e2)
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    return Mesh(pos=pos.astype(np.float32), nrm=np.repeat(nrm, 6, axis=0).astype(np.float32),
                col=col.astype(np.float32), part=np.full(len(pos), FACADE, np.float32))


#: the colour FACADE quads take outside the renderer (exports): a dark glass
FACADE_GLASS_RGB = (0.05, 0.06, 0.08)


def with_plain_windows(mesh: Mesh) -> Mesh:
    """The mesh with its FACADE quads' window coordinates replaced by a glass colour (for exporters)."""
    facade = mesh.part == FACADE
    if not facade.any():
        return mesh
    col = mesh.col.copy()
    col[facade] = FACADE_GLASS_RGB
    part = np.where(facade, WINDOW, mesh.part).astype(mesh.part.dtype)
    return Mesh(pos=mesh.pos, nrm=mesh.nrm, col=col, part=part)


def _tower(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    r = max(w, d) / 2
    return [
        box((0, 0, h * 0.42), (w, d, h * 0.84), rgb),
        frustum(r * 1.25, 0.0, h * 0.84, h, 4, (0.25, 0.1, 0.08), phase=math.pi / 4),
    ]


#: a church window's FACADE style (mesh.frag): a pointed arch of leaded, stained glass, lit warm at dusk and night;
#: its style's fraction (times CHURCH_SPRING_CODE) carries where the arch springs (a share of the window's height)
CHURCH_WINDOW, CHURCH_SPRING_CODE = 4.0, 0.25
#: linear colours: a church's slate roof and spire, a great church's copper spire, its door, its belfry's dark
#: openings, the cross on its gable and spire
CHURCH_SLATE, CHURCH_COPPER, CHURCH_DOOR, CHURCH_DARK, CHURCH_CROSS = (0.05, 0.055, 0.065), (0.09, 0.2, 0.15), \
    (0.1, 0.05, 0.025), (0.012, 0.012, 0.014), (0.5, 0.42, 0.2)
#: below this length (m) a church is a chapel: a bellcote on its west gable, no tower; above CATHEDRAL_FROM a
#: great church: a transept across its nave, buttresses, a copper spire
CHAPEL_BELOW_M, CATHEDRAL_FROM_M = 19.0, 30.0


def _arch_outline(a0: float, a1: float, z0: float) -> tuple[list[tuple[float, float]], float, float]:
    """A lancet from a0 to a1 (along a face) whose sides rise from z0 (to where its arch springs, `spring`):
    the outline (along, height) counter-clockwise, the springing height and the apex (an equilateral arch: each
    side an arc about the other springing point, its apex 0.866 of the width above them)."""
    span = a1 - a0
    spring = z0
    rim = [(a0, z0), (a1, z0)]
    for k in range(7):  # the right side up to the apex, then the left side down
        t = math.radians(60.0 * k / 6)
        rim.append((a0 + span * math.cos(t), spring + span * math.sin(t)))
    for k in range(5, -1, -1):
        t = math.radians(60.0 * k / 6)
        rim.append((a1 - span * math.cos(t), spring + span * math.sin(t)))
    return rim, spring, spring + span * math.sin(math.radians(60.0))


def _arched(face: int, a0: float, a1: float, z0: float, z1: float, out: float, rgb: tuple[float, float, float],
            part: float = PLAIN, pane: int = 0) -> Mesh:
    """A pointed-arched panel on a box's face (-1/1: -y/+y, -2/2: -x/+x) `out` from the middle, from a0 to a1
    along it and z0 to its apex z1 (the arch springs 0.866 of its width below the apex). A FACADE panel's colour
    holds its window coordinates for mesh.frag (pane, height share, style and where the arch springs)."""
    span = a1 - a0
    rim, _, _ = _arch_outline(a0, a1, z1 - 0.866 * span)
    rim[0], rim[1] = (a0, z0), (a1, z0)
    sign = 1.0 if face > 0 else -1.0
    pts = [((a, sign * out, z) if abs(face) == 1 else (sign * out, a, z)) for a, z in rim]
    n = len(pts)
    faces = [(0, k, k + 1) for k in range(1, n - 1)]
    if (abs(face) == 1 and sign > 0) or (abs(face) == 2 and sign < 0):
        faces = [(a, c, b) for a, b, c in faces]
    mesh = from_faces(np.asarray(pts, np.float64), np.asarray(faces), rgb, part)
    if part == FACADE:  # window coordinates: an affine map of the place on the face, exact across each triangle
        spring = (z1 - 0.866 * span - z0) / max(z1 - z0, 1e-6)
        along = mesh.pos[:, 0] if abs(face) == 1 else mesh.pos[:, 1]
        u = np.clip((along - a0) / span, 0.0, 1.0)
        t = np.clip((mesh.pos[:, 2] - z0) / max(z1 - z0, 1e-6), 0.0, 0.999)
        mesh.col = np.stack([pane + u, t, np.full(len(u), CHURCH_WINDOW + CHURCH_SPRING_CODE * spring)],
                            axis=1).astype(np.float32)
    return mesh


def _nave(x0: float, x1: float, d: float, wall_h: float, rise: float, rgb: tuple[float, float, float],
          roof: tuple[float, float, float], along_y: bool = False) -> list[Mesh]:
    """Walls from x0 to x1 (d wide) up to wall_h, gable ends up to the ridge, and a steep roof of two slopes that
    overhang the eaves; `along_y` turns it to run across y (a transept)."""
    hl, hd, o = (x1 - x0) / 2, d / 2, 0.45
    cx = (x0 + x1) / 2
    walls = box((0, 0, (wall_h - 2.0) / 2), (2 * hl, d, wall_h + 2.0), rgb)  # footings into a slope
    end = from_faces(np.array([[-hl, -hd, wall_h], [-hl, hd, wall_h], [-hl, 0, wall_h + rise],
                               [hl, -hd, wall_h], [hl, hd, wall_h], [hl, 0, wall_h + rise]]),
                     np.array([[0, 2, 1], [3, 4, 5]]), rgb)
    drop = o * rise / hd
    slopes = from_faces(np.array([[-hl - o, -hd - o, wall_h - drop], [hl + o, -hd - o, wall_h - drop],
                                  [hl + o, 0, wall_h + rise], [-hl - o, 0, wall_h + rise],
                                  [-hl - o, hd + o, wall_h - drop], [hl + o, hd + o, wall_h - drop]]),
                        np.array([[0, 1, 2], [0, 2, 3], [4, 3, 2], [4, 2, 5]]), roof)
    parts = [walls, end, slopes]
    return [transform(m, yaw=math.pi / 2 if along_y else 0.0, offset=(0.0, cx, 0.0) if along_y else (cx, 0.0, 0.0))
            for m in parts]


def _cross(x: float, z: float, size: float) -> list[Mesh]:
    """A cross standing on (x, 0, z), `size` tall, facing along x."""
    return [box((x, 0, z + size / 2), (0.12 * size, 0.12 * size, size), CHURCH_CROSS),
            box((x, 0, z + 0.66 * size), (0.12 * size, 0.55 * size, 0.12 * size), CHURCH_CROSS)]


def _church(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A church along x, w long and d wide, its spire's tip at h: a nave with a steep slate roof, tall pointed
    windows of stained glass down both sides (FACADE style CHURCH_WINDOW: lit at dusk and night) between
    buttresses, a round apse at the east end (+x), and at the west end a square bell tower with arched belfry
    openings, the arched west door at its foot and a spire on top. A chapel (shorter than CHAPEL_BELOW_M) has a
    bellcote on its west gable instead, its door in the gable; a great church (longer than CATHEDRAL_FROM_M) a
    transept across its nave and a copper spire. Crosses on the east gable and the spire."""
    chapel, great = w < CHAPEL_BELOW_M, w > CATHEDRAL_FROM_M
    dark = tuple(c * 0.8 for c in rgb)
    tw = 0.0 if chapel else min(0.66 * d, 0.3 * w)  # the tower's side
    apse_r = 0.0 if chapel else 0.3 * d
    wall_h = 0.27 * h if not chapel else 0.42 * h
    rise = 0.62 * d
    x0, x1 = -w / 2 + tw, w / 2 - apse_r
    parts = _nave(x0, x1, d, wall_h, rise, rgb, CHURCH_SLATE)
    # windows down both sides, buttresses between them (the transept's crossing left plain)
    length = x1 - x0
    count = max(2, int(length / 3.8))
    pitch = length / count
    win = min(1.5, 0.38 * pitch)
    cross_x = x0 + 0.68 * length
    tx_half = 0.45 * d if great else 0.0
    for side in (-1, 1):
        for k in range(count):
            c = x0 + (k + 0.5) * pitch
            if great and abs(c - cross_x) < tx_half + win:
                continue
            parts.append(_arched(side, c - win / 2, c + win / 2, 0.3 * wall_h, 0.86 * wall_h, d / 2 + 0.04, rgb,
                                 FACADE, pane=k + count * (side > 0)))
        for k in range(1, count):
            bx = x0 + k * pitch
            if great and abs(bx - cross_x) < tx_half + 0.5:
                continue
            parts.append(box((bx, side * (d / 2 + 0.25), 0.38 * wall_h - 0.5), (0.6, 0.5, 0.76 * wall_h + 1.0), dark))
    if great:  # the transept: a cross wing through the nave, a tall window in each of its gables
        wing = _nave(-0.95 * d, 0.95 * d, 2 * tx_half, wall_h, rise, rgb, CHURCH_SLATE, along_y=True)
        wing += [_arched(side, -0.35 * tx_half, 0.35 * tx_half, 0.3 * wall_h, wall_h + 0.3 * rise, 0.95 * d + 0.04,
                         rgb, FACADE, pane=2 * count + (side > 0)) for side in (-1, 1)]
        parts += [transform(m, offset=(cross_x, 0.0, 0.0)) for m in wing]
    if apse_r:  # the apse: half a round tower against the east gable, under a half cone
        apse = [frustum(apse_r, apse_r, -2.0, 0.85 * wall_h, 10, rgb, phase=math.pi / 10),
                frustum(apse_r + 0.35, 0.0, 0.85 * wall_h, 0.85 * wall_h + 0.8 * apse_r, 10, CHURCH_SLATE,
                        phase=math.pi / 10)]
        parts += [transform(m, offset=(x1, 0.0, 0.0)) for m in apse]
    parts += _cross(x1 + 0.2, wall_h + rise - 0.1, 1.6 if not great else 2.6)
    if chapel:  # the west gable: an arched door, a round window above, a bellcote on its apex
        parts.append(_arched(-2, -0.7, 0.7, 0.0, 3.0, w / 2 + 0.05, CHURCH_DOOR))
        parts.append(_arched(-2, -0.4, 0.4, wall_h * 0.72, wall_h * 0.72 + 1.5, w / 2 + 0.05, rgb, FACADE,
                             pane=2 * count))
        top = wall_h + rise
        bx = x0 + 0.6
        parts += [box((bx, y, top + 0.6), (0.5, 0.35, 1.8), rgb) for y in (-0.6, 0.6)]
        parts += [box((bx, 0, top - 0.3), (0.6, 1.6, 0.6), rgb), box((bx, 0, top + 1.65), (0.7, 1.75, 0.3), rgb)]
        parts.append(frustum(0.3, 0.12, top + 0.35, top + 0.95, 6, CHURCH_CROSS))  # the bell
        parts.append(frustum(0.75, 0.0, top + 1.8, top + 2.5, 4, CHURCH_SLATE, phase=math.pi / 4))
        return parts
    # the tower: square, a string course below the belfry, arched openings in each face, a spire
    tower_top = max(0.56 * h, wall_h + rise + 0.35 * tw)
    txc = -w / 2 + tw / 2
    belfry = tower_top - 0.9 * tw
    tower = [box((0, 0, (tower_top - 2.0) / 2), (tw, tw, tower_top + 2.0), rgb),
             box((0, 0, belfry - 0.2), (tw + 0.3, tw + 0.3, 0.35), dark),
             box((0, 0, tower_top + 0.2), (tw + 0.4, tw + 0.4, 0.4), dark)]
    for face in (-1, 1, -2, 2):
        tower.append(_arched(face, -0.22 * tw, 0.22 * tw, belfry + 0.3, tower_top - 0.5, tw / 2 + 0.04, CHURCH_DARK))
    tower.append(_arched(-2, -0.22 * tw, 0.22 * tw, 0.0, min(4.2, 0.3 * tower_top), tw / 2 + 0.05, CHURCH_DOOR))
    tower.append(_arched(-2, -0.14 * tw, 0.14 * tw, 0.45 * tower_top, 0.45 * tower_top + 0.5 * tw, tw / 2 + 0.04, rgb,
                         FACADE, pane=2 * count + 2))
    spire_top = h - (2.6 if great else 1.6)
    tower.append(frustum(0.5 * tw * 1.02, 0.0, tower_top + 0.4, spire_top, 8, CHURCH_COPPER if great else CHURCH_SLATE,
                         phase=math.pi / 8))
    tower += _cross(0.0, spire_top - 0.2, h - spire_top + 0.2)
    parts += [transform(m, offset=(txc, 0.0, 0.0)) for m in tower]
    return parts


def _lighthouse(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    r = max(w, d) / 2
    parts, bands = [], 6
    for k in range(bands):
        z0, z1 = h * 0.8 * k / bands, h * 0.8 * (k + 1) / bands
        rr0, rr1 = r * (1 - 0.35 * z0 / h), r * (1 - 0.35 * z1 / h)
        band = (0.75, 0.08, 0.06) if k % 2 else (0.85, 0.85, 0.82)
        parts.append(frustum(rr0, rr1, z0, z1, 12, band, caps=False))
    top = r * 0.68
    parts += [
        frustum(top * 1.3, top * 1.3, h * 0.8, h * 0.82, 12, (0.1, 0.1, 0.1)),
        frustum(top * 0.8, top * 0.8, h * 0.82, h * 0.92, 10, (1.0, 0.9, 0.6), LAMP),
        frustum(top * 0.95, 0.0, h * 0.92, h, 10, (0.6, 0.06, 0.05)),
    ]
    return parts


def _bridge(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A deck of length w along X and width d, its top at height h above the base point."""
    parts = [box((0, 0, h - 0.4), (w, d, 0.8), rgb)]
    parts += [box((0, y, h + 0.5), (w, 0.2, 1.0), rgb) for y in (-d / 2 + 0.1, d / 2 - 0.1)]
    n = max(2, int(w / 12) + 1)
    parts += [
        box((x, 0, (h - 0.8) / 2 - 4), (1.0, d * 0.6, h - 0.8 + 8), (0.35, 0.33, 0.3))
        for x in np.linspace(-w / 2 + 2, w / 2 - 2, n)
    ]
    return parts


def _stone_bridge(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A masonry bridge of length w along X and width d, its road at height h: a deep deck with solid parapets
    and a paler coping, on broad piers that step out at the water (stone, brick or concrete: `rgb`)."""
    dark, pale = tuple(c * 0.82 for c in rgb), tuple(min(1.0, c * 1.2) for c in rgb)
    parts = [box((0, 0, h - 0.9), (w, d, 1.8), rgb)]
    parts += [box((0, y, h + 0.45), (w, 0.5, 0.9), rgb) for y in (-d / 2 + 0.25, d / 2 - 0.25)]
    parts += [box((0, y, h + 0.95), (w + 0.2, 0.62, 0.12), pale) for y in (-d / 2 + 0.25, d / 2 - 0.25)]
    n = max(2, int(w / 10) + 1)
    for x in np.linspace(-w / 2 + 1.5, w / 2 - 1.5, n):
        parts.append(box((x, 0, (h - 1.8) / 2 - 4), (2.2, d, h - 1.8 + 8), dark))
        parts.append(box((x, 0, -3.0), (3.0, d + 0.8, 6.0), dark))  # the cutwater at the waterline
    return parts


def _tent(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A ridge tent w long (along x) by d wide: a flysheet pitched over a ridge, its ends closed by triangles
    (the front one, at +x, a dark open door), a groundsheet's edge, guy lines out to pegs, and poles at both ends."""
    hw, hd = w / 2, d / 2
    sheet = tuple(c * 0.8 for c in rgb)
    sag, hem = TENT_SAG * h, TENT_HEM_M
    # the flysheet: its ridge sagging between the poles, its skirt a darker hem out to the pegs
    v = np.array([[-hw, -hd, 0.02], [hw, -hd, 0.02], [hw, hd, 0.02], [-hw, hd, 0.02], [-hw, 0, h], [hw, 0, h],
                  [0, 0, h - sag], [0, -hd - 0.05, 0.02], [0, hd + 0.05, 0.02]])
    lo = np.array([[-hw, -hd + hem * hd / h, hem], [hw, -hd + hem * hd / h, hem], [hw, hd - hem * hd / h, hem],
                   [-hw, hd - hem * hd / h, hem], [0, -hd - 0.05 + hem * hd / h, hem], [0, hd + 0.05 - hem * hd / h, hem]])
    v = np.concatenate([v, lo])  # 9..14: the hem's top edge
    fly = from_faces(v, np.array([[9, 13, 6], [9, 6, 4], [13, 10, 5], [13, 5, 6], [11, 14, 6], [11, 6, 5],
                                  [14, 12, 4], [14, 4, 6]]), rgb)
    skirt = from_faces(v, np.array([[0, 7, 13], [0, 13, 9], [7, 1, 10], [7, 10, 13], [2, 8, 14], [2, 14, 11],
                                    [8, 3, 12], [8, 12, 14]]), tuple(c * 0.55 for c in rgb))
    back = from_faces(v, np.array([[0, 4, 3]]), sheet)
    door_v = np.array([[hw - 0.05, -0.42 * hd, 0.03], [hw - 0.05, 0.42 * hd, 0.03], [hw - 0.05, 0, 0.8 * h]])
    inner = from_faces(np.array([[hw - 0.12, -hd + 0.05, 0.02], [hw - 0.12, hd - 0.05, 0.02], [hw - 0.12, 0, h - 0.04]]),
                       np.array([[0, 1, 2]]), sheet)
    door = from_faces(door_v, np.array([[0, 1, 2]]), (0.03, 0.03, 0.03))
    pole = (0.2, 0.2, 0.22)
    parts = [fly, skirt, back, inner, door, box((0, 0, 0.01), (w + 0.1, d + 0.1, 0.02), (0.12, 0.12, 0.1))]
    parts += [box((x, 0, h / 2 + 0.05), (0.04, 0.04, h + 0.1), pole) for x in (-hw, hw)]
    for x in (-hw - 0.6, hw + 0.6):  # guy lines from the ridge's ends out to pegs
        end = np.array([np.sign(x) * hw, 0.0, h])
        peg = np.array([x, 0.0, 0.0])
        mid, span = (end + peg) / 2, peg - end
        line = box(tuple(mid), (0.02, 0.02, float(np.linalg.norm(span))), (0.7, 0.7, 0.65))
        parts.append(_tilt_about_y(line, mid, math.atan2(span[0], span[2])))
    return parts


#: a tent's ridge sags this share of its height between its poles; its flysheet's darker hem is this high (m)
TENT_SAG, TENT_HEM_M = 0.07, 0.28


def _tilt_about_y(m: Mesh, centre: np.ndarray, angle: float) -> Mesh:
    """The mesh turned by `angle` about a y axis through `centre`."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    pos = (m.pos - centre) @ rot.T + centre
    return Mesh(pos=pos.astype(np.float32), nrm=(m.nrm @ rot.T).astype(np.float32), col=m.col, part=m.part)


#: a campfire's flames (a lamp part: they glow, brightest at night), its logs and the ash in its ring
FLAME_RGB, LOG_RGB, ASH_RGB = (1.0, 0.45, 0.08), (0.22, 0.13, 0.07), (0.08, 0.075, 0.07)


def _campfire(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A ring of stones round a bed of ash, logs leant together over it, and flames in the middle."""
    r = min(w, d) / 2
    parts = [frustum(r * 0.8, r * 0.8, 0.0, 0.04, 10, ASH_RGB)]
    for k in range(9):
        a = 2 * math.pi * k / 9
        size = 0.16 + 0.04 * (k % 3)
        parts.append(blob((r * math.cos(a), r * math.sin(a), 0.06), (size, size, 0.7 * size), rgb, PLAIN, seed=k))
    for k in range(4):  # logs leant into a cone over the fire
        a = 2 * math.pi * k / 4 + 0.4
        log = box((0.0, 0.0, 0.0), (0.1, 0.1, 0.9 * r * 1.4), LOG_RGB)
        log = _tilt_about_y(log, np.zeros(3), math.radians(55))
        parts.append(transform(log, yaw=a, offset=(0.35 * r * math.cos(a), 0.35 * r * math.sin(a), 0.25)))
    parts += [frustum(0.28 * r, 0.0, 0.05, h, 5, FLAME_RGB, LAMP), frustum(0.16 * r, 0.0, 0.05, 0.7 * h, 5,
                                                                            (1.0, 0.8, 0.3), LAMP, phase=0.6)]
    return parts


def _block(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    return [box((0, 0, h / 2), (w, d, h), rgb)]


#: a ruin's walls are laid in columns of stone this wide (m), each broken to its own height
RUIN_STONE_M = 1.5


def _ruin_wall(a: tuple[float, float], b: tuple[float, float], t: float, heights: np.ndarray,
               rgb: tuple[float, float, float], rng: np.random.Generator) -> list[Mesh]:
    """A wall of thickness t from a to b as columns of stone broken to `heights` (0: a gap), each column
    in courses of a slightly different tone, so the top reads uneven and the wall reads as laid stone."""
    ax, ay, bx, by = *a, *b
    length, n = math.hypot(bx - ax, by - ay), len(heights)
    yaw, step = math.atan2(by - ay, bx - ax), math.hypot(bx - ax, by - ay) / n
    parts = []
    for k, top in enumerate(heights):
        courses = max(1, int(top / 1.2 + 0.5)) if top > 0.2 else 0
        for c in range(courses):
            z0, z1 = (top * c / courses if c else -1.5), top * (c + 1) / courses  # footings into a slope
            tone = float(rng.uniform(0.82, 1.12))
            along = -length / 2 + (k + 0.5) * step + (0.08 * (c % 2) - 0.04)
            stone = box((along, 0.0, (z0 + z1) / 2), (step * 1.02, t * (1.0 - 0.06 * (c % 2)), z1 - z0),
                        tuple(ch * tone for ch in rgb))
            parts.append(transform(stone, yaw=yaw, offset=((ax + bx) / 2, (ay + by) / 2, 0.0)))
    return parts


def _ruins(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A roofless keep fallen to ruin: four walls of laid stone broken to uneven heights, the back wall the
    highest with a window gap, the front wall down to stubs with a breach, and fallen blocks round its foot."""
    rng = np.random.default_rng(7)
    t, hw, hd = 0.9, w / 2, d / 2
    def heights(n: int, hi: float, lo: float, gaps: tuple[int, ...] = ()) -> np.ndarray:
        ramp = np.linspace(hi, lo, n) * rng.uniform(0.7, 1.0, n)
        ramp[list(gaps)] = 0.0
        return ramp
    nw, nd = max(3, round(w / RUIN_STONE_M)), max(3, round(d / RUIN_STONE_M))
    back = heights(nw, h, h * 0.55)
    back[nw // 2] *= 0.45  # a window broken through the highest wall
    parts = _ruin_wall((-hw, hd - t / 2), (hw, hd - t / 2), t, back, rgb, rng)
    parts += _ruin_wall((-hw + t / 2, -hd), (-hw + t / 2, hd - t), t, heights(nd, h * 0.3, h * 0.9), rgb, rng)
    parts += _ruin_wall((hw - t / 2, -hd), (hw - t / 2, hd - t), t, heights(nd, h * 0.15, h * 0.6, (1,)), rgb, rng)
    parts += _ruin_wall((-hw + t, -hd + t / 2), (hw - t, -hd + t / 2), t,
                        heights(nw - 2, h * 0.35, h * 0.1, (nw // 2 - 1, nw // 2)), rgb, rng)
    for _ in range(9):  # fallen blocks, most of them before the breach
        x, y = rng.uniform(-hw - 2.5, hw + 2.5), rng.uniform(-hd - 4.0, hd * 0.4)
        size = rng.uniform(0.6, 1.3)
        stone = box((0.0, 0.0, size * 0.3), (size * 1.4, size, size * 0.6), tuple(c * rng.uniform(0.8, 1.05) for c in rgb))
        parts.append(transform(stone, yaw=float(rng.uniform(0, math.pi)), offset=(x, y, 0.0)))
    return parts


def _ruined_church(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A church's roofless shell, its nave along x: the gable walls standing to h, each with the tall gap of its
    great window (the east one wider), the side walls broken to uneven heights with the gaps of their windows,
    and fallen blocks at their feet."""
    rng = np.random.default_rng(11)
    t, hw, hd = 1.0, w / 2, d / 2
    wall_h = 0.55 * h
    n = max(6, round(w / RUIN_STONE_M))
    parts: list[Mesh] = []
    for side in (-1, 1):  # the side walls: windows every other column or so, broken lower towards one end
        heights = wall_h * rng.uniform(0.55, 1.0, n) * np.linspace(1.0, 0.7 if side > 0 else 0.9, n)
        heights[2:-2:3] = 0.35 * wall_h  # window gaps down to their sills
        heights[n // 2 + side] = 0.0 if side > 0 else heights[n // 2 + side]  # a breach in one wall
        parts += _ruin_wall((-hw + t, side * (hd - t / 2)), (hw - t, side * (hd - t / 2)), t, heights, rgb, rng)
    m = max(5, round(d / RUIN_STONE_M))
    across = np.abs(np.linspace(-1.0, 1.0, m))
    for end, opening in ((-1, 0.22), (1, 0.3)):  # the gables: their profile, the great window's gap in the middle
        heights = wall_h + (h - wall_h) * (1.0 - across) * rng.uniform(0.85, 1.0, m)
        gap = across < opening * 2.0
        heights[gap] = 0.3 * wall_h
        parts += _ruin_wall((end * (hw - t / 2), -hd), (end * (hw - t / 2), hd), t, heights, rgb, rng)
        z0, z1 = 0.95 * wall_h, float(wall_h + (h - wall_h) * (1.0 - opening * 2.0))  # the stones over the gap
        if z1 > z0 + 0.5:
            parts.append(box((end * (hw - t / 2), 0.0, (z0 + z1) / 2), (t, d * opening * 2.2, z1 - z0), rgb))
    for _ in range(12):  # fallen blocks inside the nave and round its walls
        x, y = rng.uniform(-hw - 2.0, hw + 2.0), rng.uniform(-hd - 2.5, hd + 2.5)
        size = rng.uniform(0.5, 1.2)
        stone = box((0.0, 0.0, size * 0.3), (size * 1.4, size, size * 0.6), tuple(c * rng.uniform(0.8, 1.05) for c in rgb))
        parts.append(transform(stone, yaw=float(rng.uniform(0, math.pi)), offset=(x, y, 0.0)))
    return parts


def _windmill(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A tapering tower with four sails on its front (+x) face."""
    r = max(w, d) / 2
    sail, hub = (0.85, 0.82, 0.75), (w / 2 + 0.4, 0.0, h * 0.8)
    parts = [frustum(r, r * 0.7, 0, h * 0.85, 8, rgb), frustum(r * 0.8, 0.0, h * 0.85, h, 8, (0.3, 0.15, 0.1))]
    for k in range(4):
        blade = box((0.0, 0.0, h * 0.22), (0.2, 1.4, h * 0.44), sail)
        c, s_ = math.cos(k * math.pi / 2 + 0.3), math.sin(k * math.pi / 2 + 0.3)
        rot = np.array([[1, 0, 0], [0, c, -s_], [0, s_, c]])  # about the x axis, in the sails' plane
        parts.append(Mesh(pos=(blade.pos @ rot.T + hub).astype(np.float32),
                          nrm=(blade.nrm @ rot.T).astype(np.float32), col=blade.col, part=blade.part))
    return parts


def _waterfall(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """Falling water across the river (which flows along +x): a lip of green-white water curling over at the
    top, the fall in bands that pale as it breaks up, and a pool of white foam where it lands."""
    deep = tuple(0.55 * c for c in rgb)
    lip = box((-0.9, 0.0, h + 0.05), (1.8, w, 0.3), deep)  # the smooth water pouring over the edge
    bands = []
    for k in range(4):  # each band a little farther out and wider as the fall spreads
        z0, z1 = h * (1.0 - (k + 1) / 4), h * (1.0 - k / 4)
        shade = tuple(min(1.0, c * (0.75 + 0.1 * k)) for c in rgb)
        bands.append(box((0.15 * k, 0.0, (z0 + z1) / 2), (0.6, w * (1.0 + 0.03 * k), z1 - z0 + 0.05), shade))
    foam = [blob((1.8, y, 0.1), (2.2, 0.35 * w, 0.6), rgb, seed=21 + k) for k, y in enumerate((-0.25 * w, 0.25 * w))]
    return [lip, *bands, *foam]


# --- boats and harbours ---------------------------------------------------------------------------


def _outward(verts: np.ndarray, faces: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Faces wound so that each one's normal points away from its reference point (one row per face)."""
    tri = verts[faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", n, tri.mean(axis=1) - ref) < 0
    out = faces.copy()
    out[flip] = out[flip][:, ::-1]
    return out


def _hull(length: float, beam: float, freeboard: float, draft: float, rgb: tuple[float, float, float],
          stripe: tuple[float, float, float], deck: tuple[float, float, float], sharp: float = 1.0) -> list[Mesh]:
    """A closed hull lofted through seven cross-sections from the transom (-x) to a pointed bow (+x), its
    waterline at z = 0: a stripe along the sheer, the hull below it, a deck on top."""
    t = np.array([0.0, 0.12, 0.3, 0.5, 0.7, 0.86, 1.0])
    half = beam / 2 * np.array([0.8, 0.94, 1.0, 1.0, 0.9, 0.62 - 0.12 * (sharp - 1), 0.03])
    sheer = freeboard * (1.0 + 0.3 * t**2)
    keel = -draft * np.array([0.8, 1.0, 1.0, 1.0, 0.85, 0.45, -0.5])
    x = -length / 2 + t * length
    rows = []
    for k in range(len(t)):
        b, zs, zk = half[k], sheer[k], keel[k]
        strake, chine = zs - 0.28 * freeboard, zk * 0.45 + zs * 0.05
        rows.append([(x[k], b, zs), (x[k], b * 0.98, strake), (x[k], b * 0.8, chine), (x[k], 0.0, zk),
                     (x[k], -b * 0.8, chine), (x[k], -b * 0.98, strake), (x[k], -b, zs)])
    v = np.asarray(rows, np.float64).reshape(-1, 3)
    idx = np.arange(len(v)).reshape(len(t), 7)

    def ref(f: np.ndarray) -> np.ndarray:  # a point on the hull's axis inside each face's part of the hull
        return np.c_[np.clip(v[f].mean(axis=1)[:, 0], -length / 4, length / 4), np.zeros(len(f)),
                     np.full(len(f), (freeboard - draft) / 4)]

    def band(cols: list[int]) -> np.ndarray:
        a, b = idx[:-1][:, cols], idx[:-1][:, [c + 1 for c in cols]]
        c, d = idx[1:][:, cols], idx[1:][:, [c + 1 for c in cols]]
        return np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])

    def part(faces: np.ndarray, colour: tuple[float, float, float]) -> Mesh:
        return from_faces(v, _outward(v, faces, ref(faces)), colour)

    top = np.concatenate([np.stack([idx[:-1, 0], idx[:-1, 6], idx[1:, 6]], 1), np.stack([idx[:-1, 0], idx[1:, 6], idx[1:, 0]], 1)])
    ends = np.concatenate([np.stack([np.full(5, r[0]), r[1:6], r[2:7]], 1) for r in (idx[0], idx[-1])])
    return [part(band([1, 2, 3, 4]), rgb), part(band([0, 5]), stripe), part(top, deck), part(ends, rgb)]


def _two_sided(points: list[tuple[float, float, float]], rgb: tuple[float, float, float]) -> Mesh:
    """A flat triangle (a sail) with a face to each side."""
    v = np.asarray(points, np.float64)
    return from_faces(v, np.array([[0, 1, 2], [0, 2, 1]]), rgb)


def _glass_band(x0: float, x1: float, z0: float, z1: float, y: float) -> list[Mesh]:
    """A strip of windows along both sides at |y|, from x0 to x1 and z0 to z1 (lit at night)."""
    glass = (0.05, 0.06, 0.08)
    return [box(((x0 + x1) / 2, s * y, (z0 + z1) / 2), (x1 - x0, 0.06, z1 - z0), glass, WINDOW) for s in (-1, 1)]


WHITE_PAINT, DARK_PAINT, TEAK = (0.8, 0.8, 0.78), (0.03, 0.03, 0.035), (0.3, 0.18, 0.09)


def _fishing_boat(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A hull with a wheelhouse aft of midships, a mast and a gantry at the stern."""
    f = 0.12 * w
    white = WHITE_PAINT if sum(rgb) < 2.0 else (0.05, 0.12, 0.35)
    parts = _hull(w, d, f, 0.09 * w, rgb, white, (0.35, 0.33, 0.3))
    x0, x1, top = -0.2 * w, 0.08 * w, f + 0.22 * w
    parts += [box(((x0 + x1) / 2, 0, (f + top) / 2), (x1 - x0, 0.6 * d, top - f), WHITE_PAINT),
              box(((x0 + x1) / 2, 0, top + 0.05), (x1 - x0 + 0.3, 0.66 * d, 0.12), DARK_PAINT),
              box((x1 + 0.02, 0, top - 0.45), (0.06, 0.5 * d, 0.55), (0.05, 0.06, 0.08), WINDOW)]
    parts += _glass_band(x0 + 0.3, x1 - 0.3, top - 0.75, top - 0.3, 0.3 * d + 0.02)
    parts.append(frustum(0.07 * d / 3.4, 0.04, top, max(h, top + 1.0), 5, WHITE_PAINT, phase=0.3))
    parts.append(box((-0.2 * w, 0, top + 0.9), (0.4 * w, 0.1, 0.1), DARK_PAINT))  # a boom out over the stern
    for s in (-1, 1):
        parts.append(box((-0.44 * w, s * 0.36 * d, f + 1.3), (0.15, 0.15, 2.6), DARK_PAINT))
    parts.append(box((-0.44 * w, 0, f + 2.6), (0.15, 0.72 * d + 0.15, 0.15), DARK_PAINT))
    return parts


def _sailboat(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A sleek hull with a low cabin, a tall mast, a mainsail on its boom and a jib."""
    f = 0.1 * w
    stripe = (0.03, 0.05, 0.18) if sum(rgb) > 1.2 else WHITE_PAINT
    parts = _hull(w, d, f, 0.12 * w, rgb, stripe, TEAK, sharp=1.6)
    parts += [box((-0.05 * w, 0, f + 0.3), (0.38 * w, 0.55 * d, 0.6), WHITE_PAINT)]
    parts += _glass_band(-0.18 * w, 0.08 * w, f + 0.35, f + 0.52, 0.275 * d + 0.02)
    xm, sail = 0.08 * w, (0.85, 0.85, 0.8)
    parts.append(frustum(0.09, 0.05, f, h, 5, (0.7, 0.7, 0.72)))
    parts[-1] = transform(parts[-1], offset=(xm, 0, 0))
    parts.append(box((xm - 0.21 * w, 0, f + 1.1), (0.42 * w + 0.1, 0.1, 0.1), (0.7, 0.7, 0.72)))
    parts.append(_two_sided([(xm - 0.1, 0, f + 1.2), (xm - 0.1, 0, h - 0.3), (xm - 0.42 * w, 0, f + 1.2)], sail))
    parts.append(_two_sided([(0.47 * w, 0, f + 0.45), (xm + 0.1, 0, 0.86 * h), (xm + 0.15, 0, f + 0.9)], sail))
    return parts


def _rowboat(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A small open boat: dark inside, two thwarts, oars out over the sides."""
    f = h / 1.3  # the sheer rises to h at the bow
    parts = _hull(w, d, f, 0.3 * f, rgb, (0.4, 0.26, 0.14), (0.12, 0.07, 0.04))
    wood = (0.45, 0.3, 0.16)
    parts += [box((x, 0, f + 0.03), (0.25, 0.9 * d, 0.06), wood) for x in (-0.12 * w, 0.15 * w)]
    for s in (-1, 1):
        oar = box((0.0, 0.0, 0.0), (0.45 * w, 0.07, 0.05), wood)
        parts.append(transform(oar, yaw=s * 1.2, offset=(-0.05 * w - 0.03 * w, s * (d / 2 + 0.1 * w), f + 0.05)))
    return parts


def _motorboat(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A small open motor launch: a console with a windscreen, an outboard at the transom."""
    f = 0.11 * w
    parts = _hull(w, d, f, 0.06 * w, rgb, (0.05, 0.1, 0.3) if sum(rgb) > 1.2 else WHITE_PAINT, TEAK, sharp=1.4)
    parts += [box((0.0, 0, f + 0.45), (0.6, 0.5 * d, 0.9), WHITE_PAINT),
              box((0.32, 0, f + 1.05), (0.06, 0.5 * d, 0.35), (0.05, 0.06, 0.08), WINDOW),
              box((-0.5 * w - 0.15, 0, f * 0.6), (0.35, 0.35, 0.9), DARK_PAINT)]
    return parts


def _ferry(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A big hull with two white decks of windows, a bridge forward and a funnel aft."""
    f = 0.065 * w
    parts = _hull(w, d, f, 0.06 * w, rgb, WHITE_PAINT, (0.3, 0.3, 0.32), sharp=1.3)
    decks = ((-0.4 * w, 0.24 * w, 0.86 * d, 3.0), (-0.32 * w, 0.14 * w, 0.76 * d, 2.7))
    z = f
    for x0, x1, wide, tall in decks:
        parts.append(box(((x0 + x1) / 2, 0, z + tall / 2), (x1 - x0, wide, tall), WHITE_PAINT))
        parts += _glass_band(x0 + 1.0, x1 - 1.0, z + 1.0, z + 2.0, wide / 2 + 0.02)
        z += tall
    parts.append(box((0.1 * w, 0, z + 1.2), (0.08 * w, 0.96 * d, 2.4), WHITE_PAINT))
    parts.append(box((0.1 * w + 0.04 * w + 0.03, 0, z + 1.4), (0.06, 0.9 * d, 0.9), (0.05, 0.06, 0.08), WINDOW))
    parts += _glass_band(0.07 * w, 0.13 * w, z + 1.0, z + 1.8, 0.48 * d + 0.02)
    fr = 0.13 * d
    parts += [transform(frustum(fr, fr * 0.9, z, h - 1.0, 10, rgb), offset=(-0.22 * w, 0, 0)),
              transform(frustum(fr * 0.9, fr * 0.88, h - 1.0, h, 10, DARK_PAINT), offset=(-0.22 * w, 0, 0))]
    return parts


def _pier(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A plank deck of length w along X on pairs of piles, with mooring posts along both edges; the base point
    is the water level, the deck stands h above it."""
    parts = [box((0, 0, h - 0.12), (w, d, 0.25), rgb)]
    pile = tuple(c * 0.6 for c in rgb)
    for x in np.arange(-w / 2 + 1.0, w / 2, 4.0):
        for s in (-1, 1):
            parts.append(transform(frustum(0.16, 0.16, -4.0, h - 0.24, 5, pile), offset=(x, s * (d / 2 - 0.2), 0)))
    for x in np.arange(-w / 2 + 8.0, w / 2, 6.0):
        for s in (-1, 1):
            parts.append(transform(frustum(0.13, 0.13, h, h + 0.9, 5, pile), offset=(x, s * (d / 2 - 0.15), 0)))
    return parts


def _quay(w: float, d: float, h: float, rgb: tuple[float, float, float]) -> list[Mesh]:
    """A stone quay along the shore: a block from under the water to h above it, a paler coping along its
    edge and iron bollards on the water side (-y)."""
    cope = tuple(min(1.0, c * 1.35) for c in rgb)
    parts = [box((0, 0, (h - 5.0) / 2), (w, d, h + 5.0), rgb), box((0, -d / 2 + 0.5, h + 0.08), (w, 1.0, 0.16), cope)]
    parts += [transform(frustum(0.22, 0.17, h, h + 0.6, 6, DARK_PAINT), offset=(x, -d / 2 + 0.6, 0))
              for x in np.arange(-w / 2 + 4.0, w / 2 - 2.0, 8.0)]
    return parts


STRUCTURE_BUILDERS = {
    "cabin": _house,
    "house": _house,
    "hut": _house,
    "barn": _house,
    "cottage": _house,
    "farmhouse": _house,
    "highrise": _highrise,
    "tower": _tower,
    "castle": _tower,
    "watchtower": _tower,
    "lighthouse": _lighthouse,
    "bridge": _bridge,
    "pier": _pier,
    "dock": _pier,
    "tent": _tent,
    "campfire": _campfire,
    "skyscraper": _glass_tower,
    "wall": _block,
    "ruin": _ruins,
    "ruins": _ruins,
    "windmill": _windmill,
    "church": _church,
    "chapel": _church,
    "cathedral": _church,
    "waterfall": _waterfall,
    "quay": _quay,
    "fishing_boat": _fishing_boat,
    "sailboat": _sailboat,
    "rowboat": _rowboat,
    "motorboat": _motorboat,
    "ferry": _ferry,
}


def structure_mesh(s: Structure) -> Mesh:
    """World-space mesh for one structure."""
    kind = s.kind.lower()
    w, d, h = max(s.w, 0.2), max(s.d, 0.2), max(s.h, 0.2)
    default_rgb = {"lighthouse": (0.9, 0.9, 0.88), "bridge": (0.45, 0.35, 0.25), "tower": (0.55, 0.53, 0.5)}
    rgb = srgb_to_linear(s.color if s.color is not None else default_rgb.get(kind, (0.62, 0.48, 0.33)))
    builder = STRUCTURE_BUILDERS.get(kind, _house if h < 9 else _block)
    if kind == "highrise" and s.material == "glass":  # a futuristic city's tower (generate/city.py)
        builder = _sleek_highrise
    if kind == "bridge" and s.material in ("stone", "brick", "concrete"):
        builder = _stone_bridge
    if kind == "ruins" and s.roof == "gable":  # the ruins of a church (generate/structures.py RUINED_CHURCH)
        builder = _ruined_church
    local = merge(builder(w, d, h, rgb))
    if s.roll or s.pitch:  # a boat pulled up on a beach, listing on its bilge
        local = tilted(local, s.roll, s.pitch)
    return transform(local, yaw=s.yaw, offset=(s.x, s.y, s.z))


def tilted(m: Mesh, roll: float, pitch: float) -> Mesh:
    """The mesh turned by `roll` about its x axis, then by `pitch` about its y axis (radians; nose up > 0)."""
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(-pitch), math.sin(-pitch)
    rot = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]]) @ np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    return Mesh(pos=(m.pos @ rot.T).astype(np.float32), nrm=(m.nrm @ rot.T).astype(np.float32), col=m.col,
                part=m.part)


# --- terrain and water ----------------------------------------------------------------------------


def grid_patch(cells: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """A chunk's grid as (vertices N x 3 float32 [col, row, skirt], triangle indices uint32).

    Vertices are in cell units from the chunk corner; a ring of skirt vertices (skirt = 1) hangs below the
    edge so that neighbouring chunks at another level of detail leave no cracks."""
    k = cells // stride + 1
    jj, ii = np.meshgrid(np.arange(k) * stride, np.arange(k) * stride)
    grid = np.stack([jj.ravel(), ii.ravel(), np.zeros(k * k)], axis=1)
    idx = np.arange(k * k).reshape(k, k)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    tris = [np.stack([a, b, d], 1), np.stack([a, d, c], 1)]
    border = np.concatenate([idx[0, :], idx[1:, -1], idx[-1, -2::-1], idx[-2:0:-1, 0]])
    skirt = grid[border].copy()
    skirt[:, 2] = 1
    s_idx = k * k + np.arange(len(border))
    nxt = np.roll(np.arange(len(border)), -1)
    tris += [np.stack([border, s_idx, s_idx[nxt]], 1), np.stack([border, s_idx[nxt], border[nxt]], 1)]
    verts = np.concatenate([grid, skirt]).astype(np.float32)
    return verts, np.concatenate(tris).astype(np.uint32).ravel()


def water_mesh(water_hw: np.ndarray, cell_m: float, step: int = 4) -> np.ndarray:
    """Water surface as triangle positions (N x 3 float32) on a grid `step` cells apart."""
    n = water_hw.shape[0]
    wet = np.isfinite(water_hw)
    if not wet.any():
        return np.zeros((0, 3), np.float32)
    m = (n - 1) // step
    blocks = wet[: m * step, : m * step].reshape(m, step, m, step)
    count = blocks.sum(axis=(1, 3)).astype(np.float64)
    total = np.where(wet, water_hw, 0.0)[: m * step, : m * step].reshape(m, step, m, step).sum(axis=(1, 3))
    cells = count > 0
    cell_level = np.where(cells, total / np.maximum(count, 1), 0.0)
    pl, pc = np.pad(cell_level, 1), np.pad(cells.astype(np.float64), 1)
    acc = pl[:-1, :-1] + pl[:-1, 1:] + pl[1:, :-1] + pl[1:, 1:]
    num = pc[:-1, :-1] + pc[:-1, 1:] + pc[1:, :-1] + pc[1:, 1:]
    fill = acc / np.maximum(num, 1)
    ii, jj = np.nonzero(cells)
    corners = [(ii, jj), (ii, jj + 1), (ii + 1, jj + 1), (ii + 1, jj)]
    pts = [np.stack([c[1] * step * cell_m, c[0] * step * cell_m, fill[c]], 1) for c in corners]
    tris = np.stack([pts[0], pts[1], pts[2], pts[0], pts[2], pts[3]], axis=1)
    return tris.reshape(-1, 3).astype(np.float32)
