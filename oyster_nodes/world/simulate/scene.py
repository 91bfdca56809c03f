"""The MuJoCo model of a world: terrain heightfield, static obstacles, every body the shot will ever hold,
and the agents as kinematic (mocap) bodies.

MuJoCo cannot add bodies while it runs, so each body a script spawns exists from the start, parked far
below the terrain with its collisions off and gravity compensated; spawning it sets its pose and switches
collisions on. Contacts use MuJoCo's direct spring-damper form (solref = -stiffness, -damping) tuned per
geom from its restitution, which gives bounces close to the asked-for coefficient at any mass. Bodies and
agents have geom priority 1, so a body's own friction and bounce decide its contacts with the ground and
static objects (MuJoCo would otherwise take the larger friction of the pair).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions.events import MATERIALS
from ..geometry.obstacles import SOLID_INSTANCES, structure_boxes
from ..state.records import CHARACTER, VEHICLE, Agent, Body
from ..state.world_state import INSTANCE_KINDS, WorldState

DEFAULT_DENSITY = 700.0
TERRAIN_FRICTION = 0.9
TERRAIN_BOUNCE = 0.15
#: agents' collision shapes: capsule radius, full height / box half sizes
MAX_STATIC_INSTANCES = 3000
MAX_HULL_VERTICES = 4000
PARK_DEPTH_M = 1000.0


@dataclass(kw_only=True, slots=True)
class BodySpec:
    """One rigid body of the shot as the simulation sees it."""

    id: str
    shape: str
    size: list[float]
    mass: float
    friction: float
    bounce: float
    color: list[float]
    mesh: str | None = None
    #: spawn time (s); 0 for bodies in the world from the start
    spawn_t: float = 0.0
    line: int = 0
    mass_given: bool = False
    material: str = ""

    @property
    def volume_m3(self) -> float:
        return volume(self.shape, self.size)

    def half_height(self) -> float:
        if self.shape == "sphere":
            return self.size[0]
        if self.shape == "capsule":
            return self.size[0] + self.size[1] / 2
        return self.size[2] / 2

    def radius(self) -> float:
        """Bounding radius."""
        if self.shape == "sphere":
            return self.size[0]
        if self.shape == "capsule":
            return self.size[0] + self.size[1] / 2
        return 0.5 * float(np.linalg.norm(self.size))

    def area(self) -> float:
        """Cross-section facing the wind, m²."""
        if self.shape == "sphere":
            return math.pi * self.size[0] ** 2
        if self.shape == "capsule":
            return 2 * self.size[0] * (self.size[1] + 2 * self.size[0])
        return float(self.size[0] * self.size[2])

    def record(self) -> Body:
        """The body as a timeline keeps it."""
        return Body(id=self.id, shape=self.shape, size=tuple(float(c) for c in self.size), mass=float(self.mass),
                    friction=self.friction, bounce=self.bounce, material=self.material, mesh=self.mesh or None)


@dataclass(kw_only=True, slots=True)
class AgentSpec:
    id: str
    kind: str
    pos: list[float]
    yaw: float = 0.0
    speed: float = 1.4
    waypoints: list[list[float]] = field(default_factory=list)
    spawn_t: float = 0.0

    def record(self) -> Agent:
        """The agent as a timeline keeps it."""
        return Agent(id=self.id, kind=self.kind)


def body_from_event(e: dict[str, Any], world: WorldState) -> BodySpec:
    """A BodySpec from a checked spawn event (or a world body dict), filling sizes and mass from material."""
    shape = str(e.get("shape", "sphere"))
    material = MATERIALS.get(str(e.get("material") or ""), {})
    size = _size(shape, e.get("size"), e, world)
    density = float(material.get("density", DEFAULT_DENSITY))
    mass = float(e["mass"]) if e.get("mass") else max(density * volume(shape, size), 0.01)
    color = e.get("color") or material.get("color") or [0.7, 0.3, 0.2]
    return BodySpec(id=str(e["id"]), shape=shape, size=size, mass=mass,
                    friction=float(e.get("friction") if e.get("friction") is not None else
                                   material.get("friction", 0.6)),
                    bounce=float(e.get("bounce") if e.get("bounce") is not None else material.get("bounce", 0.3)),
                    color=[float(c) for c in _rgb(color)], mesh=e.get("mesh"), spawn_t=float(e.get("time", 0.0)),
                    line=int(e.get("line", 0) or 0), mass_given=bool(e.get("mass")),
                    material=str(e.get("material") or ""))


def _rgb(color: Any) -> list[float]:
    try:
        c = [float(v) for v in color][:3]
    except (TypeError, ValueError):
        return [0.7, 0.3, 0.2]
    return [min(max(v / 255.0 if max(c) > 1.0 else v, 0.0), 1.0) for v in c] if len(c) == 3 else [0.7, 0.3, 0.2]


def _size(shape: str, size: Any, e: dict[str, Any], world: WorldState) -> list[float]:
    raw = [float(v) for v in size] if isinstance(size, (list, tuple)) else [float(size)] if size else []
    if shape == "sphere":
        return [raw[0] if raw else 0.4]
    if shape == "capsule":
        r = raw[0] if raw else 0.25
        return [r, raw[1] if len(raw) > 1 else 4 * r]
    if shape == "mesh":
        return [float(c) for c in mesh_extent(world, str(e.get("mesh", "")))]
    if len(raw) == 1:
        return raw * 3
    return (raw + [1.0] * 3)[:3] if raw else [1.0, 1.0, 1.0]


def volume(shape: str, size: list[float]) -> float:
    if shape == "sphere":
        return 4 / 3 * math.pi * size[0] ** 3
    if shape == "capsule":
        return math.pi * size[0] ** 2 * (size[1] + 4 / 3 * size[0])
    return float(size[0] * size[1] * size[2]) * (0.6 if shape == "mesh" else 1.0)


def mesh_vertices(world: WorldState, mesh_id: str) -> np.ndarray:
    """An imported mesh's vertices in metres (scaled, centred on its footprint, bottom at z=0)."""
    item = next((m for m in world.meshes if m.id == mesh_id), None)
    v = world.mesh_arrays.get(f"mesh_{mesh_id}_v")
    if item is None or v is None or not len(v):
        known = ", ".join(m.id for m in world.meshes) or "none"
        raise ValueError(f"no imported mesh {mesh_id!r} in the world (imported: {known})")
    pts = np.asarray(v, np.float64).reshape(-1, 3) * item.scale
    if len(pts) > MAX_HULL_VERTICES:
        pts = pts[np.linspace(0, len(pts) - 1, MAX_HULL_VERTICES).astype(int)]
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    return pts - np.array([centre[0], centre[1], pts[:, 2].min()])


