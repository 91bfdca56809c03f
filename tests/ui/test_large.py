"""Large graphs: every node is loaded and drawn, and at fit-all zoom states stay readable, on the minimap too."""

from __future__ import annotations

from typing import Any

from oyster_nodes.server.harness import drop_file

from .actions import minimap_pixel, node
from .test_document import chains


def run_ninety_with_a_failure(page: Any) -> Any:
    """Drop 90 chained nodes of which m4_0 divides by zero, run them, and return m4_0's far-zoom error label."""
    data = chains(90, "ninety")
    bad = next(n for n in data["nodes"] if n["id"] == "m4_0")
    bad["params"] = {"operation": "divide", "b_value": 0.0}
    drop_file(page, "90.json", data)
    page.wait_for_selector(node("m4_0"))
    page.click("[data-testid=run-button]")
    label = page.locator(f'{node("m4_0")} .oy-far-status[data-status="error"]')
    label.wait_for(timeout=30_000)
    return label


def test_500_nodes_are_all_loaded_and_drawn(page: Any) -> None:
    data = chains(501, "five hundred")
    drop_file(page, "500.json", data)
    page.wait_for_function("""() => window.oysterEditor.stats().nodes === 501 && window.oysterEditor.stats().lastLoadMs
        !== null && document.querySelectorAll('.vue-flow__node').length === 501""", timeout=30_000)
    assert page.evaluate("window.oysterEditor.getDoc().nodes.length") == 501
    assert page.locator(".oy-tiny").count() == 1  # fit-all zoom draws nodes as plain blocks


def test_a_failure_reads_at_fit_all_zoom_and_the_minimap_shows_states(page: Any) -> None:
    label = run_ninety_with_a_failure(page)
    assert page.evaluate("window.oysterEditor.stats().zoom") < 0.22
    assert label.inner_text().lower() == "error"
    assert label.evaluate("e => parseFloat(getComputedStyle(e).fontSize) * window.oysterEditor.stats().zoom") >= 11
    page.wait_for_selector(f'{node("m0_0")} .oy-far-status[data-status="done"]')
    page.wait_for_timeout(100)  # the minimap draws on the next frame
    assert minimap_pixel(page, "m4_0") == [229, 83, 75]  # #e5534b, error
    assert minimap_pixel(page, "m0_0") == [76, 175, 125]  # #4caf7d, done


def test_the_minimap_is_one_canvas_that_pans_the_view(page: Any) -> None:
    drop_file(page, "90.json", chains(90, "ninety"))
    page.wait_for_function("document.querySelectorAll('.vue-flow__node').length === 90")
    page.wait_for_timeout(200)
    assert page.locator(".vue-flow__minimap svg, .vue-flow__minimap-node").count() == 0
    assert minimap_pixel(page, "m0_0") == [91, 98, 112]  # #5b6270: not run yet
    before = page.evaluate("window.oysterEditor.stats().zoom")
    box = page.locator("[data-testid=minimap]").bounding_box()
    view = page.evaluate("() => { const t = document.querySelector('.vue-flow__transformationpane').style.transform; "
                         "return t }")
    # a click at the map's left edge centres the view there: the view moves, the zoom stays
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] / 2)
    page.wait_for_function("(t) => document.querySelector('.vue-flow__transformationpane').style.transform !== t",
                           arg=view)
    assert page.evaluate("window.oysterEditor.stats().zoom") == before
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -240)
    page.wait_for_function("(z) => window.oysterEditor.stats().zoom > z", arg=before)


def test_the_detail_level_switches_with_zoom_and_panning_keeps_it(page: Any) -> None:
    badge = run_ninety_with_a_failure(page)
    # fit-all: light boxes, no parameter widget anywhere, the failure a legible "error" over the whole node
    assert page.locator(".oy-editor.oy-tiny").count() == 1
    assert page.locator(".oy-param").count() == 0
    assert badge.inner_text().lower() == "error"
    zoom = page.evaluate("window.oysterEditor.stats().zoom")
    px = badge.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") * zoom
    assert px >= 11, f"the error badge is {px:.1f} px on screen"
    badge_box, node_box = badge.bounding_box(), page.locator(node("m4_0")).bounding_box()
    assert badge_box["width"] >= node_box["width"] * 0.9
    # while the view pans, nodes and wires take no pointer hits (nothing to hover), and after it they do again
    pane = page.locator(".vue-flow__pane").bounding_box()
    x, y = pane["x"] + pane["width"] * 0.5, pane["y"] + pane["height"] * 0.9
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 10, steps=4)
    events = page.evaluate("getComputedStyle(document.querySelector('.vue-flow__node')).pointerEvents")
    page.mouse.up()
    assert events == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.vue-flow__node')).pointerEvents") != "none"
    # up close: full widgets, the header states the failure, and no far-zoom overlay
    page.evaluate("window.oysterEditor.focusNode('m4_0')")
    page.wait_for_selector(f'{node("m4_0")} .oy-param')
    assert page.locator(".oy-editor.oy-far").count() == 0
    assert page.locator(f'{node("m4_0")} .oy-far-status').count() == 0
    assert page.locator(f'{node("m4_0")} .oy-node-status').inner_text() == "error"


def test_a_node_of_its_own_colour_keeps_it_on_its_header(page: Any) -> None:
    data = chains(6, "coloured")
    data["nodes"][1]["editor"]["color"] = "#ff00aa"
    drop_file(page, "coloured.json", data)
    page.wait_for_selector(node("m0_0"))
    header = "e => getComputedStyle(e.querySelector('.oy-node-header')).borderTopColor"
    assert page.locator(node("m0_0")).evaluate(header) == "rgb(255, 0, 170)"
    assert page.locator(node("m0_1")).evaluate(header) != "rgb(255, 0, 170)"
