"""Studio packshots: the prompt's studio words, the studio set (backdrop, stand, stand-in product), its light,
an imported product in place of the stand-in, and a still that frames the product large."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot, subjects
from oyster_nodes.world.edit.meshimport import import_mesh
from oyster_nodes.world.generate import studio as sd
from oyster_nodes.world.generate.world import generate_world
from oyster_nodes.world.prompt.spec import SpecError, WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.lighting import lighting_from_env
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES

from .test_framing import box_glb

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180
PERFUME = "a perfume bottle packshot on a white marble plinth, soft studio light"


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text), None)


def studio_world(text: str, seed: int = 3):
    return generate_world(read(text), seed)


def by_role(world) -> dict[str, object]:
    return {m.extra["role"]: m for m in world.meshes}


# ------------------------------------------------------------------------------------------- reading


def test_studio_words_are_read_into_the_spec_and_not_left_unknown() -> None:
    spec = read(PERFUME)
    assert spec.studio == {"product": "perfume_bottle", "backdrop": "white", "stand": "plinth", "surface": "marble",
                           "surface_color": "white", "light": "soft"}
    assert not any(n.startswith("not understood") for n in spec.notes)
    assert any(n.startswith("studio packshot: a stand-in perfume bottle on a white marble plinth") for n in spec.notes)
    assert not any(m["category"] in ("terrain", "prop") and m["text"] == "marble" for m in spec.matches)


@pytest.mark.parametrize("text, expect", [
    ("a luxury watch on black velvet, rim light",
     {"product": "watch", "stand": "cloth", "surface": "velvet", "surface_color": "black", "light": "rim"}),
    ("white sneakers on a concrete plinth, hard light",
     {"product": "sneaker", "product_color": "white", "surface": "concrete", "light": "hard"}),
    ("a red soda can with water droplets on a red backdrop",
     {"product": "can", "product_color": "red", "backdrop": "red", "finish": "droplets"}),
    ("headphones on a wooden table", {"product": "headphones", "stand": "table", "surface": "wood"}),
    ("a lipstick on a pink pedestal against a pastel pink seamless backdrop",
     {"product": "lipstick", "stand": "pedestal", "backdrop": "pink"}),
    ("a smartphone hero shot on a black podium", {"product": "smartphone", "stand": "podium",
                                                    "surface_color": "black"}),
    ("a wine bottle on a turntable, grey cyclorama", {"product": "wine_bottle", "stand": "turntable",
                                                       "backdrop": "grey"}),
    ("a coffee cup on a marble table", {"product": "coffee_cup", "stand": "table", "surface": "marble"}),
    ("a leather handbag packshot", {"product": "handbag", "stand": "plinth"}),
    ("a cosmetics jar in the studio", {"product": "jar"}),
    ("a product shot", {"product": "box"}),
    ("a skincare jar on green marble, soft light", {"product": "jar", "stand": "table", "surface": "marble",
                                                     "surface_color": "green"}),
    ("a beer bottle on a white background", {"product": "bottle", "product_color": "brown", "backdrop": "white"}),
])
def test_studio_prompts_read_product_stand_surface_backdrop_and_light(text: str, expect: dict[str, str]) -> None:
    studio = read(text).studio
    assert {k: studio.get(k) for k in expect} == expect


def test_water_droplets_are_no_lake_and_black_velvet_is_no_night() -> None:
    can = read("a soda can with water droplets on a blue backdrop")
    assert "lake" not in can.water and can.studio["finish"] == "droplets"
    watch = read("a watch on black velvet")
    assert watch.time_of_day != "night" and watch.studio["surface_color"] == "black"


def test_a_product_in_an_outdoor_place_keeps_the_outdoor_packshot() -> None:
    spec = read("a perfume bottle on a smooth rock by a calm sea at sunset")
    assert spec.studio == {} and spec.shore == "coast"
    assert any("outdoor packshot" in n for n in spec.notes)
    assert "studio" not in spec.to_dict()  # specs of worlds outdoors keep their JSON (and hashes)
    world = generate_world(spec, 3)
    assert world.size_m == 1024.0 and not world.env.extra.get("studio")
    assert [m.name for m in world.meshes] == ["stand-in perfume bottle"]  # its stand-in, by the sea (standin.py)
    assert read("a water bottle on a trail rock, snowy peaks in the background").studio == {}
    stone = read("a smartwatch resting on a stone in a snowy mountain landscape")
    assert stone.studio == {} and stone.props.get("rocks")  # outdoors "on a stone" is a rock again
    assert read("a watch against a white background, mountains far away").studio["backdrop"] == "white"


def test_verbs_are_no_products_and_a_style_is_no_studio() -> None:
    assert read("you can watch the sunset over the hills").studio == {}
    assert read("a valley in the style of studio ghibli").studio == {}
    assert read("a pine forest around a lake").studio == {}


def test_studio_spec_round_trips_and_refuses_unknown_entries() -> None:
    spec = read(PERFUME)
    again = WorldSpec.from_json(spec.to_json())
    assert again.studio == spec.studio
    with pytest.raises(SpecError, match="studio.product"):
        spec.with_overrides({"studio": {"product": "spaceship"}})
    with pytest.raises(SpecError, match="studio.colour"):
        spec.with_overrides({"studio": {"colour": "red"}})
    assert spec.with_overrides({"studio": {"stand": "pedestal"}}).studio["stand"] == "pedestal"


# ------------------------------------------------------------------------------------------- the set


def test_the_studio_world_holds_a_cyclorama_a_stand_and_the_product_on_it() -> None:
    world = studio_world(PERFUME)
    assert sd.is_studio(world)
    parts = by_role(world)
    assert set(parts) == {"backdrop", "stand", "product"}
    v = world.mesh_arrays["mesh_backdrop_v"].astype(np.float64) + np.asarray(parts["backdrop"].pos)
    y = v[:, 1] - sd.CENTRE[1]
    assert v[:, 2].max() >= 5.0 and v[:, 2].min() < 0.01  # floor and wall
    sweep = (v[:, 2] > 0.1) & (v[:, 2] < sd.SWEEP_R - 0.1)
    assert sweep.any() and np.all(y[sweep] > sd.BACK_WALL_Y - sd.SWEEP_R) and np.all(y[sweep] < sd.BACK_WALL_Y)
    stand, product = parts["stand"], parts["product"]
    sv = world.mesh_arrays["mesh_stand_v"]
    assert product.pos[2] == pytest.approx(stand.pos[2] + float(sv[:, 2].max()), abs=1e-3)  # on the top
    assert product.pos[:2] == stand.pos[:2] and product.extra.get("stand_in")
    names = {m.name for m in parts["stand"].materials}
    assert "surface" in names and any(m.base_texture >= 0 for m in stand.materials)  # marble has a texture


@pytest.mark.parametrize("kind, height", [("perfume_bottle", (0.1, 0.2)), ("wine_bottle", (0.27, 0.33)),
                                          ("watch", (0.04, 0.09)), ("can", (0.11, 0.13)),
                                          ("sneaker", (0.08, 0.14)), ("headphones", (0.15, 0.25)),
                                          ("smartphone", (0.13, 0.16)), ("coffee_cup", (0.07, 0.11))])
def test_stand_in_products_have_their_own_shape_size_and_materials(kind: str, height: tuple[float, float]) -> None:
    parts, looks = sd.product_parts(kind, "", "", 1)
    built = sd.build("p", parts, looks)
    v = built.arrays["mesh_p_v"]
    assert v[:, 2].min() == pytest.approx(0.0, abs=2e-3)
    assert height[0] <= float(v[:, 2].max()) <= height[1]
    assert len(built.materials) >= 2  # not one grey box: a cap, a dial, a sole, a label ...
    assert built.arrays["mesh_p_n"].shape == v.shape and np.isfinite(built.arrays["mesh_p_n"]).all()


def test_every_product_kind_builds_and_the_kinds_differ() -> None:
    shapes = {}
    for kind in sd.PRODUCT_BUILDERS:
        parts, looks = sd.product_parts(kind, "red", "droplets" if kind == "can" else "", 2)
        built = sd.build("p", parts, looks)
        shapes[kind] = tuple(np.round(np.ptp(built.arrays["mesh_p_v"], axis=0), 3))
    assert len(set(shapes.values())) == len(shapes)


def test_the_studio_light_has_a_key_a_fill_and_a_rim_and_no_fog() -> None:
    world = studio_world("white sneakers on a concrete plinth")
    light = lighting_from_env(world.env)
    assert light.fog_density == 0.0 and light.mist_density == 0.0 and light.cloud_cover == 0.0
    assert light.key_light_dir()[1] < 0 < light.key_light_dir()[2]  # from the camera's side, above
    assert light.rim_dir[1] > 0 and sum(light.rim_color) > 0  # from behind the set
    assert sum(lighting_from_env(generate_world(read("a pine forest"), 1).env).rim_color) == 0  # none outdoors


def test_the_studio_world_is_deterministic_and_fast() -> None:
    import time

    t = time.perf_counter()
    a = studio_world("a red soda can with water droplets on a red backdrop", seed=5)
    assert time.perf_counter() - t < 3.0
    b = studio_world("a red soda can with water droplets on a red backdrop", seed=5)
    assert a.content_hash() == b.content_hash()


# ------------------------------------------------------------------------------------------- imported products


def test_an_imported_mesh_replaces_the_stand_in_on_the_stand(tmp_path: Path) -> None:
    world = studio_world(PERFUME)
    notes: list[str] = []
    out = import_mesh(world, box_glb(tmp_path / "flacon.glb", (0.3, 0.12, 0.4)), x=512.0, y=512.0, yaw_deg=20.0,
                      note=notes.append)
    parts = [m for m in out.meshes if m.extra.get("role", "product") == "product"]
    assert len(parts) == 1 and parts[0].name == "flacon.glb"
    assert not any(k.startswith("mesh_product_") for k in out.mesh_arrays)  # the stand-in's arrays are gone
    stand = by_role(out)["stand"]
    top = stand.pos[2] + float(out.mesh_arrays[f"mesh_{stand.id}_v"][:, 2].max())
    assert parts[0].pos[2] == pytest.approx(top, abs=1e-3) and parts[0].pos[:2] == stand.pos[:2]
    width = float(np.ptp(out.mesh_arrays[f"mesh_{stand.id}_v"][:, 0]))
    assert width >= 0.3 * 1.5  # the stand was rebuilt to fit the product's footprint
    assert any("in place of the stand-in" in n for n in notes)
    assert [s.label for s in subjects(out) if s.kind == "product"] == ["the product (flacon.glb)"]


# ------------------------------------------------------------------------------------------- the still


@pytest.mark.parametrize("text", [PERFUME, "a luxury watch on black velvet", "headphones on a wooden table"])
def test_the_still_frames_the_product_large_against_the_backdrop(renderer: Renderer, text: str) -> None:
    world = studio_world(text)
    shot = frame_shot(world, width=W, height=H)
    img = renderer.render(world, shot.camera)
    product = img.semantic_hw == SEM["mesh"]
    rows = np.nonzero(product.any(axis=1))[0]
    assert product.mean() >= 0.03 and (rows.max() - rows.min() + 1) / H >= 0.35
    assert (img.semantic_hw == SEM["sky"]).mean() == 0.0  # the sweep fills the frame behind it: no sky
    assert (img.semantic_hw == SEM["terrain"]).mean() > 0.1  # the backdrop
    assert (img.semantic_hw == SEM["structure"]).mean() > 0.02  # the stand
    ids = np.unique(img.instance_hw[product])
    assert len(ids) == 1  # one product instance
    assert "studio packshot" in shot.note


def test_an_imported_product_is_framed_in_the_studio(renderer: Renderer, tmp_path: Path) -> None:
    world = import_mesh(studio_world(PERFUME), box_glb(tmp_path / "p.glb", (0.08, 0.08, 0.25)), x=1.0, y=1.0,
                        yaw_deg=30.0)
    shot = frame_shot(world, width=W, height=H)
    m = next(m for m in world.meshes if m.name == "p.glb")
    to_cam = np.asarray(shot.camera.position[:2]) - np.asarray(m.pos[:2])
    assert math.degrees(math.atan2(to_cam[0], -to_cam[1])) == pytest.approx(30.0, abs=1.0)  # from its front
    img = renderer.render(world, shot.camera)
    product = img.semantic_hw == SEM["mesh"]
    rows = np.nonzero(product.any(axis=1))[0]
    assert product.mean() >= 0.03 and (rows.max() - rows.min() + 1) / H >= 0.35


def test_studio_stills_are_deterministic(renderer: Renderer) -> None:
    world = studio_world("a red soda can with water droplets on a red backdrop")
    cam = frame_shot(world, width=W, height=H).camera
    a, b = renderer.render(world, cam), renderer.render(studio_world("a red soda can with water droplets on a "
                                                                      "red backdrop"), cam)
    assert np.array_equal(a.rgb_hw3, b.rgb_hw3)


def test_the_shadow_map_covers_the_set_only() -> None:
    from oyster_nodes.world.render.gpu_scene import _world_bounds

    lo, hi = _world_bounds(studio_world(PERFUME))
    assert np.all(hi - lo < 5.0)  # a few metres around the stand, not the 32 m world: sharp product shadows
    lo, hi = _world_bounds(generate_world(read("a pine forest"), 1))
    assert hi[0] - lo[0] > 500.0


def test_the_rim_light_lights_the_product(renderer: Renderer) -> None:
    import dataclasses

    world = studio_world("a luxury watch on black velvet, rim light")
    dark = dataclasses.replace(world, env=dataclasses.replace(world.env, extra={**world.env.extra,
                                                                                 "rim_color": [0.0, 0.0, 0.0]}))
    cam = frame_shot(world, width=W, height=H).camera
    lit, unlit = renderer.render(world, cam), renderer.render(dark, cam)
    product = lit.semantic_hw == SEM["mesh"]
    assert lit.rgb_hw3[product].astype(float).mean() > unlit.rgb_hw3[product].astype(float).mean() + 3.0


def test_water_droplets_bead_on_the_products_front() -> None:
    dry = by_role(studio_world("a red soda can on a red backdrop"))["product"]
    world = studio_world("a red soda can with water droplets on a red backdrop")
    wet = by_role(world)["product"]
    drops = next(m for m in wet.materials if m.name == "droplets")
    assert "droplets" not in {m.name for m in dry.materials} and drops.faces > 500
    v = world.mesh_arrays["mesh_product_v"][:, :]
    f = world.mesh_arrays["mesh_product_f"][drops.first_face: drops.first_face + drops.faces]
    centre = v[f.reshape(-1)].mean(axis=0)
    assert centre[1] < -0.02 and 0.01 < centre[2] < 0.12  # on the can's front (towards -Y), up its side


def _uv_stretch(v: np.ndarray, f: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Per triangle, the two singular values of the map from the triangle's plane (metres) to its uv."""
    out = []
    for a, b, c in f:
        e1, e2 = v[b] - v[a], v[c] - v[a]
        x = e1 / np.linalg.norm(e1)
        y = e2 - x * (e2 @ x)
        if np.linalg.norm(y) < 1e-9:
            continue
        y /= np.linalg.norm(y)
        plane = np.array([[e1 @ x, e2 @ x], [e1 @ y, e2 @ y]])
        tex = np.column_stack([uv[b] - uv[a], uv[c] - uv[a]])
        out.append(np.linalg.svd(tex @ np.linalg.inv(plane), compute_uv=False))
    return np.array(out)