def mesh_extent(world: WorldState, mesh_id: str) -> np.ndarray:
    pts = mesh_vertices(world, mesh_id)
    return np.maximum(pts.max(axis=0) - pts.min(axis=0), 0.02)


def contact_solref(bounce: float, dt: float) -> str:
    """Direct-form solref (-stiffness -damping) for a restitution coefficient, about 10 steps per contact."""
    omega = math.pi / (10.0 * dt)
    e = min(max(bounce, 0.0), 0.97)
    zeta = 1.0 if e <= 1e-3 else -math.log(e) / math.sqrt(math.pi**2 + math.log(e) ** 2)
    return f"{-omega * omega:.6g} {-2.0 * zeta * omega:.6g}"


SOLIMP = "0.95 0.99 0.001"


#: nominal sizes of spare bodies as compiled (a spawn resizes them): sphere radius, box half sizes,
#: capsule radius and half-length
SPARE_GEOMS = {"sphere": 'type="sphere" size="0.5"', "box": 'type="box" size="0.5 0.5 0.5"',
               "capsule": 'type="capsule" size="0.25 0.5"'}


def build_mjcf(world: WorldState, bodies: list[BodySpec], agents: list[AgentSpec], *, dt: float,
               focus_xy: np.ndarray, spare_bodies: tuple[str, ...] = (), spare_agents: tuple[str, ...] = (),
               spare_meshes: tuple[str, ...] = ()) -> str:
    """The MJCF document; the heightfield's data is filled in after compiling (see `fill_heightfield`).

    Spare bodies (`p0`, `p1`, ... of the given shapes) and spare agents (`q0`, ... of the given kinds) are
    parked like unspawned bodies; a live spawn takes one and gives it its size, mass and surface. Spare mesh
    bodies (`pm0`, ..., one per entry of `spare_meshes`, an imported mesh's id) have that mesh's hull and a
    mass of 1 kg (a spawn scales its mass and inertia)."""
    n, size = world.n, world.size_m
    lo, hi = _height_range(world)
    parts = [f'<mujoco model="oyster-shot"><compiler angle="radian"/>'
             f'<option timestep="{dt!r}" integrator="implicitfast" gravity="0 0 -9.81"/>'
             f'<size memory="64M"/><asset><hfield name="terrain" nrow="{n}" ncol="{n}" '
             f'size="{size / 2!r} {size / 2!r} {hi - lo!r} 1"/>']
    parts += [f'<mesh name="mesh{k}" vertex="{_floats(mesh_vertices(world, b.mesh).ravel())}"/>'
              for k, b in enumerate(bodies) if b.shape == "mesh" and b.mesh]
    parts += [f'<mesh name="static_mesh{k}" vertex="{_floats(v.ravel())}"/>' for k, v in _static_meshes(world)]
    kinds = list(dict.fromkeys(spare_meshes))
    parts += [_spare_mesh_asset(world, j, m) for j, m in enumerate(kinds)]
    parts.append("</asset><worldbody>")
    terrain_ref = contact_solref(TERRAIN_BOUNCE, dt)
    parts.append(f'<geom name="terrain" type="hfield" hfield="terrain" pos="{size / 2!r} {size / 2!r} {lo!r}" '
                 f'friction="{TERRAIN_FRICTION} 0.005 0.0001" solref="{terrain_ref}" solimp="{SOLIMP}"/>')
    parts += _static_geoms(world, focus_xy, terrain_ref)
    for k, b in enumerate(bodies):
        parts.append(_body_xml(k, b, dt))
    for k, a in enumerate(agents):
        parts.append(_agent_xml(k, a, dt))
    for k, shape in enumerate(spare_bodies):
        parts.append(_spare_xml(k, shape, dt))
    for k, mesh in enumerate(spare_meshes):
        parts.append(_spare_mesh_body(k, kinds.index(mesh), dt))
    for k, kind in enumerate(spare_agents):
        parts.append(_agent_xml(k, AgentSpec(id=f"q{k}", kind=kind, pos=[0.0, 0.0]), dt, prefix="q"))
    parts.append("</worldbody></mujoco>")
    return "".join(parts)


