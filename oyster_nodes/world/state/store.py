"""A WorldState as one .safetensors file: named arrays plus a JSON header in the metadata.

The header carries a format tag, the state version and a content hash, so a foreign safetensors
file, a state from a newer program, and a corrupted or truncated file are each refused with a
reason. Writes go to a temporary file in the same folder and are renamed into place.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from .mesh_data import problems as mesh_problems
from .world_state import STATE_VERSION, WorldState

FORMAT = "oyster-world"
SUFFIX = ".oyworld.safetensors"
MAX_FILE_BYTES = 4 * 1024**3


class WorldFileError(ValueError):
    """A world file that cannot be loaded; the message says why."""


def to_bytes(state: WorldState) -> bytes:
    meta, arrays = state.to_record()
    header = {
        "format": FORMAT,
        "state_version": str(state.version),
        "content_hash": state.content_hash(),
        "meta": json.dumps(meta, sort_keys=True, separators=(",", ":")),
    }
    return st_save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata=header)


def save_world(state: WorldState, path: str | Path) -> Path:
    """Write atomically (temporary file, then rename); returns the final path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = to_bytes(state)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_world(path: str | Path) -> WorldState:
    """Read a world file; raises WorldFileError for missing, foreign, newer or corrupted files."""
    path = Path(path)
    if not path.is_file():
        raise WorldFileError(f"{path}: no such world file (write one there with a world.save node, or fix the path)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise WorldFileError(
            f"{path}: {size / 1e9:.1f} GB is larger than the {MAX_FILE_BYTES / 1e9:.0f} GB limit"
        )
    return from_bytes(path.read_bytes(), name=str(path))


def from_bytes(data: bytes, name: str = "world file") -> WorldState:
    header = _header(data, name)
    try:
        arrays = st_load(data)
    except (SafetensorError, ValueError, OSError) as exc:
        raise WorldFileError(f"{name}: corrupted (array data unreadable: {exc})") from exc
    try:
        meta = json.loads(header["meta"])
        state = WorldState.from_record(meta, arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise WorldFileError(f"{name}: corrupted (header does not describe a world: {exc})") from exc
    _check_shapes(state, name)
    if state.content_hash() != header.get("content_hash"):
        raise WorldFileError(
            f"{name}: corrupted (content hash mismatch: the data changed after it was saved)"
        )
    return state


def _header(data: bytes, name: str) -> dict[str, Any]:
    """The safetensors metadata, checked to be ours and not from the future."""
    if len(data) < 8:
        raise WorldFileError(f"{name}: not a world file (only {len(data)} bytes)")
    length = int.from_bytes(data[:8], "little")
    if length <= 0 or 8 + length > len(data):
        raise WorldFileError(f"{name}: not a safetensors file, or truncated (bad header length)")
    try:
        header = json.loads(data[8 : 8 + length])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorldFileError(f"{name}: not a safetensors file, or corrupted (header is not JSON)") from exc
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise WorldFileError(
            f"{name}: a safetensors file but not an Oyster world (no '{FORMAT}' format tag); "
            "was it written by another program?"
        )
    try:
        version = int(meta.get("state_version", ""))
    except ValueError as exc:
        raise WorldFileError(f"{name}: corrupted (bad state_version {meta.get('state_version')!r})") from exc
    if version > STATE_VERSION:
        raise WorldFileError(
            f"{name}: world format version {version} is newer than this program understands "
            f"({STATE_VERSION}); update Oyster Nodes"
        )
    if "meta" not in meta:
        raise WorldFileError(f"{name}: corrupted (world header missing)")
    return meta


def _check_shapes(state: WorldState, name: str) -> None:
    n = state.n
    problems = []
    for field_name, dtype in (("height_hw", np.float32), ("material_hw", np.uint8), ("water_hw", np.float32)):
        a = getattr(state, field_name)
        if a.shape != (n, n) or a.dtype != dtype:
            problems.append(f"{field_name} is {a.dtype}{a.shape}, expected {np.dtype(dtype)}({n}, {n})")
    count = len(state.inst_kind)
    for field_name, shape in (
        ("inst_xyz", (count, 3)),
        ("inst_yaw", (count,)),
        ("inst_scale", (count,)),
        ("inst_var", (count,)),
    ):
        if getattr(state, field_name).shape != shape:
            problems.append(f"{field_name} has shape {getattr(state, field_name).shape}, expected {shape}")
    for mesh in state.meshes:
        problems += mesh_problems(state.mesh_arrays, mesh)
    if problems:
        raise WorldFileError(f"{name}: corrupted ({'; '.join(problems)})")
