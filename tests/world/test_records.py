"""Typed records inside the wires: parsed once where JSON enters, the same JSON on the way out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.types import CameraPath, Prompt
from oyster_nodes.world import generate_world, load_world, path_from_keys, save_world, spec_from_prompt
from oyster_nodes.world.state.records import Agent, Body, MeshPlacement, RecordError, Route, Structure
from oyster_nodes.world.state.store import WorldFileError
from oyster_nodes.world.state.world_state import WorldState

from ..params import node_context


@pytest.fixture(scope="module")
def village() -> WorldState:
    spec = spec_from_prompt(Prompt(text="a village by a river with a bridge and a road", seed=3), None)
    return generate_world(spec, 3)


def test_generated_worlds_hold_records_not_dicts(village: WorldState) -> None:
    assert village.structures and all(isinstance(s, Structure) for s in village.structures)
    assert village.paths and all(isinstance(p, Route) and p.points_n3.shape[1] == 3 for p in village.paths)
    assert all(np.isfinite([s.x, s.y, s.z, s.w, s.d, s.h]).all() for s in village.structures)


def test_records_round_trip_through_their_json(village: WorldState) -> None:
    for s in village.structures:
        assert Structure.from_json(s.to_json()) == s
    for p in village.paths:
        back = Route.from_json(p.to_json())
        assert back.to_json() == p.to_json() and np.array_equal(back.points_n3, p.points_n3)
    body = Body(id="b", shape="capsule", size=(0.3, 1.2), mass=4.0, pos=(1.0, 2.0, 3.0), quat=(1.0, 0.0, 0.0, 0.0))
    assert Body.from_json(body.to_json()) == body
    agent = Agent(id="walker", kind="vehicle", pos=(5.0, 6.0, 0.0), yaw=0.5, speed=3.0, target=(9.0, 9.0))
    assert Agent.from_json(agent.to_json()) == agent


def test_a_saved_world_comes_back_equal_with_the_same_hash(village: WorldState, tmp_path: Path) -> None:
    mesh = MeshPlacement(id="prop-1", name="prop.glb", pos=(100.0, 100.0, 5.0), scale=2.0, vertices=3, faces=1)
    world = dataclasses.replace(
        village, meshes=[mesh], mesh_arrays={"mesh_prop-1_v": np.eye(3, dtype=np.float32),
                                             "mesh_prop-1_f": np.array([[0, 1, 2]], np.uint32)})
    back = load_world(save_world(world, tmp_path / "v.oyworld.safetensors"))
    assert back.content_hash() == world.content_hash()
    assert back.structures == world.structures and back.meshes == world.meshes


@pytest.mark.parametrize(("record", "bad", "message"), [
    (Structure, {"id": "hut", "kind": "cabin", "x": "east"}, "structure 'hut': 'x' expects a finite number"),
    (Structure, {"id": "hut", "kind": "cabin", "w": -2}, "structure 'hut': 'w' = -2 is outside"),
    (Structure, {"kind": "cabin"}, "'id' is missing"),
    (Structure, {"id": "hut", "kind": "cabin", "color": "#zzzzzz"}, "colour '#zzzzzz'"),
    (Route, {"id": "r", "points": [[0, 0], [1, 1]]}, "'points' expects"),
    (Route, {"id": "r", "points": [[0, 0, float("nan")]]}, "not a finite number"),
    (Body, {"id": "ball", "shape": "cloud"}, "'shape' must be one of"),
    (Body, {"id": "ball", "shape": "sphere", "size": [0]}, "'size' must be positive"),
    (Body, {"id": "ball", "pos": [1, 2]}, "'pos' expects 3 numbers"),
    (Agent, {"id": "a", "kind": "dragon"}, "'kind' must be one of"),
    (MeshPlacement, {"id": "m", "scale": 0}, "'scale' = 0 is outside"),
])
def test_bad_records_name_the_record_and_the_field(record: type, bad: dict, message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(")):
        record.from_json(bad)


def test_json_records_given_to_a_world_are_parsed_once(village: WorldState) -> None:
    world = dataclasses.replace(village, structures=[{"id": "t", "kind": "tower", "x": 1, "y": 2, "z": 3}])
    assert isinstance(world.structures[0], Structure) and world.structures[0].x == 1.0
    with pytest.raises(RecordError, match="world structures\\[0\\] 't': 'y'"):
        dataclasses.replace(village, structures=[{"id": "t", "kind": "tower", "y": float("inf")}])


def test_a_world_file_with_a_broken_record_is_refused_with_its_name(village: WorldState, tmp_path: Path) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    path = save_world(village, tmp_path / "w.oyworld.safetensors")
    with safe_open(str(path), "np") as f:
        header = dict(f.metadata())
    meta = json.loads(header["meta"])
    meta["structures"][0]["yaw"] = "north"
    header["meta"] = json.dumps(meta)
    save_file(load_file(str(path)), str(path), metadata=header)
    with pytest.raises(WorldFileError, match="'yaw' expects a finite number"):
        load_world(path)


def test_camera_paths_are_arrays_checked_where_they_are_made() -> None:
    path = path_from_keys([{"time": 1.0, "position": [0, 0, 5], "target": [1, 0, 5]},
                           {"time": 0.0, "position": [0, 1, 5], "yaw_deg": 90.0}], fps=24)
    assert path.times_k.tolist() == [0.0, 1.0] and path.position_k3.shape == (2, 3)
    assert np.allclose(path.target_k3[0], [0.0, 2.0, 5.0], atol=1e-9)  # yaw 90: looking north
    with pytest.raises(ValueError, match="times must not go back"):
        CameraPath(times_k=[1.0, 0.0], position_k3=np.zeros((2, 3)), target_k3=np.ones((2, 3)), focal_mm_k=[35, 35])
    with pytest.raises(ValueError, match="disagree"):
        CameraPath(times_k=[0.0], position_k3=np.zeros((2, 3)), target_k3=np.ones((2, 3)), focal_mm_k=[35])
    with pytest.raises(ValueError, match="finite"):
        CameraPath(times_k=[0.0], position_k3=[[0, 0, np.nan]], target_k3=[[1, 1, 1]], focal_mm_k=[35])


def test_the_seed_name_field_is_the_rendered_worlds_seed(village: WorldState, tmp_path: Path) -> None:
    from oyster_nodes.builtin.export import ExportPNG
    from oyster_nodes.builtin.render import RenderImage
    from tests.params import checked_params

    ctx = node_context(node_id="r", out_dir=tmp_path)
    image = RenderImage().run(ctx, world=village, **checked_params(RenderImage, width=64, height=36))
    ExportPNG().run(ctx, image=image, **checked_params(ExportPNG, path="shot-{seed}.png"))
    assert (tmp_path / f"shot-{village.seed}.png").is_file() and village.seed == 3


def test_numbers_too_large_for_a_float_are_refused_as_records() -> None:
    with pytest.raises(RecordError, match="'x' expects a finite number"):
        Structure.from_json({"id": "hut", "kind": "cabin", "x": 10 ** 400})
    with pytest.raises(RecordError, match="'pos' expects"):
        Agent.from_json({"id": "a", "pos": 5})
    with pytest.raises(RecordError, match="'target' expects 2 numbers"):
        Agent.from_json({"id": "a", "target": [1]})
