"""A wheel built from the repository, installed into a clean virtual environment outside the checkout.

The venv gets the wheel alone (`--no-deps`) and reaches the already-installed dependencies through
a .pth file, so the test takes seconds instead of a download; the package itself (code, shaders,
editor bundle, templates, the built-in pack) comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from oyster_nodes.server.harness import free_port

ROOT = Path(__file__).resolve().parents[1]
#: --set overrides that keep each example small; every node type the examples use is still run
SHRINK = {
    "world.generate": {"size_m": 256},
    "render.image": {"width": 64, "height": 36},
    "camera.preset": {"duration_s": 0.5, "resolution": "custom", "width": 64, "height": 36},
    "simulate.run": {"duration_s": 0.5},
    "export.splat": {"points": 1000},
    "export.glb": {"texture_px": 256},
    "render.film_pass": {"steps": 2, "strength": 0.5},
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, timeout=300, cwd=out)
    return next(out.glob("oyster_nodes-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    purelib = Path(subprocess.run([str(root / "bin" / "python"), "-c", "import sysconfig; "
                                   "print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True,
                                  check=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, timeout=300, env=_env(root.parent))
    # after the install, so pip does not take a development install of ours for the wheel
    (purelib / "_oyster_test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return root


def _env(tmp: Path) -> dict[str, str]:
    dropped = ("PYTHONPATH", "OYSTER_NODE_PATH", "OYSTER_TOKEN", "PYTEST_CURRENT_TEST", "NICEGUI_SCREEN_TEST_PORT")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return dict(env, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                OYSTER_CACHE_DIR=str(tmp / "cache"))


def test_the_wheel_holds_the_package_data_and_no_generic_top_level_name(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"oyster_nodes"}
    shaders = {Path(n).name for n in names if n.endswith((".vert", ".frag", ".glsl"))}
    assert shaders == {p.name for p in (ROOT / "oyster_nodes").rglob("*") if p.suffix in (".vert", ".frag", ".glsl")}
    assert "oyster_nodes/_editor/dist/editor.js" in names and "oyster_nodes/_editor/src/component.js" in names
    assert {f"oyster_nodes/_templates/{p.name}" for p in (ROOT / "workflows").glob("*.json")} <= set(names)
    assert {f"oyster_nodes/builtin/{p.name}" for p in (ROOT / "nodes").glob("*.py")} <= set(names)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> Path:
    """A models folder whose "sd15" is a tiny random pipeline, for the film pass example (no real weights here)."""
    from .neural.tiny import tiny_pipeline

    root = tmp_path_factory.mktemp("models")
    tiny_pipeline(root / "sd15")
    return root


def test_every_example_runs_from_the_installed_wheel(venv, tmp_path, tiny_models):
    import trimesh

    python = venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import oyster_nodes; print(oyster_nodes.__file__)"], cwd=tmp_path,
                           env=_env(tmp_path), capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where
    for example in sorted((ROOT / "workflows").glob("*.json")):
        out = tmp_path / example.stem
        out.mkdir()
        trimesh.creation.box(extents=(0.4, 0.6, 0.3)).export(out / "product.glb")
        sets = [f"{n['id']}.{k}={json.dumps(v)}" for n in json.loads(example.read_text())["nodes"]
                for k, v in SHRINK.get(n["type"], {}).items()]
        cmd = [str(venv / "bin" / "oyster"), "run", str(example), "--out", str(out), "--device", "cpu"]
        proc = subprocess.run(cmd + [a for s in sets for a in ("--set", s)], cwd=tmp_path,
                              env=dict(_env(tmp_path), OYSTER_MODELS_DIR=str(tiny_models)),
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{example.name}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        assert list(out.glob("manifest-*.json")), example.name


def test_serve_from_the_installed_wheel_answers_its_editor_page(venv, tmp_path):
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([str(venv / "bin" / "oyster"), "serve", "--port", str(port), "--workspace",
                             str(tmp_path / "ws"), "--device", "cpu"], cwd=tmp_path, env=_env(tmp_path), stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        page = _get(f"http://127.0.0.1:{port}/", proc, tmp_path / "serve.log")
        bundle = re.search(r"/oyster/assets/editor\.js\?v=\d+", page)
        assert bundle, page[:2000]
        assert "export" in _get(f"http://127.0.0.1:{port}{bundle.group(0)}", proc, tmp_path / "serve.log")
        templates = _get(f"http://127.0.0.1:{port}/oyster/api/templates", proc, tmp_path / "serve.log")
        assert "forest_dawn_still" in templates
        assert "function" in _get(f"http://127.0.0.1:{port}/oyster/explore/explore.js", proc, tmp_path / "serve.log")
        assert "{" in _get(f"http://127.0.0.1:{port}/oyster/explore/explore.css", proc, tmp_path / "serve.log")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _get(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"oyster serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode("utf-8", "replace")
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()}")


def test_dependencies_are_declared_as_the_code_uses_them():
    """Every third-party module the package imports is a required dependency (av and mujoco included)."""
    from importlib.metadata import packages_distributions

    declared = {re.split(r"[<>=!\[ ]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    owners = packages_distributions()
    imported = set()
    for source in [*(ROOT / "oyster_nodes").rglob("*.py"), *(ROOT / "nodes").rglob("*.py")]:
        imported |= set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", source.read_text(), re.M))
    third_party = {m for m in imported if m in owners and m not in sys.stdlib_module_names and m != "oyster_nodes"}
    missing = {m: owners[m] for m in third_party
               if not {d.lower().replace("_", "-") for d in owners[m]} & declared}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert {"av", "mujoco", "nicegui", "torch", "diffusers", "opencv-python-headless"} <= declared
    assert "networkx" not in declared, "the graph orders itself; networkx is only for the tests"
