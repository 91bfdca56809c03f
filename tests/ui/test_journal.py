"""Work survives everything: every edit is journaled, and a reload or a restarted server reopens the graph."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from oyster_nodes.server import harness
from oyster_nodes.server.harness import ServerProcess

from .actions import node, open_template, run_and_wait
from .conftest import PACKS, TEMPLATES, open_editor


def journal_of(server: ServerProcess, doc_id: str) -> dict[str, Any]:
    path = server.workspace / ".oyster" / "autosave" / f"{doc_id}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def doc_id(page: Any) -> str:
    return page.evaluate("sessionStorage.getItem('oyster-journal')")


def set_b(page: Any, node_id: str, value: str) -> None:
    field = page.locator(f'{node(node_id)} [data-param="b_value"] input')
    field.fill(value)
    field.press("Enter")


def wait_journaled(server: ServerProcess, page: Any, node_id: str, value: float, deadline_s: float = 15.0) -> float:
    """Seconds from now until the journal on disk holds b_value == value. How fast is a figure for
    bench/editor.py (journal_lag_ms), not an assertion here: a loaded machine must not fail the test."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        nodes = {n["id"]: n for n in journal_of(server, doc_id(page)).get("nodes", [])}
        if nodes.get(node_id, {}).get("params", {}).get("b_value") == value:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"the edit never reached the journal in {deadline_s:g} s")


def reopened(page: Any, node_id: str, value: float) -> None:
    page.wait_for_selector("[data-testid=notice]", timeout=20_000)
    assert "Reopened" in page.locator("[data-testid=notice]").inner_text()
    page.wait_for_function(f"""window.oysterEditor.getDoc().nodes.find(n => n.id === '{node_id}')
        ?.params.b_value === {value}""", timeout=20_000)


def test_every_edit_is_journaled_and_a_reload_reopens_it(page: Any, server: ServerProcess) -> None:
    open_template(page)
    set_b(page, "scaled", "12.5")
    wait_journaled(server, page, "scaled", 12.5)
    page.on("dialog", lambda d: d.accept())
    page.reload()
    page.wait_for_selector(node("scaled"))
    reopened(page, "scaled", 12.5)
    assert page.evaluate("window.oysterEditor.stats().nodes") == 5


def test_a_reload_after_a_run_shows_its_previews_and_a_cached_rerun_keeps_them(page: Any) -> None:
    open_template(page)
    set_b(page, "scaled", "3")
    run_and_wait(page, "scaled")
    assert page.locator(f'{node("scaled")} .oy-value').inner_text().endswith("15")
    page.on("dialog", lambda d: d.accept())
    time.sleep(0.3)  # the run's node states are journaled when the page sees the run end
    page.reload()
    reopened(page, "scaled", 3)
    page.wait_for_selector(f'{node("scaled")} .oy-value')
    assert page.locator(f'{node("scaled")} .oy-value').inner_text().endswith("15")
    run_and_wait(page, "scaled", status="cached")
    assert page.locator(f'{node("scaled")} .oy-value').inner_text().endswith("15")


def test_closing_with_unsaved_edits_asks(page: Any) -> None:
    open_template(page)
    set_b(page, "scaled", "7")
    page.locator(f'{node("scaled")} [data-param="b_value"] input').click()  # a user gesture, as browsers require
    page.wait_for_function("window.oysterEditor.dirty()")
    with page.expect_event("dialog") as info:
        page.close(run_before_unload=True)
    assert info.value.type == "beforeunload"
    info.value.accept()


def test_saved_work_closes_without_asking(page: Any) -> None:
    open_template(page)
    set_b(page, "scaled", "8")
    page.wait_for_function("window.oysterEditor.dirty()")
    page.click("[data-testid=save-button]")
    overwrite = page.locator("[data-testid=overwrite]")  # an earlier test may have saved Arithmetic already
    page.wait_for_function("""!window.oysterEditor.dirty() || !!document.querySelector('[data-testid=overwrite]')""")
    if overwrite.count():
        overwrite.click()
    page.wait_for_function("!window.oysterEditor.dirty()")


