"""Export nodes: write results into the run's output folder, atomically (temporary name, then rename).

Every file goes through oyster_nodes.io.files.OutputFolder: names come from templates ({workflow}, {node},
{seed}, {date}, {time}, {frame:04d}), paths that leave the folder (.., absolute, symbolic links) are
refused, and an existing file is an error unless the node's `overwrite` is on. Images, videos, GLB and PLY
files carry the workflow that made them (oyster_nodes.io.provenance.read_workflow reads it back).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oyster_nodes.io.exporters.camera_export import camera_csv, camera_frames, camera_json, frame_rows
from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.io.exporters.heightmap import write_heightmaps
from oyster_nodes.io.exporters.ply import AXES_CHOICES, point_cloud_ply, sample_world, splat_ply
from oyster_nodes.io.files import NameFields, OutputFolder, render_name, workflow_json
from oyster_nodes.io.images import (
    depth_png16,
    encode_png,
    id_image,
    normals_rgb,
    write_exr_sequence,
    write_png_sequence,
)
from oyster_nodes.io.provenance import PLY_COMMENT, compact_json
from oyster_nodes.io.video import CODECS, QUALITIES, encode_video, suffix_for
from oyster_nodes.node import Node, Param, Port, RelPath, RunContext
from oyster_nodes.types import Audio, CameraPath, Files, Frames, Image
from oyster_nodes.world import Timeline, WorldState

OVERWRITE = Param("overwrite", bool, False, description="replace files that already exist (otherwise: an error)")


class ExportPNG(Node):
    """Write an Image's rgb as PNG; optionally its depth as a 16-bit PNG in millimetres (0: sky/none)."""

    type = "export.png"
    title = "Export PNG"
    category = "export"
    writes_files = True
    inputs = (Port("image", Image),)
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "frame.png", widget="file",
              description="file inside the output folder; may use {workflow} {node} {seed} {date} {time}"),
        Param("depth", bool, False, description="also write <name>_depth.png (uint16, millimetres, clipped)"),
        Param("depth_scale_mm", float, 1.0, min=0.01, max=1000.0,
              description="millimetres per depth unit in the 16-bit file (1: up to 65.5 m)"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, image: Image, path: RelPath, depth: bool = False,
            depth_scale_mm: float = 1.0, overwrite: bool = False) -> Files:
        folder, wf = _folder(ctx, overwrite), workflow_json(ctx.workflow)
        name = _with_suffix(ctx, render_name(str(path), _fields(ctx, _seed(image))), ".png")
        files = {name: encode_png(image.rgb_hw3, workflow_json=wf)}
        if depth and image.depth_hw is None:
            ctx.warn("image has no depth pass; wrote rgb only")
        elif depth:  # the export.depth encoding, with a step of depth_scale_mm (readable by depth_from_png16)
            q, meta = depth_png16(image.depth_hw, max_m=depth_scale_mm / 1000.0 * 65534.0)
            files[name[:-4] + "_depth.png"] = encode_png(q, bits=16, workflow_json=wf, text=meta)
        for rel, data in zip(folder.claim_all(list(files)), files.values(), strict=True):
            folder.write_bytes(rel, data, claimed=True)
        return folder.files()


# --------------------------------------------------------------------------------------- helpers


def _write_one(ctx: RunContext, path: RelPath, data: bytes, *, seed: int, suffix: str, overwrite: bool) -> Files:
    """Write one file named from the path template, atomically, and report it."""
    folder = _folder(ctx, overwrite)
    folder.write_bytes(_with_suffix(ctx, render_name(str(path), _fields(ctx, seed)), suffix), data)
    return folder.files()


def _folder(ctx: RunContext, overwrite: bool) -> OutputFolder:
    return OutputFolder(root=ctx.out_dir, if_exists="overwrite" if overwrite else "error")


def _fields(ctx: RunContext, seed: int = 0) -> NameFields:
    return NameFields(workflow=ctx.workflow_name, node=ctx.node_id, seed=seed)


def _with_suffix(ctx: RunContext, name: str, suffix: str) -> str:
    """The name ending in `suffix`; a different extension is replaced, with a note on the node."""
    if name.lower().endswith(suffix):
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and "/" not in ext:
        ctx.warn(f"'{name}' renamed to end in {suffix}")
        return stem + suffix
    return name + suffix


def _frames(ctx: RunContext, frames: Frames | None, image: Image | None) -> Frames:
    """The connected Frames, or the connected Image as a one-frame sequence."""
    if frames is not None:
        return frames
    if image is None:
        raise ValueError(f"node '{ctx.node_id}': connect frames or an image")
    return Frames(rgb_nhw3=image.rgb_hw3[None], depth_nhw=_one(image.depth_hw), normal_nhw3=_one(image.normal_hw3),
                  instance_nhw=_one(image.instance_hw), semantic_nhw=_one(image.semantic_hw), info=image.info)


