"""Content-addressed result cache: a memory tier bounded in bytes and a disk tier for large results.

A node's outputs are stored under its content key (see executor). The memory tier is an LRU over
live objects. The disk tier keeps world states, frames and other large artefacts as one file per
key: a magic, a blake2b checksum, then safetensors bytes whose metadata carries the JSON header.
Files are written under a temporary name in `tmp/` and renamed, so several processes can share a
folder; a file whose checksum fails is deleted and counted as corrupt, and the node simply runs
again. No pickle: only registered wire classes are rebuilt from disk.

Keys know the code. A node's key includes `code_stamp(cls)`: the blake2b of the source files
(.py and shader files) of the `oyster_nodes` package, of the package or single file the node's
pack lives in (the built-in pack's `nodes/` folder in a source checkout), and of their versions. So editing `terrain.py` or a pack's node file gives new keys
and the disk tier never serves a value computed by other code. Stamps are made once per process on
first use (a process runs the code it imported, so the stamp cannot go stale while it lives); the
whole package takes a few milliseconds to hash.

Cached values are immutable to consumers. Every numpy array reachable from a value the cache
stores (wire data fields, dicts, lists, nested dataclasses) is made read-only in place (no copy, a
flag per array), and so are arrays rebuilt from disk: a node that writes into an input gets
"assignment destination is read-only" instead of silently changing what its siblings and the
next run see. A node that needs to edit an input copies it.

Crashes leave no litter. A write killed half-way leaves its temporary file; each DiskCache removes
the temporaries whose writer process (on this host) is dead or that nobody has written to for
STALE_TEMP_S, when it opens the folder; `oyster cache` counts what was removed and what remains.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import socket
import sys
import threading
import time
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
#: a temporary file nobody has written to for this long belongs to a dead writer
STALE_TEMP_S = 600.0
CODE_SUFFIXES = (".py", ".vert", ".frag", ".glsl")
_SKIP_DIRS = frozenset({"__pycache__", "node_modules"})
_HOST = socket.gethostname().replace(".", "_")[:40] or "host"


# ---------------------------------------------------------------------------------------------
# Keys that know the code

_stamps: dict[str, str] = {}
_stamps_lock = threading.Lock()


def code_stamp(cls: type) -> str:
    """Digest of the code behind a node class: oyster_nodes itself plus the package its pack lives in."""
    core = _module_stamp("oyster_nodes")
    pack = _pack_package(cls.__module__)
    return core if pack is None else f"{core}.{_module_stamp(pack)}"


def _pack_package(module_name: str) -> str | None:
    """The package whose files hold a node's pack, or None when the core's own folder holds them.

    A pack outside oyster_nodes is its top-level package. A package named under oyster_nodes whose
    files lie outside the core's folder is its own pack: in a source checkout the built-in pack is
    `nodes/` imported as `oyster_nodes.builtin`, and editing nodes/world.py must change its keys too.
    """
    parts = module_name.split(".")
    if parts[0] != "oyster_nodes":
        return parts[0]
    core_file = getattr(sys.modules.get("oyster_nodes"), "__file__", None)
    if not core_file:
        return None
    core_dir = Path(core_file).resolve().parent
    for i in range(2, len(parts) + 1):
        name = ".".join(parts[:i])
        origin = getattr(sys.modules.get(name), "__file__", None)
        if origin and not Path(origin).resolve().is_relative_to(core_dir):
            return name
    return None


def _module_stamp(top: str) -> str:
    stamp = _stamps.get(top)
    if stamp is None:
        with _stamps_lock:
            stamp = _stamps.get(top)
            if stamp is None:
                stamp = _stamps[top] = _hash_module(top)
    return stamp


def _hash_module(top: str) -> str:
    module = sys.modules.get(top)
    h = hashlib.blake2b(digest_size=12)
    h.update(f"{top}:{getattr(module, '__version__', '')}".encode())
    origin = getattr(module, "__file__", None)
    if origin:
        path = Path(origin)
        files = _code_files(path.parent) if path.name == "__init__.py" else [path]
        for f in files:
            try:
                data = f.read_bytes()
            except OSError:
                continue
            h.update(f"\x1f{f.name}\x1f{len(data)}\x1f".encode())
            h.update(data)
    return h.hexdigest()


def _code_files(root: Path) -> list[Path]:
    """Source and shader files under a package folder, in a fixed order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        found += [Path(dirpath, n) for n in sorted(filenames) if n.endswith(CODE_SUFFIXES)]
    return found


# ---------------------------------------------------------------------------------------------
# Values handed out are read-only

_LEAF = (str, int, float, bool, bytes, type(None))


