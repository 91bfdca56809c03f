"""Nodes for the job tests: a slow disk-cached result (like a world state) and a slow export of it."""

from __future__ import annotations

import time

import numpy as np

from oyster_nodes import Node, Param, Port, RunContext
from oyster_nodes.io.files import OutputFolder
from oyster_nodes.node import RelPath
from oyster_nodes.types import Files, Frames


class SeededFrames(Node):
    """A few frames from a seed, slowly (stands in for a world: its result goes to the disk cache)."""

    type = "jobtest.frames"
    title = "Seeded frames"
    category = "values"
    outputs = (Port("frames", Frames),)
    params = (Param("seed", int, 1, min=0, max=10_000), Param("delay_s", float, 0.0, min=0.0, max=30.0))

    def run(self, ctx: RunContext, *, seed: int, delay_s: float) -> Frames:
        steps = 10
        for i in range(steps):
            ctx.progress(i / steps, f"step {i + 1}")
            time.sleep(delay_s / steps)
        rgb = np.random.default_rng(seed).integers(0, 255, (2, 8, 8, 3), dtype=np.uint8)
        return Frames(rgb_nhw3=rgb, fps=12.0)


class Write(Node):
    """Writes a text file describing its frames, slowly, through the atomic output folder."""

    type = "jobtest.write"
    title = "Write text"
    category = "export"
    writes_files = True
    inputs = (Port("frames", Frames),)
    outputs = (Port("files", Files),)
    params = (Param("path", RelPath, "frames.txt"), Param("overwrite", bool, False),
              Param("delay_s", float, 0.0, min=0.0, max=30.0))

    def run(self, ctx: RunContext, *, frames: Frames, path: RelPath, overwrite: bool, delay_s: float) -> Files:
        steps = 10
        for i in range(steps):
            ctx.progress(i / steps, f"writing {i + 1}")
            time.sleep(delay_s / steps)
        folder = OutputFolder(root=ctx.out_dir, if_exists="overwrite" if overwrite else "error")
        embedded = ctx.workflow.node(ctx.node_id).params.get("path") if ctx.workflow is not None else None
        folder.write_text(path, f"sum {int(frames.rgb_nhw3.sum())}\nworkflow path {embedded}\n" + "x" * 4096)
        return folder.files()


NODES = (SeededFrames, Write)
