"""The env of a world, the env frames and the events of a timeline as typed records: parsed once where JSON
enters (errors name the record and the field), the same JSON on the way out (same keys, same order)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.cache import decode, encode
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.edit.operations import set_time, set_weather
from oyster_nodes.world.simulate.run import SimSettings, WorldSession
from oyster_nodes.world.state.records import Env, Event, Precipitation, RecordError, Wind
from oyster_nodes.world.state.sky import build_env
from oyster_nodes.world.state.store import WorldFileError, load_world, save_world
from oyster_nodes.world.state.timeline import Timeline
from oyster_nodes.world.state.world_state import WorldState

from .shot_world import hills

SCRIPT = ("at 0s spawn sphere ball pos=40,40 height=3\nat 0.2s blast near=ball strength=500\n"
          "from 0s to 1s time 18:00\nfrom 0.2s to 0.8s weather rain\nfrom 0.1s to 0.6s wind speed=8 dir=90")


def same_json(a: object, b: object) -> bool:
    """Equal as the bytes a file or a content hash sees (key order included)."""
    return json.dumps(a) == json.dumps(b)


@pytest.fixture(scope="module")
def shot() -> tuple[WorldSession, Timeline]:
    session = WorldSession(hills(), parse_script(SCRIPT, english=False).events, SimSettings(duration_s=1.0, fps=12))
    return session, session.run_to_end(lambda f, m: None)


@pytest.mark.parametrize(("weather", "clock", "sea"), [("clear", 6.2, None), ("storm", 23.0, 0.0), ("fog", 12.5, -3.5)])
def test_a_built_env_comes_back_as_the_same_json(weather: str, clock: float, sea: float | None) -> None:
    raw = build_env(clock_h=clock, season="autumn", weather=weather, mood="gloomy", palette="warm", style="noir",
                    time_of_day="custom", seed=5, sea_level_m=sea)
    env = Env.from_json(raw)
    assert env.weather == weather and env.clock_h == clock and env.sea_level_m == sea
    assert isinstance(env.wind, Wind) and isinstance(env.precipitation, Precipitation) and env.day_of_year == 280
    assert same_json(env.to_json(), raw)  # an explicit null (no sea) is kept, and so is the key order
    assert Env.from_json(env.to_json()) == env


def test_worlds_hold_an_env_record_and_hash_as_their_json(shot: tuple[WorldSession, Timeline]) -> None:
    session, tl = shot
    world = session.world
    assert isinstance(world.env, Env) and world.env.sun_dir is not None
    as_json = dataclasses.replace(world, env=world.env.to_json())  # JSON given to a world is parsed once
    assert isinstance(as_json.env, Env) and as_json.env == world.env
    assert as_json.content_hash() == world.content_hash()


def test_unknown_env_keys_are_kept_as_they_came() -> None:
    raw = {"clock_h": 9.0, "aurora": {"strength": 0.4}, "weather": "clear", "note": None}
    env = Env.from_json(raw)
    assert env.extra == {"aurora": {"strength": 0.4}, "note": None}
    assert same_json(env.to_json(), raw)


@pytest.mark.parametrize(("bad", "message"), [
    ({"fog_density": "thick"}, "world env: 'fog_density' expects a finite number"),
    ({"clock_h": 30.0}, "world env: 'clock_h' = 30.0 is outside 0..24"),
    ({"sun_dir": [0, 1]}, "world env: 'sun_dir' expects 3 numbers"),
    ({"sky_zenith": "#zzzzzz"}, "world env 'sky_zenith': colour '#zzzzzz'"),
    ({"sun_color": [1, -1, 0]}, "world env 'sun_color': colour .* negative"),
    ({"wind": {"speed_mps": -4}}, "world env wind: 'speed_mps' = -4 is outside"),
    ({"wind": {"speed": 4}}, "world env wind: unknown field 'speed'"),
    ({"wind": 4}, "world env wind: expects an object"),
    ({"precipitation": {"kind": "rain", "intensity": "x"}}, "world env precipitation: 'intensity' expects"),
    ({"lightning": "yes"}, "world env: 'lightning' expects true or false"),
    ({"weather": ["rain"]}, "world env: 'weather' expects text"),
    ({"day_of_year": 400}, "world env: 'day_of_year' = 400 is outside"),
])
def test_a_malformed_env_in_a_world_names_the_record_and_the_field(bad: dict, message: str) -> None:
    world = hills()
    with pytest.raises(RecordError, match=message):
        dataclasses.replace(world, env={**world.env.to_json(), **bad})


def test_a_world_file_with_a_broken_env_is_refused_with_the_field(tmp_path: Path) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    path = save_world(hills(), tmp_path / "w.oyworld.safetensors")
    assert load_world(path).env == hills().env
    with safe_open(str(path), "np") as f:
        header = dict(f.metadata())
    meta = json.loads(header["meta"])
    meta["env"]["exposure"] = "bright"
    header["meta"] = json.dumps(meta)
    save_file(load_file(str(path)), str(path), metadata=header)
    with pytest.raises(WorldFileError, match="world env: 'exposure' expects a finite number"):
        load_world(path)


def test_a_timelines_frames_and_events_are_records_with_the_sessions_json(shot: tuple[WorldSession, Timeline]) -> None:
    session, tl = shot
    assert tl.env_frames and all(isinstance(f, Env) for f in tl.env_frames)
    assert tl.events and all(isinstance(e, Event) for e in tl.events)
    raw_frames, _ = session.env.frames(np.arange(tl.n_frames) / tl.fps, session.dt, session.wind)
    assert same_json([f.to_json() for f in tl.env_frames], raw_frames)
    raw_events = [{k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in e.items()} for e in session.events]
    assert same_json([e.to_json() for e in tl.events], raw_events)
    blast = next(e for e in tl.events if e.kind == "blast")
    assert blast.resolved_pos is not None and blast.fields["strength"] == 500.0 and blast.line == 2
    wind = next(e for e in tl.events if e.kind == "wind")
    assert (wind.time, wind.end, wind.fields["speed"]) == (0.1, 0.6, 8.0)


def test_a_timeline_goes_to_disk_and_back_with_the_same_records_and_hash(shot: tuple[WorldSession, Timeline]) -> None:
    session, tl = shot
    back = decode(encode({"timeline": tl}))["timeline"]
    assert isinstance(back, Timeline) and back.content_hash() == tl.content_hash()
    assert back.env_frames == tl.env_frames and back.events == tl.events
    meta, _ = back.to_record()
    assert same_json(meta["events"], tl.to_record()[0]["events"])


def test_a_malformed_frame_or_event_in_a_timeline_names_the_record_and_the_field(shot: tuple[WorldSession, Timeline]) -> None:
    session, tl = shot
    meta, arrays = tl.to_record()
    frames = [dict(f) for f in meta["env_frames"]]
    frames[3] = {**frames[3], "cloud_cover": 7.0}
    with pytest.raises(RecordError, match=r"timeline env_frames\[3\]: 'cloud_cover' = 7.0 is outside 0..1"):
        Timeline.from_record({**meta, "env_frames": frames}, arrays)
    events = [dict(e) for e in meta["events"]]
    events[1] = {**events[1], "time": "soon"}
    with pytest.raises(RecordError, match=r"timeline events\[1\] '\w+': 'time' expects a finite number"):
        Timeline.from_record({**meta, "events": events}, arrays)
    events[1] = {**meta["events"][1], "strength": float("nan")}
    with pytest.raises(RecordError, match=r"timeline events\[1\] '\w+' 'strength': expects a finite number"):
        Timeline.from_record({**meta, "events": events}, arrays)
    with pytest.raises(RecordError, match=r"timeline events\[0\]: expects an object"):
        Timeline.from_record({**meta, "events": ["boom"]}, arrays)


def test_world_at_lays_a_frame_over_the_worlds_env(shot: tuple[WorldSession, Timeline]) -> None:
    session, tl = shot
    world = session.world
    moment = tl.world_at(world, 0.5)
    frame = tl.env_frames[6]
    assert moment.env.clock_h == frame.clock_h != world.env.clock_h
    assert moment.env.season == world.env.season and moment.env.wind == frame.wind
    assert moment.env.time_s == 0.5 and moment.env.sway is not None
    assert list(moment.env.to_json())[:len(world.env.keys)] == list(world.env.keys)  # the world's keys first
    assert tl.world_at(world, 0.5).env == moment.env


def test_edits_change_the_env_by_replacing_it_and_leave_the_world_as_it_was() -> None:
    world = hills()
    before = world.env.to_json()
    rainy, night = set_weather(world, "rain"), set_time(world, 22.0)
    assert rainy.env.weather == "rain" and rainy.env.precipitation.kind == "rain"
    assert night.env.clock_h == 22.0 and night.env.sun_elevation_deg < 0
    assert same_json(world.env.to_json(), before) and world.env.weather != "rain"
    assert list(rainy.env.to_json()) == list(before)  # the same keys, in the same order


def test_envs_made_in_code_write_only_what_they_hold() -> None:
    env = Env(clock_h=16.5, wind=Wind(speed_mps=3.0))
    assert env.to_json() == {"clock_h": 16.5, "wind": {"speed_mps": 3.0}}
    assert dataclasses.replace(env, time_s=1.0).to_json() == {"clock_h": 16.5, "wind": {"speed_mps": 3.0},
                                                               "time_s": 1.0}
    assert isinstance(WorldState.__dataclass_fields__["env"].default_factory(), Env)
    assert Env.from_json({"wind": Wind(dir_deg=10.0)}).wind == Wind(dir_deg=10.0)  # records pass through
