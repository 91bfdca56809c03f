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

from ...settings import setting

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


def establishing_shot(
    world: WorldState,
    *,
    width: int = 1280,
    height: int = 720,
    focal_mm: float = 28.0,
    sensor_mm: float = 36.0,
) -> Camera:
    """A high three-quarter view of the world's subject (its most notable structures, else its centre),
    from the side that sees it unblocked, with the world behind it, and the light pleasing."""
    target, extent = _subject(world)
    size = world.size_m
    dist = float(np.clip(1.5 * extent + 70.0, 150.0, 0.42 * size)) if world.structures else 0.42 * size
    rises = (0.3, 0.55)
    island = None if world.structures else _island(world)
    if island is not None:  # from just offshore, low: the beach, the shore's trees and the land behind
        target, radius = island
        dist, rises = float(np.clip(2.0 * radius, 120.0, 0.46 * size)), (0.1, 0.18)
    sun = np.asarray(world.env.get("sun_dir", (0.4, -0.6, 0.7)), dtype=np.float64)
    best: tuple[float, Camera] | None = None
    for k in range(32):
        azimuth, rise = 2.0 * math.pi * (k // 2) / 16.0, rises[k % 2]
        cam = _candidate(world, target, azimuth, dist, width, height, focal_mm, sensor_mm, rise)
        flat = math.hypot(cam.position[0] - target[0], cam.position[1] - target[1])
        squeezed = max(0.0, 0.8 - flat / dist)  # pushed in by the world's edge: too close
        score = (_shot_score(world, cam, target, sun) - 0.3 * (k % 2) - 3.0 * squeezed
                 - 1.5 * _edge_in_view(world, cam, sea=island is not None or _has_sea(world))
                 + (0.8 * _sea_behind(world, cam, target) if _landmark_by_sea(world) else 0.0)
                 - 2.0 * _walls_in_view(world, cam, target))
        if best is None or score > best[0] + 1e-9:
            best = (score, cam)
    assert best is not None
    return best[1]


def _has_sea(world: WorldState) -> bool:
    sea = world.env.get("sea_level_m")
    return sea is not None and math.isfinite(float(sea))


def _island(world: WorldState) -> tuple[np.ndarray, float] | None:
    """Centre and radius of the land when the sea rings it (no land on the world's border), else None."""
    if not _has_sea(world):
        return None
    sea = float(world.env["sea_level_m"])
    step = max(1, world.n // 128)
    land = world.height_hw[::step, ::step] > sea
    border = np.concatenate([land[0], land[-1], land[:, 0], land[:, -1]])
    if not land.any() or border.mean() > 0.02:
        return None
    ii, jj = np.nonzero(land)
    m = step * world.cell_m
    x, y = float(jj.mean() * m), float(ii.mean() * m)
    radius = math.sqrt(land.sum() * m * m / math.pi)
    return np.array([x, y, max(world.height_at(x, y) * 0.5, sea + 4.0)]), radius


def _walls_in_view(world: WorldState, cam: Camera, target: np.ndarray) -> float:
    """Share of a fan of sight lines across the frame (aimed at the target's height) that hit terrain
    before reaching the target's distance: slopes crowding the frame's sides."""
    pos = np.asarray(cam.position, np.float64)
    to = target - pos
    flat = float(np.linalg.norm(to[:2])) + 1e-9
    f = to[:2] / flat
    half = 0.8 * math.atan(cam.sensor_mm / (2.0 * cam.focal_mm))
    hits = 0.0
    for a in (-half, -0.5 * half, 0.5 * half, half):
        c, s_ = math.cos(a), math.sin(a)
        d = np.array([f[0] * c - f[1] * s_, f[0] * s_ + f[1] * c])
        for t in (0.3, 0.55, 0.8):
            x, y = pos[:2] + d * flat * t
            if world.height_at(float(x), float(y)) > pos[2] + t * to[2]:
                hits += 1.0
                break
    return hits / 4.0


def _landmark_by_sea(world: WorldState) -> bool:
    return _has_sea(world) and any(s.kind == "lighthouse" for s in world.structures)


def _sea_behind(world: WorldState, cam: Camera, target: np.ndarray) -> float:
    """Share of points beyond the target, along the view, that are open sea (a lighthouse wants it)."""
    f = cam.forward()[:2]
    f = f / (np.linalg.norm(f) + 1e-9)
    sea = float(world.env["sea_level_m"])
    pts = [target[:2] + f * d for d in np.linspace(40.0, 0.4 * world.size_m, 8)]
    return float(np.mean([world.height_at(float(x), float(y)) < sea for x, y in pts]))


def _edge_in_view(world: WorldState, cam: Camera, sea: bool) -> float:
    """Share of the view's horizontal fan that leaves the world's square within a few world sizes (the
    sea's apron hides the edge far out, so only the near edge counts there)."""
    size, pos = world.size_m, np.asarray(cam.position, np.float64)
    f = cam.forward()[:2]
    f = f / (np.linalg.norm(f) + 1e-9)
    half = math.atan(cam.sensor_mm / (2.0 * cam.focal_mm))
    reach = (0.3 if sea else 0.55) * size
    hits = 0
    for a in np.linspace(-half, half, 7):
        c, s_ = math.cos(a), math.sin(a)
        d = np.array([f[0] * c - f[1] * s_, f[0] * s_ + f[1] * c])
        p = pos[:2] + d * reach
        hits += not (0.0 <= p[0] <= size and 0.0 <= p[1] <= size)
    return hits / 7.0


#: how much a structure kind draws the eye when choosing what an establishing shot shows
SUBJECT_RANK = {"lighthouse": 6, "castle": 5, "tower": 4, "watchtower": 4, "ruin": 3, "barn": 2, "bridge": 0}


def _subject(world: WorldState) -> tuple[np.ndarray, float]:
    """The point a shot should centre on, and the radius (m) of what it should show."""
    c = world.size_m / 2.0
    if not world.structures:
        return np.array([c, c, world.height_at(c, c) + 2.0]), 0.3 * world.size_m
    xy = np.array([[s.x, s.y] for s in world.structures])
    rank = np.array([SUBJECT_RANK.get(s.kind, 1) for s in world.structures], np.float64)
    near = np.linalg.norm(xy[:, None] - xy[None], axis=2) < 150.0
    margin = np.minimum(xy, world.size_m - xy).min(axis=1)  # a subject by the world's edge is hard to frame
    anchor = int(np.argmax(rank * 100.0 + near.sum(axis=1) - 8.0 * (margin < 0.15 * world.size_m)))
    group = xy[near[anchor] & (rank > 0)] if (near[anchor] & (rank > 0)).any() else xy[anchor : anchor + 1]
    x, y = group.mean(axis=0)
    tall = max(world.structures[anchor].h or 6.0, 4.0)
    extent = float(np.max(np.linalg.norm(group - (x, y), axis=1))) + tall + 10.0
    return np.array([x, y, world.height_at(x, y) + 0.35 * tall]), extent


def _candidate(
    world: WorldState,
    target: np.ndarray,
    azimuth: float,
    dist: float,
    width: int,
    height: int,
    focal_mm: float,
    sensor_mm: float,
    rise: float = 0.3,
) -> Camera:
    size = world.size_m
    x = float(np.clip(target[0] + dist * math.cos(azimuth), 0.05 * size, 0.95 * size))
    y = float(np.clip(target[1] + dist * math.sin(azimuth), 0.05 * size, 0.95 * size))
    flat = math.hypot(x - target[0], y - target[1])
    z = max(target[2] + rise * flat, ground_clearance(world, x, y, radius_m=15.0) + 20.0)
    aim = (float(target[0]), float(target[1]), float(target[2]))
    return Camera(
        position=(x, y, z),
        target=aim,
        focal_mm=focal_mm,
        sensor_mm=sensor_mm,
        width=width,
        height=height,
        near_m=0.5,
        far_m=max(5000.0, 4.0 * size),
    )


def _shot_score(world: WorldState, cam: Camera, target: np.ndarray, sun: np.ndarray) -> float:
    """Higher is better: target visible, terrain not blocking, the world (not its edge) behind the target,
    the sun not straight behind the camera at a low sun nor straight ahead at a high one."""
    pos = np.asarray(cam.position)
    ts = np.linspace(0.05, 0.98, 40)
    pts = pos[None, :] + ts[:, None] * (target - pos)[None, :]
    ground = np.array([world.height_at(px, py) for px, py, _ in pts])
    blocked = float(np.mean(ground > pts[:, 2] - 1.0))
    f = cam.forward()
    f_h = f[:2] / (np.linalg.norm(f[:2]) + 1e-9)
    centre = np.array([world.size_m / 2.0, world.size_m / 2.0]) - pos[:2]
    inward = float(np.dot(f_h, centre / (np.linalg.norm(centre) + 1e-9)))
    sun_h = sun[:2] / (np.linalg.norm(sun[:2]) + 1e-9)
    against_sun = float(np.dot(f_h, sun_h))  # 1: looking into the sun
    low = float(np.clip(1.0 - sun[2] / 0.3, 0.0, 1.0)) if sun[2] > -0.1 else 0.0
    light = -0.6 * (1.0 - low) * max(against_sun, 0.0) - 0.2 * abs(against_sun + 0.3) + 0.5 * low * against_sun
    return -4.0 * blocked + 0.5 * inward + light


_EXPLICIT = {"auto_frame": (False,)}


@dataclass(kw_only=True, slots=True)
class ViewSettings:
    """Where a still's camera stands: an establishing shot of the world, or a given position and target."""

    auto_frame: bool = setting(True, description="frame an establishing shot; off: use position/target")
    position: list[float] = setting([100.0, 100.0, 60.0], widget="vector", max_items=3,
                                    description="camera position x, y, z in metres", applies=_EXPLICIT)
    target: list[float] = setting([512.0, 512.0, 20.0], widget="vector", max_items=3,
                                  description="point the camera looks at, metres", applies=_EXPLICIT)
    focal_mm: float = setting(28.0, min=4.0, max=600.0, widget="slider", description="lens focal length")
    sensor_mm: float = setting(36.0, min=1.0, max=100.0, description="sensor width")
    width: int = setting(1280, min=16, max=8192)
    height: int = setting(720, min=16, max=8192)
    near_m: float = setting(0.1, min=0.001, max=100.0)
    far_m: float = setting(5000.0, min=1.0, max=1_000_000.0)

    def camera(self, world: WorldState) -> Camera:
        """The camera these settings give in `world`."""
        if self.auto_frame:
            cam = establishing_shot(world, width=self.width, height=self.height, focal_mm=self.focal_mm,
                                    sensor_mm=self.sensor_mm)
            return replace(cam, near_m=self.near_m, far_m=max(self.far_m, cam.near_m + 1))
        return Camera(position=vec3(self.position, "position"), target=vec3(self.target, "target"),
                      focal_mm=self.focal_mm,
                      sensor_mm=self.sensor_mm, width=self.width, height=self.height, near_m=self.near_m,
                      far_m=self.far_m)


def vec3(values: list[Any], name: str) -> tuple[float, float, float]:
    """[x, y, z] in metres from a vector parameter (missing entries are 0); ValueError names the parameter."""
    try:
        v = ([float(c) for c in values][:3] + [0.0] * 3)[:3]
    except (TypeError, ValueError):
        raise ValueError(f"{name} expects numbers [x, y, z] in metres, got {values!r}") from None
    return v[0], v[1], v[2]
