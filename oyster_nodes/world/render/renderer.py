"""The rasterizer: WorldState + Camera → Image with rgb, metric depth, normals, instance and semantic ids.

One code path on CPU (Mesa llvmpipe) and GPU (NVIDIA EGL): moderngl over a headless EGL context. A
Renderer keeps its GL context and, per world (keyed by a hash of its static content), the uploaded
terrain, instances, structures, water, the sun's shadow map and the terrain's baked light, so many cameras
render without uploads.

Forward, into every pass at once: each fragment writes colour, metric depth, normal, instance id and
semantic id (multiple render targets), drawn nearest first so early depth tests skip hidden work. What is
expensive per pixel is done once per world and light instead: the terrain's light (soft sun shadows, ambient
occlusion, ground detail, snow) is baked into a texture in the terrain's own texture space and fetched per
vertex; instances are lit per vertex; only structures and water are lit per pixel. The projection is flipped
vertically so the framebuffer's first row is the image's top row. With supersampling (the GPU default) a
resolve pass averages colour over ss x ss samples while ids, depth and normal come from one sample, so ids
are never blended; without it a post pass smooths edges. Falling rain and snow (weather.py, precip.glsl)
are laid over the colour in that post pass, or blended before the resolve, in front of what the depth pass
holds; the fog's base follows the low ground around the camera's subject (weather.fog_ground). Glass (imported
meshes' materials with transmission) is drawn after the sky over what is behind it (GpuScene.draw_glass); in the
depth, normal and id passes a glass pixel is the nearest glass surface.

Ids in `instance_hw`: 0 none; 1..N scattered instances (index + 1); then structures, then imported
meshes, then the frame's bodies and agents, in list order (the ranges are in Image.info["id_ranges"]).
Bodies and agents (see dynamic.py) are drawn from a small instance table uploaded per frame, so moving
them re-uploads nothing static; env.sway and env.time_s bend vegetation in instance.vert. Worlds
are treated as immutable: arrays changed in place are not noticed; pass a new WorldState instead.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import moderngl
import numpy as np

from ...components import ComponentSpec
from ...types import Image
from ..geometry.camera import Camera
from ..state.records import Env
from ..state.world_state import SEMANTIC_CLASSES, WorldState
from .dynamic import ROW, SHAPES, dynamic_rows, unit_box, unit_round
from .gpu_scene import (
    APRON_WORLDS,
    CARD,
    FAR,
    NEAR,
    SEM,
    SHADOW,
    TERRAIN_PROGRAMS,
    ChunkDraw,
    GpuScene,
    LightSlot,
    frustum_planes,
    static_hash,
)
from .lighting import Lighting, lighting_from_env
from .lightning import bolt_uniforms, flashed, strike_at
from .weather import FOG_THIN, fog_clear_m, fog_ground, lowest_water, precip_uniforms, rain_texture, snow_texture
from .wet import WetLights, wet_light_uniforms, wet_lights

#: the wet lights' array uniforms (render/wet.py), written whole as bytes
WET_ARRAYS = ("u_wl_pos", "u_wl_span", "u_wl_rgb")
FRAME_PROGRAMS = (*TERRAIN_PROGRAMS, "water", "instance", "mesh", "user_mesh", "body", "sky")
SHADER_DIR = Path(__file__).parent / "shaders"
LIT = ("lit.glsl",)
FOG = ("lit.glsl", "sky.glsl", "fog.glsl", "tone.glsl")
OUT = (*FOG, "out.glsl")
#: program name → (vertex shader, fragment shader, files put before the vertex / the fragment shader)
PROGRAMS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "terrain": ("terrain.vert", "terrain.frag", FOG, (*OUT, "wet.glsl")),
    "water": ("water.vert", "water.frag", FOG, (*OUT, "wet.glsl")),
    "instance": ("instance.vert", "object.frag", (*FOG, "plant.glsl"), OUT),
    "mesh": ("mesh.vert", "mesh.frag", FOG, (*OUT, "wet.glsl")),
    "user_mesh": ("user_mesh.vert", "user_mesh.frag", FOG, OUT),  # imported meshes with their materials
    "body": ("body.vert", "mesh.frag", FOG, (*OUT, "wet.glsl")),
    "sky": ("sky.vert", "sky.frag", FOG, OUT),
    "bake": ("fullscreen.vert", "bake_terrain.frag", (), LIT),
    "aa": ("fullscreen.vert", "aa.frag", (), ("precip.glsl",)),
    "resolve": ("fullscreen.vert", "resolve.frag", (), ()),
    "precip": ("fullscreen.vert", "precip.frag", (), ("precip.glsl",)),
    "terrain_shadow": ("terrain_depth.vert", "depth_only.frag", (), ()),
    "instance_shadow": ("instance_depth.vert", "depth_only.frag", ("plant.glsl",), ()),
    "mesh_shadow": ("mesh.vert", "depth_only.frag", FOG, ()),
}
#: programs compiled again with a preprocessor flag: name → (base program, flag)
VARIANTS = {
    "terrain_blobs": ("terrain", "BLOB_SHADOWS"),  # soft ground shadows under bodies and agents
    "terrain_wet": ("terrain", "WET"),  # wet ground: puddles and the lights' streaks (shaders/wet.glsl)
    "terrain_blobs_wet": ("terrain", "BLOB_SHADOWS WET"),
    # the same over chunks holding steep rock faces: their cracks, ledges and snow drawn per pixel (terrain.frag)
    "terrain_rock": ("terrain", "ROCK_FACES"),
    "terrain_blobs_rock": ("terrain", "BLOB_SHADOWS ROCK_FACES"),
    "terrain_wet_rock": ("terrain", "WET ROCK_FACES"),
    "terrain_blobs_wet_rock": ("terrain", "BLOB_SHADOWS WET ROCK_FACES"),
    "aa_precip": ("aa", "PRECIP"),  # edge smoothing with falling rain or snow over it
}
#: the ground patch of bodies' soft shadows: texels per side, and its texture unit (0-7 scene, 8-12 post)
BLOB_TEXELS, BLOB_UNIT = 256, 13
#: texture unit of the rain or snow texture (post passes use 8-12)
PRECIP_UNIT = 12
#: texture units of the second key moment's shadow map and baked light (see Renderer.render's light_keys)
SHADOW2_UNIT, LIGHTMAP2_UNIT = 14, 15
#: the terrain's sand mask (fine ripples drawn on it, terrain.frag)
SAND_UNIT = 11
#: where puddles stand on wet ground (render/wet.py puddle_sites)
WET_SITE_UNIT = 10
#: the passes an Image can carry, in attachment order
PASSES = ("rgb", "depth", "normal", "instance", "semantic")
#: the output passes: (components, dtype) of rgb, depth, normal, instance id, semantic id
PASS_FORMATS = ((4, "f1"), (1, "f4"), (4, "f4"), (1, "i4"), (1, "u1"))
#: the sky's grid cell in pixels: its smooth gradient and fog are evaluated at the grid's corners
SKY_CELL_PX = 32
#: flips clip-space y so that row 0 of every framebuffer is the top row of the image
FLIP_Y = np.diag([1.0, -1.0, 1.0, 1.0])


@dataclass(kw_only=True, slots=True)
class RenderSettings:
    """Quality knobs; the defaults keep 1280x720 at 10+ fps on a 2-core CPU and cost little on a GPU."""

    #: supersampling per axis (2: four shaded samples per pixel); None: 2 on a GPU, 1 on a software
    #: rasterizer, which then smooths edges in a cheap post pass instead
    supersample: int | None = None
    #: edge smoothing when not supersampling
    post_aa: bool = True
    #: wait for the GL after each stage so that Image.info["timing_ms"] splits the frame into stages
    #: (costs a little; for benchmarks)
    profile: bool = False
    shadow_size: int = 4096
    #: terrain LOD: a chunk may use a coarser grid while one grid step stays under this many pixels
    terrain_px: float = 14.0
    #: instances smaller than this on screen are skipped; under `instance_lod_px` they use the far mesh, and
    #: under `instance_card_px` a camera-facing card (a few triangles) where their kind has one
    instance_min_px: float = 2.5
    instance_lod_px: float = 80.0
    instance_card_px: float = 24.0
    chunk_cells: int = 32
    water_step: int = 8
    #: draw falling rain and snow where the weather has them (a full-screen pass: about twice the cost of the
    #: edge smoothing on a software rasterizer; nothing when the weather is dry)
    precipitation: bool = True
    #: worlds kept uploaded at once (least recently used are released)
    max_worlds: int = 2


class Renderer:
    """A GL context plus cached GPU copies of worlds; `render(world, camera)` gives all passes."""

    def __init__(self, settings: RenderSettings | None = None, *, backend: str = "egl",
                 device_index: int | None = None) -> None:
        self.settings = settings or RenderSettings()
        extra = {"device_index": device_index} if device_index is not None else {}
        self.ctx = moderngl.create_standalone_context(backend=backend, **extra)
        self._lock = threading.RLock()
        self.device = str(self.ctx.info.get("GL_RENDERER", "unknown"))
        software = any(name in self.device.lower() for name in ("llvmpipe", "softpipe", "swrast"))
        wanted = (
            self.settings.supersample if self.settings.supersample is not None else (1 if software else 2)
        )
        self.supersample = max(1, min(int(wanted), 4))
        self.programs = {name: self._program(*spec) for name, spec in PROGRAMS.items()}
        for name, (base, flag) in VARIANTS.items():
            self.programs[name] = self._program(*PROGRAMS[base], define=flag)
        #: each program's uniform and attribute names (a moderngl Program answers `in` by iterating them)
        self._members = {name: frozenset(prog) for name, prog in self.programs.items()}
        self.noise = self._noise_texture()
        self.quads = {
            name: self.ctx.vertex_array(self.programs[name], [])
            for name in ("sky", "bake", "aa", "aa_precip", "resolve", "precip")
        }
        self._scenes: OrderedDict[str, GpuScene] = OrderedDict()
        self._hash_memo: tuple[tuple[Any, ...], list[Any], str] | None = None
        self._targets: dict[tuple[int, int, bool], Targets] = {}
        shapes = dict(zip(SHAPES, (unit_round(), unit_box()), strict=True))
        self._dyn_mesh = {name: self.ctx.buffer(m.interleaved().tobytes()) for name, m in shapes.items()}
        self._dyn_tris = {name: m.triangles for name, m in shapes.items()}
        self._dyn: dict[str, tuple[moderngl.Buffer, moderngl.VertexArray, int]] = {}
        self._blob_tex: moderngl.Texture | None = None
        self._flakes: dict[str, moderngl.Texture] = {}
        self._lowest_water: weakref.WeakKeyDictionary[GpuScene, float] = weakref.WeakKeyDictionary()
        self._wet_lights: weakref.WeakKeyDictionary[GpuScene, tuple[bool, WetLights]] = weakref.WeakKeyDictionary()
        # the new context is current on this thread; release it so executor worker threads can
        # make it current in turn (every GL call below happens inside `with self.ctx`)
        self.ctx.__exit__(None, None, None)

    # --- setup ----------------------------------------------------------------------------------

    def _program(
        self, vert: str, frag: str, vert_includes: tuple[str, ...], frag_includes: tuple[str, ...], define: str = ""
    ) -> moderngl.Program:
        head = f"#version 330 core\n#define APRON_WORLDS {APRON_WORLDS}\n" + "".join(f"#define {flag}\n" for flag in define.split())

        def source(names: tuple[str, ...]) -> str:
            return head + "\n".join((SHADER_DIR / name).read_text() for name in names)

        return self.ctx.program(
            vertex_shader=source((*vert_includes, vert)), fragment_shader=source((*frag_includes, frag))
        )

    def _noise_texture(self) -> moderngl.Texture:
        """A tiling fractal noise texture (band-limited white noise, 1/f spectrum); bilinear, no mipmaps."""
        rng = np.random.default_rng(12345)
        spectrum = np.fft.fft2(rng.standard_normal((256, 256)))
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(256), np.fft.fftfreq(256)))
        shaped = spectrum * np.where(f > 0, np.maximum(f, 1e-3) ** -1.6, 0.0) * np.exp(-((f / 0.12) ** 2))
        smooth = np.fft.ifft2(shaped).real
        smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
        tex = self.ctx.texture((256, 256), 1, (smooth * 255).astype(np.uint8).tobytes())
        tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        return tex

    def scene(self, world: WorldState) -> GpuScene:
        """The uploaded copy of a world, uploading it on first use."""
        key = self._world_key(world)
        with self._lock, self.ctx:
            if key in self._scenes:
                self._scenes.move_to_end(key)
                return self._scenes[key]
            s = self.settings
            self._scenes[key] = GpuScene(self.ctx, world, self.programs, s.chunk_cells, s.water_step)
            while len(self._scenes) > max(1, s.max_worlds):
                _, old = self._scenes.popitem(last=False)
                old.release()
            return self._scenes[key]

    def _world_key(self, world: WorldState) -> str:
        arrays = [
            world.height_hw,
            world.material_hw,
            world.water_hw,
            world.inst_kind,
            world.inst_xyz,
            world.inst_yaw,
            world.inst_scale,
            world.inst_var,
            world.structures,
            world.paths,
            world.meshes,
            world.mesh_arrays,
        ]
        # a WorldState copies its record lists (dataclasses.replace for a frame's bodies gives new lists of the
        # same records), so the lists are known by their records, the arrays by themselves
        held = [a for a in arrays if not isinstance(a, list)] + [r for a in arrays if isinstance(a, list) for r in a]
        ids = tuple(tuple(map(id, a)) if isinstance(a, list) else id(a) for a in arrays)
        if self._hash_memo is not None and self._hash_memo[0] == ids:
            return self._hash_memo[2]
        key = static_hash(world)
        self._hash_memo = (ids, held, key)  # holding the objects keeps their ids from being reused
        return key

    def _target(self, w: int, h: int, colour_only: bool = False) -> Targets:
        """The framebuffers for a frame size; `colour_only`: colour and depth attachments alone (a frame whose
        ids, normals and semantic classes are not read writes 5 bytes a fragment instead of 29)."""
        colour_only = colour_only and self.supersample == 1
        if (w, h, colour_only) not in self._targets:
            if len(self._targets) >= 4:
                for t in self._targets.values():
                    t.release()
                self._targets.clear()
            self._targets[(w, h, colour_only)] = Targets(self.ctx, w, h, self.supersample, colour_only=colour_only)
        return self._targets[(w, h, colour_only)]

    # --- per world and light: shadow map, baked terrain light ----------------------------------

    def _light_slots(
        self, scene: GpuScene, light: Lighting, keys: tuple[Lighting, Lighting, float] | None
    ) -> tuple[LightSlot, LightSlot, float]:
        """The slots holding this frame's shadows and baked light, made ready: (first, second, mix)."""
        if keys is None:
            slot = self._slot_for(scene, light, avoid=None)
            return slot, slot, 0.0
        a, b, mix = keys
        first = self._slot_for(scene, a, avoid=None)
        second = self._slot_for(scene, b, avoid=first)
        return first, second, float(mix)

    def _slot_for(self, scene: GpuScene, light: Lighting, avoid: LightSlot | None) -> LightSlot:
        """A slot with this light's shadow map and baked light: one that has them, else one re-rendered."""
        for slot in scene.slots:
            if slot.shadow_key == light.shadow_key() and slot.bake_key == light.bake_key():
                return slot
        free = [slot for slot in scene.slots if slot is not avoid]
        if not free:
            scene.slots.append(scene.new_slot())
            free = scene.slots[-1:]
        slot = next((x for x in free if x.shadow_key == light.shadow_key()), free[0])
        self._shadow(scene, slot, light)
        self._bake(scene, slot, light)
        return slot

    def _shadow(self, scene: GpuScene, slot: LightSlot, light: Lighting) -> None:
        """Render the sun's (or moon's) shadow map into the slot unless it already has it for this light."""
        key = light.shadow_key()
        if slot.shadow_key == key and slot.shadow_tex is not None:
            return
        size = self.settings.shadow_size
        if slot.shadow_tex is None:
            slot.shadow_tex = scene._keep(self.ctx.depth_texture((size, size)))
            slot.shadow_tex.compare_func = "<="
            slot.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            slot.shadow_fbo = scene._keep(self.ctx.framebuffer(depth_attachment=slot.shadow_tex))
        vp, texel = _light_matrix(np.asarray(light.key_light_dir()), *scene.bounds(), size)
        slot.shadow_vp, slot.shadow_texel = vp, texel
        assert slot.shadow_fbo is not None
        slot.shadow_fbo.use()
        slot.shadow_fbo.clear(depth=1.0)
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.disable(moderngl.CULL_FACE)
        self.ctx.front_face = "ccw"
        m = vp.T.astype("f4").tobytes()
        for name in ("terrain_shadow", "instance_shadow", "mesh_shadow"):
            self.programs[name]["u_viewproj"].write(m)
        prog = self.programs["terrain_shadow"]
        scene.height.use(2)
        prog["u_height"].value, prog["u_cell"].value = 2, float(scene.world.cell_m)
        prog["u_skirt"].value = 4.0 * scene.world.cell_m
        self.ctx.enable(moderngl.CULL_FACE)  # ground turned away from the light is in its own shadow anyway
        # the ground casts its shadows from a 2 m grid at the most: a quarter of the triangles, and across the
        # gallery worlds the baked light differs visibly on under 0.1% of texels (on canyon terraces)
        stride = 2 if scene.world.cell_m <= 1.0 else 1
        scene.draw_terrain(
            [ChunkDraw(stride=stride, corner=c, distance=0.0) for c in scene.chunks], key="terrain_shadow"
        )
        self.ctx.disable(moderngl.CULL_FACE)
        scene.inst_table.use(3)
        self.programs["instance_shadow"]["u_inst"].value = 3
        casters = scene.all_instances(NEAR)
        for lod in (NEAR, SHADOW):
            scene.draw_instances(casters, self.programs["instance_shadow"], lod, key="instance_shadow")
        for name in ("structure", "mesh"):
            scene.draw_static(name, shadow=True)
        slot.shadow_key = key
        slot.bake_key = None

    def _bake(self, scene: GpuScene, slot: LightSlot, light: Lighting) -> None:
        """Bake the terrain's light into the slot's lightmap (texture space, one texel per cell)."""
        key = light.bake_key()
        if slot.bake_key == key:
            return
        self._bind(scene, (slot, slot, 0.0), slot.shadow_vp,
                   {**light.uniforms(), "u_shadow_texel": slot.shadow_texel, "u_rock": scene.rock_rgb}, ("bake",))
        slot.lightmap_fbo.use()
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE | moderngl.BLEND)
        self.quads["bake"].render(moderngl.TRIANGLES, vertices=3)
        slot.lightmap.build_mipmaps()
        slot.lightmap.repeat_x = slot.lightmap.repeat_y = False
        slot.lightmap.filter = (moderngl.LINEAR_MIPMAP_NEAREST, moderngl.LINEAR)
        slot.bake_key = key

    # --- frame ----------------------------------------------------------------------------------

    def render(
        self,
        world: WorldState,
        camera: Camera,
        passes: Collection[str] = PASSES,
        light_keys: tuple[Env, Env, float] | None = None,
    ) -> Image:
        """Render `world` seen from `camera`; the passes not in `passes` (see PASSES) are not read back and
        are None in the Image (rgb always is).

        `light_keys` (env_a, env_b, mix): while the light changes over a shot, take shadows and the terrain's
        baked light from two key moments' environments blended by `mix` (0..1) instead of rendering them
        anew for every frame; sky, sun colour and direct light still follow `world.env` exactly."""
        unknown = set(passes) - set(PASSES)
        if unknown:
            raise ValueError(f"unknown passes {sorted(unknown)}; choose from {list(PASSES)}")
        t0 = time.perf_counter()
        scene = self.scene(world)
        strike = strike_at(world.env, world.seed)
        light = flashed(lighting_from_env(world.env), strike)
        keys = None
        if light_keys is not None:
            env_a, env_b, mix = light_keys
            mix = float(np.clip(mix, 0.0, 1.0)) if np.isfinite(mix) else 0.0
            keys = (lighting_from_env(env_a), lighting_from_env(env_b), mix)
        with self._lock, self.ctx:
            slots = self._light_slots(scene, light, keys)
            t1 = self._mark()
            targets = self._target(camera.width, camera.height, colour_only=set(passes) <= {"rgb"})
            rows = dynamic_rows(world, scene.next_id)
            blobs = self._blob_shadows(rows.rows, camera, world, light.key_light_dir())
            extra = {**_sway_uniforms(world.env), "u_n_blobs": blobs, "u_neon": neon_of(world.spec),
                     **self._wet_uniforms(scene, world, camera, light),
                     "u_ice": ice_of(world.spec), "u_waves": sea_of(world.spec),
                     **bolt_uniforms(strike, camera.with_size(camera.width * self.supersample,
                                                              camera.height * self.supersample), world.seed)}
            stats = self._draw(scene, slots, camera, light, targets, rows.rows, extra)
            precip = self._precipitation(targets, camera, world, light)
            t2 = self._mark()
            self._post(targets, precip)
            t3 = self._mark()
            image = targets.read(smoothed=self.settings.post_aa, passes=set(passes))
        image.info.update(
            {
                "device": self.device,
                "seed": world.seed,
                "supersample": self.supersample,
                "triangles": stats["triangles"],
                "camera": {
                    "position": [float(c) for c in camera.position],
                    "forward": camera.forward().tolist(),
                    "focal_mm": camera.focal_mm,
                    "sensor_mm": camera.sensor_mm,
                },
                "id_ranges": {
                    "instances": [1, scene.n_instances],
                    "structures": list(scene.structure_ids),
                    "meshes": list(scene.mesh_ids),
                    "dynamic": [rows.first_id, rows.first_id + rows.count - 1],
                },
                "dynamic": True,
                "semantic_classes": list(SEMANTIC_CLASSES),
                "timing_ms": {
                    "prepare": 1e3 * (t1 - t0),
                    "draw": 1e3 * (t2 - t1),
                    "post": 1e3 * (t3 - t2),
                    "finish_and_read": 1e3 * (time.perf_counter() - t3),
                },
            }
        )
        return image

    def _blob_shadows(
        self, rows: dict[str, np.ndarray], camera: Camera, world: WorldState, light_dir: tuple[float, float, float]
    ) -> int:
        """Upload this frame's soft ground shadows of bodies and agents (a small texture the terrain samples);
        returns how many there are (0: the terrain is drawn without them)."""
        discs = blob_discs(rows, camera, world, light_dir)
        if not discs:
            return 0
        light, box = blob_map(discs, BLOB_TEXELS)
        if self._blob_tex is None:
            self._blob_tex = self.ctx.texture((BLOB_TEXELS, BLOB_TEXELS), 1, dtype="f4")
            self._blob_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._blob_tex.repeat_x = self._blob_tex.repeat_y = False
        self._blob_tex.write(light.tobytes())
        self._blob_tex.use(BLOB_UNIT)
        for name in ("terrain_blobs", "terrain_blobs_wet", "terrain_blobs_rock", "terrain_blobs_wet_rock"):
            prog = self.programs[name]
            prog["u_blob_map"].value = BLOB_UNIT
            prog["u_blob_box"].value = box
        return len(discs)

    def _precipitation(self, t: Targets, camera: Camera, world: WorldState, light: Lighting) -> str | None:
        """Falling rain or snow (see weather.py) in front of what is drawn: its uniforms set, and blended over
        the colour now unless the edge-smoothing pass will draw it; returns the program that draws it, or
        None when nothing falls."""
        ss = self.supersample
        if not self.settings.precipitation:
            return None
        values = precip_uniforms(world.env, light, camera.with_size(camera.width * ss, camera.height * ss),
                                 world.seed, ss)
        if values is None:
            return None
        tex = self._flake_texture(values.pop("kind"))
        tex.use(PRECIP_UNIT)
        values.update({"u_flakes": PRECIP_UNIT, "u_depth": 9})
        name = "aa_precip" if ss == 1 and self.settings.post_aa else "precip"
        prog = self.programs[name]
        for key, value in values.items():
            if key in self._members[name]:
                prog[key].value = value
        if name == "aa_precip":
            return name
        t.passes[1].use(9)
        t.colour.use()
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self.quads["precip"].render(moderngl.TRIANGLES, vertices=3)
        self.ctx.disable(moderngl.BLEND)
        return name

    def _flake_texture(self, kind: str) -> moderngl.Texture:
        """The tiling rain-streak or snowflake texture, made on first use."""
        if kind not in self._flakes:
            data = rain_texture() if kind == "rain" else snow_texture()
            tex = self.ctx.texture((data.shape[1], data.shape[0]), data.shape[2], data.tobytes())
            tex.filter = (moderngl.LINEAR, moderngl.LINEAR)  # the layers keep ~1 texel a pixel: no mipmaps
            self._flakes[kind] = tex
        return self._flakes[kind]

    def _mark(self) -> float:
        if self.settings.profile:
            self.ctx.finish()
        return time.perf_counter()

    def _draw(
        self,
        scene: GpuScene,
        slots: tuple[LightSlot, LightSlot, float],
        camera: Camera,
        light: Lighting,
        t: Targets,
        dyn_rows: dict[str, np.ndarray],
        extra: dict[str, Any],
    ) -> dict[str, int]:
        """Draw everything into the output passes, nearest things first, the sky last."""
        s, ctx, ss = self.settings, self.ctx, self.supersample
        cam = camera.with_size(camera.width * ss, camera.height * ss)
        vp = FLIP_Y @ cam.view_projection()
        planes = frustum_planes(vp)
        pos, fwd = np.asarray(camera.position, np.float64), camera.forward()
        self._bind(scene, slots, vp, {**self._frame_uniforms(scene, cam, light), **extra}, tuple(FRAME_PROGRAMS))
        t.main.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND | moderngl.CULL_FACE)
        ctx.front_face = "cw"  # the flipped projection mirrors the winding
        t.clear_depth()
        progs = self.programs
        tris = self._draw_dynamic(dyn_rows)
        progs["mesh"]["u_sem"].value = SEM["structure"]
        tris += scene.draw_static("structure")
        if "backdrop" in scene.static_vaos:  # a studio's paper sweep (gpu_scene._backdrop_mesh)
            progs["mesh"]["u_sem"].value = SEM["terrain"]
            tris += scene.draw_static("backdrop")
        tris += scene.draw_user_meshes(planes)
        lists = scene.instance_lists(
            planes, pos, fwd, camera.focal_px, s.instance_min_px, s.instance_lod_px, s.instance_card_px
        )
        tris += scene.draw_instances(lists, progs["instance"], NEAR, cull=True)
        ctx.enable(moderngl.CULL_FACE)
        terrain = ("terrain_blobs" if extra.get("u_n_blobs") else "terrain") + ("_wet" if light.wetness > 0.0 else "")
        progs[terrain]["u_sem"].value = SEM["terrain"]
        progs[terrain + "_rock"]["u_sem"].value = SEM["terrain"]
        tris += scene.draw_terrain(scene.chunk_draws(planes, pos, camera.focal_px, s.terrain_px), key=terrain)
        tris += scene.draw_instances(lists, progs["instance"], FAR, cull=True)
        tris += scene.draw_instances(lists, progs["instance"], CARD)
        ctx.disable(moderngl.CULL_FACE)
        if scene.water_vao is not None:
            progs["water"]["u_sem"].value = SEM["water"]
            tris += scene.draw_water(planes)
        ctx.depth_func = "<="
        grid = (-(-camera.width // SKY_CELL_PX), -(-camera.height // SKY_CELL_PX))
        progs["sky"]["u_grid"].value = grid
        self.quads["sky"].render(moderngl.TRIANGLES, vertices=6 * grid[0] * grid[1])
        ctx.depth_func = "<"
        tris += scene.draw_glass(planes, t.main)  # over everything behind it, the sky included
        ctx.front_face = "ccw"
        return {"triangles": tris}

    def _draw_dynamic(self, rows: dict[str, np.ndarray]) -> int:
        """Bodies and agents from this frame's small instance table, one draw per shape and class."""
        tris = 0
        prog = self.programs["body"]
        for shape, table in rows.items():
            for sem in np.unique(table[:, ROW - 1]).tolist():
                part = np.ascontiguousarray(table[table[:, ROW - 1] == sem])
                buf, vao = self._dynamic_buffer(shape, len(part))
                buf.write(part.tobytes())
                prog["u_sem"].value = int(sem)
                vao.render(moderngl.TRIANGLES, instances=len(part))
                tris += self._dyn_tris[shape] * len(part)
        return tris

    def _dynamic_buffer(self, shape: str, count: int) -> tuple[moderngl.Buffer, moderngl.VertexArray]:
        """The instance buffer and vertex array of one shape, grown when a frame needs more rows."""
        have = self._dyn.get(shape)
        if have is None or have[2] < count:
            if have is not None:
                have[1].release()
                have[0].release()
            capacity = max(64, 1 << (count - 1).bit_length())
            buf = self.ctx.buffer(reserve=capacity * ROW * 4)
            vao = self.ctx.vertex_array(
                self.programs["body"],
                [
                    (self._dyn_mesh[shape], "3f 3f 12x 4x", "in_pos", "in_nrm"),
                    (buf, "3f 4f 3f 1f 3f 1f 4x/i", "i_centre", "i_quat", "i_half", "i_stretch", "i_col", "i_id"),
                ],
            )
            have = self._dyn[shape] = (buf, vao, capacity)
        return have[0], have[1]

    def _wet_uniforms(self, scene: GpuScene, world: WorldState, cam: Camera, light: Lighting) -> dict[str, Any]:
        """The lights wet surfaces mirror this frame (render/wet.py) and how hard rain falls on the puddles."""
        out: dict[str, Any] = {"u_n_wet_lights": 0, "u_rain": 0.0}
        if light.wetness <= 0.0:
            return out
        neon = neon_of(world.spec) > 0.0
        held = self._wet_lights.get(scene)
        if held is None or held[0] != neon:  # the spec (neon) is no part of the scene's key
            held = self._wet_lights[scene] = (neon, wet_lights(scene.world, neon=neon))
        out.update(wet_light_uniforms(held[1], np.asarray(cam.position, np.float64), cam.forward(),
                                      float(np.clip(light.night, 0.0, 1.0))))
        precip = world.env.precipitation
        if precip is not None and precip.kind == "rain":
            out["u_rain"] = float(precip.intensity if precip.intensity is not None else 0.6)
        return out

    def _frame_uniforms(self, scene: GpuScene, cam: Camera, light: Lighting) -> dict[str, Any]:
        if scene not in self._lowest_water:
            self._lowest_water[scene] = lowest_water(scene.world)
        fog_base, mist_base = fog_ground(scene.world, cam, self._lowest_water[scene])
        return {
            **light.uniforms(),
            "u_cam_pos": tuple(float(c) for c in cam.position),
            "u_cam_fwd": tuple(cam.forward()),
            "u_autumn": 1.0 if light.season in ("autumn", "fall") else 0.0,
            "u_strata": scene.strata,
            "u_rock": scene.rock_rgb,
            "u_fog_base": fog_base,
            "u_fog_clear": fog_clear_m(cam, light),
            "u_fog_thin": FOG_THIN,
            "u_mist_base": mist_base if math.isfinite(mist_base) else 0.0,
            **({} if math.isfinite(mist_base) else {"u_mist_density": 0.0}),
            "u_fog_far": float(min(max(cam.far_m * 0.8, 1000.0), 20000.0)),
        }

    def _post(self, t: Targets, precip: str | None = None) -> None:
        """Resolve supersampled frames, or smooth edges of single-sample ones (with falling rain or snow over
        them when `precip` is "aa_precip")."""
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        if t.ss > 1:
            t.out.use()
            prog = self.programs["resolve"]
            for unit, (name, tex) in enumerate(zip(("u_rgb", "u_depth", "u_nrm", "u_inst", "u_sem"), t.passes, strict=True)):
                tex.use(8 + unit)
                prog[name].value = 8 + unit
            prog["u_ss"].value = t.ss
            self.quads["resolve"].render(moderngl.TRIANGLES, vertices=3)
        elif self.settings.post_aa:
            name = "aa_precip" if precip == "aa_precip" else "aa"
            t.aa.use()
            t.passes[0].use(8)
            t.passes[1].use(9)
            self.programs[name]["u_color"].value = 8
            self.quads[name].render(moderngl.TRIANGLES, vertices=3)

    def _bind(
        self,
        scene: GpuScene,
        slots: tuple[LightSlot, LightSlot, float],
        vp: np.ndarray,
        uniforms: dict[str, Any],
        names: tuple[str, ...],
    ) -> None:
        first, second, mix = slots
        assert first.shadow_tex is not None and second.shadow_tex is not None
        first.shadow_tex.use(0)
        self.noise.use(1)
        scene.height.use(2)
        scene.inst_table.use(3)
        scene.albedo.use(4)
        if "bake" not in names:
            first.lightmap.use(5)
            second.lightmap.use(LIGHTMAP2_UNIT)
        scene.normals.use(6)
        scene.lamps.use(7)
        scene.sand.use(SAND_UNIT)
        if uniforms.get("u_wet", 0.0) > 0.0:
            scene.wet_site().use(WET_SITE_UNIT)
        second.shadow_tex.use(SHADOW2_UNIT)
        values = {
            "u_lamps": 7,
            "u_shadow_texel": first.shadow_texel,
            "u_shadow_texel2": second.shadow_texel,
            **uniforms,
            "u_light_mix": mix,
            "u_shadow": 0,
            "u_shadow2": SHADOW2_UNIT,
            "u_lightmap2": LIGHTMAP2_UNIT,
            "u_noise": 1,
            "u_height": 2,
            "u_inst": 3,
            "u_albedo": 4,
            "u_lightmap": 5,
            "u_normals": 6,
            "u_sand": SAND_UNIT,
            "u_wet_site": WET_SITE_UNIT,
            "u_cell": float(scene.world.cell_m),
            "u_skirt": 4.0 * scene.world.cell_m,
        }
        matrices = {
            "u_viewproj": vp.T.astype("f4").tobytes(),
            "u_light_vp": first.shadow_vp.T.astype("f4").tobytes(),
            "u_light_vp2": second.shadow_vp.T.astype("f4").tobytes(),
            "u_inv_viewproj": np.linalg.inv(vp).T.astype("f4").tobytes(),
            **{k: uniforms[k] for k in WET_ARRAYS if k in uniforms},
        }
        for name in names:
            prog, members = self.programs[name], self._members[name]
            for key, value in values.items():
                if key in members and key not in WET_ARRAYS:
                    prog[key].value = value
            for key, data in matrices.items():
                if key in members:
                    prog[key].write(data)

    def close(self) -> None:
        """Free the GL objects (the store calls this when it evicts the renderer)."""
        self.release()

    def release(self) -> None:
        with self._lock:
            for t in self._targets.values():
                t.release()
            for scene in self._scenes.values():
                scene.release()
            for buf, vao, _ in self._dyn.values():
                vao.release()
                buf.release()
            for buf in self._dyn_mesh.values():
                buf.release()
            if self._blob_tex is not None:
                self._blob_tex.release()
            for tex in self._flakes.values():
                tex.release()
            self._scenes.clear()
            self.ctx.release()


def blob_discs(
    rows: dict[str, np.ndarray],
    camera: Camera,
    world: WorldState,
    light_dir: tuple[float, float, float],
    most: int = 32,
    reach_m: float = 48.0,
) -> list[tuple[float, float, float]]:
    """The soft ground shadows of the bodies and agents nearest the camera (up to `most`, within `reach_m` of
    the nearest one's), as (x, y, radius) discs on the ground where the light through each one's centre meets
    the terrain."""
    table = np.concatenate([t for t in rows.values() if len(t)] or [np.zeros((0, ROW), np.float32)])
    if not len(table):
        return []
    radius = (table[:, 7:10].max(axis=1) + table[:, 10]).astype(np.float64)
    near = np.argsort(np.linalg.norm(table[:, :3] - np.asarray(camera.position), axis=1), kind="stable")
    lx, ly, lz = light_dir
    slope = np.array([lx, ly]) / max(lz, 0.25)
    discs: list[tuple[float, float, float]] = []
    for k in near[:most]:
        centre, r = table[k, :3].astype(np.float64), float(radius[k])
        at = centre[:2]
        above = 0.0
        for _ in range(2):  # the ground height where the shadow falls, refined once
            above = centre[2] - world.height_at(float(at[0]), float(at[1]))
            at = centre[:2] - slope * above
        if above < -r or not np.all(np.isfinite(at)):
            continue  # buried or undefined: no shadow
        if discs and np.hypot(at[0] - discs[0][0], at[1] - discs[0][1]) > reach_m:
            continue  # keep the patch small (and its texels fine) around the nearest body
        discs.append((float(at[0]), float(at[1]), r * (1.0 + 0.15 * max(above, 0.0))))
    return discs


def blob_map(discs: list[tuple[float, float, float]], texels: int = 256) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The discs' light factor (1 lit, 0.45 under a body's centre) on a square ground patch around them;
    and the patch as (x0, y0, texels per metre). The patch's rim stays 1."""
    xy = np.array([(x, y) for x, y, _ in discs])
    r = np.array([d[2] for d in discs])
    lo, hi = (xy - r[:, None]).min(axis=0), (xy + r[:, None]).max(axis=0)
    side = max(float((hi - lo).max()), 1.0) * 1.1
    scale = (texels - 4) / side
    x0, y0 = (lo + hi) / 2 - side / 2 - 2 / scale
    centres = (np.arange(texels) + 0.5) / scale
    light = np.ones((texels, texels), np.float32)
    for (x, y, radius) in discs:
        cols = slice(max(int((x - radius - x0) * scale) - 1, 0), min(int((x + radius - x0) * scale) + 2, texels))
        rows = slice(max(int((y - radius - y0) * scale) - 1, 0), min(int((y + radius - y0) * scale) + 2, texels))
        dx = x0 + centres[cols] - x
        dy = y0 + centres[rows] - y
        dist = np.sqrt(dy[:, None] ** 2 + dx[None, :] ** 2)
        t = np.clip((radius - dist) / (0.6 * radius), 0.0, 1.0)  # smoothstep(r, 0.4 r, distance)
        light[rows, cols] *= 1.0 - 0.55 * (t * t * (3.0 - 2.0 * t))
    return light, (float(x0), float(y0), float(scale))


def neon_of(spec: dict[str, Any] | None) -> float:
    """1 where the prompt names neon (spec.modifiers["building"]): lit windows and shopfronts glow magenta and cyan
    (mesh.frag u_neon); read per frame, as the spec is no part of the uploaded scene's key."""
    return 1.0 if ((spec or {}).get("modifiers") or {}).get("building") == "neon" else 0.0


def ice_of(spec: dict[str, Any] | None) -> float:
    """1 where the prompt names its water frozen ("a frozen lake", "an icy stream"; spec.modifiers "water" or
    "river"): water.frag draws ice; read per frame like neon_of."""
    mods = (spec or {}).get("modifiers") or {}
    return 1.0 if "frozen" in (mods.get("water"), mods.get("river")) else 0.0


#: water.frag's u_waves per spec.modifiers["sea"] (None: the sea's everyday run, small breakers on its shore)
SEA_WAVES = {"calm": 0.3, None: 0.65, "surf": 1.0, "rough": 1.5}


def sea_of(spec: dict[str, Any] | None) -> float:
    """How high the sea runs (water.frag u_waves: breakers, swash and whitecaps) from the prompt's sea state
    ("a calm sea", "big waves", "a rough sea in a storm"; spec.modifiers["sea"]); read per frame like neon_of."""
    waves = SEA_WAVES.get(((spec or {}).get("modifiers") or {}).get("sea"), SEA_WAVES[None])
    if ((spec or {}).get("structures") or {}).get("harbour"):  # a harbour's basin is sheltered: no surf breaks in it
        waves = min(waves, SEA_WAVES[None])
    return waves


def _sway_uniforms(env: Env) -> dict[str, Any]:
    """This frame's plant bend (radians, x and y) and clock for instance.vert; zero when not given."""
    return {"u_sway": env.sway if env.sway is not None else (0.0, 0.0),
            "u_time": env.time_s if env.time_s is not None else 0.0}


def _light_matrix(
    light_dir: np.ndarray, lo: np.ndarray, hi: np.ndarray, size: int
) -> tuple[np.ndarray, float]:
    """Orthographic view-projection from the light covering the box; and world metres per shadow texel."""
    d = light_dir / np.linalg.norm(light_dir)
    up = np.array([0.0, 1.0, 0.0]) if abs(d[2]) > 0.95 else np.array([0.0, 0.0, 1.0])
    fwd = -d
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    lx, ly, lz = corners @ right, corners @ up, corners @ fwd
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = right, up, -fwd
    proj = np.eye(4)
    proj[0, 0], proj[0, 3] = 2 / (lx.max() - lx.min()), -(lx.max() + lx.min()) / (lx.max() - lx.min())
    proj[1, 1], proj[1, 3] = 2 / (ly.max() - ly.min()), -(ly.max() + ly.min()) / (ly.max() - ly.min())
    near, far = lz.min() - 1.0, lz.max() + 1.0  # distances along the light's view direction
    proj[2, 2], proj[2, 3] = -2 / (far - near), -(far + near) / (far - near)
    texel = max(lx.max() - lx.min(), ly.max() - ly.min()) / size
    return proj @ view, float(texel)


class Targets:
    """Framebuffers for one image size: every pass (ss times larger), their resolve, edge smoothing."""

    def __init__(self, ctx: moderngl.Context, w: int, h: int, ss: int, *, colour_only: bool = False) -> None:
        self.size, self.ss = (w, h), ss
        self._own: list[Any] = []
        big = (w * ss, h * ss)
        #: with `colour_only` (single-sample frames read for rgb alone): colour and metric depth only (the
        #: depth feeds rain and snow); the fragments' other outputs go nowhere
        formats = PASS_FORMATS[:2] if colour_only else PASS_FORMATS
        self.passes = [self._tex(ctx, big, c, dt) for c, dt in formats]
        self.passes[0].filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.main = self._fbo(ctx, list(self.passes), ctx.depth_renderbuffer(big))
        #: the colour pass alone, for passes blended over it (falling rain and snow)
        self.colour = self._fbo(ctx, [self.passes[0]], None)
        self.out = self.main
        if ss > 1:
            self.out = self._fbo(ctx, [ctx.renderbuffer((w, h), c, dtype=dt) for c, dt in PASS_FORMATS], None)
        self.aa = self._fbo(ctx, [ctx.renderbuffer((w, h), 4)], None) if ss == 1 else None

    def clear_depth(self) -> None:
        """Clear only the depth buffer: the sky pass writes every pixel of the colour passes."""
        n = len(self.passes)
        self.main.color_mask = ((False,) * 4,) * n
        self.main.clear(depth=1.0)
        self.main.color_mask = ((True,) * 4,) * n

    def _tex(self, ctx: moderngl.Context, size: tuple[int, int], comps: int, dtype: str) -> moderngl.Texture:
        tex = ctx.texture(size, comps, dtype=dtype)
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.repeat_x = tex.repeat_y = False
        self._own.append(tex)
        return tex

    def _fbo(self, ctx: moderngl.Context, colors: list[Any], depth: Any) -> moderngl.Framebuffer:
        self._own += [c for c in colors if c not in self._own] + ([depth] if depth is not None else [])
        fbo = ctx.framebuffer(colors, depth)
        self._own.append(fbo)
        return fbo

    def read(self, smoothed: bool, passes: Collection[str] = PASSES) -> Image:
        w, h = self.size
        rgb_fbo = self.aa if (self.aa is not None and smoothed) else self.out
        rgb = self._read(rgb_fbo, 0, 3, np.uint8).reshape(h, w, 3)

        def one(name: str, attachment: int, components: int, dtype: type, shape: tuple[int, ...]) -> Any:
            return self._read(self.out, attachment, components, dtype).reshape(shape) if name in passes else None

        return Image(
            rgb_hw3=rgb,
            depth_hw=one("depth", 1, 1, np.float32, (h, w)),
            normal_hw3=one("normal", 2, 3, np.float32, (h, w, 3)),
            instance_hw=one("instance", 3, 1, np.int32, (h, w)),
            semantic_hw=one("semantic", 4, 1, np.uint8, (h, w)),
        )

    def _read(
        self, fbo: moderngl.Framebuffer, attachment: int, components: int, np_dtype: type
    ) -> np.ndarray:
        w, h = self.size
        out = np.empty(w * h * components, np_dtype)  # written whole by the read: no need to zero it first
        gl_dtype = {"uint8": "f1" if attachment == 0 else "u1", "float32": "f4", "int32": "i4"}[out.dtype.name]
        fbo.read_into(memoryview(out).cast("B"), components=components, attachment=attachment, dtype=gl_dtype)
        return out

    def release(self) -> None:
        for obj in reversed(self._own):
            obj.release()
        self._own.clear()


def renderer_on(device: str) -> Renderer:
    """A renderer on a device: "cuda:N" is the N-th EGL device (GPU N on an NVIDIA machine); "cpu" and "cuda"
    take EGL's default device (Mesa's llvmpipe where there is no GPU)."""
    index = int(device.split(":", 1)[1]) if device.startswith("cuda:") else None
    return Renderer(device_index=index)


#: the renderer as an executor component: one GL context per device, its uploaded worlds kept across runs
#: (about two 1 km² worlds of textures and buffers plus frame targets)
RENDERER: ComponentSpec[Renderer] = ComponentSpec(kind="renderer", create=renderer_on, nbytes=512 << 20)
