"""One test per kind of validation problem; every problem is reported at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.builtin import action as action_nodes
from oyster_nodes.builtin import camera as camera_nodes
from oyster_nodes.builtin import prompt as prompt_nodes
from oyster_nodes.builtin import render as render_nodes
from oyster_nodes.builtin import world as world_nodes
from oyster_nodes.cli import main
from oyster_nodes.graph import validate
from oyster_nodes.node import Node, RunContext
from oyster_nodes.types import Prompt
from oyster_nodes.workflow import load, parse_data
from oyster_nodes.world import GenerateConfig, WorldSpec, WorldState, generate_world

from . import stubnodes
from .conftest import WorkflowBuilder
from .params import checked_params


def kinds(problems):
    return [p.kind for p in problems]


def test_valid_workflow_has_no_problems(builder, registry):
    wf = builder.node("a", "t.source").node("b", "t.add").link("a.value", "b.a").build()
    assert validate(wf, registry) == []


def test_unknown_node_type_suggests_a_close_match(builder, registry):
    [p] = validate(builder.node("a", "t.sorce").build(), registry)
    assert p.kind == "unknown_type" and p.node == "a" and p.field == "type" and "t.source" in p.fix


def test_unknown_param(builder, registry):
    [p] = validate(builder.node("a", "t.source", valeu=1.0).build(), registry)
    assert p.kind == "unknown_param" and p.field == "params.valeu" and "value" in p.fix


def test_out_of_range_param(builder, registry):
    [p] = validate(builder.node("w", "t.blob", size=100000).build(), registry)
    assert p.kind == "bad_param" and p.node == "w" and p.field == "params.size"
    assert "above the maximum 4096" in p.message and "1 to 4096" in p.fix


def test_wrongly_typed_param(builder, registry):
    [p] = validate(builder.node("a", "t.source", value="lots").build(), registry)
    assert p.kind == "bad_param" and "expects a number" in p.message


def test_missing_param_value(builder, registry):
    [p] = validate(builder.node("w", "t.blob", size=None).build(), registry)
    assert p.kind == "missing_param" and p.field == "params.size"


def test_missing_required_input(builder, registry):
    [p] = validate(builder.node("v", "t.view").build(), registry)
    assert p.kind == "missing_input" and p.field == "inputs.blob" and "Blob" in p.fix


def test_type_mismatch_names_both_types(builder, registry):
    wf = builder.node("a", "t.source").node("v", "t.view").link("a.value", "v.blob").build()
    [p] = validate(wf, registry)
    assert p.kind == "type_mismatch" and p.node == "v" and p.field == "inputs.blob"
    assert "expects Blob, got Float" in p.message and "connect a node that outputs Blob" in p.fix


def test_int_feeds_float_but_not_the_reverse(builder, full_registry):
    ok = builder.node("i", "core.integer").node("m", "core.math").link("i.value", "m.a").build()
    assert validate(ok, full_registry) == []


def test_dangling_links(builder, registry):
    wf = (builder.node("a", "t.source").node("b", "t.add")
          .link("ghost.value", "b.a").link("a.value", "nobody.a").link("a.nope", "b.b").build())
    problems = validate(wf, registry)
    assert kinds(problems) == ["dangling_link", "dangling_link", "dangling_link"]
    assert "missing node 'ghost'" in problems[0].message
    assert "missing node 'nobody'" in problems[1].message
    assert "no output 'nope'" in problems[2].message and "value" in problems[2].fix


def test_two_links_into_one_input(builder, registry):
    wf = (builder.node("a", "t.source").node("c", "t.source").node("b", "t.add")
          .link("a.value", "b.a").link("c.value", "b.a").build())
    assert kinds(validate(wf, registry)) == ["duplicate_link"]


def test_duplicate_ids(builder, registry):
    wf = builder.node("a", "t.source").node("a", "t.source").build()
    [p] = validate(wf, registry)
    assert p.kind == "duplicate_id" and p.node == "a"


def test_cycles_are_found_with_their_path(builder, registry):
    wf = (builder.node("x", "t.add").node("y", "t.add").node("z", "t.add")
          .link("x.sum", "y.a").link("y.sum", "z.a").link("z.sum", "x.a").build())
    [p] = validate(wf, registry)
    assert p.kind == "cycle" and p.message == "links form a cycle: x -> y -> z -> x" and p.node == "x"


def test_a_cycle_is_found_among_nodes_fed_by_it_and_feeding_it(builder, registry):
    """Nodes behind or after a cycle are never named as part of it."""
    wf = (builder.node("a", "t.source").node("b", "t.add").node("m", "t.add").node("n", "t.add")
          .node("c", "t.add").node("d", "t.add").node("e", "t.add")
          .link("a.value", "m.a").link("m.sum", "n.a").link("n.sum", "m.b")
          .link("n.sum", "b.a").link("b.sum", "c.a").link("c.sum", "d.a").link("d.sum", "e.a").build())
    [p] = validate(wf, registry)
    assert p.message == "links form a cycle: m -> n -> m"


def test_the_order_is_topological_with_ties_broken_by_id():
    import random

    import networkx as nx

    from oyster_nodes.graph import topological_order

    rng = random.Random(4)
    for _ in range(50):
        ids = [f"n{i}" for i in range(rng.randint(1, 60))]
        rng.shuffle(ids)
        consumers = {n: sorted({d for d in ids[i + 1:] if rng.random() < 0.1}) for i, n in enumerate(ids)}
        dag = nx.DiGraph()
        dag.add_nodes_from(rng.sample(ids, len(ids)))
        dag.add_edges_from((s, d) for s, ds in consumers.items() for d in ds)
        assert topological_order(consumers) == list(nx.lexicographical_topological_sort(dag))


def test_group_listing_a_missing_node(builder, registry):
    b = builder.node("a", "t.source")
    b.doc["groups"] = [{"id": "g", "nodes": ["a", "zzz"]}]
    [p] = validate(b.build(), registry)
    assert p.kind == "dangling_group"


def test_every_problem_is_reported_at_once(builder, registry):
    wf = (builder.node("a", "t.nope").node("w", "t.blob", size=-1, colour=3).node("v", "t.view")
          .node("a2", "t.source").node("a2", "t.source").build())
    assert sorted(kinds(validate(wf, registry))) == sorted(
        ["unknown_type", "bad_param", "unknown_param", "missing_input", "duplicate_id"])


def test_paths_cannot_leave_the_output_folder(full_registry):
    from oyster_nodes.node import Param, RelPath

    p = Param("file", RelPath, "a.png")
    for bad in ("../x.png", "/etc/passwd", "a/../../b", "C:\\x", ""):
        assert p.check(bad)[1], bad
    assert p.check("shots/a.png") == ("shots/a.png", None)


# -- structured parameters: the node's own parsers run at validation, with the node's own message --------

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "workflows").glob("*.json"))
BAD_KEYS = [{"time": 0.0, "position": [1.0, 2.0], "target": [5.0, 5.0, 0.0]}]
BAD_OPS = [{"op": "add", "kind": "cabin", "x": 10.0}]
BAD_DENSITY = {"vegetation": {"broadleaf": -1}}
BAD_SCRIPT = "at 1s wobble ball1"
LINE_SCRIPT = "at 0s spawn sphere ball1 pos=100,100 height=5\nat 1s impulse ball1 0,10,5"


def structured_doc(**bad: Any) -> dict[str, Any]:
    """prompt -> spec -> spec edit -> world -> edit -> camera move, plus keyframes and a script; `bad` per node."""
    b = WorkflowBuilder()
    b.node("p", "prompt.text", text="a forest").node("s", "prompt.to_spec", use_model=False, **bad.get("s", {}))
    b.node("se", "world.spec_edit", **bad.get("se", {})).node("g", "world.generate", size_m=256.0)
    b.node("e", "world.edit", **bad.get("e", {})).node("c", "camera.preset", **bad.get("c", {}))
    b.node("k", "camera.keyframes", **bad.get("k", {}))
    b.node("a", "action.script", **{"english": False, "script": LINE_SCRIPT, **bad.get("a", {})})
    for src, dst in (("p.prompt", "s.prompt"), ("s.spec", "se.spec"), ("se.spec", "g.spec"), ("g.world", "e.world"),
                     ("e.world", "c.world"), ("e.world", "k.world")):
        b.link(src, dst)
    return b.doc


def run_error(node: type[Node], **values: Any) -> str:
    """The message the node's run gives for these inputs and params."""
    inputs = {k: v for k, v in values.items() if k not in {p.name for p in node.params}}
    with pytest.raises(ValueError) as exc:
        node().run(RunContext(node_id="x"), **inputs, **checked_params(node, **{k: v for k, v in values.items()
                                                                            if k not in inputs}))
    return str(exc.value)


