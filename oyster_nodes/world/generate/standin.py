"""A product named outdoors, shown by a stand-in at the setting its prompt names.

"a glass bottle of olive oil on a stone wall overlooking olive groves", "a sneaker on a log in a pine forest":
the spec's `product` (prompt/studio.py outdoor_product) names the product, its colour and what it rests on.
The stand-in is the studio's own product model (generate/studio.py), set on its support (a rock, a stretch of
stone wall, a log, a table, or the ground) at the edge of the named setting the way an imported product is
(edit/setting.py), its front towards the land, so that the default framing shoots it large with the setting
behind. An imported product replaces the stand-in and its support (`remove_stand_in`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.spatial import cKDTree

from ..edit.setting import set_on_rock, setting_spot
from ..state.mesh_data import key
from ..state.records import MeshPlacement
from ..state.world_state import INSTANCE_KINDS, WorldState
from . import studio as sd

#: the product's front faces -Y in its own frame (generate/studio.py, glTF's convention)
FRONT = -math.pi / 2
#: a stretch of wall (length at least, depth, height in m), sunk this far into the ground
WALL_M, WALL_SINK_M = (1.8, 0.5, 0.85), 0.25
#: a log: length (m) and radius (at least, and per metre of the product's footprint)
LOG_M, LOG_R = 2.2, (0.13, 0.45)
#: searched around the world's centre for dry, gentle ground when the prompt names no setting, with nothing
#: but grass and flowers nearer than FREE_M (m)
GENTLE, FREE_M = 0.3, 4.0
#: the land's fall is read over this distance (m) either side of the product
FALL_M = 30.0


def place_stand_in(world: WorldState) -> WorldState:
    """The world with the stand-in product of its spec (and its support) at its setting; unchanged without one."""
    want = (world.spec or {}).get("product") or {}
    if not want.get("product"):
        return world
    seed = world.seed
    parts, looks = sd.product_parts(want["product"], want.get("product_color", ""), want.get("finish", ""), seed)
    product = sd.build("standin", parts, looks)
    v = product.arrays[key("standin", "v")]
    foot = float(np.ptp(v[:, :2], axis=0).max())
    x, y = _dry_spot(world)
    spot = setting_spot(world, x, y)
    toward = _downhill(world, x, y)  # no setting named: the land falling away behind the product
    if spot is not None:
        x, y, toward = spot.x, spot.y, spot.toward
    face = math.atan2(-toward[1], -toward[0]) if toward else -math.pi / 2  # the front towards the land
    yaw = face - FRONT + math.radians(sd.PRODUCT_YAW.get(want["product"], 0.0))
    ground = _lowest(world, x, y, 0.6 * foot + 0.1)
    support = want.get("support", "rock")
    surface = want.get("support_surface") or sd.sw.SUPPORT_SURFACE.get(support, "") or "stone"
    meshes, arrays = list(world.meshes), dict(world.mesh_arrays)
    extra: dict[str, object] = {"role": "product", "stand_in": True}
    if support == "rock":
        world, top = set_on_rock(world, v, x, y, ground, 1.0)
        extra["support_inst"] = len(world.inst_kind) - 1
    elif support == "ground":
        top = ground
    else:
        built, top, reach = _support_mesh(support, surface, foot, seed)
        base = _lowest(world, x, y, reach) - (WALL_SINK_M if support == "wall" else 0.0)
        top += base
        along = face + math.pi / 2  # a wall's or a log's length across the view, a table square to it
        meshes.append(_placement("standin_support", f"stand-in {support}", built, (x, y, base), along,
                                 role="stand", stand_in=True))
        arrays.update({k.replace("mesh_stand_", "mesh_standin_support_"): a for k, a in built.arrays.items()})
    if top > ground:
        extra["seat_m"] = round(top - ground, 4)
    if spot is not None:
        extra["setting"] = spot.setting
    if toward:
        extra["toward"] = [round(c, 5) for c in toward]
    name = f"stand-in {want['product'].replace('_', ' ')}"
    meshes.append(_placement("standin", name, product, (x, y, round(top, 4)), yaw, **extra))
    arrays.update(product.arrays)
    return dataclasses.replace(world, meshes=meshes, mesh_arrays=arrays)


def remove_stand_in(world: WorldState) -> WorldState:
    """The world without its stand-in product and the support built for it (an imported product replaces them)."""
    gone = [m for m in world.meshes if m.extra.get("stand_in")]
    if not gone:
        return world
    ids = {m.id for m in gone}
    arrays = {k: a for k, a in world.mesh_arrays.items() if not any(k.startswith(f"mesh_{i}_") for i in ids)}
    out = dataclasses.replace(world, meshes=[m for m in world.meshes if m.id not in ids], mesh_arrays=arrays)
    hero = next((m for m in gone if isinstance(m.extra.get("support_inst"), int)), None)
    at = int(hero.extra["support_inst"]) if hero is not None else len(out.inst_kind)
    if (at < len(out.inst_kind) and int(out.inst_kind[at]) == INSTANCE_KINDS.index("rock")
            and np.allclose(out.inst_xyz[at, :2], hero.pos[:2], atol=0.01)):  # the rock it rested on
        keep = np.arange(len(out.inst_kind)) != at
        out = dataclasses.replace(out, **{f: getattr(out, f)[keep] for f in
                                         ("inst_kind", "inst_xyz", "inst_yaw", "inst_scale", "inst_var")})
    return out


def _support_mesh(support: str, surface: str, foot: float, seed: int) -> tuple[sd.Built, float, float]:
    """The support's mesh (built as 'stand'), the height of its top and the radius it covers (m)."""
    look = sd.surface_look(surface if surface in sd.SURFACE_LOOK else "stone", "", seed)
    base = sd.Look(rgb=(0.3, 0.22, 0.15), roughness=0.8)
    if support == "wall":
        w, d, h = max(WALL_M[0], 6.0 * foot), WALL_M[1], WALL_M[2]
        parts = [sd.box(w, d, h, "surface", tile_m=0.8, steps=4)]
        return sd.build("stand", parts, {"surface": look}), h, 0.5 * d
    if support == "log":
        r = max(LOG_R[0], LOG_R[1] * foot)
        prof = [(0.0, 0.0), (r, 0.0), (r, 0.0), (r, LOG_M), (r, LOG_M), (0.0, LOG_M)]
        log = sd.lathe(prof, "surface", segments=24).moved(sd.ALONG_X, (-LOG_M / 2, 0.0, 0.8 * r))
        bark = sd.surface_look("wood", "", seed)
        return sd.build("stand", [log], {"surface": bark}), 1.8 * r, 0.5 * r
    parts, top, _ = sd.stand_parts("table", foot)
    return sd.build("stand", parts, {"surface": look, "base": base}), top, 0.4


