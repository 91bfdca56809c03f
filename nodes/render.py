"""Render nodes: a world seen through a camera, as an Image with all passes."""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node, Param, Port, RunContext
from oyster_nodes.types import CameraPath, Image
from oyster_nodes.world import (
    PRODUCT_SIDES,
    RENDERER,
    Camera,
    WorldState,
    camera_at,
    frame_shot,
    lift_above_ground,
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
    params = (
        Param("auto_frame", bool, True,
              description="frame what the prompt names (a product, a vehicle, a building, the road, the water, "
                          "the landscape); off: use position/target"),
        Param("product_side", str, "front", choices=PRODUCT_SIDES,
              description="auto framing: the side an imported product is shot from (any: the best side)"),
        Param("position", list, [100.0, 100.0, 60.0], widget="vector", max_items=3,
              description="camera position x, y, z in metres"),
        Param("target", list, [512.0, 512.0, 20.0], widget="vector", max_items=3,
              description="point the camera looks at, metres"),
        Param("focal_mm", float, 28.0, min=4.0, max=600.0, widget="slider", description="lens focal length"),
        Param("sensor_mm", float, 36.0, min=1.0, max=100.0, description="sensor width"),
        Param("width", int, 1280, min=16, max=8192),
        Param("height", int, 720, min=16, max=8192),
        Param("near_m", float, 0.1, min=0.001, max=100.0),
        Param("far_m", float, 5000.0, min=1.0, max=1_000_000.0),
    )

    def run(self, ctx: RunContext, *, world: WorldState, camera: CameraPath | None = None,
            **p: Any) -> Image:
        cam, framing = self._camera(world, camera, p)
        if framing is not None:
            ctx.warn(framing["note"])
        # an automatic framing keeps its own clearance (a packshot's camera may stand a finger's width up)
        cam, lifted = lift_above_ground(cam, world, clearance_m=0.02 if framing is not None else 1.5)
        if lifted:
            ctx.warn(f"camera was below the ground; raised to z = {cam.position[2]:.1f} m")
        if cam.far_m <= cam.near_m:
            ctx.warn("far plane was not beyond the near plane; using near x 1000")
            cam = Camera(**{**_fields(cam), "far_m": cam.near_m * 1000.0})
        ctx.progress(0.1, "rendering")
        with ctx.use_component(RENDERER) as renderer:
            image = renderer.render(world, cam)
        if framing is not None:
            image.info["framing"] = framing
        return image

    @staticmethod
    def _camera(world: WorldState, path: CameraPath | None,
                p: dict[str, Any]) -> tuple[Camera, dict[str, Any] | None]:
        """The camera to render from, and what the automatic framing chose and why (None when not used)."""
        if path is not None:
            return camera_at(path, float(path.times_k[0])), None
        if p["auto_frame"]:
            shot = frame_shot(world, width=p["width"], height=p["height"], focal_mm=p["focal_mm"],
                              sensor_mm=p["sensor_mm"], product_side=p.get("product_side", "front"))
            cam = shot.camera
            near = min(p["near_m"], cam.near_m)  # a close product needs a nearer plane than the default
            return Camera(**{**_fields(cam), "near_m": near, "far_m": max(p["far_m"], near + 1)}), shot.to_json()
        return Camera(position=_vec3(p["position"]), target=_vec3(p["target"]), focal_mm=p["focal_mm"],
                      sensor_mm=p["sensor_mm"], width=p["width"], height=p["height"], near_m=p["near_m"],
                      far_m=p["far_m"]), None


def _vec3(values: list[Any]) -> tuple[float, float, float]:
    v = [float(c) for c in values][:3]
    return (v + [0.0] * 3)[0], (v + [0.0] * 3)[1], (v + [0.0] * 3)[2]


def _fields(cam: Camera) -> dict[str, Any]:
    return {name: getattr(cam, name) for name in Camera.__slots__}


NODES = (RenderImage,)
