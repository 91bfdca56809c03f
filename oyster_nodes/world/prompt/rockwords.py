"""Rock named in words that also name buildings: "rock spires", "sandstone towers", "sea stacks", "pillars of
stone" are rock formations (generate/outcrops.py raises them), not towers to build."""

from __future__ import annotations

from typing import Protocol

#: words a tower concept can be read from that a rock word before them makes rock
FORMATION_WORDS = ("spire", "spires", "pinnacle", "pinnacles", "tower", "towers", "column", "columns", "pillar",
                   "pillars", "needle", "needles", "stack", "stacks")
#: rock words that make the formation word after them rock ("towering rock spires", "sea stacks")
#: ("a stone tower" is a building: stone names what it is built of, "of stone" only a formation's matter)
ROCK_WORDS = ("rock", "rocky", "sandstone", "granite", "basalt", "limestone", "chalk", "sea", "lava", "volcanic",
              "ice", "icy")


class _Mention(Protocol):
    concept: str
    start: int
    end: int
    negated: bool


def rock_formation_at(tokens: list[str], start: int) -> bool:
    """Whether the word at `start` names a rock formation: a formation word with a rock word just before it, or
    followed by "of rock" / "of stone"."""
    if start < 0 or start >= len(tokens) or tokens[start] not in FORMATION_WORDS:
        return False
    before = tokens[max(0, start - 2):start]
    after = tokens[start + 1:start + 3]
    return bool(set(before) & set(ROCK_WORDS)) or (after[:1] == ["of"] and after[1:2] in (["rock"], ["stone"]))


def fold_rock_formations(tokens: list[str], mentions: list[_Mention]) -> tuple[list[_Mention], list[str]]:
    """Mentions without the towers that are rock formations, and a note for each one dropped."""
    keep, notes = [], []
    for m in mentions:
        if m.concept == "tower" and not m.negated and rock_formation_at(tokens, m.start):
            notes.append(f"'{' '.join(tokens[max(0, m.start - 1):m.end])}': rock formations, not towers")
            continue
        keep.append(m)
    return keep, notes
