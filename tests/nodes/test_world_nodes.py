"""The prompt and world nodes: definitions, parameter bounds, and a run from prompt to saved file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from oyster_nodes.builtin import prompt as prompt_nodes
from oyster_nodes.builtin import world as world_nodes
from oyster_nodes.node import Node, RunContext
from oyster_nodes.types import Files, Prompt
from oyster_nodes.world.edit.meshimport import MeshImportError, MeshLimits, import_mesh
from oyster_nodes.world.prompt.spec import SpecError, WorldSpec
from oyster_nodes.world.state.store import WorldFileError
from oyster_nodes.world.state.world_state import WorldState

from ..params import checked_params as params
from ..params import node_context

ALL: tuple[type[Node], ...] = prompt_nodes.NODES + world_nodes.NODES


def problem(node: type[Node], name: str, value: object) -> str | None:
    p = next(p for p in node.params if p.name == name)
    return p.check(value)[1]


@pytest.fixture
def ctx(tmp_path: Path) -> RunContext:
    return node_context(node_id="n1", out_dir=tmp_path)


@pytest.fixture(scope="module")
def small_world() -> WorldState:
    spec = WorldSpec(terrain="hills", structures={"cabin": 2, "road": 1}, vegetation={"broadleaf": 0.4})
    node = world_nodes.WorldGenerate()
    return node.run(
        node_context(node_id="g"), spec=spec, **params(world_nodes.WorldGenerate, seed=3, size_m=256)
    )


def test_definitions_are_valid_and_unique() -> None:
    for node in ALL:
        assert node.definition_problems() == [], node.type
        assert node.describe()["type"] == node.type
    assert len({n.type for n in ALL}) == len(ALL)


@pytest.mark.parametrize(
    ("node", "name", "value"),
    [
        (world_nodes.WorldGenerate, "size_m", 100000.0),
        (world_nodes.WorldGenerate, "cell_m", 0.01),
        (world_nodes.WorldGenerate, "max_instances", -5),
        (world_nodes.WorldGenerate, "seed", -2),
        (world_nodes.WorldEdit, "clock_h", 30.0),
        (world_nodes.WorldEdit, "weather", "hail of frogs"),
        (world_nodes.WorldImportMesh, "scale", 0.0),
        (world_nodes.WorldImportMesh, "path", "../outside.glb"),
        (world_nodes.WorldSave, "path", "/etc/passwd"),
        (prompt_nodes.PromptText, "seed", -1),
        (prompt_nodes.PromptText, "style", "baroque"),
    ],
)
def test_absurd_params_are_rejected_by_bounds(node: type[Node], name: str, value: object) -> None:
    assert problem(node, name, value) is not None


def test_prompt_to_saved_world(ctx: RunContext) -> None:
    prompt = prompt_nodes.PromptText().run(
        ctx, **params(prompt_nodes.PromptText, text="two cabins by a lake", seed=9)
    )
    assert isinstance(prompt, Prompt) and prompt.seed == 9
    out = prompt_nodes.PromptToSpec().run(ctx, prompt=prompt, **params(prompt_nodes.PromptToSpec))
    spec = out["spec"]
    assert spec.structures["cabin"] == 2 and "cabin" in out["matches"]
    state = world_nodes.WorldGenerate().run(ctx, spec=spec, **params(world_nodes.WorldGenerate, size_m=256))
    assert state.seed == 9
    files = world_nodes.WorldSave().run(
        ctx, world=state, **params(world_nodes.WorldSave, path="shots/a.oyworld.safetensors")
    )
    assert isinstance(files, Files) and files.exist() and len(files.hashes[0]) == 64
    loaded = world_nodes.WorldLoad().run(
        ctx, **params(world_nodes.WorldLoad, path="shots/a.oyworld.safetensors")
    )
    assert loaded.content_hash() == state.content_hash()


def test_empty_prompt_warns(ctx: RunContext) -> None:
    out = prompt_nodes.PromptToSpec().run(
        ctx, prompt=Prompt(text=""), **params(prompt_nodes.PromptToSpec, use_model=False)
    )
    assert out["spec"].terrain == "hills"
    assert any("empty prompt" in w for w in ctx.warnings)


def test_spec_override_and_bad_override(ctx: RunContext) -> None:
    spec = WorldSpec()
    edited = world_nodes.SpecEdit().run(
        ctx, spec=spec, override={"weather": "snow", "structures": {"tower": 2}}
    )
    assert edited.weather == "snow" and edited.structures == {"tower": 2}
    with pytest.raises(SpecError, match="weather"):
        world_nodes.SpecEdit().run(ctx, spec=spec, override={"weather": "sunny-ish"})


def test_edit_add_move_remove_time_weather(ctx: RunContext, small_world: WorldState) -> None:
    ops = [
        {"op": "add", "kind": "tower", "x": 128.0, "y": 128.0},
        {"op": "move", "id": "cabin-1", "x": 60.0, "y": 60.0},
        {"op": "remove", "id": "cabin-2"},
        {"op": "add", "kind": "boulder", "x": 10.0, "y": 20.0, "scale": 2.0},
    ]
    edited = world_nodes.WorldEdit().run(
        ctx, world=small_world, **params(world_nodes.WorldEdit, ops=ops, clock_h=21.5, weather="rain")
    )
    ids = {s.id: s for s in edited.structures}
    assert "tower-1" in ids and "cabin-2" not in ids
    assert (ids["cabin-1"].x, ids["cabin-1"].y) == (60.0, 60.0)
    assert abs(edited.height_at(60.0, 60.0) - ids["cabin-1"].z) < 0.05
    assert len(edited.inst_kind) == len(small_world.inst_kind) + 1
    assert edited.env.weather == "rain" and edited.env.clock_h == 21.5
    assert (
        small_world.env.weather != "rain" or small_world.structures != edited.structures
    )  # input untouched
    assert any(s.id == "cabin-2" for s in small_world.structures)
    with pytest.raises(ValueError, match="no object"):
        world_nodes.WorldEdit().run(
            ctx, world=small_world, **params(world_nodes.WorldEdit, ops=[{"op": "remove", "id": "nope"}])
        )


def test_import_mesh_stands_on_ground(ctx: RunContext, small_world: WorldState) -> None:
    box = trimesh.creation.box(extents=(4.0, 3.0, 2.0))
    box.export(str(ctx.out_dir / "box.glb"))
    box.export(str(ctx.out_dir / "box.obj"))
    node = world_nodes.WorldImportMesh()
    for name in ("box.glb", "box.obj"):
        state = node.run(
            ctx, world=small_world, **params(world_nodes.WorldImportMesh, path=name, x=100.0, y=90.0)
        )
        mesh = state.meshes[-1]
        v = state.mesh_arrays[f"mesh_{mesh.id}_v"]
        assert (
            v.dtype == np.float32
            and abs(float(v[:, 2].min())) < 1e-6
            and abs(float(v[:, 2].max()) - 3.0) < 1e-5
        )
        assert mesh.pos[2] <= state.height_at(100.0, 90.0) + 1e-3


def test_an_imported_mesh_never_takes_an_id_in_use(ctx: RunContext, small_world: WorldState) -> None:
    trimesh.creation.box(extents=(2.0, 2.0, 2.0)).export(str(ctx.out_dir / "cabin.glb"))
    taken = {item.id for item in small_world.structures + small_world.meshes}
    state = world_nodes.WorldImportMesh().run(
        ctx, world=small_world, **params(world_nodes.WorldImportMesh, path="cabin.glb", x=100.0, y=90.0)
    )
    assert state.meshes[-1].id not in taken and state.meshes[-1].id.startswith("cabin-")


def test_broken_and_huge_meshes_are_refused(ctx: RunContext, small_world: WorldState) -> None:
    node = world_nodes.WorldImportMesh()
    (ctx.out_dir / "broken.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    (ctx.out_dir / "empty.obj").write_text("# nothing here\n")
    (ctx.out_dir / "notes.txt").write_text("hello")
    for name, reason in (
        ("broken.glb", "cannot be read"),
        ("empty.obj", "no (vertices|triangles)"),
        ("notes.txt", "only"),
        ("missing.obj", "no such file"),
    ):
        with pytest.raises(MeshImportError, match=reason):
            node.run(ctx, world=small_world, **params(world_nodes.WorldImportMesh, path=name, x=10.0, y=10.0))
    trimesh.creation.icosphere(subdivisions=3).export(str(ctx.out_dir / "ball.obj"))
    with pytest.raises(MeshImportError, match="triangles is more than"):
        import_mesh(small_world, ctx.out_dir / "ball.obj", x=10.0, y=10.0, limits=MeshLimits(max_faces=100))
    with pytest.raises(MeshImportError, match="too large"):
        node.run(
            ctx,
            world=small_world,
            **params(world_nodes.WorldImportMesh, path="ball.obj", x=10.0, y=10.0, scale=900.0),
        )


def test_paths_cannot_leave_the_output_folder(
    ctx: RunContext, small_world: WorldState, tmp_path: Path
) -> None:
    outside = tmp_path.parent / "outside.oyworld.safetensors"
    (ctx.out_dir / "link.oyworld.safetensors").symlink_to(outside)
    with pytest.raises(ValueError, match="leaves the output folder"):
        world_nodes.WorldLoad().run(ctx, path="link.oyworld.safetensors")
    with pytest.raises(WorldFileError):
        world_nodes.WorldLoad().run(ctx, path="nothing.oyworld.safetensors")
