"""The studio kit: a packshot set for product prompts without outdoor words.

A studio world is small (32 m, flat) and holds three placed meshes (WorldState.meshes, drawn with their
materials like imported ones): a seamless cyclorama backdrop (floor curving up into the wall, in the named
colour, a little darker away from the set like a lit sweep), a plinth / pedestal / podium / turntable / table /
draped cloth of the named material (marble, wood, concrete, stone, glass, metal, velvet, paper, painted; a
procedural texture where the material has a grain) and a stand-in product of the named kind built from
lathed, lofted and swept parts with sensible proportions and materials (a see-through glass bottle with its cap,
a perfume's coloured scent inside clear glass, a watch
with its dial, hands and strap, a can of painted aluminium, a sneaker with its sole ...). Every placed mesh
says its part in `extra["role"]` ("backdrop", "stand", "product"; a stand-in product also has
extra["stand_in"]). An imported mesh replaces the stand-in and stands on the stand (`seat_import`).

The light is a studio's: a soft key from the front left above (the shadow-casting light), a fill from the
sky term (a neutral grey-white "sky" that the glossy product also reflects, like a softbox), a rim light from
behind (env extra "rim_dir" / "rim_color", drawn on placed meshes), no fog, no sun disc in frame. The default
camera (`hero_camera`) stands on the studio's axis and frames the product large.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from ..prompt import studio as sw
from ..prompt.spec import WorldSpec
from ..state.mesh_data import key
from ..state.records import Env, MeshMaterial, MeshPlacement
from ..state.world_state import MATERIALS, WorldState

F32 = np.float32
#: the studio world: side (m), sample spacing (m); the set stands at its middle
SIZE_M, CELL_M = 32.0, 0.5
CENTRE = (SIZE_M / 2, SIZE_M / 2)
#: the backdrop: half its width, how far behind the set its wall stands, how far in front its floor reaches,
#: the sweep's radius and the wall's height (m)
BACK_HALF_W, BACK_WALL_Y, BACK_FLOOR_Y, SWEEP_R, WALL_H = 7.0, 2.4, 9.0, 1.3, 6.0
#: the studio's axis: the camera looks along +Y at the set, the backdrop behind it
AXIS = np.array([0.0, 1.0, 0.0])
ROLES = ("backdrop", "stand", "product")
Progress = Callable[[float, str], None]


# ------------------------------------------------------------------------------------------- geometry


@dataclass(kw_only=True, slots=True)
class Part:
    """A piece of one material: vertices, triangles (counter-clockwise seen from outside), uv, colours."""

    v: np.ndarray
    f: np.ndarray
    material: str
    uv: np.ndarray | None = None
    c: np.ndarray | None = None
    n: np.ndarray | None = None

    def moved(self, rot: np.ndarray | None = None, offset: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> Part:
        v = self.v if rot is None else self.v @ rot.T
        n = None if self.n is None or rot is None else self.n @ rot.T
        return dataclasses.replace(self, v=v + np.asarray(offset), n=n if rot is not None else self.n)


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


#: local +Z turned to face the camera (-Y): a disc lathed about Z becomes a dial facing the front
FACE_FRONT = _rot_x(math.pi / 2)
#: local +Z turned along +X (a headphone cup's axis)
ALONG_X = _rot_y(math.pi / 2)


def _grid_faces(rows: int, cols: int) -> np.ndarray:
    """Triangles of a rows x cols vertex grid (row-major), counter-clockwise for the lathe's orientation."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, d = a + 1, a + cols
    return np.concatenate([np.stack([a, b, d + 1], 1), np.stack([a, d + 1, d], 1)]).astype(np.int64)


def _ring(n: float, segments: int) -> np.ndarray:
    """Unit superellipse points (segments + 1, the seam twice): n = 2 a circle, larger: a rounded square."""
    t = np.linspace(0.0, 2 * math.pi, segments + 1)
    c, s = np.cos(t), np.sin(t)
    e = 2.0 / n
    return np.stack([np.sign(c) * np.abs(c) ** e, np.sign(s) * np.abs(s) ** e], 1)


def lathe(profile: list[tuple[float, ...]], material: str, *, segments: int = 48, n: float = 2.0,
          a: float = 1.0, b: float = 1.0) -> Part:
    """A surface of revolution (or of a superellipse section) from bottom to top: profile points (r, z) or
    (rx, ry, z), scaled by (a, b); a repeated point makes a hard edge, r = 0 closes the end."""
    ring = _ring(n, segments)
    rows = []
    for p in profile:
        rx, ry, z = (p[0], p[0], p[1]) if len(p) == 2 else p
        rows.append(np.column_stack([ring[:, 0] * rx * a, ring[:, 1] * ry * b, np.full(len(ring), z)]))
    v = np.concatenate(rows)
    uv = np.column_stack([np.tile(np.linspace(0, 1, segments + 1), len(profile)),
                          np.repeat(np.linspace(0, 1, len(profile)), segments + 1)])
    return Part(v=v, f=_grid_faces(len(profile), segments + 1), material=material, uv=uv)


def box(w: float, d: float, h: float, material: str, *, z0: float = 0.0, tile_m: float = 0.0,
        steps: int = 1) -> Part:
    """An axis-aligned box on z0, centred in x and y; uv in metres / tile_m (planar per face) when tiled."""
    parts = []
    hw, hd = w / 2, d / 2
    faces = [  # origin, u axis, v axis (u x v points out)
        ((-hw, -hd, z0 + h), (w, 0, 0), (0, d, 0)), ((-hw, hd, z0), (w, 0, 0), (0, -d, 0)),
        ((-hw, -hd, z0), (w, 0, 0), (0, 0, h)), ((hw, hd, z0), (-w, 0, 0), (0, 0, h)),
        ((hw, -hd, z0), (0, d, 0), (0, 0, h)), ((-hw, hd, z0), (0, -d, 0), (0, 0, h)),
    ]
    k = steps + 1
    s, t = np.meshgrid(np.linspace(0, 1, k), np.linspace(0, 1, k), indexing="ij")
    for o, u, vv in faces:
        o, u, vv = np.asarray(o, float), np.asarray(u, float), np.asarray(vv, float)
        pts = o + s.reshape(-1, 1) * u + t.reshape(-1, 1) * vv
        tile = tile_m or max(np.linalg.norm(u), np.linalg.norm(vv), 1e-6)
        uv = np.column_stack([s.ravel() * np.linalg.norm(u), t.ravel() * np.linalg.norm(vv)]) / tile
        parts.append(Part(v=pts, f=_grid_faces(k, k), material=material, uv=uv))
    return merge_parts(parts, material)


