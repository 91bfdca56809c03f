"""Camera path nodes: keyframes, named camera moves, and a camera that follows a body or agent.

Each gives a CameraPath (one key per frame, kept clear of the ground and of objects) and a preview: the
path drawn on a top-down map of the world. Corrections (lifting the camera out of a hill, target hidden
behind terrain) are shown as warnings on the node.
"""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node, Param, Port, RunContext
from oyster_nodes.types import CameraPath, Image
from oyster_nodes.world import (
    ASPECTS,
    EASINGS,
    FOLLOW_MODES,
    FPS_CHOICES,
    PRESETS,
    RESOLUTIONS,
    PathSamples,
    PresetSettings,
    Shot,
    Timeline,
    WorldState,
    follow_samples,
    frame_size,
    keep_clear,
    parse_keys,
    preset_samples,
    sample_keys,
    to_camera_path,
)

RESOLUTION_CHOICES = (*RESOLUTIONS, "custom")

SHOT_PARAMS = (
    Param("duration_s", float, 5.0, min=0.1, max=600.0, description="length of the shot in seconds"),
    Param("fps", int, 24, choices=FPS_CHOICES, description="frames per second"),
    Param("resolution", str, "720p", choices=RESOLUTION_CHOICES,
          description="short side of a 16:9 frame; other aspects keep its long side"),
    Param("aspect", str, "16:9", choices=tuple(ASPECTS), description="frame shape"),
    Param("width", int, 1280, min=16, max=8192, description="used when resolution is custom"),
    Param("height", int, 720, min=16, max=8192, description="used when resolution is custom"),
    Param("clearance_m", float, 1.5, min=0.0, max=100.0,
          description="the camera stays this far above ground, water and objects"),
    Param("map_px", int, 512, min=128, max=2048, description="size of the top-down preview"),
)


def make_shot(p: dict[str, Any]) -> Shot:
    if p["resolution"] == "custom":
        width, height = int(p["width"]), int(p["height"])
    else:
        width, height = frame_size(p["resolution"], p["aspect"])
    return Shot(duration_s=float(p["duration_s"]), fps=float(p["fps"]), width=width, height=height)


def finish(ctx: RunContext, world: WorldState | None, samples: PathSamples, shot: Shot, p: dict[str, Any],
           tracks: list[Any] | None = None) -> dict[str, Any]:
    """Clearance, warnings, the CameraPath and its map."""
    if world is not None:
        samples = keep_clear(world, samples, clearance_m=float(p["clearance_m"]))
    for note in samples.notes:
        ctx.warn(note)
    path = to_camera_path(samples, shot)
    if world is None:
        return {"path": path, "preview": None}
    from oyster_nodes.world import top_down_map

    preview = top_down_map(world, samples, size_px=int(p["map_px"]), sensor_mm=shot.sensor_mm, tracks=tracks)
    preview.info["notes"] = list(samples.notes)
    return {"path": path, "preview": preview}


class CameraKeyframes(Node):
    """A camera path through keyframes: [{time, position, target or yaw_deg/pitch_deg, focal_mm, ease}]."""

    type = "camera.keyframes"
    title = "Camera keyframes"
    category = "camera"
    inputs = (Port("world", WorldState, "keeps the camera clear of it; draws the map", optional=True),)
    outputs = (Port("path", CameraPath), Port("preview", Image, "the path on a top-down map"))
    params = (
        Param("keys", list, [{"time": 0.0, "position": [100.0, 100.0, 40.0], "target": [512.0, 512.0, 20.0]},
                             {"time": 5.0, "position": [300.0, 120.0, 60.0], "target": [512.0, 512.0, 20.0]}],
              widget="keyframes", max_items=1000,
              description="keys: time s, position [x,y,z], target [x,y,z] (or yaw_deg, pitch_deg), focal_mm, ease"),
        Param("ease", str, "linear", choices=tuple(EASINGS), description="easing over the whole shot"),
        *SHOT_PARAMS,
    )

    def run(self, ctx: RunContext, *, world: WorldState | None = None, keys: list[Any], ease: str,
            **p: Any) -> dict[str, Any]:
        shot = make_shot(p)
        parsed, notes = parse_keys(keys, duration_s=shot.duration_s)
        samples = sample_keys(parsed, shot.times(), shot_ease=ease, duration_s=shot.duration_s)
        samples.notes = notes
        out = finish(ctx, world, samples, shot, p)
        if out["preview"] is None:
            from oyster_nodes.world import blank_map

            out["preview"] = blank_map(samples, size_px=int(p["map_px"]))
        return out


