"""Studio and product language: packshots, plinths, backdrops, studio light and the product named.

"a perfume bottle packshot on a white marble plinth, soft studio light" reads as a studio set: the product
(perfume_bottle), what it stands on (a plinth of white marble), the backdrop (a white seamless sweep) and the
light (soft). The words read here are consumed, so the world reading never takes "marble" for rock or
"water droplets" for a lake. Whether the prompt asks for a studio at all is decided with the world reading
(`studio_setting`): a product named in an outdoor place ("a perfume bottle on a rock by the sea") keeps the
outdoor packshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: product kind -> the phrases that name it (singular, longest first within a kind is not required)
PRODUCTS: dict[str, tuple[str, ...]] = {
    "perfume_bottle": ("perfume bottle", "fragrance bottle", "scent bottle", "bottle of perfume", "perfume",
                       "fragrance", "cologne", "parfum"),
    "wine_bottle": ("wine bottle", "bottle of wine", "champagne bottle", "bottle of champagne", "champagne",
                    "prosecco"),
    "bottle": ("water bottle", "bottle of water", "beer bottle", "glass bottle", "bottle", "flask", "thermos"),
    "watch": ("wristwatch", "wrist watch", "smartwatch", "smart watch", "chronograph", "watch"),
    "sneaker": ("running shoe", "sneaker", "trainer", "shoe", "boot", "footwear"),
    "headphones": ("headphones", "headphone", "headset", "earphones"),
    "can": ("soda can", "drink can", "beer can", "energy drink", "can of soda", "can"),
    "jar": ("cosmetics jar", "cosmetic jar", "cream jar", "skincare jar", "skin care jar", "face cream",
            "moisturiser", "moisturizer", "jar"),
    "lipstick": ("lipstick", "lip balm"),
    "smartphone": ("smartphone", "smart phone", "mobile phone", "cell phone", "cellphone", "phone"),
    "handbag": ("handbag", "hand bag", "purse", "tote bag", "tote", "clutch", "bag"),
    "coffee_cup": ("coffee cup", "coffee mug", "espresso cup", "teacup", "tea cup", "mug", "cup"),
    "box": ("product box", "gift box", "box", "package", "carton"),
}
PRODUCT_KINDS: tuple[str, ...] = tuple(PRODUCTS)
#: words that make "can" and "watch" nouns rather than verbs when they come right before them
_VERB_BEFORE = frozenset(("to", "i", "we", "you", "they", "he", "she", "it", "people", "us", "who", "that"))
#: what the product stands on -> words
STANDS: dict[str, tuple[str, ...]] = {
    "plinth": ("plinth", "block", "cube", "riser", "display", "stand"),
    "pedestal": ("pedestal", "column", "pillar"),
    "podium": ("podium", "stage", "round platform", "platform"),
    "turntable": ("turntable", "lazy susan"),
    "table": ("table", "tabletop", "table top", "counter", "countertop", "worktop", "desk", "slab", "surface",
              "shelf"),
    "cloth": ("velvet", "silk", "satin", "cloth", "fabric", "linen"),
}
STAND_KINDS: tuple[str, ...] = tuple(STANDS)
#: surface materials -> words (a colour word before one colours it: "black marble")
MATERIALS: dict[str, tuple[str, ...]] = {
    "marble": ("marble", "travertine", "terrazzo", "onyx"),
    "wood": ("wood", "wooden", "oak", "walnut", "timber", "teak", "pine", "ash", "birch", "bamboo", "maple"),
    "concrete": ("concrete", "cement", "plaster", "stucco"),
    "stone": ("stone", "granite", "slate", "basalt", "sandstone", "limestone"),
    "glass": ("glass", "acrylic", "perspex", "plexiglass", "mirror", "mirrored"),
    "metal": ("metal", "steel", "chrome", "aluminium", "aluminum", "brass", "copper", "gold", "golden", "silver"),
    "velvet": ("velvet", "silk", "satin", "cloth", "fabric", "linen", "felt"),
    "paper": ("paper", "card", "cardboard"),
}
SURFACE_KINDS: tuple[str, ...] = ("painted", *MATERIALS)
#: colour words (sRGB 0..1)
COLORS: dict[str, tuple[float, float, float]] = {
    "white": (0.9, 0.9, 0.89), "black": (0.035, 0.035, 0.04), "grey": (0.48, 0.48, 0.49),
    "gray": (0.48, 0.48, 0.49), "red": (0.72, 0.07, 0.07), "blue": (0.1, 0.24, 0.62), "navy": (0.06, 0.09, 0.25),
    "green": (0.14, 0.42, 0.2), "yellow": (0.95, 0.78, 0.14), "orange": (0.92, 0.42, 0.08),
    "pink": (0.94, 0.6, 0.68), "purple": (0.4, 0.18, 0.5), "beige": (0.84, 0.76, 0.64),
    "cream": (0.93, 0.89, 0.78), "teal": (0.05, 0.45, 0.45), "brown": (0.38, 0.22, 0.12),
    "gold": (0.83, 0.66, 0.3), "golden": (0.83, 0.66, 0.3), "silver": (0.75, 0.76, 0.78),
    "dark": (0.08, 0.08, 0.09), "charcoal": (0.14, 0.14, 0.15), "pastel": (0.86, 0.8, 0.88),
    "turquoise": (0.1, 0.65, 0.65), "lilac": (0.75, 0.65, 0.85), "peach": (0.97, 0.72, 0.58),
    "mint": (0.65, 0.88, 0.76),
}
COLOR_NAMES: tuple[str, ...] = tuple(dict.fromkeys(c for c in COLORS if c not in ("gray", "golden")))
_COLOR_ALIAS = {"gray": "grey", "golden": "gold"}
#: backdrop nouns that name a studio's backdrop outright (a colour before one names its colour)
BACKDROPS = ("seamless", "cyclorama", "cyc", "infinity curve", "infinity cove", "paper roll", "studio wall",
             "paper backdrop", "paper background", "studio backdrop", "studio background")
#: backdrop nouns that are a studio's only with a colour before them ("on a red background"; "snowy peaks in
#: the background" is a landscape's)
COLOUR_BACKDROPS = ("backdrop", "background", "sweep", "backcloth")
#: light: "soft light", "rim light", "hard light", "backlit", "low key"
LIGHTS: dict[str, tuple[str, ...]] = {
    "soft": ("soft light", "soft lighting", "softbox", "softboxes", "diffuse light", "diffused light",
             "soft studio light", "soft studio lighting", "high key", "even light", "studio light",
             "studio lighting", "studio lights", "key light", "fill light", "three point lighting",
             "beauty light", "beauty lighting"),
    "hard": ("hard light", "hard lighting", "harsh light", "spotlight", "spot light", "dramatic light",
             "dramatic lighting", "hard studio light", "low key", "moody light", "moody lighting"),
    "rim": ("rim light", "rim lighting", "rim lit", "backlit", "backlight", "back light", "backlighting",
            "edge light", "edge lit", "halo light"),
}
LIGHT_KINDS: tuple[str, ...] = tuple(LIGHTS)
#: finishes of the product: water droplets on a cold can
FINISHES: dict[str, tuple[str, ...]] = {
    "droplets": ("water droplets", "droplets", "water drops", "drops of water", "condensation", "dew drops",
                 "dewy", "ice cold", "frosty"),
}
FINISH_KINDS: tuple[str, ...] = tuple(FINISHES)
#: words that ask for studio photography itself
TRIGGERS = ("packshot", "pack shot", "product shot", "product photo", "product photography", "product image",
            "hero shot", "studio", "e commerce", "ecommerce", "catalogue shot", "catalog shot", "catalogue",
            "catalog", "still life", "tabletop photography", "advert", "advertisement")
#: spec.studio keys and their choices
STUDIO_CHOICES: dict[str, tuple[str, ...]] = {
    "product": PRODUCT_KINDS, "product_color": COLOR_NAMES, "backdrop": COLOR_NAMES, "stand": STAND_KINDS,
    "surface": SURFACE_KINDS, "surface_color": COLOR_NAMES, "light": LIGHT_KINDS, "finish": FINISH_KINDS,
}
#: what a studio spec holds when the prompt does not say
DEFAULTS = {"product": "box", "backdrop": "white", "stand": "plinth", "surface": "painted", "light": "soft"}
#: mention categories that place a prompt outdoors ("by the sea", "on a rock", "in a pine forest")
OUTDOOR_CATEGORIES = ("terrain", "shore", "water", "vegetation", "structure", "prop", "animal")
#: filler words allowed between a colour and its noun ("a red, glossy backdrop" is not read; "a red backdrop" is)
_ARTICLES = frozenset(("a", "an", "the", "some", "on", "of", "in", "against", "before", "with"))


def _singular(tok: str) -> tuple[str, ...]:
    out = [tok]
    if tok.endswith("es") and len(tok) > 4:
        out.append(tok[:-2])
    if tok.endswith("s") and len(tok) > 3:
        out.append(tok[:-1])
    return tuple(out)


def _match(tokens: list[str], i: int, phrases: tuple[str, ...]) -> int:
    """Length in tokens of the longest phrase starting at i (its last word may be plural); 0 if none."""
    best = 0
    for phrase in phrases:
        words = phrase.split()
        k = len(words)
        if k <= best or i + k > len(tokens):
            continue
        if tokens[i : i + k - 1] == words[:-1] and words[-1] in _singular(tokens[i + k - 1]):
            best = k
    return best


@dataclass(kw_only=True, slots=True)
class StudioWords:
    """What a prompt says of a studio set; `consumed` are token positions read here."""

    product: str = ""
    product_color: str = ""
    backdrop: str = ""
    stand: str = ""
    surface: str = ""
    surface_color: str = ""
    light: str = ""
    finish: str = ""
    #: the prompt names studio photography, a stand or a backdrop (not only a product)
    trigger: bool = False
    #: the prompt names the backdrop or the studio itself: a studio even beside outdoor words
    explicit: bool = False
    words: list[str] = field(default_factory=list)
    consumed: set[int] = field(default_factory=set)
    #: positions of product and finish words: no world concept, consumed even in a prompt outdoors
    product_at: set[int] = field(default_factory=set)
    #: what the product rests on outdoors (SUPPORTS: "on a stone wall" -> "wall") and that support's material
    support: str = ""
    support_surface: str = ""

    def any(self) -> bool:
        return bool(self.product or self.trigger)


def _color_before(tokens: list[str], i: int, consumed: set[int]) -> str:
    """A colour word right before position i (over one material word or article at most), consumed."""
    for j in range(i - 1, max(-1, i - 3), -1):
        t = tokens[j]
        if t in COLORS:
            consumed.add(j)
            if j - 1 >= 0 and tokens[j - 1] in ("light", "pale", "deep", "dark"):
                consumed.add(j - 1)
            return _COLOR_ALIAS.get(t, t)
        if not (any(t in words for words in MATERIALS.values()) or t in ("matte", "glossy", "polished",
                                                                        "seamless", "plain", "solid")):
            return ""
    return ""


def read_studio(tokens: list[str]) -> StudioWords:
    """The studio words of a tokenized prompt (lower case words, see understand.tokenize)."""
    out = StudioWords()
    i = 0
    while i < len(tokens):
        n = _read_at(tokens, i, out)
        i += max(n, 1)
    if out.product:
        _read_support(tokens, min(out.product_at), out)
    return out


#: what an outdoor product rests on -> the words that name it (the head noun after "on": "on a mossy log")
SUPPORTS: dict[str, tuple[str, ...]] = {
    "wall": ("wall", "stone wall", "drystone wall", "dry stone wall", "ledge", "parapet", "windowsill", "sill"),
    "rock": ("rock", "boulder", "stone", "pebble", "slab of rock"),
    "log": ("log", "fallen log", "stump", "tree stump", "driftwood", "tree trunk", "fallen tree", "trunk"),
    "table": ("table", "picnic table", "tabletop", "table top", "bench", "counter"),
    "ground": ("ground", "grass", "moss", "sand", "beach", "forest floor", "snow", "gravel", "soil", "earth"),
}
SUPPORT_KINDS: tuple[str, ...] = tuple(SUPPORTS)
#: words that end what a product stands on ("on a rock by the sea", "on a log in a pine forest")
_SUPPORT_ENDS = frozenset((",", ".", ";", ":", "!", "?", "and", "with", "under", "in", "against", "behind", "by", "near", "at", "overlooking", "beside", "facing", "above", "below",
                           "on", "over", "of", "during", "beneath"))
#: a support's default material
SUPPORT_SURFACE = {"wall": "stone", "rock": "stone", "log": "wood", "table": "wood", "ground": ""}


def _read_support(tokens: list[str], after: int, out: StudioWords) -> None:
    """'... on a mossy stone wall overlooking ...': the support is the last support noun before the phrase
    ends; a wall's words are consumed (the world would read a wall as a fence)."""
    for i in range(after, len(tokens) - 1):
        if tokens[i] != "on":
            continue
        best: tuple[int, str, int] = (-1, "", 0)
        j = i + 1
        while j < len(tokens) and j <= i + 5 and tokens[j] not in _SUPPORT_ENDS:
            for kind, phrases in SUPPORTS.items():
                if (n := _match(tokens, j, phrases)) and j + n - 1 >= best[0]:
                    best = (j + n - 1, kind, j)
            j += 1
        if best[1]:
            out.support = best[1]
            window = tokens[i + 1 : best[0] + 1]
            out.support_surface = next((k for t in window for k, words in MATERIALS.items() if t in words),
                                       SUPPORT_SURFACE[best[1]])
            if best[1] == "wall":
                at = set(range(i + 1, best[0] + 1))
                out.product_at |= at
                out.consumed |= at
            return