def _one(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else a[None]


def _seed(frames: Frames | Image) -> int:
    """The seed of the world the frames show (written by the renderer), for {seed} in names."""
    seed = frames.info.get("seed", 0) if isinstance(frames.info, dict) else 0
    return seed if isinstance(seed, int) else 0


FRAME_INPUTS = (Port("frames", Frames, "a shot", optional=True),
                Port("image", Image, "or a single rendered image", optional=True))


# ----------------------------------------------------------------------------------- video, images


class ExportVideo(Node):
    """Encode frames as H.264 MP4 (plays in browsers; AAC audio) or ProRes 422 MOV (for editing software)."""

    type = "export.video"
    title = "Export video"
    category = "export"
    writes_files = True
    inputs = (Port("frames", Frames), Port("audio", Audio, "sound track", optional=True))
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_{node}.mp4", widget="file",
              description="file name template: {workflow} {node} {seed} {date} {time}"),
        Param("codec", str, "h264", choices=CODECS, description="h264: MP4 for players and the web; "
              "prores: 10-bit 4:2:2 MOV for editors"),
        Param("quality", str, "standard", choices=QUALITIES,
              description="draft / standard / high / master: H.264 CRF 28 / 20 / 17 / 12, ProRes LT / 422 / HQ / HQ"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, frames: Frames, audio: Audio | None, path: RelPath, codec: str,
            quality: str, overwrite: bool) -> Files:
        folder = _folder(ctx, overwrite)
        name = _with_suffix(ctx, render_name(str(path), _fields(ctx, _seed(frames))), suffix_for(codec))
        with folder.writing(name) as tmp:
            info = encode_video(tmp, frames.rgb_nhw3, fps=frames.fps, audio=audio, codec=codec, quality=quality,
                                workflow_json=workflow_json(ctx.workflow))
        for note in info.warnings:
            ctx.warn(note)
        return folder.files()


class ExportImageSequence(Node):
    """Write every frame as an 8- or 16-bit PNG, named from a {frame}-template."""

    type = "export.image_sequence"
    title = "Export image sequence"
    category = "export"
    writes_files = True
    inputs = FRAME_INPUTS
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_{node}/frame_{frame:04d}.png", widget="file",
              description="name template; must contain {frame}, e.g. {frame:04d}"),
        Param("bits", int, 8, choices=(8, 16), description="bits per channel"),
        Param("first_frame", int, 1, min=0, max=1_000_000, description="number of the first frame"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, frames: Frames | None, image: Image | None, path: RelPath, bits: int,
            first_frame: int, overwrite: bool) -> Files:
        shot = _frames(ctx, frames, image)
        folder = _folder(ctx, overwrite)
        write_png_sequence(folder, shot.rgb_nhw3, template=str(path), fields=_fields(ctx, _seed(shot)), bits=bits,
                           workflow_json=workflow_json(ctx.workflow), first_frame=first_frame)
        return folder.files()


class ExportDepth(Node):
    """Write the depth pass per frame: 16-bit PNG (linear, 0 = no depth) or float32 OpenEXR (channel Z, metres)."""

    type = "export.depth"
    title = "Export depth"
    category = "export"
    writes_files = True
    inputs = FRAME_INPUTS
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_{node}/depth_{frame:04d}", widget="file",
              description="name template with {frame}; the extension follows the format"),
        Param("format", str, "exr", choices=("exr", "png16"), description="exr: exact metres; png16: quantised"),
        Param("max_depth_m", float, 1000.0, min=0.01, max=1_000_000.0,
              description="png16 only: depth at the top of the 16-bit range (step = max / 65534)"),
        Param("first_frame", int, 1, min=0, max=1_000_000),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, frames: Frames | None, image: Image | None, path: RelPath, format: str,
            max_depth_m: float, first_frame: int, overwrite: bool) -> Files:
        shot = _frames(ctx, frames, image)
        if shot.depth_nhw is None:
            raise ValueError(f"node '{ctx.node_id}': the frames carry no depth pass; render with depth")
        folder, fields, wf = _folder(ctx, overwrite), _fields(ctx, _seed(shot)), workflow_json(ctx.workflow)
        template = _with_suffix(ctx, str(path), ".exr" if format == "exr" else ".png")
        if format == "exr":
            planes = [{"Z": d.astype(np.float32)} for d in shot.depth_nhw]
            write_exr_sequence(folder, planes, template=template, fields=fields, workflow_json=wf,
                               first_frame=first_frame, attributes={"oysterDepth": "metres along the view axis"})
        else:
            pairs = [depth_png16(d, max_m=max_depth_m) for d in shot.depth_nhw]
            write_png_sequence(folder, np.stack([q for q, _ in pairs]), template=template, fields=fields, bits=16,
                               workflow_json=wf, first_frame=first_frame, text=pairs[0][1])
        return folder.files()


