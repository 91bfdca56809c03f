"""Animals: read from the prompt with their counts and coats, placed as herds on open gentle ground (exactly as many
as asked, never in water, in the paddock a fence makes), drawn as bodies of their own semantic class, framed as
the still's subject and exported to GLB."""

from __future__ import annotations

import json
import math
import struct

import cv2
import numpy as np
import pytest

from oyster_nodes.io.exporters.glb import GlbOptions, world_glb
from oyster_nodes.types import Prompt
from oyster_nodes.world.camera.framing import frame_shot
from oyster_nodes.world.generate.herds import HABITS, SPECIES_KIND
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import SPEC_VERSION, SpecError, WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.animals import animal_looks
from oyster_nodes.world.render.meshes import instance_mesh
from oyster_nodes.world.state.world_state import ANIMAL_KINDS, INSTANCE_KINDS, SEMANTIC_CLASSES, WorldState

SMALL = GenerateConfig(size_m=256.0)
ANIMAL_IDS = [INSTANCE_KINDS.index(k) for k in ANIMAL_KINDS]


def read(text: str) -> WorldSpec:
    return spec_from_prompt(Prompt(text=text), None)


@pytest.mark.parametrize(("text", "animals"), [
    ("three horses by a wooden fence at sunset", {"horses": 3}),
    ("a herd of cows in a meadow", {"cattle": 12}),
    ("a flock of sheep on a misty moor", {"sheep": 24}),
    ("sheep grazing on a hill", {"sheep": 14}),
    ("a lone stag in a glen", {"deer": 1}),
    ("two brown horses and a black sheep", {"sheep": 1, "horses": 2}),
    ("a flock of sheep and a black ram", {"sheep": 25}),
    ("goats on a rocky hillside", {"goats": 7}),
    ("geese by the river", {"ducks": 6}),
    ("a farm with a red barn", {}),
])
def test_animals_and_their_counts(text: str, animals: dict[str, int]) -> None:
    spec = read(text)
    assert spec.animals == animals
    assert not any(w in n for n in spec.notes for w in ("herd", "flock", "grazing"))  # read with the animals


def test_coats_are_the_animals_not_the_light_or_the_palette() -> None:
    black = read("black sheep grazing on a hillside")
    assert black.modifiers["sheep"] == "black" and black.time_of_day != "night"
    cows = read("black and white cows in a paddock")
    assert cows.modifiers["cattle"] == "patched" and cows.palette == "natural"
    assert read("a white horse on a beach").modifiers["horses"] == "white"
    assert read("a herd of highland cattle in a valley").modifiers["cattle"] == "red"
    assert animal_looks(black.to_dict(), "sheep")[0].startswith("black:")
    assert {look.split(":")[0] for look in animal_looks(read("cows in a field").to_dict(), "cow")} >= {"patched", "brown"}


def test_every_coat_named_for_a_species_is_in_its_herd() -> None:
    from oyster_nodes.world.render.gpu_scene import _look_groups

    coats = {look.split(":")[0] for look in animal_looks(read("black and brown cows in a meadow").to_dict(), "cow")}
    assert coats == {"black", "brown"}
    assert {look.split(":")[0] for look in animal_looks(read("black and white cows").to_dict(), "cow")} == {"patched"}
    spec = read("a black horse and a white horse in a paddock")
    world = generate_world(spec, 5, GenerateConfig(size_m=512.0))
    horse = INSTANCE_KINDS.index("horse")
    groups = [look.split(":")[0] for k, members, look in _look_groups(world, world.inst_kind.astype(np.int64))
              if k % 1000 == horse for _ in members]
    assert sorted(groups) == ["black", "white"]  # one of each, as asked


def test_animals_the_world_cannot_hold_are_noted_and_none_are_excluded() -> None:
    spec = read("a dog and two cats on a lawn")
    assert spec.animals == {}
    assert any("not honoured: 'dog'" in n for n in spec.notes) and any("'cats'" in n for n in spec.notes)
    assert set(read("a farm with a barn, no animals").excluded) >= {"sheep", "cattle", "horses"}
    ducks = read("ducks on the grass")
    assert ducks.water == ["lake"] and any("ducks" in n for n in ducks.notes)


