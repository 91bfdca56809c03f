"""Renderer, camera and the render/export nodes, on a small synthetic world built here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from oyster_nodes.builtin.export import ExportPNG
from oyster_nodes.builtin.render import RenderImage
from oyster_nodes.world.camera.framing import establishing_shot
from oyster_nodes.world.camera.path import path_from_keys
from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Env
from oyster_nodes.world.state.sky import build_env, clock_for_time
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState

from ..params import node_context

SEM = {name: i for i, name in enumerate(SEMANTIC_CLASSES)}


def small_world(env: dict | None = None) -> WorldState:
    """256 m: two hills, a lake, a few hundred trees and rocks, a cabin and a road."""
    n = 257
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    h = 30 * np.exp(-((x - 70) ** 2 + (y - 180) ** 2) / 1500.0) + 18 * np.exp(
        -((x - 190) ** 2 + (y - 90) ** 2) / 700.0
    )
    h = (h + 5 - 8 * np.clip(1 - np.hypot(x - 150, y - 150) / 30, 0, 1)).astype(np.float32)
    water = np.where(h < 3.0, 3.0, np.nan).astype(np.float32)
    rng = np.random.default_rng(3)
    count = 300
    px, py = rng.uniform(5, 250, count), rng.uniform(5, 250, count)
    keep = h[py.astype(int), px.astype(int)] > 3.5
    px, py = px[keep], py[keep]
    kinds = rng.choice([INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "shrub", "rock")], len(px))
    world = WorldState(
        size_m=256.0,
        cell_m=1.0,
        height_hw=h,
        material_hw=np.zeros((n, n), np.uint8),
        water_hw=water,
        inst_kind=kinds.astype(np.uint16),
        inst_xyz=np.zeros((len(px), 3), np.float32),
        inst_yaw=rng.uniform(0, 6.28, len(px)).astype(np.float32),
        inst_scale=rng.uniform(0.7, 1.3, len(px)).astype(np.float32),
        inst_var=rng.integers(0, 1 << 30, len(px)).astype(np.uint32),
        env=env or {},
    )
    world.inst_xyz[:] = np.stack([px, py, [world.height_at(a, b) for a, b in zip(px, py, strict=True)]], 1)
    return dataclasses.replace(world, structures=[
        {
            "kind": "cabin",
            "id": "c1",
            "x": 110.0,
            "y": 110.0,
            "z": world.height_at(110, 110),
            "yaw": 0.3,
            "w": 8,
            "d": 6,
            "h": 6,
            "color": "#8a6a4a",
        }
    ],
    paths=[{"kind": "road", "width_m": 4, "points": [[10, 10, 0], [110, 100, 0], [240, 130, 0]]}])


@pytest.fixture(scope="module")
def world() -> WorldState:
    return small_world()


def overview(world: WorldState, w: int = 160, h: int = 90) -> Camera:
    return Camera(
        position=(40.0, 30.0, 60.0), target=(140.0, 140.0, 5.0), focal_mm=24.0, width=w, height=h, near_m=0.5
    )


def test_all_passes_have_the_right_shapes_and_meaning(renderer: Renderer, world: WorldState) -> None:
    img = renderer.render(world, overview(world, 320, 180))
    assert img.rgb_hw3.shape == (180, 320, 3) and img.rgb_hw3.dtype == np.uint8
    assert img.depth_hw.dtype == np.float32 and img.normal_hw3.dtype == np.float32
    assert img.instance_hw.dtype == np.int32 and img.semantic_hw.dtype == np.uint8
    present = set(np.unique(img.semantic_hw).tolist())
    assert {SEM["sky"], SEM["terrain"], SEM["water"], SEM["vegetation"], SEM["structure"]} <= present
    sky = img.semantic_hw == SEM["sky"]
    assert np.all(np.isinf(img.depth_hw[sky])) and np.all(np.isfinite(img.depth_hw[~sky]))
    assert np.allclose(np.linalg.norm(img.normal_hw3[~sky], axis=-1), 1.0, atol=1e-3)
    ids = img.instance_hw[img.semantic_hw == SEM["vegetation"]]
    assert ids.min() >= 1 and ids.max() <= len(world.inst_kind)
    assert np.all(img.instance_hw[img.semantic_hw == SEM["structure"]] == len(world.inst_kind) + 1)
    assert img.rgb_hw3.std() > 10 and img.rgb_hw3[sky].mean() > 60  # not blank, a lit sky
    assert img.rgb_hw3[0].mean(axis=0)[2] > img.rgb_hw3[0].mean(axis=0)[0]  # sky at the top is blue-ish


def test_terrain_depth_matches_the_heightfield(renderer: Renderer, world: WorldState) -> None:
    cam = overview(world)
    img = renderer.render(world, cam)
    terrain = img.semantic_hw == SEM["terrain"]
    pts = cam.unproject_depth(img.depth_hw)[terrain]
    ground = np.array([world.height_at(x, y) for x, y, _ in pts[::7]])
    assert np.median(np.abs(pts[::7, 2] - ground)) < 0.3


def test_same_world_and_camera_give_identical_images(renderer: Renderer, world: WorldState) -> None:
    cam = overview(world)
    a, b = renderer.render(world, cam), renderer.render(world, cam)
    other = Renderer()
    try:
        c = other.render(small_world(), cam)
    finally:
        other.release()
    for x in (b, c):
        for name in ("rgb_hw3", "depth_hw", "normal_hw3", "instance_hw", "semantic_hw"):
            assert np.array_equal(getattr(a, name), getattr(x, name)), name


def test_world_uploads_and_shadows_are_cached(renderer: Renderer, world: WorldState) -> None:
    renderer.render(world, overview(world))
    scene = renderer.scene(world)
    shadow, baked = scene.slots[0].shadow_tex, scene.slots[0].bake_key
    renderer.render(world, overview(world, 200, 100))
    assert renderer.scene(world) is scene and scene.slots[0].shadow_tex is shadow and scene.slots[0].bake_key == baked
    assert renderer.scene(small_world()) is scene  # equal content, equal key


@pytest.mark.parametrize(
    "env",
    [
        {"clock_h": 6.5},
        {"clock_h": 23.0},
        {"weather": "rain"},
        {"weather": "snow", "season": "winter"},
        {"weather": "fog"},
        {"season": "autumn", "sun_dir": [0.5, 0.2, 0.3]},
    ],
)
def test_times_of_day_and_weather_render(renderer: Renderer, env: dict) -> None:
    world = small_world(env)
    img = renderer.render(world, overview(world))
    assert img.rgb_hw3.max() > 20 and img.rgb_hw3.std() > 2


def test_misty_dawn_keeps_the_foreground_readable(renderer: Renderer) -> None:
    env = build_env(clock_h=clock_for_time("dawn", "summer"), season="summer", weather="fog", mood="serene",
                    palette="natural", style="natural", time_of_day="dawn", seed=1, sea_level_m=None)
    world = small_world(env)
    img = renderer.render(world, overview(world))
    ground = img.rgb_hw3[img.semantic_hw != SEM["sky"]].astype(np.float64)
    assert ground.mean() < 200 and ground.std() > 12  # not a white-out
    sky = img.rgb_hw3[img.semantic_hw == SEM["sky"]].astype(np.float64)
    assert sky.mean(axis=0)[0] > sky.mean(axis=0)[2]  # a warm dawn sky


def test_project_unproject_round_trip() -> None:
    cam = Camera(position=(10.0, -5.0, 30.0), target=(100.0, 80.0, 0.0), focal_mm=35.0, width=320, height=180)
    pts = np.array([[100.0, 80.0, 0.0], [60.0, 20.0, 5.0], [120.0, 50.0, 12.0]])
    uv, depth = cam.project(pts)
    assert np.allclose(uv[0], [160.0, 90.0])
    assert np.allclose(cam.unproject(uv, depth), pts)
    clip = cam.view_projection() @ np.c_[pts, np.ones(3)].T
    ndc = clip[:2] / clip[3]
    assert np.allclose((ndc[0] + 1) * 160, uv[:, 0]) and np.allclose((1 - ndc[1]) * 90, uv[:, 1])


def test_establishing_shot_is_above_ground_and_sees_the_world(renderer: Renderer, world: WorldState) -> None:
    cam = establishing_shot(world, width=160, height=90)
    # the cabin is framed at a few times its size from a low rise (no longer a high aerial view)
    assert cam.position[2] > world.height_at(cam.position[0], cam.position[1]) + 2
    img = renderer.render(world, cam)
    sky = np.mean(img.semantic_hw == SEM["sky"])
    assert 0.0 < sky < 0.6


def test_establishing_shot_frames_the_structures(world: WorldState) -> None:
    cam = establishing_shot(world, width=160, height=90)
    cabin = world.structures[0]
    uv, depth = cam.project(np.array([[cabin.x, cabin.y, cabin.z + 2.0]]))
    assert depth[0] > 0 and 0.2 * 160 < uv[0, 0] < 0.8 * 160 and 0.15 * 90 < uv[0, 1] < 0.85 * 90


def test_render_node_lifts_a_buried_camera_and_warns(world: WorldState, tmp_path: Path) -> None:
    ctx = node_context(node_id="r1", out_dir=tmp_path)
    params = {p.name: p.default for p in RenderImage.params}
    params.update(
        auto_frame=False, position=[70.0, 180.0, 0.0], target=[150.0, 150.0, 3.0], width=96, height=64
    )
    img = RenderImage().run(ctx, world=world, **params)
    assert img.rgb_hw3.shape == (64, 96, 3)
    assert ctx.warnings and "raised" in ctx.warnings[0]
    assert img.info["camera"]["position"][2] > world.height_at(70, 180)


def test_render_node_uses_the_first_camera_key(world: WorldState, tmp_path: Path) -> None:
    path = path_from_keys(
        [
            {"time": 0.0, "position": [40, 30, 60], "target": [140, 140, 5], "focal_mm": 24.0},
            {"time": 1.0, "position": [0, 0, 99], "target": [1, 1, 1], "focal_mm": 50.0},
        ],
        width=80,
        height=48,
    )
    ctx = node_context(node_id="r2", out_dir=tmp_path)
    params = {p.name: p.default for p in RenderImage.params}
    img = RenderImage().run(ctx, world=world, camera=path, **params)
    assert img.rgb_hw3.shape == (48, 80, 3) and img.info["camera"]["position"] == [40.0, 30.0, 60.0]


def test_bad_params_are_refused() -> None:
    params = {p.name: p for p in RenderImage.params}
    assert params["focal_mm"].check(0.0)[1] is not None
    assert params["width"].check(100000)[1] is not None
    assert params["height"].check(0)[1] is not None
    assert params["focal_mm"].check(50.0)[1] is None
    assert not RenderImage.definition_problems() and not ExportPNG.definition_problems()


def test_export_png_writes_rgb_and_16_bit_depth(
    renderer: Renderer, world: WorldState, tmp_path: Path
) -> None:
    img = renderer.render(world, overview(world, 64, 36))
    ctx = node_context(node_id="e1", out_dir=tmp_path)
    files = ExportPNG().run(ctx, image=img, path="shots/a.png", depth=True, depth_scale_mm=10.0)
    assert files.paths == ["shots/a.png", "shots/a_depth.png"] and files.exist() and len(files.hashes) == 2
    rgb = cv2.imread(str(tmp_path / "shots/a.png"))[..., ::-1]
    assert np.array_equal(rgb, img.rgb_hw3)
    depth = cv2.imread(str(tmp_path / "shots/a_depth.png"), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth[img.semantic_hw == 0].max() == 0
    finite = np.isfinite(img.depth_hw)
    in_range = finite & (img.depth_hw < 655.0)  # 10 mm steps reach 655.35 m; the land beyond saturates
    assert np.allclose(depth[in_range] / 100.0, img.depth_hw[in_range], atol=0.006)
    assert (depth[finite & ~in_range] == 65535).all()
    from oyster_nodes.io.images import DEPTH_KEY, depth_from_png16
    from oyster_nodes.io.provenance import png_text_entries

    meta = png_text_entries((tmp_path / "shots/a_depth.png").read_bytes())[DEPTH_KEY]  # the export.depth scale
    assert np.allclose(depth_from_png16(depth, meta)[in_range], img.depth_hw[in_range], atol=0.006)
    assert not list(tmp_path.rglob("*.tmp"))
    with pytest.raises(ValueError):
        ExportPNG().run(ctx, image=img, path="../escape.png")


def test_one_renderer_serves_several_threads(renderer: Renderer, world: WorldState) -> None:
    """Executor workers take turns on the shared GL context."""
    from concurrent.futures import ThreadPoolExecutor

    cam = overview(world)
    expected = renderer.render(world, cam).rgb_hw3
    with ThreadPoolExecutor(1) as maker:
        made_elsewhere = maker.submit(Renderer).result()
    with ThreadPoolExecutor(2) as pool:
        images = list(pool.map(lambda _: made_elsewhere.render(world, cam).rgb_hw3, range(4)))
    made_elsewhere.release()
    for rgb in images:
        np.testing.assert_array_equal(rgb, expected)


def test_passes_not_asked_for_are_not_read_back(renderer: Renderer, world: WorldState) -> None:
    cam = overview(world)
    full = renderer.render(world, cam)
    some = renderer.render(world, cam, passes=("rgb", "depth"))
    assert np.array_equal(full.rgb_hw3, some.rgb_hw3) and np.array_equal(full.depth_hw, some.depth_hw)
    assert some.normal_hw3 is None and some.instance_hw is None and some.semantic_hw is None
    with pytest.raises(ValueError, match="unknown passes"):
        renderer.render(world, cam, passes=("rgb", "albedo"))


def test_distant_plants_become_camera_facing_cards(renderer: Renderer, world: WorldState) -> None:
    from oyster_nodes.world.render.gpu_scene import CARD, FAR, NEAR, frustum_planes
    from oyster_nodes.world.render.meshes import instance_card, instance_mesh
    from oyster_nodes.world.render.renderer import FLIP_Y

    for kind in ("conifer", "broadleaf", "palm", "cactus", "grass_tuft", "flower", "dead_tree"):
        card = instance_card(kind)
        assert card is not None and card.triangles < instance_mesh(kind, FAR).triangles, kind
        assert np.allclose(card.pos[:, 0], 0.0) and np.allclose(np.linalg.norm(card.nrm, axis=1), 1.0, atol=1e-5)
    assert instance_card("rock") is None  # rocks keep their far mesh
    cam = overview(world, 1280, 720)
    scene = renderer.scene(world)
    s = renderer.settings
    lists = scene.instance_lists(frustum_planes(FLIP_Y @ cam.view_projection()), np.asarray(cam.position),
                                 cam.forward(), cam.focal_px, s.instance_min_px, 1e9, 1e9)
    # nothing is near enough for the full mesh, and cards may be any size: every kind with a card uses it
    for (k, lod), members in lists.items():
        has_card = scene.kind_names[k] in ("conifer", "broadleaf", "shrub")
        assert lod != NEAR or len(members) == 0
        assert len(members) == 0 or (lod == CARD) == has_card, (scene.kind_names[k], lod)
    assert sum(len(v) for (k, lod), v in lists.items() if lod == CARD) > 0
    img = renderer.render(world, cam)  # cards land in the id and semantic passes like the meshes they stand for
    plants = img.instance_hw[img.semantic_hw == SEM["vegetation"]]
    assert plants.size and plants.min() >= 1 and plants.max() <= len(world.inst_kind)


def test_light_keys_blend_the_shadows_of_two_moments(renderer: Renderer, world: WorldState) -> None:
    import dataclasses

    cam = overview(world)
    env_a, env_m, env_b = Env(clock_h=15.0), Env(clock_h=15.25), Env(clock_h=15.5)
    at_m = dataclasses.replace(world, env=env_m)
    exact = renderer.render(at_m, cam)
    same = renderer.render(at_m, cam, light_keys=(env_m, env_m, 0.3))  # one moment: nothing to blend
    assert np.array_equal(same.rgb_hw3, exact.rgb_hw3)
    at_a = dataclasses.replace(world, env=env_a)
    assert np.array_equal(renderer.render(at_a, cam, light_keys=(env_a, env_b, 0.0)).rgb_hw3,
                          renderer.render(at_a, cam).rgb_hw3)
    blended = renderer.render(at_m, cam, light_keys=(env_a, env_b, 0.5))
    diff = np.abs(blended.rgb_hw3.astype(int) - exact.rgb_hw3)
    assert 0 < diff.mean() < 1.5  # shadows of 15:00 and 15:30 half and half look like those of 15:15
    assert np.array_equal(blended.depth_hw, exact.depth_hw)  # only light is blended, never geometry


def test_land_goes_on_past_the_worlds_border(renderer: Renderer, world: WorldState) -> None:
    """A camera at the border looking out sees ground to the horizon (the apron), not the sky under an edge;
    the ground there is the world's mirror image, so its height just past the border matches just inside."""
    cam = Camera(position=(250.0, 128.0, 25.0), target=(600.0, 128.0, 5.0), focal_mm=24.0, width=160, height=90)
    img = renderer.render(world, cam)
    below = img.semantic_hw[60:, :]  # the lower third looks down past the border
    assert (below == SEM["terrain"]).mean() > 0.95
    pts = cam.unproject_depth(img.depth_hw)[img.semantic_hw == SEM["terrain"]]
    past = pts[(pts[:, 0] > 262.0) & (pts[:, 0] < 300.0)]
    assert len(past) > 20
    mirror = np.array([world.height_at(2 * 256.0 - x, y) for x, y, _ in past[::5]])
    assert np.median(np.abs(past[::5, 2] - mirror)) < 0.5