@pytest.fixture(scope="module")
def tiny_world() -> WorldState:
    return generate_world(WorldSpec(), 1, GenerateConfig(size_m=256.0, cell_m=4.0))


def test_examples_still_validate(full_registry):
    assert EXAMPLES
    for path in EXAMPLES:
        assert validate(load(path), full_registry) == [], path.name


def test_a_valid_structured_workflow_has_no_problems(full_registry):
    assert validate(parse_data(structured_doc()), full_registry) == []


def test_structured_params_fail_validation_with_the_nodes_own_message(full_registry, tiny_world):
    doc = structured_doc(k={"keys": BAD_KEYS}, e={"ops": BAD_OPS}, s={"override": BAD_DENSITY},
                         se={"override": BAD_DENSITY}, a={"script": BAD_SCRIPT, "format": "text"},
                         c={"subject": [10.0]})
    found = {(p.node, p.field): p for p in validate(parse_data(doc), full_registry)}
    expected = {
        ("k", "params.keys"): run_error(camera_nodes.CameraKeyframes, keys=BAD_KEYS),
        ("e", "params.ops"): run_error(world_nodes.WorldEdit, world=tiny_world, ops=BAD_OPS),
        ("s", "params.override"): run_error(prompt_nodes.PromptToSpec, prompt=Prompt(text="a forest"),
                                            override=BAD_DENSITY, use_model=False),
        ("se", "params.override"): run_error(world_nodes.SpecEdit, spec=WorldSpec(), override=BAD_DENSITY),
        ("a", "params.script"): run_error(action_nodes.ActionScriptNode, script=BAD_SCRIPT, format="text",
                                          english=False),
        ("c", "params.subject"): run_error(camera_nodes.CameraPreset, world=tiny_world, subject=[10.0]),
    }
    assert set(found) == set(expected)
    for key, message in expected.items():
        problem = found[key]
        assert problem.kind == "bad_param" and problem.fix
        assert problem.message == f"parameter '{key[1].split('.')[1]}': {message}"
    assert "density 0..1, got -1" in expected[("s", "params.override")]
    assert "missing or wrong field 'y'" in expected[("e", "params.ops")]


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        ({"k": {"keys": BAD_KEYS}}, "key 0"),
        ({"k": {"keys": []}}, "no keyframes"),
        ({"e": {"ops": [{"op": "explode"}]}}, "edit 0: expects an object with 'op'"),
        ({"e": {"ops": [{"op": "set_time", "clock_h": 30}]}}, "clock_h 30 is outside 0..24"),
        ({"e": {"ops": [{"op": "add", "kind": "castle-on-a-cloud", "x": 1, "y": 2}]}}, "unknown kind"),
        ({"se": {"override": BAD_DENSITY}}, "expects a density 0..1"),
        ({"s": {"override": {"weather": "sunny-ish"}}}, "weather"),
        ({"a": {"script": BAD_SCRIPT}}, "unknown event 'wobble'"),
        ({"a": {"script": "[{", "format": "json"}}, "invalid JSON"),
    ],
)
def test_cli_validate_and_run_refuse_bad_structured_params(tmp_path, bad, text, capsys):
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(structured_doc(**bad)))
    assert main(["validate", str(path)]) == 2
    shown = capsys.readouterr().out
    assert text in shown and next(iter(bad)) in shown
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--cache-dir", str(tmp_path / "cache")]) == 2
    assert text in capsys.readouterr().out
    assert not out.exists(), "nothing ran: the output folder was never made"


