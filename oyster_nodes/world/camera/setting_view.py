"""An outdoor product shot looks past the product at its setting.

A product stood at the edge of the setting its prompt names (edit/setting.py) records the way towards that
setting (the water beyond it). The camera then stands on the other side, on the land, so that the product is
large in the foreground and the water fills the frame behind it: the bearings tried are around the way from the
setting to the product, whatever side of the product that shows.
"""

from __future__ import annotations

import math

import numpy as np

#: degrees either side of straight across the setting that a camera may stand
SPREAD_DEG = (-32.0, -16.0, 0.0, 16.0, 32.0)


def toward_of(extra: dict[str, object]) -> np.ndarray | None:
    """The unit way (xy) from a placed product towards its setting, from its placement's record, or None."""
    t = extra.get("toward")
    if not isinstance(t, (list, tuple)) or len(t) != 2:
        return None
    v = np.asarray(t, np.float64)
    n = float(np.hypot(*v))
    return v / n if n > 1e-9 else None


def setting_bearings(toward: np.ndarray) -> list[float]:
    """Camera bearings (radians, from the product) that keep the setting behind the product."""
    base = math.atan2(-float(toward[1]), -float(toward[0]))
    return [base + math.radians(a) for a in SPREAD_DEG]


#: of the rock a product rests on, this share of its height (from the top) is kept in frame with the product
SEAT_SHOWN = 0.4
#: and at most this share of the product's own height (a flat watch stays large)
SEAT_MOST = 0.15


def seat_points(extra: dict[str, object], base: np.ndarray, width_m: float, height_m: float) -> np.ndarray:
    """Sample points of the upper part of the rock a product rests on (none when it stands on the ground):
    kept in frame with the product, so a packshot "on a smooth rock" shows the rock."""
    seat = extra.get("seat_m")
    if not isinstance(seat, (int, float)) or seat <= 0:
        return np.zeros((0, 3))
    r = 0.5 * width_m
    a = np.radians(np.arange(0.0, 360.0, 45.0))
    ring = np.column_stack([base[0] + r * np.cos(a), base[1] + r * np.sin(a),
                            np.full(len(a), base[2] - min(SEAT_SHOWN * float(seat), SEAT_MOST * height_m))])
    return ring