class CameraPreset(Node):
    """A named camera move around a subject: orbit, dolly in/out, truck, crane, pan, tilt, fly-through, walk."""

    type = "camera.preset"
    title = "Camera move"
    category = "camera"
    inputs = (Port("world", WorldState),)
    outputs = (Port("path", CameraPath), Port("preview", Image, "the path on a top-down map"))
    params = (
        Param("preset", str, "orbit", choices=PRESETS, description="the move"),
        Param("subject", list, [], widget="vector", max_items=2,
              description="[x, y] to look at; empty: an imported mesh, else the central building, else the centre"),
        Param("aim_height_m", float, 2.0, min=0.0, max=500.0, description="aim this high above the ground"),
        Param("distance_m", float, 40.0, min=0.5, max=5000.0, description="distance from the subject"),
        Param("end_distance_m", float, 12.0, min=0.5, max=5000.0, description="dolly: distance at the end"),
        Param("height_m", float, 12.0, min=-100.0, max=2000.0, description="camera height above the subject"),
        Param("end_height_m", float, 40.0, min=-100.0, max=2000.0, description="crane: height at the end"),
        Param("auto_azimuth", bool, True, description="pick the side with the clearest view"),
        Param("azimuth_deg", float, 225.0, min=-360.0, max=360.0, description="direction from the subject"),
        Param("sweep_deg", float, 360.0, min=-1080.0, max=1080.0, description="orbit, pan or tilt angle"),
        Param("travel_m", float, 0.0, min=0.0, max=20000.0, description="truck / fly-through length; 0: auto"),
        Param("altitude_m", float, 25.0, min=1.0, max=2000.0, description="fly-through height above ground"),
        Param("speed_mps", float, 1.4, min=0.1, max=30.0, description="walking speed"),
        Param("focal_mm", float, 35.0, min=4.0, max=600.0, widget="slider"),
        Param("ease", str, "in_out", choices=tuple(EASINGS), description="easing of the move"),
        *SHOT_PARAMS,
    )

    def run(self, ctx: RunContext, *, world: WorldState, preset: str, subject: list[Any], auto_azimuth: bool,
            **p: Any) -> dict[str, Any]:
        shot = make_shot(p)
        if subject and len(subject) != 2:
            raise ValueError(f"subject expects [x, y] in metres or nothing, got {subject!r}")
        settings = PresetSettings(
            subject=(float(subject[0]), float(subject[1])) if subject else None,
            aim_height_m=p["aim_height_m"], distance_m=p["distance_m"], end_distance_m=p["end_distance_m"],
            height_m=p["height_m"], end_height_m=p["end_height_m"],
            azimuth_deg=None if auto_azimuth else p["azimuth_deg"], sweep_deg=p["sweep_deg"],
            travel_m=p["travel_m"], altitude_m=p["altitude_m"], speed_mps=p["speed_mps"],
            focal_mm=p["focal_mm"], ease=p["ease"])
        samples = preset_samples(world, shot, preset, settings)
        if preset == "walk":
            p = {**p, "clearance_m": min(float(p["clearance_m"]), 0.5)}
        return finish(ctx, world, samples, shot, p)


class CameraFollow(Node):
    """A camera that follows a simulated body or agent: chase, side, overhead, or its own eyes (pov)."""

    type = "camera.follow"
    title = "Follow camera"
    category = "camera"
    inputs = (Port("world", WorldState), Port("timeline", Timeline, "from a simulate node"))
    outputs = (Port("path", CameraPath), Port("preview", Image, "the path and the followed track on a map"))
    params = (
        Param("target_id", str, "", max_length=64, required=True, description="id of the body or agent"),
        Param("mode", str, "chase", choices=FOLLOW_MODES),
        Param("distance_m", float, 8.0, min=0.5, max=1000.0),
        Param("height_m", float, 3.0, min=-50.0, max=500.0),
        Param("lag_s", float, 0.4, min=0.0, max=10.0, description="how lazily the camera catches up"),
        Param("focal_mm", float, 35.0, min=4.0, max=600.0, widget="slider"),
        *SHOT_PARAMS,
    )

    def run(self, ctx: RunContext, *, world: WorldState, timeline: Timeline, target_id: str, mode: str,
            distance_m: float, height_m: float, lag_s: float, focal_mm: float, **p: Any) -> dict[str, Any]:
        shot = make_shot(p)
        if shot.duration_s > timeline.duration_s + 1e-6:
            ctx.warn(f"the shot ({shot.duration_s:g} s) is longer than the simulation ({timeline.duration_s:g} s);"
                     " the camera holds at the end")
        samples = follow_samples(world, shot, timeline, target_id, mode=mode, distance_m=distance_m,
                                 height_m=height_m, focal_mm=focal_mm, lag_s=lag_s)
        track, _ = timeline.track(target_id, shot.times())
        if mode == "pov":
            p = {**p, "clearance_m": 0.0}
        return finish(ctx, world, samples, shot, p, tracks=[track])


NODES = (CameraKeyframes, CameraPreset, CameraFollow)
