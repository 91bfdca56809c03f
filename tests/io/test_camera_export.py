from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from oyster_nodes.io.exporters.camera_export import (
    CSV_COLUMNS,
    CameraExportError,
    camera_csv,
    camera_frames,
    camera_json,
    euler_xyz_deg,
    frame_rows,
    quaternion_wxyz,
    rotation_from_euler_xyz_deg,
)
from oyster_nodes.types import CameraPath
from oyster_nodes.world.camera.path import CameraPathError, camera_at, path_from_keys

from .worlds import camera_path


def _still(position, target) -> CameraPath:
    return path_from_keys([{"time": 0.0, "position": position, "target": target, "focal_mm": 50.0}],
                      duration_s=1 / 24, fps=24)


def test_one_row_per_frame_matching_the_renderers_camera() -> None:
    path = camera_path(frames=30, fps=30)
    rows = list(csv.DictReader(io.StringIO(camera_csv(path))))
    assert len(rows) == 30 and tuple(rows[0]) == CSV_COLUMNS
    cam = camera_at(path, 13 / 30)
    assert [float(rows[13][c]) for c in ("pos_x", "pos_y", "pos_z")] == pytest.approx(cam.position, abs=1e-5)
    assert float(rows[13]["fov_x_deg"]) == pytest.approx(cam.fov_x_deg, abs=1e-4)
    assert float(rows[13]["fov_y_deg"]) == pytest.approx(cam.fov_y_deg, abs=1e-4)


def test_rotations_follow_blender_camera_conventions() -> None:
    frames = camera_frames(_still([0, 0, 0], [0, 10, 0]))
    assert np.allclose(euler_xyz_deg(frames.rotation)[0], [90, 0, 0], atol=1e-6)
    down = camera_frames(_still([0, 0, 10], [0, 0, 0]))
    assert np.allclose(down.rotation[0] @ [0, 0, -1], [0, 0, -1])
    frames = camera_frames(camera_path(frames=20))
    angles = euler_xyz_deg(frames.rotation)
    assert np.allclose(rotation_from_euler_xyz_deg(angles), frames.rotation, atol=1e-9)
    q = quaternion_wxyz(frames.rotation)
    assert np.allclose(np.linalg.norm(q, axis=1), 1)


def test_json_holds_keys_and_frames() -> None:
    path = camera_path(frames=10)
    doc = json.loads(camera_json(path, workflow_json="{}"))
    assert doc["format"] == "oyster-camera" and doc["frames"] == 10 and len(doc["per_frame"]) == 10
    assert doc["keys"] == [path.key(i) for i in range(path.key_count)] and doc["oyster_workflow"] == "{}"
    assert doc["sensor_height_mm"] == pytest.approx(36 * 360 / 640)


def test_writers_share_one_sampling() -> None:
    path = camera_path(frames=12)
    frames = camera_frames(path)
    rows = frame_rows(frames)
    assert camera_csv(path, frames=frames, rows=rows) == camera_csv(path) == camera_csv(path, frames=frames)
    assert camera_json(path, workflow_json="{}", frames=frames, rows=rows) == camera_json(path, workflow_json="{}")


def test_empty_or_broken_paths_are_refused() -> None:
    with pytest.raises(CameraPathError, match="no keys"):
        path_from_keys([])
    with pytest.raises(CameraExportError, match="fps"):
        camera_csv(path_from_keys([{"time": 0, "position": [0, 0, 0], "target": [1, 0, 0]}], fps=0))
