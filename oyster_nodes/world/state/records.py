"""The typed insides of a WorldState and a Timeline: structures, roads and rivers, imported meshes, bodies, agents.

Each record is parsed once where JSON enters (a world or timeline file, the disk cache, an edit, an action
script) by `from_json`, which checks every field and names the record and the field when one is wrong; code
downstream reads attributes and never re-guards a dict. `to_json` gives back the JSON a file stores (the same
keys and values that were read, so content hashes do not depend on which side of a file a state came from).
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


class RecordError(ValueError):
    """A record from outside with a missing or wrong field; the message names the record and the field."""


# ------------------------------------------------------------------------------------------- fields


def number(data: Mapping[str, Any], key: str, where: str, default: float | None = None, *,
           lo: float = -math.inf, hi: float = math.inf) -> float:
    """A finite number in lo..hi from data[key] (or the default when absent)."""
    value = data.get(key, default)
    if value is None:
        raise RecordError(f"{where}: '{key}' is missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise RecordError(f"{where}: '{key}' expects a finite number, got {_short(value)}")
    if not lo <= value <= hi:
        raise RecordError(f"{where}: '{key}' = {_short(value)} is outside {lo:g}..{hi:g}")
    return float(value)


def vector(data: Mapping[str, Any], key: str, where: str, size: int,
           default: Sequence[float] | None = None) -> tuple[float, ...]:
    """`size` finite numbers from data[key] (a list or tuple), or the default when absent."""
    value = data.get(key, default)
    if value is None:
        raise RecordError(f"{where}: '{key}' is missing")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != size:
        raise RecordError(f"{where}: '{key}' expects {size} numbers, got {_short(value)}")
    out = []
    for c in value:
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not _finite(c):
            raise RecordError(f"{where}: '{key}' expects finite numbers, got {_short(value)}")
        out.append(float(c))
    return tuple(out)


def _short(value: Any) -> str:
    """A value for an error message, cut to a readable length (it may come from outside, and be huge)."""
    return reprlib.repr(value)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def rgb(value: Any, where: str) -> Vec3:
    """A colour from [r, g, b] in 0..1 or 0..255, or "#rrggbb"; kept as sRGB 0..1."""
    if isinstance(value, str):
        s = value.strip().lstrip("#")
        try:
            if len(s) == 6:
                return tuple(int(s[k:k + 2], 16) / 255.0 for k in (0, 2, 4))  # type: ignore[return-value]
        except ValueError:
            pass
        raise RecordError(f"{where}: colour {_short(value)} is not '#rrggbb'")
    c = vector({"color": value}, "color", where, 3)
    if min(c) < 0:
        raise RecordError(f"{where}: colour {list(value)!r} has a negative channel")
    return tuple(v / 255.0 for v in c) if max(c) > 1.5 else c  # type: ignore[return-value]


def text(data: Mapping[str, Any], key: str, where: str, default: str | None = None, *,
         max_length: int = 200) -> str:
    value = data.get(key, default)
    if value is None:
        raise RecordError(f"{where}: '{key}' is missing")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RecordError(f"{where}: '{key}' expects text, got {_short(value)}")
    value = str(value)
    if len(value) > max_length:
        raise RecordError(f"{where}: '{key}' is longer than {max_length} characters")
    return value


def _mapping(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise RecordError(f"{where}: expects an object, got {type(data).__name__}")
    return data


def _floats(values: Sequence[float]) -> list[float]:
    return [float(c) for c in values]


# ------------------------------------------------------------------------------------------ records


STRUCTURE_KEYS = ("id", "kind", "x", "y", "z", "yaw", "w", "d", "h", "color", "roof", "material", "stripes", "village",
                  "roll", "pitch")


@dataclass(kw_only=True, slots=True)
class Structure:
    """A building or built thing: footprint w x d (m) centred on (x, y), base height z, wall height h."""

    id: str
    kind: str
    x: float
    y: float
    z: float
    yaw: float = 0.0
    w: float = 6.0
    d: float = 5.0
    h: float = 5.0
    #: sRGB 0..1; None: the renderer's colour for the kind
    color: Vec3 | None = None
    roof: str = "none"
    material: str = ""
    stripes: Vec3 | None = None
    village: int | None = None
    #: radians about its own length (x) and beam (y) axes before the yaw: a boat pulled up on a beach lists
    roll: float = 0.0
    pitch: float = 0.0
    #: other JSON fields a pack or a newer file wrote, kept as they came
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, where: str = "structure") -> Structure:
        d = _mapping(data, where)
        where = f"{where} {d.get('id', '?')!r}"
        return cls(
            id=text(d, "id", where), kind=text(d, "kind", where),
            x=number(d, "x", where, 0.0), y=number(d, "y", where, 0.0), z=number(d, "z", where, 0.0),
            yaw=number(d, "yaw", where, 0.0), w=number(d, "w", where, 6.0, lo=0.0, hi=1e5),
            d=number(d, "d", where, 5.0, lo=0.0, hi=1e5), h=number(d, "h", where, 5.0, lo=0.0, hi=1e5),
            color=rgb(d["color"], where) if d.get("color") is not None else None, roof=text(d, "roof", where, "none"),
            material=text(d, "material", where, ""),
            stripes=rgb(d["stripes"], where) if d.get("stripes") is not None else None,
            village=int(number(d, "village", where)) if d.get("village") is not None else None,
            roll=number(d, "roll", where, 0.0, lo=-math.pi, hi=math.pi),
            pitch=number(d, "pitch", where, 0.0, lo=-math.pi, hi=math.pi),
            extra={k: v for k, v in d.items() if k not in STRUCTURE_KEYS})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "x": self.x, "y": self.y, "z": self.z,
                               "yaw": self.yaw, "w": self.w, "d": self.d, "h": self.h}
        if self.color is not None:
            out["color"] = _floats(self.color)
        out |= {"roof": self.roof, "material": self.material}
        if self.stripes is not None:
            out["stripes"] = _floats(self.stripes)
        if self.village is not None:
            out["village"] = self.village
        if self.roll or self.pitch:
            out |= {"roll": self.roll, "pitch": self.pitch}
        return out | self.extra

    def box(self, *, roof: bool) -> tuple[float, ...]:
        """(cx, cy, yaw, half_w, half_d, z_bottom, z_top); with `roof` the top allows for a pitched roof."""
        return (self.x, self.y, self.yaw, self.w / 2, self.d / 2, self.z, self.z + self.h * (1.35 if roof else 1.0))


@dataclass(kw_only=True, slots=True)
class Route:
    """A road or a river: a polyline of [x, y, z] points (metres) and a width."""

    id: str
    kind: str
    width_m: float
    points_n3: np.ndarray

    @classmethod
    def from_json(cls, data: Any, where: str = "path") -> Route:
        d = _mapping(data, where)
        where = f"{where} {d.get('id', '?')!r}"
        raw = d.get("points", [])
        try:
            pts = np.asarray(raw, np.float64).reshape(-1, 3)
        except (TypeError, ValueError):
            raise RecordError(f"{where}: 'points' expects [[x, y, z], ...]") from None
        if not np.isfinite(pts).all():
            raise RecordError(f"{where}: 'points' holds a value that is not a finite number")
        return cls(id=text(d, "id", where, ""), kind=text(d, "kind", where, "road"),
                   width_m=number(d, "width_m", where, 4.0, lo=0.0, hi=1e4), points_n3=pts)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "width_m": self.width_m, "points": self.points_n3.tolist()}


MESH_KEYS = ("id", "name", "pos", "x", "y", "z", "yaw", "scale", "vertices", "faces", "extent_m", "materials",
             "facing_yaw")
#: textures one imported mesh may carry (mesh_arrays[f"mesh_{id}_tex{k}"])
MAX_MESH_TEXTURES = 16


@dataclass(kw_only=True, slots=True)
class MeshMaterial:
    """The look of a run of an imported mesh's faces (glTF's metallic-roughness model; colours linear).

    Faces first_face .. first_face + faces - 1 of mesh_arrays[f"mesh_{id}_f"] use it; a texture is an index k
    of mesh_arrays[f"mesh_{id}_tex{k}"] (-1: none): base colour (sRGB, RGBA), metallic-roughness (G: roughness,
    B: metallic, as glTF), normal map (tangent space). `transmission` (glTF's KHR_materials_transmission factor,
0..1): the share of light a glass lets through, tinted by its base colour (0: opaque)."""

    name: str = ""
    first_face: int = 0
    faces: int = 0
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    metallic: float = 0.0
    roughness: float = 0.5
    emissive: Vec3 = (0.0, 0.0, 0.0)
    base_texture: int = -1
    mr_texture: int = -1
    normal_texture: int = -1
    normal_scale: float = 1.0
    transmission: float = 0.0

    @classmethod
    def from_json(cls, data: Any, where: str = "material") -> MeshMaterial:
        d = _mapping(data, where)
        where = f"{where} {d.get('name', '?')!r}"

        def tex(key: str) -> int:
            return int(number(d, key, where, -1, lo=-1, hi=MAX_MESH_TEXTURES - 1))

        base = vector(d, "base_color", where, 4, (1.0, 1.0, 1.0, 1.0))
        if min(base) < 0 or max(base) > 1:
            raise RecordError(f"{where}: 'base_color' expects four numbers in 0..1, got {list(base)!r}")
        emissive = vector(d, "emissive", where, 3, (0.0, 0.0, 0.0))
        if min(emissive) < 0 or max(emissive) > 1e3:
            raise RecordError(f"{where}: 'emissive' expects three numbers in 0..1000, got {list(emissive)!r}")
        return cls(name=text(d, "name", where, ""), first_face=int(number(d, "first_face", where, 0, lo=0)),
                   faces=int(number(d, "faces", where, 0, lo=0)), base_color=base,  # type: ignore[arg-type]
                   metallic=number(d, "metallic", where, 0.0, lo=0.0, hi=1.0),
                   roughness=number(d, "roughness", where, 0.5, lo=0.0, hi=1.0),
                   emissive=emissive, base_texture=tex("base_texture"),  # type: ignore[arg-type]
                   mr_texture=tex("mr_texture"), normal_texture=tex("normal_texture"),
                   normal_scale=number(d, "normal_scale", where, 1.0, lo=-10.0, hi=10.0),
                   transmission=number(d, "transmission", where, 0.0, lo=0.0, hi=1.0))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "first_face": self.first_face, "faces": self.faces,
                "base_color": _floats(self.base_color), "metallic": self.metallic, "roughness": self.roughness,
                "emissive": _floats(self.emissive), "base_texture": self.base_texture,
                "mr_texture": self.mr_texture, "normal_texture": self.normal_texture,
                "normal_scale": self.normal_scale,
                # only a glass says how much light it lets through (an opaque material's record is unchanged)
                **({"transmission": self.transmission} if self.transmission > 0 else {})}

    @property
    def is_glass(self) -> bool:
        """Whether light passes through it (drawn over what is behind it, see gpu_scene.draw_glass)."""
        return self.transmission > 0.0

    def textures(self) -> list[int]:
        return [k for k in (self.base_texture, self.mr_texture, self.normal_texture) if k >= 0]


@dataclass(kw_only=True, slots=True)
class MeshPlacement:
    """An imported mesh placed in the world; its geometry is in mesh_arrays[f"mesh_{id}_v" / "_f"], its look
    in `materials` and the arrays "_n" (normals), "_uv", "_c" (vertex colours) and "_tex{k}" (see
    world/state/mesh_data.py). Without materials (a mesh imported before they were kept) it is plain grey."""

    id: str
    name: str
    pos: Vec3
    yaw: float = 0.0
    scale: float = 1.0
    vertices: int = 0
    faces: int = 0
    extent_m: float = 0.0
    materials: list[MeshMaterial] = field(default_factory=list)
    #: the world direction (radians, from +X towards +Y) the side to show faces: a camera at
    #: pos + d * (cos, sin) sees it (a product's front by default); None: unknown
    facing_yaw: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any, where: str = "mesh") -> MeshPlacement:
        d = _mapping(data, where)
        where = f"{where} {d.get('id', '?')!r}"
        materials = d.get("materials", [])
        if not isinstance(materials, list):
            raise RecordError(f"{where}: 'materials' expects a list, got {type(materials).__name__}")
        return cls(id=text(d, "id", where), name=text(d, "name", where, ""),
                   pos=vector(d, "pos", where, 3, (0.0, 0.0, 0.0)),  # type: ignore[arg-type]
                   yaw=number(d, "yaw", where, 0.0), scale=number(d, "scale", where, 1.0, lo=1e-6, hi=1e6),
                   vertices=int(number(d, "vertices", where, 0)), faces=int(number(d, "faces", where, 0)),
                   extent_m=number(d, "extent_m", where, 0.0),
                   materials=[m if isinstance(m, MeshMaterial) else MeshMaterial.from_json(m, f"{where} material")
                              for m in materials],
                   facing_yaw=number(d, "facing_yaw", where) if d.get("facing_yaw") is not None else None,
                   extra={k: v for k, v in d.items() if k not in MESH_KEYS})

    def to_json(self) -> dict[str, Any]:
        x, y, z = self.pos
        out = {"id": self.id, "name": self.name, "pos": [x, y, z], "x": x, "y": y, "z": z, "yaw": self.yaw,
               "scale": self.scale, "vertices": self.vertices, "faces": self.faces, "extent_m": self.extent_m}
        if self.materials:  # absent rather than empty, so meshes saved before materials keep their hashes
            out["materials"] = [m.to_json() for m in self.materials]
        if self.facing_yaw is not None:
            out["facing_yaw"] = self.facing_yaw
        return out | self.extra

    @property
    def placed(self) -> bool:
        """Whether it stands in the world (drawn, solid, exported); a mesh kept aside (extra "aside", see
        `world.import_mesh`'s place) is only there for action scripts to spawn as bodies."""
        return not self.extra.get("aside")


@dataclass(kw_only=True, slots=True)
class Track:
    """A body's motion: times (N, seconds, increasing), positions (N x 3, world metres), orientations (N x 4,
    w x y z) and, optionally, visibility (N: 1 while the body exists)."""

    times_s: np.ndarray
    pos_n3: np.ndarray
    quat_n4: np.ndarray
    visible_n: np.ndarray | None = None

    @classmethod
    def from_json(cls, data: Any, where: str = "track") -> Track:
        d = _mapping(data, where)
        try:
            times = np.asarray(d.get("times_s"), np.float64).reshape(-1)
            pos = np.asarray(d.get("pos"), np.float64).reshape(-1, 3)
            quat = np.asarray(d.get("quat"), np.float64).reshape(-1, 4)
        except (TypeError, ValueError):
            raise RecordError(f"{where}: expects times_s [t, ...], pos [[x, y, z], ...] and quat [[w, x, y, z], ...]"
                              ) from None
        if not (len(times) >= 2 and len(pos) == len(quat) == len(times)):
            raise RecordError(f"{where}: needs at least two samples and as many positions and orientations as times")
        if not (np.isfinite(times).all() and np.isfinite(pos).all() and np.isfinite(quat).all()):
            raise RecordError(f"{where}: holds a value that is not a finite number")
        if times[0] < 0 or (np.diff(times) <= 0).any():
            raise RecordError(f"{where}: times must start at 0 or later and increase")
        return cls(times_s=times, pos_n3=pos, quat_n4=quat)

    def to_json(self) -> dict[str, Any]:
        return {"times_s": self.times_s.tolist(), "pos": self.pos_n3.tolist(), "quat": self.quat_n4.tolist()}


BODY_SHAPES = ("sphere", "box", "capsule", "mesh")


@dataclass(kw_only=True, slots=True)
class Body:
    """A rigid body: what it is (shape, size in metres, mass, surface) and, in a world, where it is."""

    id: str
    shape: str = "box"
    size: tuple[float, ...] = (0.5,)
    mass: float | None = None
    friction: float | None = None
    bounce: float | None = None
    material: str = ""
    mesh: str | None = None
    pos: Vec3 | None = None
    quat: Quat | None = None
    vel: Vec3 | None = None
    color: Vec3 | None = None
    #: a motion the body carries (for exports); the simulation's own tracks live in its Timeline
    track: Track | None = None

    @classmethod
    def from_json(cls, data: Any, where: str = "body") -> Body:
        d = _mapping(data, where)
        where = f"{where} {d.get('id', '?')!r}"
        shape = text(d, "shape", where, "box")
        if shape not in BODY_SHAPES:
            raise RecordError(f"{where}: 'shape' must be one of {', '.join(BODY_SHAPES)}, got {shape!r}")
        raw = d.get("size", 0.5)
        size = vector({"size": raw}, "size", where, len(raw)) if isinstance(raw, (list, tuple)) and raw else (
            number(d, "size", where, 0.5, lo=0.0),)
        if min(size) <= 0:
            raise RecordError(f"{where}: 'size' must be positive, got {raw!r}")

        def opt(key: str, n: int) -> Any:
            return vector(d, key, where, n) if d.get(key) is not None else None

        return cls(id=text(d, "id", where), shape=shape, size=size,
                   mass=number(d, "mass", where, lo=0.0) if d.get("mass") is not None else None,
                   friction=number(d, "friction", where, lo=0.0) if d.get("friction") is not None else None,
                   bounce=number(d, "bounce", where, lo=0.0) if d.get("bounce") is not None else None,
                   material=text(d, "material", where, "") if d.get("material") is not None else "",
                   mesh=text(d, "mesh", where) if d.get("mesh") else None, pos=opt("pos", 3), quat=opt("quat", 4),
                   vel=opt("vel", 3), color=rgb(d["color"], where) if d.get("color") is not None else None,
                   track=Track.from_json(d["track"], f"{where} track") if d.get("track") is not None else None)

    def describe(self) -> dict[str, Any]:
        """What a timeline stores of a body (no pose)."""
        d: dict[str, Any] = {"id": self.id, "shape": self.shape, "size": _floats(self.size), "mass": self.mass,
                             "friction": self.friction, "bounce": self.bounce, "material": self.material}
        if self.mesh:
            d["mesh"] = self.mesh
        return d

    def to_json(self) -> dict[str, Any]:
        out = self.describe()
        for key in ("pos", "quat", "vel", "color"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _floats(value)
        if self.track is not None:
            out["track"] = self.track.to_json()
        return out

    def posed(self, pos: Sequence[float], quat: Sequence[float], color: Sequence[float]) -> Body:
        return Body(id=self.id, shape=self.shape, size=self.size, mass=self.mass, friction=self.friction,
                    bounce=self.bounce, material=self.material, mesh=self.mesh, pos=tuple(_floats(pos)),  # type: ignore[arg-type]
                    quat=tuple(_floats(quat)), vel=self.vel, color=tuple(_floats(color)))  # type: ignore[arg-type]


AGENT_KINDS = ("character", "vehicle")
#: how the simulation and the renderer size an agent
CHARACTER = {"radius": 0.3, "height": 1.8}
VEHICLE = {"half": (2.2, 0.9, 0.75)}


@dataclass(kw_only=True, slots=True)
class Agent:
    """A character or vehicle: where it is (feet on the ground), its heading, and where it walks to."""

    id: str
    kind: str = "character"
    pos: Vec3 | None = None
    yaw: float = 0.0
    speed: float | None = None
    target: tuple[float, float] | None = None

    @classmethod
    def from_json(cls, data: Any, where: str = "agent") -> Agent:
        d = _mapping(data, where)
        where = f"{where} {d.get('id', '?')!r}"
        kind = text(d, "kind", where, "character")
        if kind not in AGENT_KINDS:
            raise RecordError(f"{where}: 'kind' must be one of {', '.join(AGENT_KINDS)}, got {kind!r}")
        pos, target = d.get("pos"), d.get("target")
        if pos is not None:  # feet on the ground: [x, y] or [x, y, z]
            pos = vector(d, "pos", where, 3 if isinstance(pos, (list, tuple)) and len(pos) == 3 else 2)
        return cls(id=text(d, "id", where), kind=kind,
                   pos=(pos + (0.0,))[:3] if pos is not None else None,  # type: ignore[arg-type]
                   yaw=number(d, "yaw", where, 0.0),
                   speed=number(d, "speed", where, lo=0.0, hi=100.0) if d.get("speed") is not None else None,
                   target=vector(d, "target", where, 2) if target is not None else None)  # type: ignore[arg-type]

    def describe(self) -> dict[str, Any]:
        """What a timeline stores of an agent: its kind and size."""
        size = CHARACTER if self.kind == "character" else {"half": list(VEHICLE["half"])}
        return {"id": self.id, "kind": self.kind, **size}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.pos is not None:
            out["pos"] = _floats(self.pos)
        out["yaw"] = self.yaw
        if self.speed is not None:
            out["speed"] = self.speed
        if self.target is not None:
            out["target"] = _floats(self.target)
        return out


def parse_list(cls: type, items: Any, where: str) -> list[Any]:
    """A list of records of `cls` from JSON, each checked (records already parsed pass through)."""
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise RecordError(f"{where}: expects a list, got {type(items).__name__}")
    return [item if isinstance(item, cls) else cls.from_json(item, f"{where}[{k}]") for k, item in enumerate(items)]


# -------------------------------------------------------------------------------- environment, events


def or_default(value: Any, default: Any) -> Any:
    """A record's optional field, or the reader's own default where the record does not give it."""
    return default if value is None else value


def _in_order(keys: Sequence[str], values: dict[str, Any]) -> dict[str, Any]:
    """`values` with the keys listed in `keys` first, in that order (the order a JSON object came in)."""
    out = {k: values[k] for k in keys if k in values}
    return out | {k: v for k, v in values.items() if k not in out}


def _known(d: Mapping[str, Any], keys: Sequence[str], where: str) -> None:
    unknown = [k for k in d if k not in keys]
    if unknown:
        raise RecordError(f"{where}: unknown field {unknown[0]!r}; it takes {', '.join(keys)}")


@dataclass(kw_only=True, slots=True)
class Precipitation:
    """What falls from the sky: kind none | rain | snow, intensity 0..1 (None: not given)."""

    kind: str | None = None
    intensity: float | None = None

    @classmethod
    def from_json(cls, data: Any, where: str = "precipitation") -> Precipitation:
        d = _mapping(data, where)
        _known(d, ("kind", "intensity"), where)
        return cls(kind=text(d, "kind", where) if d.get("kind") is not None else None,
                   intensity=number(d, "intensity", where, lo=0.0, hi=10.0) if d.get("intensity") is not None
                   else None)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("kind", self.kind), ("intensity", self.intensity)) if v is not None}


