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


# --- keys know the code ---------------------------------------------------------------------------

PACK_NODE = '''
from oyster_nodes import Node, Port
from .helper import VALUE
from tests.stubnodes import Blob
import numpy as np


class Make(Node):
    type = "p.make"
    outputs = (Port("blob", Blob),)

    def run(self, ctx):
        print("RAN", flush=True)
        return Blob(data=np.full(4, VALUE, dtype=np.float32))


NODES = [Make]
'''

RUN_PACK = '''
import sys
from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.executor import Executor
from oyster_nodes.graph import build
from oyster_nodes.registry import Registry, load_folder
from oyster_nodes.workflow import parse_data

reg = Registry()
load_folder(reg, sys.argv[1])
doc = {"format": "oyster-workflow", "version": 1, "nodes": [{"id": "m", "type": "p.make"}], "links": []}
result = Executor(Cache(disk=DiskCache(sys.argv[2]))).run(build(parse_data(doc), reg))
print("VALUE", float(result.outputs["m"]["blob"].data[0]))
'''


def _run_pack(tmp_path: Path) -> list[str]:
    import subprocess
    import sys

    script = tmp_path / "run_pack.py"
    script.write_text(RUN_PACK)
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "packs"), str(tmp_path / "cache")],
                         capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]).stdout
    return out.split()


def test_editing_a_packs_code_gives_new_keys_so_the_disk_tier_serves_no_stale_value(tmp_path):
    pack = tmp_path / "packs" / "p"
    pack.mkdir(parents=True)
    (pack / "__init__.py").write_text(PACK_NODE)
    (pack / "helper.py").write_text("VALUE = 1.0\n")
    assert _run_pack(tmp_path) == ["RAN", "VALUE", "1.0"]
    assert _run_pack(tmp_path) == ["VALUE", "1.0"], "unchanged code: a new process reads the disk tier"
    (pack / "helper.py").write_text("VALUE = 2.0\n")  # not the node's own file: a module of its pack
    assert _run_pack(tmp_path) == ["RAN", "VALUE", "2.0"]


RUN_INNER_PACK = '''
import importlib.util
import sys
from pathlib import Path
from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.executor import Executor
from oyster_nodes.graph import build
from oyster_nodes.registry import Registry
from oyster_nodes.workflow import parse_data

folder = Path(sys.argv[1])  # loaded the way a checkout loads nodes/ as oyster_nodes.builtin
spec = importlib.util.spec_from_file_location("oyster_nodes.inner_pack", folder / "__init__.py",
                                              submodule_search_locations=[str(folder)])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
reg = Registry()
reg.add_module("inner", module, source=str(folder))
doc = {"format": "oyster-workflow", "version": 1, "nodes": [{"id": "m", "type": "p.make"}], "links": []}
result = Executor(Cache(disk=DiskCache(sys.argv[2]))).run(build(parse_data(doc), reg))
print("VALUE", float(result.outputs["m"]["blob"].data[0]))
'''


def test_a_pack_named_under_oyster_nodes_but_kept_outside_it_is_stamped_by_its_own_files(tmp_path):
    """The built-in pack in a checkout: nodes/ imported as oyster_nodes.builtin. Editing it gives new keys."""
    import subprocess
    import sys

    pack = tmp_path / "inner"
    pack.mkdir()
    (pack / "__init__.py").write_text(PACK_NODE)
    (pack / "helper.py").write_text("VALUE = 1.0\n")
    script = tmp_path / "run_inner.py"
    script.write_text(RUN_INNER_PACK)

    def run() -> list[str]:
        return subprocess.run([sys.executable, str(script), str(pack), str(tmp_path / "cache")], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parents[1]).stdout.split()

    assert run() == ["RAN", "VALUE", "1.0"]
    assert run() == ["VALUE", "1.0"], "unchanged code: a new process reads the disk tier"
    (pack / "helper.py").write_text("VALUE = 2.0\n")
    assert run() == ["RAN", "VALUE", "2.0"]


def test_the_builtin_packs_stamp_covers_its_own_folder(full_registry):
    import sys

    from oyster_nodes.cache import _code_files, code_stamp

    cls = full_registry.get("world.generate")
    folder = Path(sys.modules[cls.__module__].__file__).resolve().parent
    core_folder = Path(sys.modules["oyster_nodes"].__file__).resolve().parent
    assert (folder / "world.py") in [f.resolve() for f in _code_files(folder)]
    if not folder.is_relative_to(core_folder):  # a checkout: nodes/ sits beside oyster_nodes/
        core, pack = code_stamp(cls).split(".")
        assert core and pack and core != pack


def test_code_stamps_cover_the_core_its_shaders_and_the_pack(registry):
    from oyster_nodes.cache import _code_files, code_stamp

    files = {p.name for p in _code_files(Path(__file__).parents[1] / "oyster_nodes")}
    assert "executor.py" in files
    assert any(name.endswith((".frag", ".vert", ".glsl")) for name in files), "shaders are code too"
    make = registry.get("t.blob")
    assert code_stamp(make) == code_stamp(registry.get("t.view"))
    core, pack = code_stamp(make).split(".")
    assert core and pack and core != pack


