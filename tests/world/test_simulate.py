"""Simulation on MuJoCo: determinism, contact with the terrain, bounce and friction, agents, wind, clock and
weather, corrections and errors, and the Timeline on the wire."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.builtin import simulate as simulate_nodes
from oyster_nodes.cache import decode, encode
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.camera.path import heights_at, water_at
from oyster_nodes.world.simulate.run import SimSettings, SimulationError, simulate
from oyster_nodes.world.state.timeline import Timeline, TimelineError

from ..params import node_context
from .shot_world import drop_script, flat, hills

ARRAYS = ("body_pos_fb3", "body_quat_fb4", "body_alive_fb", "body_rgb_fb3", "agent_pos_fa3", "agent_yaw_fa",
          "impacts_n6", "sway_f2")


def run(world, text: str, duration: float = 2.0, fps: float = 24.0, **kw) -> Timeline:  # noqa: ANN001
    return simulate(world, parse_script(text, english=False).events, SimSettings(duration_s=duration, fps=fps, **kw))


def test_twenty_bodies_rest_on_the_terrain_and_reruns_are_bit_identical() -> None:
    world = hills()
    first = run(world, drop_script(20), duration=3.0)
    second = run(world, drop_script(20), duration=3.0)
    for name in ARRAYS:
        a, b = getattr(first, name), getattr(second, name)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
    assert first.env_frames == second.env_frames and first.content_hash() == second.content_hash()
    assert first.body_pos_fb3.shape == (72, 20, 3)
    end = first.body_pos_fb3[-1]
    ground = heights_at(world, end[:, :2])
    surface = np.maximum(ground, water_at(world, end[:, :2]))  # wood floats on the lake
    assert np.all(end[:, 2] > ground - 0.05), "a body went into the terrain"
    assert np.all(end[:, 2] < surface + 1.5), "a body did not come down"
    assert len(first.impacts_n6) >= 10


def drop_height_after_bounce(bounce: float) -> float:
    world = flat()
    tl = run(world, f"at 0s spawn sphere s pos=20,20 height=5 size=0.3 bounce={bounce} mass=20", duration=2.0, fps=60)
    z = tl.body_pos_fb3[:, 0, 2] - 10.3
    first_touch = int(np.argmax(z < 0.05))
    return float(z[first_touch:].max())


def test_restitution_sets_the_bounce() -> None:
    lively, dead = drop_height_after_bounce(0.8), drop_height_after_bounce(0.05)
    assert 0.4 * 5 < lively < 0.8 * 5  # e = 0.8 -> about 0.64 of the height
    assert dead < 0.3 and lively > 8 * dead


def slide_distance(material: str) -> float:
    world = flat()
    tl = run(world, f"at 0s spawn box b pos=20,20 size=1 material={material} mass=10\nat 0.3s impulse b 60,0,0",
             duration=2.0)
    return float(tl.body_pos_fb3[-1, 0, 0] - 20.0)


def test_friction_sets_how_far_a_push_slides() -> None:
    assert slide_distance("ice") > 3 * slide_distance("stone")


def test_agents_walk_on_the_terrain_and_arrive() -> None:
    world = flat()
    tl = run(world, "at 0s spawn character hero pos=30,40\nfrom 0.5s to 3s move hero to=45,40\n"
                    "at 0s spawn vehicle car pos=30,90\nfrom 0s to 3s move car path=(60,90),(60,100)", duration=3.0)
    hero = tl.agent_pos_fa3[:, 0]
    np.testing.assert_allclose(hero[:, 2], heights_at(world, hero[:, :2]), atol=1e-6)
    assert np.linalg.norm(hero[-1, :2] - [45, 40]) < 0.5
    assert np.all(np.diff(hero[:, 0]) >= -1e-9)
    car = tl.agent_pos_fa3[:, 1]
    assert car[-1, 0] > 50 and len(tl.agents) == 2


def test_wind_pushes_light_bodies_and_sways_plants() -> None:
    world = flat()
    tl = run(world, "at 0s spawn sphere leaf pos=20,20 height=30 size=0.3 mass=0.05\nfrom 0s to 2s wind 20 dir=90")
    assert tl.body_pos_fb3[-1, 0, 1] - 20.0 > 5.0  # blown north
    assert tl.sway_f2[-1, 1] > 0.05 and abs(tl.sway_f2[-1, 0]) < abs(tl.sway_f2[-1, 1])


def test_blast_throws_bodies_away_and_remove_takes_them_out() -> None:
    world = flat()
    tl = run(world, "at 0s spawn box a pos=30,30 size=1 mass=20\nat 0s spawn box b pos=36,30 size=1 mass=20\n"
                    "at 0.5s blast 33,30 radius=10 strength=2000\nat 1.5s remove b", duration=2.0)
    a, b = tl.body_pos_fb3[:, 0], tl.body_pos_fb3[:, 1]
    assert a[int(1.4 * 24), 0] < 29.0 and b[int(1.4 * 24), 0] > 37.0
    assert tl.body_alive_fb[-1].tolist() == [1, 0]
    assert "b" not in [body.id for body in tl.world_at(world, 1.9).bodies]


def test_clock_and_weather_change_over_their_intervals() -> None:
    world = hills()
    tl = run(world, "from 0s to 2s time 18:00\nfrom 0.5s to 1.5s weather rain", duration=2.0)
    clock = [f.clock_h for f in tl.env_frames]
    assert clock[0] == pytest.approx(15.5) and clock[-1] == pytest.approx(18.0, abs=0.1)
    assert np.all(np.diff(clock) > 0)
    rain = [f.precipitation.intensity for f in tl.env_frames]
    assert rain[0] == 0.0 and rain[-1] > 0.5 and tl.env_frames[-1].weather == "rain"
    assert tl.env_frames[0].sun_dir != tl.env_frames[-1].sun_dir


def test_corrections_are_notes() -> None:
    world = flat()
    tl = run(world, "at 0s spawn sphere low pos=20,20,2 size=0.5\nat 0s spawn sphere twin pos=20,20,2 size=0.5\n"
                    "at 5s spawn box late pos=30,30\nfrom 1s to 9s wind 5", duration=2.0)
    notes = " | ".join(tl.notes)
    assert "inside the terrain" in notes and "overlap" in notes
    assert "after the shot ends" in notes and "past the end of the shot" in notes
    assert tl.body_pos_fb3[0, 0, 2] >= 10.0 + 0.5 - 1e-6
    assert [b.id for b in tl.bodies] == ["low", "twin"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("at 1s impulse ghost 0,0,1", "line 1: no body or agent 'ghost'"),
    ("at 0.5s impulse b 0,0,1\nat 1s spawn box b pos=10,10", "no body or agent 'b'"),
    ("at 0s spawn sphere b pos=500,10", "outside the world"),
    ("at 0s spawn character hero pos=10,10\nat 1s impulse hero 0,0,5", "is an agent"),
    ("at 0s spawn box b pos=10,10\nfrom 1s to 2s move b to=20,20", "is a rigid body"),
    ("at 0s spawn box b pos=10,10\nat 0.5s remove b\nat 1s impulse b 0,0,1", "was removed"),
    ("at 0s spawn mesh m mesh=teapot pos=10,10", "no imported mesh 'teapot'"),
    ("from 0s to 1s move @vehicle to=10,10", "no vehicle exists"),
])
def test_bad_scripts_are_errors_with_the_line(text: str, fragment: str) -> None:
    with pytest.raises(SimulationError, match=fragment):
        run(flat(), text)


def cube_world() -> object:
    v = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (0.0, 1.0)], np.float32)
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6],
                  [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]], np.int32)
    base = flat()
    return dataclasses.replace(base, meshes=[{"id": "cube-1", "pos": [100.0, 100.0, 10.0], "yaw": 0.0, "scale": 2.0}],
                               mesh_arrays={"mesh_cube-1_v": v, "mesh_cube-1_f": f})


def test_convex_mesh_bodies_fall_and_rest_on_static_meshes() -> None:
    world = cube_world()
    tl = run(world, "at 0s spawn mesh m mesh=cube-1 pos=30,30 height=0.5 bounce=0\n"
                    "at 0s spawn sphere s pos=100,100 height=5 size=0.3", duration=2.0)
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (0.0, 2.0)])  # origin at its base
    w, x, y, z = tl.body_quat_fb4[-1, 0]
    rot = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                    [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                    [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])
    lowest = (corners @ rot.T + tl.body_pos_fb3[-1, 0])[:, 2].min()
    assert lowest == pytest.approx(10.0, abs=0.05)
    assert tl.body_pos_fb3[-1, 1, 2] > 10.0 + 2.0  # on top of the static 2 m cube


def test_timeline_goes_to_disk_and_back_and_knows_its_world() -> None:
    world = hills()
    tl = run(world, "at 0s spawn sphere s pos=40,40 height=3\nat 0s spawn character c pos=50,50", duration=1.0)
    back = decode(encode({"timeline": tl}))["timeline"]
    assert isinstance(back, Timeline) and back.content_hash() == tl.content_hash()
    moment = back.world_at(world, 0.5)
    assert moment.bodies[0].id == "s" and moment.agents[0].id == "c" and moment.env.time_s == 0.5
    assert moment.height_hw is world.height_hw  # static content shared, not copied
    with pytest.raises(TimelineError, match="another world"):
        back.world_at(flat(), 0.5)


def test_simulate_node_reports_corrections(tmp_path) -> None:  # noqa: ANN001
    ctx = node_context(node_id="sim", out_dir=tmp_path)
    script = parse_script("at 0s spawn sphere s pos=40,40,-50 size=0.5\nat 9s remove s", english=False).to_script("")
    node = simulate_nodes.Simulate()
    tl = node.run(ctx, world=hills(), script=script, duration_s=1.0, fps=24, time_scale_h_per_s=0.0, seed=0)
    assert isinstance(tl, Timeline) and tl.n_frames == 24
    assert any("inside the terrain" in w for w in ctx.warnings) and any("never happens" in w for w in ctx.warnings)
    still = simulate_nodes.WorldAt().run(node_context(node_id="w"), world=hills(), timeline=tl, time_s=0.5)
    assert still.bodies and still.env.clock_h == pytest.approx(15.5)


def test_a_body_spawned_over_an_imported_mesh_starts_on_top_of_it(tmp_path) -> None:  # noqa: ANN001
    import trimesh

    from oyster_nodes.world.edit.meshimport import import_mesh

    trimesh.creation.box(extents=(6.0, 6.0, 4.0)).export(str(tmp_path / "plinth.glb"))
    world = import_mesh(flat(), tmp_path / "plinth.glb", x=64.0, y=40.0)
    m = world.meshes[0]
    top = m.pos[2] + float(world.mesh_arrays[f"mesh_{m.id}_v"][:, 2].max()) * m.scale
    tl = run(world, "at 0s spawn box crate pos=64,40 size=1", duration=1.0)
    z = tl.body_pos_fb3[:, 0, 2] - 0.5  # the crate's underside
    assert z.min() >= top - 0.05  # never inside the plinth
    assert z.max() < top + 3.0 and abs(z[-1] - top) < 0.05  # not thrown out of it: it settles on top
