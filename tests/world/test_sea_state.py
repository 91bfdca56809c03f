"""How the sea runs, read from the prompt: calm, surf (big waves, breakers, surfers) or rough (a storm), drawn by
water.frag's breakers, swash and whitecaps; surfers are noted as not honoured (the world has no figures)."""

from __future__ import annotations

from oyster_nodes.types import Prompt
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.renderer import SEA_WAVES, sea_of


def spec(text: str):
    return spec_from_prompt(Prompt(text=text), None)


def test_sea_state_words_are_read_beside_their_sea() -> None:
    assert spec("a calm sea by a sandy beach").modifiers.get("sea") == "calm"
    assert spec("big waves rolling onto a sandy beach").modifiers.get("sea") == "surf"
    assert spec("a rough grey sea crashing on a rocky beach").modifiers.get("sea") == "rough"
    assert "sea" not in spec("a road high above the sea").modifiers  # "high" is the road's, not the sea's
    assert "sea" not in spec("a sandy beach by the sea").modifiers  # the everyday run


def test_a_storm_over_the_sea_runs_it_rough_and_outranks_a_grey_sky() -> None:
    s = spec("a lighthouse on a rocky headland in a storm, waves crashing")
    assert s.modifiers.get("sea") == "rough" and s.weather == "storm"
    assert spec("a rough grey sea on a rocky beach in a storm").weather == "storm"


def test_surfers_are_surf_and_noted_not_honoured_never_a_vehicle() -> None:
    s = spec("surfers riding big waves at a tropical beach at sunset")
    assert s.modifiers.get("sea") == "surf"
    assert not s.props.get("vehicles")
    assert any("not honoured" in n and "surfers" in n for n in s.notes)
    assert not any("not understood" in n and "riding" in n for n in s.notes)


def test_the_sea_state_scales_the_waves() -> None:
    calm, usual, surf, rough = (sea_of({"modifiers": {"sea": v}} if v else {}) for v in ("calm", None, "surf", "rough"))
    assert calm < usual < surf < rough
    assert usual == SEA_WAVES[None]


def test_a_lagoon_with_palms_is_the_seas_behind_a_beach_one_in_the_mountains_a_lake() -> None:
    s = spec("a calm turquoise lagoon with palm trees and a wooden jetty")
    assert s.shore == "coast" and s.water == ["ocean"] and s.modifiers.get("sea") == "calm"
    assert spec("a lagoon in the mountains").water == ["lake"]


def test_a_harbours_basin_is_sheltered_from_a_storms_surf() -> None:
    from oyster_nodes.world.render.renderer import SEA_WAVES, sea_of

    rough = {"modifiers": {"sea": "rough"}}
    assert sea_of(rough) == SEA_WAVES["rough"]
    assert sea_of({**rough, "structures": {"harbour": 1}}) == SEA_WAVES[None]
