from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.io.exporters.camera_export import camera_json
from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.io.exporters.ply import point_cloud_ply, sample_world
from oyster_nodes.io.images import encode_exr, encode_png
from oyster_nodes.io.provenance import (
    PLY_COMMENT,
    ProvenanceError,
    compact_json,
    png_text_entries,
    read_workflow,
    read_workflow_bytes,
    read_workflow_text,
)
from oyster_nodes.io.video import encode_video
from oyster_nodes.workflow import WorkflowError

from .worlds import camera_path, synthetic_world


def _same(path: Path, workflow) -> None:
    assert read_workflow_text(path) == workflow.to_json()
    assert read_workflow(path).to_json() == workflow.to_json()
    assert read_workflow_bytes(path.read_bytes(), name=path.name).to_json() == workflow.to_json()


@pytest.mark.parametrize("bits", [8, 16])
def test_png_carries_the_exact_workflow(tmp_path: Path, workflow, bits: int) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(encode_png(np.zeros((4, 5, 3), np.uint8), bits=bits, workflow_json=workflow.to_json()))
    _same(path, workflow)
    assert png_text_entries(path.read_bytes())["Software"] == "Oyster Nodes"


def test_exr_carries_the_workflow(tmp_path: Path, workflow) -> None:
    path = tmp_path / "d.exr"
    path.write_bytes(encode_exr({"Z": np.ones((3, 3), np.float32)}, workflow_json=workflow.to_json()))
    _same(path, workflow)


@pytest.mark.parametrize("codec, suffix", [("h264", ".mp4"), ("prores", ".mov")])
def test_videos_carry_the_workflow(tmp_path: Path, workflow, codec: str, suffix: str) -> None:
    path = tmp_path / f"v{suffix}"
    encode_video(path, np.zeros((3, 16, 16, 3), np.uint8), codec=codec, workflow_json=workflow.to_json())
    _same(path, workflow)


def test_glb_carries_the_workflow(tmp_path: Path, workflow, validate_gltf) -> None:
    data, _ = world_glb(synthetic_world(size_m=32, instances=5), options=GlbOptions(texture_px=32),
                        workflow_json=workflow.to_json())
    path = tmp_path / "w.glb"
    path.write_bytes(data)
    _same(path, workflow)
    assert validate_gltf(path)["numErrors"] == 0


def test_ply_carries_the_workflow_on_one_comment_line(tmp_path: Path, workflow) -> None:
    points = sample_world(synthetic_world(size_m=32, instances=5), 100)
    path = tmp_path / "p.ply"
    path.write_bytes(point_cloud_ply(points, comments=[f"{PLY_COMMENT} {compact_json(workflow.to_json())}"]))
    assert read_workflow(path).to_json() == workflow.to_json()
    assert read_workflow_bytes(path.read_bytes()).to_json() == workflow.to_json()


def test_camera_json_carries_the_workflow(tmp_path: Path, workflow) -> None:
    path = tmp_path / "camera.json"
    path.write_text(camera_json(camera_path(frames=4), workflow_json=workflow.to_json()))
    _same(path, workflow)


def test_a_saved_workflow_reads_as_itself(tmp_path: Path, workflow) -> None:
    path = tmp_path / "w.json"
    path.write_text(workflow.to_json())
    _same(path, workflow)


def test_files_without_a_workflow_say_so(tmp_path: Path) -> None:
    png = tmp_path / "plain.png"
    png.write_bytes(encode_png(np.zeros((2, 2), np.uint8)))
    assert read_workflow_text(png) is None
    with pytest.raises(ProvenanceError, match="carries no Oyster Nodes workflow"):
        read_workflow(png)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(ProvenanceError, match="not a file type"):
        read_workflow(other)
    with pytest.raises(ProvenanceError, match="upload.png carries no"):
        read_workflow_bytes(png.read_bytes(), name="upload.png")
    with pytest.raises(ProvenanceError, match="not valid JSON"):
        read_workflow_bytes(b"{ nope")


def test_damaged_png_is_reported(tmp_path: Path, workflow) -> None:
    data = bytearray(encode_png(np.zeros((2, 2), np.uint8), workflow_json=workflow.to_json()))
    data[40] ^= 0xFF
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ProvenanceError, match="bad CRC"):
        read_workflow(path)


def test_an_embedded_invalid_workflow_is_checked_like_any_other(tmp_path: Path) -> None:
    path = tmp_path / "evil.png"
    path.write_bytes(encode_png(np.zeros((2, 2), np.uint8), workflow_json='{"format": "oyster-workflow", "version": 99}'))
    with pytest.raises(WorkflowError, match="format 99"):
        read_workflow(path)
