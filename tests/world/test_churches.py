"""Churches and chapels: read from their words, sized by them, built of the named material, standing at a
village's middle, with arched windows that light up at night."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate import structures as st
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render import meshes


def read(text: str):
    return spec_from_prompt(Prompt(text=text), None)


@pytest.mark.parametrize("text", ["a stone chapel on a hill", "a village church with a steeple",
                                  "a white church by a fjord", "a gothic cathedral", "a monastery in the mountains",
                                  "a church with a tall spire"])
def test_church_words_name_a_church_and_no_tower(text: str) -> None:
    s = read(text)
    assert s.structures.get("church") == 1 and "tower" not in s.structures, (text, s.structures)


def test_towers_castles_temples_and_ruined_abbeys_stay_what_they_were() -> None:
    assert "tower" in read("a castle on a cliff").structures
    assert "tower" in read("a stone watchtower").structures
    assert read("an ancient temple in the jungle").structures == {"ruins": 1}
    assert read("a ruined abbey on a moor").structures == {"ruins": 1}
    assert "church" in read("no buildings, a church").excluded


def test_a_church_takes_the_named_material() -> None:
    assert read("a white church by a fjord").modifiers["building"] == "white"
    s = read("a stone church beside wooden cabins")
    assert s.modifiers["building.church"] == "stone" and s.modifiers["building.cabin"] == "wood"


def test_chapels_are_small_and_cathedrals_great() -> None:
    assert st.church_scale("a small chapel by a lake") < st.CHAPEL_BELOW < 1.0 == st.church_scale("a church")
    assert st.church_scale("a cathedral city") > 1.0


def test_a_village_church_stands_at_its_middle_of_stone() -> None:
    w = generate_world(read("an old stone church in a village"), 3, GenerateConfig(size_m=512.0, cell_m=2.0))
    church = [s for s in w.structures if s.kind == "church"]
    houses = np.array([[s.x, s.y] for s in w.structures if s.kind == "house"])
    assert len(church) == 1 and len(houses) >= 8
    c = church[0]
    assert c.material == "stone" and abs(c.yaw) <= st.CHURCH_YAW_JITTER + 1e-6
    middle = houses.mean(axis=0)
    assert math.hypot(c.x - middle[0], c.y - middle[1]) < 70.0


@pytest.mark.parametrize("w,d,h", [(24.0, 10.0, 28.0), (24.0 * 0.62, 6.2, 17.4), (34.8, 14.5, 40.6)])
def test_a_church_has_arched_windows_and_stands_within_its_footprint(w: float, d: float, h: float) -> None:
    m = meshes.merge(meshes._church(w, d, h, (0.4, 0.38, 0.33)))
    windows = m.part == meshes.FACADE
    assert windows.sum() >= 3 * 2 * 2 * 12  # a few windows a side, each a fan of triangles
    assert np.all(np.floor(m.col[windows, 2] + 0.5) == meshes.CHURCH_WINDOW)
    spring = (m.col[windows, 2] - meshes.CHURCH_WINDOW) / meshes.CHURCH_SPRING_CODE
    assert spring.min() > 0.0 and spring.max() < 1.0
    assert m.pos[:, 2].max() <= h + 1e-3 and np.all(np.abs(m.pos[:, 0]) <= w / 2 + 1.0)
    assert np.all(np.abs(m.pos[:, 1]) <= max(d / 2 + 0.6, 0.95 * d + 0.6))


def test_a_ruined_abbey_is_a_churchs_roofless_shell() -> None:
    assert st.RUINED_CHURCH.search("a ruined abbey on a moor") and st.RUINED_CHURCH.search("the ruins of an old chapel")
    assert st.RUINED_CHURCH.search("abbey ruins in fog") and not st.RUINED_CHURCH.search("a ruined castle")
    w = generate_world(read("a ruined abbey on a moor"), 1, GenerateConfig(size_m=256.0))
    ruin = next(s for s in w.structures if s.kind == "ruins")
    assert (ruin.w, ruin.d, ruin.h) == st.RUINED_CHURCH_SIZE and ruin.roof == "gable"
    other = generate_world(read("a ruined castle on a moor"), 1, GenerateConfig(size_m=256.0))
    assert next(s for s in other.structures if s.kind == "ruins").roof == "none"
    assert meshes.structure_mesh(ruin).triangles > 0
