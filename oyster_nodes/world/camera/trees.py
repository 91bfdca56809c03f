"""The trees a prompt names, as something a still keeps in frame ("a fringe of firs along the shore", "a
watchtower among pine trees", "cypress trees in a vineyard valley").

A named tree kind is never what a still is framed on (the lake, the tower, the road is); it is kept in frame
beside that subject, like named props. Its sample points are the trees standing nearest the subject (the ones a
shot of the subject can hold), each standing for the area its crown shows to a camera.
"""

from __future__ import annotations

import numpy as np

from ..generate.treelines import named_kinds
from ..state.world_state import INSTANCE_KINDS, WorldState

#: a tree's crown as a camera sees it from the side at scale 1: (width, height) in metres
CROWN_M: dict[str, tuple[float, float]] = {"conifer": (4.2, 11.0), "broadleaf": (5.5, 8.0), "palm": (6.0, 4.0),
                                           "dead_tree": (2.0, 6.5)}
#: at most this many trees stand for the named kind in the framing
MOST = 240
#: the trees within this many metres of the subject are the ones a shot of it can show
NEAR_M = 420.0


def named_trees(world: WorldState, near: np.ndarray) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(label, sample points N x 3, area m^2 each) of the named trees within NEAR_M of `near` (x, y), or None:
    at most MOST of them, spread over all, each standing for its share of the rest (a forest shows from anywhere
    in it, a lone grove only from where it stands)."""
    kinds = named_kinds(world.spec or {})
    if not kinds or not len(world.inst_kind):
        return None
    ids = [INSTANCE_KINDS.index(k) for k in kinds]
    where = np.nonzero(np.isin(world.inst_kind, ids))[0]
    if not len(where):
        return None
    xyz = world.inst_xyz[where].astype(np.float64)
    near_ = np.hypot(*(xyz[:, :2] - np.asarray(near[:2], np.float64)).T) < NEAR_M
    if not near_.any():
        return None
    where, xyz = where[near_], xyz[near_]
    keep = np.linspace(0, len(where) - 1, min(len(where), MOST)).astype(int)  # spread, each standing for a few
    stands_for = len(where) / len(keep)
    where, xyz = where[keep], xyz[keep]
    names = [INSTANCE_KINDS[int(k)] for k in world.inst_kind[where]]
    size = np.array([CROWN_M[n] for n in names]) * world.inst_scale[where].astype(np.float64)[:, None]
    mid = xyz + np.column_stack([np.zeros((len(xyz), 2)), 0.55 * size[:, 1]])
    label = "the " + " and ".join(_plural(k) for k in kinds)
    return label, mid, 0.6 * size[:, 0] * size[:, 1] * stands_for


def _plural(kind: str) -> str:
    return {"conifer": "conifers", "broadleaf": "broadleaf trees", "palm": "palms", "dead_tree": "dead trees"}[kind]
