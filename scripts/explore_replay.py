"""Write workflows/explore_replay.json: a scripted Explore session of about a minute, kept as a shot.

The world comes from the workflow's own prompt, spec and world nodes (run through the executor, so the session
walks the very world the workflow builds). The session is `oyster_nodes.world.explore.scripted` (the one the
tests play): a viewer walks, looks round, throws balls, drops a box, spawns crates and a campfire, pushes a
box, makes it rain, stands in a hiker's way (the hiker walks round it) and sets off a blast the hiker runs
from. The session's recording becomes the workflow's camera-keyframes and action-script nodes (the script
holds the viewer's path where the hiker walked round it, so the shot's hiker does what it did live), rendered
by sequence.render to an MP4 at a small size (`--resolution`, 144p by default) so the example runs in seconds.

    .venv/bin/python scripts/explore_replay.py [--seconds 60] [--resolution 144p]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oyster_nodes.cache import Cache  # noqa: E402
from oyster_nodes.executor import Executor, RunOptions  # noqa: E402
from oyster_nodes.graph import build  # noqa: E402
from oyster_nodes.registry import load_registry  # noqa: E402
from oyster_nodes.workflow import parse_data  # noqa: E402
from oyster_nodes.world import Renderer  # noqa: E402
from oyster_nodes.world.actions.parse import parse_script  # noqa: E402
from oyster_nodes.world.explore.scripted import play, session_script  # noqa: E402
from oyster_nodes.world.explore.session import ExploreSession, ExploreSettings  # noqa: E402
from oyster_nodes.world.explore.walker import dry_start  # noqa: E402
from oyster_nodes.world.prompt.embed import load_encoder  # noqa: E402

PROMPT = "a grassy meadow with a few pine trees and a wooden cabin, afternoon"
SIZE_M = 256.0
SEED = 4


def head(doc: dict[str, Any]) -> dict[str, Any]:
    return {"format": "oyster-workflow", "version": 1, "metadata": {
        "name": "explore_replay", "author": "Oyster Nodes", "created": "2026-12-02T00:00:00Z",
        "packs": {"builtin": "0.1.0"},
        "description": "An Explore session kept as a shot: a viewer walks a meadow, throws balls, drops a box, "
                       "spawns crates on a cart and a campfire, pushes a box, makes it rain, stands in a hiker's "
                       "way (the hiker walks round it) and sets off a blast the hiker runs from; the recording's "
                       "camera, events and viewer path render to a small MP4."}, **doc}


WORLD_NODES = [
    {"id": "prompt", "type": "prompt.text", "params": {"text": PROMPT, "seed": SEED},
     "editor": {"position": [0, 0], "title": "Prompt"}},
    {"id": "spec", "type": "prompt.to_spec", "params": {}, "editor": {"position": [320, 0], "title": "Read prompt"}},
    {"id": "world", "type": "world.generate", "params": {"size_m": SIZE_M},
     "editor": {"position": [640, 0], "title": "World"}},
]
WORLD_LINKS = [
    {"from_node": "prompt", "from_output": "prompt", "to_node": "spec", "to_input": "prompt"},
    {"from_node": "spec", "from_output": "spec", "to_node": "world", "to_input": "spec"},
]


def the_world(registry: Any) -> Any:
    graph = build(parse_data(head({"nodes": WORLD_NODES, "links": WORLD_LINKS})), registry)
    result = Executor(Cache()).run(graph, RunOptions(out_dir=Path("/tmp")))
    if not result.ok:
        raise SystemExit(f"the world did not build: {result.errors}")
    return result.outputs["world"]["world"]


def workflow(nodes: dict[str, dict[str, Any]], resolution: str) -> dict[str, Any]:
    cam, acts = nodes["camera"], nodes["actions"]
    duration = cam["params"]["duration_s"]
    return head({"nodes": [*WORLD_NODES,
        {"id": "camera", "type": cam["type"], "params": {**cam["params"], "resolution": resolution, "map_px": 128},
         "editor": {"position": [960, -160], "title": "Explore camera"}},
        {"id": "actions", "type": acts["type"], "params": acts["params"],
         "editor": {"position": [640, 200], "title": "Explore events"}},
        {"id": "sim", "type": "simulate.run", "params": {"duration_s": duration, "fps": 24},
         "editor": {"position": [960, 200], "title": "Simulate"}},
        {"id": "render", "type": "sequence.render", "params": {}, "editor": {"position": [1280, 0], "title": "Render"}},
        {"id": "video", "type": "export.video", "params": {"path": "explore_replay.mp4", "codec": "h264",
                                                           "quality": "standard", "overwrite": True},
         "editor": {"position": [1600, 0], "title": "Save MP4"}},
    ], "links": [*WORLD_LINKS,
        {"from_node": "world", "from_output": "world", "to_node": "camera", "to_input": "world"},
        {"from_node": "world", "from_output": "world", "to_node": "sim", "to_input": "world"},
        {"from_node": "actions", "from_output": "script", "to_node": "sim", "to_input": "script"},
        {"from_node": "world", "from_output": "world", "to_node": "render", "to_input": "world"},
        {"from_node": "camera", "from_output": "path", "to_node": "render", "to_input": "path"},
        {"from_node": "sim", "from_output": "timeline", "to_node": "render", "to_input": "timeline"},
        {"from_node": "render", "from_output": "frames", "to_node": "video", "to_input": "frames"},
    ]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--resolution", default="144p")
    ap.add_argument("--out", type=Path, default=ROOT / "workflows" / "explore_replay.json")
    args = ap.parse_args()
    registry = load_registry(use_entry_points=False)
    world = the_world(registry)
    x, y = dry_start(world)
    events = parse_script(session_script(x, y), english=False).events
    s = ExploreSession(world, Renderer(), events=events, settings=ExploreSettings(width=96, height=54),
                       start=(x, y), encoder=load_encoder())
    play(s, args.seconds)
    args.out.write_text(json.dumps(workflow(s.recording_nodes(), args.resolution), indent=1) + "\n")
    print(f"wrote {args.out} ({s.t:.1f} s, {len(s.branch.edits)} edits)")


if __name__ == "__main__":
    main()
