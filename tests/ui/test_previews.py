"""Previews of rendered images (with their passes) and the parameter widgets of the studio's nodes."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from .actions import node, run_and_wait

NEEDED = ("prompt.text", "prompt.to_spec", "world.generate", "render.image")


def tiny_still() -> dict[str, Any]:
    def ref(node_id: str, type_name: str, x: int, **params: Any) -> dict[str, Any]:
        return {"id": node_id, "type": type_name, "params": params, "editor": {"position": [x, 0]}}

    def link(a: str, out: str, b: str, inp: str) -> dict[str, str]:
        return {"from_node": a, "from_output": out, "to_node": b, "to_input": inp}

    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": "Tiny still"},
            "nodes": [ref("prompt", "prompt.text", 0, text="rolling hills around a calm lake", seed=3),
                      ref("spec", "prompt.to_spec", 300, use_model=False),
                      ref("world", "world.generate", 600, size_m=256.0, cell_m=4.0, max_instances=300),
                      ref("render", "render.image", 900, width=192, height=108)],
            "links": [link("prompt", "prompt", "spec", "prompt"), link("spec", "spec", "world", "spec"),
                      link("world", "world", "render", "world")]}


def drop_file(page: Any, name: str, data: dict[str, Any]) -> None:
    """Drop a JSON file onto the canvas, as dragging it from the desktop does."""
    page.evaluate("""([name, text]) => {
        const dt = new DataTransfer()
        dt.items.add(new File([text], name, { type: 'application/json' }))
        const canvas = document.querySelector('.oy-canvas')
        for (const kind of ['dragover', 'drop'])
            canvas.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }))
    }""", [name, json.dumps(data)])


@pytest.fixture
def renders(server: Any) -> None:
    _, catalog = server.request("/oyster/api/nodes")
    missing = [t for t in NEEDED if t not in catalog["nodes"]]
    if missing:
        pytest.skip(f"node types not registered yet: {', '.join(missing)}")


def test_dropped_workflow_renders_an_image_with_pass_switcher(page: Any, server: Any, renders: None) -> None:
    drop_file(page, "tiny.json", tiny_still())
    page.wait_for_selector(node("render"))
    run_and_wait(page, "render", timeout=90_000)
    image = page.locator(f'{node("render")} .oy-preview-image img')
    image.wait_for()
    assert image.get_attribute("src").endswith("render.image.rgb.png")
    page.evaluate("window.oysterEditor.focusNode('render')")
    page.wait_for_timeout(400)
    passes = page.locator(f'{node("render")} .oy-pass-switcher button').all_inner_texts()
    assert "rgb" in passes and "depth" in passes
    page.click(f'{node("render")} .oy-pass-switcher [data-pass="depth"]')
    src = image.get_attribute("src")
    assert src.endswith("render.image.depth.png")
    with urllib.request.urlopen(server.base + src, timeout=5) as res:
        assert res.headers["content-type"] == "image/png" and res.read(8) == b"\x89PNG\r\n\x1a\n"
    assert page.evaluate("document.querySelector('[data-node-id=render] img').naturalWidth") > 0
    page.screenshot(path=str(server.workspace / "preview.png"))


def test_prompt_widgets_and_seed_increment(page: Any, renders: None) -> None:
    drop_file(page, "tiny.json", tiny_still())
    page.wait_for_selector(node("prompt"))
    prompt = page.locator(f'{node("prompt")} [data-param="text"] textarea')
    assert prompt.input_value() == "rolling hills around a calm lake"
    assert page.locator(f'{node("prompt")} [data-param="style"] select').input_value() == "natural"
    page.locator(f'{node("prompt")} .oy-seed-mode').select_option("increment")
    run_and_wait(page, "render", timeout=90_000)
    seed = page.evaluate("window.oysterEditor.getDoc().nodes.find(n => n.id === 'prompt').params.seed")
    assert seed == 4
