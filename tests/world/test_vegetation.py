"""The kinds of plants the words ask for appear, with the look they ask for (birch, blossom, palms by the sea)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from oyster_nodes.types import Prompt
from oyster_nodes.world.generate.world import GenerateConfig, generate_world
from oyster_nodes.world.prompt.understand import spec_from_prompt
from oyster_nodes.world.render.meshes import LEAF, Mesh, instance_card, instance_mesh, tree_look
from oyster_nodes.world.state.world_state import INSTANCE_KINDS, WorldState

SMALL = GenerateConfig(size_m=384.0, cell_m=1.5)


def world(text: str, seed: int = 5) -> WorldState:
    return generate_world(spec_from_prompt(Prompt(text=text), None), seed, SMALL)


def count(w: WorldState, kind: str) -> int:
    return int((w.inst_kind == INSTANCE_KINDS.index(kind)).sum())


def test_snowy_birch_forest_has_broadleaf_trees_in_the_snow() -> None:
    w = world("a quiet birch forest in deep winter snow")
    assert w.spec["season"] == "winter"
    birches, conifers = count(w, "broadleaf"), count(w, "conifer")
    assert birches > 300 and birches > 3 * conifers
    assert w.spec["modifiers"]["trees"] == "birch"


def test_palms_crowd_a_tropical_beach() -> None:
    w = world("a tropical beach with palm trees by the sea")
    palm = w.inst_kind == INSTANCE_KINDS.index("palm")
    sea = np.isfinite(w.water_hw) & (w.height_hw < 0)
    dist = ndimage.distance_transform_edt(~sea) * w.cell_m
    ij = np.clip(np.round(w.inst_xyz[palm, 1::-1] / w.cell_m).astype(int), 0, w.n - 1)
    d = dist[ij[:, 0], ij[:, 1]]
    land = ~np.isfinite(w.water_hw)
    band = ((dist > 0) & (dist < 80.0) & land).sum() * w.cell_m**2
    inland = ((dist >= 80.0) & land).sum() * w.cell_m**2
    near, far = (d < 80.0).sum() / (band / 1e4), (d >= 80.0).sum() / (inland / 1e4)
    # palms per hectare: they line the shore (behind the open sand by the water), not the land inland
    assert near > 20.0 and near > 5.0 * far


def test_blossom_colours_the_broadleaf_leaves_pink() -> None:
    spec = spec_from_prompt(Prompt(text="an orchard of cherry trees in bloom"), None).to_dict()
    look = tree_look(spec)
    assert look == "blossom"
    for mesh in (instance_mesh("broadleaf", 0, look), instance_mesh("broadleaf", 1, look),
                 instance_card("broadleaf", look)):
        leaves = mesh.col[mesh.part == 1.0]
        assert len(leaves) and (leaves[:, 0] > 2 * leaves[:, 1]).all()  # red over green: pink, not green
    plain = instance_mesh("broadleaf", 0, tree_look({}))
    assert np.allclose(plain.col[plain.part == 1.0], LEAF)


def test_birch_bark_is_pale_and_winter_crowns_are_bare() -> None:
    birch = instance_mesh("broadleaf", 0, "birch")
    bark = birch.col[birch.part == 0.0]
    assert bark.mean() > 0.5
    look = tree_look(spec_from_prompt(Prompt(text="a quiet birch forest in deep winter snow"), None).to_dict())
    assert look == "birch_winter"
    for lod in (0, 1):  # limbs and twigs of the white bark, no crown mass of any colour (no dark blobs)
        bare, leafy = instance_mesh("broadleaf", lod, look), instance_mesh("broadleaf", lod, "birch")
        assert not (bare.part == 1.0).any() and (bare.col.mean(axis=1) > 0.6).all()
        assert _crown_area(bare) < 0.25 * _crown_area(leafy)
    card = instance_card("broadleaf", look)
    assert not (card.part == 1.0).any() and (card.col.mean(axis=1) > 0.6).all()


def _crown_area(mesh: Mesh) -> float:
    """Surface (m^2) of a tree mesh's triangles above its lower trunk."""
    tri = mesh.pos.reshape(-1, 3, 3).astype(np.float64)
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return float(area[tri[:, :, 2].mean(axis=1) > 4.0].sum())


def test_trees_have_trunk_limbs_and_several_leaf_masses_within_budget() -> None:
    tree = instance_mesh("broadleaf", 0)
    bark_z = tree.pos[tree.part == 0.0, 2]
    leaf = tree.pos[tree.part == 1.0]
    assert bark_z.max() > 5.0  # limbs reach up into the crown
    spread = np.hypot(leaf[:, 0], leaf[:, 1])
    assert spread.max() > 3.5 and tree.triangles <= 160
    assert instance_mesh("conifer", 0).triangles <= 100
    assert instance_mesh("broadleaf", 1).triangles <= 16 and instance_mesh("conifer", 1).triangles <= 16


def test_autumn_words_give_an_autumn_world() -> None:
    w = world("golden trees on gentle hills")
    assert w.spec["season"] == "autumn" and w.spec["time_of_day"] != "golden_hour"
    assert count(w, "broadleaf") > 50


def test_conifers_stay_green_in_an_autumn_world() -> None:
    spec = spec_from_prompt(Prompt(text="an autumn valley of oaks and pines"), None).to_dict()
    look = tree_look(spec)
    assert spec["season"] == "autumn" and look == "autumn"
    for mesh in (instance_mesh("conifer", 0, look), instance_mesh("conifer", 1, look), instance_card("conifer", look)):
        assert not (mesh.part == 1.0).any()  # the renderer tints foliage parts in autumn; needles are not tinted
    assert (instance_mesh("conifer", 0).part == 1.0).any() and (instance_mesh("broadleaf", 0, look).part == 1.0).any()


