"""Screenshots of the editor for the README, taken in headless Chromium: docs/editor*.png.

    .venv/bin/python scripts/screenshots.py [--template workflows/forest_dawn_still.json] [--out docs]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from oyster_nodes.server import harness
from oyster_nodes.server.options import REPO_ROOT

SIZE = {"width": 1600, "height": 900}
ARITHMETIC = REPO_ROOT / "tests" / "ui" / "templates" / "arithmetic.json"


def drop(page: Any, name: str, doc: dict[str, Any]) -> None:
    harness.drop_file(page, name, doc)
    first = doc["nodes"][0]["id"]
    page.wait_for_selector(f'[data-node-id="{first}"]')
    page.wait_for_timeout(400)


def run(page: Any, node_id: str, timeout_ms: int) -> None:
    page.click("[data-testid=run-button]")
    page.wait_for_selector(f'[data-node-id="{node_id}"] .oy-node-status[data-status="done"], '
                           f'[data-node-id="{node_id}"] .oy-node-status[data-status="error"]', timeout=timeout_ms)
    page.wait_for_timeout(800)
    page.locator(".q-notification").last.wait_for(state="detached", timeout=15_000)


def studio(page: Any, template: Path, out: Path) -> None:
    """A real workflow from prompt to picture, run, with its previews."""
    doc = json.loads(template.read_text())
    drop(page, template.name, doc)
    last = doc["nodes"][-1]["id"]
    run(page, last, timeout_ms=600_000)
    page.click(".oy-toolbar button[title^='Fit']")
    page.wait_for_timeout(600)
    page.screenshot(path=str(out / "editor.png"))


def refusal(page: Any, out: Path) -> None:
    """A Text output dragged onto a Float input: refused while dragging, with the reason."""
    drop(page, "arithmetic.json", json.loads(ARITHMETIC.read_text()))
    page.fill(".oy-search", "text")
    page.click('.oy-palette-item[data-type="core.text"]')
    page.fill(".oy-search", "")
    page.wait_for_selector('[data-node-id="text1"]')
    source = page.locator('.vue-flow__handle[data-nodeid="text1"][data-handleid="out:text"]').bounding_box()
    target = page.locator('.vue-flow__handle[data-nodeid="scaled"][data-handleid="in:b"]').bounding_box()
    page.mouse.move(source["x"] + 5, source["y"] + 5)
    page.mouse.down()
    page.mouse.move(target["x"] + 5, target["y"] + 5, steps=12)
    page.wait_for_selector(".oy-refusal")
    page.screenshot(path=str(out / "editor-refused.png"))
    page.mouse.up()


def failure(page: Any, out: Path) -> None:
    """A division by zero: the failing node says why and how to fix it; the side panel links to it."""
    doc = json.loads(ARITHMETIC.read_text())
    scaled = next(n for n in doc["nodes"] if n["id"] == "scaled")
    scaled["params"] = {"operation": "divide", "b_value": 0.0}
    drop(page, "arithmetic.json", doc)
    run(page, "scaled", timeout_ms=30_000)
    page.screenshot(path=str(out / "editor-error.png"))


EMPTY_SPOT_JS = """(fy) => {
    const r = document.querySelector('.vue-flow').getBoundingClientRect()
    for (let fx = 0.55; fx > 0.1; fx -= 0.03) {
        const x = r.left + r.width * fx, y = r.top + r.height * fy
        if (document.elementFromPoint(x, y)?.classList.contains('vue-flow__pane')) return [x, y]
    }
    return [r.left + 40, r.top + r.height * fy]
}"""


def quick_add(page: Any, out: Path) -> None:
    """Double-click on the canvas: search opens at the cursor; a template's title ("Orbit") finds its node."""
    drop(page, "arithmetic.json", json.loads(ARITHMETIC.read_text()))
    page.wait_for_timeout(600)
    page.mouse.dblclick(*page.evaluate(EMPTY_SPOT_JS, 0.62))
    try:
        page.wait_for_selector("[data-testid=quick-add]", timeout=3000)
    except Exception:
        page.screenshot(path="/tmp/quick-add-failed.png")
        raise
    page.keyboard.type("orbit")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "editor-quick-add.png"))


