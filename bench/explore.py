"""Explore figures, from a scripted client driving an ExploreSession in-process (no network in between):

- fps: JPEG frames made per second while walking with keys held and the simulation running;
- latency_ms_p50 / p95: from an input message to the encoded frame that shows it (tick + render + encode);
- revisit_psnr_db: after 2 minutes of scripted exploration with interaction (walking, flying, looking, a kick,
  weather and clock changes, then back to the start's light), the frame at the start pose against the first
  frame, on static content (bodies and agents masked out by the semantic pass); inf when identical;
- rewind_exact: seeking back a minute on the session's timeline and playing on gives, frame by frame, bit-identical
  world states to the first pass (with its throws, spawns and pushes replayed at their frames), and restoring a
  snapshot and replaying the same inputs gives bit-identical world states and frames;
- spawn_ms_p50 / spawn_ms_max: from a throw, drop or spawn-text message ("a campfire here": seven bodies) to
  the bodies being in the simulation; slot_spawn_ms_p50: one spare body taken, resized and placed;
  session_build_ms: building the simulation from scratch, the least a recompile keeping the state would cost.

`--client ws` takes fps and latency from a scripted websocket client of a real `oyster serve` on loopback (the
frames it is delivered, acknowledging each; latency from sending an input to receiving the first frame made
after the server applied it); revisit and rewind are then measured in-process on the same world.

Last line: one JSON object. `--seconds 10` sets the fps window; `--width/--height` the frame (640x360).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from oyster_nodes.types import Prompt  # noqa: E402
from oyster_nodes.world import Renderer, generate_world, spec_from_prompt  # noqa: E402
from oyster_nodes.world.actions.parse import parse_script  # noqa: E402
from oyster_nodes.world.explore.session import ExploreSession, ExploreSettings  # noqa: E402
from oyster_nodes.world.prompt.embed import load_encoder  # noqa: E402
from oyster_nodes.world.simulate.run import SimSettings, Spare, WorldSession  # noqa: E402
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES  # noqa: E402

PROMPT = "a fishing village by a lake among pine forests, a dirt road between the houses"
DYNAMIC = (SEMANTIC_CLASSES.index("body"), SEMANTIC_CLASSES.index("agent"))


def script(x: float, y: float) -> str:
    return "\n".join([f"at 0s spawn sphere ball{k} pos={x + 6 + 2 * k},{y + 4} height=2 size=0.4 material=rubber"
                      for k in range(4)] + [f"at 0s spawn character walker pos={x + 10},{y - 6}",
                                           f"from 1s to 100s move walker to={x + 40},{y + 30}"])


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    err = float(np.mean((a[mask].astype(np.float64) - b[mask].astype(np.float64)) ** 2)) if mask.any() else 0.0
    return math.inf if err == 0 else 10 * math.log10(255.0 ** 2 / err)


def state(s: ExploreSession) -> bytes:
    x = s.sample
    return b"".join(a.tobytes() for a in (x.body_pos_b3, x.body_quat_b4, x.body_alive_b, x.body_rgb_b3,
                                          x.agent_pos_a3, x.agent_yaw_a, x.agent_alive_a))


def in_process(args: argparse.Namespace, *, timed: bool = True) -> dict[str, object]:
    world = generate_world(spec_from_prompt(Prompt(text=PROMPT, seed=5), None), 5)
    renderer = Renderer()
    settings = ExploreSettings(width=args.width, height=args.height)
    probe = ExploreSession(world, renderer, settings=settings)
    x, y = probe.walker.pose.x, probe.walker.pose.y
    events = parse_script(script(x, y), english=False).events
    s = ExploreSession(world, renderer, events=events, settings=settings, start=(x, y), encoder=load_encoder())
    start = s.render()
    start_pose, start_world = s.walker.pose.eye(), s.world
    start_view = (s.walker.pose.yaw_deg, s.walker.pose.pitch_deg)
    # fps and latency: keys change every 12 frames; each frame is a tick, a render and a JPEG
    frames, lat, t0 = 0, [], time.perf_counter()
    keys = ["KeyW", "KeyD", "KeyS", "KeyA"]
    dt = 1.0 / 24.0
    while timed and time.perf_counter() - t0 < args.seconds:
        if frames % 12 == 0:
            t_in = time.perf_counter()
            s.handle({"type": "keys", "down": [keys[(frames // 12) % 4]], "up": keys})
            s.handle({"type": "look", "dx": 3.0, "dy": 0.0})
        s.tick(dt)
        s.frame_jpeg()
        if frames % 12 == 0:
            lat.append((time.perf_counter() - t_in) * 1000)
        frames += 1
    fps = frames / (time.perf_counter() - t0)
    # two minutes of exploration with interaction (ticks only), then back to the start pose and light
    s.handle({"type": "keys", "up": keys})
    plan = [("keys", {"down": ["KeyW"]}), ("throw", {"speed": 10.0}), ("look", {"dx": 40.0}),
            ("say", {"text": "a campfire here"}), ("keys", {"up": ["KeyW"]}), ("drop", {"shape": "box", "size": 0.4}),
            ("keys", {"down": ["KeyW"]}),
            ("mode", {"mode": "fly"}), ("keys", {"down": ["KeyE"], "up": ["KeyW"]}),
            ("event", {"event": {"kind": "impulse", "id": "ball0", "vec": [0, 0, 800]}}),
            ("say", {"text": "two crates there"}), ("weather", {"weather": "rain"}), ("time", {"clock_h": 19.5}),
            ("mode", {"mode": "walk"}), ("keys", {"down": ["KeyA"], "up": ["KeyE"]}), ("throw", {"shape": "box"}),
            ("say", {"text": "an explosion here"}), ("keys", {"down": ["KeyS"], "up": ["KeyA"]})]
    total, spawn_ms, refused, first_pass = int(120 / dt), [], [], {}
    for k in range(total):
        if k % (total // len(plan)) == 0 and k // (total // len(plan)) < len(plan):
            kind, body = plan[k // (total // len(plan))]
            t_in = time.perf_counter()
            reply = s.handle({"type": kind, **body})
            if kind in ("throw", "drop") or (kind == "say" and any(w in body["text"] for w in ("crate", "campfire"))):
                spawn_ms.append((time.perf_counter() - t_in) * 1000)
            if not reply["ok"]:
                refused.append(f"{kind}: {reply['error']}")
            if kind == "drop":  # let it land, then push it
                for _ in range(24):
                    s.tick(dt)
                reply = s.handle({"type": "push"})
                if not reply["ok"]:
                    refused.append(f"push: {reply['error']}")
        s.tick(dt)
        if s.t >= 60.0:
            first_pass[s.sample.frame] = state(s)
    # rewind: back to the minute mark on the timeline, play on, compare every frame seen on both passes
    end_t = s.t
    s.handle({"type": "seek", "t": 60.0})
    again = {}
    while s.t < end_t - 1e-9:
        s.tick(dt)
        again[s.sample.frame] = state(s)
    common = set(first_pass) & set(again)
    seek_exact = len(common) > 24 * 50 and all(first_pass[f] == again[f] for f in common)
    s.world = start_world  # the same light as at the start (the clock and weather were changed)
    p = s.walker.pose
    p.x, p.y, p.z = start_pose
    p.yaw_deg, p.pitch_deg = start_view
    back = s.render()
    static = ~np.isin(back.semantic_hw, DYNAMIC) & ~np.isin(start.semantic_hw, DYNAMIC) \
        if back.semantic_hw is not None and start.semantic_hw is not None else np.ones(back.rgb_hw3.shape[:2], bool)
    revisit = psnr(start.rgb_hw3, back.rgb_hw3, static)
    # rewind: snapshot, act, replay
    s.handle({"type": "snapshot", "name": "here"})

    def act() -> tuple[bytes, ...]:
        s.handle({"type": "keys", "down": ["KeyW"], "up": ["KeyA"]})
        s.handle({"type": "event", "event": {"kind": "impulse", "id": "ball1", "vec": [0, 200, 400]}})
        for _ in range(48):
            s.tick(dt)
        w = s.world_now()
        return (np.array([b.pos for b in w.bodies]).tobytes(), np.array(s.walker.pose.eye()).tobytes(),
                s.render().rgb_hw3.tobytes())

    first = act()
    s.handle({"type": "restore", "name": "here"})
    replayed = act()
    t0 = time.perf_counter()
    fresh = WorldSession(world, events, SimSettings(duration_s=600.0, fps=24.0), spare=Spare())
    build_ms = (time.perf_counter() - t0) * 1000
    slot_ms = []
    for k in range(12):  # a spare body taken, resized and placed, alone (no message, no text)
        t0 = time.perf_counter()
        fresh.apply({"kind": "spawn", "shape": ("sphere", "box", "capsule")[k % 3], "pos": [x + k, y + 3.0]})
        slot_ms.append((time.perf_counter() - t0) * 1000)
    figures: dict[str, object] = {"resolution": f"{args.width}x{args.height}", "device": renderer.device}
    if timed:
        figures |= {"fps": round(fps, 2), "latency_ms_p50": round(statistics.median(lat), 1),
                    "latency_ms_p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1), "frames": frames}
    figures |= {"revisit_psnr_db": "inf" if math.isinf(revisit) else round(revisit, 2),
                "revisit_identical": math.isinf(revisit),
                "rewind_exact": seek_exact and first == replayed, "seek_exact": seek_exact,
                "restore_exact": first == replayed, "frames_compared": len(common),
                "spawn_ms_p50": round(statistics.median(spawn_ms), 2), "spawn_ms_max": round(max(spawn_ms), 2),
                "slot_spawn_ms_p50": round(statistics.median(slot_ms), 3), "session_build_ms": round(build_ms, 1),
                "refused": refused,
                "transport": "in-process (no network)"}
    return figures


def workflow(script_text: str) -> dict[str, object]:
    """The bench world as a workflow: the same prompt and seed, simulated with the bench's script."""
    def node(id_: str, type_: str, **params: object) -> dict[str, object]:
        return {"id": id_, "type": type_, "params": params}

    def link(a: str, out: str, b: str, into: str) -> dict[str, str]:
        return {"from_node": a, "from_output": out, "to_node": b, "to_input": into}

    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": "bench_explore"},
            "nodes": [node("prompt", "prompt.text", text=PROMPT, seed=5), node("spec", "prompt.to_spec"),
                      node("world", "world.generate", seed=5), node("script", "action.script", script=script_text,
                                                                     english=False),
                      node("sim", "simulate.run", duration_s=600.0)],
            "links": [link("prompt", "prompt", "spec", "prompt"), link("spec", "spec", "world", "spec"),
                      link("world", "world", "sim", "world"), link("script", "script", "sim", "script")]}


