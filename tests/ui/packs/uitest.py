"""Nodes that exercise the editor: every widget kind, a slow node with progress, camera and frames outputs."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from oyster_nodes import CameraPath, Files, Frames, Node, Param, Port, RelPath, RunContext
from oyster_nodes.world import path_from_keys

DEFAULT_KEYS = [{"time": 0.0, "position": [0.0, 0.0, 20.0], "target": [60.0, 40.0, 0.0]},
                {"time": 2.0, "position": [80.0, 10.0, 25.0], "target": [60.0, 40.0, 0.0]},
                {"time": 4.0, "position": [120.0, 70.0, 30.0], "target": [60.0, 40.0, 0.0]}]


class Widgets(Node):
    """One parameter of each widget kind; turns the keyframes into a camera path."""

    type = "uitest.widgets"
    title = "Widget demo"
    category = "camera"
    outputs = (Port("camera", CameraPath), Port("summary", str))
    params = (
        Param("tint", str, "#4f8cff", widget="color", description="a colour"),
        Param("offset", list, [0.0, 0.0, 0.0], widget="vector", max_items=3),
        Param("keys", list, DEFAULT_KEYS, widget="keyframes", max_items=100),
        Param("script", str, "0 wind\n1.5 rain", widget="script", description="one '<seconds> <event>' per line"),
        Param("settings", dict, {"quality": "draft"}, widget="json"),
        Param("source", RelPath, None, widget="file", description="a file in the workspace"),
        Param("strength", float, 0.5, min=0.0, max=1.0, widget="slider"),
    )

    def run(self, ctx: RunContext, **p: Any) -> dict[str, Any]:
        events = []
        for n, line in enumerate(p["script"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            try:
                events.append((float(parts[0]), parts[1]))
            except (ValueError, IndexError):
                raise ValueError(f"line {n}: expected '<seconds> <event>', got {line.strip()!r}") from None
        camera = path_from_keys(p["keys"], duration_s=max((k["time"] for k in p["keys"]), default=0.0))
        return {"camera": camera, "summary": f"{len(events)} events, tint {p['tint']}"}


class Slow(Node):
    """Counts slowly, reporting progress, so running, progress and cancel can be seen."""

    type = "uitest.slow"
    title = "Slow count"
    category = "values"
    outputs = (Port("value", float),)
    params = (Param("steps", int, 20, min=1, max=1000), Param("delay_s", float, 0.1, min=0.0, max=5.0))

    def run(self, ctx: RunContext, *, steps: int, delay_s: float) -> float:
        for i in range(steps):
            ctx.progress(i / steps, f"step {i + 1} of {steps}")
            time.sleep(delay_s)
        return float(steps)


class Gradient(Node):
    """A few frames of a moving colour gradient."""

    type = "uitest.frames"
    title = "Gradient frames"
    category = "render"
    outputs = (Port("frames", Frames),)
    params = (Param("count", int, 12, min=1, max=240),)

    def run(self, ctx: RunContext, *, count: int) -> Frames:
        y, x = np.mgrid[0:48, 0:64]
        frames = [np.stack([(x * 4 + i * 10) % 256, (y * 5) % 256, np.full_like(x, 128)], -1) for i in range(count)]
        return Frames(rgb_nhw3=np.asarray(frames, dtype=np.uint8), fps=12.0)


class Box(Node):
    """Writes a box as GLB into the output folder."""

    type = "uitest.box"
    title = "Box GLB"
    category = "export"
    writes_files = True
    outputs = (Port("files", Files),)
    params = (Param("path", RelPath, "box.glb"),)

    def run(self, ctx: RunContext, *, path: RelPath) -> Files:
        import trimesh

        target = ctx.output_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        trimesh.creation.box(extents=(2.0, 1.0, 1.0)).export(target)
        return Files(root=str(ctx.out_dir), paths=[str(path)])


class Seeded(Node):
    """Passes its seed through, so a run shows which seed it used."""

    type = "uitest.seeded"
    title = "Seeded value"
    category = "values"
    outputs = (Port("used", int),)
    params = (Param("seed", int, 7, min=0, max=2**31 - 1, widget="seed"),)

    def run(self, ctx: RunContext, *, seed: int) -> int:
        return seed


NODES = (Widgets, Slow, Gradient, Box, Seeded)
