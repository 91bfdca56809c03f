"""The rasterizer: WorldState + Camera → Image with rgb, metric depth, normals, instance and semantic ids.

One code path on CPU (Mesa llvmpipe) and GPU (NVIDIA EGL): moderngl over a headless EGL context. A
Renderer keeps its GL context and, per world (keyed by a hash of its static content), the uploaded
terrain, instances, structures, water and the sun's shadow map, so many cameras render without uploads.

Deferred: a cheap geometry pass fills a g-buffer (albedo + RGBA32UI depth bits, instance id, semantic id,
packed normal), so each pixel is lit once however much geometry overlaps it (this is what makes llvmpipe
fast enough). The lighting pass writes every output pass, flipped to top-row-first, in one go. With
supersampling (the GPU default) it shades ss x ss g-buffer samples per pixel and averages their colour while
ids, depth and normal come from one sample, so ids are never blended; without it a post pass smooths edges.

Ids in `instance_hw`: 0 none; 1..N scattered instances (index + 1); then structures, then imported
meshes, in list order (the ranges are in Image.info["id_ranges"]). Worlds are treated as immutable:
arrays changed in place are not noticed; pass a new WorldState instead.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import moderngl
import numpy as np

from ..types import Image
from .camera import Camera
from .gpu_scene import SEM, ChunkDraw, GpuScene, frustum_planes, static_hash
from .lighting import Lighting, lighting_from_env
from .state import SEMANTIC_CLASSES, WorldState

SHADER_DIR = Path(__file__).parent / "shaders"
G, L = ("gbuffer.glsl",), ("common.glsl",)
#: program name → (vertex shader, fragment shader, files put before the fragment shader)
PROGRAMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "terrain": ("terrain.vert", "surface_g.frag", G),
    "water": ("water.vert", "surface_g.frag", G),
    "instance": ("instance.vert", "object_g.frag", G),
    "mesh": ("mesh.vert", "object_g.frag", G),
    "sky": ("fullscreen.vert", "sky_g.frag", ()),
    "light": ("fullscreen.vert", "light.frag", L),
    "aa": ("fullscreen.vert", "aa.frag", ()),
    "terrain_shadow": ("terrain.vert", "depth_only.frag", ()),
    "instance_shadow": ("instance.vert", "depth_only.frag", ()),
    "mesh_shadow": ("mesh.vert", "depth_only.frag", ()),
}


@dataclass(kw_only=True, slots=True)
class RenderSettings:
    """Quality knobs; the defaults keep 1280x720 at 10+ fps on a 2-core CPU and cost little on a GPU."""

    #: supersampling per axis (2: four shaded samples per pixel); None: 2 on a GPU, 1 on a software
    #: rasterizer, which then smooths edges in a cheap post pass instead
    supersample: int | None = None
    #: edge smoothing when not supersampling
    post_aa: bool = True
    shadow_size: int = 4096
    #: terrain LOD: a chunk may use a coarser grid while one grid step stays under this many pixels
    terrain_px: float = 6.0
    #: instances smaller than this on screen are skipped; under `instance_lod_px` they use the far mesh
    instance_min_px: float = 1.5
    instance_lod_px: float = 48.0
    chunk_cells: int = 64
    water_step: int = 4
    #: worlds kept uploaded at once (least recently used are released)
    max_worlds: int = 2


class Renderer:
    """A GL context plus cached GPU copies of worlds; `render(world, camera)` gives all passes."""

    def __init__(self, settings: RenderSettings | None = None, *, backend: str = "egl") -> None:
        self.settings = settings or RenderSettings()
        self.ctx = moderngl.create_standalone_context(backend=backend)
        self._lock = threading.RLock()
        self.device = str(self.ctx.info.get("GL_RENDERER", "unknown"))
        software = any(name in self.device.lower() for name in ("llvmpipe", "softpipe", "swrast"))
        wanted = (
            self.settings.supersample if self.settings.supersample is not None else (1 if software else 2)
        )
        self.supersample = max(1, min(int(wanted), 4))
        self.programs = {name: self._program(*spec) for name, spec in PROGRAMS.items()}
        self.noise = self._noise_texture()
        self.quads = {name: self.ctx.vertex_array(self.programs[name], []) for name in ("sky", "light", "aa")}
        self._scenes: OrderedDict[str, GpuScene] = OrderedDict()
        self._hash_memo: tuple[tuple[int, ...], list[Any], str] | None = None
        self._targets: dict[tuple[int, int], Targets] = {}

    # --- setup ----------------------------------------------------------------------------------

    def _program(self, vert: str, frag: str, includes: tuple[str, ...]) -> moderngl.Program:
        head = "#version 330 core\n"
        frag_src = "\n".join((SHADER_DIR / name).read_text() for name in (*includes, frag))
        return self.ctx.program(
            vertex_shader=head + (SHADER_DIR / vert).read_text(), fragment_shader=head + frag_src
        )

    def _noise_texture(self) -> moderngl.Texture:
        """A tiling smooth value-noise texture (band-limited white noise, filtered in frequency space)."""
        rng = np.random.default_rng(12345)
        spectrum = np.fft.fft2(rng.standard_normal((256, 256)))
        f = np.fft.fftfreq(256)
        smooth = np.fft.ifft2(spectrum * np.exp(-(f[:, None] ** 2 + f[None, :] ** 2) * 2000.0)).real
        smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
        tex = self.ctx.texture((256, 256), 1, (smooth * 255).astype(np.uint8).tobytes())
        tex.build_mipmaps()
        tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
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
        ids = tuple(id(a) for a in arrays)
        if self._hash_memo is not None and self._hash_memo[0] == ids:
            return self._hash_memo[2]
        key = static_hash(world)
        self._hash_memo = (ids, arrays, key)  # holding the objects keeps their ids from being reused
        return key

    def _target(self, w: int, h: int) -> Targets:
        if (w, h) not in self._targets:
            if len(self._targets) >= 4:
                for t in self._targets.values():
                    t.release()
                self._targets.clear()
            self._targets[(w, h)] = Targets(self.ctx, w, h, self.supersample)
        return self._targets[(w, h)]

    # --- shadows --------------------------------------------------------------------------------

    def _shadow(self, scene: GpuScene, light: Lighting) -> None:
        """Render the sun's (or moon's) shadow map unless this world already has it for this light."""
        key = light.shadow_key()
        if scene.shadow_key == key and scene.shadow_tex is not None:
            return
        size = self.settings.shadow_size
        if scene.shadow_tex is None:
            scene.shadow_tex = scene._keep(self.ctx.depth_texture((size, size)))
            scene.shadow_tex.compare_func = "<="
            scene.shadow_tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            scene.shadow_fbo = scene._keep(self.ctx.framebuffer(depth_attachment=scene.shadow_tex))
        vp, texel = _light_matrix(np.asarray(light.key_light_dir()), *scene.bounds(), size)
        scene.shadow_vp, scene.shadow_texel = vp, texel
        scene.shadow_fbo.use()
        scene.shadow_fbo.clear(depth=1.0)
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.disable(moderngl.CULL_FACE)
        m = vp.T.astype("f4").tobytes()
        for name in ("terrain_shadow", "instance_shadow", "mesh_shadow"):
            self.programs[name]["u_viewproj"].write(m)
        prog = self.programs["terrain_shadow"]
        scene.height.use(2)
        prog["u_height"].value, prog["u_cell"].value = 2, float(scene.world.cell_m)
        prog["u_skirt"].value = 4.0 * scene.world.cell_m
        scene.draw_terrain(
            [ChunkDraw(stride=1, corner=c, distance=0.0) for c in scene.chunks], key="terrain_shadow"
        )
        scene.inst_table.use(3)
        self.programs["instance_shadow"]["u_inst"].value = 3
        scene.draw_instances(
            scene.all_instances(0), self.programs["instance_shadow"], 0, key="instance_shadow"
        )
        for name in ("structure", "mesh"):
            scene.draw_static(name, shadow=True)
        scene.shadow_key = key

    # --- frame ----------------------------------------------------------------------------------

    def render(self, world: WorldState, camera: Camera) -> Image:
        """Render every pass of `world` seen from `camera`."""
        t0 = time.perf_counter()
        scene = self.scene(world)
        light = lighting_from_env(world.env)
        with self._lock, self.ctx:
            self._shadow(scene, light)
            t1 = time.perf_counter()
            targets = self._target(camera.width, camera.height)
            stats = self._geometry(scene, camera, light, targets.gbuffer)
            self._light(targets)
            t2 = time.perf_counter()
            image = targets.read()
        image.info.update(
            {
                "device": self.device,
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
                },
                "semantic_classes": list(SEMANTIC_CLASSES),
                "timing_ms": {
                    "prepare": 1e3 * (t1 - t0),
                    "submit": 1e3 * (t2 - t1),
                    "finish_and_read": 1e3 * (time.perf_counter() - t2),
                },
            }
        )
        return image

    def _geometry(
        self, scene: GpuScene, camera: Camera, light: Lighting, fbo: moderngl.Framebuffer
    ) -> dict[str, int]:
        """The geometry pass: fills the g-buffer, nearest things first."""
        s, ctx, ss = self.settings, self.ctx, self.supersample
        vp = camera.with_size(camera.width * ss, camera.height * ss).view_projection()
        planes = frustum_planes(vp)
        pos, fwd = np.asarray(camera.position, np.float64), camera.forward()
        uniforms = {
            **light.uniforms(),
            "u_cam_pos": tuple(pos),
            "u_cam_fwd": tuple(fwd),
            "u_shadow_texel": scene.shadow_texel,
            "u_ss": ss,
            "u_autumn": 1.0 if light.season in ("autumn", "fall") else 0.0,
        }
        self._bind(scene, vp, uniforms)
        fbo.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND | moderngl.CULL_FACE)
        fbo.clear(depth=1.0)
        progs = self.programs
        progs["mesh"]["u_sem"].value = SEM["structure"]
        tris = scene.draw_static("structure")
        progs["mesh"]["u_sem"].value = SEM["mesh"]
        tris += scene.draw_static("mesh")
        lists = scene.instance_lists(planes, pos, fwd, camera.focal_px, s.instance_min_px, s.instance_lod_px)
        tris += scene.draw_instances(lists, progs["instance"], 0)
        ctx.enable(moderngl.CULL_FACE)
        progs["terrain"]["u_sem"].value = SEM["terrain"]
        tris += scene.draw_terrain(scene.chunk_draws(planes, pos, camera.focal_px, s.terrain_px))
        ctx.disable(moderngl.CULL_FACE)
        tris += scene.draw_instances(lists, progs["instance"], 1)
        if scene.water_vao is not None:
            progs["water"]["u_sem"].value = SEM["water"]
            scene.water_vao.render(moderngl.TRIANGLES)
            tris += scene.water_tris
        ctx.depth_func = "<="
        self.quads["sky"].render(moderngl.TRIANGLES, vertices=3)
        ctx.depth_func = "<"
        return {"triangles": tris}

    def _light(self, t: Targets) -> None:
        """Shade the g-buffer into the output passes, then smooth edges when not supersampling."""
        self.ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        t.out.use()
        t.gcolor.use(5)
        t.gdata.use(6)
        prog = self.programs["light"]
        prog["u_gcolor"].value, prog["u_data"].value = 5, 6
        self.quads["light"].render(moderngl.TRIANGLES, vertices=3)
        if t.smoothed and self.settings.post_aa:
            t.aa.use()
            t.lit.use(5)
            self.programs["aa"]["u_color"].value = 5
            self.quads["aa"].render(moderngl.TRIANGLES, vertices=3)

    def _bind(self, scene: GpuScene, vp: np.ndarray, uniforms: dict[str, Any]) -> None:
        scene.shadow_tex.use(0)
        self.noise.use(1)
        scene.height.use(2)
        scene.inst_table.use(3)
        scene.albedo.use(4)
        scene.normals.use(7)
        values = {
            **uniforms,
            "u_shadow": 0,
            "u_noise": 1,
            "u_height": 2,
            "u_inst": 3,
            "u_albedo": 4,
            "u_normals": 7,
            "u_cell": float(scene.world.cell_m),
            "u_skirt": 4.0 * scene.world.cell_m,
        }
        matrices = {
            "u_viewproj": vp.T.astype("f4").tobytes(),
            "u_light_vp": scene.shadow_vp.T.astype("f4").tobytes(),
            "u_inv_viewproj": np.linalg.inv(vp).T.astype("f4").tobytes(),
        }
        for name, prog in self.programs.items():
            if name.endswith("_shadow"):
                continue
            for key, value in values.items():
                if key in prog:
                    prog[key].value = value
            for key, data in matrices.items():
                if key in prog:
                    prog[key].write(data)

    def release(self) -> None:
        with self._lock:
            for t in self._targets.values():
                t.release()
            for scene in self._scenes.values():
                scene.release()
            self._scenes.clear()
            self.ctx.release()


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
    """Framebuffers for one image size: the g-buffer (ss times larger), the output passes, edge smoothing."""

    def __init__(self, ctx: moderngl.Context, w: int, h: int, ss: int) -> None:
        self.size = (w, h)
        self.smoothed = ss == 1
        self._own: list[Any] = []
        self.gcolor = self._tex(ctx, (w * ss, h * ss), 4, "f1")
        self.gdata = self._tex(ctx, (w * ss, h * ss), 4, "u4")
        self.gbuffer = self._fbo(ctx, [self.gcolor, self.gdata], ctx.depth_renderbuffer((w * ss, h * ss)))
        self.lit = self._tex(ctx, (w, h), 4, "f1")
        self.lit.filter = (moderngl.LINEAR, moderngl.LINEAR)
        outs = [
            self.lit,
            ctx.renderbuffer((w, h), 1, dtype="f4"),
            ctx.renderbuffer((w, h), 4, dtype="f4"),
            ctx.renderbuffer((w, h), 1, dtype="i4"),
            ctx.renderbuffer((w, h), 1, dtype="u1"),
        ]
        self.out = self._fbo(ctx, outs, None)
        self.aa = self._fbo(ctx, [ctx.renderbuffer((w, h), 4)], None)

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

    def read(self) -> Image:
        w, h = self.size
        rgb = self._read(self.aa if self.smoothed else self.out, 0, 3, np.uint8).reshape(h, w, 3)
        depth = self._read(self.out, 1, 1, np.float32).reshape(h, w)
        normal = self._read(self.out, 2, 3, np.float32).reshape(h, w, 3)
        instance = self._read(self.out, 3, 1, np.int32).reshape(h, w)
        semantic = self._read(self.out, 4, 1, np.uint8).reshape(h, w)
        return Image(
            rgb_hw3=rgb, depth_hw=depth, normal_hw3=normal, instance_hw=instance, semantic_hw=semantic
        )

    def _read(
        self, fbo: moderngl.Framebuffer, attachment: int, components: int, np_dtype: type
    ) -> np.ndarray:
        w, h = self.size
        dt = np.dtype(np_dtype)
        buf = bytearray(w * h * components * dt.itemsize)
        gl_dtype = {"uint8": "f1" if attachment == 0 else "u1", "float32": "f4", "int32": "i4"}[dt.name]
        fbo.read_into(buf, components=components, attachment=attachment, dtype=gl_dtype)
        return np.frombuffer(buf, dt)

    def release(self) -> None:
        for obj in reversed(self._own):
            obj.release()
        self._own.clear()


_shared: Renderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> Renderer:
    """The process-wide renderer (one GL context, worlds cached across nodes and frames)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Renderer()
        return _shared