WIND_KEYS = ("dir_deg", "speed_mps", "gust_speed_mps", "gustiness")


@dataclass(kw_only=True, slots=True)
class Wind:
    """The wind: heading the air moves towards (degrees from +X towards +Y), steady and gust speed (m/s),
    gustiness 0..1; None: not given."""

    dir_deg: float | None = None
    speed_mps: float | None = None
    gust_speed_mps: float | None = None
    gustiness: float | None = None

    @classmethod
    def from_json(cls, data: Any, where: str = "wind") -> Wind:
        d = _mapping(data, where)
        _known(d, WIND_KEYS, where)
        bounds = {"dir_deg": (-1e4, 1e4), "speed_mps": (0.0, 100.0), "gust_speed_mps": (0.0, 1000.0),
                  "gustiness": (0.0, 1.0)}
        return cls(**{k: number(d, k, where, lo=lo, hi=hi) if d.get(k) is not None else None
                      for k, (lo, hi) in bounds.items()})

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in WIND_KEYS if getattr(self, k) is not None}


@dataclass(kw_only=True, slots=True)
class WeatherBlend:
    """A weather change under way: from one weather to another, `t` of the way (0..1)."""

    start: str
    to: str
    t: float

    @classmethod
    def from_json(cls, data: Any, where: str = "weather_blend") -> WeatherBlend:
        d = _mapping(data, where)
        _known(d, ("from", "to", "t"), where)
        return cls(start=text(d, "from", where), to=text(d, "to", where), t=number(d, "t", where, lo=0.0, hi=1.0))

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.to, "t": self.t}


