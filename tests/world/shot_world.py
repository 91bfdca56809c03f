"""Small worlds and scripts shared by the shot tests (camera paths, actions, simulation, sequences, audio)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.state.world_state import WorldState


@lru_cache(maxsize=4)
def hills(size_m: float = 128.0, seed: int = 3) -> WorldState:
    """Gentle hills with a lake, a few trees and a cabin."""
    spec = WorldSpec(terrain="hills", water=["lake"], vegetation={"conifers": 0.3}, structures={"cabin": 1},
                     relief=0.6, clock_h=15.5)
    return generate_world(spec, seed, GenerateConfig(size_m=size_m))


def flat(size_m: float = 128.0, height: float = 10.0) -> WorldState:
    """A flat square at `height` metres with one hill in the middle and nothing on it."""
    n = int(size_m) + 1
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    c = size_m / 2
    hill = 30.0 * np.exp(-((xx - c) ** 2 + (yy - c) ** 2) / (2 * 12.0 ** 2))
    h = (height + hill).astype(np.float32)
    return WorldState(
        seed=1, size_m=size_m, cell_m=1.0, height_hw=h, material_hw=np.zeros((n, n), np.uint8),
        water_hw=np.full((n, n), np.nan, np.float32), inst_kind=np.zeros(0, np.uint16),
        inst_xyz=np.zeros((0, 3), np.float32), inst_yaw=np.zeros(0, np.float32),
        inst_scale=np.zeros(0, np.float32), inst_var=np.zeros(0, np.uint32),
        env={"clock_h": 12.0, "weather": "clear", "season": "summer", "wind": {"dir_deg": 0.0, "speed_mps": 2.0}},
    )


def drop_script(count: int = 20, x0: float = 90.0, y0: float = 30.0) -> str:
    """`count` spheres and boxes dropped onto the ground in a grid, plus wind and a push."""
    lines = []
    for i in range(count):
        shape = "sphere" if i % 2 == 0 else "box"
        size = "0.4" if shape == "sphere" else "0.7"
        lines.append(f"at 0s spawn {shape} b{i} pos={x0 + 3 * (i % 5)},{y0 + 3 * (i // 5)} height={2 + i % 3} "
                     f"size={size} material={'rubber' if i % 3 == 0 else 'wood'}")
    lines += ["from 0s to 2s wind 12 dir=90", "at 1s impulse b0 0,400,200"]
    return "\n".join(lines)
