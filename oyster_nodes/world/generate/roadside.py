"""Where on its roads a prompt's vehicle drives: by the buildings the prompt names with it.

"Wrecked cars on a road through ruined buildings", "a pickup on the track to a lighthouse", "a car on a city
outskirts road": the vehicle stands on the road nearest the named building (the road generator's vehicles still
keep their distance from every building, see world._vehicles_on_roads), driving away from it, so that the
front three-quarter view a car is framed in holds the building behind it. On the outskirts of a city it drives
the road out of town by the houses there, not the downtown streets.
"""

from __future__ import annotations

import math
import re

from ..state.records import Route, Structure

#: named buildings a vehicle is placed by, the most notable first
NOTABLE = ("lighthouse", "castle", "windmill", "tower", "watchtower", "ruins", "barn", "cabin", "house", "church")
#: words for the edge of a town, where its houses meet the road out
OUTSKIRTS = re.compile(r"\b(?:outskirts?|suburbs?|suburban|edge of (?:the |a )?(?:city|town)|city limits)\b")


def wants_outskirts(spec_text: str) -> bool:
    """Whether the prompt puts its scene on a town's outskirts."""
    return bool(OUTSKIRTS.search(spec_text.lower()))


def by_named_building(structures: list[Structure], asked: dict[str, int]) -> tuple[float, float] | None:
    """The most notable building the prompt names (x, y), where its vehicle drives by; None when it names none."""
    names = set(asked) | ({"house", "cabin"} if asked.get("village") else set())
    for kind in NOTABLE:
        found = [s for s in structures if s.kind == kind and kind in names]
        if found:
            return found[0].x, found[0].y
    return None


def outskirts_road(roads: list[Route], structures: list[Structure],
                   city_centre: tuple[float, float]) -> tuple[list[Route], tuple[float, float]] | None:
    """The roads out of a city (not its streets) and the house nearest the city on them, for a vehicle on the
    outskirts; None when the city has no road out or no house outside it."""
    out = [r for r in roads if not r.id.startswith("street-")]
    houses = [s for s in structures if s.kind in ("house", "cabin")]
    if not out or not houses:
        return None
    near = min(houses, key=lambda s: math.hypot(s.x - city_centre[0], s.y - city_centre[1]))
    return out, (near.x, near.y)
