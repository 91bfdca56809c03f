"""Explore brings in a mesh file the world does not import ("put chair.glb here", "spawn ./models/lamp.obj"):
confined to the output folder as a mesh import node's path is, spawned as a hull body, shown in the stream,
rewound and replayed bit for bit, and recorded as a mesh import node (place aside) the shot replays. Bad files
get a clear answer and the session goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import trimesh

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build
from oyster_nodes.workflow import parse_data
from oyster_nodes.world import RENDERER, TEXT_ENCODER, import_mesh, save_world
from oyster_nodes.world.edit.meshimport import MeshLimits
from oyster_nodes.world.explore.session import ExploreSession, ExploreSettings
from oyster_nodes.world.render.gpu_scene import static_hash

from ..params import component
from .shot_world import flat
from .test_explore import SMALL, _state, states


def mesh_files(root: Path) -> Path:
    """A box GLB and a cylinder OBJ under `root` (the session's folder), made here."""
    (root / "models").mkdir(parents=True, exist_ok=True)
    root.joinpath("chair.glb").write_bytes(trimesh.creation.box(extents=(0.6, 0.5, 0.9)).export(file_type="glb"))
    trimesh.creation.cylinder(radius=0.2, height=0.8, sections=16).export(str(root / "models" / "lamp.obj"))
    return root


def live(root: Path, **kw) -> ExploreSession:  # noqa: ANN003
    return ExploreSession(flat(), component(RENDERER), settings=kw.pop("settings", SMALL), start=(30.0, 30.0),
                          encoder=component(TEXT_ENCODER), files=root, **kw)


def test_a_mesh_file_is_brought_in_spawned_shown_and_rewound_exactly(tmp_path: Path) -> None:
    s = live(mesh_files(tmp_path))
    first = states(s, 12)
    before_world, before_bodies = s.world, len(s.sim.bodies)
    assert s.handle({"type": "snapshot", "name": "before"})["ok"]
    empty_view = s.render().rgb_hw3
    reply = s.handle({"type": "say", "text": "put chair.glb here"})
    assert reply["ok"], reply
    assert reply["did"][0] == {"imported": {"path": "chair.glb", "mesh": "chair-1", "name": "chair.glb"}}
    assert reply["did"][1]["event"]["shape"] == "mesh" and reply["did"][1]["event"]["pos"][:2] == pytest.approx(
        [30.0, 32.5], abs=0.05)
    chair = s.world.meshes[-1]
    assert chair.id == "chair-1" and not chair.placed  # in the world for bodies only, not standing anywhere
    assert static_hash(s.world) == static_hash(before_world)  # the renderer keeps its copy of the world
    reply = s.handle({"type": "say", "text": "spawn ./models/lamp.obj there"})
    assert reply["ok"] and reply["did"][0]["imported"]["path"] == "models/lamp.obj", reply
    assert s.handle({"type": "say", "text": "two chair.glb here"})["ok"]  # imported once, spawned again
    assert [m.id for m in s.world.meshes] == ["chair-1", "lamp-1"]
    first |= states(s, 36)
    ids = [b.id for b in s.sim.bodies]
    assert ids == ["chair1", "lamp1", "chair2", "chair3"]
    k = ids.index("chair1")
    rest = s.sample.body_pos_b3[k]
    assert rest[2] == pytest.approx(10.0, abs=0.03)  # the hull rests on the ground (flat at 10 m)
    assert s.sim.bodies[k].size == pytest.approx([0.6, 0.9, 0.5], abs=0.01)  # Y-up file: 0.9 is its depth
    shown = s.render().rgb_hw3
    assert np.array_equal(shown, s.renderer.render(s.world_now(), s.camera()).rgb_hw3)
    assert np.abs(shown.astype(int) - empty_view.astype(int)).sum() > 0  # it is in the picture
    # rewind to before the import: the world, the model and the state come back exactly
    assert s.handle({"type": "restore", "name": "before"})["ok"]
    assert s.world is before_world and len(s.sim.bodies) == before_bodies and s.world.meshes == []
    assert _state(s) == first[s.sample.frame]
    # seek back over the import and play again: every frame bit for bit, import and spawns replayed
    s2 = live(tmp_path)
    again = states(s2, 12)
    for text in ("put chair.glb here", "spawn ./models/lamp.obj there", "two chair.glb here"):
        assert s2.handle({"type": "say", "text": text})["ok"]
    again |= states(s2, 36)
    assert again == first
    assert s2.handle({"type": "seek", "t": 0.25})["ok"]
    replayed = states(s2, 40)
    assert all(replayed[f] == first[f] for f in set(replayed) & set(first)) and len(set(replayed) & set(first)) > 30


def test_the_recording_brings_the_mesh_in_with_an_import_node_and_the_shot_replays_it(full_registry,
                                                                                       tmp_path: Path) -> None:
    s = live(mesh_files(tmp_path))
    states(s, 6)
    assert s.handle({"type": "say", "text": "put chair.glb here"})["ok"]
    states(s, 6)
    assert s.handle({"type": "say", "text": "spawn models/lamp.obj there"})["ok"]
    states(s, 48)
    nodes = s.recording_nodes()
    assert nodes["import1"] == {"type": "world.import_mesh", "params": {
        "path": "chair.glb", "place": "aside", "up_axis": "y", "scale": 1.0}}
    assert nodes["import2"]["params"]["path"] == "models/lamp.obj"
    script = nodes["actions"]["params"]["script"]
    assert "mesh=chair-1" in script and "mesh=lamp-1" in script
    save_world(flat(), tmp_path / "flat.oyworld.safetensors")
    doc = {"format": "oyster-workflow", "version": 1, "nodes": [
        {"id": "load", "type": "world.load", "params": {"path": "flat.oyworld.safetensors"}},
        {"id": "chair", **nodes["import1"]}, {"id": "lamp", **nodes["import2"]},
        {"id": "acts", **nodes["actions"]},
        {"id": "sim", "type": "simulate.run", "params": {"duration_s": nodes["camera"]["params"]["duration_s"]}},
    ], "links": [
        {"from_node": "load", "from_output": "world", "to_node": "chair", "to_input": "world"},
        {"from_node": "chair", "from_output": "world", "to_node": "lamp", "to_input": "world"},
        {"from_node": "lamp", "from_output": "world", "to_node": "sim", "to_input": "world"},
        {"from_node": "acts", "from_output": "script", "to_node": "sim", "to_input": "script"},
    ]}
    result = Executor(Cache()).run(build(parse_data(json.loads(json.dumps(doc))), full_registry),
                                   RunOptions(out_dir=tmp_path))
    assert result.ok, result.errors
    world = result.outputs["lamp"]["world"]
    assert [(m.id, m.placed) for m in world.meshes] == [("chair-1", False), ("lamp-1", False)]
    assert world.mesh_arrays.keys() == s.world.mesh_arrays.keys()
    for key, a in world.mesh_arrays.items():
        assert np.array_equal(a, s.world.mesh_arrays[key]), key  # the same geometry as was brought in live
    timeline = result.outputs["sim"]["timeline"]
    f = s.sim.frame - 1
    for k, b in enumerate(s.sim.bodies):
        again = timeline.body_pos_fb3[f, [x.id for x in timeline.bodies].index(b.id)]
        assert np.allclose(again, s.sample.body_pos_b3[k], atol=0.05), b.id  # the spare and the scripted body
    # a mesh kept aside is not drawn: the imported world looks like the world without it
    cam = s.camera()
    assert np.array_equal(s.renderer.render(world, cam).rgb_hw3, s.renderer.render(flat(), cam).rgb_hw3)
    # ... and the recorded shot shows the bodies: rendered with and without the recorded script
    camera = {"id": "cam", "type": "camera.keyframes",
              "params": {**nodes["camera"]["params"], "resolution": "144p", "map_px": 128}}
    doc["nodes"] += [camera, {"id": "shot", "type": "sequence.render", "params": {}}]
    doc["links"] += [{"from_node": "lamp", "from_output": "world", "to_node": "cam", "to_input": "world"},
                     {"from_node": "lamp", "from_output": "world", "to_node": "shot", "to_input": "world"},
                     {"from_node": "cam", "from_output": "path", "to_node": "shot", "to_input": "path"},
                     {"from_node": "sim", "from_output": "timeline", "to_node": "shot", "to_input": "timeline"}]
    frames = {}
    for name, text in (("with", script), ("without", "# nothing")):
        doc["nodes"][3]["params"]["script"] = text
        run = Executor(Cache()).run(build(parse_data(json.loads(json.dumps(doc))), full_registry),
                                    RunOptions(out_dir=tmp_path))
        assert run.ok, run.errors
        frames[name] = run.outputs["shot"]["frames"].rgb_nhw3
    assert frames["with"].shape[0] == round(nodes["camera"]["params"]["duration_s"] * 24)
    assert not np.array_equal(frames["with"][-1], frames["without"][-1])  # the chair and the lamp are seen


def test_bad_mesh_files_get_clear_answers_and_the_session_goes_on(tmp_path: Path) -> None:
    root = mesh_files(tmp_path / "out")
    outside = tmp_path / "secret.glb"
    outside.write_bytes((root / "chair.glb").read_bytes())
    os.symlink(outside, root / "link.glb")
    os.symlink(tmp_path, root / "up")
    (root / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00 not a mesh at all")
    (root / "model.stl").write_bytes(b"solid x\nendsolid x\n")
    (root / "flat.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n")
    big = trimesh.creation.icosphere(subdivisions=4)
    (root / "big.glb").write_bytes(big.export(file_type="glb"))
    settings = ExploreSettings(width=96, height=54, import_limits=MeshLimits(max_file_bytes=20_000))
    s = live(root, settings=settings)
    states(s, 6)
    for text, expect in (
            ("put missing.glb here", "there is no file 'missing.glb' in the output folder"),
            ("put ../secret.glb here", "leaves the output folder"),
            ("put /etc/chair.glb here", "is an absolute path"),
            ("put link.glb here", "'link.glb' leaves the output folder"),  # a symbolic link out of the folder
            ("put up/secret.glb here", "leaves the output folder"),
            ("put broken.glb here", "'broken.glb' cannot be imported"),
            ("put model.stl here", "only .glb and .obj files can be imported"),
            ("a lamp.fbx there", "only .glb and .obj files can be imported"),
            ("put flat.obj here", "is not a solid"),
            ("put big.glb here", "larger than the"),
            ("put chair.glb on the shelf", "there is no 'shelf' to put things on"),  # read, then undone whole
    ):
        reply = s.handle({"type": "say", "text": text})
        assert reply["ok"] is False and expect in reply["error"], (text, reply)
        assert s.world.meshes == [] and s.sim.bodies == [] and s.branch.edits == [], text  # nothing was done
    assert s.handle({"type": "say", "text": "put chair.glb here"})["ok"]  # the session goes on
    states(s, 6)
    assert [b.id for b in s.sim.bodies] == ["chair1"]
    nowhere = ExploreSession(flat(), component(RENDERER), settings=SMALL, start=(30.0, 30.0),
                             encoder=component(TEXT_ENCODER))  # a session that reads no files
    reply = nowhere.handle({"type": "say", "text": "put chair.glb here"})
    assert reply["ok"] is False and "add a mesh import node for the file" in reply["error"]


def test_a_world_with_the_file_imported_spawns_it_without_bringing_it_in_again(tmp_path: Path) -> None:
    root = mesh_files(tmp_path)
    world = import_mesh(flat(), root / "chair.glb", x=40.0, y=40.0)
    s = ExploreSession(world, component(RENDERER), settings=SMALL, start=(30.0, 30.0),
                       encoder=component(TEXT_ENCODER), files=root)
    reply = s.handle({"type": "say", "text": "put chair.glb here"})
    assert reply["ok"] and "imported" not in reply["did"][0] and s.world is world


def test_a_session_brings_in_at_most_eight_meshes(tmp_path: Path) -> None:
    for k in range(9):
        tmp_path.joinpath(f"crate{k}.glb").write_bytes(
            trimesh.creation.box(extents=(0.3 + 0.05 * k, 0.3, 0.3)).export(file_type="glb"))
    s = live(tmp_path)
    for k in range(8):
        assert s.handle({"type": "say", "text": f"put crate{k}.glb here"})["ok"], k
        s.tick(1 / 24)
    reply = s.handle({"type": "say", "text": "put crate8.glb here"})
    assert reply["ok"] is False and "keeps spare bodies of 8 meshes, the most it keeps" in reply["error"]
    assert len(s.world.meshes) == 8 and s.handle({"type": "say", "text": "put crate3.glb there"})["ok"]
