"""A product named outdoors with no mesh imported: a stand-in of it (the studio's product model) stands on its
named support at the setting's edge, framed large with the setting behind; an imported mesh replaces it.
Real prompt reading, generation and rendering of small worlds."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot
from oyster_nodes.world.edit.meshimport import import_mesh
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import SpecError, WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState

from .test_framing import box_glb

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180


def spec_of(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, seed=3), None)


@cache
def world_of(text: str) -> WorldState:
    return generate_world(spec_of(text), 3, GenerateConfig(size_m=512.0, cell_m=1.0))


@pytest.mark.parametrize(("text", "want"), [
    ("a glass bottle of olive oil on a stone wall overlooking olive groves, warm afternoon",
     {"product": "bottle", "support": "wall", "support_surface": "stone"}),
    ("a perfume bottle on a rock by the sea at sunset", {"product": "perfume_bottle", "support": "rock"}),
    ("a sneaker on a mossy log in a pine forest", {"product": "sneaker", "support": "log"}),
    ("a coffee cup on a wooden table in a vineyard", {"product": "coffee_cup", "support": "table",
                                                      "support_surface": "wood"}),
    ("a red soda can on the sand by a calm lake", {"product": "can", "product_color": "red", "support": "ground"}),
    ("a black wristwatch by a mountain lake", {"product": "watch", "product_color": "black", "support": "rock"}),
])
def test_a_product_named_outdoors_is_read_with_its_support(text: str, want: dict[str, str]) -> None:
    spec = spec_of(text)
    assert not spec.studio
    assert {k: spec.product.get(k) for k in want} == want
    assert WorldSpec.from_json(spec.to_json()).product == spec.product


def test_a_stone_wall_under_a_product_is_no_fence() -> None:
    spec = spec_of("a glass bottle of olive oil on a stone wall overlooking olive groves")
    assert "fences" not in spec.structures
    assert spec_of("a stone wall around a sheep meadow").structures.get("fences")  # a wall alone still is


def test_no_product_no_stand_in_and_bad_product_fields_are_refused() -> None:
    assert not spec_of("a misty pine forest around a calm lake").product
    assert "product" not in spec_of("a misty pine forest around a calm lake").to_dict()
    assert not spec_of("a perfume bottle packshot on a marble plinth").product  # a studio's own
    with pytest.raises(SpecError, match="product.support"):
        WorldSpec.from_json({"product": {"product": "bottle", "support": "cloud"}})
    with pytest.raises(SpecError, match="needs a 'product'"):
        WorldSpec.from_json({"product": {"support": "rock"}})


@pytest.mark.parametrize(("text", "support", "behind"), [
    ("a glass bottle of olive oil on a stone wall overlooking olive groves, warm afternoon", "wall", "vegetation"),
    ("a perfume bottle on a rock by the sea at sunset", "rock", "water"),
    ("a sneaker on a log in a pine forest", "log", "vegetation"),
    ("a coffee cup on a wooden table in a vineyard", "table", "vegetation"),
])
def test_the_stand_in_stands_on_its_support_large_with_the_setting_behind(
        renderer: Renderer, text: str, support: str, behind: str) -> None:
    world = world_of(text)
    hero = [m for m in world.meshes if m.extra.get("role") == "product"]
    assert len(hero) == 1 and hero[0].extra.get("stand_in")
    m = hero[0]
    ground = world.height_at(m.pos[0], m.pos[1])
    if support == "rock":
        rock = world.inst_xyz[int(m.extra["support_inst"])]
        assert world.inst_kind[int(m.extra["support_inst"])] == INSTANCE_KINDS.index("rock")
        assert np.allclose(rock[:2], m.pos[:2])
    else:
        stand = next(s for s in world.meshes if s.extra.get("role") == "stand")
        assert np.allclose(stand.pos[:2], m.pos[:2]) and stand.name == f"stand-in {support}"
    assert m.pos[2] > ground + 0.1  # on its support, not the ground
    shot = frame_shot(world, width=W, height=H)
    assert "product" in shot.subject.label
    img = renderer.render(world, shot.camera)
    product = img.semantic_hw == SEM["mesh"]
    assert product.mean() >= 0.03
    behind_px = img.semantic_hw == SEM[behind]
    assert behind_px.mean() >= 0.03
    assert float(np.median(img.depth_hw[behind_px])) > float(np.median(img.depth_hw[product]))


def test_an_imported_mesh_replaces_the_stand_in_and_its_rock(tmp_path: Path) -> None:
    world = world_of("a perfume bottle on a rock by the sea at sunset")
    c = world.size_m / 2
    out = import_mesh(world, box_glb(tmp_path / "p.glb", (0.08, 0.08, 0.28)), x=c, y=c, yaw_deg=30.0)
    assert [m.name for m in out.meshes] == ["p.glb"]
    assert not any(k.startswith("mesh_standin") for k in out.mesh_arrays)
    # the stand-in's rock is gone, the import's own rock takes its place
    assert len(out.inst_kind) == len(world.inst_kind)
    assert out.meshes[0].extra["setting"] == "the sea"


def test_a_world_with_a_stand_in_is_the_same_world_around_it() -> None:
    text = "a glass bottle on a rock in a pine forest"
    world = world_of(text)
    bare = generate_world(WorldSpec.from_json({**spec_of(text).to_dict(), "product": {}}), 3,
                          GenerateConfig(size_m=512.0, cell_m=1.0))
    assert np.array_equal(world.height_hw, bare.height_hw)
    assert np.array_equal(world.inst_xyz[:-1], bare.inst_xyz) and not bare.meshes


def test_a_product_in_a_vineyard_stands_off_the_rows_looking_over_them() -> None:
    world = world_of("a coffee cup on a wooden table in a vineyard")
    m = next(m for m in world.meshes if m.extra.get("role") == "product")
    assert m.extra["setting"] == "the vineyard"
    vines = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vine"), :2]
    gap = np.hypot(*(vines - np.asarray(m.pos[:2])).T)
    assert 3.0 <= gap.min() <= 10.0  # just off the rows
    toward = np.asarray(m.extra["toward"])
    ahead = vines[gap < 30.0] - np.asarray(m.pos[:2])
    assert float(np.mean(ahead @ toward > 0)) > 0.7  # the rows lie the way the shot looks
