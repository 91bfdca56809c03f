"""Composition that serves the prompt: which subject a still is about, and the viewpoint that shows it.

The subjects come from what the prompt named (world.spec: water, structures, props, roads) and from what the
world holds (imported meshes, vehicles, structures, roads and rivers, water). They are ranked (an imported product
> vehicles > named structures > roads > named water > the landscape); the first is framed to a screen size that
suits its real size and the lens (a product or a car at eye level, a building at a few times its size, a
landscape from the air), the rest are kept in frame where a viewpoint allows it. Named props (crates, fences,
flower fields: props_framing.py) are kept in frame beside the first subject, or framed for themselves when the
first would be only the landscape.

Candidate viewpoints are scored without rendering: sample points of every subject are projected through the
Camera and tested for a clear line of sight over the heightfield, a fan of rays finds the world's border, and the
horizon is kept at a third of the frame. A few tens of milliseconds per still.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ...settings import setting
from ..generate import studio as sd
from ..generate.riverside import BEACH_DWELLINGS
from ..generate.roadside import wants_outskirts
from ..geometry.camera import Camera, ground_clearance, vec3
from ..render.animals import FORM_SIZE, duck_form
from ..render.lighting import fog_density_of
from ..render.weather import FOG_DEPTH_CLEARED
from ..state.records import Structure
from ..state.world_state import ANIMAL_KINDS, INSTANCE_KINDS, MATERIALS, WorldState, heights_at
from . import props_framing as pf
from .alley import alley_view
from .bay import bay_view
from .beach import beach_shot, wants_beach
from .between import between_view
from .coast import coast_shot
from .cover import LowCover, higher_rises
from .outcrops import rock_subject_parts
from .setting_view import seat_points, setting_bearings, toward_of
from .trees import named_trees

#: how strongly each kind of subject claims the frame
SUBJECT_RANK: dict[str, int] = {"product": 60, "vehicle": 50, "animals": 45, "structure": 40, "road": 20, "water": 10,
                                "outcrop": 8, "props": 5, "trees": 4, "landscape": 0}
#: subjects kept in frame beside the main one (props are framed for themselves only where nothing larger is named,
#: see `_promoted`; trees never are)
ALONGSIDE = ("props", "trees")
#: how much a structure kind draws the eye among structures
STRUCTURE_RANK: dict[str, int] = {"skyscraper": 7, "highrise": 6, "lighthouse": 6, "tent": 1, "campfire": 0, "castle": 5, "windmill": 5, "tower": 4, "watchtower": 4,
                                  "church": 6,
                                  "ruins": 3, "cabin": 2, "house": 2, "barn": 2, "bridge": 1, "waterfall": 1,
                                  "ferry": 4, "sailboat": 3, "fishing_boat": 3, "motorboat": 2, "rowboat": 2,
                                  "pier": 2, "quay": 1}
#: what the town's edge ("city outskirts", "a suburb") adds to a structure kind's rank among structures
OUTSKIRTS_RANK: dict[str, float] = {"house": 12.0, "cabin": 10.0, "barn": 4.0, "highrise": -16.0}
#: spec structures that stand for several structure kinds (boats of every kind, a harbour's pier and quay)
KINDS_OF_ASKED: dict[str, tuple[str, ...]] = {
    "boat": ("ferry", "sailboat", "fishing_boat", "motorboat", "rowboat"), "harbour": ("pier", "quay")}
#: product sides: the camera's bearing from the product's front, degrees (counter-clockwise seen from above)
SIDES: dict[str, float] = {"front": 0.0, "front_left": -40.0, "front_right": 40.0, "left": -90.0,
                           "right": 90.0, "back": 180.0}
PRODUCT_SIDES: tuple[str, ...] = (*SIDES, "any")
#: share of the frame a secondary subject needs to read (its class is then "in frame")
READABLE_SHARE: dict[str, float] = {"water": 0.05, "road": 0.008, "structure": 0.003, "vehicle": 0.0008,
                                    "animals": 0.004,
                                    "product": 0.03, "props": 0.01, "outcrop": 0.02, "trees": 0.013,
                                    "landscape": 0.0}
#: named rock kept beside the subject (boulders and the terrain's rock faces, whose share the sample points
#: overestimate: faces seen edge-on, boulders half sunk) wants more of the frame than other props
ROCK_SHARE = 0.03
VEHICLE_SIZE_M = (4.4, 1.8, 1.5)
#: what keeping a named secondary subject in frame is worth (2 unless given): the water a prompt names is the
#: setting of the shot (a car above the sea, a bottle by the lake), worth a smaller subject or a higher camera
SETTING_WEIGHT: dict[str, float] = {"water": 2.0, "trees": 1.0}
#: instances that block a view: (canopy radius, height) in metres at scale 1
BLOCKERS: dict[str, tuple[float, float]] = {"conifer": (2.4, 12.0), "broadleaf": (3.2, 10.0), "palm": (2.2, 11.5),
                                            "dead_tree": (1.4, 8.0), "cactus": (0.6, 3.2), "boulder": (2.0, 2.9),
                                            "shrub": (1.1, 1.3)}
#: blockers only a small subject (COVER_KINDS: a car, a product) hides behind
LOW_BLOCKERS = ("shrub",)
#: how a blocker's crown looks from the side, for `covered`: the share of its height where the crown starts, its
#: outline (0 a cone widest at its foot, 1 an ellipse, 2 a box: a building) and how much of that outline is solid
#: (a dead tree's bare branches let most of what is behind them show)
CROWNS: dict[str, tuple[float, int, float]] = {"conifer": (0.06, 0, 1.0), "broadleaf": (0.38, 1, 0.9),
                                               "palm": (0.7, 1, 0.7), "dead_tree": (0.3, 1, 0.25),
                                               "cactus": (0.0, 1, 1.0), "boulder": (0.0, 1, 1.0),
                                               "shrub": (0.0, 1, 1.0)}


#: ground rising in the frame's upper part nearer than this share of the subject's distance is a wall in front
#: of the camera (a canyon's face filling half the frame): a view that opens onto the subject is preferred
WALL_SHARE = 0.3
#: the horizon sits this far down the frame (a third)
HORIZON_AT = 1.0 / 3.0
#: weather one reads from the sky (its colour, what falls against it) and the distance (fog)
SKY_WEATHER = ("fog", "overcast", "cloudy", "rain", "storm", "snow")
#: a sun this low (degrees, above -8) colours the horizon sky: sunrise, sunset, dusk
LOW_SUN_DEG = 14.0
#: in fog the subject keeps at least exp(-FOG_KEEP) (~45%) of its contrast: the subject reads, and the frame
#: still reaches past it far enough for the far ground to fade
FOG_KEEP = 0.8
#: how far (radians) a camera may tilt up from its aim to show the sky that weather needs over high ground
LIFTS = (0.1, 0.2)


@dataclass(kw_only=True, slots=True, frozen=True)
class Atmosphere:
    """What a still must keep in frame for its weather and time to read: a share of sky (the horizon's
    colour, a storm's cloud, falling rain and snow seen against it) and ground reaching far enough for fog
    to take it. Zero: no need."""

    sky: float = 0.0
    reach_m: float = 0.0
    #: the subject is framed from no farther than this (metres; 0: any), so that fog leaves it legible
    subject_max_m: float = 0.0
    #: a lake or river is framed from no farther than this: the renderer thins the fog before the subject
    #: (render/weather.fog_clear_m), so water, which wants its breadth and its banks in frame, reads from farther
    water_max_m: float = 0.0
    why: str = ""


def atmosphere(world: WorldState) -> Atmosphere:
    """The sky and the distance a world's weather and time need in frame."""
    env = world.env
    weather = (env.weather or "clear").lower()
    sun = env.sun_dir
    elev = math.degrees(math.asin(float(np.clip(sun[2], -1.0, 1.0)))) if sun is not None else 45.0
    low_sun = -8.0 < elev < LOW_SUN_DEG
    why = [weather] if weather in SKY_WEATHER else []
    if low_sun:
        why.append("the low sun")
    if not why:
        return Atmosphere()
    if weather != "fog":
        return Atmosphere(sky=0.2, why=" and ".join(why))
    density = max(fog_density_of(env), 1e-6)
    return Atmosphere(sky=0.2, reach_m=320.0, subject_max_m=FOG_KEEP / density,
                      water_max_m=(FOG_KEEP + FOG_DEPTH_CLEARED) / density,
                      why=" and ".join(why))


@dataclass(kw_only=True, slots=True)
class Subject:
    """Something a still can be about: what it is, where its middle is, how big it is, sample points of it
    (N x 3) with the area (m^2) each stands for, and the way it faces (products)."""

    kind: str
    label: str
    centre: np.ndarray
    width_m: float
    height_m: float
    points: np.ndarray
    area_m2: np.ndarray
    flat: bool = False
    front: np.ndarray | None = None
    named: bool = True
    #: how many buildings a structure subject groups
    members: int = 1
    #: a product at the edge of its setting: the way towards it (camera/setting_view.py)
    toward: np.ndarray | None = None
    #: per sample point, the unit normal of the ground it lies on (N x 3; nan rows stand up, like a boulder):
    #: terrain rock is foreshortened as the camera sees its face, not counted like a standing thing
    normals: np.ndarray | None = None
    #: props whose rock the prompt names by a word: they want ROCK_SHARE of the frame
    rock_named: bool = False


@dataclass(kw_only=True, slots=True)
class Framing:
    """The chosen camera, the subject it frames, what else it shows (label -> estimated share of the frame)
    and a sentence saying so."""

    camera: Camera
    subject: Subject
    shares: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {"subject": self.subject.label, "kind": self.subject.kind, "note": self.note,
                "shares": {k: round(v, 4) for k, v in self.shares.items()}}


# ------------------------------------------------------------------------------------------- subjects


def subjects(world: WorldState) -> list[Subject]:
    """Every subject the world offers, best first: named ones by SUBJECT_RANK, then the rest."""
    spec = world.spec or {}
    found = [*_meshes(world), *_vehicles(world, spec), *_animals(world, spec), *_structures(world, spec),
             *_roads(world, spec),
             *_water(world, spec), *_props(world, spec), *_cliffs(world, spec), *_outcrops(world), _landscape(world)]
    found = sorted(found, key=lambda s: (not s.named, -SUBJECT_RANK[s.kind]))
    return found + _trees(world, next(s for s in found if s.kind not in ALONGSIDE))


def _trees(world: WorldState, lead: Subject) -> list[Subject]:
    """The tree kinds the prompt names (camera/trees.py), nearest the subject first: kept in frame beside it."""
    got = named_trees(world, lead.centre)
    if got is None:
        return []
    label, pts, area = got
    return [Subject(kind="trees", label=label, centre=pts.mean(axis=0), width_m=1.0, height_m=1.0, points=pts,
                    area_m2=area)]


def _meshes(world: WorldState) -> list[Subject]:
    out = []
    for m in world.meshes:
        if m.extra.get("role") in ("backdrop", "stand") or not m.placed:  # a set's pieces, a mesh kept aside
            continue
        v = world.mesh_arrays.get(f"mesh_{m.id}_v")
        if v is None or not len(v):
            continue
        c, s = math.cos(m.yaw), math.sin(m.yaw)
        local = np.asarray(v, np.float64).reshape(-1, 3) * m.scale
        pts = local @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T + np.asarray(m.pos)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pick = pts[np.linspace(0, len(pts) - 1, min(len(pts), 160)).astype(int)]
        box = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        seat = seat_points(m.extra, np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]]),
                           float(max(hi[:2] - lo[:2])), float(hi[2] - lo[2]))  # the rock it rests on, kept in frame with it
        sample = np.concatenate([pick, box, [(lo + hi) / 2], seat])
        lo, hi = sample.min(axis=0), sample.max(axis=0)
        size = hi - lo
        area = np.full(len(sample), float(size[2] * max(size[0], size[1])) / len(sample))
        front = np.array([s, -c])  # a Y-up asset faces +Z: local -Y here, turned by the yaw
        out.append(Subject(kind="product", label=f"the product ({m.name or m.id})", centre=(lo + hi) / 2,
                           width_m=float(max(size[0], size[1])), height_m=float(max(size[2], 1e-3)),
                           points=sample, area_m2=area, front=front, toward=toward_of(m.extra)))
    return out


