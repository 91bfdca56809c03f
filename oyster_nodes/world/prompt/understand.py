"""Prompt text -> WorldSpec.

Lexical rules handle what they are reliable for (concept words, numbers, negation, relations,
density adjectives); the sentence encoder maps the remaining content words onto the concept
vocabulary by cosine similarity. Unknown words are noted and ignored, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ...types import Prompt
from ..state.sky import clock_for_time
from . import animalwords as aw
from . import concepts as cv
from . import studio as sw
from .citywords import fold_city
from .embed import Encoder
from .rockwords import fold_rock_formations
from .spec import WorldSpec

#: a word must be this similar to one of a concept's words, or to its descriptive phrase, to match it
WORD_THRESHOLD = 0.65
PHRASE_THRESHOLD = 0.56
#: whole clauses are compared with mood concepts only, at this threshold
CLAUSE_THRESHOLD = 0.5

#: number words (and the count they stand for)
NUMBERS: dict[str, int] = {
    k: int(v)
    for k, v in (
        item.split("=")
        for item in (
            "a=1 an=1 one=1 single=1 lone=1 solitary=1 two=2 pair=2 couple=2 twin=2 three=3 "
            "four=4 five=5 six=6 "
            "seven=7 eight=8 nine=9 ten=10 eleven=11 twelve=12 fifteen=15 twenty=20 thirty=30 fifty=50 "
            "hundred=100 dozen=12 dozens=24 few=3 several=4 some=3 many=8 numerous=10 lots=10 hundreds=200 "
        ).split()
    )
}
NEGATIONS = ("no", "not", "without", "never", "none", "nor", "zero", "lacking", "free", "neither", "nothing")
DENSE = ("dense", "thick", "lush", "overgrown", "heavy", "deep", "abundant", "rich", "many", "lots", "full")
SPARSE = ("sparse", "scattered", "few", "occasional", "lone", "single", "thin", "little", "some", "patchy")
#: nouns for several things in a row or a ring: the "a" before them counts the row, not the things in it
COLLECTIVES = ("row", "rows", "line", "lines", "fringe", "ring", "belt", "band", "stand", "screen", "avenue",
               "cluster", "clump", "border", "string", "file", *sorted(aw.HERD_WORDS))
HIGH = ("high", "towering", "huge", "steep", "jagged", "massive", "tall", "giant", "rugged", "sharp", "epic")
LOW = ("gentle", "low", "flat", "soft", "smooth", "shallow", "small", "tiny")
SCOPE_ENDS = (".", ",", ";", ":", "!", "?", "and", "but", "with", "while", "under")
STOPWORDS = frozenset(
    (
        "the of to is are there this that it its be as for from into very so lot kind sort like looking look "
        "view scene landscape world place area land setting image picture shot made full where which "
        "has have "
        "having their them they we our my your wooden stone old new big large small little tiny lots "
        "beautiful nice pretty or and but with while at by in on near next beside along over up down "
        "out off "
        "far away all each every both more most foot feet "
        "camping "  # "a camping lantern", "a camping tent": what is named is the lantern, the tent
    ).split()
)

#: named as strongly, these weathers outrank the rest in this order ("a rough grey sea ... in a storm" is a storm,
#: "a grey rainy day" rain)
WEATHER_PRIORITY: tuple[str, ...] = ("storm", "snow", "rain", "fog", "overcast")
#: when several landforms are named equally strongly, the first of these wins ("snowy mountains")
TERRAIN_PRIORITY: tuple[str, ...] = (
    "mountains",
    "canyon",
    "volcanic",
    "dunes",
    "swamp",
    "hills",
    "valley",
    "snowfield",
    "plains",
)
FOREST_WORDS = ("forest", "wood", "woodland", "grove", "jungle", "taiga")

_TOKEN = re.compile(r"[a-z]+|\d+|[.,;:!?]")


@dataclass(kw_only=True, slots=True)
class Mention:
    concept: str
    start: int
    end: int
    text: str
    score: float
    source: str
    negated: bool = False
    plural: bool = False
    count: int | None = None
    modifier: str = ""


@dataclass(kw_only=True, slots=True)
class Modifier:
    """A modifier read with its head noun: 'black sand' is (head 'sand', value 'black')."""

    head: str
    value: str
    word: str
    at: int
    head_at: int
    #: the head noun itself ("houses"), where a class holds several kinds of thing (building: cabins, houses...)
    head_word: str = ""


@dataclass(kw_only=True, slots=True)
class Parse:
    mentions: list[Mention] = field(default_factory=list)
    modifiers: list[Modifier] = field(default_factory=list)
    relations: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    relief: float = 1.0
    notes: list[str] = field(default_factory=list)
    studio: sw.StudioWords = field(default_factory=sw.StudioWords)


#: spellings the token pattern would split, as one word ("a 4x4" is an off-road vehicle, not the numbers 4 and 4)
_JOINED = re.compile(r"\b(?:4x4|4wd|4 ?x ?4)\b")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(_JOINED.sub(" offroader ", text.lower()).replace("-", " "))


def lemmas(word: str) -> list[str]:
    """The word and its likely singular forms, most literal first."""
    out = [word]
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        out.append(word[:-1])
    return out


def _phrase_index() -> dict[tuple[str, ...], tuple[str, ...]]:
    index: dict[tuple[str, ...], list[str]] = {}
    for concept in cv.CONCEPTS:
        for phrase in (concept.name.replace("_", " "),) + concept.words:
            key = tuple(phrase.split())
            names = index.setdefault(key, [])
            if concept.name not in names:
                names.append(concept.name)
    return {k: tuple(v) for k, v in index.items()}


PHRASES = _phrase_index()
_MAX_PHRASE = max(len(k) for k in PHRASES)


def _lookup(tokens: list[str], i: int) -> tuple[int, tuple[str, ...], bool]:
    """Longest vocabulary phrase starting at token i: (length, concept names, plural)."""
    for n in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
        head, last = tokens[i : i + n - 1], tokens[i + n - 1]
        forms = lemmas(last)
        for k, form in enumerate(forms):
            names = PHRASES.get(tuple(head) + (form,))
            if names:
                return n, names, k > 0 or _plural_of_listed(head, forms, names)
    return 0, (), False


#: plural forms that name one thing ("the ruins of a castle" is one ruin)
ONE_THING_PLURALS = frozenset({"ruins", "remains", "woods"})


def _plural_of_listed(head: list[str], forms: list[str], names: tuple[str, ...]) -> bool:
    """A word listed as it stands whose singular form is listed for the same concepts is a plural ("crates"
    beside "crate", "fences" beside "fence"): several are meant."""
    if len(forms) < 2 or forms[0] in ONE_THING_PLURALS:
        return False
    return any(set(PHRASES.get(tuple(head) + (form,), ())) & set(names) for form in forms[1:])


def _negated_positions(tokens: list[str]) -> list[bool]:
    negated, active = [], False
    for tok in tokens:
        if tok in NEGATIONS:
            active = True
        elif tok in SCOPE_ENDS and tok != "or" or tok in cv.RELATIONS:
            active = False
        negated.append(active)
    return negated


def _find_group(tokens: list[str], i: int) -> tuple[str, ...]:
    for form in lemmas(tokens[i]):
        if form in cv.GROUPS:
            return cv.GROUPS[form]
    return ()



#: words that may stand between a modifier and its head ("black volcanic sand", "stone farm houses")
FILLERS = frozenset(
    "small little old tall big large tiny long narrow wide quiet lonely pretty ancient fresh farm fishing "
    "mountain country village seaside coastal sleepy grand huge sports racing vintage classic family electric "
    "rugged sleek shiny luxury parked lone single estate".split()
)
#: words that only name a car's body ("a silver estate car"): read by the renderer (meshes.vehicle_looks)
BODY_ONLY = frozenset(("estate", "hatch", "saloon"))
#: a bare "snow" is lying snow (winter ground) unless one of these stands within two words of it
FALLING = frozenset("falling fall falls fell drifting blowing swirling snowing coming flurries whirling".split())
#: words after which a sea or lake lies below the subject ("a road above the sea"): the shore is cliffs
ABOVE = frozenset(("above", "overlooking", "atop", "high"))
SEA_HEADS = frozenset(("sea", "ocean", "bay", "cove", "surf", "fjord", "water", "waves"))
#: adjectives that say a place is strewn with a prop ("a rocky coast": many rocks, not one)
STREWN = frozenset(("rocky", "stony", "bouldery", "pebbly"))
ARTICLES = frozenset(("the", "a", "an", "of"))
#: words before "street" that make it a town's shopping street, lined by terraces on both sides
SHOP_STREET = frozenset(("high", "main", "market", "shopping", "cobbled", "cobblestone"))
#: words beside a cliff that put it on a sea coast ("coastal cliffs", "a cliff road along the sea")
COAST_WORDS = SEA_HEADS | frozenset(("coast", "coastal", "seaside", "shore", "shoreline", "oceanside", "seas"))


def head_classes(tok: str) -> tuple[str, ...]:
    """The head classes (concepts.HEADS) a token can head."""
    forms = lemmas(tok)
    return tuple(h for h, words in cv.HEADS.items() if any(f in words for f in forms))


def modifier_pass(tokens: list[str], negated: list[bool]) -> tuple[list[Modifier], set[int]]:
    """Modifiers read with their head nouns, and the positions they consume (not read as concepts)."""
    patches, consumed = aw.patched(tokens, head_classes)  # first: their value outranks the 'white' before the head
    mods = [Modifier(head=h, value="patched", word=w, at=at, head_at=head_at) for h, at, head_at, w in patches
            if not negated[head_at]]
    for i, tok in enumerate(tokens):
        if negated[i]:
            continue
        implied = next((cv.IMPLIED[f] for f in lemmas(tok) if f in cv.IMPLIED), None)
        if implied:
            mods.append(Modifier(head=implied[0], value=implied[1], word=tok, at=i, head_at=i))
            if tok in cv.IMPLIED_ONLY:
                consumed.add(i)
        for head in head_classes(tok):
            mods += _pre_modifiers(tokens, i, head, consumed)
            mods += _post_modifiers(tokens, i, head, consumed)
    mods += _cliffs(tokens)
    for i in range(1, len(tokens)):  # "a town's high street": its terraces line both sides (generate/alley.py)
        if tokens[i] in ("street", "streets") and tokens[i - 1] in SHOP_STREET and not negated[i]:
            mods.append(Modifier(head="road", value="narrow", word=f"{tokens[i - 1]} street", at=i - 1, head_at=i))
            consumed.add(i - 1)
    mods += _sea_state(tokens, negated, consumed)
    if not set(tokens) & COAST_WORDS:  # a cliff road with no sea named winds along a mountain's cliffs
        mods = [replace(m, value="winding") if m.head == "road" and m.word == "cliff" else m for m in mods]
    seen: set[tuple[str, int]] = set()
    out = []
    for m in sorted(mods, key=lambda m: (m.at, m.head)):
        if (m.head, m.at) not in seen:
            seen.add((m.head, m.at))
            out.append(m)
    return out, consumed


def _pre_modifiers(tokens: list[str], i: int, head: str, consumed: set[int]) -> list[Modifier]:
    """Modifier words before a head, walking back over fillers, other modifiers (joined by "and" or "or") and
    nouns of the same head."""
    table, out = cv.MODIFIERS.get(head, {}), []
    for j in range(i - 1, max(-1, i - 5), -1):
        t = tokens[j]
        if t in table:
            out.append(Modifier(head=head, value=table[t], word=t, at=j, head_at=i, head_word=tokens[i]))
            if (head, t) not in cv.KEEPS:
                consumed.add(j)
        elif t in ("and", "or") and j > 0 and tokens[j - 1] in table:
            continue  # "orange and red leaves": both colour the leaves
        elif not (t in FILLERS or head in head_classes(t)):
            break
    return out


def _post_modifiers(tokens: list[str], i: int, head: str, consumed: set[int]) -> list[Modifier]:
    """Modifier phrases after a head ("trees in bloom")."""
    for words, value in cv.POST_MODIFIERS.get(head, ()):
        k = len(words)
        if tuple(lemmas(t)[-1] if n == k - 1 else t for n, t in enumerate(tokens[i + 1 : i + 1 + k])) == words or (
            tuple(tokens[i + 1 : i + 1 + k]) == words
        ):
            consumed.update(range(i + 1, i + 1 + k))
            return [Modifier(head=head, value=value, word=" ".join(words), at=i + 1, head_at=i)]
    return []


def _cliffs(tokens: list[str]) -> list[Modifier]:
    """'above the sea', 'sea cliffs': the land meets the sea in cliffs."""
    out = []
    for i, tok in enumerate(tokens):
        ahead = [t for t in tokens[i + 1 : i + 4] if t not in ("the", "a", "an")]
        if tok in ABOVE and ahead and ahead[0] in SEA_HEADS - {"water"}:
            out.append(Modifier(head="shore", value="cliffs", word=tok, at=i, head_at=i + 1))
        before = [t for t in tokens[max(0, i - 5) : i] if t not in ARTICLES][-3:]
        after = [t for t in tokens[i + 1 : i + 7] if t not in ARTICLES][:3]
        if lemmas(tok)[-1] == "cliff" and set(before + after) & COAST_WORDS:
            out.append(Modifier(head="shore", value="cliffs", word=tok, at=i, head_at=i))
    return out


#: words a sea-state word may stand across to reach its sea word ("a rough grey sea", "big blue waves")
_SEA_BETWEEN = frozenset(("and", "the", "a", "an", "very", "so", "grey", "gray", "silver", "steely", "leaden",
                          "white", "foamy", "cold", "icy", "warm", *cv.MODIFIERS["water"]))
#: the sea states from calm to rough: where a prompt names several, the roughest is drawn
SEA_ORDER = ("calm", "surf", "rough")
#: verbs a surfer does, read with the surfer ("surfers riding big waves")
#: "pulled up", "drawn up": a boat on the shore (generate/boats.py reads the phrase)
_HAULED = frozenset("pulled drawn hauled dragged".split())
_SURFING = frozenset("riding ride rides rode catching catch catches paddling paddle paddles waiting".split())


def _sea_state(tokens: list[str], negated: list[bool], consumed: set[int]) -> list[Modifier]:
    """How the sea runs (spec.modifiers["sea"]): state words beside a sea word ("a calm sea", "big waves", "the
    sea crashing"), the roughest named; else a surf noun on its own ("surf", "surfers", "breakers") is surf.
    The state words are consumed (not left over as words not understood) unless they also name a mood or a
    weather (concepts.SEA_STATE_KEEPS)."""
    said: list[Modifier] = []
    for i, tok in enumerate(tokens):
        if tok not in cv.SEA_STATE_HEADS or negated[i]:
            continue
        for j in range(i - 1, max(-1, i - 5), -1):  # before the head, across colours and articles
            t = tokens[j]
            if t in cv.SEA_STATE_WORDS:
                said.append(Modifier(head="sea", value=cv.SEA_STATE_WORDS[t], word=t, at=j, head_at=i))
            elif t not in _SEA_BETWEEN:
                break
        for j in range(i + 1, min(len(tokens), i + 3)):  # after it: "waves crashing", "the sea is calm"
            t = tokens[j]
            if t in cv.SEA_STATE_WORDS:
                said.append(Modifier(head="sea", value=cv.SEA_STATE_WORDS[t], word=t, at=j, head_at=i))
            elif t not in ("is", "are", "was", "so", "very"):
                break
    for m in said:
        if m.word not in cv.SEA_STATE_KEEPS:
            consumed.add(m.at)
    for i, tok in enumerate(tokens):  # "boats pulled up on the beach": read by generate/boats.py (ASHORE)
        if tok in _HAULED and tokens[i + 1:i + 2] == ["up"]:
            consumed.add(i)
    for i, tok in enumerate(tokens):  # "surfers riding the waves": what they do is read with them
        if tok in cv.SURF_PEOPLE:
            consumed.update(j for j in range(i + 1, min(len(tokens), i + 3)) if tokens[j] in _SURFING)
    if said:
        return [max(said, key=lambda m: (SEA_ORDER.index(m.value), -m.at))]
    bare = next((i for i, tok in enumerate(tokens) if tok in cv.SURF_NOUNS and not negated[i]), None)
    return [] if bare is None else [Modifier(head="sea", value="surf", word=tokens[bare], at=bare, head_at=bare)]


def surf_people(tokens: list[str]) -> tuple[list[str], set[int]]:
    """A note for the people in the surf the world cannot hold ("surfers": it has no figures), and their
    positions (read as nothing else)."""
    at = {i for i, tok in enumerate(tokens) if tok in cv.SURF_PEOPLE}
    if not at:
        return [], at
    words = ", ".join(dict.fromkeys(tokens[i] for i in sorted(at)))
    return [f"not honoured: '{words}' — the world has no people to put in the surf; the surf itself is drawn"], at


#: the heights a "snowy" before them whitens alone ("snowy peaks above a green valley"), and the words after them
#: that make the whole place snowy again ("a snowy mountain village")
PEAK_WORDS = frozenset("peak peaks summit summits ridge ridges mountains tops heights crests".split())
#: "snowy mountains" alone are a winter range; with green ground named below them their snow is on the heights
GREEN_BELOW = frozenset("green lush summer spring meadow meadows valley valleys pasture pastures wildflowers".split())
WHOLE_PLACE = frozenset("landscape landscapes country world scene village town valley pass range".split())


def _snow_on_peaks(tokens: list[str], i: int) -> bool:
    """Whether 'snowy' at i names snow on the heights only: a peak word next, or after one more word, with no
    word of the whole place after it and no winter word anywhere."""
    for k in (i + 1, i + 2):
        if k < len(tokens) and tokens[k] in PEAK_WORDS:
            after = tokens[k + 1] if k + 1 < len(tokens) else ""
            if tokens[k] == "mountains" and not set(tokens) & GREEN_BELOW:
                return False
            return after not in WHOLE_PLACE and not set(tokens) & WINTER_WORDS
    return False


#: words that make a world wintry however its snow is named (generate/snowcover.py reads the same ones)
WINTER_WORDS = cv.WINTER_WORDS


def _ground_snow(tokens: list[str], i: int) -> bool:
    """A bare 'snow' that lies on the ground: no falling word near it, or 'snow capped'."""
    if tokens[i] != "snow":
        return False
    near = set(tokens[max(0, i - 2) : i]) | set(tokens[i + 1 : i + 3])
    return not near & FALLING


#: what falls ("falling snow", "rain falling"): the falling word beside one says how it comes down, not the season
FALLS = frozenset("snow snowflakes flakes rain raindrops sleet hail leaves ash petals".split())


def _falls_of(tokens: list[str], p: int) -> bool:
    """Whether the word at p is a falling word beside something that falls ("falling snow": not autumn)."""
    near = set(tokens[max(0, p - 2) : p]) | set(tokens[p + 1 : p + 3])
    return tokens[p] in FALLING and bool(near & FALLS)


def lexical_pass(tokens: list[str], consumed: frozenset[int] = frozenset()) -> tuple[list[Mention], list[int]]:
    """Concept mentions found by vocabulary words, and positions of words left unexplained.

    Positions in `consumed` are modifiers already read with their head noun and stand for no concept."""
    negated = _negated_positions(tokens)
    mentions: list[Mention] = []
    leftover: list[int] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in consumed:
            i += 1
            continue
        if tok == "snowy" and _snow_on_peaks(tokens, i):
            i += 1  # "snowy alpine peaks": snow on the heights, not a winter over all the land
            continue
        if not negated[i] and _ground_snow(tokens, i):
            capped = i + 1 < len(tokens) and tokens[i + 1] in ("capped", "covered", "topped")
            if not capped:
                mentions.append(Mention(concept="winter", start=i, end=i + 1, text=tok, score=0.9, source="snow"))
            i += 2 if capped else 1
            continue
        if not negated[i] and lemmas(tok)[-1] == "water" and tok in ("water", "waters"):
            mentions.append(Mention(concept="lake", start=i, end=i + 1, text=tok, score=1.0, source="generic"))
            i += 1
            continue
        group = _find_group(tokens, i)
        is_group_only = group and (negated[i] or lemmas(tok)[-1] not in cv.GROUP_ONLY_WHEN_NEGATED)
        if is_group_only and (negated[i] or not _lookup(tokens, i)[0]):
            for name in group:
                mentions.append(
                    Mention(
                        concept=name,
                        start=i,
                        end=i + 1,
                        text=tok,
                        score=1.0,
                        source="group",
                        negated=negated[i],
                        plural=True,
                    )
                )
            i += 1
            continue
        n, names, plural = _lookup(tokens, i)
        if n and lemmas(tok)[-1] in FOREST_WORDS and _densify_previous(mentions, i):
            i += n
            continue
        if n and lemmas(tok)[-1] == "tree" and _after_tree_kind(mentions, i):
            i += n  # "fir trees", "cypress trees": the kind already said which trees
            continue
        if n:
            text = " ".join(tokens[i : i + n])
            for name in names:
                mentions.append(
                    Mention(
                        concept=name,
                        start=i,
                        end=i + n,
                        text=text,
                        score=1.0,
                        source="word",
                        negated=negated[i],
                        plural=plural,
                    )
                )
            i += n
            continue
        if _is_content_word(tok):
            leftover.append(i)
        i += 1
    return mentions, leftover


def _resolve_generic_water(mentions: list[Mention]) -> list[Mention]:
    """A bare 'water' is a lake only where no sea, shore, river or lake is named."""
    named = any(
        cv.BY_NAME[m.concept].category in ("water", "shore") and m.source != "generic" and not m.negated
        for m in mentions
    )
    return [m for m in mentions if not (named and m.source == "generic")]


def _densify_previous(mentions: list[Mention], i: int) -> bool:
    """'pine forest': the forest word makes the tree kind just before it dense instead of adding one."""
    trees = cv.GROUPS["tree"]
    prev = [m for m in mentions if m.end == i and m.concept in trees]
    for m in prev:
        m.modifier = m.modifier or "dense"
    return bool(prev)


def _after_tree_kind(mentions: list[Mention], i: int) -> bool:
    """Whether a tree kind ("fir", "cypress", "oak") was mentioned just before position i."""
    return any(m.end == i and m.concept in cv.GROUPS["tree"] and m.source == "word" for m in mentions)


def _is_content_word(tok: str) -> bool:
    return (
        len(tok) >= 3
        and tok.isalpha()
        and tok not in STOPWORDS
        and tok not in NUMBERS
        and tok not in NEGATIONS
        and tok not in cv.RELATIONS
        and tok not in DENSE
        and tok not in SPARSE
        and tok not in HIGH
        and tok not in LOW
    )


#: categories read from their listed words only: on the adherence set the encoder's readings of time words
#: were all wrong ("black rock", "smoking cone" read as night), and of nouns right (bench/prompt_reading.py)
_LEXICAL_ONLY = np.array([c.category in ("palette", "weather", "time", "animal") for c in cv.CONCEPTS])


def embedding_pass(
    tokens: list[str], positions: list[int], encoder: Encoder, negated: list[bool]
) -> tuple[list[Mention], list[str]]:
    """Map leftover words onto concepts by similarity; returns mentions and words still unknown."""
    if not positions:
        return [], []
    words = [tokens[p] for p in positions]
    vectors = encoder.encode(words)
    word_vectors, owners = encoder.word_matrix()
    word_sims = vectors @ word_vectors.T
    phrase_sims = vectors @ encoder.concept_matrix().T
    # single adjectives sit close to their opposites in embedding space ("dry" ~ rain, "white" ~
    # monochrome), so palette and weather come from their listed words only
    word_sims[:, _LEXICAL_ONLY[owners]] = -1.0
    phrase_sims[:, _LEXICAL_ONLY] = -1.0
    mentions, unknown = [], []
    for k, (p, word) in enumerate(zip(positions, words, strict=True)):
        best_word = int(np.argmax(word_sims[k]))
        best_phrase = int(np.argmax(phrase_sims[k]))
        if word_sims[k, best_word] >= WORD_THRESHOLD:
            concept, score = int(owners[best_word]), float(word_sims[k, best_word])
        elif phrase_sims[k, best_phrase] >= PHRASE_THRESHOLD:
            concept, score = best_phrase, float(phrase_sims[k, best_phrase])
        else:
            unknown.append(word)
            continue
        mentions.append(
            Mention(
                concept=cv.CONCEPTS[concept].name,
                start=p,
                end=p + 1,
                text=word,
                score=round(score, 3),
                source="embedding",
                negated=negated[p],
                plural=lemmas(word)[-1] != word,
            )
        )
    return mentions, unknown


def clause_moods(text: str, encoder: Encoder) -> list[Mention]:
    """Mood from whole clauses, when no mood word was used ("a place nobody has visited")."""
    clauses = [c.strip() for c in re.split(r"[.,;!?]", text) if len(c.split()) >= 3]
    if not clauses:
        return []
    mood_idx = [i for i, c in enumerate(cv.CONCEPTS) if c.category == "mood"]
    sims = encoder.encode(clauses) @ encoder.concept_matrix()[mood_idx].T
    k, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
    score = float(sims[k, j])
    if score < CLAUSE_THRESHOLD:
        return []
    return [
        Mention(
            concept=cv.CONCEPTS[mood_idx[j]].name,
            start=-1,
            end=-1,
            text=clauses[k],
            score=round(score, 3),
            source="clause",
        )
    ]


def _attach_modifiers(tokens: list[str], mentions: list[Mention]) -> None:
    """Counts and density words in the few tokens before each mention."""
    starts = {m.start for m in mentions}
    for m in mentions:
        for back in range(1, 4):
            p = m.start - back
            if p < 0 or tokens[p] in SCOPE_ENDS or tokens[p] in NEGATIONS or (p in starts and back > 0):
                break
            tok = tokens[p]
            if tok in COLLECTIVES:  # "a row of cypresses", "a fringe of firs": several, not one
                break
            if m.count is None and (tok.isdigit() or tok in NUMBERS):
                m.count = min(int(tok), 10_000) if tok.isdigit() else NUMBERS[tok]
            if not m.modifier and tok in DENSE:
                m.modifier = "dense"
            elif not m.modifier and tok in SPARSE:
                m.modifier = "sparse"


#: shore words that say nothing of a sea (beside a lake they are its shore)
BARE_SHORE = ("shore", "shores", "shoreline", "shorelines", "water's edge", "waterline")


#: "early morning", "early in the morning"
EARLY_MORNING = re.compile(r"\bearly (?:in the )?morning\b")
#: buildings a ruin word can stand before
_RUINABLE = ("cabin", "house", "tower", "windmill", "lighthouse", "church")


#: words that make a gorge or ravine green: a cleft in wooded hills, not a desert canyon
GREEN_WORDS = frozenset("green lush verdant mossy wooded forested leafy fern ferns jungle rainforest".split())
GORGE_WORDS = frozenset(("gorge", "gorges", "ravine", "ravines"))


def fold_green_gorge(tokens: list[str], mentions: list[Mention]) -> tuple[list[Mention], list[str]]:
    """"A waterfall into a green gorge", "a lush ravine": a valley cut deep into green hills, not the red rock of
    a desert canyon (whose shrubs and cactus would follow)."""
    if not GREEN_WORDS & set(tokens):
        return mentions, []
    notes = []
    for m in mentions:
        if m.concept == "canyon" and not m.negated and m.text in GORGE_WORDS:
            m.concept = "valley"
            notes.append(f"'{m.text}' with green words: a deep green valley, not a desert canyon")
    return mentions, notes


def fold_ruins(tokens: list[str], mentions: list[Mention]) -> tuple[list[Mention], list[str]]:
    """One building, not two, for a ruin word before a building: "a ruined castle", "ruins of an old fortress" are
    ruins; "an abandoned cabin" is a cabin still standing. Returns the mentions kept and a note per fold."""
    drop: set[int] = set()
    notes: list[str] = []
    placed = sorted((m for m in mentions if m.start >= 0 and not m.negated), key=lambda m: m.start)
    for k, a in enumerate(placed):
        word = tokens[a.start] if a.concept == "ruins" else ""
        if word not in ("ruined", "ruins", "ruin", "abandoned"):
            continue
        b = next((m for m in placed[k + 1:] if m.start >= a.end), None)
        if b is None or b.concept not in _RUINABLE:
            continue
        between = tokens[a.end:b.start]
        if len(between) > 3 or any(t in SCOPE_ENDS for t in between) or (word == "ruins") != (between[:1] == ["of"]):
            continue
        keep, gone = (b, a) if word == "abandoned" else (a, b)
        keep.plural |= gone.plural  # "ruined buildings": several ruins
        keep.count = keep.count if keep.count is not None else gone.count
        drop.add(id(gone))
        name = {"ruins": "ruin"}
        notes.append(f"'{' '.join(tokens[a.start:b.end])}': one {name.get(keep.concept, keep.concept)}, "
                     f"not a {name.get(gone.concept, gone.concept)} beside it")
    return [m for m in mentions if id(m) not in drop], notes


#: tower words that name a church's own tower where a church is named ("a church with a tall spire")
CHURCH_TOWER_WORDS = frozenset("spire spires tower towers belfry steeple".split())


def fold_church_tower(tokens: list[str], mentions: list[Mention]) -> tuple[list[Mention], list[str]]:
    """A spire or a tower named with a church in one clause is the church's own ("a village church with a tall
    spire"): one church, not a watchtower beside it."""
    churches = [m for m in mentions if m.concept == "church" and not m.negated and m.start >= 0]
    drop, notes = set(), []
    for m in mentions:
        if m.concept != "tower" or m.negated or m.start < 0 or tokens[m.start] not in CHURCH_TOWER_WORDS:
            continue
        for c in churches:
            between = tokens[c.end:m.start] if c.start < m.start else tokens[m.end:c.start]
            if len(between) <= 4 and not any(t in SCOPE_ENDS and t != "with" for t in between):
                drop.add(id(m))
                notes.append(f"'{m.text}' with the {c.text}: the church's own tower, not a tower beside it")
                break
    return [m for m in mentions if id(m) not in drop], notes


def _relations(tokens: list[str], mentions: list[Mention]) -> list[dict[str, str]]:
    """'<subject> <relation word> [the] <object>' between consecutive mentions of one clause."""
    placeable = ("structure", "prop", "water", "terrain", "shore")  # a mood word ("a calm lake") sits between
    placed = sorted(
        (m for m in mentions if m.start >= 0 and not m.negated and cv.BY_NAME[m.concept].category in placeable),
        key=lambda m: (m.start, m.concept),
    )
    out: list[dict[str, str]] = []
    for k, (a, b) in enumerate(zip(placed, placed[1:], strict=False)):
        if a.start == b.start:
            continue
        after = placed[k + 2] if k + 2 < len(placed) else None
        if (after is not None and after.start == b.end and cv.BY_NAME[b.concept].category == "terrain"
                and cv.BY_NAME[after.concept].category in ("water", "structure")):
            b = after  # "by a mountain lake": by the lake (the mountain only says which lake)
        between = tokens[a.end : b.start]
        if any(t in (".", ";", "!", "?") for t in between):
            continue
        front = "front" in between  # "in front of" is beside, never inside
        rel = "near" if front else next((cv.RELATIONS[t] for t in between if t in cv.RELATIONS), None)
        subject_ok = cv.BY_NAME[a.concept].category in ("structure", "prop")
        object_ok = cv.BY_NAME[b.concept].category in ("water", "terrain", "shore", "structure")
        if rel and subject_ok and object_ok:
            out.append({"subject": a.concept, "relation": rel, "object": b.concept})
        elif front and cv.BY_NAME[a.concept].category == "water" and cv.BY_NAME[b.concept].category == "structure":
            out.append({"subject": b.concept, "relation": "near", "object": a.concept})  # "a lake in front of a castle"
        elif (a.text in SIDE_WORDS and cv.BY_NAME[a.concept].category == "water" and b.start - a.end <= 2
              and cv.BY_NAME[b.concept].category == "structure"):  # "a lakeside monastery": by the lake
            out.append({"subject": b.concept, "relation": "near", "object": a.concept})
    return _dedupe(out)


#: water words that put the building they qualify by that water ("a lakeside chapel", "a riverside mill")
SIDE_WORDS = frozenset("lakeside lakeshore riverside riverbank waterside waterfront".split())


#: what trees may line: a shore, a lake, a river, a road ("pines along the shore", "a road lined with cypresses")
_LINEABLE = ("coast", "lake", "river", "road", "ocean")
#: how thickly a tree kind named only as lining something grows over the rest of the land
LINED_DENSITY = 0.3  # at SPARSE_BELOW in generate/treelines.py: a full line, not a few
#: words that put trees along a thing named after them ("pines along the shore", "palms around the pool")
_ALONG = ("along", "alongside", "by", "beside", "around", "round", "on", "at", "near", "lining", "fringing",
          "ringing", "bordering", "edging", "flanking", "circling", "encircling", "surrounding")
#: words after a lineable thing that put trees along it
_LINED = ("lined", "lining", "fringed", "fringing", "edged", "bordered", "ringed", "flanked")


def tree_relations(tokens: list[str], mentions: list[Mention]) -> list[dict[str, str]]:
    """Trees along a shore, a lake, a river or a road: '<trees> along/by/around [the] <thing>' and '<thing>
    lined/fringed with <trees>', each as {"subject": tree kind, "relation": "near", "object": thing}, between
    neighbouring mentions of one clause."""
    trees = cv.GROUPS["tree"]
    placed = sorted((m for m in mentions if m.start >= 0 and not m.negated
                     and (m.concept in trees or m.concept in _LINEABLE)), key=lambda m: (m.start, m.concept))
    things = ("shore", "terrain", "structure", "water", "vegetation", "prop")  # not a mood or a time ("a quiet lake")
    starts = {m.start for m in mentions if m.start >= 0 and cv.BY_NAME[m.concept].category in things}
    out: list[dict[str, str]] = []
    for a, b in zip(placed, placed[1:], strict=False):
        between = tokens[a.end : b.start]
        if a.start == b.start or any(t in (".", ",", ";", ":", "!", "?", "and", "but") for t in between):
            continue
        if any(a.end <= k < b.start for k in starts):  # something else stands between ("jungle island by the sea")
            continue
        last = between[-3:]  # the relation word stands just before the thing: "along the rocky shore"
        if a.concept in trees and b.concept in _LINEABLE and any(t in _ALONG or t in _LINED for t in last):
            out.append({"subject": a.concept, "relation": "near", "object": b.concept})
        elif a.concept in _LINEABLE and b.concept in trees and any(t in _LINED for t in between[:2]):
            out.append({"subject": b.concept, "relation": "near", "object": a.concept})
    return out


def _dedupe(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = [], []
    for item in items:
        key = (item["subject"], item["relation"], item["object"])
        if key not in seen:
            seen.append(key)
            out.append(item)
    return out


def _relief(tokens: list[str]) -> float:
    high = sum(t in HIGH for t in tokens)
    low = sum(t in LOW for t in tokens)
    return float(np.clip(1.0 + 0.3 * high - 0.2 * low, 0.4, 2.0))


#: mention sources read from the words themselves (not the sentence model's guesses)
LEXICAL_SOURCES = ("word", "group", "generic", "snow", "modifier")


def parse_text(text: str, encoder: Encoder | None, *, negative: bool = False) -> Parse:
    """Find concept mentions, counts, negation and relations in one text."""
    tokens = tokenize(text)
    modifiers, consumed = modifier_pass(tokens, _negated_positions(tokens))
    animal_notes, no_body = aw.unsupported(tokens, [t for t in tokens if any(h in cv.ANIMALS for h in head_classes(t))])
    consumed |= no_body
    surf_notes, surfers = surf_people(tokens)
    consumed |= surfers
    animal_notes += surf_notes
    if negative:
        modifiers = []
    studio = sw.StudioWords() if negative else sw.read_studio(tokens)
    mentions, leftover = lexical_pass(tokens, frozenset(consumed | studio.consumed))
    if studio.consumed - studio.product_at and not studio.explicit and any(
            not m.negated and m.source in LEXICAL_SOURCES and cv.BY_NAME[m.concept].category in sw.OUTDOOR_CATEGORIES
            for m in mentions):  # outdoors the set's words ("on a stone") are the world's again
        studio.consumed = set(studio.product_at)
        mentions, leftover = lexical_pass(tokens, frozenset(consumed | studio.consumed))
    consumed |= studio.consumed
    mentions = _resolve_generic_water(mentions)
    unknown: list[str] = []
    leftover = [p for p in leftover if not _falls_of(tokens, p) and tokens[p] not in BODY_ONLY]
    if encoder is not None:
        extra, unknown = embedding_pass(tokens, leftover, encoder, _negated_positions(tokens))
        mentions += extra
        if not negative and not any(m.concept in cv.MOODS for m in mentions):
            mentions += clause_moods(text, encoder)
    else:
        unknown = [tokens[p] for p in leftover]
    if negative:
        for m in mentions:
            m.negated = True
    _attach_modifiers(tokens, mentions)
    mentions, folded = fold_ruins(tokens, mentions)
    mentions, church_notes = fold_church_tower(tokens, mentions)
    folded += church_notes
    mentions, rock_notes = fold_rock_formations(tokens, mentions)
    folded += rock_notes
    mentions, city_notes = fold_city(tokens, mentions)
    folded += city_notes
    mentions, gorge_notes = fold_green_gorge(tokens, mentions)
    folded += gorge_notes
    return Parse(
        notes=folded + ([] if negative else animal_notes),
        mentions=mentions,
        modifiers=modifiers,
        relations=_relations(tokens, mentions) + tree_relations(tokens, mentions),
        ignored=unknown,
        relief=_relief(tokens),
        studio=studio,
    )


# ---------------------------------------------------------------------------------------------
# Parse -> WorldSpec


def spec_from_prompt(prompt: Prompt, encoder: Encoder | None) -> WorldSpec:
    """The WorldSpec a prompt describes. `encoder=None` uses the lexical rules only."""
    main = parse_text(prompt.text, encoder)
    neg = parse_text(prompt.negative, encoder, negative=True) if prompt.negative.strip() else Parse()
    mentions = main.mentions + neg.mentions
    notes: list[str] = []
    if not prompt.text.strip():
        notes.append("empty prompt: generated a default world (rolling hills, afternoon, clear sky)")
    if main.ignored:
        notes.append("not understood, ignored: " + ", ".join(dict.fromkeys(main.ignored)))
    notes += main.notes
    excluded = list(dict.fromkeys(m.concept for m in mentions if m.negated))
    positive = [m for m in mentions if not m.negated and m.concept not in excluded]
    b = _Builder(
        positive=positive,
        excluded=excluded,
        notes=notes,
        relations=main.relations,
        modifiers=_modifier_values(main.modifiers),
    )
    spec = b.build(prompt, relief=main.relief)
    spec.animals = aw.read_animals(tokenize(prompt.text), [m for m in positive if m.start >= 0])
    _water_for_ducks(spec)
    spec.matches = [_match_record(m) for m in mentions]
    outdoor = [m.text for m in positive if m.source in LEXICAL_SOURCES and cv.BY_NAME[m.concept].category
               in sw.OUTDOOR_CATEGORIES]
    spec.studio, studio_notes = sw.studio_setting(main.studio, outdoor)
    if not spec.studio and main.studio.product and outdoor:
        spec.product = sw.outdoor_product(main.studio)
    spec.notes += studio_notes
    return spec



def _water_for_ducks(spec: WorldSpec) -> None:
    """Ducks, geese and swans swim: where no water is named they get a pond (a lake), said in a note."""
    if not spec.animals.get("ducks") or spec.water or spec.shore != "none" or "lake" in spec.excluded:
        return
    spec.water = ["lake"]
    spec.notes.append("ducks or geese need water and none is named: added a pond (set water to [] to drop)")


def _modifier_values(mods: list[Modifier]) -> dict[str, str]:
    """One value per head class: at its first head noun, the modifier nearest to it ('clear turquoise water').
    Where buildings of different kinds are built of different things ("stone houses and wooden cabins"), each
    kind's own as well ("building.house": "stone", "building.cabin": "wood")."""
    first: dict[str, str] = {}
    by_kind: dict[str, str] = {}
    for m in sorted(mods, key=lambda m: (m.head_at, abs(m.head_at - m.at))):
        first.setdefault(m.head, m.value)
        kind = next((BUILDING_KIND_OF[f] for f in lemmas(m.head_word) if f in BUILDING_KIND_OF), "")
        if m.head == "building" and kind:
            by_kind.setdefault(f"building.{kind}", m.value)
    if len(set(by_kind.values())) > 1:
        first.update(by_kind)
    return {h: first[h] for h in cv.MODIFIER_VALUES if h in first}


#: building head nouns -> the structure kind they build (generate/structures.KINDS), for a material per kind
BUILDING_KIND_OF: dict[str, str] = {
    **dict.fromkeys("cabin hut cottage lodge chalet shack shed".split(), "cabin"),
    **dict.fromkeys("house home farmhouse building structure barn villa dwelling village hamlet town settlement".split(),
                    "house"),
    **dict.fromkeys("bridge viaduct footbridge".split(), "bridge"),
    **dict.fromkeys("tower watchtower".split(), "tower"),
    **dict.fromkeys("church chapel cathedral abbey priory monastery minster basilica kirk".split(), "church"),
}


def _match_record(m: Mention) -> dict[str, object]:
    return {
        "concept": m.concept,
        "category": cv.BY_NAME[m.concept].category,
        "score": m.score,
        "source": m.source,
        "text": m.text,
        "negated": m.negated,
        **({"count": m.count} if m.count is not None else {}),
    }


#: concept pairs of one category that one world shows together (a valley among mountains, rain under grey cloud)
COMPATIBLE: frozenset[frozenset[str]] = frozenset(
    frozenset(p.split())
    for p in ("valley mountains", "valley hills", "valley plains", "valley canyon", "hills plains", "hills mountains",
              "overcast rain", "overcast storm", "overcast snow", "overcast fog", "rain storm", "fog rain",
              "fog snow", "fog storm", "dawn morning", "morning sunrise", "dawn sunrise", "dusk sunset",
              "dusk evening", "evening sunset", "night dusk")
) | frozenset(frozenset(("plains", t)) for t in ("dunes", "snowfield", "swamp", "canyon", "volcanic", "mountains"))
#: landforms whose winter has no snow on the ground
SNOWLESS = frozenset(("dunes", "canyon", "volcanic"))
#: structures that stand in the water (not buildings that want a road)
AFLOAT = ("boat", "harbour")
#: words of a whole camp, not one tent: a campsite is this many tents pitched round its fire
CAMP_WORDS, CAMP_TENTS = frozenset({"campsite", "campground", "camp", "encampment", "campsites", "campgrounds",
                                    "camps", "encampments"}), 3
#: words that name a working harbour, which has boats in it; and how many a bare mention moors
HARBOUR_WORDS = frozenset("harbour harbours harbor harbors port ports marina marinas".split())
HARBOUR_BOATS = 3
CATEGORY_WORD = {"terrain": "landform", "weather": "weather", "time": "time of day", "season": "season"}


#: words saying a vehicle is driven somewhere ("driving through autumn vineyards"): it needs a road to drive on
DRIVING = re.compile(r"\b(?:driv(?:e|es|ing|en)|cruis(?:e|es|ing)|speed(?:s|ing)|racing|road ?trip)\b")


def _road_to_drive_on(text: str, counts: dict[str, int], b: _Builder) -> None:
    """A vehicle driving somewhere, or standing in a vineyard, is on a road: add one (structures.road) unless one
    is named or excluded."""
    if "road" in counts or "road" in b.excluded or not any(m.concept == "vehicles" for m in b.of("prop")):
        return
    if DRIVING.search(text.lower()):
        counts["road"] = 1
        b.notes.append("a vehicle driving: gave it a road (set structures.road to 0 to drop)")
    elif any(m.concept == "vines" for m in b.of("vegetation")):
        counts["road"] = 1
        b.notes.append("a vehicle in a vineyard: gave the vineyard a track (set structures.road to 0 to drop)")


def _one_per_named_vehicle(text: str, props: dict[str, int]) -> dict[str, int]:
    """At least as many vehicles as the prompt names one by one ("a red pickup and a blue sedan": two)."""
    if not props.get("vehicles"):
        return props
    from ..render.meshes import vehicle_looks

    named = len(vehicle_looks(text))
    return props | {"vehicles": min(max(props["vehicles"], named), cv.MAX_COUNTS["vehicles"])}


@dataclass(kw_only=True, slots=True)
class _Builder:
    positive: list[Mention]
    excluded: list[str]
    notes: list[str]
    relations: list[dict[str, str]]
    modifiers: dict[str, str] = field(default_factory=dict)

    def of(self, category: str) -> list[Mention]:
        return [m for m in self.positive if cv.BY_NAME[m.concept].category == category]

    def best(self, category: str, default: str) -> str:
        """The strongest mention of a category; ties go to the more specific concept."""
        found = self.of(category)
        if not found:
            return default
        rank = TERRAIN_PRIORITY if category == "terrain" else WEATHER_PRIORITY if category == "weather" else ()
        return min(
            found,
            key=lambda m: (
                -round(m.score, 2),
                rank.index(m.concept) if m.concept in rank else len(rank),
                m.start,
            ),
        ).concept

    def build(self, prompt: Prompt, *, relief: float) -> WorldSpec:
        self._sea_lagoon()
        self._beach_sand()
        self._lake_shore()
        cliffs = self.modifiers.get("shore") == "cliffs"
        terrain = self.best("terrain", "")
        if not terrain:
            terrain = "hills" if cliffs or not self.of("shore") else "plains"
            if prompt.text.strip():
                self.notes.append(f"no landform named: using {terrain}")
        if cliffs and not self.of("shore") and "coast" not in self.excluded:
            self.positive.append(Mention(concept="coast", start=-1, end=-1, text="cliffs", score=1.0, source="modifier"))
        snowy = any(m.concept == "snowfield" for m in self.of("terrain"))
        season = self.best("season", "winter" if snowy else self._season_of_trees())
        weather = self.best("weather", "clear")
        if weather == "snow" and not self.of("season"):
            season = "winter"
        time_of_day = self.best("time", "afternoon")
        if time_of_day == "morning" and (weather == "fog" or EARLY_MORNING.search(prompt.text.lower())):
            time_of_day = "dawn"  # morning mist and early morning are the low warm light just after sunrise
            self.notes.append("morning mist or early morning: the early light just after sunrise")
        self._unhonoured(terrain=terrain, weather=weather, time=time_of_day, season=season)
        structures = self._structures()
        _road_to_drive_on(prompt.text, structures, self)
        shore = self._shore(structures)
        water = self._water(shore, structures)
        self._stormy_sea(weather, water)
        relations = [r for r in self.relations if r["subject"] not in self.excluded]
        relations = self._by_the_harbour(structures, shore, relations)
        return WorldSpec(
            text=prompt.text,
            negative=prompt.negative,
            seed=int(prompt.seed),
            style=prompt.style if prompt.style in cv.STYLES else "natural",
            terrain=terrain,
            shore=shore,
            relief=relief,
            water=water,
            vegetation=self._vegetation(terrain, season),
            structures=structures,
            props=_one_per_named_vehicle(prompt.text, self._props(terrain)),
            relations=relations,
            excluded=self.excluded,
            time_of_day=time_of_day,
            clock_h=clock_for_time(time_of_day, season),
            weather=weather,
            season=season,
            mood=self.best("mood", "serene"),
            palette=self.best("palette", "natural"),
            modifiers=self.modifiers,
            notes=self.notes,
        )

    def _by_the_harbour(self, structures: dict[str, int], shore: str,
                        relations: list[dict[str, str]]) -> list[dict[str, str]]:
        """'a harbour town', 'a fishing village around a harbour', 'houses by the boats': the buildings stand by
        the shore, where the harbour and the boats are."""
        if shore == "none" or not any(structures.get(k) for k in AFLOAT):
            return relations
        out = [r | {"object": "coast"} if r["object"] in AFLOAT else r for r in relations]
        placed = {r["subject"] for r in out}
        if structures.get("harbour"):
            out += [{"subject": k, "relation": "near", "object": "coast"} for k in ("village", "house", "cabin")
                    if structures.get(k) and k not in placed]
        return _dedupe(out)

    def _unhonoured(self, **chosen: str) -> None:
        """A note for each word the world cannot hold beside what was chosen ("a desert with a frozen lake": one
        landform, one weather, one time of day and one season per world), so nothing is dropped silently."""
        for category, value in chosen.items():
            for m in self.of(category):
                if m.concept == value or frozenset((m.concept, value)) in COMPATIBLE or m.source == "modifier":
                    continue
                if category == "terrain" and m.concept == "snowfield" and chosen["season"] == "winter" and (
                        value not in SNOWLESS):
                    continue  # the winter world has its snow
                note = (f"not honoured: '{m.text}' ({m.concept}) — the world is {value}"
                        f" (one {CATEGORY_WORD.get(category, category)} per world)")
                if note not in self.notes:
                    self.notes.append(note)

    def _stormy_sea(self, weather: str, water: list[str]) -> None:
        """A storm over the sea whips it rough, unless the prompt says it lies calm."""
        if weather != "storm" or "ocean" not in water or self.modifiers.get("sea") in ("calm", "rough"):
            return
        self.modifiers["sea"] = "rough"
        self.notes.append("a storm over the sea: the sea runs rough, white with broken waves")

    def _sea_lagoon(self) -> None:
        """'a turquoise lagoon with palm trees': a lagoon with palms, sand or a beach beside it is the sea's,
        behind its beach, not an inland lake among hills."""
        lagoons = [m for m in self.of("water") if m.concept == "lake" and m.text in ("lagoon", "lagoons")]
        tropical = any(m.concept == "palms" for m in self.of("vegetation")) or "sand" in self.modifiers or any(
            m.concept == "dunes" for m in self.of("terrain")) or bool(self.of("shore"))
        lakes = [m for m in self.of("water") if m.concept == "lake"]
        if not lagoons or not tropical or len(lakes) > len(lagoons) or "ocean" in self.excluded:
            return
        for m in lagoons:
            self.positive.remove(m)
            self.positive.append(replace(m, concept="ocean", source="modifier"))
        if not self.of("shore") and "coast" not in self.excluded:
            self.positive.append(Mention(concept="coast", start=-1, end=-1, text=lagoons[0].text, score=1.0,
                                         source="modifier"))
        self.relations = [r | {"object": "coast"} if r["object"] == "lake" else r for r in self.relations]
        self.notes.append("a lagoon with palms or sand: the sea's lagoon behind a beach, not an inland lake")

    def _beach_sand(self) -> None:
        """'black sand beach': by the sea, sand is the beach's, not a desert's."""
        if not self.of("shore"):
            return
        sand = [m for m in self.of("terrain") if m.concept == "dunes" and m.text in ("sand", "sandy", "sands")]
        for m in sand:
            self.positive.remove(m)
        if sand:
            self.notes.append("sand by the sea: a beach, not a desert")

    def _lake_shore(self) -> None:
        """'a lake ... trees along the shore': a bare shore word beside a named lake (and no sea) is the lake's
        shore, not a sea coast; what stood along the shore stands along the lake."""
        shores = self.of("shore")
        lake = any(m.concept == "lake" and m.source == "word" for m in self.of("water"))
        sea = any(m.concept == "ocean" for m in self.of("water"))
        if not shores or not lake or sea or any(m.text not in BARE_SHORE for m in shores):
            return
        for m in shores:
            self.positive.remove(m)
        self.relations = [r | {"object": "lake"} if r["object"] == "coast" else r for r in self.relations]
        self.notes.append("'shore' beside a lake: the lake's shore, not a sea coast")

    def _season_of_trees(self) -> str:
        """Blossom means spring and autumn leaves autumn, when no season is named."""
        return {"blossom": "spring", "autumn": "autumn"}.get(self.modifiers.get("trees", ""), "summer")

    def _shore(self, structures: dict[str, int]) -> str:
        shores = [m.concept for m in self.of("shore")]
        shore = "island" if "island" in shores else ("coast" if shores else "none")
        bay = next((m.text for m in self.of("shore") if m.concept == "coast" and m.text.lower() in cv.BAY_WORDS), "")
        if shore == "coast" and bay and structures.get("road"):  # a car's coast road runs along an open coast
            self.notes.append(f"'{bay}' with a road: an open coast the road runs along, not an enclosed bay")
        elif shore == "coast" and bay:
            shore = "bay"  # "the bay", "a quiet cove", "a fjord": water held by land on three sides
        wants_sea = any(m.concept == "ocean" for m in self.of("water")) or structures.get("lighthouse")
        if shore == "none" and wants_sea and "coast" not in self.excluded and "ocean" not in self.excluded:
            shore = "coast"
            self.notes.append("sea or lighthouse asked for: added a coast")
        afloat = any(structures.get(k) for k in AFLOAT)
        if shore == "none" and afloat and not self.of("water") and "coast" not in self.excluded:
            shore = "coast"  # boats and piers need water to float on and reach into
            self.notes.append("boats or a pier need water and none is named: added a coast")
        return shore

    def _water(self, shore: str, structures: dict[str, int]) -> list[str]:
        named = [m for m in self.of("water") if m.source != "generic"]
        generic = [m for m in self.of("water") if m.source == "generic"]
        if generic and not named and shore == "none" and "lake" not in self.excluded:
            named = generic
            self.notes.append("water named without saying which: a lake")
        water = [name for name in cv.WATERS if any(m.concept == name for m in named)]
        for r in self.relations:
            if r["object"] in cv.WATERS and r["object"] not in water and r["object"] not in self.excluded:
                water.append(r["object"])
        if shore != "none" and "ocean" not in water:
            water.insert(0, "ocean")
        if ("waterfall" in water or structures.get("bridge")) and "river" not in water:
            if "river" not in self.excluded:
                water.append("river")
                self.notes.append("a waterfall or bridge needs a river: added one")
        return [w for w in cv.WATERS if w in water]

    def _vegetation(self, terrain: str, season: str) -> dict[str, float]:
        veg = {k: v for k, v in cv.BIOME_VEGETATION.get(terrain, {}).items() if k not in self.excluded}
        lined = {r["subject"] for r in self.relations if r["object"] in _LINEABLE}
        for m in self.of("vegetation"):
            # trees lining a road or a shore stand there (generate/treelines.py), a few more about the land
            density = {"dense": 0.9, "sparse": 0.25}.get(m.modifier, LINED_DENSITY if m.concept in lined else 0.6)
            if m.count is not None and m.count <= 20 and not m.modifier:
                density = 0.05
            veg[m.concept] = max(veg.get(m.concept, 0.0), density) if m.source != "group" else density
        if season == "winter" and "flowers" in veg:
            del veg["flowers"]
        self._undergrowth(veg, terrain, season)
        return {k: round(veg[k], 3) for k in cv.VEGETATION if k in veg}

    def _undergrowth(self, veg: dict[str, float], terrain: str, season: str) -> None:
        """A named forest has a floor: shrubs and ferns under the trees, grass in its clearings."""
        trees = max((veg.get(k, 0.0) for k in ("conifers", "broadleaf", "palms")), default=0.0)
        if trees < 0.5 or terrain in ("dunes", "snowfield") or season == "winter":
            return
        for kind, floor in (("shrubs", 0.35), ("grass", 0.5)):
            if kind not in self.excluded:
                veg[kind] = max(veg.get(kind, 0.0), floor)

    def _structures(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        boats: dict[str, int] = {}
        for m in self.of("structure"):
            counts[m.concept] = max(counts.get(m.concept, 0), self._count(m))
            if m.concept == "boat":  # "three fishing boats and a ferry": four boats of two kinds
                boats[m.text] = max(boats.get(m.text, 0), self._count(m))
        if boats:
            counts["boat"] = sum(boats.values())
        elif self._harbour_word() and "boat" not in self.excluded:
            counts["boat"] = HARBOUR_BOATS
            self.notes.append(f"a harbour: moored {HARBOUR_BOATS} boats in it (set structures.boat to 0 to drop)")
        buildings = sum(n for k, n in counts.items() if k not in ("road", "fences", "bridge", "tent", *AFLOAT))
        if (buildings >= 2 or counts.get("village")) and "road" not in counts and "road" not in self.excluded:
            counts["road"] = 1
            self.notes.append(
                "several buildings: connected them with roads (set structures.road to 0 to drop)"
            )
        for k in ("road", "fences"):
            if k in counts:
                counts[k] = min(counts[k], 1)
        return {k: min(counts[k], cv.MAX_COUNTS.get(k, 1)) for k in cv.STRUCTURES if k in counts}

    def _harbour_word(self) -> bool:
        """Whether a harbour word (not a bare pier or jetty) names the harbour: "a fishing harbour", "the port"."""
        return any(m.concept == "harbour" and m.text.split()[-1] in HARBOUR_WORDS for m in self.of("structure"))

    def _props(self, terrain: str) -> dict[str, int]:
        props: dict[str, int] = {}
        if terrain in ("mountains", "canyon", "volcanic", "snowfield") and "rocks" not in self.excluded:
            props["rocks"] = 60
        for m in self.of("prop"):
            props[m.concept] = max(props.get(m.concept, 0), self._count(m))
        return {k: min(props[k], cv.MAX_COUNTS[k]) for k in cv.PROPS if k in props}

    def _count(self, m: Mention) -> int:
        if m.concept == "tent" and m.text.split()[-1] in CAMP_WORDS:  # "a campsite": a few tents round a fire
            return CAMP_TENTS * (m.count or 1)
        single, plural = cv.DEFAULT_COUNTS.get(m.concept, (1, 1))
        if m.text.lower() in STREWN:  # the number before "a rocky coast" counts the coast
            return plural
        if m.count is not None:
            return m.count
        return plural if m.plural else single
