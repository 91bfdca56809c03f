"""Long shots split into frame ranges: each range rendered on its own (another process or machine), the ranges
joined into the Frames a single render makes, and those put into the cache under the render node's key, so the
rest of the workflow (the MP4 export) runs as if the shot had been rendered in one piece.

A range renders its frames with the same per-frame code as `render_sequence` (times, camera samples and light
keys of the whole shot), so the joined frames are identical to a single render's and so is the MP4. The inputs
of the render node (world, camera path, timeline) come from the executor and its cache: on a cluster, from the
content-addressed disk cache on a folder every node shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import freeze
from ..executor import Executor, RunOptions, content_keys
from ..graph import Graph

#: node types whose frames can be split into ranges
SPLIT_TYPES = ("sequence.render",)

#: (fraction of the range done, message)
Progress = Callable[[float, str], None]


class ShotError(RuntimeError):
    """The inputs of a shot could not be computed; the message names the node and its error."""


@dataclass(kw_only=True, slots=True, frozen=True)
class FrameRange:
    node: str
    start: int
    stop: int

    @property
    def label(self) -> str:
        return f"{self.node}[{self.start}:{self.stop}]"


def shot_nodes(graph: Graph) -> list[str]:
    """The nodes of the graph whose frames can be rendered in ranges, in execution order."""
    return [n for n in graph.order if graph.nodes[n].cls.type in SPLIT_TYPES]


def frame_ranges(node: str, count: int, per_task: int) -> list[FrameRange]:
    """Ranges of at most `per_task` frames, of near-equal size, covering 0..count."""
    if per_task < 1:
        raise ValueError(f"frames per task {per_task}: give 1 or more")
    parts = max(1, -(-count // per_task))
    bounds = [round(k * count / parts) for k in range(parts + 1)]
    return [FrameRange(node=node, start=a, stop=b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def shot_inputs(graph: Graph, node: str, executor: Executor, options: RunOptions) -> dict[str, Any]:
    """The render node's inputs by name, computed (or read from the cache) by the executor."""
    gn = graph.nodes[node]
    sources = sorted({src for src, _ in gn.inputs.values()})
    result = executor.run(graph, RunOptions(targets=sources, device=options.device, out_dir=options.out_dir,
                                            cancel=options.cancel, hooks=options.hooks))
    if not result.ok:
        raise ShotError(f"the inputs of '{node}' failed: " + "; ".join(str(e) for e in result.errors[:3]))
    return {name: result.outputs[src][port] for name, (src, port) in gn.inputs.items()}


def frame_count(inputs: dict[str, Any]) -> int:
    from ..world.camera.path import frame_times

    return len(frame_times(inputs["path"]))


def _settings(graph: Graph, node: str) -> Any:
    from ..node import settings_from
    from ..world import SequenceSettings

    settings = settings_from(SequenceSettings, dict(graph.nodes[node].params))
    if 0 < settings.f_stop < 0.7:  # as the node does
        settings.f_stop = 0.7
    return settings


def render_range(graph: Graph, frames: FrameRange, inputs: dict[str, Any], executor: Executor,
                 device: str, progress: Progress | None = None) -> list[Any]:
    """The Images of frames start..stop of the shot, as a whole render of it makes them."""
    from ..world import RENDERER
    from ..world.render.sequence import render_range as render_frames

    with executor.components.use(RENDERER, device) as renderer:
        return render_frames(inputs["world"], inputs["path"], inputs.get("timeline"), renderer,
                             _settings(graph, frames.node), frames.start, frames.stop, progress)


def join_ranges(graph: Graph, node: str, parts: Sequence[list[Any]], inputs: dict[str, Any]) -> Any:
    """The Frames of the whole shot from its ranges' Images, in order."""
    from ..world.render.sequence import join_frames

    return join_frames(inputs["world"], inputs["path"], inputs.get("timeline"),
                       [image for part in parts for image in part], _settings(graph, node))


def keep_joined(graph: Graph, node: str, frames: Any, executor: Executor, out_dir: Path) -> str:
    """Put the joined Frames in the executor's memory cache under the render node's key; the run of the graph
    that follows in this process reads them. Not on disk: a shot's frames are large (166 MB for 240 frames at
    640x360) and writing them would be the slowest step of a job whose ranges are spread over a cluster."""
    key = content_keys(graph, graph.nodes, out_dir)[node]
    executor.cache.memory.put(key, freeze({graph.nodes[node].cls.outputs[0].name: frames}))
    return key


def run_split(graph: Graph, executor: Executor, options: RunOptions, *, per_task: int) -> Any:
    """The workflow with its shots rendered range by range in this process (what a cluster spreads out)."""
    device = _device(options.device)
    for node in shot_nodes(graph):
        inputs = shot_inputs(graph, node, executor, options)
        parts = [render_range(graph, r, inputs, executor, device)
                 for r in frame_ranges(node, frame_count(inputs), per_task)]
        keep_joined(graph, node, join_ranges(graph, node, parts, inputs), executor, options.out_dir)
    return executor.run(graph, options)


def _device(requested: str | None) -> str:
    from ..devices import resolve

    return resolve(requested)
