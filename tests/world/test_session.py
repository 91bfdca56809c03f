"""One steppable simulation: advance frame by frame, apply events at any moment, snapshot and rewind exactly."""

from __future__ import annotations

import numpy as np
import pytest

from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.simulate.run import FrameSample, SimSettings, SimulationError, WorldSession, simulate

from .shot_world import drop_script, hills

SCRIPT = drop_script(8) + """
at 0s spawn character walker pos=30,30
from 0.2s to 2.5s move walker to=80,70
at 1.2s blast pos=95,35 strength=400 radius=12
at 1.5s material b1 material=ice
"""
SETTINGS = SimSettings(duration_s=2.5, fps=24)
FIELDS = ("body_pos_b3", "body_quat_b4", "body_alive_b", "body_rgb_b3", "agent_pos_a3", "agent_yaw_a", "agent_alive_a")


def events() -> list[dict]:
    return parse_script(SCRIPT, english=False).events


def same(a: FrameSample, b: FrameSample) -> bool:
    return a.frame == b.frame and all(getattr(a, k).tobytes() == getattr(b, k).tobytes() for k in FIELDS)


def test_simulate_is_a_session_run_to_the_end() -> None:
    world = hills()
    timeline = simulate(world, events(), SETTINGS)
    session = WorldSession(world, events(), SETTINGS)
    frames = [session.advance() for _ in range(session.n_frames)]
    assert session.finished and len(frames) == timeline.n_frames == 60
    assert np.array_equal(np.stack([f.body_pos_b3 for f in frames]), timeline.body_pos_fb3)
    assert np.array_equal(np.stack([f.agent_pos_a3 for f in frames]), timeline.agent_pos_fa3)
    with pytest.raises(SimulationError, match="ends after 60 frames"):
        session.advance()


def test_rewinding_to_a_snapshot_replays_bit_for_bit() -> None:
    session = WorldSession(hills(), events(), SETTINGS)
    for _ in range(20):
        session.advance()
    snap = session.snapshot()
    first = [session.advance() for _ in range(35)]  # through the blast and the material change
    assert not np.array_equal(first[0].body_pos_b3, first[-1].body_pos_b3)
    session.restore(snap)
    again = [session.advance() for _ in range(35)]
    assert all(same(a, b) for a, b in zip(first, again, strict=True))
    session.restore(snap)  # a snapshot can be restored more than once
    assert same(session.advance(), first[0])


def test_live_events_change_what_happens_and_branches_replay() -> None:
    session = WorldSession(hills(), events(), SETTINGS)
    for _ in range(30):
        session.advance()
    before = session.snapshot()
    plain = [session.advance() for _ in range(10)]
    session.restore(before)
    kick = session.apply({"kind": "impulse", "id": "b2", "vec": [0.0, 0.0, 3000.0]})
    assert kick["time"] == pytest.approx(30 / 24)
    kicked = [session.advance() for _ in range(10)]
    ball = 2
    assert kicked[-1].body_pos_b3[ball, 2] > plain[-1].body_pos_b3[ball, 2] + 0.5  # the kick sent it up
    session.restore(before)  # the other branch is still there, exactly
    assert all(same(a, b) for a, b in zip(plain, [session.advance() for _ in range(10)], strict=True))
    session.restore(before)
    session.apply({"kind": "impulse", "id": "b2", "vec": [0.0, 0.0, 3000.0]})
    assert all(same(a, b) for a, b in zip(kicked, [session.advance() for _ in range(10)], strict=True))


def test_bad_live_events_are_refused_and_the_session_goes_on() -> None:
    session = WorldSession(hills(), events(), SETTINGS)
    session.advance()
    with pytest.raises(ValueError, match="nobody|no body|unknown|not"):
        session.apply({"kind": "impulse", "id": "ghost", "vec": [0, 0, 1]})
    with pytest.raises(SimulationError, match="keeps no spare sphere"):
        session.apply({"kind": "spawn", "shape": "sphere", "id": "new", "pos": [50, 50]})
    with pytest.raises(ValueError):
        session.apply({"kind": "teleport", "id": "b2"})
    assert session.advance().frame == 1


def test_a_material_change_leaves_every_body_where_it_was() -> None:
    """Changing a body's density recomputes the model's constants; nothing may jump (it used to park them all)."""
    timeline = simulate(hills(), events(), SETTINGS)
    alive = timeline.body_alive_fb[1:] & timeline.body_alive_fb[:-1]
    step = np.linalg.norm(np.diff(timeline.body_pos_fb3, axis=0), axis=2)
    assert step[alive > 0].max() < 3.0, "a body moved more than 3 m in one frame"
