"""The camera path for compositing and 3D tools: a JSON document and a per-frame CSV.

Sampled once per frame (frame i at i / fps, as the renderer does) with the world core's interpolation
(`camera_path.camera_at`). Coordinates are the world's: metres, +X east, +Y north, +Z up. Rotations
describe the camera object the way Blender, Nuke and Maya (Z-up) expect: it looks down its local -Z with
+Y up; given as a unit quaternion (w, x, y, z) and as Euler XYZ degrees (R = Rz · Ry · Rx), unwrapped
across frames so curves have no 360° jumps. Sensor width spans the image width (horizontal fit).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...types import CameraPath
from ...world.camera.path import CameraPathError, camera_at, path_arrays
from ...world.camera.path import frame_times as path_frame_times

CAMERA_FORMAT = "oyster-camera"
CAMERA_VERSION = 1
MAX_FRAMES = 100_000
CSV_COLUMNS = ("frame", "time_s", "pos_x", "pos_y", "pos_z", "target_x", "target_y", "target_z",
               "quat_w", "quat_x", "quat_y", "quat_z", "rot_x_deg", "rot_y_deg", "rot_z_deg",
               "focal_mm", "sensor_width_mm", "sensor_height_mm", "fov_x_deg", "fov_y_deg",
               "width", "height", "near_m", "far_m")


class CameraExportError(ValueError):
    """A camera path that cannot be exported."""


@dataclass(kw_only=True, slots=True)
class CameraFrames:
    """One camera per frame: times (N), positions and targets (N x 3), camera-to-world rotations (N x 3 x 3)
    whose columns are the camera's right, up and backward axes, focal lengths (N)."""

    times: np.ndarray
    position: np.ndarray
    target: np.ndarray
    rotation: np.ndarray
    focal_mm: np.ndarray
    path: CameraPath

    @property
    def count(self) -> int:
        return int(len(self.times))

    @property
    def sensor_height_mm(self) -> float:
        return self.path.sensor_mm * self.path.height / self.path.width

    def fov_x_deg(self) -> np.ndarray:
        return np.degrees(2 * np.arctan(self.path.sensor_mm / (2 * self.focal_mm)))

    def fov_y_deg(self) -> np.ndarray:
        return np.degrees(2 * np.arctan(self.sensor_height_mm / (2 * self.focal_mm)))


def frame_times(path: CameraPath) -> np.ndarray:
    """The path's frame times, as the renderer has them (camera_path.frame_times)."""
    try:
        return path_frame_times(path, MAX_FRAMES)
    except CameraPathError as exc:
        raise CameraExportError(str(exc)) from None


def camera_frames(path: CameraPath) -> CameraFrames:
    """The path sampled once per frame."""
    arrays = path_arrays(path)
    times = frame_times(path)
    cams = [camera_at(path, float(t), arrays) for t in times]
    rotation = np.stack([np.stack(_axes(c.basis()), axis=1) for c in cams])
    return CameraFrames(times=times, position=np.array([c.position for c in cams]),
                        target=np.array([c.target for c in cams]), rotation=rotation,
                        focal_mm=np.array([c.focal_mm for c in cams]), path=path)


