from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oyster_nodes.io.exporters.glb import (
    BodyTrack,
    GlbError,
    GlbOptions,
    look_rotation,
    quat_to_gltf,
    to_gltf,
    tracks_from_states,
    world_glb,
)
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.simulate.run import SimSettings, simulate
from oyster_nodes.world.state.records import Body, RecordError
from oyster_nodes.world.state.world_state import INSTANCE_KINDS

from .worlds import camera_path, synthetic_world

FALL = BodyTrack(times_s=np.linspace(0, 2, 25), pos_n3=np.column_stack([np.full(25, 10.0), np.full(25, 20.0),
                                                                         np.linspace(15, 3, 25)]),
                 quat_n4=np.column_stack([np.cos(np.linspace(0, 3, 25)), np.zeros(25), np.zeros(25),
                                          np.sin(np.linspace(0, 3, 25))]))


def gltf_json(data: bytes) -> dict[str, Any]:
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    size, kind = struct.unpack("<I4s", data[12:20])
    assert kind == b"JSON"
    return json.loads(data[20:20 + size])


def accessor(data: bytes, doc: dict[str, Any], index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    json_len = struct.unpack("<I", data[12:16])[0]
    start = 20 + json_len + 8 + view["byteOffset"] + acc.get("byteOffset", 0)
    dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}[acc["componentType"]]
    comps = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc["type"]]
    return np.frombuffer(data, dtype, count=acc["count"] * comps, offset=start).reshape(acc["count"], comps)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[Path, bytes, Any]]:
    world = synthetic_world(size_m=128, instances=300)
    out = {}
    for mode in ("gpu", "nodes"):
        data, info = world_glb(world, camera=camera_path(), body_tracks={"ball-0": FALL},
                               options=GlbOptions(instancing=mode, texture_px=128), workflow_json="{}")
        path = tmp_path_factory.mktemp("glb") / f"world_{mode}.glb"
        path.write_bytes(data)
        out[mode] = (path, data, info)
    return out


@pytest.mark.parametrize("mode", ["gpu", "nodes"])
def test_khronos_validator_finds_no_errors(exported, validate_gltf, mode: str) -> None:
    path, _, _ = exported[mode]
    report = validate_gltf(path)
    assert report["numErrors"] == 0, report["messages"]
    assert report["numWarnings"] == 0, report["messages"]
    if mode == "gpu":
        codes = {m["code"] for m in report["messages"]}
        assert codes <= {"UNSUPPORTED_EXTENSION", "UNUSED_OBJECT"}, "only the instancing extension goes unchecked"


def test_blender_imports_the_plain_node_variant(exported, blender_import) -> None:
    path, _, info = exported["nodes"]
    report = blender_import(path)
    assert report["result"] == ["FINISHED"]
    assert report["lights"] == ["SUN"] and report["cameras"] == 1 and report["images"] == 1
    assert set(report["animated"]) == {"shot_camera", "body_ball-0"}
    assert report["meshes"] >= 300 + 1
    assert report["terrain_vertices"] > 0
    # Blender is Z-up like the world: positions and directions must come back in world coordinates
    world = synthetic_world(size_m=128, instances=300)
    sun = np.array(world.env.sun_dir) / np.linalg.norm(world.env.sun_dir)
    assert np.allclose(report["sun_direction"][0], -sun, atol=1e-5)
    assert np.allclose(report["camera_keys"]["first"], camera_path().position_k3[0], atol=1e-4)
    assert report["camera_keys"]["count"] == camera_path().key_count
    kinds = np.asarray(world.inst_kind)
    first = int(np.nonzero(kinds == kinds[0])[0].tolist().index(0))
    name = f"{INSTANCE_KINDS[kinds[0]]}_{first}"
    assert np.allclose(report["locations"][name], world.inst_xyz[0], atol=1e-3)


