"""The Explore page in headless Chromium, opened from a simulate node's Explore button in the real editor:
keys move the camera as asked and change the frames, a said line changes the world, rewind restores the pose,
Record → nodes puts nodes that validate into the editor's graph, and a closed tab frees its session."""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oyster_nodes.server import harness
from oyster_nodes.server.harness import ServerProcess

from .conftest import PACKS, TEMPLATES

WORLD = Path(__file__).parent / "explore_world.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = harness.start_server(tmp_path_factory.mktemp("explore-ui"), templates=TEMPLATES, packs=[PACKS],
                             open_workflow=WORLD)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pages(browser: Any, server: ServerProcess) -> Iterator[tuple[Any, Any]]:
    """The editor, and the Explore page its simulate node's button opened."""
    editor = harness.open_editor(browser, server.url)
    button = editor.locator('.oy-node[data-node-id="sim"] [data-testid="explore-button"]')
    assert button.get_attribute("aria-label") == "Explore Simulate"
    assert editor.locator('.oy-node[data-node-id="prompt"] [data-testid="explore-button"]').count() == 0
    with editor.context.expect_page() as opened:
        button.click()
    explore = opened.value
    explore.errors = []
    explore.on("pageerror", lambda e: explore.errors.append(str(e)))
    explore.wait_for_function("window.oysterExplore && window.oysterExplore.frames > 3", timeout=90_000)
    yield editor, explore
    assert not explore.errors, explore.errors
    editor.context.close()


def header(page: Any) -> dict[str, Any]:
    return page.evaluate("window.oysterExplore.header")


def after_input(page: Any) -> dict[str, Any]:
    """The first frame that shows every input sent so far."""
    page.wait_for_function("window.oysterExplore.header.input_seq >= window.oysterExplore.lastSeq()", timeout=20_000)
    return header(page)


def view_pixels(page: Any) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(page.locator("#view").screenshot())).convert("RGB"), np.float32)


def test_keys_move_the_camera_as_asked_and_change_the_frames(pages: tuple[Any, Any]) -> None:
    _, page = pages
    page.locator("#view").focus()
    start = after_input(page)
    before = view_pixels(page)
    page.keyboard.down("KeyW")
    time.sleep(1.5)
    page.keyboard.up("KeyW")
    walked = after_input(page)
    dx, dy = walked["pos"][0] - start["pos"][0], walked["pos"][1] - start["pos"][1]
    yaw = math.radians(start["yaw_deg"])
    assert 1.0 < math.hypot(dx, dy) < 8.0, (start, walked)  # ~2.5 m/s for ~1.5 s
    assert (dx * math.cos(yaw) + dy * math.sin(yaw)) / math.hypot(dx, dy) > 0.95  # forward, where it looks
    time.sleep(0.3)
    assert np.abs(view_pixels(page) - before).mean() > 1.0
    page.keyboard.down("KeyL")  # turn from the keyboard alone
    time.sleep(0.6)
    page.keyboard.up("KeyL")
    time.sleep(0.2)
    turned = after_input(page)
    assert abs(turned["yaw_deg"] - walked["yaw_deg"]) > 20.0
    page.keyboard.press("KeyF")
    page.wait_for_function("window.oysterExplore.header.mode === 'fly'")
    assert page.get_by_role("button", name="Switch to walk mode").is_visible()
    page.keyboard.down("KeyE")
    time.sleep(0.8)
    page.keyboard.up("KeyE")
    assert after_input(page)["pos"][2] > turned["pos"][2] + 0.5  # flying up
    page.get_by_role("button", name="Switch to walk mode").click()
    page.wait_for_function("window.oysterExplore.header.mode === 'walk'")


