"""WorldSpec: what a world should contain, as editable, versioned, validated JSON.

A spec is produced from a prompt (see `understand.py`), can be corrected by hand (a JSON object
merged over it) and is the only input of generation besides the seed.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ...types import WireData
from . import concepts as cv
from . import studio as sw

#: 2: `animals` (species -> count) and a coat per species in `modifiers`; a version 1 spec reads as one with
#: no animals (see `migrate`)
SPEC_VERSION = 2


class SpecError(ValueError):
    """A spec that cannot be used; the message names the field and how to fix it."""


@dataclass(kw_only=True, slots=True)
class WorldSpec(WireData):
    """A world description: relief, shore, water, vegetation densities, structure counts, sky."""

    wire_name: ClassVar[str] = "WorldSpec"
    wire_color: ClassVar[str] = "#aed581"

    version: int = SPEC_VERSION
    text: str = ""
    negative: str = ""
    seed: int = 0
    style: str = "natural"
    #: relief biome, one of concepts.TERRAINS
    terrain: str = "hills"
    #: none | coast | island
    shore: str = "none"
    #: height multiplier of the relief, 0.2..3
    relief: float = 1.0
    #: water features present: ocean, lake, river, waterfall
    water: list[str] = field(default_factory=list)
    #: vegetation kind -> density 0..1
    vegetation: dict[str, float] = field(default_factory=dict)
    #: structure kind -> count ("road" and "fences": 0 or 1)
    structures: dict[str, int] = field(default_factory=dict)
    #: prop kind -> count
    props: dict[str, int] = field(default_factory=dict)
    #: animal species (concepts.ANIMALS) -> count: {"sheep": 24, "horses": 2}; their coats are modifiers
    #: ({"sheep": "black", "cattle": "patched"}); generate/herds.py places them
    animals: dict[str, int] = field(default_factory=dict)
    #: [{"subject": "cabin", "relation": "near", "object": "lake"}, ...]
    relations: list[dict[str, str]] = field(default_factory=list)
    #: concepts the prompt asked to leave out
    excluded: list[str] = field(default_factory=list)
    time_of_day: str = "afternoon"
    clock_h: float = 15.5
    weather: str = "clear"
    season: str = "summer"
    mood: str = "serene"
    palette: str = "natural"
    #: what a modifier said of a head class (concepts.MODIFIER_VALUES): {"sand": "black", "building": "stone",
    #: "river": "dry", "road": "winding", "trees": "blossom", "precipitation": "heavy", "shore": "cliffs", ...}
    modifiers: dict[str, str] = field(default_factory=dict)
    #: a studio set (prompt/studio.py STUDIO_CHOICES): {"product": "perfume_bottle", "stand": "plinth",
    #: "surface": "marble", "backdrop": "white", "light": "soft", ...}; {} for a world outdoors
    studio: dict[str, str] = field(default_factory=dict)
    #: a product named outdoors (prompt/studio.py PRODUCT_CHOICES): {"product": "bottle", "support": "wall",
    #: "support_surface": "stone", ...}; a stand-in shows it at its setting; {} when none is named
    product: dict[str, str] = field(default_factory=dict)
    #: what the prompt matched: [{"concept", "category", "score", "source", "text", "negated"}]
    matches: list[dict[str, Any]] = field(default_factory=list)
    #: what the parser decided on its own (defaults, ignored words, implied features)
    notes: list[str] = field(default_factory=list)

    # -- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.studio:  # absent rather than empty, so specs of worlds outdoors keep their hashes
            del out["studio"]
        if not self.product:
            del out["product"]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, data: str | dict[str, Any]) -> WorldSpec:
        """Parse and validate; raises SpecError naming the first bad field."""
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise SpecError(f"WorldSpec is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise SpecError(f"WorldSpec must be a JSON object, got {type(data).__name__}")
        return cls(**validate(data))

    def with_overrides(self, override: dict[str, Any]) -> WorldSpec:
        """A new spec with `override` merged in (objects merge key by key, lists are replaced)."""
        if not isinstance(override, dict):
            raise SpecError(f"a spec override must be a JSON object, got {type(override).__name__}")
        merged = self.to_dict()
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
                merged[key] = {k: v for k, v in merged[key].items() if v is not None}
            else:
                merged[key] = copy.deepcopy(value)
        if "time_of_day" in override and "clock_h" not in override:
            from ..state.sky import clock_for_time

            merged["clock_h"] = clock_for_time(str(merged["time_of_day"]), str(merged.get("season")))
        return WorldSpec.from_json(merged)

    @staticmethod
    def check_override(override: dict[str, Any]) -> None:
        """Raises SpecError for an override no spec can take (checked over the default spec)."""
        if override:
            WorldSpec().with_overrides(override)

    # -- WireData ------------------------------------------------------------------------------
    def to_record(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return self.to_dict(), {}

    @classmethod
    def from_record(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> WorldSpec:
        return cls.from_json(meta)

    def summary(self) -> str:
        if self.studio:
            return f"WorldSpec(studio, {self.studio.get('product', 'box')}, {self.studio.get('stand', 'plinth')})"
        parts = [self.terrain]
        if self.shore != "none":
            parts.append(self.shore)
        parts += self.water
        parts += [f"{n} {k}" for k, n in self.structures.items() if n and k not in ("road", "fences")]
        parts += [f"{n} {k}" for k, n in self.animals.items() if n]
        parts += [self.time_of_day, self.weather, self.season]
        return f"WorldSpec({', '.join(parts)})"

    def match_table(self) -> str:
        """One line per matched concept with its strength, for showing on the node."""
        lines = []
        for m in self.matches:
            sign = "-" if m.get("negated") else "+"
            lines.append(
                f"{sign} {m['category']}:{m['concept']} {m['score']:.2f} ({m['source']}: {m['text']!r})"
            )
        mods = [f"~ {head}: {value}" for head, value in self.modifiers.items()]
        return "\n".join(lines + mods + [f"note: {n}" for n in self.notes])


# ---------------------------------------------------------------------------------------------
# validation

_CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "style": cv.STYLES,
    "terrain": cv.TERRAINS,
    "shore": cv.SHORES,
    "time_of_day": cv.TIMES,
    "weather": cv.WEATHERS,
    "season": cv.SEASONS,
    "mood": cv.MOODS,
    "palette": cv.PALETTES,
}
_KNOWN = {f.name for f in fields(WorldSpec)}


def validate(data: dict[str, Any]) -> dict[str, Any]:
    """Checked, normalised keyword arguments for WorldSpec; raises SpecError naming the field."""
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise SpecError(
            f"WorldSpec field '{unknown[0]}' is unknown; known fields: {', '.join(sorted(_KNOWN))}"
        )
    out = dict(data)
    version = out.get("version", SPEC_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SpecError(f"WorldSpec field 'version': expects a whole number >= 1, got {version!r}")
    if version > SPEC_VERSION:
        raise SpecError(
            f"WorldSpec field 'version': {version} is newer than this program "
            f"understands ({SPEC_VERSION}); update Oyster Nodes"
        )
    out = migrate(out, version)
    for name in ("text", "negative"):
        out[name] = _text(out, name)
    out["seed"] = _int(out, "seed", 0, 2**63 - 1)
    for name, choices in _CHOICE_FIELDS.items():
        if name in out and out[name] not in choices:
            raise SpecError(
                f"WorldSpec field '{name}': must be one of {', '.join(choices)}; got {out[name]!r}"
            )
    out["relief"] = _number(out, "relief", 0.2, 3.0, 1.0)
    out["clock_h"] = _number(out, "clock_h", 0.0, 24.0, 15.5)
    out["water"] = _names(out, "water", cv.WATERS)
    out["excluded"] = _names(out, "excluded", tuple(c.name for c in cv.CONCEPTS))
    out["vegetation"] = _mapping(out, "vegetation", cv.VEGETATION, float)
    out["structures"] = _mapping(out, "structures", cv.STRUCTURES, int)
    out["props"] = _mapping(out, "props", cv.PROPS, int)
    out["animals"] = _mapping(out, "animals", cv.ANIMALS, int)
    out["modifiers"] = _modifiers(out)
    out["studio"] = _studio(out)
    out["product"] = _choices(out, "product", sw.PRODUCT_CHOICES, blank_is_unset=True)
    if out["product"] and "product" not in out["product"]:
        raise SpecError("WorldSpec field 'product': needs a 'product' (one of " + ", ".join(sw.PRODUCT_KINDS) + ")")
    out["relations"] = _relations(out)
    out["matches"] = _list_of_dicts(out, "matches")
    out["notes"] = [str(n) for n in _list(out, "notes")]
    return out


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """A spec of an older version as the current one: version 1 had no animals (its worlds have none)."""
    out = dict(data)
    if version < 2:
        if "animals" in out:
            raise SpecError("WorldSpec field 'animals' needs version 2 or later; got a version 1 spec with it "
                            "(drop 'version' or set it to 2)")
        out["animals"] = {}
    out["version"] = SPEC_VERSION
    return out


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise SpecError(f"WorldSpec field '{name}': expects text, got {type(value).__name__}")
    if len(value) > 10_000:
        raise SpecError(f"WorldSpec field '{name}': {len(value)} characters; the limit is 10000")
    return value


def _int(data: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = data.get(name, 0)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise SpecError(f"WorldSpec field '{name}': expects a whole number {lo}..{hi}, got {value!r}")
    return value


def _number(data: dict[str, Any], name: str, lo: float, hi: float, default: float) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"WorldSpec field '{name}': expects a number {lo:g}..{hi:g}, got {value!r}")
    if not lo <= value <= hi:
        raise SpecError(f"WorldSpec field '{name}': {value:g} is outside {lo:g}..{hi:g}")
    return float(value)


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise SpecError(f"WorldSpec field '{name}': expects a list, got {type(value).__name__}")
    return value


def _names(data: dict[str, Any], name: str, known: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for item in _list(data, name):
        if item not in known:
            raise SpecError(f"WorldSpec field '{name}': unknown entry {item!r}; known: {', '.join(known)}")
        if item not in out:
            out.append(item)
    return out


def _mapping(data: dict[str, Any], name: str, known: tuple[str, ...], kind: type) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise SpecError(f"WorldSpec field '{name}': expects an object, got {type(value).__name__}")
    out: dict[str, Any] = {}
    for key in known:  # vocabulary order, never the order of the input
        if key not in value:
            continue
        v = value[key]
        where = f"WorldSpec field '{name}.{key}'"
        if kind is float:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise SpecError(f"{where}: expects a density 0..1, got {v!r}")
            out[key] = float(v)
        else:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            hi = cv.MAX_COUNTS.get(key, 1)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
                raise SpecError(f"{where}: expects a whole number 0..{hi}, got {v!r}")
            out[key] = v
    extra = [k for k in value if k not in known]
    if extra:
        raise SpecError(f"WorldSpec field '{name}.{extra[0]}' is unknown; known: {', '.join(known)}")
    return out


def _choices(data: dict[str, Any], name: str, choices: dict[str, Any], *, blank_is_unset: bool = False) -> dict[str, str]:
    """An object field whose keys each take one of their listed values, in the vocabulary's order."""
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise SpecError(f"WorldSpec field '{name}': expects an object, got {type(value).__name__}")
    out: dict[str, str] = {}
    for key, allowed in choices.items():  # vocabulary order, never the order of the input
        if key not in value or (blank_is_unset and value[key] in (None, "")):
            continue
        if value[key] not in allowed:
            raise SpecError(f"WorldSpec field '{name}.{key}': must be one of {', '.join(allowed)}; "
                            f"got {value[key]!r}")
        out[key] = value[key]
    extra = [k for k in value if k not in choices]
    if extra:
        raise SpecError(f"WorldSpec field '{name}.{extra[0]}' is unknown; known: {', '.join(choices)}")
    return out


