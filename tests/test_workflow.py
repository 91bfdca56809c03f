from __future__ import annotations

import json

import pytest

from oyster_nodes.workflow import (
    FORMAT_VERSION,
    MAX_BYTES,
    MIGRATIONS,
    Workflow,
    WorkflowError,
    json_schema,
    migrate,
    parse_data,
    parse_text,
)

FULL = {
    "format": "oyster-workflow",
    "version": 1,
    "metadata": {"name": "demo", "description": "d", "author": "me", "created": "2026-11-25T10:00:00Z",
                 "packs": {"builtin": "0.1.0"}},
    "nodes": [
        {"id": "b", "type": "core.math", "params": {"operation": "add", "b_value": 2},
         "editor": {"position": [200, 0], "size": [180, 120], "title": "Plus two", "collapsed": False,
                    "color": "#336699", "widgets": {"seed": "increment", "b_value": "fixed"}}},
        {"id": "a", "type": "core.number", "params": {"value": 1.5}, "device": "cpu"},
    ],
    "links": [{"from_node": "a", "from_output": "value", "to_node": "b", "to_input": "a"}],
    "groups": [{"id": "g1", "title": "Values", "rect": [0, 0, 400, 200], "nodes": ["a", "b"]}],
    "notes": [{"id": "n1", "text": "hello", "position": [0, 300]}],
}


def test_round_trip_keeps_everything():
    wf = parse_data(json.loads(json.dumps(FULL)))
    again = parse_text(wf.to_json())
    assert again == wf
    assert again.nodes[0].editor.title == "Plus two"
    assert again.groups[0].nodes == ["a", "b"] and again.notes[0].text == "hello"
    assert again.metadata.packs == {"builtin": "0.1.0"}
    assert again.nodes[0].editor.widgets == {"seed": "increment", "b_value": "fixed"}


def test_saved_json_has_a_stable_key_order():
    doc = json.loads(json.dumps(FULL))
    doc["nodes"][0]["params"] = {"b_value": 2, "operation": "add"}
    doc["nodes"][0]["editor"]["widgets"] = {"seed": "increment", "b_value": "fixed"}
    a = parse_data(doc).to_json()
    b = parse_data(json.loads(json.dumps(FULL))).to_json()
    assert a == b
    assert list(json.loads(a)) == ["format", "version", "metadata", "nodes", "links", "groups", "notes"]
    assert a.endswith("\n") and "\n  " in a
    assert list(json.loads(a)["nodes"][0]["editor"]["widgets"]) == ["b_value", "seed"]


def test_files_without_widget_states_load_and_save_unchanged():
    wf = parse_data(json.loads(json.dumps(FULL)))
    assert wf.nodes[1].editor.widgets == {}
    saved = json.loads(wf.to_json())["nodes"][1]["editor"]
    assert "widgets" not in saved  # re-saving an older file adds nothing to it
    assert parse_data(json.loads(wf.to_json())).to_json() == wf.to_json()


@pytest.mark.parametrize("widgets,field", [
    ({f"p{i}": "fixed" for i in range(65)}, "editor.widgets"),
    ({"seed": "x" * 33}, "editor.widgets.seed"),
    ({"k" * 129: "fixed"}, "editor.widgets"),
    ({"seed": 3}, "editor.widgets.seed"),
])
def test_widget_states_are_bounded(widgets, field):
    doc = {"format": "oyster-workflow", "version": 1,
           "nodes": [{"id": "p", "type": "prompt.text", "editor": {"widgets": widgets}}]}
    with pytest.raises(WorkflowError) as err:
        parse_data(doc)
    p = err.value.problems[0]
    assert p.node == "p" and p.field.startswith(field)


def test_schema_is_published_and_describes_nodes_and_links():
    schema = json_schema()
    assert schema["title"] == "Oyster Nodes workflow"
    assert {"nodes", "links", "groups", "notes", "metadata", "version", "format"} <= set(schema["properties"])
    assert "NodeRef" in schema["$defs"] and "Link" in schema["$defs"]


def test_newer_version_is_refused_with_the_fix():
    doc = {**FULL, "version": FORMAT_VERSION + 1}
    with pytest.raises(WorkflowError, match="upgrade Oyster Nodes"):
        parse_data(doc)


def test_migrations_run_step_by_step():
    def v0_to_v1(d):
        d["links"] = [{"from_node": s, "from_output": so, "to_node": t, "to_input": ti}
                      for s, so, t, ti in d.pop("edges")]
        return d

    old = {"format": "oyster-workflow", "version": 0, "nodes": FULL["nodes"], "edges": [["a", "value", "b", "a"]]}
    migrated = migrate(json.loads(json.dumps(old)), {**MIGRATIONS, 0: v0_to_v1})
    wf = Workflow.model_validate(migrated)
    assert wf.version == FORMAT_VERSION and wf.links[0].from_node == "a"
    with pytest.raises(WorkflowError, match="no migration from workflow format 0"):
        parse_data(old)


def test_oversized_json_is_a_size_error():
    with pytest.raises(WorkflowError) as err:
        parse_text(b" " * (MAX_BYTES + 1))
    assert err.value.problems[0].kind == "size"


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_json_is_a_size_error(depth):
    nested = "[" * depth + "]" * depth
    text = '{"format": "oyster-workflow", "version": 1, "nodes": [{"id": "a", "type": "core.number", ' \
           f'"params": {{"value": {nested}}}}}]}}'
    with pytest.raises(WorkflowError) as err:
        parse_text(text)
    assert err.value.problems[0].kind == "size"


@pytest.mark.parametrize("text,kind", [
    ("not json", "json"),
    ("[1, 2]", "format"),
    ('{"format": "comfy", "version": 1}', "format"),
    ('{"format": "oyster-workflow", "version": "1"}', "format"),
    ('{"format": "oyster-workflow", "version": 1, "nodes": [{"id": "a b", "type": "x"}]}', "schema"),
    ('{"format": "oyster-workflow", "version": 1, "nodes": [], "surprise": 1}', "schema"),
    ('{"format": "oyster-workflow", "version": 1, "nodes": [{"id": "a", "type": "t", "params": {"v": NaN}}]}',
     "json"),
])
def test_bad_documents_give_clean_problems(text, kind):
    with pytest.raises(WorkflowError) as err:
        parse_text(text)
    assert err.value.problems[0].kind == kind
    assert str(err.value)


def test_schema_problem_names_the_node_and_field():
    doc = {"format": "oyster-workflow", "version": 1,
           "nodes": [{"id": "cam", "type": "core.number", "editor": {"color": "red"}}]}
    with pytest.raises(WorkflowError) as err:
        parse_data(doc)
    p = err.value.problems[0]
    assert p.node == "cam" and p.field == "editor.color"
