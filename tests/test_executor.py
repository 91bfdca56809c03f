from __future__ import annotations

import threading
import time

import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, RunOptions, content_keys
from oyster_nodes.graph import build
from oyster_nodes.hooks import EventLog, Hook

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


# --- a graph or a hook cannot break the executor -------------------------------------------------

def chain_of(builder, n: int, *, failing_head: bool = False):
    """n nodes in a line (the most a workflow may hold is 10,000); the second fails when asked."""
    builder.node("n0", "t.source")
    if failing_head:
        builder.node("n1", "t.fail").link("n0.value", "n1.a")
    for i in range(2 if failing_head else 1, n):
        source = "n1.out" if failing_head and i == 2 else ("n0.value" if i == 1 else f"n{i - 1}.sum")
        builder.node(f"n{i}", "t.add").link(source, f"n{i}.a")
    return builder


def test_a_ten_thousand_node_chain_whose_head_fails_skips_the_rest_cleanly(builder, registry):
    graph = build(chain_of(builder, 10_000, failing_head=True).build(), registry)
    result = Executor(Cache(), workers=1).run(graph)
    assert result.records["n1"].status == "error"
    assert sum(r.status == "skipped" for r in result.records.values()) == 9_998
    assert stubnodes.RUNS == ["n0", "n1"]


def test_a_ten_thousand_node_chain_cancels_cleanly(builder, registry):
    graph = build(chain_of(builder, 10_000).build(), registry)
    cancel = threading.Event()
    cancel.set()
    result = Executor(Cache(), workers=2).run(graph, RunOptions(cancel=cancel))
    assert result.cancelled and not result.ok
    assert all(r.status == "cancelled" for r in result.records.values())
    assert stubnodes.RUNS == []


class Raising(EventLog):
    def __init__(self, event: str):
        super().__init__()
        self.event = event

    def _maybe(self, event: str) -> None:
        if event == self.event:
            raise RuntimeError(f"display broke in {event}")

    def run_started(self, **kw):
        self._maybe("run_started")

    def node_started(self, **kw):
        self._maybe("node_started")
        super().node_started(**kw)

    def node_progress(self, **kw):
        self._maybe("node_progress")

    def node_finished(self, **kw):
        self._maybe("node_finished")
        super().node_finished(**kw)

    def run_finished(self, **kw):
        self._maybe("run_finished")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("event", ["run_started", "node_started", "node_progress", "node_finished", "run_finished"])
def test_a_raising_hook_is_an_error_and_never_leaves_a_node_running(builder, registry, event, workers):
    b = (builder.node("x", "t.slow", steps=2, step_s=0.0).node("y", "t.slow", steps=3, step_s=0.0)
         .node("z", "t.add").link("x.out", "z.a").link("y.out", "z.b"))
    good = EventLog()
    result = Executor(Cache(), workers=workers).run(build(b.build(), registry),
                                                    RunOptions(hooks=[Raising(event), good]))
    assert {r.status for r in result.records.values()} == {"done"}, "a hook never changes what nodes do"
    assert result.outputs["z"]["sum"] == 5.0
    [err] = result.hook_errors
    assert err.hook == "Raising" and err.event == event and f"display broke in {event}" in err.message
    assert "RuntimeError" in err.traceback and err in result.errors
    assert f"hook Raising failed in {event}" in str(err)
    assert not result.ok
    assert good.of("done") and sorted(good.of("done")) == ["x", "y", "z"], "other hooks still see every event"


def test_a_cancel_after_the_last_node_finished_is_still_a_success(builder, registry):
    cancel = threading.Event()

    class CancelAtTheEnd(EventLog):
        def node_finished(self, *, record):
            if record.node_id == "c":
                cancel.set()

    b = builder.node("a", "t.source").node("b", "t.add").node("c", "t.add").link("a.value", "b.a").link("b.sum", "c.a")
    for workers in (1, 2):
        stubnodes.RUNS.clear()
        result = Executor(Cache(), workers=workers).run(build(b.build(), registry),
                                                        RunOptions(cancel=cancel, hooks=[CancelAtTheEnd()]))
        cancel.clear()
        assert result.ok and not result.cancelled
        assert stubnodes.RUNS == ["a", "b", "c"]


def test_empty_targets_is_a_clear_error(builder, registry):
    graph = build(shot(builder).build(), registry)
    with pytest.raises(ValueError, match="targets is an empty list.*leave targets unset"):
        Executor(Cache()).run(graph, RunOptions(targets=[]))
    assert stubnodes.RUNS == []


def test_order_does_not_depend_on_how_the_json_lists_nodes(registry):
    from .conftest import WorkflowBuilder

    def listed(ids):
        b = WorkflowBuilder()
        for i in ids:
            b.node(i, "t.source", value=float(ord(i)))
        b.node("sum1", "t.add").node("sum2", "t.add")
        return b.link("c.value", "sum2.a").link("a.value", "sum1.a").link("b.value", "sum1.b")

    runs = []
    for ids in (["a", "b", "c"], ["c", "b", "a"], ["b", "c", "a"]):
        stubnodes.RUNS.clear()
        result = Executor(Cache(), workers=1).run(build(listed(ids).build(), registry))
        runs.append((list(stubnodes.RUNS), list(result.records)))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][0] == ["a", "b", "c", "sum1", "sum2"]


