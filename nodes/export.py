"""Export nodes: write results into the run's output folder, atomically (temporary name, then rename)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import cv2
import numpy as np

from oyster_nodes.node import Node, Param, Port, RelPath, RunContext
from oyster_nodes.types import Files, Image


class ExportPNG(Node):
    """Write an Image's rgb as PNG; optionally its depth as a 16-bit PNG in millimetres (0: sky/none)."""

    type = "export.png"
    title = "Export PNG"
    category = "export"
    writes_files = True
    inputs = (Port("image", Image),)
    outputs = (Port("files", Files),)
    params = (
        Param("path", RelPath, "frame.png", widget="file", description="file inside the output folder"),
        Param("depth", bool, False, description="also write <name>_depth.png (uint16, millimetres, clipped)"),
        Param("depth_scale_mm", float, 1.0, min=0.01, max=1000.0,
              description="millimetres per depth unit in the 16-bit file (1: up to 65.5 m)"),
    )

    def run(self, ctx: RunContext, *, image: Image, path: RelPath, depth: bool = False,
            depth_scale_mm: float = 1.0) -> Files:
        target = ctx.output_path(path if str(path).lower().endswith(".png") else f"{path}.png")
        written = [_write_png(target, np.ascontiguousarray(image.rgb_hw3[..., ::-1]))]
        if depth:
            if image.depth_hw is None:
                ctx.warn("image has no depth pass; wrote rgb only")
            else:
                written.append(_write_png(target.with_name(target.stem + "_depth.png"),
                                          depth_to_u16(image.depth_hw, depth_scale_mm)))
        root = ctx.out_dir.resolve()
        return Files(root=str(root), paths=[p.relative_to(root).as_posix() for p in written],
                     hashes=[hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest() for p in written])


def depth_to_u16(depth_hw: np.ndarray, scale_mm: float = 1.0) -> np.ndarray:
    """Metres → uint16 in units of `scale_mm` millimetres; non-finite (sky) → 0, far → 65535."""
    units = np.where(np.isfinite(depth_hw), depth_hw * (1000.0 / scale_mm), 0.0)
    return np.clip(np.round(units), 0, 65535).astype(np.uint16)


def _write_png(target: Path, pixels: np.ndarray) -> Path:
    ok, data = cv2.imencode(".png", pixels)
    if not ok:
        raise ValueError(f"could not encode {target.name} as PNG")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data.tobytes())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


NODES = (ExportPNG,)
