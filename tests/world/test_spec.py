"""Prompt understanding: counts, negation, relations, unknown words, empty prompts, spec JSON."""

from __future__ import annotations

import json

import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.prompt.embed import Encoder, load_encoder
from oyster_nodes.world.prompt.spec import SPEC_VERSION, SpecError, WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder()


def parse(text: str, encoder: Encoder | None, negative: str = "") -> WorldSpec:
    return spec_from_prompt(Prompt(text=text, negative=negative, seed=5), encoder)


def test_counts_and_relation(encoder: Encoder) -> None:
    spec = parse("three cabins by the lake, snowy mountains at dusk", encoder)
    assert spec.structures["cabin"] == 3
    assert spec.terrain == "mountains"
    assert "lake" in spec.water
    assert {"subject": "cabin", "relation": "near", "object": "lake"} in spec.relations
    assert spec.time_of_day == "dusk" and spec.season == "winter"
    assert any(m["concept"] == "cabin" and m["score"] == 1.0 for m in spec.matches)


def test_digits_plurals_and_singular(encoder: Encoder) -> None:
    spec = parse("2 towers, a lighthouse and some cars", encoder)
    assert spec.structures["tower"] == 2
    assert spec.structures["lighthouse"] == 1
    assert spec.props["vehicles"] == 3
    assert spec.shore == "coast" and "ocean" in spec.water


def test_negation_and_negative_prompt(encoder: Encoder) -> None:
    spec = parse("rolling hills with no trees and no houses, a river", encoder, negative="flowers")
    for kind in ("conifers", "broadleaf", "flowers"):
        assert kind not in spec.vegetation
        assert kind in spec.excluded
    assert "house" not in spec.structures
    assert "river" in spec.water
    assert spec.vegetation.get("grass", 0) > 0


def test_without_scope_ends_at_and(encoder: Encoder) -> None:
    spec = parse("a valley without roads and a village", encoder)
    assert spec.structures.get("village") == 1
    assert "road" in spec.excluded and "road" not in spec.structures


def test_embedding_maps_synonyms(encoder: Encoder) -> None:
    spec = parse("a bungalow below the crags", encoder)
    assert spec.structures.get("cabin") == 1
    assert spec.terrain == "mountains"
    sources = {m["text"]: m["source"] for m in spec.matches}
    assert sources["bungalow"] == "embedding"


def test_unknown_words_never_fail(encoder: Encoder) -> None:
    spec = parse("purple dragons and quantum spaghetti", encoder)
    assert spec.terrain == "hills"
    assert any("not understood" in n and "spaghetti" in n for n in spec.notes)


def test_empty_prompt_gives_default_world() -> None:
    spec = parse("   ", None)
    assert spec.terrain == "hills" and spec.weather == "clear"
    assert any(n.startswith("empty prompt") for n in spec.notes)


def test_lexical_only_mode() -> None:
    spec = parse("a desert canyon with a few cacti, two trucks, no trees", None)
    assert spec.terrain == "canyon"
    assert spec.props["vehicles"] == 2
    assert "cactus" in spec.vegetation and "conifers" not in spec.vegetation


def test_json_round_trip(encoder: Encoder) -> None:
    spec = parse("volcanic island with palms and a village at night, heavy rain", encoder)
    again = WorldSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(spec.to_json())["version"] == SPEC_VERSION
    meta, arrays = spec.to_record()
    assert WorldSpec.from_record(meta, arrays) == spec and arrays == {}


def test_overrides_merge_and_validate() -> None:
    spec = parse("three cabins by the lake", None)
    edited = spec.with_overrides({"structures": {"cabin": 5, "tower": 1}, "time_of_day": "night"})
    assert edited.structures["cabin"] == 5 and edited.structures["tower"] == 1
    assert edited.clock_h == 23.0
    with pytest.raises(SpecError, match=r"structures\.cabin"):
        spec.with_overrides({"structures": {"cabin": -1}})
    with pytest.raises(SpecError, match="'terrain'"):
        spec.with_overrides({"terrain": "moon"})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"version": 99}, "version"),
        ({"colour": "red"}, "colour"),
        ({"vegetation": {"conifers": 2.0}}, "vegetation.conifers"),
        ({"water": ["lava"]}, "water"),
        ({"relations": [{"subject": "cabin"}]}, "relations[0]"),
        ({"clock_h": 30}, "clock_h"),
    ],
)
def test_invalid_specs_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(SpecError, match=field.replace("[", r"\[").replace("]", r"\]")):
        WorldSpec.from_json(data)
    with pytest.raises(SpecError):
        WorldSpec.from_json("[1, 2")


def test_colour_and_dryness_adjectives_do_not_set_palette_or_weather(encoder):
    spec = spec_from_prompt(
        Prompt(text="a tropical island with white beaches in a turquoise ocean and a dry riverbed"), encoder
    )
    assert spec.palette == "natural"
    assert spec.weather == "clear"


def test_a_ruined_building_is_one_ruin_and_an_abandoned_one_stands() -> None:
    for text in ("a ruined castle on a hill", "ruins of an old fortress above the sea", "a ruined tower"):
        spec = spec_from_prompt(Prompt(text=text), None)
        assert spec.structures.get("ruins") == 1 and "tower" not in spec.structures, text
        assert any("not a tower beside it" in n for n in spec.notes), text
    spec = spec_from_prompt(Prompt(text="an abandoned cabin at the edge of a forest"), None)
    assert spec.structures.get("cabin") == 1 and "ruins" not in spec.structures
    spec = spec_from_prompt(Prompt(text="old ruins and a stone tower"), None)
    assert spec.structures.get("ruins") and spec.structures.get("tower")


def test_morning_mist_and_early_morning_are_early_light() -> None:
    for text in ("morning mist over a river", "three cabins by a lake, early morning", "a misty morning by a lake"):
        spec = spec_from_prompt(Prompt(text=text), None)
        assert spec.time_of_day == "dawn" and spec.clock_h < 8.0, text
    assert spec_from_prompt(Prompt(text="a bright morning over hills"), None).time_of_day == "morning"
