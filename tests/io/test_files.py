from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oyster_nodes.io.files import (
    ExportError,
    NameFields,
    OutputFolder,
    confined_path,
    read_manifest,
    render_name,
    require_frame_field,
    safe_name,
    workflow_key,
    write_manifest,
)
from oyster_nodes.types import Files

FIELDS = NameFields(workflow="Coast / ../demo", node="glb1", seed=42, when=dt.datetime(2026, 11, 20, 9, 8, 7))


def test_templates_fill_every_field() -> None:
    name = render_name("{workflow}/{node}_{seed}_{date}-{time}_{frame:04d}.png", FIELDS, frame=7)
    assert name == "Coast_demo/glb1_42_20261120-090807_0007.png"


@pytest.mark.parametrize("template, fragment", [
    ("{workflow.__class__}.png", "uses {workflow.__class__}"),
    ("{user}.png", "uses {user}"),
    ("{node!r}.png", "only {frame} and {seed}"),
    ("{node:>10}.png", "only {frame} and {seed}"),
    ("{frame.png", "malformed"),
    ("/etc/{node}.png", "absolute path"),
    ("../{node}.png", "leaves the output folder"),
    ("{frame:04d}.png", "only image sequences"),
])
def test_bad_templates_are_refused_with_a_reason(template: str, fragment: str) -> None:
    with pytest.raises(ExportError, match=fragment.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")):
        render_name(template, FIELDS)


def test_substituted_values_cannot_climb_out() -> None:
    fields = NameFields(workflow="../../etc", node="/abs", seed=1)
    assert render_name("{workflow}/{node}.txt", fields) == "etc/abs.txt"
    assert safe_name("...") == "untitled"


def test_sequences_need_a_frame_field() -> None:
    with pytest.raises(ExportError, match="no {frame} field"):
        require_frame_field("shot.png")
    require_frame_field("shot_{frame:05d}.png")


@pytest.mark.parametrize("rel", ["../x.png", "a/../../x.png", "/tmp/x.png", "\\x.png", "C:/x.png", ""])
def test_paths_leaving_the_folder_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(ExportError):
        confined_path(tmp_path, rel)
    with pytest.raises(ExportError):
        OutputFolder(root=tmp_path).write_bytes(rel, b"x")


def test_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "out", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ExportError, match="symbolic link 'link'.*outside"):
        OutputFolder(root=root).write_bytes("link/x.png", b"x")
    assert not any(outside.iterdir())


def test_symlinked_file_leading_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (root / "x.txt").symlink_to(victim)
    for policy in ("error", "number", "overwrite"):
        with pytest.raises(ExportError, match="outside"):
            OutputFolder(root=root, if_exists=policy).write_bytes("x.txt", b"new")
    assert victim.read_text() == "keep"


def test_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    OutputFolder(root=tmp_path).write_bytes("alias/x.txt", b"ok")
    assert (tmp_path / "real" / "x.txt").read_bytes() == b"ok"


def test_writes_are_atomic_and_hashed(tmp_path: Path) -> None:
    folder = OutputFolder(root=tmp_path)
    name = folder.write_bytes("sub/dir/a.bin", b"hello")
    assert name == "sub/dir/a.bin"
    assert folder.files().hashes == [hashlib.sha256(b"hello").hexdigest()]
    assert sorted(p.name for p in (tmp_path / "sub" / "dir").iterdir()) == ["a.bin"]


def test_a_failed_writer_leaves_nothing(tmp_path: Path) -> None:
    folder = OutputFolder(root=tmp_path)
    with pytest.raises(RuntimeError):
        with folder.writing("video.mp4") as tmp:
            tmp.write_bytes(b"half a file")
            raise RuntimeError("encoder crashed")
    assert list(tmp_path.iterdir()) == []
    assert folder.paths == []


def test_existing_files_are_kept_unless_asked(tmp_path: Path) -> None:
    OutputFolder(root=tmp_path).write_bytes("a.txt", b"first")
    with pytest.raises(ExportError, match="already exists.*overwrite"):
        OutputFolder(root=tmp_path).write_bytes("a.txt", b"second")
    assert (tmp_path / "a.txt").read_bytes() == b"first"
    numbered = OutputFolder(root=tmp_path, if_exists="number")
    assert numbered.write_bytes("a.txt", b"second") == "a-1.txt"
    assert numbered.write_bytes("a.txt", b"third") == "a-2.txt"
    OutputFolder(root=tmp_path, if_exists="overwrite").write_bytes("a.txt", b"fourth")
    assert (tmp_path / "a.txt").read_bytes() == b"fourth"


def test_a_refused_sequence_writes_no_frame(tmp_path: Path) -> None:
    (tmp_path / "f_0003.png").write_bytes(b"old")
    folder = OutputFolder(root=tmp_path)
    names = [f"f_{i:04d}.png" for i in range(1, 5)]
    with pytest.raises(ExportError, match="f_0003.png"):
        folder.claim_all(names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f_0003.png"]
    assert OutputFolder(root=tmp_path, if_exists="number").claim_all(names)[0] == "f_0001-1.png"


def test_a_folder_is_not_a_file_name(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        OutputFolder(root=tmp_path, if_exists="overwrite").write_bytes("d", b"x")


def test_manifest_lists_files_with_hashes_and_the_workflow_key(tmp_path: Path, workflow) -> None:
    a = OutputFolder(root=tmp_path)
    a.write_bytes("a.png", b"A")
    b = OutputFolder(root=tmp_path)
    b.write_bytes("deep/b.glb", b"BB")
    path = write_manifest(tmp_path, [a.files(), b.files()], workflow)
    doc = read_manifest(path)
    assert doc["workflow"]["key"] == hashlib.sha256(workflow.to_json().encode()).hexdigest() == workflow_key(workflow)
    assert doc["workflow"]["name"] == workflow.metadata.name
    assert doc["files"] == [
        {"path": "a.png", "sha256": hashlib.sha256(b"A").hexdigest(), "bytes": 1},
        {"path": "deep/b.glb", "sha256": hashlib.sha256(b"BB").hexdigest(), "bytes": 2},
    ]
    second = write_manifest(tmp_path, [a.files()], workflow)
    assert second != path and path.is_file()


def test_manifest_flags_changed_files_and_refuses_outside_ones(tmp_path: Path, workflow) -> None:
    folder = OutputFolder(root=tmp_path)
    folder.write_bytes("a.txt", b"A")
    (tmp_path / "a.txt").write_bytes(b"changed")
    doc = read_manifest(write_manifest(tmp_path, [folder.files()], workflow))
    assert doc["files"][0]["changed_after_export"] is True
    outside = Files(root=str(tmp_path.parent), paths=[tmp_path.name + "_other.txt"])
    with pytest.raises(ExportError, match="not inside the output folder"):
        write_manifest(tmp_path, [outside], workflow)
    missing = Files(root=str(tmp_path), paths=["nope.txt"])
    with pytest.raises(ExportError, match="missing"):
        write_manifest(tmp_path, [missing], None)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=20))
def test_no_template_or_name_escapes(template: str, workflow_name: str) -> None:
    root = Path(os.environ.get("TMPDIR", "/tmp")).resolve() / "oyster-io-hypothesis"
    try:
        name = render_name(template, NameFields(workflow=workflow_name))
        target = confined_path(root, name)
    except ExportError:
        return
    assert root in target.resolve().parents
