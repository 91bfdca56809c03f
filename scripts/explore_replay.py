"""Write workflows/explore_replay.json: a scripted Explore session of about a minute, kept as a shot.

The world comes from the workflow's own prompt, spec and world nodes (run through the executor, so the session
walks the very world the workflow builds). A scripted viewer walks, looks round, throws balls, drops a box,
spawns crates and a campfire, pushes a box, makes it rain, sets off a blast near a hiker who runs from it,
and the session's recording becomes the workflow's camera-keyframes and action-script nodes, rendered by
sequence.render to an MP4 at a small size (`--resolution`, 144p by default) so the example runs in seconds.

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
                       "spawns crates on a cart and a campfire, pushes a box, makes it rain and sets off a blast "
                       "a hiker runs from; the recording's camera and events render to a small MP4."}, **doc}


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


def session_script(x: float, y: float) -> str:
    return "\n".join([f"at 0s spawn box cart pos={x + 3:.1f},{y + 14:.1f} size=2,1.2,0.6 material=wood",
                      f"at 0s spawn character hiker pos={x - 8:.1f},{y + 20:.1f}",
                      f"from 0s to 40s move hiker to={x + 12:.1f},{y + 20:.1f}"])


def play(s: ExploreSession, seconds: float) -> None:
    """The scripted viewer: (time, message) steps spread over `seconds`."""
    steps: list[tuple[float, dict[str, Any]]] = [
        (0.5, {"type": "keys", "down": ["KeyW"]}), (3.0, {"type": "throw", "speed": 9.0, "color": "red"}),
        (5.0, {"type": "look", "dx": -25.0}), (6.0, {"type": "throw", "speed": 12.0, "color": "blue"}),
        (9.0, {"type": "keys", "up": ["KeyW"]}), (9.5, {"type": "look", "dx": 25.0, "dy": -10.0}),
        (10.0, {"type": "say", "text": "three crates on the cart"}),
        (11.0, {"type": "drop", "shape": "box", "size": 0.5, "color": "yellow"}),
        (14.0, {"type": "keys", "down": ["KeyW"]}), (15.5, {"type": "keys", "up": ["KeyW"]}),
        (12.5, {"type": "push", "speed": 3.0}), (20.0, {"type": "look", "dx": 40.0, "dy": 10.0}),
        (21.0, {"type": "say", "text": "a campfire here"}),
        (22.0, {"type": "say", "text": "make it rain"}), (26.0, {"type": "keys", "down": ["KeyA"]}),
        (30.0, {"type": "keys", "up": ["KeyA"]}), (31.0, {"type": "look", "dx": -60.0}),
        (34.0, {"type": "say", "text": "at 0s blast pos={hx},{hy} radius=6 strength=300"}),
        (40.0, {"type": "look", "dx": 20.0}), (44.0, {"type": "keys", "down": ["KeyS"]}),
        (50.0, {"type": "keys", "up": ["KeyS"]}), (52.0, {"type": "throw", "speed": 14.0}),
    ]
    steps.sort(key=lambda step: step[0])
    dt, t, k = 1 / 24, 0.0, 0
    while t < seconds - 1e-9:
        while k < len(steps) and steps[k][0] * seconds / 60.0 <= t + 1e-9:
            msg = dict(steps[k][1])
            if "text" in msg:
                msg["text"] = msg["text"].format(**_places(s))
            reply = s.handle(msg)
            if not reply["ok"]:
                raise SystemExit(f"step {steps[k]}: {reply['error']}")
            k += 1
        s.tick(dt)
        t += dt


def _places(s: ExploreSession) -> dict[str, str]:
    hiker = next(k for k, a in enumerate(s.sim.agents) if a.spec.id == "hiker")
    hx, hy, _ = s.sample.agent_pos_a3[hiker]
    return {"hx": f"{hx - 3:.2f}", "hy": f"{hy:.2f}"}


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
