"""Before simulating: check a script against its world and the shot, and work out where things start.

Errors (SimulationError, naming the script line): an id nobody spawned, an id used before its spawn or after
its removal, a body where an agent is needed (or the reverse), a spawn outside the world, an unknown mesh.
Corrections (notes, shown as warnings): events after the shot ends are dropped, intervals running past it
are cut, bodies spawned inside the terrain, a building or another body are lifted clear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..actions.events import AGENT_KINDS, check_event
from ..geometry.obstacles import mesh_boxes, structure_boxes
from ..state.world_state import WorldState, heights_at
from .scene import AgentSpec, BodySpec, body_from_event

BODY_ONLY = ("impulse", "force", "material")
AGENT_ONLY = ("move",)


class SimulationError(ValueError):
    """A script that cannot be simulated in this world; the message names the line and the fix."""


@dataclass(kw_only=True, slots=True)
class ResolvedShot:
    bodies: list[BodySpec]
    agents: list[AgentSpec]
    events: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    focus_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))


def resolve_shot(world: WorldState, events: list[dict[str, Any]], *, duration_s: float) -> ResolvedShot:
    """Bodies, agents and events ready to simulate; raises SimulationError for scripts that cannot work."""
    notes: list[str] = []
    kept = _within_shot([dict(e) for e in events], duration_s, notes)
    start = _world_spawns(world)
    shot = ResolvedShot(bodies=[], agents=[], events=[], notes=notes)
    alive: dict[str, tuple[str, int]] = {}
    focus: list[list[float]] = []
    for e in sorted(start + kept, key=lambda e: e["time"]):
        where = _where(e)
        if e["kind"] == "spawn":
            _spawn(world, e, shot, alive, where)
            focus.append(e["resolved_pos"][:2])
            shot.events.append(e)
            continue
        for key in ("id", "near"):
            if e.get(key):
                e[key] = _resolve_id(e[key], e, alive, shot, where)
        if e.get("id"):
            _check_target(e, alive, shot, where)
        _positions(world, e, shot, focus)
        if e["kind"] == "remove":
            alive.pop(e["id"])
        shot.events.append(e)
    if not focus:
        focus.append([world.size_m / 2, world.size_m / 2])
    shot.focus_xy = np.asarray(focus, np.float64).reshape(-1, 2)
    return shot


def apply_live(world: WorldState, e: dict[str, Any], shot: ResolvedShot, alive: dict[str, tuple[str, int]]) -> None:
    """Resolve one checked event arriving while a session runs, the way resolve_shot resolves a script's
    (ids by name or kind among the living, targets of the right kind, positions on the ground)."""
    where = _where(e)
    for key in ("id", "near"):
        if e.get(key):
            e[key] = _resolve_id(e[key], e, alive, shot, where)
    if e.get("id"):
        _check_target(e, alive, shot, where)
    _positions(world, e, shot, [])


def spawn_live(world: WorldState, e: dict[str, Any], shot: ResolvedShot, alive: dict[str, tuple[str, int]]) -> None:
    """Resolve a spawn arriving while a session runs, as a script's (a fresh id, on the ground, clear of what
    spawns at the same moment); its BodySpec or AgentSpec is appended to the shot."""
    _spawn(world, e, shot, alive, _where(e))


def _where(e: dict[str, Any]) -> str:
    return f"line {e['line']}: " if e.get("line") else ""


def _within_shot(events: list[dict[str, Any]], duration_s: float, notes: list[str]) -> list[dict[str, Any]]:
    kept = []
    for e in events:
        if e["time"] > duration_s + 1e-9:
            notes.append(f"{_where(e)}'{e['kind']}' at {e['time']:g} s is after the shot ends ({duration_s:g} s); "
                         "it never happens")
            continue
        if e.get("end") is not None and e["end"] > duration_s + 1e-9:
            notes.append(f"{_where(e)}'{e['kind']}' runs to {e['end']:g} s, past the end of the shot "
                         f"({duration_s:g} s); only its first {duration_s - e['time']:g} s are seen")
        kept.append(e)
    return kept


def _world_spawns(world: WorldState) -> list[dict[str, Any]]:
    """The world's own bodies and agents as spawn events at time 0."""
    out = []
    for b in world.bodies:
        raw: dict[str, Any] = {"kind": "spawn", "time": 0.0, "id": b.id, "shape": b.shape,
                               "pos": list(b.pos or (0.0, 0.0, 0.0)), "size": list(b.size)}
        for k in ("mass", "mesh", "vel"):
            if getattr(b, k) is not None:
                raw[k] = list(getattr(b, k)) if k == "vel" else getattr(b, k)
        if b.color is not None:
            raw["color"] = list(b.color)
        out.append(_checked(raw, f"world body {raw['id']!r}"))
    for a in world.agents:
        raw = {"kind": "spawn", "time": 0.0, "id": a.id, "shape": a.kind,
               "pos": list(a.pos or (0.0, 0.0, 0.0))[:2], "yaw": math.degrees(a.yaw)}
        if a.speed is not None:
            raw["speed"] = a.speed
        event = _checked(raw, f"world agent {raw['id']!r}")
        if a.target is not None:
            event["route"] = [list(a.target)]
        out.append(event)
    return out


