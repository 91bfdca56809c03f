"""What the viewer's input does to the world: throw, drop and push from where the viewer stands and looks, and
spawn things from a short text ("a campfire here", "three crates on the cart", "make it rain").

Every action becomes plain action events (spawn with a position and velocity, impulse), so a session's doings
replay in `simulate.run` as a script. Spawn text is read with the action scripts' English reader: a line that
names a thing this module knows (a crate, a ball, a campfire, people, a car, ...) is a spawn, its colour,
material, size, height and coordinates read by the reader's spawn slots, its count from the words ("three",
"a couple of", "5") and its place from "here" (just ahead), "there" (where the view meets the ground) or
"on the <thing>" (on top of a body, an agent or a building). Any other line goes to the reader's sentence
matcher ("make it rain", "night falls", "an explosion here"); a line naming nothing known gets an answer
listing what is understood.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..actions.english import CUES, EnglishReader
from ..actions.events import COLORS, MATERIALS, ActionError
from ..simulate.run import WorldSession
from ..state.world_state import WorldState, heights_at

MAX_AT_ONCE = 12
#: how far ahead "here" is, how far "there" may reach, and how far a push reaches (m)
HERE_M = 2.5
THERE_MAX_M = 80.0
PUSH_REACH_M = 4.0
THROW_MPS = 12.0
#: kinds whose cue words mean the line is about something else than spawning
OTHER_KINDS = ("remove", "impulse", "force", "move", "animate", "time", "weather", "wind", "blast")


class ActError(ValueError):
    """An action the viewer asked for that cannot happen; the text says why and what would work."""


class FileNeeded(ActError):
    """A line names a mesh file the world does not import: `path` as written, to import it live where the
    session may read files (the message says how to bring it in otherwise)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(kw_only=True, frozen=True, slots=True)
class Part:
    """One body of a thing: shape, size (as a spawn event takes it), surface, and offset from its centre."""

    shape: str
    size: tuple[float, ...] | None = None
    material: str | None = None
    color: str | None = None
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    yaw: float = 0.0
    name: str = ""
    #: the imported mesh (shape "mesh"; `size` is then its extent)
    mesh: str | None = None


def _ring(n: int, radius: float, part: Part) -> tuple[Part, ...]:
    return tuple(Part(shape=part.shape, size=part.size, material=part.material, color=part.color,
                      offset=(round(radius * math.cos(2 * math.pi * k / n), 4),
                              round(radius * math.sin(2 * math.pi * k / n), 4), 0.0), name=f"{part.name}{k + 1}")
                 for k in range(n))


#: things by noun (singular): the bodies or agent each one is made of
THINGS: dict[str, tuple[Part, ...]] = {
    "campfire": _ring(6, 0.6, Part(shape="sphere", size=(0.15,), material="stone", name="stone"))
    + (Part(shape="box", size=(0.55, 0.55, 0.12), material="wood", color="orange", name="embers"),),
    "crate": (Part(shape="box", size=(0.4,), material="wood"),),
    "box": (Part(shape="box", size=(0.5,)),),
    "cube": (Part(shape="box", size=(0.4,)),),
    "ball": (Part(shape="sphere", size=(0.2,), material="rubber"),),
    "rock": (Part(shape="sphere", size=(0.3,), material="stone"),),
    "stone": (Part(shape="sphere", size=(0.15,), material="stone"),),
    "boulder": (Part(shape="sphere", size=(0.8,), material="stone"),),
    "barrel": (Part(shape="capsule", size=(0.3, 0.4), material="wood"),),
    "log": (Part(shape="capsule", size=(0.15, 1.2), material="wood"),),
    "person": (Part(shape="character"),),
    "car": (Part(shape="vehicle"),),
}
ALIASES = {"bonfire": "campfire", "fire": "campfire", "campfires": "campfire", "people": "person",
           "man": "person", "men": "person", "woman": "person", "women": "person", "child": "person",
           "children": "person", "hiker": "person", "character": "person", "truck": "car", "jeep": "car",
           "van": "car", "vehicle": "car", "sphere": "ball", "orb": "ball", "block": "cube", "package": "box",
           "cylinder": "barrel", "boxes": "box"}
COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "pair": 2, "few": 3,
          "several": 4, "some": 3, "dozen": 12}


#: words for the world's imported product (or its one imported mesh): "the product here"
PRODUCT_WORDS = ("product", "products", "mesh", "meshes", "model", "models")
#: a mesh file named in a line, with the folders before it as written ('chair.glb', './models/lamp.obj')
MESH_FILE = re.compile(r"(?<![\w./\-])((?:\.{0,2}/)?(?:[\w.\-]+/)*[\w\-]+(?:\.[\w\-]+)*\.(?:glb|gltf|obj|ply|stl|fbx|dae|3ds|"
                       r"blend|usd|usda|usdc|usdz|abc))\b", re.IGNORECASE)


def understood(world: WorldState | None = None) -> str:
    """What spawn text understands, for answers to text it does not."""
    meshes = [m.id for m in world.meshes] if world is not None else []
    imported = (f", the world's imported {'mesh' if len(meshes) == 1 else 'meshes'} {', '.join(meshes[:8])} "
                "('the product here', by name or file name)") if meshes else ""
    return (f"I can spawn {', '.join(THINGS)}{imported} (e.g. 'a campfire here', 'three crates on the cart', "
            "'a red ball there'), and I understand events like 'make it rain', 'night falls', 'the wind picks up', "
            "'an explosion here', 'push the ball'")


def _stem(name: str) -> str:
    return name.lower().rsplit(".", 1)[0]


def mesh_in(text: str, words: list[str], world: WorldState) -> tuple[str, int] | None:
    """The imported mesh a line names and the index of its word: by file name ('chair.glb'), by its id or
    file name without the extension ('two chairs here'), or as 'the product' (the studio's product, else the
    world's one imported mesh). A file name the world does not import is an error saying how to bring it in."""
    named = MESH_FILE.search(text)
    if named:
        path = named.group(1)
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        stem = _stem(name)
        mesh = next((m for m in world.meshes if m.name.lower() == name.lower() or m.id.lower() == stem), None)
        if mesh is None:
            known = ", ".join(f"{m.id} ({m.name})" for m in world.meshes) or "none"
            raise FileNeeded(f"{path!r} is not imported into this world (imported meshes: {known}); add a mesh "
                             "import node for the file, wire it into the world, and explore that world", path)
        first = (_words(stem) or [""])[0]
        return mesh.id, next((k for k, w in enumerate(words) if w == first), 0)
    for k, w in enumerate(words):
        for m in world.meshes:
            if w in (m.id.lower(), _stem(m.name), f"{m.id.lower()}s", f"{_stem(m.name)}s"):
                return m.id, k
        if w in PRODUCT_WORDS:
            return _the_product(world, w), k
    return None


def _the_product(world: WorldState, word: str) -> str:
    products = [m for m in world.meshes if m.extra.get("role") == "product"] or list(world.meshes)
    if len(products) == 1:
        return products[0].id
    if not products:
        raise ActError(f"this world imports no mesh to spawn as 'the {word}': import one into the world (a mesh "
                       f"import node), or spawn one of {', '.join(THINGS)}")
    raise ActError(f"which {word}? this world imports {', '.join(m.id for m in products)}: name one, e.g. "
                   f"'a {products[0].id} here'")


def thing_in(words: list[str]) -> tuple[str, int] | None:
    """The known thing a line names (singular noun) and the word's index."""
    for k, w in enumerate(words):
        noun = ALIASES.get(w, w)
        if noun not in THINGS and noun.endswith("s"):
            noun = ALIASES.get(noun[:-1], noun[:-1])
            if noun not in THINGS and w.endswith("es"):
                noun = ALIASES.get(w[:-2], w[:-2])
        if noun in THINGS:
            return noun, k
    return None


