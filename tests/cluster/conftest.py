"""A real two-node Ray cluster on this machine (a head and a second node, one CPU each), started once for the
tests that need it (about 8 s), and the shot they render."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHOT = Path(__file__).with_name("shot.json")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ray: starts a real local Ray cluster (seconds); part of the default run")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    from oyster_nodes.cluster.local import start_local_cluster

    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    cluster = start_local_cluster(nodes=2, num_cpus=1)
    try:
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture(scope="session")
def single_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shot rendered in one piece by the executor here: its cache folder and its MP4."""
    from oyster_nodes.cache import Cache, DiskCache
    from oyster_nodes.executor import Executor, RunOptions
    from oyster_nodes.graph import build
    from oyster_nodes.registry import load_registry
    from oyster_nodes.workflow import load

    root = tmp_path_factory.mktemp("single")
    graph = build(load(SHOT), load_registry(use_entry_points=False))
    result = Executor(Cache(disk=DiskCache(root / "cache"))).run(graph, RunOptions(out_dir=root / "out",
                                                                                   device="cpu"))
    assert result.ok, result.errors
    return root / "cache", root / "out" / "shot.mp4"


def digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def decoded(path: Path) -> str:
    """A digest of the MP4's decoded frames (the file's own bytes also hold the workflow that made it)."""
    import av

    h = hashlib.blake2b(digest_size=16)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            h.update(frame.to_ndarray(format="rgb24").tobytes())
    return h.hexdigest()
