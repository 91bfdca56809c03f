"""Import a user mesh (GLB or OBJ + MTL) into a world, standing on the ground, keeping its look.

The geometry is stored once in the state (vertices in the mesh's own frame, Z up, centred on its
footprint with its lowest point at z = 0) with a placement (pos, yaw, scale), and so is its look: every
primitive's material (base colour, metallic, roughness, emission), its textures (base colour,
metallic-roughness, normal map), texture coordinates, vertex colours and normals (see
world/state/mesh_data.py for the arrays). Broken, empty, non-finite or huge meshes, missing or broken
material libraries and textures are refused with the reason and the file; textures larger than the limit
are downscaled with a note.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..generate import standin
from ..generate import studio as studio_set
from ..state.mesh_data import MAX_TEXTURE_PX, face_normals, key
from ..state.records import MAX_MESH_TEXTURES, MeshMaterial, MeshPlacement
from ..state.world_state import WorldState
from .operations import next_id
from .setting import Spot, set_on_rock, setting_spot

SUFFIXES = (".glb", ".obj")
#: where an imported mesh goes: standing on the ground at x, y, or kept aside for mesh bodies to spawn from
PLACES = ("ground", "aside")
#: the side of a product a shot should show → its direction in the mesh's own frame (radians from +X):
#: glTF's convention, kept for Z-up files too: the front faces -Y once Y-up is turned to Z-up (glTF +Z), the
#: asset's left is +X
SIDES = {"front": -math.pi / 2, "back": math.pi / 2, "left": 0.0, "right": math.pi}
#: Y-up (glTF, most OBJ) → Z-up: (x, y, z) → (x, -z, y), a proper rotation
Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
#: MTL statements naming a texture file
MTL_MAPS = ("map_kd", "map_ka", "map_ks", "map_bump", "bump", "norm", "map_pr", "map_pm", "map_d")
MTL_NUMBERS = ("kd", "ka", "ks", "ke", "ns", "d", "tr", "ni", "pr", "pm")

Note = Callable[[str], None]


class MeshImportError(ValueError):
    """A mesh file that cannot be imported; the message says why."""


@dataclass(kw_only=True, slots=True)
class MeshLimits:
    max_file_bytes: int = 64 * 1024**2
    max_faces: int = 500_000
    max_vertices: int = 1_000_000
    #: largest extent after scaling, metres
    max_extent_m: float = 2000.0
    #: textures with a longer side are downscaled to it
    max_texture_px: int = MAX_TEXTURE_PX
    max_textures: int = MAX_MESH_TEXTURES


@dataclass(kw_only=True, slots=True)
class MeshRead:
    """A mesh file's surface in its own frame (Z up, footprint centred, lowest point at z = 0)."""

    vertices_v3: np.ndarray
    faces_f3: np.ndarray
    normals_v3: np.ndarray
    uv_v2: np.ndarray | None = None
    colors_v4: np.ndarray | None = None
    materials: list[MeshMaterial] = field(default_factory=list)
    textures: list[np.ndarray] = field(default_factory=list)

    def arrays(self, mesh_id: str) -> dict[str, np.ndarray]:
        out = {key(mesh_id, "v"): self.vertices_v3, key(mesh_id, "f"): self.faces_f3,
               key(mesh_id, "n"): self.normals_v3}
        if self.uv_v2 is not None:
            out[key(mesh_id, "uv")] = self.uv_v2
        if self.colors_v4 is not None:
            out[key(mesh_id, "c")] = self.colors_v4
        out |= {key(mesh_id, f"tex{k}"): t for k, t in enumerate(self.textures)}
        return out


@dataclass(kw_only=True, slots=True)
class _Part:
    """One primitive on its way in: arrays per vertex, its material and the texture images it uses."""

    v: np.ndarray
    f: np.ndarray
    n: np.ndarray | None
    uv: np.ndarray | None
    c: np.ndarray | None
    material: MeshMaterial
    images: dict[str, Any]