def test_recent_autosaves_are_named_by_workflow_and_time(page: Any, server: ServerProcess) -> None:
    open_template(page)
    set_b(page, "scaled", "9")
    wait_journaled(server, page, "scaled", 9.0)
    page.get_by_role("button", name="Recent").click()
    item = page.locator(".q-menu .q-item", has_text="Arithmetic").filter(has_text="nodes").first
    item.wait_for()
    text = item.inner_text()
    assert "nodes" in text and time.strftime("%H:") in text, text


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    s = harness.start_server(tmp_path / "ws", templates=TEMPLATES, packs=[PACKS])
    yield s
    s.stop()


def reload_racing_the_tab(page: Any) -> None:
    """Reload, as the user would; the tab may be reloading itself at that moment (its socket reconnects to the
    new server), in which case the browser answers 'not attached to an active page' and we try again."""
    for attempt in range(5):
        try:
            page.reload()
            return
        except PlaywrightError:
            if attempt == 4:
                raise
            time.sleep(1.0)


def test_a_killed_server_brings_the_graph_back(browser: Any, own_server: ServerProcess) -> None:
    page = open_editor(browser, own_server.url)
    open_template(page)
    set_b(page, "scaled", "42")
    wait_journaled(own_server, page, "scaled", 42.0)
    own_server.process.send_signal(signal.SIGKILL)
    own_server.process.wait(timeout=10)
    port = int(own_server.base.rsplit(":", 1)[1])
    again = harness.start_server(own_server.workspace, templates=TEMPLATES, packs=[PACKS], port=port)
    own_server.process = again.process
    page.on("dialog", lambda d: d.accept())
    reload_racing_the_tab(page)
    reopened(page, "scaled", 42)
    page.context.close()


NO_KEPT_COPIES = "!Object.keys(sessionStorage).some((k) => k.startsWith('oyster-unjournaled:'))"


def b_value(doc: dict[str, Any], node_id: str = "scaled") -> Any:
    return {n["id"]: n for n in doc.get("nodes", [])}[node_id]["params"].get("b_value")


def live_sessions(server: ServerProcess) -> int:
    return int(server.request("/oyster/api/sessions")[1]["live"])


def saved_label(page: Any, text: str, timeout_ms: int = 30_000) -> None:
    page.wait_for_function("(t) => document.querySelector('.oy-saved')?.textContent.includes(t)", arg=text,
                           timeout=timeout_ms)


def test_an_edit_whose_session_is_dropped_before_it_lands_comes_back(browser: Any, own_server: ServerProcess) -> None:
    page = open_editor(browser, own_server.url)
    open_template(page)
    set_b(page, "scaled", "12.5")
    wait_journaled(own_server, page, "scaled", 12.5)
    held: list[Any] = []
    page.route("**/api/session/*/doc", lambda r: held.append(r) if r.request.method == "PUT" else r.continue_())
    set_b(page, "scaled", "77")
    page.wait_for_function("window.oysterEditor.pending()")
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the edit was never sent"
    # The tab's socket goes away (a loaded machine misses its pings): past the reconnect timeout the server
    # drops its client and the session with it, and only then does the held PUT land (404).
    before = live_sessions(own_server)
    page.evaluate("window.socket.disconnect()")
    deadline = time.monotonic() + 60
    while live_sessions(own_server) >= before:
        assert time.monotonic() < deadline, "the server never dropped the tab's session"
        time.sleep(0.5)
    for route in held:
        route.continue_()
    page.unroute("**/api/session/*/doc")
    saved_label(page, "dropped this tab")
    assert b_value(journal_of(own_server, doc_id(page))) == 12.5  # the server never got the edit
    # The socket comes back; the server no longer knows the client, so the page reloads itself.
    page.on("dialog", lambda d: d.accept())
    page.evaluate("window.socket.connect()")
    reopened(page, "scaled", 77)
    assert "Restored the edits this tab kept" in page.locator("[data-testid=notice]").inner_text()
    wait_journaled(own_server, page, "scaled", 77.0)
    page.wait_for_function(NO_KEPT_COPIES)  # acknowledged: the tab forgets its copy
    page.context.close()


