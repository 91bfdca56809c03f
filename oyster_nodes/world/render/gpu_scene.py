"""A world's static content uploaded to the GL context once, plus per-frame culling and level of detail.

Terrain: the heightfield lives in a float texture; chunks of `chunk_cells` cells are drawn with one of a
few shared grid patches (strides 1, 2, 4, ... cells) picked per chunk from its projected cell size, with
skirts hiding cracks between levels. Instances: one table texture, one mesh per kind and level of detail,
and per-frame index lists of the visible instances. Structures, imported meshes and water: static buffers.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import moderngl
import numpy as np

from ..state.mesh_data import MeshSurface, mesh_surface
from ..state.mesh_data import key as mesh_key
from ..state.records import MAX_MESH_TEXTURES, MeshMaterial, MeshPlacement
from ..state.world_state import ANIMAL_KINDS, INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState, hash_arrays
from .albedo import TERRAIN_SRGB, ground_masks, lamp_pools, road_mask, rock_linear, terrain_albedo, terrain_normals
from .meshes import (
    BUILDERS,
    INSTANCE_HEIGHT,
    Mesh,
    grid_patch,
    instance_card,
    instance_mesh,
    instance_shadow_mesh,
    look_of,
    merge,
    structure_mesh,
)
from .meshes import water_mesh as build_water_mesh
from .wet import puddle_sites

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
VEGETATION = {"conifer", "broadleaf", "palm", "grass_tuft", "shrub", "flower", "cactus", "dead_tree", "vine", "crop"}
#: kinds too small to matter in the sun's shadow map
NO_SHADOW = {"grass_tuft", "flower"}
#: kinds whose meshes are open (leaves, blades): drawn from both sides; the others are culled to front faces
OPEN_MESH = {"palm", "grass_tuft", "flower"}
#: per kind, how its plants differ one from the next (plant.glsl u_vary): lean (m across per m up), squash (wider
#: and lower or narrower and taller), dry (a share turning towards straw)
PLANT_VARY = {"grass_tuft": (0.45, 0.3, 0.6), "shrub": (0.05, 0.35, 0.2), "flower": (0.25, 0.15, 0.0)}
#: levels of detail: 0 near, 1 far, 2 a camera-facing card (kinds that have one)
NEAR, FAR, CARD = 0, 1, 2
#: the level of the coarse mesh some kinds cast their shadows with (meshes.instance_shadow_mesh), never drawn
SHADOW = 3
STRIDES = (1, 2, 4, 8, 16)
#: how many world widths the land's mirror image continues past each border (see terrain.vert), in chunks
#: APRON_SCALE times the world's, drawn at these strides
APRON_WORLDS = 2
APRON_SCALE = 4
APRON_STRIDES = (1, 2, 4, 8, 16, 32, 64)
APRON_COARSER = 4.0
INST_TEX_W = 2048
#: texture units of an imported mesh's base colour, metallic-roughness and normal maps while it is drawn (the
#: post passes bind 8-12 only after the scene is drawn)
MESH_UNITS = (8, 9, 10)
#: a studio set's placed meshes (MeshPlacement.extra["role"]) -> the semantic class their pixels are
SET_PIECES = {"backdrop": "terrain", "stand": "structure"}
#: the passes of imported meshes' materials (user_mesh.frag's u_glass): the opaque ones; then the glass ones
#: three times: the light let through (multiplied over the colour), the light reflected (added), the ids
GLASS_OPAQUE, GLASS_FILTER, GLASS_SHINE, GLASS_IDS = 0, 1, 2, 3
#: per vertex of an imported mesh: position, normal (world), linear RGBA, uv, id
USER_MESH_FORMAT = ("3f 3f 4f 2f 1f", "in_pos", "in_nrm", "in_col", "in_uv", "in_id")


def placed_meshes(world: WorldState) -> list[MeshPlacement]:
    """The imported meshes the GPU copy draws: not those kept aside (only bodies are made of them)."""
    return [m for m in world.meshes if m.placed]


def _aside_keys(world: WorldState) -> set[str]:
    parts = ("v", "f", "n", "uv", "c", *(f"tex{k}" for k in range(MAX_MESH_TEXTURES)))
    return {mesh_key(m.id, p) for m in world.meshes if not m.placed for p in parts}


def static_hash(world: WorldState) -> str:
    """Hash of what the GPU copy depends on (terrain, water, instances, structures, paths, placed meshes): a
    world that gains a mesh kept aside (a mesh brought into Explore) keeps its GPU copy."""
    h = hashlib.blake2b(digest_size=16)
    aside = _aside_keys(world)
    meta = {
        "size": world.size_m,
        "cell": world.cell_m,
        "structures": [s.to_json() for s in world.structures],
        "paths": [p.to_json() for p in world.paths],
        "meshes": [m.to_json() for m in placed_meshes(world)],
        # the instance meshes' looks come from the spec (tree kinds, a car's paint and body)
        "looks": {name: look_of(world.spec or {}, name) for name in ("vehicle", "broadleaf", "conifer")}
        | {k: look_of(world.spec or {}, k) for k in ("vine", "vehicles", "flower", "boulder", "crop") if look_of(world.spec or {}, k)}
        | {k: BUILDERS["animal_looks"](world.spec or {}, k) for k in ANIMAL_KINDS
           if k in {INSTANCE_KINDS[int(i)] for i in np.unique(world.inst_kind) if int(i) < len(INSTANCE_KINDS)}},
    }
    h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    arrays = {
        "height": world.height_hw,
        "material": world.material_hw,
        "water": world.water_hw,
        "kind": world.inst_kind,
        "xyz": world.inst_xyz,
        "yaw": world.inst_yaw,
        "scale": world.inst_scale,
        "var": world.inst_var,
        **{f"mesh:{k}": v for k, v in world.mesh_arrays.items() if k not in aside},
    }
    hash_arrays(h, arrays)
    return h.hexdigest()




#: the terrain's programs (renderer.py VARIANTS): plain, with bodies' shadows, wet, both; each with a rock variant
TERRAIN_PROGRAMS = ("terrain", "terrain_blobs", "terrain_wet", "terrain_blobs_wet",
                    "terrain_rock", "terrain_blobs_rock", "terrain_wet_rock", "terrain_blobs_wet_rock")


@dataclass(slots=True)
class ChunkDraw:
    stride: int
    corner: tuple[int, int]
    distance: float
    apron: bool = False  # one of the larger chunks past the world's border
    faces: bool = False  # holds steep rock faces: drawn by the terrain program with their per-pixel detail


@dataclass(slots=True)
class MaterialDraw:
    """One material run of an imported mesh: a range of the index buffer, its factors and textures."""

    first: int
    count: int
    material: MeshMaterial
    textures: tuple[moderngl.Texture | None, moderngl.Texture | None, moderngl.Texture | None]
    #: the mesh's bounding sphere in the world (x, y, z, r)
    sphere: tuple[float, float, float, float]
    #: semantic class of its pixels (a studio's backdrop and stand are no imported product)
    sem: int = SEM["mesh"]


@dataclass
class LightSlot:
    """The sun's (or moon's) shadow map and the terrain light baked with it, for one light."""

    lightmap: moderngl.Texture
    lightmap_fbo: moderngl.Framebuffer
    shadow_tex: moderngl.Texture | None = None
    shadow_fbo: moderngl.Framebuffer | None = None
    shadow_vp: np.ndarray = field(default_factory=lambda: np.eye(4))
    shadow_texel: float = 1.0
    shadow_key: tuple | None = None
    bake_key: tuple | None = None


class GpuScene:
    """Static GPU resources for one world, and what to draw for a given camera."""

    def __init__(
        self,
        ctx: moderngl.Context,
        world: WorldState,
        programs: dict[str, moderngl.Program],
        chunk_cells: int,
        water_step: int,
    ) -> None:
        self.ctx, self.world, self.chunk_cells = ctx, world, chunk_cells
        self._own: list[Any] = []
        self._bounds = _world_bounds(world)
        n = world.n
        self.n_instances = int(len(world.inst_kind))
        self.height = self._keep(
            ctx.texture((n, n), 1, np.ascontiguousarray(world.height_hw, np.float32).tobytes(), dtype="f4")
        )
        self.height.repeat_x = self.height.repeat_y = False
        self.albedo = self._keep(ctx.texture((n, n), 4, terrain_albedo(world).tobytes()))
        self.albedo.repeat_x = self.albedo.repeat_y = False
        self.normals = self._keep(ctx.texture((n, n), 4, terrain_normals(world).tobytes()))
        _mipmapped(self.normals)
        self.lamps = self._keep(ctx.texture((n, n), 1, lamp_pools(world).tobytes()))
        #: r: sand (its fine ripples), g: snow ground (steep faces there are bare rock, snow on their ledges)
        self.sand = self._keep(ctx.texture((n, n), 2, ground_masks(world).tobytes()))
        self.lamps.repeat_x = self.lamps.repeat_y = False
        self._wet_site: Any = None
        #: shadow maps and the terrain's baked light (see bake_terrain.frag), rendered per light by the
        #: renderer: one slot for a light that holds still, a second while a changing light is blended
        self.slots: list[LightSlot] = [self.new_slot()]
        spec_terrain = str(world.spec.get("terrain", ""))
        self.strata = (0.62, 0.55, 0.5) if spec_terrain in TERRAIN_SRGB else (0.9, 0.9, 0.9)
        #: the linear albedo steep faces are drawn in (bake_terrain.frag, terrain.frag)
        self.rock_rgb = rock_linear(world.spec)
        finite_water = np.asarray(world.water_hw)[np.isfinite(world.water_hw)]
        sea = world.env.sea_level_m
        self.fog_base = float(
            sea if sea is not None else (finite_water.min() if finite_water.size else np.percentile(world.height_hw, 10))
        )
        self._build_terrain(programs)
        self._build_instances(programs)
        self._build_static_meshes(programs, water_step)

    def wet_site(self) -> Any:
        """The puddle sites texture (render/wet.py puddle_sites), made on first use (wet weather only)."""
        if self._wet_site is None:
            n = self.world.n
            data = puddle_sites(self.world, road_mask(self.world))
            self._wet_site = self._keep(self.ctx.texture((n, n), 2, data.tobytes()))
            self._wet_site.repeat_x = self._wet_site.repeat_y = False
        return self._wet_site

    def new_slot(self) -> LightSlot:
        n = self.world.n
        lightmap = self._keep(self.ctx.texture((n, n), 4))
        return LightSlot(lightmap=lightmap, lightmap_fbo=self._keep(self.ctx.framebuffer([lightmap])))

    def _keep(self, obj: Any) -> Any:
        self._own.append(obj)
        return obj

    def release(self) -> None:
        for obj in reversed(self._own):
            obj.release()
        self._own.clear()

    # --- terrain ------------------------------------------------------------------------------

    def _build_terrain(self, programs: dict[str, moderngl.Program]) -> None:
        w, c = self.world, self.chunk_cells
        cells = w.n - 1
        #: the world's own chunks (also drawn into the shadow maps), then the apron's, APRON_SCALE times larger:
        #: the land's mirror image continued APRON_WORLDS world widths past each border (see terrain.vert)
        self.chunks = [(j, i) for i in range(0, cells, c) for j in range(0, cells, c)]
        ac = c * APRON_SCALE
        # a world with open sea around it has the sea's apron instead (see _water_with_depth): mirrored land
        # would rise out of that sea
        self.apron = [] if _sea_apron_level(w) is not None else apron_chunks(cells, ac, APRON_WORLDS)
        h = np.asarray(w.height_hw, np.float32)
        # gentle chunks (85% of cells under ~27 degrees): their light varies slowly, so they may be drawn
        # coarser where the camera sees them at a grazing angle; steep ones (cliffs, canyon walls) may not
        gy, gx = np.gradient(h, w.cell_m)
        slope = np.hypot(gx, gy)
        steep = slope > 0.5
        # chunks with any rock face (slopes from about 35 degrees, see rock_face in lit.glsl) are drawn by the
        # terrain programs' ROCK_FACES variants; the rest skip that per-pixel work (a software rasterizer runs
        # both sides of a branch)
        facing = slope > 0.7
        rows, gentle, faces = [], [], []
        for (j, i), size in [(k, c) for k in self.chunks] + [(k, ac) for k in self.apron]:
            if size == c:
                part, tilt = h[i : i + c + 1, j : j + c + 1], steep[i : i + c + 1, j : j + c + 1]
                face = facing[i : i + c + 1, j : j + c + 1]
                x1, y1 = min(j + c, cells), min(i + c, cells)
            elif cells % ac:  # apron chunks straddle the folds: bound them by the whole world
                part, tilt, face, x1, y1 = h, steep, facing, j + ac, i + ac
            else:
                sj, si = mirrored_start(j, cells, ac), mirrored_start(i, cells, ac)
                part, tilt = h[si : si + ac + 1, sj : sj + ac + 1], steep[si : si + ac + 1, sj : sj + ac + 1]
                face = facing[si : si + ac + 1, sj : sj + ac + 1]
                x1, y1 = j + ac, i + ac
            rows.append([j * w.cell_m, i * w.cell_m, float(part.min()) - 20.0, x1 * w.cell_m, y1 * w.cell_m,
                         float(part.max())])
            gentle.append(float(tilt.mean()) < 0.15)
            faces.append(bool(face.any()))
        self.chunk_box = np.array(rows)
        self.chunk_gentle = np.array(gentle, bool)
        self.chunk_faces = np.array(faces, bool)
        self.chunk_corner = self.chunks + self.apron
        self.chunk_is_apron = np.r_[np.zeros(len(self.chunks), bool), np.ones(len(self.apron), bool)]
        self.patch_vaos: dict[tuple[str, int, bool], moderngl.VertexArray] = {}
        self.chunk_bufs: dict[tuple[int, bool], moderngl.Buffer] = {}
        self.patch_tris: dict[tuple[int, bool], int] = {}
        for apron, size, strides in ((False, c, STRIDES), (True, ac, APRON_STRIDES)):
            count = len(self.apron) if apron else len(self.chunks)
            if not count:
                continue
            for s in strides:
                verts, idx = grid_patch(size, s)
                vbo = self._keep(self.ctx.buffer(verts.tobytes()))
                ibo = self._keep(self.ctx.buffer(idx.tobytes()))
                inst = self._keep(self.ctx.buffer(reserve=count * 8))
                self.chunk_bufs[(s, apron)], self.patch_tris[(s, apron)] = inst, len(idx) // 3
                for key in (*TERRAIN_PROGRAMS, "terrain_shadow"):
                    self.patch_vaos[(key, s, apron)] = self._keep(
                        self.ctx.vertex_array(
                            programs[key],
                            [(vbo, "3f", "in_grid"), (inst, "2f/i", "in_chunk")],
                            index_buffer=ibo,
                            index_element_size=4,
                        )
                    )
        self.full_res_triangles = 2 * cells * cells

    def chunk_draws(
        self, planes: np.ndarray, cam_pos: np.ndarray, focal_px: float, terrain_px: float
    ) -> list[ChunkDraw]:
        """Visible chunks (the world's and the apron's), nearest first, each with the stride its on-screen
        cell size allows."""
        box = self.chunk_box
        visible = _boxes_in_frustum(box, planes)
        closest = np.clip(cam_pos[None, :], box[:, :3], box[:, 3:])
        dist = np.linalg.norm(closest - cam_pos[None, :], axis=1)
        ks = np.nonzero(visible)[0]
        allowed = terrain_px * dist[ks] / (self.world.cell_m * focal_px)
        # gentle ground seen at a grazing angle is squashed vertically on screen: its cells may be wider
        centre = 0.5 * (box[ks, :3] + box[ks, 3:])
        d = centre - cam_pos[None, :]
        sin_elev = np.abs(d[:, 2]) / np.maximum(np.linalg.norm(d, axis=1), 1e-6)
        allowed = np.where(self.chunk_gentle[ks], allowed / np.sqrt(np.clip(sin_elev, 0.25, 1.0)), allowed)
        allowed = np.maximum(allowed, 1.0)
        apron = self.chunk_is_apron[ks]
        allowed = np.where(apron, allowed * APRON_COARSER, allowed)  # the apron fades into haze: coarser cells
        top = np.where(apron, max(APRON_STRIDES), max(s for s in STRIDES if s <= self.chunk_cells))
        strides = np.minimum(2 ** np.floor(np.log2(allowed)), top).astype(int)  # the largest power of 2 allowed
        corners = self.chunk_corner
        order = sorted(range(len(ks)), key=lambda i: (dist[ks[i]], corners[ks[i]]))
        return [ChunkDraw(stride=int(strides[i]), corner=corners[ks[i]], distance=float(dist[ks[i]]),
                          apron=bool(apron[i]), faces=bool(self.chunk_faces[ks[i]]) and dist[ks[i]] < ROCK_DETAIL_M)
                for i in order]

    def draw_terrain(self, draws: list[ChunkDraw], key: str = "terrain") -> int:
        """Draw the chunks with program `key`, those holding rock faces with its rock variant where it has one."""
        tris = 0
        for group in self.chunk_bufs:
            s, apron = group
            rock = (key + "_rock", s, apron) in self.patch_vaos
            for faces in (False, True) if rock else (False,):
                name = key + "_rock" if faces else key
                corners = np.array([d.corner for d in draws if d.stride == s and d.apron == apron
                                    and (d.faces and rock) == faces], np.float32)
                if not len(corners):
                    continue
                self.chunk_bufs[group].write(corners.tobytes())
                vao = self.patch_vaos[(name, s, apron)]
                if "u_lod" in vao.program:
                    vao.program["u_lod"].value = int(round(math.log2(s)))
                vao.render(moderngl.TRIANGLES, instances=len(corners))
                tris += self.patch_tris[group] * len(corners)
        return tris

    # --- instances ----------------------------------------------------------------------------

    def _build_instances(self, programs: dict[str, moderngl.Program]) -> None:
        w = self.world
        n = self.n_instances
        kinds = np.asarray(w.inst_kind, np.int64).reshape(-1)
        xyz = np.asarray(w.inst_xyz, np.float64).reshape(-1, 3)
        scale = np.asarray(w.inst_scale, np.float64).reshape(-1) if n else np.zeros(0)
        var = (np.asarray(w.inst_var).reshape(-1).astype(np.uint64) * np.uint64(2654435761)) % np.uint64(
            1 << 32
        )
        var01 = var.astype(np.float64) / float(1 << 32)
        names = [INSTANCE_KINDS[k] if 0 <= k < len(INSTANCE_KINDS) else "rock" for k in kinds]
        heights = np.array([INSTANCE_HEIGHT.get(nm, 1.0) for nm in names]) * scale
        self.inst_center = xyz + np.c_[np.zeros((n, 2)), heights / 2]
        self.inst_radius = heights * 0.6
        self.inst_height = heights
        rows = max(1, math.ceil(2 * max(n, 1) / INST_TEX_W))
        table = np.zeros((rows * INST_TEX_W, 4), np.float32)
        if n:
            table[0 : 2 * n : 2] = np.c_[xyz, np.asarray(w.inst_yaw, np.float64).reshape(-1)]
            table[1 : 2 * n : 2] = np.c_[scale, var01, np.zeros((n, 2))]
        self.inst_table = self._keep(self.ctx.texture((INST_TEX_W, rows), 4, table.tobytes(), dtype="f4"))
        self.inst_table.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.kind_groups: dict[int, np.ndarray] = {}
        self.kind_vaos: dict[tuple[str, int, int], moderngl.VertexArray] = {}
        self.kind_bufs: dict[tuple[int, int], moderngl.Buffer] = {}
        self.kind_tris: dict[tuple[int, int], int] = {}
        for k, members, look in _look_groups(w, kinds):
            self.kind_groups[k] = members
            name = INSTANCE_KINDS[k % LOOK_KEY] if 0 <= k % LOOK_KEY < len(INSTANCE_KINDS) else "rock"
            meshes = {NEAR: instance_mesh(name, NEAR, look), FAR: instance_mesh(name, FAR, look),
                      CARD: instance_card(name, look), SHADOW: instance_shadow_mesh(name)}
            for lod, mesh in meshes.items():
                if mesh is None:
                    continue
                vbo = self._keep(self.ctx.buffer(mesh.interleaved().tobytes()))
                ibuf = self._keep(self.ctx.buffer(reserve=len(members) * 4))
                self.kind_bufs[(k, lod)], self.kind_tris[(k, lod)] = ibuf, mesh.triangles
                keys = ("instance_shadow",) if lod == SHADOW else ("instance",) if lod == CARD else (
                    "instance", "instance_shadow")
                for key in keys:
                    self.kind_vaos[(key, k, lod)] = self._keep(
                        self.ctx.vertex_array(
                            programs[key],
                            [
                                (vbo, "3f 3f 3f 1f", "in_pos", "in_nrm", "in_col", "in_part"),
                                (ibuf, "1u4/i", "in_index"),
                            ],
                            skip_errors=True,
                        )
                    )
        self.kind_names = {
            k: (INSTANCE_KINDS[k % LOOK_KEY] if 0 <= k % LOOK_KEY < len(INSTANCE_KINDS) else "rock")
            for k in self.kind_groups
        }

    def instance_lists(
        self,
        planes: np.ndarray,
        cam_pos: np.ndarray,
        fwd: np.ndarray,
        focal_px: float,
        min_px: float,
        lod_px: float,
        card_px: float = 0.0,
    ) -> dict[tuple[int, int], np.ndarray]:
        """Visible instance indices per (kind, lod), nearest first within each list: NEAR from `lod_px`
        pixels tall, CARD under `card_px` for kinds that have a card, FAR otherwise."""
        if not self.n_instances:
            return {}
        c, r = self.inst_center, self.inst_radius
        inside = np.all(c @ planes[:, :3].T + planes[:, 3] > -r[:, None], axis=1)
        depth = np.maximum((c - cam_pos) @ fwd, 1e-3)
        px = self.inst_height * focal_px / depth
        out = {}
        for k, members in self.kind_groups.items():
            keep = members[inside[members] & (px[members] >= min_px)]
            keep = keep[np.argsort(depth[keep], kind="stable")]
            size = px[keep]
            small = size < card_px if (k, CARD) in self.kind_tris else np.zeros(len(keep), bool)
            out[(k, NEAR)], out[(k, FAR)] = keep[size >= lod_px], keep[(size < lod_px) & ~small]
            out[(k, CARD)] = keep[small]
        return out

    def draw_instances(
        self,
        lists: dict[tuple[int, int], np.ndarray],
        prog: moderngl.Program,
        lod: int,
        key: str = "instance",
        cull: bool = False,
    ) -> int:
        """Draw one level of detail of the listed instances; with `cull`, closed meshes lose their back faces
        (the caller sets which winding is front)."""
        tris = 0
        members = frozenset(prog)  # once: a Program answers `in` by iterating its members
        for (k, lvl), idx in lists.items():
            if lvl != lod or not len(idx):
                continue
            plant = self.kind_names[k] in VEGETATION
            if "u_sem" in members:
                prog["u_sem"].value = SEM["vegetation"] if plant else SEM["animal"] if self.kind_names[k] in \
                    ANIMAL_KINDS else SEM["prop"]
            if "u_bend" in members:
                prog["u_bend"].value = 1.0 if plant else 0.0
            if "u_card" in members:
                prog["u_card"].value = 1.0 if lod == CARD else 0.0
            if "u_vary" in members:
                prog["u_vary"].value = PLANT_VARY.get(self.kind_names[k], (0.0, 0.0, 0.0))
            if cull and lod != CARD and self.kind_names[k] not in OPEN_MESH:
                self.ctx.enable(moderngl.CULL_FACE)
            else:
                self.ctx.disable(moderngl.CULL_FACE)
            self.kind_bufs[(k, lod)].write(np.ascontiguousarray(idx, np.uint32).tobytes())
            self.kind_vaos[(key, k, lod)].render(moderngl.TRIANGLES, instances=len(idx))
            tris += self.kind_tris[(k, lod)] * len(idx)
        return tris

    def all_instances(self, lod: int) -> dict[tuple[int, int], np.ndarray]:
        """Every instance that casts a shadow, at `lod`, or at SHADOW for kinds with a mesh of their own for that."""
        return {(k, SHADOW if (k, SHADOW) in self.kind_tris else lod): m for k, m in self.kind_groups.items()
                if self.kind_names[k] not in NO_SHADOW}

    # --- structures, imported meshes, water ----------------------------------------------------

    def _build_static_meshes(self, programs: dict[str, moderngl.Program], water_step: int) -> None:
        w = self.world
        first = self.n_instances + 1
        parts = [(structure_mesh(s), first + i) for i, s in enumerate(w.structures)]
        self.structure_ids = (first, first + len(w.structures) - 1)
        first += len(w.structures)
        meshes = placed_meshes(w)
        self.mesh_ids = (first, first + len(meshes) - 1)
        self._build_user_meshes(programs, first)
        self.next_id = first + len(meshes)
        self.static_vaos: dict[str, tuple[moderngl.VertexArray, moderngl.VertexArray, int]] = {}
        backdrop = [(_backdrop_mesh(w, m, first + i), first + i) for i, m in enumerate(meshes)
                    if m.extra.get("role") == "backdrop"]
        for name, items in (("structure", parts), ("backdrop", backdrop)):
            data = _with_ids(items)
            if data is None:
                continue
            vbo = self._keep(self.ctx.buffer(data.tobytes()))
            fmt = (vbo, "3f 3f 3f 1f 1f", "in_pos", "in_nrm", "in_col", "in_part", "in_id")
            self.static_vaos[name] = (
                self._keep(self.ctx.vertex_array(programs["mesh"], [fmt], skip_errors=True)),
                self._keep(self.ctx.vertex_array(programs["mesh_shadow"], [fmt], skip_errors=True)),
                len(data) // 3,
            )
        water = _water_with_depth(w, build_water_mesh(np.asarray(w.water_hw, np.float32), w.cell_m, water_step))
        self.water_tris = len(water) // 3
        self.water_vao = None
        self.water_runs = _water_runs(water)
        if self.water_tris:
            vbo = self._keep(self.ctx.buffer(water.tobytes()))
            self.water_vao = self._keep(
                self.ctx.vertex_array(programs["water"], [(vbo, "3f 1f", "in_pos", "in_depth")], skip_errors=True)
            )

    def draw_water(self, planes: np.ndarray) -> int:
        """Draw the runs of water triangles whose boxes are in the frustum `planes` (in the buffer's order, so
        the picture is the one the whole buffer gives); the triangles drawn."""
        if self.water_vao is None:
            return 0
        tris = 0
        for first, vertices in self.water_draws(planes):
            self.water_vao.render(moderngl.TRIANGLES, vertices=vertices, first=first)
            tris += vertices // 3
        return tris

    def water_draws(self, planes: np.ndarray) -> list[tuple[int, int]]:
        """(first vertex, vertex count) of each stretch of consecutive water runs inside the frustum."""
        first, count, box = self.water_runs
        visible = _boxes_in_frustum(box, planes)
        out: list[tuple[int, int]] = []
        for k in np.nonzero(visible)[0].tolist():
            start, end = int(first[k]), int(first[k] + count[k])
            if out and out[-1][0] + out[-1][1] == start:  # joins the stretch before
                out[-1] = (out[-1][0], end - out[-1][0])
            else:
                out.append((start, end - start))
        return out

    def _build_user_meshes(self, programs: dict[str, moderngl.Program], first_id: int) -> None:
        """Imported meshes: one vertex and index buffer for all, their textures, one draw per material run."""
        self.material_draws: list[MaterialDraw] = []
        self.user_vao: moderngl.VertexArray | None = None
        self.user_shadow_vao: moderngl.VertexArray | None = None
        self.user_prog = programs["user_mesh"]
        rows, indices, base = [], [], 0
        for i, m in enumerate(placed_meshes(self.world)):
            surface = mesh_surface(self.world.mesh_arrays, m)
            if surface is None or m.extra.get("role") == "backdrop":  # drawn as a static mesh (_backdrop_mesh)
                continue
            data = _placed_rows(surface, m, first_id + i)
            rows.append(data)
            indices.append(surface.faces_f3.astype(np.uint32) + np.uint32(base))
            textures = [self._mesh_texture(t) for t in surface.textures]
            sphere = _sphere(data[:, :3])
            sem = SEM[SET_PIECES.get(str(m.extra.get("role", "")), "mesh")]
            offset = 3 * sum(len(f) for f in indices[:-1])
            for mat in surface.materials:
                maps = tuple(textures[k] if 0 <= k < len(textures) else None
                             for k in (mat.base_texture, mat.mr_texture, mat.normal_texture))
                self.material_draws.append(MaterialDraw(first=offset + 3 * mat.first_face, count=3 * mat.faces,
                                                        material=mat, textures=maps, sphere=sphere,  # type: ignore[arg-type]
                                                        sem=sem))
            base += len(data)
        self.user_tris = sum(len(f) for f in indices)
        if not rows:
            return
        vbo = self._keep(self.ctx.buffer(np.ascontiguousarray(np.concatenate(rows), np.float32).tobytes()))
        ibo = self._keep(self.ctx.buffer(np.ascontiguousarray(np.concatenate(indices)).tobytes()))
        self.user_vao = self._keep(self.ctx.vertex_array(
            self.user_prog, [(vbo, *USER_MESH_FORMAT)], index_buffer=ibo, index_element_size=4, skip_errors=True))
        self.user_shadow_vao = self._keep(self.ctx.vertex_array(
            programs["mesh_shadow"], [(vbo, "3f 40x", "in_pos")], index_buffer=ibo, index_element_size=4,
            skip_errors=True))
        for name, unit in zip(("u_base_tex", "u_mr_tex", "u_normal_tex"), MESH_UNITS, strict=True):
            if name in self.user_prog:
                self.user_prog[name].value = unit

    def _mesh_texture(self, rgba_hw4: np.ndarray) -> moderngl.Texture:
        h, w = rgba_hw4.shape[:2]
        tex = self._keep(self.ctx.texture((w, h), 4, np.ascontiguousarray(rgba_hw4[::-1]).tobytes()))
        tex.build_mipmaps()
        tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        tex.anisotropy = 8.0
        return tex

    def draw_user_meshes(self, planes: np.ndarray | None = None, sem: int | None = None, *,
                         glass: int = GLASS_OPAQUE) -> int:
        """Draw the imported meshes inside the frustum `planes`, material by material: the opaque materials, or
        with `glass` one of the passes of the glass ones (GLASS_FILTER, GLASS_SHINE, GLASS_IDS; see draw_glass)."""
        if self.user_vao is None:
            return 0
        prog, tris = self.user_prog, 0
        if "u_glass" in prog:
            prog["u_glass"].value = glass
        for d in self.material_draws:
            if d.material.is_glass != (glass != GLASS_OPAQUE):
                continue
            if planes is not None and not _sphere_visible(d.sphere, planes):
                continue
            prog["u_sem"].value = d.sem if sem is None else sem
            m = d.material
            values = {"u_base": m.base_color, "u_metallic": m.metallic, "u_roughness": m.roughness,
                      "u_emissive": m.emissive, "u_normal_scale": m.normal_scale, "u_transmission": m.transmission,
                      "u_maps": sum(bit for bit, t in zip((1, 2, 4), d.textures, strict=True) if t is not None)}
            for name, value in values.items():
                if name in prog:
                    prog[name].value = value
            for tex, unit in zip(d.textures, MESH_UNITS, strict=True):
                if tex is not None:
                    tex.use(unit)
            self.user_vao.render(moderngl.TRIANGLES, vertices=d.count, first=d.first)
            tris += d.count // 3
        return tris

    @property
    def has_glass(self) -> bool:
        return any(d.material.is_glass for d in self.material_draws)

    def draw_glass(self, planes: np.ndarray, fbo: moderngl.Framebuffer) -> int:
        """Glass over what is drawn (the sky included), order-independent: every glass face multiplies the colour
        behind it by the light it lets through (tinted by its colour, less at grazing angles), then adds the
        light it reflects; the depth test keeps what is in front of it, and no depth is written meanwhile. Last,
        the nearest glass faces write depth, normal, instance and semantic ids (a glass pixel is the glass)."""
        if not self.has_glass:
            return 0
        ctx, n = self.ctx, len(fbo.color_attachments)
        ctx.disable(moderngl.CULL_FACE)
        ctx.enable(moderngl.BLEND)
        fbo.depth_mask = False
        fbo.color_mask = ((True,) * 4,) + ((False,) * 4,) * (n - 1)
        ctx.blend_func = moderngl.ZERO, moderngl.SRC_COLOR
        tris = self.draw_user_meshes(planes, glass=GLASS_FILTER)
        ctx.blend_func = moderngl.ONE, moderngl.ONE
        tris += self.draw_user_meshes(planes, glass=GLASS_SHINE)
        ctx.disable(moderngl.BLEND)
        fbo.depth_mask = True
        fbo.color_mask = ((False,) * 4,) + ((True,) * 4,) * (n - 1)
        tris += self.draw_user_meshes(planes, glass=GLASS_IDS)
        fbo.color_mask = ((True,) * 4,) * n
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        return tris

    def draw_static(self, name: str, shadow: bool = False) -> int:
        if name == "mesh":
            if shadow and self.user_shadow_vao is not None:
                self.user_shadow_vao.render(moderngl.TRIANGLES)
                return self.user_tris
            return self.draw_user_meshes() if not shadow else 0
        if name not in self.static_vaos:
            return 0
        vao, vao_shadow, tris = self.static_vaos[name]
        (vao_shadow if shadow else vao).render(moderngl.TRIANGLES)
        return tris

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """World axis-aligned bounding box including tall things (computed once: the world never changes)."""
        lo, hi = self._bounds
        return lo.copy(), hi.copy()


#: instance groups of one kind drawn with different looks get keys kind + LOOK_KEY * look index
LOOK_KEY = 1000


def _look_groups(w: WorldState, kinds: np.ndarray) -> list[tuple[int, np.ndarray, str]]:
    """(group key, member indices, look) per instance kind; a prompt's named vehicles ("a red pickup and a blue
    sedan") each get their own look, the n-th vehicle the n-th named one's (round again past the last)."""
    out = []
    named = look_of(w.spec or {}, "vehicles").split("|") if look_of(w.spec or {}, "vehicles") else []
    for k in sorted(set(kinds.tolist())):
        members = np.nonzero(kinds == k)[0].astype(np.uint32)
        name = INSTANCE_KINDS[k] if 0 <= k < len(INSTANCE_KINDS) else "rock"
        if name == "vehicle" and named:
            order = np.arange(len(members)) % len(named)
            out += [(k + LOOK_KEY * j, members[order == j], look) for j, look in enumerate(named) if (order == j).any()]
        elif name in ANIMAL_KINDS:  # a herd in its coats and poses (render/animals.py), by each animal's variation
            looks = BUILDERS["animal_looks"](w.spec or {}, name)
            order = np.asarray(w.inst_var).reshape(-1)[members].astype(np.int64) % len(looks)
            if len({look.split(":")[0] for look in looks}) > 1 and len(BUILDERS["animal_coats"](
                    str((w.spec or {}).get("text", "")), name)) > 1:  # coats named in turn: "a black horse and a white"
                order = np.arange(len(members), dtype=np.int64) % len(looks)
            out += [(k + LOOK_KEY * j, members[order == j], look) for j, look in enumerate(looks) if (order == j).any()]
        else:
            out.append((k, members, look_of(w.spec or {}, name)))
    return out