def _vehicles(world: WorldState, spec: dict) -> list[Subject]:
    kind = INSTANCE_KINDS.index("vehicle")
    where = np.nonzero(world.inst_kind == kind)[0]
    if not len(where):
        return []
    xyz = world.inst_xyz[where].astype(np.float64)
    margin = np.minimum(xyz[:, :2], world.size_m - xyz[:, :2]).min(axis=1)
    centre = np.hypot(*(xyz[:, :2] - world.size_m / 2).T)
    best = int(np.argmin(centre - 3.0 * np.minimum(margin, 0.2 * world.size_m)))
    x, y, z = xyz[best]
    s = float(world.inst_scale[where[best]])
    length, wide, tall = (v * s for v in _vehicle_size(spec))
    yaw = float(world.inst_yaw[where[best]])
    c, sn = math.cos(yaw), math.sin(yaw)
    corners = np.array([[a * length / 2, b * wide / 2, h] for a in (-1, 0, 1) for b in (-1, 1)
                        for h in (0.25, tall)])  # the body, axles to roof: it is framed whole
    pts = corners @ np.array([[c, -sn, 0.0], [sn, c, 0.0], [0.0, 0.0, 1.0]]).T + (x, y, z)
    named = bool(spec.get("props", {}).get("vehicles")) or not spec
    label = "the vehicle" if len(where) == 1 else f"a vehicle (of {len(where)})"
    group = _vehicle_group(xyz, best, corners, world.inst_yaw[where].astype(np.float64))
    if len(group) > len(pts):  # the named few together ("a red pickup and a blue sedan"): one subject
        pts, label = group, f"the {len(group) // len(corners)} vehicles"
        x, y = pts[:, :2].mean(axis=0)
        length = float(np.ptp(pts[:, 0]) ** 2 + np.ptp(pts[:, 1]) ** 2) ** 0.5
    return [Subject(kind="vehicle", label=label, centre=np.array([x, y, z + tall / 2]), width_m=length,
                    height_m=tall, points=pts, area_m2=np.full(len(pts), length * tall / len(pts)), named=named,
                    front=np.array([c, sn]))]


#: vehicles this close (m) to the framed one are framed with it
VEHICLE_GROUP_M = 30.0
#: animals this close (m) to a herd's densest spot are framed together (generate/herds.py keeps herds close)
HERD_GROUP_M = 40.0
#: (length, height) in metres of each animal kind at scale 1, for its sample points
ANIMAL_SIZE_M: dict[str, tuple[float, float]] = {"sheep": (1.3, 0.95), "cow": (2.5, 1.45), "horse": (2.4, 2.0),
                                                 "goat": (1.25, 1.05), "deer": (1.75, 1.55), "duck": (0.6, 0.35)}


def _animals(world: WorldState, spec: dict) -> list[Subject]:
    """The named animals (generate/herds.py) as one subject: the herds about the densest of them, each animal a
    few sample points over its body (its back, its head, its flanks) standing for its side's area."""
    ids = [INSTANCE_KINDS.index(k) for k in ANIMAL_KINDS]
    where = np.nonzero(np.isin(world.inst_kind, ids))[0]
    if not len(where):
        return []
    xyz = world.inst_xyz[where].astype(np.float64)
    area = np.array([ANIMAL_SIZE_M[INSTANCE_KINDS[int(k)]][0] * ANIMAL_SIZE_M[INSTANCE_KINDS[int(k)]][1]
                     for k in world.inst_kind[where]])
    keep = pf.densest_group(xyz, area, HERD_GROUP_M)
    pts, areas, tall = [], [], []
    fowl = FORM_SIZE[duck_form(str(spec.get("text", "")))]  # a swan is twice a duck's size
    for k in keep:
        kind = INSTANCE_KINDS[int(world.inst_kind[where[k]])]
        length, height = ANIMAL_SIZE_M[kind]
        s = float(world.inst_scale[where[k]]) * (fowl if kind == "duck" else 1.0)
        yaw = float(world.inst_yaw[where[k]])
        fwd = np.array([math.cos(yaw), math.sin(yaw), 0.0]) * 0.45 * length * s
        body = xyz[k] + (0.0, 0.0, 0.6 * height * s)
        pts += [body, body + fwd, body - fwd, xyz[k] + (0.0, 0.0, 0.95 * height * s), xyz[k] + (0.0, 0.0, 0.1)]
        areas += [length * height * s * s / 5.0] * 5
        tall.append(height * s)
    pts_a = np.array(pts)
    lo, hi = pts_a.min(axis=0), pts_a.max(axis=0)
    counts = {INSTANCE_KINDS[int(k)]: int((world.inst_kind[where[keep]] == k).sum()) for k in sorted(set(
        world.inst_kind[where[keep]].tolist()))}
    label = "the " + " and ".join(f"{n} {_plural(kind, n)}" if n > 1 else kind for kind, n in counts.items())
    ground = float(lo[2])
    height = float(np.median(tall))
    return [Subject(kind="animals", label=label, centre=np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2,
                                                                 ground + 0.6 * height]),
                    width_m=float(max(hi[0] - lo[0], hi[1] - lo[1]) + 1.0), height_m=height, points=pts_a,
                    area_m2=np.array(areas), named=bool(spec.get("animals")) or not spec)]


def _plural(kind: str, n: int) -> str:
    if n == 1 or kind in ("sheep", "deer"):
        return kind
    return {"goose": "geese"}.get(kind, kind + "s")


def _vehicle_group(xyz: np.ndarray, best: int, corners: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Sample points of every vehicle within VEHICLE_GROUP_M of the framed one (its own first)."""
    near = np.nonzero(np.hypot(*(xyz[:, :2] - xyz[best, :2]).T) < VEHICLE_GROUP_M)[0]
    out = []
    for k in [best, *[int(k) for k in near if k != best]]:
        c, sn = math.cos(yaw[k]), math.sin(yaw[k])
        out.append(corners @ np.array([[c, -sn, 0.0], [sn, c, 0.0], [0.0, 0.0, 1.0]]).T + xyz[k])
    return np.concatenate(out)


def _vehicle_size(spec: dict) -> tuple[float, float, float]:
    """Length, width and height of the world's vehicles (a bus is longer than a car)."""
    from ..render.meshes import VEHICLE_SIZES, vehicle_body

    return VEHICLE_SIZES.get(vehicle_body(str(spec.get("text", ""))), VEHICLE_SIZE_M) if spec else VEHICLE_SIZE_M


def _structures(world: WorldState, spec: dict) -> list[Subject]:
    """The most notable group of buildings (by kind, by what the prompt names, by how many stand together),
    then one building of each other named kind that the group leaves out (kept in frame beside it)."""
    kinds = [s for s in world.structures if s.kind != "waterfall"]
    if not kinds:
        return []
    asked = set((spec.get("structures") or {}).keys())
    if "village" in asked:
        asked |= {"house", "cabin"}
    if "city" in asked:
        asked |= {"highrise"}
    for name in [k for k in asked if k in KINDS_OF_ASKED]:
        asked |= set(KINDS_OF_ASKED[name])
    xy = np.array([[s.x, s.y] for s in kinds])
    rank = np.array([STRUCTURE_RANK.get(s.kind, 1) + (10 if s.kind in asked else 0) for s in kinds], np.float64)
    if wants_outskirts(str(spec.get("text", ""))):  # "city outskirts", "a suburb": the houses at the town's edge
        # are the subject, the city's towers (if any) only what stands behind them
        rank += np.array([OUTSKIRTS_RANK.get(s.kind, 0.0) for s in kinds])
    near = np.linalg.norm(xy[:, None] - xy[None], axis=2) < 120.0
    margin = np.minimum(xy, world.size_m - xy).min(axis=1)
    anchor = int(np.argmax(rank * 100.0 + near.sum(axis=1) - 8.0 * (margin < 0.15 * world.size_m)))
    main = kinds[anchor]
    if main.kind == "church":  # a village's church: with the houses round it, not the whole village
        near[anchor] = np.linalg.norm(xy - xy[anchor], axis=1) < CHURCH_GROUP_M
    group = [s for s, n in zip(kinds, near[anchor], strict=True) if n and s.kind != "bridge"] or [kinds[anchor]]
    out = [_building_subject(group, main, named=main.kind in asked or not spec)]
    centre = out[0].centre[:2]
    for kind in sorted(asked - {s.kind for s in group}):
        rest = [s for s in kinds if s.kind == kind]
        if rest:
            nearest = min(rest, key=lambda s: math.hypot(s.x - centre[0], s.y - centre[1]))
            out.append(_building_subject([nearest], nearest, named=True))
    return out


def _building_subject(group: list[Structure], main: Structure, *, named: bool) -> Subject:
    pts, area = [], []
    for s in group:
        c, sn = math.cos(s.yaw), math.sin(s.yaw)
        for a, b, h in ((a, b, h) for a in (-0.5, 0.5) for b in (-0.5, 0.5) for h in (0.02, 1.0)):
            pts.append((s.x + c * a * s.w - sn * b * s.d, s.y + sn * a * s.w + c * b * s.d, s.z + h * s.h))
            area.append(max(s.w, s.d) * s.h / 8.0)
        pts.append((s.x, s.y, s.z + s.h * 0.6))
        area.append(0.0)
    p = np.asarray(pts, np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    tall = max(s.h for s in group)
    label = f"the {main.kind}" if len(group) == 1 else f"the {main.kind} and {len(group) - 1} more buildings"
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, main.z + 0.4 * tall])
    return Subject(kind="structure", label=label, centre=centre, width_m=float(max(hi[:2] - lo[:2]) + 4.0),
                   height_m=float(max(tall * 1.3, 3.0)), points=p, area_m2=np.asarray(area), named=named,
                   members=len(group))


def _roads(world: WorldState, spec: dict) -> list[Subject]:
    roads = [r for r in world.paths if r.kind == "road" and len(r.points_n3) >= 2]
    if not roads:
        return []
    pts, area = [], []
    for r in roads:
        p = r.points_n3
        seg = np.linalg.norm(np.diff(p[:, :2], axis=0), axis=1)
        dist = np.concatenate([[0.0], np.cumsum(seg)])
        at = np.arange(0.0, dist[-1], 6.0)
        xy = np.column_stack([np.interp(at, dist, p[:, 0]), np.interp(at, dist, p[:, 1])])
        pts.append(np.column_stack([xy, heights_at(world, xy) + 0.2]))
        area.append(np.full(len(xy), 6.0 * r.width_m))
    p, a = np.concatenate(pts), np.concatenate(area)
    inner = np.minimum(p[:, :2], world.size_m - p[:, :2]).min(axis=1)
    mid = p[int(np.argmax(inner))]
    named = "road" in (spec.get("structures") or {}) or not spec
    return [Subject(kind="road", label="the road", centre=mid, width_m=60.0, height_m=2.0, points=p, area_m2=a,
                    flat=True, named=named)]