#: numbers of an env and their bounds
ENV_NUMBERS: dict[str, tuple[float, float]] = {
    "clock_h": (0.0, 24.0), "latitude_deg": (-90.0, 90.0), "sun_elevation_deg": (-90.0, 90.0),
    "sun_azimuth_deg": (-360.0, 360.0), "sun_intensity": (0.0, 100.0), "ambient_intensity": (0.0, 100.0),
    "fog_density": (0.0, 0.2), "fog_height_m": (1.0, 10000.0), "exposure": (-10.0, 10.0), "cloud_cover": (0.0, 1.0),
    "sea_level_m": (-1e5, 1e5), "saturation": (0.0, 3.0), "contrast": (0.3, 3.0), "mist_density": (0.0, 1.0),
    "mist_height_m": (0.5, 500.0), "wetness": (0.0, 1.0), "snow_cover": (0.0, 1.0), "time_s": (-1e7, 1e7),
}
ENV_COLOURS = ("sun_color", "ambient_color", "sky_zenith", "sky_horizon", "fog_color", "tint", "foliage_color",
               "grass_color", "water_color")
ENV_TEXTS = ("season", "weather", "mood", "palette", "style", "time_of_day")
ENV_VECTORS = {"sun_dir": 3, "moon_dir": 3, "sway": 2}
ENV_RECORDS: dict[str, Any] = {"precipitation": Precipitation, "wind": Wind, "weather_blend": WeatherBlend}