def over_websocket(args: argparse.Namespace) -> dict[str, object]:
    """fps delivered to a scripted websocket client of a real `oyster serve`, and input-to-frame latency: from
    sending an input to receiving the first frame that the server made after applying it."""
    import tempfile
    import urllib.request

    from oyster_nodes.server import harness
    from oyster_nodes.server.explore_client import Client

    size = f"w={args.width}&h={args.height}"
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        server = harness.start_server(Path(tmp) / "ws", templates=ROOT / "workflows", timeout_s=120)
        try:
            def open_node(doc: dict[str, object], node: str) -> str:
                req = urllib.request.Request(server.base + "/oyster/api/explore/worlds", method="POST",
                                             data=json.dumps({"workflow": doc, "node": node}).encode(),
                                             headers={"content-type": "application/json"})
                with urllib.request.urlopen(req, timeout=600) as res:  # generating the world takes a while
                    return str(json.loads(res.read())["world"])

            # the start pose comes from the world alone; the script is placed around it, as in-process
            probe = Client.open(server.base, open_node(workflow("at 0s wind 1"), "world"), size=size)
            x, y, _ = probe.until(lambda m: m.get("kind") == "frame")["pos"]
            probe.close()
            c = Client.open(server.base, open_node(workflow(script(x, y)), "sim"), size=size)
            c.pump(2.0)  # the first frames upload the world to the renderer
            keys = ["KeyW", "KeyD", "KeyS", "KeyA"]
            lat, sent = [], {}
            c.frames.clear()
            t0 = time.perf_counter()
            k = 0
            while time.perf_counter() - t0 < args.seconds:
                if time.perf_counter() - t0 >= 0.5 * k:
                    c.send({"type": "keys", "down": [keys[k % 4]], "up": [keys[(k - 1) % 4]]})
                    sent[c.send({"type": "look", "dx": 3.0, "dy": 0.0})] = time.perf_counter()
                    k += 1
                h = c.receive(0.05)
                if h is not None and h.get("kind") == "frame":
                    for seq in [q for q in sent if q <= h["input_seq"]]:
                        lat.append((c.frames[-1][0] - sent.pop(seq)) * 1000)
            elapsed = time.perf_counter() - t0
            frames = len(c.frames)
            dropped = c.frames[-1][1]["dropped"] if c.frames else 0
            c.close()
        finally:
            server.stop()
    return {"fps": round(frames / elapsed, 2), "latency_ms_p50": round(statistics.median(lat), 1),
            "latency_ms_p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1), "frames": frames,
            "inputs_timed": len(lat), "slots_skipped": dropped,
            "transport": "websocket: JPEG frames, one unacknowledged at most (a real oyster serve on loopback)"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--client", choices=("inprocess", "ws"), default="inprocess",
                    help="ws: a scripted websocket client against a real server (revisit and rewind are "
                         "measured in-process on the same world)")
    args = ap.parse_args()
    if args.client == "ws":
        streamed = over_websocket(args)
        figures = in_process(args, timed=False) | streamed
        figures["revisit_and_rewind"] = "in-process, same world"
    else:
        figures = in_process(args)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
