"""Benchmark: a 1 km² world from a prompt. Prints one JSON object as its last line."""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch and numpy threads contend on 2 cores
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from oyster_nodes.types import Prompt  # noqa: E402
from oyster_nodes.world.generate.world import GenerateConfig, generate_world  # noqa: E402
from oyster_nodes.world.prompt.embed import load_encoder  # noqa: E402
from oyster_nodes.world.prompt.understand import spec_from_prompt  # noqa: E402

PROMPT = (
    "three cabins by the lake in a pine forest below snowy mountains, a river with a bridge, "
    "a winding road, rocks, misty dawn"
)


def run(repeats: int = 3) -> dict[str, float]:
    t0 = time.perf_counter()
    encoder = load_encoder()
    model_load_s = time.perf_counter() - t0
    timings, parse_timings, state = [], [], None
    for _ in range(repeats):
        t = time.perf_counter()
        spec = spec_from_prompt(Prompt(text=PROMPT, seed=1), encoder)
        parse_timings.append(time.perf_counter() - t)
        state = generate_world(spec, 1, GenerateConfig(size_m=1024.0, cell_m=1.0))
        timings.append(time.perf_counter() - t)
    assert state is not None
    return {
        "generate_s": round(min(timings), 4),
        "generate_s_max": round(max(timings), 4),
        "parse_s": round(min(parse_timings), 4),
        "model_load_s": round(model_load_s, 3),
        "world_state_mb": round(state.nbytes() / 1e6, 2),
        "instances": int(len(state.inst_kind)),
        "structures": len(state.structures),
        "grid": state.n,
    }


if __name__ == "__main__":
    print(json.dumps(run()))