def test_a_failed_journal_write_is_sent_again(page: Any, server: ServerProcess) -> None:
    open_template(page)
    failures: list[int] = []

    def unavailable(route: Any) -> None:
        if route.request.method == "PUT" and len(failures) < 2:
            failures.append(503)
            route.fulfill(status=503, content_type="application/json", body='{"detail": "busy"}')
        else:
            route.continue_()

    page.route("**/api/session/*/doc", unavailable)
    set_b(page, "scaled", "31")
    saved_label(page, "not journaled (503)")
    wait_journaled(server, page, "scaled", 31.0)
    assert len(failures) == 2
    page.unroute("**/api/session/*/doc")


def test_a_stale_kept_copy_never_overwrites_a_newer_journal(page: Any, server: ServerProcess) -> None:
    open_template(page)
    set_b(page, "scaled", "5")
    wait_journaled(server, page, "scaled", 5.0)
    set_b(page, "scaled", "6")
    wait_journaled(server, page, "scaled", 6.0)
    page.wait_for_function("!window.oysterEditor.pending()")
    # a copy of the journal's first version, as a tab keeps when the answer to it never came
    page.evaluate("""() => {
        const doc = window.oysterEditor.getDoc()
        doc.nodes.find((n) => n.id === 'scaled').params.b_value = 99
        const id = sessionStorage.getItem('oyster-journal')
        sessionStorage.setItem('oyster-unjournaled:' + id, JSON.stringify({ seq: 1, at: Date.now(), doc }))
    }""")
    page.on("dialog", lambda d: d.accept())
    page.reload()
    reopened(page, "scaled", 6)
    assert "Restored" not in page.locator("[data-testid=notice]").inner_text()
    assert page.evaluate(NO_KEPT_COPIES)
    time.sleep(1.0)  # nothing journals the stale copy afterwards either
    assert b_value(journal_of(server, doc_id(page))) == 6.0
    # a newer copy this editor cannot draw does not stop the page from showing the journal
    page.evaluate("""() => sessionStorage.setItem('oyster-unjournaled:' + sessionStorage.getItem('oyster-journal'),
        JSON.stringify({ seq: 1000, at: Date.now(), doc: { nodes: 5 } }))""")
    page.reload()
    reopened(page, "scaled", 6)
    assert page.evaluate(NO_KEPT_COPIES)


def test_a_first_edit_that_never_reached_the_journal_survives_a_reload(page: Any, server: ServerProcess) -> None:
    open_template(page)
    first = doc_id(page)
    sid = page.evaluate("window.oysterEditor.session")
    page.route(f"**/api/session/{sid}/doc", lambda r: r.abort() if r.request.method == "PUT" else r.continue_())
    set_b(page, "scaled", "55")
    saved_label(page, "not journaled (offline)")
    page.on("dialog", lambda d: d.accept())
    page.reload()  # the old session's writes still fail: the journal of this graph was never written
    page.wait_for_selector("[data-testid=notice]", timeout=20_000)
    assert "Restored the edits this tab kept" in page.locator("[data-testid=notice]").inner_text()
    page.wait_for_function("""window.oysterEditor.getDoc().nodes.find(n => n.id === 'scaled')
        ?.params.b_value === 55""", timeout=20_000)
    assert journal_of(server, first) == {}
    wait_journaled(server, page, "scaled", 55.0)  # in the journal the reloaded page shows
    page.wait_for_function(NO_KEPT_COPIES)


def test_an_edit_made_while_the_server_is_down_comes_back(browser: Any, own_server: ServerProcess) -> None:
    page = open_editor(browser, own_server.url)
    open_template(page)
    set_b(page, "scaled", "42")
    wait_journaled(own_server, page, "scaled", 42.0)
    own_server.process.send_signal(signal.SIGKILL)
    own_server.process.wait(timeout=10)
    set_b(page, "scaled", "43")
    saved_label(page, "not journaled (offline)")
    port = int(own_server.base.rsplit(":", 1)[1])
    own_server.process = harness.start_server(own_server.workspace, templates=TEMPLATES, packs=[PACKS],
                                              port=port).process
    page.on("dialog", lambda d: d.accept())
    reload_racing_the_tab(page)
    reopened(page, "scaled", 43)
    wait_journaled(own_server, page, "scaled", 43.0)
    page.context.close()