def _world_bounds(w: WorldState) -> tuple[np.ndarray, np.ndarray]:
    """A world's axis-aligned bounding box including tall things (a studio's: its set, see _set_bounds)."""
    if w.env.extra.get("studio") and any(m.extra.get("role") == "stand" for m in w.meshes):
        return _set_bounds(w)
    top = float(np.nanmax(w.height_hw)) + 40.0
    tops = [s.z + s.h for s in w.structures]
    if tops:
        top = max(top, max(tops) + 2.0)
    lo = np.array([0.0, 0.0, float(np.nanmin(w.height_hw)) - 25.0])
    return lo, np.array([w.size_m, w.size_m, top])


def apron_chunks(cells: int, size: int, worlds: int) -> list[tuple[int, int]]:
    """Corners of chunks of `size` cells that cover `worlds` world widths past each border of a world of
    `cells` cells, and not the world itself (they start at its borders and step outward)."""
    reach = worlds * cells
    below = list(range(-size, -reach - 1, -size))
    inside = list(range(0, cells, size))
    above = list(range(cells, cells + reach, size))
    steps = below[::-1] + inside + above
    return [(j, i) for i in steps for j in steps if not (0 <= j < cells and 0 <= i < cells)]


def mirrored_start(x: int, cells: int, size: int) -> int:
    """First cell of the world's range whose mirror image an apron chunk from cell `x` (`size` cells, which
    divides the world's `cells`) shows."""
    q = x % (2 * cells)
    return q if q < cells else 2 * cells - q - size


