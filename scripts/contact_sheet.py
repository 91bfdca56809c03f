"""All stills of an adherence bench run in one image, each labelled with its number, kind and marks.

Usage: .venv/bin/python scripts/contact_sheet.py RUN_DIR [--out SHEET.png] [--cols 8] [--thumb 320]
RUN_DIR is the --out folder of bench/adherence.py (report.json and stills/). Each tile shows the prompt
number and kind on top and, below, every named subject and weather with + (passed) or - (failed), green
or red; the tile's border is green when all passed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

GREEN, RED, WHITE, BLACK = (60, 200, 60), (40, 40, 230), (255, 255, 255), (0, 0, 0)  # BGR
FONT = cv2.FONT_HERSHEY_SIMPLEX


def marks(row: dict[str, Any]) -> list[tuple[str, bool]]:
    """(label, passed) for each named subject and weather of a report row."""
    return [(s["name"], bool(s["ok"])) for s in row["subjects"]] + [(w["name"], bool(w["ok"])) for w in row["weather"]]


def text(img: np.ndarray, s: str, org: tuple[int, int], color: tuple[int, int, int], scale: float) -> int:
    """Outlined text; returns its width in pixels."""
    cv2.putText(img, s, org, FONT, scale, BLACK, 3, cv2.LINE_AA)
    cv2.putText(img, s, org, FONT, scale, color, 1, cv2.LINE_AA)
    return cv2.getTextSize(s, FONT, scale, 1)[0][0]


def tile(row: dict[str, Any], still: np.ndarray, width: int) -> np.ndarray:
    """One labelled thumbnail with a border that says whether everything passed."""
    h = round(still.shape[0] * width / still.shape[1])
    img = cv2.resize(still, (width, h), interpolation=cv2.INTER_AREA)
    scale = width / 640
    text(img, f"{row['id']} {row['kind']}", (6, round(22 * scale) + 4), WHITE, 0.55 * scale * 1.4)
    x, y = 6, h - 8
    for label, ok in marks(row):
        s = f"{label}{'+' if ok else '-'} "
        w = cv2.getTextSize(s, FONT, 0.5 * scale * 1.4, 1)[0][0]
        if x + w > width - 4:
            x, y = 6, y - round(18 * scale * 1.4)
        x += text(img, s, (x, y), GREEN if ok else RED, 0.5 * scale * 1.4)
    border = GREEN if all(ok for _, ok in marks(row)) else RED
    return cv2.copyMakeBorder(img, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=border)


def sheet(run_dir: Path, cols: int, thumb: int) -> np.ndarray:
    """The grid of all tiles of a run, in prompt order."""
    rows = json.loads((run_dir / "report.json").read_text())["prompts"]
    if not rows:
        raise SystemExit(f"{run_dir / 'report.json'}: no prompts in this run")
    tiles = []
    for row in rows:
        still = cv2.imread(str(run_dir / row["still"]))
        if still is None:
            raise SystemExit(f"{run_dir / row['still']}: missing or unreadable still")
        tiles.append(tile(row, still, thumb))
    th, tw = tiles[0].shape[:2]
    grid = np.zeros((th * -(-len(tiles) // cols), tw * min(cols, len(tiles)), 3), np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, cols)
        grid[r * th : r * th + t.shape[0], c * tw : c * tw + t.shape[1]] = t[:th, :tw]
    return grid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: RUN_DIR/contact_sheet.png")
    ap.add_argument("--cols", type=int, default=8)
    ap.add_argument("--thumb", type=int, default=320, help="tile width in pixels")
    args = ap.parse_args()
    out = args.out or args.run_dir / "contact_sheet.png"
    cv2.imwrite(str(out), sheet(args.run_dir, max(1, args.cols), max(64, args.thumb)))
    print(out)


if __name__ == "__main__":
    main()
