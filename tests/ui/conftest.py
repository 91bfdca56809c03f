"""Real-browser fixtures: an `oyster serve` subprocess per session and Debian's headless Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.server import harness
from oyster_nodes.server.harness import ServerProcess
from oyster_nodes.server.options import FRONTEND_DIST

TEMPLATES = Path(__file__).parent / "templates"
PACKS = Path(__file__).parent / "packs"


def start_server(workspace: Path, *, token: str | None = None) -> ServerProcess:
    if not (FRONTEND_DIST / "editor.js").is_file():
        pytest.skip("the editor bundle is not built: run scripts/setup.sh")
    return harness.start_server(workspace, templates=TEMPLATES, token=token, packs=[PACKS])


def open_editor(browser: Any, url: str) -> Any:
    return harness.open_editor(browser, url)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = start_server(tmp_path_factory.mktemp("workspace"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(harness.CHROMIUM) and not Path(harness.CHROMIUM).is_file():
        pytest.skip(f"{harness.CHROMIUM} is missing: run scripts/setup.sh")
    with sync_api.sync_playwright() as p:
        b = harness.launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    p = open_editor(browser, server.url)
    yield p
    assert not p.errors, p.errors
    p.context.close()