def _read_at(tokens: list[str], i: int, out: StudioWords) -> int:
    """Read one studio phrase at i into `out`; its length in tokens (0: none here)."""
    for kind, phrases in FINISHES.items():
        if n := _match(tokens, i, phrases):
            out.product_at.update(range(i, i + n))
            return _take(out, tokens, i, n, finish=kind)
    for kind, phrases in LIGHTS.items():
        if n := _match(tokens, i, phrases):
            return _take(out, tokens, i, n, light=kind)
    if n := _match(tokens, i, TRIGGERS):
        if tokens[i] == "studio" and tokens[i + 1 : i + 2] == ["ghibli"]:  # a style, not a place
            return 0
        return _take(out, tokens, i, n, trigger=True, explicit=tokens[i] == "studio")
    if n := _match(tokens, i, BACKDROPS):
        colour = _color_before(tokens, i, out.consumed)
        return _take(out, tokens, i, n, backdrop=colour or out.backdrop, trigger=True, explicit=True)
    if (n := _match(tokens, i, COLOUR_BACKDROPS)) and (colour := _color_before(tokens, i, out.consumed)):
        return _take(out, tokens, i, n, backdrop=colour, trigger=True, explicit=True)
    for kind, phrases in STANDS.items():
        if n := _match(tokens, i, phrases):
            material = _material_before(tokens, i, out)
            if kind == "cloth" and not material:
                material = "velvet"
            return _take(out, tokens, i, n, stand=kind, surface=material or out.surface,
                         trigger=kind not in ("table", "cloth"))
    if surface := _bare_surface(tokens, i, out):
        return surface
    for kind, phrases in PRODUCTS.items():
        if (n := _match(tokens, i, phrases)) and _is_noun(tokens, i, kind):
            colour = _color_before(tokens, i, out.consumed) or PHRASE_COLORS.get(" ".join(tokens[i : i + n]), "")
            out.product_at.update(range(i, i + n))
            if out.product:  # the first product named is the hero
                return _take(out, tokens, i, n)
            return _take(out, tokens, i, n, product=kind, product_color=colour)
    return 0


