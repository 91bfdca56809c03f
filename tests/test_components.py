from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.components import ComponentError, ComponentSpec, ComponentStore
from oyster_nodes.executor import Executor
from oyster_nodes.graph import build
from oyster_nodes.node import RunContext

from . import stubnodes
from .stubnodes import COUNTER, Counter


@pytest.fixture(autouse=True)
def _reset_counters():
    Counter.MADE.clear()
    Counter.CLOSED.clear()


def sized(kind: str, nbytes: int, **kw) -> ComponentSpec[Counter]:
    return ComponentSpec(kind=kind, create=Counter, nbytes=nbytes, **kw)


def test_made_once_per_kind_and_device():
    store = ComponentStore()
    with store.use(COUNTER, "cpu") as a, store.use(COUNTER, "cpu") as b:
        assert a is b
    with store.use(COUNTER, "cuda") as c0, store.use(COUNTER, "cuda:0") as c0b, store.use(COUNTER, "cuda:1") as c1:
        assert c0 is c0b and c1 is not c0 and c0 is not a
    assert Counter.MADE == ["cpu", "cuda:0", "cuda:1"]
    assert ("counter", "cuda") in store and ("counter", "cuda:2") not in store
    assert store.nbytes() == 3000 and store.nbytes("cuda:1") == 1000


def test_threads_asking_at_once_make_it_once():
    def slow_make(device: str) -> Counter:
        time.sleep(0.05)
        return Counter(device)

    spec = ComponentSpec(kind="slow", create=slow_make, nbytes=1)
    store = ComponentStore()
    got: list[Counter] = []

    def ask() -> None:
        with store.use(spec, "cpu") as c:
            got.append(c)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter.MADE == ["cpu"] and len({id(c) for c in got}) == 1


def test_kept_across_runs_of_the_executor_and_handed_out_by_the_run_context(builder, registry):
    ex = Executor(Cache())
    first = ex.run(build(builder.node("c", "t.counter", tag="one").build(), registry))
    from .conftest import WorkflowBuilder

    second = ex.run(build(WorkflowBuilder().node("c", "t.counter", tag="two").build(), registry))
    assert first.outputs["c"]["calls"] == 1 and second.outputs["c"]["calls"] == 2
    assert Counter.MADE == ["cpu"], "the second run reuses the component the first one made"
    assert [(i.kind, i.device) for i in ex.components.info()] == [("counter", "cpu")]


def test_executors_can_share_one_store_as_a_worker_would(builder, registry):
    store = ComponentStore()
    graph = build(builder.node("c", "t.counter").build(), registry)
    Executor(Cache(), components=store).run(graph)
    Executor(Cache(), components=store).run(graph)
    assert Counter.MADE == ["cpu"]
    assert Executor(components=store)._locks is store.locks


def test_least_recently_used_idle_components_are_evicted_and_closed():
    store = ComponentStore(budget_bytes=2500)
    a, b, c = sized("a", 1000), sized("b", 1000), sized("c", 1000)
    with store.use(a, "cpu"):
        pass
    with store.use(b, "cpu"):
        pass
    with store.use(a, "cpu"):  # a is now more recent than b
        pass
    with store.use(c, "cpu"):
        pass
    assert ("a", "cpu") in store and ("c", "cpu") in store and ("b", "cpu") not in store
    assert Counter.CLOSED == ["cpu"] and store.evictions == 1
    with store.use(sized("big", 2000), "cuda:1"):
        pass
    assert ("a", "cpu") in store, "each device has its own budget"


def test_a_component_in_use_is_never_evicted():
    store = ComponentStore(budget_bytes=1500)
    with store.use(sized("a", 1000), "cpu") as held:
        with store.use(sized("b", 1000), "cpu"):
            pass
        assert ("a", "cpu") in store and ("b", "cpu") not in store
        assert held.count() == 1
    with store.use(sized("huge", 5000), "cpu"):
        assert ("huge", "cpu") in store
    assert ("huge", "cpu") not in store, "one over the whole budget goes when released"


