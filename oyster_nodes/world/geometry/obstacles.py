"""What cameras, bodies and agents keep clear of: large instances, structures and imported meshes as boxes.

Boxes are (cx, cy, yaw, half_w, half_d, z_bottom, z_top) in world metres. Shared by camera paths (clearance),
the top-down map and the simulation (static colliders).
"""

from __future__ import annotations

import numpy as np

from ..state.world_state import WorldState

#: instance kinds the camera keeps out of: horizontal radius (m, at scale 1)
SOLID_INSTANCES: dict[str, float] = {
    "conifer": 0.6,
    "broadleaf": 0.7,
    "palm": 0.5,
    "dead_tree": 0.5,
    "cactus": 0.6,
    "boulder": 1.8,
    "vehicle": 2.4,
    "lamp_post": 0.3,
    "crate": 0.8,
    "barrel": 0.6,
    "rock": 0.7,
    # animals (a duck on the water is no obstacle)
    "sheep": 0.5,
    "cow": 0.8,
    "horse": 0.8,
    "goat": 0.45,
    "deer": 0.6,
}
INSTANCE_TOP: dict[str, float] = {
    "conifer": 12.0,
    "broadleaf": 10.0,
    "palm": 9.0,
    "dead_tree": 8.0,
    "cactus": 3.2,
    "boulder": 2.9,
    "vehicle": 1.8,
    "lamp_post": 4.1,
    "crate": 1.0,
    "barrel": 1.1,
    "rock": 0.9,
    "sheep": 1.0,
    "cow": 1.5,
    "horse": 2.1,
    "goat": 1.1,
    "deer": 1.6,
}


def obstacle_boxes(world: WorldState) -> list[tuple[float, ...]]:
    """Structures (with room for their roofs) and imported meshes as (cx, cy, yaw, half_w, half_d, z_bottom,
    z_top): what a camera keeps clear of."""
    return structure_boxes(world, roof=True) + mesh_boxes(world)


def structure_boxes(world: WorldState, *, roof: bool) -> list[tuple[float, ...]]:
    """Structures as boxes like obstacle_boxes'; with `roof`, their tops rise above the walls' height h to
    allow for pitched roofs (a camera's clearance), else they stop at h (a floor to stand on)."""
    return [s.box(roof=roof) for s in world.structures]


def mesh_boxes(world: WorldState) -> list[tuple[float, ...]]:
    """Imported meshes as upright boxes around their vertices, like obstacle_boxes'."""
    boxes = []
    for m in world.meshes:
        v = world.mesh_arrays.get(f"mesh_{m.id}_v")
        if v is None or not len(v) or not m.placed:
            continue
        pts = np.asarray(v, np.float64).reshape(-1, 3) * m.scale
        r = float(np.max(np.linalg.norm(pts[:, :2], axis=1)))
        x, y, z = m.pos
        boxes.append((x, y, 0.0, r, r, z + pts[:, 2].min(), z + pts[:, 2].max()))
    return boxes
