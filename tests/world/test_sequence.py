"""Sequence rendering: timeline x camera path -> Frames with passes, bodies drawn, motion blur, depth of field,
and the executor re-rendering a new camera from the cached timeline without simulating again."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build
from oyster_nodes.types import CameraPath, Frames
from oyster_nodes.world import RENDERER
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.camera import path as cp
from oyster_nodes.world.render.sequence import SequenceSettings, render_sequence
from oyster_nodes.world.simulate.run import SimSettings, simulate
from oyster_nodes.world.state.timeline import TimelineError
from oyster_nodes.world.state.world_state import SEMANTIC_CLASSES

from ..params import component
from .shot_world import flat, hills

BODY = SEMANTIC_CLASSES.index("body")


def still_path(position: list[float], target: list[float], *, seconds: float = 0.5, focal: float = 35.0,
               size: tuple[int, int] = (96, 54)) -> CameraPath:
    shot = cp.Shot(duration_s=seconds, fps=24, width=size[0], height=size[1])
    keys, _ = cp.parse_keys([{"time": 0, "position": position, "target": target, "focal_mm": focal}],
                            duration_s=seconds)
    return cp.to_camera_path(cp.sample_keys(keys, shot.times()), shot)


@pytest.fixture(scope="module")
def falling() -> tuple[object, object]:
    world = flat()
    script = "at 0s spawn sphere ball pos=64,30 height=6 size=1.5 color=red\n" \
             "at 0s spawn box crate pos=58,30 size=2 color=blue\nat 0s spawn character hero pos=70,30"
    return world, simulate(world, parse_script(script, english=False).events, SimSettings(duration_s=0.5, fps=24))


def test_frames_show_the_simulated_bodies_with_all_passes(falling: tuple, tmp_path: Path) -> None:
    world, timeline = falling
    path = still_path([64, 10, 16], [64, 30, 13])
    frames = render_sequence(world, path, timeline, component(RENDERER), SequenceSettings(passes="all"))
    assert isinstance(frames, Frames) and frames.rgb_nhw3.shape == (12, 54, 96, 3) and frames.fps == 24.0
    assert frames.depth_nhw.shape == (12, 54, 96) and frames.semantic_nhw.shape == (12, 54, 96)
    first, last = (frames.semantic_nhw[k] == BODY for k in (0, -1))
    assert first.sum() > 20 and last.sum() > 20
    ball_first, ball_last = (ball_pixels(frames, k) for k in (0, -1))
    assert ball_first.sum() > 10
    assert np.nonzero(ball_last)[0].mean() > np.nonzero(ball_first)[0].mean() + 2, "the ball falls down the image"
    assert len(np.unique(frames.instance_nhw[0][first])) == 2  # ball and crate have their own ids
    cv2.imwrite(str(tmp_path / "frame0.png"), frames.rgb_nhw3[0][..., ::-1])


def ball_pixels(frames: Frames, k: int) -> np.ndarray:
    rgb = frames.rgb_nhw3[k].astype(int)
    return (frames.semantic_nhw[k] == BODY) & (rgb[..., 0] > rgb[..., 2] + 20)


def test_motion_blur_averages_the_shutter(falling: tuple) -> None:
    world, timeline = falling
    path = still_path([64, 10, 16], [64, 30, 13], seconds=0.5)
    sharp = render_sequence(world, path, timeline, component(RENDERER), SequenceSettings(motion_blur=1))
    blurred = render_sequence(world, path, timeline, component(RENDERER), SequenceSettings(motion_blur=5,
                                                                                           shutter_deg=360.0))
    k = 8  # the ball is falling fast here
    diff = np.abs(sharp.rgb_nhw3[k].astype(int) - blurred.rgb_nhw3[k].astype(int)).sum(axis=2)
    assert diff.max() > 30 and (diff > 10).mean() < 0.3  # only the moving ball changes
    static = np.abs(sharp.rgb_nhw3[0].astype(int)[:8] - blurred.rgb_nhw3[0].astype(int)[:8]).max()
    assert static <= 3  # the sky stays put


def test_depth_of_field_blurs_what_is_out_of_focus() -> None:
    world = hills()
    path = still_path([20, 20, 25], [90, 90, 15], seconds=1 / 24, focal=120.0, size=(192, 108))
    sharp = render_sequence(world, path, None, component(RENDERER), SequenceSettings())
    soft = render_sequence(world, path, None, component(RENDERER), SequenceSettings(f_stop=1.0, focus_m=5.0))

    def detail(rgb: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    assert detail(soft.rgb_nhw3[0]) < 0.5 * detail(sharp.rgb_nhw3[0])
    focused = render_sequence(world, path, None, component(RENDERER), SequenceSettings(f_stop=8.0, focus_m=0.0))
    assert detail(focused.rgb_nhw3[0]) > 0.7 * detail(sharp.rgb_nhw3[0])


def test_timeline_of_another_world_is_refused(falling: tuple) -> None:
    _, timeline = falling
    with pytest.raises(TimelineError, match="another world"):
        render_sequence(hills(), still_path([10, 10, 30], [60, 60, 10]), timeline, component(RENDERER),
                        SequenceSettings())


def shot_workflow(builder, azimuth: float) -> object:  # noqa: ANN001
    b = builder
    b.node("p", "prompt.text", text="rolling hills", seed=2)
    b.node("s", "prompt.to_spec", use_model=False)
    b.node("w", "world.generate", size_m=256.0, cell_m=2.0, max_instances=500)
    b.node("a", "action.script", script="at 0s spawn sphere ball pos=128,128 height=8 size=1", english=False)
    b.node("sim", "simulate.run", duration_s=0.25, fps=24)
    b.node("cam", "camera.preset", preset="orbit", duration_s=0.25, resolution="custom", width=64, height=36,
           auto_azimuth=False, azimuth_deg=azimuth, subject=[128.0, 128.0], map_px=128)
    b.node("seq", "sequence.render")
    for src, dst in (("p.prompt", "s.prompt"), ("s.spec", "w.spec"), ("w.world", "sim.world"),
                     ("a.script", "sim.script"), ("w.world", "cam.world"), ("w.world", "seq.world"),
                     ("cam.path", "seq.path"), ("sim.timeline", "seq.timeline")):
        b.link(src, dst)
    return b.build()


def test_a_new_camera_re_renders_without_simulating_again(builder, full_registry, tmp_path: Path) -> None:  # noqa: ANN001
    disk = DiskCache(tmp_path / "cache")
    first = Executor(Cache(disk=disk)).run(build(shot_workflow(builder, 0.0), full_registry),
                                           RunOptions(out_dir=tmp_path))
    assert first.ok, first.errors
    assert {"sim", "seq", "cam"} <= set(first.executed)
    builder.doc["nodes"].clear()
    builder.doc["links"].clear()
    fresh = Executor(Cache(disk=disk))  # a new process: only the disk tier remembers
    second = fresh.run(build(shot_workflow(builder, 90.0), full_registry), RunOptions(out_dir=tmp_path))
    assert second.ok, second.errors
    assert sorted(second.executed) == ["cam", "seq"]
    assert second.outputs["seq"]["frames"].rgb_nhw3.shape == (6, 36, 64, 3)


def test_a_camera_inside_a_body_is_reported(falling: tuple) -> None:
    world, timeline = falling
    clear = SequenceSettings()
    render_sequence(world, still_path([64, 10, 16], [64, 30, 13]), timeline, component(RENDERER), clear)
    assert not any("passes through" in n for n in clear.notes)
    inside = SequenceSettings()  # parked in the crate (a 2 m box at 58,30 resting on ground about 10.5 m high)
    render_sequence(world, still_path([58, 30, 11.5], [64, 40, 11.5], seconds=0.25), timeline, component(RENDERER),
                    inside)
    assert any("passes through body 'crate' at 0.00 s" in n for n in inside.notes), inside.notes


def test_out_of_focus_foreground_spreads_over_the_background() -> None:
    from oyster_nodes.world.geometry.camera import Camera
    from oyster_nodes.world.render.sequence import circle_of_confusion, depth_of_field

    h, w = 90, 160
    rgb = np.full((h, w, 3), 120, np.uint8)
    rgb[::4] = 200  # a sharp, striped wall far away
    depth = np.full((h, w), 80.0, np.float32)
    rgb[30:60, 40:80] = (230, 20, 20)  # a red box close to the lens
    depth[30:60, 40:80] = 1.5
    cam = Camera(position=(0.0, 0.0, 0.0), target=(0.0, 80.0, 0.0), focal_mm=85.0, width=w, height=h)
    assert circle_of_confusion(depth, cam, f_stop=1.4, focus_m=80.0)[45, 60] > 6
    out = depth_of_field(rgb, depth, cam, f_stop=1.4, focus_m=80.0).astype(int)
    beside = out[35:55, 82:85]  # wall pixels just right of the box: the blurred box covers them
    assert (beside[..., 0] - beside[..., 2]).mean() > 40
    far = out[35:55, 120:160]  # well away from the box the wall stays sharp
    assert np.array_equal(far, rgb[35:55, 120:160].astype(int))


def test_a_changing_clock_renders_shadows_for_key_moments_only(falling: tuple) -> None:
    from oyster_nodes.world.render.renderer import Renderer
    from oyster_nodes.world.render.sequence import LIGHT_KEY_FRAMES

    world = falling[0]
    timeline = simulate(world, parse_script("at 0s spawn sphere ball pos=64,30 height=6\nfrom 0s to 1s time 18:30",
                                            english=False).events, SimSettings(duration_s=1.0, fps=24))
    renderer = Renderer()
    shadows = []
    draw = renderer._shadow
    renderer._shadow = lambda scene, slot, light: (shadows.append(light.shadow_key()), draw(scene, slot, light))
    try:
        frames = render_sequence(world, still_path([64, 10, 16], [64, 30, 13], seconds=1.0), timeline, renderer,
                                 SequenceSettings())
    finally:
        renderer.release()
    assert frames.rgb_nhw3.shape[0] == 24
    assert len(set(shadows)) == len(shadows) <= 24 // LIGHT_KEY_FRAMES + 2  # every key drawn once, not every frame
    assert len(shadows) >= 3
