"""The editor's Batch and Schedules panels in real headless Chromium: a parameter of the test template swept over
three values and submitted runs as three jobs that finish; a schedule added is listed with its next fire time in
its zone, a bad cron is named, and the schedule is removed. OYSTER_SCREENSHOTS=DIR keeps pictures of both panels."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .actions import open_template
from .conftest import start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server of its own: the batches and schedules run the test template, and their results in the shared
    server's cache would make other tests' first runs come back cached."""
    s = start_server(tmp_path_factory.mktemp("batch-panels"))
    yield s
    s.stop()


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("OYSTER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name))


def save_as(page: Any, name: str) -> None:
    page.fill(".oy-name input", name)
    page.locator(".oy-name input").press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().metadata.name === {name!r}")
    page.click("[data-testid=save-button]")
    page.wait_for_function(f"document.body.innerText.includes('Saved to saved/{name}.json')")


def test_the_batch_panel_sweeps_a_param_over_three_values_and_sees_three_jobs_finish(page: Any, server: Any) -> None:
    open_template(page)
    count = page.evaluate("""async () => (await (await fetch('/oyster/api/batches', { method: 'POST',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ session: window.oysterEditor.session,
        sweeps: ['b.value=5,6', 'sum.operation=add,multiply'], dry_run: true }) })).json()).count""")
    assert count == 4  # the open workflow itself can be swept through the API, saved or not
    page.click("[data-testid=batch-button]")
    panel = page.locator("[role=dialog][aria-label=Batch]")
    panel.locator("[data-testid=save-first]").wait_for()  # a template not saved yet: the panel says so
    page.click("[aria-label='Close the batch panel']")
    save_as(page, "Batch sweep")
    page.click("[data-testid=batch-button]")
    row = panel.locator(".oy-sweep").first
    row.locator("[data-testid=sweep-param]").select_option("a.value")
    assert row.locator(".oy-panel-note").inner_text() == "now 2"
    row.locator("[data-testid=sweep-values]").fill("1,x")
    panel.locator(".oy-sweep [role=alert]").first.wait_for()  # the server's validation, on its row
    assert "variant 2" in panel.locator(".oy-sweep [role=alert]").first.inner_text()
    assert panel.locator("[data-testid=batch-submit]").is_disabled()
    row.locator("[data-testid=sweep-values]").fill("1,2,3")
    page.wait_for_function("document.querySelector('[data-testid=variant-count]').innerText.startsWith('3 variants')")
    assert panel.locator(".oy-sweep [role=alert]").count() == 0
    shot(page, "batch-ready.png")
    panel.locator("[data-testid=batch-submit]").click()
    jobs = panel.locator("[data-testid=batch-job]")
    page.wait_for_function("document.querySelectorAll('[data-testid=batch-job][data-state=done]').length === 3",
                           timeout=90_000)
    assert jobs.count() == 3
    labels = [jobs.nth(k).locator(".oy-batch-label").inner_text() for k in range(3)]
    assert labels == ["#1 a.value=1", "#2 a.value=2", "#3 a.value=3"], labels
    assert "3/3 finished" in panel.locator("[data-testid=batch-progress]").inner_text().lower()
    jobs.nth(2).locator("[aria-label='Show job 3 on the canvas']").click()
    page.wait_for_function("document.querySelector('[data-node-id=scaled] .oy-value')?.innerText.includes('60')")
    shot(page, "batch-done.png")
    page.click("[aria-label='Close the batch panel']")
    page.click("[data-testid=batch-button]")  # reopened, the panel follows the tab's last batch again
    page.wait_for_function("document.querySelectorAll('[data-testid=batch-job][data-state=done]').length === 3")


def test_the_schedules_panel_adds_a_schedule_lists_its_next_fire_and_removes_it(page: Any, server: Any) -> None:
    open_template(page)
    save_as(page, "Nightly arithmetic")
    page.click("[data-testid=schedules-button]")
    panel = page.locator("[role=dialog][aria-label=Schedules]")
    panel.locator("[aria-label='Schedule name']").fill("nightly-sums")
    panel.locator("[aria-label='Cron expression']").fill("30 2 * *")
    panel.locator("[aria-label='Time zone']").fill("Europe/Paris")
    panel.locator("[data-testid=schedule-add]").click()
    alert = panel.locator("[role=alert]").first
    alert.wait_for()
    assert "five" in alert.inner_text() and "fix:" in alert.inner_text()
    panel.locator("[aria-label='Cron expression']").fill("30 2 * * *")
    panel.locator("[aria-label='Missed-run policy']").select_option("catch-up")
    panel.locator("[aria-label='How many missed fires to catch up']").fill("2")
    panel.locator("[data-testid=schedule-add]").click()
    row = panel.locator("[data-testid=schedule-row][data-name=nightly-sums]")
    row.wait_for()
    assert panel.locator("[role=alert]").count() == 0
    nxt = row.locator("[data-testid=next-fire]").inner_text()
    assert "02:30 (+01:00)" in nxt or "02:30 (+02:00)" in nxt, nxt
    assert "Europe/Paris" in row.inner_text() and "catch-up 2" in row.inner_text()
    assert "saved/Nightly arithmetic.json" in row.inner_text()
    shot(page, "schedules.png")
    row.locator("[aria-label='Run schedule nightly-sums now']").click()
    page.wait_for_function("document.querySelector('[data-testid=schedule-message]').innerText.startsWith('Queued job')")
    row.locator("[aria-label='Remove schedule nightly-sums']").click()
    row.wait_for(state="detached")
    assert server.request("/oyster/api/schedules")[1] == []
