"""Subgraphs: saved in workflow format v2, flattened by validation, run exactly as the flat graph would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, content_keys
from oyster_nodes.graph import build, validate
from oyster_nodes.workflow import FORMAT_VERSION, WorkflowError, parse_data, parse_text

from . import stubnodes


def link(src: str, dst: str) -> dict:
    (sn, so), (tn, ti) = src.split("."), dst.split(".")
    return {"from_node": sn, "from_output": so, "to_node": tn, "to_input": ti}


def flat_doc() -> dict:
    """s -> a1 -> a2 -> out, with o feeding both adds' b."""
    nodes = [{"id": "s", "type": "t.source", "params": {"value": 2.0}},
             {"id": "o", "type": "t.source", "params": {"value": 5.0}},
             {"id": "a1", "type": "t.add"}, {"id": "a2", "type": "t.add"}, {"id": "out", "type": "t.add"}]
    links = [link("s.value", "a1.a"), link("o.value", "a1.b"), link("o.value", "a2.b"), link("a1.sum", "a2.a"),
             link("a2.sum", "out.a")]
    return {"format": "oyster-workflow", "version": 1, "nodes": nodes, "links": links}


def grouped_doc() -> dict:
    """The same graph with a1 and a2 inside subgraph 'pair', used by node 'g'."""
    sub = {"id": "pair", "title": "two adds", "nodes": [{"id": "a1", "type": "t.add"}, {"id": "a2", "type": "t.add"}],
           "links": [link("a1.sum", "a2.a")],
           "inputs": [{"name": "a", "to": [{"node": "a1", "port": "a"}]},
                      {"name": "b", "to": [{"node": "a1", "port": "b"}, {"node": "a2", "port": "b"}]}],
           "outputs": [{"name": "sum", "node": "a2", "port": "sum"}]}
    nodes = [{"id": "s", "type": "t.source", "params": {"value": 2.0}},
             {"id": "o", "type": "t.source", "params": {"value": 5.0}},
             {"id": "g", "type": "subgraph", "subgraph": "pair"}, {"id": "out", "type": "t.add"}]
    links = [link("s.value", "g.a"), link("o.value", "g.b"), link("g.sum", "out.a")]
    return {"format": "oyster-workflow", "version": 2, "nodes": nodes, "links": links, "subgraphs": [sub]}


def test_a_subgraph_runs_like_the_flat_graph_with_the_same_cache_keys(registry):
    flat = build(parse_data(flat_doc()), registry)
    grouped = build(parse_data(grouped_doc()), registry)
    assert sorted(grouped.nodes) == ["g/a1", "g/a2", "o", "out", "s"]
    flat_keys = content_keys(flat, flat.order, Path("out"))
    grouped_keys = content_keys(grouped, grouped.order, Path("out"))
    assert grouped_keys["out"] == flat_keys["out"] and grouped_keys["g/a2"] == flat_keys["a2"]
    ex = Executor(Cache())
    first = ex.run(flat)
    stubnodes.RUNS.clear()
    second = ex.run(grouped)
    assert second.outputs["out"]["sum"] == first.outputs["out"]["sum"] == 12.0
    assert stubnodes.RUNS == [] and second.records["out"].status == "cached"


def test_the_subgraph_form_saves_stably_and_a_v1_file_still_loads():
    text = parse_data(grouped_doc()).to_json()
    assert json.loads(text)["version"] == FORMAT_VERSION == 2
    assert parse_text(text).to_json() == text
    assert json.loads(text)["subgraphs"][0]["inputs"][1]["to"][1] == {"node": "a2", "port": "b"}
    noted = grouped_doc()
    noted["subgraphs"][0]["notes"] = [{"id": "n1", "text": "two adds in a row", "position": [0, 90]}]
    assert parse_data(noted).subgraphs[0].notes[0].text == "two adds in a row", "notes inside are kept"
    old = parse_data(flat_doc())
    assert old.version == 2 and "subgraphs" not in json.loads(old.to_json())


def test_a_v1_node_of_type_subgraph_is_refused_by_the_migration():
    doc = flat_doc()
    doc["nodes"][2]["type"] = "subgraph"
    with pytest.raises(WorkflowError, match="reserves"):
        parse_data(doc)


def test_problems_inside_a_subgraph_name_its_path(registry):
    doc = grouped_doc()
    doc["subgraphs"][0]["nodes"][1]["params"] = {"nope": 1}
    doc["subgraphs"][0]["links"] = []  # a2.a is now unconnected
    problems = validate(parse_data(doc), registry)
    assert {(p.kind, p.node) for p in problems} == {("unknown_param", "g/a2"), ("missing_input", "g/a2")}
    assert all(str(p).startswith("node 'g › a2'") for p in problems)


def test_broken_subgraphs_are_reported(registry):
    doc = grouped_doc()
    doc["nodes"][2]["subgraph"] = "missing"
    assert [p.kind for p in validate(parse_data(doc), registry)][0] == "unknown_subgraph"
    doc = grouped_doc()
    doc["subgraphs"][0]["nodes"].append({"id": "inner", "type": "subgraph", "subgraph": "pair"})
    assert "subgraph_cycle" in [p.kind for p in validate(parse_data(doc), registry)]
    doc = grouped_doc()
    doc["links"].append(link("g.nothing", "out.b"))
    found = validate(parse_data(doc), registry)
    assert [(p.kind, p.node, p.field) for p in found] == [("dangling_link", "g", "outputs.nothing")]
    doc = grouped_doc()
    doc["subgraphs"][0]["outputs"][0]["node"] = "gone"
    assert "dangling_port" in [p.kind for p in validate(parse_data(doc), registry)]


def test_nested_subgraphs_flatten_to_paths(registry):
    doc = grouped_doc()
    outer = {"id": "outer", "nodes": [{"id": "inner", "type": "subgraph", "subgraph": "pair"}], "links": [],
             "inputs": [{"name": "a", "to": [{"node": "inner", "port": "a"}]},
                        {"name": "b", "to": [{"node": "inner", "port": "b"}]}],
             "outputs": [{"name": "sum", "node": "inner", "port": "sum"}]}
    doc["subgraphs"].append(outer)
    doc["nodes"][2]["subgraph"] = "outer"
    graph = build(parse_data(doc), registry)
    assert sorted(graph.nodes) == ["g/inner/a1", "g/inner/a2", "o", "out", "s"]
    assert Executor(Cache()).run(graph).outputs["out"]["sum"] == 12.0
