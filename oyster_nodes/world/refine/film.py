"""The film pass: a rendered Image refined by a diffusers img2img pipeline, optionally ControlNet on depth.

The pipeline is an executor component, one per (device, model folder, ControlNet folder): loading
weights costs seconds, a pass at 64 px milliseconds. diffusers and torch are imported when a pipeline
is first loaded, never when this module is. Only local folders are read (`local_files_only`, safetensors
only, the hub switched off); the same seed on the same device gives the same bytes (a torch.Generator).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...components import ComponentError, ComponentSpec
from ...settings import setting
from ...types import Image
from .models import (
    CONTROLNET_LAYOUT,
    PIPELINE_LAYOUT,
    ModelError,
    check_controlnet,
    check_pipeline,
    content_digest,
    folder_stamp,
    locate,
    name_problem,
    weights_variant,
)

Progress = Callable[[float, str], None]


@dataclass(kw_only=True, slots=True)
class FilmSettings:
    """What a film pass does: which weights, how far from the render, how many steps, which words."""

    model: str = setting("", max_length=1000, description="pipeline folder under the models folder "
                         "(OYSTER_MODELS_DIR), or a path to one")
    controlnet: str = setting("", max_length=1000, description="optional ControlNet folder (depth): keeps the "
                              "render's shapes; empty for none")
    strength: float = setting(0.35, min=0.01, max=1.0, widget="slider",
                              description="how far the picture may move from the render (0: not at all, 1: anew)")
    steps: int = setting(20, min=1, max=200, description="scheduler steps (the pass runs strength x steps of them)")
    guidance: float = setting(5.0, min=0.0, max=30.0, widget="slider",
                              description="classifier-free guidance (0 or 1 for SD-Turbo-style models)")
    control_scale: float = setting(1.0, min=0.0, max=2.0, widget="slider",
                                   description="weight of the depth ControlNet (with a controlnet only)")
    seed: int = setting(0, min=0, max=2**31 - 1, widget="seed")
    prompt: str = setting("", widget="textarea", max_length=4000,
                          description="what the picture shows; empty: the world's prompt carried by the image")
    negative: str = setting("", widget="textarea", max_length=4000, description="what to keep out of the picture")

    def denoise_steps(self) -> int:
        """The steps img2img really runs at this strength."""
        return min(int(self.steps * self.strength), self.steps)

    def check(self) -> None:
        """ValueError for settings no pipeline can run."""
        if self.denoise_steps() < 1:
            raise ValueError(f"strength {self.strength:g} x steps {self.steps} gives no denoising step: raise "
                             f"steps to at least {int(np.ceil(1.0 / self.strength))} or raise strength")


def check_model_name(name: str) -> None:
    """ValueError when `name` cannot name a pipeline folder (its files are looked at only when the node runs)."""
    problem = name_problem(name)
    if problem:
        raise ModelError(f"model {problem}")


def check_controlnet_name(name: str) -> None:
    """ValueError when a non-empty `name` cannot name a ControlNet folder."""
    problem = name_problem(name) if name.strip() else None
    if problem:
        raise ModelError(f"controlnet {problem}")


@dataclass(kw_only=True, frozen=True, slots=True)
class FilmModel:
    """Where a film pass's weights are: a checked pipeline folder and an optional ControlNet folder."""

    name: str
    folder: Path
    controlnet: Path | None = None

    def stamp(self) -> str:
        """Changes when any weight, config or vocabulary file of either folder changes (size or time)."""
        return folder_stamp(self.folder) + (folder_stamp(self.controlnet) if self.controlnet else "")


def find_model(model: str, controlnet: str = "") -> FilmModel:
    """The checked folders a film pass reads; ModelError with where to put what when they are not there."""
    try:
        folder = locate(model, what="model", layout=PIPELINE_LAYOUT)
        check_pipeline(folder)
    except ModelError as exc:
        raise ModelError(f"param 'model' ({model!r}): {exc}") from None
    control = None
    if controlnet.strip():
        try:
            control = locate(controlnet, what="ControlNet", layout=CONTROLNET_LAYOUT)
            check_controlnet(control)
        except ModelError as exc:
            raise ModelError(f"param 'controlnet' ({controlnet!r}): {exc}") from None
    return FilmModel(name=model, folder=folder, controlnet=control)


