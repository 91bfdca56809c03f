"""Still images and image sequences: 8/16-bit PNG, float/half/uint OpenEXR, depth, normal and id passes.

The OpenCV wheel here has no OpenEXR codec (even with OPENCV_IO_ENABLE_OPENEXR=1), so EXR is written and
read here: single-part scanline files without compression (OpenEXR file layout 2.0: magic, version,
header attributes, a line offset table, then one block per scanline with the channels in alphabetical
order). Every PNG and EXR carries the workflow that made it (see provenance.py).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from .exr_header import EXR_MAGIC, EXR_TYPES, ImageFormatError, parse_exr_header
from .files import NameFields, OutputFolder, render_name, require_frame_field
from .provenance import EXR_ATTRIBUTE, png_insert_chunks, png_text_chunks

EXR_TYPE_OF = {np.dtype("uint32"): 0, np.dtype("float16"): 1, np.dtype("float32"): 2}
DEPTH_KEY = "oyster-depth"
_MAX_EXR_SIDE = 1 << 15


# ------------------------------------------------------------------------------------------- PNG


def to_uint(image: np.ndarray, bits: int) -> np.ndarray:
    """uint8 / uint16 / float in [0, 1] → the unsigned type for `bits` (8 or 16), rounding and clipping."""
    a = np.asarray(image)
    target = np.uint8 if bits == 8 else np.uint16
    top = 255 if bits == 8 else 65535
    if a.dtype == target:
        return a
    if a.dtype == np.uint8:
        return a.astype(np.uint16) * 257
    if a.dtype == np.uint16:
        return ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        return (np.clip(np.nan_to_num(a, nan=0.0), 0.0, 1.0) * top + 0.5).astype(target)
    if np.issubdtype(a.dtype, np.integer) and a.size and (a.min() < 0 or a.max() > top):
        raise ImageFormatError(f"integer image values {a.min()}..{a.max()} do not fit {bits}-bit PNG")
    return a.astype(target)


def encode_png(image: np.ndarray, *, bits: int = 8, workflow_json: str | None = None,
               text: Mapping[str, str] | None = None, compression: int = 3) -> bytes:
    """PNG bytes of a grey (HxW), RGB (HxWx3) or RGBA (HxWx4) image at 8 or 16 bits, with provenance."""
    return png_insert_chunks(_encode_plain_png(image, bits, compression),
                             png_text_chunks(workflow_json, dict(text or {})))


def decode_png(data: bytes) -> np.ndarray:
    """A PNG as RGB/RGBA/grey with its stored bit depth (uint8 or uint16)."""
    a = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if a is None:
        raise ImageFormatError("not a readable PNG")
    if a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_BGR2RGB if a.shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    return a


# ------------------------------------------------------------------------------------------- EXR


def _attr(name: str, kind: str, value: bytes) -> bytes:
    return name.encode() + b"\x00" + kind.encode() + b"\x00" + struct.pack("<i", len(value)) + value


def _chlist(channels: Sequence[tuple[str, int]]) -> bytes:
    out = b"".join(n.encode() + b"\x00" + struct.pack("<iB3xii", t, 0, 1, 1) for n, t in channels)
    return out + b"\x00"


def _exr_channels(channels: Mapping[str, np.ndarray]) -> tuple[list[str], list[np.ndarray], int, int]:
    if not channels:
        raise ImageFormatError("an EXR needs at least one channel")
    names = sorted(channels)
    arrays = []
    for n in names:
        a = np.asarray(channels[n])
        if a.dtype not in EXR_TYPE_OF:
            if np.issubdtype(a.dtype, np.floating):
                a = a.astype(np.float32)
            elif np.issubdtype(a.dtype, np.integer) and (a.size == 0 or a.min() >= 0):
                a = a.astype(np.uint32)
            else:
                raise ImageFormatError(f"EXR channel {n!r} has dtype {a.dtype}; use float16/32 or uint32")
        arrays.append(a)
    h, w = arrays[0].shape[:2] if arrays[0].ndim == 2 else (0, 0)
    if any(a.ndim != 2 or a.shape != (h, w) for a in arrays) or not (0 < h <= _MAX_EXR_SIDE and 0 < w <= _MAX_EXR_SIDE):
        raise ImageFormatError(f"EXR channels must share one HxW shape, got {[a.shape for a in arrays]}")
    return names, arrays, h, w


def encode_exr(channels: Mapping[str, np.ndarray], *, workflow_json: str | None = None,
               attributes: Mapping[str, str] | None = None) -> bytes:
    """An uncompressed scanline OpenEXR file of named HxW channels (float32 → FLOAT, float16 → HALF,
    uint32 → UINT); string attributes and the workflow go into the header."""
    names, arrays, h, w = _exr_channels(channels)
    types = [EXR_TYPE_OF[a.dtype] for a in arrays]
    box = struct.pack("<iiii", 0, 0, w - 1, h - 1)
    header = [
        _attr("channels", "chlist", _chlist(list(zip(names, types, strict=True)))),
        _attr("compression", "compression", b"\x00"),
        _attr("dataWindow", "box2i", box),
        _attr("displayWindow", "box2i", box),
        _attr("lineOrder", "lineOrder", b"\x00"),
        _attr("pixelAspectRatio", "float", struct.pack("<f", 1.0)),
        _attr("screenWindowCenter", "v2f", struct.pack("<ff", 0.0, 0.0)),
        _attr("screenWindowWidth", "float", struct.pack("<f", 1.0)),
    ]
    strings = dict(attributes or {})
    if workflow_json is not None:
        strings[EXR_ATTRIBUTE] = workflow_json
    header += [_attr(k, "string", v.encode("utf-8")) for k, v in sorted(strings.items())]
    head = EXR_MAGIC + struct.pack("<I", 2) + b"".join(header) + b"\x00"
    return head + _exr_scanlines(arrays, h, w, len(head))


def _exr_scanlines(arrays: list[np.ndarray], h: int, w: int, head_len: int) -> bytes:
    line_bytes = sum(w * EXR_TYPES[EXR_TYPE_OF[a.dtype]].itemsize for a in arrays)
    block = 8 + line_bytes
    rows = np.zeros((h, block), np.uint8)
    rows[:, 0:4] = np.arange(h, dtype="<i4").view(np.uint8).reshape(h, 4)
    rows[:, 4:8] = np.frombuffer(struct.pack("<i", line_bytes), np.uint8)
    col = 8
    for a in arrays:
        le = np.ascontiguousarray(a, dtype=EXR_TYPES[EXR_TYPE_OF[a.dtype]])
        size = le.dtype.itemsize * w
        rows[:, col:col + size] = le.view(np.uint8).reshape(h, size)
        col += size
    start = head_len + 8 * h
    offsets = (start + np.arange(h, dtype=np.int64) * block).astype("<u8")
    return offsets.tobytes() + rows.tobytes()


def decode_exr(data: bytes) -> dict[str, np.ndarray]:
    """The channels of an uncompressed scanline OpenEXR file, by name."""
    head = parse_exr_header(data)
    if head.attributes.get("compression") != 0:
        raise ImageFormatError("only uncompressed OpenEXR is read here")
    x0, y0, x1, y1 = head.attributes["dataWindow"]
    w, h = x1 - x0 + 1, y1 - y0 + 1
    offsets = np.frombuffer(data, "<u8", count=h, offset=head.end)
    out = {name: np.empty((h, w), EXR_TYPES[t]) for name, t in head.channels}
    for off in offsets:
        y, size = struct.unpack("<ii", data[off:off + 8])
        pos = int(off) + 8
        for name, t in head.channels:
            n = w * EXR_TYPES[t].itemsize
            out[name][y - y0] = np.frombuffer(data, EXR_TYPES[t], count=w, offset=pos)
            pos += n
    return out


# ---------------------------------------------------------------------------------------- passes


def depth_png16(depth_hw: np.ndarray, *, max_m: float) -> tuple[np.ndarray, dict[str, str]]:
    """Depth in metres → uint16 with a linear step of max_m / 65535 m; 0 means no depth (sky, invalid).

    Returns the image and the PNG text entry that records the scale."""
    if not (max_m > 0 and np.isfinite(max_m)):
        raise ImageFormatError(f"max depth must be a positive number of metres, got {max_m}")
    d = np.asarray(depth_hw, np.float64)
    step = max_m / 65534.0
    valid = np.isfinite(d) & (d > 0)
    q = np.where(valid, np.clip(np.round(d / step), 1, 65535), 0).astype(np.uint16)
    meta = {"unit": "m", "metres_per_step": step, "zero": "no depth", "max_m": max_m}
    return q, {DEPTH_KEY: json.dumps(meta)}


def depth_from_png16(q_hw: np.ndarray, meta_json: str) -> np.ndarray:
    """Metres back from depth_png16's image and its recorded scale (no depth → NaN)."""
    step = float(json.loads(meta_json)["metres_per_step"])
    return np.where(q_hw > 0, q_hw.astype(np.float64) * step, np.nan).astype(np.float32)


