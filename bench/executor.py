"""Executor overhead on trivial nodes: chains and trees of 50, 200 and 800 nodes.

For each graph: validation time, cold run, unchanged re-run, and re-run after changing the first
node. Also what keeping the cache correct costs: the code stamp a fresh process makes once
(`code_stamp_ms`), and making a generated world's arrays read-only on hand-out (`freeze_world_ms`)
against copying them (`copy_world_ms`). The headline figures are the median of several rounds.
Prints one JSON object as its last line.
"""

from __future__ import annotations

import copy
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor
from oyster_nodes.graph import build, validate
from oyster_nodes.registry import load_registry
from oyster_nodes.workflow import parse_text

SIZES = (50, 200, 800)


def chain(n: int) -> dict[str, Any]:
    nodes = [{"id": "n0", "type": "core.number", "params": {"value": 1.0}}]
    nodes += [{"id": f"n{i}", "type": "core.math", "params": {"operation": "add", "b_value": 1.0}}
              for i in range(1, n)]
    links = [{"from_node": f"n{i - 1}", "from_output": "value" if i == 1 else "result",
              "to_node": f"n{i}", "to_input": "a"} for i in range(1, n)]
    return {"format": "oyster-workflow", "version": 1, "nodes": nodes, "links": links}


def tree(n: int) -> dict[str, Any]:
    """A binary reduction tree: n/2 leaves combined pairwise down to one root."""
    leaves = n // 2
    nodes = [{"id": f"l{i}", "type": "core.number", "params": {"value": float(i)}} for i in range(leaves)]
    links = []
    level = [(f"l{i}", "value") for i in range(leaves)]
    k = 0
    while len(level) > 1 and len(nodes) < n:
        nxt = []
        for i in range(0, len(level) - 1, 2):
            nid = f"m{k}"
            k += 1
            nodes.append({"id": nid, "type": "core.math", "params": {"operation": "add"}})
            links.append({"from_node": level[i][0], "from_output": level[i][1], "to_node": nid, "to_input": "a"})
            links.append({"from_node": level[i + 1][0], "from_output": level[i + 1][1], "to_node": nid,
                          "to_input": "b"})
            nxt.append((nid, "result"))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return {"format": "oyster-workflow", "version": 1, "nodes": nodes, "links": links}