def grow_mjcf(xml: str, world: WorldState, mesh: str, *, kind: int, first: int, count: int, dt: float) -> str:
    """`xml` (a document of build_mjcf) with `count` more spare bodies of an imported mesh, `pm{first}`, ...,
    and the mesh's hull as asset `spare_mesh{kind}`; both go last, so every body, geom, joint and mocap body
    already there keeps its id and address (a model compiled from it can take the old model's state)."""
    asset = _spare_mesh_asset(world, kind, mesh)
    bodies = "".join(_spare_mesh_body(k, kind, dt) for k in range(first, first + count))
    head, tail = xml.rsplit("</asset>", 1)
    tail_head, end = tail.rsplit("</worldbody>", 1)
    return f"{head}{asset}</asset>{tail_head}{bodies}</worldbody>{end}"


def _spare_mesh_asset(world: WorldState, kind: int, mesh: str) -> str:
    return f'<mesh name="spare_mesh{kind}" vertex="{_floats(mesh_vertices(world, mesh).ravel())}"/>'


def _spare_mesh_body(k: int, kind: int, dt: float) -> str:
    return _spare_xml(k, "mesh", dt, geom=f'type="mesh" mesh="spare_mesh{kind}"', prefix="pm")


def _height_range(world: WorldState) -> tuple[float, float]:
    lo, hi = float(np.min(world.height_hw)), float(np.max(world.height_hw))
    return lo, max(hi, lo + 0.01)


def fill_heightfield(model: Any, world: WorldState) -> None:
    lo, hi = _height_range(world)
    data = (np.asarray(world.height_hw, np.float64) - lo) / (hi - lo)
    model.hfield_data[:] = data.astype(np.float32).ravel()


