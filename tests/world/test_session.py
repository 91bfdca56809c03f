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


def test_a_live_spawn_takes_a_spare_body_that_lands_and_rewinds_exactly() -> None:
    from oyster_nodes.world.simulate.run import Spare
    from oyster_nodes.world.state.world_state import heights_at

    from .shot_world import flat

    world = flat()
    session = WorldSession(world, [], SimSettings(duration_s=10, fps=24), spare=Spare())
    session.advance()
    before = session.snapshot()
    spawns = [{"kind": "spawn", "shape": "sphere", "pos": [30.0, 30.0], "height": 1.0, "size": [0.5]},
              {"kind": "spawn", "shape": "box", "pos": [34.0, 30.0], "size": [1.0, 0.6, 0.4]},
              {"kind": "spawn", "shape": "capsule", "id": "log", "pos": [38.0, 30.0, 14.0], "size": [0.2, 1.0]},
              {"kind": "spawn", "shape": "character", "pos": [42.0, 30.0]}]
    ids = [session.apply(e)["id"] for e in spawns]
    assert ids == ["sphere1", "box1", "log", "character1"]
    first = [session.advance() for _ in range(72)]
    last = first[-1]
    ground = heights_at(world, last.body_pos_b3[:, :2])
    assert last.body_pos_b3[0, 2] - ground[0] == pytest.approx(0.5, abs=0.03)  # the sphere rests on its radius
    assert last.body_pos_b3[1, 2] - ground[1] == pytest.approx(0.2, abs=0.03)  # the box on its 0.4 m side
    assert last.body_pos_b3[2, 2] - ground[2] == pytest.approx(0.2, abs=0.05)  # the log lies on its side
    assert last.agent_alive_a.tolist() == [1] and last.agent_pos_a3[0, 0] == pytest.approx(42.0)
    session.restore(before)  # before the spawns: the slots are free again
    assert len(session.bodies) == 0 and len(session.free_bodies["sphere"]) == 16
    assert [session.apply(e)["id"] for e in spawns] == ids
    assert all(same(a, b) for a, b in zip(first, [session.advance() for _ in range(72)], strict=True))


def test_the_spare_bodies_run_out_with_a_clear_answer() -> None:
    from oyster_nodes.world.simulate.run import Spare

    from .shot_world import flat

    session = WorldSession(flat(), [], SimSettings(duration_s=5, fps=24), spare=Spare(bodies=(("box", 1),), agents=()))
    session.apply({"kind": "spawn", "shape": "box", "pos": [30.0, 30.0]})
    with pytest.raises(SimulationError, match="no spare box left: the session keeps 1"):
        session.apply({"kind": "spawn", "shape": "box", "pos": [40.0, 30.0]})
    with pytest.raises(SimulationError, match="keeps no spare vehicle"):
        session.apply({"kind": "spawn", "shape": "vehicle", "pos": [40.0, 30.0]})


def walk_past(viewer: tuple[float, float] | None) -> np.ndarray:
    from .shot_world import flat

    script = "at 0s spawn character hiker pos=20,30\nfrom 0s to 8s move hiker to=60,30 speed=1.4"
    session = WorldSession(flat(), parse_script(script, english=False).events, SimSettings(duration_s=8, fps=24))
    session.viewer_xy = None if viewer is None else np.array(viewer)
    return np.stack([session.advance().agent_pos_a3[0, :2] for _ in range(session.n_frames)])


def test_agents_walk_around_the_viewer() -> None:
    from oyster_nodes.world.simulate.agents import KEEP_M

    viewer = np.array([27.0, 30.0])
    around = walk_past(tuple(viewer))
    through = walk_past(None)
    assert np.linalg.norm(through - viewer, axis=1).min() < 0.05  # with nobody there it walks straight through
    assert np.linalg.norm(around - viewer, axis=1).min() >= KEEP_M - 1e-9  # never closer than that
    assert np.abs(around[:, 1] - 30.0).max() > 0.9  # it sidestepped ...
    assert around[-1, 0] > viewer[0] + 3.0 and np.abs(around[-1, 1] - 30.0) < 3.0  # ... and went on past


def test_agents_run_from_a_blast() -> None:
    from .shot_world import flat

    base = "at 0s spawn character hiker pos=40,30\nfrom 0s to 6s move hiker to=44,30 speed=0.5"
    calm = parse_script(base, english=False).events
    blast = parse_script(base + "\nat 1s blast pos=38,30 radius=6 strength=100", english=False).events
    runs = {}
    for name, events in (("calm", calm), ("blast", blast)):
        session = WorldSession(flat(), events, SimSettings(duration_s=4, fps=24))
        runs[name] = np.stack([session.advance().agent_pos_a3[0, :2] for _ in range(session.n_frames)])
    assert runs["calm"][-1, 0] == pytest.approx(40.0 + 0.5 * 4, abs=0.1)
    assert runs["blast"][-1, 0] > 40.0 + 4.0 * 2  # ran (4.5 m/s) away from the blast, east
    assert "runs from the blast" in " ".join(session.notes)


def test_a_removed_spawn_frees_its_spare_slot_so_a_session_spawns_for_ever() -> None:
    from oyster_nodes.world.simulate.run import Spare

    from .shot_world import flat

    session = WorldSession(flat(), [], SimSettings(duration_s=60, fps=24),
                           spare=Spare(bodies=(("box", 2),), agents=(("character", 1),)))
    session.advance()
    for k in range(6):  # three times the pool: each pair is removed before the next is spawned
        a = session.apply({"kind": "spawn", "shape": "box", "pos": [20.0 + k, 30.0]})["id"]
        b = session.apply({"kind": "spawn", "shape": "box", "pos": [25.0 + k, 30.0]})["id"]
        walker = session.apply({"kind": "spawn", "shape": "character", "pos": [30.0, 20.0 + k]})["id"]
        with pytest.raises(SimulationError, match="no spare box left"):
            session.apply({"kind": "spawn", "shape": "box", "pos": [40.0, 30.0]})
        for _ in range(12):
            session.advance()
        shown = session.sample(session.frame - 1)
        assert shown.body_alive_b.sum() == 2 and shown.agent_alive_a.sum() == 1
        before = session.snapshot()
        for name in (a, b, walker):
            session.apply({"kind": "remove", "id": name})
        with pytest.raises(SimulationError, match="no spare box left"):  # free once the removal fires
            session.apply({"kind": "spawn", "shape": "box", "pos": [40.0, 30.0]})
        session.advance()
        assert len(session.free_bodies["box"]) == 2 and len(session.free_agents["character"]) == 1
        gone = session.sample(session.frame - 1)
        assert gone.body_alive_b.sum() == 0 and gone.agent_alive_a.sum() == 0
        if k == 0:  # a rewind to before the removal holds the slots again, exactly
            after = [session.advance() for _ in range(3)]
            session.restore(before)
            assert not session.free_bodies["box"] and not session.free_agents["character"]
            for name in (a, b, walker):
                session.apply({"kind": "remove", "id": name})
            session.advance()
            assert all(same(x, y) for x, y in zip(after, [session.advance() for _ in range(3)], strict=True))
    assert len(session.bodies) == 12 and len(session.agents) == 6
    # a new spawn in a freed slot lands where it was put, not where its slot's last body was
    c = session.apply({"kind": "spawn", "shape": "box", "pos": [50.0, 50.0], "size": [0.5]})["id"]
    first = session.advance()
    k = session.index[c][1]
    assert first.body_alive_b[k] and np.hypot(*(first.body_pos_b3[k, :2] - (50.0, 50.0))) < 0.05
