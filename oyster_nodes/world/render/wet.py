"""Wet ground: where puddles gather, and the lights a wet surface mirrors (see shaders/wet.glsl).

Puddles gather on paved and trodden ground (roads, paths, dirt and gravel) and in hollows and low flat
ground; grass and forest floor soak the rain up, so few stand there, and none on sand or snow.

At dusk and night a wet road mirrors the lights near it as streaks drawn out towards the viewer: the street
lamps' lanterns, the vehicles' head and tail lamps, and the lit windows and shopfronts of the buildings. Each
is a point, or a horizontal segment (a building's lit wall) whose nearest part along the view is mirrored; the
nearest few in front of the camera are handed to the shaders per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

#: lights a frame's wet ground mirrors at most (the shaders' array size, wet.glsl MAX_WET_LIGHTS)
MAX_WET_LIGHTS = 16
#: of them, lit walls take this many at least where there are fewer lamps (the rest go to the lamps first)
WALL_SLOTS = 6
#: lights farther than this from the camera are not mirrored (m)
WET_LIGHT_RANGE_M = 160.0
#: how readily puddles stand on each terrain material (0: never, 1: as on a road)
PUDDLE_SITE = {
    "grass": 0.12, "rock": 0.3, "sand": 0.0, "snow": 0.0, "dirt": 0.75, "forest_floor": 0.1, "road": 1.0,
    "mud": 0.9, "ash": 0.3, "gravel": 0.7,
}
#: how paved (dark and glossy when wet) each terrain material is: a road's bed, a town's squares and pavements
PAVED_SHARE = {"road": 1.0, "gravel": 0.8}
#: a street lamp's lantern: where it hangs on the post (m, in the post's frame, scale 1) and its light (linear,
#: at 1 m: a point's light falls off with the square of the distance, a lit wall's (a strip) with the distance)
LANTERN_AT = (0.95, 0.0, 4.7)
LANTERN_RGB = (1.0, 0.62, 0.28)
LANTERN_POWER = 180.0
#: a car's head and tail lamps: how far out front and back (m), their height, and their light (linear)
HEADLAMP_AT, TAILLAMP_AT, CARLAMP_Z = 2.1, -2.1, 0.7
HEADLAMP_POWER = (40.0, 37.0, 30.0)
TAILLAMP_POWER = (16.0, 0.4, 0.25)
#: a building's lit wall, per metre of its width: lit windows, and (a highrise's) shopfronts, and its height
WINDOW_POWER = (0.5, 0.3, 0.13)
SHOPFRONT_POWER = (3.0, 1.9, 1.0)
#: a fishing boat's lit wheelhouse window (linear, at 1 m)
WHEELHOUSE_RGB = (6.0, 3.3, 1.2)
#: a neon-lit town's shopfronts (mesh.frag's neon colours)
NEON_RGB = ((1.0, 0.05, 0.6), (0.02, 0.75, 1.0))
LIT_KINDS = ("house", "cabin", "cottage", "highrise", "shop", "church", "barn", "tower", "hall", "inn", "pub")


@dataclass(frozen=True, slots=True)
class WetLights:
    """A world's light sources as rows: the point (x, y, z), the segment's span (dx, dy: 0 for a point), the
    colour and power (linear, at 1 m), and for a wall its outward normal (0 for a point: seen from all round)."""

    pos: np.ndarray  # k x 3
    span: np.ndarray  # k x 2
    rgb: np.ndarray  # k x 3
    facing: np.ndarray  # k x 2

    def __len__(self) -> int:
        return len(self.pos)


def wet_lights(world: WorldState, neon: bool = False) -> WetLights:
    """Every light of `world` a wet surface could mirror (see the module docstring); `neon`: its shopfronts glow
    magenta and cyan."""
    pos, span, rgb, facing = [], [], [], []
    kinds = np.asarray(world.inst_kind).reshape(-1)
    xyz = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)
    yaw = np.asarray(world.inst_yaw, np.float64).reshape(-1)
    scale = np.asarray(world.inst_scale, np.float64).reshape(-1)

    def of_kind(name: str) -> np.ndarray:
        return np.flatnonzero(kinds == INSTANCE_KINDS.index(name)) if len(kinds) else np.zeros(0, np.int64)

    for i in of_kind("lamp_post"):
        c, s, k = math.cos(yaw[i]), math.sin(yaw[i]), scale[i]
        x, y, z = LANTERN_AT
        pos.append(xyz[i] + k * np.array([c * x - s * y, s * x + c * y, z]))
        span.append((0.0, 0.0))
        rgb.append(np.array(LANTERN_RGB) * LANTERN_POWER)
        facing.append((0.0, 0.0))
    for i in of_kind("vehicle"):
        c, s, k = math.cos(yaw[i]), math.sin(yaw[i]), scale[i]
        for along, power in ((HEADLAMP_AT, HEADLAMP_POWER), (TAILLAMP_AT, TAILLAMP_POWER)):
            pos.append(xyz[i] + k * np.array([c * along, s * along, CARLAMP_Z]))
            span.append((0.0, 0.0))
            rgb.append(np.array(power))
            facing.append((c * np.sign(along), s * np.sign(along)))
    first_id = len(kinds) + 1  # the structures' ids follow the instances' (gpu_scene)
    for k, st in enumerate(world.structures):
        c, s = math.cos(st.yaw), math.sin(st.yaw)
        shop = st.kind == "highrise"
        if not shop and not windows_lit(first_id + k):
            continue  # its windows are dark tonight (mesh.frag)
        if st.kind == "fishing_boat":  # the lit wheelhouse window, facing forward (meshes._fishing_boat)
            x, z = 0.08 * st.w + 0.05, 0.34 * st.w - 0.45
            pos.append(np.array([st.x + c * x, st.y + s * x, st.z + z]))
            span.append((0.0, 0.0))
            rgb.append(np.array(WHEELHOUSE_RGB))
            facing.append((c, s))
            continue
        if st.kind not in LIT_KINDS:
            continue
        z = st.z + (2.2 if shop else min(1.6, 0.45 * st.h))
        power = np.array(SHOPFRONT_POWER if shop else WINDOW_POWER)
        if neon and shop:  # neon shopfronts glow magenta or cyan (mesh.frag), building by building
            power = np.array(NEON_RGB[k % 2]) * float(np.mean(power)) * 0.8
        for nx, ny, half, width in ((1, 0, st.d / 2, st.w), (-1, 0, st.d / 2, st.w), (0, 1, st.w / 2, st.d),
                                    (0, -1, st.w / 2, st.d)):
            # the wall's outward normal and its direction along, in the world
            out = np.array([c * nx - s * ny, s * nx + c * ny])
            along = np.array([-out[1], out[0]])
            reach = (width if nx else half) / 2 + 0.3
            wall_half = (half if nx else width) / 2
            centre = np.array([st.x, st.y]) + out * reach
            pos.append(np.array([*(centre - along * wall_half), z]))
            span.append(tuple(along * 2 * wall_half))
            rgb.append(power)
            facing.append(tuple(out))
    if not pos:
        z3, z2 = np.zeros((0, 3)), np.zeros((0, 2))
        return WetLights(pos=z3, span=z2, rgb=z3.copy(), facing=z2.copy())
    return WetLights(pos=np.asarray(pos, np.float64), span=np.asarray(span, np.float64),
                     rgb=np.asarray(rgb, np.float64), facing=np.asarray(facing, np.float64))


def windows_lit(structure_id: int) -> bool:
    """Whether a structure's windows (WINDOW parts) are lit at night: mesh.frag lights those whose variation,
    fract(id * 0.618034) in single precision, is 0.3 or more."""
    v = np.float32(structure_id) * np.float32(0.618034)
    return bool(v - np.floor(v) >= np.float32(0.3))


def wet_light_uniforms(lights: WetLights, cam_pos: np.ndarray, cam_fwd: np.ndarray, glow: float) -> dict[str, object]:
    """The shaders' wet lights for one frame: the nearest MAX_WET_LIGHTS lit ones in front of the camera (a
    wall only from the side it faces), `glow` (0..1: how lit the lamps are, by the night) scaling them.
    Array uniforms are given as bytes (written whole)."""
    count = 0
    pos = np.zeros((MAX_WET_LIGHTS, 4), np.float32)
    span = np.zeros((MAX_WET_LIGHTS, 4), np.float32)
    rgb = np.zeros((MAX_WET_LIGHTS, 4), np.float32)
    if len(lights) and glow > 0.0:
        mid = lights.pos[:, :2] + 0.5 * lights.span
        rel = mid - cam_pos[:2]
        dist = np.hypot(rel[:, 0], rel[:, 1])
        half = 0.5 * np.hypot(lights.span[:, 0], lights.span[:, 1])
        fwd = np.asarray(cam_fwd[:2], np.float64)
        fwd = fwd / max(float(np.hypot(*fwd)), 1e-6)
        ahead = rel @ fwd > -half - 5.0
        point = ~lights.facing.any(axis=1)
        seen = point | (np.einsum("ij,ij->i", lights.facing, -rel) >= 0.0)
        near = dist - half < WET_LIGHT_RANGE_M
        ok = ahead & seen & near
        gap = np.maximum(dist - half, 0.0)
        wall = lights.span.any(axis=1)
        points = np.flatnonzero(ok & ~wall)
        walls = np.flatnonzero(ok & wall)
        points = points[np.argsort(gap[points], kind="stable")][:MAX_WET_LIGHTS - min(WALL_SLOTS, len(walls))]
        walls = walls[np.argsort(gap[walls], kind="stable")][:MAX_WET_LIGHTS - len(points)]
        order = np.concatenate([points, walls])
        count = len(order)
        pos[:count, :3] = lights.pos[order]
        pos[:count, 3] = lights.span[order].any(axis=1)
        span[:count, :2] = lights.span[order]
        rgb[:count, :3] = lights.rgb[order] * glow
    return {"u_n_wet_lights": count, "u_wl_pos": pos.tobytes(), "u_wl_span": span.tobytes(),
            "u_wl_rgb": rgb.tobytes()}


def puddle_sites(world: WorldState, road: np.ndarray | None) -> np.ndarray:
    """uint8 n x n x 2: r how readily puddles stand (the material's PUDDLE_SITE, more in hollows and on low flat
    ground, the roads' own on them), g the paved ground (roads and paths, PAVED_SHARE)."""
    cell = world.cell_m
    paved_of = np.zeros(256, np.float32)
    for name, value in PAVED_SHARE.items():
        if name in MATERIALS:
            paved_of[MATERIALS.index(name)] = value
    lut = np.array([PUDDLE_SITE.get(m, 0.3) for m in MATERIALS] + [0.3] * (256 - len(MATERIALS)), np.float32)
    site = lut[np.asarray(world.material_hw, np.uint8)]
    h = np.asarray(world.height_hw, np.float32)
    low = cv2.GaussianBlur(h, (0, 0), max(6.0 / cell, 1.0)) - h  # > 0 in hollows, m
    site = site + np.clip(low * 2.0, 0.0, 0.5) * (site > 0)
    paved = paved_of[np.asarray(world.material_hw, np.uint8)]
    if road is not None:
        paved = np.maximum(paved, road.astype(np.float32))
    site = np.maximum(site, paved)
    out = np.stack([np.clip(site, 0, 1), np.clip(paved, 0, 1)], axis=-1)
    return (out * 255 + 0.5).astype(np.uint8)
