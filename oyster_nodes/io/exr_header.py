"""OpenEXR headers read from bytes: magic, attributes and channel lists (single-part scanline files).

A leaf of io/: both the image codec (images.py) and provenance (the workflow a file carries) read headers
through it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

EXR_MAGIC = b"\x76\x2f\x31\x01"
EXR_TYPES = {0: np.dtype("<u4"), 1: np.dtype("<f2"), 2: np.dtype("<f4")}


class ImageFormatError(ValueError):
    """An array that cannot be written in the asked format, or a file that cannot be read back."""


@dataclass(kw_only=True, slots=True)
class ExrHeader:
    attributes: dict[str, Any]
    channels: list[tuple[str, int]]
    end: int


def parse_exr_header(data: bytes) -> ExrHeader:
    if not data.startswith(EXR_MAGIC):
        raise ImageFormatError("not an OpenEXR file")
    (version,) = struct.unpack("<I", data[4:8])
    if version & 0xFF != 2 or version & 0x1E00:
        raise ImageFormatError(f"only single-part scanline OpenEXR is read here (version field {version:#x})")
    pos, attrs, channels = 8, {}, []
    while True:
        if pos >= len(data):
            raise ImageFormatError("OpenEXR header is truncated")
        if data[pos] == 0:
            return ExrHeader(attributes=attrs, channels=channels, end=pos + 1)
        name, pos = _cstring(data, pos)
        kind, pos = _cstring(data, pos)
        (size,) = struct.unpack("<i", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + size]
        pos += 4 + size
        if kind == "chlist":
            channels = _parse_chlist(value)
        attrs[name] = _attr_value(kind, value)


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\x00", pos, pos + 256)
    return data[pos:end].decode("latin-1"), end + 1


def _parse_chlist(value: bytes) -> list[tuple[str, int]]:
    out, pos = [], 0
    while pos < len(value) and value[pos] != 0:
        name, pos = _cstring(value, pos)
        ptype, _linear, xs, ys = struct.unpack("<iB3xii", value[pos:pos + 16])
        if (xs, ys) != (1, 1) or ptype not in EXR_TYPES:
            raise ImageFormatError(f"EXR channel {name!r}: subsampled or unknown pixel type is not supported")
        out.append((name, ptype))
        pos += 16
    return out


def _attr_value(kind: str, value: bytes) -> Any:
    if kind == "string":
        return value.decode("utf-8")
    if kind == "box2i":
        return struct.unpack("<iiii", value)
    if kind in ("compression", "lineOrder"):
        return value[0]
    if kind == "float":
        return struct.unpack("<f", value)[0]
    return value


def read_exr_header(data: bytes) -> dict[str, Any]:
    """Header attributes of an OpenEXR file (strings decoded, boxes as tuples)."""
    return parse_exr_header(data).attributes