#: the colour a product phrase implies when no colour is named
PHRASE_COLORS = {"beer bottle": "brown", "beer bottles": "brown"}
#: words that end a bare surface ("on green marble, soft light")
_ENDS = frozenset((",", ".", ";", ":", "!", "?", "and", "with", "under", "in", "against", "before", "behind"))


def _bare_surface(tokens: list[str], i: int, out: StudioWords) -> int:
    """'on green marble', 'on dark slate': a material with no stand noun after it is a slab of it (a table)."""
    kind = next((k for k, words in MATERIALS.items() if tokens[i] in words), "")
    ahead = tokens[i + 1] if i + 1 < len(tokens) else ","
    before = tokens[max(0, i - 3) : i]
    if not kind or ahead not in _ENDS or "on" not in before or out.stand:
        return 0
    colour = _color_before(tokens, i, out.consumed)
    if colour:
        out.surface_color = colour
    return _take(out, tokens, i, 1, stand="cloth" if kind == "velvet" else "table", surface=kind)


def _is_noun(tokens: list[str], i: int, kind: str) -> bool:
    """'can' and 'watch' are products only as nouns ('a soda can', 'the watch'), not verbs ('you can')."""
    if tokens[i] not in ("can", "watch", "cup"):
        return True
    return i > 0 and tokens[i - 1] not in _VERB_BEFORE


