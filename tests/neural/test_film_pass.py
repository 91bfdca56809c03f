"""The film pass on a tiny random Stable Diffusion pipeline saved into a models folder, through real workflows."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.components import ComponentStore
from oyster_nodes.executor import Executor, RunOptions, RunResult
from oyster_nodes.graph import build, validate
from oyster_nodes.hooks import Hook
from oyster_nodes.workflow import load as load_workflow

from ..conftest import WorkflowBuilder
from .tiny import tiny_pipeline, tiny_tokenizer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    tiny_pipeline(root / "tiny-sd", controlnet=root / "tiny-depth")
    return root


@pytest.fixture
def models_env(models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OYSTER_MODELS_DIR", str(models))
    return models


def _workflow(**film: object) -> WorkflowBuilder:
    b = WorkflowBuilder()
    b.node("p", "prompt.text", text="a calm lake among pine hills at dawn", seed=2)
    b.node("s", "prompt.to_spec", use_model=False)
    b.node("w", "world.generate", size_m=256.0)
    b.node("r", "render.image", width=40, height=24)
    b.node("f", "render.film_pass", **{"model": "tiny-sd", "steps": 4, "strength": 0.5, **film})
    b.node("png", "export.png", path="film.png", overwrite=True)
    b.link("p.prompt", "s.prompt").link("s.spec", "w.spec").link("w.world", "r.world")
    return b.link("r.image", "f.image").link("f.image", "png.image")


class Steps(Hook):
    def __init__(self) -> None:
        self.seen: list[tuple[str, float, str]] = []

    def node_progress(self, *, node_id: str, fraction: float, message: str) -> None:
        self.seen.append((node_id, fraction, message))


def _run(ex: Executor, b: WorkflowBuilder, registry, out: Path, hooks: tuple[Hook, ...] = ()) -> RunResult:
    result = ex.run(build(b.build(), registry), RunOptions(out_dir=out, hooks=hooks, targets=["r", "f", "png"]))
    assert result.ok, [e.message for e in result.errors]
    return result


def _png(out: Path) -> str:
    return hashlib.sha256((out / "film.png").read_bytes()).hexdigest()


def test_tokenizer_is_built_offline_from_files(tmp_path: Path) -> None:
    tok = tiny_tokenizer(tmp_path / "vocab")
    ids = tok("a lake")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id and len(ids) == 7  # a</w> l a k e</w>


def test_film_pass_refines_the_render_keeps_passes_and_is_seeded(models_env: Path, full_registry,
                                                                 tmp_path: Path) -> None:
    store = ComponentStore()
    ex = Executor(Cache(), components=store)
    steps = Steps()
    first = _run(ex, _workflow(seed=1), full_registry, tmp_path / "a", (steps,))
    render, film = first.outputs["r"]["image"], first.outputs["f"]["image"]
    assert film.rgb_hw3.shape == (24, 40, 3) and film.rgb_hw3.dtype == np.uint8
    assert not np.array_equal(film.rgb_hw3, render.rgb_hw3)
    for name in ("depth_hw", "normal_hw3", "instance_hw", "semantic_hw"):
        assert getattr(film, name) is getattr(render, name)
    info = film.info["film_pass"]
    assert info["model"] == "tiny-sd" and len(info["weights_blake2b"]) == 32 and info["denoise_steps"] == 2
    assert info["prompt"] == "a calm lake among pine hills at dawn"  # the world's words, carried by the render
    assert film.info["camera"] == render.info["camera"]
    assert [(f, m) for n, f, m in steps.seen if n == "f" and m.startswith("film")] == [
        (0.5, "film pass step 1/2"), (1.0, "film pass step 2/2")]
    kinds = [i.kind for i in store.info() if i.kind.startswith("film_pipeline:")]
    assert len(kinds) == 1

    again = _run(Executor(Cache(), components=store), _workflow(seed=1), full_registry, tmp_path / "b")
    assert again.records["f"].status == "done" and _png(tmp_path / "a") == _png(tmp_path / "b")
    assert [i.kind for i in store.info() if i.kind.startswith("film_pipeline:")] == kinds  # the same pipeline
    other = _run(ex, _workflow(seed=2), full_registry, tmp_path / "c")
    assert _png(tmp_path / "c") != _png(tmp_path / "a")
    assert other.records["r"].status == "cached"  # a new seed re-runs the pass, never the render
    cached = _run(ex, _workflow(seed=2), full_registry, tmp_path / "c")
    assert cached.records["f"].status == "cached"


def test_a_depth_controlnet_conditions_the_pass(models_env: Path, full_registry, tmp_path: Path) -> None:
    ex = Executor(Cache(), components=ComponentStore())
    plain = _run(ex, _workflow(seed=1), full_registry, tmp_path / "a").outputs["f"]["image"]
    ctrl = _run(ex, _workflow(seed=1, controlnet="tiny-depth"), full_registry, tmp_path / "b").outputs["f"]["image"]
    assert ctrl.info["film_pass"]["controlnet"] == "tiny-depth"
    assert "+" in ctrl.info["film_pass"]["weights_blake2b"]
    assert not np.array_equal(plain.rgb_hw3, ctrl.rgb_hw3)


def _error(result: RunResult) -> str:
    assert not result.ok
    (err,) = [e for e in result.errors if e.node_id == "f"]
    return err.message


def test_missing_models_are_one_clear_message(models: Path, full_registry, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ex = Executor(Cache(), components=ComponentStore())
    monkeypatch.setenv("OYSTER_MODELS_DIR", str(tmp_path / "nowhere"))
    run = ex.run(build(_workflow().build(), full_registry), RunOptions(out_dir=tmp_path))
    message = _error(run)
    assert message.startswith("ModelError: param 'model' ('tiny-sd'): there is no models folder at ")
    assert "OYSTER_MODELS_DIR" in message
    assert "model_index.json" in message and "save_pretrained" in message
    assert "Traceback" not in message

    monkeypatch.setenv("OYSTER_MODELS_DIR", str(models))
    message = _error(ex.run(build(_workflow(model="sd15").build(), full_registry), RunOptions(out_dir=tmp_path)))
    assert "no model 'sd15'" in message and "tiny-sd" in message  # names what the folder holds

    message = _error(ex.run(build(_workflow(model="tiny-sd", controlnet="tiny-sd/unet").build(), full_registry),
                            RunOptions(out_dir=tmp_path)))
    assert "param 'controlnet' ('tiny-sd/unet')" in message and "not a ControlNet folder" in message
    message = _error(ex.run(build(_workflow(model=str(models / "tiny-sd" / "unet")).build(), full_registry),
                            RunOptions(out_dir=tmp_path)))
    assert "has no model_index.json" in message and "unet/, vae/" in message


def test_a_broken_pipeline_folder_names_its_layout(models: Path, full_registry, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(models / "tiny-sd", broken)
    (broken / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not weights")
    run = Executor(Cache(), components=ComponentStore()).run(
        build(_workflow(model=str(broken)).build(), full_registry), RunOptions(out_dir=tmp_path / "o"))
    message = _error(run)
    assert "could not be loaded" in message and "save_pretrained" in message


def test_bad_strength_and_steps_are_refused_at_validation(full_registry) -> None:
    problems = validate(_workflow(strength=0.1, steps=5).build(), full_registry)
    assert [(p.field, "no denoising step" in p.message) for p in problems] == [("params.strength", True)]
    problems = validate(_workflow(strength=0.0, steps=0).build(), full_registry)
    assert {p.field for p in problems} == {"params.strength", "params.steps"}
    (empty,) = validate(_workflow(model="").build(), full_registry)
    assert empty.field == "params.model" and "OYSTER_MODELS_DIR" in empty.message
    assert validate(_workflow(model="../elsewhere").build(), full_registry)[0].field == "params.model"


def test_the_example_validates_without_weights(full_registry) -> None:
    workflow = load_workflow(ROOT / "workflows" / "film_pass_still.json")
    assert validate(workflow, full_registry) == []
    assert any(n.type == "render.film_pass" for n in workflow.nodes)


def test_importing_the_pack_and_listing_nodes_loads_no_neural_library(tmp_path: Path) -> None:
    probe = ("import json, sys\nimport oyster_nodes.builtin.neural, oyster_nodes.world as w\n"
             "w.FilmSettings, w.refine_image, w.ModelError\n"
             "from oyster_nodes.registry import load_registry\nload_registry(use_entry_points=False).describe()\n"
             "print(json.dumps(sorted(m for m in ('torch', 'diffusers', 'transformers', 'tokenizers', 'PIL') "
             "if m in sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "OYSTER_CACHE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_new_weights_in_the_folder_make_a_new_result(models: Path, full_registry, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    root = tmp_path / "models"
    shutil.copytree(models / "tiny-sd", root / "tiny-sd")
    monkeypatch.setenv("OYSTER_MODELS_DIR", str(root))
    store = ComponentStore()
    ex = Executor(Cache(), components=store)
    _run(ex, _workflow(), full_registry, tmp_path / "a")
    assert _run(ex, _workflow(), full_registry, tmp_path / "a").records["f"].status == "cached"
    weights = root / "tiny-sd" / "unet" / "diffusion_pytorch_model.safetensors"
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the user replaced the weights
    assert _run(ex, _workflow(), full_registry, tmp_path / "a").records["f"].status == "done"
    assert len([i for i in store.info() if i.kind.startswith("film_pipeline:")]) == 2  # loaded anew


def test_a_half_precision_only_folder_is_loaded_as_its_variant(models: Path, tmp_path: Path) -> None:
    import shutil

    from oyster_nodes.world.refine.models import check_pipeline, weights_variant

    folder = tmp_path / "half"
    shutil.copytree(models / "tiny-sd", folder)
    assert weights_variant(folder) is None
    unet = folder / "unet" / "diffusion_pytorch_model.safetensors"
    unet.rename(unet.with_name("diffusion_pytorch_model.fp16.safetensors"))
    check_pipeline(folder)
    assert weights_variant(folder) == "fp16"


def test_a_controlnet_without_a_depth_pass_says_so(models_env: Path) -> None:
    from oyster_nodes.types import Image
    from oyster_nodes.world import FilmSettings, ModelError, refine_image

    store = ComponentStore()
    image = Image(rgb_hw3=np.zeros((16, 16, 3), np.uint8))
    settings = FilmSettings(model="tiny-sd", controlnet="tiny-depth", steps=2, strength=0.5)
    with pytest.raises(ModelError, match="param 'controlnet': a depth ControlNet needs the image's depth pass"):
        refine_image(image, settings, lambda spec: store.use(spec, "cpu"))
    out = refine_image(image, FilmSettings(model="tiny-sd", steps=2, strength=0.5),
                       lambda spec: store.use(spec, "cpu"))
    assert out.rgb_hw3.shape == (16, 16, 3) and out.depth_hw is None and out.info["film_pass"]["prompt"] == ""
