"""The export nodes: definitions, what each writes, provenance, overwrite policy, confinement, manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oyster_nodes.builtin import export as export_nodes
from oyster_nodes.graph import validate
from oyster_nodes.io import read_manifest, read_workflow, write_manifest
from oyster_nodes.io.exporters.camera_export import camera_csv, camera_json
from oyster_nodes.io.exporters.ply import read_ply
from oyster_nodes.io.files import ExportError
from oyster_nodes.io.images import decode_exr, decode_png
from oyster_nodes.node import Node, RunContext
from oyster_nodes.types import Files, Image
from oyster_nodes.workflow import load

from ..params import checked_params as params
from ..params import node_context
from .worlds import camera_path, frames, synthetic_world, tone

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def run(node: type[Node], ctx: RunContext, **kwargs: Any) -> Files:
    names = {p.name for p in node.params}
    inputs = {k: v for k, v in kwargs.items() if k not in names}
    for port in node.inputs:
        inputs.setdefault(port.name, None)
    files = node().run(ctx, **inputs, **params(node, **{k: v for k, v in kwargs.items() if k in names}))
    assert isinstance(files, Files) and files.exist()
    for rel, digest in zip(files.paths, files.hashes, strict=True):
        assert hashlib.sha256((Path(files.root) / rel).read_bytes()).hexdigest() == digest
    return files


@pytest.fixture
def ctx(tmp_path: Path, workflow) -> RunContext:
    return node_context(node_id="exp", out_dir=tmp_path / "out", workflow=workflow)


@pytest.fixture(scope="module")
def world():
    return synthetic_world(size_m=64, instances=60)


def test_definitions_are_valid() -> None:
    for node in export_nodes.NODES:
        assert node.definition_problems() == [], node.type
        assert node.writes_files and node.outputs[0].type is Files
    assert len({n.type for n in export_nodes.NODES}) == len(export_nodes.NODES)


def test_video_node_embeds_the_workflow(ctx: RunContext, workflow) -> None:
    files = run(export_nodes.ExportVideo, ctx, frames=frames(n=6), audio=tone(0.25))
    assert files.paths == ["Fjord_test_run_exp.mp4"]
    assert read_workflow(Path(files.root) / files.paths[0]).to_json() == workflow.to_json()
    mov = run(export_nodes.ExportVideo, ctx, frames=frames(n=3), path="cut.mp4", codec="prores")
    assert mov.paths == ["cut.mov"] and any("renamed" in w for w in ctx.warnings)


def test_sequences_depth_and_passes(ctx: RunContext) -> None:
    clip = frames(n=3, h=8, w=12)
    seq = run(export_nodes.ExportImageSequence, ctx, frames=clip, bits=16, path="rgb/{frame:03d}.png", first_frame=0)
    assert seq.paths == ["rgb/000.png", "rgb/001.png", "rgb/002.png"]
    exr = run(export_nodes.ExportDepth, ctx, frames=clip, path="d/{frame:04d}")
    z = decode_exr((Path(exr.root) / exr.paths[0]).read_bytes())["Z"]
    assert np.array_equal(z, clip.depth_nhw[0])
    png = run(export_nodes.ExportDepth, ctx, frames=clip, path="p/{frame:04d}", format="png16", max_depth_m=500.0)
    assert decode_png((Path(png.root) / png.paths[0]).read_bytes()).dtype == np.uint16
    passes = run(export_nodes.ExportPasses, ctx, frames=clip, path="passes/{frame:04d}")
    kinds = sorted({p.rsplit("_", 1)[1] for p in passes.paths})
    assert kinds == ["instance.exr", "normal.png", "semantic.png"]
    ids = decode_exr((Path(passes.root) / "passes/0001_instance.exr").read_bytes())["id"]
    assert np.array_equal(ids, clip.instance_nhw[0])


def test_a_single_image_is_a_one_frame_sequence(ctx: RunContext) -> None:
    image = Image(rgb_hw3=np.zeros((4, 6, 3), np.uint8))
    files = run(export_nodes.ExportImageSequence, ctx, image=image)
    assert files.paths == ["Fjord_test_run_exp/frame_0001.png"]
    with pytest.raises(ValueError, match="no depth pass"):
        run(export_nodes.ExportDepth, ctx, image=image)
    with pytest.raises(ValueError, match="connect frames or an image"):
        run(export_nodes.ExportImageSequence, ctx)


def test_world_exports(ctx: RunContext, world, workflow, validate_gltf) -> None:
    glb = run(export_nodes.ExportGLB, ctx, world=world, camera=camera_path(frames=8), texture_px=256)
    assert glb.paths == ["Fjord_test_run.glb"]
    report = validate_gltf(Path(glb.root) / glb.paths[0])
    assert report["numErrors"] == 0 and report["numWarnings"] == 0, report["messages"]
    assert read_workflow(Path(glb.root) / glb.paths[0]).to_json() == workflow.to_json()
    cloud = run(export_nodes.ExportPointCloud, ctx, world=world, points=5000)
    splat = run(export_nodes.ExportSplat, ctx, world=world, points=5000, axes="y_down")
    comments, rows = read_ply((Path(splat.root) / splat.paths[0]).read_bytes())
    assert comments["axes"] == "y_down" and 4500 < len(rows) < 5500
    assert read_workflow(Path(cloud.root) / cloud.paths[0]).to_json() == workflow.to_json()
    terrain = run(export_nodes.ExportHeightmap, ctx, world=world, path="t/{seed}")
    assert "t/0_height.png" in terrain.paths and "t/0.json" in terrain.paths
    cam = run(export_nodes.ExportCameraPath, ctx, camera=camera_path(frames=8))
    assert cam.paths == ["Fjord_test_run_camera.json", "Fjord_test_run_camera.csv"]


def test_camera_node_writes_what_the_writers_write(ctx: RunContext, workflow) -> None:
    camera = camera_path(frames=9)
    files = run(export_nodes.ExportCameraPath, ctx, camera=camera, path="cam")
    root = Path(files.root)
    assert (root / "cam.json").read_text() == camera_json(camera, workflow_json=workflow.to_json())
    assert (root / "cam.csv").read_text() == camera_csv(camera)
    with pytest.raises(ValueError, match="turn on as_json or as_csv"):
        run(export_nodes.ExportCameraPath, ctx, camera=camera, path="none", as_json=False, as_csv=False)


def test_nothing_is_overwritten_unless_asked(ctx: RunContext, world) -> None:
    first = run(export_nodes.ExportHeightmap, ctx, world=world)
    with pytest.raises(ExportError, match="already exists"):
        run(export_nodes.ExportHeightmap, ctx, world=world)
    again = run(export_nodes.ExportHeightmap, ctx, world=world, overwrite=True)
    assert again.paths == first.paths


def test_paths_are_confined(ctx: RunContext, tmp_path: Path) -> None:
    node = export_nodes.ExportCameraPath
    path_param = next(p for p in node.params if p.name == "path")
    assert "leaves the output folder" in path_param.check("../cam")[1]
    assert "absolute path" in path_param.check("/tmp/cam")[1]
    ctx.out_dir.mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (ctx.out_dir / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(ExportError, match="symbolic link"):
        run(node, ctx, camera=camera_path(frames=4), path="link/cam")
    assert not any((tmp_path / "elsewhere").iterdir())


def test_manifest_of_a_run(ctx: RunContext, world, workflow) -> None:
    outputs = [run(export_nodes.ExportHeightmap, ctx, world=world),
               run(export_nodes.ExportCameraPath, ctx, camera=camera_path(frames=4))]
    doc = read_manifest(write_manifest(ctx.out_dir, outputs, workflow))
    assert len(doc["files"]) == sum(len(f.paths) for f in outputs)
    assert doc["workflow"]["key"] == hashlib.sha256(workflow.to_json().encode()).hexdigest()


def test_png_node_keeps_working_on_the_atomic_writer(ctx: RunContext, workflow) -> None:
    image = Image(rgb_hw3=np.full((4, 6, 3), 7, np.uint8), depth_hw=np.full((4, 6), 2.0, np.float32))
    files = run(export_nodes.ExportPNG, ctx, image=image, path="still", depth=True)
    assert files.paths == ["still.png", "still_depth.png"]
    assert decode_png((Path(files.root) / "still_depth.png").read_bytes()).max() == 2000
    assert read_workflow(Path(files.root) / "still.png").to_json() == workflow.to_json()


def test_example_workflow_validates(full_registry) -> None:
    wf = load(WORKFLOWS / "game_world_export.json")
    assert validate(wf, full_registry) == []
    types = {n.type for n in wf.nodes}
    assert {"export.glb", "export.heightmap", "export.splat"} <= types
    assert json.loads((WORKFLOWS / "game_world_export.json").read_text())["metadata"]["name"] == wf.metadata.name