def wire_search(page: Any, out: Path) -> None:
    """A wire dropped on empty canvas: search narrowed to the nodes it can feed."""
    drop(page, "arithmetic.json", json.loads(ARITHMETIC.read_text()))
    page.wait_for_timeout(600)
    box = page.locator('.vue-flow__handle[data-nodeid="scaled"][data-handleid="out:result"]').bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    x, y = page.evaluate(EMPTY_SPOT_JS, 0.66)
    page.mouse.move(x, y, steps=12)
    page.mouse.up()
    page.wait_for_selector("[data-testid=quick-add]")
    page.wait_for_timeout(300)
    page.screenshot(path=str(out / "editor-wire-search.png"))


def large(page: Any, out: Path) -> None:
    """500 nodes at fit-all zoom after a run with one failure: states readable, the minimap coloured."""
    sys.path.insert(0, str(REPO_ROOT / "bench"))
    from editor import big_workflow  # bench/editor.py's generator

    doc = big_workflow(500)
    bad = next(n for n in doc["nodes"] if n["id"] == "m64_1")
    bad["params"] = {"operation": "divide", "b_value": 0.0}
    drop(page, "large.json", doc)
    page.click("[data-testid=run-button]")
    page.wait_for_selector('[data-node-id="m64_1"] .oy-far-status[data-status="error"]', timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(out / "editor-large.png"))


def history_levels(page: Any, out: Path) -> None:
    """Back at the workflow after an edit inside a subgraph: the history names each step with its level."""
    drop(page, "arithmetic.json", json.loads(ARITHMETIC.read_text()))
    page.click('[data-node-id="b"]', position={"x": 40, "y": 12})
    page.click('[data-node-id="sum"]', position={"x": 40, "y": 12}, modifiers=["Control"])
    page.keyboard.press("Control+Shift+g")
    page.click('[data-node-id="subgraph1"] .oy-enter')
    field = page.locator('[data-node-id="b"] [data-param="value"] input')
    field.fill("7")
    field.press("Enter")
    page.locator("[data-testid=breadcrumb] button").first.click()
    page.wait_for_selector('[data-node-id="subgraph1"]')
    page.click("[data-testid=history-button]")
    page.wait_for_timeout(600)
    page.screenshot(path=str(out / "editor-history-subgraph.png"))


def shortcuts(page: Any, out: Path) -> None:
    drop(page, "arithmetic.json", json.loads(ARITHMETIC.read_text()))
    page.click("[data-testid=shortcuts-button]")
    page.wait_for_selector("[data-testid=shortcut-sheet]")
    page.screenshot(path=str(out / "editor-shortcuts.png"))


def gallery(page: Any, out: Path) -> None:
    page.click("[data-testid=templates-button]")
    page.wait_for_selector(".oy-template")
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / "editor-templates.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=REPO_ROOT / "workflows" / "forest_dawn_still.json")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs")
    parser.add_argument("--only", nargs="*", default=None, help="shots to take (default: all), e.g. quick_add large")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = harness.start_server(Path(tmp), templates=REPO_ROOT / "workflows")
        try:
            with sync_playwright() as p:
                browser = harness.launch_chromium(p)
                shots = {"studio": lambda pg: studio(pg, args.template, args.out),
                         **{f.__name__: (lambda pg, f=f: f(pg, args.out))
                            for f in (refusal, failure, gallery, quick_add, wire_search, large, history_levels, shortcuts)}}
                for name, shot in shots.items():
                    if args.only is not None and name not in args.only:
                        continue
                    page = harness.open_editor(browser, server.url, **SIZE)
                    shot(page)
                    page.context.close()
                browser.close()
        finally:
            server.stop()
    for png in sorted(args.out.glob("editor*.png")):
        print(png.relative_to(REPO_ROOT) if png.is_relative_to(REPO_ROOT) else png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
