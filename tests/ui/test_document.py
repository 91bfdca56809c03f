"""The document is the truth: save, download and run serialise the editor's model, never the canvas."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from oyster_nodes.server.harness import ServerProcess, drop_file

from .actions import doc, node, stats


def chains(count: int, name: str) -> dict[str, Any]:
    """Chains of number -> math -> math spread over a wide grid: most of it is off screen when zoomed in."""
    nodes, links = [], []
    for c in range(count // 3):
        x0, y0 = (c % 5) * 1100, (c // 5) * 420
        nodes.append({"id": f"n{c}", "type": "core.number", "params": {"value": float(c)},
                      "editor": {"position": [x0, y0]}})
        nodes += [{"id": f"m{c}_{k}", "type": "core.math", "params": {"operation": "add", "b_value": 1.0},
                   "editor": {"position": [x0 + 330 * (k + 1), y0]}} for k in range(2)]
        links += [{"from_node": f"n{c}", "from_output": "value", "to_node": f"m{c}_0", "to_input": "a"},
                  {"from_node": f"m{c}_0", "from_output": "result", "to_node": f"m{c}_1", "to_input": "a"}]
    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": name}, "nodes": nodes, "links": links}


def load(page: Any, data: dict[str, Any], first: str) -> None:
    drop_file(page, f"{data['metadata']['name']}.json", data)
    page.wait_for_selector(node(first))
    page.wait_for_function("window.oysterEditor.stats().lastLoadMs !== null")


def saved_text(server: ServerProcess, name: str, after: float = 0.0) -> str:
    path = server.workspace / "saved" / f"{name}.json"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_mtime > after:
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written")


def edit_param(page: Any, node_id: str, param: str, value: str) -> None:
    page.evaluate(f"window.oysterEditor.focusNode('{node_id}')")
    field = page.locator(f'{node(node_id)} [data-param="{param}"] input')
    field.fill(value)
    field.press("Enter")


def test_zoomed_in_edit_of_a_60_node_graph_saves_all_60(page: Any, server: ServerProcess) -> None:
    load(page, chains(60, "sixty"), "n0")
    page.evaluate("window.oysterEditor.focusNode('m0_0')")  # zoomed in: most nodes are off screen
    page.wait_for_function("window.oysterEditor.stats().shown < 60")
    edit_param(page, "m0_0", "b_value", "4.5")
    page.wait_for_function("window.oysterEditor.getDoc().nodes.find(n => n.id === 'm0_0').params.b_value === 4.5")
    page.click("[data-testid=save-button]")
    saved = json.loads(saved_text(server, "sixty"))
    assert len(saved["nodes"]) == 60 and len(saved["links"]) == 40
    assert next(n for n in saved["nodes"] if n["id"] == "m0_0")["params"]["b_value"] == 4.5
    autosave = max((server.workspace / ".oyster" / "autosave").glob("*.json"), key=lambda p: p.stat().st_mtime)
    assert len(json.loads(autosave.read_text())["nodes"]) == 60


def test_an_unknown_nodes_links_and_values_survive_an_edit(page: Any, server: ServerProcess) -> None:
    data = chains(6, "unknown")
    data["nodes"].append({"id": "mystery", "type": "elsewhere.thing", "params": {"knob": 7, "mode": "odd"},
                          "editor": {"position": [1000, 0]}})
    data["links"] += [{"from_node": "m0_1", "from_output": "result", "to_node": "mystery", "to_input": "x"},
                      {"from_node": "mystery", "from_output": "y", "to_node": "m1_0", "to_input": "b"}]
    load(page, data, "mystery")
    for kind, port in (("in", "x"), ("out", "y")):  # the links are drawn, to sockets named as in the file
        page.wait_for_selector(f'.vue-flow__handle[data-nodeid="mystery"][data-handleid="{kind}:{port}"]')
    page.wait_for_selector('.vue-flow__edge[data-id="m0_1.result->mystery.x"]')
    edit_param(page, "m0_0", "b_value", "2")  # an unrelated edit
    page.wait_for_function("window.oysterEditor.getDoc().nodes.find(n => n.id === 'm0_0').params.b_value === 2")
    page.click("[data-testid=save-button]")
    saved = json.loads(saved_text(server, "unknown"))
    mystery = next(n for n in saved["nodes"] if n["id"] == "mystery")
    assert mystery["type"] == "elsewhere.thing" and mystery["params"] == {"knob": 7, "mode": "odd"}
    assert {"from_node": "m0_1", "from_output": "result", "to_node": "mystery", "to_input": "x"} in saved["links"]
    assert {"from_node": "mystery", "from_output": "y", "to_node": "m1_0", "to_input": "b"} in saved["links"]


def test_saving_twice_and_delete_undo_give_byte_identical_json(page: Any, server: ServerProcess) -> None:
    load(page, chains(9, "twice"), "m1_0")
    page.click("[data-testid=save-button]")
    first = saved_text(server, "twice")
    stamp = (server.workspace / "saved" / "twice.json").stat().st_mtime
    time.sleep(0.05)
    page.click(node("m1_0"), position={"x": 40, "y": 12})
    page.keyboard.press("Delete")
    page.wait_for_function("window.oysterEditor.stats().nodes === 8")
    page.keyboard.press("Control+z")
    page.wait_for_function("window.oysterEditor.stats().nodes === 9 && window.oysterEditor.stats().edges === 6")
    assert [n["id"] for n in doc(page)["nodes"]] == [n["id"] for n in json.loads(first)["nodes"]]
    page.click("[data-testid=save-button]")
    assert saved_text(server, "twice", after=stamp) == first
    assert stats(page)["nodes"] == 9


def test_download_serialises_the_model(page: Any, tmp_path: Path) -> None:
    load(page, chains(60, "download me"), "n0")
    page.evaluate("window.oysterEditor.focusNode('n0')")
    edit_param(page, "n0", "value", "9")
    page.wait_for_function("window.oysterEditor.getDoc().nodes[0].params.value === 9")
    with page.expect_download() as info:
        page.click("[data-testid=download-button]")
    target = tmp_path / "d.json"
    info.value.save_as(target)
    data = json.loads(target.read_text())
    assert len(data["nodes"]) == 60 and data["nodes"][0]["params"]["value"] == 9
