"""Editor figures in headless Chromium: first paint, 200- and 500-node loads, panning, the journal's lag.

Starts `oyster serve` on a temporary workspace whose template folder holds generated 200- and 500-node
workflows, opens them from the template gallery and times each step. Prints one JSON object last.

    .venv/bin/python bench/editor.py [--nodes 200] [--large 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oyster_nodes.server import harness

COLUMNS = 10


def big_workflow(count: int) -> dict[str, Any]:
    """Chains of number -> math -> math -> math, laid out on a grid; about `count` nodes."""
    nodes, links = [], []
    chains = max(1, count // 4)
    for c in range(chains):
        x0, y0 = (c % COLUMNS) * 1240, (c // COLUMNS) * 260
        nodes.append({"id": f"n{c}", "type": "core.number", "params": {"value": float(c)},
                      "editor": {"position": [x0, y0]}})
        previous = f"n{c}"
        for k in range(3):
            node_id = f"m{c}_{k}"
            nodes.append({"id": node_id, "type": "core.math", "params": {"operation": "add", "b_value": 1.0},
                          "editor": {"position": [x0 + 310 * (k + 1), y0]}})
            links.append({"from_node": previous, "from_output": "value" if k == 0 else "result",
                          "to_node": node_id, "to_input": "a"})
            previous = node_id
    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": f"{len(nodes)} nodes"},
            "nodes": nodes, "links": links}


def first_paint(browser: Any, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".vue-flow__pane")
    page.wait_for_function("window.oysterEditor && window.oysterEditor.catalogReady")
    ready_ms = (time.perf_counter() - started) * 1000
    paint = page.evaluate("""() => {
        const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint')
        return p ? p.startTime : null
    }""")
    context.close()
    return {"first_paint_ms": paint, "editor_ready_ms": ready_ms}


def load_big(page: Any, nodes: int, template: str = "big.json") -> dict[str, float]:
    """From the click in the gallery until every node is in the model and drawn on the canvas."""
    page.click("[data-testid=templates-button]")
    card = page.locator(f'[data-template="{template}"]')
    card.click(trial=True)  # waits until the gallery has opened and the card holds still; the clock starts at the click
    started = time.perf_counter()
    card.click()
    page.wait_for_function(f"""() => {{
        const s = window.oysterEditor.stats()
        return s.nodes === {nodes} && s.lastLoadMs !== null
            && document.querySelectorAll('.vue-flow__node').length === {nodes}
    }}""", timeout=30_000)
    wall = (time.perf_counter() - started) * 1000
    return {"load_ms": wall, "render_ms": page.evaluate("window.oysterEditor.stats().lastLoadMs")}


def responsiveness(page: Any) -> dict[str, float]:
    """While zooming and dragging a node: frames per second and the longest main-thread task."""
    page.evaluate("""() => {
        window.__longest = 0
        new PerformanceObserver(list => list.getEntries().forEach(e => {
            window.__longest = Math.max(window.__longest, e.duration) })).observe({ entryTypes: ['longtask'] })
    }""")
    zoom_js = """async () => {
        const pane = document.querySelector('.vue-flow__pane')
        const r = pane.getBoundingClientRect()
        const steps = []
        const t0 = performance.now()
        for (let i = 0; i < 30; i++) {
            const s = performance.now()
            pane.dispatchEvent(new WheelEvent('wheel', { deltaY: i < 15 ? -120 : 120, clientX: r.x + r.width / 2,
                clientY: r.y + r.height / 2, bubbles: true }))
            await new Promise(res => requestAnimationFrame(() => requestAnimationFrame(res)))
            steps.push(performance.now() - s)
        }
        steps.sort((a, b) => a - b)
        return { fps: 30 / ((performance.now() - t0) / 1000), median: steps[15], p90: steps[27] }
    }"""
    fps = page.evaluate(zoom_js)  # in across the detail level (bodies are built), then out again
    again = page.evaluate(zoom_js)  # the same once more: bodies seen before are only shown and hidden
    box = page.locator('[data-node-id="m0_0"] .oy-node-header').bounding_box()
    x, y = box["x"] + 10, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=10)
    page.mouse.up()
    page.wait_for_function("window.oysterEditor.stats().undo >= 1")
    undo_ms = page.evaluate("""async () => {
        const t0 = performance.now()
        window.oysterEditor.undo()
        await new Promise(res => requestAnimationFrame(() => requestAnimationFrame(res)))
        return performance.now() - t0
    }""")
    return {"zoom_steps_per_s": fps["fps"], "zoom_step_median_ms": fps["median"], "zoom_step_p90_ms": fps["p90"],
            "zoom_again_step_p90_ms": again["p90"],
            "longest_task_ms": page.evaluate("window.__longest"), "undo_ms": undo_ms}


PAN_JS = """async (steps) => {
    const pane = document.querySelector('.vue-flow__pane')
    const r = pane.getBoundingClientRect()
    let x = r.x + r.width * 0.5, y = r.y + r.height * 0.5
    const frame = () => new Promise(res => requestAnimationFrame(res))
    const fire = (type, target) => target.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, button: 0,
        buttons: type === 'mouseup' ? 0 : 1, bubbles: true, cancelable: true, view: window }))
    fire('mousedown', pane)
    const times = []
    for (let i = 0; i < steps; i++) {
        x += (i % 40 < 20 ? 14 : -14); y += (i % 20 < 10 ? 6 : -6)
        const s = performance.now()
        fire('mousemove', window)
        await frame()
        times.push(performance.now() - s)
    }
    fire('mouseup', window)
    const moved = window.oysterEditor.stats()
    times.sort((a, b) => a - b)
    return { p50: times[Math.floor(steps / 2)], p95: times[Math.floor(steps * 0.95)], zoom: moved.zoom }
}"""


def pan(page: Any, steps: int = 60) -> dict[str, float]:
    """Per-frame time of a pan by mouse drag: each step moves the mouse and waits for the next frame (~16.7 ms idle)."""
    page.evaluate("window.oysterEditor.fitAll()")
    page.wait_for_timeout(300)
    return page.evaluate(PAN_JS, steps)


def journal_lag(page: Any, workspace: Path) -> float:
    """From an edit in a node until the workspace's journal on disk holds it."""
    page.evaluate("window.oysterEditor.focusNode('n0')")
    field = page.locator('[data-node-id="n0"] [data-param="value"] input')
    field.wait_for()
    # as JSON writes it (shortest form: 1234.560 is written 1234.56, which a needle of "1234.560" never finds)
    needle = repr(round(1000 + time.time() % 1000, 3))
    started = time.perf_counter()
    field.fill(needle)
    field.press("Enter")
    folder = workspace / ".oyster" / "autosave"
    while time.perf_counter() - started < 30:  # NaN: not durable within 30 s
        for path in folder.glob("*.json"):
            try:
                if needle in path.read_text():
                    return (time.perf_counter() - started) * 1000
            except OSError:
                pass
        time.sleep(0.005)
    return float("nan")


