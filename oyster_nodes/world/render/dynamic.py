"""Bodies and agents as per-frame instances of a few unit shapes, drawn by the renderer like other objects.

Each simulated body (sphere, box, capsule, or an imported mesh shown as its bounding box) and each agent
(a character is a capsule, a vehicle a body box plus a cabin box) becomes one row of a small instance
table: centre, rotation quaternion (w, x, y, z), half extents, capsule half length, linear colour, id and
semantic class. Only this table is uploaded per frame; the unit meshes and the static world stay put.
The vertex shader (body.vert) scales, stretches capsules along z, rotates by the full quaternion and moves.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..state.records import CHARACTER, VEHICLE, Agent, Body
from ..state.world_state import SEMANTIC_CLASSES, WorldState
from .lighting import srgb_to_linear
from .meshes import Mesh, box, from_faces, merge

SEM_BODY = SEMANTIC_CLASSES.index("body")
SEM_AGENT = SEMANTIC_CLASSES.index("agent")
#: linear colours of agents
CHARACTER_RGB = srgb_to_linear((0.25, 0.32, 0.55))
VEHICLE_RGB = srgb_to_linear((0.55, 0.1, 0.08))
CABIN_RGB = srgb_to_linear((0.2, 0.22, 0.25))
#: float32 columns per instance row: centre 3, quat 4, half extents 3, capsule half length 1, rgb 3, id 1, sem 1
ROW = 16
SHAPES = ("round", "box")


@dataclass(kw_only=True, slots=True)
class DynamicRows:
    """Instance rows per unit shape ('round': spheres and capsules, 'box'), and the ids used."""

    rows: dict[str, np.ndarray]
    first_id: int
    count: int


def unit_round(slices: int = 14, stacks: int = 9) -> Mesh:
    """A unit sphere with an odd number of stacks, so no vertex sits on the equator: pushing each
    hemisphere out along z by a capsule's half length turns the middle band into its cylinder."""
    lat = np.pi * (np.arange(stacks + 1) / stacks - 0.5)
    lon = 2 * np.pi * np.arange(slices) / slices
    v = np.array([[math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)] for a in lat for b in lon])
    faces = []
    for i in range(stacks):
        for j in range(slices):
            a, b = i * slices + j, i * slices + (j + 1) % slices
            c, d = a + slices, b + slices
            faces += [[a, b, d], [a, d, c]]
    return from_faces(v, np.array(faces), (1.0, 1.0, 1.0))


def unit_box() -> Mesh:
    return box((0.0, 0.0, 0.0), (2.0, 2.0, 2.0), (1.0, 1.0, 1.0))


def _row(centre: Any, quat: Any, half: Any, stretch: float, rgb: Any, ident: int, sem: int) -> list[float]:
    q = [float(c) for c in (list(quat) + [0.0] * 4)[:4]]
    n = math.sqrt(sum(c * c for c in q)) or 1.0
    return [*(float(c) for c in centre), *(c / n for c in q), *(float(c) for c in half), float(stretch),
            *(float(c) for c in rgb), float(ident), float(sem)]


def _yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    return (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))


def _rotate(q: list[float], v: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    u = np.array([x, y, z])
    return v + 2.0 * np.cross(u, np.cross(u, v) + w * v)


def _body(b: Body, ident: int) -> tuple[str, list[float]]:
    size = [float(v) for v in b.size]
    q = list(b.quat) if b.quat is not None else [1.0, 0.0, 0.0, 0.0]
    centre = np.asarray(b.pos if b.pos is not None else (0.0, 0.0, 0.0), np.float64)
    rgb = srgb_to_linear(b.color if b.color is not None else (0.7, 0.3, 0.2))
    shape = b.shape
    if shape == "sphere":
        r = size[0]
        return "round", _row(centre, q, (r, r, r), 0.0, rgb, ident, SEM_BODY)
    if shape == "capsule":
        r, length = size[0], (size[1] if len(size) > 1 else size[0] * 2)
        return "round", _row(centre, q, (r, r, r), max(length / 2 - r, 0.0), rgb, ident, SEM_BODY)
    half = np.array((size + size[-1:] * 3)[:3]) / 2
    if shape == "mesh":  # mesh bodies' origin is their base
        centre = centre + _rotate(q, np.array([0.0, 0.0, half[2]]))
    return "box", _row(centre, q, half, 0.0, rgb, ident, SEM_BODY)


def _agent(a: Agent, ident: int) -> list[tuple[str, list[float]]]:
    feet = np.asarray(a.pos if a.pos is not None else (0.0, 0.0, 0.0), np.float64)
    yaw = a.yaw
    q = _yaw_quat(yaw)
    if a.kind == "vehicle":
        hx, hy, hz = VEHICLE["half"]
        cabin = feet + _rotate(list(q), np.array([-0.2 * hx, 0.0, 0.25 + hz * 1.6]))
        return [
            ("box", _row(feet + (0, 0, 0.25 + hz * 0.6), q, (hx, hy, hz * 0.6), 0.0, VEHICLE_RGB, ident, SEM_AGENT)),
            ("box", _row(cabin, q, (hx * 0.5, hy * 0.9, hz * 0.4), 0.0, CABIN_RGB, ident, SEM_AGENT)),
        ]
    r, h = CHARACTER["radius"], CHARACTER["height"]
    return [("round", _row(feet + (0, 0, h / 2), q, (r, r, r), max(h / 2 - r, 0.0), CHARACTER_RGB, ident,
                           SEM_AGENT))]


def rows_mesh(rows: list[tuple[str, list[float]]]) -> Mesh:
    """The triangles the renderer draws for these instance rows, as one mesh: body.vert's transform done here,
    for exports, so a body or agent has one shape everywhere."""
    units = {"round": unit_round(), "box": unit_box()}
    parts = []
    for shape, row in rows:
        unit, r = units[shape], np.asarray(row, np.float64)
        centre, quat, half, stretch, rgb = r[:3], list(r[3:7]), r[7:10], r[10], r[11:14]
        local = unit.pos * half
        local[:, 2] += np.sign(unit.pos[:, 2]) * stretch
        nrm = _rotate(quat, unit.nrm / half)
        nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
        parts.append(Mesh(pos=(_rotate(quat, local) + centre).astype(np.float32), nrm=nrm.astype(np.float32),
                          col=np.tile(rgb.astype(np.float32), (len(local), 1)), part=np.zeros(len(local), np.float32)))
    return merge(parts)


def body_mesh(body: Body) -> Mesh:
    """A body in its own frame (its position at the origin, unrotated), shaped as the renderer draws it."""
    return rows_mesh([_body(dataclasses.replace(body, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)), 0)])


def agent_mesh(agent: Agent) -> Mesh:
    """An agent in its own frame (feet at the origin, facing +x), shaped as the renderer draws it."""
    return rows_mesh(_agent(dataclasses.replace(agent, pos=(0.0, 0.0, 0.0), yaw=0.0), 0))


def dynamic_rows(world: WorldState, first_id: int) -> DynamicRows:
    """The instance rows of world.bodies then world.agents, with ids from `first_id` in that order."""
    out: dict[str, list[list[float]]] = {name: [] for name in SHAPES}
    ident = first_id
    for b in world.bodies:
        shape, row = _body(b, ident)
        out[shape].append(row)
        ident += 1
    for a in world.agents:
        for shape, row in _agent(a, ident):
            out[shape].append(row)
        ident += 1
    rows = {k: np.asarray(v, np.float32).reshape(-1, ROW) for k, v in out.items()}
    return DynamicRows(rows=rows, first_id=first_id, count=ident - first_id)
