"""The adherence bench's scoring on small synthetic passes: what is too small, too clear or too dark fails."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from oyster_nodes.world import INSTANCE_KINDS, MATERIALS, WorldState

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("adherence", ROOT / "bench" / "adherence.py")
adh = importlib.util.module_from_spec(_spec)
sys.modules["adherence"] = adh
_spec.loader.exec_module(adh)

H, W = 180, 320
SKY, TERRAIN, WATER = adh.SEM["sky"], adh.SEM["terrain"], adh.SEM["water"]


def passes(rgb: np.ndarray | None = None, sem: np.ndarray | None = None, depth: np.ndarray | None = None,
           **kw: object) -> adh.Passes:
    none = np.full((H, W), -1, np.int16)
    return adh.Passes(
        rgb_hw3=rgb if rgb is not None else np.full((H, W, 3), 128, np.uint8),
        depth_hw=depth if depth is not None else np.full((H, W), 50.0, np.float32),
        semantic_hw=sem if sem is not None else np.full((H, W), TERRAIN, np.uint8),
        instance_hw=kw.pop("instance_hw", np.zeros((H, W), np.int64)),
        material_hw=kw.pop("material_hw", none.copy()), inst_kind_hw=kw.pop("inst_kind_hw", none.copy()),
        structure_kind_hw=kw.pop("structure_kind_hw", none.copy()), **kw)


def grey(lum_hw: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(lum_hw * 255, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def box(h: int, w: int, top: int = 60, left: int = 100) -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[top : top + h, left : left + w] = True
    return m


def test_a_house_too_small_to_read_fails_and_a_big_one_passes() -> None:
    small = adh.score_subject("house", box(4, 4))
    assert not small.ok and "height" in small.why
    assert adh.score_subject("house", box(12, 14)).ok  # 12 px of 180 > 4 % of the height
    assert adh.score_subject("house", np.zeros((H, W), bool)).why == "absent"


def test_scattered_specks_do_not_make_a_readable_subject() -> None:
    specks = np.zeros((H, W), bool)
    specks[::6, ::6] = True  # 2.8 % of the frame, but no piece taller than one pixel
    assert not adh.score_subject("conifer", specks).ok
    assert adh.score_subject("conifer", specks | box(20, 6)).ok


def test_a_road_must_cross_enough_of_the_frame() -> None:
    assert not adh.score_subject("road", box(3, 20)).ok
    assert adh.score_subject("road", box(3, 120)).ok


def test_counts_are_distinct_instances_with_enough_pixels() -> None:
    ids = np.zeros((H, W), np.int64)
    ids[10:20, 10:20], ids[10:20, 40:50], ids[10:12, 80:82] = 5, 6, 7
    assert adh.count_instances(ids > 0, ids) == 2  # the 4-pixel one does not count


def test_masks_come_from_materials_instance_kinds_and_structures() -> None:
    mat = np.full((H, W), -1, np.int16)
    mat[:, :100] = MATERIALS.index("sand")
    kind = np.full((H, W), -1, np.int16)
    kind[:10, 200:210] = INSTANCE_KINDS.index("boulder")
    struct = np.full((H, W), -1, np.int16)
    struct[100:120, 200:220] = adh.STRUCTURE_CLASSES.index("cabin")
    p = passes(material_hw=mat, inst_kind_hw=kind, structure_kind_hw=struct)
    assert adh.subject_mask("sand", p).sum() == H * 100
    assert adh.subject_mask("rock", p).sum() == 100
    assert adh.subject_mask("cabin", p).sum() == 400 and adh.subject_mask("house", p).sum() == 0


def test_snow_needs_a_snowy_world_and_white_ground() -> None:
    white = np.full((H, W, 3), 235, np.uint8)
    assert adh.subject_mask("snow", passes(rgb=white, snowy_world=False)).sum() == 0
    assert adh.subject_mask("snow", passes(rgb=white, snowy_world=True)).all()
    beige = np.tile(np.array([235, 210, 160], np.uint8), (H, W, 1))
    assert adh.subject_mask("snow", passes(rgb=beige, snowy_world=True)).sum() == 0


def landscape(fog: float, seed: int = 0) -> adh.Passes:
    """Sky over the top third; ground below whose depth grows towards the horizon, with texture that fades
    into the horizon sky's luminance as exp(-fog * depth)."""
    rng = np.random.default_rng(seed)
    rows = np.arange(H)[:, None] * np.ones((1, W))
    sem = np.where(rows < H // 3, SKY, TERRAIN).astype(np.uint8)
    depth = np.where(sem == SKY, np.inf, 2000.0 / np.maximum(rows - H // 3 + 2, 1)).astype(np.float32)
    texture = 0.35 + 0.2 * rng.standard_normal((H, W))
    t = np.exp(-fog * np.where(np.isfinite(depth), depth, 0))
    lum = np.where(sem == SKY, 0.8, texture * t + 0.8 * (1 - t))
    return passes(rgb=grey(lum), sem=sem, depth=depth)


def test_fog_with_no_distant_contrast_loss_fails() -> None:
    clear = adh.fog_score(landscape(fog=0.0))
    assert not clear.ok and clear.metrics["far_near_contrast"] > 0.45
    assert adh.fog_score(landscape(fog=0.01)).ok


def test_fog_cannot_be_judged_on_a_frame_with_no_distance() -> None:
    p = landscape(fog=0.01)
    p.depth_hw = np.where(np.isfinite(p.depth_hw), 30.0, np.inf).astype(np.float32)
    assert not adh.fog_score(p).ok


def sky_frame(lum: float = 0.7) -> adh.Passes:
    sem = np.where(np.arange(H)[:, None] < H // 2, SKY, TERRAIN) * np.ones((1, W), np.uint8)
    return passes(rgb=grey(np.full((H, W), lum)), sem=sem.astype(np.uint8))


def test_rain_needs_vertical_streaks_against_the_sky() -> None:
    p = sky_frame()
    assert not adh.rain_score(p).ok
    lum = np.full((H, W), 0.7)
    rng = np.random.default_rng(1)
    for x, y in zip(rng.integers(0, W, 120), rng.integers(0, H - 12, 120), strict=True):
        lum[y : y + 12, x] = 0.95  # a streak 12 px long, 1 px wide
    p.rgb_hw3 = grey(lum)
    assert adh.rain_score(p).ok


def test_isotropic_noise_is_not_rain() -> None:
    p = sky_frame()
    p.rgb_hw3 = grey(0.7 + 0.1 * np.random.default_rng(2).standard_normal((H, W)))
    assert not adh.rain_score(p).ok


def test_snowfall_needs_bright_flakes() -> None:
    p = sky_frame(0.5)
    assert not adh.snowfall_score(p).ok
    lum = np.full((H, W), 0.5)
    rng = np.random.default_rng(3)
    for x, y in zip(rng.integers(1, W - 2, 200), rng.integers(1, H - 2, 200), strict=True):
        lum[y : y + 2, x : x + 2] = 0.95
    p.rgb_hw3 = grey(lum)
    assert adh.snowfall_score(p).ok


def test_flakes_on_small_objects_are_not_snowfall() -> None:
    p = sky_frame(0.5)
    lum, ids = np.full((H, W), 0.5), np.zeros((H, W), np.int64)
    for k, x in enumerate(range(5, W - 5, 9)):
        lum[120:122, x : x + 2], ids[120:122, x : x + 2] = 0.95, k + 1  # bright tiny props on the ground
    p.rgb_hw3, p.instance_hw = grey(lum), ids
    assert not adh.snowfall_score(p).ok
    p.semantic_hw = np.full((H, W), TERRAIN, np.uint8)  # no sky or water to read flakes against
    p.rgb_hw3 = grey(np.where(np.random.default_rng(4).random((H, W)) < 0.01, 0.95, 0.5))
    assert not adh.snowfall_score(p).ok


def test_night_must_be_dark_but_readable() -> None:
    black = sky_frame(0.01)
    assert not adh.night_score(black).ok
    assert not adh.night_score(sky_frame(0.7)).ok  # a daylight frame does not read as night
    lum = np.where(np.arange(H)[:, None] < H // 2, 0.08, 0.05 + 0.3 * (np.arange(W)[None, :] % 40 < 10))
    moonlit = sky_frame()
    moonlit.rgb_hw3 = grey(lum * np.ones((H, W)))
    assert adh.night_score(moonlit).ok


def test_sunset_needs_warm_light() -> None:
    p = sky_frame(0.6)
    assert not adh.warm_score(p, "sunset").ok
    rgb = p.rgb_hw3.copy()
    rgb[H // 3 : H // 2] = (250, 150, 90)
    p.rgb_hw3 = rgb
    assert adh.warm_score(p, "sunset").ok


def test_overcast_and_storm_skies() -> None:
    blue = sky_frame()
    rgb = blue.rgb_hw3.copy()
    rgb[: H // 2] = (110, 160, 235)
    blue.rgb_hw3 = rgb
    assert not adh.grey_sky_score(blue, "overcast").ok
    assert adh.grey_sky_score(sky_frame(0.7), "overcast").ok
    assert not adh.grey_sky_score(sky_frame(0.7), "storm").ok  # grey but bright
    assert adh.grey_sky_score(sky_frame(0.3), "storm").ok
    assert not adh.grey_sky_score(passes(), "overcast").ok  # no sky to read


def test_terrain_pixels_are_joined_with_the_material_under_them() -> None:
    n = 33
    material = np.full((n, n), MATERIALS.index("grass"), np.uint8)
    material[:, : n // 2] = MATERIALS.index("sand")  # x < 16 m is sand
    world = WorldState(height_hw=np.zeros((n, n), np.float32), material_hw=material,
                       water_hw=np.full((n, n), np.nan, np.float32), inst_kind=np.zeros(0, np.uint16),
                       inst_xyz=np.zeros((0, 3), np.float32), inst_yaw=np.zeros(0, np.float32),
                       inst_scale=np.zeros(0, np.float32), inst_var=np.zeros(0, np.uint32), size_m=32.0)
    pos, fwd = np.array([16.0, -40.0, 20.0]), np.array([0.0, 56.0, -20.0])
    fwd /= np.linalg.norm(fwd)  # looking north and down at (16, 16, 0): sand on the left half of the frame
    image = SimpleNamespace(
        rgb_hw3=np.zeros((H, W, 3), np.uint8), semantic_hw=np.full((H, W), TERRAIN, np.uint8),
        instance_hw=np.zeros((H, W), np.uint32),
        info={"camera": {"position": pos.tolist(), "forward": fwd.tolist(), "focal_mm": 200.0, "sensor_mm": 36.0},
              "id_ranges": {"structures": [1, 0]}})
    cam = adh.image_camera(image, W, H)
    jj, ii = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    ray = cam.unproject(np.stack([jj.ravel(), ii.ravel()], 1), np.ones(H * W)) - pos
    image.depth_hw = (pos[2] / -ray[:, 2]).reshape(H, W).astype(np.float32)  # where each ray meets z = 0
    p = adh.passes_from_image(image, world)
    sand = p.material_hw == MATERIALS.index("sand")
    assert sand[:, : W // 2 - 40].all() and not sand[:, W // 2 + 40 :].any()  # the cell edge at x = 15.5 m


def test_the_prompt_set_is_ours_wide_and_consistent(tmp_path: Path) -> None:
    prompts = adh.load_prompts()
    assert len(prompts) >= 80 and len({p.kind for p in prompts}) >= 8
    gallery = (ROOT / "scripts" / "gallery.py").read_text()
    assert not [p.text for p in prompts if p.text in gallery]
    assert all(p.subjects or p.weather for p in prompts)
    bad = {"prompts": [{"id": 1, "kind": "x", "text": "a castle", "subjects": ["castle"], "weather": []}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="castle"):
        adh.load_prompts(tmp_path / "bad.json")


def test_product_meshes_are_glb_files_of_the_asked_size(tmp_path: Path) -> None:
    import trimesh

    path = adh.product_glb({"shape": "bottle", "size_m": [0.1, 0.1, 0.3], "color": [1, 0, 0]}, tmp_path / "p.glb")
    mesh = trimesh.load(path, force="mesh")
    assert np.allclose(np.ptp(mesh.bounds, axis=0), (0.1, 0.3, 0.1), atol=1e-3)  # Y-up: the height is Y
    with pytest.raises(ValueError, match="shape"):
        adh.product_glb({"shape": "torus", "size_m": [1, 1, 1]}, tmp_path / "q.glb")


def test_snowfall_on_a_frame_without_sky_is_read_against_the_same_view_drawn_dry() -> None:
    """A snowfall seen against a snowfield (no open sky or water): the flakes are what the fall adds to the
    dry view; the ground's own specks, the same in both, are not flakes."""
    rng = np.random.default_rng(5)
    ground = np.where(rng.random((H, W)) < 0.01, 0.95, 0.6)  # a snowfield with bright specks of its own
    p = passes(rgb=grey(ground))
    p.dry_rgb_hw3 = grey(ground)
    assert adh.needs_dry_view(p) and not adh.snowfall_score(p).ok  # nothing falls: no flakes
    fall = ground.copy()
    for x, y in zip(rng.integers(1, W - 2, 200), rng.integers(1, H - 2, 200), strict=True):
        fall[y : y + 2, x : x + 2] = 0.95
    p.rgb_hw3 = grey(fall)
    s = adh.snowfall_score(p)
    assert s.ok and s.metrics["read_against_dry_view"] == 1.0
    p.dry_rgb_hw3 = None  # without the dry view, ground specks are never taken for flakes
    assert not adh.snowfall_score(p).ok


def test_blue_shaded_snow_is_snow_and_pale_blue_paint_elsewhere_is_not() -> None:
    """Snow in the shade of a clear sky (or by moonlight) is blue-white; a warm or green tint that strong is not
    snow, and nothing is snow in a world without it."""
    shade = np.tile(np.array([162, 175, 195], np.uint8), (H, W, 1))  # chroma 0.13, blue over green over red
    assert adh.subject_mask("snow", passes(rgb=shade, snowy_world=True)).all()
    assert adh.subject_mask("snow", passes(rgb=shade, snowy_world=False)).sum() == 0
    green = np.tile(np.array([170, 205, 175], np.uint8), (H, W, 1))
    assert adh.subject_mask("snow", passes(rgb=green, snowy_world=True)).sum() == 0
    deep_blue = np.tile(np.array([120, 160, 230], np.uint8), (H, W, 1))  # chroma 0.43: a blue wall, not snow
    assert adh.subject_mask("snow", passes(rgb=deep_blue, snowy_world=True)).sum() == 0
