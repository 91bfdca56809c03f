"""Sequence render node: a simulated shot seen through a camera path, as Frames."""

from __future__ import annotations

from oyster_nodes.node import Node, Port, RunContext, params_from, settings_from
from oyster_nodes.types import CameraPath, Frames
from oyster_nodes.world import SequenceSettings, Timeline, WorldState


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
    params = params_from(SequenceSettings)

    def run(self, ctx: RunContext, *, world: WorldState, path: CameraPath, timeline: Timeline | None = None,
            **p: object) -> Frames:
        from oyster_nodes.world import RENDERER, render_sequence

        settings = settings_from(SequenceSettings, p)
        if 0 < settings.f_stop < 0.7:
            ctx.warn(f"f/{settings.f_stop:g} is wider than any real lens; using f/0.7")
            settings.f_stop = 0.7
        with ctx.use_component(RENDERER) as renderer:
            frames = render_sequence(world, path, timeline, renderer, settings, progress=ctx.progress)
        for note in settings.notes:
            ctx.warn(note)
        return frames


NODES = (SequenceRender,)
