from __future__ import annotations

import threading
import time

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, RunOptions, content_keys
from oyster_nodes.graph import build
from oyster_nodes.hooks import EventLog

from . import stubnodes


def shot(builder):
    """source -> blob (the 'world') -> view (the 'camera'); a second, independent branch."""
    return (builder.node("s", "t.source", value=2.0).node("world", "t.blob", size=8, seed=1)
            .node("cam", "t.view", angle=10.0).node("other", "t.source", value=5.0)
            .node("sum", "t.add")
            .link("s.value", "world.scale").link("world.blob", "cam.blob")
            .link("cam.value", "sum.a").link("other.value", "sum.b"))


def test_cold_run_executes_every_needed_node_once(builder, registry):
    graph = build(shot(builder).build(), registry)
    result = Executor(Cache()).run(graph)
    assert result.ok
    assert sorted(stubnodes.RUNS) == ["cam", "other", "s", "sum", "world"]
    assert result.targets == ["sum"]


def test_unchanged_rerun_executes_nothing(builder, registry):
    graph = build(shot(builder).build(), registry)
    ex = Executor(Cache())
    first = ex.run(graph).outputs["sum"]["sum"]
    stubnodes.RUNS.clear()
    again = ex.run(graph)
    assert stubnodes.RUNS == []
    assert again.executed == []
    assert again.records["sum"].status == "cached"
    assert again.outputs["sum"]["sum"] == first


def test_changing_the_camera_never_regenerates_the_world(builder, registry):
    b = shot(builder)
    ex = Executor(Cache())
    ex.run(build(b.build(), registry))
    stubnodes.RUNS.clear()
    b.doc["nodes"][2]["params"]["angle"] = 45.0
    result = ex.run(build(b.build(), registry))
    assert sorted(stubnodes.RUNS) == ["cam", "sum"]
    assert sorted(result.executed) == ["cam", "sum"]


def test_changing_the_first_node_reruns_its_descendants_only(builder, registry):
    b = shot(builder)
    ex = Executor(Cache())
    ex.run(build(b.build(), registry))
    stubnodes.RUNS.clear()
    b.doc["nodes"][0]["params"]["value"] = 3.0
    ex.run(build(b.build(), registry))
    assert sorted(stubnodes.RUNS) == ["cam", "s", "sum", "world"]


def test_only_the_requested_outputs_are_computed(builder, registry):
    graph = build(shot(builder).build(), registry)
    result = Executor(Cache()).run(graph, RunOptions(targets=["world"]))
    assert sorted(stubnodes.RUNS) == ["s", "world"]
    assert set(result.records) == {"s", "world"}


def test_results_survive_switching_workflows(builder, registry):
    ex = Executor(Cache())
    ex.run(build(shot(builder).build(), registry))
    from .conftest import WorkflowBuilder

    other = (WorkflowBuilder().node("src", "t.source", value=2.0).node("w2", "t.blob", size=8, seed=1)
             .node("v2", "t.view", angle=99.0).link("src.value", "w2.scale").link("w2.blob", "v2.blob"))
    stubnodes.RUNS.clear()
    ex.run(build(other.build(), registry))
    assert stubnodes.RUNS == ["v2"], "same world under other ids in another workflow comes from the cache"


def test_keys_depend_on_params_version_and_upstream(builder, registry):
    b = shot(builder)
    g1 = build(b.build(), registry)
    k1 = content_keys(g1, g1.order, __import__("pathlib").Path("out"))
    b.doc["nodes"][0]["params"]["value"] = 9.0
    g2 = build(b.build(), registry)
    k2 = content_keys(g2, g2.order, __import__("pathlib").Path("out"))
    assert k1["other"] == k2["other"]
    assert all(k1[n] != k2[n] for n in ("s", "world", "cam", "sum"))
    assert len(set(k1.values())) == len(k1)


def test_failing_node_is_reported_and_independent_outputs_finish(builder, registry):
    b = (builder.node("a", "t.source", value=1.0).node("bad", "t.fail", message="kaput")
         .node("after", "t.add").node("ok", "t.source", value=7.0).node("ok2", "t.add")
         .link("a.value", "bad.a").link("bad.out", "after.a").link("ok.value", "ok2.a"))
    result = Executor(Cache()).run(build(b.build(), registry))
    assert not result.ok
    rec = result.records["bad"]
    assert rec.status == "error"
    assert rec.error.node_id == "bad" and rec.error.node_type == "t.fail"
    assert "kaput" in rec.error.message and "RuntimeError" in rec.error.traceback
    assert rec.error.inputs == {"a": "1.0", "message": "'kaput'"}
    assert result.records["after"].status == "skipped"
    assert result.records["ok2"].status == "done"
    assert result.outputs["ok2"]["sum"] == 7.0
    assert "after" not in stubnodes.RUNS


