"""Data that flows on wires, and the rules for which output may feed which input.

A leaf module: it imports nothing else of ours. Every wire type is a real class; a port names the
class, never a string. Large types say how they go to disk (a JSON header plus named numpy arrays,
no pickle) so the cache's disk tier can keep them.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


class WireData:
    """Base of every non-primitive wire type."""

    wire_name: ClassVar[str] = "Data"
    wire_color: ClassVar[str] = "#9e9e9e"
    #: kept in the disk tier of the cache (large, costly to make: world states, frames)
    disk_cache: ClassVar[bool] = False

    def nbytes(self) -> int:
        """Approximate memory held, for the byte-bounded memory cache."""
        meta, arrays = self.to_record()
        return sum(a.nbytes for a in arrays.values()) + len(repr(meta))

    def to_record(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able header and named arrays; the default splits dataclass fields by kind."""
        meta: dict[str, Any] = {}
        arrays: dict[str, np.ndarray] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                arrays[f.name] = value
            else:
                meta[f.name] = value
        return meta, arrays

    @classmethod
    def from_record(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> WireData:
        return cls(**meta, **arrays)

    def summary(self) -> str:
        """A short human description, used in error reports and the editor."""
        return f"{self.wire_name}"


class AnyData:
    """Marker for an input that accepts any wire type."""

    wire_name: ClassVar[str] = "Any"
    wire_color: ClassVar[str] = "#e0e0e0"


PRIMITIVE_NAMES: dict[type, str] = {int: "Int", float: "Float", str: "Text", bool: "Bool"}
PRIMITIVE_COLORS: dict[type, str] = {int: "#4fc3f7", float: "#81d4fa", str: "#a5d6a7", bool: "#ce93d8"}

#: implicit conversions allowed on a wire (source type, target type)
CONVERSIONS: frozenset[tuple[type, type]] = frozenset({(int, float), (bool, int)})


def wire_name(t: type) -> str:
    return PRIMITIVE_NAMES.get(t) or getattr(t, "wire_name", t.__name__)


def wire_color(t: type) -> str:
    return PRIMITIVE_COLORS.get(t) or getattr(t, "wire_color", "#9e9e9e")


def link_problem(source: type, target: type) -> str | None:
    """Why an output of type `source` cannot feed an input of type `target`, or None if it can."""
    if target is AnyData or source is target or (source, target) in CONVERSIONS:
        return None
    if isinstance(source, type) and isinstance(target, type) and issubclass(source, target):
        return None
    return f"expects {wire_name(target)}, got {wire_name(source)}"


def value_nbytes(value: Any) -> int:
    """Approximate size of any wire value in memory."""
    if isinstance(value, WireData):
        return value.nbytes()
    if isinstance(value, np.ndarray):
        return value.nbytes
    return sys.getsizeof(value)


def value_matches(value: Any, t: type) -> bool:
    """Whether a node's returned value really is of its declared output type."""
    if t is AnyData:
        return True
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t)


# ---------------------------------------------------------------------------------------------
# The studio's wire types. World types (WorldSpec, WorldState) live with the world core in
# oyster_nodes/world/, which depends only on this module.


@dataclass(kw_only=True, slots=True)
class Prompt(WireData):
    """A text description of a world, with what to leave out and how to look."""

    wire_name: ClassVar[str] = "Prompt"
    wire_color: ClassVar[str] = "#ffb74d"

    text: str
    negative: str = ""
    seed: int = 0
    style: str = "natural"

    def summary(self) -> str:
        return f"Prompt({self.text[:60]!r}, seed={self.seed})"


@dataclass(kw_only=True, slots=True)
class Image(WireData):
    """One rendered frame with its passes: rgb uint8 HxWx3, depth metres HxW, normals HxWx3, ids HxW."""

    wire_name: ClassVar[str] = "Image"
    wire_color: ClassVar[str] = "#f06292"
    disk_cache: ClassVar[bool] = True

    rgb_hw3: np.ndarray
    depth_hw: np.ndarray | None = None
    normal_hw3: np.ndarray | None = None
    instance_hw: np.ndarray | None = None
    semantic_hw: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        h, w = self.rgb_hw3.shape[:2]
        return f"Image({w}x{h})"


