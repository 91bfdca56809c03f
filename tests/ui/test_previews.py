"""Previews of rendered images (with their passes) and the parameter widgets of the studio's nodes."""

from __future__ import annotations

import io
import urllib.request
from typing import Any

import pytest

from oyster_nodes.server.harness import drop_file

from .actions import add_node, node, run_and_wait

NEEDED = ("prompt.text", "prompt.to_spec", "world.generate", "render.image", "export.glb")


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


def tiny_glb() -> dict[str, Any]:
    """The tiny world exported as GLB instead of rendered."""
    wf = tiny_still()
    wf["nodes"][-1] = {"id": "glb", "type": "export.glb", "params": {"path": "tiny.glb", "texture_px": 256},
                       "editor": {"position": [900, 0]}}
    wf["links"][-1] = {"from_node": "world", "from_output": "world", "to_node": "glb", "to_input": "world"}
    return wf


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
    page.wait_for_function("document.querySelector('[data-node-id=render] img').naturalWidth > 0")
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


def distinct_colours(png: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return len(im.convert("RGB").getcolors(maxcolors=1 << 20) or ())


def test_exported_world_draws_in_the_3d_view(page: Any, server: Any, renders: None) -> None:
    drop_file(page, "tiny-glb.json", tiny_glb())
    page.wait_for_selector(node("glb"))
    run_and_wait(page, "glb", timeout=90_000)
    page.click(f'{node("glb")} .oy-files button')
    view = page.locator(".oy-model-canvas")
    page.wait_for_selector('.oy-model-canvas[data-state="drawn"], .oy-model-canvas[data-state="error"]',
                           timeout=60_000)
    assert view.get_attribute("data-state") == "drawn", view.inner_text()
    page.wait_for_timeout(300)
    shot = view.locator("canvas").screenshot(path=str(server.workspace / "world-3d.png"))
    assert distinct_colours(shot) > 200
    drawn = page.evaluate("""() => {
        const c = document.querySelector('.oy-model-canvas canvas')
        const probe = document.createElement('canvas')
        probe.width = 64; probe.height = 64
        const g = probe.getContext('2d')
        g.drawImage(c, 0, 0, 64, 64)
        const px = g.getImageData(0, 0, 64, 64).data
        let lit = 0
        for (let i = 0; i < px.length; i += 4) if (Math.abs(px[i] - 0x14) + Math.abs(px[i + 1] - 0x16) > 24) lit++
        return lit / (64 * 64)
    }""")
    assert drawn > 0.15, f"only {drawn:.0%} of the view shows the world"
    box = view.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert view.locator("canvas").screenshot() != shot
    page.click(".oy-overlay-close")
    page.wait_for_selector(".oy-model-canvas", state="detached")


def test_3d_view_without_webgl_says_so(page: Any) -> None:
    page.add_init_script("""HTMLCanvasElement.prototype.getContext = (function (original) {
        return function (kind, ...rest) { return /webgl/.test(kind) ? null : original.call(this, kind, ...rest) }
    })(HTMLCanvasElement.prototype.getContext)""")
    page.reload()
    page.wait_for_function("window.oysterEditor !== undefined && window.oysterEditor.catalogReady")
    box = add_node(page, "box glb", "uitest.box")
    path = page.locator(f'{node(box)} [data-param="path"] input')
    path.fill("no-webgl.glb")
    path.blur()
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{box}').params.path === 'no-webgl.glb'")
    run_and_wait(page, box)
    page.click(f"{node(box)} .oy-files button")
    error = page.locator('.oy-model-canvas[data-state="error"] .oy-model-error')
    error.wait_for()
    assert "needs WebGL" in error.inner_text()
