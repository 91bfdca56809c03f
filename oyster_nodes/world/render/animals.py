"""Low-poly animals for the herds (generate/herds.py): sheep, cows, horses, goats, deer and ducks.

Each reads by its build: a sheep by its pale woolly bulk on short dark legs and its dark face; a cow by its deep
barrel, its head low and broad with short horns, and its patches; a horse by its long legs, its neck rising to a
long head, its mane and its tail; a goat by its small lean body, swept-back horns and upturned tail; a deer by its
slender legs, upright neck, large ears and a stag's antlers; a duck by its boat of a body on the water. Bodies are
soft-shaded ellipsoids (meshes.soft), limbs tapered cylinders. Instance meshes in metres at scale 1, standing on
z = 0 (a duck floats there), facing +X. A look is "coat:variant": the coat a prompt names ("black", "patched") or
a herd's own mix, and a variant (0..2) that turns the pose (head up or grazing) and the pattern.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .meshes import BUILDERS, PLAIN, Mesh, _icosahedron, from_faces, frustum, merge, soft

Rgb = tuple[float, float, float]

#: linear coat colours: body, legs and face, mane or points
COATS: dict[str, dict[str, tuple[Rgb, Rgb, Rgb]]] = {
    "sheep": {"white": ((0.55, 0.51, 0.43), (0.035, 0.03, 0.028), (0.5, 0.46, 0.38)),
              "black": ((0.03, 0.027, 0.025), (0.02, 0.018, 0.017), (0.04, 0.035, 0.03)),
              "grey": ((0.2, 0.19, 0.18), (0.03, 0.028, 0.026), (0.18, 0.17, 0.16)),
              "brown": ((0.17, 0.1, 0.05), (0.05, 0.03, 0.02), (0.15, 0.09, 0.05)),
              "patched": ((0.55, 0.51, 0.43), (0.03, 0.028, 0.026), (0.04, 0.035, 0.03))},
    "cow": {"black": ((0.022, 0.02, 0.019), (0.018, 0.016, 0.015), (0.03, 0.027, 0.025)),
            "brown": ((0.15, 0.065, 0.027), (0.07, 0.035, 0.018), (0.12, 0.06, 0.03)),
            "white": ((0.58, 0.56, 0.5), (0.5, 0.47, 0.41), (0.5, 0.46, 0.4)),
            "red": ((0.33, 0.11, 0.03), (0.25, 0.09, 0.03), (0.4, 0.16, 0.05)),
            "patched": ((0.6, 0.58, 0.53), (0.55, 0.52, 0.46), (0.02, 0.018, 0.017))},
    "horse": {"brown": ((0.12, 0.047, 0.018), (0.015, 0.013, 0.012), (0.012, 0.01, 0.01)),
              "chestnut": ((0.26, 0.085, 0.022), (0.2, 0.07, 0.02), (0.22, 0.075, 0.02)),
              "black": ((0.018, 0.016, 0.015), (0.014, 0.012, 0.012), (0.01, 0.009, 0.009)),
              "white": ((0.56, 0.55, 0.52), (0.45, 0.44, 0.42), (0.6, 0.59, 0.56)),
              "grey": ((0.3, 0.3, 0.29), (0.1, 0.1, 0.1), (0.45, 0.45, 0.44)),
              "golden": ((0.46, 0.28, 0.08), (0.36, 0.22, 0.07), (0.66, 0.6, 0.46)),
              "patched": ((0.56, 0.54, 0.5), (0.5, 0.48, 0.44), (0.12, 0.05, 0.02))},
    "goat": {"white": ((0.55, 0.52, 0.46), (0.5, 0.47, 0.4), (0.45, 0.42, 0.36)),
             "black": ((0.025, 0.022, 0.02), (0.02, 0.018, 0.017), (0.03, 0.027, 0.025)),
             "brown": ((0.2, 0.1, 0.04), (0.05, 0.03, 0.02), (0.06, 0.04, 0.025)),
             "grey": ((0.2, 0.19, 0.18), (0.1, 0.095, 0.09), (0.12, 0.11, 0.1)),
             "patched": ((0.55, 0.52, 0.46), (0.03, 0.027, 0.025), (0.03, 0.027, 0.025))},
    "deer": {"red": ((0.22, 0.085, 0.03), (0.12, 0.05, 0.02), (0.5, 0.42, 0.3)),
             "brown": ((0.12, 0.06, 0.03), (0.07, 0.04, 0.02), (0.45, 0.38, 0.28)),
             "fallow": ((0.3, 0.14, 0.045), (0.2, 0.1, 0.04), (0.62, 0.58, 0.5)),
             "white": ((0.58, 0.57, 0.53), (0.5, 0.49, 0.45), (0.62, 0.6, 0.56)),
             "grey": ((0.2, 0.17, 0.14), (0.12, 0.1, 0.08), (0.5, 0.46, 0.4))},
    "duck": {"brown": ((0.17, 0.11, 0.06), (0.55, 0.2, 0.02), (0.018, 0.1, 0.04)),
             "white": ((0.6, 0.6, 0.57), (0.6, 0.28, 0.02), (0.6, 0.6, 0.57)),
             "grey": ((0.24, 0.21, 0.17), (0.55, 0.25, 0.04), (0.2, 0.18, 0.15)),
             "black": ((0.02, 0.02, 0.02), (0.5, 0.05, 0.03), (0.02, 0.02, 0.02))},
}
#: coats a herd mixes when the prompt names none (a variant each, see animal_looks)
MIXES: dict[str, tuple[str, ...]] = {"sheep": ("white", "white", "white", "white", "black"),
                                     "cow": ("patched", "brown", "patched", "black"),
                                     "horse": ("brown", "chestnut", "black", "grey"),
                                     "goat": ("white", "brown", "patched", "white"),
                                     "deer": ("red",), "duck": ("brown", "white", "brown")}
#: WorldSpec.modifiers head class per kind (prompt/concepts.HEADS), where a named coat is read
SPECIES_OF = {"sheep": "sheep", "cow": "cattle", "horse": "horses", "goat": "goats", "deer": "deer", "duck": "ducks"}
#: coats a word reads as for a kind whose table lacks it
COAT_FALLBACK = {"chestnut": "brown", "golden": "brown", "patched": "white", "fallow": "red", "red": "brown"}
POSES = 3
HORN = (0.42, 0.38, 0.3)
HOOF = (0.02, 0.018, 0.016)
MUZZLE = (0.32, 0.18, 0.16)


def animal_looks(spec: dict, kind: str) -> list[str]:
    """The looks a world's herd of `kind` is drawn with, one per variant group: the named coat in every pose, or
    the kind's mix; a duck's form (duck, goose, swan) from the prompt's words."""
    named = str((spec.get("modifiers") or {}).get(SPECIES_OF.get(kind, ""), ""))
    coats = COATS.get(kind, COATS["sheep"])
    if named and named not in coats:
        named = COAT_FALLBACK.get(named, "") if COAT_FALLBACK.get(named, "") in coats else ""
    text = str(spec.get("text", "")).lower()
    if kind == "duck":
        form = duck_form(text)
        coat = named or {"swan": "white", "goose": "grey"}.get(form, "")
        return [f"{coat or c}:{v}:{form}" for v, c in enumerate(MIXES["duck"])]
    if kind == "deer":
        stags = any(w in text for w in ("stag", "elk", "moose", "reindeer", "antler", "buck"))
        return [f"{named or 'red'}:{v}{':stag' if stags or v == 2 else ''}" for v in range(POSES)]
    mix = named_coats(text, kind) if named != "patched" else []
    if len(mix) > 1:  # "black and brown cows", "a black horse and a white horse": the herd of each coat named
        return [f"{c}:{v % POSES}" for v, c in enumerate(mix * POSES)][: max(len(mix), POSES)]
    if named:
        return [f"{named}:{v}" for v in range(POSES)]
    return [f"{c}:{v % POSES}" for v, c in enumerate(MIXES.get(kind, ("white",)))]