def test_scene_contents(exported) -> None:
    _, data, info = exported["gpu"]
    doc = gltf_json(data)
    assert doc["extensionsRequired"] == ["EXT_mesh_gpu_instancing"]
    assert doc["extensions"]["KHR_lights_punctual"]["lights"][0]["type"] == "directional"
    names = {n.get("name") for n in doc["nodes"]}
    assert {"terrain", "water", "structures", "vegetation_and_props", "sun", "shot_camera", "bodies"} <= names
    (anim,) = doc["animations"]
    targets = {(doc["nodes"][c["target"]["node"]]["name"], c["target"]["path"]) for c in anim["channels"]}
    assert targets == {("shot_camera", "translation"), ("shot_camera", "rotation"),
                       ("body_ball-0", "translation"), ("body_ball-0", "rotation")}
    assert info.instances == 300 and info.animated_nodes == 2
    counts = [n["extras"]["instances"] for n in doc["nodes"] if "EXT_mesh_gpu_instancing" in n.get("extensions", {})]
    assert sum(counts) == 300


def test_instances_sit_where_the_world_puts_them(exported) -> None:
    world = synthetic_world(size_m=128, instances=300)
    _, data, _ = exported["gpu"]
    doc = gltf_json(data)
    placed = []
    for node in doc["nodes"]:
        ext = node.get("extensions", {}).get("EXT_mesh_gpu_instancing")
        if ext:
            placed.append(accessor(data, doc, ext["attributes"]["TRANSLATION"]))
    expected = to_gltf(world.inst_xyz)
    got = np.concatenate(placed)
    assert got.shape == expected.shape
    assert np.allclose(np.sort(got, axis=0), np.sort(expected, axis=0))
    assert np.allclose(expected[:, 1], world.inst_xyz[:, 2]) and np.allclose(expected[:, 2], -world.inst_xyz[:, 1])


def test_camera_follows_the_path(exported) -> None:
    _, data, _ = exported["nodes"]
    doc = gltf_json(data)
    path = camera_path()
    cam = next(i for i, n in enumerate(doc["nodes"]) if n.get("name") == "shot_camera")
    (anim,) = doc["animations"]
    sampler = next(anim["samplers"][c["sampler"]] for c in anim["channels"]
                   if c["target"] == {"node": cam, "path": "translation"})
    times, pos = accessor(data, doc, sampler["input"]), accessor(data, doc, sampler["output"])
    assert len(times) == path.key_count and times[-1, 0] == pytest.approx(path.times_k[-1])
    assert np.allclose(pos, to_gltf(path.position_k3), atol=1e-4)
    yfov = doc["cameras"][0]["perspective"]["yfov"]
    assert yfov == pytest.approx(2 * np.arctan(36 * 360 / 640 / 2 / 35))


def test_look_rotation_turns_minus_z_onto_the_view() -> None:
    for forward in ([0, 0, -1], [1, 0, 0], [0.3, -0.8, 0.2], [0, -1, 0]):
        x, y, z, w = look_rotation(np.array(forward, float))[0].astype(float)
        v = np.array([0.0, 0.0, -1.0])
        q = np.array([x, y, z])
        rotated = v + 2 * np.cross(q, np.cross(q, v) + w * v)
        assert np.allclose(rotated, np.array(forward) / np.linalg.norm(forward), atol=1e-6)


def test_world_rotations_map_to_gltf_axes() -> None:
    yaw = 0.7
    (q,) = quat_to_gltf(np.array([[np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]]))
    assert np.allclose(q, [0, np.sin(yaw / 2), 0, np.cos(yaw / 2)])


def test_tracks_from_states_and_bad_tracks() -> None:
    world = synthetic_world(size_m=32, instances=0, bodies=1)
    later = synthetic_world(size_m=32, instances=0, bodies=1)
    later.bodies[0].pos = (10.0, 20.0, 1.0)
    tracks = tracks_from_states([world, later], fps=24)
    assert list(tracks) == ["ball-0"] and tracks["ball-0"].times_s.tolist() == [0.0, 1 / 24]
    bad = BodyTrack(times_s=np.array([0.0, 0.0]), pos_n3=np.zeros((2, 3)), quat_n4=np.ones((2, 4)))
    _, info = world_glb(world, body_tracks={"ball-0": bad, "ghost": FALL}, options=GlbOptions(texture_px=16))
    assert info.animated_nodes == 0 and len(info.warnings) == 2


