"""Sequence render node: a simulated shot seen through a camera path, as Frames."""

from __future__ import annotations

from oyster_nodes.node import Node, Param, Port, RunContext
from oyster_nodes.types import CameraPath, Frames
from oyster_nodes.world import Timeline, WorldState

PASS_CHOICES = ("rgb", "rgb+depth", "all")


class SequenceRender(Node):
    """Render every frame of a shot: the timeline's moving bodies, agents, light and weather through the camera.

    Motion blur averages renders across the shutter; depth of field blurs by distance from the focus.
    """

    type = "sequence.render"
    title = "Render sequence"
    category = "render"
    inputs = (
        Port("world", WorldState),
        Port("path", CameraPath),
        Port("timeline", Timeline, "from a simulate node; none: a still world", optional=True),
    )
    outputs = (Port("frames", Frames),)
    params = (
        Param("motion_blur", int, 1, min=1, max=32, description="renders per frame (1: no motion blur)"),
        Param("shutter_deg", float, 180.0, min=1.0, max=360.0, description="shutter angle"),
        Param("f_stop", float, 0.0, min=0.0, max=64.0, description="aperture for depth of field; 0: all sharp"),
        Param("focus_m", float, 0.0, min=0.0, max=100000.0, description="focus distance; 0: the camera's target"),
        Param("passes", str, "rgb", choices=PASS_CHOICES, description="extra passes to keep with the frames"),
    )

    def run(self, ctx: RunContext, *, world: WorldState, path: CameraPath, timeline: Timeline | None = None,
            motion_blur: int, shutter_deg: float, f_stop: float, focus_m: float, passes: str) -> Frames:
        from oyster_nodes.world import SequenceSettings, render_sequence, shared_renderer

        if 0 < f_stop < 0.7:
            ctx.warn(f"f/{f_stop:g} is wider than any real lens; using f/0.7")
            f_stop = 0.7
        settings = SequenceSettings(blur_samples=motion_blur, shutter=shutter_deg / 360.0, f_stop=f_stop,
                                    focus_m=focus_m, passes=passes)
        frames = render_sequence(world, path, timeline, shared_renderer(), settings, progress=ctx.progress)
        for note in settings.notes:
            ctx.warn(note)
        return frames


NODES = (SequenceRender,)
