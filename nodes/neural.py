"""Neural nodes: diffusers pipelines over rendered passes, with weights from the local models folder."""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node, ParamProblem, Port, RunContext, params_from, parse_problems, settings_from
from oyster_nodes.types import Image
from oyster_nodes.world import FilmSettings, check_controlnet_name, check_model_name, model_stamp, refine_image

_WHERE = "name a folder under OYSTER_MODELS_DIR (default ~/.local/share/oyster-nodes/models) or give its path"


class FilmPass(Node):
    """Refine a render with a Stable Diffusion img2img pipeline (optionally a depth ControlNet); passes kept."""

    type = "render.film_pass"
    title = "Film pass"
    category = "render"
    uses_gpu = True
    inputs = (Port("image", Image, "a render; its depth pass guides a ControlNet"),)
    outputs = (Port("image", Image),)
    params = params_from(FilmSettings)

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return (parse_problems("model", _WHERE, check_model_name, params["model"])
                + parse_problems("controlnet", _WHERE + ", or leave it empty", check_controlnet_name,
                                 params["controlnet"])
                + parse_problems("strength", "raise steps or strength",
                                 settings_from(FilmSettings, params).check))

    @classmethod
    def input_stamps(cls, params: dict[str, Any]) -> tuple[str, ...]:
        """New weights in the model's folder (another size or time) make a new result, never yesterday's."""
        return (model_stamp(str(params.get("model", "")), str(params.get("controlnet", ""))),)

    def run(self, ctx: RunContext, *, image: Image, **p: Any) -> Image:
        settings = settings_from(FilmSettings, p)
        ctx.progress(0.0, "loading the film pipeline")
        return refine_image(image, settings, ctx.use_component, ctx.progress)


NODES = (FilmPass,)
