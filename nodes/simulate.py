"""Simulation nodes: a world and an action script run on MuJoCo into a Timeline; the world at a moment."""

from __future__ import annotations

from oyster_nodes.node import Node, Param, Port, RunContext, params_from, settings_from
from oyster_nodes.types import ActionScript
from oyster_nodes.world import SimSettings, Timeline, WorldState


class Simulate(Node):
    """Rigid bodies, agents, wind, weather and the clock over a shot, on a fixed time step (bit-identical reruns).

    The Timeline is cached on disk, so changing the camera re-renders without simulating again.
    """

    type = "simulate.run"
    title = "Simulate"
    category = "simulate"
    inputs = (Port("world", WorldState), Port("script", ActionScript, "events; none: the world as it is", optional=True))
    outputs = (Port("timeline", Timeline),)
    params = params_from(SimSettings)

    def run(self, ctx: RunContext, *, world: WorldState, script: ActionScript | None = None, **p: object) -> Timeline:
        from oyster_nodes.world import run_simulation as simulate

        settings = settings_from(SimSettings, p)
        timeline = simulate(world, script.events if script is not None else [], settings, progress=ctx.progress)
        for note in timeline.notes:
            ctx.warn(note)
        return timeline


class WorldAt(Node):
    """The world at one moment of a simulated shot (bodies, agents, light and weather of that time)."""

    type = "simulate.world_at"
    title = "World at time"
    category = "simulate"
    inputs = (Port("world", WorldState), Port("timeline", Timeline))
    outputs = (Port("world", WorldState),)
    bypass = {"world": "world"}
    params = (Param("time_s", float, 0.0, min=0.0, max=600.0, description="seconds into the shot"),)

    def run(self, ctx: RunContext, *, world: WorldState, timeline: Timeline, time_s: float) -> WorldState:
        if time_s > timeline.duration_s:
            ctx.warn(f"{time_s:g} s is after the shot ends ({timeline.duration_s:g} s); showing its last frame")
        return timeline.world_at(world, time_s)


NODES = (Simulate, WorldAt)
