"""Fixtures for the export tests: external validators (glTF Validator, ffprobe, Blender) and a workflow."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oyster_nodes.workflow import Workflow, parse_data

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture(scope="session")
def validate_gltf() -> Callable[[Path], dict[str, Any]]:
    """Runs the Khronos glTF Validator (npm, installed into tests/tools by `npm ci` when missing)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the glTF Validator needs Node.js (scripts/setup.sh installs it)")
    if not (TOOLS / "node_modules" / "gltf-validator").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TOOLS, check=True, capture_output=True)

    def run(path: Path) -> dict[str, Any]:
        done = subprocess.run([node, str(TOOLS / "validate_gltf.mjs"), str(path)], capture_output=True, text=True,
                              timeout=300)
        if not done.stdout.strip():
            raise AssertionError(f"validator produced no report: {done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


@pytest.fixture(scope="session")
def ffprobe() -> Callable[[Path], dict[str, Any]]:
    exe = shutil.which("ffprobe")
    if exe is None:
        pytest.skip("ffprobe is not installed (Debian package ffmpeg; scripts/setup.sh installs it)")

    def run(path: Path) -> dict[str, Any]:
        done = subprocess.run([exe, "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json",
                               str(path)], capture_output=True, text=True, check=True, timeout=120)
        return json.loads(done.stdout)

    return run


@pytest.fixture(scope="session")
def blender_import() -> Callable[[Path], dict[str, Any]]:
    exe = shutil.which("blender")
    if exe is None:
        pytest.skip("blender is not installed (Debian package blender; scripts/setup.sh installs it)")

    def run(path: Path) -> dict[str, Any]:
        done = subprocess.run([exe, "--background", "--factory-startup", "--python-exit-code", "1", "--python",
                               str(TOOLS / "blender_import_glb.py"), "--", str(path)],
                              capture_output=True, text=True, timeout=300)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("OYSTER_RESULT ")]
        if done.returncode != 0 or not lines:
            raise AssertionError(f"Blender could not import {path.name}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return json.loads(lines[-1].removeprefix("OYSTER_RESULT "))

    return run


@pytest.fixture
def workflow() -> Workflow:
    """A small workflow with non-ASCII text and newlines, to check exact round trips."""
    return parse_data({
        "format": "oyster-workflow", "version": 1,
        "metadata": {"name": "Fjord — test/../run", "description": "line one\nline two ✓"},
        "nodes": [{"id": "n1", "type": "core.number", "params": {"value": 2.5}},
                  {"id": "n2", "type": "core.text", "params": {"text": "Ünïcode ⛰"}}],
        "links": [],
    })
