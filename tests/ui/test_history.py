"""The history panel: named undo steps, newest first; picking one goes back (or forward) to it."""

from __future__ import annotations

from typing import Any

from .actions import add_node, doc, node, open_template, stats


def test_history_lists_named_steps_and_goes_back_to_one(page: Any) -> None:
    open_template(page)
    field = page.locator(f'{node("scaled")} [data-param="b_value"] input')
    field.fill("4")
    field.press("Enter")
    add_node(page, "number", "core.number")
    page.click("[data-testid=history-button]")
    panel = page.locator("[data-testid=history-panel]")
    steps = panel.locator(".oy-step").all_inner_texts()
    assert steps == ["add Number", "set b_value", "opened"]
    panel.locator(".oy-step", has_text="set b_value").click()
    page.wait_for_function("window.oysterEditor.stats().nodes === 5")
    assert page.evaluate("window.oysterEditor.getDoc().nodes.find(n => n.id === 'scaled').params.b_value") == 4
    assert panel.locator(".oy-step-undone").all_inner_texts() == ["add Number"]
    panel.locator(".oy-step", has_text="add Number").click()  # forward again
    page.wait_for_function("window.oysterEditor.stats().nodes === 6")
    panel.locator(".oy-step", has_text="opened").click()
    page.wait_for_function("""window.oysterEditor.stats().nodes === 5 && window.oysterEditor.getDoc().nodes
        .find(n => n.id === 'scaled').params.b_value === 10""")


def set_value(page: Any, node_id: str, value: str) -> None:
    field = page.locator(f'{node(node_id)} [data-param="value"] input')
    field.fill(value)
    field.press("Enter")


def inner_value(page: Any, node_id: str) -> float:
    """A node's value inside the (only) subgraph, from the document however deep the view is."""
    return page.evaluate(f"""window.oysterEditor.getDoc().subgraphs[0].nodes.find(n => n.id === '{node_id}')
        .params.value""")


def test_undo_and_redo_go_into_and_out_of_subgraphs_with_one_history(page: Any) -> None:
    open_template(page)
    page.click(node("b"), position={"x": 40, "y": 12})
    page.click(node("sum"), position={"x": 40, "y": 12}, modifiers=["Control"])
    page.keyboard.press("Control+Shift+g")
    page.wait_for_function("window.oysterEditor.stats().nodes === 4")
    page.click(f'{node("subgraph1")} .oy-enter')
    page.wait_for_selector(node("b"))
    set_value(page, "b", "7")
    page.wait_for_function("window.oysterEditor.stats().undo === 2")
    page.locator("[data-testid=breadcrumb] button", has_text="Arithmetic").click()
    page.wait_for_selector(node("subgraph1"))
    assert inner_value(page, "b") == 7
    # the steps are named with the level they were made in
    page.click("[data-testid=history-button]")
    steps = page.locator("[data-testid=history-panel] .oy-step").all_inner_texts()
    assert steps == ["set value · in subgraph", "make subgraph", "opened"]
    # undo at the top level goes into the subgraph and undoes the edit made there
    page.click(node("a"), position={"x": 40, "y": 12})
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.levels().join() === 'subgraph1'")
    page.wait_for_function(f"""document.querySelector('{node("b")} [data-param="value"] input').value === '3'""")
    assert inner_value(page, "b") == 3
    assert page.locator(".oy-toast").inner_text() == "Undo set value · in subgraph"
    # the next undo is the subgraph's making: back out to the workflow, flat again
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.levels().length === 0 && window.oysterEditor.stats().nodes === 5")
    assert "subgraphs" not in doc(page) and {n["id"] for n in doc(page)["nodes"]} == {"a", "b", "sum", "scaled"}
    # redo makes it again at the top, then goes in to set the value again
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("window.oysterEditor.stats().nodes === 4 && window.oysterEditor.levels().length === 0")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("window.oysterEditor.levels().join() === 'subgraph1'")
    page.wait_for_function(f"""document.querySelector('{node("b")} [data-param="value"] input').value === '7'""")
    assert inner_value(page, "b") == 7 and stats(page)["redo"] == 0