def test_open_sea_goes_on_past_the_border_without_mirrored_land(renderer: Renderer, world: WorldState) -> None:
    """Around an island the sea's apron reaches the horizon; the land's mirror image is not drawn there (it
    would rise out of the sea as more islands)."""
    h = np.array(world.height_hw, np.float32)
    k = np.arange(257)
    edge = np.minimum(k, 256 - k)
    ramp = np.minimum(edge[:, None], edge[None, :])  # cells from the nearest border
    h = np.where(ramp < 40, np.minimum(h, -6.0 + 0.2 * ramp), h).astype(np.float32)
    island = dataclasses.replace(world, height_hw=h, water_hw=np.where(h < 3.0, 3.0, np.nan).astype(np.float32),
                                 env={"sea_level_m": 3.0})
    cam = Camera(position=(200.0, 128.0, 30.0), target=(700.0, 128.0, 3.0), focal_mm=24.0, width=160, height=90)
    img = renderer.render(island, cam)
    pts = cam.unproject_depth(img.depth_hw)
    beyond = np.isfinite(img.depth_hw) & (pts[..., 0] > 300.0)
    assert beyond.sum() > 200
    assert (img.semantic_hw[beyond] == SEM["water"]).mean() > 0.95


def test_a_highrise_has_storeys_of_outward_windows_and_stays_light() -> None:
    from oyster_nodes.world.render.meshes import FACADE, structure_mesh
    from oyster_nodes.world.state.records import Structure

    s = Structure(id="highrise-1", kind="highrise", x=50.0, y=60.0, z=5.0, yaw=0.3, w=20.0, d=16.0, h=60.0,
                  color=(0.6, 0.6, 0.6), roof="flat", material="concrete")
    m = structure_mesh(s)
    glass = m.part == FACADE
    rel = m.pos[glass, :2] - np.array([50.0, 60.0], np.float32)
    assert glass.sum() >= 3 * 40 and (rel * m.nrm[glass, :2]).sum(axis=1).min() > 0  # windows face out
    heights = np.unique(np.round(m.pos[glass, 2] - 5.0))
    assert heights.max() > 50.0 and len(m.pos) // 3 < 800  # windows up to the top storeys, few triangles