def test_bodies_can_carry_their_own_tracks() -> None:
    world = synthetic_world(size_m=32, instances=0, bodies=2)
    carried = {"times_s": FALL.times_s.tolist(), "pos": FALL.pos_n3.tolist(), "quat": FALL.quat_n4.tolist()}
    world.bodies[0] = Body.from_json(world.bodies[0].to_json() | {"track": carried})
    data, info = world_glb(world, options=GlbOptions(texture_px=16))
    assert info.animated_nodes == 1 and not info.warnings
    assert len(gltf_json(data)["animations"][0]["channels"]) == 2
    with pytest.raises(RecordError, match="ball-1' track"):  # a broken track is refused where it enters
        Body.from_json(world.bodies[1].to_json() | {"track": {"times_s": "soon"}})


def simulated_glb(script: str) -> tuple[bytes, Any]:
    """A small world simulated for 1 s by the action script, exported with its timeline."""
    world = synthetic_world(size_m=64, instances=10, bodies=0)
    timeline = simulate(world, parse_script(script, english=False).events, SimSettings(duration_s=1.0, fps=24))
    return world_glb(world, timeline=timeline, options=GlbOptions(texture_px=32))


def test_a_simulated_timeline_becomes_animated_bodies(tmp_path: Path, validate_gltf, blender_import) -> None:
    data, info = simulated_glb("at 0s spawn sphere b0 pos=20,20 height=3 size=0.4\n"
                               "at 0.5s spawn box b1 pos=25,20 height=4 size=0.7\n")
    assert info.animated_nodes == 2 and not info.warnings
    doc = gltf_json(data)
    paths = sorted((doc["nodes"][c["target"]["node"]]["name"], c["target"]["path"])
                   for c in doc["animations"][0]["channels"])
    assert paths == [("body_b0", "rotation"), ("body_b0", "translation"),
                     ("body_b1", "rotation"), ("body_b1", "scale"), ("body_b1", "translation")]
    path = tmp_path / "sim.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]
    assert set(blender_import(path)["animated"]) == {"body_b0", "body_b1"}


@pytest.mark.parametrize("options", [GlbOptions(instancing="magic"), GlbOptions(texture_px=4), GlbOptions(lod=3)])
def test_bad_options_are_refused(options: GlbOptions) -> None:
    with pytest.raises(GlbError):
        world_glb(synthetic_world(size_m=32, instances=1), options=options)


@pytest.mark.parametrize("size_m", [64, 100])
def test_a_world_without_extras_still_validates(tmp_path: Path, validate_gltf, size_m: int) -> None:
    world = synthetic_world(size_m=size_m, instances=0, bodies=0)
    world.structures.clear()
    world.water_hw[:] = np.nan
    data, info = world_glb(world, options=GlbOptions(texture_px=64))
    assert info.terrain_stride == (0 if size_m == 64 else 1) and len(info.warnings) == (size_m == 100)
    path = tmp_path / "bare.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]


def test_agents_are_exported_walking_along_the_timeline(tmp_path: Path, validate_gltf, blender_import) -> None:
    data, info = simulated_glb("at 0s spawn character hero pos=20,20\nat 0s spawn vehicle van pos=40,40\n"
                               "from 0s to 1s move hero to=30,28\n")
    doc = gltf_json(data)
    names = {n.get("name") for n in doc["nodes"]}
    assert {"agents", "agent_hero", "agent_van"} <= names
    hero = next(i for i, n in enumerate(doc["nodes"]) if n.get("name") == "agent_hero")
    assert doc["nodes"][hero]["extras"] == {"agent_id": "hero", "kind": "character"}
    channels = {c["target"]["path"]: c["sampler"] for c in doc["animations"][0]["channels"]
                if c["target"]["node"] == hero}
    assert {"translation", "rotation"} <= set(channels)
    keys = accessor(data, doc, doc["animations"][0]["samplers"][channels["translation"]]["output"]).reshape(-1, 3)
    start, end = keys[0], keys[-1]  # glTF axes: (x, z, -y)
    assert end[0] - start[0] > 5 and -(end[2] - start[2]) > 4  # the hero walked towards (30, 28)
    assert info.animated_nodes >= 2
    path = tmp_path / "agents.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]
    assert "agent_hero" in blender_import(path)["animated"]
