"""Imported meshes leave in a GLB as authored (materials, textures, vertex colours, placement) and in a PLY with
their colours; the GLB passes the Khronos glTF Validator."""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from oyster_nodes.io.exporters.glb import world_glb
from oyster_nodes.io.exporters.world_geometry import user_meshes
from oyster_nodes.world.edit.meshimport import import_mesh
from oyster_nodes.world.state.world_state import WorldState
from tests.world import mesh_assets as assets
from tests.world.shot_world import flat


def _products(tmp_path: Path) -> WorldState:
    world = import_mesh(flat(), assets.textured_box_glb(tmp_path / "box.glb"), x=40.0, y=40.0, yaw_deg=30.0)
    world = import_mesh(world, assets.car_glb(tmp_path / "car.glb"), x=50.0, y=40.0)
    return import_mesh(world, assets.vertex_coloured_glb(tmp_path / "sculpture.glb"), x=60.0, y=40.0)


def _chunks(data: bytes) -> tuple[dict[str, Any], bytes]:
    length = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + length])
    blen = struct.unpack_from("<I", data, 20 + length)[0]
    return doc, data[28 + length : 28 + length + blen]


def test_imported_meshes_export_as_authored(tmp_path: Path, validate_gltf: Callable[[Path], dict[str, Any]]) -> None:
    world = _products(tmp_path)
    data, _ = world_glb(world)
    path = tmp_path / "products.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]
    doc, binary = _chunks(data)
    group = next(n for n in doc["nodes"] if n.get("name") == "imported_meshes")
    nodes = {doc["nodes"][i]["name"]: doc["nodes"][i] for i in group["children"]}
    assert sorted(nodes) == sorted(m.id for m in world.meshes)
    box = nodes[world.meshes[0].id]
    assert box["rotation"][1] == round(math.sin(math.radians(15.0)), 7)
    assert box["extras"]["facing_yaw"] == world.meshes[0].facing_yaw
    materials = {m["name"]: m for m in doc["materials"]}
    paint = materials["red_paint"]["pbrMetallicRoughness"]
    assert paint["metallicFactor"] == 0.8 and paint["roughnessFactor"] == 0.22
    assert paint["baseColorFactor"][0] > 10 * paint["baseColorFactor"][1]
    # the label travels as a PNG equal to the texture that was imported
    tex = doc["textures"][materials["label"]["pbrMetallicRoughness"]["baseColorTexture"]["index"]]
    view = doc["bufferViews"][doc["images"][tex["source"]]["bufferView"]]
    png = binary[view.get("byteOffset", 0) : view.get("byteOffset", 0) + view["byteLength"]]
    label = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert np.array_equal(label, assets.label_rgb())
    sculpture = doc["meshes"][nodes[world.meshes[2].id]["mesh"]]["primitives"][0]
    assert "COLOR_0" in sculpture["attributes"] and "TEXCOORD_0" not in sculpture["attributes"]
    labelled = doc["meshes"][box["mesh"]]["primitives"][0]
    assert "TEXCOORD_0" in labelled["attributes"]


def test_the_point_cloud_colours_of_a_mesh_come_from_its_look(tmp_path: Path) -> None:
    world = _products(tmp_path)
    mesh = user_meshes(world)
    col = mesh.col
    assert np.mean((col[:, 0] > 0.5) & (col[:, 1] < 0.1)) > 0.2  # the label's red and the car's paint
    assert np.mean((col[:, 2] > 0.5) & (col[:, 0] < 0.1)) > 0.02  # the label's blue, the sculpture's head


def test_glass_exports_as_khr_materials_transmission(tmp_path: Path,
                                                     validate_gltf: Callable[[Path], dict[str, Any]]) -> None:
    from tests.world.test_glass import BOTTLE, studio

    data, _ = world_glb(studio(BOTTLE.format("white")))
    path = tmp_path / "bottle.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0, report["messages"]
    doc, _ = _chunks(data)
    assert "KHR_materials_transmission" in doc["extensionsUsed"]
    glass = next(m for m in doc["materials"] if m["name"] == "glass")
    assert glass["extensions"]["KHR_materials_transmission"]["transmissionFactor"] == pytest.approx(0.92)
    cap = next(m for m in doc["materials"] if m["name"] == "cap")
    assert "extensions" not in cap
