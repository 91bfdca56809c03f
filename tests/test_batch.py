"""Batches: sweeps and tables expand into variants, validated at once, sharing the work they have in common."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oyster_nodes import batch
from oyster_nodes.cli import main
from oyster_nodes.workflow import load

WORKFLOW = Path(__file__).resolve().parents[1] / "workflows" / "batch_seed_sweep.json"


def small_copy(tmp_path: Path) -> Path:
    """The example batch workflow on a 256 m world and 64x36 frames, so tests stay quick."""
    doc = json.loads(WORKFLOW.read_text())
    for node in doc["nodes"]:
        if node["id"] == "world":
            node["params"]["size_m"] = 256.0
        if node["id"] == "render":
            node["params"].update(width=64, height=36)
        if node["id"] == "cam":
            node["params"].update(distance_m=40.0, resolution="144p", map_px=128)
    path = tmp_path / "small.json"
    path.write_text(json.dumps(doc))
    return path


def test_sweeps_ranges_lists_and_tables_make_axes(tmp_path: Path) -> None:
    assert [v[0][2] for v in batch.parse_sweep("prompt.seed=1..5:2").values] == [1, 3, 5]
    assert [v[0][2] for v in batch.parse_sweep("cam.preset=orbit,dolly_in").values] == ["orbit", "dolly_in"]
    assert [v[0][2] for v in batch.parse_sweep("render.position=[[1,2,3],[4,5,6]]").values] == [[1, 2, 3], [4, 5, 6]]
    table = tmp_path / "variants.csv"
    table.write_text("prompt.text,prompt.seed\na beach at dawn,3\n\"a lake, calm\",4\n")
    axis = batch.read_table(table)
    assert axis.values == ((("prompt", "text", "a beach at dawn"), ("prompt", "seed", 3)),
                           (("prompt", "text", "a lake, calm"), ("prompt", "seed", 4)))


@pytest.mark.parametrize(("item", "message"), [
    ("seed=1,2", "NODE.PARAM"), ("prompt.seed=", "expected NODE.PARAM"), ("prompt.seed=5..1", "A <= B"),
    ("prompt.seed=1..99999", "limit"),
])
def test_bad_sweeps_say_how_to_write_them(item: str, message: str) -> None:
    with pytest.raises(batch.BatchError, match=message):
        batch.parse_sweep(item)


def test_cartesian_and_zipped_combinations() -> None:
    seeds, views = batch.parse_sweep("p.seed=1..3"), batch.parse_sweep("cam.azimuth_deg=0,120,240")
    assert len(batch.expand([seeds, views])) == 9
    zipped = batch.expand([seeds, views], mode="zip")
    assert [v.label for v in zipped] == ["p.seed=1 cam.azimuth_deg=0", "p.seed=2 cam.azimuth_deg=120",
                                         "p.seed=3 cam.azimuth_deg=240"]
    with pytest.raises(batch.BatchError, match="same number of values"):
        batch.expand([seeds, batch.parse_sweep("cam.azimuth_deg=0,90")], mode="zip")


def test_every_variant_is_validated_before_anything_runs(tmp_path: Path, full_registry) -> None:
    variants = batch.expand([batch.parse_sweep("cam.azimuth_deg=0,9999"), batch.parse_sweep("ghost.x=1")])
    planned = batch.plan(load(small_copy(tmp_path)), variants, full_registry)
    messages = [p.message for p in planned.problems]
    assert any("variant 2 (cam.azimuth_deg=9999 ghost.x=1)" in m and "azimuth_deg" in str(p)
               for m, p in zip(messages, planned.problems, strict=True))
    assert [m for m in messages if "node 'ghost'" in m] == [
        "all 2 variants: the sweep names node 'ghost', which is not in the workflow"]
    out = tmp_path / "out"
    code = main(["batch", str(small_copy(tmp_path)), "--sweep", "cam.azimuth_deg=0,9999", "--out", str(out),
                 "--no-disk-cache"])
    assert code == 2 and not out.exists()


def test_twenty_views_of_one_world_compute_the_world_once(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["batch", str(small_copy(tmp_path)), "--sweep", "cam.azimuth_deg=0..342:18", "--out", str(out),
                 "--no-disk-cache"])
    text = capsys.readouterr().out
    assert code == 0, text
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 20 and all(len(list(f.glob("*.png"))) == 1 for f in folders)
    assert text.count("6 run, 0 cached") == 1 and text.count("3 run, 3 cached") == 19
    assert "20 of 20 variants done" in text


def test_a_relative_out_folder_and_a_node_that_reads_from_it(tmp_path: Path, capsys, monkeypatch) -> None:
    """Variants write into their own folders, but a saved world is read from the batch's output folder."""
    from oyster_nodes.world import save_world
    from tests.world.shot_world import hills

    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    save_world(hills(), Path("out") / "hills.oyworld.safetensors")
    doc = {"format": "oyster-workflow", "version": 1, "nodes": [
        {"id": "load", "type": "world.load", "params": {"path": "hills.oyworld.safetensors"}},
        {"id": "render", "type": "render.image", "params": {"width": 48, "height": 27}},
        {"id": "png", "type": "export.png", "params": {"path": "view.png"}}],
        "links": [{"from_node": "load", "from_output": "world", "to_node": "render", "to_input": "world"},
                  {"from_node": "render", "from_output": "image", "to_node": "png", "to_input": "image"}]}
    Path("wf.json").write_text(json.dumps(doc))
    code = main(["batch", "wf.json", "--sweep", "render.focal_mm=20,50", "--no-disk-cache"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert Path("out/001-focal_mm=20/view.png").is_file() and Path("out/002-focal_mm=50/view.png").is_file()