def test_the_spec_holds_animals_editably_and_reads_version_1() -> None:
    spec = read("two horses in a field")
    doc = json.loads(spec.to_json())
    assert doc["version"] == SPEC_VERSION == 2 and doc["animals"] == {"horses": 2}
    assert spec.with_overrides({"animals": {"horses": 5, "goats": 3}}).animals == {"horses": 5, "goats": 3}
    old = {k: v for k, v in doc.items() if k != "animals"} | {"version": 1}
    assert WorldSpec.from_json(old).animals == {} and WorldSpec.from_json(old).version == 2
    with pytest.raises(SpecError, match="animals.unicorns"):
        WorldSpec.from_json(doc | {"animals": {"unicorns": 2}})
    with pytest.raises(SpecError, match="animals.sheep"):
        WorldSpec.from_json(doc | {"animals": {"sheep": -1}})


@pytest.fixture(scope="module")
def paddock() -> WorldState:
    return generate_world(read("three horses and a flock of sheep in a paddock on a gentle hill by a lake"), 4)


def test_herds_are_exactly_as_many_as_asked_on_dry_gentle_ground(paddock: WorldState) -> None:
    kinds = paddock.inst_kind
    assert int((kinds == INSTANCE_KINDS.index("horse")).sum()) == 3
    assert int((kinds == INSTANCE_KINDS.index("sheep")).sum()) == 24
    for kind in ("horse", "sheep"):
        at = kinds == INSTANCE_KINDS.index(kind)
        xy = paddock.inst_xyz[at, :2].astype(np.float64)
        ij = np.round(xy / paddock.cell_m).astype(int)
        assert not np.isfinite(paddock.water_hw[ij[:, 1], ij[:, 0]]).any()  # none in the water
        gy, gx = np.gradient(paddock.height_hw, paddock.cell_m)
        assert (np.hypot(gx, gy)[ij[:, 1], ij[:, 0]] <= HABITS[kind].max_slope + 0.05).all()
        gaps = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)) + np.eye(len(xy)) * 1e3
        assert gaps.min() >= HABITS[kind].spacing_m - 1e-6  # grazing apart, not stacked
        z = np.array([paddock.height_at(float(x), float(y)) for x, y in xy])
        assert np.allclose(paddock.inst_xyz[at, 2], z, atol=0.05)
    yaw = paddock.inst_yaw[kinds == INSTANCE_KINDS.index("sheep")].astype(np.float64)
    assert np.hypot(np.cos(yaw).mean(), np.sin(yaw).mean()) < 0.95  # facing varied


def test_a_fenced_paddock_holds_its_herd(paddock: WorldState) -> None:
    fence = paddock.inst_xyz[paddock.inst_kind == INSTANCE_KINDS.index("fence"), :2].astype(np.float32)
    assert len(fence) >= 6
    hull = cv2.convexHull(fence)
    horses = paddock.inst_xyz[paddock.inst_kind == INSTANCE_KINDS.index("horse"), :2]
    inside = [cv2.pointPolygonTest(hull, (float(x), float(y)), False) > 0 for x, y in horses]
    assert all(inside)


def test_the_same_spec_and_seed_give_the_same_herds_and_other_stages_are_untouched() -> None:
    spec = read("cows grazing on rolling hills")
    a, b = generate_world(spec, 9, SMALL), generate_world(spec, 9, SMALL)
    assert np.array_equal(a.inst_xyz, b.inst_xyz) and np.array_equal(a.inst_var, b.inst_var)
    plain = generate_world(WorldSpec.from_json(spec.to_dict() | {"animals": {}}), 9, SMALL)
    trees = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf")]
    assert np.array_equal(a.inst_xyz[np.isin(a.inst_kind, trees)], plain.inst_xyz[np.isin(plain.inst_kind, trees)])
    assert np.array_equal(a.height_hw, plain.height_hw)


def test_ducks_float_on_the_water() -> None:
    world = generate_world(read("ducks on a pond in a meadow"), 2, SMALL)
    at = world.inst_kind == INSTANCE_KINDS.index("duck")
    assert int(at.sum()) == 6
    ij = np.round(world.inst_xyz[at, :2] / world.cell_m).astype(int)
    level = world.water_hw[ij[:, 1], ij[:, 0]]
    assert np.isfinite(level).all() and np.allclose(world.inst_xyz[at, 2], level, atol=0.1)


