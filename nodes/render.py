"""Render nodes: a world seen through a camera, as an Image with all passes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from oyster_nodes.node import Node, ParamProblem, Port, RunContext, params_from, parse_problems, settings_from
from oyster_nodes.types import CameraPath, Image
from oyster_nodes.world import (
    RENDERER,
    ViewSettings,
    WorldState,
    camera_at,
    lift_above_ground,
    vec3,
)


class RenderImage(Node):
    """Rasterize a world from one camera: rgb, metric depth, normals, instance and semantic ids."""

    type = "render.image"
    title = "Render image"
    category = "render"
    inputs = (
        Port("world", WorldState, "the world to render"),
        Port("camera", CameraPath, "optional: its first key (and its size and lens) is used", optional=True),
    )
    outputs = (Port("image", Image),)
    params = params_from(ViewSettings)

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return [problem for name in ("position", "target")
                for problem in parse_problems(name, "give up to three numbers, metres", vec3, params[name], name)]

    def run(self, ctx: RunContext, *, world: WorldState, camera: CameraPath | None = None,
            **p: Any) -> Image:
        if camera is not None:
            cam, framing = camera_at(camera, float(camera.times_k[0])), None
        else:
            cam, framing = settings_from(ViewSettings, p).camera(world)
        if framing is not None:
            ctx.warn(framing.note)
        # an automatic framing keeps its own clearance (a packshot's camera may stand a finger's width up)
        cam, lifted = lift_above_ground(cam, world, clearance_m=0.02 if framing is not None else 1.5)
        if lifted:
            ctx.warn(f"camera was below the ground; raised to z = {cam.position[2]:.1f} m")
        if cam.far_m <= cam.near_m:
            ctx.warn("far plane was not beyond the near plane; using near x 1000")
            cam = replace(cam, far_m=cam.near_m * 1000.0)
        ctx.progress(0.1, "rendering")
        with ctx.use_component(RENDERER) as renderer:
            image = renderer.render(world, cam)
        if framing is not None:
            image.info["framing"] = framing.to_json()
        # the words the world came from, for stages that read them (the film pass's default prompt)
        image.info["prompt"] = str(world.spec.get("text", ""))
        image.info["negative"] = str(world.spec.get("negative", ""))
        return image


NODES = (RenderImage,)
