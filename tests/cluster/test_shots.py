"""Frame ranges: a shot rendered range by range and joined gives the same frames and the same MP4 bytes as a
render in one piece."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oyster_nodes.cache import Cache, DiskCache
from oyster_nodes.cluster.shots import frame_ranges, run_split, shot_nodes
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build
from oyster_nodes.registry import load_registry
from oyster_nodes.workflow import load

from .conftest import SHOT, digest


def test_frame_ranges_cover_the_shot_once() -> None:
    for count, per in ((240, 24), (48, 10), (7, 3), (5, 100), (1, 1)):
        ranges = frame_ranges("r", count, per)
        frames = [k for r in ranges for k in range(r.start, r.stop)]
        assert frames == list(range(count)) and max(r.stop - r.start for r in ranges) <= per
    with pytest.raises(ValueError, match="give 1 or more"):
        frame_ranges("r", 10, 0)


def test_a_shot_rendered_in_ranges_matches_one_render(tmp_path: Path, single_render: tuple[Path, Path]) -> None:
    cache_dir, single_mp4 = single_render[0], digest(single_render[1])
    graph = build(load(SHOT), load_registry(use_entry_points=False))
    assert shot_nodes(graph) == ["render"]
    whole = Executor(Cache(disk=DiskCache(cache_dir))).run(graph, RunOptions(targets=["render"], device="cpu",
                                                                             out_dir=tmp_path / "a"))
    executor = Executor(Cache(disk=DiskCache(tmp_path / "cache")))
    result = run_split(graph, executor, RunOptions(out_dir=tmp_path / "b", device="cpu"), per_task=7)
    assert result.ok, result.errors
    assert result.records["render"].status == "cached"  # the joined frames were used, not a fresh render
    split = result.outputs["video"]
    assert split is not None
    joined, _ = executor.cache.get(result.records["render"].key)
    frames, one = joined["frames"], whole.outputs["render"]["frames"]
    assert frames.rgb_nhw3.shape == one.rgb_nhw3.shape == (48, 96, 160, 3)
    assert np.array_equal(frames.rgb_nhw3, one.rgb_nhw3) and frames.info == one.info
    assert digest(tmp_path / "b" / "shot.mp4") == single_mp4


ENCODE_PINNED = """
import sys, os
import numpy as np
from oyster_nodes.io.video import encode_video
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
encode_video(sys.argv[2], np.load(sys.argv[1]))
"""


def test_the_mp4_of_a_shot_is_the_same_bytes_on_every_encode_and_any_cpus(tmp_path: Path,
                                                                          single_render: tuple[Path, Path]) -> None:
    """x264's SIMD macroblock tree gave other bits now and then for the same frames (a Ray node's MP4 differed
    from a local run's in every frame), and its thread count followed the cores the process may use."""
    import os
    import subprocess
    import sys

    from oyster_nodes.io.video import encode_video

    graph = build(load(SHOT), load_registry(use_entry_points=False))
    done = Executor(Cache(disk=DiskCache(single_render[0]))).run(graph, RunOptions(targets=["render"], device="cpu",
                                                                                   out_dir=tmp_path))
    rgb = done.outputs["render"]["frames"].rgb_nhw3
    digests = set()
    for k in range(8):
        encode_video(tmp_path / f"{k}.mp4", rgb)
        digests.add(digest(tmp_path / f"{k}.mp4"))
    assert len(digests) == 1
    if len(os.sched_getaffinity(0)) > 1:  # one CPU for the encoder, as a Ray task pinned to a core has
        np.save(tmp_path / "frames.npy", rgb)
        subprocess.run([sys.executable, "-c", ENCODE_PINNED, str(tmp_path / "frames.npy"), str(tmp_path / "one.mp4")],
                       check=True, env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
        assert digest(tmp_path / "one.mp4") in digests


def test_a_range_outside_the_shot_is_refused(tmp_path: Path, single_render: tuple[Path, Path]) -> None:
    from oyster_nodes.world import SequenceSettings
    from oyster_nodes.world.render.sequence import render_range

    graph = build(load(SHOT), load_registry(use_entry_points=False))
    done = Executor(Cache(disk=DiskCache(single_render[0]))).run(graph, RunOptions(targets=["world", "camera"], device="cpu",
                                                                                   out_dir=tmp_path))
    world, path = done.outputs["world"]["world"], done.outputs["camera"]["path"]
    with pytest.raises(ValueError, match=r"frames 40\.\.49 are outside the shot's 0\.\.48"):
        render_range(world, path, None, None, SequenceSettings(), 40, 49)
