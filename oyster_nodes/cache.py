"""Content-addressed result cache: a memory tier bounded in bytes and a disk tier for large results.

A node's outputs are stored under its content key (see executor). The memory tier is an LRU over
live objects. The disk tier keeps world states, frames and other large artefacts as one file per
key: a magic, a blake2b checksum, then safetensors bytes whose metadata carries the JSON header.
Files are written under a temporary name and renamed, so several processes can share a folder;
a file whose checksum fails is deleted and counted as corrupt, and the node simply runs again.
No pickle: only registered wire classes are rebuilt from disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from .types import WireData, value_nbytes

MAGIC = b"OYSTERC1"
DIGEST = 32
Outputs = dict[str, Any]


@dataclass(slots=True)
class CacheStats:
    memory_hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    stores: int = 0
    disk_stores: int = 0
    evictions: int = 0
    corrupt: int = 0
    memory_bytes: int = 0
    memory_entries: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class MemoryCache:
    """LRU of node outputs, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int = 2 << 30):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[Outputs, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.evictions = 0

    def get(self, key: str) -> Outputs | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: str, outputs: Outputs, nbytes: int | None = None) -> None:
        size = sum(value_nbytes(v) for v in outputs.values()) if nbytes is None else nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (outputs, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
                self.evictions += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


class CorruptEntry(Exception):
    pass


def _wire_classes() -> dict[str, type[WireData]]:
    found: dict[str, type[WireData]] = {}
    todo = list(WireData.__subclasses__())
    while todo:
        cls = todo.pop()
        found[f"{cls.__module__}:{cls.__qualname__}"] = cls
        todo += cls.__subclasses__()
    return found


def encode(outputs: Outputs) -> bytes:
    """Outputs as safetensors bytes; raises TypeError for values that cannot go to disk."""
    header: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for name, value in outputs.items():
        if isinstance(value, WireData):
            meta, arrs = value.to_record()
            cls = type(value)
            header[name] = {"wire": f"{cls.__module__}:{cls.__qualname__}", "meta": meta,
                            "arrays": sorted(arrs)}
            arrays.update({f"{name}/{k}": np.ascontiguousarray(v) for k, v in arrs.items()})
        elif value is None or isinstance(value, (bool, int, float, str)):
            header[name] = {"json": value}
        else:
            raise TypeError(f"output '{name}' of type {type(value).__name__} cannot be stored on disk")
    return st_save(arrays, metadata={"oyster": json.dumps(header)})


def decode(payload: bytes) -> Outputs:
    arrays = st_load(payload)
    meta = _safetensors_metadata(payload)
    header = json.loads(meta["oyster"])
    classes = _wire_classes()
    outputs: Outputs = {}
    for name, entry in header.items():
        if "json" in entry:
            outputs[name] = entry["json"]
            continue
        cls = classes.get(entry["wire"])
        if cls is None:
            raise CorruptEntry(f"unknown wire type {entry['wire']!r}")
        own = {k: arrays[f"{name}/{k}"] for k in entry["arrays"]}
        outputs[name] = cls.from_record(entry["meta"], own)
    return outputs


def _safetensors_metadata(payload: bytes) -> dict[str, str]:
    n = int.from_bytes(payload[:8], "little")
    return json.loads(payload[8:8 + n])["__metadata__"]


class DiskCache:
    """One checksummed file per key under `root`, size-bounded with least-recently-used eviction."""

    def __init__(self, root: str | Path, max_bytes: int = 20 << 30):
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self.corrupt = 0
        self.evictions = 0
        #: bytes this process stored since it last measured the folder; measuring (and evicting) again once
        #: this passes a twentieth of the limit keeps stores cheap and the limit exact to within that share
        self._unmeasured = max_bytes

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.oyc"

    def get(self, key: str) -> Outputs | None:
        p = self.path(key)
        try:
            blob = p.read_bytes()
        except OSError:
            return None
        try:
            outputs = self._unpack(blob)
        except Exception:
            self.corrupt += 1
            p.unlink(missing_ok=True)
            return None
        try:
            os.utime(p)
        except OSError:
            pass
        return outputs

    def _unpack(self, blob: bytes) -> Outputs:
        if not blob.startswith(MAGIC):
            raise CorruptEntry("bad magic")
        digest, payload = blob[len(MAGIC):len(MAGIC) + DIGEST], blob[len(MAGIC) + DIGEST:]
        if hashlib.blake2b(payload, digest_size=DIGEST).digest() != digest:
            raise CorruptEntry("checksum mismatch")
        return decode(payload)

    def put(self, key: str, outputs: Outputs) -> bool:
        """Store outputs; False when they cannot be stored on disk (not an error)."""
        try:
            payload = encode(outputs)
        except TypeError:
            return False
        if len(payload) > self.max_bytes:
            return False
        target = self.path(key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(MAGIC)
                fh.write(hashlib.blake2b(payload, digest_size=DIGEST).digest())
                fh.write(payload)
            os.replace(tmp, target)
        except OSError:  # disk full, permissions: the result stays in memory only
            tmp.unlink(missing_ok=True)
            return False
        self._unmeasured += len(payload)
        if self._unmeasured > self.max_bytes // 20:
            self._evict()
        return True

    def _entries(self) -> list[tuple[float, int, str]]:
        """(modified time, size, path) of every entry."""
        entries = []
        for sub in os.scandir(self.root):
            if sub.is_dir():
                for f in os.scandir(sub.path):
                    if f.name.endswith(".oyc"):
                        st = f.stat()
                        entries.append((st.st_mtime, st.st_size, f.path))
        return entries

    def _evict(self) -> None:
        try:
            with open(self.root / ".lock", "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                entries = self._entries()
                total = sum(e[1] for e in entries)
                for _, size, path in sorted(entries):
                    if total <= self.max_bytes:
                        break
                    Path(path).unlink(missing_ok=True)
                    total -= size
                    self.evictions += 1
        except OSError:
            return
        self._unmeasured = 0

    def size_bytes(self) -> int:
        return sum(e[1] for e in self._entries())

    def count(self) -> int:
        return len(self._entries())

    def clear(self) -> None:
        """Remove every entry."""
        for _, _, path in self._entries():
            Path(path).unlink(missing_ok=True)


class Cache:
    """The memory tier in front of an optional disk tier, with statistics."""

    def __init__(self, *, memory_bytes: int = 2 << 30, disk: DiskCache | None = None):
        self.memory = MemoryCache(memory_bytes)
        self.disk = disk
        self.stats = CacheStats()

    def get(self, key: str) -> tuple[Outputs | None, str | None]:
        """Outputs and the tier they came from ("memory" or "disk"), or (None, None)."""
        outputs = self.memory.get(key)
        if outputs is not None:
            self.stats.memory_hits += 1
            return outputs, "memory"
        if self.disk is not None:
            outputs = self.disk.get(key)
            if outputs is not None:
                self.stats.disk_hits += 1
                self.memory.put(key, outputs)
                return outputs, "disk"
        self.stats.misses += 1
        return None, None

    def put(self, key: str, outputs: Outputs) -> None:
        self.stats.stores += 1
        self.memory.put(key, outputs)
        if self.disk is not None and any(getattr(v, "disk_cache", False) for v in outputs.values()):
            if self.disk.put(key, outputs):
                self.stats.disk_stores += 1

    def snapshot(self) -> CacheStats:
        s = self.stats
        s.memory_bytes, s.memory_entries = self.memory.nbytes, len(self.memory)
        s.evictions = self.memory.evictions + (self.disk.evictions if self.disk else 0)
        s.corrupt = self.disk.corrupt if self.disk else 0
        return CacheStats(**asdict(s))
