"""Crop fields: patches of standing crop in rows (wheat, barley, rye, oats, maize, rapeseed, hay meadows).

A prompt that names a field crop ("golden wheat fields", "a combine harvester in a barley field", "yellow
rapeseed fields") gets fields of rows of crop instances (kind "crop", ROW_GAP_M apart, each CROP_STEP_M long so
a row reads as one band) about its farm buildings, else beside the road's middle, else about the world's middle.
The rows keep clear of buildings, water and roads; no tree grows inside a field.
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy import ndimage

from ..state.records import Structure
from .scatter import KIND, Ground, Instances
from .terrain import MAT

#: words that name a field crop (singular or plural) -> the crop's look (render/meshes.CROP_LOOKS)
CROP_WORDS: dict[str, str] = {
    "wheat": "wheat", "wheatfield": "wheat", "barley": "wheat", "rye": "wheat", "oat": "wheat", "oats": "wheat",
    "grain": "wheat", "cornfield": "maize", "corn": "maize", "maize": "maize", "hay": "wheat", "haystack": "wheat",
    "stubble": "wheat", "rapeseed": "rapeseed", "canola": "rapeseed", "crop": "wheat",
    "crops": "wheat", "cereal": "wheat", "harvester": "wheat", "tractor": "",
}
#: a crop word that does not name a crop when this word follows it ("corn dog", "grain of sand")
NOT_CROP = re.compile(r"\b(?:corn|grain)s?\s+(?:of|dog|snake|flower)\b")
#: words that name hay bales, which lie about a mown field (BALES_PER_FIELD a field)
BALE_WORDS = re.compile(r"\b(?:hay\s*bales?|bales?\s+of\s+hay|straw\s*bales?|round\s+bales?|haystacks?|hayricks?)\b")
BALES_PER_FIELD = 14
#: metres between rows and between plants along a row (a crop mesh is CROP_STEP_M long)
ROW_GAP_M, CROP_STEP_M = 1.6, 2.2
#: a field's side (m), the tracks between fields (m), and fields along each side of the farm's patchwork
FIELD_M, TRACK_M, FIELDS_ACROSS = 40.0, 3.0, 4
#: the farmyard: rows keep this far (m) beyond a building's half-size, and at least YARD_MIN_M from its middle
#: (or from the farm's middle without buildings): the farm's vehicles park within it (world.VEHICLE_BESIDE_M)
YARD_M, YARD_MIN_M = 9.0, 14.5
#: rows keep this far (m) from water, roads and footprints, and off ground steeper than MAX_SLOPE
CLEAR_M, MAX_SLOPE = 1.5, 0.5
#: ground materials that turn to tilled soil under a field
SOILS = ("grass", "forest_floor", "dirt", "mud")


def wants_bales(text: str) -> bool:
    """Whether the prompt names hay bales ("hay bales in a golden field", "a haystack")."""
    return bool(BALE_WORDS.search(text.lower()))


def crop_look(text: str) -> str:
    """The crop a prompt names ("yellow rapeseed fields" -> rapeseed), "" when it names none; a mown field
    ("stubble") where it names hay bales. A tractor alone names a wheat field only with a field word in the
    prompt ("a tractor in a field")."""
    if wants_bales(text):
        return "stubble"
    low = NOT_CROP.sub(" ", text.lower())
    words = re.findall(r"[a-z]+", low)
    fieldish = any(w in ("field", "fields", "farmland", "farm", "acre", "acres", "meadow", "meadows") for w in words)
    for w in words:
        look = CROP_WORDS.get(w)
        if look:
            return look
        if look == "" and fieldish:
            return "wheat"
    if fieldish and re.search(r"\b(?:golden|yellow|ripe|amber)\s+(?:\w+\s+)?(?:fields?|farmland|meadows?)\b", low):
        return "rapeseed" if re.search(r"\byellow\s+(?:\w+\s+)?fields?\b", low) else "wheat"
    return ""


def field_centres(structures: list[Structure], road_pts: np.ndarray, size_m: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """The farm's middle (its buildings', else the road's middle, else the world's) and (x, y, yaw) of the
    FIELDS_ACROSS x FIELDS_ACROSS fields about it, tracks TRACK_M wide between them, the rows of neighbouring
    fields at right angles (a patchwork), the whole turned with the first building or the road."""
    if structures:
        mid = np.mean([[s.x, s.y] for s in structures[:6]], axis=0)
        yaw = float(structures[0].yaw)
    elif len(road_pts) >= 2:
        i = len(road_pts) // 2
        mid = road_pts[i]
        d = road_pts[min(i + 1, len(road_pts) - 1)] - road_pts[max(i - 1, 0)]
        yaw = math.atan2(d[1], d[0])
    else:
        mid, yaw = np.full(2, size_m / 2), float(rng.uniform(-math.pi, math.pi))
    along, across = np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])
    pitch = FIELD_M + TRACK_M
    out = []
    for a in range(FIELDS_ACROSS):
        for b in range(FIELDS_ACROSS):
            u, v = (a - (FIELDS_ACROSS - 1) / 2) * pitch, (b - (FIELDS_ACROSS - 1) / 2) * pitch
            xy = mid + u * along + v * across
            out.append((float(xy[0]), float(xy[1]), yaw + (math.pi / 2 if (a + b) % 2 else 0.0)))
    return np.asarray(mid, np.float64), out


def lay_crop_fields(g: Ground, text: str, structures: list[Structure], road_pts: np.ndarray, *, size_m: float,
                    budget: int, rng: np.random.Generator, out: Instances) -> np.ndarray:
    """Rows of crop in the fields the prompt names, on soil (the ground under them turns to dirt); returns the
    cells (bool mask) they cover, for trees to keep out of. Nothing when the prompt names no crop or the budget
    is 0. The farmyard (YARD_M about each building, or about the farm's middle without buildings, where its
    vehicles stand) stays clear."""
    covered = np.zeros(g.h.shape, bool)
    if not crop_look(text) or budget <= 0:
        return covered
    clear = ~ndimage.binary_dilation(g.blocked, iterations=max(1, int(math.ceil(CLEAR_M / g.cell_m))))
    mid, centres = field_centres(structures, road_pts, size_m, rng)
    bales = wants_bales(text)
    yards = np.array([[s.x, s.y] for s in structures], np.float64).reshape(-1, 2) if structures else mid[None]
    reach = np.array([max(max(s.w, s.d) / 2 + YARD_M, YARD_MIN_M) for s in structures] or [YARD_MIN_M])
    per = max(1, budget // len(centres))
    a = np.arange(-FIELD_M / 2, FIELD_M / 2, CROP_STEP_M) + CROP_STEP_M / 2
    b = np.arange(-FIELD_M / 2, FIELD_M / 2, ROW_GAP_M) + ROW_GAP_M / 2
    aa, bb = np.meshgrid(a, b)
    for cx, cy, yaw in centres:
        along, across = np.array([math.cos(yaw), math.sin(yaw)]), np.array([-math.sin(yaw), math.cos(yaw)])
        xy = np.array([cx, cy]) + aa.reshape(-1, 1) * along + bb.reshape(-1, 1) * across
        xy = xy[np.all((xy > 1.0) & (xy < (g.n - 2) * g.cell_m), axis=1)]
        near = np.hypot(xy[:, None, 0] - yards[None, :, 0], xy[:, None, 1] - yards[None, :, 1]) - reach[None]
        xy = xy[np.min(near, axis=1) > 0]
        if not len(xy):
            continue
        i, j = g.cells(xy)
        xy = xy[clear[i, j] & (g.slope[i, j] < MAX_SLOPE)][:per]
        if not len(xy):
            continue
        i, j = g.cells(xy)
        covered[i, j] = True
        out.add(np.full(len(xy), KIND["crop"]), np.column_stack([xy, g.height(xy) - np.float32(0.05)]),
                np.full(len(xy), yaw), rng.uniform(0.94, 1.04, len(xy)))
        if bales:  # round bales lie about the mown field, each along its row
            at = xy[rng.choice(len(xy), min(BALES_PER_FIELD, len(xy)), replace=False)]
            at = at + rng.uniform(-0.4, 0.4, at.shape)
            out.add(np.full(len(at), KIND["hay_bale"]), np.column_stack([at, g.height(at) + np.float32(0.25)]),
                    yaw + rng.uniform(-0.3, 0.3, len(at)), rng.uniform(0.92, 1.08, len(at)))
    covered = ndimage.binary_dilation(covered, iterations=max(1, int(round(1.0 / g.cell_m))))
    soil = covered & np.isin(g.material, [MAT[m] for m in SOILS])
    g.material[soil] = MAT["dirt"]
    return covered