def tube(path: np.ndarray, plane_normal: tuple[float, float, float], rx: float, ry: float, material: str,
         *, segments: int = 12, closed: bool = False) -> Part:
    """An elliptic tube along a planar path (N x 3): rx in the path's plane, ry along the plane's normal."""
    path = np.asarray(path, float)
    if closed:
        path = np.concatenate([path, path[:1]])
    t = np.gradient(path, axis=0)
    if closed:
        t[0] = t[-1] = path[1] - path[-2]
    t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    b = np.asarray(plane_normal, float) / np.linalg.norm(plane_normal)
    nn = np.cross(b, t)
    ang = np.linspace(0, 2 * math.pi, segments + 1)
    v = (path[:, None, :] + rx * np.cos(ang)[None, :, None] * nn[:, None, :]
         + ry * np.sin(ang)[None, :, None] * b[None, None, :]).reshape(-1, 3)
    uv = np.column_stack([np.tile(np.linspace(0, 1, segments + 1), len(path)),
                          np.repeat(np.linspace(0, 1, len(path)), segments + 1)])
    f = _grid_faces(len(path), segments + 1)
    return Part(v=v, f=f[:, [0, 2, 1]], material=material, uv=uv)


def merge_parts(parts: list[Part], material: str | None = None) -> Part:
    v, f, uv, c, base = [], [], [], [], 0
    for p in parts:
        v.append(p.v)
        f.append(p.f + base)
        uv.append(p.uv if p.uv is not None else np.zeros((len(p.v), 2)))
        c.append(p.c if p.c is not None else np.ones((len(p.v), 4)))
        base += len(p.v)
    return Part(v=np.concatenate(v), f=np.concatenate(f), material=material or parts[0].material,
                uv=np.concatenate(uv), c=np.concatenate(c))