#: words that may stand between a coat and its animal ("black and brown cows", "two grey and a white horse")
COAT_BETWEEN = frozenset("and or a an the two three four five six several few some many young old wild grazing "
                         "shaggy woolly fat small big large".split())


def named_coats(text: str, kind: str) -> list[str]:
    """Every coat the prompt names for a species, in order ("black and brown cows" -> black, brown), as the
    coat words of prompt/concepts.MODIFIERS read them; only the coats this kind has a colour for."""
    from ..prompt.concepts import HEADS, MODIFIERS

    species = SPECIES_OF.get(kind, "")
    nouns, table = set(HEADS.get(species, ())), MODIFIERS.get(species, {})
    words = re.findall(r"[a-z]+", text.lower())
    out: list[str] = []
    for i, w in enumerate(words):
        if not ({w, w[:-1], w[:-2]} & nouns):
            continue
        before: list[str] = []
        for j in range(i - 1, max(-1, i - 7), -1):
            if words[j] in table:
                before.insert(0, table[words[j]])
            elif words[j] not in COAT_BETWEEN:
                break
        out += [c for c in before if c in COATS.get(kind, {}) and c not in out]
    return out


#: how much larger than a duck a goose and a swan are
FORM_SIZE = {"duck": 1.0, "goose": 1.5, "swan": 1.9}


