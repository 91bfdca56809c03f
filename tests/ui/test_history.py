"""The history panel: named undo steps, newest first; picking one goes back (or forward) to it."""

from __future__ import annotations

from typing import Any

from .actions import add_node, node, open_template


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