def _water(world: WorldState, spec: dict) -> list[Subject]:
    step = max(2, world.n // 96)
    w = world.water_hw[::step, ::step]
    wet = np.isfinite(w)
    if not wet.any():
        return []
    ii, jj = np.nonzero(wet)
    m = step * world.cell_m
    xyz = np.column_stack([jj * m, ii * m, w[ii, jj].astype(np.float64)])
    kinds = [k for k in spec.get("water", []) if k != "waterfall"]
    sea = world.env.sea_level_m
    is_sea = sea is not None and ("ocean" in kinds or "sea" in kinds or not kinds)
    name = "the sea" if is_sea else f"the {kinds[0]}" if kinds else "the water"
    keep = np.linspace(0, len(xyz) - 1, min(len(xyz), 900)).astype(int)
    sample, cell = xyz[keep], float(m * m * len(xyz) / len(keep))
    if is_sea:  # the shore nearest the world's middle: the sea beyond it, the land behind the camera
        centre = _shore(world, wet, m, sample)
    else:
        centre = xyz.mean(axis=0) if "lake" in kinds or not kinds else sample[len(sample) // 2]
    radius = math.sqrt(len(xyz) * m * m / math.pi)
    fall = next((s for s in world.structures if s.kind == "waterfall"), None)
    if fall is not None and not is_sea:  # "a waterfall into a gorge": the falls and the river by them
        near = np.hypot(sample[:, 0] - fall.x, sample[:, 1] - fall.y) < WATERFALL_REACH_M
        if near.sum() >= 4:
            sample, centre = sample[near], np.array([fall.x, fall.y, fall.z + 0.5 * fall.h])
            name, radius = f"{name} and its waterfall", WATERFALL_REACH_M / 2
    beyond, beyond_area = _water_beyond(world, sample, cell) if is_sea else (np.zeros((0, 3)), 0.0)
    return [Subject(kind="water", label=name, centre=centre, width_m=float(min(2 * radius, 0.6 * world.size_m)),
                    height_m=1.0, points=np.concatenate([sample, beyond]),
                    area_m2=np.r_[np.full(len(sample), cell), np.full(len(beyond), beyond_area)], flat=True,
                    named=bool(kinds) or not spec or spec.get("terrain") == "swamp")]  # a swamp's pools


#: a named waterfall is framed with the river this far (m) around it
WATERFALL_REACH_M = 70.0
#: how far past the world's border (share of its size) the sea drawn beyond it is sampled for framing
BEYOND = 0.6


def _water_beyond(world: WorldState, sample: np.ndarray, cell: float) -> tuple[np.ndarray, float]:
    """Sample points of the sea the renderer draws past the world's border, and the area each stands for: the
    open sea's apron when sea runs along most of the border, else the water near the border mirrored past it
    (as the land's apron mirrors the world). A coastal road near the border looks out over this sea."""
    size = world.size_m
    border = np.concatenate([world.water_hw[0], world.water_hw[-1], world.water_hw[:, 0], world.water_hw[:, -1]])
    if np.mean(np.isfinite(border)) > 0.5:
        step = size / 10.0
        g = np.arange(-BEYOND * size + step / 2, (1 + BEYOND) * size, step)
        xy = np.array([(x, y) for x in g for y in g if not (0 <= x <= size and 0 <= y <= size)])
        return np.column_stack([xy, np.full(len(xy), float(world.env.sea_level_m))]), step * step
    out = []
    for axis in (0, 1):
        low = sample[sample[:, axis] < BEYOND * size].copy()
        low[:, axis] = -low[:, axis]
        high = sample[sample[:, axis] > (1 - BEYOND) * size].copy()
        high[:, axis] = 2 * size - high[:, axis]
        out += [low, high]
    return np.concatenate(out), cell


def _shore(world: WorldState, wet: np.ndarray, m: float, sample: np.ndarray) -> np.ndarray:
    dry = ~wet
    edge = dry & (np.roll(wet, 1, 0) | np.roll(wet, -1, 0) | np.roll(wet, 1, 1) | np.roll(wet, -1, 1))
    ii, jj = np.nonzero(edge)
    if not len(ii):
        return sample.mean(axis=0)
    xy = np.column_stack([jj * m, ii * m]).astype(np.float64)
    k = int(np.argmin(np.hypot(*(xy - world.size_m / 2).T)))
    x, y = xy[k]
    return np.array([x, y, world.height_at(x, y) + 2.0])


def _props(world: WorldState, spec: dict) -> list[Subject]:
    """The props the prompt names (rocks, lamps, crates, barrels, fences, flower fields) as one subject: kept in
    frame beside the main one, or framed for themselves when nothing larger is named (see `_promoted`)."""
    names = pf.named_props(spec)
    if not names or not len(world.inst_kind):
        return []
    xyz, area = pf.prop_points(world, names)
    if not len(xyz):
        return []
    normals = np.full((len(xyz), 3), np.nan)
    worded = _rock_by_word(spec)
    if "rocks" in names:  # rock faces of the terrain show rock as well as boulders do
        faces, cell = _rock_faces(world)
        xyz, area = np.concatenate([xyz, faces]), np.concatenate([area, np.full(len(faces), cell)])
        normals = np.concatenate([normals, ground_normals(world, faces[:, :2]) if worded
                                  else np.full((len(faces), 3), np.nan)])
    label = "the " + " and ".join(names)
    return [Subject(kind="props", label=label, centre=xyz.mean(axis=0), width_m=1.0, height_m=1.0, points=xyz,
                    area_m2=area, normals=normals, rock_named=worded and "rocks" in names)]


def _rock_by_word(spec: dict) -> bool:
    """Whether the prompt names rock by a word of its own ("a rocky coast"), not only by its landform's rocks."""
    return any(m.get("concept") == "rocks" and m.get("source") == "word" and not m.get("negated")
               for m in spec.get("matches") or [])


def ground_normals(world: WorldState, xy: np.ndarray, step_m: float = 4.0) -> np.ndarray:
    """Unit normals (N x 3) of the terrain at `xy` (N x 2 metres), from heights `step_m` either side."""
    dx = (heights_at(world, xy + (step_m, 0.0)) - heights_at(world, xy - (step_m, 0.0))) / (2 * step_m)
    dy = (heights_at(world, xy + (0.0, step_m)) - heights_at(world, xy - (0.0, step_m))) / (2 * step_m)
    n = np.column_stack([-dx, -dy, np.ones(len(xy))])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _promoted(world: WorldState, found: list[Subject]) -> Subject:
    """The first subject that is not props; where that is only the landscape and the prompt names props other
    than rocks (the land's own), the densest group of those instead (framed for itself, the rest of the named
    props kept in frame beside it)."""
    primary = next(s for s in found if s.kind not in ALONGSIDE)
    props = next((s for s in found if s.kind == "props" and s.named), None)
    if primary.kind != "landscape" or props is None:
        return primary
    names = [n for n in pf.named_props(world.spec or {}) if n != "rocks"]
    pts, area = pf.prop_points(world, names)
    if not len(pts):
        return primary
    keep = pf.densest_group(pts, area)
    pts, area = pts[keep], area[keep]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return Subject(kind="props", label="the " + " and ".join(names), centre=(lo + hi) / 2,
                   width_m=float(max(hi[:2] - lo[:2]) + 3.0),
                   height_m=float(max(hi[2] - lo[2], 0.0) + 2.0), points=pts, area_m2=area)


def _cliffs(world: WorldState, spec: dict) -> list[Subject]:
    """A cliff coast the prompt names ("a cliffside road above the bay"): its rock faces, kept in frame beside
    the main subject like named props (only when no prop is named: one props subject per frame)."""
    if (spec.get("modifiers") or {}).get("shore") != "cliffs" or _props(world, spec):
        return []
    cars = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("vehicle"), :2].astype(np.float64)
    faces, cell = _rock_faces(world) if not len(cars) else _rock_faces_near(world, cars[0], CLIFF_NEAR_M)
    if not len(faces):
        return []
    return [Subject(kind="props", label="the cliffs", centre=faces.mean(axis=0), width_m=1.0, height_m=1.0,
                    points=faces, area_m2=np.full(len(faces), cell))]


#: a car's cliffs: the rock faces within this many metres of it (those a shot of the car can hold)
CLIFF_NEAR_M = 160.0


def _rock_faces_near(world: WorldState, xy: np.ndarray, radius: float, most: int = 300) -> tuple[np.ndarray, float]:
    """Sample points of the terrain's rock material within `radius` of `xy`, and the area each stands for."""
    step = max(1, int(round(2.0 / world.cell_m)))
    lo = np.clip(((xy - radius) / world.cell_m).astype(int), 0, world.n - 1)
    hi = np.clip(((xy + radius) / world.cell_m).astype(int), 0, world.n - 1)
    rock = world.material_hw[lo[1]:hi[1]:step, lo[0]:hi[0]:step] == MATERIALS.index("rock")
    ii, jj = np.nonzero(rock)
    if not len(ii):
        return np.zeros((0, 3)), 0.0
    keep = np.linspace(0, len(ii) - 1, min(len(ii), most)).astype(int)
    m = step * world.cell_m
    pts = np.column_stack([lo[0] * world.cell_m + jj[keep] * m, lo[1] * world.cell_m + ii[keep] * m]).astype(np.float64)
    return np.column_stack([pts, heights_at(world, pts) + 0.3]), float(m * m * len(ii) / len(keep)) * 0.5


def _rock_faces(world: WorldState, most: int = 300) -> tuple[np.ndarray, float]:
    """Sample points of the terrain's rock material and the area each stands for."""
    step = max(2, world.n // 96)
    rock = world.material_hw[::step, ::step] == MATERIALS.index("rock")
    ii, jj = np.nonzero(rock)
    if not len(ii):
        return np.zeros((0, 3)), 0.0
    keep = np.linspace(0, len(ii) - 1, min(len(ii), most)).astype(int)
    m = step * world.cell_m
    xy = np.column_stack([jj[keep] * m, ii[keep] * m]).astype(np.float64)
    return np.column_stack([xy, heights_at(world, xy) + 0.3]), float(m * m * len(ii) / len(keep)) * 0.5


def _outcrops(world: WorldState) -> list[Subject]:
    """The named boulder field, spires or sea stacks (camera/outcrops.py), framed like a building."""
    found = rock_subject_parts(world)
    if found is None:
        return []
    label, pts, area = found
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    ground = float(np.min(heights_at(world, pts[:, :2])))
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, ground + 0.4 * (hi[2] - ground)])
    return [Subject(kind="outcrop", label=label, centre=centre, width_m=float(max(hi[:2] - lo[:2]) + 6.0),
                    height_m=float(max(hi[2] - ground, 3.0)), points=pts, area_m2=area)]


def _landscape(world: WorldState) -> Subject:
    c = world.size_m / 2
    g = np.linspace(0.2, 0.8, 5) * world.size_m
    xy = np.array([(x, y) for x in g for y in g])
    pts = np.column_stack([xy, heights_at(world, xy)])
    return Subject(kind="landscape", label="the landscape", centre=np.array([c, c, world.height_at(c, c) + 2.0]),
                   width_m=0.6 * world.size_m, height_m=30.0, points=pts, area_m2=np.zeros(len(pts)), flat=True)


# ------------------------------------------------------------------------------------------- viewpoints


@dataclass(kw_only=True, slots=True)
class _Lens:
    width: int
    height: int
    focal_mm: float
    sensor_mm: float

    @property
    def f_px(self) -> float:
        return self.focal_mm / self.sensor_mm * self.width


@dataclass(kw_only=True, slots=True)
class _Candidate:
    camera: Camera
    score: float
    shares: dict[str, float]
    place: dict[str, float]
    squeezed: float
    rise: float
    dist: float
    #: what trees, boulders and buildings in the way cost it
    blocked: float = 0.0
    #: share of the framed subject's box those nearer the camera hide (see `covered`)
    hidden: float = 0.0


#: (bh, bw): the frame height and width shares a framed subject should span (either one suffices)
_FILL = {"product": (0.58, 0.45), "vehicle": (0.1, 0.3), "structure": (0.12, 0.3), "props": (0.1, 0.45),
         "animals": (0.1, 0.5)}
