"""Bodies and agents drawn into already rendered passes, for a renderer that draws only the static world.

Each sphere, box, capsule, character (capsule) and vehicle (two boxes) is ray-cast exactly, per pixel,
inside its own screen rectangle, depth-tested against the depth pass, lit with the same light model and
tone curve as the shaders (common.glsl: sun or moon key light, hemispherical ambient, fog, ACES fit), and
written into rgb, depth, normal, instance and semantic passes. A soft contact shadow darkens the ground
under each object along the sun. Imported-mesh bodies are drawn as their bounding box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..types import Image
from .camera import Camera
from .lighting import Lighting, lighting_from_env
from .state import SEMANTIC_CLASSES, WorldState

SEM_BODY = SEMANTIC_CLASSES.index("body")
SEM_AGENT = SEMANTIC_CLASSES.index("agent")
CHARACTER_RGB = (0.25, 0.32, 0.55)
VEHICLE_RGB = (0.55, 0.1, 0.08)


@dataclass(slots=True)
class Prim:
    """A primitive in world space: kind sphere|box|capsule, centre, rotation (3 x 3), size, colour, ids."""

    kind: str
    centre: np.ndarray
    rot: np.ndarray
    size: np.ndarray  # sphere (r), box half extents (hx, hy, hz), capsule (r, half length)
    rgb: tuple[float, float, float]
    instance: int
    semantic: int

    def bound(self) -> float:
        if self.kind == "sphere":
            return float(self.size[0])
        if self.kind == "capsule":
            return float(self.size[0] + self.size[1])
        return float(np.linalg.norm(self.size))


@dataclass(slots=True)
class View:
    """A camera reduced to what ray casting needs, computed once per frame."""

    pos: np.ndarray
    right: np.ndarray
    up: np.ndarray
    fwd: np.ndarray
    focal_px: float
    width: int
    height: int
    near_m: float

    @classmethod
    def of(cls, camera: Camera) -> View:
        r, u, f = camera.basis()
        return cls(pos=np.asarray(camera.position, np.float64), right=r, up=u, fwd=f, focal_px=camera.focal_px,
                   width=camera.width, height=camera.height, near_m=camera.near_m)

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel uv (N x 2) and view-axis depth (N) of world points."""
        rel = np.asarray(pts, np.float64).reshape(-1, 3) - self.pos
        depth = rel @ self.fwd
        safe = np.where(np.abs(depth) < 1e-12, 1e-12, depth)
        u = self.focal_px * (rel @ self.right) / safe + self.width / 2
        v = -self.focal_px * (rel @ self.up) / safe + self.height / 2
        return np.column_stack([u, v]), depth


def draw_dynamic(image: Image, world: WorldState, camera: Camera, first_id: int) -> Image:
    """Draw world.bodies and world.agents into `image` (in place) and return it."""
    prims = prims_of(world, first_id)
    if not prims:
        return image
    light = lighting_from_env(world.env)
    view = View.of(camera)
    for p in sorted(prims, key=lambda p: -float(np.linalg.norm(p.centre - view.pos))):
        _shadow(image, world, view, p, light)
    for p in prims:
        _draw(image, view, p, light)
    image.info.setdefault("id_ranges", {})["dynamic"] = [first_id, first_id + len(prims) - 1]
    return image


def prims_of(world: WorldState, first_id: int) -> list[Prim]:
    prims: list[Prim] = []
    for b in world.bodies:
        prims.append(_body_prim(b, first_id + len(prims)))
    for a in world.agents:
        prims += _agent_prims(a, first_id + len(prims))
    return prims


