"""Parameter widgets, progress and cancel, camera and video previews, groups and notes."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from .actions import add_node, doc, node, run_and_wait, upload_json


def params_of(page: Any, node_id: str) -> dict[str, Any]:
    return next(n for n in doc(page)["nodes"] if n["id"] == node_id)["params"]


def test_widgets_by_kind_and_file_picker(page: Any, server: Any) -> None:
    (server.workspace / "assets").mkdir(exist_ok=True)
    (server.workspace / "assets" / "ground.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    w = add_node(page, "widget demo", "uitest.widgets")
    base = node(w)
    assert page.locator(f'{base} [data-param="tint"] input[type=color]').count() == 1
    assert page.locator(f'{base} [data-param="offset"] input[type=number]').count() == 3
    assert page.locator(f'{base} [data-param="strength"] input[type=range]').count() == 1
    assert page.locator(f'{base} [data-param="keys"] tbody tr').count() == 3
    page.click(f'{base} [data-param="keys"] .oy-small-btn')
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{w}').params.keys.length === 4")
    assert params_of(page, w)["keys"][3]["time"] == 5.0
    page.locator(f'{base} [data-param="offset"] input').nth(2).fill("7.5")
    page.locator(f'{base} [data-param="offset"] input').nth(2).press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{w}').params.offset[2] === 7.5")
    page.click(f'{base} [data-param="source"] .oy-icon-btn')
    page.click(".oy-file-row >> text=assets/ground.png")
    page.wait_for_function(
        f"window.oysterEditor.getDoc().nodes.find(n => n.id === '{w}').params.source === 'assets/ground.png'")


def test_script_error_is_marked_on_its_line_and_camera_path_is_mapped(page: Any) -> None:
    w = add_node(page, "widget demo", "uitest.widgets")
    script = page.locator(f'{node(w)} [data-param="script"] textarea')
    script.fill("0 wind\noops\n2 rain")
    script.blur()
    run_and_wait(page, w, status="error")
    assert page.locator(f'{node(w)} .oy-gutter .oy-mark').inner_text() == "2"
    assert "line 2" in page.locator(f'{node(w)} .oy-run-error').inner_text()
    script.fill("0 wind\n2 rain")
    script.blur()
    run_and_wait(page, w)
    points = page.locator(f'{node(w)} .oy-camera-map polyline').get_attribute("points")
    assert len(points.split()) == 3


def test_seed_increment_advances_after_each_run_and_is_saved(page: Any, server: Any) -> None:
    seeded = add_node(page, "seeded", "uitest.seeded")
    page.fill(".oy-name input", "Seeds")
    page.locator(".oy-name input").press("Enter")
    base = node(seeded)
    seed_input = page.locator(f'{base} [data-param="seed"] input[type=number]')
    page.locator(f"{base} .oy-seed-mode").select_option("increment")
    used = page.locator(f'{base} .oy-value[data-output="used"]')
    run_and_wait(page, seeded)
    assert used.inner_text().split()[-1] == "7"
    page.wait_for_function(f"document.querySelector('{base} [data-param=seed] input').value === '8'")
    page.click("[data-testid=run-button]")
    page.wait_for_function(f"""document.querySelector('{base} .oy-value')?.innerText.endsWith('8')
        && document.querySelector('{base} [data-param=seed] input').value === '9'""", timeout=30_000)
    assert params_of(page, seeded)["seed"] == 9

    page.click("[data-testid=save-button]")
    page.wait_for_function("document.body.innerText.includes('Saved to saved/Seeds.json')")
    saved = json.loads((server.workspace / "saved" / "Seeds.json").read_text())
    ref = next(n for n in saved["nodes"] if n["id"] == seeded)
    assert ref["editor"]["widgets"] == {"seed": "increment"} and ref["params"]["seed"] == 9

    page.reload()  # the tab reopens its journaled graph by itself
    page.wait_for_selector("[data-testid=notice]")
    page.wait_for_selector(base)
    assert page.locator(f"{base} .oy-seed-mode").input_value() == "increment"
    assert seed_input.input_value() == "9"

    page.click("text=New")
    page.wait_for_function("window.oysterEditor.stats().nodes === 0")
    upload_json(page, "seeds.json", saved)
    page.wait_for_selector(base)
    assert page.locator(f"{base} .oy-seed-mode").input_value() == "increment"
    page.locator(f"{base} .oy-seed-mode").select_option("fixed")
    run_and_wait(page, seeded)
    page.wait_for_timeout(500)
    assert seed_input.input_value() == "9" and used.inner_text().split()[-1] == "9"
    page.locator(f"{base} .oy-seed-mode").select_option("random")
    page.click("[data-testid=run-button]")
    page.wait_for_function(f"""!document.querySelector('{base} .oy-value')?.innerText.endsWith(' 9')
        && document.querySelector('{base} .oy-value')?.innerText.endsWith(
            ' ' + document.querySelector('{base} [data-param=seed] input').value)""", timeout=30_000)


def test_progress_then_cancel(page: Any) -> None:
    slow = add_node(page, "slow", "uitest.slow")
    page.locator(f'{node(slow)} [data-param="steps"] input').fill("200")
    page.locator(f'{node(slow)} [data-param="steps"] input').press("Enter")
    page.click("[data-testid=run-button]")
    page.wait_for_selector(f"{node(slow)} .oy-progress")
    page.wait_for_function(f"""document.querySelector('{node(slow)} .oy-node-status').innerText.endsWith('%')
        && parseInt(document.querySelector('{node(slow)} .oy-node-status').innerText) > 0""")
    page.click("[data-testid=cancel-button]")
    page.wait_for_selector(f'{node(slow)} .oy-node-status[data-status="cancelled"]', timeout=10_000)


def test_frames_play_as_video(page: Any, server: Any) -> None:
    frames = add_node(page, "gradient", "uitest.frames")
    run_and_wait(page, frames)
    src = page.locator(f"{node(frames)} video").get_attribute("src")
    assert src.endswith(".mp4")
    with urllib.request.urlopen(server.base + src, timeout=5) as res:
        assert res.headers["content-type"] == "video/mp4" and res.read(12)[4:8] == b"ftyp"
    page.wait_for_function(f"document.querySelector('{node(frames)} video').readyState >= 1", timeout=10_000)


def test_groups_and_notes(page: Any) -> None:
    first = add_node(page, "number", "core.number")
    page.evaluate(f"window.oysterEditor.focusNode('{first}')")
    second = add_node(page, "integer", "core.integer")
    page.click(f"{node(first)} .oy-node-title")
    page.click(f"{node(second)} .oy-node-title", modifiers=["Control"])
    page.keyboard.press("Control+g")
    page.wait_for_function("window.oysterEditor.getDoc().groups.length === 1")
    assert set(doc(page)["groups"][0]["nodes"]) == {first, second}
    page.click(".vue-flow__pane", position={"x": 600, "y": 600})
    page.keyboard.press("n")
    page.wait_for_function("window.oysterEditor.getDoc().notes.length === 1")
    page.locator(".oy-note textarea").fill("remember the lake")
    page.wait_for_function("window.oysterEditor.getDoc().notes[0].text === 'remember the lake'")


def test_glb_output_opens_in_3d_view_and_output_browser(page: Any, server: Any) -> None:
    box = add_node(page, "box glb", "uitest.box")
    run_and_wait(page, box)
    link = page.locator(f"{node(box)} .oy-files a")
    assert link.inner_text() == "box.glb"
    with urllib.request.urlopen(server.base + link.get_attribute("href"), timeout=5) as res:
        assert res.read(4) == b"glTF"
    page.click(f"{node(box)} .oy-files button")
    page.wait_for_selector(".oy-model-canvas canvas, .oy-model-canvas .oy-model-error")
    page.click(".oy-overlay-close")
    page.click("text=Outputs")
    page.wait_for_selector(".q-dialog a >> text=box.glb")
