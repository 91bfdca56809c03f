"""A village church, a chapel and a cathedral (their arched stained-glass windows are facade panels) export to a
valid glTF."""

from __future__ import annotations

from pathlib import Path

from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt


def test_churches_export_to_a_valid_glb(tmp_path: Path, validate_gltf) -> None:
    for k, text in enumerate(("a stone church on a hill", "a small wooden chapel", "a white cathedral")):
        spec = spec_from_prompt(Prompt(text=text), None)
        w = generate_world(spec, 7, GenerateConfig(size_m=256.0, cell_m=1.0))
        assert "church" in {s.kind for s in w.structures}, text
        data, _ = world_glb(w, options=GlbOptions(texture_px=64))
        path = tmp_path / f"church_{k}.glb"
        path.write_bytes(data)
        report = validate_gltf(path)
        assert report["numErrors"] == 0, (text, report["messages"])