def _quat_matrix(q: list[float]) -> np.ndarray:
    w, x, y, z = (float(c) for c in (list(q) + [0.0] * 4)[:4])
    n = math.sqrt(w * w + x * x + y * y + z * z) or 1.0
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _body_prim(b: dict, ident: int) -> Prim:
    size = [float(v) for v in b.get("size", [0.5])]
    rot = _quat_matrix(b.get("quat", (1, 0, 0, 0)))
    centre = np.asarray(b.get("pos", (0, 0, 0)), np.float64)
    rgb = tuple(float(c) for c in b.get("color", (0.7, 0.3, 0.2)))[:3]
    shape = b.get("shape", "box")
    if shape == "sphere":
        return Prim("sphere", centre, rot, np.array(size[:1]), rgb, ident, SEM_BODY)  # type: ignore[arg-type]
    if shape == "capsule":
        return Prim("capsule", centre, rot, np.array([size[0], size[1] / 2]), rgb, ident, SEM_BODY)  # type: ignore
    half = np.array((size + size[-1:] * 3)[:3]) / 2
    if shape == "mesh":
        centre = centre + rot @ np.array([0.0, 0.0, half[2]])  # mesh bodies' origin is their base
    return Prim("box", centre, rot, half, rgb, ident, SEM_BODY)  # type: ignore[arg-type]


def _agent_prims(a: dict, ident: int) -> list[Prim]:
    feet = np.asarray(a.get("pos", (0, 0, 0)), np.float64)
    yaw = float(a.get("yaw", 0.0))
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    if a.get("kind") == "vehicle":
        hx, hy, hz = (float(v) for v in a.get("half", (2.2, 0.9, 0.75)))
        body = Prim("box", feet + np.array([0, 0, 0.25 + hz * 0.6]), rot, np.array([hx, hy, hz * 0.6]),
                    VEHICLE_RGB, ident, SEM_AGENT)
        cabin = Prim("box", feet + rot @ np.array([-0.2 * hx, 0, 0.25 + hz * 1.2 + hz * 0.4]), rot,
                     np.array([hx * 0.5, hy * 0.9, hz * 0.4]), (0.2, 0.22, 0.25), ident, SEM_AGENT)
        return [body, cabin]
    r, h = float(a.get("radius", 0.3)), float(a.get("height", 1.8))
    return [Prim("capsule", feet + np.array([0, 0, h / 2]), np.eye(3), np.array([r, h / 2 - r]), CHARACTER_RGB,
                 ident, SEM_AGENT)]


# --- ray casting ---------------------------------------------------------------------------------


def _window(view: View, centre: np.ndarray, radius: float) -> tuple[int, int, int, int] | None:
    """Screen rectangle (i0, i1, j0, j1) that holds a sphere, or None when it is off screen."""
    uv, depth = view.project(centre[None])
    d = float(depth[0])
    if d + radius < view.near_m:
        return None
    if d - radius >= view.near_m * 2:
        reach = view.focal_px * radius / (d - radius) + 2
        u, v = uv[0]
        return _clip(view, u - reach, u + reach, v - reach, v + reach)
    if float(np.linalg.norm(centre - view.pos)) <= radius:
        return 0, view.height, 0, view.width
    pts = centre + radius * _SPHERE_DIRS  # the sphere crosses the image plane: bound its front part
    uv, depth = view.project(pts)
    front = depth > view.near_m
    if not front.any():
        return None
    u, v = uv[front, 0], uv[front, 1]
    return _clip(view, float(u.min()) - 2, float(u.max()) + 2, float(v.min()) - 2, float(v.max()) + 2)


def _clip(view: View, u0: float, u1: float, v0: float, v1: float) -> tuple[int, int, int, int] | None:
    j0, j1 = int(max(math.floor(u0), 0)), int(min(math.ceil(u1), view.width))
    i0, i1 = int(max(math.floor(v0), 0)), int(min(math.ceil(v1), view.height))
    if j0 >= j1 or i0 >= i1:
        return None
    return i0, i1, j0, j1


def _fibonacci_sphere(n: int) -> np.ndarray:
    k = np.arange(n) + 0.5
    z = 1 - 2 * k / n
    a = math.pi * (1 + 5**0.5) * k
    r = np.sqrt(1 - z * z)
    return np.column_stack([r * np.cos(a), r * np.sin(a), z])


_SPHERE_DIRS = _fibonacci_sphere(64)