def model_stamp(model: str, controlnet: str = "") -> str:
    """A cheap stamp of the folders a film pass would read (sizes and times), "missing" where there are none."""
    parts = []
    for name, what in ((model, "model"), (controlnet, "ControlNet")):
        if not name.strip():
            continue
        try:
            parts.append(folder_stamp(locate(name, what=what, layout="")))
        except (ModelError, OSError):
            parts.append("missing")
    return "+".join(parts)


@dataclass(kw_only=True, slots=True)
class FilmPipeline:
    """A loaded pipeline (a component): the diffusers object, what it was loaded from, its weights' digest."""

    pipe: Any
    model: FilmModel
    device: str
    digest: str
    nbytes: int
    load_s: float

    def close(self) -> None:
        self.pipe = None


@dataclass(kw_only=True, frozen=True, slots=True)
class _Loader:
    """The factory of one folder's pipeline; equal for equal folders, so specs made per run compare equal."""

    model: FilmModel

    def __call__(self, device: str) -> FilmPipeline:
        return load_pipeline(self.model, device)


def pipeline_spec(model: FilmModel) -> ComponentSpec[FilmPipeline]:
    """The component of a model's folders: kept per (device, folders, their files' stamp)."""
    where = f"{model.folder}|{model.controlnet or ''}|{model.stamp()}"
    return ComponentSpec(kind=f"film_pipeline:{where}", create=_Loader(model=model), exclusive=True)


