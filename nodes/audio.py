"""Audio node: an ambience track synthesised from the world over a shot (wind, rain, water, birds, impacts)."""

from __future__ import annotations

from oyster_nodes.node import Node, Port, RunContext, params_from, settings_from
from oyster_nodes.types import Audio, CameraPath
from oyster_nodes.world import AudioSettings, Timeline, WorldState


class Ambience(Node):
    """The sound of the shot: wind, rain, nearby water, birds by biome and hour, and the simulation's impacts.

    Heard from the camera path when one is connected; exactly as long as the shot, so it stays in sync.
    """

    type = "audio.ambience"
    title = "Ambience audio"
    category = "audio"
    inputs = (
        Port("world", WorldState),
        Port("timeline", Timeline, "wind, weather, clock and impacts over the shot", optional=True),
        Port("path", CameraPath, "where the listener is; also the length when there is no timeline", optional=True),
    )
    outputs = (Port("audio", Audio),)
    params = params_from(AudioSettings)

    def run(self, ctx: RunContext, *, world: WorldState, timeline: Timeline | None = None,
            path: CameraPath | None = None, **p: object) -> Audio:
        from oyster_nodes.world import ambience

        if timeline is None and path is None:
            raise ValueError("connect a timeline or a camera path: the audio needs the shot's length")
        if timeline is not None and path is not None and abs(path.duration_s - timeline.duration_s) > 1e-6:
            ctx.warn(f"the camera path ({path.duration_s:g} s) and the timeline ({timeline.duration_s:g} s) differ;"
                     " the audio follows the timeline")
        return ambience(world, timeline, path, settings_from(AudioSettings, p))


NODES = (Ambience,)