def test_every_node_of_the_plan_gets_a_record_on_a_cached_rerun(builder, registry):
    graph = build(shot(builder).build(), registry)
    ex = Executor(Cache())
    ex.run(graph)
    log = EventLog()
    again = ex.run(graph, RunOptions(hooks=[log]))
    assert {n: r.status for n, r in again.records.items()} == dict.fromkeys(["s", "world", "cam", "other", "sum"],
                                                                            "cached")
    assert all(r.key for r in again.records.values())
    assert again.ok and again.executed == []


def test_run_ids_name_the_result_and_every_hook_event(builder, registry):
    seen: list[tuple[str, str]] = []

    class WithRunId(EventLog):
        def run_started(self, *, run_id, records, targets):
            seen.append(("run_started", run_id))

        def node_started(self, *, run_id, record):
            seen.append(("node_started", run_id))

        def node_progress(self, *, run_id, node_id, fraction, message):
            seen.append(("node_progress", run_id))

        def node_finished(self, *, run_id, record):
            seen.append(("node_finished", run_id))

        def run_finished(self, *, run_id, records, stats):
            seen.append(("run_finished", run_id))

    class OldStyle(Hook):  # written before run ids existed: keeps working
        def node_finished(self, *, record):
            seen.append(("old", record.node_id))

    graph = build(builder.node("slow", "t.slow", steps=2, step_s=0.0).build(), registry)
    log = EventLog()
    result = Executor(Cache()).run(graph, RunOptions(run_id="job-7", hooks=[WithRunId(), OldStyle(), log]))
    assert result.run_id == "job-7" and result.ok and not result.hook_errors
    assert ("old", "slow") in seen
    seen.remove(("old", "slow"))
    assert {e for e, _ in seen} == {"run_started", "node_started", "node_progress", "node_finished", "run_finished"}
    assert {r for _, r in seen} == {"job-7"} and log.run_ids == {"job-7"}
    a, b = Executor(Cache()).run(graph), Executor(Cache()).run(graph)
    assert a.run_id and b.run_id and a.run_id != b.run_id


# --- identical nodes, read-only values, the LRU kept warm ----------------------------------------

def test_identical_nodes_in_one_run_compute_once(builder, registry):
    b = (builder.node("w1", "t.blob", size=8, seed=3).node("w2", "t.blob", size=8, seed=3)
         .node("v1", "t.view").node("v2", "t.view").node("sum", "t.add")
         .link("w1.blob", "v1.blob").link("w2.blob", "v2.blob").link("v1.value", "sum.a").link("v2.value", "sum.b"))
    for workers in (1, 2):
        stubnodes.RUNS.clear()
        result = Executor(Cache(), workers=workers).run(build(b.build(), registry))
        assert result.ok
        assert sorted(stubnodes.RUNS) == ["sum", "v1", "w1"], "w2 and v2 equal w1 and v1"
        assert result.records["w2"].status == "cached" and result.records["v2"].status == "cached"
        assert result.outputs["w2"]["blob"] is result.outputs["w1"]["blob"]
        assert result.outputs["sum"]["sum"] == 2 * result.outputs["v1"]["value"]


def test_identical_slow_nodes_on_two_workers_wait_for_the_first(builder, registry):
    b = builder.node("x", "t.slow", steps=3, step_s=0.05).node("y", "t.slow", steps=3, step_s=0.05)
    result = Executor(Cache(), workers=2).run(build(b.build(), registry))
    assert stubnodes.RUNS == ["x"] and result.records["y"].status == "cached" and result.outputs["y"]["out"] == 3.0


def test_a_node_identical_to_a_failed_one_is_skipped(builder, registry):
    b = (builder.node("a", "t.source").node("f1", "t.fail").node("f2", "t.fail")
         .link("a.value", "f1.a").link("a.value", "f2.a"))
    result = Executor(Cache(), workers=1).run(build(b.build(), registry))
    assert result.records["f1"].status == "error" and result.records["f2"].status == "skipped"
    assert stubnodes.RUNS == ["a", "f1"]


def test_a_node_writing_into_its_input_gets_an_error_and_the_cached_value_is_unchanged(builder, registry):
    b = (builder.node("w", "t.blob", size=8, seed=1).node("bad", "t.scribble").node("v", "t.view")
         .link("w.blob", "bad.blob").link("w.blob", "v.blob"))
    ex = Executor(Cache(), workers=1)
    result = ex.run(build(b.build(), registry))
    assert result.records["bad"].status == "error"
    assert "read-only" in result.records["bad"].error.message
    blob = ex.cache.get(result.records["w"].key)[0]["blob"]
    assert blob is result.outputs["w"]["blob"]
    import numpy as np

    fresh = np.random.default_rng(1).random(8, dtype=np.float32)
    np.testing.assert_array_equal(blob.data, fresh)
    assert result.outputs["v"]["value"] == pytest.approx(float(fresh.sum()))


def test_a_cached_rerun_refreshes_every_node_of_the_workflow_in_the_lru(builder, registry):
    from .conftest import WorkflowBuilder

    cache = Cache(memory_bytes=3000)  # room for two blobs of 1 kB and some numbers
    ex = Executor(cache, workers=1)
    mine = build(builder.node("w", "t.blob", size=256, seed=1).node("v", "t.view")
                 .link("w.blob", "v.blob").build(), registry)
    first = ex.run(mine)
    ex.run(build(WorkflowBuilder().node("stale", "t.blob", size=256, seed=2).build(), registry))
    again = ex.run(mine)  # only v is read from the cache; w must be refreshed too
    assert again.executed == []
    ex.run(build(WorkflowBuilder().node("new", "t.blob", size=256, seed=3).build(), registry))
    assert first.records["w"].key in cache.memory, "the workflow in use must not age out before a stale one"
