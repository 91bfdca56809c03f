"""The renderer and the text encoder come from the executor's component store, kept across runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from oyster_nodes.cache import Cache
from oyster_nodes.components import ComponentStore
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build
from oyster_nodes.world import RENDERER, TEXT_ENCODER
from oyster_nodes.world.render import renderer as renderer_module

from ..conftest import WorkflowBuilder


def _still(camera_x: float) -> WorkflowBuilder:
    b = WorkflowBuilder()
    b.node("p", "prompt.text", text="a lake among hills", seed=2)
    b.node("s", "prompt.to_spec")
    b.node("w", "world.generate", size_m=256.0)
    b.node("r", "render.image", width=64, height=36, auto_frame=False, position=[camera_x, 20.0, 60.0],
           target=[128.0, 128.0, 10.0])
    b.link("p.prompt", "s.prompt").link("s.spec", "w.spec").link("w.world", "r.world")
    return b


def test_runs_share_one_renderer_and_one_encoder_from_the_store(full_registry, tmp_path: Path) -> None:
    store = ComponentStore()
    ex = Executor(Cache(), components=store)
    first = ex.run(build(_still(20.0).build(), full_registry), RunOptions(out_dir=tmp_path))
    assert first.ok, first.errors
    kinds = {(i.kind, i.device) for i in store.info()}
    assert kinds == {("renderer", "cpu"), ("text_encoder", "cpu")}
    with store.use(RENDERER, "cpu") as renderer, store.use(TEXT_ENCODER, "cpu") as encoder:
        pass
    second = ex.run(build(_still(40.0).build(), full_registry), RunOptions(out_dir=tmp_path))
    assert second.ok and second.records["r"].status == "done"  # a new camera: rendered again ...
    with store.use(RENDERER, "cpu") as again, store.use(TEXT_ENCODER, "cpu") as encoder_again:
        assert again is renderer and encoder_again is encoder  # ... by the same GL context and model
    assert len(store) == 2


def test_no_module_keeps_a_renderer_or_an_encoder() -> None:
    from oyster_nodes.world.prompt import embed

    assert not hasattr(renderer_module, "shared_renderer") and not hasattr(embed, "get_encoder")


def test_a_cuda_device_picks_that_egl_device() -> None:
    """cuda:N asks EGL for its N-th device; one this machine lacks is refused by name, not silently replaced."""
    with pytest.raises(Exception, match="device index 7"):
        renderer_module.renderer_on("cuda:7")


def test_a_render_node_on_cuda_1_renders_with_the_renderer_the_store_keeps_for_cuda_1(tmp_path: Path) -> None:
    """The node asks the store for its own device, and the store makes that device's renderer (EGL device 1)."""
    from oyster_nodes.builtin.render import RenderImage
    from oyster_nodes.node import RunContext
    from oyster_nodes.world import GenerateConfig, WorldSpec, generate_world
    from tests.params import checked_params

    world = generate_world(WorldSpec(), 1, GenerateConfig(size_m=256.0, cell_m=4.0))
    store = ComponentStore()
    ctx = RunContext(node_id="r", device="cuda:1", components=store, out_dir=tmp_path)
    try:
        image = RenderImage().run(ctx, world=world, **checked_params(RenderImage, width=32, height=18))
    except Exception as exc:  # fewer than two EGL devices here: refused by that index, never drawn on another
        assert "device index 1" in str(exc)
        assert ("renderer", "cuda:1") not in store and ("renderer", "cpu") not in store
    else:
        assert image.rgb_hw3.shape == (18, 32, 3)
        assert [(i.kind, i.device) for i in store.info()] == [("renderer", "cuda:1")]