def _floats(values: np.ndarray) -> str:
    return " ".join(f"{v:.6g}" for v in np.asarray(values, np.float64).ravel())


def _body_xml(k: int, b: BodySpec, dt: float) -> str:
    park = f"{k * 10.0!r} 0 {-PARK_DEPTH_M!r}"
    geom = _geom_attrs(k, b)
    return (f'<body name="b{k}" pos="{park}" gravcomp="1"><freejoint/>'
            f'<geom name="g{k}" {geom} mass="{b.mass!r}" friction="{b.friction!r} 0.005 0.0001" '
            f'solref="{contact_solref(b.bounce, dt)}" solimp="{SOLIMP}" contype="0" conaffinity="0" priority="1"/></body>')


def _geom_attrs(k: int, b: BodySpec) -> str:
    if b.shape == "sphere":
        return f'type="sphere" size="{b.size[0]!r}"'
    if b.shape == "capsule":
        return f'type="capsule" size="{b.size[0]!r} {b.size[1] / 2!r}"'
    if b.shape == "mesh":
        return f'type="mesh" mesh="mesh{k}"'
    return f'type="box" size="{b.size[0] / 2!r} {b.size[1] / 2!r} {b.size[2] / 2!r}"'


def _spare_xml(k: int, shape: str, dt: float, *, geom: str = "", prefix: str = "p") -> str:
    park = f"{-10.0 * (k + 1)!r} {'-10' if prefix == 'pm' else '0'} {-PARK_DEPTH_M!r}"
    return (f'<body name="{prefix}{k}" pos="{park}" gravcomp="1"><freejoint/>'
            f'<geom name="{prefix}g{k}" {geom or SPARE_GEOMS[shape]} mass="1" friction="0.6 0.005 0.0001" '
            f'solref="{contact_solref(0.3, dt)}" solimp="{SOLIMP}" contype="0" conaffinity="0" priority="1"/></body>')


def inertia(shape: str, size: list[float], mass: float) -> tuple[list[float], list[float], float]:
    """A solid shape's diagonal inertia, its geom size as MuJoCo takes it and its bounding radius."""
    if shape == "sphere":
        r = size[0]
        return [0.4 * mass * r * r] * 3, [r, 0.0, 0.0], r
    if shape == "capsule":
        r, h = size[0], size[1] / 2
        v_cyl, v_sph = math.pi * r * r * 2 * h, 4 / 3 * math.pi * r ** 3
        m_c, m_s = mass * v_cyl / (v_cyl + v_sph), mass * v_sph / (v_cyl + v_sph)
        across = m_c * (3 * r * r + 4 * h * h) / 12 + m_s * (0.4 * r * r + h * h + 0.75 * h * r)
        return [across, across, 0.5 * m_c * r * r + 0.4 * m_s * r * r], [r, h, 0.0], r + h
    a, b, c = size
    return ([mass * (b * b + c * c) / 12, mass * (a * a + c * c) / 12, mass * (a * a + b * b) / 12],
            [a / 2, b / 2, c / 2], 0.5 * math.sqrt(a * a + b * b + c * c))


def _agent_xml(k: int, a: AgentSpec, dt: float, prefix: str = "a") -> str:
    ref = contact_solref(0.1, dt)
    if a.kind == "vehicle":
        hx, hy, hz = VEHICLE["half"]
        geom = f'type="box" size="{hx} {hy} {hz}"'
    else:
        r, h = CHARACTER["radius"], CHARACTER["height"]
        geom = f'type="capsule" size="{r} {h / 2 - r}"'
    return (f'<body name="{prefix}{k}" mocap="true" pos="{a.pos[0]!r} {a.pos[1]!r} {-PARK_DEPTH_M!r}">'
            f'<geom name="{prefix}g{k}" {geom} solref="{ref}" solimp="{SOLIMP}" friction="0.8 0.005 0.0001" '
            f'contype="0" conaffinity="0" priority="1"/></body>')


