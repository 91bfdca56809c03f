"""Product meshes with a look of their own, made in code (trimesh + numpy): textured, vertex-coloured, OBJ + MTL,
a glossy red metallic car, a normal-mapped panel. All Y-up with the front towards +Z, as glTF files are."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

RED, BLUE, WHITE = (230, 20, 20), (20, 40, 230), (245, 245, 245)


def label_rgb(h: int = 128, w: int = 256) -> np.ndarray:
    """A label: left half red, right half blue, a white band across the middle with dark 'text' bars."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2], img[:, w // 2 :] = RED, BLUE
    band = slice(3 * h // 8, 5 * h // 8)
    img[band] = WHITE
    for k in range(8):
        x0 = w // 16 + k * w // 8
        img[7 * h // 16 : 9 * h // 16, x0 : x0 + w // 20] = (20, 20, 20)
    return img


def _y_up(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Built Z-up with the front towards -Y; turned to glTF's Y-up, front towards +Z."""
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, (1, 0, 0)))
    return mesh


def _scene_glb(meshes: list[trimesh.Trimesh], path: Path) -> Path:
    scene = trimesh.Scene()
    for i, m in enumerate(meshes):
        scene.add_geometry(m, geom_name=f"part{i}")
    path.write_bytes(scene.export(file_type="glb", include_normals=True))
    return path


def textured_box_glb(path: Path, size: tuple[float, float, float] = (0.6, 0.3, 0.6),
                     texture: np.ndarray | None = None) -> Path:
    """A box (w, d, h metres) whose every face shows the whole label texture, flat shaded (no normals)."""
    box = trimesh.creation.box(extents=size)
    box.unmerge_vertices()
    uv = np.zeros((len(box.vertices), 2))
    for f, tri in enumerate(box.faces):  # each face's corners → the texture's corners (u across, v up or north)
        n = box.face_normals[f]
        axes = [a for a in range(3) if abs(n[a]) < 0.5]
        pts = box.vertices[tri][:, axes]
        lo, hi = box.bounds[0][axes], box.bounds[1][axes]
        t = (pts - lo) / (hi - lo)
        uv[tri] = t
    img = label_rgb() if texture is None else texture
    mat = PBRMaterial(name="label", baseColorTexture=Image.fromarray(img), baseColorFactor=[255, 255, 255, 255],
                      metallicFactor=0.0, roughnessFactor=0.7)
    box.visual = trimesh.visual.TextureVisuals(uv=uv, material=mat)
    box.apply_translation((0, 0, size[2] / 2))
    path.write_bytes(trimesh.Scene(_y_up(box)).export(file_type="glb"))
    return path


def bottle_glb(path: Path, radius: float = 0.08, height: float = 0.3, sections: int = 48) -> Path:
    """A bottle: a smooth cylinder wrapped in the label (u around, v up) and a gold cap, two materials."""
    a = np.linspace(0, 2 * math.pi, sections + 1)
    z = np.array([0.0, 0.8 * height])
    # a = -pi/2 at u = 0.25 faces -Y: the label's left half (red) is seen from the front
    ring = np.stack([np.cos(a - math.pi), np.sin(a - math.pi)], axis=1)
    v = np.array([[radius * x, radius * y, zz] for zz in z for x, y in ring])
    uv = np.array([[k / sections, zz / z[-1]] for zz in z for k in range(sections + 1)])
    nrm = np.array([[x, y, 0.0] for _ in z for x, y in ring])
    m = sections + 1
    faces = [[k, k + 1, m + k + 1] for k in range(sections)] + [[k, m + k + 1, m + k] for k in range(sections)]
    body = trimesh.Trimesh(v, faces, vertex_normals=nrm, process=False)
    label = PBRMaterial(name="label", baseColorTexture=Image.fromarray(label_rgb()), metallicFactor=0.0,
                        roughnessFactor=0.35)
    body.visual = trimesh.visual.TextureVisuals(uv=uv, material=label)
    cap = trimesh.creation.cylinder(radius=0.45 * radius, height=0.2 * height, sections=32)
    cap.apply_translation((0, 0, 0.9 * height))
    cap.visual = trimesh.visual.TextureVisuals(material=PBRMaterial(
        name="gold_cap", baseColorFactor=[255, 190, 60, 255], metallicFactor=1.0, roughnessFactor=0.3))
    _ = cap.vertex_normals
    return _scene_glb([_y_up(body), _y_up(cap)], path)


def vertex_coloured_glb(path: Path, height: float = 2.0) -> Path:
    """A twisted sculpture coloured in bands by its vertices: red at the foot, yellow, blue at the top."""
    col = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    v = col.vertices.copy()
    t = (v[:, 2] + 1) / 2
    twist = 2.5 * t
    x, y = v[:, 0] * (0.35 + 0.15 * np.cos(6 * t)), v[:, 1] * 0.35
    v = np.stack([x * np.cos(twist) - y * np.sin(twist), x * np.sin(twist) + y * np.cos(twist), t * height], axis=1)
    mesh = trimesh.Trimesh(v, col.faces, process=False)
    stops = np.array([[200, 12, 8], [230, 170, 8], [8, 20, 200]], np.float64)
    rgb = stops[np.clip((t * 3).astype(int), 0, 2)]  # three bands: red foot, yellow waist, blue head
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=np.c_[rgb, np.full(len(v), 255)].astype(np.uint8))
    _ = mesh.vertex_normals
    return _scene_glb([_y_up(mesh)], path)