def _material_before(tokens: list[str], i: int, out: StudioWords) -> str:
    """The material word before a stand noun ('a white marble plinth', 'a wooden table'), with its colour."""
    for j in range(i - 1, max(-1, i - 3), -1):
        t = tokens[j]
        kind = next((k for k, words in MATERIALS.items() if t in words), "")
        if kind:
            out.consumed.add(j)
            colour = _color_before(tokens, j, out.consumed)
            if kind == "metal" and t in ("gold", "golden", "silver", "brass", "copper"):
                colour = colour or _COLOR_ALIAS.get(t, t) if t in COLORS else colour
            if colour:
                out.surface_color = colour
            out.words.append(t)
            return kind
        if t in COLORS:
            out.consumed.add(j)
            out.surface_color = _COLOR_ALIAS.get(t, t)
            continue
        if t not in ("matte", "glossy", "polished", "rough", "smooth", "round", "square", "low", "tall", "plain"):
            break
        out.consumed.add(j)
    return ""


def _take(out: StudioWords, tokens: list[str], i: int, n: int, **values: object) -> int:
    for key, value in values.items():
        if key in ("trigger", "explicit"):
            setattr(out, key, getattr(out, key) or bool(value))
        elif value and not getattr(out, key):
            setattr(out, key, value)
    out.consumed.update(range(i, i + n))
    out.words.append(" ".join(tokens[i : i + n]))
    return n