def smooth_normals(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals (a part's shared vertices are smooth, its duplicated ones hard)."""
    tri = v[f]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.where(length > 1e-18, n / np.maximum(length, 1e-30), np.array([0.0, 0.0, 1.0]))


@dataclass(kw_only=True, slots=True)
class Look:
    """A material as the renderer takes it: sRGB colour, metallic, roughness, emission, a texture, and for glass
    the share of light it lets through (tinted by its colour)."""

    rgb: tuple[float, float, float]
    metallic: float = 0.0
    roughness: float = 0.5
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    texture: np.ndarray | None = None
    transmission: float = 0.0


#: how much light a glass stand-in lets through
GLASS_TRANSMISSION = 0.92


def _linear(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(round(float(c) ** 2.2, 6) for c in rgb)  # type: ignore[return-value]


@dataclass(kw_only=True, slots=True)
class Built:
    """A placed mesh's arrays and materials, ready for WorldState.meshes / mesh_arrays."""

    arrays: dict[str, np.ndarray]
    materials: list[MeshMaterial]
    vertices: int
    faces: int
    extent_m: float


def build(mesh_id: str, parts: list[Part], looks: dict[str, Look]) -> Built:
    """Parts grouped by material (runs of faces), smooth normals per part, one texture per textured look."""
    order = list(dict.fromkeys(p.material for p in parts))
    v_all, f_all, n_all, uv_all, c_all, mats, textures = [], [], [], [], [], [], []
    base = first = 0
    for name in order:
        look = looks[name]
        tex = -1
        if look.texture is not None:
            tex = len(textures)
            textures.append(look.texture)
        count = 0
        for p in (p for p in parts if p.material == name):
            v_all.append(p.v)
            f_all.append(p.f + base)
            n_all.append(p.n if p.n is not None else smooth_normals(p.v, p.f))
            uv_all.append(p.uv if p.uv is not None else np.zeros((len(p.v), 2)))
            c_all.append(p.c if p.c is not None else np.ones((len(p.v), 4)))
            base += len(p.v)
            count += len(p.f)
        factor = (1.0, 1.0, 1.0) if look.texture is not None else _linear(look.rgb)  # a texture holds the colour
        mats.append(MeshMaterial(name=name, first_face=first, faces=count, base_color=(*factor, 1.0),
                                 metallic=look.metallic, roughness=look.roughness, emissive=look.emissive,
                                 base_texture=tex, transmission=look.transmission))
        first += count
    v = np.concatenate(v_all).astype(F32)
    arrays = {key(mesh_id, "v"): v, key(mesh_id, "f"): np.concatenate(f_all).astype(np.uint32),
              key(mesh_id, "n"): np.concatenate(n_all).astype(F32),
              key(mesh_id, "uv"): np.concatenate(uv_all).astype(F32),
              key(mesh_id, "c"): np.clip(np.round(np.concatenate(c_all) * 255), 0, 255).astype(np.uint8)}
    for k, t in enumerate(textures):
        arrays[key(mesh_id, f"tex{k}")] = t
    return Built(arrays=arrays, materials=mats, vertices=len(v), faces=int(sum(m.faces for m in mats)),
                 extent_m=round(float(np.ptp(v, axis=0).max()), 4))


# ------------------------------------------------------------------------------------------- textures


def _noise(rng: np.random.Generator, px: int, octaves: tuple[int, ...]) -> np.ndarray:
    """Smooth value noise 0..1 (px x px): random grids of the given sizes, upsampled and summed."""
    out = np.zeros((px, px), np.float32)
    total = 0.0
    for k, cells in enumerate(octaves):
        g = rng.random((cells, cells)).astype(np.float32)
        g = np.pad(g, 1, mode="wrap")
        up = cv2.resize(g, (px + 2 * px // cells, px + 2 * px // cells), interpolation=cv2.INTER_CUBIC)
        off = px // cells
        w = 0.5**k
        out += w * up[off : off + px, off : off + px]
        total += w
    return np.clip(out / total, 0.0, 1.0)


def texture(material: str, rgb: tuple[float, float, float], seed: int, px: int = 512) -> np.ndarray | None:
    """A procedural base-colour texture (uint8 RGBA, sRGB) for a grained material; None for plain ones."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 1414, SURFACES.index(material)])))
    base = np.asarray(rgb, np.float32)
    y, x = np.mgrid[0:px, 0:px].astype(np.float32) / px
    if material == "marble":
        turb = _noise(rng, px, (4, 8, 16, 32))
        vein = np.abs(np.sin((x * 2.0 + y * 1.0 + turb * 1.6) * math.pi))  # tiles: whole half-turns across
        dark = (1.0 - vein) ** 14
        fine = (1.0 - np.abs(np.sin((x * 5.0 - y * 3.0 + _noise(rng, px, (6, 12, 48)) * 2.5) * math.pi))) ** 40
        vein_rgb = base * 0.35 if base.mean() > 0.5 else np.minimum(base + 0.45, 1.0)
        shade = 1.0 - 0.06 * _noise(rng, px, (6, 24))
        img = base[None, None] * shade[..., None]
        img = img + (vein_rgb - img) * np.clip(0.75 * dark + 0.4 * fine, 0, 1)[..., None]
    elif material == "wood":  # grain lines along x: noise that changes fast across them and slowly along
        streak = cv2.resize(rng.random((192, 6)).astype(np.float32), (px, px), interpolation=cv2.INTER_CUBIC)
        fine = cv2.resize(rng.random((384, 24)).astype(np.float32), (px, px), interpolation=cv2.INTER_LINEAR)
        warp = _noise(rng, px, (3, 6))
        rings = 0.5 + 0.5 * np.sin((y * 11.0 + warp * 2.2 + streak * 0.35) * math.pi)
        shade = 0.74 + 0.22 * rings**3 + 0.16 * (fine - 0.5) + 0.1 * (streak - 0.5)
        img = base[None, None] * np.clip(shade, 0.4, 1.2)[..., None]
    elif material in ("concrete", "stone"):
        speck = _noise(rng, px, (8, 32, 128, 256))
        pits = (rng.random((px, px)) > (0.985 if material == "concrete" else 0.995)).astype(np.float32)
        pits = cv2.GaussianBlur(pits, (3, 3), 0.8)
        img = base[None, None] * (0.82 + 0.3 * (speck - 0.5) - 0.35 * pits)[..., None]
    elif material == "velvet":
        img = base[None, None] * (0.9 + 0.2 * _noise(rng, px, (16, 64)))[..., None]
    else:
        return None
    rgba = np.concatenate([np.clip(img, 0, 1), np.ones((px, px, 1), np.float32)], axis=2)
    return np.round(rgba * 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------- surfaces

SURFACES = sw.SURFACE_KINDS
#: surface material -> (default sRGB colour, metallic, roughness)
SURFACE_LOOK: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "painted": ((0.84, 0.83, 0.81), 0.0, 0.7), "marble": ((0.9, 0.89, 0.87), 0.0, 0.18),
    "wood": ((0.6, 0.45, 0.31), 0.0, 0.55), "concrete": ((0.6, 0.59, 0.57), 0.0, 0.92),
    "stone": ((0.42, 0.42, 0.43), 0.0, 0.75), "glass": ((0.78, 0.86, 0.88), 0.0, 0.05),
    "metal": ((0.78, 0.78, 0.8), 1.0, 0.28), "velvet": ((0.35, 0.05, 0.1), 0.0, 1.0),
    "paper": ((0.9, 0.88, 0.84), 0.0, 0.9),
}


def surface_look(material: str, colour: str, seed: int) -> Look:
    rgb, metallic, rough = SURFACE_LOOK[material]
    if colour:
        rgb = sw.COLORS[colour]
        if material == "velvet":
            rgb = tuple(0.85 * c for c in rgb)  # type: ignore[assignment]
    clear = GLASS_TRANSMISSION if material == "glass" else 0.0
    return Look(rgb=rgb, metallic=metallic, roughness=rough, texture=texture(material, rgb, seed), transmission=clear)


# ------------------------------------------------------------------------------------------- the set


def backdrop_parts(colour: tuple[float, float, float]) -> list[Part]:
    """The cyclorama: a floor that curves up into the wall behind the set, lit brightest near the set."""
    yb = BACK_WALL_Y - SWEEP_R
    prof = [(-BACK_FLOOR_Y, 0.0)] + [(y, 0.0) for y in np.linspace(-BACK_FLOOR_Y + 1.0, yb, 12)]
    prof += [(yb + SWEEP_R * math.sin(t), SWEEP_R - SWEEP_R * math.cos(t)) for t in np.linspace(0, math.pi / 2, 14)[1:]]
    prof += [(BACK_WALL_Y, z) for z in np.linspace(SWEEP_R, WALL_H, 10)[1:]]
    ys = np.array([p[0] for p in prof])
    zs = np.array([p[1] for p in prof])
    xs = np.linspace(-BACK_HALF_W, BACK_HALF_W, 29)
    v = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], zs[:, None]), axis=-1).reshape(-1, 3)
    f = _grid_faces(len(prof), len(xs))
    f = f[:, [0, 2, 1]]  # the floor faces up and the wall faces the set
    # a lit sweep: brightest behind the set, falling off to the sides and up the wall (light on the paper)
    r = np.hypot(v[:, 0] / 3.2, np.maximum(v[:, 1] - 0.3, 0.0) / 4.0 + v[:, 2] / 3.0 + np.minimum(v[:, 1], 0) / 6)
    shade = 1.0 - 0.32 * np.clip(r, 0.0, 1.6) / 1.6
    c = np.column_stack([np.repeat(shade[:, None], 3, axis=1), np.ones(len(v))])
    return [Part(v=v, f=f, material="backdrop", c=c)]


#: a stand's texture repeats every this many metres
STAND_TILE_M = 0.6


def round_stand(profile: list[tuple[float, float]], material: str, *, segments: int = 64,
                tile_m: float = STAND_TILE_M) -> Part:
    """A round stand lathed from its profile (r, z), each step of the profile its own band with crisp edges, its
    texture at one scale everywhere: planar (x, y) on flat bands (the top, a step), and round a side band its
    arc length and its length up the profile, a whole number of tiles round so the seam matches (a lathe's own coordinates squeeze
    the texture into streaks towards the middle of the top)."""
    bands = []
    for (r0, z0), (r1, z1) in zip(profile[:-1], profile[1:], strict=True):
        if math.hypot(r1 - r0, z1 - z0) < 1e-9:
            continue  # a repeated point: the edge between two bands
        band = lathe([(r0, z0), (r1, z1)], material, segments=segments)
        if abs(z1 - z0) <= abs(r1 - r0):
            band.uv = band.v[:, :2] / tile_m + 0.5  # the middle of a tile at the middle of the top
        else:
            round_tiles = max(1, round(math.pi * (r0 + r1) / tile_m))
            slant = math.hypot(r1 - r0, z1 - z0)  # up a slanted band (a bevel) by its length, not its rise
            band.uv = np.column_stack([band.uv[:, 0] * round_tiles, (z0 + band.uv[:, 1] * slant) / tile_m])
        bands.append(band)
    return merge_parts(bands, material)


def stand_parts(stand: str, foot_m: float) -> tuple[list[Part], float, float]:
    """The stand's parts (material 'surface', with 'base' for a turntable's foot and a table's legs), the
    height of its top, and the width its top offers."""
    if stand == "pedestal":
        r = max(0.16, 0.9 * foot_m)
        prof = [(0.0, 0.0), (r * 1.12, 0.0), (r * 1.12, 0.05), (r * 1.12, 0.05), (r, 0.07), (r, 0.78),
                (r * 1.1, 0.8), (r * 1.1, 0.84), (r * 1.1, 0.84), (0.0, 0.84)]
        return [round_stand(prof, "surface", segments=64)], 0.84, 2 * r
    if stand == "podium":
        r = max(0.35, 1.6 * foot_m)
        prof = [(0.0, 0.0), (r, 0.0), (r, 0.0), (r, 0.32), (r, 0.32), (0.0, 0.32)]
        return [round_stand(prof, "surface", segments=96)], 0.32, 2 * r
    if stand == "turntable":
        r = max(0.22, 1.2 * foot_m)
        base = box(2.2 * r, 2.2 * r, 0.7, "base")
        disc = round_stand([(0.0, 0.7), (r, 0.7), (r, 0.74), (0.0, 0.74)], "surface", segments=96)
        return [base, disc], 0.74, 2 * r
    if stand == "table":
        w, d, top = max(1.6, 4 * foot_m), max(0.9, 3 * foot_m), 0.75
        legs = [box(0.05, 0.05, top - 0.04, "base").moved(offset=(sx * (w / 2 - 0.08), sy * (d / 2 - 0.08), 0))
                for sx in (-1, 1) for sy in (-1, 1)]
        return [box(w, d, 0.04, "surface", z0=top - 0.04, tile_m=w), *legs], top, min(w, d)
    if stand == "cloth":  # a cloth draped over a low block: a rounded top edge, folds down its front
        w, d, top = max(0.8, 3 * foot_m), max(0.6, 2.4 * foot_m), 0.6
        prof = [(0.0, 0.0), (1.04, 0.0), (1.05, 0.3), (1.02, 0.55), (0.96, 0.595), (0.0, 0.6)]
        part = lathe(prof, "surface", segments=96, n=6.0, a=w / 2, b=d / 2)
        folds = 1.0 + 0.025 * np.sin(np.arctan2(part.v[:, 1], part.v[:, 0]) * 9.0) * (1 - part.v[:, 2] / top)
        part.v[:, :2] *= folds[:, None]
        part.uv = part.v[:, [0, 1]] / 0.5 + np.array([0.0, 0.0]) + part.v[:, [2, 2]] * np.array([0.0, 2.0])
        return [part], top, min(w, d)
    w = max(0.36, 1.6 * foot_m)
    return [box(w, w, 0.8, "surface", tile_m=0.6, steps=4)], 0.8, w


# ------------------------------------------------------------------------------------------- products

#: product kind -> default colour name (None: the kind's own materials) and the yaw (degrees) it is set at
#: on the stand, turned a little towards a three-quarter view where a straight front reads poorly
PRODUCT_YAW = {"sneaker": -25.0, "headphones": 30.0, "handbag": 15.0, "coffee_cup": 25.0, "smartphone": 12.0,
               "box": 20.0, "perfume_bottle": 10.0}


def _c(colour: str, default: tuple[float, float, float]) -> tuple[float, float, float]:
    return sw.COLORS[colour] if colour else default


def product_parts(kind: str, colour: str, finish: str, seed: int) -> tuple[list[Part], dict[str, Look]]:
    """A stand-in product of the kind: its parts (local frame, front towards -Y, base at z = 0) and looks."""
    parts, looks = PRODUCT_BUILDERS[kind](colour)
    low = min(float(p.v[:, 2].min()) for p in parts)
    parts = [p.moved(offset=(0.0, 0.0, -low)) for p in parts]  # resting on the stand, not above or in it
    if finish == "droplets":
        parts.append(_droplets(parts, seed))
        looks["droplets"] = Look(rgb=(0.92, 0.95, 1.0), roughness=0.03)
    return parts, looks


def _perfume(colour: str) -> tuple[list[Part], dict[str, Look]]:
    body = lathe([(0.0, 0.0), (0.92, 0.0), (0.92, 0.0), (1.0, 0.006), (1.0, 0.084), (0.94, 0.092), (0.94, 0.092),
                  (0.0, 0.092)], "glass", segments=64, n=5.0, a=0.036, b=0.021)
    neck = lathe([(0.0, 0.091), (0.009, 0.091), (0.009, 0.104), (0.0, 0.104)], "collar", segments=32)
    collar = lathe([(0.0, 0.098), (0.013, 0.098), (0.013, 0.098), (0.013, 0.106), (0.013, 0.106), (0.0, 0.106)],
                   "collar", segments=32)
    cap = lathe([(0.0, 0.106), (0.95, 0.106), (1.0, 0.109), (1.0, 0.146), (0.95, 0.149), (0.95, 0.149),
                 (0.0, 0.149)], "cap", segments=48, n=6.0, a=0.019, b=0.019)
    label = box(0.034, 0.002, 0.022, "label", z0=0.032).moved(offset=(0.0, -0.021, 0.0))
    # the scent inside, in the named colour, under a thick clear base and walls, filled to below the shoulder
    scent = lathe([(0.0, 0.01), (0.84, 0.01), (0.84, 0.01), (0.86, 0.013), (0.86, 0.074), (0.86, 0.074),
                   (0.0, 0.074)], "scent", segments=64, n=5.0, a=0.036, b=0.021)
    looks = {"glass": Look(rgb=(0.94, 0.97, 0.96), roughness=0.04, transmission=GLASS_TRANSMISSION),
             "scent": Look(rgb=_c(colour, (0.86, 0.52, 0.2)), roughness=0.4, transmission=0.8),  # seen through glass
             "collar": Look(rgb=(0.86, 0.7, 0.4), metallic=1.0, roughness=0.22),
             "cap": Look(rgb=(0.86, 0.7, 0.4), metallic=1.0, roughness=0.18),
             "label": Look(rgb=(0.95, 0.93, 0.88), roughness=0.6)}
    return [body, scent, neck, collar, cap, label], looks


def _bottle_profile(r: float, h: float) -> list[tuple[float, float]]:
    return [(0.0, 0.004), (r * 0.9, 0.0), (r, 0.008), (r, 0.66 * h), (r * 0.86, 0.74 * h), (r * 0.44, 0.84 * h),
            (r * 0.39, 0.9 * h), (r * 0.39, h), (0.0, h)]


def _wine(colour: str) -> tuple[list[Part], dict[str, Look]]:
    r, h = 0.037, 0.3
    body = lathe(_bottle_profile(r, h), "glass", segments=64)
    label = lathe([(r * 1.01, 0.07), (r * 1.01, 0.07), (r * 1.01, 0.15), (r * 1.01, 0.15)], "label", segments=64)
    foil = lathe([(r * 0.41, 0.86 * h), (r * 0.41, 0.86 * h), (r * 0.41, 1.004 * h), (0.0, 1.004 * h)], "foil",
                 segments=48)
    looks = {"glass": Look(rgb=_c(colour, (0.07, 0.2, 0.1)), roughness=0.04, transmission=GLASS_TRANSMISSION),
             "label": Look(rgb=(0.93, 0.9, 0.82), roughness=0.75),
             "foil": Look(rgb=(0.45, 0.05, 0.08), metallic=0.7, roughness=0.3)}
    return [body, label, foil], looks


def _bottle(colour: str) -> tuple[list[Part], dict[str, Look]]:
    r, h = 0.035, 0.22
    body = lathe(_bottle_profile(r, h), "glass", segments=64)
    cap = lathe([(0.0, h), (r * 0.45, h), (r * 0.45, h), (r * 0.45, h + 0.02), (r * 0.45, h + 0.02),
                 (0.0, h + 0.02)], "cap", segments=48)
    label = lathe([(r * 1.01, 0.05), (r * 1.01, 0.05), (r * 1.01, 0.12), (r * 1.01, 0.12)], "label", segments=64)
    looks = {"glass": Look(rgb=_c(colour, (0.62, 0.8, 0.9)), roughness=0.04, transmission=GLASS_TRANSMISSION),
             "cap": Look(rgb=(0.1, 0.3, 0.7), roughness=0.35), "label": Look(rgb=(0.95, 0.95, 0.95), roughness=0.6)}
    return [body, cap, label], looks


def _watch(colour: str) -> tuple[list[Part], dict[str, Look]]:
    zc, yc = 0.034, -0.004  # the case's middle: it stands at the front of its strap's loop
    case = lathe([(0.0, -0.006), (0.017, -0.006), (0.0198, -0.003), (0.0205, 0.0), (0.0198, 0.004),
                  (0.0185, 0.006), (0.0185, 0.006), (0.0155, 0.0062), (0.0155, 0.0062), (0.0152, 0.004)], "case",
                 segments=64)
    dial = lathe([(0.0156, 0.0056), (0.0, 0.0056)], "dial", segments=64)
    marks = [box(0.0016, 0.0042, 0.0006, "marks", z0=0.0058).moved(_rot_z(k * math.pi / 6),
                                                                    (0.0122 * math.sin(k * math.pi / 6),
                                                                     0.0122 * math.cos(k * math.pi / 6), 0))
             for k in range(12)]
    hands = [box(0.0012, 0.011, 0.0005, "marks", z0=0.0064).moved(_rot_z(-0.9), (0.0041, 0.004, 0)),
             box(0.0009, 0.0075, 0.0005, "marks", z0=0.0068).moved(_rot_z(2.1), (-0.0032, -0.0018, 0))]
    crown = lathe([(0.0, 0.0), (0.0025, 0.0), (0.0025, 0.004), (0.0, 0.004)], "case", segments=16)
    crown = crown.moved(ALONG_X, (0.0203, 0.0, 0.0))
    face = [p.moved(FACE_FRONT, (0.0, yc, zc)) for p in (case, dial, *marks, *hands)]
    crown = crown.moved(FACE_FRONT, (0.0, yc, zc))
    t = np.linspace(0, 2 * math.pi, 72)
    loop = np.column_stack([np.zeros_like(t), 0.027 + 0.028 * np.sin(t), zc - 0.034 * np.cos(t)])
    strap = tube(loop, (1.0, 0.0, 0.0), 0.0016, 0.0105, "strap", closed=True)
    metal = _c(colour, (0.78, 0.78, 0.8))
    looks = {"case": Look(rgb=metal, metallic=1.0, roughness=0.2), "dial": Look(rgb=(0.02, 0.035, 0.09), roughness=0.55),
             "marks": Look(rgb=(0.92, 0.92, 0.9), metallic=0.6, roughness=0.25),
             "strap": Look(rgb=(0.06, 0.05, 0.05), roughness=0.55)}
    return [*face, crown, strap], looks


def _sneaker(colour: str) -> tuple[list[Part], dict[str, Look]]:
    xs = np.linspace(-0.14, 0.14, 40)
    t = (xs + 0.14) / 0.28
    half_w = 0.047 * np.sqrt(np.clip(1 - (2 * t - 1) ** 6, 0, 1)) * (0.86 + 0.14 * np.sin(math.pi * t))
    top = np.interp(t, (0.0, 0.08, 0.3, 0.45, 0.7, 0.9, 1.0), (0.072, 0.086, 0.09, 0.094, 0.064, 0.047, 0.036))
    ang = np.linspace(0, math.pi, 25)
    upper = np.stack([np.repeat(xs[:, None], len(ang), 1), half_w[:, None] * np.cos(ang)[None, :],
                      0.022 + (top[:, None] - 0.022) * np.sin(ang)[None, :] ** 0.6], -1).reshape(-1, 3)
    upper_p = Part(v=upper, f=_grid_faces(len(xs), len(ang)), material="upper")
    ring = _ring(2.6, 48)
    sole_z, sole_s = (0.0, 0.0, 0.004, 0.026, 0.026), (0.0, 0.96, 1.0, 1.0, 0.0)
    sole_rows = []  # the sole follows the foot's outline, a little wider than the upper
    for z, s in zip(sole_z, sole_s, strict=True):
        x = ring[:, 0] * 0.145
        w = np.interp(x, xs, half_w) + 0.004
        sole_rows.append(np.column_stack([x * s, ring[:, 1] * w * s, np.full(len(ring), z)]))
    sole = Part(v=np.concatenate(sole_rows), f=_grid_faces(len(sole_z), len(ring)), material="sole")
    collar = lathe([(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (0.0, 0.002)], "lining", segments=32, a=0.045, b=0.026)
    collar = collar.moved(offset=(-0.08, 0.0, float(np.interp(-0.08, xs, top)) + 0.0005))
    laces = [box(0.006, 0.05, 0.003, "laces").moved(_rot_y(-0.5), (0.0 + k * 0.016, 0.0, 0.0))
             .moved(offset=(0.0, 0.0, 0.0)) for k in range(4)]
    for k, lace in enumerate(laces):
        x = 0.004 + k * 0.016
        lace.v[:, 2] += float(np.interp(x, xs, top)) - 0.001
    stripe_x = np.linspace(-0.06, 0.07, 16)
    stripe = np.column_stack([stripe_x, np.full(16, -0.0), 0.034 + 0.018 * np.sin((stripe_x + 0.06) / 0.13 * 2.4)])
    stripe[:, 1] = -np.interp(stripe[:, 0], xs, half_w) * np.cos(np.arcsin(np.clip(
        (stripe[:, 2] - 0.022) / np.maximum(np.interp(stripe[:, 0], xs, top) - 0.022, 1e-3), 0, 0.95) ** (1 / 0.6)))
    stripe[:, 1] -= 0.0015
    band = tube(stripe, (0.0, -1.0, 0.0), 0.005, 0.0012, "stripe")
    body = _c(colour, (0.92, 0.92, 0.9))
    accent = (0.85, 0.15, 0.1) if colour in ("", "white", "grey", "black") else (0.95, 0.95, 0.95)
    looks = {"upper": Look(rgb=body, roughness=0.7), "sole": Look(rgb=(0.95, 0.94, 0.9), roughness=0.6),
             "lining": Look(rgb=(0.1, 0.1, 0.11), roughness=0.9), "laces": Look(rgb=(0.96, 0.96, 0.96), roughness=0.8),
             "stripe": Look(rgb=accent, roughness=0.5)}
    edge_x = np.linspace(-0.142, 0.142, 60)  # the line where the upper meets the sole, a darker welt
    edge = np.column_stack([edge_x, np.zeros(60), np.full(60, 0.026)])
    welt = [tube(np.column_stack([edge[:, 0], side * (np.interp(edge_x, xs, half_w) + 0.002), edge[:, 2]]),
                 (0.0, 0.0, 1.0), 0.0012, 0.002, "welt") for side in (-1, 1)]
    tab = box(0.008, 0.03, 0.03, "stripe", z0=0.055).moved(offset=(-0.139, 0.0, 0.0))
    parts = [upper_p, sole, collar, *laces, band, *welt, tab]
    for p in parts:  # toe spring: the front of the shoe curves up off the ground
        p.v[:, 2] += 0.012 * np.clip((p.v[:, 0] - 0.06) / 0.085, 0.0, 1.0) ** 2
    looks["welt"] = Look(rgb=(0.25, 0.25, 0.27), roughness=0.6)
    return parts, looks


def _headphones(colour: str) -> tuple[list[Part], dict[str, Look]]:
    zc, x0 = 0.052, 0.072
    cup = lathe([(0.0, -0.016), (0.04, -0.016), (0.046, -0.01), (0.048, 0.0), (0.046, 0.012), (0.046, 0.012),
                 (0.0, 0.014)], "shell", segments=48, n=2.3, a=1.0, b=1.1)
    pad = lathe([(0.02, 0.012), (0.04, 0.012), (0.047, 0.02), (0.043, 0.03), (0.03, 0.031), (0.02, 0.03)], "pads",
                segments=48, n=2.3, a=1.0, b=1.1)
    parts = []
    for side in (-1, 1):
        turn = ALONG_X if side < 0 else _rot_y(-math.pi / 2)
        for p in (cup, pad):
            parts.append(p.moved(turn, (side * (x0 + 0.016), 0.0, zc)))
    t = np.linspace(-math.pi / 2 + 0.25, math.pi / 2 - 0.25, 48)
    arc = np.column_stack([(x0 + 0.012) * np.sin(t), np.zeros_like(t), zc + 0.045 + 0.12 * np.cos(t)])
    band = tube(arc, (0.0, 1.0, 0.0), 0.007, 0.016, "band")
    sliders = [tube(np.array([[s * (x0 + 0.013), 0.0, zc + 0.035], [s * (x0 + 0.013), 0.0, zc + 0.075]]),
                    (0.0, 1.0, 0.0), 0.003, 0.006, "metal") for s in (-1, 1)]
    shell = _c(colour, (0.07, 0.07, 0.08))
    looks = {"shell": Look(rgb=shell, roughness=0.35), "pads": Look(rgb=(0.05, 0.05, 0.05), roughness=0.85),
             "band": Look(rgb=shell, roughness=0.5), "metal": Look(rgb=(0.8, 0.8, 0.82), metallic=1.0, roughness=0.2)}
    return [*parts, band, *sliders], looks


def _can(colour: str) -> tuple[list[Part], dict[str, Look]]:
    r = 0.033
    bottom = lathe([(0.0, 0.006), (0.022, 0.003), (0.026, 0.0), (0.031, 0.004), (r, 0.011)], "alu", segments=64)
    body = lathe([(r, 0.011), (r, 0.108)], "paint", segments=64)
    top = lathe([(r, 0.108), (0.029, 0.117), (0.027, 0.121), (0.0275, 0.1225), (0.026, 0.1225), (0.025, 0.119),
                 (0.0, 0.119)], "alu", segments=64)
    tab = box(0.012, 0.02, 0.0012, "alu", z0=0.1195).moved(offset=(0.0, -0.006, 0.0))
    body.uv = np.column_stack([body.uv[:, 0] * 4.0, body.uv[:, 1]])
    looks = {"alu": Look(rgb=(0.8, 0.8, 0.82), metallic=1.0, roughness=0.25),
             "paint": Look(rgb=_c(colour, (0.75, 0.06, 0.06)), metallic=0.35, roughness=0.22)}
    return [bottom, body, top, tab], looks


def _jar(colour: str) -> tuple[list[Part], dict[str, Look]]:
    body = lathe([(0.0, 0.0), (0.038, 0.0), (0.042, 0.005), (0.042, 0.042), (0.038, 0.045), (0.0, 0.045)], "jar",
                 segments=64)
    lid = lathe([(0.0, 0.044), (0.044, 0.044), (0.044, 0.044), (0.0445, 0.062), (0.042, 0.066), (0.042, 0.066),
                 (0.0, 0.066)], "lid", segments=64)
    looks = {"jar": Look(rgb=_c(colour, (0.96, 0.93, 0.9)), roughness=0.2),
             "lid": Look(rgb=(0.86, 0.7, 0.42), metallic=1.0, roughness=0.25)}
    return [body, lid], looks


def _lipstick(colour: str) -> tuple[list[Part], dict[str, Look]]:
    tube_p = lathe([(0.0, 0.0), (0.011, 0.0), (0.011, 0.0), (0.011, 0.052), (0.011, 0.052), (0.0, 0.052)], "gold",
                   segments=48)
    sleeve = lathe([(0.0085, 0.052), (0.0085, 0.066), (0.0, 0.066)], "gold", segments=48)
    bullet = lathe([(0.0075, 0.064), (0.0075, 0.092), (0.0, 0.092)], "bullet", segments=48)
    plane = 0.08 + 0.9 * (bullet.v[:, 1] + 0.0075)
    bullet.v[:, 2] = np.minimum(bullet.v[:, 2], np.maximum(plane, 0.066))
    looks = {"gold": Look(rgb=(0.86, 0.68, 0.38), metallic=1.0, roughness=0.2),
             "bullet": Look(rgb=_c(colour, (0.7, 0.04, 0.1)), roughness=0.3)}
    return [tube_p, sleeve, bullet], looks


def _smartphone(colour: str) -> tuple[list[Part], dict[str, Look]]:
    hw, hh = 0.036, 0.0735
    slab = lathe([(0.0, -0.004), (0.96, -0.004), (1.0, -0.0025), (1.0, 0.0025), (0.96, 0.004), (0.96, 0.004),
                  (0.0, 0.004)], "frame", segments=64, n=9.0, a=hw, b=hh)
    screen = lathe([(0.95, 0.0041), (0.0, 0.0041)], "screen", segments=64, n=9.0, a=hw, b=hh)
    bump = lathe([(0.0, -0.004), (1.0, -0.004), (1.0, -0.0055), (0.0, -0.0055)], "frame", segments=32, n=6.0,
                 a=0.014, b=0.014).moved(offset=(-0.018, 0.052, 0.0))
    lean = _rot_x(math.radians(8.0)) @ FACE_FRONT
    parts = [p.moved(lean, (0.0, 0.0, 0.0)) for p in (slab, screen, bump)]
    low = min(float(p.v[:, 2].min()) for p in parts)
    parts = [p.moved(offset=(0.0, 0.0, -low)) for p in parts]
    looks = {"frame": Look(rgb=_c(colour, (0.18, 0.18, 0.2)), metallic=0.8, roughness=0.3),
             "screen": Look(rgb=(0.02, 0.02, 0.03), roughness=0.05, emissive=(0.02, 0.05, 0.12))}
    return parts, looks


def _handbag(colour: str) -> tuple[list[Part], dict[str, Look]]:
    prof = [(0.0, 0.0, 0.0), (0.96, 0.96, 0.0), (1.0, 1.0, 0.012), (0.97, 0.86, 0.12), (0.9, 0.62, 0.2),
            (0.86, 0.5, 0.215), (0.0, 0.0, 0.22)]
    body = lathe(prof, "leather", segments=64, n=5.0, a=0.15, b=0.065)
    t = np.linspace(0.15, math.pi - 0.15, 40)
    handle = tube(np.column_stack([0.085 * np.cos(t), np.zeros_like(t), 0.21 + 0.11 * np.sin(t)]), (0.0, 1.0, 0.0),
                  0.007, 0.007, "leather")
    clasp = box(0.03, 0.006, 0.018, "gold", z0=0.17).moved(offset=(0.0, -0.054, 0.0))
    looks = {"leather": Look(rgb=_c(colour, (0.55, 0.3, 0.16)), roughness=0.5),
             "gold": Look(rgb=(0.86, 0.7, 0.4), metallic=1.0, roughness=0.22)}
    return [body, handle, clasp], looks


def _coffee_cup(colour: str) -> tuple[list[Part], dict[str, Look]]:
    cup = lathe([(0.0, 0.006), (0.03, 0.006), (0.033, 0.01), (0.043, 0.09), (0.0425, 0.0925), (0.039, 0.0915),
                 (0.03, 0.02), (0.0, 0.018)], "ceramic", segments=64)
    coffee = lathe([(0.0395, 0.078), (0.0, 0.078)], "coffee", segments=64)
    saucer = lathe([(0.0, 0.0), (0.05, 0.0), (0.072, 0.009), (0.074, 0.012), (0.07, 0.0125), (0.05, 0.0065),
                    (0.0, 0.0065)], "ceramic", segments=64)
    t = np.linspace(-math.pi / 2, math.pi / 2, 30)
    handle = tube(np.column_stack([0.043 + 0.022 * np.cos(t), np.zeros_like(t), 0.05 + 0.022 * np.sin(t)]),
                  (0.0, 1.0, 0.0), 0.004, 0.006, "ceramic")
    looks = {"ceramic": Look(rgb=_c(colour, (0.95, 0.94, 0.92)), roughness=0.2),
             "coffee": Look(rgb=(0.16, 0.08, 0.04), roughness=0.1)}
    return [cup, coffee, saucer, handle], looks


def _box(colour: str) -> tuple[list[Part], dict[str, Look]]:
    body = lathe([(0.0, 0.0), (0.98, 0.0), (1.0, 0.003), (1.0, 0.14), (1.0, 0.14), (0.0, 0.14)], "carton",
                 segments=48, n=12.0, a=0.06, b=0.045)
    lid = lathe([(0.0, 0.135), (1.02, 0.135), (1.02, 0.135), (1.02, 0.165), (0.99, 0.168), (0.0, 0.168)], "lid",
                segments=48, n=12.0, a=0.06, b=0.045)
    looks = {"carton": Look(rgb=_c(colour, (0.1, 0.16, 0.38)), roughness=0.45),
             "lid": Look(rgb=(0.86, 0.7, 0.4), metallic=0.9, roughness=0.3)}
    return [body, lid], looks


PRODUCT_BUILDERS: dict[str, Callable[[str], tuple[list[Part], dict[str, Look]]]] = {
    "perfume_bottle": _perfume, "wine_bottle": _wine, "bottle": _bottle, "watch": _watch, "sneaker": _sneaker,
    "headphones": _headphones, "can": _can, "jar": _jar, "lipstick": _lipstick, "smartphone": _smartphone,
    "handbag": _handbag, "coffee_cup": _coffee_cup, "box": _box,
}


def _droplets(parts: list[Part], seed: int) -> Part:
    """Water droplets beaded on the product's front: small flattened domes on its surface, along its normals,
    at points drawn over the front-facing triangles by their area."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 2718])))
    pool = [p for p in parts if p.material in ("paint", "glass", "jar", "ceramic", "carton")] or parts
    tri = np.concatenate([p.v[p.f] for p in pool])
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(fn, axis=1)
    unit = fn / np.maximum(area[:, None], 1e-18)
    weight = area * ((unit[:, 1] < -0.25) & (np.abs(unit[:, 2]) < 0.6))
    if weight.sum() <= 0:
        weight = area
    picks = rng.choice(len(tri), size=110, p=weight / weight.sum())
    ab = rng.random((110, 2))
    ab = np.where(ab.sum(axis=1, keepdims=True) > 1, 1 - ab, ab)
    domes = []
    for k, i in enumerate(picks):
        t = tri[i]
        point = t[0] + ab[k, 0] * (t[1] - t[0]) + ab[k, 1] * (t[2] - t[0])
        r = float(rng.uniform(0.0008, 0.0022)) * (1.8 if k % 11 == 0 else 1.0)
        dome = lathe([(0.0, 0.0), (r, 0.0), (0.8 * r, 0.45 * r), (0.0, 0.6 * r)], "droplets", segments=10)
        z = unit[i]
        x = np.cross([0.0, 0.0, 1.0], z)
        x = x / np.linalg.norm(x) if np.linalg.norm(x) > 1e-6 else np.array([1.0, 0.0, 0.0])
        rot = np.column_stack([x, np.cross(z, x), z])
        domes.append(dome.moved(rot, tuple(point)))
    return merge_parts(domes, "droplets")


# ------------------------------------------------------------------------------------------- the world


def studio_env(studio: dict[str, str], seed: int) -> Env:
    """A studio's light: a soft key from the front left above, fill from a neutral 'sky', a rim from behind;
    no fog, no cloud, no weather. Hard light: a stronger key and less fill; rim: a strong rim."""
    light = studio.get("light", "soft")
    key_i, fill, rim = {"soft": (2.2, 0.55, 0.9), "hard": (3.4, 0.22, 0.7), "rim": (1.3, 0.35, 2.6)}[light]
    key_dir = _unit((-0.55, -0.62, 0.56))
    rim_dir = _unit((0.45, 0.8, 0.42))
    grey = (fill, fill, fill * 1.02)
    return Env.from_json({
        "clock_h": 12.0, "season": "summer", "weather": "clear", "mood": "serene", "palette": "natural",
        "style": "natural", "time_of_day": "noon", "sun_dir": list(key_dir), "sun_color": [1.0, 0.98, 0.95],
        "sun_intensity": key_i, "sky_zenith": list(grey), "sky_horizon": list(grey), "fog_density": 0.0,
        "fog_color": list(grey), "cloud_cover": 0.0, "mist_density": 0.0, "exposure": -0.1, "wetness": 0.0,
        "snow_cover": 0.0, "sea_level_m": None, "saturation": 1.0, "contrast": 1.04,
        "studio": True, "rim_dir": list(rim_dir), "rim_color": [rim, rim * 0.98, rim * 0.95],
    }, "studio env")


def _unit(v: tuple[float, float, float]) -> tuple[float, float, float]:
    a = np.asarray(v, float)
    a = a / np.linalg.norm(a)
    return (round(float(a[0]), 6), round(float(a[1]), 6), round(float(a[2]), 6))


def _placement(mesh_id: str, name: str, built: Built, pos: tuple[float, float, float], yaw: float,
               role: str, **extra: object) -> MeshPlacement:
    return MeshPlacement(id=mesh_id, name=name, pos=pos, yaw=yaw, scale=1.0, vertices=built.vertices,
                         faces=built.faces, extent_m=built.extent_m, materials=built.materials,
                         facing_yaw=round(yaw - math.pi / 2, 6), extra={"role": role, **extra})


def generate_studio(spec: WorldSpec, seed: int, progress: Progress | None = None) -> WorldState:
    """The studio world a spec with a `studio` object describes (the same spec and seed give the same bytes)."""
    report = progress or (lambda f, m: None)
    studio = {**sw.DEFAULTS, **spec.studio}
    n = int(round(SIZE_M / CELL_M)) + 1
    report(0.2, "studio set")
    parts, looks = product_parts(studio["product"], studio.get("product_color", ""), studio.get("finish", ""), seed)
    product = build("product", parts, looks)
    v = product.arrays[key("product", "v")]
    foot = float(np.ptp(v[:, :2], axis=0).max())
    stand_p, top, _ = stand_parts(studio["stand"], foot)
    surface = surface_look(studio["surface"], studio.get("surface_color", ""), seed)
    stand = build("stand", stand_p, {"surface": surface, "base": Look(rgb=(0.82, 0.81, 0.79), roughness=0.7)})
    back_rgb = sw.COLORS[studio["backdrop"]]
    backdrop = build("backdrop", backdrop_parts(back_rgb), {"backdrop": Look(rgb=back_rgb, roughness=0.85)})
    cx, cy = CENTRE
    yaw = math.radians(PRODUCT_YAW.get(studio["product"], 0.0))
    meshes = [
        _placement("backdrop", "seamless backdrop", backdrop, (cx, cy, 0.002), 0.0, "backdrop"),
        _placement("stand", f"{studio['surface']} {studio['stand']}", stand, (cx, cy, 0.004), 0.0, "stand",
                   top_m=round(top + 0.004, 5)),
        _placement("product", f"stand-in {studio['product'].replace('_', ' ')}", product,
                   (cx, cy, round(top + 0.004, 5)), yaw, "product", stand_in=True),
    ]
    report(0.8, "studio light")
    arrays = {**backdrop.arrays, **stand.arrays, **product.arrays}
    empty = np.zeros(0, np.float32)
    report(1.0, "done")
    return WorldState(
        seed=int(seed), size_m=SIZE_M, cell_m=CELL_M, height_hw=np.zeros((n, n), F32),
        material_hw=np.full((n, n), MATERIALS.index("rock") if "rock" in MATERIALS else 0, np.uint8),
        water_hw=np.full((n, n), np.nan, F32), inst_kind=np.zeros(0, np.uint16), inst_xyz=np.zeros((0, 3), F32),
        inst_yaw=empty, inst_scale=empty.copy(), inst_var=np.zeros(0, np.uint32), meshes=meshes, mesh_arrays=arrays,
        env=studio_env(studio, seed), spec=spec.to_dict(),
    )


# ------------------------------------------------------------------------------------------- queries


def is_studio(world: WorldState) -> bool:
    """Whether a world is a studio set (its env says so and it holds a stand)."""
    return bool(world.env.extra.get("studio")) and any(m.extra.get("role") == "stand" for m in world.meshes)


def role(m: MeshPlacement) -> str:
    """A placed mesh's part in a studio set: 'backdrop', 'stand' or 'product' (an imported mesh: product)."""
    value = m.extra.get("role", "product")
    return value if value in ROLES else "product"


def seat_import(state: WorldState, vertices: np.ndarray, scale: float) -> tuple[WorldState, float, float, float]:
    """A studio ready for an imported product: the stand-in removed, the stand rebuilt to fit the product's
    footprint; and where the product stands (x, y, z on the stand's top)."""
    stand = next(m for m in state.meshes if m.extra.get("role") == "stand")
    foot = float(np.ptp(vertices[:, :2], axis=0).max()) * scale
    studio = {**sw.DEFAULTS, **(state.spec or {}).get("studio", {})}
    parts, top, _ = stand_parts(studio["stand"], foot)
    surface = surface_look(studio["surface"], studio.get("surface_color", ""), state.seed)
    built = build("stand", parts, {"surface": surface, "base": Look(rgb=(0.82, 0.81, 0.79), roughness=0.7)})
    z = round(stand.pos[2] + top, 5)
    new_stand = dataclasses.replace(stand, vertices=built.vertices, faces=built.faces, extent_m=built.extent_m,
                                    materials=built.materials, extra={**stand.extra, "top_m": z})
    keep = [m for m in state.meshes if not m.extra.get("stand_in")]
    gone = {m.id for m in state.meshes if m.extra.get("stand_in")} | {stand.id}
    arrays = {k: a for k, a in state.mesh_arrays.items() if not any(k.startswith(f"mesh_{g}_") for g in gone)}
    arrays.update({k.replace("mesh_stand_", f"mesh_{stand.id}_"): a for k, a in built.arrays.items()})
    meshes = [new_stand if m.id == stand.id else m for m in keep]
    return dataclasses.replace(state, meshes=meshes, mesh_arrays=arrays), stand.pos[0], stand.pos[1], z


#: the share of the frame's height (or width) a packshot's product spans
HERO_FILL = (0.58, 0.45)


def hero_camera(world: WorldState, centre: np.ndarray, width_m: float, height_m: float, *, width: int, height: int,
                focal_mm: float, sensor_mm: float, bearing_deg: float = 0.0) -> tuple[tuple[float, ...], ...]:
    """A packshot's camera: from the studio's front (turned by bearing_deg, at most 50 degrees), a little above
    the product looking slightly down, at the distance where the product spans HERO_FILL of the frame's height
    (or of its width, whichever needs more room); returns (position, target)."""
    f_px = focal_mm / sensor_mm * width
    tall = max(height_m, 0.02)
    dist = max(f_px * tall / (HERO_FILL[0] * height), f_px * max(width_m, 0.02) / (HERO_FILL[1] * width), 0.12)
    dist += 0.5 * max(width_m, 0.02)
    b = math.radians(float(np.clip(bearing_deg, -50.0, 50.0)))
    back = np.array([math.sin(b), -math.cos(b), 0.0])
    tilt = math.radians(11.0)
    target = np.asarray(centre, float) + np.array([0.0, 0.0, -0.06 * tall])
    pos = target + dist * (math.cos(tilt) * back + np.array([0.0, 0.0, math.sin(tilt)]))
    return tuple(float(c) for c in pos), tuple(float(c) for c in target)