def best_ms(fn: Callable[[], Any], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def measure(name: str, doc: dict[str, Any], registry: Any, workers: int) -> dict[str, float]:
    text = json.dumps(doc)
    n = len(doc["nodes"])
    validate_ms = best_ms(lambda: validate(parse_text(text), registry))
    graph = build(parse_text(text), registry)
    cold = []
    for _ in range(5):
        ex = Executor(Cache(), workers=workers)
        t = time.perf_counter()
        result = ex.run(graph)
        cold.append((time.perf_counter() - t) * 1000)
        assert result.ok and len(result.executed) == n, "cold run must execute every node"
    rerun_ms = best_ms(lambda: ex.run(graph))
    assert not ex.run(graph).executed, "unchanged re-run must execute nothing"
    # unchanged re-run including parsing and validating the JSON, as the CLI does it
    rerun_full_ms = best_ms(lambda: ex.run(build(parse_text(text), registry)))

    def change_first() -> None:
        doc["nodes"][0]["params"]["value"] = doc["nodes"][0]["params"]["value"] + 1.0
        g = build(parse_text(json.dumps(doc)), registry)
        r = ex.run(g)
        assert r.executed, "changing the first node must re-execute"

    changed_ms = statistics.median(_times(change_first, 5))
    cold_ms = statistics.median(cold)
    return {
        f"{name}{n}_validate_ms": round(validate_ms, 3),
        f"{name}{n}_cold_ms": round(cold_ms, 3),
        f"{name}{n}_rerun_ms": round(rerun_ms, 3),
        f"{name}{n}_rerun_with_parse_ms": round(rerun_full_ms, 3),
        f"{name}{n}_changed_first_ms": round(changed_ms, 3),
        f"{name}{n}_per_node_ms": round(cold_ms / n, 4),
    }


def _times(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def per_node_overhead_ms(registry: Any, n: int = 800) -> float:
    """(cold run time - the nodes' own run() time) / n, on a chain."""
    graph = build(parse_text(json.dumps(chain(n))), registry)
    own = 0.0
    for gn in graph.nodes.values():
        node = gn.cls()
        t = time.perf_counter()
        for _ in range(20):
            if gn.cls.type == "core.math":
                node.run(None, a=1.0, b=None, **gn.params)  # type: ignore[arg-type]
            else:
                node.run(None, **gn.params)  # type: ignore[arg-type]
        own += (time.perf_counter() - t) / 20
    runs = []
    for _ in range(7):
        ex = Executor(Cache(), workers=1)
        t = time.perf_counter()
        ex.run(graph)
        runs.append(time.perf_counter() - t)
    return (min(runs) - own) * 1000 / n


STAMP = """
import time
import oyster_nodes.cache as cache
from oyster_nodes.registry import load_registry
cls = load_registry(use_entry_points=False).get("world.generate")
t = time.perf_counter()
cache.code_stamp(cls)
print((time.perf_counter() - t) * 1000)
"""


def code_stamp_ms(repeat: int = 5) -> float:
    """The once-per-process cost of hashing oyster_nodes and the built-in pack, in fresh processes."""
    root = str(Path(__file__).resolve().parents[1])
    times = [float(subprocess.run([sys.executable, "-c", STAMP], capture_output=True, text=True, check=True,
                                  cwd=root).stdout) for _ in range(repeat)]
    return statistics.median(times)


def world_handout_ms(registry: Any) -> dict[str, float]:
    """Read-only hand-out (a flag per array) against a deep copy, on the forest example's world."""
    from oyster_nodes.cache import freeze

    doc = {"format": "oyster-workflow", "version": 1,
           "nodes": [{"id": "p", "type": "prompt.text", "params": {"text": "a misty pine forest on rolling hills "
                                                                   "around a calm lake, two cabins", "seed": 7}},
                     {"id": "s", "type": "prompt.to_spec"},
                     {"id": "w", "type": "world.generate", "params": {"size_m": 1024.0}}],
           "links": [{"from_node": "p", "from_output": "prompt", "to_node": "s", "to_input": "prompt"},
                     {"from_node": "s", "from_output": "spec", "to_node": "w", "to_input": "spec"}]}
    result = Executor(Cache(), workers=1).run(build(parse_text(json.dumps(doc)), registry))
    outputs = result.outputs["w"]
    return {"freeze_world_ms": round(best_ms(lambda: freeze(outputs), 20), 4),
            "copy_world_ms": round(best_ms(lambda: copy.deepcopy(outputs), 5), 3),
            "world_mb": round(outputs["world"].nbytes() / 2**20, 1)}


def headline(registry: Any, rounds: int = 5) -> dict[str, float]:
    """The figures the issue bounds, as the median over rounds, with the worst round beside them."""
    runs = []
    for _ in range(rounds):
        rows = measure("chain", chain(800), registry, 1)
        runs.append((rows["chain800_rerun_ms"], rows["chain800_validate_ms"], per_node_overhead_ms(registry)))
    rerun, valid, per_node = (sorted(col) for col in zip(*runs, strict=True))
    return {"chain800_rerun_ms": round(statistics.median(rerun), 3), "chain800_rerun_ms_worst": round(rerun[-1], 3),
            "validate800_ms": round(statistics.median(valid), 3), "validate800_ms_worst": round(valid[-1], 3),
            "per_node_overhead_ms": round(statistics.median(per_node), 4),
            "per_node_overhead_ms_worst": round(per_node[-1], 4), "rounds": rounds}


def cli_figures(repeat: int = 7) -> dict[str, float]:
    """Whole `oyster run` processes (start-up included), best of `repeat`: a one-node and an 800-node chain."""
    import os
    import subprocess
    import tempfile

    env = dict(os.environ, OMP_NUM_THREADS="1")
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, doc in (("cli_startup_s", chain(1)), ("cli_chain800_s", chain(800))):
            path = os.path.join(tmp, f"{key}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            cmd = [sys.executable, "-m", "oyster_nodes.cli", "run", path, "--out", os.path.join(tmp, "out"),
                   "--cache-dir", os.path.join(tmp, "cache")]
            subprocess.run(cmd, capture_output=True, check=True, env=env)  # writes the pack index once
            runs = []
            for _ in range(repeat):
                t = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True, env=env)
                runs.append(time.perf_counter() - t)
            figures[key] = round(min(runs), 3)
            figures[key[:-2] + "_median_s"] = round(statistics.median(runs), 3)
    return figures


def main() -> None:
    registry = load_registry(use_entry_points=False)
    figures: dict[str, Any] = {"python": sys.version.split()[0]}
    for workers in (1, 2):
        for n in SIZES:
            rows = {**measure("chain", chain(n), registry, workers), **measure("tree", tree(n), registry, workers)}
            suffix = "" if workers == 1 else "_workers2"
            figures.update({k + suffix: v for k, v in rows.items()})
            print(f"workers={workers} n={n}: {rows}", file=sys.stderr)
    figures.update(headline(registry))
    figures["code_stamp_ms"] = round(code_stamp_ms(), 3)
    figures.update(world_handout_ms(registry))
    figures.update(cli_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