def load_pipeline(model: FilmModel, device: str) -> FilmPipeline:
    """Load a pipeline from local folders only; torch and diffusers are imported here."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    import torch
    from diffusers import (
        ControlNetModel,
        StableDiffusionControlNetImg2ImgPipeline,
        StableDiffusionImg2ImgPipeline,
    )

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    local = {"local_files_only": True, "use_safetensors": True, "dtype": dtype,
             "low_cpu_mem_usage": False}
    pipe = StableDiffusionImg2ImgPipeline.from_pretrained(str(model.folder), safety_checker=None,
                                                          requires_safety_checker=False,
                                                          variant=weights_variant(model.folder), **local)
    if model.controlnet is not None:
        control = ControlNetModel.from_pretrained(str(model.controlnet), **local)
        pipe = StableDiffusionControlNetImg2ImgPipeline.from_pipe(pipe, controlnet=control)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    digest = content_digest(model.folder) + (f"+{content_digest(model.controlnet)}" if model.controlnet else "")
    nbytes = sum(p.numel() * p.element_size() for m in pipe.components.values()
                 if isinstance(m, torch.nn.Module) for p in m.parameters())
    return FilmPipeline(pipe=pipe, model=model, device=device, digest=digest, nbytes=int(nbytes),
                        load_s=time.perf_counter() - start)


def film_pass(image: Image, settings: FilmSettings, pipeline: FilmPipeline, progress: Progress | None = None) -> Image:
    """The image with its rgb refined by the pipeline; every other pass and its info kept, provenance added."""
    import torch
    from PIL import Image as PILImage

    settings.check()
    h, w = image.rgb_hw3.shape[:2]
    size = _fit(w, h, int(getattr(pipeline.pipe, "vae_scale_factor", 8)))
    source = PILImage.fromarray(np.ascontiguousarray(image.rgb_hw3, dtype=np.uint8)).resize(size, PILImage.LANCZOS)
    prompt, negative = _words(image, settings)
    kwargs: dict[str, Any] = {}
    if pipeline.model.controlnet is not None:
        kwargs["control_image"] = depth_control(image, size)
        kwargs["controlnet_conditioning_scale"] = settings.control_scale

    def on_step(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if progress is not None:  # the pipeline knows its steps (a second-order scheduler takes more)
            total = int(getattr(pipe, "num_timesteps", 0) or settings.denoise_steps())
            progress(min((step + 1) / total, 1.0), f"film pass step {step + 1}/{total}")
        return tensors

    generator = torch.Generator(device=pipeline.device).manual_seed(settings.seed)
    start = time.perf_counter()
    out = pipeline.pipe(prompt=prompt, negative_prompt=negative or None, image=source, strength=settings.strength,
                        num_inference_steps=settings.steps, guidance_scale=settings.guidance, generator=generator,
                        output_type="np", callback_on_step_end=on_step, **kwargs).images[0]
    rgb = np.clip(np.round(np.asarray(out, np.float32) * 255.0), 0, 255).astype(np.uint8)
    if rgb.shape[:2] != (h, w):
        rgb = np.asarray(PILImage.fromarray(rgb).resize((w, h), PILImage.LANCZOS))
    info = {**image.info, "film_pass": _provenance(settings, pipeline, prompt, negative, size)}
    info["timing_ms"] = {**image.info.get("timing_ms", {}), "film_pass": 1e3 * (time.perf_counter() - start)}
    return replace(image, rgb_hw3=rgb, info=info)


def _fit(w: int, h: int, multiple: int) -> tuple[int, int]:
    """The working size: each side a multiple of the VAE's factor, at least one multiple."""
    return max(multiple, w // multiple * multiple), max(multiple, h // multiple * multiple)


def _words(image: Image, settings: FilmSettings) -> tuple[str, str]:
    """The prompt and negative prompt: the settings', else those of the world the image shows."""
    prompt = settings.prompt.strip() or str(image.info.get("prompt", "") or "")
    negative = settings.negative.strip() or (str(image.info.get("negative", "") or "") if not settings.prompt.strip()
                                             else "")
    return prompt, negative


def depth_control(image: Image, size: tuple[int, int]) -> Any:
    """The depth pass as a ControlNet picture: near bright, far and sky black, 3 channels, at `size`."""
    from PIL import Image as PILImage

    if image.depth_hw is None:
        raise ModelError("param 'controlnet': a depth ControlNet needs the image's depth pass: render with the "
                         "depth pass, or clear the controlnet field")
    depth = np.asarray(image.depth_hw, np.float64)
    valid = np.isfinite(depth) & (depth > 0)
    inverse = np.where(valid, 1.0 / np.where(valid, depth, 1.0), 0.0)
    top = float(inverse.max()) if valid.any() else 1.0
    grey = np.round(255.0 * inverse / (top or 1.0)).astype(np.uint8)
    return PILImage.fromarray(np.repeat(grey[:, :, None], 3, axis=2)).resize(size, PILImage.BILINEAR)


def _provenance(settings: FilmSettings, pipeline: FilmPipeline, prompt: str, negative: str,
                size: tuple[int, int]) -> dict[str, Any]:
    model = pipeline.model
    return {"model": model.name, "weights_blake2b": pipeline.digest,
            "controlnet": model.controlnet.name if model.controlnet else None, "strength": settings.strength,
            "steps": settings.steps, "denoise_steps": settings.denoise_steps(), "guidance": settings.guidance,
            "seed": settings.seed, "prompt": prompt, "negative": negative, "device": pipeline.device,
            "size": list(size), "scheduler": type(pipeline.pipe.scheduler).__name__}


def refine(image: Image, settings: FilmSettings, use: Callable[[ComponentSpec[FilmPipeline]], Any],
           progress: Progress | None = None) -> Image:
    """Find the model, get its pipeline through `use` (a component store's), and run the pass."""
    settings.check()
    model = find_model(settings.model, settings.controlnet)
    try:
        with use(pipeline_spec(model)) as pipeline:
            return film_pass(image, settings, pipeline, progress)
    except ComponentError as exc:
        raise ModelError(f"param 'model' ({settings.model!r}): {model.folder} could not be loaded "
                         f"({exc.__cause__ or exc}): it must be {PIPELINE_LAYOUT}") from exc
