"""Farms: crop fields in rows about the farm (wheat gold, rapeseed yellow), on tilled soil with the farmyard
clear, and the farm machines among the vehicle bodies (a tractor, a combine harvester)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.crops import BALES_PER_FIELD, crop_look, wants_bales
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.spec import WorldSpec
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.gpu_scene import VEGETATION
from oyster_nodes.world.render.meshes import (
    TYRE,
    VEHICLE_SIZES,
    instance_mesh,
    look_of,
    vehicle_body,
    vehicle_looks,
)
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, MATERIALS, WorldState

CROP, BALE, VEHICLE = (INSTANCE_KINDS.index(k) for k in ("crop", "hay_bale", "vehicle"))
TREES = [INSTANCE_KINDS.index(k) for k in ("conifer", "broadleaf", "palm", "dead_tree")]


def test_the_crop_a_prompt_names() -> None:
    assert crop_look("a red tractor parked beside a wooden barn in golden wheat fields at sunset") == "wheat"
    assert crop_look("a combine harvester in a barley field") == "wheat"
    assert crop_look("a farmhouse among yellow rapeseed fields in spring") == "rapeseed"
    assert crop_look("rows of tall corn behind a red barn") == "maize"
    assert crop_look("hay bales in a golden field at dusk") == "stubble"  # a mown field
    assert crop_look("a tractor ploughing a field") == "wheat"
    for none in ("an electric car on an empty road through green farmland", "a tractor on a city street",
                 "a medieval village with fences and a windmill", "a grain of sand on a beach"):
        assert crop_look(none) == "", none


def test_farm_machines_are_vehicle_bodies_of_their_own() -> None:
    assert vehicle_body("a red tractor parked beside a barn") == "tractor"
    assert vehicle_looks("a green combine harvester in a barley field") == [("green", "harvester")]
    assert vehicle_looks("a blue tractor and a red pickup") == [("blue", "tractor"), ("red", "pickup")]
    tractor = instance_mesh("vehicle", 0, "red:tractor")
    tyre = np.all(np.isclose(tractor.col, TYRE, atol=0.01), axis=1) & (np.abs(tractor.pos[:, 1]) > 0.65)
    rear, front = tyre & (tractor.pos[:, 0] < -0.3), tyre & (tractor.pos[:, 0] > 0.8)
    assert tractor.pos[rear, 2].max() > 1.5 * tractor.pos[front, 2].max()  # big rear wheels, small front ones
    for kind in ("tractor", "harvester"):
        m = instance_mesh("vehicle", 1, f"yellow:{kind}")
        size = m.pos.max(axis=0) - m.pos.min(axis=0)
        assert np.allclose(size, VEHICLE_SIZES[kind], rtol=0.12), (kind, size)


def test_crop_looks_differ_and_count_as_vegetation() -> None:
    assert "crop" in VEGETATION
    wheat, rape = instance_mesh("crop", 0, "wheat"), instance_mesh("crop", 0, "rapeseed")
    top_w, top_r = (m.col[m.pos[:, 2] > 0.9 * m.pos[:, 2].max()].mean(axis=0) for m in (wheat, rape))
    assert top_w[0] > top_w[1] > 2 * top_w[2]  # golden
    assert top_r[1] > 0.5 and top_r[2] < 0.1  # yellow
    assert look_of({"text": "a farmhouse among yellow rapeseed fields"}, "crop") == "rapeseed"


@pytest.fixture(scope="module")
def farm() -> WorldState:
    spec = spec_from_prompt(Prompt(text="a red tractor beside a wooden barn in golden wheat fields", seed=5), None)
    return generate_world(spec, 5, GenerateConfig(size_m=256.0))


def test_wheat_fields_lie_in_rows_about_the_farm_with_the_yard_clear(farm: WorldState) -> None:
    crops = farm.inst_kind == CROP
    assert crops.sum() > 1500
    xy = farm.inst_xyz[crops, :2].astype(np.float64)
    homes = np.array([[s.x, s.y] for s in farm.structures if s.kind != "road"], np.float64)
    assert len(homes)
    d = np.hypot(xy[:, None, 0] - homes[None, :, 0], xy[:, None, 1] - homes[None, :, 1]).min(axis=1)
    assert d.min() > 12.0 and np.percentile(d, 10) < 40.0  # about the farm, clear of its yard
    bearings = {round(math.degrees(float(a)) % 180.0) for a in farm.inst_yaw[crops]}
    assert len(bearings) == 2  # a patchwork: neighbouring fields' rows at right angles
    car = farm.inst_xyz[farm.inst_kind == VEHICLE]
    assert len(car) == 1 and np.hypot(*(car[0, :2] - homes[0])) < 14.0  # the tractor stands in the yard
    i, j = (np.clip(np.rint(xy[:, k] / farm.cell_m).astype(int), 0, farm.height_hw.shape[0] - 1) for k in (1, 0))
    assert np.mean(farm.material_hw[i, j] == MATERIALS.index("dirt")) > 0.9  # rows on tilled soil
    trees = np.isin(farm.inst_kind, TREES)
    tree_xy = farm.inst_xyz[trees, :2].astype(np.float64)
    near = np.hypot(tree_xy[:, None, 0] - xy[None, ::7, 0], tree_xy[:, None, 1] - xy[None, ::7, 1]).min(axis=1)
    assert (near < 1.0).sum() == 0  # no tree grows in a field


def test_no_crop_where_none_is_named() -> None:
    spec = WorldSpec(text="a farmhouse on green farmland", terrain="plains", structures={"houses": 1},
                     vegetation={"grass": 0.8})
    world = generate_world(spec, 5, GenerateConfig(size_m=256.0))
    assert not (world.inst_kind == CROP).any()


def test_the_farm_world_is_deterministic(farm: WorldState) -> None:
    again = generate_world(WorldSpec.from_json(farm.spec), 5, GenerateConfig(size_m=256.0))
    assert np.array_equal(again.inst_xyz, farm.inst_xyz) and np.array_equal(again.material_hw, farm.material_hw)


def test_hay_bales_lie_about_a_mown_field() -> None:
    assert wants_bales("round hay bales in a meadow") and wants_bales("a haystack by the barn")
    assert not wants_bales("a wheat field at noon")
    spec = spec_from_prompt(Prompt(text="hay bales in a golden field at dusk", seed=2), None)
    world = generate_world(spec, 2, GenerateConfig(size_m=256.0))
    bales, crops = world.inst_kind == BALE, world.inst_kind == CROP
    assert 4 * BALES_PER_FIELD <= bales.sum() <= 16 * BALES_PER_FIELD and crops.sum() > 1500
    crop_xy = world.inst_xyz[crops, :2].astype(np.float64)
    for p in world.inst_xyz[bales][:20].astype(np.float64):
        assert np.hypot(*(crop_xy - p[:2]).T).min() < 1.0  # on the field
    bale = instance_mesh("hay_bale", 0)
    ext = bale.pos.max(axis=0) - bale.pos.min(axis=0)
    assert ext[2] == pytest.approx(1.5, abs=0.05) and ext[1] == pytest.approx(1.22, abs=0.05)  # lying on its side
    stubble, wheat = instance_mesh("crop", 0, "stubble"), instance_mesh("crop", 0, "wheat")
    assert stubble.pos[:, 2].max() < 0.5 * wheat.pos[:, 2].max()