def duck_form(text: str) -> str:
    """The form a prompt's waterfowl take: "swan", "goose" or "duck"."""
    text = text.lower()
    return "swan" if "swan" in text else "goose" if ("goose" in text or "geese" in text) else "duck"


def animal_mesh(kind: str, lod: int, look: str = "") -> Mesh:
    """One animal of `kind` ("sheep", "cow", "horse", "goat", "deer", "duck") at a level of detail, in a look."""
    parts = (look or "").split(":")
    coat = parts[0] if parts[0] in COATS.get(kind, {}) else next(iter(COATS.get(kind, COATS["sheep"])))
    variant = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    extra = parts[2] if len(parts) > 2 else ""
    build = {"sheep": _sheep, "cow": _cow, "horse": _horse, "goat": _goat, "deer": _deer, "duck": _duck}.get(kind)
    if build is None:
        raise ValueError(f"animal_mesh: unknown kind {kind!r}; use one of sheep, cow, horse, goat, deer, duck")
    return build(lod, COATS[kind][coat], variant, extra, coat)


# --- primitives -----------------------------------------------------------------------------------------


def _sphere(lod: int) -> tuple[np.ndarray, np.ndarray]:
    """A unit icosphere: 80 faces near, 20 far."""
    v, f = _icosahedron()
    if lod > 0:
        return v, f
    verts, index, faces = list(v), {}, []

    def mid(a: int, b: int) -> int:
        key = (min(a, b), max(a, b))
        if key not in index:
            p = (np.asarray(verts[a]) + np.asarray(verts[b])) / 2
            verts.append(p / np.linalg.norm(p))
            index[key] = len(verts) - 1
        return index[key]

    for a, b, c in f:
        ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
        faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
    return np.asarray(verts), np.asarray(faces)


def body(centre: tuple[float, float, float], radii: tuple[float, float, float], rgb: Rgb, lod: int,
         pitch: float = 0.0, lumpy: float = 0.0, seed: int = 0) -> Mesh:
    """A soft-shaded ellipsoid, pitched `pitch` radians nose-down about y, optionally lumpy (wool)."""
    v, f = _sphere(lod)
    if lumpy:
        v = v * (1.0 + lumpy * np.random.default_rng(seed).uniform(-1, 1, len(v)))[:, None]
    mesh = soft(from_faces(v * np.asarray(radii), f, rgb, PLAIN), (0.0, 0.0, 0.0), radii)
    c, s = math.cos(pitch), math.sin(pitch)
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return Mesh(pos=(mesh.pos @ rot.T + np.asarray(centre)).astype(np.float32), nrm=(mesh.nrm @ rot.T).astype(np.float32),
                col=mesh.col, part=mesh.part)


