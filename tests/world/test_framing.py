"""The default camera frames what the prompt names: checked by projecting the subjects and by rendering."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.builtin.render import RenderImage
from oyster_nodes.world.camera.framing import establishing_shot, frame_shot, subjects
from oyster_nodes.world.camera.presets import PresetSettings, subject_point
from oyster_nodes.world.edit.meshimport import import_mesh
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Structure
from oyster_nodes.world.state.world_state import (
    INSTANCE_KINDS,
    MATERIALS,
    SEMANTIC_CLASSES,
    WorldState,
    heights_at,
)

from ..params import node_context
from .shot_world import flat, hills

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}
W, H = 320, 180


def box_glb(path: Path, size: tuple[float, float, float]) -> Path:
    """A box product (w, d, h metres) as a Y-up GLB, like a packshot's imported mesh."""
    import trimesh

    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation((0, 0, -mesh.bounds[0][2]))
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-math.pi / 2, (1, 0, 0)))
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb"))
    return path


def dry_spot(world: WorldState, away_m: float = 15.0) -> tuple[float, float]:
    """The ground nearest the world's middle at least `away_m` from water."""
    from scipy import ndimage

    far = ndimage.distance_transform_edt(~np.isfinite(world.water_hw)) * world.cell_m >= away_m
    ii, jj = np.nonzero(far)
    for b in world.structures:
        keep = np.hypot(jj * world.cell_m - b.x, ii * world.cell_m - b.y) >= away_m
        ii, jj = ii[keep], jj[keep]
    c = world.n / 2
    k = int(np.argmin(np.hypot(ii - c, jj - c)))
    return float(jj[k] * world.cell_m), float(ii[k] * world.cell_m)


def clear_line(world: WorldState, cam: Camera, point: np.ndarray) -> bool:
    """No terrain between the camera and the point (200 samples along the sight line)."""
    pos = np.asarray(cam.position)
    t = np.linspace(0.01, 0.99, 200)[:, None]
    ray = pos + t * (point - pos)
    return bool((heights_at(world, ray[:, :2]) < ray[:, 2]).all())


def projected_box(cam: Camera, pts: np.ndarray) -> tuple[float, float, bool]:
    """Height and width of the points' projected box as shares of the frame, and whether all are in frame."""
    uv, depth = cam.project(pts)
    inside = bool((depth > 0).all() and (uv[:, 0] >= 0).all() and (uv[:, 0] <= cam.width).all()
                  and (uv[:, 1] >= 0).all() and (uv[:, 1] <= cam.height).all())
    return float(np.ptp(uv[:, 1])) / cam.height, float(np.ptp(uv[:, 0])) / cam.width, inside


def structure_corners(s: Structure) -> np.ndarray:
    c, sn = math.cos(s.yaw), math.sin(s.yaw)
    return np.array([(s.x + c * a * s.w - sn * b * s.d, s.y + sn * a * s.w + c * b * s.d, s.z + h)
                     for a in (-0.5, 0.5) for b in (-0.5, 0.5) for h in (0.0, s.h)])


def test_subjects_are_ranked_product_vehicle_structure_road_water_landscape(tmp_path: Path) -> None:
    spec = WorldSpec(terrain="plains", water=["lake"], structures={"cabin": 1, "road": 1}, props={"vehicles": 1})
    world = generate_world(spec, 11, GenerateConfig(size_m=256.0))
    world = import_mesh(world, box_glb(tmp_path / "p.glb", (0.3, 0.2, 0.4)), x=128.0, y=128.0)
    kinds = [s.kind for s in subjects(world)]
    assert kinds == ["product", "vehicle", "structure", "road", "water", "landscape"]


def test_the_cabin_reads_and_the_lake_beside_it_is_in_frame(renderer: Renderer) -> None:
    world = hills()
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "structure" and "cabin" in shot.subject.label
    cabin = world.structures[0]
    bh, _, inside = projected_box(shot.camera, structure_corners(cabin))
    assert inside and bh >= 0.1  # readable: a tenth of the frame's height at least
    assert clear_line(world, shot.camera, np.array([cabin.x, cabin.y, cabin.z + 0.6 * cabin.h]))
    img = renderer.render(world, shot.camera)
    assert np.mean(img.semantic_hw == SEM["water"]) >= 0.05  # the named lake shows
    assert np.mean(img.semantic_hw == SEM["structure"]) >= 0.005
    assert "the lake is in the" in shot.note


