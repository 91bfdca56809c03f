"""Camera paths: shot sizes, keyframe interpolation and easing, presets, clearance, the map, and the nodes."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from oyster_nodes.builtin import camera as camera_nodes
from oyster_nodes.types import CameraPath, Image
from oyster_nodes.world.camera import path as cp
from oyster_nodes.world.camera.map import blank_map, top_down_map
from oyster_nodes.world.camera.presets import (
    PRESETS,
    FollowSettings,
    PresetSettings,
    follow_samples,
    preset_samples,
)

from ..params import checked_params as node_params
from ..params import node_context
from .shot_world import flat, hills

SHOT = cp.Shot(duration_s=2.0, fps=24, width=96, height=54)


@pytest.mark.parametrize(("res", "aspect", "size"), [
    ("720p", "16:9", (1280, 720)), ("720p", "9:16", (720, 1280)), ("1080p", "2.39:1", (1920, 804)),
    ("720p", "1:1", (720, 720)), ("144p", "16:9", (256, 144)),
])
def test_frame_sizes(res: str, aspect: str, size: tuple[int, int]) -> None:
    assert cp.frame_size(res, aspect) == size


def test_keys_are_hit_and_velocity_is_continuous() -> None:
    raw = [{"time": 0, "position": [0, 0, 10], "target": [50, 50, 0]},
           {"time": 1, "position": [10, 0, 10], "target": [50, 50, 0]},
           {"time": 3, "position": [10, 30, 20], "target": [50, 50, 0], "focal_mm": 50}]
    keys, notes = cp.parse_keys(raw, duration_s=3.0)
    assert notes == []
    at_keys = cp.sample_keys(keys, np.array([0.0, 1.0, 3.0]))
    np.testing.assert_allclose(at_keys.position, [[0, 0, 10], [10, 0, 10], [10, 30, 20]], atol=1e-9)
    assert at_keys.focal_mm[-1] == pytest.approx(50.0)
    h = 1e-4
    around = cp.sample_keys(keys, np.array([1 - 2 * h, 1 - h, 1 + h, 1 + 2 * h])).position
    left, right = (around[1] - around[0]) / h, (around[3] - around[2]) / h
    np.testing.assert_allclose(left, right, atol=1e-2)


def test_easing_starts_and_stops_gently() -> None:
    keys, _ = cp.parse_keys([{"time": 0, "position": [0, 0, 5], "target": [0, 10, 5]},
                             {"time": 2, "position": [20, 0, 5], "target": [20, 10, 5]}], duration_s=2.0)
    eased = cp.sample_keys(keys, np.linspace(0, 2, 201), shot_ease="in_out", duration_s=2.0).position[:, 0]
    step = np.diff(eased)
    assert step[0] < 0.05 * step.max() and step[-1] < 0.05 * step.max()
    assert np.all(step >= -1e-12)


@pytest.mark.parametrize(("raw", "fragment"), [
    ([], "no keyframes"),
    ([{"time": 0, "position": [0, 0, 1]}], "key 0: give a target"),
    ([{"time": 0, "position": [0, 0], "target": [1, 1, 1]}], "key 0 position"),
    ([{"time": 1, "position": [0, 0, 1], "target": [1, 1, 1]}, {"time": 1, "position": [1, 0, 1], "target": [1, 1, 1]}],
     "share a time"),
    ([{"time": "soon", "position": [0, 0, 1], "target": [1, 1, 1]}], "time expects a number"),
    ([{"time": 0, "position": [0, 0, 1], "target": [1, 1, 1], "ease": "wobbly"}], "ease 'wobbly'"),
])
def test_bad_keys_say_which_key(raw: list, fragment: str) -> None:
    with pytest.raises(cp.CameraPathError, match=fragment):
        cp.parse_keys(raw, duration_s=5.0)


def test_a_path_through_a_mountain_is_lifted_smoothly_with_a_note() -> None:
    world = flat()
    keys, _ = cp.parse_keys([{"time": 0, "position": [10, 64, 15], "target": [118, 64, 15]},
                             {"time": 2, "position": [118, 64, 15], "target": [10, 64, 15]}], duration_s=2.0)
    clear = cp.keep_clear(world, cp.sample_keys(keys, SHOT.times()), clearance_m=2.0)
    ground = cp.heights_at(world, clear.position[:, :2])
    assert np.all(clear.position[:, 2] >= ground + 2.0 - 1e-6)
    assert max(np.abs(np.diff(clear.position[:, 2]))) < 6.0  # no jumps
    assert any("lifted the camera" in n for n in clear.notes)


def test_camera_keeps_out_of_buildings() -> None:
    world = hills()
    s = world.structures[0]
    x, y = s.x, s.y
    keys, _ = cp.parse_keys([{"time": 0, "position": [x - 30, y, s.z + 1], "target": [x + 30, y, s.z]},
                             {"time": 2, "position": [x + 30, y, s.z + 1], "target": [x - 30, y, s.z]}],
                            duration_s=2.0)
    clear = cp.keep_clear(world, cp.sample_keys(keys, SHOT.times()), clearance_m=1.0)
    middle = clear.position[len(clear.position) // 2]
    assert middle[2] >= s.z + s.h + 1.0


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_gives_a_clear_path_per_frame(name: str) -> None:
    world = hills()
    samples = cp.keep_clear(world, preset_samples(world, SHOT, name, PresetSettings(distance_m=25.0)))
    assert len(samples.times) == SHOT.n_frames
    assert np.all(np.isfinite(samples.position)) and np.all(np.isfinite(samples.target))
    floor = cp.heights_at(world, samples.position[:, :2])
    assert np.all(samples.position[:, 2] > floor)
    assert np.all(np.linalg.norm(samples.target - samples.position, axis=1) > 0.1)


def test_preset_geometry() -> None:
    world = flat()
    settings = PresetSettings(subject=(64.0, 64.0), distance_m=30.0, height_m=40.0, azimuth_deg=0.0)
    orbit = preset_samples(world, SHOT, "orbit", settings)
    flat_dist = np.linalg.norm(orbit.position[:, :2] - [64, 64], axis=1)
    np.testing.assert_allclose(flat_dist, 30.0, atol=1e-6)
    dolly = preset_samples(world, SHOT, "dolly_in", settings)
    d = np.linalg.norm(dolly.position - dolly.target, axis=1)
    assert np.all(np.diff(d) <= 1e-9) and d[0] > d[-1]
    pan = preset_samples(world, SHOT, "pan", settings)
    assert np.ptp(pan.position, axis=0).max() == 0.0 and np.ptp(pan.target[:, 0]) > 1.0


class Track:
    """A straight walk east at 2 m/s on the flat world, as a timeline would report it."""

    def track(self, object_id: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        assert object_id == "hero"
        pos = np.column_stack([20 + 2 * times, np.full_like(times, 30.0), np.full_like(times, 10.0)])
        return pos, np.zeros_like(times)


def test_follow_chases_from_behind_and_pov_looks_ahead() -> None:
    world = flat()
    chase = follow_samples(world, SHOT, Track(), FollowSettings(target_id="hero", mode="chase", distance_m=6.0,
                                                                         lag_s=0.0))
    behind = chase.target[:, 0] - chase.position[:, 0]
    np.testing.assert_allclose(behind[3:], 6.0, atol=0.2)
    pov = follow_samples(world, SHOT, Track(), FollowSettings(target_id="hero", mode="pov"))
    assert np.all(pov.target[:, 0] > pov.position[:, 0])


def test_camera_at_interpolates_between_frames() -> None:
    world = flat()
    samples = preset_samples(world, SHOT, "truck", PresetSettings(subject=(64.0, 64.0), azimuth_deg=90.0))
    path = cp.to_camera_path(samples, SHOT)
    half = 0.5 / SHOT.fps
    cam = cp.camera_at(path, half)
    np.testing.assert_allclose(cam.position, (samples.position[0] + samples.position[1]) / 2, atol=1e-9)
    assert (cam.width, cam.height) == (96, 54)


def test_map_shows_the_path(tmp_path: Path) -> None:
    world = hills()
    samples = cp.keep_clear(world, preset_samples(world, SHOT, "orbit", PresetSettings(distance_m=30.0)))
    image = top_down_map(world, samples, size_px=256)
    assert image.rgb_hw3.shape == (256, 256, 3)
    magenta = (image.rgb_hw3[..., 0] > 200) & (image.rgb_hw3[..., 1] < 80) & (image.rgb_hw3[..., 2] > 180)
    assert magenta.sum() > 10
    cv2.imwrite(str(tmp_path / "map.png"), image.rgb_hw3[..., ::-1])
    assert blank_map(samples, size_px=128).rgb_hw3.shape == (128, 128, 3)


def test_preset_node_gives_path_and_preview(tmp_path: Path) -> None:
    ctx = node_context(node_id="cam", out_dir=tmp_path)
    node = camera_nodes.CameraPreset
    out = node().run(ctx, world=hills(), **node_params(node, preset="crane", resolution="144p", aspect="9:16",
                                                        duration_s=1.0, fps=30, map_px=128))
    path, preview = out["path"], out["preview"]
    assert isinstance(path, CameraPath) and isinstance(preview, Image)
    assert (path.width, path.height, path.fps, path.key_count) == (144, 256, 30.0, 30)


def test_keyframe_node_warns_about_a_mountain(tmp_path: Path) -> None:
    ctx = node_context(node_id="cam", out_dir=tmp_path)
    node = camera_nodes.CameraKeyframes
    keys = [{"time": 0, "position": [10, 64, 12], "target": [118, 64, 12]},
            {"time": 1, "position": [118, 64, 12], "target": [10, 64, 12]}]
    node().run(ctx, world=flat(), **node_params(node, keys=keys, duration_s=1.0, resolution="144p"))
    assert any("lifted the camera" in w for w in ctx.warnings)
    no_world = node().run(node_context(node_id="k"), **node_params(node, keys=keys, duration_s=1.0))
    assert no_world["preview"].rgb_hw3.shape[0] == 512


def test_node_params_reject_absurd_values() -> None:
    node = camera_nodes.CameraPreset
    checks = {"fps": 23, "duration_s": 0.0, "focal_mm": 0.1, "preset": "spin", "aspect": "5:4"}
    for name, value in checks.items():
        p = next(p for p in node.params if p.name == name)
        assert p.check(value)[1] is not None, name
    assert math.isclose(next(p for p in node.params if p.name == "fps").default, 24)


def test_follow_node_tracks_a_simulated_agent(tmp_path: Path) -> None:
    from oyster_nodes.world.actions.parse import parse_script
    from oyster_nodes.world.simulate.run import SimSettings, simulate

    world = flat()
    events = parse_script("at 0s spawn character hero pos=20,30\nfrom 0s to 2s move hero to=40,30",
                          english=False).events
    timeline = simulate(world, events, SimSettings(duration_s=2.0, fps=24))
    ctx = node_context(node_id="follow", out_dir=tmp_path)
    node = camera_nodes.CameraFollow
    out = node().run(ctx, world=world, timeline=timeline,
                     **node_params(node, target_id="hero", duration_s=3.0, resolution="144p", map_px=128))
    path = out["path"]
    assert path.key_count == 72 and path.target_k3[-1, 0] > path.target_k3[0, 0] + 15
    assert any("longer than the simulation" in w for w in ctx.warnings)
    with pytest.raises(ValueError, match="no body or agent 'villain'"):
        node().run(ctx, world=world, timeline=timeline, **node_params(node, target_id="villain"))