@pytest.mark.parametrize("stand", ["pedestal", "podium", "turntable"])
def test_round_stands_show_their_stone_at_one_scale_without_streaks(stand: str) -> None:
    world = studio_world(f"a silver wristwatch on a slate {stand} with a dark blue backdrop")
    m = by_role(world)["stand"]
    v, f, uv = (world.mesh_arrays[f"mesh_{m.id}_{k}"].astype(np.float64) for k in ("v", "f", "uv"))
    tex = next(mat for mat in m.materials if mat.name == "surface")
    faces = f.astype(np.int64)[tex.first_face : tex.first_face + tex.faces]
    area = np.linalg.norm(np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]]), axis=1)
    s = _uv_stretch(v, faces[area > 1e-8], uv)
    scale = 1.0 / sd.STAND_TILE_M
    # no triangle squeezes or stretches the texture: every direction maps at the tile's scale (within the small
    # difference between a band's inner and outer radius on the sides)
    assert np.all(s[:, 0] <= 1.3 * scale) and np.all(s[:, 1] >= scale / 1.3)


def test_a_stand_of_a_named_material_is_a_plinth_of_it() -> None:
    s = read("a luxury watch packshot on a slate stand, grey backdrop, hard light")
    assert s.studio["stand"] == "plinth" and s.studio["surface"] == "stone"
    assert not any("slate" in n or "stand" in n for n in s.notes if n.startswith("not understood"))
