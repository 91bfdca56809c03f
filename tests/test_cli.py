from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oyster_nodes.cli import main


def write(tmp_path: Path, doc: dict, name: str = "wf.json") -> str:
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return str(p)


def chain_doc(n: int = 3, op: str = "add") -> dict:
    nodes = [{"id": "n0", "type": "core.number", "params": {"value": 1}}]
    nodes += [{"id": f"n{i}", "type": "core.math", "params": {"operation": op, "b_value": 2}} for i in range(1, n)]
    links = [{"from_node": f"n{i - 1}", "from_output": "value" if i == 1 else "result", "to_node": f"n{i}",
              "to_input": "a"} for i in range(1, n)]
    return {"format": "oyster-workflow", "version": 1, "nodes": nodes, "links": links}


@pytest.fixture
def cache_args(tmp_path):
    return ["--cache-dir", str(tmp_path / "cache")]


def test_run_succeeds_with_exit_0_and_a_closing_table(tmp_path, cache_args, capsys):
    code = main(["run", write(tmp_path, chain_doc()), "--out", str(tmp_path / "out"), "--device", "cpu",
                 *cache_args])
    out = capsys.readouterr().out
    assert code == 0
    assert "run finished" in out and "core.math" in out and "n2" in out


def test_set_overrides_a_param(tmp_path, cache_args, capsys):
    code = main(["run", write(tmp_path, chain_doc(2)), "--set", "n1.operation=divide", "--set", "n1.b_value=0",
                 *cache_args])
    out = capsys.readouterr().out
    assert code == 1, "division by zero is a run failure"
    assert "node 'n1' (core.math) failed" in out and "ZeroDivisionError" in out


def test_set_with_bad_value_is_invalid(tmp_path, cache_args, capsys):
    code = main(["run", write(tmp_path, chain_doc(2)), "--set", "n1.operation=explode", *cache_args])
    assert code == 2
    assert "must be one of" in capsys.readouterr().out


def test_set_unknown_node_is_invalid(tmp_path, cache_args, capsys):
    assert main(["run", write(tmp_path, chain_doc(2)), "--set", "zz.value=1", *cache_args]) == 2


def test_invalid_workflow_exits_2_listing_every_problem(tmp_path, cache_args, capsys):
    doc = chain_doc(3)
    doc["nodes"][1]["type"] = "core.nope"
    doc["nodes"][2]["params"]["operation"] = "explode"
    assert main(["run", write(tmp_path, doc), *cache_args]) == 2
    out = capsys.readouterr().out
    assert "2 problems" in out and "core.nope" in out and "explode" in out