def test_wrong_output_type_is_an_error_naming_the_output(builder, registry):
    result = Executor(Cache()).run(build(builder.node("w", "t.wrong").build(), registry))
    assert result.records["w"].status == "error"
    assert "output 'value' should be Float" in result.records["w"].error.message


def test_hooks_see_progress_timing_and_cache_hits(builder, registry):
    b = builder.node("slow", "t.slow", steps=4, step_s=0.0).node("sum", "t.add").link("slow.out", "sum.a")
    graph = build(b.build(), registry)
    log = EventLog()
    ex = Executor(Cache())
    ex.run(graph, RunOptions(hooks=[log]))
    assert log.of("started") == ["slow", "sum"]
    progress = [d for e, n, d in log.events if e == "progress" and n == "slow"]
    assert progress[0] == (0.0, "step 1 of 4") and progress[-1] == (1.0, "done")
    assert log.of("done") == ["slow", "sum"]
    log2 = EventLog()
    result = ex.run(graph, RunOptions(hooks=[log2]))
    assert log2.of("started") == [] and result.records["sum"].status == "cached"
    assert result.stats.memory_hits >= 1
    [(_, _, stats)] = [e for e in log2.events if e[0] == "run_finished"]
    assert stats.memory_hits == result.stats.memory_hits


def test_cancel_inside_a_long_node(builder, registry):
    b = builder.node("slow", "t.slow", steps=200, step_s=0.01).node("sum", "t.add").link("slow.out", "sum.a")
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    t = time.perf_counter()
    result = Executor(Cache()).run(build(b.build(), registry), RunOptions(cancel=cancel))
    assert time.perf_counter() - t < 1.5
    assert result.cancelled and not result.ok
    assert result.records["slow"].status == "cancelled"
    assert result.records["sum"].status == "cancelled"
    assert "sum" not in stubnodes.RUNS


def test_cancel_between_nodes(builder, registry):
    cancel = threading.Event()

    class CancelAfterFirst(EventLog):
        def node_finished(self, *, record):
            cancel.set()

    b = builder.node("a", "t.source").node("b", "t.add").node("c", "t.add").link("a.value", "b.a").link("b.sum", "c.a")
    result = Executor(Cache(), workers=1).run(build(b.build(), registry),
                                              RunOptions(cancel=cancel, hooks=[CancelAfterFirst()]))
    assert stubnodes.RUNS == ["a"]
    assert result.records["b"].status == "cancelled" and result.records["c"].status == "cancelled"


def test_independent_branches_run_concurrently(builder, registry):
    b = (builder.node("x", "t.slow", steps=3, step_s=0.1).node("y", "t.slow", steps=3, step_s=0.1)
         .node("z", "t.add").link("x.out", "z.a").link("y.out", "z.b"))
    graph = build(b.build(), registry)
    t = time.perf_counter()
    result = Executor(Cache(), workers=2).run(graph)
    elapsed = time.perf_counter() - t
    assert result.ok and result.outputs["z"]["sum"] == 6.0
    assert elapsed < 0.55, f"two 0.3 s branches took {elapsed:.2f} s: not concurrent"


def test_gpu_nodes_are_serialised_per_device():
    from oyster_nodes.devices import DeviceLocks

    locks = DeviceLocks()
    assert locks.lock_for("cpu") is None
    assert locks.lock_for("cuda") is locks.lock_for("cuda:0")
    assert locks.lock_for("cuda:1") is not locks.lock_for("cuda:0")


def test_unavailable_device_is_a_clear_error(builder, registry):
    import pytest

    from oyster_nodes.devices import DeviceError, cuda_count

    if cuda_count():
        pytest.skip("a GPU is present")
    graph = build(builder.node("a", "t.source").build(), registry)
    with pytest.raises(DeviceError, match="not available"):
        Executor(Cache()).run(graph, RunOptions(device="cuda"))


def test_a_node_reading_a_file_reruns_when_the_file_changes(tmp_path):
    import os

    from oyster_nodes import Node, Param, Port, RelPath
    from oyster_nodes.registry import Registry

    class ReadText(Node):
        type = "t.read"
        reads_files = True
        outputs = (Port("text", str),)
        params = (Param("path", RelPath, "in.txt"),)

        def run(self, ctx, *, path):
            stubnodes.RUNS.append(ctx.node_id)
            return ctx.output_path(path).read_text()

    reg = Registry()
    reg.add_pack("reader", [ReadText])
    from .conftest import WorkflowBuilder

    graph = build(WorkflowBuilder().node("r", "t.read").build(), reg)
    (tmp_path / "in.txt").write_text("one")
    ex = Executor(Cache())
    opts = RunOptions(out_dir=tmp_path)
    assert ex.run(graph, opts).outputs["r"]["text"] == "one"
    assert ex.run(graph, opts).executed == []
    (tmp_path / "in.txt").write_text("two!")
    os.utime(tmp_path / "in.txt", ns=(1, 10**18))
    assert ex.run(graph, opts).outputs["r"]["text"] == "two!"
    assert stubnodes.RUNS == ["r", "r"]
