"""Ambience audio: length locked to the frames, determinism, and each layer following the world."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.builtin import audio as audio_nodes
from oyster_nodes.types import Audio
from oyster_nodes.world.actions.parse import parse_script
from oyster_nodes.world.audio.ambience import AudioSettings, ambience, shaped_noise
from oyster_nodes.world.camera import path as cp
from oyster_nodes.world.simulate.run import SimSettings, simulate

from ..params import node_context
from .shot_world import flat, hills

ONLY = {"wind": 0.0, "rain": 0.0, "water": 0.0, "birds": 0.0, "impacts": 0.0}


def sim(world, text: str, duration: float = 1.0, fps: float = 24.0):  # noqa: ANN001, ANN201
    return simulate(world, parse_script(text, english=False).events, SimSettings(duration_s=duration, fps=fps))


def only(layer: str, rate: int = 16000) -> AudioSettings:
    return AudioSettings(sample_rate=rate, **{**ONLY, layer: 1.0})


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def path_at(world, xy: tuple[float, float], seconds: float = 1.0) -> object:  # noqa: ANN001
    shot = cp.Shot(duration_s=seconds, fps=25, width=64, height=36)
    z = world.height_at(*xy) + 2.0
    keys, _ = cp.parse_keys([{"time": 0, "position": [xy[0], xy[1], z], "target": [xy[0], xy[1] + 10, z]}],
                            duration_s=seconds)
    return cp.to_camera_path(cp.sample_keys(keys, shot.times()), shot)


def test_length_is_locked_to_the_frames_and_reruns_are_identical() -> None:
    world = hills()
    tl = sim(world, "from 0s to 1s wind 10", duration=1.25, fps=24)
    a = ambience(world, tl, None, AudioSettings(sample_rate=48000))
    assert isinstance(a, Audio) and a.samples_nc.shape == (60000, 2) and a.samples_nc.dtype == np.float32
    b = ambience(world, tl, None, AudioSettings(sample_rate=48000))
    assert a.samples_nc.tobytes() == b.samples_nc.tobytes()
    assert np.abs(a.samples_nc).max() <= 1.0
    path = path_at(world, (60.0, 60.0), seconds=2.0)
    assert ambience(world, None, path, AudioSettings(sample_rate=44100)).samples_nc.shape == (88200, 2)


def test_wind_gets_louder_with_the_wind() -> None:
    world = flat()
    calm = ambience(world, sim(world, "at 0s wind 1"), None, only("wind"))
    gale = ambience(world, sim(world, "at 0s wind 20"), None, only("wind"))
    assert rms(gale.samples_nc) > 10 * rms(calm.samples_nc)


def test_rain_adds_hiss_only_while_it_rains() -> None:
    world = flat()
    a = ambience(world, sim(world, "from 0.5s to 0.6s weather rain", duration=1.0), None, only("rain"))
    half = len(a.samples_nc) // 2
    assert rms(a.samples_nc[:half - 1600]) < 1e-6 < rms(a.samples_nc[half + 2000:])


def test_water_is_heard_near_water() -> None:
    world = hills()
    wet = np.argwhere(np.isfinite(world.water_hw))
    i, j = wet[len(wet) // 2]
    near = ambience(world, None, path_at(world, (float(j), float(i))), only("water"))
    dry = np.argwhere(~np.isfinite(world.water_hw))
    far_ij = dry[np.argmax(np.linalg.norm(dry - [i, j], axis=1))]
    far = ambience(world, None, path_at(world, (float(far_ij[1]), float(far_ij[0]))), only("water"))
    assert rms(near.samples_nc) > 5 * rms(far.samples_nc) + 1e-9


def test_birds_sing_at_dawn_and_not_at_night() -> None:
    world = hills()
    path = path_at(world, (60.0, 60.0), seconds=3.0)
    dawn = dataclasses.replace(world, env=dataclasses.replace(world.env, clock_h=6.5, season="autumn"))
    night = dataclasses.replace(world, env=dataclasses.replace(world.env, clock_h=1.0, season="autumn"))
    assert rms(ambience(dawn, None, path, only("birds")).samples_nc) > 1e-3
    assert rms(ambience(night, None, path, only("birds")).samples_nc) == 0.0


def test_impacts_sound_when_and_where_they_happen() -> None:
    world = flat()
    tl = sim(world, "at 0s spawn sphere ball pos=70,30 height=4 size=0.5 material=stone mass=50", duration=1.5)
    assert len(tl.impacts_n6) >= 1
    hit = float(tl.impacts_n6[0, 0])
    path = path_at(world, (60.0, 30.0), seconds=1.5)  # looking north: the ball lands to the right (east)
    a = ambience(world, tl, path, only("impacts"))
    k = int(hit * 16000)
    before, after = a.samples_nc[: k - 160], a.samples_nc[k:k + 3200]
    assert rms(before) < 1e-9 and rms(after) > 1e-3
    assert rms(after[:, 1]) > 1.5 * rms(after[:, 0])


def test_shaped_noise_keeps_to_its_band() -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    x = shaped_noise(rng, 16000, 16000, 1000, 2000, channels=1)[:, 0]
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(16000, 1 / 16000)
    inside = spectrum[(f >= 1000) & (f <= 2000)].sum()
    assert inside / spectrum.sum() > 0.999 and rms(x) == pytest.approx(1.0, rel=1e-6)


def test_node_needs_a_length_and_warns_about_mismatches() -> None:
    world = flat()
    node = audio_nodes.Ambience()
    levels = {"wind": 1.0, "rain": 1.0, "water": 1.0, "birds": 1.0, "impacts": 1.0}
    with pytest.raises(ValueError, match="timeline or a camera path"):
        node.run(node_context(node_id="au"), world=world, sample_rate=48000, gain=1.0, seed=0, **levels)
    ctx = node_context(node_id="au")
    out = node.run(ctx, world=world, timeline=sim(world, "at 0s wind 5", duration=1.0),
                   path=path_at(world, (60.0, 60.0), seconds=2.0), sample_rate=44100, gain=1.0, seed=0, **levels)
    assert out.samples_nc.shape == (44100, 2) and any("differ" in w for w in ctx.warnings)
