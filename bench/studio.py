"""Studio packshots: does the default still of a studio/product prompt show a studio set with the product large?

For every prompt in bench/prompts/studio.json (product prompts without an imported mesh and without outdoor
words) the default workflow runs as in bench/adherence.py (one executor for the run). Each still is scored:
  product_read   the prompt reads as a studio with the listed product kind (spec.studio.product)
  product        the product's pixels pass bench/adherence.py's own "product" rule (THRESHOLDS, unchanged)
  clean_set      no sky in frame, the backdrop covers at least a tenth of it and the stand shows
Writes stills/NNN.png, report.json (scripts/contact_sheet.py reads it) and summary.json into --out; the last
line printed is the summary as one JSON object.

Run: .venv/bin/python bench/studio.py [--limit N] [--out DIR] [--width 1280 --height 720]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import adherence as ad  # bench/ is the script's folder
import cv2
import numpy as np

PROMPTS = Path(__file__).resolve().parent / "prompts" / "studio.json"
#: the backdrop's (terrain class) and the stand's (structure class) least shares of a clean set's frame
BACKDROP_MIN, STAND_MIN = 0.1, 0.01


def load(path: Path = PROMPTS) -> list[dict[str, Any]]:
    rows = json.loads(path.read_text())["prompts"]
    for row in rows:
        if set(row) != {"id", "text", "product"}:
            raise ValueError(f"{path.name} prompt {row.get('id')}: expects id, text and product")
    return rows


def score(row: dict[str, Any], image: Any, world: Any, spec_product: str) -> dict[str, Any]:
    passes = ad.passes_from_image(image, world)
    product = ad.score_subject("product", ad.subject_mask("product", passes), passes.instance_hw)
    sem = passes.semantic_hw
    sky = float((sem == ad.SEM["sky"]).mean())
    backdrop = float((sem == ad.SEM["terrain"]).mean())
    stand = float((sem == ad.SEM["structure"]).mean())
    clean = sky == 0.0 and backdrop >= BACKDROP_MIN and stand >= STAND_MIN
    read = spec_product == row["product"]
    return {"id": row["id"], "kind": "studio", "text": row["text"], "still": f"stills/{row['id']:03d}.png",
            "subjects": [{"name": "product_read", "ok": read, "why": f"read {spec_product or 'no studio'}"},
                         asdict(product),
                         {"name": "clean_set", "ok": clean,
                          "why": f"sky {sky:.3f}, backdrop {backdrop:.3f}, stand {stand:.3f}"}],
            "weather": [], "counts": [], "camera": image.info.get("camera")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("/tmp/oyster-studio"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    args = ap.parse_args()
    rows = load()
    rows = rows[: args.limit] if args.limit > 0 else rows
    (args.out / "stills").mkdir(parents=True, exist_ok=True)
    bench = ad.Bench(args.out.resolve(), args.width, args.height)
    started, out = time.perf_counter(), []
    for row in rows:
        t = time.perf_counter()
        prompt = ad.BenchPrompt(id=row["id"], kind="studio", text=row["text"], subjects=[], weather=[])
        image, world, _ = bench.still(prompt)
        cv2.imwrite(str(args.out / "stills" / f"{row['id']:03d}.png"), cv2.cvtColor(image.rgb_hw3, cv2.COLOR_RGB2BGR))
        out.append(score(row, image, world, str((world.spec or {}).get("studio", {}).get("product", ""))))
        marks = " ".join(f"{s['name']}{'+' if s['ok'] else '-'}" for s in out[-1]["subjects"])
        print(f"{row['id']:3d} {time.perf_counter() - t:5.1f} s  {marks}  {row['text']}", flush=True)

    def share(name: str) -> float:
        return round(float(np.mean([next(s["ok"] for s in r["subjects"] if s["name"] == name) for r in out])), 4)

    summary = {"product_read": share("product_read"), "product_in_frame": share("product"),
               "clean_set": share("clean_set"), "prompts": len(out), "seconds": round(time.perf_counter() - started, 1),
               "product_rule": asdict(ad.THRESHOLDS["product"]), "resolution": [args.width, args.height]}
    (args.out / "report.json").write_text(json.dumps({"summary": summary, "prompts": out}, indent=1))
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
