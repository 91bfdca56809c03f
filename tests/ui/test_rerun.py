"""Re-runs that just work: example templates overwrite their outputs, and every run error names its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.registry import load_registry
from oyster_nodes.server.harness import drop_file

from .actions import node, run_and_wait

WORKFLOWS = sorted((Path(__file__).parents[2] / "workflows").glob("*.json"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.stem for p in WORKFLOWS])
def test_example_templates_overwrite_their_outputs_on_rerun(path: Path) -> None:
    registry = load_registry()
    for ref in json.loads(path.read_text())["nodes"]:
        cls = registry.get(ref["type"])
        if cls is not None and any(p.name == "overwrite" for p in cls.params):
            assert ref["params"].get("overwrite") is True, f"{path.name}: node {ref['id']} must set overwrite"


def sequence(overwrite: bool) -> dict[str, Any]:
    return {"format": "oyster-workflow", "version": 1, "metadata": {"name": "rerun"},
            "nodes": [{"id": "frames", "type": "uitest.frames", "params": {"count": 2},
                       "editor": {"position": [0, 0]}},
                      {"id": "seq", "type": "export.image_sequence",
                       "params": {"path": "rerun/f_{frame:03d}.png", "overwrite": overwrite},
                       "editor": {"position": [330, 0]}}],
            "links": [{"from_node": "frames", "from_output": "frames", "to_node": "seq", "to_input": "frames"}]}


def change_count(page: Any, value: str) -> None:
    field = page.locator(f'{node("frames")} [data-param="count"] input')
    field.fill(value)
    field.press("Enter")
    page.wait_for_function(f"window.oysterEditor.getDoc().nodes[0].params.count === {value}")


def test_a_rerun_after_a_change_overwrites_when_asked_and_otherwise_names_the_fix(page: Any) -> None:
    drop_file(page, "rerun.json", sequence(overwrite=False))
    page.wait_for_selector(node("seq"))
    run_and_wait(page, "seq", timeout=60_000)
    change_count(page, "3")
    run_and_wait(page, "seq", status="error", timeout=60_000)
    box = page.locator(f'{node("seq")} .oy-run-error')
    assert "already exists" in box.inner_text()
    fix = box.locator(".oy-fix").inner_text()
    assert fix.startswith("fix: ") and "overwrite" in fix, fix
    page.locator(f'{node("seq")} [data-param="overwrite"] input[type=checkbox]').check()
    change_count(page, "4")
    run_and_wait(page, "seq", timeout=60_000)