class ExportPasses(Node):
    """Write normal and id passes per frame: normals as 16-bit PNG (n*0.5+0.5), instance ids as 16-bit PNG
    (or uint32 EXR when they exceed 65535), semantic classes as 8-bit PNG."""

    type = "export.passes"
    title = "Export passes"
    category = "export"
    writes_files = True
    inputs = FRAME_INPUTS
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_{node}/{frame:04d}", widget="file",
              description="name template with {frame}; each pass appends _normal, _instance or _semantic"),
        Param("normals", bool, True), Param("instance_ids", bool, True), Param("semantic_ids", bool, True),
        Param("first_frame", int, 1, min=0, max=1_000_000),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, frames: Frames | None, image: Image | None, path: RelPath, normals: bool,
            instance_ids: bool, semantic_ids: bool, first_frame: int, overwrite: bool) -> Files:
        shot = _frames(ctx, frames, image)
        folder, fields, wf = _folder(ctx, overwrite), _fields(ctx, _seed(shot)), workflow_json(ctx.workflow)
        wanted = {"normal": (normals, shot.normal_nhw3), "instance": (instance_ids, shot.instance_nhw),
                  "semantic": (semantic_ids, shot.semantic_nhw)}
        for name, (on, data) in wanted.items():
            if on and data is None:
                ctx.warn(f"the frames carry no {name} pass; skipped")
            elif on:
                _write_pass(folder, name, data, str(path), fields, wf, first_frame)
        return folder.files()


def _write_pass(folder: OutputFolder, name: str, data: np.ndarray, template: str, fields: NameFields,
                wf: str | None, first: int) -> None:
    stem = template[:-4] if template.lower().endswith((".png", ".exr")) else template
    if name == "normal":
        write_png_sequence(folder, np.stack([normals_rgb(n) for n in data]), template=f"{stem}_normal.png",
                           fields=fields, bits=16, workflow_json=wf, first_frame=first)
        return
    kind, ids = id_image(np.asarray(data))
    if name == "semantic" and kind == "png" and ids.max(initial=0) < 256:
        write_png_sequence(folder, ids.astype(np.uint8), template=f"{stem}_semantic.png", fields=fields,
                           workflow_json=wf, first_frame=first)
    elif kind == "png":
        write_png_sequence(folder, ids, template=f"{stem}_{name}.png", fields=fields, bits=16, workflow_json=wf,
                           first_frame=first)
    else:
        write_exr_sequence(folder, [{"id": i} for i in ids], template=f"{stem}_{name}.exr", fields=fields,
                           workflow_json=wf, first_frame=first)


# ---------------------------------------------------------------------------------------- 3D, terrain


class ExportGLB(Node):
    """The world as one GLB: adaptive terrain, water, structures, instanced vegetation and props, the sun,
    the camera path as an animated camera and a simulated timeline's bodies and agents as animated objects."""

    type = "export.glb"
    title = "Export GLB"
    category = "export"
    writes_files = True
    inputs = (Port("world", WorldState), Port("camera", CameraPath, "becomes an animated camera", optional=True),
              Port("timeline", Timeline, "simulated bodies and agents become animated objects", optional=True))
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}.glb", widget="file", description="file name template"),
        Param("instancing", str, "nodes", choices=("nodes", "gpu"),
              description="nodes: one node per instance (opens everywhere, Blender 3.x included); "
              "gpu: EXT_mesh_gpu_instancing (compact; engines and Blender 3.6+)"),
        Param("terrain_error_m", float, 0.25, min=0.0, max=100.0,
              description="largest height error the terrain mesh may skip at an edge midpoint"),
        Param("max_terrain_triangles", int, 600_000, min=1_000, max=5_000_000),
        Param("texture_px", int, 1024, choices=(256, 512, 1024, 2048, 4096), description="terrain colour texture"),
        Param("vegetation", bool, True, description="include scattered vegetation and props"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, world: WorldState, camera: CameraPath | None, timeline: Timeline | None,
            path: RelPath, instancing: str, terrain_error_m: float, max_terrain_triangles: int, texture_px: int,
            vegetation: bool, overwrite: bool) -> Files:
        options = GlbOptions(instancing=instancing, terrain_error_m=terrain_error_m, texture_px=texture_px,
                             max_terrain_triangles=max_terrain_triangles, include_instances=vegetation)
        data, info = world_glb(world, camera=camera, timeline=timeline, options=options,
                               workflow_json=workflow_json(ctx.workflow))
        for note in info.warnings:
            ctx.warn(note)
        return _write_one(ctx, path, data, seed=world.seed, suffix=".glb", overwrite=overwrite)