def test_the_horizon_sits_near_a_third() -> None:
    world = flat(256.0)
    world = dataclasses.replace(world, structures=[Structure(id="h", kind="house", x=60.0, y=128.0, z=10.0,
                                                             w=8, d=10, h=7)])
    cam = frame_shot(world, width=W, height=H).camera
    far = np.asarray(cam.position) + 1e6 * np.append(cam.forward()[:2] / np.linalg.norm(cam.forward()[:2]), 0.0)
    uv, _ = cam.project(far[None])
    assert 0.2 * H <= uv[0, 1] <= 0.45 * H


def test_a_subject_by_the_border_is_framed_without_the_border_in_view(renderer: Renderer) -> None:
    world = flat(512.0)
    x, y = 470.0, 200.0
    world = dataclasses.replace(world, structures=[Structure(id="t", kind="tower", x=x, y=y,
                                                             z=world.height_at(x, y), w=6, d=6, h=18)])
    cam = establishing_shot(world, width=W, height=H)
    img = renderer.render(world, cam)
    jj, ii = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    rays = cam.unproject(np.stack([jj.ravel(), ii.ravel()], 1), np.ones(W * H)) - np.asarray(cam.position)
    # "sky" seen looking down more than 3 degrees: past the world's edge (haze hides a thinner band)
    void = (img.semantic_hw.ravel() == SEM["sky"]) & (rays[:, 2] < -0.05)
    assert void.mean() < 0.03
    assert np.mean(img.semantic_hw == SEM["structure"]) > 0.005


def test_the_subject_is_not_hidden_behind_a_hill(renderer: Renderer) -> None:
    world = flat(256.0)  # a 30 m hill in the middle
    x, y = 128.0 + 26.0, 128.0
    world = dataclasses.replace(world, structures=[Structure(id="c", kind="cabin", x=x, y=y,
                                                             z=world.height_at(x, y), w=6, d=8, h=5)])
    shot = frame_shot(world, width=W, height=H)
    cabin = world.structures[0]
    for p in structure_corners(cabin)[1::2]:  # the roof line's corners
        assert clear_line(world, shot.camera, p)
    img = renderer.render(world, shot.camera)
    assert np.mean(img.semantic_hw == SEM["structure"]) > 0.01


@pytest.mark.parametrize("side, bearing", [("front", 0.0), ("back", 180.0), ("left", -90.0)])
def test_a_product_is_framed_from_the_chosen_side(renderer: Renderer, tmp_path: Path, side: str,
                                                  bearing: float) -> None:
    x, y = dry_spot(hills())
    world = import_mesh(hills(), box_glb(tmp_path / "p.glb", (0.3, 0.12, 0.4)), x=x, y=y, yaw_deg=30.0)
    shot = frame_shot(world, width=W, height=H, product_side=side)
    m = world.meshes[0]
    front = np.array([math.sin(m.yaw), -math.cos(m.yaw)])  # a glTF asset faces +Z: -Y after the Y-up turn
    to_cam = np.asarray(shot.camera.position[:2]) - np.asarray(m.pos[:2])
    seen_from = math.degrees(math.atan2(to_cam[1], to_cam[0]) - math.atan2(front[1], front[0]))
    off = (seen_from - bearing + 180.0) % 360.0 - 180.0
    assert abs(off) <= 30.0
    height = shot.camera.position[2] - m.pos[2]
    assert 0.0 < height < 1.0  # eye level with a 0.4 m product, not from above
    img = renderer.render(world, shot.camera)
    mask = img.semantic_hw == SEM["mesh"]
    rows = np.nonzero(mask.any(axis=1))[0]
    assert mask.mean() >= 0.03 and (rows.max() - rows.min() + 1) / H >= 0.3  # a hero: a third of the height


def test_a_product_against_a_wall_is_framed_from_a_free_side(renderer: Renderer, tmp_path: Path) -> None:
    cabin = hills().structures[0]
    x, y = cabin.x, cabin.y - cabin.d / 2 - 0.5  # just outside one long wall, facing away from it
    world = import_mesh(hills(), box_glb(tmp_path / "p.glb", (0.3, 0.12, 0.4)), x=x, y=y,
                        yaw_deg=math.degrees(cabin.yaw))
    shot = frame_shot(world, width=W, height=H, product_side="back")
    assert "blocked" in shot.note
    img = renderer.render(world, shot.camera)
    assert np.mean(img.semantic_hw == SEM["mesh"]) >= 0.03


