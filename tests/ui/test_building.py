"""Fast building, driven as a user would: search at the cursor, wires dropped on the canvas, nodes dropped on
wires, lit sockets while dragging, room for new nodes, and auto-layout."""

from __future__ import annotations

from typing import Any

from oyster_nodes.server.harness import drop_file

from .actions import add_node, centre, doc, drag, handle, node, open_template, stats


def empty_spot(page: Any) -> tuple[float, float]:
    """A point of the canvas showing only the pane (no node, wire, panel or minimap)."""
    return page.evaluate("""() => {
        const r = document.querySelector('.vue-flow').getBoundingClientRect()
        for (let fy = 0.9; fy > 0.1; fy -= 0.05) for (let fx = 0.1; fx < 0.6; fx += 0.05) {
            const x = r.left + r.width * fx, y = r.top + r.height * fy
            const hit = document.elementFromPoint(x, y)
            if (hit && hit.classList.contains('vue-flow__pane')) {
                const near = [-60, 0, 60].every(d => document.elementFromPoint(x + d * 2, y + d)?.classList
                    .contains('vue-flow__pane'))
                if (near) return [x, y]
            }
        }
        throw new Error('no empty spot')
    }""")


def quick_items(page: Any) -> list[str]:
    return page.locator("[data-testid=quick-add] .oy-quickadd-item").evaluate_all("els => els.map(e => e.dataset.type)")


def search(page: Any, text: str) -> list[str]:
    page.keyboard.type(text)
    page.wait_for_function(f"""document.querySelector('[data-testid=quick-add] input').value === {text!r}""")
    return quick_items(page)


def test_double_click_opens_ranked_search_at_the_cursor_and_adds_there(page: Any) -> None:
    open_template(page)
    x, y = empty_spot(page)
    page.mouse.dblclick(x, y)
    box = page.locator("[data-testid=quick-add]")
    box.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('oy-quickadd-input')")
    placed = box.bounding_box()
    assert abs(placed["x"] - x) < 4 and placed["y"] <= y + 4  # at the cursor (raised near the bottom edge)
    before = stats(page)["zoom"]
    items = search(page, "camera")
    assert items[0].startswith("camera."), items  # titles starting with the word first, not Ambience audio
    assert stats(page)["zoom"] == before  # the double-click opened search instead of zooming
    page.keyboard.press("Control+a")
    items = search(page, "orbit")  # a template's title for camera.preset
    assert items[0] == "camera.preset", items
    page.keyboard.press("Control+a")
    assert search(page, "read prompt")[0] == "prompt.to_spec"
    page.keyboard.press("Control+a")
    assert search(page, "core.math")[0] == "core.math"
    target = page.evaluate(f"window.oysterEditor.screenToFlow({x}, {y})")
    page.keyboard.press("Enter")
    page.wait_for_function("window.oysterEditor.stats().nodes === 6")
    added = doc(page)["nodes"][-1]
    assert added["type"] == "core.math"
    assert abs(added["editor"]["position"][0] - target["x"]) < 5 and abs(added["editor"]["position"][1] - target["y"]) < 5


def test_ranking_is_exact_then_prefix_then_word_then_fuzzy(page: Any) -> None:
    open_template(page)
    page.mouse.move(*empty_spot(page))
    page.keyboard.press("Shift+A")
    page.locator("[data-testid=quick-add]").wait_for()
    assert search(page, "math")[0] == "core.math"  # exact type name part
    page.keyboard.press("Control+a")
    items = search(page, "cmra")  # only a fuzzy match
    assert items and all(t.startswith("camera.") for t in items[:3]), items
    page.keyboard.press("Escape")
    page.locator("[data-testid=quick-add]").wait_for(state="detached")
    page.fill(".oy-search", "camera")  # the palette ranks the same way
    first = page.locator(".oy-palette-item").first.get_attribute("data-type")
    assert first is not None and first.startswith("camera."), first


def test_a_wire_dropped_on_the_canvas_offers_compatible_nodes_and_connects(page: Any) -> None:
    open_template(page)
    x, y = empty_spot(page)
    x0, y0 = centre(page, handle("scaled", "out", "result"))
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x) / 2, (y0 + y) / 2, steps=6)
    page.mouse.move(x, y, steps=6)
    page.mouse.up()
    page.locator("[data-testid=quick-add]").wait_for()
    assert "result (Float)" in page.locator(".oy-quickadd-title").inner_text()
    catalog = page.evaluate("window.oysterEditor.catalog()")
    for t in quick_items(page):  # every offer has an input a Float can feed
        assert any(p.get("any") or catalog["compat"]["Float"].get(p["type"], "no") is None
                   for p in catalog["nodes"][t]["inputs"]), t
    assert "core.text" not in search(page, "text")
    page.keyboard.press("Control+a")
    search(page, "math")
    page.keyboard.press("Enter")
    page.wait_for_function("window.oysterEditor.stats().nodes === 6 && window.oysterEditor.stats().edges === 4")
    new = doc(page)["nodes"][-1]["id"]
    assert {"from_node": "scaled", "from_output": "result", "to_node": new, "to_input": "a"} in doc(page)["links"]
    page.keyboard.press("Control+z")  # adding and connecting is one step
    page.wait_for_function("window.oysterEditor.stats().nodes === 5 && window.oysterEditor.stats().edges === 3")