def studio_setting(words: StudioWords, outdoor: list[str]) -> tuple[dict[str, str], list[str]]:
    """The spec's `studio` object and notes: a studio set when the prompt names studio photography or a
    product and no outdoor place (or names the studio or its backdrop outright); {} otherwise.
    `outdoor`: the words of the outdoor concepts the prompt named."""
    if not words.any():
        return {}, []
    if outdoor and not words.explicit:
        if words.product:
            return {}, [f"product named ({words.product.replace('_', ' ')}) in an outdoor place "
                        f"({', '.join(dict.fromkeys(outdoor))}): an outdoor packshot with a stand-in product at its "
                        "setting; import the product's mesh with world.import_mesh to show it instead"]
        return {}, []
    studio = {k: getattr(words, k) for k in STUDIO_CHOICES if getattr(words, k)}
    for key, value in DEFAULTS.items():
        studio.setdefault(key, value)
    if studio["stand"] == "cloth" and studio["surface"] == "painted":
        studio["surface"] = "velvet"
    notes = [describe(studio), "studio set: a small flat studio world (world.generate's size is not used); "
                               "import the product's mesh with world.import_mesh to stand it on the stand"]
    if outdoor:
        notes.append(f"studio set: the outdoor words ({', '.join(dict.fromkeys(outdoor))}) are not shown")
    return studio, notes


def outdoor_product(words: StudioWords) -> dict[str, str]:
    """The spec's `product` object for a product named outdoors (a stand-in shown at its setting until a mesh
    is imported): the product, its colour and finish, and what it rests on (a rock when the prompt names none)."""
    out = {k: getattr(words, k) for k in ("product", "product_color", "finish") if getattr(words, k)}
    support = words.support or ("table" if words.stand == "table" else "rock")
    out["support"] = support
    surface = words.support_surface or (words.surface if words.stand == "table" else "") or SUPPORT_SURFACE[support]
    if surface:
        out["support_surface"] = surface
    return out


#: spec.product keys and their choices
PRODUCT_CHOICES: dict[str, tuple[str, ...]] = {
    "product": PRODUCT_KINDS, "product_color": COLOR_NAMES, "finish": FINISH_KINDS, "support": SUPPORT_KINDS,
    "support_surface": tuple(MATERIALS),
}


def describe(studio: dict[str, str]) -> str:
    """One sentence for the node: what the studio set holds."""
    product = studio.get("product", "box").replace("_", " ")
    colour = studio.get("product_color")
    surface = studio.get("surface", "painted")
    scolour = studio.get("surface_color")
    stand = studio.get("stand", "plinth")
    on = " ".join(w for w in (scolour, "" if surface == "painted" else surface, stand) if w)
    finish = " with water droplets" if studio.get("finish") == "droplets" else ""
    return (f"studio packshot: a stand-in {colour + ' ' if colour else ''}{product}{finish} on a {on} before a "
            f"{studio.get('backdrop', 'white')} seamless backdrop, {studio.get('light', 'soft')} light")