def test_validate_reports_each_file(tmp_path, capsys):
    good = write(tmp_path, chain_doc(), "good.json")
    bad = write(tmp_path, {"format": "oyster-workflow", "version": 1, "nodes": [{"id": "x", "type": "core.math"}]},
                "bad.json")
    assert main(["validate", good]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["validate", good, bad, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report[good] == [] and report[bad][0]["kind"] == "missing_input"


def test_validate_missing_file_is_invalid(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_nodes_json_lists_ports_and_params(capsys):
    assert main(["nodes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    math = next(n for n in data["nodes"] if n["type"] == "core.math")
    assert [p["name"] for p in math["inputs"]] == ["a", "b"]
    assert "builtin" in data["packs"]


def test_schema_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Oyster Nodes workflow"


def test_run_as_a_separate_process_reports_its_plan(tmp_path):
    wf = write(tmp_path, chain_doc(3))
    cmd = [sys.executable, "-m", "oyster_nodes.cli", "run", wf, "--cache-dir", str(tmp_path / "c")]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 to run" in first.stdout


def test_bad_pack_folder_is_an_error_naming_the_pack(tmp_path, capsys):
    (tmp_path / "evil.py").write_text("raise RuntimeError('nope')\n")
    assert main(["--packs", str(tmp_path), "nodes"]) == 2
    assert "node pack 'evil'" in capsys.readouterr().out


def test_run_from_an_exported_png_restores_the_exact_workflow(tmp_path, cache_args, capsys):
    """Export a PNG with a workflow, then `oyster run --from` it; a manifest lists what was written."""
    from oyster_nodes.io.provenance import read_workflow
    from oyster_nodes.workflow import load

    src = Path(__file__).resolve().parents[1] / "workflows" / "forest_dawn_still.json"
    out = tmp_path / "out"
    sets = ["--set", "world.size_m=256", "--set", "render.width=64", "--set", "render.height=36",
            "--set", "prompt.text=a small lake", "--set", "spec.use_model=false"]
    assert main(["run", str(src), "--out", str(out), *sets, *cache_args]) == 0
    png = out / "forest_dawn.png"
    embedded = read_workflow(png)
    original = load(src)
    assert embedded.metadata == original.metadata
    assert embedded.node("world").params["size_m"] == 256
    manifests = list(out.glob("manifest-*.json"))
    assert len(manifests) == 1
    listed = json.loads(manifests[0].read_text())
    assert any(f["path"] == "forest_dawn.png" for f in listed["files"])
    capsys.readouterr()
    png.rename(tmp_path / "keep.png")
    assert main(["run", "--from", str(tmp_path / "keep.png"), "--out", str(out), *cache_args]) == 0
    assert (out / "forest_dawn.png").is_file()


def test_run_from_a_file_without_a_workflow_is_invalid(tmp_path, capsys):
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    assert main(["run", "--from", str(plain)]) == 2
    assert "not a file type that carries a workflow" in capsys.readouterr().out


def _load_doc(path: str) -> dict:
    return {"format": "oyster-workflow", "version": 1,
            "nodes": [{"id": "load", "type": "world.load", "params": {"path": path}}], "links": []}


def test_a_missing_or_broken_file_is_one_message_without_traceback(tmp_path, cache_args, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "bad.oyworld.safetensors").write_bytes(b"garbage")
    for name, words in (("missing.oyworld.safetensors", "no such world file"),
                        ("bad.oyworld.safetensors", "not a world file")):
        code = main(["run", write(tmp_path, _load_doc(name)), "--out", str(out), *cache_args])
        text = capsys.readouterr().out
        assert code == 1
        assert f"node 'load' (world.load) failed: {out / name}: {words}" in text
        assert "Traceback" not in text and "WorldFileError" not in text and "--debug" not in text
        assert len([line for line in text.splitlines() if line.startswith("error")]) == 1
    assert "no such world file (write one there with a world.save node, or fix the path)" in _missing_text(
        tmp_path, cache_args, capsys)


def _missing_text(tmp_path, cache_args, capsys) -> str:
    main(["run", write(tmp_path, _load_doc("gone.oyworld.safetensors")), "--out", str(tmp_path / "out"), *cache_args])
    return capsys.readouterr().out


def _mesh_doc(path: str) -> dict:
    nodes = [{"id": "p", "type": "prompt.text", "params": {"text": "a meadow"}},
             {"id": "s", "type": "prompt.to_spec", "params": {"use_model": False}},
             {"id": "g", "type": "world.generate", "params": {"size_m": 256.0}},
             {"id": "m", "type": "world.import_mesh", "params": {"path": path, "x": 100.0, "y": 100.0}}]
    links = [{"from_node": a, "from_output": port, "to_node": b, "to_input": port}
             for a, b, port in (("p", "s", "prompt"), ("s", "g", "spec"), ("g", "m", "world"))]
    return {"format": "oyster-workflow", "version": 2, "nodes": nodes, "links": links}


def test_a_missing_or_broken_mesh_file_is_one_message_naming_the_fix(tmp_path, cache_args, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "broken.glb").write_bytes(b"glTF garbage")
    for name, words in (("chair.glb", f"chair.glb: no such file in {out} (put the mesh there, or fix the path)"),
                        ("broken.glb", "broken.glb: cannot be read as a mesh")):
        code = main(["run", write(tmp_path, _mesh_doc(name)), "--out", str(out), *cache_args])
        text = capsys.readouterr().out
        assert code == 1
        [line] = [line for line in text.splitlines() if line.startswith("error")]
        assert line.startswith(f"error node 'm' (world.import_mesh) failed: {words}"), line
        assert "Traceback" not in text and "MeshImportError" not in text and "--debug" not in text
    assert main(["run", write(tmp_path, _mesh_doc("chair.glb")), "--out", str(out), "--debug", *cache_args]) == 1
    text = capsys.readouterr().out
    assert "Traceback" in text and "MeshImportError" in text


def test_debug_shows_the_traceback(tmp_path, cache_args, capsys):
    wf = write(tmp_path, _load_doc("missing.oyworld.safetensors"))
    assert main(["run", wf, "--out", str(tmp_path / "out"), "--debug", *cache_args]) == 1
    text = capsys.readouterr().out
    assert "Traceback" in text and "WorldFileError" in text
    assert main(["--debug", "run", wf, "--out", str(tmp_path / "out"), *cache_args]) == 1
    assert "Traceback" in capsys.readouterr().out


def test_a_bug_in_a_node_points_to_debug(tmp_path, cache_args, capsys):
    """Not a ValueError or OSError: the message, the inputs and how to see the traceback."""
    code = main(["run", write(tmp_path, chain_doc(2)), "--set", "n1.operation=divide", "--set", "n1.b_value=0",
                 *cache_args])
    text = capsys.readouterr().out
    assert code == 1 and "ZeroDivisionError" in text and "run again with --debug" in text
    assert "Traceback" not in text and "a = 1.0" in text


@pytest.mark.parametrize("command", ["schema", "nodes"])
def test_output_into_a_closed_pipe_ends_cleanly(command):
    """`oyster schema | head -1`: no BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "oyster_nodes.cli", command], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()


HEAVY = ("torch", "scipy", "av", "cv2", "moderngl", "mujoco", "nicegui", "trimesh", "diffusers", "transformers",
         "networkx", "apscheduler", "sqlite3", "ray", "fastapi",
         "oyster_nodes.world.render", "oyster_nodes.builtin.world", "oyster_nodes.jobs.store", "oyster_nodes.server.auth")


def test_a_small_run_imports_only_what_its_nodes_need(tmp_path):
    """A one-node workflow must not pay for the built-in packs' heavy imports (start-up <= 0.5 s)."""
    wf = write(tmp_path, chain_doc(1))
    probe = ("import runpy, sys, json\nsys.argv = ['oyster', 'run', sys.argv[1], '--no-disk-cache', '--out', sys.argv[2]]\n"
             "try:\n    runpy.run_module('oyster_nodes.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", probe, wf, str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_big_graphs_show_a_bounded_view_and_summary(tmp_path, cache_args):
    """800 nodes: the closing table lists at most SHOWN_ROWS, the live view too, so display cost stays flat."""
    import io

    from rich.console import Console

    from oyster_nodes import cli

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    args = cli.build_parser().parse_args(["run", write(tmp_path, chain_doc(800)), "--out", str(tmp_path / "o"),
                                          *cache_args])
    shown: list[int] = []
    original = cli.ProgressDisplay.node_finished

    def spy(self, *, record):
        original(self, record=record)
        shown.append(len(self.shown()))

    cli.ProgressDisplay.node_finished = spy  # type: ignore[method-assign]
    try:
        assert cli.cmd_run(args, console, cli.load_registry()) == 0
    finally:
        cli.ProgressDisplay.node_finished = original  # type: ignore[method-assign]
    assert len(shown) == 800 and max(shown) <= cli.SHOWN_ROWS
    summary = buffer.getvalue().rsplit("run finished", 1)[-1]
    assert "770 more nodes not shown (800 done)" in summary
    assert sum(1 for line in summary.splitlines() if "core.math" in line) <= cli.SHOWN_ROWS


def test_a_failure_at_the_head_of_a_long_chain_is_one_error_and_one_line_for_what_did_not_run(tmp_path, capsys):
    args = ["run", write(tmp_path, chain_doc(2000)), "--set", "n1.operation=divide", "--set", "n1.b_value=0",
            "--no-disk-cache", "--out", str(tmp_path / "o")]
    assert main(args) == 1
    closing = capsys.readouterr().out.rsplit("run finished", 1)[-1]
    warnings = [line for line in closing.splitlines() if line.startswith("warning")]
    assert warnings == ["warning 1998 nodes not run because an upstream node did not finish: "
                        "n2, n3, n4, n5, n6 and 1993 more"]
    assert [line for line in closing.splitlines() if line.startswith("error")] == [
        "error node 'n1' (core.math) failed: ZeroDivisionError: b is 0: connect or set a non-zero divisor"]
