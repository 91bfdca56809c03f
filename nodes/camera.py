"""Camera path nodes: keyframes, named camera moves, and a camera that follows a body or agent.

Each gives a CameraPath (one key per frame, kept clear of the ground and of objects) and a preview: the
path drawn on a top-down map of the world. Corrections (lifting the camera out of a hill, target hidden
behind terrain) are shown as warnings on the node. Their settings are declared once, in the core's
ShotSettings, PresetSettings and FollowSettings.
"""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node, Param, ParamProblem, Port, RunContext, params_from, parse_problems, settings_from
from oyster_nodes.types import CameraPath, Image
from oyster_nodes.world import (
    EASINGS,
    FollowSettings,
    PathSamples,
    PresetSettings,
    ShotSettings,
    Timeline,
    WorldState,
    follow_samples,
    keep_clear,
    parse_keys,
    preset_samples,
    sample_keys,
    to_camera_path,
)

SHOT_PARAMS = params_from(ShotSettings)


def finish(ctx: RunContext, world: WorldState | None, samples: PathSamples, shot: ShotSettings,
           tracks: list[Any] | None = None, clearance_m: float | None = None) -> dict[str, Any]:
    """Clearance, warnings, the CameraPath and its map."""
    if world is not None:
        clearance = shot.clearance_m if clearance_m is None else clearance_m
        samples = keep_clear(world, samples, clearance_m=float(clearance))
    for note in samples.notes:
        ctx.warn(note)
    frame = shot.shot()
    path = to_camera_path(samples, frame)
    if world is None:
        return {"path": path, "preview": None}
    from oyster_nodes.world import top_down_map

    preview = top_down_map(world, samples, size_px=int(shot.map_px), sensor_mm=frame.sensor_mm, tracks=tracks)
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

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return parse_problems("keys", "fix that key in the keyframe table", parse_keys, params["keys"],
                              duration_s=float(params["duration_s"]))

    def run(self, ctx: RunContext, *, world: WorldState | None = None, keys: list[Any], ease: str,
            **p: Any) -> dict[str, Any]:
        shot = settings_from(ShotSettings, p)
        frame = shot.shot()
        parsed, notes = parse_keys(keys, duration_s=frame.duration_s)
        samples = sample_keys(parsed, frame.times(), shot_ease=ease, duration_s=frame.duration_s)
        samples.notes = notes
        out = finish(ctx, world, samples, shot)
        if out["preview"] is None:
            from oyster_nodes.world import blank_map

            out["preview"] = blank_map(samples, size_px=int(shot.map_px))
        return out


def parse_subject(subject: list[Any]) -> tuple[float, float] | None:
    """The [x, y] a preset looks at, or None for an empty list; ValueError says what is wrong."""
    if not subject:
        return None
    problem = f"subject expects [x, y] in metres or nothing, got {subject!r}"
    if len(subject) != 2:
        raise ValueError(problem)
    try:
        return float(subject[0]), float(subject[1])
    except (TypeError, ValueError):
        raise ValueError(problem) from None


class CameraPreset(Node):
    """A named camera move around a subject: orbit, dolly in/out, truck, crane, pan, tilt, fly-through, walk."""

    type = "camera.preset"
    title = "Camera move"
    category = "camera"
    inputs = (Port("world", WorldState),)
    outputs = (Port("path", CameraPath), Port("preview", Image, "the path on a top-down map"))
    params = (
        *params_from(PresetSettings, only=("preset",)),
        Param("subject", list, [], widget="vector", max_items=2,
              description="[x, y] to look at; empty: an imported mesh, else the central building, else the centre"),
        *params_from(PresetSettings, only=("aim_height_m", "distance_m", "end_distance_m", "height_m",
                                           "end_height_m")),
        Param("auto_azimuth", bool, True, description="pick the side with the clearest view"),
        Param("azimuth_deg", float, 225.0, min=-360.0, max=360.0, description="direction from the subject",
              applies={"auto_azimuth": (False,)}),
        *params_from(PresetSettings, only=("sweep_deg", "travel_m", "altitude_m", "speed_mps", "focal_mm", "ease")),
        *SHOT_PARAMS,
    )

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return parse_problems("subject", "give [x, y] in metres, or [] for the automatic subject", parse_subject,
                              params["subject"])

    def run(self, ctx: RunContext, *, world: WorldState, subject: list[Any], auto_azimuth: bool,
            azimuth_deg: float, **p: Any) -> dict[str, Any]:
        shot = settings_from(ShotSettings, p)
        settings = settings_from(PresetSettings, p, subject=parse_subject(subject),
                                 azimuth_deg=None if auto_azimuth else azimuth_deg)
        samples = preset_samples(world, shot.shot(), settings.preset, settings)
        walk_clearance = min(float(shot.clearance_m), 0.5) if settings.preset == "walk" else None
        return finish(ctx, world, samples, shot, clearance_m=walk_clearance)


class CameraFollow(Node):
    """A camera that follows a simulated body or agent: chase, side, overhead, or its own eyes (pov)."""

    type = "camera.follow"
    title = "Follow camera"
    category = "camera"
    inputs = (Port("world", WorldState), Port("timeline", Timeline, "from a simulate node"))
    outputs = (Port("path", CameraPath), Port("preview", Image, "the path and the followed track on a map"))
    params = (*params_from(FollowSettings), *SHOT_PARAMS)

    def run(self, ctx: RunContext, *, world: WorldState, timeline: Timeline, **p: Any) -> dict[str, Any]:
        shot, follow = settings_from(ShotSettings, p), settings_from(FollowSettings, p)
        frame = shot.shot()
        if frame.duration_s > timeline.duration_s + 1e-6:
            ctx.warn(f"the shot ({frame.duration_s:g} s) is longer than the simulation ({timeline.duration_s:g} s);"
                     " the camera holds at the end")
        samples = follow_samples(world, frame, timeline, follow)
        track, _ = timeline.track(follow.target_id, frame.times())
        return finish(ctx, world, samples, shot, tracks=[track], clearance_m=0.0 if follow.mode == "pov" else None)


NODES = (CameraKeyframes, CameraPreset, CameraFollow)
