"""Shots over time: WorldState + action events → Timeline, on the MuJoCo physics engine.

Why MuJoCo: it has heightfield collision (the terrain goes in as-is, no triangle soup), sphere, box, capsule
and convex-mesh bodies with friction and tunable contact softness (restitution), it runs on the CPU with no
GPU, and with a fixed time step and single-threaded stepping it is deterministic: the same world, script and
settings give bit-identical arrays on every run, which the executor's content-addressed cache relies on.

The time step is fixed at 1/(fps · ceil(240 / fps)) s (1/240 s at 24 fps). Per step: due events fire
(spawn, remove, impulse, blast, material, route changes), forces are set (scripted forces, wind drag, water
buoyancy), agents and animated bodies move kinematically, MuJoCo steps, and hard velocity changes are kept
as impacts (for the audio). One sample per frame goes into the Timeline; light, weather, wind and plant sway
per frame come from `sim_env`. Bad input is an error (unknown ids, ids used before they are spawned, spawns
outside the world) or a correction listed in `Timeline.notes` (spawns inside the terrain or a building,
events after the shot ends) that the node shows as warnings.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...settings import setting
from ..camera.path import EASINGS, FPS_CHOICES
from ..state.timeline import Timeline, empty_arrays
from ..state.world_state import WorldState, water_at
from .agents import AVOID_REACH_M, AgentState
from .env import EnvModel
from .resolve import SimulationError, resolve_shot
from .scene import SPARE_GEOMS, build_mjcf, contact_solref, fill_heightfield, grow_mjcf, inertia, mesh_vertices

GRAVITY = np.array([0.0, 0.0, -9.81])
AIR_DENSITY, DRAG_COEFF = 1.2, 0.6
WATER_DENSITY, WATER_DRAG = 1000.0, 1.5
#: a contact whose per-step velocity change exceeds IMPACT_STEP_DV opens or extends an impact; impacts
#: whose summed change stays under IMPACT_DV (m/s) are dropped (rolling and resting contact)
IMPACT_STEP_DV = 0.3
IMPACT_DV = 1.0
IMPACT_MERGE_S = 0.1
MAX_BLAST_DV = 60.0

MAX_SPARE_MESHES = 8

Progress = Callable[[float, str], None]

__all__ = ["FrameSample", "SessionSnapshot", "SimSettings", "SimulationError", "Spare", "WorldSession", "simulate",
           "substeps_for"]


@dataclass(kw_only=True, frozen=True, slots=True)
class Spare:
    """Free bodies and agents compiled into a session's model, parked out of the world, for live spawns.

    MuJoCo models are compiled, so a body spawned while the session runs takes a spare slot of its shape: its
    size, mass, inertia and surface are written into the model and it is put where it spawns (well under a
    millisecond, against a full recompile that keeps the state, which costs as much as building the session).
    A shot run from a script needs none: its spawns are known before it starts."""

    bodies: tuple[tuple[str, int], ...] = (("sphere", 16), ("box", 16), ("capsule", 4))
    agents: tuple[tuple[str, int], ...] = (("character", 3), ("vehicle", 1))
    #: bodies of each imported mesh of the world (its hull, as a script's mesh spawn), up to MAX_SPARE_MESHES
    #: meshes; a mesh whose geometry cannot be read gets none (spawning it says why)
    meshes: int = 4

    def body_shapes(self) -> tuple[str, ...]:
        return tuple(shape for shape, n in self.bodies for _ in range(n))

    def mesh_ids(self, world: WorldState) -> tuple[str, ...]:
        """The imported meshes a session keeps spare bodies of, one entry per body."""
        usable = [m.id for m in world.meshes if mesh_problem(world, m.id) is None][:MAX_SPARE_MESHES]
        return tuple(m for m in usable for _ in range(self.meshes))

    def agent_kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind, n in self.agents for _ in range(n))


@dataclass(kw_only=True, slots=True)
class SimSettings:
    duration_s: float = setting(5.0, min=0.1, max=600.0, description="length of the shot")
    #: a whole number of frames per second on the node (FPS_CHOICES), a float here
    fps: float = setting(24.0, choices=FPS_CHOICES, param_type=int,
                         description="samples per second (match the camera)")
    #: hours the clock advances per second of shot (0: the clock stands still unless the script moves it)
    time_scale_h_per_s: float = setting(
        0.0, min=0.0, max=24.0,
        description="hours the clock runs per second of shot (time-lapse); 0: only scripted changes")
    seed: int = setting(0, min=0, max=2**31 - 1, widget="seed", description="gusts; 0: the world's seed")


def substeps_for(fps: float) -> int:
    return max(1, math.ceil(240.0 / fps - 1e-9))


def simulate(world: WorldState, events: list[dict[str, Any]], settings: SimSettings,
             progress: Progress | None = None) -> Timeline:
    """Run the shot; the same inputs always give the same Timeline, bit for bit."""
    return WorldSession(world, events, settings).run_to_end(progress or (lambda f, m: None))


@dataclass(kw_only=True, frozen=True, slots=True)
class FrameSample:
    """Where everything is at one frame: bodies (B) and agents (A), as a Timeline stores a frame."""

    frame: int
    time_s: float
    body_pos_b3: np.ndarray
    body_quat_b4: np.ndarray
    body_alive_b: np.ndarray
    body_rgb_b3: np.ndarray
    agent_pos_a3: np.ndarray
    agent_yaw_a: np.ndarray
    agent_alive_a: np.ndarray


@dataclass(kw_only=True, frozen=True, slots=True)
class SessionSnapshot:
    """Everything a WorldSession needs to go on from one moment exactly as it did the first time."""

    step: int
    frame: int
    data: Any
    model_arrays: dict[str, np.ndarray]
    state: dict[str, Any]


#: model fields that events change while a session runs (collisions on/off, parking, materials)
_MUTABLE_MODEL = ("geom_contype", "geom_conaffinity", "body_contype", "body_conaffinity", "body_gravcomp",
                  "geom_friction", "geom_solref", "body_mass", "body_inertia", "geom_size", "geom_rbound",
                  "geom_aabb")
#: session fields that change as it runs (deep-copied into snapshots)
_MUTABLE_STATE = ("alive", "rgb", "forces", "animations", "impacts", "last_impact", "open_impact", "pending",
                  "agents", "notes", "events", "masses", "bodies", "agent_specs", "body_ids", "geom_ids",
                  "qpos_adr", "qvel_adr", "agent_bodies", "mocap", "agent_geoms", "index", "free_bodies",
                  "free_agents", "viewer_xy", "spare_held")
#: replaced, never changed in place, so snapshots keep them by reference; the model is changed in place by events
#: (its _MUTABLE_MODEL fields, copied into snapshots) and replaced when a mesh comes in (`add_mesh`)
_REPLACED_STATE = ("env", "wind", "world", "model", "xml", "unit_inertia")


class WorldSession:
    """A world simulated step by step: advance frame by frame, apply events at any moment, snapshot and restore.

    The one simulation behind both `simulate.run` (which runs a session to the end and keeps every frame) and
    interactive use. Stepping is deterministic: a session restored to a snapshot and advanced gives, bit for
    bit, the frames it gave the first time from that moment.
    """

    def __init__(self, world: WorldState, events: list[dict[str, Any]], settings: SimSettings, *,
                 spare: Spare | None = None) -> None:
        import mujoco

        self.mj = mujoco
        self.world, self.settings = world, settings
        self.substeps = substeps_for(settings.fps)
        self.dt = 1.0 / (settings.fps * self.substeps)
        self.n_frames = max(1, int(round(settings.duration_s * settings.fps)))
        self.step_index, self.frame = 0, 0
        shot = resolve_shot(world, events, duration_s=settings.duration_s)
        self.shot = shot
        self.bodies, self.agent_specs, self.events, self.notes = shot.bodies, shot.agents, shot.events, shot.notes
        self.spare = spare or Spare(bodies=(), agents=(), meshes=0)
        #: where a viewer stands (x, y) for agents to walk around; None: no viewer on the ground. The script's
        #: 'viewer' events set it frame by frame; an interactive caller sets it before each `advance`
        self.viewer_xy: np.ndarray | None = None
        self.viewer_paths = [e for e in self.events if e["kind"] == "viewer"]
        #: whether an agent came within reach of the viewer while stepping to the last frame advanced to
        self.viewer_felt = False
        self.model = self._compile(shot.focus_xy)
        self.data = mujoco.MjData(self.model)
        self._find_ids()
        self._tables()
        self.agents = [AgentState.of(a) for a in self.agent_specs]
        self.alive = np.zeros(len(self.bodies), bool)
        self.rgb = np.array([b.color for b in self.bodies], np.float32).reshape(-1, 3)
        self.forces: list[dict[str, Any]] = []
        self.animations: dict[int, tuple] = {}
        self.impacts: list[list[float]] = []
        self.last_impact = np.full(len(self.bodies), -1.0)
        self.open_impact = np.full(len(self.bodies), -1, np.int64)
        self.pending = list(self.events)
        self._build_env()

    def _build_env(self) -> None:
        """Light, weather and wind over the shot from the world's env and the events so far."""
        self.env = EnvModel.from_events(self.world.env, self.events, seed=self.settings.seed or self.world.seed,
                                        time_scale_h_per_s=self.settings.time_scale_h_per_s)
        self.wind = self.env.wind_vectors(np.arange(self.n_frames * self.substeps + 1) * self.dt)

    def _compile(self, focus_xy: np.ndarray) -> Any:
        self.xml = build_mjcf(self.world, self.bodies, self.agent_specs, dt=self.dt, focus_xy=focus_xy,
                              spare_bodies=self.spare.body_shapes(), spare_agents=self.spare.agent_kinds(),
                              spare_meshes=self.spare.mesh_ids(self.world))
        return self._model_of(self.xml, self.world)

    def _model_of(self, xml: str, world: WorldState) -> Any:
        try:
            model = self.mj.MjModel.from_xml_string(xml)
        except ValueError as exc:
            raise SimulationError(f"the physics model could not be built: {exc}") from None
        fill_heightfield(model, world)
        return model

    def add_mesh(self, world: WorldState, mesh: str) -> None:
        """Take a mesh the world gained while the session runs (`world` is this session's world with it, kept
        aside): the model is compiled again with spare bodies of it added after every other body, and goes on
        from the state it had. Snapshots taken before keep the model they had, so rewinds stay exact."""
        before, after = self.spare.mesh_ids(self.world), self.spare.mesh_ids(world)
        added = after[len(before):]
        if after[: len(before)] != before or not added or set(added) != {mesh}:
            raise SimulationError(f"the session cannot keep spare bodies of {mesh!r}: it keeps spare bodies of "
                                  f"{self.spare.meshes} per mesh for the first {MAX_SPARE_MESHES} usable meshes")
        xml = grow_mjcf(self.xml, world, mesh, kind=len(dict.fromkeys(before)), first=len(before),
                        count=len(added), dt=self.dt)
        model, old_model, old = self._model_of(xml, world), self.model, self.data
        for name in _MUTABLE_MODEL:  # bodies and geoms already there keep their index: the prefix
            getattr(model, name)[: len(getattr(old_model, name))] = getattr(old_model, name)
        data = self.mj.MjData(model)
        data.time = old.time
        for name in ("qpos", "qvel", "qacc_warmstart", "qfrc_applied", "xfrc_applied", "mocap_pos", "mocap_quat"):
            getattr(data, name)[: len(getattr(old, name))] = getattr(old, name)
        self.model, self.data, self.xml, self.world = model, data, xml, world
        self._set_const()
        self.mj.mj_kinematics(model, data)
        self.unit_inertia = dict(self.unit_inertia)
        obj = self.mj.mjtObj
        for k in range(len(before), len(after)):
            b = int(self.mj.mj_name2id(model, obj.mjOBJ_BODY, f"pm{k}"))
            self.unit_inertia[b] = model.body_inertia[b].copy()
            self.free_bodies.setdefault(f"mesh:{mesh}", []).append(
                (b, int(self.mj.mj_name2id(model, obj.mjOBJ_GEOM, f"pmg{k}")),
                 int(model.jnt_qposadr[model.body_jntadr[b]]), int(model.jnt_dofadr[model.body_jntadr[b]])))

    def _find_ids(self) -> None:
        """MuJoCo ids and addresses of every body's body, geom, joint and of every agent's mocap body."""
        m, obj = self.model, self.mj.mjtObj

        def named(kind: Any, name: str) -> int:
            return int(self.mj.mj_name2id(m, kind, name))

        self.body_ids = [named(obj.mjOBJ_BODY, f"b{k}") for k in range(len(self.bodies))]
        self.geom_ids = [named(obj.mjOBJ_GEOM, f"g{k}") for k in range(len(self.bodies))]
        self.qpos_adr = [int(m.jnt_qposadr[m.body_jntadr[b]]) for b in self.body_ids]
        self.qvel_adr = [int(m.jnt_dofadr[m.body_jntadr[b]]) for b in self.body_ids]
        self.agent_bodies = [named(obj.mjOBJ_BODY, f"a{k}") for k in range(len(self.agent_specs))]
        self.mocap = [int(m.body_mocapid[b]) for b in self.agent_bodies]
        self.agent_geoms = [int(m.body_geomadr[b]) for b in self.agent_bodies]
        self.index = {b.id: ("body", k) for k, b in enumerate(self.bodies)}
        self.index.update({a.id: ("agent", k) for k, a in enumerate(self.agent_specs)})
        #: spare slots by shape / kind: (body, geom, qpos address, qvel address) and (body, mocap, geom)
        self.free_bodies: dict[str, list[tuple[int, int, int, int]]] = {}
        for k, shape in enumerate(self.spare.body_shapes()):
            b = named(obj.mjOBJ_BODY, f"p{k}")
            self.free_bodies.setdefault(shape, []).append(
                (b, named(obj.mjOBJ_GEOM, f"pg{k}"), int(m.jnt_qposadr[m.body_jntadr[b]]),
                 int(m.jnt_dofadr[m.body_jntadr[b]])))
        #: spare mesh bodies by "mesh:<id>", and each one's inertia at 1 kg (a spawn scales it by its mass)
        self.unit_inertia: dict[int, np.ndarray] = {}
        for k, mesh in enumerate(self.spare.mesh_ids(self.world)):
            b = named(obj.mjOBJ_BODY, f"pm{k}")
            self.unit_inertia[b] = m.body_inertia[b].copy()
            self.free_bodies.setdefault(f"mesh:{mesh}", []).append(
                (b, named(obj.mjOBJ_GEOM, f"pmg{k}"), int(m.jnt_qposadr[m.body_jntadr[b]]),
                 int(m.jnt_dofadr[m.body_jntadr[b]])))
        self.free_agents: dict[str, list[tuple[int, int, int]]] = {}
        for k, kind in enumerate(self.spare.agent_kinds()):
            b = named(obj.mjOBJ_BODY, f"q{k}")
            self.free_agents.setdefault(kind, []).append((b, int(m.body_mocapid[b]), int(m.body_geomadr[b])))
        #: the spare slots in use: ("body" | "agent", index) -> (shape or kind, slot); a removal gives it back
        self.spare_held: dict[tuple[str, int], tuple[str, tuple[int, ...]]] = {}

    def _tables(self) -> None:
        """Per-body arrays for the vectorised force and impact code."""
        self.body_array = np.asarray(self.body_ids, np.int64)
        self.qvel_index = np.asarray([[a, a + 1, a + 2] for a in self.qvel_adr], np.int64).reshape(-1, 3)
        self.masses = np.array([b.mass for b in self.bodies])
        self.areas = np.array([b.area() for b in self.bodies])
        self.volumes = np.array([b.volume_m3 for b in self.bodies])
        self.half_heights = np.array([max(b.half_height(), 0.01) for b in self.bodies])
        self.has_water = bool(np.isfinite(self.world.water_hw).any())

    # --- the loop --------------------------------------------------------------------------------

    @property
    def time_s(self) -> float:
        """The simulated time of the next frame to be sampled."""
        return self.frame / self.settings.fps

    @property
    def finished(self) -> bool:
        return self.frame >= self.n_frames

    def advance(self) -> FrameSample:
        """Step to the next frame's moment, fire its events and sample it."""
        if self.finished:
            raise SimulationError(f"the shot ends after {self.n_frames} frames; restore a snapshot to go on")
        f = self.frame
        if self.viewer_paths:
            self.viewer_xy = viewer_at(self.viewer_paths, f / self.settings.fps, 0.25 / self.settings.fps)
        self.viewer_felt = False
        while self.step_index < f * self.substeps:
            self._step(self.step_index * self.dt)
            self.step_index += 1
        self._fire(self.step_index * self.dt)
        self._pose_agents()
        self.mj.mj_kinematics(self.model, self.data)
        self.frame += 1
        return self.sample(f)

    def sample(self, f: int) -> FrameSample:
        d = self.data
        return FrameSample(
            frame=f, time_s=f / self.settings.fps,
            body_pos_b3=np.array([d.xpos[b] for b in self.body_ids], np.float64).reshape(-1, 3),
            body_quat_b4=np.array([d.xquat[b] for b in self.body_ids], np.float64).reshape(-1, 4),
            body_alive_b=self.alive.astype(np.uint8), body_rgb_b3=self.rgb.copy(),
            agent_pos_a3=np.array([a.feet(self.world) for a in self.agents], np.float64).reshape(-1, 3),
            agent_yaw_a=np.array([a.yaw for a in self.agents], np.float64),
            agent_alive_a=np.array([a.alive for a in self.agents], np.uint8))

    def snapshot(self) -> SessionSnapshot:
        """The session's whole state now; `restore` goes back to it exactly."""
        return SessionSnapshot(step=self.step_index, frame=self.frame, data=copy.copy(self.data),
                               model_arrays={k: getattr(self.model, k).copy() for k in _MUTABLE_MODEL},
                               state={**copy.deepcopy({k: getattr(self, k) for k in _MUTABLE_STATE}),
                                      **{k: getattr(self, k) for k in _REPLACED_STATE}})

    def restore(self, snap: SessionSnapshot) -> None:
        """Go back (or forward) to a snapshot of this session."""
        if snap.state["model"] is not self.model:  # from before (or after) a mesh came in
            self.model = snap.state["model"]
            self.data = self.mj.MjData(self.model)
        mass_changed = not np.array_equal(self.model.body_mass, snap.model_arrays["body_mass"])
        for k, v in snap.model_arrays.items():
            getattr(self.model, k)[...] = v
        self.mj.mj_copyData(self.data, self.model, snap.data)
        if mass_changed:
            self._set_const()
        state = copy.deepcopy({k: v for k, v in snap.state.items() if k not in _REPLACED_STATE})
        for k, v in {**snap.state, **state}.items():
            setattr(self, k, v)
        self.shot.notes, self.shot.events, self.shot.bodies = self.notes, self.events, self.bodies
        self.shot.agents = self.agent_specs
        self._tables()
        self.step_index, self.frame = snap.step, snap.frame

    def apply(self, raw: dict[str, Any]) -> dict[str, Any]:
        """An event now (its time is the session's current time), checked and resolved like a script's;
        returns it as it will fire. A spawn takes a spare slot (see `Spare`); other events act on bodies and
        agents alive now."""
        from ..actions.events import check_event
        from .resolve import apply_live, spawn_live

        event = check_event({k: v for k, v in raw.items() if k not in ("time", "end")} | {"time": self.time_s}
                            | ({"end": raw["end"]} if raw.get("end") is not None else {}))
        alive = {b.id: ("body", k) for k, b in enumerate(self.bodies) if self.alive[k]}
        alive |= {a.spec.id: ("agent", k) for k, a in enumerate(self.agents) if a.alive}
        if event["kind"] == "viewer":
            raise SimulationError("a viewer path is part of a script (where someone watching stood); it cannot "
                                  "be applied to a running session, whose viewer is set by the caller")
        if event["kind"] == "spawn":
            self._check_spare(event)
            spawn_live(self.world, event, self.shot, alive)
            self._take_spare(event)
        else:
            apply_live(self.world, event, self.shot, alive)
        if event["kind"] == "remove":  # what was scripted for it later no longer happens
            self.pending = [e for e in self.pending if e.get("id") != event["id"]]
        self.events.append(event)
        self.pending = sorted([*self.pending, event], key=lambda e: e["time"])
        if event["kind"] in ("wind", "time", "weather"):
            self._build_env()
        return event

    def _check_spare(self, e: dict[str, Any]) -> None:
        shape = e.get("shape", "sphere")
        if e.get("id") and e["id"] in self.index:
            raise SimulationError(f"id {e['id']!r} is already used; give the spawn another id")
        if shape == "mesh":
            return self._check_spare_mesh(str(e.get("mesh")))
        free = self.free_agents if shape in ("character", "vehicle") else self.free_bodies
        if shape not in SPARE_GEOMS and shape not in ("character", "vehicle"):
            raise SimulationError(f"a {shape} cannot be spawned while the session runs; spawn sphere, box, "
                                  "capsule, mesh, character or vehicle")
        if not free.get(shape):
            total = dict(self.spare.agents if free is self.free_agents else self.spare.bodies).get(shape, 0)
            if not total:
                raise SimulationError(f"this session keeps no spare {shape} for live spawns; spawn it in the "
                                      "session's script, or start the session with spare bodies")
            raise SimulationError(f"no spare {shape} left: the session keeps {total}, all spawned and not "
                                  "removed; remove one (its slot is free once the removal fires), rewind to "
                                  "before a spawn or start a new session")

    def _check_spare_mesh(self, mesh: str) -> None:
        """A live mesh spawn needs a spare body of that mesh: the world imports it, its geometry is usable,
        and not every spare of it is in use."""
        if self.free_bodies.get(f"mesh:{mesh}"):
            return
        problem = mesh_problem(self.world, mesh)
        if problem is not None:
            raise SimulationError(problem)
        total = self.spare.mesh_ids(self.world).count(mesh)
        if not total:
            raise SimulationError(f"this session keeps no spare {mesh!r} for live spawns (it keeps spare bodies "
                                  f"of the first {MAX_SPARE_MESHES} imported meshes); spawn it in the script")
        raise SimulationError(f"no spare {mesh!r} left: the session keeps {total}, all spawned and not removed; "
                              "remove one, rewind to before a spawn or start a new session")

    def _take_spare(self, e: dict[str, Any]) -> None:
        """Give the body or agent just resolved (the shot's last) a spare slot of its shape."""
        if e.get("shape") in ("character", "vehicle"):
            spec = self.agent_specs[-1]
            b, mocap, geom = self.free_agents[spec.kind].pop(0)
            self.agent_bodies.append(b)
            self.mocap.append(mocap)
            self.agent_geoms.append(geom)
            self.agents.append(AgentState.of(spec))
            self.index[spec.id] = ("agent", len(self.agents) - 1)
            self.spare_held[("agent", len(self.agents) - 1)] = (spec.kind, (b, mocap, geom))
            return
        spec, m = self.bodies[-1], self.model
        slot = f"mesh:{spec.mesh}" if spec.shape == "mesh" else spec.shape
        b, g, qa, va = self.free_bodies[slot].pop(0)
        self.spare_held[("body", len(self.bodies) - 1)] = (slot, (b, g, qa, va))
        if spec.shape == "mesh":  # the hull is compiled in: only the mass changes
            m.body_mass[b], m.body_inertia[b] = spec.mass, self.unit_inertia[b] * spec.mass
        else:
            diag, size, rbound = inertia(spec.shape, spec.size, spec.mass)
            m.geom_size[g], m.geom_rbound[g] = size, rbound
            m.geom_aabb[g] = [0.0, 0.0, 0.0, *_half_box(spec.shape, size)]
            m.body_mass[b], m.body_inertia[b] = spec.mass, diag
        m.geom_friction[g, 0] = spec.friction
        m.geom_solref[g] = [float(v) for v in contact_solref(spec.bounce, self.dt).split()]
        self.body_ids.append(b)
        self.geom_ids.append(g)
        self.qpos_adr.append(qa)
        self.qvel_adr.append(va)
        k = len(self.bodies) - 1
        self.index[spec.id] = ("body", k)
        self.alive = np.append(self.alive, False)
        self.rgb = np.vstack([self.rgb, np.asarray(spec.color, np.float32)[None]])
        self.last_impact = np.append(self.last_impact, -1.0)
        self.open_impact = np.append(self.open_impact, -1)
        self._tables()
        self.masses[k] = spec.mass
        self._set_const()

    def run_to_end(self, progress: Progress) -> Timeline:
        """Advance to the last frame, keeping every frame, and give the Timeline."""
        arrays = empty_arrays(self.n_frames, len(self.bodies), len(self.agents))
        while not self.finished:
            f = self.frame
            self._record(arrays, self.advance())
            if f % 12 == 0:
                progress(f / self.n_frames, f"simulating frame {f + 1}/{self.n_frames}")
        times = np.arange(self.n_frames) / self.settings.fps
        env_frames, sway = self.env.frames(times, self.dt, self.wind)
        arrays["sway_f2"] = sway
        arrays["impacts_n6"] = self.impacts_array()
        return Timeline(fps=float(self.settings.fps), duration_s=float(self.settings.duration_s), dt=self.dt,
                        world_hash=self.world.content_hash(), bodies=[b.record() for b in self.bodies],
                        agents=[a.record() for a in self.agent_specs], env_frames=env_frames,
                        events=[_plain(e) for e in self.events], notes=self.notes, **arrays)

    def _step(self, t: float) -> None:
        self._fire(t)
        self._set_forces(t)
        self._animate_bodies(t)
        self._advance_agents(t + self.dt)
        self._pose_agents()
        v_before = self._velocities()
        self.mj.mj_step(self.model, self.data)
        self._detect_impacts(t + self.dt, v_before)

    @staticmethod
    def _record(arrays: dict[str, np.ndarray], s: FrameSample) -> None:
        f = s.frame
        arrays["body_pos_fb3"][f] = s.body_pos_b3
        arrays["body_quat_fb4"][f] = s.body_quat_b4
        arrays["body_alive_fb"][f] = s.body_alive_b
        arrays["body_rgb_fb3"][f] = s.body_rgb_b3
        arrays["agent_pos_fa3"][f] = s.agent_pos_a3
        arrays["agent_yaw_fa"][f] = s.agent_yaw_a
        arrays["agent_alive_fa"][f] = s.agent_alive_a

    # --- events ----------------------------------------------------------------------------------

    def _fire(self, t: float) -> None:
        while self.pending and self.pending[0]["time"] <= t + 1e-9:
            e = self.pending.pop(0)
            handler = getattr(self, f"_on_{e['kind']}", None)
            if handler is not None:
                handler(e, t)

    def _target(self, e: dict[str, Any]) -> tuple[str, int]:
        return self.index[e["id"]]

    def _on_spawn(self, e: dict[str, Any], t: float) -> None:
        kind, k = self._target(e)
        if kind == "agent":
            self.agents[k].alive = True
            return
        pos = np.asarray(e["resolved_pos"], np.float64)
        m, qa, va = self.model, self.qpos_adr[k], self.qvel_adr[k]
        self.data.qpos[qa:qa + 3] = pos
        yaw = math.radians(float(e.get("yaw", 0.0) or 0.0))
        self.data.qpos[qa + 3:qa + 7] = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
        self.data.qvel[va:va + 3] = e.get("vel") or (0.0, 0.0, 0.0)
        self.data.qvel[va + 3:va + 6] = e.get("spin") or (0.0, 0.0, 0.0)
        self._collide(self.geom_ids[k], self.body_ids[k], True)
        m.body_gravcomp[self.body_ids[k]] = 0.0
        self.alive[k] = True

    def _on_remove(self, e: dict[str, Any], t: float) -> None:
        kind, k = self._target(e)
        if kind == "agent":
            self.agents[k].alive = False
            self._free_spare(kind, k)
            return
        m, qa, va = self.model, self.qpos_adr[k], self.qvel_adr[k]
        self._collide(self.geom_ids[k], self.body_ids[k], False)
        m.body_gravcomp[self.body_ids[k]] = 1.0
        self.data.qpos[qa:qa + 7] = [k * 10.0, 0.0, -1000.0, 1.0, 0.0, 0.0, 0.0]
        self.data.qvel[va:va + 6] = 0.0
        self.alive[k] = False
        self.forces = [f for f in self.forces if f["id"] != e["id"]]
        self._free_spare(kind, k)

    def _free_spare(self, kind: str, k: int) -> None:
        """A removed live spawn's spare slot goes back to the pool (at its end), so a session can spawn and
        remove for ever. The removed one keeps its index (its frames so far stay as they were) and shows
        as not alive."""
        held = self.spare_held.pop((kind, k), None)
        if held is None:  # a body or agent of the script: its own slot
            return
        shape, slot = held
        if kind == "agent":
            self.free_agents.setdefault(shape, []).append(slot)  # type: ignore[arg-type]
        else:
            self.animations.pop(k, None)
            self.free_bodies.setdefault(shape, []).append(slot)  # type: ignore[arg-type]

    def _on_impulse(self, e: dict[str, Any], t: float) -> None:
        _, k = self._target(e)
        va = self.qvel_adr[k]
        self.data.qvel[va:va + 3] += np.asarray(e["vec"]) / self.bodies[k].mass

    def _on_force(self, e: dict[str, Any], t: float) -> None:
        self.forces.append(e)

    def _on_blast(self, e: dict[str, Any], t: float) -> None:
        centre = np.asarray(e["resolved_pos"], np.float64)
        if e.get("near") and e["near"] in self.index:
            centre = self._position_of(e["near"])
        e["resolved_pos"] = [float(c) for c in centre]
        for k in np.nonzero(self.alive)[0]:
            d = self.data.xpos[self.body_ids[k]] - centre
            dist = float(np.linalg.norm(d))
            if dist >= e["radius"]:
                continue
            away = d / dist if dist > 1e-6 else np.array([0.0, 0.0, 1.0])
            away = away + np.array([0.0, 0.0, 0.4])
            away /= np.linalg.norm(away)
            dv = min(e["strength"] * (1 - dist / e["radius"]) ** 2 / self.bodies[k].mass, MAX_BLAST_DV)
            va = self.qvel_adr[k]
            self.data.qvel[va:va + 3] += away * dv
        reach = max(2.0 * float(e["radius"]), 12.0)  # agents near it run away
        for a in self.agents:
            if a.flee(self.world, centre, reach):
                self.notes.append(f"{a.spec.id} runs from the blast at {t:.2f} s")

    def _on_material(self, e: dict[str, Any], t: float) -> None:
        _, k = self._target(e)
        g, b = self.geom_ids[k], self.body_ids[k]
        spec = self.bodies[k]
        from ..actions.events import MATERIALS

        mat = MATERIALS.get(str(e.get("material") or ""), {})
        friction = e.get("friction", mat.get("friction"))
        bounce = e.get("bounce", mat.get("bounce"))
        if friction is not None:
            self.model.geom_friction[g, 0] = float(friction)
        if bounce is not None:
            self.model.geom_solref[g] = [float(v) for v in contact_solref(float(bounce), self.dt).split()]
        if "density" in mat and not spec.mass_given:
            ratio = mat["density"] / max(spec.mass / max(spec.volume_m3, 1e-9), 1e-9)
            self.model.body_mass[b] *= ratio
            self.model.body_inertia[b] *= ratio
            spec.mass *= ratio
            self.masses[k] = spec.mass
            self._set_const()
        if e.get("material"):
            spec.material = str(e["material"])
        color = e.get("color") or mat.get("color")
        if color is not None:
            self.rgb[k] = color

    def _on_move(self, e: dict[str, Any], t: float) -> None:
        _, k = self._target(e)
        agent = self.agents[k]
        points = e.get("path") or [e["to"]]
        agent.set_route(points, e.get("speed"))
        if e.get("end") is not None and e.get("speed") is None:
            agent.speed = max(agent.route_length() / (e["end"] - e["time"]), 0.05)

    def _on_animate(self, e: dict[str, Any], t: float) -> None:
        kind, k = self._target(e)
        ease = EASINGS[e.get("ease", "in_out")]
        if kind == "agent":
            a = self.agents[k]
            end = np.asarray(e["to"], np.float64)
            yaw1 = math.radians(e["yaw"]) if e.get("yaw") is not None else a.yaw
            a.animation = (e["time"], e["end"], a.feet(self.world), end, a.yaw, yaw1, ease)
            return
        qa = self.qpos_adr[k]
        start = self.data.qpos[qa:qa + 3].copy()
        end = np.asarray(e["resolved_to"], np.float64)
        q = self.data.qpos[qa + 3:qa + 7].copy()
        yaw0 = math.atan2(2 * (q[0] * q[3] + q[1] * q[2]), 1 - 2 * (q[2] ** 2 + q[3] ** 2))
        yaw1 = math.radians(e["yaw"]) if e.get("yaw") is not None else yaw0
        self.animations[k] = (e["time"], e["end"], start, end, yaw0, yaw1, ease)
        self.model.body_gravcomp[self.body_ids[k]] = 1.0

    def _set_const(self) -> None:
        """Recompute the model's constants after a mass change; MuJoCo uses the data as scratch (it puts every
        body back at its compiled pose), so the state is kept and put back."""
        keep = copy.copy(self.data)
        self.mj.mj_setConst(self.model, self.data)
        self.mj.mj_copyData(self.data, self.model, keep)

    def _position_of(self, object_id: str) -> np.ndarray:
        kind, k = self.index[object_id]
        if kind == "agent":
            return self.agents[k].feet(self.world)
        return self.data.xpos[self.body_ids[k]].copy()

    # --- forces and kinematics -------------------------------------------------------------------

    def _set_forces(self, t: float) -> None:
        d = self.data
        d.xfrc_applied[:] = 0.0
        self.forces = [f for f in self.forces if f["end"] > t + 1e-9]
        for f in self.forces:
            _, k = self._target(f)
            d.xfrc_applied[self.body_ids[k], :3] += f["vec"]
        alive = np.nonzero(self.alive)[0]
        if not len(alive):
            return
        bodies = self.body_array[alive]
        v = d.qvel[self.qvel_index[alive]]
        rel = self.wind[min(int(round(t / self.dt)), len(self.wind) - 1)][None, :] - v
        drag = 0.5 * AIR_DENSITY * DRAG_COEFF * self.areas[alive, None] * np.linalg.norm(rel, axis=1)[:, None] * rel
        d.xfrc_applied[bodies, :3] += drag
        if self.has_water:
            d.xfrc_applied[bodies, :3] += self._buoyancy(alive, d.xpos[bodies], v)

    def _buoyancy(self, alive: np.ndarray, pos: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Lift and water drag on the submerged share of each body (N x 3)."""
        level = water_at(self.world, pos[:, :2])
        hh = self.half_heights[alive]
        frac = np.clip((level - (pos[:, 2] - hh)) / (2 * hh), 0.0, 1.0)
        frac = np.where(np.isfinite(level), frac, 0.0)
        out = -WATER_DRAG * (frac * self.masses[alive])[:, None] * v
        out[:, 2] += WATER_DENSITY * 9.81 * self.volumes[alive] * frac
        return out

    def _animate_bodies(self, t: float) -> None:
        for k, (t0, t1, start, end, yaw0, yaw1, ease) in list(self.animations.items()):
            if t < t0:
                continue
            u0 = float(ease(np.array(min(max((t - t0) / (t1 - t0), 0.0), 1.0))))
            u1 = float(ease(np.array(min(max((t + self.dt - t0) / (t1 - t0), 0.0), 1.0))))
            qa, va = self.qpos_adr[k], self.qvel_adr[k]
            self.data.qpos[qa:qa + 3] = start + (end - start) * u0
            yaw = yaw0 + (yaw1 - yaw0) * u0
            self.data.qpos[qa + 3:qa + 7] = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
            self.data.qvel[va:va + 3] = (end - start) * (u1 - u0) / self.dt
            self.data.qvel[va + 3:va + 6] = [0.0, 0.0, (yaw1 - yaw0) * (u1 - u0) / self.dt]
            if t >= t1:
                del self.animations[k]
                self.model.body_gravcomp[self.body_ids[k]] = 0.0

    def _advance_agents(self, t: float) -> None:
        """Move every agent to where it is at time t (animation, else one step along its route)."""
        viewer = self.viewer_xy
        for a in self.agents:
            if a.alive and not a.animate(self.world, t):
                if viewer is not None and not self.viewer_felt:
                    self.viewer_felt = float(np.hypot(*(a.xy - viewer))) < AVOID_REACH_M + 1.0
                a.step(self.world, self.dt, self.notes, t, viewer)

    def _pose_agents(self) -> None:
        """Put the agents' collision shapes where the agents are; only living agents collide."""
        for k, a in enumerate(self.agents):
            if not a.alive:
                continue
            pos, quat = a.mocap_pose(self.world)
            self.data.mocap_pos[self.mocap[k]] = pos
            self.data.mocap_quat[self.mocap[k]] = quat
        for k, a in enumerate(self.agents):
            self._collide(self.agent_geoms[k], self.agent_bodies[k], a.alive)

    def _collide(self, geom: int, body: int, on: bool) -> None:
        """Switch one geom's collisions (MuJoCo filters by body too, so both are set)."""
        m, flag = self.model, 1 if on else 0
        m.geom_contype[geom] = m.geom_conaffinity[geom] = flag
        m.body_contype[body] = m.body_conaffinity[body] = flag

    # --- impacts ---------------------------------------------------------------------------------

    def _velocities(self) -> np.ndarray:
        return self.data.qvel[self.qvel_index]

    def _detect_impacts(self, t: float, before: np.ndarray) -> None:
        if not len(before):
            return
        after = self._velocities()
        masses = self.masses
        external = self.data.xfrc_applied[self.body_ids, :3] / masses[:, None]
        gravity = GRAVITY[None, :] * (1.0 - self.model.body_gravcomp[self.body_ids])[:, None]
        dv = np.linalg.norm(after - before - (gravity + external) * self.dt, axis=1)
        for k in np.nonzero((dv > IMPACT_STEP_DV) & self.alive)[0]:
            if k in self.animations:
                continue
            pos = self.data.xpos[self.body_ids[k]]
            impulse = float(masses[k] * dv[k])
            if t - self.last_impact[k] < IMPACT_MERGE_S and self.open_impact[k] >= 0:
                self.impacts[self.open_impact[k]][2] += impulse
            else:
                self.open_impact[k] = len(self.impacts)
                self.impacts.append([t, float(k), impulse, float(pos[0]), float(pos[1]), float(pos[2])])
            self.last_impact[k] = t

    def impacts_array(self) -> np.ndarray:
        """Contacts whose summed velocity change reached IMPACT_DV: time, body, impulse, x, y, z."""
        rows = np.array(self.impacts, np.float64).reshape(-1, 6)
        if not len(rows):
            return rows
        change = rows[:, 2] / self.masses[rows[:, 1].astype(int)]
        return rows[change >= IMPACT_DV]


def mesh_problem(world: WorldState, mesh: str) -> str | None:
    """Why an imported mesh cannot be a body (unknown to the world, or geometry that cannot be read), or None."""
    if not any(m.id == mesh for m in world.meshes):
        known = ", ".join(m.id for m in world.meshes) or "none"
        return f"no imported mesh {mesh!r} in this world (imported: {known}); import it into the world first"
    try:
        pts = mesh_vertices(world, mesh)
    except ValueError:
        return (f"the imported mesh {mesh!r} has no geometry in this world (its vertex array is missing or empty); "
                "import the file again")
    if len(pts) < 4 or not np.isfinite(pts).all() or float(np.ptp(pts, axis=0).min()) < 1e-6:
        return (f"the imported mesh {mesh!r} is not a solid (its vertices are fewer than 4, flat or not finite), "
                "so it cannot be a body; import a closed mesh")
    return None


def viewer_at(paths: list[dict[str, Any]], t: float, snap_s: float) -> np.ndarray | None:
    """Where the scripted viewer stands at time t: on the path of the last 'viewer' event whose interval holds
    t (within snap_s), its points evenly spaced over the interval; a point within snap_s of t is taken as it
    is (a recording's one point per frame replays exactly), between points the place is interpolated. None
    when no event holds t (no viewer on the ground then)."""
    for e in reversed(paths):
        t0, t1, points = float(e["time"]), float(e["end"]), e["path"]
        if not t0 - snap_s <= t <= t1 + snap_s:
            continue
        if len(points) == 1:
            return np.array(points[0][:2], np.float64)
        gap = (t1 - t0) / (len(points) - 1)
        u = min(max((t - t0) / gap, 0.0), len(points) - 1.0)
        k = int(round(u))
        if abs(u - k) * gap <= snap_s:
            return np.array(points[k][:2], np.float64)
        lo = int(math.floor(u))
        a, b = np.asarray(points[lo][:2], np.float64), np.asarray(points[lo + 1][:2], np.float64)
        return a + (b - a) * (u - lo)
    return None


def _half_box(shape: str, size: list[float]) -> list[float]:
    """Half extents of a geom's local bounding box from its MuJoCo size."""
    if shape == "sphere":
        return [size[0]] * 3
    if shape == "capsule":
        return [size[0], size[0], size[0] + size[1]]
    return list(size)


def _plain(e: dict[str, Any]) -> dict[str, Any]:
    """An event with JSON-safe values only."""
    out = {}
    for k, v in e.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