def _mipmapped(tex: moderngl.Texture) -> None:
    tex.repeat_x = tex.repeat_y = False
    tex.build_mipmaps()
    tex.filter = (moderngl.LINEAR_MIPMAP_NEAREST, moderngl.LINEAR)


def _water_with_depth(world: WorldState, tris: np.ndarray) -> np.ndarray:
    """Water triangles (N x 3) as N x 4 rows: position and depth above the bed; plus an apron of open sea
    out to the horizon when the world has a sea level and sea along its border."""
    tris = np.asarray(tris, np.float32).reshape(-1, 3)
    sea = _sea_apron_level(world)
    if sea is not None:
        tris = np.concatenate([tris, _sea_apron(world.size_m, sea)])
    n, cell = world.n, world.cell_m
    j = np.clip(np.round(tris[:, 0] / cell), 0, n - 1).astype(np.int64)
    i = np.clip(np.round(tris[:, 1] / cell), 0, n - 1).astype(np.int64)
    inside = (tris[:, 0] >= 0) & (tris[:, 0] <= world.size_m) & (tris[:, 1] >= 0) & (tris[:, 1] <= world.size_m)
    depth = np.where(inside, tris[:, 2] - np.asarray(world.height_hw, np.float32)[i, j], 50.0)
    rows = np.c_[tris, np.clip(depth, 0.0, 200.0)].astype(np.float32)
    if sea is None and len(rows):
        rows = np.concatenate([rows, _mirrored_water(rows, world.size_m)])
    return rows