def _placement(mesh_id: str, name: str, built: sd.Built, pos: tuple[float, float, float], yaw: float,
               **extra: object) -> MeshPlacement:
    return MeshPlacement(id=mesh_id, name=name, pos=tuple(float(c) for c in pos), yaw=float(yaw), scale=1.0,
                         vertices=built.vertices, faces=built.faces, extent_m=built.extent_m,
                         materials=built.materials, facing_yaw=round(float(yaw) + FRONT, 6), extra=dict(extra))


def _lowest(world: WorldState, x: float, y: float, r: float) -> float:
    """The lowest terrain within r (m) of (x, y): nothing set there floats."""
    pts = [(x + r * math.cos(a), y + r * math.sin(a)) for a in np.radians(np.arange(0.0, 360.0, 45.0))]
    return round(min(world.height_at(px, py) for px, py in [(x, y), *pts]), 4)


def _dry_spot(world: WorldState) -> tuple[float, float]:
    """The dry, gentle ground nearest the world's centre."""
    step = max(1, world.n // 128)
    h = world.height_hw[::step, ::step]
    gy, gx = np.gradient(h, step * world.cell_m)
    ok = ~np.isfinite(world.water_hw[::step, ::step]) & (np.hypot(gx, gy) < GENTLE)
    ii, jj = np.indices(h.shape)
    c = (h.shape[0] - 1) / 2
    gx_m, gy_m = jj * step * world.cell_m, ii * step * world.cell_m
    low = [INSTANCE_KINDS.index(k) for k in ("grass_tuft", "flower")]
    xy = world.inst_xyz[~np.isin(world.inst_kind, low), :2].astype(np.float64)
    if len(xy):
        d, _ = cKDTree(xy).query(np.column_stack([gx_m.ravel(), gy_m.ravel()]), distance_upper_bound=FREE_M)
        free = ~np.isfinite(d).reshape(h.shape)
        ok = ok & free if (ok & free).any() else ok
    dist = np.where(ok, np.hypot(ii - c, jj - c), np.inf)
    i, j = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return float(gx_m[i, j]), float(gy_m[i, j])


def _downhill(world: WorldState, x: float, y: float) -> tuple[float, float]:
    """The way the land falls from (x, y) (unit xy; +y on the flat)."""
    gx = world.height_at(x + FALL_M, y) - world.height_at(x - FALL_M, y)
    gy = world.height_at(x, y + FALL_M) - world.height_at(x, y - FALL_M)
    n = math.hypot(gx, gy)
    return (0.0, 1.0) if n < 1e-6 else (-gx / n, -gy / n)