def read_mesh(path: Path, *, up_axis: str = "y", limits: MeshLimits | None = None,
              note: Note | None = None) -> MeshRead:
    """The surface and look of a GLB/OBJ file, checked; `note` hears what was changed on the way in."""
    lim = limits or MeshLimits()
    tell = note or (lambda _msg: None)
    _check_file(path, lim)
    if up_axis not in ("y", "z"):
        raise MeshImportError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    data = path.read_bytes()
    if path.suffix.lower() == ".obj":
        _check_obj_references(path, data)
    else:
        _check_glb_document(path, data)
    parts = _parts(path, lim)
    merged = _merge(path.name, parts, lim, tell)
    rot = Y_UP if up_axis == "y" else np.eye(3)
    v = merged.vertices_v3.astype(np.float64) @ rot.T
    lo, hi = v.min(axis=0), v.max(axis=0)
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    merged.vertices_v3 = (v - origin).astype(np.float32)
    merged.normals_v3 = (merged.normals_v3.astype(np.float64) @ rot.T).astype(np.float32)
    return merged


def _check_file(path: Path, lim: MeshLimits) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise MeshImportError(f"{path.name}: only {', '.join(SUFFIXES)} files can be imported")
    if not path.is_file():
        raise MeshImportError(f"{path.name}: no such file in {path.parent} (put the mesh there, or fix the path)")
    size = path.stat().st_size
    if size > lim.max_file_bytes:
        raise MeshImportError(
            f"{path.name}: {size / 1e6:.1f} MB is larger than the {lim.max_file_bytes / 1e6:.0f} MB limit"
        )


# ------------------------------------------------------------------------------ references, checked first


def _check_obj_references(path: Path, data: bytes) -> None:
    """Every material library an OBJ names exists beside it, parses, and its textures decode."""
    for line in data.decode("utf-8", errors="replace").splitlines():
        words = line.strip().split(None, 1)
        if len(words) == 2 and words[0] == "mtllib":
            _check_mtl(path, _beside(path, words[1].strip(), "material library"))


def _beside(path: Path, name: str, what: str) -> Path:
    """A file named by `path`, confined to its folder."""
    target = (path.parent / name).resolve()
    if not target.is_relative_to(path.parent.resolve()):
        raise MeshImportError(f"{path.name}: its {what} {name!r} is outside the mesh's folder")
    if not target.is_file():
        raise MeshImportError(f"{path.name}: its {what} {name!r} is missing (put it beside {path.name})")
    return target


def _check_mtl(obj: Path, mtl: Path) -> None:
    try:
        text = mtl.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MeshImportError(f"{mtl.name} (material library of {obj.name}): not a text file ({exc})") from exc
    for number, line in enumerate(text.splitlines(), 1):
        words = line.strip().split()
        if not words or words[0].startswith("#"):
            continue
        word = words[0].lower()
        if word in MTL_NUMBERS:
            _mtl_numbers(obj, mtl, number, words)
        elif word in MTL_MAPS and len(words) > 1:
            image = _beside(mtl, words[-1], f"texture (line {number})")
            _decode_image(image.read_bytes(), f"{image.name} (texture of {mtl.name}, line {number})")


def _mtl_numbers(obj: Path, mtl: Path, number: int, words: list[str]) -> None:
    try:
        values = [float(w) for w in words[1:] if w.lower() not in ("spectral", "xyz")]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(x) for x in values):
        raise MeshImportError(
            f"{mtl.name} (material library of {obj.name}), line {number}: '{' '.join(words)}' needs finite numbers"
        )


def _decode_image(data: bytes, what: str) -> Any:
    """A PIL image from file bytes, fully decoded; a clear error naming `what` when it is broken."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MeshImportError(f"{what}: the image cannot be decoded ({type(exc).__name__}: {exc})") from exc
    return image


def _check_glb_document(path: Path, data: bytes) -> None:
    """A GLB's embedded and referenced images decode and its material factors are finite numbers."""
    doc, binary = _glb_chunks(data)
    if doc is None:
        return  # not a readable GLB: trimesh says why below
    for i, image in enumerate(doc.get("images") or []):
        label = f"{path.name}: texture image {i} ({image.get('name') or image.get('uri') or 'embedded'})"
        _decode_image(_image_bytes(path, doc, binary, image, label), label)
    for i, mat in enumerate(doc.get("materials") or []):
        if not _all_finite(mat):
            raise MeshImportError(f"{path.name}: material {i} ({mat.get('name', '')!r}) holds a value that is "
                                  "not a finite number")


