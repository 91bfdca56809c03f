"""Bypass: a node with `"mode": "bypass"` passes its declared inputs through instead of running."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oyster_nodes import Node, Port, RunContext
from oyster_nodes.cache import Cache
from oyster_nodes.cli import main
from oyster_nodes.executor import Executor, content_keys
from oyster_nodes.graph import build, validate
from oyster_nodes.workflow import WorkflowError, parse_data

from . import stubnodes


def adder(builder, *, bypass: str = ""):
    """s(2) and o(5) into add; add into out (out adds nothing)."""
    b = (builder.node("s", "t.source", value=2.0).node("o", "t.source", value=5.0).node("add", "t.add")
         .node("out", "t.add").link("s.value", "add.a").link("o.value", "add.b").link("add.sum", "out.a"))
    for node in b.doc["nodes"]:
        if node["id"] == bypass:
            node["mode"] = "bypass"
    return b


def test_a_bypassed_node_passes_its_input_through_without_running(builder, registry):
    result = Executor(Cache()).run(build(adder(builder, bypass="add").build(), registry))
    assert result.ok
    assert result.outputs["out"]["sum"] == 2.0, "add is bypassed: out gets a (2), not a + b (7)"
    assert "add" not in stubnodes.RUNS
    assert result.records["add"].status == "done"


def test_without_bypass_the_node_runs(builder, registry):
    result = Executor(Cache()).run(build(adder(builder).build(), registry))
    assert result.outputs["out"]["sum"] == 7.0 and "add" in stubnodes.RUNS


def test_bypass_changes_downstream_keys_and_a_bypassed_nodes_params_do_not(tmp_path, full_registry):
    def n2_key(bypass: str, operation: str = "divide") -> str:
        doc = json.loads(Path(_chain(tmp_path, bypass)).read_text())
        doc["nodes"][1]["params"]["operation"] = operation
        graph = build(parse_data(doc), full_registry)
        return content_keys(graph, graph.order, Path("out"))["n2"]

    assert n2_key("") != n2_key("n1")
    assert n2_key("", "multiply") != n2_key("", "divide")
    assert n2_key("n1", "multiply") == n2_key("n1", "divide"), "a bypassed node's params change nothing"


def test_a_connected_output_without_a_pass_through_is_a_clear_problem(builder, registry):
    doc = (builder.node("s", "t.source", value=1.0).node("f", "t.fail").node("out", "t.add")
           .link("s.value", "f.a").link("f.out", "out.a")).doc
    doc["nodes"][1]["mode"] = "bypass"
    problems = validate(parse_data(doc), registry)
    assert [(p.kind, p.node, p.field) for p in problems] == [("bypass", "f", "outputs.out")]
    assert "t.fail has no pass-through for its output 'out'" in problems[0].message
    assert "Ctrl+B" in problems[0].fix
    with pytest.raises(WorkflowError, match="no pass-through"):
        build(parse_data(doc), registry)


def test_a_pass_through_whose_input_is_not_connected_is_a_problem(builder, registry):
    doc = (builder.node("s", "t.source", value=1.0).node("add", "t.add").node("out", "t.add")
           .link("s.value", "add.b").link("add.sum", "out.a")).doc
    doc["nodes"][1]["mode"] = "bypass"
    kinds = {(p.kind, p.field) for p in validate(parse_data(doc), registry)}
    assert ("bypass", "inputs.a") in kinds


def test_a_bypassed_sink_does_nothing_and_its_failure_never_happens(builder, registry):
    doc = builder.node("s", "t.source", value=1.0).node("f", "t.fail").link("s.value", "f.a").doc
    doc["nodes"][1]["mode"] = "bypass"
    result = Executor(Cache()).run(build(parse_data(doc), registry))
    assert result.ok and result.outputs["f"] == {}


def test_bypass_is_saved_as_a_node_mode_and_normal_is_left_out(builder):
    doc = adder(builder, bypass="add").doc
    text = parse_data(doc).to_json()
    saved = json.loads(text)
    assert [n.get("mode") for n in saved["nodes"]] == [None, None, "bypass", None]
    assert '"mode": "bypass"' in text and '"mode": "normal"' not in text
    assert parse_data(json.loads(text)).to_json() == text, "saving again gives the same bytes"
    bad = {**doc, "nodes": [{**doc["nodes"][0], "mode": "skip"}]}
    with pytest.raises(WorkflowError, match="mode"):
        parse_data(bad)


def test_a_pass_through_must_fit_the_output_type():
    class Bad(Node):
        type = "t.badbypass"
        inputs = (Port("text", str),)
        outputs = (Port("value", float),)
        bypass = {"value": "text"}

        def run(self, ctx: RunContext, *, text: str) -> float:
            return 0.0

    class Missing(Bad):
        type = "t.missingbypass"
        bypass = {"value": "nope"}

    assert any("cannot pass input 'text' (Text) to output 'value' (Float)" in p for p in Bad.definition_problems())
    assert any("bypass maps 'nope'" in p for p in Missing.definition_problems())


def test_builtin_edits_declare_their_pass_through(full_registry):
    assert full_registry.get("world.edit").describe()["bypass"] == {"world": "world"}
    assert full_registry.get("world.spec_edit").bypass == {"spec": "spec"}
    assert full_registry.get("simulate.world_at").bypass == {"world": "world"}
    assert full_registry.get("world.generate").bypass == {}


def _chain(tmp_path, bypass: str) -> str:
    nodes = [{"id": "n0", "type": "core.number", "params": {"value": 1}},
             {"id": "n1", "type": "core.math", "params": {"operation": "divide", "b_value": 0}},
             {"id": "n2", "type": "core.math", "params": {"operation": "add", "b_value": 2}}]
    for node in nodes:
        if node["id"] == bypass:
            node["mode"] = "bypass"
    links = [{"from_node": "n0", "from_output": "value", "to_node": "n1", "to_input": "a"},
             {"from_node": "n1", "from_output": "result", "to_node": "n2", "to_input": "a"}]
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"format": "oyster-workflow", "version": 1, "nodes": nodes, "links": links}))
    return str(path)


def test_cli_run_honours_bypass(tmp_path, capsys):
    cache = ["--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")]
    assert main(["run", _chain(tmp_path, ""), *cache]) == 1, "dividing by zero fails"
    assert main(["run", _chain(tmp_path, "n1"), *cache]) == 0, "the division is bypassed"
    capsys.readouterr()
    assert main(["run", _chain(tmp_path, "n0"), *cache]) == 2
    assert "core.number has no pass-through for its output 'value'" in capsys.readouterr().out
