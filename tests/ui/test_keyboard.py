"""Keyboard and screen readers: Tab between nodes, Enter into parameters, the `?` sheet, names on every control."""

from __future__ import annotations

from typing import Any

from .actions import add_node, doc, node, open_template

CONTROL_ROLES = {"button", "textbox", "searchbox", "combobox", "checkbox", "slider", "spinbutton", "link", "menuitem",
                 "option", "radio", "switch", "tab", "listbox"}


def focused(page: Any) -> str | None:
    return page.evaluate("document.activeElement?.closest('.vue-flow__node')?.dataset.id ?? null")


def start_on_canvas(page: Any) -> None:
    page.evaluate("document.activeElement?.blur()")
    page.mouse.click(*page.evaluate("""() => { const r = document.querySelector('.vue-flow').getBoundingClientRect()
        return [r.left + 30, r.bottom - 60] }"""))


def test_tab_moves_between_nodes_in_file_order_and_enter_opens_parameters(page: Any) -> None:
    open_template(page)
    start_on_canvas(page)
    order = [n["id"] for n in doc(page)["nodes"]]
    page.keyboard.press("Tab")
    assert focused(page) == order[0]
    page.keyboard.press("Tab")
    assert focused(page) == order[1]
    assert page.locator(f".vue-flow__node.selected {node(order[1])}").count() == 1
    page.keyboard.press("Shift+Tab")
    assert focused(page) == order[0]
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.closest('[data-param]')?.dataset.param === 'value'")
    page.keyboard.press("Escape")  # out of the field, back to its node
    page.wait_for_function(f"document.activeElement.dataset.id === '{order[0]}'")
    x0 = doc(page)["nodes"][0]["editor"]["position"][0]
    page.keyboard.press("ArrowRight")  # the selected node moves, in the model and as one undo step
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes[0].editor.position[0] === {x0 + 10}")
    page.keyboard.press("Control+z")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes[0].editor.position[0] === {x0}")


def test_question_mark_shows_the_shortcut_sheet(page: Any) -> None:
    open_template(page)
    start_on_canvas(page)
    page.keyboard.press("?")
    sheet = page.locator("[data-testid=shortcut-sheet]")
    sheet.wait_for()
    text = sheet.inner_text()
    for expected in ("Tab", "Enter", "Shift+A", "Ctrl+Z", "lay out"):
        assert expected in text
    page.keyboard.press("Escape")
    sheet.wait_for(state="detached")
    page.click("[data-testid=shortcuts-button]")
    sheet.wait_for()


def unnamed_controls(page: Any) -> list[str]:
    """Every interactive node of the page's accessibility tree without a proper name (or named by an icon)."""
    ligatures = set(page.evaluate("[...document.querySelectorAll('.material-icons')].map(e => e.textContent.trim())"))
    cdp = page.context.new_cdp_session(page)
    tree = cdp.send("Accessibility.getFullAXTree")["nodes"]
    bad = []
    for ax in tree:
        role = (ax.get("role") or {}).get("value")
        if role not in CONTROL_ROLES or ax.get("ignored"):
            continue
        name = ((ax.get("name") or {}).get("value") or "").strip()
        icon_named = role in ("button", "link", "menuitem") and name in ligatures
        code_named = role != "option" and "_" in name  # a raw parameter name, not words
        if not name or icon_named or code_named or len(name) == 1 and not name.isalnum():
            bad.append(f"{role} named {name!r} (backend node {ax.get('backendDOMNodeId')})")
    return bad


def test_every_control_on_the_page_has_an_accessible_name(page: Any) -> None:
    open_template(page)
    add_node(page, "widget demo", "uitest.widgets")  # every kind of parameter widget
    page.click("[data-testid=shortcuts-button]")
    page.locator("[data-testid=shortcut-sheet]").wait_for()
    assert unnamed_controls(page) == []
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+A")
    page.locator("[data-testid=quick-add]").wait_for()
    assert unnamed_controls(page) == []