def _glb_chunks(data: bytes) -> tuple[dict[str, Any] | None, bytes]:
    if len(data) < 20 or data[:4] != b"glTF":
        return None, b""
    length, kind = struct.unpack_from("<I4s", data, 12)
    if kind != b"JSON" or 20 + length > len(data):
        return None, b""
    try:
        doc = json.loads(data[20 : 20 + length])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, b""
    rest = 20 + length
    binary = b""
    if rest + 8 <= len(data):
        blen, bkind = struct.unpack_from("<I4s", data, rest)
        if bkind == b"BIN\x00":
            binary = data[rest + 8 : rest + 8 + blen]
    return (doc if isinstance(doc, dict) else None), binary


def _image_bytes(path: Path, doc: dict[str, Any], binary: bytes, image: dict[str, Any], label: str) -> bytes:
    if "bufferView" in image:
        try:
            view = doc["bufferViews"][int(image["bufferView"])]
            start = int(view.get("byteOffset", 0))
            return binary[start : start + int(view["byteLength"])]
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise MeshImportError(f"{label}: its buffer view is broken ({exc})") from exc
    uri = str(image.get("uri", ""))
    if uri.startswith("data:"):
        try:
            return base64.b64decode(uri.split(",", 1)[1])
        except (IndexError, ValueError) as exc:
            raise MeshImportError(f"{label}: its data URI is broken") from exc
    return _beside(path, uri, "texture").read_bytes()


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


# ------------------------------------------------------------------------------------------- reading


def _parts(path: Path, lim: MeshLimits) -> list[_Part]:
    import trimesh

    try:
        scene = trimesh.load(str(path), force="scene", process=False)
    except Exception as exc:  # trimesh raises many kinds of errors for broken files
        raise MeshImportError(f"{path.name}: cannot be read as a mesh ({type(exc).__name__}: {exc})") from exc
    parts = []
    for node in sorted(scene.graph.nodes_geometry):
        matrix, name = scene.graph[node]
        geom = scene.geometry.get(name)
        if not isinstance(geom, trimesh.Trimesh) or not len(geom.faces):
            continue
        parts.append(_part(path.name, geom, np.asarray(matrix, np.float64)))
        if sum(len(p.f) for p in parts) > lim.max_faces:
            break  # _merge says the file is too big
    if not parts:
        raise MeshImportError(f"{path.name}: has no triangles (is it a point cloud or an empty scene?)")
    return parts


def _part(name: str, geom: Any, matrix: np.ndarray) -> _Part:
    v = np.asarray(geom.vertices, np.float64)
    f = np.asarray(geom.faces, np.int64)
    _check_geometry(name, v, f)
    v = v @ matrix[:3, :3].T + matrix[:3, 3]
    n = None
    if "vertex_normals" in geom._cache:  # normals the file carries (else the mesh is flat shaded)
        n = np.asarray(geom.vertex_normals, np.float64) @ np.linalg.inv(matrix[:3, :3])
        n = _unit(n) if np.isfinite(n).all() and len(n) == len(v) else None
    visual = geom.visual
    uv = getattr(visual, "uv", None)
    uv = None if uv is None or len(uv) != len(v) else np.asarray(uv, np.float64)
    if uv is not None and not np.isfinite(uv).all():
        raise MeshImportError(f"{name}: has NaN or infinite texture coordinates")
    colors, per_face = _vertex_colors(visual, len(v), len(f))
    material, images = _material(getattr(visual, "material", None))
    part = _Part(v=v, f=f, n=n, uv=uv, c=colors, material=material, images=images)
    return _flat(part, per_face) if (n is None or per_face) else part


