"""Structured parameters have forms (spec overrides, edit operations, keyframes), with the raw JSON one click away."""

from __future__ import annotations

import json
import time
from typing import Any

from .actions import add_node, doc, node, open_template


def params(page: Any, node_id: str) -> dict[str, Any]:
    return next(n for n in doc(page)["nodes"] if n["id"] == node_id)["params"]


def wait_params(page: Any, node_id: str, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        found = params(page, node_id)
        if check(found) or time.monotonic() > deadline:
            assert check(found), found
            return found
        time.sleep(0.1)


def added(page: Any, query: str, type_name: str) -> str:
    open_template(page)
    node_id = add_node(page, query, type_name)
    page.evaluate(f"window.oysterEditor.focusNode('{node_id}')")
    page.wait_for_timeout(350)
    return node_id


def test_a_spec_override_is_edited_as_a_form_and_as_json(page: Any) -> None:
    n = added(page, "spec edit", "world.spec_edit")
    box = page.locator(f'{node(n)} [data-param="override"]')
    box.get_by_label("add a field to override").click()  # the description's example gives the first field
    wait_params(page, n, lambda p: p["override"] == {"structures": {"cabin": 5}})
    cabins = box.get_by_label("override structures cabin", exact=True)
    cabins.fill("3")
    cabins.press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{n}').params.override"
                           ".structures.cabin === 3")
    box.get_by_label("override as JSON").click()
    raw = box.get_by_label("override (JSON)")
    assert json.loads(raw.input_value()) == {"structures": {"cabin": 3}}
    raw.fill('{"structures": {"cabin": 2}, "trees": 10}')
    raw.blur()
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{n}').params.override.trees === 10")
    box.get_by_label("override as a form").click()
    assert box.get_by_label("override trees", exact=True).input_value() == "10"
    box.get_by_label("remove override trees").click()
    page.wait_for_function(f"!('trees' in window.oysterEditor.getDoc().nodes.find(n => n.id === '{n}').params.override)")
    assert params(page, n)["override"] == {"structures": {"cabin": 2}}


def test_edit_operations_are_added_from_their_examples(page: Any) -> None:
    n = added(page, "edit world", "world.edit")
    box = page.locator(f'{node(n)} [data-param="ops"]')
    box.get_by_label("add add to ops").click()
    box.get_by_label("add remove to ops").click()
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{n}').params.ops.length === 2")
    x = box.get_by_label("ops 1 x", exact=True)
    x.fill("150")
    x.press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{n}').params.ops[0].x === 150")
    assert params(page, n)["ops"] == [{"op": "add", "kind": "cabin", "x": 150, "y": 200},
                                      {"op": "remove", "id": "cabin-1"}]
    assert not page.locator(f'{node(n)} [data-param="ops"] .oy-bad').count()


def test_keyframes_keep_their_table_and_show_their_json_on_a_click(page: Any) -> None:
    n = added(page, "keyframes", "camera.keyframes")
    box = page.locator(f'{node(n)} [data-param="keys"]')
    assert box.locator(".oy-keyframes table").is_visible()
    box.get_by_label("keys as JSON").click()
    assert json.loads(box.get_by_label("keys (JSON)").input_value()) == params(page, n)["keys"]
    box.get_by_label("keys as a form").click()
    box.locator(".oy-keyframes table").wait_for()