# --- values handed out are read-only --------------------------------------------------------------

def test_stored_and_disk_values_are_read_only(tmp_path):
    import pytest

    cache = Cache(disk=DiskCache(tmp_path))
    value = blob(16, 1)
    cache.put("k", {"b": value})
    with pytest.raises(ValueError, match="read-only"):
        value.data[0] = 1.0
    inner = np.zeros(2)
    cache.put("m", {"nested": {"x": [inner, (inner[None],)]}})
    assert not inner.flags.writeable
    fresh = Cache(disk=DiskCache(tmp_path))
    got, tier = fresh.get("k")
    assert tier == "disk"
    with pytest.raises(ValueError, match="read-only"):
        got["b"].data += 1.0


# --- the LRU of the disk tier is kept warm by the workflow in use ---------------------------------

def test_a_cached_rerun_refreshes_upstream_disk_entries(tmp_path, builder, registry):
    import os

    graph = build(builder.node("w", "t.blob", size=32, seed=2).node("v", "t.view")
                  .node("w2", "t.blob", size=8).link("w.blob", "v.blob").link("v.value", "w2.scale").build(), registry)
    first = Executor(Cache(disk=DiskCache(tmp_path))).run(graph)
    disk = DiskCache(tmp_path)
    upstream = disk.path(first.records["w"].key)
    assert upstream.is_file()
    for f in tmp_path.glob("*/*.oyc"):
        os.utime(f, (1_000_000, 1_000_000))
    stubnodes.RUNS.clear()
    again = Executor(Cache(disk=DiskCache(tmp_path))).run(graph)
    assert stubnodes.RUNS == [] and again.records["w"].status == "cached"
    assert upstream.stat().st_mtime > 1_000_000, "the upstream world was refreshed without being read"


# --- no litter from killed writers ----------------------------------------------------------------

KILLED_WRITER = '''
import os, sys
import numpy as np
from oyster_nodes.cache import DiskCache
from tests.stubnodes import Blob
disk = DiskCache(sys.argv[1])
os.replace = lambda *a: os._exit(9)  # killed between writing and renaming
disk.put("ab" + "0" * 38, {"b": Blob(data=np.zeros(50_000, dtype=np.float32))})
'''


def test_temp_files_of_killed_writers_are_removed_on_start_and_counted(tmp_path, capsys):
    import json
    import os
    import subprocess
    import sys

    from oyster_nodes.cache import STALE_TEMP_S
    from oyster_nodes.cli import main

    script = tmp_path / "killed.py"
    script.write_text(KILLED_WRITER)
    root = tmp_path / "cache"
    proc = subprocess.run([sys.executable, str(script), str(root)], cwd=Path(__file__).parents[1])
    assert proc.returncode == 9
    [left] = list((root / "tmp").iterdir())
    left_bytes = left.stat().st_size
    assert left_bytes > 200_000
    live = root / "tmp" / f".{'cd' * 20}.{left.name.split('.')[2]}.{os.getpid()}.1.tmp"
    live.write_bytes(b"x" * 10)  # a writer that is still alive: kept
    elsewhere = root / "tmp" / f".{'ef' * 20}.otherhost.1.1.tmp"
    elsewhere.write_bytes(b"x" * 20)  # another machine's writer, still writing: kept
    gone = root / "tmp" / f".{'12' * 20}.otherhost.1.1.tmp"
    gone.write_bytes(b"x" * 30)
    os.utime(gone, (0, 0))  # nobody wrote to it for ages: removed
    legacy = root / "ab" / ".ab.oyc.1.1.tmp"
    legacy.parent.mkdir(exist_ok=True)
    legacy.write_bytes(b"x" * 40)
    os.utime(legacy, (0, 0))
    assert STALE_TEMP_S >= 60
    assert main(["cache", "--cache-dir", str(root)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["temp_removed"] == 2 and info["temp_removed_bytes"] == left_bytes + 30
    assert not left.exists() and not gone.exists() and live.exists() and elsewhere.exists()
    assert info["temp_files"] == 3 and info["temp_bytes"] == 10 + 20 + 40, "what remains is counted"
    assert info["entries"] == 0
    assert main(["cache", "--cache-dir", str(root), "--clear"]) == 0
    assert not legacy.exists() and live.exists()


def test_arrays_behind_scalars_in_a_list_are_frozen_too():
    from oyster_nodes.cache import freeze

    inner = np.zeros(3)
    outputs = freeze({"value": [1.0, "label", inner], "pair": (2, {"a": np.ones(2)})})
    assert not inner.flags.writeable
    assert not outputs["pair"][1]["a"].flags.writeable


def test_statistics_count_every_lookup_from_many_threads():
    import threading

    cache = Cache(memory_bytes=1 << 20)
    threads = [threading.Thread(target=lambda: [cache.get("missing") for _ in range(2000)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.snapshot().misses == 8000
