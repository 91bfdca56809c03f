"""The rock a prompt names as a subject of the still: the boulder field, the spires, the sea stacks that
generate/outcrops.py raised, framed like a building when nothing ranked higher is named ("scattered boulders on
a frozen plain"), kept in frame beside the main subject otherwise."""

from __future__ import annotations

import numpy as np

from ..generate.outcrops import FIELD_M, formation_mask, read_rock_of
from ..state.world_state import INSTANCE_KINDS, WorldState, heights_at


def rock_subject_parts(world: WorldState) -> tuple[str, np.ndarray, np.ndarray] | None:
    """(label, sample points N x 3, area m^2 each) of the named rock features, or None when none is named."""
    spec = world.spec or {}
    ask = read_rock_of(str(spec.get("text", "")), list(spec.get("matches") or []),
                       int((spec.get("props") or {}).get("rocks", 0)),
                       sea=world.env.sea_level_m is not None)  # cliffs need no subject: framing._cliffs
    parts, label = [], ""
    if ask.spires or ask.stacks or ask.outcrops:
        pts = _raised(world)
        if len(pts):
            parts.append((pts, np.full(len(pts), 24.0)))
            label = "the sea stacks" if ask.stacks else "the rock spires" if ask.spires else "the outcrops"
    if ask.boulders:
        pts = _boulder_field(world)
        if len(pts):
            parts.append((pts, np.full(len(pts), 9.0)))
            label = label or "the boulders"
    if not parts:
        return None
    return label, np.concatenate([p for p, _ in parts]), np.concatenate([a for _, a in parts])


def _boulder_field(world: WorldState) -> np.ndarray:
    """Boulders within a field's reach of the one with the most boulders around it (their tops)."""
    xyz = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("boulder")].astype(np.float64)
    if not len(xyz):
        return np.zeros((0, 3))
    sample = xyz[np.linspace(0, len(xyz) - 1, min(len(xyz), 600)).astype(int)]
    d = np.hypot(*(sample[:, None, :2] - sample[None, :, :2]).transpose(2, 0, 1))
    best = sample[int(np.argmax((d < FIELD_M).sum(axis=1)))]
    near = xyz[np.hypot(*(xyz[:, :2] - best[:2]).T) < 1.4 * FIELD_M]
    return near + (0.0, 0.0, 1.5)


def _raised(world: WorldState, most: int = 240) -> np.ndarray:
    """Sample points (top and half height) over the raised formations' rock (outcrops.formation_mask)."""
    step = max(1, world.n // 256)
    mask = formation_mask(world.height_hw, world.material_hw, world.cell_m, step)
    ii, jj = np.nonzero(mask)
    if not len(ii):
        return np.zeros((0, 3))
    m = step * world.cell_m
    keep = np.linspace(0, len(ii) - 1, min(len(ii), most)).astype(int)
    xy = np.column_stack([jj[keep] * m, ii[keep] * m]).astype(np.float64)
    top = heights_at(world, xy)
    foot = float(np.percentile(world.height_hw[::step, ::step][mask], 2)) if mask.any() else float(top.min())
    return np.concatenate([np.column_stack([xy, top]), np.column_stack([xy, 0.5 * (top + foot)])])