#: the frame height share a slender structure (much taller than wide) should span instead
SLENDER_FILL = 0.17
#: the frame height share a framed church spans (its windows, its tower and spire read), and how far (m) from it
#: the houses of its village stand that are framed with it
CHURCH_FILL, CHURCH_GROUP_M = 0.26, 55.0
#: an animal of a framed herd spans at least this share of the frame's height (bench/adherence.py reads 0.03)
ANIMAL_MIN_H = 0.06


def establishing_shot(world: WorldState, *, width: int = 1280, height: int = 720, focal_mm: float = 28.0,
                      sensor_mm: float = 36.0, product_side: str = "front") -> Camera:
    """The default camera: the viewpoint frame_shot chooses."""
    return frame_shot(world, width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm,
                      product_side=product_side).camera


def frame_shot(world: WorldState, *, width: int = 1280, height: int = 720, focal_mm: float = 28.0,
               sensor_mm: float = 36.0, product_side: str = "front") -> Framing:
    """The viewpoint that best shows the world's first subject and keeps the other named ones in frame."""
    if product_side not in PRODUCT_SIDES:
        raise ValueError(f"product_side {product_side!r}: use one of {', '.join(PRODUCT_SIDES)}")
    lens = _Lens(width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm)
    found = subjects(world)
    primary = _promoted(world, found)
    others = _secondaries(found, primary)
    if primary.kind == "structure" and primary.label.startswith("the highrise") and \
            not asks_for_drone(world.spec or {}):  # "a drone shot over the city": its skyline from the air
        street = street_level_shot(world, primary, lens)
        if street is not None:
            return street
    if primary.kind == "road":  # "a path between two hills": from the road, the rises on both sides
        between = between_view(world, width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm)
        if between is not None:
            return Framing(camera=between[0], subject=primary, note=between[1])
    if primary.kind == "structure":  # "a narrow alley between old houses": from inside the lane
        inside = alley_view(world, width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm)
        if inside is not None:
            return Framing(camera=inside[0], subject=primary, note=f"{inside[1]} ({primary.label})")
    if primary.kind == "product" and sd.is_studio(world):
        return _studio_shot(world, primary, lens, product_side)
    if primary.kind in ("water", "landscape"):  # "the bay", "a cove": out over its basin, through its mouth
        bay = bay_view(world, width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm)
        if bay is not None:
            return Framing(camera=bay[0], subject=primary, note=bay[1])
    if primary.kind in BEACH_SUBJECTS and not _tall(primary) and wants_beach(world):
        beach = _beach_framing(world, primary, lens)
        if beach is not None:
            return beach
    if primary.kind == "structure" and _on_sea_cliff(world, primary):
        coast = coast_shot(world, primary.points, width=lens.width, height=lens.height, focal_mm=lens.focal_mm,
                           sensor_mm=lens.sensor_mm, far_m=atmosphere(world).subject_max_m)
        if coast is not None:
            return Framing(camera=coast.camera, subject=primary, shares=coast.shares,
                           note=f"framed {primary.label} on its cliff {coast.note}")
    best = _best_view(world, primary, others, lens, product_side)
    if primary.kind == "product" and product_side != "any" and best.blocked >= 4.0:
        shot = frame_shot(world, width=width, height=height, focal_mm=focal_mm, sensor_mm=sensor_mm,
                          product_side="any")
        shot.note = f"the product's {product_side.replace('_', ' ')} is blocked; {shot.note}"
        return shot
    return Framing(camera=best.camera, subject=primary, shares=best.shares, note=_note(primary, others, best))


def _beach_framing(world: WorldState, primary: Subject, lens: _Lens) -> Framing | None:
    """A beach (or an oasis) framed from its own sand (camera/beach.py), when the sand there shows."""
    pts = primary.points if primary.kind == "structure" else None
    shot = beach_shot(world, width=lens.width, height=lens.height, focal_mm=lens.focal_mm, sensor_mm=lens.sensor_mm,
                      subject_pts=pts)
    if shot is None or shot.shares["sand"] < 0.1 or shot.shares["water"] < 0.05 or shot.subject_seen < 0.4:
        return None
    note = shot.note + (f"; {primary.label} at the back of the beach" if pts is not None else "")
    return Framing(camera=shot.camera, subject=primary, shares=shot.shares, note=note)


#: a building whose foot stands this high (m) over the sea stands on a cliff or a headland; landmarks (of this
#: STRUCTURE_RANK and up: a lighthouse, a castle, a tower, ruins) on one are framed from the sea
CLIFF_TOP_M, LANDMARK_RANK = 15.0, 3


def _on_sea_cliff(world: WorldState, s: Subject) -> bool:
    """A building high over a sea coast (a lighthouse on its cliff, ruins on a headland): framed from the sea."""
    sea = world.env.sea_level_m
    spec = world.spec or {}
    if sea is None or spec.get("shore") not in ("coast", "island") or asks_for_drone(spec):
        return False
    kind = s.label.removeprefix("the ").split(" and ")[0]
    if STRUCTURE_RANK.get(kind, 0) < LANDMARK_RANK or kind == "highrise":  # cabins on a fjord: framed as a group
        return False
    return float(s.points[:, 2].min()) - sea >= CLIFF_TOP_M


#: subjects a beach prompt frames from its own sand: the water, the land, or small buildings on the beach (huts)
BEACH_SUBJECTS = ("water", "landscape", "structure")


def _tall(s: Subject) -> bool:
    """A building framed for itself, not from the beach's sand: a tall one (a lighthouse, a tower, a hotel
    block), or one out on the water (a pier, a harbour's jetty); beach huts and houses are framed from it."""
    if s.kind != "structure":
        return False
    return s.height_m > 14.0 or s.label.removeprefix("the ").split(" and ")[0] not in BEACH_DWELLINGS


def _studio_shot(world: WorldState, s: Subject, lens: _Lens, side: str) -> Framing:
    """A packshot in a studio set (generate/studio.py): the product large, from the studio's front."""
    stand_in = any(m.extra.get("stand_in") for m in world.meshes)
    front = 0.0 if stand_in or s.front is None else math.degrees(math.atan2(s.front[0], -s.front[1]))
    bearing = front + (SIDES[side] if side != "any" else 0.0)
    pos, target = sd.hero_camera(world, s.centre, s.width_m, s.height_m, width=lens.width, height=lens.height,
                                 focal_mm=lens.focal_mm, sensor_mm=lens.sensor_mm, bearing_deg=bearing)
    cam = Camera(position=pos, target=target, focal_mm=lens.focal_mm, sensor_mm=lens.sensor_mm, width=lens.width,
                 height=lens.height, near_m=0.02, far_m=200.0)
    dist = float(np.linalg.norm(np.asarray(pos) - s.centre))
    return Framing(camera=cam, subject=s, shares={s.label: 0.1},
                   note=f"framed {s.label} on its stand in the studio from {dist:.2f} m, a little above it "
                        "(a studio packshot)")


#: a street-level shot: eye height over the carriageway (m), how far up it looks (radians), how far from the
#: city's middle it stands (share of the street's length from its middle)
STREET_EYE_M, STREET_TILT, STREET_BACK = 1.8, math.radians(7.0), 0.42


