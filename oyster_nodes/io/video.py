"""Video files: H.264 MP4 that browsers play, and ProRes 422 MOV for editing software.

H.264: libx264, yuv420p, BT.709 limited range (converted and tagged), +faststart so playback starts
before the whole file arrives, AAC audio. ProRes: prores_aw 10-bit 4:2:2 with PCM audio in a MOV.
Both carry the workflow as the container tag "oyster_workflow". Odd frame sizes are padded by one
edge pixel (4:2:0 and 4:2:2 need even sizes); audio longer than the picture is cut to its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc

from ..types import Audio
from .provenance import MOV_TAG

CODECS: tuple[str, ...] = ("h264", "prores")
QUALITIES: tuple[str, ...] = ("draft", "standard", "high", "master")
AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)
MAX_SIDE = 8192


@dataclass(frozen=True, slots=True)
class H264Preset:
    crf: int
    speed: str
    audio_kbps: int


#: quality → x264 constant rate factor and speed preset (lower crf: better picture, bigger file)
H264_PRESETS = {
    "draft": H264Preset(crf=28, speed="superfast", audio_kbps=96),
    "standard": H264Preset(crf=20, speed="veryfast", audio_kbps=160),
    "high": H264Preset(crf=17, speed="medium", audio_kbps=192),
    "master": H264Preset(crf=12, speed="slow", audio_kbps=256),
}
#: x264 settings that make a file's bytes a function of its frames alone: its SIMD macroblock-tree code can
#: give different bits from one encode of the same frames to the next (and from one CPU to another), and its
#: output changes with its thread count, which by default follows the machine's cores (a cluster node, a Ray
#: task pinned to a CPU). So the portable code path, and a fixed number of frame threads.
H264_DETERMINISTIC = "cpu-independent=1"
H264_THREADS = 4
#: quality → ProRes profile (0 proxy, 1 LT, 2 422, 3 422 HQ)
PRORES_PROFILES = {"draft": 1, "standard": 2, "high": 3, "master": 3}


class VideoError(ValueError):
    """Frames or audio that cannot be encoded as asked."""


@dataclass(kw_only=True, slots=True)
class VideoInfo:
    """What was written."""

    frames: int
    width: int
    height: int
    fps: float
    codec: str
    audio: bool
    warnings: list[str] = field(default_factory=list)


def frame_rate(fps: float) -> Fraction:
    """A rational frame rate; the NTSC rates (23.976, 29.97, 59.94 ...) become n * 1000/1001."""
    if not (0 < fps <= 1000):
        raise VideoError(f"frame rate must be in (0, 1000], got {fps}")
    ntsc = round(fps * 1001 / 1000)
    if abs(fps - ntsc * 1000 / 1001) < 0.0015 and abs(fps - ntsc) > 0.0015:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _even(rgb_nhw3: np.ndarray) -> tuple[np.ndarray, list[str]]:
    n, h, w = rgb_nhw3.shape[:3]
    ph, pw = h % 2, w % 2
    if not (ph or pw):
        return rgb_nhw3, []
    padded = np.pad(rgb_nhw3, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge")
    return padded, [f"frame size {w}x{h} is odd; padded to {w + pw}x{h + ph} by repeating the edge"]


def _check_frames(rgb_nhw3: np.ndarray) -> np.ndarray:
    a = np.asarray(rgb_nhw3)
    if a.ndim != 4 or a.shape[3] != 3 or len(a) == 0:
        raise VideoError(f"frames must be N x H x W x 3 with N >= 1, got shape {a.shape}")
    if a.dtype != np.uint8:
        raise VideoError(f"frames must be uint8 RGB, got {a.dtype}")
    if not (2 <= a.shape[1] <= MAX_SIDE and 2 <= a.shape[2] <= MAX_SIDE):
        raise VideoError(f"frame size {a.shape[2]}x{a.shape[1]} is outside 2..{MAX_SIDE}")
    return a


def _video_stream(container: av.container.OutputContainer, codec: str, quality: str, rate: Fraction,
                  width: int, height: int) -> av.VideoStream:
    if codec == "h264":
        p = H264_PRESETS[quality]
        stream = container.add_stream("libx264", rate=rate, options={"crf": str(p.crf), "preset": p.speed,
                                                                     "x264-params": H264_DETERMINISTIC})
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = H264_THREADS
    else:
        stream = container.add_stream("prores_aw", rate=rate,
                                      options={"profile": str(PRORES_PROFILES[quality]), "vendor": "apl0"})
        stream.pix_fmt = "yuv422p10le"
    stream.width, stream.height = width, height
    cc = stream.codec_context
    cc.thread_type = "FRAME"
    cc.colorspace, cc.color_range = Colorspace.ITU709, ColorRange.MPEG
    cc.color_primaries, cc.color_trc = ColorPrimaries.BT709, ColorTrc.BT709
    return stream


def _audio_stream(container: av.container.OutputContainer, codec: str, quality: str,
                  audio: Audio) -> av.AudioStream:
    layout = "mono" if audio.samples_nc.shape[1] == 1 else "stereo"
    if codec == "h264":
        stream = container.add_stream("aac", rate=audio.sample_rate, layout=layout)
        stream.bit_rate = H264_PRESETS[quality].audio_kbps * 1000 * (1 if layout == "mono" else 2) // 2
    else:
        stream = container.add_stream("pcm_s16le", rate=audio.sample_rate, layout=layout)
    return stream


def _prepare_audio(audio: Audio, codec: str, seconds: float) -> tuple[Audio, list[str]]:
    samples = np.asarray(audio.samples_nc, np.float32)
    if samples.ndim != 2 or samples.shape[0] == 0 or samples.shape[1] < 1:
        raise VideoError(f"audio samples must be N x channels with N >= 1, got shape {samples.shape}")
    if codec == "h264" and audio.sample_rate not in AAC_RATES:
        raise VideoError(f"AAC needs a standard sample rate ({', '.join(map(str, AAC_RATES))}); "
                         f"got {audio.sample_rate}: resample the audio first")
    warnings = []
    if samples.shape[1] > 2:
        samples = np.stack([samples[:, 0::2].mean(axis=1), samples[:, 1::2].mean(axis=1)], axis=1)
        warnings.append(f"audio has {audio.samples_nc.shape[1]} channels; mixed down to stereo")
    limit = int(round(seconds * audio.sample_rate))
    if samples.shape[0] > limit:
        warnings.append(f"audio is {samples.shape[0] / audio.sample_rate:.2f} s, the picture {seconds:.2f} s; "
                        "cut to the picture")
        samples = samples[:limit]
    samples = np.nan_to_num(np.clip(samples, -1.0, 1.0), nan=0.0)
    return Audio(samples_nc=np.ascontiguousarray(samples), sample_rate=audio.sample_rate), warnings


def _audio_frames(audio: Audio, codec: str, chunk: int = 1024) -> Iterable[av.AudioFrame]:
    s = audio.samples_nc
    layout = "mono" if s.shape[1] == 1 else "stereo"
    for start in range(0, s.shape[0], chunk):
        part = s[start:start + chunk]
        if codec == "h264":
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(part.T), format="fltp", layout=layout)
        else:
            pcm = (part * 32767.0).round().astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout=layout)
        frame.sample_rate = audio.sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, audio.sample_rate)
        yield frame


def _encode_pictures(container: av.container.OutputContainer, stream: av.VideoStream,
                     rgb_nhw3: np.ndarray) -> None:
    for i, rgb in enumerate(rgb_nhw3):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame = frame.reformat(format=stream.pix_fmt, dst_colorspace=Colorspace.ITU709,
                               dst_color_range=ColorRange.MPEG, dst_color_trc=ColorTrc.BT709,
                               dst_color_primaries=ColorPrimaries.BT709)
        frame.pts = i
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def encode_video(path: str | Path, rgb_nhw3: np.ndarray, *, fps: float = 24.0, audio: Audio | None = None,
                 codec: str = "h264", quality: str = "standard", workflow_json: str | None = None) -> VideoInfo:
    """Encode uint8 RGB frames (and optional audio) to `path`: MP4 for h264, MOV for prores."""
    if codec not in CODECS or quality not in QUALITIES:
        raise VideoError(f"codec must be one of {CODECS} and quality one of {QUALITIES}; got {codec!r}, {quality!r}")
    frames, warnings = _even(_check_frames(rgb_nhw3))
    rate = frame_rate(fps)
    n, h, w = frames.shape[:3]
    options = {"movflags": "+faststart+use_metadata_tags" + ("" if codec == "h264" else "+write_colr")}
    with av.open(str(path), "w", format="mp4" if codec == "h264" else "mov", options=options) as container:
        if workflow_json is not None:
            container.metadata[MOV_TAG] = workflow_json
        container.metadata["encoder_app"] = "Oyster Nodes"
        stream = _video_stream(container, codec, quality, rate, w, h)
        sound = None
        if audio is not None:
            sound, more = _prepare_audio(audio, codec, float(n / rate))
            warnings += more
            astream = _audio_stream(container, codec, quality, sound)
        _encode_pictures(container, stream, frames)
        if sound is not None:
            for frame in _audio_frames(sound, codec):
                container.mux(astream.encode(frame))
            container.mux(astream.encode(None))
    return VideoInfo(frames=n, width=w, height=h, fps=float(rate), codec=codec, audio=sound is not None,
                     warnings=warnings)


def suffix_for(codec: str) -> str:
    return ".mp4" if codec == "h264" else ".mov"