def _static_geoms(world: WorldState, focus_xy: np.ndarray, solref: str) -> list[str]:
    """Structures, imported meshes and solid instances near the action, as fixed geoms."""
    geoms = []
    for k, box in enumerate(structure_boxes(world, roof=False)):
        cx, cy, yaw, hw, hd, z0, top = box
        geoms.append(f'<geom name="s{k}" type="box" pos="{cx!r} {cy!r} {(z0 + top) / 2!r}" '
                     f'size="{hw!r} {hd!r} {max((top - z0) / 2, 0.05)!r}" euler="0 0 {yaw!r}" '
                     f'solref="{solref}" solimp="{SOLIMP}" friction="0.8 0.005 0.0001"/>')
    for k, _ in _static_meshes(world):
        m = world.meshes[k]
        pos = [float(c) for c in m.pos]
        geoms.append(f'<geom name="m{k}" type="mesh" mesh="static_mesh{k}" pos="{pos[0]!r} {pos[1]!r} {pos[2]!r}" '
                     f'euler="0 0 {float(m.yaw)!r}" solref="{solref}" solimp="{SOLIMP}"/>')
    geoms += _instance_geoms(world, focus_xy, solref)
    return geoms


def _static_meshes(world: WorldState) -> list[tuple[int, np.ndarray]]:
    out = []
    for k, m in enumerate(world.meshes):
        v = world.mesh_arrays.get(f"mesh_{m.id}_v")
        if v is None or len(v) < 4 or not m.placed:  # a mesh kept aside is only a spawnable body
            continue
        pts = np.asarray(v, np.float64).reshape(-1, 3) * m.scale
        if len(pts) > MAX_HULL_VERTICES:
            pts = pts[np.linspace(0, len(pts) - 1, MAX_HULL_VERTICES).astype(int)]
        if np.ptp(pts, axis=0).min() > 1e-4:
            out.append((k, pts))
    return out


def _instance_geoms(world: WorldState, focus_xy: np.ndarray, solref: str) -> list[str]:
    if not len(world.inst_kind) or not len(focus_xy):
        return []
    kinds = np.asarray(world.inst_kind).reshape(-1)
    xyz = np.asarray(world.inst_xyz, np.float64).reshape(-1, 3)
    scale = np.asarray(world.inst_scale, np.float64).reshape(-1)
    names = [INSTANCE_KINDS[k] if 0 <= k < len(INSTANCE_KINDS) else "" for k in kinds]
    solid = np.array([n in SOLID_INSTANCES for n in names], bool)
    lo, hi = focus_xy.min(axis=0) - 80.0, focus_xy.max(axis=0) + 80.0
    near = solid & np.all((xyz[:, :2] >= lo) & (xyz[:, :2] <= hi), axis=1)
    idx = np.nonzero(near)[0]
    if len(idx) > MAX_STATIC_INSTANCES:
        centre = focus_xy.mean(axis=0)
        idx = idx[np.argsort(np.linalg.norm(xyz[idx, :2] - centre, axis=1), kind="stable")[:MAX_STATIC_INSTANCES]]
    geoms = []
    for i in sorted(idx.tolist()):
        r = float(SOLID_INSTANCES[names[i]] * scale[i])
        h = float(_INSTANCE_SOLID_HEIGHT.get(names[i], 2.0) * scale[i])
        x, y, z = (float(c) for c in xyz[i])
        if names[i] in ("boulder", "rock"):
            geoms.append(f'<geom type="sphere" size="{r!r}" pos="{x!r} {y!r} {z + 0.3 * r!r}" solref="{solref}" '
                         f'solimp="{SOLIMP}" friction="0.8 0.005 0.0001"/>')
        else:
            geoms.append(f'<geom type="capsule" size="{max(r * 0.5, 0.05)!r} {h / 2!r}" '
                         f'pos="{x!r} {y!r} {z + h / 2!r}" solref="{solref}" solimp="{SOLIMP}" '
                         f'friction="0.8 0.005 0.0001"/>')
    return geoms


#: height of the solid part (trunk, post) of instance kinds at scale 1
_INSTANCE_SOLID_HEIGHT = {"conifer": 6.0, "broadleaf": 4.0, "palm": 7.0, "dead_tree": 5.0, "cactus": 3.0,
                          "vehicle": 1.6, "lamp_post": 4.0, "crate": 1.0, "barrel": 1.1,
                          "sheep": 0.9, "cow": 1.4, "horse": 1.6, "goat": 0.9, "deer": 1.3}
