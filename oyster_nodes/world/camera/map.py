"""A top-down map of a world with a camera path drawn on it: the camera node's preview.

North is up. Terrain is hill-shaded and tinted by material, water is blue, structures and imported meshes
are outlined boxes. The path runs from cyan (start) to magenta (end); wedges show where the camera looks
and how wide its view is, and a dot marks each target.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from ...types import Image
from ..geometry.obstacles import obstacle_boxes
from ..render.albedo import MATERIAL_SRGB
from ..state.world_state import MATERIALS, WorldState
from .path import PathSamples

ToPx = Callable[[np.ndarray], np.ndarray]


def top_down_map(
    world: WorldState,
    samples: PathSamples,
    *,
    size_px: int = 512,
    sensor_mm: float = 36.0,
    tracks: list[np.ndarray] | None = None,
) -> Image:
    """The map as an Image (rgb only); `tracks` are extra xy polylines (bodies, agents) drawn in white."""
    px_per_m, origin, base = _base_map(world, samples, size_px)
    to_px = _projector(px_per_m, origin, size_px)
    img = base
    for box in obstacle_boxes(world):
        _draw_box(img, box, to_px)
    for track in tracks or []:
        if len(track) > 1:
            cv2.polylines(img, [to_px(track[:, :2])], False, (240, 240, 240), 1, cv2.LINE_AA, shift=4)
    _draw_path(img, samples, to_px, sensor_mm, reach=0.08 * size_px / px_per_m)
    return Image(
        rgb_hw3=img,
        info={
            "kind": "camera_map",
            "metres_per_px": 1.0 / px_per_m,
            "origin": [float(origin[0]), float(origin[1])],
        },
    )


def _base_map(world: WorldState, samples: PathSamples, size_px: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Metres-to-pixels scale, the world point at the map's bottom-left, and the shaded terrain image."""
    lo = np.minimum(samples.position[:, :2].min(axis=0), 0.0)
    hi = np.maximum(samples.position[:, :2].max(axis=0), world.size_m)
    span = float(max(hi - lo)) * 1.04
    origin = (lo + hi) / 2 - span / 2
    px_per_m = size_px / span
    shade = _terrain_rgb(world)
    # pixel centres -> world xy -> terrain sample
    c = (np.arange(size_px) + 0.5) / px_per_m
    xs, ys = origin[0] + c, origin[1] + c[::-1]
    map_x = np.broadcast_to((xs / world.cell_m)[None, :], (size_px, size_px)).astype(np.float32)
    map_y = np.broadcast_to((ys / world.cell_m)[:, None], (size_px, size_px)).astype(np.float32)
    img = cv2.remap(
        shade, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(24, 24, 28)
    )
    return px_per_m, origin, np.ascontiguousarray(img)


def _terrain_rgb(world: WorldState) -> np.ndarray:
    h = np.asarray(world.height_hw, np.float32)
    gy, gx = np.gradient(h, world.cell_m)
    normal = np.dstack([-gx, -gy, np.ones_like(h)])
    normal /= np.linalg.norm(normal, axis=2, keepdims=True)
    light = np.array([-0.5, 0.5, 0.7], np.float32)
    light /= np.linalg.norm(light)
    lit = np.clip(normal @ light, 0.0, 1.0) * 0.6 + 0.5
    palette = np.array([MATERIAL_SRGB.get(m, (0.4, 0.4, 0.4)) for m in MATERIALS], np.float32)
    albedo = palette[np.clip(np.asarray(world.material_hw, np.int64), 0, len(MATERIALS) - 1)]
    rgb = albedo * lit[..., None]
    wet = np.isfinite(world.water_hw)
    depth = np.where(wet, np.nan_to_num(world.water_hw) - h, 0.0)
    water = np.array([0.16, 0.38, 0.62], np.float32) * (1.0 - 0.4 * np.clip(depth / 10.0, 0, 1))[..., None]
    rgb = np.where(wet[..., None], water * 0.8 + rgb * 0.2, rgb)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _projector(px_per_m: float, origin: np.ndarray, size_px: int) -> ToPx:
    def to_px(xy: np.ndarray) -> np.ndarray:
        """World xy (N x 2) -> fixed-point pixel coordinates (4 fraction bits) for cv2 drawing."""
        p = (np.asarray(xy, np.float64).reshape(-1, 2) - origin) * px_per_m
        p[:, 1] = size_px - p[:, 1]
        return np.round(p * 16).astype(np.int32)

    return to_px