def test_a_vehicle_is_framed_at_eye_level_with_the_road_under_it(renderer: Renderer) -> None:
    spec = WorldSpec(terrain="plains", structures={"road": 1}, props={"vehicles": 1})
    world = generate_world(spec, 11, GenerateConfig(size_m=256.0))
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "vehicle"
    car = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle")]
    assert len(car) >= 1
    assert shot.camera.position[2] - shot.subject.centre[2] < 8.0
    _, bw, inside = projected_box(shot.camera, shot.subject.points)
    assert inside and bw >= 0.08
    img = renderer.render(world, shot.camera)
    assert np.mean(img.semantic_hw == SEM["prop"]) >= 0.002
    assert "the road" in shot.note


def test_the_sea_beside_a_lighthouse_is_in_frame(renderer: Renderer) -> None:
    spec = WorldSpec(terrain="hills", shore="coast", water=["ocean"], structures={"lighthouse": 1})
    world = generate_world(spec, 3, GenerateConfig(size_m=512.0))
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "structure" and "lighthouse" in shot.subject.label
    img = renderer.render(world, shot.camera)
    assert np.mean(img.semantic_hw == SEM["water"]) >= 0.05
    assert np.mean(img.semantic_hw == SEM["structure"]) >= 0.003
    assert "the sea is in the" in shot.note or "over the sea" in shot.note


def test_render_node_says_what_it_framed(tmp_path: Path) -> None:
    ctx = node_context(node_id="r", out_dir=tmp_path)
    params = {p.name: p.default for p in RenderImage.params} | {"width": 96, "height": 54}
    img = RenderImage().run(ctx, world=hills(), **params)
    note = img.info["framing"]["note"]
    assert note.startswith("framed the cabin") and "lake" in note
    assert note in ctx.warnings


def test_an_unknown_product_side_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="product_side 'top'.*front"):
        frame_shot(hills(), product_side="top")


def test_framing_is_deterministic() -> None:
    a, b = frame_shot(hills()), frame_shot(hills())
    assert a.camera == b.camera and a.note == b.note



def test_presets_circle_the_subject_the_still_frames() -> None:
    spec = WorldSpec(terrain="plains", structures={"cabin": 1, "road": 1}, props={"vehicles": 1})
    world = generate_world(spec, 11, GenerateConfig(size_m=256.0))
    car = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle")][0]
    aim = subject_point(world, PresetSettings())
    assert np.hypot(aim[0] - car[0], aim[1] - car[1]) < 0.5 and car[2] < aim[2] < car[2] + 2.0


def test_named_props_are_kept_in_frame_beside_a_named_building() -> None:
    world = flat(256.0)
    rng = np.random.default_rng(2)
    xy = rng.uniform(150.0, 200.0, (30, 2))
    world = dataclasses.replace(
        world, inst_kind=np.full(30, INSTANCE_KINDS.index("boulder"), np.uint16),
        inst_xyz=np.column_stack([xy, heights_at(world, xy)]).astype(np.float32),
        inst_yaw=np.zeros(30, np.float32), inst_scale=np.full(30, 1.5, np.float32), inst_var=np.zeros(30, np.uint32),
        spec={"props": {"rocks": 30}, "structures": {"cabin": 1}},
        structures=[Structure(id="c", kind="cabin", x=175.0, y=110.0, z=10.0, w=6, d=8, h=5)])
    assert [s.kind for s in subjects(world)] == ["structure", "props", "landscape"]
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.kind == "structure"
    assert shot.shares["the rocks"] >= 0.01 and "the rocks are in the" in shot.note


