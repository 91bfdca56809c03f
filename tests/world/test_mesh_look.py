"""Imported meshes keep their look: colours, textures, vertex colours, metallic/roughness and normal maps are read,
kept in the world (and its files) and seen in the render where the mesh projects; bad files are refused clearly."""

from __future__ import annotations

import dataclasses
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.world.edit.meshimport import MeshImportError, import_mesh
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.store import load_world, save_world
from oyster_nodes.world.state.world_state import WorldState

from . import mesh_assets as assets
from .shot_world import flat

X = Y = 40.0


@pytest.fixture(scope="module")
def ground() -> WorldState:
    w = flat()
    return dataclasses.replace(w, env=dataclasses.replace(w.env, clock_h=15.0))


def shot(r: Renderer, world: WorldState, *, side: float = 0.0, distance: float = 2.4, size: int = 160,
         lift: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """The rgb of the last mesh seen from `side` radians off the direction it faces, and where it is."""
    m = world.meshes[-1]
    v = world.mesh_arrays[f"mesh_{m.id}_v"]
    h = float(v[:, 2].max()) * m.scale
    a = (m.facing_yaw or 0.0) + side
    d = distance * max(m.extent_m, 0.3)
    cam = Camera(position=(m.pos[0] + d * math.cos(a), m.pos[1] + d * math.sin(a), m.pos[2] + h * (0.5 + lift)),
                 target=(m.pos[0], m.pos[1], m.pos[2] + 0.5 * h), width=size, height=size, focal_mm=35.0)
    img = r.render(world, cam)
    mask = img.instance_hw == img.info["id_ranges"]["meshes"][1]
    assert mask.sum() > 200, "the mesh should be in frame"
    return img.rgb_hw3.astype(np.float64), mask


def hue_shares(rgb: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    px = rgb[mask]
    r, g, b = px[:, 0], px[:, 1], px[:, 2]
    return {"red": float(np.mean((r > 1.6 * g) & (r > 1.6 * b) & (r > 60))),
            "blue": float(np.mean((b > 1.4 * r) & (b > 1.2 * g) & (b > 60))),
            "white": float(np.mean((r > 170) & (g > 170) & (b > 170))),
            "green": float(np.mean((g > 1.3 * r) & (g > 1.3 * b))),
            "yellow": float(np.mean((r > 1.4 * b) & (g > 1.4 * b) & (r > 120) & (g > 100)))}


def test_a_textured_box_shows_its_label(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    world = import_mesh(ground, assets.textured_box_glb(tmp_path / "box.glb"), x=X, y=Y, yaw_deg=30.0)
    m = world.meshes[-1]
    assert [mat.name for mat in m.materials] == ["label"] and m.materials[0].base_texture == 0
    assert world.mesh_arrays[f"mesh_{m.id}_tex0"].shape == (128, 256, 4)
    rgb, mask = shot(renderer, world)
    shares = hue_shares(rgb, mask)
    # the label's red half, blue half and white band all show on the front face
    assert shares["red"] > 0.15 and shares["blue"] > 0.15 and shares["white"] > 0.08, shares
    # its dark 'text' bars: a texture, not a flat colour
    assert np.mean(rgb[mask].max(axis=1) < 60) > 0.01


def test_the_label_is_on_the_side_the_record_calls_the_front(renderer: Renderer, ground: WorldState,
                                                            tmp_path: Path) -> None:
    world = import_mesh(ground, assets.bottle_glb(tmp_path / "bottle.glb"), x=X, y=Y, yaw_deg=30.0)
    m = world.meshes[-1]
    assert m.facing_yaw == pytest.approx(math.radians(30.0 - 90.0), abs=1e-6)
    assert [mat.name for mat in m.materials] == ["label", "gold_cap"]
    front = hue_shares(*shot(renderer, world, lift=0.1))
    back = hue_shares(*shot(renderer, world, side=math.pi, lift=0.1))
    assert front["red"] > 0.3 > front["blue"] and back["blue"] > 0.3 > back["red"], (front, back)
    shown = import_mesh(ground, tmp_path / "bottle.glb", x=X, y=Y, yaw_deg=30.0, side="back")
    assert shown.meshes[-1].facing_yaw == pytest.approx(math.radians(120.0), abs=1e-6)


def test_vertex_colours_are_kept_and_seen(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    world = import_mesh(ground, assets.vertex_coloured_glb(tmp_path / "sculpture.glb"), x=X, y=Y)
    m = world.meshes[-1]
    c = world.mesh_arrays[f"mesh_{m.id}_c"]
    assert c.dtype == np.uint8 and c.shape == (m.vertices, 4)
    rgb, mask = shot(renderer, world, distance=1.6)
    rows = np.nonzero(mask.any(axis=1))[0]
    top, foot = mask.copy(), mask.copy()
    top[rows[0] + len(rows) // 4 :] = False
    foot[: rows[-1] - len(rows) // 4] = False
    assert hue_shares(rgb, top)["blue"] > 0.4 and hue_shares(rgb, foot)["red"] > 0.4


def test_an_obj_keeps_its_mtl_colour(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    world = import_mesh(ground, assets.obj_with_mtl(tmp_path), x=X, y=Y)
    mat = world.meshes[-1].materials[0]
    assert mat.name == "paint" and mat.base_color[:3] == pytest.approx((0.1, 0.6, 0.15), abs=0.01)
    assert hue_shares(*shot(renderer, world))["green"] > 0.8


def test_a_red_metallic_car_is_red_and_glossy(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    world = import_mesh(ground, assets.car_glb(tmp_path / "car.glb"), x=X, y=Y, yaw_deg=0.0)
    m = world.meshes[-1]
    paint = m.materials[0]
    assert (paint.name, paint.metallic, paint.roughness) == ("red_paint", pytest.approx(0.8), pytest.approx(0.22))
    rgb, mask = shot(renderer, world, side=0.7, distance=1.3)
    assert hue_shares(rgb, mask)["red"] > 0.5
    # the same body matte and not metallic: the glossy one has highlights (its brightest pixels are brighter)
    matte = dataclasses.replace(m, materials=[dataclasses.replace(paint, metallic=0.0, roughness=1.0),
                                              *m.materials[1:]])
    rgb_matte, mask_matte = shot(renderer, dataclasses.replace(world, meshes=[matte]), side=0.7, distance=1.3)
    luminance = np.array([0.3, 0.6, 0.1])
    glossy_top = np.percentile(rgb[mask] @ luminance, 99)
    matte_top = np.percentile(rgb_matte[mask_matte] @ luminance, 99)
    assert glossy_top > matte_top + 40, (glossy_top, matte_top)


def test_a_normal_map_shades_a_flat_panel(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    bumpy = import_mesh(ground, assets.panel_glb(tmp_path / "bumpy.glb"), x=X, y=Y)
    plain = import_mesh(ground, assets.panel_glb(tmp_path / "plain.glb", normal_map=False), x=X, y=Y)
    assert bumpy.meshes[-1].materials[0].normal_texture == 0
    spread = []
    for world in (bumpy, plain):
        rgb, mask = shot(renderer, world, side=0.5)
        spread.append(float(rgb[mask].mean(axis=1).std()))
    assert spread[0] > 3 * spread[1] + 4, spread


def test_a_world_file_keeps_the_look(renderer: Renderer, ground: WorldState, tmp_path: Path) -> None:
    world = import_mesh(ground, assets.bottle_glb(tmp_path / "bottle.glb"), x=X, y=Y, yaw_deg=10.0)
    world = import_mesh(world, assets.vertex_coloured_glb(tmp_path / "sculpture.glb"), x=X + 3, y=Y)
    loaded = load_world(save_world(world, tmp_path / "w.oyworld.safetensors"))
    assert loaded.meshes == world.meshes
    assert sorted(loaded.mesh_arrays) == sorted(world.mesh_arrays)
    for k, v in world.mesh_arrays.items():
        assert loaded.mesh_arrays[k].dtype == v.dtype and np.array_equal(loaded.mesh_arrays[k], v), k
    a, _ = shot(renderer, world)
    b, _ = shot(renderer, loaded)
    assert np.array_equal(a, b)
    again, _ = shot(renderer, world)
    assert np.array_equal(a, again)


def test_a_mesh_saved_before_materials_still_renders_grey(renderer: Renderer, ground: WorldState,
                                                          tmp_path: Path) -> None:
    world = import_mesh(ground, assets.obj_with_mtl(tmp_path), x=X, y=Y)
    m = world.meshes[-1]
    old = dataclasses.replace(m, materials=[], facing_yaw=None)
    arrays = {k: v for k, v in world.mesh_arrays.items() if k.endswith(("_v", "_f"))}
    assert "materials" not in old.to_json()
    rgb, mask = shot(renderer, dataclasses.replace(world, meshes=[old], mesh_arrays=arrays), side=0.0)
    px = rgb[mask]  # grey under a blue sky: no green of its MTL, nothing saturated
    assert hue_shares(rgb, mask)["green"] < 0.02 and np.mean(px.max(axis=1) - px.min(axis=1) < 60) > 0.9


# ------------------------------------------------------------------------------------------ bad input


def test_a_huge_texture_is_downscaled_with_a_note(ground: WorldState, tmp_path: Path) -> None:
    big = np.tile(assets.label_rgb(64, 128), (4, 24, 1))  # 3072 x 256
    notes: list[str] = []
    world = import_mesh(ground, assets.textured_box_glb(tmp_path / "big.glb", texture=big), x=X, y=Y,
                        note=notes.append)
    tex = world.mesh_arrays[f"mesh_{world.meshes[-1].id}_tex0"]
    assert tex.shape == (171, 2048, 4)
    assert len(notes) == 1 and "3072 x 256" in notes[0] and "2048" in notes[0] and "big.glb" in notes[0]


def _with_json(path: Path, edit: callable) -> Path:  # type: ignore[valid-type]
    """Rewrite a GLB's JSON chunk."""
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    doc = edit(json.loads(data[20 : 20 + length]))
    text = json.dumps(doc).encode()
    text += b" " * ((-len(text)) % 4)
    rest = data[20 + length :]
    body = struct.pack("<I4s", len(text), b"JSON") + text + rest
    path.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)
    return path


def test_a_broken_texture_names_the_file(ground: WorldState, tmp_path: Path) -> None:
    path = assets.textured_box_glb(tmp_path / "labelled.glb")
    data = bytearray(path.read_bytes())
    at = data.find(b"\x89PNG")
    data[at + 16 : at + 400] = b"\x00" * 384  # wreck the image's header and data
    path.write_bytes(bytes(data))
    with pytest.raises(MeshImportError, match=r"labelled\.glb: texture image 0 .*cannot be decoded"):
        import_mesh(ground, path, x=X, y=Y)


def test_non_finite_material_values_are_refused(ground: WorldState, tmp_path: Path) -> None:
    def poison(doc: dict) -> dict:
        doc["materials"][0]["pbrMetallicRoughness"]["metallicFactor"] = float("nan")
        return doc

    path = _with_json(assets.textured_box_glb(tmp_path / "nan.glb"), poison)
    with pytest.raises(MeshImportError, match=r"nan\.glb: material 0 .*not a finite number"):
        import_mesh(ground, path, x=X, y=Y)


def test_a_missing_or_broken_mtl_names_the_file(ground: WorldState, tmp_path: Path) -> None:
    obj = assets.obj_with_mtl(tmp_path, name="crate")
    (tmp_path / "crate.mtl").write_text("newmtl paint\nKd 0.5 nan 0.2\n")
    with pytest.raises(MeshImportError, match=r"crate\.mtl .*line 2: 'Kd 0.5 nan 0.2' needs finite numbers"):
        import_mesh(ground, obj, x=X, y=Y)
    (tmp_path / "crate.mtl").write_text("newmtl paint\nmap_Kd label.png\n")
    (tmp_path / "label.png").write_bytes(b"not a png at all")
    with pytest.raises(MeshImportError, match=r"label\.png \(texture of crate\.mtl, line 2\).*cannot be decoded"):
        import_mesh(ground, obj, x=X, y=Y)
    (tmp_path / "crate.mtl").unlink()
    with pytest.raises(MeshImportError, match=r"crate\.obj: its material library 'crate\.mtl' is missing"):
        import_mesh(ground, obj, x=X, y=Y)