def count_in(text: str, words: list[str], noun_at: int) -> int:
    """How many a line asks for: a number word before the noun, or digits just before it ('3 red crates');
    1 by default."""
    digits = re.search(rf"\b(\d{{1,3}})\s+(?:[a-z]+\s+)?{re.escape(words[noun_at])}\b", text.lower())
    n = int(digits.group(1)) if digits else next((COUNTS[w] for w in words[:noun_at] if w in COUNTS), 1)
    if not 1 <= n <= MAX_AT_ONCE:
        raise ActError(f"{n} at once is too many: spawn 1 to {MAX_AT_ONCE} things at a time")
    return n


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z@][a-z0-9_'\-]*", text.lower())


def is_spawn_text(words: list[str]) -> bool:
    """A line naming a known thing and no cue of another kind of event."""
    if thing_in(words) is None:
        return False
    return not any(w in CUES[k] for k in OTHER_KINDS for w in words)


# --- where ---------------------------------------------------------------------------------------------


@dataclass(kw_only=True, frozen=True, slots=True)
class Viewer:
    """Where the viewer's eye is and where it looks (unit vector)."""

    eye: np.ndarray
    forward: np.ndarray

    def flat_forward(self) -> np.ndarray:
        f = np.array([self.forward[0], self.forward[1], 0.0])
        n = float(np.linalg.norm(f))
        return f / n if n > 1e-6 else np.array([1.0, 0.0, 0.0])


def ahead(world: WorldState, viewer: Viewer, metres: float) -> np.ndarray:
    """The ground point `metres` ahead of the viewer (x, y, ground z), inside the world."""
    xy = np.clip(viewer.eye[:2] + viewer.flat_forward()[:2] * metres, 1.0, world.size_m - 1.0)
    return np.array([xy[0], xy[1], float(heights_at(world, xy[None])[0])])


def looked_at(world: WorldState, viewer: Viewer) -> np.ndarray:
    """Where the view meets the ground (within THERE_MAX_M), else a point 15 m ahead."""
    steps = np.arange(0.5, THERE_MAX_M, 0.5)
    pts = viewer.eye[None] + viewer.forward[None] * steps[:, None]
    inside = np.all((pts[:, :2] > 0) & (pts[:, :2] < world.size_m), axis=1)
    below = inside & (pts[:, 2] <= heights_at(world, np.clip(pts[:, :2], 0, world.size_m)))
    if below.any():
        hit = pts[int(np.argmax(below))]
        return np.array([hit[0], hit[1], float(heights_at(world, hit[None, :2])[0])])
    return ahead(world, viewer, 15.0)


@dataclass(kw_only=True, frozen=True, slots=True)
class Anchor:
    """Where spawned things go: a point, and for 'on the X' the top of X and the axis to line them up on."""

    point: np.ndarray
    on_top: bool = False
    axis: tuple[float, float] = (1.0, 0.0)
    what: str = "here"


def anchor_in(text: str, world: WorldState, sim: WorldSession, viewer: Viewer) -> Anchor:
    low = text.lower()
    m = re.search(r"\b(?:on top of|onto|on)\s+(?:the\s+|a\s+|an\s+)?([a-z0-9_\-]+)", low)
    if m:
        return _on(m.group(1), world, sim)
    if re.search(r"\bthere\b|\bover there\b|\bahead\b|\bin front\b", low):
        return Anchor(point=looked_at(world, viewer), what="there")
    return Anchor(point=ahead(world, viewer, HERE_M))


def _on(name: str, world: WorldState, sim: WorldSession) -> Anchor:
    """The top of the body, agent or building called (or of the kind) `name`."""
    s = sim.sample(max(sim.frame - 1, 0))
    for k, b in enumerate(sim.bodies):
        if k < len(s.body_alive_b) and s.body_alive_b[k] and (b.id.lower() == name or b.id.lower().rstrip(
                "0123456789") == name):
            pos = s.body_pos_b3[k]
            xmat = sim.data.xmat[sim.body_ids[k]].reshape(3, 3)
            axis = xmat[:2, 0] / max(float(np.linalg.norm(xmat[:2, 0])), 1e-9)
            top = float(pos[2]) + (b.half_height() if b.shape != "mesh" else b.size[2])
            return Anchor(point=np.array([pos[0], pos[1], top]), on_top=True, axis=(float(axis[0]), float(axis[1])),
                          what=b.id)
    for k, a in enumerate(sim.agents):
        if a.alive and (a.spec.id.lower() == name or a.spec.kind == name or ALIASES.get(name) == "car"
                        and a.spec.kind == "vehicle"):
            feet = s.agent_pos_a3[k]
            return Anchor(point=np.array([feet[0], feet[1], feet[2] + 2 * a.half_height()]), on_top=True,
                          axis=(math.cos(a.yaw), math.sin(a.yaw)), what=a.spec.id)
    for st in world.structures:
        if st.id.lower() == name or st.kind.lower() == name:
            return Anchor(point=np.array([st.x, st.y, st.z]), what=st.id)  # spawn_floor puts it on the roof
    bodies = [b.id for k, b in enumerate(sim.bodies) if k < len(s.body_alive_b) and s.body_alive_b[k]]
    agents = [a.spec.id for a in sim.agents if a.alive]
    there = ", ".join(bodies + agents + [st.id for st in world.structures][:12]) or "nothing"
    raise ActError(f"there is no {name!r} to put things on (there are: {there})")


# --- spawn text ------------------------------------------------------------------------------------------


def spawn_events(text: str, reader: EnglishReader, world: WorldState, sim: WorldSession,
                 viewer: Viewer) -> list[dict[str, Any]]:
    """Spawn events (without times) for a line that names known things or an imported mesh."""
    words = _words(text)
    noun, at, parts = _what(text, words, world)
    n = count_in(text, words, at)
    word = {"sphere": "ball", "box": "box", "capsule": "log"}.get(parts[0].shape, "thing")
    said = MESH_FILE.sub(word, text).lower() if parts[0].shape == "mesh" else text.lower()
    fields = reader.spawn_fields(re.sub(rf"\b{re.escape(words[at])}\b", word, said))
    anchor = anchor_in(text, world, sim, viewer)
    if "pos" in fields:  # coordinates in the text win
        xy = np.asarray(fields["pos"][:2], np.float64)
        anchor = Anchor(point=np.array([xy[0], xy[1], float(heights_at(world, xy[None])[0])]), what="there")
    spacing = 2 * max(_radius(p, fields) for p in parts) + 0.1 if len(parts) == 1 else 2.0
    events = []
    for centre in _layout(n, spacing, anchor):
        base = _fresh(noun, sim, events)
        for part in parts:
            events.append(_part_event(part, fields if len(parts) == 1 else {}, base, centre, anchor, world))
    return events


def _what(text: str, words: list[str], world: WorldState) -> tuple[str, int, tuple[Part, ...]]:
    """What a spawn line names: the noun its ids are made from, its word's index, and its parts."""
    mesh = mesh_in(text, words, world)
    if mesh is not None:
        from ..simulate.run import mesh_problem
        from ..simulate.scene import mesh_extent

        problem = mesh_problem(world, mesh[0])
        if problem is not None:
            raise ActError(problem)
        extent = tuple(float(c) for c in mesh_extent(world, mesh[0]))
        noun = re.sub(r"[^a-z0-9]+", "_", mesh[0].lower()).strip("_").rstrip("0123456789_") or "mesh"
        return noun, mesh[1], (Part(shape="mesh", size=extent, mesh=mesh[0]),)
    found = thing_in(words)
    if found is None:
        raise ActError(f"could not tell what to spawn in {text.strip()!r}: {understood(world)}")
    return found[0], found[1], THINGS[found[0]]


def _radius(part: Part, fields: dict[str, Any]) -> float:
    size = part.size if part.shape == "mesh" else fields.get("size") or part.size or (0.5,)
    if part.shape == "sphere":
        return float(size[0])
    if part.shape == "capsule":
        return float(size[0]) + float(size[1] if len(size) > 1 else 4 * size[0]) / 2
    if part.shape in ("character", "vehicle"):
        return 2.5 if part.shape == "vehicle" else 0.5
    dims = list(size) * 3 if len(size) == 1 else list(size)
    return 0.5 * float(np.linalg.norm(dims[:3]))


def _layout(n: int, spacing: float, anchor: Anchor) -> list[np.ndarray]:
    """n centres around the anchor: a row along its axis (on top of something), else a small grid."""
    ax = np.array([anchor.axis[0], anchor.axis[1]])
    side = np.array([-ax[1], ax[0]])
    cols = n if anchor.on_top and n <= 3 else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    out = []
    for k in range(n):
        r, c = divmod(k, cols)
        off = ax * (c - (cols - 1) / 2) * spacing + side * (r - (rows - 1) / 2) * spacing
        out.append(anchor.point + np.array([off[0], off[1], 0.0]))
    return out


def _fresh(noun: str, sim: WorldSession, pending: list[dict[str, Any]]) -> str:
    used = set(sim.index) | {e["id"] for e in pending}
    k = 1
    while any(x == f"{noun}{k}" or x.startswith(f"{noun}{k}_") for x in used):
        k += 1
    return f"{noun}{k}"


def _part_event(part: Part, fields: dict[str, Any], base: str, centre: np.ndarray, anchor: Anchor,
                world: WorldState) -> dict[str, Any]:
    """One part's spawn; `fields` (what the line said: size, colour, material, mass, height) apply to
    single-part things only, a campfire keeps its own."""
    e: dict[str, Any] = {"kind": "spawn", "shape": part.shape, "id": f"{base}_{part.name}" if part.name else base}
    if part.mesh:
        e["mesh"] = part.mesh
    if part.shape not in ("character", "vehicle"):
        if not part.mesh:
            e["size"] = list(fields.get("size") or part.size or (0.5,))
        material = fields.get("material") or part.material
        if material:
            e["material"] = material
        color = fields.get("color") or part.color
        if color:
            e["color"] = color
        if fields.get("mass"):
            e["mass"] = fields["mass"]
    x, y = float(centre[0] + part.offset[0]), float(centre[1] + part.offset[1])
    x, y = float(np.clip(x, 0.5, world.size_m - 0.5)), float(np.clip(y, 0.5, world.size_m - 0.5))
    if anchor.on_top and part.shape not in ("character", "vehicle"):
        lift = 0.0 if part.mesh else _half_height(part.shape, e["size"])  # a mesh body's origin is its base
        e["pos"] = [x, y, float(anchor.point[2] + lift + 0.02)]
    else:
        e["pos"] = [x, y]
        if fields.get("height") is not None and part.shape not in ("character", "vehicle"):
            e["height"] = float(fields["height"])
    return e


def _half_height(shape: str, size: list[float]) -> float:
    if shape == "sphere":
        return float(size[0])
    if shape == "capsule":
        return float(size[0]) + float(size[1] if len(size) > 1 else 4 * size[0]) / 2
    return float((size * 3)[2] if len(size) == 1 else size[2]) / 2


# --- throw, drop, push -------------------------------------------------------------------------------


def _surface(msg: dict[str, Any], e: dict[str, Any]) -> None:
    if msg.get("material") is not None:
        if msg["material"] not in MATERIALS:
            raise ActError(f"'material' is one of {', '.join(MATERIALS)}")
        e["material"] = msg["material"]
    if msg.get("color") is not None:
        if not isinstance(msg["color"], str) or msg["color"] not in COLORS and not msg["color"].startswith("#"):
            raise ActError(f"'color' is a name ({', '.join(list(COLORS)[:8])}, ...) or #rrggbb")
        e["color"] = msg["color"]


def _shape_and_size(msg: dict[str, Any], default: float) -> tuple[str, list[float]]:
    shape = msg.get("shape", "sphere")
    if shape not in ("sphere", "box", "capsule"):
        raise ActError("'shape' is sphere, box or capsule")
    size = msg.get("size", default)
    if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0.05 <= size <= 3.0:
        raise ActError("'size' is a number of metres from 0.05 to 3 (sphere radius, box side, capsule radius)")
    return shape, [float(size), float(size) * 4] if shape == "capsule" else [float(size)]


def throw_event(msg: dict[str, Any], world: WorldState, viewer: Viewer) -> dict[str, Any]:
    """A body launched from just ahead of the eye along the view, at `speed` m/s."""
    shape, size = _shape_and_size(msg, 0.15)
    speed = msg.get("speed", THROW_MPS)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.0 <= speed <= 60.0:
        raise ActError("'speed' is metres per second from 0 to 60")
    start = viewer.eye + viewer.forward * (0.6 + size[0])
    vel = viewer.forward * float(speed) + np.array([0.0, 0.0, 1.0]) * min(float(speed) * 0.15, 3.0)
    e = {"kind": "spawn", "shape": shape, "size": size, "pos": _inside(world, start),
         "vel": [round(float(c), 4) for c in vel]}
    _surface(msg, e)
    return e


def drop_event(msg: dict[str, Any], world: WorldState, viewer: Viewer) -> dict[str, Any]:
    """A body let go at eye height a little ahead of the viewer."""
    shape, size = _shape_and_size(msg, 0.3)
    start = viewer.eye + viewer.flat_forward() * (1.2 + size[0])
    e = {"kind": "spawn", "shape": shape, "size": size, "pos": _inside(world, start)}
    _surface(msg, e)
    return e


def _inside(world: WorldState, p: np.ndarray) -> list[float]:
    return [round(float(np.clip(p[0], 0.5, world.size_m - 0.5)), 4),
            round(float(np.clip(p[1], 0.5, world.size_m - 0.5)), 4), round(float(p[2]), 4)]


def push_event(msg: dict[str, Any], sim: WorldSession, viewer: Viewer) -> dict[str, Any]:
    """An impulse on the body in front of the viewer: the nearest within PUSH_REACH_M ahead, near the line the
    viewer faces (seen from above), between its feet and a little above its eye."""
    mps = msg.get("speed", 4.0)
    if isinstance(mps, bool) or not isinstance(mps, (int, float)) or not 0.0 < mps <= 40.0:
        raise ActError("'speed' is the speed the push gives, metres per second, above 0 up to 40")
    s = sim.sample(max(sim.frame - 1, 0))
    best, best_along, nearest = -1, math.inf, (math.inf, "")
    for k, b in enumerate(sim.bodies):
        if k >= len(s.body_alive_b) or not s.body_alive_b[k]:
            continue
        v = s.body_pos_b3[k] - viewer.eye
        flat = viewer.flat_forward()[:2]
        along = float(v[:2] @ flat)
        off = float(np.linalg.norm(v[:2] - along * flat))
        nearest = min(nearest, (float(np.linalg.norm(v)), b.id))
        r = b.radius()
        reachable = -2.5 - r < float(v[2]) < 1.0 + r  # between the feet and a little above the eye
        if reachable and 0.0 < along <= PUSH_REACH_M + r and off <= r + 0.6 and along < best_along:
            best, best_along = k, along
    if best < 0:
        hint = f" (nearest: {nearest[1]} at {nearest[0]:.1f} m)" if nearest[1] else " (there are no bodies)"
        raise ActError(f"nothing to push within {PUSH_REACH_M:g} m in front of you{hint}; walk up to it and look "
                       "at it")
    body = sim.bodies[best]
    direction = viewer.flat_forward() + np.array([0.0, 0.0, 0.25])
    direction /= np.linalg.norm(direction)
    vec = direction * min(float(mps) * body.mass, 1e6)
    return {"kind": "impulse", "id": body.id, "vec": [round(float(c), 4) for c in vec]}


def read_line(text: str, reader: EnglishReader, world: WorldState, sim: WorldSession,
              viewer: Viewer) -> list[dict[str, Any]]:
    """The events one short English line asks for now (without times)."""
    words = _words(text)
    other = any(w in CUES[k] for k in OTHER_KINDS for w in words)
    if is_spawn_text(words) or not other and mesh_in(text, words, world) is not None:
        return spawn_events(text, reader, world, sim, viewer)
    try:
        event = reader.read(text, 1)
    except ActionError as exc:
        raise ActError(f"{exc.reason}; {understood(world)}") from None
    if event["kind"] == "spawn":  # the matcher heard a spawn of nothing this module knows
        raise ActError(f"could not tell what to spawn in {text.strip()!r}: {understood(world)}")
    if event["kind"] == "blast" and not event.get("pos") and not event.get("near"):
        event["pos"] = [float(c) for c in anchor_in(text, world, sim, viewer).point]
    out = {k: v for k, v in event.items() if k not in ("time", "end", "line", "column", "matched", "text")}
    if event.get("end") is not None:  # an interval lasts as long from now as the line says
        out["for_s"] = float(event["end"] - event["time"])
    return [out]


__all__ = ["MESH_FILE", "THINGS", "ActError", "FileNeeded", "Viewer", "drop_event", "push_event", "read_line", "throw_event", "understood"]
