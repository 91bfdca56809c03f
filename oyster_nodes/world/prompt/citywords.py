"""A city named in other words: a street (an avenue, an alley) among towers or tall buildings, or lit by neon, is
a city street; and where a city is named, its towers and buildings are the city's highrises, not a watchtower or a
house beside it. A glass or office tower is a skyscraper; one standing alone (no city, no street, not "skyscrapers")
is a lone skyscraper with its plaza, several of them a city."""

from __future__ import annotations

import dataclasses
from typing import Protocol, TypeVar

#: the words of a road that make it a city's street when towers, tall buildings or neon stand by it
STREET_WORDS = ("street", "streets", "avenue", "avenues", "alley", "alleys", "alleyway", "alleyways", "boulevard",
                "boulevards")
#: tower words that name a city's highrises when a city is named (a watchtower, a castle, a keep stay towers)
TOWER_WORDS = ("tower", "towers")
#: building words that name a city's highrises when a city is named, or with a word of height before them
BUILDING_WORDS = ("building", "buildings")
TALL_WORDS = ("tall", "high", "towering", "giant", "huge", "massive", "multistorey", "glass", "concrete")
#: words that light a street as a city's
NEON_WORDS = ("neon",)
#: words before a tower that make it an office tower of glass and steel, not a watchtower ("a glass tower")
OFFICE_WORDS = ("glass", "office", "modern", "steel", "mirrored", "corporate", "contemporary", "business")
#: skyscrapers asked with a number up to this many stand alone ("two glass towers by the lake"); more are a city
LONE_SKYSCRAPERS = 3


class _Mention(Protocol):
    concept: str
    start: int
    end: int
    negated: bool
    plural: bool


M = TypeVar("M", bound=_Mention)


def _highrise(tokens: list[str], m: _Mention, city_named: bool) -> bool:
    """Whether this mention names buildings that, beside a street or in a named city, are a city's highrises."""
    if m.negated or m.start < 0 or m.start >= len(tokens):
        return False
    word = tokens[m.start]
    if m.concept == "tower" and word in TOWER_WORDS:
        return city_named or word == "towers" or bool(set(tokens[max(0, m.start - 2):m.start]) & set(TALL_WORDS))
    if m.concept == "house" and word in BUILDING_WORDS:
        return city_named or bool(set(tokens[max(0, m.start - 2):m.start]) & set(TALL_WORDS))
    return False


def _office_tower(tokens: list[str], m: _Mention) -> bool:
    """A tower with a word of glass or offices just before it ("a glass tower", "a modern office tower")."""
    return (m.concept == "tower" and not m.negated and 0 <= m.start < len(tokens) and tokens[m.start] in TOWER_WORDS
            and bool(set(tokens[max(0, m.start - 2):m.start]) & set(OFFICE_WORDS)))


def _skyscrapers(tokens: list[str], mentions: list[M], city_named: bool, street: bool) -> tuple[list[M], list[str]]:
    """Glass towers read as skyscrapers; skyscrapers in a named city, by a street, or many of them, as a city."""
    notes: list[str] = []
    out = []
    for m in mentions:
        if _office_tower(tokens, m):
            m = dataclasses.replace(m, concept="skyscraper")
            notes.append(f"'{' '.join(tokens[max(0, m.start - 2):m.start + 1])}': an office skyscraper")
        out.append(m)
    many = [m for m in out if m.concept == "skyscraper" and not m.negated and (
        city_named or street or (m.plural and (getattr(m, "count", None) or LONE_SKYSCRAPERS + 1) > LONE_SKYSCRAPERS))]
    if many and not city_named:
        out[out.index(many[0])] = dataclasses.replace(many[0], concept="city")
        notes.append(f"'{tokens[many[0].start]}': a city's skyscrapers")
        many = many[1:]
    gone = {id(m) for m in many}
    return [m for m in out if id(m) not in gone], notes


def fold_city(tokens: list[str], mentions: list[M]) -> tuple[list[M], list[str]]:
    """Mentions with a street among towers or tall buildings (or lit by neon) read as a city, and the towers and
    buildings of a named city folded into it; a note for each fold."""
    city_named = any(m.concept == "city" and not m.negated for m in mentions)
    street = any(m.concept == "road" and not m.negated and 0 <= m.start < len(tokens)
                 and tokens[m.start] in STREET_WORDS for m in mentions)
    mentions, notes = _skyscrapers(tokens, mentions, city_named, street)
    city_named = city_named or any(m.concept == "city" and not m.negated for m in mentions)
    neon = bool(set(tokens) & set(NEON_WORDS))
    tall = [m for m in mentions if _highrise(tokens, m, city_named)]
    out = list(mentions)
    if not city_named and street and (tall or neon):
        if tall:
            first = tall.pop(0)
            out[out.index(first)] = dataclasses.replace(first, concept="city")
            notes.append(f"'{tokens[first.start]}' by a street: a city's highrises")
        else:
            at = next(i for i, m in enumerate(out) if m.concept == "road" and tokens[m.start] in STREET_WORDS)
            out.insert(at, dataclasses.replace(out[at], concept="city"))
            notes.append("a neon-lit street: a city street")
        city_named = True
        tall = [m for m in out if m.concept != "city" and _highrise(tokens, m, True)]
    if city_named and tall:
        gone = {id(m) for m in tall}
        out = [m for m in out if id(m) not in gone]
        notes.append("the city's " + ", ".join(dict.fromkeys(tokens[m.start] for m in tall)) + ": its highrises")
    return out, notes