def normals_rgb(normal_hw3: np.ndarray) -> np.ndarray:
    """Unit normals in [-1, 1] → float RGB in [0, 1] (n * 0.5 + 0.5); non-finite → 0.5 grey."""
    n = np.nan_to_num(np.asarray(normal_hw3, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(n * 0.5 + 0.5, 0.0, 1.0)


def id_image(ids_hw: np.ndarray) -> tuple[str, np.ndarray]:
    """An id pass as the narrowest lossless image: ('png', uint16) when ids fit, else ('exr', uint32)."""
    ids = np.asarray(ids_hw)
    if ids.size and ids.min() < 0:
        raise ImageFormatError("id passes must hold non-negative ids")
    if ids.size == 0 or ids.max() <= 65535:
        return "png", ids.astype(np.uint16)
    if ids.max() > 0xFFFFFFFF:
        raise ImageFormatError("ids above 2^32 - 1 cannot be written")
    return "exr", ids.astype(np.uint32)


# ------------------------------------------------------------------------------------- sequences


def write_png_sequence(folder: OutputFolder, frames_nhw: np.ndarray, *, template: str, fields: NameFields,
                       bits: int = 8, workflow_json: str | None = None, first_frame: int = 1,
                       text: Mapping[str, str] | None = None) -> list[str]:
    """One PNG per frame under a {frame}-template; every name is checked before the first is written."""
    require_frame_field(template)
    names = [render_name(template, fields, frame=first_frame + i) for i in range(len(frames_nhw))]
    if not all(n.lower().endswith(".png") for n in names):
        raise ImageFormatError(f"name template {template!r} must end in .png")
    names = folder.claim_all(names)
    chunks = png_text_chunks(workflow_json, dict(text or {}))
    for name, frame in zip(names, frames_nhw, strict=True):
        png = _encode_plain_png(frame, bits)
        folder.write_bytes(name, png_insert_chunks(png, chunks), claimed=True)
    return names


def write_exr_sequence(folder: OutputFolder, channels_per_frame: Sequence[Mapping[str, np.ndarray]], *,
                       template: str, fields: NameFields, workflow_json: str | None = None,
                       first_frame: int = 1, attributes: Mapping[str, str] | None = None) -> list[str]:
    """One EXR per frame under a {frame}-template."""
    require_frame_field(template)
    names = [render_name(template, fields, frame=first_frame + i) for i in range(len(channels_per_frame))]
    if not all(n.lower().endswith(".exr") for n in names):
        raise ImageFormatError(f"name template {template!r} must end in .exr")
    names = folder.claim_all(names)
    for name, channels in zip(names, channels_per_frame, strict=True):
        data = encode_exr(channels, workflow_json=workflow_json, attributes=attributes)
        folder.write_bytes(name, data, claimed=True)
    return names


def _encode_plain_png(image: np.ndarray, bits: int, compression: int = 3) -> bytes:
    """PNG without text chunks (a sequence builds its text chunks once)."""
    if bits not in (8, 16):
        raise ImageFormatError(f"PNG bit depth must be 8 or 16, got {bits}")
    a = to_uint(image, bits)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        a = cv2.cvtColor(a, cv2.COLOR_RGB2BGR if a.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    elif a.ndim != 2 and not (a.ndim == 3 and a.shape[2] == 1):
        raise ImageFormatError(f"PNG needs HxW, HxWx3 or HxWx4, got shape {a.shape}")
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(a), [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise ImageFormatError(f"OpenCV could not encode a PNG of shape {a.shape}")
    return buf.tobytes()