@dataclass(kw_only=True, slots=True)
class Env:
    """Light, sky, atmosphere, weather and time of a world (see state/sky.py), or what a timeline's frame
    changes of them. Every field is optional (None: not given; each reader has its own default); colours are
    linear 0..1 except water_color (sRGB)."""

    clock_h: float | None = None
    day_of_year: int | None = None
    latitude_deg: float | None = None
    season: str | None = None
    weather: str | None = None
    mood: str | None = None
    palette: str | None = None
    style: str | None = None
    time_of_day: str | None = None
    #: unit vector from the ground towards the sun (+Z up; below 0 at night)
    sun_dir: Vec3 | None = None
    sun_elevation_deg: float | None = None
    sun_azimuth_deg: float | None = None
    sun_color: Vec3 | None = None
    sun_intensity: float | None = None
    ambient_color: Vec3 | None = None
    ambient_intensity: float | None = None
    sky_zenith: Vec3 | None = None
    sky_horizon: Vec3 | None = None
    fog_density: float | None = None
    fog_height_m: float | None = None
    fog_color: Vec3 | None = None
    exposure: float | None = None
    cloud_cover: float | None = None
    precipitation: Precipitation | None = None
    wind: Wind | None = None
    lightning: bool | None = None
    #: None: no sea (a world's env says so with null)
    sea_level_m: float | None = None
    tint: Vec3 | None = None
    saturation: float | None = None
    contrast: float | None = None
    foliage_color: Vec3 | None = None
    grass_color: Vec3 | None = None
    water_color: Vec3 | None = None
    moon_dir: Vec3 | None = None
    mist_density: float | None = None
    mist_height_m: float | None = None
    wetness: float | None = None
    snow_cover: float | None = None
    weather_blend: WeatherBlend | None = None
    #: plant bend (radians, x and y) and the shot's clock (s), set per frame by a timeline
    sway: tuple[float, float] | None = None
    time_s: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: the JSON keys in the order they came (a key may hold null), so to_json gives back the same object
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any, where: str = "env") -> Env:
        if isinstance(data, Env):
            return data
        d = _mapping(data, where)
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in d.items():
            if key not in ENV_FIELDS:
                extra[key] = value
            elif value is not None:
                values[key] = _env_value(d, key, where)
        return cls(**values, extra=extra, keys=tuple(d))

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key in ENV_FIELDS:
            value = getattr(self, key)
            if value is not None:
                values[key] = value.to_json() if key in ENV_RECORDS else (
                    _floats(value) if isinstance(value, tuple) else value)
            elif key in self.keys:
                values[key] = None
        return _in_order(self.keys, values | self.extra)

    def merged(self, over: Env) -> Env:
        """This env with every field `over` gives replaced (a frame's changes on a world's env)."""
        changes = {k: getattr(over, k) for k in ENV_FIELDS if getattr(over, k) is not None}
        keys = self.keys + tuple(k for k in over.keys if k not in self.keys)
        return Env(**{k: getattr(self, k) for k in ENV_FIELDS} | changes, extra=self.extra | over.extra, keys=keys)


