from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from oyster_nodes.io.exr_header import read_exr_header
from oyster_nodes.io.files import NameFields, OutputFolder
from oyster_nodes.io.images import (
    DEPTH_KEY,
    ImageFormatError,
    decode_exr,
    decode_png,
    depth_from_png16,
    depth_png16,
    encode_exr,
    encode_png,
    id_image,
    normals_rgb,
    write_exr_sequence,
    write_png_sequence,
)
from oyster_nodes.io.provenance import png_text_entries

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4)])
@pytest.mark.parametrize("dtype, bits", [(np.uint8, 8), (np.uint16, 16)])
def test_png_round_trips_exactly(shape: tuple[int, ...], dtype: type, bits: int) -> None:
    image = RNG.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    back = decode_png(encode_png(image, bits=bits))
    assert back.dtype == dtype and np.array_equal(back, image)


def test_png_depth_conversions() -> None:
    eight = np.array([[0, 128, 255]], np.uint8)
    assert np.array_equal(decode_png(encode_png(eight, bits=16)), eight.astype(np.uint16) * 257)
    floats = np.array([[0.0, 0.5, 1.0, 2.0, np.nan]])
    assert decode_png(encode_png(floats, bits=16)).tolist() == [[0, 32768, 65535, 65535, 0]]
    with pytest.raises(ImageFormatError, match="do not fit"):
        encode_png(np.array([[300]], np.int32))
    with pytest.raises(ImageFormatError, match="8 or 16"):
        encode_png(eight, bits=12)


def test_exr_round_trips_float_half_and_uint_channels() -> None:
    channels = {"Z": RNG.random((9, 11)).astype(np.float32) * 1e4,
                "R": RNG.random((9, 11)).astype(np.float16), "id": RNG.integers(0, 2**32 - 1, (9, 11)).astype(np.uint32)}
    data = encode_exr(channels, attributes={"note": "depth in metres"})
    back = decode_exr(data)
    assert set(back) == set(channels)
    for name, array in channels.items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array)
    head = read_exr_header(data)
    assert head["note"] == "depth in metres" and head["dataWindow"] == (0, 0, 10, 8)


@pytest.mark.parametrize("names", [("Y",), ("B", "G", "R")])
def test_ffmpeg_reads_our_exr_the_same(tmp_path: Path, names: tuple[str, ...]) -> None:
    """An independent decoder (FFmpeg's EXR decoder through PyAV) agrees with what was written."""
    planes = {n: (RNG.random((13, 17)) * (k + 1) * 100).astype(np.float32) for k, n in enumerate(names)}
    path = tmp_path / "x.exr"
    path.write_bytes(encode_exr(planes))
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        decoded = frame.to_ndarray()
    if names == ("Y",):
        assert frame.format.name == "grayf32le" and np.array_equal(decoded, planes["Y"])
    else:
        assert frame.format.name == "gbrpf32le"
        rgb = np.stack([planes["R"], planes["G"], planes["B"]], axis=-1)
        assert np.array_equal(decoded, rgb)


def test_opencv_reads_our_exr_where_it_has_the_codec(tmp_path: Path) -> None:
    """Why EXR is written here: this OpenCV wheel has no OpenEXR codec, even with OPENCV_IO_ENABLE_OPENEXR=1.
    Where an OpenCV with the codec is installed, it must read our files back exactly."""
    depth = (RNG.random((6, 10)) * 500).astype(np.float32)
    path = tmp_path / "z.exr"
    path.write_bytes(encode_exr({"R": depth, "G": depth, "B": depth}))
    script = ("import sys, cv2, numpy; a = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED); "
              "print('none' if a is None else numpy.asarray(a)[..., 0].tobytes().hex())")
    env = {**os.environ, "OPENCV_IO_ENABLE_OPENEXR": "1"}
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env)
    if done.returncode != 0 or done.stdout.strip() == "none":
        pytest.skip("OpenCV here cannot read OpenEXR (no codec in this wheel); FFmpeg's decoder checks the files")
    assert np.array_equal(np.frombuffer(bytes.fromhex(done.stdout.strip()), np.float32).reshape(depth.shape), depth)


def test_exr_refuses_what_it_cannot_hold() -> None:
    with pytest.raises(ImageFormatError, match="share one HxW"):
        encode_exr({"A": np.zeros((2, 2), np.float32), "B": np.zeros((3, 2), np.float32)})
    with pytest.raises(ImageFormatError, match="dtype"):
        encode_exr({"A": np.zeros((2, 2), np.int32) - 1})
    with pytest.raises(ImageFormatError, match="not an OpenEXR"):
        decode_exr(b"nope")


def test_depth_png16_keeps_metres_to_one_step() -> None:
    depth = np.array([[0.5, 10.0, 999.0], [np.inf, np.nan, -1.0]], np.float32)
    q, text = depth_png16(depth, max_m=1000.0)
    back = depth_from_png16(decode_png(encode_png(q, bits=16, text=text)), text[DEPTH_KEY])
    step = json.loads(text[DEPTH_KEY])["metres_per_step"]
    assert np.allclose(back[0], depth[0], atol=step)
    assert np.isnan(back[1]).all() and (q[1] == 0).all()
    assert png_text_entries(encode_png(q, bits=16, text=text))[DEPTH_KEY] == text[DEPTH_KEY]


def test_normals_and_ids() -> None:
    n = np.array([[[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [np.nan, 0, 0]]], np.float32)
    assert np.allclose(normals_rgb(n), [[[0.5, 0.5, 1.0], [0.0, 0.5, 0.5], [0.5, 0.5, 0.5]]])
    kind, small = id_image(np.array([[0, 65535]]))
    assert kind == "png" and small.dtype == np.uint16
    kind, big = id_image(np.array([[0, 70_000]]))
    assert kind == "exr" and big.dtype == np.uint32
    with pytest.raises(ImageFormatError, match="non-negative"):
        id_image(np.array([[-1]]))


def test_sequences_are_named_from_the_template(tmp_path: Path) -> None:
    folder = OutputFolder(root=tmp_path)
    frames = RNG.integers(0, 255, (3, 4, 6, 3)).astype(np.uint8)
    names = write_png_sequence(folder, frames, template="{node}/f_{frame:04d}.png", fields=NameFields(node="seq"),
                               bits=16, workflow_json="{}")
    assert names == ["seq/f_0001.png", "seq/f_0002.png", "seq/f_0003.png"]
    assert np.array_equal(decode_png((tmp_path / names[2]).read_bytes()), frames[2].astype(np.uint16) * 257)
    exr = write_exr_sequence(folder, [{"Z": np.zeros((2, 2), np.float32)}] * 2, template="d_{frame:03d}.exr",
                             fields=NameFields(), first_frame=0)
    assert exr == ["d_000.exr", "d_001.exr"]
    with pytest.raises(ImageFormatError, match="must end in .png"):
        write_png_sequence(folder, frames, template="f_{frame}.jpg", fields=NameFields())