@dataclass(kw_only=True, slots=True)
class Frames(WireData):
    """A sequence of frames at a frame rate: rgb uint8 NxHxWx3 plus optional passes."""

    wire_name: ClassVar[str] = "Frames"
    wire_color: ClassVar[str] = "#e57373"
    disk_cache: ClassVar[bool] = True

    rgb_nhw3: np.ndarray
    fps: float = 24.0
    depth_nhw: np.ndarray | None = None
    normal_nhw3: np.ndarray | None = None
    instance_nhw: np.ndarray | None = None
    semantic_nhw: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        n, h, w = self.rgb_nhw3.shape[:3]
        return f"Frames({n} x {w}x{h} @ {self.fps:g} fps)"


@dataclass(kw_only=True, slots=True)
class Audio(WireData):
    """Interleaved float32 samples in [-1, 1], shape N x channels."""

    wire_name: ClassVar[str] = "Audio"
    wire_color: ClassVar[str] = "#ba68c8"
    disk_cache: ClassVar[bool] = True

    samples_nc: np.ndarray
    sample_rate: int = 48000

    def summary(self) -> str:
        return f"Audio({self.samples_nc.shape[0] / self.sample_rate:.2f} s, {self.samples_nc.shape[1]} ch)"


@dataclass(kw_only=True, slots=True)
class CameraPath(WireData):
    """A camera over time as arrays, one row per key (usually one per frame), sorted by time.

    times_k seconds (K), position_k3 and target_k3 metres (K x 3), focal_mm_k (K); K >= 1. Checked once
    where a path is made: shapes agree, values are finite, times never go back."""

    wire_name: ClassVar[str] = "CameraPath"
    wire_color: ClassVar[str] = "#64b5f6"

    times_k: np.ndarray
    position_k3: np.ndarray
    target_k3: np.ndarray
    focal_mm_k: np.ndarray
    duration_s: float = 0.0
    fps: float = 24.0
    width: int = 1280
    height: int = 720
    sensor_mm: float = 36.0
    near_m: float = 0.1
    far_m: float = 5000.0

    def __post_init__(self) -> None:
        self.times_k = np.asarray(self.times_k, np.float64).reshape(-1)
        self.position_k3 = np.asarray(self.position_k3, np.float64).reshape(-1, 3)
        self.target_k3 = np.asarray(self.target_k3, np.float64).reshape(-1, 3)
        self.focal_mm_k = np.asarray(self.focal_mm_k, np.float64).reshape(-1)
        k = len(self.times_k)
        if k == 0:
            raise ValueError("a camera path needs at least one key")
        if not (len(self.position_k3) == len(self.target_k3) == len(self.focal_mm_k) == k):
            raise ValueError(f"camera path arrays disagree: {k} times, {len(self.position_k3)} positions, "
                             f"{len(self.target_k3)} targets, {len(self.focal_mm_k)} focal lengths")
        for name in ("times_k", "position_k3", "target_k3", "focal_mm_k"):
            if not np.isfinite(getattr(self, name)).all():
                raise ValueError(f"camera path {name} holds a value that is not a finite number")
        if k > 1 and (np.diff(self.times_k) < 0).any():
            raise ValueError("camera path times must not go back")
        if (self.focal_mm_k <= 0).any():
            raise ValueError("camera path focal lengths must be positive")

    @property
    def key_count(self) -> int:
        return int(len(self.times_k))

    def key(self, i: int) -> dict[str, Any]:
        """Key i as JSON (time, position, target, focal_mm), for files and previews."""
        return {"time": float(self.times_k[i]), "position": [float(c) for c in self.position_k3[i]],
                "target": [float(c) for c in self.target_k3[i]], "focal_mm": float(self.focal_mm_k[i])}

    def summary(self) -> str:
        return f"CameraPath({self.key_count} keys, {self.duration_s:g} s, {self.width}x{self.height})"


@dataclass(kw_only=True, slots=True)
class ActionScript(WireData):
    """A timeline of events, each a dict with at least 'time' and 'kind'."""

    wire_name: ClassVar[str] = "ActionScript"
    wire_color: ClassVar[str] = "#4db6ac"

    events: list[dict[str, Any]]
    source: str = ""

    def summary(self) -> str:
        return f"ActionScript({len(self.events)} events)"


@dataclass(kw_only=True, slots=True)
class Files(WireData):
    """Files a node wrote, relative to the run's output folder, with their content hashes."""

    wire_name: ClassVar[str] = "Files"
    wire_color: ClassVar[str] = "#90a4ae"

    root: str
    paths: list[str]
    hashes: list[str] = field(default_factory=list)

    def exist(self) -> bool:
        from pathlib import Path

        return all((Path(self.root) / p).is_file() for p in self.paths)

    def summary(self) -> str:
        return f"Files({', '.join(self.paths[:3])}{'…' if len(self.paths) > 3 else ''})"