def obj_with_mtl(folder: Path, name: str = "crate", kd: tuple[float, float, float] = (0.1, 0.6, 0.15),
                 size: float = 0.5) -> Path:
    """A cube as OBJ (Y up) with a material library giving it one diffuse colour."""
    box = trimesh.creation.box(extents=(size, size, size))
    lines = [f"mtllib {name}.mtl", "o crate"]
    lines += [f"v {x:.6f} {y + size / 2:.6f} {z:.6f}" for x, y, z in box.vertices]
    lines += ["usemtl paint"] + [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in box.faces]
    (folder / f"{name}.obj").write_text("\n".join(lines) + "\n")
    (folder / f"{name}.mtl").write_text(f"newmtl paint\nKa 0 0 0\nKd {kd[0]} {kd[1]} {kd[2]}\nKs 0.1 0.1 0.1\n"
                                        "Ns 20\nd 1\n")
    return folder / f"{name}.obj"


def car_glb(path: Path, length: float = 4.4, width: float = 1.8, height: float = 1.3) -> Path:
    """A car-like product: a rounded glossy red metallic body and four dark tyres (two materials)."""
    body = trimesh.creation.capsule(height=length - width * 0.6, radius=0.5, count=[32, 32])
    body.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, (0, 1, 0)))
    body.apply_scale((1.0, width / 1.0, 0.55 * height / 0.5 / 1.1))
    body.apply_scale((length / (body.extents[0]), 1.0, 1.0))
    body.apply_translation((0, 0, 0.35 + body.extents[2] / 2 - 0.05))
    body.visual = trimesh.visual.TextureVisuals(material=PBRMaterial(
        name="red_paint", baseColorFactor=[200, 8, 8, 255], metallicFactor=0.8, roughnessFactor=0.22))
    _ = body.vertex_normals
    tyres = []
    for sx in (-1, 1):
        for sy in (-1, 1):
            t = trimesh.creation.cylinder(radius=0.36, height=0.25, sections=24)
            t.apply_transform(trimesh.transformations.rotation_matrix(math.pi / 2, (1, 0, 0)))
            t.apply_translation((sx * 0.33 * length, sy * 0.5 * width, 0.36))
            tyres.append(t)
    tyre = trimesh.util.concatenate(tyres)
    tyre.visual = trimesh.visual.TextureVisuals(material=PBRMaterial(
        name="tyre", baseColorFactor=[20, 20, 22, 255], metallicFactor=0.0, roughnessFactor=0.9))
    _ = tyre.vertex_normals
    return _scene_glb([_y_up(body), _y_up(tyre)], path)


def bump_normal_map(px: int = 128, bumps: int = 8) -> np.ndarray:
    """A tangent-space normal map (RGB uint8) of a grid of round bumps."""
    u = (np.arange(px) + 0.5) / px * bumps * 2 * math.pi
    hx, hy = np.meshgrid(u, u)
    dx, dy = 0.8 * np.cos(hx) * np.sin(hy), 0.8 * np.sin(hx) * np.cos(hy)
    n = np.stack([-dx, -dy, np.ones_like(dx)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return np.round((n * 0.5 + 0.5) * 255).astype(np.uint8)


def panel_glb(path: Path, size: float = 1.0, normal_map: bool = True) -> Path:
    """An upright grey panel facing the front, with (or without) a bumpy normal map."""
    s = size / 2
    v = np.array([[-s, 0, 0], [s, 0, 0], [s, 0, size], [-s, 0, size]], np.float64)
    faces = [[0, 1, 2], [0, 2, 3]]
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64)
    mesh = trimesh.Trimesh(v, faces, vertex_normals=np.tile([0.0, -1.0, 0.0], (4, 1)), process=False)
    extra = {"normalTexture": Image.fromarray(bump_normal_map())} if normal_map else {}
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=PBRMaterial(
        name="panel", baseColorFactor=[180, 180, 180, 255], metallicFactor=0.0, roughnessFactor=0.5, **extra))
    return _scene_glb([_y_up(mesh)], path)
