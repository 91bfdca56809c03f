"""The workflow that made a file, carried inside the file, and read back out of it.

Where it is stored:
- PNG: an iTXt chunk with keyword "oyster-workflow" (UTF-8, zlib-compressed), before the image data;
  a tEXt chunk with the same keyword is read too.
- MP4 / MOV: a container metadata tag "oyster_workflow" (written with movflags use_metadata_tags).
- OpenEXR: a header attribute "oysterWorkflow" of type string.
- GLB / glTF: asset.extras.oyster_workflow.
- PLY: a header comment line "oyster_workflow <json on one line>".

`read_workflow(path)` recognises the file by its first bytes, not its name, and returns the parsed
Workflow (schema-checked like any workflow from outside); `read_workflow_bytes(data)` does the same for
bytes (a file dropped on the editor); `read_workflow_text` returns the raw JSON.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from ..workflow import MAX_BYTES, Workflow, parse_text
from .exr_header import EXR_MAGIC, ImageFormatError, read_exr_header

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"oyster-workflow"
MOV_TAG = "oyster_workflow"
EXR_ATTRIBUTE = "oysterWorkflow"
GLTF_EXTRA = "oyster_workflow"
PLY_COMMENT = "oyster_workflow"
GLB_MAGIC = b"glTF"
_MAX_CHUNK = 64 * 1024 * 1024


class ProvenanceError(ValueError):
    """A file that carries no readable workflow; the message says what was found instead."""


# ------------------------------------------------------------------------------------------- PNG


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_itxt(keyword: bytes, text: str) -> bytes:
    """An iTXt chunk holding UTF-8 text, zlib-compressed."""
    body = keyword + b"\x00" + b"\x01\x00" + b"\x00" + b"\x00" + zlib.compress(text.encode("utf-8"), 6)
    return png_chunk(b"iTXt", body)


def png_text(keyword: bytes, text: str) -> bytes:
    """A tEXt chunk (Latin-1 text)."""
    return png_chunk(b"tEXt", keyword + b"\x00" + text.encode("latin-1", "replace"))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of every chunk of a PNG, checking lengths and CRCs."""
    if not data.startswith(PNG_SIGNATURE):
        raise ProvenanceError("not a PNG file")
    chunks, pos = [], len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        if length > _MAX_CHUNK or pos + 12 + length > len(data):
            raise ProvenanceError(f"PNG chunk {kind!r} at byte {pos} is truncated or too large")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if crc != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise ProvenanceError(f"PNG chunk {kind!r} at byte {pos} has a bad CRC")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def png_text_chunks(workflow_json: str | None, extra: dict[str, str] | None = None) -> bytes:
    """Text chunks for a PNG: the workflow as compressed iTXt, other entries as tEXt."""
    chunks = [png_text(b"Software", "Oyster Nodes")]
    chunks += [png_text(k.encode("latin-1"), v) for k, v in (extra or {}).items()]
    if workflow_json is not None:
        chunks.append(png_itxt(PNG_KEYWORD, workflow_json))
    return b"".join(chunks)