def street_level_shot(world: WorldState, primary: Subject, lens: _Lens) -> Framing | None:
    """A city framed from its own street: at eye height on the street nearest downtown, near the grid's edge,
    looking down the street towards the middle with the towers rising on both sides."""
    streets = [p for p in world.paths if p.id.startswith("street-") and len(p.points_n3) >= 4]
    if not streets:
        return None
    centre = primary.centre[:2]

    def middle_gap(p: object) -> float:
        pts = p.points_n3  # type: ignore[attr-defined]
        return float(np.hypot(*(pts[len(pts) // 2, :2] - centre)))

    street = min(streets, key=lambda p: (round(middle_gap(p), 1), p.id))
    pts = street.points_n3
    k = int(round((0.5 - STREET_BACK) * (len(pts) - 1)))
    at, ahead = pts[k], pts[len(pts) - 1 - k]
    d = ahead[:2] - at[:2]
    d = d / max(float(np.linalg.norm(d)), 1e-9)
    pos = np.array([at[0], at[1], world.height_at(float(at[0]), float(at[1])) + STREET_EYE_M])
    fwd = np.array([d[0] * math.cos(STREET_TILT), d[1] * math.cos(STREET_TILT), math.sin(STREET_TILT)])
    cam = Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in pos + 100.0 * fwd),  # type: ignore[arg-type]
                 focal_mm=lens.focal_mm, sensor_mm=lens.sensor_mm, width=lens.width, height=lens.height,
                 near_m=0.1, far_m=max(5000.0, 4.0 * world.size_m))
    return Framing(camera=cam, subject=primary, note=f"framed {primary.label} at street level, down {street.id} "
                                                      "towards the middle of the city")


@dataclass(kw_only=True, slots=True)
class _Scene:
    """What every candidate is scored against: the subjects' sample points, who owns each, the sun, blockers."""

    pool: list[Subject]
    pts: np.ndarray
    owner: np.ndarray
    sun: np.ndarray
    trees: np.ndarray
    walls: np.ndarray
    air: Atmosphere = field(default_factory=Atmosphere)
    #: vine rows a road runs between (camera/cover.py), None where none
    cover: LowCover | None = None


def _best_view(world: WorldState, primary: Subject, others: list[Subject], lens: _Lens, side: str) -> _Candidate:
    """Score every position aimed straight at the subject; try the best ones with the subject on a third;
    march rays for the border and the sky through the leaders; the best of those."""
    pool = [primary, *others]
    positions = _positions(world, primary, lens, side)
    scene = _Scene(pool=pool, pts=np.concatenate([s.points for s in pool]),
                   owner=np.concatenate([np.full(len(s.points), k) for k, s in enumerate(pool)]),
                   sun=np.asarray(world.env.sun_dir if world.env.sun_dir is not None else (0.4, -0.6, 0.7),
                                  dtype=np.float64),
                   trees=_blockers(world, primary, max((p[1] for p in positions), default=0.0)),
                   walls=buildings(world) if primary.kind in ("structure", "road", "water") else np.zeros((0, 8)),
                   air=atmosphere(world))
    scene.cover = LowCover.of(world, scene.pts, np.array([s.kind == "road" for s in pool])[scene.owner])
    thirds = math.atan(lens.width / 6.0 / lens.f_px)
    offsets = (0.0, -thirds, thirds) if others else (0.0,)
    rails = world.inst_xyz[world.inst_kind == INSTANCE_KINDS.index("fence"), :2].astype(np.float64) \
        if primary.kind == "animals" else np.zeros((0, 2))
    cands, kept = [], []
    for pos, dist, rise, squeezed in positions:
        seen = _line_of_sight(world, pos, scene.pts, _wide_enough(pos, primary.centre, scene.pts, lens, thirds))
        weight = _weights(pool, scene.pts, scene.owner, pos, lens)
        if scene.cover is not None:
            weight = weight * scene.cover.shown(pos, scene.pts)
        weight = weight * _behind_trees(scene, pos)
        place = (pos, dist, rise, squeezed, seen, weight, _obstruction(scene, pos, primary, lens) + _at_rail(rails, pos))
        kept.append(place)
        cands.append(_candidate(world, scene, lens, 0.0, *place))
    order = np.argsort([-c.score for c in cands], kind="stable")
    for k in order[:12] if len(offsets) > 1 else ():  # the subject on a third, from the best places only
        cands += [_candidate(world, scene, lens, off, *kept[int(k)]) for off in offsets[1:]]
    if scene.air.sky > 0 and primary.kind != "product":  # over high ground the sky shows only when looking up
        # (a product is shot from its own height, the sky behind it: looking up would cut its foot off)
        cands += [_candidate(world, scene, lens, 0.0, *kept[int(k)], lift=lift) for k in order[:12] for lift in LIFTS]
    cands.sort(key=lambda c: -c.score)
    cands = cands[:36] if scene.air.sky > 0 else cands[:24]
    sea = _has_sea(world)
    for c in cands:
        wall_m = WALL_SHARE * c.dist if primary.kind not in ("product", "vehicle") else 0.0
        edge, sky, reach, wall = frame_march(world, c.camera, sea=sea, wall_m=wall_m)
        c.shares["sky"] = sky
        c.score += (-8.0 * edge + 1.5 * min(sky / 0.2, 1.0) - 2.0 * max(sky - 0.55, 0.0)
                    + _atmosphere_fit(scene.air, sky, reach) - 6.0 * max(wall - 0.1, 0.0))
    return max(cands, key=lambda c: c.score)


#: a camera on a herd this near (m) a fence span sees only a rail across the frame's foot, no post: it costs this
RAIL_NEAR_M, RAIL_COST = 3.5, 1.5


def _at_rail(rails: np.ndarray, pos: np.ndarray) -> float:
    """What standing right at a fence costs a view of animals (the fence reads from a few metres back)."""
    return RAIL_COST if len(rails) and float(np.hypot(*(rails - pos[:2]).T).min()) < RAIL_NEAR_M else 0.0


def _behind_trees(scene: _Scene, pos: np.ndarray) -> np.ndarray:
    """Per sample point, 1 unless it belongs to a building kept beside the subject whose sight lines from `pos`
    run through trees (a farmhouse behind the trees lining a lane): then the share of them that are clear."""
    out = np.ones(len(scene.pts))
    for k, s in enumerate(scene.pool[1:], start=1):
        if s.kind == "structure" and len(scene.trees):
            out[scene.owner == k] = 1.0 - _through_trees(scene.trees, pos, s)
        elif s.label == "the lamps" and len(scene.walls):  # street lamps behind the houses they light do not show
            mine = scene.owner == k
            out[mine] = ~_behind_walls(scene.walls, pos, scene.pts[mine])
    return out


def _behind_walls(walls: np.ndarray, pos: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Which points a building stands in front of, seen from `pos`."""
    d = pts - pos
    span = np.maximum((d[:, :2] ** 2).sum(axis=1), 1e-9)
    rel = walls[None, :, :2] - pos[:2]
    t = np.clip((rel * d[:, None, :2]).sum(axis=2) / span[:, None], 0.0, 1.0)
    near = np.hypot(*(rel - t[..., None] * d[:, None, :2]).transpose(2, 0, 1)) < 0.8 * walls[None, :, 3]
    z = pos[2] + t * d[:, None, 2]
    return (near & (t > 0.02) & (t < 0.98) & (z < walls[None, :, 4])).any(axis=1)


def _atmosphere_fit(air: Atmosphere, sky: float, reach_m: float) -> float:
    """What missing sky and a short view cost a still whose weather or time needs them (0 when met)."""
    cost = 6.0 * max(air.sky - sky, 0.0) / air.sky if air.sky > 0 else 0.0
    if air.reach_m > 0:
        cost += 5.0 * max(1.0 - reach_m / air.reach_m, 0.0)
    return -cost


def _horizon_fit(air: Atmosphere, cam: Camera) -> float:
    """Before any ray is marched: what a candidate looking down so far that the horizon leaves the frame's
    upper part costs a still that needs sky."""
    if air.sky <= 0:
        return 0.0
    f = cam.forward()
    down = -math.asin(float(np.clip(f[2], -1.0, 1.0)))
    row = 0.5 - cam.focal_px * math.tan(float(np.clip(down, -1.2, 1.2))) / cam.height  # the horizon, from the top
    return -4.0 * float(np.clip((air.sky + 0.05 - row) / (air.sky + 0.05), 0.0, 1.0))


#: what trees filling the foreground cost a view of water (of other subjects: 3 per frame filled)
WATER_CLUTTER = 10.0


def _obstruction(scene: _Scene, pos: np.ndarray, s: Subject, lens: _Lens) -> float:
    """What trees, boulders and buildings cost a position: in the sight line, filling the foreground, or
    the camera standing inside one."""
    foreground = WATER_CLUTTER if s.kind == "water" else 3.0  # trees in front of water cut it into pieces
    return (5.0 * _through_trees(scene.trees, pos, s) + foreground * _clutter(scene.trees, pos, s, lens)
            + 3.0 * _clutter(scene.walls, pos, s, lens, nearer=0.5) + 8.0 * _inside(scene.trees, pos)
            + 8.0 * _inside(scene.walls, pos))


def _candidate(world: WorldState, scene: _Scene, lens: _Lens, off: float, pos: np.ndarray, dist: float, rise: float,
               squeezed: float, seen: np.ndarray, weight: np.ndarray, penalty: float, lift: float = 0.0) -> _Candidate:
    cam = _aim(world, pos, scene.pool[0], off, lens, lift)
    score, shares, place = _score(world, cam, scene.pool, scene.pts, scene.owner, seen, weight, scene.sun)
    score += _horizon_fit(scene.air, cam) + vehicle_view_fit(scene.pool[0], cam, world.spec or {}) \
        + animal_size_fit(scene.pool[0], cam)
    hidden = covered(scene.trees, cam, scene.pool[0]) if scene.pool[0].kind in COVER_KINDS else 0.0
    return _Candidate(camera=cam, score=score - 3.0 * squeezed - penalty - cover_cost(hidden), shares=shares,
                      place=place, squeezed=squeezed, rise=rise, dist=dist, blocked=penalty, hidden=hidden)


#: a framed vehicle keeps this share of the frame clear on every side
WHOLE_MARGIN = 0.04
#: a framed vehicle's middle sits between these shares of the frame's height from its top (at or below the
#: middle: the road under it, the land and the sky it drives towards above; a bus is not cut by the top edge)
VEHICLE_ROWS = (0.46, 0.72)


#: a car commercial's hero frame: the camera this many degrees off the car's nose (a front three-quarter view);
#: prompt words asking for a side view instead ("side profile", "tracking shot") -> that view's angle
HERO_OFF_FRONT_DEG = 40.0
SIDE_VIEW_WORDS = ("side profile", "profile shot", "side view", "side on", "side-on", "tracking shot", "tracking",
                   "from the side", "alongside", "broadside")
REAR_VIEW_WORDS = ("from behind", "rear view", "from the back", "rear three-quarter", "chase shot", "chase cam")


def vehicle_view_angle(spec: dict) -> float:
    """Degrees off the car's nose its frame wants: a front three-quarter (40), a side view (90) when the prompt
    asks for a profile or a tracking shot, a rear three-quarter (145) when it asks for a view from behind."""
    text = " ".join(str(spec.get("text", "")).lower().split())
    if any(w in text for w in REAR_VIEW_WORDS):
        return 145.0
    if any(w in text for w in SIDE_VIEW_WORDS):
        return 90.0
    return HERO_OFF_FRONT_DEG


def vehicle_bearings(s: Subject, spec: dict) -> list[float]:
    """Camera bearings (radians, from the car) to try: around the view the prompt wants on both sides of the
    car, then a coarse ring (another side may be the only clear one)."""
    base = math.atan2(float(s.front[1]), float(s.front[0])) if s.front is not None else 0.0
    want = vehicle_view_angle(spec)
    near = [base + side * math.radians(want + d) for side in (-1, 1) for d in (-22.0, -12.0, 0.0, 12.0)]
    return near + [base + math.radians(a) for a in range(0, 360, 45)]


def vehicle_view_fit(s: Subject, cam: Camera, spec: dict) -> float:
    """What a vehicle's framing is worth for the angle it shows the car from (the view the prompt wants scores
    2, the back of the car -2) and for a low, eye-level camera (a car commercial's hero is never seen from a
    crane); 0 for any other subject."""
    if s.kind != "vehicle" or s.front is None:
        return 0.0
    rel = np.asarray(cam.position[:2], np.float64) - s.centre[:2]
    dist = float(np.hypot(*rel)) + 1e-9
    off = math.degrees(math.acos(float(np.clip(rel @ s.front / dist / (np.linalg.norm(s.front) + 1e-12), -1, 1))))
    want = vehicle_view_angle(spec)
    asked = 2.0 if want == HERO_OFF_FRONT_DEG else 3.5  # a view the prompt names outweighs a larger car
    angle = asked * math.exp(-(((off - want) / 28.0) ** 2)) - 2.0 * float(np.clip((off - 120.0) / 40.0, 0.0, 1.0)) \
        * (want < 120.0)
    above = float(cam.position[2]) - (float(s.centre[2]) - 0.5 * s.height_m)
    if asks_for_drone(spec):  # "a drone shot": from well above the car, the land around it in frame
        return angle + 1.5 * float(np.clip((above - 3.0 * s.height_m) / (6.0 * s.height_m), 0.0, 1.0))
    low = -0.8 * float(np.clip((above - 2.0 * s.height_m) / (4.0 * s.height_m), 0.0, 1.0))
    return angle + low + HERO_SIZE_WEIGHT * _hero_size(s, cam)


#: what animals large in the frame are worth: full when one spans ANIMAL_HERO_H of the frame's height, none at
#: ANIMAL_MIN_H / 2
ANIMAL_SIZE_WEIGHT, ANIMAL_HERO_H = 1.5, 0.14


def animal_size_fit(s: Subject, cam: Camera) -> float:
    """0..ANIMAL_SIZE_WEIGHT: how near one animal of a framed herd (its typical height, at the herd's middle)
    comes to a height that reads; 0 for any other subject."""
    if s.kind != "animals":
        return 0.0
    dist = float(np.linalg.norm(np.asarray(cam.position, np.float64) - s.centre)) + 1e-6
    share = s.height_m * cam.focal_px / dist / cam.height
    lo = ANIMAL_MIN_H / 2.0
    return ANIMAL_SIZE_WEIGHT * float(np.clip((share - lo) / (ANIMAL_HERO_H - lo), 0.0, 1.0))


DRONE_WORDS = ("drone", "aerial", "from above", "bird's eye", "birds eye", "overhead", "helicopter")


def asks_for_drone(spec: dict) -> bool:
    """Whether the prompt asks for a car seen from the air ("a drone shot", "aerial")."""
    text = str(spec.get("text", "")).lower()
    return any(w in text for w in DRONE_WORDS)


#: what a car large in the frame is worth: full at HERO_WIDTH_SHARE of the frame's width, none below a third of it
HERO_SIZE_WEIGHT, HERO_WIDTH_SHARE = 1.5, 0.38


def _hero_size(s: Subject, cam: Camera) -> float:
    """0..1: how near the vehicle's width across the frame (estimated from its length and distance) comes to a
    hero frame's (a car commercial reads the car, not a speck on the road)."""
    dist = float(np.linalg.norm(np.asarray(cam.position, np.float64) - s.centre)) + 1e-6
    share = s.width_m * cam.focal_px / dist / cam.width
    lo = HERO_WIDTH_SHARE / 3.0
    return float(np.clip((share - lo) / (HERO_WIDTH_SHARE - lo), 0.0, 1.0))


def _blockers(world: WorldState, s: Subject, reach: float) -> np.ndarray:
    """Trees and boulders that may stand between a camera and the subject: rows of x, y, base z, radius, top z,
    crown start (share of the height), outline and solid share (CROWNS)."""
    if s.kind == "landscape" or not len(world.inst_kind):
        return np.zeros((0, 8))
    kinds = np.full(len(INSTANCE_KINDS), -1.0)
    radius = np.zeros(len(INSTANCE_KINDS))
    crown = np.zeros((len(INSTANCE_KINDS), 3))
    for name, (r, h) in BLOCKERS.items():
        if name in LOW_BLOCKERS and s.kind not in COVER_KINDS:
            continue
        kinds[INSTANCE_KINDS.index(name)], radius[INSTANCE_KINDS.index(name)] = h, r
        crown[INSTANCE_KINDS.index(name)] = CROWNS[name]
    k = world.inst_kind.astype(int)
    xyz = world.inst_xyz.astype(np.float64)
    near = (kinds[k] > 0) & (np.hypot(xyz[:, 0] - s.centre[0], xyz[:, 1] - s.centre[1]) < reach + 15.0)
    sc = world.inst_scale[near].astype(np.float64)
    rows = [np.column_stack([xyz[near], radius[k[near]] * sc, xyz[near, 2] + kinds[k[near]] * sc, crown[k[near]]])]
    if s.kind in ("product", "vehicle", "animals"):  # buildings stand in the way of a small subject
        rows.append(buildings(world))
    return np.concatenate(rows)


def buildings(world: WorldState) -> np.ndarray:
    """Structures as blockers: rows of x, y, base z, radius, top z (roof allowed for), crown start 0, a solid box."""
    return np.array([[b.x, b.y, b.z, 0.5 * math.hypot(b.w, b.d), b.z + 1.35 * b.h, 0.0, 2.0, 1.0]
                     for b in world.structures if b.kind != "waterfall"]).reshape(-1, 8)


def _through_trees(trees: np.ndarray, pos: np.ndarray, s: Subject) -> float:
    """Share of sight lines to the subject (its middle, top and sides) that pass through a tree or boulder."""
    if not len(trees):
        return 0.0
    lo, hi = s.points.min(axis=0), s.points.max(axis=0)
    goals = np.array([s.centre, [s.centre[0], s.centre[1], 0.3 * lo[2] + 0.7 * hi[2]], lo, hi])
    if s.members > 1 and len(s.points):  # a group of buildings: each of them seen, not only the group's middle
        goals = np.vstack([goals, s.points[np.linspace(0, len(s.points) - 1, min(len(s.points), 3 * s.members))
                                           .astype(int)]])
    blocked = 0
    for g in goals:
        d = g - pos
        span = float(d[:2] @ d[:2]) + 1e-9
        t = np.clip(((trees[:, :2] - pos[:2]) @ d[:2]) / span, 0.0, 1.0)
        close = np.hypot(*(trees[:, :2] - (pos[:2] + t[:, None] * d[:2])).T) < trees[:, 3]
        z = pos[2] + t * d[2]
        blocked += bool((close & (t > 0.01) & (t < 0.97) & (z < trees[:, 4]) & (z > trees[:, 2] - 1.0)).any())
    return blocked / len(goals)


#: a crown reaches this many times its sight-line radius out (a broadleaf's lobes), and a camera this near (m)
#: beyond that stands in its leaves: the frame's side is one blur of green
CROWN_REACH, CROWN_CLEAR_M = 1.4, 0.5


def _inside(trees: np.ndarray, pos: np.ndarray) -> float:
    """1 when the camera stands inside a tree's crown (or against its outer leaves), a boulder or a building."""
    if not len(trees):
        return 0.0
    d = np.hypot(trees[:, 0] - pos[0], trees[:, 1] - pos[1])
    within = d < trees[:, 3] + 0.3
    crown = trees[:, 2] + trees[:, 5] * (trees[:, 4] - trees[:, 2])  # where its leaves start
    leafy = (trees[:, 6] < 2) & (d < CROWN_REACH * trees[:, 3] + CROWN_CLEAR_M) & (pos[2] > crown - 0.5)
    return float(((within | leafy) & (pos[2] < trees[:, 4] + 0.5)).any())


def _clutter(trees: np.ndarray, pos: np.ndarray, s: Subject, lens: _Lens, nearer: float = 0.9) -> float:
    """How much of the frame blockers between the camera and the subject (nearer than `nearer` of the way to
    it) fill (0..1, estimated)."""
    if not len(trees):
        return 0.0
    axis = s.centre[:2] - pos[:2]
    reach = float(np.hypot(*axis)) + 1e-9
    axis /= reach
    rel = trees[:, :2] - pos[:2]
    ahead = rel @ axis
    side = np.abs(rel @ np.array([-axis[1], axis[0]]))
    half = lens.width / 2.0 / lens.f_px
    front = (ahead > 0.5) & (ahead < nearer * reach) & (side < ahead * half + trees[:, 3])
    area = 2.0 * trees[front, 3] * (trees[front, 4] - trees[front, 2])
    share = float((area * (lens.f_px / ahead[front]) ** 2).sum()) / (lens.width * lens.height)
    return min(share, 1.0)


#: subjects whose cover is counted: small ones a tree can hide whole (a building among trees is still a village)
COVER_KINDS = ("vehicle", "product")
#: the grid (columns, rows) over the subject's box on which cover is counted
COVER_GRID = (16, 10)
#: what cover costs a framed subject: nothing below COVER_FREE of its box, COVER_COST per share above it, and
#: a view with more than COVER_REJECT of it hidden is rejected (a pine in front of the hero car)
COVER_FREE, COVER_COST, COVER_REJECT, COVER_REJECTED = 0.04, 10.0, 0.25, 8.0


def covered(blockers: np.ndarray, cam: Camera, s: Subject) -> float:
    """Share (0..1) of the subject's box in the frame that trees, boulders and buildings nearer the camera than
    the whole subject hide, each drawn with its crown's outline (a cone, an ellipse, a box): an estimate
    without rendering."""
    if not len(blockers):
        return 0.0
    pos = np.asarray(cam.position, np.float64)
    f = np.asarray(cam.target, np.float64) - pos
    f /= math.sqrt(float(f @ f))
    r = np.array([f[1], -f[0], 0.0]) / max(math.hypot(f[0], f[1]), 1e-12)
    u = np.cross(r, f)
    rel = s.points - pos
    depth_s = rel @ f
    if depth_s.min() <= cam.near_m:
        return 0.0
    fp, w, h = cam.focal_px, cam.width, cam.height
    su, sv = fp * (rel @ r) / depth_s + w / 2.0, -fp * (rel @ u) / depth_s + h / 2.0
    lo_u, hi_u = max(float(su.min()), 0.0), min(float(su.max()), float(w))
    lo_v, hi_v = max(float(sv.min()), 0.0), min(float(sv.max()), float(h))
    if lo_u >= hi_u or lo_v >= hi_v:
        return 0.0
    bxy = blockers[:, :2] - pos[:2]
    z0 = bxy @ f[:2]  # depth of the blocker's axis at the camera's height
    near = (z0 > 0.3) & (z0 + 0.5 * blockers[:, 3] < depth_s.min())
    if not near.any():
        return 0.0
    b, bxy, z0 = blockers[near], bxy[near], z0[near]
    x, y0 = bxy @ r[:2], bxy @ u[:2]
    foot, top = b[:, 2] + b[:, 5] * (b[:, 4] - b[:, 2]) - pos[2], b[:, 4] - pos[2]
    zf, zt = np.maximum(z0 + foot * f[2], 0.3), np.maximum(z0 + top * f[2], 0.3)
    fu = fp * x / zf + w / 2.0
    fv, tv = -fp * (y0 + foot * u[2]) / zf + h / 2.0, -fp * (y0 + top * u[2]) / zt + h / 2.0
    half = fp * b[:, 3] * b[:, 7] / zf
    over = (fu + half > lo_u) & (fu - half < hi_u) & (tv < hi_v) & (fv > lo_v)
    if not over.any():
        return 0.0
    fu, fv, tv, half, shape = fu[over], fv[over], tv[over], half[over], b[over, 6]
    gu, gv = np.meshgrid(np.linspace(lo_u, hi_u, COVER_GRID[0]), np.linspace(lo_v, hi_v, COVER_GRID[1]))
    uu, vv = gu.ravel()[:, None], gv.ravel()[:, None]
    up = (fv[None] - vv) / np.maximum(fv - tv, 1e-6)[None]  # 0 at the crown's foot, 1 at its top
    width = np.where(shape[None] == 0, 1.0 - up, np.where(shape[None] == 1,
                     np.sqrt(np.clip(1.0 - (2.0 * up - 1.0) ** 2, 0.0, 1.0)), 0.75))
    hit = (up >= 0.0) & (up <= 1.0) & (np.abs(uu - fu[None]) < half[None] * width)
    return float(hit.any(axis=1).mean())


def cover_cost(share: float) -> float:
    """What hiding `share` of the framed subject costs a view (rejected past COVER_REJECT)."""
    return COVER_COST * max(share - COVER_FREE, 0.0) + (COVER_REJECTED if share > COVER_REJECT else 0.0)


def _secondaries(found: list[Subject], primary: Subject) -> list[Subject]:
    out: list[Subject] = []
    for s in found:
        if s is primary or not s.named or s.kind == "landscape" or any(o.label == s.label for o in out):
            continue
        if s.kind == "structure" or (s.kind != primary.kind and all(o.kind != s.kind for o in out)):
            out.append(s)
    return out


def _has_sea(world: WorldState) -> bool:
    return world.env.sea_level_m is not None


def _fit_distance(s: Subject, lens: _Lens, bh: float, bw: float) -> float:
    """Distance at which the subject spans `bh` of the frame's height or `bw` of its width, whichever is nearer."""
    return max(s.height_m * lens.f_px / (bh * lens.height), s.width_m * lens.f_px / (bw * lens.width)) \
        if s.kind == "product" else min(s.height_m * lens.f_px / (bh * lens.height),
                                        s.width_m * lens.f_px / (bw * lens.width))


def _plan(world: WorldState, s: Subject, lens: _Lens, air: Atmosphere) -> tuple[list[float], tuple[float, ...]]:
    """Distances (m) to try and rises (height over distance) for a kind of subject; when the weather or the time
    needs sky and depth in frame, also farther and lower viewpoints (a ruin on a cliff seen from across the
    bay, not from above)."""
    dists, rises = _base_plan(world, s, lens)
    if s.kind in ("structure", "road"):
        rises = (*rises, *higher_rises(world))
    if air.sky > 0 and s.kind in ("structure", "outcrop", "water", "landscape", "road", "props"):
        far = min(max(1.8 * dists[-1], air.reach_m * 0.6), 0.45 * world.size_m)
        dists = [*dists, far] if far > dists[-1] * 1.2 and not air.subject_max_m else dists
        rises = (min(rises) * 0.5, *rises)
    if air.subject_max_m > 0 and s.kind == "landscape":  # in fog: low over the near land, the far one fading
        return [min(dists[0], 3.0 * air.subject_max_m)], (0.12, 0.25)
    if air.subject_max_m > 0:  # in fog: near enough that the subject still reads
        most = air.water_max_m if s.kind == "water" else air.subject_max_m
        near = [min(d, most) for d in dists]
        if s.kind in ("structure", "water", "road"):  # and from as far as that allows: depth behind it
            near.append(most)
        dists = sorted({round(d, 3) for d in near})
    return dists, rises


def _base_plan(world: WorldState, s: Subject, lens: _Lens) -> tuple[list[float], tuple[float, ...]]:
    """Distances (m) to try and rises (height over distance) for a kind of subject."""
    size = world.size_m
    if s.kind == "product":
        d = _fit_distance(s, lens, 0.62, 0.5) + 0.5 * s.width_m
        return [d, 1.35 * d], (0.12, 0.3)
    if s.kind == "vehicle":
        d = s.width_m * lens.f_px / lens.width
        return [d / 0.4, d / 0.22, d / 0.1], (0.04, 0.12, 0.3, 0.5)
    if s.kind == "animals":  # the herd across half the frame, each animal tall enough to read, from eye level
        d = float(np.clip(s.width_m * lens.f_px / (0.55 * lens.width), 5.0 * s.height_m,
                          s.height_m * lens.f_px / (ANIMAL_MIN_H * lens.height)))
        if asks_for_drone(world.spec or {}):  # "a drone shot of cattle crossing a river": from the air
            return [1.2 * d, 1.8 * d], (0.45, 0.8)
        return [d, 1.3 * d, 0.75 * d], (0.02, 0.08, 0.18, 0.3)
    if s.kind == "structure" and s.label == "the skyscraper":  # a lone tower: whole and tall in frame, from low
        d = s.height_m * lens.f_px / (SKYSCRAPER_FILL * lens.height)
        return [0.8 * d, d, 1.3 * d], SKYSCRAPER_RISES
    if s.kind in ("structure", "outcrop"):
        d = max(_fit_distance(s, lens, 0.35, 0.55), 3.0 * s.height_m, 18.0)
        if 1 < s.members <= 6:  # "three cabins": the few of a group all in frame, not one close up
            d = max(d, s.width_m * lens.f_px / (0.75 * lens.width))
        return [d, 1.6 * d, 2.6 * d], (0.1, 0.25)
    if s.kind == "road":
        return [45.0, 90.0, 160.0], (0.12, 0.3)
    if s.kind == "props":  # props framed for themselves: their group across half the frame, seen from above
        d = float(np.clip(s.width_m * lens.f_px / (0.55 * lens.width), 12.0, 0.1 * size))
        return [d, 1.5 * d, 2.2 * d], (0.15, 0.3)
    if s.kind == "water":
        d = float(np.clip(0.9 * s.width_m, 60.0, 0.3 * size)) if s.label != "the sea" else 0.14 * size
        return [d, 1.7 * d], (0.1, 0.25)
    return [float(np.clip(0.42 * size, 40.0, 2000.0))], (0.3, 0.5)


#: a lone skyscraper is framed from where (its height with its mast and some sky) spans this share of the frame's
#: height, from near the ground to a little above its middle (rises: height over distance, from its middle)
SKYSCRAPER_FILL, SKYSCRAPER_RISES = 0.72, (-0.15, 0.0, 0.1)


def _positions(world: WorldState, s: Subject, lens: _Lens,
               side: str) -> list[tuple[np.ndarray, float, float, float]]:
    """Candidate camera positions: (xyz, distance, rise, how much the world's edge pushed it in 0..1)."""
    dists, rises = _plan(world, s, lens, atmosphere(world))
    if s.kind == "product" and s.toward is not None and side == "any":  # the setting behind the product
        bearings = setting_bearings(s.toward)
    elif s.kind == "product" and s.front is not None and side != "any":
        base = math.atan2(s.front[1], s.front[0]) + math.radians(SIDES[side])
        bearings = [base + math.radians(a) for a in (-24.0, -12.0, 0.0, 12.0, 24.0)]
    elif s.kind == "vehicle" and s.front is not None and any(p.id.startswith("street-") for p in world.paths):
        # between a city's buildings a car is seen down its street: from ahead or behind, three-quarters on
        base = math.atan2(s.front[1], s.front[0])
        bearings = [base + math.radians(a) for a in (-28.0, -16.0, 16.0, 28.0, 152.0, 208.0)]
    elif s.kind == "vehicle" and s.front is not None:
        bearings = vehicle_bearings(s, world.spec or {})
    else:
        bearings = [2.0 * math.pi * k / 12.0 for k in range(12)]
    size, out = world.size_m, []
    low = s.kind in ("product", "vehicle", "animals")
    for dist in dists:
        for b in bearings:
            want = s.centre[:2] + dist * np.array([math.cos(b), math.sin(b)])
            xy = np.clip(want, 0.04 * size, 0.96 * size)
            flat = float(np.hypot(*(xy - s.centre[:2])))
            squeezed = max(0.0, 0.85 - flat / dist)
            reach = float(np.clip(0.25 * dist, 0.05, 1.0)) if s.kind == "product" else 1.0 if low else 8.0
            floor = ground_clearance(world, float(xy[0]), float(xy[1]), radius_m=reach)
            if s.kind == "product":  # never under what it stands on (a rock under a packshot's hero)
                floor = max(floor, float(s.centre[2]) - 0.5 * s.height_m)
            for rise in rises:
                clear = float(np.clip(0.6 * s.height_m, 0.03, 0.35)) if s.kind == "product" else \
                    EYE_M if s.kind == "animals" else 1.2 if low else 6.0
                z = max(s.centre[2] + rise * flat, floor + clear)
                out.append((np.array([xy[0], xy[1], z]), dist, rise, squeezed))
    return out + (on_the_road(world, s) if s.kind == "vehicle" else [])


#: a camera over a herd stands at least at a person's eye height
EYE_M = 1.6


#: a camera car's places on the road ahead of and behind the framed vehicle: metres along the road, the heights
#: over it (eye level, a low crane) and how far across into the other lane
ROAD_CAMERA_AT_M, ROAD_CAMERA_Z_M, ROAD_CAMERA_ACROSS_M = (9.0, 14.0, 22.0), (1.3, 3.2), 3.2


def on_the_road(world: WorldState, s: Subject) -> list[tuple[np.ndarray, float, float, float]]:
    """Camera positions on the vehicle's own road, ahead of it and behind it in the other lane (where a camera
    car drives: clear of the trees that line a country road), as (xyz, distance, rise, 0)."""
    roads = [r for r in world.paths if r.kind == "road" and len(r.points_n3) >= 4]
    if not roads:
        return []
    road = min(roads, key=lambda r: float(np.hypot(*(r.points_n3[:, :2] - s.centre[:2]).T).min()))
    pts = road.points_n3[:, :2].astype(np.float64)
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    here = walked[int(np.argmin(np.hypot(*(pts - s.centre[:2]).T)))]
    out = []
    scale = max(1.0, _vehicle_size(world.spec or {})[0] / VEHICLE_SIZE_M[0])  # a bus from farther along than a car
    for ahead in (*ROAD_CAMERA_AT_M, *(-a for a in ROAD_CAMERA_AT_M)):
        at = here + ahead * scale
        if not 0.0 <= at <= walked[-1]:
            continue
        xy = np.array([np.interp(at, walked, pts[:, 0]), np.interp(at, walked, pts[:, 1])])
        k = min(int(np.searchsorted(walked, at)), len(pts) - 1)
        d = pts[k] - pts[max(k - 1, 0)] if k else pts[1] - pts[0]
        d /= max(float(np.hypot(*d)), 1e-9)
        side = np.array([-d[1], d[0]]) * (1.0 if ahead > 0 else -1.0)  # the oncoming lane, either way
        xy = xy + side * ROAD_CAMERA_ACROSS_M
        ground = world.height_at(float(xy[0]), float(xy[1]))
        for up in ROAD_CAMERA_Z_M:
            pos = np.array([xy[0], xy[1], ground + up])
            dist = float(np.linalg.norm(pos - s.centre))
            out.append((pos, dist, (pos[2] - s.centre[2]) / max(dist, 1e-6), 0.0))
    return out


def _aim(world: WorldState, pos: np.ndarray, s: Subject, offset: float, lens: _Lens, lift: float = 0.0) -> Camera:
    """Look at the subject, turned by `offset` (radians: the subject on a third), the horizon at a third
    unless the subject would then leave the frame's middle band; tilted up by `lift` (radians) where the sky
    must show over high ground."""
    d = s.centre - pos
    flat = float(np.hypot(d[0], d[1])) + 1e-9
    yaw = math.atan2(d[1], d[0]) + offset
    dip = math.atan2(-d[2], flat)  # how far below level the subject is
    horizon = math.atan(lens.height * (0.5 - HORIZON_AT) / lens.f_px)
    half = math.atan(0.5 * s.height_m / float(np.linalg.norm(d)))  # the subject's own half-height, as an angle
    band = max(min(math.atan(0.25 * lens.height / lens.f_px), math.atan(0.42 * lens.height / lens.f_px) - half), 0.0)
    down = float(np.clip(horizon, dip - band, dip + band)) - lift
    if s.kind == "vehicle":  # the vehicle's middle between its rows, whatever the horizon and the lift ask
        lo, hi = VEHICLE_ROWS
        down = float(np.clip(down, dip - math.atan((hi - 0.5) * lens.height / lens.f_px),
                             dip - math.atan((lo - 0.5) * lens.height / lens.f_px)))
    fwd = np.array([math.cos(yaw) * math.cos(down), math.sin(yaw) * math.cos(down), -math.sin(down)])
    reach = float(np.linalg.norm(d))
    size = world.size_m
    return Camera(position=tuple(float(v) for v in pos), target=tuple(float(v) for v in pos + fwd * reach),  # type: ignore[arg-type]
                  focal_mm=lens.focal_mm, sensor_mm=lens.sensor_mm, width=lens.width, height=lens.height,
                  near_m=float(np.clip(0.1 * reach, 0.05, 0.5)), far_m=max(5000.0, 4.0 * size))


def _wide_enough(pos: np.ndarray, centre: np.ndarray, pts: np.ndarray, lens: _Lens, offset: float) -> np.ndarray:
    """Points that may fall in the frame whatever the aim's offset: in front and within the widest fan."""
    axis = centre[:2] - pos[:2]
    axis = axis / (np.linalg.norm(axis) + 1e-9)
    rel = pts[:, :2] - pos[:2]
    ahead = rel @ axis
    side = np.abs(rel @ np.array([-axis[1], axis[0]]))
    half = math.atan(lens.width / 2.0 / lens.f_px) + offset + 0.05
    return (ahead > 0.05) & (side <= ahead * math.tan(min(half, 1.5)))


def _line_of_sight(world: WorldState, pos: np.ndarray, pts: np.ndarray, test: np.ndarray,
                   steps: int = 12) -> np.ndarray:
    """Which points the camera sees over the heightfield (False for those not tested)."""
    seen = np.zeros(len(pts), bool)
    idx = np.nonzero(test)[0]
    if not len(idx):
        return seen
    t = np.linspace(0.04, 0.96, steps)
    p = pts[idx]
    ray = pos[None, None, :] + t[None, :, None] * (p - pos)[:, None, :]
    ground = heights_at(world, ray[..., :2].reshape(-1, 2)).reshape(len(idx), steps)
    seen[idx] = ~(ground > ray[..., 2] - 0.05).any(axis=1)
    return seen


def subject_in_view(cam: Camera, pts: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Which points project inside the frame (with a margin as a share of the frame), in front of the camera."""
    uv, depth = cam.project(pts)
    mw, mh = margin * cam.width, margin * cam.height
    return ((depth > cam.near_m) & (uv[:, 0] >= mw) & (uv[:, 0] <= cam.width - mw)
            & (uv[:, 1] >= mh) & (uv[:, 1] <= cam.height - mh))


def _project(cam: Camera, rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera.project for points relative to the camera, without its general-purpose overhead; and which of
    them fall inside the frame."""
    f = np.asarray(cam.target, np.float64) - np.asarray(cam.position, np.float64)
    f /= math.sqrt(float(f @ f))
    r = np.array([f[1], -f[0], 0.0])
    r /= max(math.hypot(r[0], r[1]), 1e-12)
    u = np.array([r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]])
    depth = rel @ f
    safe = np.where(np.abs(depth) < 1e-9, 1e-9, depth)
    uv = np.column_stack([cam.focal_px * (rel @ r) / safe + cam.width / 2.0,
                          -cam.focal_px * (rel @ u) / safe + cam.height / 2.0])
    inside = ((depth > cam.near_m) & (uv[:, 0] >= 0) & (uv[:, 0] <= cam.width) & (uv[:, 1] >= 0)
              & (uv[:, 1] <= cam.height))
    return uv, inside


def _weights(pool: list[Subject], pts: np.ndarray, owner: np.ndarray, pos: np.ndarray, lens: _Lens) -> np.ndarray:
    """Per sample point, the share of the frame it covers when in view from `pos` (area over distance squared,
    foreshortened for flat subjects)."""
    rel = pts - pos
    dist = np.maximum(np.linalg.norm(rel, axis=1), 1e-6)
    flat = np.array([s.flat for s in pool])[owner]
    facing = np.where(flat, np.abs(rel[:, 2]) / dist, 0.8)
    normals = np.concatenate([s.normals if s.normals is not None else np.full((len(s.points), 3), np.nan)
                              for s in pool])
    lying = np.isfinite(normals[:, 0])
    if lying.any():  # ground seen at its own slant: a rock face turned towards the camera, a ledge edge-on
        facing[lying] = np.clip(-np.sum(normals[lying] * rel[lying], axis=1) / dist[lying], 0.0, 1.0)
    area = np.concatenate([s.area_m2 for s in pool])
    return area * (lens.f_px / dist) ** 2 * facing / (lens.width * lens.height)


def _score(world: WorldState, cam: Camera, pool: list[Subject], pts: np.ndarray, owner: np.ndarray,
           seen: np.ndarray, weight: np.ndarray, sun: np.ndarray) -> tuple[float, dict[str, float], dict[str, float]]:
    """Higher is better; with each subject's estimated share of the frame and where across it it sits (0..1)."""
    uv, inside = _project(cam, pts - np.asarray(cam.position))
    w = weight * (inside & seen)
    share = np.bincount(owner, weights=w, minlength=len(pool))
    across = np.bincount(owner, weights=w * uv[:, 0], minlength=len(pool)) / np.maximum(share, 1e-12) / cam.width
    shares = {s.label: float(share[k]) for k, s in enumerate(pool)}
    place = {s.label: float(across[k]) for k, s in enumerate(pool) if share[k] > 0}
    mine = owner == 0
    score = _primary_score(pool[0], cam, uv[mine], inside[mine], seen[mine], float(share[0]))
    for k, s in enumerate(pool[1:], start=1):
        need = _need(s)
        score += SETTING_WEIGHT.get(s.kind, 2.0) * min(share[k] / need, 1.0) + 0.3 * min(share[k] / (4 * need), 1.0)
    return score + _light(world, cam, sun, pool[0]), shares, place


def _primary_score(s: Subject, cam: Camera, uv: np.ndarray, inside: np.ndarray, seen: np.ndarray,
                   share: float) -> float:
    if s.kind in _FILL:
        visible = float((inside & seen).mean())
        if not inside.any():
            return -8.0
        box = uv[inside]
        bh = float(np.ptp(box[:, 1])) / cam.height
        bw = float(np.ptp(box[:, 0])) / cam.width
        th, tw = _FILL[s.kind]
        if s.kind == "structure" and s.members == 1 and s.height_m > 2.0 * s.width_m:
            th = SLENDER_FILL  # a lighthouse, a tower: thin, it reads only when it stands tall in the frame
        if s.kind == "structure" and s.label.startswith("the church"):
            th = CHURCH_FILL
        fit = min(max(bh / th, bw / tw), 1.0)
        cut = 0.0 if inside.all() else 1.5  # a framed subject is whole
        if s.kind == "vehicle":  # and a vehicle, with room around it (a bus is not cut by the frame's edge)
            room = np.array([WHOLE_MARGIN * cam.width, WHOLE_MARGIN * cam.height])
            cut += 1.0 * float(((uv < room) | (uv > np.array([cam.width, cam.height]) - room)).any())
        return (3.0 * fit * visible + 2.0 * float(inside.mean()) - cut
                - 6.0 * (1.0 - float(seen[inside].mean())))
    if s.kind == "landscape":
        return 0.0
    need = _need(s)
    return 3.0 * min(share / need, 1.0) + 0.5 * min(share / (4 * need), 1.0)


def _need(s: Subject) -> float:
    """The estimated share of the frame at which a subject reads."""
    return ROCK_SHARE if s.rock_named else READABLE_SHARE[s.kind]


def _light(world: WorldState, cam: Camera, sun: np.ndarray, s: Subject) -> float:
    """The sun not straight behind the camera at a low sun nor straight ahead at a high one; a landscape
    looks inward (unless the sea is what it shows)."""
    f = cam.forward()
    f_h = f[:2] / (np.linalg.norm(f[:2]) + 1e-9)
    sun_h = sun[:2] / (np.linalg.norm(sun[:2]) + 1e-9)
    against = float(np.dot(f_h, sun_h))
    low = float(np.clip(1.0 - sun[2] / 0.3, 0.0, 1.0)) if sun[2] > -0.1 else 0.0
    light = -0.6 * (1.0 - low) * max(against, 0.0) - 0.2 * abs(against + 0.3) + 0.5 * low * against
    if s.kind == "landscape" and not _has_sea(world):
        centre = np.full(2, world.size_m / 2.0) - np.asarray(cam.position[:2])
        light += 0.5 * float(np.dot(f_h, centre / (np.linalg.norm(centre) + 1e-9)))
    return light


def edge_in_view(world: WorldState, cam: Camera, *, sea: bool, cols: int = 9) -> float:
    """Share of a grid of rays below the horizon that leave the world's square before meeting the ground: the
    border in view. With a sea, rays that leave over open water meet its apron and do not count."""
    return frame_rays(world, cam, sea=sea, cols=cols)[0]


def frame_rays(world: WorldState, cam: Camera, *, sea: bool, cols: int = 9) -> tuple[float, float, float]:
    """(border share, sky share, reach) from a grid of rays marched over the heightfield: the share of the lower
    rows' rays that leave the world's square before meeting the ground (with a sea, rays leaving over open water
    meet its apron and do not count), the share of all rays that never meet the ground (sky), and how far the
    farthest ground in frame lies (metres: the 85th percentile of where the rays that meet it do)."""
    edge, sky, reach, _ = frame_march(world, cam, sea=sea, cols=cols)
    return edge, sky, reach


def frame_march(world: WorldState, cam: Camera, *, sea: bool, cols: int = 9,
                wall_m: float = 0.0) -> tuple[float, float, float, float]:
    """frame_rays' three figures and a fourth: the share of the frame's upper rows whose rays meet the ground
    nearer than `wall_m` (a rock face or a hillside standing close in front of the camera, where the view
    should open)."""
    low = np.array([0.42, 0.5, 0.6, 0.72, 0.85, 0.98])
    high = np.array([0.04, 0.14, 0.24, 0.34])
    rows = np.concatenate([high, low]) * cam.height
    uv = np.array([(u, v) for v in rows for u in np.linspace(0.02, 0.98, cols) * cam.width])
    ends = cam.unproject(uv, np.full(len(uv), 100.0))
    pos = np.asarray(cam.position, np.float64)
    d = ends - pos
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    size = world.size_m
    t = np.geomspace(0.3, 3.0 * size, 56)
    ray = pos[None, None] + t[None, :, None] * d[:, None]
    ground = heights_at(world, ray[..., :2].reshape(-1, 2)).reshape(len(uv), len(t))
    outside = ((ray[..., 0] < 0) | (ray[..., 0] > size) | (ray[..., 1] < 0) | (ray[..., 1] > size))
    hit = (ground >= ray[..., 2]) & ~outside
    first_hit = np.where(hit.any(axis=1), hit.argmax(axis=1), len(t))
    first_out = np.where(outside.any(axis=1), outside.argmax(axis=1), len(t))
    leaves = (first_out < first_hit) & (d[:, 2] < -0.025)  # within 1.5 degrees of level, haze hides the edge
    if sea and leaves.any():
        level = float(world.env.sea_level_m)
        z_out = ray[np.arange(len(uv)), np.minimum(first_out, len(t) - 1), 2]
        leaves &= z_out < level - 0.5
    lower = np.arange(len(uv)) >= len(high) * cols
    sky = (first_hit == len(t)) & (d[:, 2] >= 0)
    down = (first_hit < len(t)) | (d[:, 2] < 0)  # rays that meet the ground, the sea or its apron
    met = np.where(first_hit < len(t), t[np.minimum(first_hit, len(t) - 1)], t[-1])[down]
    reach = float(np.percentile(met, 85)) if len(met) else 0.0
    near = (first_hit < len(t)) & (t[np.minimum(first_hit, len(t) - 1)] < wall_m)
    return (float(leaves[lower].mean()), float(0.39 * sky[~lower].mean() + 0.61 * sky[lower].mean()), reach,
            float(near[~lower].mean()))


def _note(s: Subject, others: list[Subject], best: _Candidate) -> str:
    cam = best.camera
    base = s.centre[2] - 0.5 * s.height_m
    height = cam.position[2] - base
    dist = float(np.linalg.norm(np.asarray(cam.position) - s.centre))
    if s.kind in ("product", "vehicle", "animals") and height < max(2.5, 1.5 * s.height_m):
        how = "at eye level"
    elif s.kind != "landscape" and (height < 20.0 or height < 0.25 * dist):
        how = "from a low rise"
    else:
        how = "from the air"
    why = {"product": "an imported product comes first", "vehicle": "the prompt names a vehicle",
           "animals": "the prompt names them",
           "structure": "the prompt names it", "road": "the prompt names a road",
           "water": "the prompt names it", "outcrop": "the prompt names it",
           "landscape": "nothing more specific is named",
           "props": "the prompt names them and nothing larger"}[s.kind]
    parts = [f"framed {s.label} {how} from {dist:.0f} m ({why})"]
    if best.hidden > COVER_FREE:
        parts.append(f"trees or buildings in front hide about {best.hidden:.0%} of it (no clearer side found)")
    for o in others:
        share = best.shares.get(o.label, 0.0)
        plural = o.kind in (*ALONGSIDE, "outcrop") or " and " in o.label
        if share >= 0.5 * READABLE_SHARE[o.kind]:
            u = best.place.get(o.label, 0.5)
            third = "left third" if u < 1 / 3 else "right third" if u > 2 / 3 else "middle"
            parts.append(f"{o.label} {'are' if plural else 'is'} in the {third}")
        elif share >= 0.001:
            parts.append(f"{o.label} {'show' if plural else 'shows'} only a little ({share:.1%} of the frame)")
        else:
            parts.append(f"{o.label} could not be kept in frame from a clear side")
    return "; ".join(parts)


_EXPLICIT = {"auto_frame": (False,)}


@dataclass(kw_only=True, slots=True)
class ViewSettings:
    """Where a still's camera stands: framed on what the prompt names, or a given position and target."""

    auto_frame: bool = setting(True, description="frame what the prompt names (a product, a vehicle, a building, "
                                                 "the road, the water, the landscape); off: use position/target")
    product_side: str = setting("front", choices=PRODUCT_SIDES, applies={"auto_frame": (True,)},
                                description="auto framing: the side an imported product is shot from "
                                            "(any: the best side)")
    position: list[float] = setting([100.0, 100.0, 60.0], widget="vector", max_items=3,
                                    description="camera position x, y, z in metres", applies=_EXPLICIT)
    target: list[float] = setting([512.0, 512.0, 20.0], widget="vector", max_items=3,
                                  description="point the camera looks at, metres", applies=_EXPLICIT)
    focal_mm: float = setting(28.0, min=4.0, max=600.0, widget="slider", description="lens focal length")
    sensor_mm: float = setting(36.0, min=1.0, max=100.0, description="sensor width")
    width: int = setting(1280, min=16, max=8192)
    height: int = setting(720, min=16, max=8192)
    near_m: float = setting(0.1, min=0.001, max=100.0)
    far_m: float = setting(5000.0, min=1.0, max=1_000_000.0)

    def camera(self, world: WorldState) -> tuple[Camera, Framing | None]:
        """The camera these settings give in `world`, and the framing that chose it (None when given)."""
        if self.auto_frame:
            shot = frame_shot(world, width=self.width, height=self.height, focal_mm=self.focal_mm,
                              sensor_mm=self.sensor_mm, product_side=self.product_side)
            near = min(self.near_m, shot.camera.near_m)  # a close product needs a nearer plane than the default
            return replace(shot.camera, near_m=near, far_m=max(self.far_m, near + 1)), shot
        return Camera(position=vec3(self.position, "position"), target=vec3(self.target, "target"),
                      focal_mm=self.focal_mm, sensor_mm=self.sensor_mm, width=self.width, height=self.height,
                      near_m=self.near_m, far_m=self.far_m), None