#: water triangles per run culled against the frustum as one (see GpuScene.draw_water)
WATER_RUN = 64


def _water_runs(rows: np.ndarray, run: int = WATER_RUN) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The water buffer's rows (3 per triangle) as runs of `run` triangles: first vertex, vertex count and the
    run's box (x0, y0, z0, x1, y1, z1)."""
    tris = len(rows) // 3
    first = np.arange(0, tris, run, dtype=np.int64) * 3
    count = np.minimum(tris * 3 - first, run * 3)
    pos = np.asarray(rows, np.float64)[:, :3] if len(rows) else np.zeros((0, 3))
    box = np.array([np.r_[pos[a:a + c].min(axis=0), pos[a:a + c].max(axis=0)] for a, c in zip(first, count, strict=True)])
    return first, count, box.reshape(-1, 6)


def _sea_apron_level(world: WorldState) -> float | None:
    """Sea level when the world has a sea level and sea along most of its border (open sea to the horizon
    around it), else None."""
    sea = world.env.sea_level_m
    border = np.concatenate([world.water_hw[0], world.water_hw[-1], world.water_hw[:, 0], world.water_hw[:, -1]])
    return float(sea) if sea is not None and np.mean(np.isfinite(border)) > 0.5 else None


def _mirrored_water(tris: np.ndarray, size: float) -> np.ndarray:
    """The water's rows (position, depth) mirrored into the eight worlds around this one (the nearest ring of
    the terrain's apron, see terrain.vert), each triangle's winding kept."""
    out = []
    for a in (-1, 0, 1):
        for b in (-1, 0, 1):
            if a == 0 and b == 0:
                continue
            t = tris.copy()
            if a:
                t[:, 0] = (a + 1) * size - t[:, 0]
            if b:
                t[:, 1] = (b + 1) * size - t[:, 1]
            if (a != 0) != (b != 0):  # one reflection flips the winding
                t = t.reshape(-1, 3, 4)[:, ::-1].reshape(-1, 4)
            out.append(t)
    return np.concatenate(out)


