from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
import pytest

from oyster_nodes.io.video import VideoError, encode_video, frame_rate

from .worlds import frames, tone


def top_level_boxes(path: Path) -> list[str]:
    data, pos, names = path.read_bytes(), 0, []
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        names.append(kind.decode("latin-1"))
        pos += size if size else len(data)
    return names


def _streams(report: dict, kind: str) -> list[dict]:
    return [s for s in report["streams"] if s["codec_type"] == kind]


def test_h264_mp4_with_aac_plays_in_browsers(tmp_path: Path, ffprobe) -> None:
    clip = frames(n=30, h=72, w=128)
    path = tmp_path / "shot.mp4"
    info = encode_video(path, clip.rgb_nhw3, fps=clip.fps, audio=tone(30 / 24))
    report = ffprobe(path)
    (video,), (audio,) = _streams(report, "video"), _streams(report, "audio")
    assert (video["codec_name"], video["pix_fmt"], int(video["nb_read_frames"])) == ("h264", "yuv420p", 30)
    assert (video["width"], video["height"], video["r_frame_rate"]) == (128, 72, "24/1")
    assert (video["color_space"], video["color_range"], video["color_primaries"]) == ("bt709", "tv", "bt709")
    assert (audio["codec_name"], int(audio["sample_rate"]), audio["channels"]) == ("aac", 48000, 2)
    assert float(report["format"]["duration"]) == pytest.approx(1.25, abs=0.05)
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), f"not faststart: {boxes}"
    assert info.frames == 30 and info.audio and not info.warnings


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    colours = np.array([[200, 40, 40], [40, 200, 40], [40, 40, 200], [128, 128, 128]], np.uint8)
    clip = np.repeat(colours[:, None, None, :], 64, axis=1).repeat(64, axis=2)
    path = tmp_path / "c.mp4"
    encode_video(path, clip, quality="high")
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24", dst_colorspace="ITU709") for f in container.decode(video=0)]
    means = np.array([d.reshape(-1, 3).mean(axis=0) for d in decoded])
    assert np.abs(means - colours).max() < 4


def test_prores_422_mov_for_editors(tmp_path: Path, ffprobe) -> None:
    path = tmp_path / "shot.mov"
    encode_video(path, frames(n=6).rgb_nhw3, audio=tone(6 / 24, channels=1), codec="prores", quality="high")
    report = ffprobe(path)
    (video,), (audio,) = _streams(report, "video"), _streams(report, "audio")
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("prores", "HQ", "yuv422p10le")
    assert int(video["nb_read_frames"]) == 6
    assert (audio["codec_name"], audio["channels"]) == ("pcm_s16le", 1)
    assert "mov" in report["format"]["format_name"]


def test_quality_presets_trade_size_for_fidelity(tmp_path: Path) -> None:
    clip = frames(n=8, h=96, w=160).rgb_nhw3
    sizes = {}
    for quality in ("draft", "standard", "master"):
        encode_video(tmp_path / f"{quality}.mp4", clip, quality=quality)
        sizes[quality] = (tmp_path / f"{quality}.mp4").stat().st_size
    assert sizes["draft"] < sizes["standard"] < sizes["master"]


def test_odd_sizes_long_audio_and_many_channels_are_handled_and_reported(tmp_path: Path, ffprobe) -> None:
    path = tmp_path / "odd.mp4"
    info = encode_video(path, np.zeros((5, 15, 21, 3), np.uint8), fps=23.976, audio=tone(3.0, channels=6))
    assert (info.width, info.height) == (22, 16)
    assert len(info.warnings) == 3
    report = ffprobe(path)
    (video,), (audio,) = _streams(report, "video"), _streams(report, "audio")
    assert video["r_frame_rate"] == "24000/1001" and audio["channels"] == 2
    assert float(audio["duration"]) < 0.5


@pytest.mark.parametrize("clip, kwargs, message", [
    (np.zeros((0, 8, 8, 3), np.uint8), {}, "N >= 1"),
    (np.zeros((2, 8, 8, 3), np.float32), {}, "uint8"),
    (np.zeros((2, 8, 8), np.uint8), {}, "N x H x W x 3"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"codec": "vp9"}, "codec must be one of"),
    (np.zeros((2, 8, 8, 3), np.uint8), {"fps": 0}, "frame rate"),
])
def test_bad_input_is_refused(tmp_path: Path, clip: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(VideoError, match=message):
        encode_video(tmp_path / "x.mp4", clip, **kwargs)


def test_aac_needs_a_standard_rate(tmp_path: Path) -> None:
    odd = tone(0.1, rate=47000)
    with pytest.raises(VideoError, match="standard sample rate"):
        encode_video(tmp_path / "x.mp4", np.zeros((2, 8, 8, 3), np.uint8), audio=odd)
    assert frame_rate(29.97) == frame_rate(30000 / 1001)