def test_size_from_the_component_or_an_error_naming_the_fix():
    class Sized(Counter):
        def nbytes(self) -> int:
            return 123

    store = ComponentStore()
    with store.use(ComponentSpec(kind="s", create=Sized), "cpu"):
        pass
    with store.use(ComponentSpec(kind="f", create=Counter, nbytes=lambda c: 7), "cpu"):
        pass
    assert {i.kind: i.nbytes for i in store.info()} == {"s": 123, "f": 7}
    with pytest.raises(ComponentError, match="reports no size.*nbytes"):
        with store.use(ComponentSpec(kind="n", create=Counter), "cpu"):
            pass


def test_a_failing_factory_is_reported_and_tried_again_next_time():
    calls = []

    def flaky(device: str) -> Counter:
        calls.append(device)
        if len(calls) == 1:
            raise OSError("no display")
        return Counter(device)

    spec = ComponentSpec(kind="flaky", create=flaky, nbytes=1)
    store = ComponentStore()
    with pytest.raises(ComponentError, match="'flaky' on cpu could not be made: OSError: no display"):
        with store.use(spec, "cpu"):
            pass
    with store.use(spec, "cpu") as c:
        assert isinstance(c, Counter)
    assert len(calls) == 2


def test_specs_by_kind_for_a_headless_worker_and_clear_errors():
    store = ComponentStore()
    with pytest.raises(ComponentError, match="no component kind 'counter' is registered"):
        store.use("counter", "cpu")
    store.register(COUNTER)
    with store.use("counter", "cuda:1") as c:
        assert c.device == "cuda:1"
    with pytest.raises(ComponentError, match="already made by another spec"):
        store.register(ComponentSpec(kind="counter", create=lambda d: object(), nbytes=1))
    for bad in ("auto", "gpu", "cuda:x", ""):
        with pytest.raises(ComponentError, match="use cpu, cuda or cuda:N"):
            store.use(COUNTER, bad)


def test_exclusive_components_take_the_executors_device_lock():
    store = ComponentStore()
    spec = sized("gl", 1, exclusive=True)
    gpu_lock = store.locks.lock_for("cuda:1")  # what the executor holds around a GPU node on cuda:1
    entered = threading.Event()

    def other_thread() -> None:
        with store.use(spec, "cuda:1"):
            entered.set()

    with gpu_lock:
        with store.use(spec, "cuda:1"):  # the node holding its device's lock may use it (re-entrant)
            pass
        t = threading.Thread(target=other_thread)
        t.start()
        assert not entered.wait(0.2), "another thread must wait for the device lock"
    t.join(2)
    assert entered.is_set()


def test_exclusive_components_are_used_by_one_thread_at_a_time_on_the_cpu():
    store = ComponentStore()
    spec = sized("gl", 1, exclusive=True)
    inside, most = [0], [0]
    guard = threading.Lock()

    def work() -> None:
        with store.use(spec, "cpu"):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_a_node_run_outside_an_executor_still_gets_a_store():
    ctx = RunContext(node_id="n")
    with ctx.use_component(COUNTER) as c:
        assert c.device == "cpu"
    assert ctx.components is not None and not hasattr(ctx, "models")


def test_the_store_needs_neither_the_server_nor_the_executor():
    code = ("import sys, oyster_nodes.components as c; s = c.ComponentStore(); "
            "bad = [m for m in sys.modules if m.startswith(('oyster_nodes.server', 'oyster_nodes.executor', "
            "'oyster_nodes.world', 'nicegui', 'torch'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_evict_and_close_drop_idle_components():
    store = ComponentStore()
    for device in ("cpu", "cuda:0"):
        with store.use(COUNTER, device):
            pass
    assert store.evict(device="cuda") == 1 and Counter.CLOSED == ["cuda:0"]
    store.close()
    assert len(store) == 0 and Counter.CLOSED == ["cuda:0", "cpu"]
    assert stubnodes.RUNS == []
