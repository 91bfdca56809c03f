"""A shot rendered: Timeline × CameraPath → Frames, with motion blur and depth of field.

The renderer keeps the world uploaded; each frame only changes the camera, the bodies, the agents and the
environment (`Timeline.world_at`). Motion blur averages sub-frame renders across the shutter (180° by
default), in linear light; the other passes come from the sub-frame nearest the frame's time. Depth of
field blurs each pixel by its thin-lens circle of confusion from the depth pass, focused on the camera's
target unless a focus distance is given. The renderer draws bodies and agents itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ...settings import setting
from ...types import CameraPath, Frames, Image
from ..camera.path import PathSamples, camera_at, frame_times, path_arrays
from ..geometry.camera import Camera
from ..state.records import Env
from ..state.timeline import Timeline
from ..state.world_state import WorldState
from .dynamic import ROW, dynamic_rows
from .lighting import lighting_from_env
from .weather import precipitation

PASSES: tuple[str, ...] = ("rgb", "rgb+depth", "all")
_TO_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)
MAX_COC_PX = 24.0
#: while the light changes over a shot (a scripted clock or weather), shadows and the terrain's baked light
#: are rendered for every this many frames and blended in between (Renderer.render's light_keys)
LIGHT_KEY_FRAMES = 8

Progress = Callable[[float, str], None]


@dataclass(kw_only=True, slots=True)
class SequenceSettings:
    motion_blur: int = setting(1, min=1, max=32, description="renders per frame (1: no motion blur)")
    shutter_deg: float = setting(180.0, min=1.0, max=360.0, description="shutter angle")
    f_stop: float = setting(0.0, min=0.0, max=64.0, description="aperture for depth of field; 0: all sharp")
    focus_m: float = setting(0.0, min=0.0, max=100000.0, description="focus distance; 0: the camera's target")
    passes: str = setting("rgb", choices=PASSES, description="extra passes to keep with the frames")
    notes: list[str] = field(default_factory=list)

    @property
    def blur_samples(self) -> int:
        """Renders averaged per frame."""
        return self.motion_blur

    @property
    def shutter(self) -> float:
        """Shutter open time as a share of the frame interval (180° = 0.5)."""
        return self.shutter_deg / 360.0


def render_sequence(world: WorldState, path: CameraPath, timeline: Timeline | None, renderer: Any,
                    settings: SequenceSettings, progress: Progress | None = None) -> Frames:
    """Every frame of the shot with the passes asked for; notes in `settings.notes`."""
    if timeline is not None:
        _check_timeline(world, path, timeline, settings.notes)
    images = render_range(world, path, timeline, renderer, settings, 0, len(frame_times(path)), progress)
    return _joined(images, path, settings)


def render_range(world: WorldState, path: CameraPath, timeline: Timeline | None, renderer: Any,
                 settings: SequenceSettings, start: int, stop: int, progress: Progress | None = None) -> list[Image]:
    """Frames start..stop of the shot, as a render of the whole shot makes them (the times, camera samples and
    light keys are the whole shot's), so ranges rendered apart (other processes, other machines) and joined by
    `join_frames` give `render_sequence`'s frames."""
    report = progress or (lambda f, m: None)
    times = frame_times(path)
    if not 0 <= start <= stop <= len(times):
        raise ValueError(f"frames {start}..{stop} are outside the shot's 0..{len(times)}")
    arrays = path_arrays(path)
    keyed = timeline is not None and light_changes(world, timeline, times)
    images: list[Image] = []
    for k in range(start, stop):
        images.append(_keep_passes(render_frame(world, path, arrays, timeline, renderer, float(times[k]), settings,
                                                keyed=keyed), settings.passes))
        report((k + 1 - start) / max(stop - start, 1), f"frame {k + 1}/{len(times)}")
    return images


def join_frames(world: WorldState, path: CameraPath, timeline: Timeline | None, images: list[Image],
                settings: SequenceSettings) -> Frames:
    """The Frames of a shot from the Images of all its frames in order (its ranges joined), with the notes
    `render_sequence` makes (in `settings.notes`)."""
    if timeline is not None:
        _check_timeline(world, path, timeline, settings.notes)
    return _joined(images, path, settings)


def _joined(images: list[Image], path: CameraPath, settings: SequenceSettings) -> Frames:
    inside: dict[str, float] = {}
    for image in images:
        for name in image.info.get("camera_inside", []):
            inside.setdefault(name, float(image.info["time_s"]))
    for name, t in inside.items():
        settings.notes.append(f"the camera passes through {name} at {t:.2f} s: move the camera path (or the "
                              "body) so that it stays clear")
    return _stack(images, path, settings)


def bodies_around(world: WorldState, camera: Camera) -> list[str]:
    """The bodies and agents whose bounding sphere holds the camera's near plane (the shot would cut them)."""
    rows = dynamic_rows(world, 0)
    table = np.concatenate([t for t in rows.rows.values() if len(t)] or [np.zeros((0, ROW), np.float32)])
    if not len(table):
        return []
    reach = table[:, 7:10].max(axis=1) + table[:, 10] + camera.near_m
    hit = np.linalg.norm(table[:, :3] - np.asarray(camera.position, np.float32), axis=1) < reach
    things = [("body", b) for b in world.bodies] + [("agent", a) for a in world.agents]
    names = []
    for ident in sorted({int(round(v)) for v in table[hit, 14]}):
        kind, name = (things[ident][0], things[ident][1].id) if 0 <= ident < len(things) else ("body", str(ident))
        names.append(f"{kind} '{name}'")
    return names


def _keep_passes(image: Image, passes: str) -> Image:
    """Drop the passes the shot does not keep (a 720p frame with all passes is about 22 MB)."""
    if passes == "rgb":
        image.depth_hw = None
    if passes != "all":
        image.normal_hw3 = image.instance_hw = image.semantic_hw = None
    elif image.normal_hw3 is not None:
        image.normal_hw3 = image.normal_hw3.astype(np.float16)
    return image


def _check_timeline(world: WorldState, path: CameraPath, timeline: Timeline, notes: list[str]) -> None:
    if world.content_hash() != timeline.world_hash:
        from ..state.timeline import TimelineError

        raise TimelineError("the timeline was simulated from another world: connect the same world to the "
                            "simulate node and to this node")
    if path.duration_s > timeline.duration_s + 1e-6:
        notes.append(f"the camera path runs {path.duration_s:g} s but the simulation only {timeline.duration_s:g} s;"
                     " the last simulated moment is held")
    if abs(path.fps - timeline.fps) > 1e-6:
        notes.append(f"the camera runs at {path.fps:g} fps and the simulation at {timeline.fps:g} fps; "
                     "simulated poses are interpolated")


def world_at(world: WorldState, timeline: Timeline | None, t: float) -> WorldState:
    if timeline is None:
        return world
    return timeline.world_at_unchecked(world, t)


def falling_at(world: WorldState, t: float) -> WorldState:
    """The world with the shot's clock in its env where rain or snow falls (or lightning strikes) and no
    timeline set it, so that precipitation falls on from frame to frame (see weather.py) and lightning flashes
    at its moments (lightning.py)."""
    if world.env.time_s is not None or (precipitation(world.env)[0] == "none" and not world.env.lightning):
        return world
    return dataclasses.replace(world, env=dataclasses.replace(world.env, time_s=float(t)))


def light_changes(world: WorldState, timeline: Timeline, times: np.ndarray) -> bool:
    """Whether the shadows or the terrain's baked light change over these times (clock or weather)."""
    keys = set()
    for t in times:
        light = lighting_from_env(world_at(world, timeline, float(t)).env)
        keys.add((light.shadow_key(), light.bake_key()))
        if len(keys) > 1:
            return True
    return False


def light_keys(world: WorldState, timeline: Timeline, t: float, fps: float,
               end: float) -> tuple[Env, Env, float]:
    """The two key moments (every LIGHT_KEY_FRAMES frames, the last at the shot's end) around time t, as
    their environments, and how far t is from the first to the second."""
    span = LIGHT_KEY_FRAMES / fps
    t0 = math.floor(max(t, 0.0) / span) * span
    t1 = min(t0 + span, end)
    mix = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
    return world_at(world, timeline, t0).env, world_at(world, timeline, t1).env, float(np.clip(mix, 0.0, 1.0))


def render_frame(world: WorldState, path: CameraPath, arrays: PathSamples, timeline: Timeline | None,
                 renderer: Any, t: float, settings: SequenceSettings, keyed: bool = False) -> Image:
    """One frame: sub-frame renders averaged for motion blur, then depth of field. With `keyed`, shadows
    and baked light come from key moments (see LIGHT_KEY_FRAMES)."""
    samples = max(1, settings.blur_samples)
    spread = settings.shutter / path.fps if samples > 1 else 0.0
    offsets = [(s + 0.5) / samples - 0.5 for s in range(samples)]
    centre = int(np.argmin(np.abs(offsets)))
    end = max(path.duration_s, 1e-9)
    acc: np.ndarray | None = None
    main: Image | None = None
    for s, off in enumerate(offsets):
        ts = min(max(t + off * spread, 0.0), end)
        keys = light_keys(world, timeline, ts, path.fps, end) if keyed and timeline is not None else None
        now, cam = falling_at(world_at(world, timeline, ts), ts), camera_at(path, ts, arrays)
        image = render_still(now, cam, renderer, _passes_read(settings) if s == centre else ("rgb",), keys)
        if s == centre:
            image.info["camera_inside"] = bodies_around(now, cam)
        if samples > 1:
            linear = _TO_LINEAR[image.rgb_hw3]
            acc = linear if acc is None else acc + linear
        if s == centre:
            main = image
    assert main is not None
    if acc is not None:
        main.rgb_hw3 = _to_srgb(acc / samples)
    if settings.f_stop > 0:
        cam = camera_at(path, t, arrays)
        focus = settings.focus_m or _target_distance(cam)
        main.rgb_hw3 = depth_of_field(main.rgb_hw3, main.depth_hw, cam, f_stop=settings.f_stop, focus_m=focus)
    main.info["time_s"] = t
    return main


def _passes_read(settings: SequenceSettings) -> tuple[str, ...]:
    """The passes a frame needs from the renderer: those the shot keeps, and depth for depth of field."""
    if settings.passes == "all":
        return ("rgb", "depth", "normal", "instance", "semantic")
    return ("rgb", "depth") if settings.passes == "rgb+depth" or settings.f_stop > 0 else ("rgb",)


def render_still(world: WorldState, camera: Camera, renderer: Any, passes: tuple[str, ...] | None = None,
                 keys: tuple[Env, Env, float] | None = None) -> Image:
    """One render with bodies and agents in it (the renderer draws them: info["dynamic"])."""
    options: dict[str, Any] = {}
    if passes is not None:
        options["passes"] = passes
    if keys is not None:
        options["light_keys"] = keys
    image = renderer.render(world, camera, **options)
    if (world.bodies or world.agents) and not image.info.get("dynamic"):
        raise TypeError(f"{type(renderer).__name__} does not draw bodies and agents")
    return image


def _target_distance(cam: Camera) -> float:
    if cam.target is None:
        return 10.0
    return max(float(np.linalg.norm(np.subtract(cam.target, cam.position))), cam.near_m * 2)


def _to_srgb(linear: np.ndarray) -> np.ndarray:
    return np.clip(np.power(np.clip(linear, 0.0, 1.0), 1 / 2.2) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def circle_of_confusion(depth_hw: np.ndarray, cam: Camera, *, f_stop: float, focus_m: float) -> np.ndarray:
    """Blur radius in pixels per pixel from a thin lens (sky and far pixels count as infinitely far)."""
    f = cam.focal_mm / 1000.0
    d = np.where(np.isfinite(depth_hw) & (depth_hw > 0), depth_hw, 1e9).astype(np.float64)
    s = max(focus_m, f * 1.01)
    coc_m = (f * f / (f_stop * (s - f))) * np.abs(d - s) / d
    pixels = coc_m / (cam.sensor_mm / 1000.0) * cam.width
    return np.minimum(pixels / 2, MAX_COC_PX).astype(np.float32)


def depth_of_field(rgb: np.ndarray, depth_hw: np.ndarray | None, cam: Camera, *, f_stop: float,
                   focus_m: float) -> np.ndarray:
    """rgb blurred by the circle of confusion, in linear light: disc blurs at a few radii blended per pixel
    (what lies behind keeps its sharp edges), then the blurred foreground laid over it, so that out-of-focus
    things in front of the focus spread over what is behind them as a real lens shows them."""
    if depth_hw is None:
        return rgb
    radius = circle_of_confusion(depth_hw, cam, f_stop=f_stop, focus_m=focus_m)
    top = float(radius.max())
    if top < 0.5:
        return rgb
    levels = [0.0] + [r for r in (1.0, 2.0, 4.0, 8.0, 16.0, MAX_COC_PX) if r < top * 2]
    linear = _TO_LINEAR[rgb]
    layers = [linear] + [_blur_layer(linear, radius, r) for r in levels[1:]]
    out = np.zeros_like(linear)
    shares = [np.interp(radius, levels, one).astype(np.float32) for one in np.eye(len(levels))]
    for layer, w in zip(layers, shares, strict=True):  # piecewise-linear between neighbouring radii
        out += layer * w[..., None]
    near = np.isfinite(depth_hw) & (depth_hw < focus_m)
    if near.any() and float(radius[near].max()) >= 1.0:
        out = _over_near_field(out, linear, near, levels, shares)
    return _to_srgb(out)


def _over_near_field(out: np.ndarray, linear: np.ndarray, near: np.ndarray, levels: list[float],
                     shares: list[np.ndarray]) -> np.ndarray:
    """Spread each out-of-focus foreground pixel over its own blur disc and lay the result over `out`."""
    colour = np.zeros_like(linear)
    cover = np.zeros(near.shape, np.float32)
    for r, w in zip(levels[1:], shares[1:], strict=True):
        w = np.where(near, w, 0.0).astype(np.float32)
        if not w.any():
            continue
        kernel = _disc(r)
        colour += cv2.filter2D(linear * w[..., None], -1, kernel, borderType=cv2.BORDER_REFLECT)
        cover += cv2.filter2D(w, -1, kernel, borderType=cv2.BORDER_REFLECT)
    alpha = np.clip(cover * 2.0, 0.0, 1.0)  # half-covered at a blurred silhouette's edge: fully in front
    spread = colour / np.maximum(cover, 1e-4)[..., None]
    return out * (1.0 - alpha[..., None]) + spread * alpha[..., None]


def _blur_layer(linear: np.ndarray, radius: np.ndarray, r: float) -> np.ndarray:
    """A disc blur of radius r that only gathers pixels at least that blurry, so sharp things do not glow."""
    weight = np.clip(radius / r, 0.0, 1.0).astype(np.float32)
    kernel = _disc(r)
    total = cv2.filter2D(weight, -1, kernel, borderType=cv2.BORDER_REFLECT)
    summed = cv2.filter2D(linear * weight[..., None], -1, kernel, borderType=cv2.BORDER_REFLECT)
    blurred = summed / np.maximum(total, 1e-4)[..., None]
    return np.where((total > 1e-3)[..., None], blurred, linear)


def _disc(r: float) -> np.ndarray:
    size = int(math.ceil(r)) * 2 + 1
    yy, xx = np.mgrid[:size, :size] - size // 2
    k = np.clip(r + 0.5 - np.sqrt(xx * xx + yy * yy), 0.0, 1.0).astype(np.float32)
    return k / k.sum()


def _stack(frames: list[Image], path: CameraPath, settings: SequenceSettings) -> Frames:
    rgb = np.stack([f.rgb_hw3 for f in frames])
    out = Frames(rgb_nhw3=rgb, fps=float(path.fps), info={
        "device": frames[0].info.get("device", ""), "seed": frames[0].info.get("seed", 0),
        "camera_keys": path.key_count,
        "motion_blur": settings.blur_samples, "f_stop": settings.f_stop, "notes": list(settings.notes)})
    if settings.passes in ("rgb+depth", "all") and frames[0].depth_hw is not None:
        out.depth_nhw = np.stack([f.depth_hw for f in frames]).astype(np.float32)
    if settings.passes == "all":
        if frames[0].normal_hw3 is not None:
            out.normal_nhw3 = np.stack([f.normal_hw3 for f in frames]).astype(np.float16)
        if frames[0].instance_hw is not None:
            out.instance_nhw = np.stack([f.instance_hw for f in frames])
        if frames[0].semantic_hw is not None:
            out.semantic_nhw = np.stack([f.semantic_hw for f in frames])
    return out