def _sea_apron(size: float, level: float, reach: float = 20000.0) -> np.ndarray:
    """Four quads around the world's square reaching `reach` metres out, at sea level."""
    inner = np.array([[0, 0], [size, 0], [size, size], [0, size]], np.float64)
    outer = np.array([[-reach, -reach], [size + reach, -reach], [size + reach, size + reach], [-reach, size + reach]])
    quads = []
    for k in range(4):
        a, b, c, d = inner[k], inner[(k + 1) % 4], outer[(k + 1) % 4], outer[k]
        quads += [a, d, c, a, c, b]
    pts = np.array(quads)
    return np.c_[pts, np.full(len(pts), level)].astype(np.float32)


def _with_ids(items: list[tuple[Mesh, int]]) -> np.ndarray | None:
    items = [(m, i) for m, i in items if m.triangles]
    if not items:
        return None
    merged = merge([m for m, _ in items])
    ids = np.concatenate([np.full(len(m.pos), i, np.float32) for m, i in items])
    return merged.interleaved(ids)


def _backdrop_mesh(w: WorldState, m: MeshPlacement, mesh_id: int) -> Mesh:
    """A studio's backdrop as a structure-like mesh: a matte surface over most of the frame is drawn by the
    structures' simple program (diffuse light and shadows), not the per-pixel materials of imported meshes.
    Colours are its vertex colours times its material's, divided by the program's per-id variation."""
    surface = mesh_surface(w.mesh_arrays, m)
    if surface is None:
        return Mesh()
    rows = _placed_rows(surface, m, mesh_id)
    idx = surface.faces_f3.reshape(-1)
    base = np.asarray(surface.materials[0].base_color[:3] if surface.materials else (1.0, 1.0, 1.0), np.float32)
    var = 0.85 + 0.3 * ((mesh_id * 0.618034) % 1.0)
    col = rows[idx, 6:9] * base / np.float32(var)
    return Mesh(pos=rows[idx, 0:3], nrm=rows[idx, 3:6], col=col.astype(np.float32),
                part=np.zeros(len(idx), np.float32))