def _rays(view: View, win: tuple[int, int, int, int]) -> np.ndarray:
    """Ray directions through the window's pixel centres, scaled so that a ray's parameter is view depth."""
    i0, i1, j0, j1 = win
    r, u, f = (v.astype(np.float32) for v in (view.right, view.up, view.fwd))
    x = ((np.arange(j0, j1, dtype=np.float32) + 0.5 - view.width / 2) / view.focal_px)[None, :, None]
    y = (-(np.arange(i0, i1, dtype=np.float32) + 0.5 - view.height / 2) / view.focal_px)[:, None, None]
    return x * r + y * u + f


def intersect(p: Prim, origin: np.ndarray, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ray parameter t (inf on a miss; the hit is origin + t * dir) and world normal per ray (... x 3)."""
    o = p.rot.T @ (origin - p.centre)
    d = dirs @ p.rot
    if p.kind == "sphere":
        t, n = _sphere(o, d, float(p.size[0]), np.zeros(3))
    elif p.kind == "box":
        t, n = _box(o, d, p.size)
    else:
        t, n = _capsule(o, d, float(p.size[0]), float(p.size[1]))
    return t, n @ p.rot.T


def _sphere(o: np.ndarray, d: np.ndarray, r: float, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    oc = o - c
    a = np.einsum("...k,...k->...", d, d)
    b = d @ oc
    disc = b * b - a * (oc @ oc - r * r)
    t = np.where(disc >= 0, (-b - np.sqrt(np.maximum(disc, 0.0))) / a, np.inf)
    t = np.where(t > 1e-4, t, np.inf)
    n = (o + d * np.where(np.isfinite(t), t, 0.0)[..., None] - c) / r
    return t, n


def _box(o: np.ndarray, d: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(d) < 1e-12, 1e-12, d)
        t1, t2 = (-half - o) * inv, (half - o) * inv
    tmin, tmax = np.minimum(t1, t2), np.maximum(t1, t2)
    near, far = tmin.max(axis=-1), tmax.min(axis=-1)
    hit = (near <= far) & (near > 1e-4)
    axis = tmin.argmax(axis=-1)
    n = np.zeros(d.shape)
    np.put_along_axis(n, axis[..., None], -np.sign(np.take_along_axis(d, axis[..., None], axis=-1)), axis=-1)
    return np.where(hit, near, np.inf), n


def _capsule(o: np.ndarray, d: np.ndarray, r: float, half: float) -> tuple[np.ndarray, np.ndarray]:
    a = d[..., 0] ** 2 + d[..., 1] ** 2
    b = d[..., 0] * o[0] + d[..., 1] * o[1]
    c = o[0] ** 2 + o[1] ** 2 - r * r
    disc = b * b - a * c
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where((disc >= 0) & (a > 1e-12), (-b - np.sqrt(np.maximum(disc, 0.0))) / a, np.inf)
    z = o[2] + d[..., 2] * np.where(np.isfinite(t), t, 0.0)
    t = np.where((np.abs(z) <= half) & (t > 1e-4), t, np.inf)
    hit = o + d * np.where(np.isfinite(t), t, 0.0)[..., None]
    n = np.stack([hit[..., 0] / r, hit[..., 1] / r, np.zeros_like(t)], axis=-1)
    for cap in (half, -half):
        ts, ns = _sphere(o, d, r, np.array([0.0, 0.0, cap]))
        closer = ts < t
        t = np.where(closer, ts, t)
        n = np.where(closer[..., None], ns, n)
    return t, n


# --- shading -------------------------------------------------------------------------------------


def _draw(image: Image, view: View, p: Prim, light: Lighting) -> None:
    win = _window(view, p.centre, p.bound())
    if win is None:
        return
    dirs = _rays(view, win)
    origin = view.pos
    t, n = intersect(p, origin, dirs)
    depth = t  # rays are scaled to unit length along the view axis
    i0, i1, j0, j1 = win
    scene_depth = image.depth_hw[i0:i1, j0:j1] if image.depth_hw is not None else np.full(t.shape, np.inf)
    scene_depth = np.where(np.isfinite(scene_depth) & (scene_depth > 0), scene_depth, np.inf)
    mask = np.isfinite(t) & (depth < scene_depth)
    if not mask.any():
        return
    pos = origin + dirs[mask] * t[mask][:, None]
    rgb = shade(np.array(p.rgb) ** 2.2, n[mask], pos, origin, light)
    image.rgb_hw3[i0:i1, j0:j1][mask] = rgb
    if image.depth_hw is not None:
        image.depth_hw[i0:i1, j0:j1][mask] = depth[mask]
    if image.normal_hw3 is not None:
        image.normal_hw3[i0:i1, j0:j1][mask] = n[mask]
    if image.instance_hw is not None:
        image.instance_hw[i0:i1, j0:j1][mask] = p.instance
    if image.semantic_hw is not None:
        image.semantic_hw[i0:i1, j0:j1][mask] = p.semantic


def shade(albedo: np.ndarray, n: np.ndarray, pos: np.ndarray, cam: np.ndarray, light: Lighting) -> np.ndarray:
    """sRGB uint8 colours as the shaders would give them (no shadow from the world onto the object)."""
    key_dir = np.asarray(light.key_light_dir())
    sun = np.asarray(light.sun_dir)
    key = np.asarray(light.sun_color) if sun[2] > -0.02 else np.array([0.05, 0.065, 0.1]) * light.night
    sky = (np.asarray(light.sky_horizon) + np.asarray(light.sky_zenith)) / 2
    ground = np.asarray(light.ground_color) * 0.5 + np.asarray(light.sun_color) * max(sun[2], 0.0) * 0.06
    amb = ground + (sky - ground) * (0.5 + 0.5 * n[:, 2:3])
    c = albedo * (key * np.maximum(n @ key_dir, 0.0)[:, None] + amb)
    dist = np.linalg.norm(pos - cam, axis=1)
    dens = light.fog_density * np.exp(-np.maximum(0.5 * (pos[:, 2] + cam[2]), 0.0) * 0.004)
    f = (1.0 - np.exp(-dist * dens))[:, None]
    c = c * (1 - f) + (np.asarray(light.fog_color) + np.asarray(light.sky_horizon)) / 2 * f
    return tonemap(c, light.exposure)


def tonemap(c: np.ndarray, exposure: float) -> np.ndarray:
    x = c * exposure
    t = np.clip((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0)
    return np.clip(t ** (1 / 2.2) * 255 + 0.5, 0, 255).astype(np.uint8)


def _shadow(image: Image, world: WorldState, view: View, p: Prim, light: Lighting) -> None:
    """Darken the ground where the object stands between it and the sun (a soft disc)."""
    sun = np.asarray(light.key_light_dir())
    if sun[2] < 0.08 or image.depth_hw is None:
        return
    ground = world.height_at(float(p.centre[0]), float(p.centre[1]))
    lift = float(p.centre[2]) - ground
    if lift > 6 * p.bound() + 3:
        return
    spot = p.centre - sun * (lift / sun[2])
    radius = p.bound() * 1.1
    win = _window(view, spot, radius * 2)
    if win is None:
        return
    i0, i1, j0, j1 = win
    depth = image.depth_hw[i0:i1, j0:j1]
    ok = np.isfinite(depth) & (depth > 0)
    if not ok.any():
        return
    dirs = _rays(view, win)
    pts = view.pos.astype(np.float32) + dirs * np.where(ok, depth, 0.0)[..., None]
    d = np.linalg.norm(pts[..., :2] - spot[:2], axis=-1)
    fade = np.clip(1.0 - lift / (6 * p.bound() + 3), 0.0, 1.0)
    strength = 0.55 * fade * np.clip((radius - d) / (0.5 * radius), 0.0, 1.0) * ok
    strength *= image.semantic_hw[i0:i1, j0:j1] <= SEMANTIC_CLASSES.index("vegetation") \
        if image.semantic_hw is not None else 1.0
    block = image.rgb_hw3[i0:i1, j0:j1].astype(np.float32)
    image.rgb_hw3[i0:i1, j0:j1] = (block * (1.0 - strength[..., None])).astype(np.uint8)