def freeze(outputs: Outputs) -> Outputs:
    """Make every numpy array reachable from the outputs read-only, in place; returns the outputs."""
    stack: list[Any] = list(outputs.values())
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if isinstance(value, _LEAF):
            continue
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack += [v for v in value.values() if not isinstance(v, _LEAF)]
        elif isinstance(value, (list, tuple)):
            stack += [v for v in value if not isinstance(v, _LEAF)]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            stack += [getattr(value, f.name, None) for f in dataclasses.fields(value)]
    return outputs


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

    def touch(self, keys: list[str]) -> int:
        """Mark entries as just used (in the given order); returns how many were held."""
        held = 0
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    held += 1
        return held

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
        #: (files, bytes) of dead writers' temporary files removed when this cache opened the folder
        self.temp_removed = self.sweep_temp()

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

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

    def touch(self, key: str) -> bool:
        """Mark an entry as just used without reading it; False when there is none."""
        try:
            os.utime(self.path(key))
        except OSError:
            return False
        return True

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
        tmp = self.tmp_dir / f".{key}.{_HOST}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.parent.mkdir(exist_ok=True)
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

    def temp_files(self) -> list[tuple[str, int]]:
        """(path, size) of every temporary file: in `tmp/`, and beside entries where older versions wrote them."""
        found = []
        for folder in self._folders(with_tmp=True):
            for f in _scan(folder):
                if f.name.endswith(".tmp"):
                    found.append((f.path, _size(f)))
        return found

    def sweep_temp(self) -> tuple[int, int]:
        """Remove temporary files left by dead writers; returns (files, bytes) removed."""
        removed = freed = 0
        now = time.time()
        for f in _scan(str(self.tmp_dir)):
            if f.name.endswith(".tmp") and _abandoned(f, now):
                size = _size(f)
                try:
                    os.unlink(f.path)
                except OSError:
                    continue
                removed, freed = removed + 1, freed + size
        return removed, freed

    def _folders(self, *, with_tmp: bool = False) -> list[str]:
        return [sub.path for sub in _scan(str(self.root))
                if sub.is_dir() and (with_tmp or sub.name != "tmp")]

    def _entries(self) -> list[tuple[float, int, str]]:
        """(modified time, size, path) of every entry."""
        entries = []
        for folder in self._folders():
            for f in _scan(folder):
                if f.name.endswith(".oyc"):
                    try:
                        st = f.stat()
                    except OSError:
                        continue
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
        """Remove every entry, and the temporary files of dead writers."""
        for _, _, path in self._entries():
            Path(path).unlink(missing_ok=True)
        now = time.time()
        for folder in self._folders(with_tmp=True):
            for f in _scan(folder):
                if f.name.endswith(".tmp") and _abandoned(f, now):
                    Path(f.path).unlink(missing_ok=True)


def _scan(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def _size(f: os.DirEntry[str]) -> int:
    try:
        return f.stat().st_size
    except OSError:
        return 0


def _abandoned(f: os.DirEntry[str], now: float) -> bool:
    """Whether a temporary file's writer is gone: a dead process on this host, or no write for STALE_TEMP_S."""
    try:
        if now - f.stat().st_mtime > STALE_TEMP_S:
            return True
    except OSError:
        return False
    parts = f.name.split(".")  # "", key, host, pid, thread, "tmp"
    if len(parts) != 6 or parts[2] != _HOST or not parts[3].isdigit():
        return False  # another host's writer, or an older name: only age tells
    return not _alive(int(parts[3]))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


class Cache:
    """The memory tier in front of an optional disk tier, with statistics."""

    def __init__(self, *, memory_bytes: int = 2 << 30, disk: DiskCache | None = None):
        self.memory = MemoryCache(memory_bytes)
        self.disk = disk
        self.stats = CacheStats()
        self._stats_lock = threading.Lock()  # runs on several threads count into one record

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    def get(self, key: str) -> tuple[Outputs | None, str | None]:
        """Outputs and the tier they came from ("memory" or "disk"), or (None, None)."""
        outputs = self.memory.get(key)
        if outputs is not None:
            self._count("memory_hits")
            return outputs, "memory"
        if self.disk is not None:
            outputs = self.disk.get(key)
            if outputs is not None:
                self._count("disk_hits")
                self.memory.put(key, freeze(outputs))
                return outputs, "disk"
        self._count("misses")
        return None, None

    def put(self, key: str, outputs: Outputs) -> None:
        """Keep outputs under their key; their arrays become read-only (see the module docstring)."""
        self._count("stores")
        self.memory.put(key, freeze(outputs))
        if self.disk is not None and any(getattr(v, "disk_cache", False) for v in outputs.values()):
            if self.disk.put(key, outputs):
                self._count("disk_stores")

    def refresh(self, keys: list[str]) -> None:
        """Mark entries of the workflow in use as just used in both tiers, without loading them."""
        self.memory.touch(keys)
        if self.disk is not None:
            for key in keys:
                self.disk.touch(key)

    def snapshot(self) -> CacheStats:
        with self._stats_lock:
            s = self.stats
            s.memory_bytes, s.memory_entries = self.memory.nbytes, len(self.memory)
            s.evictions = self.memory.evictions + (self.disk.evictions if self.disk else 0)
            s.corrupt = self.disk.corrupt if self.disk else 0
            return CacheStats(**asdict(s))