def test_every_species_has_a_recognisable_build() -> None:
    size = {k: instance_mesh(k, 0, animal_looks({}, k)[0]) for k in ANIMAL_KINDS}
    tall = {k: float(m.pos[:, 2].max()) for k, m in size.items()}
    long = {k: float(np.ptp(m.pos[:, 0])) for k, m in size.items()}
    assert tall["horse"] > tall["cow"] > tall["sheep"] > tall["duck"] and long["cow"] > 2.0 > long["sheep"]
    for k, m in size.items():
        far = instance_mesh(k, 1, animal_looks({}, k)[0])
        assert far.triangles < m.triangles <= 700, k  # a level of detail like the other instances
        assert m.pos[:, 2].min() >= -0.15  # standing on the ground (a duck a little in the water)
    horse = size["horse"]
    legs = horse.pos[horse.pos[:, 2] < 0.5]
    assert np.ptp(legs[:, 0]) > 1.0  # fore and hind legs apart: a long body on long legs
    stag, doe = (instance_mesh("deer", 0, look) for look in ("red:0:stag", "red:0"))
    assert stag.pos[:, 2].max() > doe.pos[:, 2].max() + 0.3  # antlers
    patched = instance_mesh("cow", 0, "patched:0").col
    assert (patched.max(axis=1) < 0.05).mean() > 0.08 and (patched.min(axis=1) > 0.4).mean() > 0.3  # black on white


def test_the_still_frames_the_herd_and_the_semantic_pass_shows_animals(renderer) -> None:
    world = generate_world(read("two horses by a wooden fence at sunset"), 1, SMALL)
    shot = frame_shot(world, width=320, height=180)
    assert shot.subject.kind == "animals" and "2 horses" in shot.subject.label
    x, y, z = shot.camera.position
    d = shot.subject.centre - np.array([x, y, z])
    down = math.degrees(math.atan2(-d[2], math.hypot(d[0], d[1])))
    base = float(shot.subject.centre[2] - 0.6 * shot.subject.height_m)
    assert z - base < 10.0 and down < 20.0  # at eye level or a little above the herd, not from the air
    img = renderer.render(world, shot.camera)
    animal = img.semantic_hw == SEMANTIC_CLASSES.index("animal")
    assert animal.mean() > 0.004
    ids = img.instance_hw[animal].astype(np.int64)
    assert np.isin(world.inst_kind[ids - 1], ANIMAL_IDS).all()  # the animal pixels are the animals' own ids
    rows = np.nonzero(animal.any(axis=1))[0]
    assert (rows.max() - rows.min()) / 180 >= 0.06  # tall enough to read
    assert not animal[:, :3].any() or not animal[:, -3:].any()  # in frame, not cut off on both sides


def test_glb_export_carries_the_herds() -> None:
    world = generate_world(read("goats and sheep on a hillside"), 3, SMALL)
    data, _ = world_glb(world, options=GlbOptions(instancing="nodes", texture_px=64), workflow_json="{}")
    size = struct.unpack("<I", data[12:16])[0]
    doc = json.loads(data[20:20 + size])
    names = {m.get("name") for m in doc["meshes"]}
    assert {"goat", "sheep"} <= names
    placed = [n for n in doc["nodes"] if n.get("mesh") is not None and doc["meshes"][n["mesh"]]["name"] == "goat"]
    assert len(placed) == int((world.inst_kind == INSTANCE_KINDS.index("goat")).sum()) == 7
    assert all(math.isfinite(v) for n in placed for v in n.get("translation", [0.0]))
    assert set(SPECIES_KIND.values()) == set(ANIMAL_KINDS)


def test_a_lake_in_front_of_a_castle_puts_the_castle_by_the_lake() -> None:
    spec = read("swans on a calm lake in front of a castle")
    assert spec.animals == {"ducks": 6} and {"subject": "tower", "relation": "near", "object": "lake"} in spec.relations
    assert animal_looks(spec.to_dict(), "duck")[0].endswith(":swan")
    assert {"subject": "cabin", "relation": "near", "object": "lake"} in read("a cabin in front of a lake").relations