def _check_geometry(name: str, v: np.ndarray, f: np.ndarray) -> None:
    if v.ndim != 2 or v.shape[1] != 3 or not len(v):
        raise MeshImportError(f"{name}: has no vertices")
    if not np.isfinite(v).all():
        raise MeshImportError(f"{name}: has NaN or infinite vertex coordinates")
    if f.ndim != 2 or f.shape[1] != 3 or f.min() < 0 or f.max() >= len(v):
        raise MeshImportError(f"{name}: triangles refer to vertices that do not exist")


def _unit(n: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.where(length > 1e-12, n / np.maximum(length, 1e-30), np.array([0.0, 0.0, 1.0]))


def _vertex_colors(visual: Any, n_vertices: int, n_faces: int) -> tuple[np.ndarray | None, bool]:
    """uint8 RGBA per vertex, or per face (then True: the part is to be split), None when the file has none."""
    kind = getattr(visual, "kind", None)
    if kind == "vertex":
        c = np.asarray(visual.vertex_colors)
    elif kind == "face":
        c = np.asarray(visual.face_colors)
    else:
        c = getattr(visual, "vertex_attributes", {}).get("color")
        if c is None:
            return None, False
        c = np.asarray(c)
    if c.dtype.kind == "f":
        if not np.isfinite(c).all():
            raise MeshImportError("vertex colours hold NaN or infinite values")
        c = np.round(np.clip(c, 0, 1) * 255)
    c = np.asarray(c).astype(np.uint8).reshape(len(c), -1)
    if c.shape[1] == 3:
        c = np.c_[c, np.full(len(c), 255, np.uint8)]
    if len(c) != (n_faces if kind == "face" else n_vertices) or c.shape[1] != 4:
        return None, False
    return c, kind == "face"


def _flat(p: _Part, per_face: bool) -> _Part:
    """The part with three vertices of its own per triangle and face normals; per-face colours spread out."""
    idx = p.f.reshape(-1)
    v = p.v[idx]
    f = np.arange(len(idx), dtype=np.int64).reshape(-1, 3)
    c = None
    if p.c is not None:
        c = np.repeat(p.c, 3, axis=0) if per_face else p.c[idx]
    n = np.repeat(face_normals(v, f).astype(np.float64), 3, axis=0)
    return _Part(v=v, f=f, n=n, uv=None if p.uv is None else p.uv[idx], c=c, material=p.material, images=p.images)


def _material(mat: Any) -> tuple[MeshMaterial, dict[str, Any]]:
    """A material record (textures not yet numbered) and its images by role, from trimesh's material."""
    from trimesh.visual.material import PBRMaterial, SimpleMaterial

    if isinstance(mat, PBRMaterial):
        base = _rgba(mat.baseColorFactor, (1.0, 1.0, 1.0, 1.0))
        emissive = _rgba(mat.emissiveFactor, (0.0, 0.0, 0.0, 1.0))[:3] if mat.emissiveFactor is not None else (0, 0, 0)
        # an alpha-blended material (glTF's way of writing see-through glass without extensions) lets through
        # what its alpha does not cover
        see_through = 1.0 - base[3] if str(getattr(mat, "alphaMode", "") or "").upper() == "BLEND" else 0.0
        record = MeshMaterial(name=str(mat.name or ""), base_color=base,
                              metallic=_factor(mat.metallicFactor, 1.0), roughness=_factor(mat.roughnessFactor, 1.0),
                              emissive=tuple(float(x) for x in emissive),  # type: ignore[arg-type]
                              transmission=round(see_through, 6))
        images = {"base": mat.baseColorTexture, "mr": mat.metallicRoughnessTexture, "normal": mat.normalTexture}
        return record, {k: v for k, v in images.items() if v is not None}
    if isinstance(mat, SimpleMaterial):
        base = _rgba(mat.diffuse, (1.0, 1.0, 1.0, 1.0))
        gloss = float(mat.glossiness) if mat.glossiness is not None and math.isfinite(mat.glossiness) else 10.0
        roughness = math.sqrt(math.sqrt(2.0 / (max(gloss, 0.0) + 2.0)))  # Phong exponent → GGX roughness
        record = MeshMaterial(name=str(mat.name or ""), base_color=base, metallic=0.0, roughness=roughness)
        return record, ({"base": mat.image} if mat.image is not None else {})
    return MeshMaterial(name="vertex_colour" if mat is None else str(getattr(mat, "name", "") or ""),
                        roughness=0.6), {}


def _rgba(value: Any, default: tuple[float, ...]) -> tuple[float, float, float, float]:
    if value is None:
        return default  # type: ignore[return-value]
    a = np.asarray(value, np.float64).reshape(-1)
    if a.size == 3:
        a = np.r_[a, 1.0 if np.asarray(value).dtype.kind == "f" else 255.0]
    if np.asarray(value).dtype.kind in "ui":
        a = a / 255.0
    if a.size != 4 or not np.isfinite(a).all():
        raise MeshImportError(f"a material colour is not four finite numbers: {value!r}")
    return tuple(float(x) for x in np.clip(a, 0.0, 1.0))  # type: ignore[return-value]


def _factor(value: Any, default: float) -> float:
    if value is None:
        return default
    x = float(value)
    if not math.isfinite(x):
        raise MeshImportError(f"a material factor is not a finite number: {value!r}")
    return min(max(x, 0.0), 1.0)


# ------------------------------------------------------------------------------------------- merging


def _merge(name: str, parts: list[_Part], lim: MeshLimits, tell: Note) -> MeshRead:
    """All parts as one mesh whose faces run material by material; textures numbered and bounded."""
    faces = sum(len(p.f) for p in parts)
    if faces > lim.max_faces:
        raise MeshImportError(f"{name}: {faces} triangles is more than the {lim.max_faces} limit; decimate it first")
    vertices = sum(len(p.v) for p in parts)
    if vertices > lim.max_vertices:
        raise MeshImportError(f"{name}: {vertices} vertices is more than the {lim.max_vertices} limit")
    textures: list[np.ndarray] = []
    seen: dict[int, int] = {}
    materials, offset_v, offset_f = [], 0, 0
    for p in parts:
        slots = {role: _texture_slot(name, role, img, textures, seen, lim, tell) for role, img in p.images.items()}
        if slots and p.uv is None:
            tell(f"{name}: material {p.material.name!r} has textures but no texture coordinates; textures ignored")
            slots = {}
        materials.append(dataclasses.replace(
            p.material, first_face=offset_f, faces=len(p.f), base_texture=slots.get("base", -1),
            mr_texture=slots.get("mr", -1), normal_texture=slots.get("normal", -1)))
        offset_v += len(p.v)
        offset_f += len(p.f)
    starts = np.cumsum([0] + [len(p.v) for p in parts[:-1]])
    v = np.concatenate([p.v for p in parts]).astype(np.float32)
    f = np.concatenate([p.f + s for p, s in zip(parts, starts, strict=True)]).astype(np.uint32)
    n = np.concatenate([p.n for p in parts if p.n is not None]).astype(np.float32)
    uv = None
    if any(m.textures() for m in materials):
        uv = np.concatenate([p.uv if p.uv is not None else np.zeros((len(p.v), 2)) for p in parts]).astype(np.float32)
    c = None
    if any(p.c is not None for p in parts):
        c = np.concatenate([p.c if p.c is not None else np.full((len(p.v), 4), 255, np.uint8) for p in parts])
    if float(np.ptp(v, axis=0).max()) <= 1e-9:
        raise MeshImportError(f"{name}: is degenerate (all vertices at one point)")
    return MeshRead(vertices_v3=v, faces_f3=f, normals_v3=n, uv_v2=uv, colors_v4=c, materials=_coalesce(materials),
                    textures=textures)


def _texture_slot(name: str, role: str, image: Any, textures: list[np.ndarray], seen: dict[int, int],
                  lim: MeshLimits, tell: Note) -> int:
    """The index of `image` among the mesh's textures (added, downscaled if too large); -1 past the limit."""
    if id(image) in seen:
        return seen[id(image)]
    if len(textures) >= lim.max_textures:
        tell(f"{name}: more than {lim.max_textures} textures; the {role} texture of a material is left out")
        return -1
    rgba = np.asarray(image.convert("RGBA"), np.uint8)
    side = max(rgba.shape[:2])
    if side > lim.max_texture_px:
        import cv2

        k = lim.max_texture_px / side
        size = (max(1, round(rgba.shape[1] * k)), max(1, round(rgba.shape[0] * k)))
        tell(f"{name}: the {rgba.shape[1]} x {rgba.shape[0]} {role} texture is downscaled to {size[0]} x {size[1]} "
             f"(the limit is {lim.max_texture_px} px a side)")
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    textures.append(np.ascontiguousarray(rgba))
    seen[id(image)] = len(textures) - 1
    return len(textures) - 1


def _coalesce(materials: list[MeshMaterial]) -> list[MeshMaterial]:
    """Neighbouring runs with the same look as one."""
    out: list[MeshMaterial] = []
    for m in materials:
        if out and dataclasses.replace(out[-1], first_face=0, faces=0) == dataclasses.replace(m, first_face=0, faces=0):
            out[-1] = dataclasses.replace(out[-1], faces=out[-1].faces + m.faces)
        else:
            out.append(m)
    return out


# ------------------------------------------------------------------------------------------- placing


def import_mesh(
    state: WorldState,
    path: str | Path,
    *,
    x: float,
    y: float,
    scale: float = 1.0,
    yaw_deg: float = 0.0,
    up_axis: str = "y",
    side: str = "front",
    place: str = "ground",
    to_setting: bool = True,
    limits: MeshLimits | None = None,
    note: Note | None = None,
) -> WorldState:
    """A new state with the mesh standing on the terrain at (x, y); `side` is the side a shot should show.
    `to_setting` (outdoors): stand it instead at the nearest spot at the edge of the setting the prompt names
    (edit/setting.py: a few metres from the named water, in a forest's clearing), by the water with its `side`
    towards the land (turned by yaw_deg from there), so that a shot of that side has the water behind it.
    `place` "aside" keeps the mesh out of the world instead (x, y and yaw unused): only action scripts' mesh
    spawns (shape mesh) bring it in, as bodies."""
    lim = limits or MeshLimits()
    path = Path(path)
    if place not in PLACES:
        raise MeshImportError(f"place must be one of {', '.join(PLACES)}, got {place!r}")
    if place == "aside":
        return keep_aside(state, read_mesh(path, up_axis=up_axis, limits=lim, note=note), path.name, scale=scale,
                          limits=lim)
    in_studio = studio_set.is_studio(state)  # a studio's product stands on its stand, wherever x and y say
    if not in_studio:  # the imported product replaces an outdoor stand-in (generate/standin.py)
        state = standin.remove_stand_in(state)
    if not in_studio and not (0.0 <= x <= state.size_m and 0.0 <= y <= state.size_m):
        raise MeshImportError(f"position ({x:g}, {y:g}) is outside the world (0..{state.size_m:g} m)")
    if not (scale > 0 and math.isfinite(scale)):
        raise MeshImportError(f"scale must be a positive number, got {scale!r}")
    if not math.isfinite(yaw_deg):
        raise MeshImportError(f"yaw_deg must be a finite number, got {yaw_deg!r}")
    if side not in SIDES:
        raise MeshImportError(f"side must be one of {', '.join(SIDES)}, got {side!r}")
    surface = read_mesh(path, up_axis=up_axis, limits=lim, note=note)
    vertices = surface.vertices_v3
    extent = _extent(state, surface, path.name, scale, lim)
    yaw = math.radians(yaw_deg)
    seat = 0.0
    spot = setting_spot(state, x, y) if to_setting and not in_studio else None
    if spot is not None:
        if note is not None and math.hypot(spot.x - x, spot.y - y) > 1.0:
            note(f"{path.name} stands at ({spot.x:.0f}, {spot.y:.0f}), the nearest spot at the edge of "
                 f"{spot.setting} the prompt names, its {side} towards the land and yaw_deg turning it from there "
                 "(set to_setting off to keep x, y and yaw_deg as given)")
        x, y = spot.x, spot.y
        if spot.toward is not None:  # the side to show faces the land, turned by yaw_deg: the setting behind it
            yaw = math.atan2(-spot.toward[1], -spot.toward[0]) - SIDES[side] + yaw
    if in_studio:
        state, x, y, z = studio_set.seat_import(state, vertices, scale)
        if note is not None:
            note(f"{path.name} stands on the studio's stand in place of the stand-in product (x and y are not used)")
    elif rests_on_rock(str((state.spec or {}).get("text", ""))):
        ground = _ground_under(state, vertices, x, y, scale, yaw)
        state, z = set_on_rock(state, vertices, x, y, ground, scale)
        seat = round(z - ground, 4)
    else:
        z = _ground_under(state, vertices, x, y, scale, yaw)
    mesh_id = _mesh_id(state, path.stem)
    facing = math.atan2(math.sin(yaw + SIDES[side]), math.cos(yaw + SIDES[side]))
    item = MeshPlacement(id=mesh_id, name=path.name, pos=(float(x), float(y), float(z)), yaw=yaw, scale=float(scale),
                         vertices=int(len(vertices)), faces=int(len(surface.faces_f3)), extent_m=round(extent, 3),
                         materials=surface.materials, facing_yaw=round(facing, 6),
                         extra={"role": "product"} if in_studio else _setting_extra(spot, seat))
    arrays = {**state.mesh_arrays, **surface.arrays(mesh_id)}
    return dataclasses.replace(state, meshes=[*state.meshes, item], mesh_arrays=arrays)


def _setting_extra(spot: Spot | None, seat_m: float) -> dict[str, object]:
    """What a placement records of its setting: its name and the way towards it (the framing looks that way),
    and how high the rock it rests on stands (the framing keeps the rock's top in frame)."""
    out: dict[str, object] = {"seat_m": seat_m} if seat_m > 0 else {}
    if spot is not None:
        out["setting"] = spot.setting
        if spot.toward:
            out["toward"] = [round(v, 5) for v in spot.toward]
    return out


def keep_aside(state: WorldState, surface: MeshRead, name: str, *, scale: float = 1.0,
               limits: MeshLimits | None = None) -> WorldState:
    """A new state holding a mesh read from file `name` but not standing anywhere (see MeshPlacement.placed):
    its id, geometry and look are there for mesh bodies to spawn from."""
    if not (scale > 0 and math.isfinite(scale)):
        raise MeshImportError(f"scale must be a positive number, got {scale!r}")
    extent = _extent(state, surface, name, scale, limits or MeshLimits())
    mesh_id = _mesh_id(state, Path(name).stem)
    item = MeshPlacement(id=mesh_id, name=name, pos=(0.0, 0.0, 0.0), scale=float(scale),
                         vertices=int(len(surface.vertices_v3)), faces=int(len(surface.faces_f3)),
                         extent_m=round(extent, 3), materials=surface.materials, extra={"aside": True})
    arrays = {**state.mesh_arrays, **surface.arrays(mesh_id)}
    return dataclasses.replace(state, meshes=[*state.meshes, item], mesh_arrays=arrays)


def _extent(state: WorldState, surface: MeshRead, name: str, scale: float, lim: MeshLimits) -> float:
    """The mesh's largest extent after scaling; refused when too large for the world."""
    extent = float(np.ptp(surface.vertices_v3, axis=0).max()) * scale
    if extent > min(lim.max_extent_m, 2.0 * state.size_m):
        raise MeshImportError(
            f"{name}: {extent:.0f} m across after scaling is too large for this world "
            f"(limit {min(lim.max_extent_m, 2.0 * state.size_m):.0f} m); lower the scale"
        )
    return extent


#: "a bottle on a smooth rock", "a watch resting on a stone", "a flask on a boulder" (not "on a stone bridge")
_ON_ROCK = re.compile(r"\bon (?:a|an|the|some) (?:[a-z-]+ ){0,2}(?:rock|stone|boulder)s?\b"
                      r"(?! (?:bridge|wall|tower|house|path|floor|terrace|step|steps|pier|deck|table|road))")


def rests_on_rock(text: str) -> bool:
    """Whether a prompt sets its subject on a rock."""
    return bool(_ON_ROCK.search(text.lower()))


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
