"""Flower clumps by species: the kind of flower a prompt names ("lavender fields", "red poppies", "tulips")
sets the colour and shape of every flower instance, so a field of them reads as colour in the grass."""

from __future__ import annotations

import math
import re

from .meshes import BUILDERS, FOLIAGE, PLAIN, Mesh, blob, card, frustum, merge, transform

STEM = (0.12, 0.26, 0.07)
#: species -> bloom colours (linear albedo), the first the most common
FLOWER_COLOURS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "lavender": ((0.32, 0.2, 0.6), (0.4, 0.26, 0.68)),
    "tulip": ((0.8, 0.08, 0.1), (0.9, 0.7, 0.06), (0.85, 0.3, 0.5)),
    "poppy": ((0.85, 0.08, 0.05), (0.75, 0.05, 0.04)),
    "sunflower": ((0.92, 0.66, 0.05), (0.95, 0.75, 0.1)),
    "daisy": ((0.92, 0.92, 0.88), (0.95, 0.85, 0.2)),
    "bluebell": ((0.22, 0.25, 0.7), (0.3, 0.3, 0.75)),
    "wild": ((0.85, 0.15, 0.2), (0.92, 0.78, 0.1), (0.65, 0.3, 0.8), (0.92, 0.92, 0.9)),
}
#: prompt words -> species (the first named wins)
_SPECIES = re.compile(r"\b(lavenders?|tulips?|popp(?:y|ies)|sunflowers?|daisy|daisies|bluebells?|wild ?flowers?)\b")
_ANY_FLOWER = re.compile(r"\b(?<!in )flowers?\b")
_STEMS = {"lavender": "lavender", "tulip": "tulip", "popp": "poppy", "sunflower": "sunflower", "dais": "daisy",
          "bluebell": "bluebell", "wild": "wild"}


def flower_look(text: str) -> str:
    """The species a prompt names for its flowers: "wild" (mixed colours) for flowers of no species, "" where
    the prompt names none (the few a meadow grows by default keep their plain look)."""
    m = _SPECIES.search(text.lower())
    if not m:
        return "wild" if _ANY_FLOWER.search(text.lower()) else ""
    word = m.group(1)
    return next(v for k, v in _STEMS.items() if word.startswith(k))


def flower_mesh(lod: int, look: str) -> Mesh:
    """A clump about 0.45 m tall: leaves low, the blooms on top (spikes for lavender, cups for tulips, discs
    for the rest); LOD 1 is one bloom mass over one leaf mass."""
    colours = FLOWER_COLOURS.get(look, FLOWER_COLOURS["wild"])
    if look == "sunflower":
        return _sunflower(lod, colours[0])
    leaves = blob((0.0, 0.0, 0.12), (0.2, 0.2, 0.14), STEM, FOLIAGE, seed=3)
    if lod:  # one bloom mass, two for mixed colours
        if len(colours) > 2:
            return merge([leaves, blob((0.07, 0.0, 0.35), (0.13, 0.13, 0.08), colours[0], PLAIN, seed=4),
                          blob((-0.07, 0.02, 0.36), (0.13, 0.13, 0.08), colours[1], PLAIN, seed=5)])
        top = (0.2, 0.2, 0.09) if look != "lavender" else (0.2, 0.2, 0.13)
        return merge([leaves, blob((0.0, 0.0, 0.36), top, colours[0], PLAIN, seed=4)])
    parts = [leaves]
    for k in range(5):
        a = 2.0 * math.pi * k / 5 + 0.4
        r = 0.12 if k else 0.0
        x, y = r * math.cos(a), r * math.sin(a)
        rgb = colours[k % len(colours)]
        if look == "lavender":  # a spike of small florets on a stalk
            parts.append(_at(frustum(0.012, 0.012, 0.1, 0.3, 3, STEM, caps=False), x, y))
            parts.append(blob((x, y, 0.37), (0.045, 0.045, 0.11), rgb, PLAIN, seed=k))
        elif look == "tulip":  # a cup on a stem
            parts.append(_at(frustum(0.012, 0.012, 0.1, 0.32, 3, STEM, caps=False), x, y))
            parts.append(_at(frustum(0.04, 0.065, 0.31, 0.42, 5, rgb), x, y))
        else:  # an open disc of petals
            parts.append(_at(frustum(0.012, 0.012, 0.1, 0.34, 3, STEM, caps=False), x, y))
            parts.append(blob((x, y, 0.36), (0.08, 0.08, 0.035), rgb, PLAIN, seed=k))
    return merge(parts)


SEED_HEAD = (0.18, 0.1, 0.04)


def _sunflower(lod: int, petals: tuple[float, float, float]) -> Mesh:
    """Three sunflowers 1.1-1.3 m tall: stalks with a few leaves, each head a yellow disc round a dark centre."""
    parts = []
    for k, (x, y, top) in enumerate(((0.0, 0.0, 1.3), (0.2, 0.1, 1.1), (-0.12, 0.18, 1.2))):
        if lod and k:
            break
        parts.append(_at(frustum(0.025, 0.018, 0.0, top, 4 if lod == 0 else 3, STEM, caps=False), x, y))
        parts.append(blob((x, y, top * 0.5), (0.18, 0.18, 0.05), STEM, FOLIAGE, seed=k))
        parts.append(blob((x, y, top), (0.2, 0.2, 0.05), petals, PLAIN, seed=k + 3))
        if lod == 0:
            parts.append(blob((x, y, top + 0.04), (0.09, 0.09, 0.03), SEED_HEAD, PLAIN, seed=k + 6))
    return merge(parts)


def _at(mesh: Mesh, x: float, y: float) -> Mesh:
    return transform(mesh, yaw=0.0, offset=(x, y, 0.0))


def flower_card(look: str) -> Mesh:
    """The far card: a green tuft with a wide band of bloom colour on top."""
    colours = FLOWER_COLOURS.get(look, FLOWER_COLOURS["wild"])
    left, right = colours[0], colours[1] if len(colours) > 2 else colours[0]
    return merge([
        card([(-0.2, 0.0), (0.2, 0.0), (0.0, 0.36)], [(0, 1, 2)], STEM, FOLIAGE, radius=0.25, up=0.6),
        card([(-0.2, 0.26), (0.0, 0.26), (0.0, 0.44), (-0.16, 0.44)], [(0, 1, 2), (0, 2, 3)], left, radius=0.2,
             up=0.6),
        card([(0.0, 0.26), (0.2, 0.26), (0.16, 0.44), (0.0, 0.44)], [(0, 1, 2), (0, 2, 3)], right, radius=0.2,
             up=0.6),
    ])


BUILDERS.update(flower_look=flower_look, flower_mesh=flower_mesh, flower_card=flower_card)
