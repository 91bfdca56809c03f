"""Turn node outputs into small preview descriptors whose pixels live in files served by URL.

Any output of type Image, Frames, Files or CameraPath gets a preview, whatever node made it; plain
values show as text. Websocket messages carry only the descriptors (never pixels), so a large image
cannot hit NiceGUI's ~1 MB message limit.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from ..types import CameraPath, Files, Frames, Image, WireData

log = logging.getLogger(__name__)

MAX_SIDE = 768
MAX_VIDEO_FRAMES = 240
MAX_CAMERA_KEYS = 500
#: folders of previews made from the cache (the viewer's, for nodes no run showed) kept, the newest first
MAX_CACHED_FOLDERS = 64
CACHED_PREFIX = "cached-"
_pruning = threading.Lock()
IMAGE_PASSES = (("rgb", "rgb_hw3"), ("depth", "depth_hw"), ("normal", "normal_hw3"), ("instance", "instance_hw"),
                ("semantic", "semantic_hw"))


def make_previews(node_id: str, outputs: Mapping[str, Any], *, folder: Path, url: str,
                  files_url: str, out_dir: Path) -> list[dict[str, Any]]:
    """Descriptors for every output of one node; files go into `folder`, served under `url`."""
    items = []
    for name, value in outputs.items():
        try:
            items += _preview(node_id, name, value, folder=folder, url=url, files_url=files_url, out_dir=out_dir)
        except Exception as exc:  # a preview must never fail a run
            log.warning("no preview for %s.%s: %s", node_id, name, exc)
            items.append({"kind": "value", "output": name, "text": f"(no preview: {exc})"})
    return items


def keep_cached_folders(root: Path, used: Path, *, keep: int = MAX_CACHED_FOLDERS) -> list[str]:
    """Mark `used` (a cached-<key> folder just written or read) as the newest and remove all but the newest
    `keep` cached-<key> folders under `root`; returns the names removed.

    A folder is first renamed away (one atomic step, so a request never sees half of one) and then deleted;
    a request that writes the same key again simply makes it anew."""
    with _pruning:
        try:
            os.utime(used)
        except OSError:
            pass  # it holds no files (its previews are all values)
        folders = []
        for path in root.glob(f"{CACHED_PREFIX}*"):
            try:
                folders.append((path.stat().st_mtime, path))
            except OSError:
                continue  # removed meanwhile
        folders.sort(key=lambda f: f[0], reverse=True)
        removed = []
        for _, path in folders[max(1, keep):]:
            if path == used:
                continue
            gone = root / f".gone-{path.name}-{secrets.token_hex(4)}"
            try:
                path.rename(gone)
            except OSError:
                continue
            shutil.rmtree(gone, ignore_errors=True)
            removed.append(path.name)
        return removed


def _preview(node_id: str, name: str, value: Any, *, folder: Path, url: str, files_url: str,
             out_dir: Path) -> list[dict[str, Any]]:
    stem = f"{node_id.replace('/', '~')}.{name}"  # a node inside a subgraph: g1/n3
    if isinstance(value, Image):
        return [_image(stem, name, value, folder, url)]
    if isinstance(value, Frames):
        return [_video(stem, name, value, folder, url)]
    if isinstance(value, Files):
        return [_files(name, value, files_url, out_dir)]
    if isinstance(value, CameraPath):
        return [_camera(name, value)]
    if isinstance(value, WireData):
        return [{"kind": "value", "output": name, "text": value.summary()}]
    return [{"kind": "value", "output": name, "text": _short(value)}]


def _short(value: Any, limit: int = 200) -> str:
    text = f"{value:.6g}" if isinstance(value, float) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------- images


def _image(stem: str, name: str, image: Image, folder: Path, url: str) -> dict[str, Any]:
    passes = {}
    for label, attr in IMAGE_PASSES:
        array = getattr(image, attr, None)
        if array is None:
            continue
        file = f"{stem}.{label}.png"
        write_png(folder / file, _shrink(pass_to_rgb(label, array)))
        passes[label] = f"{url}/{quote(file)}"
    return {"kind": "image", "output": name, "passes": passes, "caption": image.summary()}


def pass_to_rgb(label: str, array: np.ndarray) -> np.ndarray:
    """A viewable uint8 HxWx3 picture of one render pass."""
    if label == "rgb":
        return _as_uint8_rgb(array)
    if label == "depth":
        return _depth_colours(array)
    if label == "normal":
        return np.clip((np.nan_to_num(array.astype(np.float32)) * 0.5 + 0.5) * 255, 0, 255).astype(np.uint8)
    return _id_colours(array)


def _as_uint8_rgb(array: np.ndarray) -> np.ndarray:
    if array.dtype != np.uint8:
        array = np.clip(np.nan_to_num(array.astype(np.float32)) * (255 if array.max() <= 1.0 else 1), 0, 255)
        array = array.astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return array[..., :3]


def _depth_colours(depth: np.ndarray) -> np.ndarray:
    import cv2

    d = depth.astype(np.float32)
    finite = np.isfinite(d) & (d > 0)
    if not finite.any():
        return np.zeros((*d.shape, 3), np.uint8)
    inv = np.where(finite, 1.0 / np.where(finite, d, 1.0), 0.0)
    lo, hi = np.percentile(inv[finite], [1, 99])
    scaled = np.clip((inv - lo) / max(hi - lo, 1e-9), 0, 1)
    grey = (scaled * 255).astype(np.uint8)
    colours = cv2.applyColorMap(grey, cv2.COLORMAP_TURBO)[..., ::-1]
    colours[~finite] = 0
    return np.ascontiguousarray(colours)


def _id_colours(ids: np.ndarray) -> np.ndarray:
    v = ids.astype(np.uint64)
    h = (v * np.uint64(2654435761)) & np.uint64(0xFFFFFF)
    rgb = np.stack([(h >> np.uint64(16)) & np.uint64(255), (h >> np.uint64(8)) & np.uint64(255),
                    h & np.uint64(255)], axis=-1).astype(np.uint8)
    rgb[ids == 0] = 0
    return rgb


def _shrink(rgb: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return rgb
    return cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)


def write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise ValueError("PNG encoding failed")
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data.tobytes())
    tmp.replace(path)


# ------------------------------------------------------------------------------------- frames


def _video(stem: str, name: str, frames: Frames, folder: Path, url: str) -> dict[str, Any]:
    rgb = frames.rgb_nhw3[:MAX_VIDEO_FRAMES]
    file = f"{stem}.mp4"
    try:
        write_mp4(folder / file, [_shrink(_as_uint8_rgb(f)) for f in rgb], fps=frames.fps)
    except ImportError:
        first = f"{stem}.rgb.png"
        write_png(folder / first, _shrink(_as_uint8_rgb(rgb[0])))
        return {"kind": "image", "output": name, "passes": {"rgb": f"{url}/{quote(first)}"}, "caption": frames.summary()}
    return {"kind": "video", "output": name, "url": f"{url}/{quote(file)}", "caption": frames.summary()}


def write_mp4(path: Path, frames: list[np.ndarray], *, fps: float) -> None:
    """H.264 yuv420p with faststart: what Chromium plays."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    h, w = h - h % 2, w - w % 2
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=max(1, int(round(fps))))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:h, :w]), format="rgb24")))
        container.mux(stream.encode())
    tmp.replace(path)


# ------------------------------------------------------------------------------------- files, paths


def _files(name: str, files: Files, files_url: str, out_dir: Path) -> dict[str, Any]:
    root = Path(files.root).resolve()
    out = out_dir.resolve()
    listed = []
    for rel in files.paths[:50]:
        full = (root / rel).resolve()
        if out == full or out in full.parents:
            listed.append({"name": rel, "url": f"{files_url}/{quote(full.relative_to(out).as_posix())}"})
        else:
            listed.append({"name": rel, "url": ""})
    return {"kind": "files", "output": name, "files": listed}


def _camera(name: str, path: CameraPath) -> dict[str, Any]:
    n = min(path.key_count, MAX_CAMERA_KEYS)
    keys = [{"position": [float(v) for v in path.position_k3[i]], "target": [float(v) for v in path.target_k3[i]]}
            for i in range(n)]
    return {"kind": "camera", "output": name, "keys": keys, "caption": path.summary()}


def _vec(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) >= 2 and all(isinstance(v, (int, float)) for v in value[:3])