POINT_PARAMS = (
    Param("points", int, 1_000_000, min=1_000, max=20_000_000, description="about this many, spread evenly by area"),
    Param("axes", str, "z_up", choices=AXES_CHOICES,
          description="z_up: world axes; y_up: glTF axes; y_down: OpenCV/COLMAP axes"),
    Param("seed", int, 0, min=0, max=2**31 - 1, description="sampling seed"),
)


def _ply_comments(ctx: RunContext) -> list[str]:
    wf = workflow_json(ctx.workflow)
    return ["generated by Oyster Nodes"] + ([f"{PLY_COMMENT} {compact_json(wf)}"] if wf else [])


class ExportPointCloud(Node):
    """A coloured point cloud PLY (x y z, normals, rgb) sampled from every surface of the world."""

    type = "export.ply"
    title = "Export point cloud"
    category = "export"
    writes_files = True
    inputs = (Port("world", WorldState),)
    outputs = (Port("files", Files),)
    params = (Param("path", RelPath, "{workflow}_points.ply", widget="file"), *POINT_PARAMS, OVERWRITE)

    def run(self, ctx: RunContext, *, world: WorldState, path: RelPath, points: int, axes: str, seed: int,
            overwrite: bool) -> Files:
        data = point_cloud_ply(sample_world(world, points, seed=seed), axes=axes, comments=_ply_comments(ctx))
        return _write_one(ctx, path, data, seed=seed, suffix=".ply", overwrite=overwrite)


class ExportSplat(Node):
    """A 3D Gaussian splat PLY (standard attribute layout) of flat discs on the world's surfaces."""

    type = "export.splat"
    title = "Export Gaussian splats"
    category = "export"
    writes_files = True
    inputs = (Port("world", WorldState),)
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_splats.ply", widget="file"), *POINT_PARAMS,
        Param("opacity", float, 0.95, min=0.01, max=0.999),
        Param("splat_size", float, 1.0, min=0.1, max=10.0, description="disc radius relative to the point spacing"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, world: WorldState, path: RelPath, points: int, axes: str, seed: int,
            opacity: float, splat_size: float, overwrite: bool) -> Files:
        data = splat_ply(sample_world(world, points, seed=seed), axes=axes, comments=_ply_comments(ctx),
                         opacity=opacity, size=splat_size)
        return _write_one(ctx, path, data, seed=seed, suffix=".ply", overwrite=overwrite)


class ExportHeightmap(Node):
    """16-bit heightmap (PNG and RAW), material masks, splat control maps and a JSON sidecar for game engines."""

    type = "export.heightmap"
    title = "Export heightmap"
    category = "export"
    writes_files = True
    inputs = (Port("world", WorldState),)
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_terrain/terrain", widget="file",
              description="stem: files are <stem>_height.png, <stem>_mask_<material>.png, <stem>.json ..."),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, world: WorldState, path: RelPath, overwrite: bool) -> Files:
        folder = _folder(ctx, overwrite)
        write_heightmaps(folder, world, stem=render_name(str(path), _fields(ctx, world.seed)),
                         workflow_json=workflow_json(ctx.workflow))
        return folder.files()


class ExportCameraPath(Node):
    """The camera path per frame as JSON and CSV (position, target, rotation, focal length, field of view)."""

    type = "export.camera_path"
    title = "Export camera path"
    category = "export"
    writes_files = True
    inputs = (Port("camera", CameraPath),)
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "{workflow}_camera", widget="file", description="stem: <stem>.json and <stem>.csv"),
        Param("as_json", bool, True, description="write <stem>.json (settings, keys, one entry per frame)"),
        Param("as_csv", bool, True, description="write <stem>.csv (one row per frame)"),
        OVERWRITE,
    )

    def run(self, ctx: RunContext, *, camera: CameraPath, path: RelPath, as_json: bool, as_csv: bool,
            overwrite: bool) -> Files:
        stem = render_name(str(path), _fields(ctx))
        if not (as_json or as_csv):
            raise ValueError(f"node '{ctx.node_id}': turn on as_json or as_csv")
        frames = camera_frames(camera)  # sampled once, shared by both writers
        rows = frame_rows(frames)
        files: dict[str, Any] = {}
        if as_json:
            files[f"{stem}.json"] = camera_json(camera, workflow_json=workflow_json(ctx.workflow), frames=frames,
                                                rows=rows)
        if as_csv:
            files[f"{stem}.csv"] = camera_csv(camera, frames=frames, rows=rows)
        folder = _folder(ctx, overwrite)
        for rel, text in zip(folder.claim_all(list(files)), files.values(), strict=True):
            folder.write_text(rel, text, claimed=True)
        return folder.files()


NODES = (ExportPNG, ExportVideo, ExportImageSequence, ExportDepth, ExportPasses, ExportGLB, ExportPointCloud,
         ExportSplat, ExportHeightmap, ExportCameraPath)