#: how far around a studio's stand its shadows are kept (m): the stand's own shadow on the floor
SET_SHADOW_REACH_M = 1.6


def _set_bounds(w: WorldState) -> tuple[np.ndarray, np.ndarray]:
    """A studio's stand and product (not its backdrop), and the floor around them: the box the key light's
    shadow map covers, so a product a few centimetres across casts a sharp shadow."""
    pieces = [m for m in placed_meshes(w) if m.extra.get("role") != "backdrop"]
    centre = np.array(next(m.pos for m in pieces if m.extra.get("role") == "stand"), np.float64)
    half = max(m.extent_m * m.scale for m in pieces) / 2 + SET_SHADOW_REACH_M
    top = max(m.pos[2] + m.extent_m * m.scale for m in pieces) + 0.3
    return (np.array([centre[0] - half, centre[1] - half, -0.1]),
            np.array([centre[0] + half, centre[1] + half, top]))


def _placed_rows(surface: MeshSurface, m: MeshPlacement, mesh_id: int) -> np.ndarray:
    """float32 rows of USER_MESH_FORMAT: the surface scaled, turned by its yaw and moved to its place."""
    c, s = math.cos(m.yaw), math.sin(m.yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    pos = (surface.vertices_v3.astype(np.float64) * m.scale) @ rot.T + np.asarray(m.pos)
    nrm = surface.normals_v3.astype(np.float64) @ rot.T
    uv = surface.uv_v2 if surface.uv_v2 is not None else np.zeros((len(pos), 2))
    ids = np.full((len(pos), 1), mesh_id, np.float64)
    return np.concatenate([pos, nrm, surface.colors_v4, uv, ids], axis=1).astype(np.float32)


def _sphere(points_n3: np.ndarray) -> tuple[float, float, float, float]:
    lo, hi = points_n3.min(axis=0).astype(np.float64), points_n3.max(axis=0).astype(np.float64)
    c = (lo + hi) / 2
    return (float(c[0]), float(c[1]), float(c[2]), float(np.linalg.norm(hi - lo) / 2))


def _sphere_visible(sphere: tuple[float, float, float, float], planes: np.ndarray) -> bool:
    x, y, z, r = sphere
    return bool(np.all(planes[:, :3] @ np.array([x, y, z]) + planes[:, 3] > -r))


def frustum_planes(viewproj: np.ndarray) -> np.ndarray:
    """Six inward planes (a, b, c, d), normalised, from a view-projection matrix."""
    m = viewproj
    planes = np.array([m[3] + m[0], m[3] - m[0], m[3] + m[1], m[3] - m[1], m[3] + m[2], m[3] - m[2]])
    return planes / np.linalg.norm(planes[:, :3], axis=1, keepdims=True)


#: rock faces nearer than this (m) get their per-pixel cracks and ledges (terrain.frag ROCK_FACES); farther ones
#: keep the baked plain rock of their face (a few pixels a ledge there, and the frame's cost is in its pixels)
ROCK_DETAIL_M = 450.0


def _boxes_in_frustum(box: np.ndarray, planes: np.ndarray) -> np.ndarray:
    lo, hi = box[:, None, :3], box[:, None, 3:]
    normals = planes[None, :, :3]
    p = np.where(normals > 0, hi, lo)  # the corner furthest along each plane normal
    return np.all(np.sum(p * normals, axis=2) + planes[None, :, 3] >= 0, axis=1)