def _checked(raw: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return check_event(raw)
    except ValueError as exc:
        raise SimulationError(f"{what} in the world state: {exc}") from None


def _spawn(world: WorldState, e: dict[str, Any], shot: ResolvedShot, alive: dict[str, tuple[str, int]],
           where: str) -> None:
    shape = e.get("shape", "sphere")
    e["id"] = e.get("id") or _fresh_id(shape, shot)
    if e["id"] in alive or any(b.id == e["id"] for b in shot.bodies) or any(a.id == e["id"] for a in shot.agents):
        raise SimulationError(f"{where}id {e['id']!r} is already used; give the spawn another id")
    pos = e.get("pos") or [world.size_m / 2, world.size_m / 2]
    if not (0.0 <= pos[0] <= world.size_m and 0.0 <= pos[1] <= world.size_m):
        raise SimulationError(f"{where}spawn {e['id']!r} at ({pos[0]:g}, {pos[1]:g}) is outside the world "
                              f"(0..{world.size_m:g} m)")
    if shape in AGENT_KINDS:
        route = e.pop("route", [])
        spec = AgentSpec(id=e["id"], kind=shape, pos=[float(pos[0]), float(pos[1])],
                         yaw=math.radians(float(e.get("yaw", 0.0) or 0.0)),
                         speed=float(e.get("speed") or (1.4 if shape == "character" else 8.0)),
                         waypoints=route, spawn_t=e["time"])
        shot.agents.append(spec)
        alive[e["id"]] = ("agent", len(shot.agents) - 1)
        e["resolved_pos"] = [float(pos[0]), float(pos[1]), float(heights_at(world, np.array([pos[:2]]))[0])]
        return
    try:
        spec = body_from_event(e, world)
    except ValueError as exc:
        raise SimulationError(f"{where}{exc}") from None
    e["resolved_pos"] = _spawn_position(world, spec, e, pos, shot, where)
    shot.bodies.append(spec)
    alive[e["id"]] = ("body", len(shot.bodies) - 1)


def _fresh_id(shape: str, shot: ResolvedShot) -> str:
    used = {b.id for b in shot.bodies} | {a.id for a in shot.agents}
    k = 1
    while f"{shape}{k}" in used:
        k += 1
    return f"{shape}{k}"


def _spawn_position(world: WorldState, spec: BodySpec, e: dict[str, Any], pos: list[float],
                    shot: ResolvedShot, where: str) -> list[float]:
    """Where the body's frame starts: on or above the ground, never inside terrain, roofs or other bodies."""
    xy = np.asarray(pos[:2], np.float64)
    bottom_offset = 0.0 if spec.shape == "mesh" else spec.half_height()
    floor = spawn_floor(world, spec, xy) + 0.01
    if len(pos) == 3:
        z = float(pos[2])
        if z - bottom_offset < floor:
            shot.notes.append(f"{where}{spec.id!r} spawned at z={z:.2f} m would be inside the terrain or a "
                              f"building (surface at {floor:.2f} m); lifted to rest on it")
            z = floor + bottom_offset
    else:
        z = floor + float(e.get("height", 0.0) or 0.0) + bottom_offset
    z = _clear_of_bodies(spec, xy, z, e["time"], shot, where)
    return [float(xy[0]), float(xy[1]), float(z)]


def _clear_of_bodies(spec: BodySpec, xy: np.ndarray, z: float, t: float, shot: ResolvedShot, where: str) -> float:
    """Lift a spawn above bodies spawned at the same moment that it would overlap."""
    for other, e in _same_moment(shot, t):
        p = np.asarray(e["resolved_pos"], np.float64)
        if np.linalg.norm(p[:2] - xy) < spec.radius() + other.radius() and abs(p[2] - z) < spec.radius() + other.radius():
            new_z = p[2] + other.radius() + spec.radius() + 0.02
            shot.notes.append(f"{where}{spec.id!r} would overlap {other.id!r} when spawned; lifted "
                              f"{new_z - z:.2f} m above it")
            z = new_z
    return z


def _same_moment(shot: ResolvedShot, t: float) -> list[tuple[BodySpec, dict[str, Any]]]:
    spawns = {e["id"]: e for e in shot.events if e["kind"] == "spawn" and abs(e["time"] - t) < 1e-9}
    return [(b, spawns[b.id]) for b in shot.bodies if b.id in spawns]


def spawn_floor(world: WorldState, spec: BodySpec, xy: np.ndarray) -> float:
    """Highest ground or roof under a body's footprint at xy."""
    r = spec.radius()
    pts = xy[None] + np.array([[0, 0], [r, 0], [-r, 0], [0, r], [0, -r]], np.float64) * 0.8
    floor = float(np.max(heights_at(world, pts)))
    for cx, cy, yaw, hw, hd, _, top in structure_boxes(world, roof=False) + mesh_boxes(world):
        c, s = math.cos(yaw), math.sin(yaw)
        lx = (xy[0] - cx) * c + (xy[1] - cy) * s
        ly = -(xy[0] - cx) * s + (xy[1] - cy) * c
        if abs(lx) <= hw + r and abs(ly) <= hd + r:
            floor = max(floor, top)
    return floor


def _resolve_id(name: str, e: dict[str, Any], alive: dict[str, tuple[str, int]], shot: ResolvedShot,
                where: str) -> str:
    """'@character' → the first character alive; other names must be alive now."""
    if name.startswith("@"):
        kind = name[1:]
        for a in shot.agents:
            if a.kind == kind and a.id in alive:
                return a.id
        for b in shot.bodies:
            if b.shape == kind and b.id in alive:
                return b.id
        raise SimulationError(f"{where}no {kind} exists at {e['time']:g} s to refer to as {name!r}; spawn one first")
    if name in alive:
        return name
    later = next((x for x in shot.bodies + shot.agents if x.id == name), None)  # type: ignore[operator]
    if later is not None:
        raise SimulationError(f"{where}{name!r} was removed before {e['time']:g} s")
    known = ", ".join(sorted(alive)) or "none"
    raise SimulationError(f"{where}no body or agent {name!r} at {e['time']:g} s (there are: {known}); "
                          "spawn it earlier or fix the id")


def _check_target(e: dict[str, Any], alive: dict[str, tuple[str, int]], shot: ResolvedShot, where: str) -> None:
    kind, _ = alive[e["id"]]
    if kind == "agent" and e["kind"] in BODY_ONLY:
        raise SimulationError(f"{where}{e['id']!r} is an agent (it walks or drives): use 'move' or 'animate', "
                              f"not '{e['kind']}'")
    if kind == "body" and e["kind"] in AGENT_ONLY:
        raise SimulationError(f"{where}{e['id']!r} is a rigid body: use 'animate', 'impulse' or 'force' to move "
                              "it; 'move' is for characters and vehicles")


def _positions(world: WorldState, e: dict[str, Any], shot: ResolvedShot, focus: list[list[float]]) -> None:
    if e["kind"] == "blast":
        pos = e.get("pos") or [world.size_m / 2, world.size_m / 2]
        z = float(pos[2]) if len(pos) == 3 else float(heights_at(world, np.array([pos[:2]]))[0]) + 0.5
        e["resolved_pos"] = [float(pos[0]), float(pos[1]), z]
        focus.append(e["resolved_pos"][:2])
    elif e["kind"] == "animate" and e.get("to") is not None:
        to = list(e["to"])
        spec = next((b for b in shot.bodies if b.id == e["id"]), None)
        lift = (spec.half_height() if spec.shape != "mesh" else 0.0) if spec else 0.0
        ground = spawn_floor(world, spec, np.asarray(to[:2], np.float64)) if spec else \
            float(heights_at(world, np.array([to[:2]]))[0])
        if len(to) == 2:
            to = [to[0], to[1], ground + lift + 0.01]
        elif spec is not None and to[2] - lift < ground:
            shot.notes.append(f"{_where(e)}animating {e['id']!r} to z={to[2]:.2f} m would put it inside the "
                              f"terrain or a building; it ends resting on the surface ({ground:.2f} m)")
            to[2] = ground + lift + 0.01
        e["resolved_to"] = [float(c) for c in to]
        focus.append(to[:2])
    elif e["kind"] == "move":
        focus.extend([p[:2] for p in (e.get("path") or [e["to"]])])