def test_a_checker_that_breaks_is_reported_not_raised(builder, registry):
    class Broken(stubnodes.Source):
        type = "t.broken_check"

        @classmethod
        def check_params(cls, params):
            raise RuntimeError("boom")

    registry.add_pack("broken", [Broken])
    [p] = validate(builder.node("b", "t.broken_check").build(), registry)
    assert p.kind == "bad_param" and p.node == "b" and "boom" in p.message


def test_structured_checks_wait_for_well_typed_values(full_registry):
    doc = structured_doc(k={"keys": "not a list"})
    [p] = validate(parse_data(doc), full_registry)
    assert p.field == "params.keys" and "expects a list" in p.message


def test_render_image_vectors_are_checked_with_the_nodes_message(full_registry, tiny_world):
    doc = structured_doc()
    doc["nodes"].append({"id": "r", "type": "render.image", "params": {"auto_frame": False,
                                                                         "position": ["left", 1, 2]}})
    doc["links"].append({"from_node": "e", "from_output": "world", "to_node": "r", "to_input": "world"})
    [p] = validate(parse_data(doc), full_registry)
    message = run_error(render_nodes.RenderImage, world=tiny_world, auto_frame=False, position=["left", 1, 2])
    assert (p.node, p.field, p.message) == ("r", "params.position", f"parameter 'position': {message}")
    assert "position expects numbers [x, y, z]" in message


def test_english_lines_are_left_to_the_run_but_line_form_errors_around_them_are_found(full_registry):
    script = "at 0s drop a red ball from 10 m\nat 1s blast ball1"
    [p] = validate(parse_data(structured_doc(a={"script": script, "english": True})), full_registry)
    assert p.field == "params.script" and "line 2, column 13: blast pos: expects numbers" in p.message
    default = structured_doc(a={"script": action_nodes.EXAMPLE, "english": True})
    assert validate(parse_data(default), full_registry) == []
    [p] = validate(parse_data(structured_doc(a={"script": action_nodes.EXAMPLE, "english": False})), full_registry)
    assert "line 5" in p.message, "without English the example's English line is refused"
