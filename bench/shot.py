"""A finished shot from a prompt: prompt → world (1 km) → 20 bodies simulated for 5 s → orbit camera →
120 frames at 1280x720 → ambience audio. Times every stage; prints one JSON object as its last line.

Figures to meet (2-core CPU): simulate_s ≤ 1, end_to_end_s (prompt to finished frames) ≤ 20.
`end_to_end_s` counts from the prompt with the sentence encoder already loaded (as in the editor, which keeps
it); `model_load_s` is the one-off load, `end_to_end_cold_s` includes it.
Run: .venv/bin/python bench/shot.py [--frames N] [--width W --height H] [--size-m S] [--motion-blur K]
     [--time-lapse HH:MM]  (the clock runs to HH:MM over the shot: the sun, sky and every shadow move)
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

PROMPT = "grassy rolling hills with a lake, a few pine trees and a cabin at golden hour"


def script(count: int, centre: tuple[float, float], clock: str = "") -> str:
    x0, y0 = centre[0] - 8, centre[1] - 6
    lines = [f"at {0.1 * (i % 4):g}s spawn {'sphere' if i % 2 else 'box'} b{i} pos={x0 + 4 * (i % 5)},{y0 + 4 * (i // 5)} "
             f"height={3 + i % 4} size={0.5 if i % 2 else 0.8} material={('rubber', 'wood', 'stone')[i % 3]}"
             for i in range(count)]
    lines += ["from 0s to 5s wind 9 dir=60", f"at 2.5s blast {x0 + 8},{y0 + 6} radius=12 strength=4000"]
    if clock:
        lines.append(f"from 0s to 5s time {clock}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--size-m", type=float, default=1024.0)
    ap.add_argument("--bodies", type=int, default=20)
    ap.add_argument("--motion-blur", type=int, default=1)
    ap.add_argument("--save-frames", default="", help="write the first, middle and last frame as PNG here")
    ap.add_argument("--time-lapse", default="", metavar="HH:MM",
                    help="the clock runs to this time over the shot (the sun moves: shadows are redrawn each frame)")
    args = ap.parse_args()
    fps = 24.0
    duration = args.frames / fps
    times: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        times[name] = round(time.perf_counter() - t0, 3)
        return time.perf_counter()

    t = time.perf_counter()
    from oyster_nodes.types import Prompt
    from oyster_nodes.world.actions.parse import parse_script
    from oyster_nodes.world.audio.ambience import AudioSettings, ambience
    from oyster_nodes.world.camera import path as cp
    from oyster_nodes.world.camera.presets import PresetSettings, preset_samples
    from oyster_nodes.world.generate.world import GenerateConfig, generate_world
    from oyster_nodes.world.prompt.embed import load_encoder
    from oyster_nodes.world.prompt.understand import spec_from_prompt
    from oyster_nodes.world.render.renderer import Renderer
    from oyster_nodes.world.render.sequence import SequenceSettings, render_sequence
    from oyster_nodes.world.simulate.run import SimSettings, simulate

    t = lap("import_s", t)
    encoder = load_encoder()
    renderer = Renderer()
    t = lap("model_load_s", t)
    start = t
    spec = spec_from_prompt(Prompt(text=PROMPT, seed=7), encoder)
    t = lap("prompt_s", t)
    world = generate_world(spec, 7, GenerateConfig(size_m=args.size_m))
    t = lap("world_s", t)
    shot = cp.Shot(duration_s=duration, fps=fps, width=args.width, height=args.height)
    centre = _dry_spot(world)
    orbit = preset_samples(world, shot, "orbit", PresetSettings(subject=centre, distance_m=34.0, height_m=14.0,
                                                                  sweep_deg=70.0, aim_height_m=1.0))
    path = cp.to_camera_path(cp.keep_clear(world, orbit), shot)
    t = lap("camera_s", t)
    events = parse_script(script(args.bodies, centre, args.time_lapse), english=False).events
    t = lap("script_s", t)
    timeline = simulate(world, events, SimSettings(duration_s=duration, fps=fps))
    t = lap("simulate_s", t)
    frames = render_sequence(world, path, timeline, renderer, SequenceSettings(motion_blur=args.motion_blur))
    t = lap("render_s", t)
    end_to_end = t - start
    audio = ambience(world, timeline, path, AudioSettings())
    t = lap("audio_s", t)
    if args.save_frames:
        import cv2
        import numpy as np

        picks = frames.rgb_nhw3[[0, len(frames.rgb_nhw3) // 2, -1]]
        cv2.imwrite(args.save_frames, np.vstack(list(picks))[..., ::-1])
    result = {
        **times, "end_to_end_s": round(end_to_end, 3),
        "end_to_end_cold_s": round(end_to_end + times["model_load_s"], 3),
        "fps_rendered": round(args.frames / times["render_s"], 2),
        "frames": int(frames.rgb_nhw3.shape[0]), "size": [args.width, args.height], "bodies": len(timeline.bodies),
        "impacts": int(len(timeline.impacts_n6)), "audio_s_long": round(audio.samples_nc.shape[0] / 48000, 3),
        "world_m": args.size_m, "motion_blur": args.motion_blur, "time_lapse": args.time_lapse, "device": renderer.device,
        "load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }
    print(json.dumps(result))


def _dry_spot(world: object) -> tuple[float, float]:
    """A dry, fairly flat clearing near the middle of the world for the bodies to land on."""
    import numpy as np

    h, wet, cell = world.height_hw, np.isfinite(world.water_hw), world.cell_m  # type: ignore[attr-defined]
    from oyster_nodes.world.state.world_state import INSTANCE_KINDS

    tall = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm", "dead_tree")]
    trees = np.asarray(world.inst_xyz)[np.isin(world.inst_kind, tall), :2]  # type: ignore[attr-defined]
    n = h.shape[0]
    best, best_score = (n * cell / 2, n * cell / 2), np.inf
    for i in range(n // 4, 3 * n // 4, max(n // 32, 1)):
        for j in range(n // 4, 3 * n // 4, max(n // 32, 1)):
            r = max(int(24 / cell), 2)
            patch = h[max(i - r, 0):i + r, max(j - r, 0):j + r]
            if wet[max(i - r, 0):i + r, max(j - r, 0):j + r].any():
                continue
            if len(trees) and np.min(np.hypot(trees[:, 0] - j * cell, trees[:, 1] - i * cell)) < 30.0:
                continue
            score = float(np.ptp(patch)) + 0.01 * abs(i - n / 2) + 0.01 * abs(j - n / 2)
            if score < best_score:
                best, best_score = (j * cell, i * cell), score
    return best


if __name__ == "__main__":
    main()
