"""workflows/explore_replay.json is an Explore session kept as a shot: its nodes validate and run to an MP4."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build, validate
from oyster_nodes.workflow import load, parse_data

PATH = Path(__file__).resolve().parents[2] / "workflows" / "explore_replay.json"


def test_the_replay_is_a_recorded_session_with_interaction(full_registry) -> None:
    assert validate(load(PATH), full_registry) == []
    nodes = {n["id"]: n for n in json.loads(PATH.read_text())["nodes"]}
    script = nodes["actions"]["params"]["script"]
    for doing in ("id=sphere1", "vel=", "id=crate3", "id=campfire1_embers", "impulse id=box1", "weather to=rain",
                  "blast", "viewer path=("):  # the viewer's path where the hiker walked round it
        assert doing in script, doing
    keys = nodes["camera"]["params"]["keys"]
    assert nodes["camera"]["params"]["duration_s"] >= 55.0 and len(keys) > 100
    assert nodes["sim"]["params"]["duration_s"] == nodes["camera"]["params"]["duration_s"]


def test_the_replay_renders_to_video(full_registry, tmp_path) -> None:
    doc = json.loads(PATH.read_text())
    for n in doc["nodes"]:  # the first two seconds, to keep the test quick (`oyster run` renders the minute)
        if n["id"] in ("camera", "sim"):
            n["params"]["duration_s"] = 2.0
    result = Executor(Cache()).run(build(parse_data(doc), full_registry), RunOptions(out_dir=tmp_path))
    assert result.ok, result.errors
    video = tmp_path / "explore_replay.mp4"
    frames = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                             "stream=nb_read_frames,width,height", "-of", "json", str(video)],
                            capture_output=True, text=True, check=True)
    stream = json.loads(frames.stdout)["streams"][0]
    assert int(stream["nb_read_frames"]) == 48 and stream["height"] == 144
