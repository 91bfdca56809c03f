from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from oyster_nodes.io.exporters.ply import (
    SH_C0,
    SPLAT_FIELDS,
    PlyError,
    normal_rotations,
    point_cloud_ply,
    read_ply,
    sample_world,
    splat_arrays,
    splat_ply,
)

from .worlds import synthetic_world


@pytest.fixture(scope="module")
def points():
    return sample_world(synthetic_world(size_m=96, instances=200), 20_000, seed=1)


def test_splat_layout_is_the_standard_one(points) -> None:
    assert SPLAT_FIELDS[:9] == ("x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2")
    assert SPLAT_FIELDS[9:54] == tuple(f"f_rest_{i}" for i in range(45))
    assert SPLAT_FIELDS[54:] == ("opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3")
    data = splat_ply(points, comments=["made by a test"])
    header = data[:data.index(b"end_header\n")].decode().splitlines()
    assert header[1] == "format binary_little_endian 1.0"
    assert [ln.split()[2] for ln in header if ln.startswith("property")] == list(SPLAT_FIELDS)
    assert all(ln.split()[1] == "float" for ln in header if ln.startswith("property"))
    comments, rows = read_ply(data)
    assert comments["made"] == "by a test" and len(rows) == points.count
    rgb = 0.5 + SH_C0 * np.stack([rows[f"f_dc_{k}"] for k in range(3)], axis=1)
    assert np.allclose(rgb, points.rgb, atol=1e-5)
    assert np.allclose(1 / (1 + np.exp(-rows["opacity"])), 0.95)
    assert (rows["scale_2"] < rows["scale_0"]).all() and (rows["f_rest_44"] == 0).all()


def test_splat_discs_lie_in_the_surface(points) -> None:
    rows = splat_arrays(points)
    q = np.stack([rows[f"rot_{k}"] for k in range(4)], axis=1).astype(np.float64)
    assert np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-6)
    w, v = q[:, :1], q[:, 1:]
    z = np.array([0.0, 0.0, 1.0])
    turned = z + 2 * np.cross(v, np.cross(v, np.broadcast_to(z, v.shape)) + w * z)
    assert np.allclose(turned, points.normal, atol=1e-4)
    assert np.allclose(normal_rotations(np.array([[0, 0, -1.0]])), [[0, 1, 0, 0]])


def test_samples_cover_the_world_evenly(points) -> None:
    assert 19_000 < points.count < 21_000
    assert np.allclose(np.linalg.norm(points.normal, axis=1), 1, atol=1e-4)
    assert points.rgb.min() >= 0 and points.rgb.max() <= 1
    ground = points.xyz[np.abs(points.normal[:, 2]) > 0.9]
    hist, _, _ = np.histogram2d(ground[:, 0], ground[:, 1], bins=4, range=[[0, 96], [0, 96]])
    assert hist.min() > 0.5 * hist.mean()
    again = sample_world(synthetic_world(size_m=96, instances=200), 20_000, seed=1)
    assert np.array_equal(again.xyz, points.xyz)


def test_point_cloud_opens_in_trimesh(points, tmp_path: Path) -> None:
    path = tmp_path / "cloud.ply"
    path.write_bytes(point_cloud_ply(points, axes="y_up"))
    cloud = trimesh.load(path)
    assert len(cloud.vertices) == points.count
    assert np.allclose(cloud.vertices[:, 1], points.xyz[:, 2], atol=1e-3)
    assert np.allclose(cloud.vertices[:, 2], -points.xyz[:, 1], atol=1e-3)
    assert cloud.colors.shape == (points.count, 4)


def test_bad_requests_are_refused(points) -> None:
    with pytest.raises(PlyError, match="point count"):
        sample_world(synthetic_world(size_m=32, instances=1), 0)
    with pytest.raises(PlyError, match="axes"):
        point_cloud_ply(points, axes="sideways")
    with pytest.raises(PlyError, match="single lines"):
        splat_ply(points, comments=["two\nlines"])
    with pytest.raises(PlyError, match="opacity"):
        splat_ply(points, opacity=1.0)
