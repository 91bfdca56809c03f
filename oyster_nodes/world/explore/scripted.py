"""A scripted Explore session: a viewer walks, looks round, throws balls, drops a box, spawns crates on a cart
and a campfire, pushes a box, makes it rain, stands in a hiker's way (the hiker walks round it) and sets off a
blast the hiker runs from. `scripts/explore_replay.py` keeps it as `workflows/explore_replay.json`; the tests
play the same session to check that its recording replays as it was lived.

Places are relative to where the viewer starts (x, y), looking along +y, so the session plays on any world
with room around the start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .session import ExploreSession

#: (time in seconds, message): the viewer's doings
STEPS: tuple[tuple[float, dict[str, Any]], ...] = (
    (0.5, {"type": "keys", "down": ["KeyW"]}), (3.0, {"type": "throw", "speed": 9.0, "color": "red"}),
    (5.0, {"type": "look", "dx": -25.0}), (6.0, {"type": "throw", "speed": 12.0, "color": "blue"}),
    (9.0, {"type": "keys", "up": ["KeyW"]}), (9.5, {"type": "look", "dx": 25.0, "dy": -10.0}),
    (10.0, {"type": "say", "text": "three crates on the cart"}),
    (11.0, {"type": "drop", "shape": "box", "size": 0.5, "color": "yellow"}),
    (12.5, {"type": "push", "speed": 3.0}), (14.0, {"type": "keys", "down": ["KeyW"]}),
    (15.5, {"type": "keys", "up": ["KeyW"]}), (20.0, {"type": "look", "dx": 40.0, "dy": 10.0}),
    (21.0, {"type": "say", "text": "a campfire here"}),
    (22.0, {"type": "say", "text": "make it rain"}), (26.0, {"type": "keys", "down": ["KeyA"]}),
    (30.0, {"type": "keys", "up": ["KeyA"]}), (31.0, {"type": "look", "dx": -60.0}),
    (34.0, {"type": "say", "text": "at 0s blast pos={hx},{hy} radius=6 strength=300"}),
    (40.0, {"type": "look", "dx": 20.0}), (44.0, {"type": "keys", "down": ["KeyS"]}),
    (50.0, {"type": "keys", "up": ["KeyS"]}), (52.0, {"type": "throw", "speed": 14.0}),
)


def session_script(x: float, y: float) -> str:
    """The world's own script for the session: a cart, and a hiker walking across the viewer's way."""
    return "\n".join([f"at 0s spawn box cart pos={x + 3:.1f},{y + 14:.1f} size=2,1.2,0.6 material=wood",
                      f"at 0s spawn character hiker pos={x - 8:.1f},{y + 20:.1f}",
                      f"from 0s to 40s move hiker to={x + 12:.1f},{y + 20:.1f}"])


def play(s: ExploreSession, seconds: float, *, dt: float = 1 / 24,
         watch: Callable[[ExploreSession], None] | None = None) -> None:
    """Play STEPS up to `seconds` into the session, ticking by dt (`watch` sees the session after each tick);
    a step the session refuses stops it with the session's answer."""
    steps = sorted(STEPS, key=lambda step: step[0])
    t, k = 0.0, 0
    while t < seconds - 1e-9:
        while k < len(steps) and steps[k][0] <= t + 1e-9:
            msg = dict(steps[k][1])
            if "text" in msg:
                msg["text"] = msg["text"].format(**_places(s))
            reply = s.handle(msg)
            if not reply["ok"]:
                raise RuntimeError(f"step {steps[k]}: {reply['error']}")
            k += 1
        s.tick(dt)
        if watch is not None:
            watch(s)
        t += dt


def _places(s: ExploreSession) -> dict[str, str]:
    hiker = next(k for k, a in enumerate(s.sim.agents) if a.spec.id == "hiker")
    hx, hy, _ = s.sample.agent_pos_a3[hiker]
    return {"hx": f"{hx - 3:.2f}", "hy": f"{hy:.2f}"}


__all__ = ["STEPS", "play", "session_script"]
