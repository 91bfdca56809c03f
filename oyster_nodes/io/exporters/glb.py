"""A world as one binary glTF 2.0 file (GLB) that game engines, DCC tools and web viewers open.

What goes in:
- terrain: an adaptive mesh within `terrain_error_m` of the heightfield (terrain_mesh.py), with normals
  from the full-resolution grid and the renderer's albedo as a base-colour texture;
- water surfaces and structures as static meshes with vertex colours;
- imported meshes as authored: one node each (placed by translation, yaw and scale), one primitive per
  material with its base colour, metallic/roughness, emission, textures (PNG) and vertex colours;
- vegetation and props: one shared mesh per kind, placed either with EXT_mesh_gpu_instancing
  ("gpu": compact, for engines) or as one plain node per instance ("nodes": for tools without it,
  e.g. Blender 3.x);
- the sun as a KHR_lights_punctual directional light, the camera path as an animated perspective camera,
  simulated bodies (a Timeline, or tracks) as nodes with translation/rotation animation, hidden by a
  stepped scale of 0 while they do not exist; agents (characters, vehicles) likewise, turning by their heading;
- the workflow that made it in asset.extras.oyster_workflow.

Axes: glTF is +Y up; world (x east, y north, z up) maps to glTF (x, z, -y), a proper rotation, so
winding and handedness are kept. Units stay metres.
"""

from __future__ import annotations

import dataclasses
import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ...types import CameraPath
from ...world.render.dynamic import agent_mesh, body_mesh
from ...world.render.lighting import lighting_from_env
from ...world.render.meshes import Mesh, water_mesh
from ...world.state.mesh_data import MeshSurface, mesh_surface
from ...world.state.records import Body, MeshMaterial, MeshPlacement, Track
from ...world.state.timeline import Timeline
from ...world.state.world_state import WorldState
from ..provenance import GLTF_EXTRA
from .camera_export import camera_frames, continuous, quaternion_wxyz
from .terrain_mesh import TerrainMesh, terrain_mesh
from .world_geometry import (
    kind_meshes,
    kind_name,
    structures_mesh,
    terrain_albedo_srgb,
    terrain_normals,
)

FLOAT, UINT32, UINT16, UBYTE = 5126, 5125, 5123, 5121
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
INSTANCING = ("gpu", "nodes")
GPU_INSTANCING = "EXT_mesh_gpu_instancing"
LIGHTS = "KHR_lights_punctual"
TRANSMISSION = "KHR_materials_transmission"
#: Blender's convention for sun strength: 1 W/m² = 683 lux
LUX_PER_WATT = 683.0
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
_CTYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.uint32): UINT32, np.dtype(np.uint16): UINT16,
           np.dtype(np.uint8): UBYTE}
#: world (x east, y north, z up) → glTF (x, y up, z south)
AXES = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


class GlbError(ValueError):
    """A world or setting that cannot be exported as asked."""


#: a body's motion (given to world_glb, carried by a body, or from a Timeline)
BodyTrack = Track


@dataclass(kw_only=True, slots=True)
class GlbOptions:
    terrain_error_m: float = 0.25
    max_terrain_triangles: int = 600_000
    texture_px: int = 1024
    instancing: str = "nodes"
    include_instances: bool = True
    lod: int = 0
    water_step: int = 0

    def check(self) -> None:
        if self.instancing not in INSTANCING:
            raise GlbError(f"instancing must be one of {', '.join(INSTANCING)}, got {self.instancing!r}")
        if not (0 <= self.terrain_error_m <= 1000 and 2 <= self.max_terrain_triangles <= 20_000_000):
            raise GlbError("terrain_error_m must be in 0..1000 m and max_terrain_triangles in 2..20M")
        if not 16 <= self.texture_px <= 8192 or self.lod not in (0, 1):
            raise GlbError("texture_px must be in 16..8192 and lod 0 or 1")


@dataclass(kw_only=True, slots=True)
class GlbInfo:
    bytes: int
    terrain_triangles: int
    terrain_error_m: float
    #: 0 for the adaptive mesh, else the regular grid's step in samples
    terrain_stride: int
    instances: int
    nodes: int
    animated_nodes: int
    warnings: list[str] = field(default_factory=list)