def png_insert_chunks(png: bytes, chunks: bytes) -> bytes:
    """The PNG with already-built chunks inserted right after IHDR, before the image data."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG byte string")
    ihdr_end = len(PNG_SIGNATURE) + 12 + struct.unpack(">I", png[8:12])[0]
    return png[:ihdr_end] + chunks + png[ihdr_end:]


def png_text_entries(data: bytes) -> dict[str, str]:
    """Every tEXt/zTXt/iTXt entry of a PNG as keyword → text."""
    out: dict[str, str] = {}
    for kind, body in png_chunks(data):
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            keyword, _, rest = body.partition(b"\x00")
            out[keyword.decode("latin-1")] = _decode_text_chunk(kind, rest)
    return out


def _decode_text_chunk(kind: bytes, rest: bytes) -> str:
    if kind == b"tEXt":
        return rest.decode("latin-1")
    if kind == b"zTXt":
        return _inflate(rest[1:]).decode("latin-1")
    compressed, _method = rest[0], rest[1]
    _lang, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return (_inflate(text) if compressed else text).decode("utf-8")


def _inflate(data: bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_BYTES + 1)
    if len(out) > MAX_BYTES:
        raise ProvenanceError(f"embedded text is larger than the {MAX_BYTES}-byte workflow limit")
    return out


# ------------------------------------------------------------------------------------- readers

Source = Path | bytes


def _name(source: Source) -> str:
    return source.name if isinstance(source, Path) else "the dropped file"


def _data(source: Source) -> bytes:
    return source if isinstance(source, bytes) else source.read_bytes()


def _read_png(source: Source) -> str | None:
    return png_text_entries(_data(source)).get(PNG_KEYWORD.decode())


def _read_mov(source: Source) -> str | None:
    import av

    try:
        with av.open(str(source) if isinstance(source, Path) else io.BytesIO(source)) as container:
            return container.metadata.get(MOV_TAG)
    except av.error.FFmpegError as exc:
        raise ProvenanceError(f"{_name(source)} could not be read as a video: {exc}") from None


def _read_exr(source: Source) -> str | None:
    try:
        value = read_exr_header(_data(source)).get(EXR_ATTRIBUTE)
    except (ImageFormatError, ValueError, struct.error) as exc:
        raise ProvenanceError(f"{_name(source)}: unreadable OpenEXR header ({exc})") from None
    return value if isinstance(value, str) else None


def _read_glb(source: Source) -> str | None:
    data = _data(source)
    if len(data) < 20:
        raise ProvenanceError(f"{_name(source)} is too short to be a GLB")
    length, kind = struct.unpack("<I4s", data[12:20])
    if kind != b"JSON" or 20 + length > len(data):
        raise ProvenanceError(f"{_name(source)}: first GLB chunk is not JSON")
    return _gltf_extra(_json(data[20:20 + length], source))


def _json(data: bytes, source: Source) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ProvenanceError(f"{_name(source)}: not valid JSON ({exc})") from None


def _gltf_extra(doc: Any) -> str | None:
    extras = doc.get("asset", {}).get("extras", {}) if isinstance(doc, dict) else {}
    value = extras.get(GLTF_EXTRA) if isinstance(extras, dict) else None
    return value if isinstance(value, str) else None


def _read_ply(source: Source) -> str | None:
    prefix = b"comment " + PLY_COMMENT.encode() + b" "
    with open(source, "rb") if isinstance(source, Path) else io.BytesIO(source) as f:
        for _ in range(10_000):
            line = f.readline(MAX_BYTES + 1)
            if not line or line.strip() == b"end_header":
                return None
            if line.startswith(prefix):
                return line[len(prefix):].decode("utf-8").rstrip("\r\n")
    return None


def _read_json(source: Source) -> str | None:
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    if size > MAX_BYTES:
        raise ProvenanceError(f"{_name(source)} is larger than the {MAX_BYTES}-byte workflow limit")
    data = _data(source)
    doc = _json(data, source)
    if isinstance(doc, dict) and doc.get("format") == "oyster-workflow":
        return data.decode("utf-8")
    if isinstance(doc, dict) and isinstance(doc.get(GLTF_EXTRA), str):
        return doc[GLTF_EXTRA]
    return _gltf_extra(doc)


def _is_mov(head: bytes) -> bool:
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")


def _text(source: Source, head: bytes) -> str | None:
    if head.startswith(PNG_SIGNATURE):
        return _read_png(source)
    if head.startswith(EXR_MAGIC):
        return _read_exr(source)
    if head.startswith(GLB_MAGIC):
        return _read_glb(source)
    if head.startswith(b"ply"):
        return _read_ply(source)
    if _is_mov(head):
        return _read_mov(source)
    if head.lstrip().startswith(b"{"):
        return _read_json(source)
    raise ProvenanceError(f"{_name(source)}: not a file type that carries a workflow "
                          "(PNG, EXR, MP4/MOV, GLB, PLY, JSON)")


def read_workflow_text(path: str | Path) -> str | None:
    """The workflow JSON embedded in an exported file, or None if the file carries none."""
    p = Path(path)
    with open(p, "rb") as f:
        head = f.read(16)
    return _text(p, head)


def read_workflow(path: str | Path) -> Workflow:
    """The Workflow embedded in an exported file (PNG, EXR, MP4/MOV, GLB/glTF, PLY or a saved workflow).

    Raises ProvenanceError when the file carries none, WorkflowError when what it carries is invalid."""
    text = read_workflow_text(path)
    if text is None:
        raise ProvenanceError(f"{Path(path).name} carries no Oyster Nodes workflow")
    return parse_text(text, source=f"workflow embedded in {Path(path).name}")


def read_workflow_bytes(data: bytes, *, name: str = "dropped file") -> Workflow:
    """The same as read_workflow for a file's bytes (a file dropped on the editor, an upload)."""
    text = _text(bytes(data), bytes(data[:16]))
    if text is None:
        raise ProvenanceError(f"{name} carries no Oyster Nodes workflow")
    return parse_text(text, source=f"workflow embedded in {name}")


def compact_json(text: str) -> str:
    """Workflow JSON on one line (for PLY comments), preserving its content."""
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
