"""What a person does in the editor, as Playwright steps the tests share."""

from __future__ import annotations

import json
from typing import Any


def handle(node: str, kind: str, port: str) -> str:
    return f'.vue-flow__handle[data-nodeid="{node}"][data-handleid="{kind}:{port}"]'


def node(node_id: str) -> str:
    return f'[data-node-id="{node_id}"]'


def stats(page: Any) -> dict[str, Any]:
    return page.evaluate("window.oysterEditor.stats()")


def doc(page: Any) -> dict[str, Any]:
    return page.evaluate("window.oysterEditor.getDoc()")


def open_template(page: Any, name: str = "arithmetic.json", first_node: str = "scaled") -> None:
    page.click("[data-testid=templates-button]")
    page.click(f'[data-template="{name}"]')
    page.wait_for_selector(node(first_node))
    page.wait_for_function("window.oysterEditor.stats().lastLoadMs !== null")
    page.wait_for_selector(".q-dialog__backdrop", state="detached")


def centre(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not visible"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, source: str, target: str, *, release: bool = True) -> None:
    """Press on source, move in steps onto target (like a hand would), optionally let go."""
    x0, y0 = centre(page, source)
    x1, y1 = centre(page, target)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=8)
    page.mouse.move(x1, y1, steps=8)
    if release:
        page.mouse.up()


def add_node(page: Any, query: str, type_name: str) -> str:
    """Search the palette and add the matching node; returns the new node's id."""
    before = {n["id"] for n in doc(page)["nodes"]}
    page.fill(".oy-search", query)
    page.click(f'.oy-palette-item[data-type="{type_name}"]')
    page.fill(".oy-search", "")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.length === {len(before) + 1}")
    (new,) = {n["id"] for n in doc(page)["nodes"]} - before
    return new


def run_and_wait(page: Any, node_id: str, status: str = "done", timeout: float = 30_000) -> None:
    page.click("[data-testid=run-button]")
    page.wait_for_selector(f'{node(node_id)} .oy-node-status[data-status="{status}"]', timeout=timeout)


def upload_json(page: Any, name: str, data: dict[str, Any]) -> None:
    page.click("[data-testid=open-button]")
    page.locator("[data-testid=upload] input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/json", "buffer": json.dumps(data).encode()})


def minimap_pixel(page: Any, node_id: str) -> list[int]:
    """The colour the minimap canvas shows at a node's centre."""
    return page.evaluate("""(id) => {
        const p = window.oysterEditor.minimapPoint(id)
        const canvas = document.querySelector('[data-testid=minimap]')
        const ratio = canvas.width / canvas.clientWidth
        const d = canvas.getContext('2d').getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data
        return [d[0], d[1], d[2]]
    }""", node_id)
