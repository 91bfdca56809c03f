"""A lone glass tower (its curtain wall's facade quads) and a camp's tents and fire export to a valid glTF."""

from __future__ import annotations

from pathlib import Path

from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt


def test_a_tower_and_a_camp_export_to_a_valid_glb(tmp_path: Path, validate_gltf) -> None:
    spec = spec_from_prompt(Prompt(text="a glass office tower beside a campsite"), None)
    w = generate_world(spec, 7, GenerateConfig(size_m=256.0, cell_m=1.0))
    assert {"skyscraper", "tent", "campfire"} <= {s.kind for s in w.structures}
    data, _ = world_glb(w, options=GlbOptions(texture_px=64))
    path = tmp_path / "tower_camp.glb"
    path.write_bytes(data)
    report = validate_gltf(path)
    assert report["numErrors"] == 0, report["messages"]
