from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import numpy as np

from oyster_nodes.cache import Cache, DiskCache, MemoryCache
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build

from . import stubnodes
from .stubnodes import Blob


def blob(n: int, seed: int = 0) -> Blob:
    return Blob(data=np.random.default_rng(seed).random(n, dtype=np.float32), label=f"b{seed}")


def test_memory_tier_is_bounded_in_bytes_and_lru():
    mem = MemoryCache(max_bytes=10_000)
    mem.put("a", {"v": blob(1000)})  # ~4 kB
    mem.put("b", {"v": blob(1000)})
    mem.get("a")  # a is now most recently used
    mem.put("c", {"v": blob(1000)})
    assert "a" in mem and "c" in mem and "b" not in mem
    assert mem.nbytes <= 10_000 and mem.evictions == 1
    mem.put("huge", {"v": blob(100_000)})
    assert "huge" not in mem, "a value over the whole budget is not kept"


def test_disk_tier_round_trips_wire_data_and_primitives(tmp_path):
    disk = DiskCache(tmp_path)
    value = blob(100, 3)
    assert disk.put("k1", {"blob": value, "n": 3, "label": "x", "none": None})
    got = disk.get("k1")
    assert isinstance(got["blob"], Blob)
    np.testing.assert_array_equal(got["blob"].data, value.data)
    assert got["blob"].label == "b3" and got["n"] == 3 and got["label"] == "x" and got["none"] is None


def test_disk_tier_refuses_values_it_cannot_store(tmp_path):
    assert DiskCache(tmp_path).put("k", {"obj": object()}) is False


def test_corrupted_disk_entry_is_detected_and_recomputed(tmp_path, builder, registry):
    wf = builder.node("w", "t.blob", size=64, seed=5).build()
    graph = build(wf, registry)
    Executor(Cache(disk=DiskCache(tmp_path))).run(graph)
    files = list(tmp_path.glob("*/*.oyc"))
    assert len(files) == 1
    raw = bytearray(files[0].read_bytes())
    raw[-10] ^= 0xFF
    files[0].write_bytes(bytes(raw))
    stubnodes.RUNS.clear()
    cache = Cache(disk=DiskCache(tmp_path))
    result = Executor(cache).run(graph)
    assert stubnodes.RUNS == ["w"], "the corrupt entry must not be used"
    assert result.stats.corrupt == 1
    stubnodes.RUNS.clear()
    Executor(Cache(disk=DiskCache(tmp_path))).run(graph)
    assert stubnodes.RUNS == [], "the recomputed entry was stored again"


def test_disk_tier_serves_a_new_process_memory(tmp_path, builder, registry):
    graph = build(builder.node("w", "t.blob", size=32, seed=2).node("v", "t.view")
                  .link("w.blob", "v.blob").build(), registry)
    Executor(Cache(disk=DiskCache(tmp_path))).run(graph)
    stubnodes.RUNS.clear()
    graph2 = build(builder.node("v2", "t.view", angle=1.0).link("w.blob", "v2.blob").build(), registry)
    result = Executor(Cache(disk=DiskCache(tmp_path))).run(graph2, RunOptions(targets=["v2"]))
    assert sorted(stubnodes.RUNS) == ["v2"]
    assert result.stats.disk_hits == 1


def test_disk_tier_is_size_bounded(tmp_path):
    disk = DiskCache(tmp_path, max_bytes=10_000)
    for i in range(5):
        disk.put(f"k{i}", {"b": blob(1000, i)})
    assert disk.size_bytes() <= 10_000
    assert disk.get("k4") is not None and disk.get("k0") is None
    assert disk.evictions >= 3


def _writer(root: str, start: int, out: mp.Queue) -> None:
    disk = DiskCache(root)
    for i in range(40):
        key = f"{(start + i) % 50:02d}shared"
        disk.put(key, {"b": blob(2000, (start + i) % 50)})
        got = disk.get(f"{(start + i + 7) % 50:02d}shared")
        if got is not None:
            expected = blob(2000, (start + i + 7) % 50).data
            if not np.array_equal(got["b"].data, expected):
                out.put("mismatch")
                return
    out.put(("ok", disk.corrupt))


def test_two_processes_share_the_disk_tier(tmp_path: Path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s, q)) for s in (0, 20)]
    for p in procs:
        p.start()
    results = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == [("ok", 0), ("ok", 0)]
    assert not list(tmp_path.glob("*/.*.tmp")), "no temporary files left behind"
    disk = DiskCache(tmp_path)
    for i in range(50):
        got = disk.get(f"{i:02d}shared")
        if got is not None:
            np.testing.assert_array_equal(got["b"].data, blob(2000, i).data)
    assert disk.corrupt == 0
