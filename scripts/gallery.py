"""Render the README gallery: twelve prompts of different kinds through the real workflow into docs/gallery/.

Usage: .venv/bin/python scripts/gallery.py [--width 960 --height 540]
Each still comes from workflows/forest_dawn_still.json with only the prompt (and file name)
changed, so what the README shows is exactly what the default workflow makes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from oyster_nodes.cache import Cache
from oyster_nodes.executor import Executor, RunOptions
from oyster_nodes.graph import build
from oyster_nodes.registry import load_registry
from oyster_nodes.workflow import load

ROOT = Path(__file__).resolve().parents[1]
GALLERY = (
    ("forest_dawn", "a misty pine forest on rolling hills around a calm lake at dawn, two wooden cabins by the lake"),
    ("desert_canyon", "a red desert canyon at noon with cactus and scattered rocks"),
    ("snowy_village", "a snowy mountain village at dusk with six cabins, a road and conifers"),
    ("tropical_island", "a tropical island with palm trees and white beaches in a turquoise ocean, sunny afternoon"),
    ("foggy_coast", "a foggy rocky coast with a lighthouse on the cliffs, overcast morning"),
    ("city_outskirts", "city outskirts at night: a village of many houses along roads, street lamps, open fields"),
    ("mountain_road", "car commercial: a red sports car on a winding mountain road at sunset, pine forest below"),
    ("storm_harbour", "a storm at night over a small fishing harbour, heavy rain, waves on the breakwater"),
    ("beach_resort", "travel ad: a sunny white sand beach with palm trees and turquoise water, a few beach huts"),
    ("autumn_valley", "a river valley in autumn with orange and red broadleaf forest, morning mist over the water"),
    ("ruined_keep", "game level: stone ruins on a grassy hilltop, scattered boulders, a dirt path winding up"),
    ("frozen_lake", "a frozen lake among snowy birch trees under a pale winter sky, first light"),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=960)
    ap.add_argument("--height", type=int, default=540)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    registry = load_registry(use_entry_points=False)
    executor = Executor(Cache())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for slug, text in GALLERY:
            wf = load(ROOT / "workflows" / "forest_dawn_still.json")
            params = {"prompt": {"text": text}, "render": {"width": args.width, "height": args.height},
                      "png": {"path": f"{slug}.png"}}
            for ref in wf.nodes:
                ref.params.update(params.get(ref.id, {}))
            t = time.perf_counter()
            result = executor.run(build(wf, registry), RunOptions(out_dir=Path(tmp), device="cpu"))
            if not result.ok:
                raise SystemExit("\n".join(str(e) + "\n" + e.traceback for e in result.errors))
            shutil.copyfile(Path(tmp) / f"{slug}.png", args.out / f"{slug}.png")
            matches = result.outputs["spec"]["matches"] if "spec" in result.outputs else ""
            rows.append({"slug": slug, "prompt": text, "seconds": round(time.perf_counter() - t, 2),
                         "matches": matches.splitlines()[:6]})
            print(f"{slug}: {rows[-1]['seconds']} s")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
