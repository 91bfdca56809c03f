"""World nodes: correct a spec, generate, edit, import a mesh, save and load a world."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from oyster_nodes.node import (
    Node,
    Param,
    ParamProblem,
    Port,
    RelPath,
    RunContext,
    params_from,
    parse_problems,
    settings_from,
)
from oyster_nodes.types import Files
from oyster_nodes.world import (
    MESH_PLACES,
    SUFFIX,
    WEATHERS,
    GenerateConfig,
    WorldSpec,
    WorldState,
    afloat_note,
    apply_edits,
    check_edits,
    generate_world,
    import_mesh,
    load_world,
    save_world,
    set_time,
    set_weather,
)

OVERRIDE_FIX = "correct or remove that field of the override"


class SpecEdit(Node):
    """Correct a world spec by hand: a JSON object merged over it (objects key by key)."""

    type = "world.spec_edit"
    title = "Edit world spec"
    category = "world"
    inputs = (Port("spec", WorldSpec),)
    outputs = (Port("spec", WorldSpec),)
    bypass = {"spec": "spec"}
    params = (Param("override", dict, {}, widget="json", description='e.g. {"structures": {"cabin": 5}}'),)

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return parse_problems("override", OVERRIDE_FIX, WorldSpec.check_override, params["override"])

    def run(self, ctx: RunContext, *, spec: WorldSpec, override: dict[str, Any]) -> WorldSpec:
        return spec.with_overrides(override) if override else spec


class WorldGenerate(Node):
    """Generate terrain, water, vegetation, structures, roads and sky from a spec."""

    type = "world.generate"
    title = "Generate world"
    category = "world"
    inputs = (Port("spec", WorldSpec),)
    outputs = (Port("world", WorldState),)
    params = (
        Param("seed", int, -1, min=-1, max=2**31 - 1, widget="seed", description="-1: the prompt's seed"),
        *params_from(GenerateConfig),
    )

    def run(self, ctx: RunContext, *, spec: WorldSpec, seed: int, **p: Any) -> WorldState:
        config = settings_from(GenerateConfig, p)
        world = generate_world(spec, spec.seed if seed < 0 else seed, config, progress=ctx.progress)
        unplaced = afloat_note(spec, world.structures)
        if unplaced:
            ctx.warn(unplaced)
        return world


class WorldEdit(Node):
    """Add, move or remove objects by id; set the time of day and the weather."""

    type = "world.edit"
    title = "Edit world"
    category = "world"
    inputs = (Port("world", WorldState),)
    outputs = (Port("world", WorldState),)
    bypass = {"world": "world"}
    params = (
        Param(
            "ops",
            list,
            [],
            widget="json",
            max_items=1000,
            description='[{"op": "add", "kind": "cabin", "x": 100, "y": 200}, '
            '{"op": "remove", "id": "cabin-1"}]'
            " (also move, set_time, set_weather)",
        ),
        Param("clock_h", float, -1.0, min=-1.0, max=24.0, description="-1 keeps the time"),
        Param("weather", str, "unchanged", choices=("unchanged",) + WEATHERS),
    )

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> list[ParamProblem]:
        return parse_problems("ops", "fix or remove that operation", check_edits, params["ops"])

    def run(
        self, ctx: RunContext, *, world: WorldState, ops: list[Any], clock_h: float, weather: str
    ) -> WorldState:
        world = apply_edits(world, ops)
        if clock_h >= 0:
            world = set_time(world, clock_h)
        if weather != "unchanged":
            world = set_weather(world, weather)
        return world


class WorldImportMesh(Node):
    """Place a GLB or OBJ (+ MTL) file from the output folder on the ground, with its materials and textures."""

    type = "world.import_mesh"
    version = 2  # 2: keeps materials, textures and vertex colours
    title = "Import mesh"
    category = "world"
    reads_files = True
    inputs = (Port("world", WorldState),)
    outputs = (Port("world", WorldState),)
    bypass = {"world": "world"}
    params = (
        Param(
            "path",
            RelPath,
            None,
            widget="file",
            required=True,
            description="GLB or OBJ inside the output folder",
        ),
        Param("x", float, 512.0, min=0.0, max=4096.0),
        Param("y", float, 512.0, min=0.0, max=4096.0),
        Param("scale", float, 1.0, min=0.001, max=1000.0),
        Param("yaw_deg", float, 0.0, min=-360.0, max=360.0),
        Param("up_axis", str, "y", choices=("y", "z"), description="GLB files are Y-up"),
        Param("show_side", str, "front", choices=("front", "back", "left", "right"),
              description="the side a product shot shows (the file's front faces glTF's +Z)"),
        Param("place", str, "ground", choices=MESH_PLACES,
              description="ground: stands at x, y; aside: not in the world, only for an action script's mesh "
                          "spawns (spawn mesh mesh=<id>), as Explore's live imports are recorded"),
    )

    def run(
        self,
        ctx: RunContext,
        *,
        world: WorldState,
        path: str,
        x: float,
        y: float,
        scale: float,
        yaw_deg: float,
        up_axis: str,
        show_side: str,
        place: str,
    ) -> WorldState:
        return import_mesh(
            world, ctx.output_path(path), x=x, y=y, scale=scale, yaw_deg=yaw_deg, up_axis=up_axis,
            side=show_side, place=place, note=ctx.warn,
        )


class WorldSave(Node):
    """Write the world to one .oyworld.safetensors file in the output folder."""

    type = "world.save"
    title = "Save world"
    category = "world"
    writes_files = True
    inputs = (Port("world", WorldState),)
    outputs = (Port("files", Files),)
    params = (Param("path", RelPath, "world" + SUFFIX, widget="file"),)

    def run(self, ctx: RunContext, *, world: WorldState, path: str) -> Files:
        if not path.endswith(SUFFIX):
            ctx.warn(f"added the {SUFFIX} suffix to {path!r}")
            path = path + SUFFIX
        target = save_world(world, ctx.output_path(path))
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        return Files(root=str(ctx.out_dir.resolve()), paths=[path], hashes=[digest])


class WorldLoad(Node):
    """Read a world saved with world.save from the output folder."""

    type = "world.load"
    title = "Load world"
    category = "world"
    reads_files = True
    outputs = (Port("world", WorldState),)
    params = (Param("path", RelPath, "world" + SUFFIX, widget="file"),)

    def run(self, ctx: RunContext, *, path: str) -> WorldState:
        return load_world(Path(ctx.output_path(path)))


NODES = (SpecEdit, WorldGenerate, WorldEdit, WorldImportMesh, WorldSave, WorldLoad)