def _modifiers(data: dict[str, Any]) -> dict[str, str]:
    return _choices(data, "modifiers", cv.MODIFIER_VALUES)


def _studio(data: dict[str, Any]) -> dict[str, str]:
    out = _choices(data, "studio", sw.STUDIO_CHOICES, blank_is_unset=True)
    if out:
        out = {**{k: v for k, v in sw.DEFAULTS.items() if k not in out}, **out}
        out = {k: out[k] for k in sw.STUDIO_CHOICES if k in out}
    return out


def _relations(data: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    allowed = set(cv.RELATIONS.values())
    for i, rel in enumerate(_list(data, "relations")):
        where = f"WorldSpec field 'relations[{i}]'"
        if not isinstance(rel, dict) or set(rel) != {"subject", "relation", "object"}:
            raise SpecError(f"{where}: expects {{'subject', 'relation', 'object'}}, got {rel!r}")
        if rel["subject"] not in cv.BY_NAME or rel["object"] not in cv.BY_NAME:
            raise SpecError(f"{where}: subject and object must be concept names, got {rel!r}")
        if rel["relation"] not in allowed:
            raise SpecError(f"{where}: relation must be one of {', '.join(sorted(allowed))}")
        out.append({"subject": rel["subject"], "relation": rel["relation"], "object": rel["object"]})
    return out


def _list_of_dicts(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    items = _list(data, name)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise SpecError(f"WorldSpec field '{name}[{i}]': expects an object, got {item!r}")
    return items
