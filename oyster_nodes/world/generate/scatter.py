"""Vegetation and props as instances: jittered-grid candidates (Poisson-disk-like spacing), accepted by
density times suitability (slope, altitude, moisture, material), never on water, roads or footprints."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..state.records import Structure
from ..state.world_state import INSTANCE_KINDS
from .terrain import MAT

F32 = np.float32
KIND = {name: i for i, name in enumerate(INSTANCE_KINDS)}

TREES = {"conifers": "conifer", "broadleaf": "broadleaf", "palms": "palm", "dead_trees": "dead_tree"}
SMALL = {"shrubs": "shrub", "flowers": "flower", "cactus": "cactus", "grass": "grass_tuft"}


@dataclass(kw_only=True, slots=True)
class Ground:
    """Full-resolution layers that instances are placed against."""

    cell_m: float
    h: np.ndarray
    slope: np.ndarray
    material: np.ndarray
    moisture: np.ndarray
    blocked: np.ndarray  # water, roads, footprints
    alt: np.ndarray  # 0..1 relative altitude
    sand_desert: bool = False  # dunes: the sand is the land itself, not a beach along the water

    @property
    def n(self) -> int:
        return self.h.shape[0]

    def cells(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j = np.clip(np.rint(xy[:, 0] / self.cell_m).astype(np.int64), 0, self.n - 1)
        i = np.clip(np.rint(xy[:, 1] / self.cell_m).astype(np.int64), 0, self.n - 1)
        return i, j

    def height(self, xy: np.ndarray) -> np.ndarray:
        """Bilinear terrain height at world points."""
        fx = np.clip(xy[:, 0] / self.cell_m, 0, self.n - 1.0001)
        fy = np.clip(xy[:, 1] / self.cell_m, 0, self.n - 1.0001)
        j0, i0 = fx.astype(np.int64), fy.astype(np.int64)
        tx, ty = (fx - j0).astype(F32), (fy - i0).astype(F32)
        h = self.h
        top = h[i0, j0] * (1 - tx) + h[i0, j0 + 1] * tx
        bottom = h[i0 + 1, j0] * (1 - tx) + h[i0 + 1, j0 + 1] * tx
        return (top * (1 - ty) + bottom * ty).astype(F32)


@dataclass(kw_only=True, slots=True)
class Instances:
    kind: list[np.ndarray]
    xyz: list[np.ndarray]
    yaw: list[np.ndarray]
    scale: list[np.ndarray]

    def add(self, kind: np.ndarray, xyz: np.ndarray, yaw: np.ndarray, scale: np.ndarray) -> None:
        self.kind.append(kind.astype(np.uint16))
        self.xyz.append(xyz.astype(F32))
        self.yaw.append(yaw.astype(F32))
        self.scale.append(scale.astype(F32))

    def arrays(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        kind = np.concatenate(self.kind) if self.kind else np.zeros(0, np.uint16)
        return {
            "inst_kind": kind,
            "inst_xyz": np.concatenate(self.xyz) if self.xyz else np.zeros((0, 3), F32),
            "inst_yaw": np.concatenate(self.yaw) if self.yaw else np.zeros(0, F32),
            "inst_scale": np.concatenate(self.scale) if self.scale else np.zeros(0, F32),
            "inst_var": rng.integers(0, 2**31 - 1, size=len(kind), dtype=np.int64).astype(np.uint32),
        }


def _suitability(kind: str, g: Ground, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    s, a, m, mat = g.slope[i, j], g.alt[i, j], g.moisture[i, j], g.material[i, j]
    soft = ~np.isin(mat, [MAT["rock"], MAT["road"], MAT["sand"], MAT["ash"], MAT["snow"]])
    flat = np.clip(1.0 - s / 0.8, 0.0, 1.0)
    if kind == "conifer":
        return flat * (0.4 + 0.6 * np.clip(a * 1.5, 0, 1)) * (soft | (mat == MAT["snow"])) * (a < 0.9)
    if kind == "broadleaf":  # birches and oaks stand in snow as well as conifers do
        return flat * np.clip(0.3 + m, 0, 1) * (a < 0.75) * (soft | (mat == MAT["snow"]))
    if kind == "palm":  # palms crowd the shore: moist sea air near water, on the beach's sand or soft ground
        sand = mat == MAT["sand"]
        return flat * ((a < 0.6) | (m > 0.6)) * (soft | sand) * np.clip(3.0 * m - 1.4, 0.05, 1.6) * np.where(sand, 1.8, 1.0)
    if kind == "dead_tree":
        return flat * (mat != MAT["road"])
    if kind == "shrub":  # not on a beach's sand; a sand desert (most of the ground sand) keeps its scrub
        on_sand = (mat == MAT["sand"]) & (not g.sand_desert)
        return np.clip(1.0 - s / 1.0, 0, 1) * (mat != MAT["road"]) * (mat != MAT["snow"]) * ~on_sand
    if kind == "flower":
        return flat * np.isin(mat, [MAT["grass"], MAT["forest_floor"]]) * np.clip(0.3 + m, 0, 1)
    if kind == "cactus":
        return flat * np.clip(1.0 - m * 1.5, 0, 1) * np.isin(mat, [MAT["sand"], MAT["dirt"], MAT["gravel"]])
    if kind == "grass_tuft":
        return flat * np.isin(mat, [MAT["grass"], MAT["forest_floor"], MAT["mud"]])
    return flat


def jittered_grid(size_m: float, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """One candidate per grid cell, jittered within it; neighbours stay >= 0.3 * spacing apart."""
    k = max(1, int(size_m // spacing))
    centres = (np.arange(k) + 0.5) * (size_m / k)
    xy = np.stack(np.meshgrid(centres, centres, indexing="xy"), axis=-1).reshape(-1, 2)
    return xy + rng.uniform(-0.35, 0.35, size=xy.shape) * (size_m / k)


def scatter_layer(
    g: Ground,
    densities: dict[str, float],
    kinds: dict[str, str],
    *,
    size_m: float,
    spacing: float,
    budget: int,
    scale: tuple[float, float],
    rng: np.random.Generator,
    out: Instances,
) -> None:
    """Place one layer of mutually spaced instances whose kinds compete for the same candidates."""
    chosen = [(kinds[k], d) for k, d in densities.items() if k in kinds and d > 0]
    if not chosen:
        return
    spacing = max(spacing, size_m / math.sqrt(budget))
    xy = jittered_grid(size_m, spacing, rng)
    i, j = g.cells(xy)
    keep = ~g.blocked[i, j]
    xy, i, j = xy[keep], i[keep], j[keep]
    probs = np.stack([d * _suitability(kind, g, i, j) for kind, d in chosen], axis=1).astype(F32)
    total = probs.sum(axis=1)
    r_accept, r_kind = rng.random(len(xy)), rng.random(len(xy))
    accept = r_accept < np.minimum(total, 1.0)
    cum = np.cumsum(probs, axis=1) / np.maximum(total, 1e-9)[:, None]
    pick = (cum > r_kind[:, None]).argmax(axis=1)
    ids = np.array([KIND[kind] for kind, _ in chosen])[pick]
    xy, ids = xy[accept], ids[accept]
    z = g.height(xy) - F32(0.05)
    out.add(
        ids,
        np.column_stack([xy, z]),
        rng.uniform(0, 2 * np.pi, len(xy)),
        rng.uniform(scale[0], scale[1], len(xy)),
    )


def scatter_rocks(g: Ground, count: int, size_m: float, rng: np.random.Generator, out: Instances) -> None:
    """Rocks and boulders, favouring slopes and stony ground."""
    if count <= 0:
        return
    xy = rng.uniform(2.0, size_m - 2.0, size=(count * 6, 2))
    i, j = g.cells(xy)
    stony = np.isin(g.material[i, j], [MAT["rock"], MAT["gravel"], MAT["dirt"], MAT["ash"]])
    score = np.clip(g.slope[i, j], 0, 1.2) + 0.8 * stony + rng.random(len(xy))
    score[g.blocked[i, j]] = -np.inf
    best = np.argsort(-score, kind="stable")[:count]
    best = best[np.isfinite(score[best])]
    xy = xy[best]
    big = rng.random(len(xy)) < 0.3
    kind = np.where(big, KIND["boulder"], KIND["rock"])
    scale = np.where(big, rng.uniform(1.5, 3.5, len(xy)), rng.uniform(0.4, 1.2, len(xy)))
    out.add(
        kind,
        np.column_stack([xy, g.height(xy) - F32(0.15) * scale]),
        rng.uniform(0, 2 * np.pi, len(xy)),
        scale,
    )


def scatter_near(
    g: Ground,
    anchors: np.ndarray,
    kind: str,
    count: int,
    *,
    ring: tuple[float, float],
    rng: np.random.Generator,
    out: Instances,
) -> None:
    """`count` instances of a prop around anchor points (structures, road points)."""
    if count <= 0 or len(anchors) == 0:
        return
    pick = anchors[np.arange(count) % len(anchors)]
    angle = rng.uniform(0, 2 * np.pi, count)
    radius = rng.uniform(ring[0], ring[1], count)
    xy = np.clip(
        pick + np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None], 1.0, (g.n - 2) * g.cell_m
    )
    i, j = g.cells(xy)
    xy = xy[~g.blocked[i, j] | (g.material[i, j] == MAT["road"])]
    out.add(
        np.full(len(xy), KIND[kind]),
        np.column_stack([xy, g.height(xy)]),
        rng.uniform(0, 2 * np.pi, len(xy)),
        rng.uniform(0.9, 1.1, len(xy)),
    )


def mark_footprints(
    blocked: np.ndarray, structures: list[Structure], cell_m: float, pad_m: float = 2.0
) -> None:
    n = blocked.shape[0]
    for s in structures:
        reach = (math.hypot(s.w, s.d) / 2 + pad_m) / cell_m
        ci, cj = s.y / cell_m, s.x / cell_m
        i0, i1 = max(0, int(ci - reach)), min(n, int(ci + reach) + 2)
        j0, j1 = max(0, int(cj - reach)), min(n, int(cj + reach) + 2)
        ii, jj = np.mgrid[i0:i1, j0:j1]
        dx, dy = jj * cell_m - s.x, ii * cell_m - s.y
        c, sn = math.cos(s.yaw), math.sin(s.yaw)
        u, v = np.abs(dx * c + dy * sn), np.abs(-dx * sn + dy * c)
        blocked[i0:i1, j0:j1] |= (u <= s.w / 2 + pad_m) & (v <= s.d / 2 + pad_m)