def limb(p0: tuple[float, float, float], p1: tuple[float, float, float], r0: float, r1: float, rgb: Rgb, lod: int,
         seg: int = 0) -> Mesh:
    """A tapered cylinder from p0 (radius r0) to p1 (radius r1), capped."""
    a, b = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
    d = b - a
    length = float(np.linalg.norm(d))
    m = frustum(r0, r1, 0.0, length, seg or (6 if lod == 0 else 4), rgb)
    z = d / max(length, 1e-9)
    x = np.cross([0.0, 1.0, 0.0], z) if abs(z[1]) < 0.9 else np.cross([1.0, 0.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    rot = np.column_stack([x, y, z])
    return Mesh(pos=(m.pos @ rot.T + a).astype(np.float32), nrm=(m.nrm @ rot.T).astype(np.float32), col=m.col,
                part=m.part)


def _patch(mesh: Mesh, rgb: Rgb, centres: list[tuple[float, float, float]], radius: float) -> Mesh:
    """The mesh with the triangles whose middles lie within `radius` of any of `centres` coloured `rgb`."""
    tri = mesh.pos.reshape(-1, 3, 3).mean(axis=1)
    d = np.min(np.linalg.norm(tri[:, None, :] - np.asarray(centres)[None, :, :], axis=2), axis=1)
    col = mesh.col.reshape(-1, 3, 3).copy()
    col[d < radius] = rgb
    return Mesh(pos=mesh.pos, nrm=mesh.nrm, col=col.reshape(-1, 3).astype(np.float32), part=mesh.part)


def _legs(xs: tuple[float, float], half: float, top: float, r: float, rgb: Rgb, lod: int, hoof: Rgb = HOOF,
          stride: float = 0.0, upper: Rgb | None = None) -> list[Mesh]:
    """Four legs from `top` to the ground at x in xs, y = +-half: a thick upper leg (coloured `upper`, the
    body's, where given) to the knee, a slim lower leg, a hoof; `stride` splays them fore and aft a little (a
    standing animal is not a table)."""
    out = []
    for k, x in enumerate(xs):
        for s in (-1, 1):
            foot = x + (stride if k == 0 else -stride) * (0.6 if s > 0 else 1.0)
            knee = (0.5 * (x + foot) + (0.03 if k == 0 else -0.05), s * half * 0.97, 0.45 * top)
            out.append(limb((x, s * half, top + 0.05), knee, 1.9 * r, 1.05 * r, upper or rgb, lod))  # thigh, forearm
            out.append(limb(knee, (foot, s * half * 0.95, 0.07), r, r * 0.75, rgb, lod))
            out.append(limb((foot, s * half * 0.95, 0.0), (foot, s * half * 0.95, 0.08), r * 0.8, r * 0.72, hoof, lod))
    return out


def _ears(x: float, half: float, z: float, length: float, width: float, rgb: Rgb, lod: int,
          droop: float = 0.2) -> list[Mesh]:
    """Two flat ears sticking out sideways (and `droop` down)."""
    return [body((x, s * (half + length * 0.5), z - droop * length), (width * 0.6, length * 0.5, width * 0.35),
                 rgb, 1) for s in (-1, 1)] if lod == 0 else []


# --- species ---------------------------------------------------------------------------------------------


def _sheep(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A sheep 1.3 m long, 0.95 m tall: a lumpy woolly body, a dark face, short dark legs."""
    wool, legs, face = coat
    grazing = variant == 1
    parts = [body((0.0, 0.0, 0.62), (0.56, 0.34, 0.33), wool, lod, lumpy=0.09 if lod == 0 else 0.0, seed=variant)]
    if lod == 0:  # wool tufts breaking the outline
        parts += [body((x, y, 0.8), (0.2, 0.18, 0.14), wool, 1, lumpy=0.15, seed=k)
                  for k, (x, y) in enumerate(((-0.28, 0.08), (0.05, -0.1), (0.3, 0.06)))]
    parts += _legs((0.32, -0.3), 0.15, 0.4, 0.04, legs, lod, upper=wool)
    if grazing:
        head, neck = ((0.7, 0.0, 0.24), -1.0), [limb((0.42, 0, 0.62), (0.66, 0, 0.3), 0.15, 0.1, wool, lod)]
    else:
        head, neck = ((0.74, 0.0, 0.8), 0.45), [limb((0.42, 0, 0.66), (0.66, 0, 0.8), 0.16, 0.12, wool, lod)]
    parts += neck + [body(head[0], (0.17, 0.085, 0.095), face, lod, pitch=head[1])]
    parts += _ears(head[0][0] - 0.06, 0.07, head[0][2] + 0.04, 0.13, 0.07, face, lod)
    parts.append(body((-0.55, 0.0, 0.58), (0.08, 0.08, 0.11), wool, 1))
    if name == "patched":
        parts[0] = _patch(parts[0], face, [(0.2 * (variant - 1), 0.34, 0.65), (-0.3, -0.3, 0.7)], 0.2)
    return merge(parts)


def _cow(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A cow 2.5 m long, 1.5 m tall: a deep barrel on straight legs, a broad low head with short horns, a tail."""
    hide, legs, patch = coat
    grazing = variant == 1
    barrel = body((0.0, 0.0, 1.0), (0.98, 0.42, 0.43), hide, lod)
    hips = body((-0.6, 0.0, 1.12), (0.42, 0.38, 0.3), hide, 1)
    if name == "patched":  # black blotches: each variant its own
        rng = np.random.default_rng(11 + variant)
        spots = [(float(rng.uniform(-0.9, 0.8)), float(s * 0.42), float(rng.uniform(0.8, 1.35)))
                 for s in (-1, 1, -1, 1, 1)]
        barrel, hips = _patch(barrel, patch, spots, 0.3), _patch(hips, patch, spots[:2], 0.28)
    parts = [barrel, hips, *_legs((0.62, -0.62), 0.25, 0.8, 0.075, legs, lod, stride=0.05, upper=hide)]
    if grazing:
        neck_to, head, pitch = (1.05, 0.0, 0.62), (1.16, 0.0, 0.42), -1.1
    else:
        neck_to, head, pitch = (1.08, 0.0, 1.18), (1.26, 0.0, 1.1), 0.55
    parts.append(limb((0.72, 0, 1.12), neck_to, 0.3, 0.2, hide, lod))
    face = patch if name == "patched" else hide
    parts.append(body(head, (0.27, 0.15, 0.16), face, lod, pitch=pitch))
    c, s = math.cos(pitch), math.sin(pitch)
    nose = (head[0] + 0.24 * c, 0.0, head[2] - 0.24 * s)
    parts.append(body(nose, (0.09, 0.12, 0.09), MUZZLE if name in ("patched", "white") else legs, 1))
    crown = (head[0] - 0.14 * c, 0.0, head[2] + 0.14 * s + 0.06)
    parts += [limb((crown[0], sd * 0.12, crown[2]), (crown[0] + 0.04, sd * 0.3, crown[2] + 0.1), 0.035, 0.012,
                   HORN, lod, seg=4) for sd in (-1, 1)]
    parts += _ears(crown[0], 0.13, crown[2] - 0.03, 0.2, 0.1, face, lod)
    parts.append(limb((-0.96, 0, 1.25), (-1.04, 0, 0.52), 0.035, 0.025, hide, lod, seg=4))
    parts.append(body((-1.04, 0.0, 0.47), (0.05, 0.05, 0.1), legs if name != "patched" else patch, 1))
    if name == "patched" and lod == 0:
        parts.append(body((-0.35, 0.0, 0.58), (0.17, 0.15, 0.09), MUZZLE, 1))  # the udder of a dairy cow
    return merge(parts)


def _horse(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A horse 2.4 m long, 2 m to the ears: long slim legs, a neck rising to a long head, mane and tail."""
    hide, legs, mane = coat
    grazing = variant == 1
    barrel = body((0.0, 0.0, 1.32), (0.86, 0.3, 0.35), hide, lod)
    if name == "patched":
        barrel = _patch(barrel, mane, [(0.3 * (variant - 1), 0.3, 1.3), (-0.5, -0.3, 1.4), (0.5, -0.3, 1.2)], 0.32)
    parts = [barrel, body((-0.55, 0.0, 1.42), (0.36, 0.3, 0.28), hide, 1), body((0.58, 0.0, 1.42), (0.3, 0.27, 0.3),
                                                                                 hide, 1)]
    parts += _legs((0.58, -0.58), 0.17, 1.1, 0.055, legs, lod, stride=0.06 + 0.04 * (variant == 2), upper=hide)
    if grazing:
        top, head0, head1 = (1.05, 0.0, 0.9), (1.08, 0.0, 0.86), (1.2, 0.0, 0.2)
    else:
        top, head0, head1 = (1.02, 0.0, 2.0), (1.02, 0.0, 2.02), (1.36, 0.0, 1.7)
    parts.append(limb((0.66, 0, 1.42), top, 0.24, 0.13, hide, lod))
    parts.append(limb(head0, head1, 0.12, 0.075, hide, lod))
    parts.append(body(head1, (0.09, 0.085, 0.09), hide, 1))
    # the mane: a dark crest along the top of the neck; the forelock between the ears
    d = np.subtract(top, (0.66, 0, 1.42))
    up = np.array([-d[2], 0.0, d[0]]) / max(float(np.hypot(d[0], d[2])), 1e-9)
    a, b = np.add((0.58, 0, 1.6), 0.17 * up), np.add(top, 0.1 * up)
    parts.append(limb(tuple(a), tuple(b), 0.06, 0.05, mane, lod, seg=4))
    ears = np.add(head0, (0.0, 0.0, 0.06))
    if lod == 0:
        parts += [limb((ears[0], s * 0.06, ears[2]), (ears[0] - 0.03, s * 0.08, ears[2] + 0.15), 0.035, 0.008, hide,
                       lod, seg=4) for s in (-1, 1)]
    parts.append(limb((-0.84, 0, 1.5), (-1.02, 0, 0.78), 0.08, 0.045, mane, lod))
    return merge(parts)


def _goat(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A goat 1.2 m long, 1.1 m to its horns: a lean body on slim legs, swept-back horns, a beard, a raised tail."""
    hide, legs, points = coat
    grazing = variant == 1
    barrel = body((0.0, 0.0, 0.64), (0.5, 0.21, 0.25), hide, lod)
    if name == "patched":
        barrel = _patch(barrel, points, [(0.35, 0.2, 0.7), (0.35, -0.2, 0.7), (-0.3, 0.2, 0.6)], 0.2)
    parts = [barrel, *_legs((0.34, -0.32), 0.12, 0.5, 0.035, legs, lod, stride=0.04, upper=hide)]
    if grazing:
        neck_to, head0, head1 = (0.6, 0.0, 0.4), (0.62, 0.0, 0.42), (0.7, 0.0, 0.16)
    else:
        neck_to, head0, head1 = (0.56, 0.0, 0.94), (0.55, 0.0, 0.96), (0.76, 0.0, 0.82)
    parts.append(limb((0.38, 0, 0.72), neck_to, 0.11, 0.075, hide, lod))
    parts.append(limb(head0, head1, 0.075, 0.045, points if name == "patched" else hide, lod))
    parts += [limb(tuple(np.add(head0, (0.0, s * 0.04, 0.05))), tuple(np.add(head0, (-0.12, s * 0.07, 0.22))), 0.03,
                   0.018, HORN, lod, seg=4) for s in (-1, 1)]
    parts += [limb(tuple(np.add(head0, (-0.12, s * 0.07, 0.22))), tuple(np.add(head0, (-0.26, s * 0.09, 0.2))), 0.018,
                   0.006, HORN, lod, seg=4) for s in (-1, 1)]
    parts.append(limb(tuple(np.add(head1, (-0.05, 0.0, -0.04))), tuple(np.add(head1, (-0.06, 0.0, -0.16))), 0.025,
                      0.005, legs, lod, seg=4))  # the beard
    parts += _ears(head0[0] + 0.02, 0.05, head0[2], 0.12, 0.06, hide, lod)
    parts.append(limb((-0.48, 0, 0.76), (-0.56, 0, 0.9), 0.04, 0.01, hide, lod, seg=4))
    return merge(parts)


ANTLER = (0.3, 0.24, 0.16)


def _deer(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A deer 1.7 m long, 1.6 m to its ears: slender legs, an upright neck, big ears, a pale rump; a stag's
    antlers."""
    hide, legs, pale = coat
    grazing = variant == 1
    barrel = body((0.0, 0.0, 0.98), (0.7, 0.24, 0.29), hide, lod)
    barrel = _patch(barrel, pale, [(-0.7, 0.0, 1.0), (-0.62, 0.0, 0.85)], 0.16)  # the pale rump
    if name == "fallow" and lod == 0:
        barrel = _patch(barrel, pale, [(x, s * 0.24, 1.12) for x in (-0.3, 0.0, 0.3) for s in (-1, 1)], 0.07)
    parts = [barrel, *_legs((0.46, -0.46), 0.13, 0.82, 0.038, legs, lod, stride=0.05, upper=hide)]
    if grazing:
        neck_to, head0, head1 = (0.82, 0.0, 0.55), (0.84, 0.0, 0.56), (0.92, 0.0, 0.22)
    else:
        neck_to, head0, head1 = (0.8, 0.0, 1.46), (0.8, 0.0, 1.5), (1.02, 0.0, 1.38)
    parts.append(limb((0.5, 0, 1.08), neck_to, 0.14, 0.085, hide, lod))
    parts.append(limb(head0, head1, 0.085, 0.045, hide, lod))
    parts.append(body(head1, (0.05, 0.045, 0.045), legs, 1))
    parts += _ears(head0[0] - 0.02, 0.06, head0[2] + 0.1, 0.2, 0.11, hide, lod, droop=-0.3)
    parts.append(body((-0.72, 0.0, 1.08), (0.06, 0.07, 0.1), pale, 1))
    if extra == "stag":
        for s in (-1, 1):
            base = np.add(head0, (-0.02, s * 0.05, 0.08))
            tip = np.add(base, (-0.22, s * 0.28, 0.55))
            parts.append(limb(tuple(base), tuple(tip), 0.03, 0.012, ANTLER, lod, seg=4))
            for t in (0.35, 0.65) if lod == 0 else (0.5,):
                at = base + t * (tip - base)
                parts.append(limb(tuple(at), tuple(np.add(at, (0.12, s * 0.04, 0.16))), 0.016, 0.006, ANTLER, lod,
                                  seg=3))
    return merge(parts)


def _duck(lod: int, coat: tuple[Rgb, Rgb, Rgb], variant: int, extra: str, name: str) -> Mesh:
    """A duck afloat (0.5 m long), a goose (x1.6) or a swan (x2.2, its long neck curved): the waterline at z = 0."""
    feathers, bill, head = coat
    size = FORM_SIZE.get(extra, 1.0)
    parts = [body((0.0, 0.0, 0.06), (0.24, 0.14, 0.12), feathers, lod),
             limb((-0.18, 0, 0.09), (-0.3, 0, 0.16), 0.07, 0.01, feathers, lod, seg=4)]
    neck = head if extra == "" and variant != 1 and name == "brown" else feathers
    if extra == "swan":  # the long S of a swan's neck: forward, back, then the head bowed forward
        top = (0.11, 0.0, 0.44)
        parts += [limb((0.14, 0, 0.1), (0.2, 0, 0.25), 0.04, 0.028, neck, lod),
                  limb((0.2, 0, 0.25), top, 0.028, 0.024, neck, lod)]
    else:
        top = (0.17, 0.0, 0.34)
        parts.append(limb((0.13, 0, 0.1), top, 0.055, 0.04 if extra != "goose" else 0.045, neck, lod))
    crown = body(top, (0.065, 0.05, 0.055), head if name == "brown" and variant != 1 else feathers, lod)
    parts += [crown, limb(np.add(top, (0.04, 0, -0.01)), np.add(top, (0.12, 0, -0.03)), 0.03, 0.012, bill, lod, seg=4)]
    mesh = merge(parts)
    return Mesh(pos=(mesh.pos * size).astype(np.float32), nrm=mesh.nrm, col=mesh.col, part=mesh.part)


BUILDERS["animal_mesh"] = animal_mesh
BUILDERS["animal_looks"] = animal_looks
BUILDERS["animal_coats"] = named_coats