def test_a_named_forest_has_ground_cover() -> None:
    spec = spec_from_prompt(Prompt(text="a dense pine forest in the mountains"), None)
    assert spec.vegetation["shrubs"] >= 0.35 and spec.vegetation["grass"] >= 0.5
    bare = spec_from_prompt(Prompt(text="a dense pine forest in the mountains, no shrubs"), None)
    assert "shrubs" not in bare.vegetation
    w = generate_world(spec, 3, SMALL)
    biome = generate_world(spec.with_overrides({"vegetation": {"shrubs": 0.2}}), 3, SMALL)  # the mountains' own
    assert count(w, "shrub") > 1.4 * count(biome, "shrub")


def _flat_normals(mesh) -> np.ndarray:
    tri = mesh.pos.reshape(-1, 3, 3).astype(np.float64)
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return np.repeat(n / np.linalg.norm(n, axis=1, keepdims=True), 3, axis=0)


def test_near_crowns_shade_as_soft_masses_and_conifer_tiers_are_ragged() -> None:
    for kind in ("broadleaf", "conifer"):
        tree = instance_mesh(kind, 0)
        leaf = tree.part == 1.0
        # the leaves' normals follow the mass, not each facet: most differ from their triangle's own
        facet = np.sum(tree.nrm[leaf] * _flat_normals(tree)[leaf], axis=1)
        assert np.mean(facet < 0.97) > 0.6, kind
    conifer = instance_mesh("conifer", 0)
    tips = conifer.pos[(conifer.part == 1.0) & (conifer.pos[:, 2] < 1.7)]
    reach = np.hypot(tips[:, 0], tips[:, 1])
    assert reach.max() > 1.3 * np.percentile(reach[reach > 0.5], 10)  # long branch tips between shorter ones


def test_shrubs_are_rounded_soft_masses_near_and_far() -> None:
    from oyster_nodes.world.render.meshes import SHRUB_CARD_FRONT_M

    near, far, card = instance_mesh("shrub", 0), instance_mesh("shrub", 1), instance_card("shrub")
    assert card is not None and card.triangles < far.triangles < near.triangles <= 1600
    for mesh in (near, far):
        leaves = mesh.part == 1.0
        # shaded soft: the vertex normals are not the facets' (a faceted blob's would be)
        assert np.mean(np.sum(mesh.nrm[leaves] * _flat_normals(mesh)[leaves], axis=1)) < 0.97
        # rounded, not a pyramid: as wide half-way up as near the foot, and the top is not a point
        pos = mesh.pos[leaves]
        r = np.hypot(pos[:, 0], pos[:, 1])
        assert r[(pos[:, 2] > 0.6) & (pos[:, 2] < 0.8)].max() > 0.6
        assert r[pos[:, 2] > 1.2].max() > 0.15
        # darker at the foot than on top
        low, high = mesh.col[leaves][pos[:, 2] < 0.4].mean(), mesh.col[leaves][pos[:, 2] > 1.0].mean()
        assert low < 0.75 * high
    assert (near.part == 0.0).any()  # woody stems under the leaves
    from oyster_nodes.world.render.meshes import instance_shadow_mesh

    caster = instance_shadow_mesh("shrub")  # the sun's shadow map sees a shrub's outline, not its small facets
    assert caster is not None and caster.triangles < far.triangles and instance_shadow_mesh("rock") is None
    assert np.allclose(card.pos[:, 0], SHRUB_CARD_FRONT_M) and np.allclose(np.linalg.norm(card.nrm, axis=1), 1.0,
                                                                           atol=1e-5)


def test_grass_tufts_fan_out_in_many_tapered_blades() -> None:
    near, far, card = instance_mesh("grass_tuft", 0), instance_mesh("grass_tuft", 1), instance_card("grass_tuft")
    assert card is not None and card.triangles < far.triangles < near.triangles <= 160
    tips = near.pos[:, 2] > 0.3
    assert np.hypot(near.pos[tips, 0], near.pos[tips, 1]).max() > 0.2  # the outer blades lean out
    feet, top = near.col[near.pos[:, 2] < 0.05].mean(axis=0), near.col[near.pos[:, 2] > 0.3].mean(axis=0)
    assert (top > 1.5 * feet).all()  # dark at the foot, light at the tips
    assert instance_mesh("grass_tuft", 0).pos.tobytes() == near.pos.tobytes()  # the same tuft every time


def test_no_shrubs_on_a_beach_but_scrub_in_a_sand_desert() -> None:
    from oyster_nodes.world.generate.terrain import MAT

    def on_sand(w: WorldState) -> tuple[int, int]:
        shrub = w.inst_kind == INSTANCE_KINDS.index("shrub")
        ij = np.clip(np.round(w.inst_xyz[shrub, 1::-1] / w.cell_m).astype(int), 0, w.n - 1)
        return int((w.material_hw[ij[:, 0], ij[:, 1]] == MAT["sand"]).sum()), int(shrub.sum())

    sand, shrubs = on_sand(world("a sandy beach with bushes behind it by the sea"))
    assert shrubs > 0 and sand == 0
    sand, shrubs = on_sand(world("sand dunes in a desert with scattered shrubs"))
    assert sand > 0
