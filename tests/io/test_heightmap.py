from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oyster_nodes.io.exporters.heightmap import heightmap, material_masks, splat_maps, write_heightmaps
from oyster_nodes.io.files import OutputFolder
from oyster_nodes.io.images import decode_png
from oyster_nodes.io.provenance import read_workflow_text
from oyster_nodes.world.state.world_state import MATERIALS

from .worlds import synthetic_world


def test_heights_come_back_within_one_step_and_north_is_up() -> None:
    world = synthetic_world(size_m=64)
    world.height_hw[-1, 0] = 50.0  # north-west corner (y = size_m, x = 0)
    hm = heightmap(world)
    assert hm.samples_hw.dtype == np.uint16 and hm.samples_hw[0, 0] == 65535
    assert np.allclose(hm.heights_m()[::-1], world.height_hw, atol=hm.metres_per_step)


def test_masks_partition_the_terrain() -> None:
    world = synthetic_world(size_m=64)
    masks = material_masks(world)
    assert set(masks) <= set(MATERIALS)
    assert (sum(m.astype(int) for m in masks.values()) == 255).all()
    total = sum(s.astype(int).sum(axis=-1) for s in splat_maps(world))
    assert (total == 255).all()


def test_files_for_engines(tmp_path: Path) -> None:
    world = synthetic_world(size_m=64)
    folder = OutputFolder(root=tmp_path)
    out = write_heightmaps(folder, world, stem="terrain/w", workflow_json="{}")
    png = decode_png((tmp_path / "terrain/w_height.png").read_bytes())
    raw = np.frombuffer((tmp_path / "terrain/w_height.r16").read_bytes(), "<u2").reshape(png.shape)
    assert png.dtype == np.uint16 and png.shape == (65, 65) and np.array_equal(png, raw)
    info = json.loads((tmp_path / "terrain/w.json").read_text())
    assert info["min_height_m"] == float(world.height_hw.min()) and info["samples"] == [65, 65]
    assert info["unreal"]["scale_z_percent"] > 0
    assert read_workflow_text(tmp_path / "terrain/w_water.png") == "{}"
    assert read_workflow_text(tmp_path / "terrain/w.json") == "{}"
    assert folder.paths == out.paths and len(out.paths) == len(set(out.paths))
