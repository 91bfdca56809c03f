"""Animals a prompt names: how many of each species (WorldSpec.animals) and the words that say what they are not.

Counts: a number before the animal ("three horses"), a herd or a flock ("a flock of sheep": HERD_COUNTS), else
one for a singular and a few for a plural (concepts.DEFAULT_COUNTS). 'Sheep' and 'deer' are their own plurals:
several unless 'a', 'one' or 'lone' stands before them. Coats come from the modifier tables (concepts.MODIFIERS,
one head class per species); "black and white cows" are read here as patched. Animals the world has no body for
("a dog", "elephants") are noted as not honoured instead of being guessed at by the sentence model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from . import concepts as cv

#: words for a group of animals: the count is the herd's (HERD_COUNTS), not the 'a' before it
HERD_WORDS = frozenset("herd herds flock flocks drove droves gaggle gaggles mob troop".split())
#: how many a herd or a flock of each species is
HERD_COUNTS: dict[str, int] = {"sheep": 24, "cattle": 12, "horses": 7, "goats": 10, "deer": 8, "ducks": 9}
#: animal words that are plural as written
ALWAYS_PLURAL = frozenset("cattle geese oxen calves".split())
#: animal words that are their own plurals: several unless a singular determiner stands before them
SAME_PLURAL = frozenset("sheep deer reindeer elk moose bison buffalo yak".split())
SINGULAR = frozenset("a an one single lone solitary".split())
#: words that may stand between a count or a determiner and its animal ("three black grazing sheep")
BETWEEN = frozenset("of young old big small little white black brown grey gray red dark wild woolly shaggy "
                    "grazing dairy highland mountain fat spotted patched golden chestnut bay pale lone".split())
#: animals the world has no body for: named, they get a note, never a stand-in of another species
UNSUPPORTED = frozenset(
    "dog dogs puppy puppies cat cats kitten kittens pig pigs piglet piglets hog hogs chicken chickens hen hens "
    "rooster roosters donkey donkeys mule mules camel camels llama llamas alpaca alpacas elephant elephants "
    "giraffe giraffes zebra zebras lion lions tiger tigers bear bears wolf wolves fox foxes rabbit rabbits bird "
    "birds eagle eagles seagull seagulls gull gulls whale whales dolphin dolphins penguin penguins".split())
#: coat words of "black and white" patterns before an animal
PATCH_FIRST = frozenset(("black", "brown", "red"))


class Animal(Protocol):
    """What is read of one animal mention (understand.Mention)."""

    concept: str
    start: int
    end: int
    text: str
    plural: bool
    count: int | None


def patched(tokens: Sequence[str], head_classes: object) -> tuple[list[tuple[str, int, int, str]], set[int]]:
    """'black and white cows': (species, at, head_at, words) per pattern, and the positions it consumes (the three
    words are no palette)."""
    out: list[tuple[str, int, int, str]] = []
    consumed: set[int] = set()
    for i in range(len(tokens) - 3):
        if tokens[i] not in PATCH_FIRST or tokens[i + 1] not in ("and", "n") or tokens[i + 2] != "white":
            continue
        for j in range(i + 3, min(i + 6, len(tokens))):
            heads = [h for h in head_classes(tokens[j]) if h in cv.ANIMALS]  # type: ignore[operator]
            if heads:
                out.append((heads[0], i + 2, j, " ".join(tokens[i:i + 3])))
                consumed.update(range(i, i + 3))
                break
            if tokens[j] not in BETWEEN:
                break
    return out, consumed


#: what animals do, read with them (not left over as words not understood)
DOING = frozenset("grazing graze grazes grazed roaming roam roams wandering resting drinking feeding swimming "
                  "standing running galloping".split())


def unsupported(tokens: Sequence[str], heads: Sequence[str] = ()) -> tuple[list[str], set[int]]:
    """Notes for the animals the world cannot hold, and their positions (read as nothing else); beside a named
    animal (`heads`: the tokens that name one), its herd words and what it does are read with it."""
    notes, at = [], set()
    if heads:
        at |= {i for i, tok in enumerate(tokens) if tok in HERD_WORDS or tok in DOING}
    for i, tok in enumerate(tokens):
        if tok not in UNSUPPORTED or (tok == "bird" and tokens[i + 1:i + 2] in (["s"], ["eye"])):
            continue
        at.add(i)
        note = (f"not honoured: '{tok}' — the world's animals are sheep, cattle, horses, goats, deer and ducks")
        if note not in notes:
            notes.append(note)
    return notes, at


def _before(tokens: Sequence[str], start: int) -> list[str]:
    """The words before a mention back to the first that is not a coat, a filler or 'of' (at most four)."""
    out = []
    for p in range(start - 1, max(-1, start - 5), -1):
        out.append(tokens[p])
        if tokens[p] not in BETWEEN:
            break
    return out


def animal_count(tokens: Sequence[str], m: Animal) -> tuple[int, bool]:
    """How many one mention names, and whether it said so (a number or a herd) rather than by its plural."""
    before = _before(tokens, m.start)
    if any(w in HERD_WORDS for w in before):
        return HERD_COUNTS[m.concept], True
    word = tokens[m.start] if 0 <= m.start < len(tokens) else m.text
    if m.count is not None and not (m.count == 1 and word in ALWAYS_PLURAL):
        return m.count, True
    single, several = cv.DEFAULT_COUNTS[m.concept]
    plural = m.plural or word in ALWAYS_PLURAL or (word in SAME_PLURAL and not SINGULAR & set(before))
    return (several if plural else single), False


def read_animals(tokens: Sequence[str], mentions: Sequence[Animal]) -> dict[str, int]:
    """WorldSpec.animals: species -> count. Counted mentions add up ("a flock of sheep and a black ram": 25);
    bare ones count as the largest of them ("horses ... the horses": a few, not twice as many)."""
    said: dict[str, int] = {}
    bare: dict[str, int] = {}
    for m in sorted(mentions, key=lambda m: m.start):
        if m.concept not in cv.ANIMALS:
            continue
        n, explicit = animal_count(tokens, m)
        if explicit:
            said[m.concept] = said.get(m.concept, 0) + n
        else:
            bare[m.concept] = max(bare.get(m.concept, 0), n)
    counts = {k: said.get(k, bare.get(k, 0)) for k in cv.ANIMALS if k in said or k in bare}
    return {k: min(max(v, 1), cv.MAX_COUNTS[k]) for k, v in counts.items()}