def test_compatible_sockets_light_up_while_a_wire_is_dragged(page: Any) -> None:
    open_template(page)
    text = add_node(page, "text", "core.text")
    drag(page, handle("a", "out", "value"), f'{node("sum")} .oy-node-title', release=False)
    fits = page.locator(".oy-socket-fits").evaluate_all("els => els.map(e => e.dataset.nodeid + ':' + e.dataset.handleid)")
    dim = page.locator(".oy-socket-dim").evaluate_all("els => els.map(e => e.dataset.nodeid + ':' + e.dataset.handleid)")
    page.mouse.up()
    assert "scaled:in:b" in fits and "sum:in:b" in fits
    assert any(d.startswith(f"{text}:") for d in dim) and "b:out:value" in dim
    assert page.locator(".oy-socket-fits, .oy-socket-dim").count() == 0


def test_a_node_dropped_on_a_wire_is_inserted_into_it(page: Any) -> None:
    open_template(page)
    new = add_node(page, "math", "core.math")
    wire = page.evaluate("""() => {
        const path = document.querySelector('.vue-flow__edge[data-id="sum.result->scaled.a"] path.vue-flow__edge-path')
        const p = path.getPointAtLength(path.getTotalLength() / 2)
        const m = path.getScreenCTM()
        return [p.x * m.a + m.e, p.y * m.d + m.f]
    }""")
    header = page.locator(f'{node(new)} .oy-node-title').bounding_box()
    x0, y0 = header["x"] + 20, header["y"] + header["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(wire[0], wire[1], steps=12)
    page.mouse.up()
    page.wait_for_function(f"""window.oysterEditor.getDoc().links.some(l => l.to_node === '{new}')""")
    links = doc(page)["links"]
    assert {"from_node": "sum", "from_output": "result", "to_node": new, "to_input": "a"} in links
    assert {"from_node": new, "from_output": "result", "to_node": "scaled", "to_input": "a"} in links
    assert not any(lk["from_node"] == "sum" and lk["to_node"] == "scaled" for lk in links)
    page.keyboard.press("Control+z")  # the move and the insertion are one step
    page.wait_for_function("window.oysterEditor.getDoc().links.some(l => l.from_node === 'sum' && l.to_node === 'scaled')")


def test_nodes_added_from_the_palette_get_room_of_their_own(page: Any) -> None:
    open_template(page)
    ids = [add_node(page, "number", "core.number") for _ in range(3)]
    boxes = [page.locator(node(i)).bounding_box() for i in ids]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (a, b)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def scrambled() -> dict[str, Any]:
    spots = [[600, 400], [0, 300], [300, 0], [900, 50], [100, 800], [700, 700]]
    ids = ["a", "b", "c", "d", "e", "f"]
    nodes = [{"id": i, "type": "core.math", "params": {}, "editor": {"position": p}} for i, p in zip(ids, spots, strict=True)]
    links = [{"from_node": s, "from_output": "result", "to_node": t, "to_input": "a"}
             for s, t in (("a", "b"), ("b", "c"), ("c", "d"), ("a", "e"), ("e", "f"))]
    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": "tangle"}, "nodes": nodes, "links": links}


def test_auto_layout_orders_wires_left_to_right_without_overlaps_in_one_undo(page: Any) -> None:
    drop_file(page, "tangle.json", scrambled())
    page.wait_for_selector(node("f"))
    before = {n["id"]: n["editor"]["position"] for n in doc(page)["nodes"]}
    page.click("[data-testid=layout-button]")
    page.wait_for_function("window.oysterEditor.stats().undo === 1")
    page.wait_for_timeout(400)
    after = {n["id"]: n["editor"]["position"] for n in doc(page)["nodes"]}
    for link in doc(page)["links"]:
        assert after[link["from_node"]][0] < after[link["to_node"]][0], link
    boxes = [page.locator(node(i)).bounding_box() for i in after]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b)
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.stats().undo === 0")
    assert {n["id"]: n["editor"]["position"] for n in doc(page)["nodes"]} == before