def _draw_box(img: np.ndarray, box: tuple[float, ...], to_px: ToPx) -> None:
    cx, cy, yaw, hw, hd, _, _ = box
    c, s = math.cos(yaw), math.sin(yaw)
    corners = np.array(
        [[cx + u * c - v * s, cy + u * s + v * c] for u, v in ((-hw, -hd), (hw, -hd), (hw, hd), (-hw, hd))]
    )
    pts = to_px(corners)
    cv2.fillPoly(img, [pts], (120, 92, 70), cv2.LINE_AA, shift=4)
    cv2.polylines(img, [pts], True, (250, 230, 200), 1, cv2.LINE_AA, shift=4)


def _draw_path(img: np.ndarray, samples: PathSamples, to_px: ToPx, sensor_mm: float, reach: float) -> None:
    pos, tgt = samples.position, samples.target
    n = len(pos)
    pts = to_px(pos[:, :2])
    colours = [_ramp(i / max(n - 1, 1)) for i in range(n)]
    for k in _wedge_frames(n):
        _draw_wedge(img, pos[k], tgt[k], float(samples.focal_mm[k]), sensor_mm, to_px, colours[k], reach)
    for i in range(n - 1):
        cv2.line(img, tuple(pts[i]), tuple(pts[i + 1]), colours[i], 2, cv2.LINE_AA, shift=4)
    tp = to_px(tgt[:, :2])
    for k in _wedge_frames(n):
        cv2.circle(img, tuple(tp[k]), 3 * 16, (255, 235, 59), -1, cv2.LINE_AA, shift=4)
    cv2.circle(img, tuple(pts[0]), 5 * 16, colours[0], -1, cv2.LINE_AA, shift=4)
    cv2.circle(img, tuple(pts[-1]), 5 * 16, colours[-1], 2, cv2.LINE_AA, shift=4)


def _wedge_frames(n: int) -> list[int]:
    return sorted({int(round(v)) for v in np.linspace(0, n - 1, min(n, 6))})


def _draw_wedge(
    img: np.ndarray,
    pos: np.ndarray,
    tgt: np.ndarray,
    focal_mm: float,
    sensor_mm: float,
    to_px: ToPx,
    colour: tuple[int, int, int],
    reach_m: float,
) -> None:
    d = tgt[:2] - pos[:2]
    length = float(np.linalg.norm(d))
    if length < 1e-6:
        return
    half = math.atan(sensor_mm / (2.0 * focal_mm))
    heading = math.atan2(d[1], d[0])
    reach = min(length, reach_m)
    a = pos[:2] + reach * np.array([math.cos(heading - half), math.sin(heading - half)])
    b = pos[:2] + reach * np.array([math.cos(heading + half), math.sin(heading + half)])
    tri = to_px(np.array([pos[:2], a, b]))
    overlay = img.copy()
    cv2.fillPoly(overlay, [tri], colour, cv2.LINE_AA, shift=4)
    cv2.addWeighted(overlay, 0.25, img, 0.75, 0, dst=img)
    cv2.polylines(img, [tri], True, colour, 1, cv2.LINE_AA, shift=4)


def _ramp(f: float) -> tuple[int, int, int]:
    """Cyan at the start of the shot, magenta at its end."""
    return (int(round(40 + 215 * f)), int(round(220 - 180 * f)), int(round(240 - 10 * f)))


def blank_map(samples: PathSamples, *, size_px: int = 512, sensor_mm: float = 36.0) -> Image:
    """The path on a plain grid, for paths made without a world."""
    pts = np.concatenate([samples.position[:, :2], samples.target[:, :2]])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = float(max(hi - lo)) * 1.2 + 1.0
    origin = (lo + hi) / 2 - span / 2
    px_per_m = size_px / span
    img = np.full((size_px, size_px, 3), 40, np.uint8)
    step = 10.0 ** max(1, int(math.log10(max(span / 4, 1.0))))
    for v in np.arange(math.floor(origin[0] / step) * step, origin[0] + span, step):
        x = int(round((v - origin[0]) * px_per_m))
        cv2.line(img, (x, 0), (x, size_px - 1), (60, 60, 66), 1)
    for v in np.arange(math.floor(origin[1] / step) * step, origin[1] + span, step):
        y = size_px - int(round((v - origin[1]) * px_per_m))
        cv2.line(img, (0, y), (size_px - 1, y), (60, 60, 66), 1)
    to_px = _projector(px_per_m, origin, size_px)
    _draw_path(img, samples, to_px, sensor_mm, reach=0.08 * size_px / px_per_m)
    return Image(rgb_hw3=img, info={"kind": "camera_map", "metres_per_px": 1.0 / px_per_m,
                                    "origin": [float(origin[0]), float(origin[1])]})