def _env_value(d: Mapping[str, Any], key: str, where: str) -> Any:
    if key in ENV_NUMBERS:
        lo, hi = ENV_NUMBERS[key]
        return number(d, key, where, lo=lo, hi=hi)
    if key in ENV_COLOURS:
        return rgb(d[key], f"{where} '{key}'")
    if key in ENV_TEXTS:
        return text(d, key, where)
    if key in ENV_VECTORS:
        return vector(d, key, where, ENV_VECTORS[key])
    if key in ENV_RECORDS:
        cls = ENV_RECORDS[key]
        return d[key] if isinstance(d[key], cls) else cls.from_json(d[key], f"{where} {key}")
    if key == "day_of_year":
        return int(number(d, key, where, lo=1, hi=366))
    if not isinstance(d[key], bool):  # lightning
        raise RecordError(f"{where}: '{key}' expects true or false, got {_short(d[key])}")
    return d[key]


ENV_FIELDS: tuple[str, ...] = tuple(f for f in Env.__dataclass_fields__ if f not in ("extra", "keys"))


EVENT_KEYS = ("time", "end", "kind", "id", "line", "column", "text", "resolved_pos")


@dataclass(kw_only=True, slots=True)
class Event:
    """What happened during a simulated shot (an action event as checked by actions/events.py, with what the
    simulation resolved of it): when (s; `end` for a change over an interval), its kind, the body or agent it
    acts on, where it came from in the script, and the kind's own fields (JSON values) in `fields`."""

    time: float
    end: float | None = None
    kind: str
    id: str | None = None
    line: int = 0
    column: int = 0
    text: str | None = None
    #: where a spawn or a blast took place (m)
    resolved_pos: Vec3 | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any, where: str = "event") -> Event:
        if isinstance(data, Event):
            return data
        d = _mapping(data, where)
        where = f"{where} {d.get('kind', '?')!r}"
        fields = {k: _json_value(v, f"{where} '{k}'") for k, v in d.items() if k not in EVENT_KEYS}
        return cls(time=number(d, "time", where, lo=0.0), kind=text(d, "kind", where),
                   end=number(d, "end", where, lo=0.0) if d.get("end") is not None else None,
                   id=text(d, "id", where) if d.get("id") is not None else None,
                   line=int(number(d, "line", where, 0, lo=0)), column=int(number(d, "column", where, 0, lo=0)),
                   text=text(d, "text", where, max_length=500) if d.get("text") is not None else None,
                   resolved_pos=vector(d, "resolved_pos", where, 3) if d.get("resolved_pos") is not None
                   else None,  # type: ignore[arg-type]
                   fields=fields, keys=tuple(d))

    def to_json(self) -> dict[str, Any]:
        values: dict[str, Any] = {"time": self.time, "end": self.end, "kind": self.kind}
        if self.id is not None or "id" in self.keys:
            values["id"] = self.id
        values |= {"line": self.line, "column": self.column}
        if self.text is not None:
            values["text"] = self.text
        if self.resolved_pos is not None:
            values["resolved_pos"] = _floats(self.resolved_pos)
        return _in_order(self.keys, values | self.fields)


def _json_value(value: Any, where: str, depth: int = 0) -> Any:
    """A plain JSON value (finite numbers, text, true/false, null, lists and objects of them), as it came."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        if not _finite(value):
            raise RecordError(f"{where}: expects a finite number, got {_short(value)}")
        return value
    if isinstance(value, (list, dict)) and depth < 8:
        if isinstance(value, list):
            return [_json_value(v, where, depth + 1) for v in value]
        return {str(k): _json_value(v, where, depth + 1) for k, v in value.items()}
    raise RecordError(f"{where}: expects numbers, text or lists of them, got {_short(value)}")
