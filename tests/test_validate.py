"""One test per kind of validation problem; every problem is reported at once."""

from __future__ import annotations

from oyster_nodes.graph import validate


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
    assert p.kind == "cycle" and "->" in p.message


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