def test_another_named_kind_of_building_is_kept_beside_the_main_one() -> None:
    world = flat(512.0)
    z = 10.0
    world = dataclasses.replace(world, spec={"structures": {"lighthouse": 1, "house": 2}}, structures=[
        Structure(id="l", kind="lighthouse", x=150.0, y=150.0, z=z, w=6, d=6, h=20),
        Structure(id="h1", kind="house", x=272.0, y=190.0, z=z, w=8, d=10, h=7),
        Structure(id="h2", kind="house", x=283.0, y=201.0, z=z, w=8, d=10, h=7)])
    found = [s.label for s in subjects(world) if s.kind == "structure"]
    assert found == ["the lighthouse", "the house"]
    shot = frame_shot(world, width=W, height=H)
    assert shot.subject.label == "the lighthouse"
    house = world.structures[1]
    assert projected_box(shot.camera, structure_corners(house))[2]  # the house is whole in frame too
    assert "the house is in the" in shot.note


def test_a_product_on_a_rock_stands_on_a_rock_in_frame(renderer: Renderer, tmp_path: Path) -> None:
    x, y = dry_spot(hills())
    base = dataclasses.replace(hills(), spec={**(hills().spec or {}), "text": "a perfume bottle on a smooth rock"})
    plain = import_mesh(hills(), box_glb(tmp_path / "p.glb", (0.1, 0.1, 0.25)), x=x, y=y)
    world = import_mesh(base, box_glb(tmp_path / "p.glb", (0.1, 0.1, 0.25)), x=x, y=y)
    rock = INSTANCE_KINDS.index("rock")
    assert int((world.inst_kind == rock).sum()) == int((plain.inst_kind == rock).sum()) + 1
    top = world.inst_xyz[-1]
    assert world.inst_kind[-1] == rock and math.hypot(top[0] - x, top[1] - y) < 1e-3
    assert world.meshes[0].pos[2] > plain.meshes[0].pos[2] + 0.1  # lifted onto the rock
    shot = frame_shot(world, width=W, height=H)
    assert shot.camera.position[2] > world.meshes[0].pos[2]  # never under the rock's top, looking into it
    img = renderer.render(world, shot.camera)
    ids = img.instance_hw.astype(np.int64)
    rock_px = ids == len(world.inst_kind)  # instance ids count from 1
    assert rock_px.mean() >= 0.02 and (img.semantic_hw == SEM["mesh"]).mean() >= 0.03


def test_a_product_set_down_on_the_ground_gets_no_rock(tmp_path: Path) -> None:
    base = dataclasses.replace(hills(), spec={**(hills().spec or {}), "text": "a can on wet sand by a stone bridge"})
    world = import_mesh(base, box_glb(tmp_path / "p.glb", (0.1, 0.1, 0.25)), x=60.0, y=60.0)
    assert len(world.inst_kind) == len(hills().inst_kind)


def test_a_city_is_framed_at_street_level_down_a_street(renderer: Renderer) -> None:
    spec = WorldSpec(structures={"city": 1}, clock_h=15.0)
    world = generate_world(spec, 2, GenerateConfig(size_m=512.0, cell_m=2.0))
    shot = frame_shot(world, width=W, height=H)
    pos = np.asarray(shot.camera.position)
    assert "street level" in shot.note
    assert 1.0 < pos[2] - world.height_at(pos[0], pos[1]) < 3.0  # eye height
    assert world.material_hw[int(pos[1] / world.cell_m), int(pos[0] / world.cell_m)] == MATERIALS.index("road")
    img = renderer.render(world, shot.camera)
    assert (img.semantic_hw == SEM["structure"]).mean() >= 0.3 and (img.semantic_hw == SEM["sky"]).mean() >= 0.03


def test_the_default_workflow_shows_both_its_cabins_and_no_crown_fills_the_frame(renderer: Renderer) -> None:
    from oyster_nodes.types import Prompt
    from oyster_nodes.world.prompt.understand import spec_from_prompt

    text = "a misty pine forest on rolling hills around a calm lake at dawn, two wooden cabins by the lake"
    world = generate_world(spec_from_prompt(Prompt(text=text, seed=7), None), 7)
    shot = frame_shot(world, width=480, height=270)
    img = renderer.render(world, shot.camera)
    first, _ = img.info["id_ranges"]["structures"]
    seen = [int((img.instance_hw == first + k).sum()) for k, s in enumerate(world.structures) if s.kind == "cabin"]
    assert len(seen) == 2 and min(seen) > 150, seen  # each cabin reads, not one hidden behind the trees
    near = np.isfinite(img.depth_hw) & (img.depth_hw < 3.0)
    assert near.mean() < 0.05  # no tree crown a few metres from the lens fills a side of the frame
