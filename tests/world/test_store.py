"""Saving and loading worlds: round trip, corrupted, foreign and newer files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.state.store import SUFFIX, WorldFileError, load_world, save_world
from oyster_nodes.world.state.world_state import WorldState


@pytest.fixture(scope="module")
def state() -> WorldState:
    spec = WorldSpec(
        terrain="hills",
        water=["lake"],
        structures={"cabin": 2, "road": 1},
        vegetation={"conifers": 0.5},
        props={"rocks": 10},
    )
    return generate_world(spec, 4, GenerateConfig(size_m=256.0))


def test_round_trip_is_exact(state: WorldState, tmp_path: Path) -> None:
    path = save_world(state, tmp_path / f"w{SUFFIX}")
    loaded = load_world(path)
    assert loaded.content_hash() == state.content_hash()
    assert np.array_equal(loaded.water_hw, state.water_hw, equal_nan=True)
    assert loaded.structures == state.structures and loaded.env == state.env
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_mesh_arrays_survive(state: WorldState, tmp_path: Path) -> None:
    import dataclasses

    with_mesh = dataclasses.replace(
        state,
        meshes=[{"id": "m-1", "name": "m.obj"}],
        mesh_arrays={"mesh_m-1_v": np.ones((3, 3), np.float32), "mesh_m-1_f": np.zeros((1, 3), np.uint32)},
    )
    loaded = load_world(save_world(with_mesh, tmp_path / "m.oyworld.safetensors"))
    assert np.array_equal(loaded.mesh_arrays["mesh_m-1_v"], with_mesh.mesh_arrays["mesh_m-1_v"])


def test_corrupted_data_is_refused(state: WorldState, tmp_path: Path) -> None:
    path = save_world(state, tmp_path / f"w{SUFFIX}")
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WorldFileError, match="corrupted"):
        load_world(path)


def test_truncated_file_is_refused(state: WorldState, tmp_path: Path) -> None:
    path = save_world(state, tmp_path / f"w{SUFFIX}")
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(WorldFileError, match="corrupted|truncated"):
        load_world(path)


def test_foreign_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "model.safetensors"
    save_file({"weight": np.zeros((2, 2), np.float32)}, str(other))
    with pytest.raises(WorldFileError, match="not an Oyster world"):
        load_world(other)
    junk = tmp_path / "junk.oyworld.safetensors"
    junk.write_bytes(b"\x00\x01 definitely not a world" * 10)
    with pytest.raises(WorldFileError, match="not a safetensors file"):
        load_world(junk)
    with pytest.raises(WorldFileError, match="no such"):
        load_world(tmp_path / "missing.oyworld.safetensors")


def test_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"new{SUFFIX}"
    save_file(
        {"height_hw": np.zeros((2, 2), np.float32)},
        str(path),
        metadata={"format": "oyster-world", "state_version": "99", "meta": json.dumps({})},
    )
    with pytest.raises(WorldFileError, match="newer"):
        load_world(path)
