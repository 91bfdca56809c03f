"""Farm machines among the vehicle bodies: a tractor and a combine harvester (front towards +x, on z = 0).

A tractor reads by its wheels (tall rear tyres, small front ones), its bonnet over the front axle and the glass
cab over the rear axle with an exhaust stack before it; a combine harvester by its wide header and reel before a
tall body, the glass cab over the header and the unloading pipe along its side.
"""

from __future__ import annotations

from .meshes import (
    BUILDERS,
    CHROME,
    GLASS,
    HEADLAMP,
    LAMP,
    TYRE,
    WINDOW,
    Mesh,
    _prism,
    _wheels,
    box,
    frustum,
    merge,
    transform,
)

#: the hubs of farm machines (pale yellow, as on many working tractors)
HUB = (0.6, 0.52, 0.12)


def farm_vehicle(kind: str, lod: int, paint: tuple[float, float, float]) -> Mesh:
    """A tractor or a combine harvester (meshes.VEHICLE_SIZES gives their sizes) painted `paint`."""
    if kind == "harvester":
        return _harvester(lod, paint)
    if kind == "tractor":
        return _tractor(lod, paint)
    raise ValueError(f"farm_vehicle: unknown kind {kind!r}; use 'tractor' or 'harvester'")


def _tractor(lod: int, paint: tuple[float, float, float]) -> Mesh:
    """3.9 m long: 1.6 m rear tyres under mudguards, 0.9 m front tyres, a bonnet, a cab 2.95 m tall."""
    rear_r, front_r, rear_x, front_x = 0.8, 0.45, -0.95, 1.45
    parts = [
        box((0.55, 0, 1.15), (2.9, 0.95, 0.85), paint),  # the bonnet over the engine
        box((2.02, 0, 1.1), (0.08, 0.8, 0.65), TYRE),  # the grille
        box((-0.95, 0, 1.15), (1.5, 1.25, 0.7), paint),  # the cab's floor over the rear axle
        box((-0.95, 0, 2.9), (1.55, 1.5, 0.1), paint),  # the cab roof
        _prism([(-1.6, 1.5), (-0.2, 1.5), (-0.3, 2.85), (-1.6, 2.85)], 0.7, GLASS, WINDOW),
    ]
    parts += [box((-0.95, s * 1.0, 1.72), (1.75, 0.6, 0.09), paint) for s in (-1, 1)]  # the mudguards
    parts += [box((x, s * 0.72, 2.2), (0.08, 0.08, 1.4), paint) for x in (-1.68, -0.22) for s in (-1, 1)]
    parts.append(transform(frustum(0.06, 0.05, 1.55, 2.75, 6, TYRE), offset=(1.35, 0.3, 0.0)))  # the exhaust
    if lod == 0:
        parts += [box((2.05, s * 0.3, 1.3), (0.05, 0.2, 0.14), HEADLAMP, LAMP) for s in (-1, 1)]
        parts.append(box((1.45, 0, front_r), (0.2, 1.6, 0.14), CHROME))  # the front axle
    wheels = _wheels((rear_x,), 1.0, rear_r, lod, tread=0.27, rim=HUB)
    wheels += _wheels((front_x,), 0.86, front_r, lod, tread=0.14, rim=HUB)
    return merge(parts + wheels)


def _harvester(lod: int, paint: tuple[float, float, float]) -> Mesh:
    """7.55 m long with its header: a tall body on big front tyres, a glass cab up front, a 4.6 m header and reel."""
    parts = [
        box((-0.9, 0, 2.1), (5.0, 2.6, 2.6), paint),  # the threshing body and grain tank
        box((-1.3, 0, 3.55), (2.6, 2.4, 0.5), paint),  # the grain tank's top
        _prism([(1.0, 2.3), (2.3, 2.3), (2.45, 3.75), (1.0, 3.75)], 0.8, GLASS, WINDOW),  # the cab
        box((1.7, 0, 3.85), (1.6, 1.8, 0.12), paint),
        box((2.5, 0, 1.3), (1.8, 1.3, 0.8), paint),  # the feeder throat to the header
        box((3.5, 0, 0.55), (1.2, 4.6, 0.7), paint),  # the header
        box((4.0, 0, 0.25), (0.3, 4.5, 0.1), CHROME),  # the cutter bar
        box((-1.0, 1.45, 3.3), (4.2, 0.3, 0.3), paint),  # the unloading pipe along the left side
    ]
    if lod == 0:
        parts += [box((3.7, y, 1.15), (0.5, 0.08, 0.8), CHROME) for y in (-2.2, 2.2)]  # the reel's arms
        parts.append(box((3.7, 0, 1.3), (0.35, 4.4, 0.35), TYRE))  # the reel
        parts += [box((2.42, s * 0.5, 2.6), (0.05, 0.2, 0.14), HEADLAMP, LAMP) for s in (-1, 1)]
    wheels = _wheels((1.0,), 1.35, 0.85, lod, tread=0.3, rim=HUB)
    wheels += _wheels((-2.7,), 1.15, 0.55, lod, tread=0.2, rim=HUB)
    return merge(parts + wheels)


BUILDERS["farm_vehicle"] = farm_vehicle