def to_gltf(points_n3: np.ndarray) -> np.ndarray:
    """World points or directions → glTF axes (float32)."""
    return (np.asarray(points_n3, np.float64).reshape(-1, 3) @ AXES.T).astype(np.float32)


def quat_to_gltf(wxyz_n4: np.ndarray) -> np.ndarray:
    """World rotations (w, x, y, z) → glTF rotations (x, y, z, w) in glTF axes."""
    q = np.asarray(wxyz_n4, np.float64).reshape(-1, 4)
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    v = q[:, 1:] @ AXES.T
    return np.concatenate([v, q[:, :1]], axis=1).astype(np.float32)


# ---------------------------------------------------------------------------------------- builder


@dataclass(kw_only=True, slots=True)
class GltfBuilder:
    """Accumulates glTF JSON and one binary buffer, then packs a GLB."""

    doc: dict[str, Any] = field(default_factory=lambda: {
        "asset": {"version": "2.0", "generator": "Oyster Nodes"}, "scene": 0, "scenes": [{"nodes": []}],
        "nodes": [], "meshes": [], "materials": [], "accessors": [], "bufferViews": [], "buffers": [],
    })
    blobs: list[bytes] = field(default_factory=list)
    size: int = 0

    def view(self, data: bytes, *, target: int | None = None) -> int:
        self.blobs.append(data)
        entry: dict[str, Any] = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            entry["target"] = target
        pad = (-len(data)) % 4
        self.blobs.append(b"\x00" * pad)
        self.size += len(data) + pad
        self.doc["bufferViews"].append(entry)
        return len(self.doc["bufferViews"]) - 1

    def accessor(self, array: np.ndarray, kind: str, *, target: int | None = None, bounds: bool = False,
                 normalized: bool = False) -> int:
        a = np.ascontiguousarray(array)
        if a.dtype not in _CTYPES:
            raise GlbError(f"no glTF component type for {a.dtype}")
        comps = _COMPONENTS[kind]
        rows = a.reshape(-1, comps)
        entry: dict[str, Any] = {"bufferView": self.view(a.tobytes(), target=target), "componentType": _CTYPES[a.dtype],
                                 "count": len(rows), "type": kind}
        if normalized:
            entry["normalized"] = True
        if bounds and len(rows):
            cast = float if a.dtype == np.float32 else int
            entry["min"] = [cast(v) for v in rows.min(axis=0)]
            entry["max"] = [cast(v) for v in rows.max(axis=0)]
        self.doc["accessors"].append(entry)
        return len(self.doc["accessors"]) - 1

    def add(self, key: str, item: dict[str, Any]) -> int:
        self.doc.setdefault(key, []).append(item)
        return len(self.doc[key]) - 1

    def node(self, item: dict[str, Any], *, root: bool = True) -> int:
        index = self.add("nodes", item)
        if root:
            self.doc["scenes"][0]["nodes"].append(index)
        return index

    def use_extension(self, name: str, *, required: bool = False) -> None:
        used = self.doc.setdefault("extensionsUsed", [])
        if name not in used:
            used.append(name)
        if required and name not in self.doc.setdefault("extensionsRequired", []):
            self.doc["extensionsRequired"].append(name)

    def glb(self) -> bytes:
        binary = b"".join(self.blobs)
        self.doc["buffers"] = [{"byteLength": len(binary)}] if binary else []
        if not binary:
            self.doc.pop("buffers")
        for key in [k for k, v in self.doc.items() if isinstance(v, list) and not v and k != "nodes"]:
            del self.doc[key]
        text = json.dumps(self.doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
        text += b" " * ((-len(text)) % 4)
        chunks = struct.pack("<I4s", len(text), b"JSON") + text
        if binary:
            chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + binary
        return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


# ------------------------------------------------------------------------------------- materials


def _materials(b: GltfBuilder, texture: int | None) -> dict[str, int]:
    terrain: dict[str, Any] = {"metallicFactor": 0.0, "roughnessFactor": 0.95}
    if texture is not None:
        terrain["baseColorTexture"] = {"index": texture}
    return {
        "terrain": b.add("materials", {"name": "terrain", "pbrMetallicRoughness": terrain}),
        "painted": b.add("materials", {"name": "vertex_colour", "doubleSided": True,
                                       "pbrMetallicRoughness": {"metallicFactor": 0.0, "roughnessFactor": 0.8}}),
        "water": b.add("materials", {"name": "water", "alphaMode": "BLEND", "pbrMetallicRoughness": {
            "baseColorFactor": [0.05, 0.18, 0.24, 0.72], "metallicFactor": 0.0, "roughnessFactor": 0.05}}),
    }


def _texture(b: GltfBuilder, world: WorldState, px: int) -> int:
    rgb = terrain_albedo_srgb(world)
    if rgb.shape[0] != px:
        rgb = cv2.resize(rgb, (px, px), interpolation=cv2.INTER_AREA)
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise GlbError("could not encode the terrain texture")
    image = b.add("images", {"name": "terrain_albedo", "bufferView": b.view(png.tobytes()), "mimeType": "image/png"})
    sampler = b.add("samplers", {"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071})
    return b.add("textures", {"sampler": sampler, "source": image})


# --------------------------------------------------------------------------------------- geometry


def _terrain(b: GltfBuilder, world: WorldState, opts: GlbOptions, material: int) -> TerrainMesh:
    h = np.asarray(world.height_hw, np.float32)
    mesh = terrain_mesh(h, max_error_m=opts.terrain_error_m, max_triangles=opts.max_terrain_triangles)
    r, c, n, cell = mesh.rows, mesh.cols, world.n, world.cell_m
    world_pts = np.stack([c * cell, r * cell, h[r, c]], axis=1)
    nrm = terrain_normals(world)[r, c]
    uv = np.stack([(c + 0.5) / n, (r + 0.5) / n], axis=1).astype(np.float32)
    attrs = {"POSITION": b.accessor(to_gltf(world_pts), "VEC3", target=ARRAY_BUFFER, bounds=True),
             "NORMAL": b.accessor(to_gltf(nrm), "VEC3", target=ARRAY_BUFFER),
             "TEXCOORD_0": b.accessor(uv, "VEC2", target=ARRAY_BUFFER)}
    indices = mesh.triangles.astype(np.uint16 if len(r) < 65536 else np.uint32).ravel()
    prim = {"attributes": attrs, "indices": b.accessor(indices, "SCALAR", target=ELEMENT_ARRAY_BUFFER, bounds=True),
            "material": material, "mode": 4}
    m = b.add("meshes", {"name": "terrain", "primitives": [prim]})
    b.node({"name": "terrain", "mesh": m})
    return mesh


def _flat_mesh(b: GltfBuilder, name: str, mesh: Mesh, material: int) -> int | None:
    """A flat-shaded triangle list (world axes) as a glTF mesh with vertex colours."""
    if not mesh.triangles:
        return None
    attrs = {"POSITION": b.accessor(to_gltf(mesh.pos), "VEC3", target=ARRAY_BUFFER, bounds=True),
             "NORMAL": b.accessor(to_gltf(mesh.nrm), "VEC3", target=ARRAY_BUFFER),
             "COLOR_0": b.accessor(np.clip(mesh.col, 0, 1).astype(np.float32), "VEC3", target=ARRAY_BUFFER)}
    return b.add("meshes", {"name": name, "primitives": [{"attributes": attrs, "material": material, "mode": 4}]})


def _water(b: GltfBuilder, world: WorldState, opts: GlbOptions, material: int) -> None:
    step = opts.water_step or max(1, (world.n - 1) // 256)
    pos = water_mesh(np.asarray(world.water_hw), world.cell_m, step)
    if not len(pos):
        return
    up = to_gltf(np.tile([0.0, 0.0, 1.0], (len(pos), 1)))
    attrs = {"POSITION": b.accessor(to_gltf(pos), "VEC3", target=ARRAY_BUFFER, bounds=True),
             "NORMAL": b.accessor(up, "VEC3", target=ARRAY_BUFFER)}
    m = b.add("meshes", {"name": "water", "primitives": [{"attributes": attrs, "material": material, "mode": 4}]})
    b.node({"name": "water", "mesh": m})


def _static(b: GltfBuilder, world: WorldState, material: int) -> None:
    m = _flat_mesh(b, "structures", structures_mesh(world), material)
    if m is not None:
        b.node({"name": "structures", "mesh": m})
    nodes = [n for m in world.meshes if m.placed and (n := _user_mesh(b, world, m)) is not None]
    if nodes:
        b.node({"name": "imported_meshes", "children": nodes})


def _user_mesh(b: GltfBuilder, world: WorldState, m: MeshPlacement) -> int | None:
    """An imported mesh as authored: a node at its placement, one primitive per material."""
    surface = mesh_surface(world.mesh_arrays, m)
    if surface is None:
        return None
    attrs = {"POSITION": b.accessor(to_gltf(surface.vertices_v3), "VEC3", target=ARRAY_BUFFER, bounds=True),
             "NORMAL": b.accessor(_unit_rows(to_gltf(surface.normals_v3)), "VEC3", target=ARRAY_BUFFER)}
    if surface.uv_v2 is not None:  # glTF's v runs down the image
        uv = np.c_[surface.uv_v2[:, 0], 1.0 - surface.uv_v2[:, 1]].astype(np.float32)
        attrs["TEXCOORD_0"] = b.accessor(uv, "VEC2", target=ARRAY_BUFFER)
    if f"mesh_{m.id}_c" in world.mesh_arrays:  # vertex colours the file carried
        colors = np.round(surface.colors_v4 * 255).astype(np.uint8)
        attrs["COLOR_0"] = b.accessor(colors, "VEC4", target=ARRAY_BUFFER, normalized=True)
    textures = [_png_texture(b, t, f"{m.id}_tex{k}") for k, t in enumerate(surface.textures)]
    prims = []
    for mat in surface.materials:
        faces = surface.faces_f3[mat.first_face : mat.first_face + mat.faces]
        if not len(faces):
            continue
        indices = b.accessor(faces.astype(np.uint32).ravel(), "SCALAR", target=ELEMENT_ARRAY_BUFFER, bounds=True)
        prims.append({"attributes": attrs, "indices": indices, "material": _material(b, mat, textures), "mode": 4})
    mesh = b.add("meshes", {"name": m.id, "primitives": prims})
    half = m.yaw / 2  # a turn about world Z is a turn about glTF's Y by the same angle
    return b.node({"name": m.id, "mesh": mesh, "translation": _round(to_gltf(np.asarray(m.pos))[0]),
                   "rotation": [0.0, round(math.sin(half), 7), 0.0, round(math.cos(half), 7)],
                   "scale": [m.scale] * 3, "extras": _mesh_extras(m, surface)}, root=False)


def _mesh_extras(m: MeshPlacement, surface: MeshSurface) -> dict[str, Any]:
    out: dict[str, Any] = {"mesh_id": m.id, "source": m.name, "vertices": len(surface.vertices_v3)}
    if m.facing_yaw is not None:
        out["facing_yaw"] = m.facing_yaw
    return out


def _material(b: GltfBuilder, mat: MeshMaterial, textures: list[int]) -> int:
    pbr: dict[str, Any] = {"baseColorFactor": [round(c, 6) for c in mat.base_color],
                           "metallicFactor": mat.metallic, "roughnessFactor": mat.roughness}
    item: dict[str, Any] = {"name": mat.name or "material", "pbrMetallicRoughness": pbr, "doubleSided": True}
    if 0 <= mat.base_texture < len(textures):
        pbr["baseColorTexture"] = {"index": textures[mat.base_texture]}
    if 0 <= mat.mr_texture < len(textures):
        pbr["metallicRoughnessTexture"] = {"index": textures[mat.mr_texture]}
    if 0 <= mat.normal_texture < len(textures):
        item["normalTexture"] = {"index": textures[mat.normal_texture], "scale": mat.normal_scale}
    if max(mat.emissive) > 0:
        item["emissiveFactor"] = [round(min(c, 1.0), 6) for c in mat.emissive]
    if mat.is_glass:  # glass: the share of light it lets through, tinted by its base colour
        b.use_extension(TRANSMISSION)
        item["extensions"] = {TRANSMISSION: {"transmissionFactor": round(mat.transmission, 6)}}
    return b.add("materials", item)


def _png_texture(b: GltfBuilder, rgba_hw4: np.ndarray, name: str) -> int:
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgba_hw4), cv2.COLOR_RGBA2BGRA),
                           [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise GlbError(f"could not encode the texture {name}")
    image = b.add("images", {"name": name, "bufferView": b.view(png.tobytes()), "mimeType": "image/png"})
    sampler = b.add("samplers", {"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497})
    return b.add("textures", {"sampler": sampler, "source": image})


def _unit_rows(n: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(n.astype(np.float64), axis=1, keepdims=True)
    out = np.where(length > 1e-9, n / np.maximum(length, 1e-30), np.array([0.0, 1.0, 0.0]))
    return out.astype(np.float32)


# -------------------------------------------------------------------------------------- instances


def _instance_trs(world: WorldState, members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = to_gltf(np.asarray(world.inst_xyz, np.float64)[members])
    yaw = np.asarray(world.inst_yaw, np.float64)[members]
    # a yaw about world +Z is a turn about glTF +Y by the same angle
    r = np.stack([np.zeros_like(yaw), np.sin(yaw / 2), np.zeros_like(yaw), np.cos(yaw / 2)], axis=1)
    s = np.repeat(np.asarray(world.inst_scale, np.float64)[members, None], 3, axis=1)
    return t, r.astype(np.float32), s.astype(np.float32)


def _instances(b: GltfBuilder, world: WorldState, opts: GlbOptions, material: int) -> int:
    kinds = np.asarray(world.inst_kind, np.int64)
    if not opts.include_instances or not len(kinds):
        return 0
    group: list[int] = []
    for k, local in kind_meshes(world, opts.lod).items():
        name = kind_name(k)
        members = np.nonzero(kinds == k)[0]
        mesh = _flat_mesh(b, name, local, material)
        if mesh is None:
            continue
        t, r, s = _instance_trs(world, members)
        if opts.instancing == "gpu":
            group.append(_gpu_instances(b, name, mesh, t, r, s))
        else:
            group.append(_node_instances(b, name, mesh, t, r, s))
    if group:
        b.node({"name": "vegetation_and_props", "children": group})
    return int(len(kinds))


def _gpu_instances(b: GltfBuilder, name: str, mesh: int, t: np.ndarray, r: np.ndarray, s: np.ndarray) -> int:
    b.use_extension(GPU_INSTANCING, required=True)
    attrs = {"TRANSLATION": b.accessor(t, "VEC3"), "ROTATION": b.accessor(r, "VEC4"),
             "SCALE": b.accessor(s, "VEC3")}
    return b.node({"name": f"{name}_instances", "mesh": mesh, "extensions": {GPU_INSTANCING: {"attributes": attrs}},
                   "extras": {"instances": len(t)}}, root=False)


def _node_instances(b: GltfBuilder, name: str, mesh: int, t: np.ndarray, r: np.ndarray, s: np.ndarray) -> int:
    children = [b.node({"name": f"{name}_{i}", "mesh": mesh, "translation": _round(t[i]), "rotation": _round(r[i], 6),
                        "scale": _round(s[i])}, root=False) for i in range(len(t))]
    return b.node({"name": f"{name}_instances", "children": children}, root=False)


def _round(v: np.ndarray, digits: int = 4) -> list[float]:
    return [round(float(x), digits) for x in v]


# ----------------------------------------------------------------------------- light and camera


def look_rotation(forward_n3: np.ndarray, up: tuple[float, float, float] = (0.0, 1.0, 0.0)) -> np.ndarray:
    """glTF rotations (x, y, z, w) turning local -Z to each forward direction (glTF axes), +Y kept up."""
    f = np.asarray(forward_n3, np.float64).reshape(-1, 3)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    right = np.cross(f, np.asarray(up))
    flat = np.linalg.norm(right, axis=1) < 1e-6
    right[flat] = np.cross(f[flat], [0.0, 0.0, -1.0])
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    true_up = np.cross(right, f)
    m = np.stack([right, true_up, -f], axis=2)
    wxyz = continuous(quaternion_wxyz(m))
    return np.concatenate([wxyz[:, 1:], wxyz[:, :1]], axis=1).astype(np.float32)


def _sun(b: GltfBuilder, world: WorldState) -> None:
    light = lighting_from_env(world.env)
    rgb = np.asarray(light.sun_color, np.float64)
    strength = float(rgb.max())
    colour = (rgb / strength).tolist() if strength > 0 else [1.0, 1.0, 1.0]
    b.use_extension(LIGHTS)
    b.doc.setdefault("extensions", {})[LIGHTS] = {"lights": [{
        "name": "sun", "type": "directional", "color": [round(c, 5) for c in colour],
        "intensity": round(strength * LUX_PER_WATT, 3)}]}
    towards_sun = to_gltf(np.asarray(light.sun_dir))
    rot = look_rotation(-towards_sun)[0]
    b.node({"name": "sun", "rotation": _round(rot, 7), "extensions": {LIGHTS: {"light": 0}}})


def _camera(b: GltfBuilder, path: CameraPath, anim: Animation) -> tuple[bool, list[str]]:
    frames = camera_frames(path)
    yfov = 2 * math.atan(frames.sensor_height_mm / (2 * float(frames.focal_mm[0])))
    warnings = []
    if np.ptp(frames.focal_mm) > 1e-6:
        warnings.append("glTF cameras cannot animate focal length; the GLB camera keeps the first frame's")
    cam = b.add("cameras", {"name": "shot", "type": "perspective", "perspective": {
        "aspectRatio": path.width / path.height, "yfov": yfov, "znear": path.near_m, "zfar": path.far_m}})
    pos = to_gltf(frames.position)
    rot = look_rotation(to_gltf(frames.target - frames.position))
    node = b.node({"name": "shot_camera", "camera": cam, "translation": _round(pos[0]), "rotation": _round(rot[0], 7)})
    if frames.count > 1:
        anim.add(b, node, frames.times, pos, rot)
    return frames.count > 1, warnings


@dataclass(kw_only=True, slots=True)
class Animation:
    """The channels and samplers of the GLB's one animation ("shot")."""

    channels: list[dict[str, Any]] = field(default_factory=list)
    samplers: list[dict[str, Any]] = field(default_factory=list)

    def add(self, b: GltfBuilder, node: int, times: np.ndarray, pos: np.ndarray, rot: np.ndarray,
            visible: np.ndarray | None = None) -> None:
        """Linear translation and rotation keys (glTF axes); a step scale of 0 where not visible."""
        t = b.accessor(np.asarray(times, np.float32), "SCALAR", bounds=True)
        self._channel(b, node, t, "translation", pos, "VEC3", "LINEAR")
        self._channel(b, node, t, "rotation", rot, "VEC4", "LINEAR")
        if visible is not None and not np.all(visible):
            scale = np.repeat((np.asarray(visible) > 0).astype(np.float32)[:, None], 3, axis=1)
            self._channel(b, node, t, "scale", scale, "VEC3", "STEP")

    def _channel(self, b: GltfBuilder, node: int, t: int, path: str, values: np.ndarray, kind: str,
                 interpolation: str) -> None:
        self.samplers.append({"input": t, "output": b.accessor(np.asarray(values, np.float32), kind),
                              "interpolation": interpolation})
        self.channels.append({"sampler": len(self.samplers) - 1, "target": {"node": node, "path": path}})


# ------------------------------------------------------------------------------------------ bodies


def _body_pose(body: Body) -> tuple[np.ndarray, np.ndarray]:
    pos = np.array(body.pos if body.pos is not None else (0.0, 0.0, 0.0), np.float64)
    quat = np.array(body.quat if body.quat is not None else (1.0, 0.0, 0.0, 0.0), np.float64)
    if np.linalg.norm(quat) < 1e-9:
        quat = np.array([1.0, 0.0, 0.0, 0.0])
    return pos, quat


def _track_ok(track: BodyTrack) -> bool:
    t = np.asarray(track.times_s, np.float64)
    return (t.ndim == 1 and len(t) >= 2 and np.all(np.diff(t) > 0) and t[0] >= 0
            and np.shape(track.pos_n3) == (len(t), 3) and np.shape(track.quat_n4) == (len(t), 4)
            and bool(np.all(np.isfinite(track.pos_n3))) and bool(np.all(np.isfinite(track.quat_n4)))
            and (track.visible_n is None or np.shape(track.visible_n) == (len(t),)))


def _bodies(b: GltfBuilder, world: WorldState, tracks: Mapping[str, BodyTrack], material: int,
            anim: Animation) -> tuple[int, list[str]]:
    nodes, animated, warnings = [], 0, []
    for body in world.bodies:
        body_id = body.id
        local = body_mesh(body)
        mesh = _flat_mesh(b, f"body_{body_id}", local, material)
        pos, quat = _body_pose(body)
        item: dict[str, Any] = {"name": f"body_{body_id}", "translation": _round(to_gltf(pos)[0]),
                                "rotation": _round(quat_to_gltf(quat)[0], 7), "extras": {"body_id": body_id}}
        if mesh is not None:
            item["mesh"] = mesh
        node = b.node(item, root=False)
        nodes.append(node)
        track = tracks.get(body_id)
        if track is not None and _track_ok(track):
            rot = quat_to_gltf(continuous(np.asarray(track.quat_n4, np.float64)))
            anim.add(b, node, track.times_s, to_gltf(track.pos_n3), rot, track.visible_n)
            animated += 1
        elif track is not None:
            warnings.append(f"body {body_id!r}: its track needs increasing times >= 0 and finite N x 3 / N x 4 "
                            "positions and orientations; exported without animation")
    if nodes:
        b.node({"name": "bodies", "children": nodes})
    return animated, warnings


def _agents(b: GltfBuilder, world: WorldState, timeline: Timeline | None, material: int,
            anim: Animation) -> int:
    """Agents as nodes; with a timeline, posed at their first moment alive and animated along it."""
    sources = timeline.agents if timeline is not None else world.agents
    times = np.arange(timeline.n_frames, dtype=np.float64) / timeline.fps if timeline is not None else None
    nodes, animated = [], 0
    for k, agent in enumerate(sources):
        agent_id = agent.id
        if timeline is not None:
            alive = np.asarray(timeline.agent_alive_fa[:, k]) > 0
            first = int(np.argmax(alive)) if alive.any() else 0
            feet = np.asarray(timeline.agent_pos_fa3[first, k], np.float64)
            yaw = float(timeline.agent_yaw_fa[first, k])
        else:
            feet = np.array(agent.pos if agent.pos is not None else (0.0, 0.0, 0.0), np.float64)
            yaw = agent.yaw
        quat = np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])
        item: dict[str, Any] = {"name": f"agent_{agent_id}", "translation": _round(to_gltf(feet)[0]),
                                "rotation": _round(quat_to_gltf(quat)[0], 7),
                                "extras": {"agent_id": agent_id, "kind": agent.kind}}
        mesh = _flat_mesh(b, f"agent_{agent_id}", agent_mesh(agent), material)
        if mesh is not None:
            item["mesh"] = mesh
        node = b.node(item, root=False)
        nodes.append(node)
        if timeline is not None and times is not None and len(times) >= 2:
            yaws = np.unwrap(np.asarray(timeline.agent_yaw_fa[:, k], np.float64))
            quats = np.stack([np.cos(yaws / 2), np.zeros_like(yaws), np.zeros_like(yaws), np.sin(yaws / 2)], axis=1)
            pos = np.asarray(timeline.agent_pos_fa3[:, k], np.float64)
            if np.all(np.isfinite(pos)) and np.all(np.isfinite(quats)):
                visible = (np.asarray(timeline.agent_alive_fa[:, k]) > 0).astype(np.float32)
                anim.add(b, node, times, to_gltf(pos), quat_to_gltf(continuous(quats)), visible)
                animated += 1
    if nodes:
        b.node({"name": "agents", "children": nodes})
    return animated


def _unknown_tracks(world: WorldState, tracks: Mapping[str, BodyTrack]) -> list[str]:
    known = {body.id for body in world.bodies}
    missing = sorted(set(tracks) - known)
    return [f"tracks for unknown bodies ignored: {', '.join(missing[:5])}"] if missing else []


# --------------------------------------------------------------------------------------------- API


def world_glb(world: WorldState, *, camera: CameraPath | None = None, timeline: Timeline | None = None,
              body_tracks: Mapping[str, BodyTrack] | None = None, options: GlbOptions | None = None,
              workflow_json: str | None = None) -> tuple[bytes, GlbInfo]:
    """The world as GLB bytes plus a summary of what went in.

    Bodies move by their tracks: those of a simulated Timeline (its bodies replace the world's), those the
    bodies carry (body["track"]), and `body_tracks`, later ones winning."""
    opts = options or GlbOptions()
    opts.check()
    tracks = tracks_from_bodies(world)
    if timeline is not None:
        world, from_timeline = _timeline_bodies(world, timeline)
        tracks |= from_timeline
    tracks |= dict(body_tracks or {})
    b = GltfBuilder()
    if workflow_json is not None:
        b.doc["asset"]["extras"] = {GLTF_EXTRA: workflow_json}
    mats = _materials(b, _texture(b, world, opts.texture_px))
    terrain = _terrain(b, world, opts, mats["terrain"])
    _water(b, world, opts, mats["water"])
    _static(b, world, mats["painted"])
    count = _instances(b, world, opts, mats["painted"])
    _sun(b, world)
    anim = Animation()
    cam_moves, warnings = _camera(b, camera, anim) if camera is not None else (False, [])
    animated, more = _bodies(b, world, tracks, mats["painted"], anim)
    animated += _agents(b, world, timeline, mats["painted"], anim)
    warnings += more + _unknown_tracks(world, tracks) + _terrain_notes(world, terrain, opts)
    if anim.channels:
        b.add("animations", {"name": "shot", "channels": anim.channels, "samplers": anim.samplers})
    data = b.glb()
    return data, GlbInfo(bytes=len(data), terrain_triangles=terrain.n_triangles, terrain_error_m=terrain.max_error_m,
                         terrain_stride=terrain.stride, instances=count,
                         nodes=len(b.doc["nodes"]), animated_nodes=animated + int(cam_moves),
                         warnings=warnings)


def _terrain_notes(world: WorldState, mesh: TerrainMesh, opts: GlbOptions) -> list[str]:
    if mesh.stride:
        return [f"the heightfield is {world.n} x {world.n}, not 2^k + 1: the terrain is a regular grid "
                f"every {mesh.stride} sample(s) instead of an adaptive mesh"]
    if mesh.max_error_m > opts.terrain_error_m:
        return [f"terrain error raised to {mesh.max_error_m:g} m to stay within {opts.max_terrain_triangles} triangles"]
    return []


def _timeline_bodies(world: WorldState, timeline: Timeline) -> tuple[WorldState, dict[str, BodyTrack]]:
    """The world with the timeline's bodies (posed at their first frame alive) and one track per body."""
    times = np.arange(timeline.n_frames, dtype=np.float64) / timeline.fps
    bodies, tracks = [], {}
    for k, body in enumerate(timeline.bodies):
        alive = np.asarray(timeline.body_alive_fb[:, k]) > 0
        first = int(np.argmax(alive)) if alive.any() else 0
        body_id = body.id
        bodies.append(body.posed(timeline.body_pos_fb3[first, k], timeline.body_quat_fb4[first, k],
                                 timeline.body_rgb_fb3[first, k]))
        tracks[body_id] = BodyTrack(times_s=times, pos_n3=np.asarray(timeline.body_pos_fb3[:, k], np.float64),
                                    quat_n4=np.asarray(timeline.body_quat_fb4[:, k], np.float64),
                                    visible_n=alive.astype(np.float32))
    return dataclasses.replace(world, bodies=bodies), tracks


def tracks_from_bodies(world: WorldState) -> dict[str, BodyTrack]:
    """Tracks carried by the bodies themselves (Body.track)."""
    return {body.id: body.track for body in world.bodies if body.track is not None}


def tracks_from_states(states: Sequence[WorldState], fps: float) -> dict[str, BodyTrack]:
    """Body tracks from a sequence of world states one frame apart (bodies matched by id)."""
    if fps <= 0:
        raise GlbError("fps must be positive")
    samples: dict[str, list[tuple[float, np.ndarray, np.ndarray]]] = {}
    for i, state in enumerate(states):
        for body in state.bodies:
            pos, quat = _body_pose(body)
            samples.setdefault(body.id, []).append((i / fps, pos, quat))
    return {bid: BodyTrack(times_s=np.array([s[0] for s in rows]), pos_n3=np.array([s[1] for s in rows]),
                           quat_n4=np.array([s[2] for s in rows])) for bid, rows in samples.items() if len(rows) > 1}