def _axes(basis: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    right, up, forward = basis
    return right, up, -forward


def quaternion_wxyz(m: np.ndarray) -> np.ndarray:
    """Unit quaternions (N x 4, w x y z, w >= 0 where possible) from rotation matrices (N x 3 x 3)."""
    m = np.asarray(m, np.float64).reshape(-1, 3, 3)
    out = np.empty((len(m), 4))
    for k, r in enumerate(m):
        out[k] = _quat_one(r)
    return out


def _quat_one(r: np.ndarray) -> np.ndarray:
    tr = r[0, 0] + r[1, 1] + r[2, 2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        q = [0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = math.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2]) * 2
        q = [(r[2, 1] - r[1, 2]) / s, 0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s]
    elif r[1, 1] > r[2, 2]:
        s = math.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2]) * 2
        q = [(r[0, 2] - r[2, 0]) / s, (r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s]
    else:
        s = math.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1]) * 2
        q = [(r[1, 0] - r[0, 1]) / s, (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s]
    q = np.array(q)
    q /= np.linalg.norm(q)
    return q if q[0] >= 0 else -q


def continuous(quats: np.ndarray) -> np.ndarray:
    """Flip signs so consecutive quaternions take the short way (for linear/slerp interpolation)."""
    q = np.array(quats, np.float64)
    for k in range(1, len(q)):
        if np.dot(q[k], q[k - 1]) < 0:
            q[k] = -q[k]
    return q


def euler_xyz_deg(m: np.ndarray) -> np.ndarray:
    """Euler XYZ angles in degrees (R = Rz · Ry · Rx) per rotation matrix, unwrapped over the sequence."""
    m = np.asarray(m, np.float64).reshape(-1, 3, 3)
    sy = np.clip(-m[:, 2, 0], -1.0, 1.0)
    y = np.arcsin(sy)
    locked = np.abs(sy) > 1 - 1e-9
    x = np.where(locked, np.arctan2(-m[:, 1, 2], m[:, 1, 1]), np.arctan2(m[:, 2, 1], m[:, 2, 2]))
    z = np.where(locked, 0.0, np.arctan2(m[:, 1, 0], m[:, 0, 0]))
    return np.degrees(np.unwrap(np.stack([x, y, z], axis=1), axis=0))


def rotation_from_euler_xyz_deg(angles: np.ndarray) -> np.ndarray:
    """Rotation matrices back from euler_xyz_deg (for checks and importers)."""
    x, y, z = np.radians(np.asarray(angles, np.float64).reshape(-1, 3)).T
    cx, sx, cy, sy, cz, sz = np.cos(x), np.sin(x), np.cos(y), np.sin(y), np.cos(z), np.sin(z)
    return np.stack([
        np.stack([cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx], -1),
        np.stack([sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx], -1),
        np.stack([-sy, cy * sx, cy * cx], -1),
    ], axis=1)


def frame_rows(frames: CameraFrames) -> list[list[Any]]:
    """One row per frame with the columns in CSV_COLUMNS (rounded as written)."""
    p = frames.path
    quats = continuous(quaternion_wxyz(frames.rotation))
    euler = euler_xyz_deg(frames.rotation)
    fx, fy = frames.fov_x_deg(), frames.fov_y_deg()
    rows = []
    for i in range(frames.count):
        rows.append([i, _r(frames.times[i]), *map(_r, frames.position[i]), *map(_r, frames.target[i]),
                     *map(_r, quats[i]), *map(_r, euler[i]), _r(frames.focal_mm[i]), _r(p.sensor_mm),
                     _r(frames.sensor_height_mm), _r(fx[i]), _r(fy[i]), p.width, p.height, _r(p.near_m),
                     _r(p.far_m)])
    return rows


def _r(v: float) -> float:
    return round(float(v), 6)


def camera_csv(path: CameraPath, *, frames: CameraFrames | None = None, rows: list[list[Any]] | None = None) -> str:
    """One row per frame with the columns in CSV_COLUMNS.

    `frames` (camera_frames(path)) and `rows` (frame_rows(frames)) may be passed in when already computed,
    so one sampling serves both writers; they must come from this same path."""
    if rows is None:
        rows = frame_rows(frames if frames is not None else camera_frames(path))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def camera_json(path: CameraPath, *, workflow_json: str | None = None, frames: CameraFrames | None = None,
                rows: list[list[Any]] | None = None) -> str:
    """The path's settings, its keys as authored, and one entry per frame.

    `frames` and `rows` as for camera_csv: computed here when not given."""
    if frames is None:
        frames = camera_frames(path)
    if rows is None:
        rows = frame_rows(frames)
    per_frame = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows]
    doc: dict[str, Any] = {
        "format": CAMERA_FORMAT,
        "version": CAMERA_VERSION,
        "coordinates": {"unit": "m", "x": "east", "y": "north", "z": "up",
                        "camera": "looks down local -Z, local +Y up; euler XYZ degrees, R = Rz*Ry*Rx"},
        "fps": path.fps, "duration_s": float(frames.count / path.fps), "frames": frames.count,
        "width": path.width, "height": path.height, "sensor_width_mm": path.sensor_mm,
        "sensor_height_mm": _r(frames.sensor_height_mm), "near_m": path.near_m, "far_m": path.far_m,
        "keys": [path.key(i) for i in range(path.key_count)],
        "per_frame": per_frame,
    }
    if workflow_json is not None:
        doc["oyster_workflow"] = workflow_json
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"
