"""Bypass (Ctrl+B), the viewer (Ctrl+Shift+click) and subgraphs (Ctrl+Shift+G, breadcrumb), driven as a user would."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from oyster_nodes.workflow import parse_text

from .actions import doc, handle, minimap_pixel, node, open_template, stats
from .conftest import open_editor


def saved(page: Any) -> str:
    """The workflow file as Save and Download write it (the server serialises the tab's journaled document)."""
    return page.evaluate("""async () => {
        await window.oysterEditor.flush()
        const r = await fetch(`/oyster/api/session/${window.oysterEditor.session}/download`)
        return r.text()
    }""")


def select(page: Any, *ids: str) -> None:
    page.click(node(ids[0]), position={"x": 40, "y": 12})
    for node_id in ids[1:]:
        page.click(node(node_id), position={"x": 40, "y": 12}, modifiers=["Control"])
    page.wait_for_function(f"document.querySelectorAll('.vue-flow__node.selected').length === {len(ids)}")


def own_values(page: Any) -> None:
    """a = 4 instead of the template's 2, so these runs never fill the cache other tests expect empty."""
    field = page.locator(f'{node("a")} [data-param="value"] input')
    field.fill("4")
    field.press("Enter")
    page.wait_for_function("window.oysterEditor.getDoc().nodes[0].params.value === 4")


def wait_value(page: Any, node_id: str, value: str) -> None:
    page.wait_for_function(f"""document.querySelector('{node(node_id)} .oy-value[data-output="result"]')
        ?.innerText.endsWith('{value}')""", timeout=30_000)


def test_ctrl_b_bypasses_visibly_saves_the_mode_and_the_run_passes_the_input_through(
        page: Any) -> None:
    open_template(page)
    own_values(page)
    plain = saved(page)
    select(page, "sum")
    page.keyboard.press("Control+b")
    page.wait_for_selector(f'{node("sum")}.oy-bypassed [data-testid=bypass-badge]')
    assert "passes a → result" in page.locator(f'{node("sum")} [data-testid=bypass-badge]').get_attribute("title")
    page.wait_for_timeout(100)  # the minimap draws on the next frame
    assert minimap_pixel(page, "sum") == [199, 125, 255], "the minimap shows the bypassed node in its colour (#c77dff)"
    bypassed = json.loads(saved(page))
    assert [n.get("mode") for n in bypassed["nodes"]] == [None, None, "bypass", None]
    page.click("[data-testid=run-button]")
    wait_value(page, "scaled", "40")  # sum passes a (4) through: 4 × 10
    page.keyboard.press("Control+b")  # the selection is still sum: bypass off again
    page.wait_for_selector(f'{node("sum")}:not(.oy-bypassed)')
    off = saved(page)
    assert '"mode"' not in off and json.loads(off)["nodes"] == json.loads(plain)["nodes"]
    page.keyboard.press("Control+b")
    page.wait_for_selector(f'{node("sum")}.oy-bypassed')
    page.keyboard.press("Control+b")
    page.wait_for_selector(f'{node("sum")}:not(.oy-bypassed)')
    assert saved(page) == off, "bypass on and off again gives the same bytes"
    page.click("[data-testid=run-button]")
    wait_value(page, "scaled", "70")


def test_ctrl_shift_click_on_an_output_shows_it_in_the_viewer_without_changing_the_workflow(page: Any) -> None:
    open_template(page)
    field = page.locator(f'{node("a")} [data-param="value"] input')
    field.fill("5")  # a graph no other test runs: the cache has nothing of it, the viewer nothing to show
    field.press("Enter")
    page.wait_for_function("window.oysterEditor.getDoc().nodes[0].params.value === 5")
    before = json.dumps(doc(page), sort_keys=True)
    undo_steps = stats(page)["undo"]
    page.click(handle("scaled", "out", "result"), modifiers=["Control", "Shift"])
    viewer = page.locator("[data-testid=viewer]")
    viewer.wait_for()
    assert page.locator("[data-testid=viewer-label]").inner_text() == "Math › result"
    viewer.locator("[data-testid=viewer-empty]").wait_for()  # not run yet (nor cached): it says how to fill it
    page.click("[data-testid=run-button]")
    page.wait_for_selector("[data-testid=viewer-value]", timeout=30_000)
    assert viewer.locator("[data-testid=viewer-value]").inner_text().endswith("80")
    page.click(node("a"), position={"x": 60, "y": 12}, modifiers=["Control", "Shift"])  # a whole node
    page.wait_for_function("document.querySelector('[data-testid=viewer-label]')?.innerText === 'Number'")
    assert json.dumps(doc(page), sort_keys=True) == before, "viewing changes nothing in the document"
    assert stats(page)["undo"] == undo_steps, "and adds no step to the history"
    page.click("[aria-label='Close the viewer']")
    viewer.wait_for(state="detached")


def test_the_viewer_shows_a_node_that_a_run_found_up_to_date_from_the_cache(browser: Any, server: Any,
                                                                            page: Any) -> None:
    value = f"{1000 + time.time() % 1000:.3f}"  # a graph no other run has cached
    total = f"{(float(value) + 3) * 10:.6g}"

    def open_with_value(p: Any) -> None:
        open_template(p)
        field = p.locator(f'{node("a")} [data-param="value"] input')
        field.fill(value)
        field.press("Enter")
        p.wait_for_function(f"window.oysterEditor.getDoc().nodes[0].params.value === {value}")

    open_with_value(page)
    page.click("[data-testid=run-button]")
    wait_value(page, "scaled", total)
    other = open_editor(browser, server.url)  # another tab: it has seen no run of this graph
    try:
        open_with_value(other)
        other.click("[data-testid=run-button]")
        other.wait_for_selector(f'{node("a")} .oy-node-status[data-status="cached"]', timeout=30_000)
        assert other.locator(f'{node("a")} .oy-value').count() == 0, "up to date, never read: no preview of its own"
        other.click(node("a"), position={"x": 60, "y": 12}, modifiers=["Control", "Shift"])
        shown = other.locator("[data-testid=viewer] [data-testid=viewer-value]")
        shown.wait_for(timeout=30_000)
        assert float(shown.inner_text().split()[-1]) == pytest.approx(float(value), rel=1e-5)  # shown to 6 digits
        assert other.locator("[data-testid=viewer-empty]").count() == 0
    finally:
        other.context.close()


def test_a_selection_becomes_a_subgraph_with_typed_ports_entered_by_a_breadcrumb(
        page: Any) -> None:
    open_template(page)
    own_values(page)
    select(page, "b", "sum")
    page.keyboard.press("Control+Shift+g")
    page.wait_for_function("window.oysterEditor.stats().nodes === 4")  # a, subgraph1, scaled, note
    wf = doc(page)
    (sub,) = wf["subgraphs"]
    assert wf["version"] == 2 and [n["id"] for n in sub["nodes"]] == ["b", "sum"]
    assert sub["inputs"] == [{"name": "a", "to": [{"node": "sum", "port": "a"}]}]
    assert sub["outputs"] == [{"name": "result", "node": "sum", "port": "result"}]
    assert {"from_node": "subgraph1", "from_output": "result", "to_node": "scaled", "to_input": "a"} in wf["links"]
    types = page.locator(f'{node("subgraph1")} .oy-port-type').all_inner_texts()
    assert types == ["Float", "Float"], "its ports have the types of the ports inside"
    page.click("[data-testid=run-button]")
    wait_value(page, "scaled", "70")  # the same result as the flat graph
    page.click(f'{node("subgraph1")} .oy-enter')
    crumb = page.locator("[data-testid=breadcrumb]")
    crumb.wait_for()
    page.wait_for_selector(node("sum"))
    assert stats(page)["nodes"] == 2 and page.evaluate("window.oysterEditor.levels()") == ["subgraph1"]
    page.wait_for_selector(f'{node("sum")} .oy-node-status[data-status]')  # the inner node's run state shows
    field = page.locator(f'{node("b")} [data-param="value"] input')
    field.fill("4")
    field.press("Enter")
    page.click(node("sum"), position={"x": 40, "y": 12})
    page.keyboard.press("n")  # a note inside the subgraph stays with it
    page.wait_for_function("window.oysterEditor.stats().nodes === 3")
    crumb.locator("button", has_text="Arithmetic").click()
    crumb.wait_for(state="detached")
    page.wait_for_selector(node("subgraph1"))
    wf = doc(page)
    assert next(n for n in wf["subgraphs"][0]["nodes"] if n["id"] == "b")["params"]["value"] == 4
    assert len(wf["subgraphs"][0]["notes"]) == 1
    text = saved(page)
    assert parse_text(text).to_json() == text and json.loads(text)["subgraphs"][0]["id"] == "sg1"
    page.click("[data-testid=run-button]")
    wait_value(page, "scaled", "80")
    page.click(node("subgraph1"), position={"x": 40, "y": 12})
    page.keyboard.press("Control+z")  # one history for the whole document: this undoes the note inside
    page.wait_for_function("window.oysterEditor.levels().length === 1 && window.oysterEditor.stats().nodes === 2")


def test_making_a_subgraph_is_one_undo_step(page: Any) -> None:
    open_template(page)
    own_values(page)
    before = doc(page)
    select(page, "b", "sum")
    page.click("[data-testid=subgraph-button]")
    page.wait_for_function("window.oysterEditor.stats().nodes === 4")
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.stats().nodes === 5 && window.oysterEditor.stats().edges === 3")
    after = doc(page)
    assert "subgraphs" not in after and after["links"] == before["links"] and after["nodes"] == before["nodes"]