def test_every_control_has_a_name_and_said_text_changes_the_world(pages: tuple[Any, Any]) -> None:
    _, page = pages
    unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input, select, img, canvas')]
        .filter((el) => !(el.getAttribute('aria-label') || (el.id && document.querySelector(`label[for="${el.id}"]`))))
        .map((el) => el.outerHTML.slice(0, 80))""")
    assert unnamed == []
    box = page.get_by_role("textbox", name="Say what happens")
    box.fill("make it rain")
    box.press("Enter")
    page.wait_for_function("window.oysterExplore.header.weather === 'rain'", timeout=30_000)
    page.get_by_label("Weather").select_option("clear")
    page.wait_for_function("window.oysterExplore.header.weather === 'clear'")
    box.fill("at 0s impulse ball1 0,0,300")  # the simulation is acted on live
    box.press("Enter")
    page.wait_for_function("window.oysterExplore.replies.filter((r) => r.for === 'say' && r.ok).length >= 2")
    box.fill("at 0s spawn teapot tea1")
    box.press("Enter")
    page.wait_for_function("window.oysterExplore.errors.length > 0")
    assert "'teapot' is not one of sphere" in page.locator(".ex-log-error").first.inner_text()


def at_rest(page: Any, timeout: float = 20.0) -> None:
    """Wait until the camera stops moving (after a walk-mode landing it falls for a moment), so that a snapshot
    and the frame read after it show the same pose."""
    deadline = time.monotonic() + timeout
    last = header(page)["pos"]
    while time.monotonic() < deadline:
        time.sleep(0.4)
        now = header(page)["pos"]
        if now == pytest.approx(last, abs=1e-3):
            return
        last = now
    raise AssertionError(f"the camera kept moving for {timeout} s: {last}")


def test_rewind_restores_the_pose_of_the_snapshot(pages: tuple[Any, Any]) -> None:
    _, page = pages
    at_rest(page)
    page.get_by_role("button", name="Take a snapshot of this moment").click()
    page.wait_for_function("window.oysterExplore.header.snapshots.length > 0")
    at = after_input(page)
    page.locator("#view").focus()
    page.keyboard.down("KeyD")
    time.sleep(1.0)
    page.keyboard.up("KeyD")
    moved = after_input(page)
    assert moved["pos"] != at["pos"]
    page.get_by_role("button", name="Rewind to the chosen snapshot").click()
    page.wait_for_function("window.oysterExplore.replies.some((r) => r.for === 'restore' && r.ok)")
    back = after_input(page)
    assert back["t"] < moved["t"]
    at_rest(page)
    assert header(page)["pos"] == pytest.approx(at["pos"], abs=0.05)


def test_record_puts_nodes_that_validate_into_the_editor_graph(pages: tuple[Any, Any], server: ServerProcess) -> None:
    editor, page = pages
    page.get_by_role("button", name="Record the session into the graph as nodes").click()
    page.wait_for_function("window.oysterExplore.inserted", timeout=20_000)
    inserted = page.evaluate("window.oysterExplore.inserted")
    assert inserted["problems"] == [] and set(inserted["nodes"]) == {"camera", "actions"}
    editor.wait_for_selector(f'.oy-node[data-node-id="{inserted["nodes"]["camera"]}"]')
    doc = editor.evaluate("window.oysterEditor.getDoc()")
    types = {n["id"]: n["type"] for n in doc["nodes"]}
    assert types[inserted["nodes"]["camera"]] == "camera.keyframes"
    assert types[inserted["nodes"]["actions"]] == "action.script"
    assert {"from_node": "world", "from_output": "world", "to_node": inserted["nodes"]["camera"],
            "to_input": "world"} in [{k: e[k] for k in ("from_node", "from_output", "to_node", "to_input")}
                                     for e in doc["links"]]
    made = {n["id"]: n for n in doc["nodes"]}
    keys = made[inserted["nodes"]["camera"]]["params"]["keys"]
    assert len(keys) >= 3  # the walk was recorded
    sid = editor.evaluate("window.oysterEditor.session")
    status, body = server.request(f"/oyster/api/session/{sid}/doc")
    assert status == 200 and not [p for p in body["problems"] if p.get("node") in inserted["nodes"].values()]
    script = made[inserted["nodes"]["actions"]]["params"]["script"]
    assert "rain" in script and "impulse" in script and "ball1" in script  # what was done in the session


def test_the_timeline_scrubber_seeks_where_the_session_plays_a_timeline(pages: tuple[Any, Any]) -> None:
    _, page = pages
    if page.locator("#timeline").is_hidden():
        pytest.skip("this session answers no 'status' with a timeline, so the page shows no scrubber")
    page.get_by_role("button", name="Pause the world").click()
    page.wait_for_function("window.oysterExplore.replies.some((r) => r.for === 'pause' && r.ok)")
    page.get_by_label("Timeline").fill("1")
    page.wait_for_function("window.oysterExplore.replies.some((r) => r.for === 'seek' && r.ok)")
    assert after_input(page)["t"] == pytest.approx(1.0, abs=0.05)
    page.get_by_role("button", name="Play the world").click()
    page.wait_for_function("window.oysterExplore.header.t > 1.3", timeout=20_000)


def test_a_gamepad_stick_walks_where_the_browser_has_one(pages: tuple[Any, Any]) -> None:
    editor, page = pages
    pad = editor.context.new_page()
    # a pad pushed forward on its left stick, as the Gamepad API reports one
    pad.add_init_script("""navigator.getGamepads = () => [{ connected: true, axes: [0, -1, 0, 0],
        buttons: Array.from({ length: 16 }, () => ({ pressed: false })) }]""")
    pad.goto(page.url)
    try:
        pad.wait_for_function("window.oysterExplore && window.oysterExplore.frames > 1", timeout=60_000)
        start = header(pad)
        pad.wait_for_function(f"Math.hypot(window.oysterExplore.header.pos[0] - {start['pos'][0]}, "
                              f"window.oysterExplore.header.pos[1] - {start['pos'][1]}) > 1.0", timeout=20_000)
    finally:
        pad.close()


def test_screenshot_of_the_page(pages: tuple[Any, Any], tmp_path: Path) -> None:
    _, page = pages
    shots = Path(os.environ.get("OYSTER_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    time.sleep(0.5)
    page.screenshot(path=str(shots / "explore.png"))
    assert (shots / "explore.png").stat().st_size > 10_000


def test_a_closed_tab_frees_its_session(pages: tuple[Any, Any], server: ServerProcess) -> None:
    editor, page = pages
    assert live_sessions(server, 1) == 1
    second = editor.context.new_page()
    second.goto(page.url)
    second.wait_for_function("window.oysterExplore && window.oysterExplore.frames > 1", timeout=60_000)
    assert live_sessions(server, 2) == 2  # each tab explores privately
    second.close()
    assert live_sessions(server, 1) == 1
    page.close()
    assert live_sessions(server, 0) == 0


def live_sessions(server: ServerProcess, expect: int, seconds: float = 15.0) -> int:
    """The server's count of live explore sessions, once it is `expect` (or after `seconds`)."""
    deadline = time.monotonic() + seconds
    while (live := server.request("/oyster/api/explore/sessions")[1]["live"]) != expect and time.monotonic() < deadline:
        time.sleep(0.2)
    return int(live)
