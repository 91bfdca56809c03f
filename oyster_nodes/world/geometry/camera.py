"""A physical pinhole camera: position, aim, focal length and sensor, and the matrices it implies.

Conventions (world: metres, +X east, +Y north, +Z up):
- yaw_deg is the heading measured from +X towards +Y (0 looks east, 90 looks north);
  pitch_deg is positive looking up. A `target` point, when given, overrides yaw and pitch.
- Pixel coordinates: u to the right from the image's left edge, v down from its top edge; the centre of
  pixel (row i, col j) is (j + 0.5, i + 0.5).
- Depth is metric distance along the view axis (not along the ray), as in the depth pass.
- View space is OpenGL's: the camera looks down -Z with +Y up; projection is OpenGL clip space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..state.world_state import WorldState

UP = np.array([0.0, 0.0, 1.0])


@dataclass(kw_only=True, slots=True)
class Camera:
    """A camera in the world; a pure value (matrices are computed on demand)."""

    position: tuple[float, float, float]
    target: tuple[float, float, float] | None = None
    yaw_deg: float = 90.0
    pitch_deg: float = 0.0
    focal_mm: float = 35.0
    sensor_mm: float = 36.0
    width: int = 1280
    height: int = 720
    near_m: float = 0.1
    far_m: float = 5000.0

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def focal_px(self) -> float:
        """Focal length in pixels (sensor width spans the image width)."""
        return self.focal_mm / self.sensor_mm * self.width

    @property
    def fov_y_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.height / (2.0 * self.focal_px)))

    @property
    def fov_x_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.sensor_mm / (2.0 * self.focal_mm)))

    def forward(self) -> np.ndarray:
        """Unit view direction in world space."""
        pos = np.asarray(self.position, dtype=np.float64)
        if self.target is not None:
            d = np.asarray(self.target, dtype=np.float64) - pos
            if np.linalg.norm(d) > 1e-9:
                return d / np.linalg.norm(d)
        yaw, pitch = math.radians(self.yaw_deg), math.radians(self.pitch_deg)
        return np.array([math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), math.sin(pitch)])

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(right, up, forward) unit vectors in world space."""
        f = self.forward()
        right = np.cross(f, UP)
        if np.linalg.norm(right) < 1e-6:  # looking straight up or down: keep north as screen-up
            right = np.cross(f, np.array([0.0, 1.0, 0.0]))
        right /= np.linalg.norm(right)
        up = np.cross(right, f)
        return right, up, f

    def view_matrix(self) -> np.ndarray:
        """World → view (4x4, float64, column vectors)."""
        r, u, f = self.basis()
        pos = np.asarray(self.position, dtype=np.float64)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, u, -f
        m[:3, 3] = -m[:3, :3] @ pos
        return m

    def projection_matrix(self) -> np.ndarray:
        """View → OpenGL clip space (4x4, float64)."""
        n, f = self.near_m, self.far_m
        m = np.zeros((4, 4))
        m[0, 0] = 2.0 * self.focal_px / self.width
        m[1, 1] = 2.0 * self.focal_px / self.height
        m[2, 2] = -(f + n) / (f - n)
        m[2, 3] = -2.0 * f * n / (f - n)
        m[3, 2] = -1.0
        return m

    def view_projection(self) -> np.ndarray:
        return self.projection_matrix() @ self.view_matrix()

    def project(self, points_n3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points → (pixel uv N x 2, view-axis depth N); depth <= 0 means behind the camera."""
        p = np.asarray(points_n3, dtype=np.float64).reshape(-1, 3)
        v = self.view_matrix()
        cam = p @ v[:3, :3].T + v[:3, 3]
        depth = -cam[:, 2]
        safe = np.where(np.abs(depth) < 1e-12, 1e-12, depth)
        u = self.focal_px * cam[:, 0] / safe + self.width / 2.0
        vv = -self.focal_px * cam[:, 1] / safe + self.height / 2.0
        return np.stack([u, vv], axis=1), depth

    def unproject(self, uv_n2: np.ndarray, depth_n: np.ndarray) -> np.ndarray:
        """Pixel uv and view-axis depth → world points N x 3."""
        uv = np.asarray(uv_n2, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(depth_n, dtype=np.float64).reshape(-1)
        with np.errstate(invalid="ignore"):
            x = (uv[:, 0] - self.width / 2.0) / self.focal_px * d
            y = -(uv[:, 1] - self.height / 2.0) / self.focal_px * d
        r, u, f = self.basis()
        pos = np.asarray(self.position, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # infinite depth (sky) gives non-finite points
            return pos + x[:, None] * r + y[:, None] * u + d[:, None] * f

    def unproject_depth(self, depth_hw: np.ndarray) -> np.ndarray:
        """A depth pass → world points H x W x 3 (non-finite depth gives non-finite points)."""
        h, w = depth_hw.shape
        jj, ii = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
        uv = np.stack([jj.ravel(), ii.ravel()], axis=1)
        return self.unproject(uv, depth_hw.ravel()).reshape(h, w, 3)

    def with_size(self, width: int, height: int) -> Camera:
        return replace(self, width=int(width), height=int(height))


def camera_from_key(
    key: dict[str, Any],
    *,
    width: int = 1280,
    height: int = 720,
    sensor_mm: float = 36.0,
    near_m: float = 0.1,
    far_m: float = 5000.0,
) -> Camera:
    """A camera from one CameraPath key (position, target, focal_mm; yaw/pitch in degrees as fallback)."""
    pos = tuple(float(c) for c in key.get("position", (0.0, 0.0, 10.0)))
    target = key.get("target")
    return Camera(
        position=pos,  # type: ignore[arg-type]
        target=tuple(float(c) for c in target) if target is not None else None,  # type: ignore[arg-type]
        yaw_deg=float(key.get("yaw_deg", key.get("yaw", 90.0))),
        pitch_deg=float(key.get("pitch_deg", key.get("pitch", 0.0))),
        focal_mm=float(key.get("focal_mm", key.get("focal", 35.0))),
        sensor_mm=sensor_mm,
        width=width,
        height=height,
        near_m=near_m,
        far_m=far_m,
    )


def ground_clearance(world: WorldState, x: float, y: float, radius_m: float = 2.0) -> float:
    """Highest terrain or water surface within `radius_m` of (x, y)."""
    from ..state.world_state import water_at

    top = -math.inf
    for dx, dy in ((0, 0), (radius_m, 0), (-radius_m, 0), (0, radius_m), (0, -radius_m)):
        water = float(water_at(world, np.array([[x + dx, y + dy]], np.float64))[0])
        top = max(top, world.height_at(x + dx, y + dy), water)
    return top


def lift_above_ground(camera: Camera, world: WorldState, clearance_m: float = 1.5) -> tuple[Camera, bool]:
    """The camera raised to at least `clearance_m` above terrain and water; and whether it moved."""
    x, y, z = camera.position
    floor = ground_clearance(world, x, y, radius_m=0.5) + clearance_m
    if z >= floor:
        return camera, False
    return replace(camera, position=(x, y, floor)), True


def vec3(values: list[Any], name: str) -> tuple[float, float, float]:
    """[x, y, z] in metres from a vector parameter (missing entries are 0); ValueError names the parameter."""
    try:
        v = ([float(c) for c in values][:3] + [0.0] * 3)[:3]
    except (TypeError, ValueError):
        raise ValueError(f"{name} expects numbers [x, y, z] in metres, got {values!r}") from None
    return v[0], v[1], v[2]
