"""Relations a picture implies: houses by the named river, a bridge across it beside them, a building on a cliff
by the water it overlooks, a swamp's buildings by its pools.

"a valley with a river, a wooden bridge and a small village" names no relation between them, yet a picture of
it shows them together: the settlement is placed near the river (an implied "near" relation, as if the prompt
said "a village by the river") and the bridges asked for beyond those the roads need cross the river at the
points nearest the settlement, not spread along its whole length.
"""

from __future__ import annotations

import numpy as np

from ..prompt.spec import WorldSpec
from ..state.records import Structure
from .beach import names_beach

#: structure kinds that make a settlement
SETTLEMENT = ("village", "house", "cabin", "farmhouse", "barn", "castle", "ruins", "windmill")
#: bridges beside one settlement stand at least this far apart along the river (m)
BRIDGE_GAP_M = 60.0
#: a bridge this near (m) to the settlement's middle counts as the one the prompt asks for beside it
BRIDGE_NEAR_M = 160.0


#: landforms a building stands on above the water ("a castle on a cliff over the sea", "a chapel on a hill
#: above the lake")
HIGH_GROUND = ("mountains", "hills", "cliffs", "cliff", "headland", "volcanic")
#: the water a building on high ground overlooks, by preference
OVERLOOKED = ("ocean", "lake", "river")


#: buildings a prompt that names a beach sets by the sand ("a few beach huts", "a house on a sandy beach")
BEACH_DWELLINGS = ("cabin", "house")


def implied_relations(spec: WorldSpec) -> list[dict[str, str]]:
    """The spec's relations plus those a picture of the prompt implies: "<settlement> near river" when the prompt
    names a river and a settlement but relates them to nothing, and "<building> overlooks <water>" (high ground
    near the water, generate/structures.py) for a building set on high ground in a prompt that names water ("ruins on a cliff over the sea": on the cliff, by the sea)."""
    rels = list(spec.relations)
    if spec.terrain == "swamp":  # a swamp's buildings stand by its pools (generate/swamp.py), not on dry ground
        related = {r["subject"] for r in rels}
        rels += [{"subject": k, "relation": "near", "object": "lake"} for k, n in spec.structures.items()
                 if n and k not in related and k not in ("road", "fences", "bridge")]
    if "ocean" in spec.water and names_beach(spec.matches, spec.modifiers):  # beach huts stand by the sand
        related = {r["subject"] for r in rels}
        rels += [{"subject": k, "relation": "near", "object": "coast"} for k in BEACH_DWELLINGS
                 if spec.structures.get(k) and k not in related]
    water = next((w for w in OVERLOOKED if w in spec.water), None)
    if water is not None:
        by_water = {r["subject"] for r in rels if r["object"] in (*OVERLOOKED, "coast", "island")}
        for r in list(rels):
            if r["relation"] == "on" and r["object"] in HIGH_GROUND and r["subject"] not in by_water:
                rels.append({"subject": r["subject"], "relation": "overlooks", "object": water})
                by_water.add(r["subject"])
    if "river" not in spec.water:
        return rels
    named = [k for k in SETTLEMENT if spec.structures.get(k)]
    related = {r.get("subject") for r in rels}
    for kind in named[:1]:
        if kind not in related and not (kind in ("house", "cabin") and "village" in related):
            rels.append({"subject": kind, "relation": "near", "object": "river"})
    return rels


def settlement_centre(structures: list[Structure]) -> np.ndarray | None:
    """The middle (xy) of the settlement's buildings, or None without any."""
    xy = [(s.x, s.y) for s in structures if s.kind in SETTLEMENT]
    return np.asarray(xy, np.float64).mean(axis=0) if xy else None


def bridge_sites(points: np.ndarray, wanted: int, near: np.ndarray | None) -> list[int]:
    """Indices of river points for `wanted` bridges: nearest the settlement (BRIDGE_GAP_M apart along the river)
    when there is one, else spread evenly along the river."""
    n = len(points)
    if near is None:
        return [min(max(int((k + 1) * n / (wanted + 1)), 1), n - 2) for k in range(wanted)]
    walked = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points[:, :2], axis=0), axis=1))])
    order = np.argsort(np.hypot(*(points[:, :2] - near).T), kind="stable")
    out: list[int] = []
    for a in order:
        a = min(max(int(a), 1), n - 2)
        if all(abs(walked[a] - walked[b]) >= BRIDGE_GAP_M for b in out):
            out.append(a)
        if len(out) >= wanted:
            break
    return out


def bridges_missing(asked: int, have: list[Structure], near: np.ndarray | None) -> int:
    """How many of the bridges asked for are still to be built: with a settlement, the road bridges far from it
    do not count (a picture of "a village along a river and a bridge" shows the bridge beside the village)."""
    if near is not None:
        have = [b for b in have if np.hypot(b.x - near[0], b.y - near[1]) < BRIDGE_NEAR_M]
    return max(asked - len(have), 0)
