"""A tiny node pack for executor and cache tests: cheap nodes whose runs can be counted."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from oyster_nodes import Node, Param, Port, RunContext, WireData
from oyster_nodes.components import ComponentSpec

RUNS: list[str] = []
_lock = threading.Lock()


def ran(ctx: RunContext) -> None:
    with _lock:
        RUNS.append(ctx.node_id)


@dataclass(kw_only=True, slots=True)
class Blob(WireData):
    """A stand-in for a large artefact: goes to the disk tier."""

    wire_name: ClassVar[str] = "Blob"
    disk_cache: ClassVar[bool] = True
    data: np.ndarray
    label: str = ""


class Source(Node):
    type = "t.source"
    outputs = (Port("value", float),)
    params = (Param("value", float, 1.0),)

    def run(self, ctx: RunContext, *, value: float) -> float:
        ran(ctx)
        return value


class MakeBlob(Node):
    """Plays the world generator: expensive, cached on disk."""

    type = "t.blob"
    inputs = (Port("scale", float, optional=True),)
    outputs = (Port("blob", Blob),)
    params = (Param("size", int, 16, min=1, max=4096), Param("seed", int, 0))
    deterministic = False

    def run(self, ctx: RunContext, *, scale: float | None, size: int, seed: int) -> Blob:
        ran(ctx)
        rng = np.random.default_rng(seed)
        return Blob(data=(rng.random(size, dtype=np.float32) * (scale or 1.0)), label=f"blob{seed}")


class View(Node):
    """Plays the camera/render: cheap, depends on a blob and its own parameter."""

    type = "t.view"
    inputs = (Port("blob", Blob),)
    outputs = (Port("value", float),)
    params = (Param("angle", float, 0.0, min=-360, max=360),)

    def run(self, ctx: RunContext, *, blob: Blob, angle: float) -> float:
        ran(ctx)
        return float(blob.data.sum()) + angle


class Add(Node):
    type = "t.add"
    inputs = (Port("a", float), Port("b", float, optional=True))
    outputs = (Port("sum", float),)
    bypass = {"sum": "a"}

    def run(self, ctx: RunContext, *, a: float, b: float | None) -> float:
        ran(ctx)
        return a + (b or 0.0)


class Fail(Node):
    type = "t.fail"
    inputs = (Port("a", float),)
    outputs = (Port("out", float),)
    params = (Param("message", str, "boom"),)

    def run(self, ctx: RunContext, *, a: float, message: str) -> float:
        ran(ctx)
        raise RuntimeError(message)


class Slow(Node):
    """Reports progress in steps; a cancellation point at each one."""

    type = "t.slow"
    inputs = (Port("a", float, optional=True),)
    outputs = (Port("out", float),)
    params = (Param("steps", int, 5, min=1, max=1000), Param("step_s", float, 0.01, min=0, max=5))

    def run(self, ctx: RunContext, *, a: float | None, steps: int, step_s: float) -> float:
        ran(ctx)
        for i in range(steps):
            ctx.progress(i / steps, f"step {i + 1} of {steps}")
            time.sleep(step_s)
        ctx.progress(1.0, "done")
        return float(steps)


class WrongOutput(Node):
    type = "t.wrong"
    outputs = (Port("value", float),)

    def run(self, ctx: RunContext) -> str:
        return "not a number"


class Scribble(Node):
    """Writes into its input, as a careless node would: the cache must refuse."""

    type = "t.scribble"
    inputs = (Port("blob", Blob),)
    outputs = (Port("value", float),)

    def run(self, ctx: RunContext, *, blob: Blob) -> float:
        ran(ctx)
        blob.data[0] = 99.0
        return float(blob.data[0])


class Counter:
    """A component that counts what it was asked; made once per (kind, device)."""

    MADE: ClassVar[list[str]] = []
    CLOSED: ClassVar[list[str]] = []

    def __init__(self, device: str):
        self.device, self.calls = device, 0
        Counter.MADE.append(device)

    def count(self) -> int:
        self.calls += 1
        return self.calls

    def close(self) -> None:
        Counter.CLOSED.append(self.device)


COUNTER = ComponentSpec(kind="counter", create=Counter, nbytes=1000)


class UseCounter(Node):
    """Asks the executor's component store for the counter on its device."""

    type = "t.counter"
    outputs = (Port("calls", int),)
    params = (Param("tag", str, ""),)

    def run(self, ctx: RunContext, *, tag: str) -> int:
        ran(ctx)
        with ctx.use_component(COUNTER) as counter:
            return counter.count()


NODES = (Source, MakeBlob, View, Add, Fail, Slow, WrongOutput, Scribble, UseCounter)
