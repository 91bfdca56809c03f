"""A highrise's windows: every storey of every face has them, framed and divided in the shader; glass that
reflects the sky; some rooms lit at dusk and night, fixed per building (the same pixels every time)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from oyster_nodes.world.geometry.camera import Camera
from oyster_nodes.world.render.meshes import CURTAIN, FACADE, PUNCHED, SHOPFRONT, WINDOW_PITCH_M, structure_mesh
from oyster_nodes.world.render.renderer import Renderer
from oyster_nodes.world.state.records import Structure

from .shot_world import flat

GREY, DARK_GLASS = (0.62, 0.62, 0.6), (0.25, 0.3, 0.36)


def tower(color: tuple[float, float, float] = GREY, **kw: float) -> Structure:
    size = {"x": 50.0, "y": 125.0, "z": 10.0, "w": 30.0, "d": 20.0, "h": 41.0, **kw}
    return Structure(id="highrise-1", kind="highrise", yaw=0.0, color=color, roof="flat", material="concrete",
                     **size)  # type: ignore[arg-type]


def test_every_storey_of_every_face_has_windows() -> None:
    m = structure_mesh(tower())
    facade = m.part == FACADE
    storeys = int((41.0 - 1.2) / 3.4)
    style, storey = m.col[facade, 2], np.floor(m.col[facade, 1])
    assert set(np.unique(storey[style == PUNCHED]).tolist()) == set(range(1, storeys))
    assert set(np.unique(storey[style == SHOPFRONT]).tolist()) == {0}  # shops on the ground floor
    # each face's storeys hold their punched windows at the pitch (two triangles a window)
    front = facade & (m.nrm[:, 1] < -0.9) & (np.floor(m.col[:, 1]) == 3) & (m.col[:, 2] == PUNCHED)
    assert front.sum() // 6 == int((30.0 - 0.6) / WINDOW_PITCH_M)
    for axis, sign in ((0, -1), (0, 1), (1, -1), (1, 1)):
        assert (facade & (np.sign(m.nrm[:, axis]) == sign) & (np.abs(m.nrm[:, axis]) > 0.9)).any()
    glass = structure_mesh(tower(DARK_GLASS))
    styles = np.unique(glass.col[glass.part == FACADE, 2])
    assert CURTAIN in styles and PUNCHED not in styles  # a dark glass facade is a curtain wall


def _shot(renderer: Renderer, clock_h: float, structures: list[Structure]) -> tuple[np.ndarray, np.ndarray]:
    world = flat(160.0)
    world = dataclasses.replace(world, structures=structures,
                                env=dataclasses.replace(world.env, clock_h=clock_h, weather="clear"))
    cam = Camera(position=(50.0, 70.0, 22.0), target=(50.0, 125.0, 28.0), focal_mm=24.0, width=320, height=240)
    img = renderer.render(world, cam)
    return img.rgb_hw3.astype(float), img.instance_hw


@pytest.mark.parametrize("color", [GREY, DARK_GLASS])
def test_some_rooms_are_lit_at_night_and_none_by_day(renderer: Renderer, color: tuple[float, float, float]) -> None:
    noon, ids = _shot(renderer, 12.0, [tower(color)])
    building = ids == ids[120, 160]

    def lit_share(clock_h: float) -> float:
        """The share of the building's pixels brighter than at noon (everything else is darker then)."""
        rgb, _ = _shot(renderer, clock_h, [tower(color)])
        return float((rgb.mean(axis=2)[building] > noon.mean(axis=2)[building] + 10).mean())

    assert 0.03 < lit_share(23.0) < 0.6
    assert 0.03 < lit_share(19.5) < 0.6  # dusk
    assert lit_share(10.0) < 0.01


def test_the_lit_rooms_are_fixed_per_building(renderer: Renderer) -> None:
    a, _ = _shot(renderer, 23.0, [tower()])
    b, _ = _shot(renderer, 23.0, [tower()])
    assert np.array_equal(a, b)
    c, ids = _shot(renderer, 23.0, [dataclasses.replace(tower(x=110.0), id="highrise-0"), tower()])
    same = ids == ids[120, 160]  # the tower is now the second structure: another id, other rooms lit
    assert not np.array_equal(a[same], c[same])


def test_window_frames_and_mullions_break_up_the_glass_by_day(renderer: Renderer) -> None:
    rgb, ids = _shot(renderer, 12.0, [tower()])
    building = ids == ids[120, 160]
    lum = rgb.mean(axis=2)
    # across a storey's row of windows: wall, frame, glass, mullion, glass, frame, wall ... (flat panels: two edges
    # a window)
    edges = max(int((np.abs(np.diff(lum[row, building[row]])) > 12).sum()) for row in range(240))
    assert edges >= 3 * int((30.0 - 0.6) / WINDOW_PITCH_M)


def _car_world(paint: str) -> object:
    from oyster_nodes.world.state.world_state import INSTANCE_KINDS

    world = flat(160.0)
    return dataclasses.replace(
        world, inst_kind=np.array([INSTANCE_KINDS.index("vehicle")], np.uint16),
        inst_xyz=np.array([[40.0, 120.0, 10.0]], np.float32), inst_yaw=np.array([0.0], np.float32),
        inst_scale=np.array([1.0], np.float32), inst_var=np.array([0], np.uint32),
        spec={"text": "a sedan", "modifiers": {"vehicle": paint}})


def test_a_cars_windows_reflect_the_sky(renderer: Renderer) -> None:
    cam = Camera(position=(46.0, 114.0, 11.6), target=(40.0, 120.0, 10.8), focal_mm=35.0, width=320, height=240)
    red, blue, black = (renderer.render(_car_world(p), cam) for p in ("red", "blue", "black"))
    car = red.instance_hw == 1
    changed = np.abs(red.rgb_hw3.astype(int) - blue.rgb_hw3.astype(int)).sum(axis=2) > 12
    glass, body = car & ~changed, car & changed  # the paint changes the body, not the glass
    assert glass.sum() > 200 and body.sum() > 200
    rgb = black.rgb_hw3.astype(float)
    blue_of = rgb[..., 2] - rgb[..., 0]
    # a black car's glass is no dark panel: it takes the blue of the clear sky it reflects
    assert blue_of[glass].mean() > blue_of[body].mean() + 25.0


def test_a_houses_windows_are_framed_facade_windows() -> None:
    house = structure_mesh(Structure(id="house-1", kind="house", x=0.0, y=0.0, z=0.0, yaw=0.0, w=8.0, d=6.0, h=6.0,
                                     color=(0.8, 0.78, 0.7)))
    windows = house.part == FACADE
    assert windows.sum() == 2 * 2 * 6  # two windows on each long wall, two triangles each
    assert set(np.unique(np.sign(house.nrm[windows, 1])).tolist()) == {-1.0, 1.0}
    middles = house.col[windows, 0].reshape(-1, 3).mean(axis=1)
    assert len(np.unique(np.floor(middles))) == 4  # each window its own (lit or dark) room