def run_big(page: Any, nodes: int) -> float:
    started = time.perf_counter()
    page.click("[data-testid=run-button]")
    page.wait_for_function(f"document.querySelectorAll('.oy-status-done, .oy-status-cached').length === {nodes}",
                           timeout=60_000)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--large", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        templates = Path(tmp) / "templates"
        templates.mkdir()
        doc = big_workflow(args.nodes)
        (templates / "big.json").write_text(json.dumps(doc))
        large = big_workflow(args.large)
        (templates / "large.json").write_text(json.dumps(large))
        server = harness.start_server(Path(tmp) / "ws", templates=templates)
        try:
            with sync_playwright() as p:
                browser = harness.launch_chromium(p)
                result = measure(browser, server, len(doc["nodes"]), args.repeat)
                result.update(measure_large(browser, server, len(large["nodes"]), args.repeat))
                browser.close()
        finally:
            server.stop()
    result["load_average_1m"] = os.getloadavg()[0]
    print(json.dumps(result))
    return 0


def measure(browser: Any, server: harness.ServerProcess, nodes: int, repeat: int) -> dict[str, Any]:
    paints = [first_paint(browser, server.url) for _ in range(repeat)]
    loads, feel, runs = [], [], []
    for _ in range(repeat):
        page = harness.open_editor(browser, server.url)
        loads.append(load_big(page, nodes))
        feel.append(responsiveness(page))
        runs.append(run_big(page, nodes))
        page.context.close()

    def med(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rows if r[key] is not None), 1)

    for row in loads:
        print(f"load {nodes} nodes: {row['load_ms']:.0f} ms (render {row['render_ms']:.0f} ms)", file=sys.stderr)
    return {"nodes": nodes, "repeat": repeat, "first_paint_ms": med(paints, "first_paint_ms"),
            "editor_ready_ms": med(paints, "editor_ready_ms"), "load_200_nodes_ms": med(loads, "load_ms"),
            "render_200_nodes_ms": med(loads, "render_ms"), "zoom_steps_per_s": med(feel, "zoom_steps_per_s"),
            "zoom_step_median_ms": med(feel, "zoom_step_median_ms"), "zoom_step_p90_ms": med(feel, "zoom_step_p90_ms"),
            "zoom_again_step_p90_ms": med(feel, "zoom_again_step_p90_ms"),
            "longest_task_ms": med(feel, "longest_task_ms"), "undo_ms": med(feel, "undo_ms"),
            "run_200_nodes_ms": round(statistics.median(runs), 1)}


def large_once(browser: Any, server: harness.ServerProcess, nodes: int) -> tuple[dict[str, float], dict[str, float], float]:
    page = harness.open_editor(browser, server.url)
    try:
        return load_big(page, nodes, "large.json"), pan(page), journal_lag(page, server.workspace)
    finally:
        page.context.close()


def measure_large(browser: Any, server: harness.ServerProcess, nodes: int, repeat: int) -> dict[str, Any]:
    from playwright.sync_api import Error as PlaywrightError

    loads, pans, lags = [], [], []
    retries = 0
    for _ in range(repeat):
        for attempt in range(3):
            try:
                load, p, lag = large_once(browser, server, nodes)
                break
            except PlaywrightError as exc:  # a starved server's page reloads itself: measure that repeat again
                retries += 1
                print(f"repeat interrupted ({str(exc).splitlines()[0][:80]}); again", file=sys.stderr)
                if attempt == 2:
                    raise
        loads.append(load)
        pans.append(p)
        lags.append(lag)
    for row, p, lag in zip(loads, pans, lags, strict=True):
        print(f"load {nodes} nodes: {row['load_ms']:.0f} ms; pan p50 {p['p50']:.1f} p95 {p['p95']:.1f} ms; "
              f"journal {lag:.0f} ms", file=sys.stderr)
    return {"large_nodes": nodes, "load_500_nodes_ms": round(statistics.median(r["load_ms"] for r in loads), 1),
            "pan_500_p50_ms": round(statistics.median(p["p50"] for p in pans), 1),
            "pan_500_p95_ms": round(statistics.median(p["p95"] for p in pans), 1),
            "journal_lag_ms": round(statistics.median(lags), 1), "large_retries": retries,
            "runs": {"load_500_nodes_ms": [round(r["load_ms"]) for r in loads],
                     "pan_500_p95_ms": [round(p["p95"], 1) for p in pans], "journal_lag_ms": [round(x, 1) for x in lags]}}


if __name__ == "__main__":
    sys.exit(main())
