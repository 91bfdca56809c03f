"""Plain English action lines ("at 2s drop a red ball from 20 m") mapped onto events.

The kind of event comes from the sentence-embedding matcher (the same all-MiniLM encoder the prompt parser
uses): the line, numbers removed, is compared with a small set of example intents; naming words (drop,
wind, rain, explosion...) add a bonus to their kind. Details come from the words: times, colours, shapes,
heights ("from 20 m"), sizes, speeds, compass directions, coordinates, hours and weather. "the ball", "it"
and "the red box" refer to what earlier lines spawned; "@character" means the first character in the world.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .events import AGENT_KINDS, COLORS, MATERIALS, WEATHERS, ActionError, check_event

INTENTS: tuple[tuple[str, str], ...] = (
    ("drop a ball from a height", "spawn"), ("throw a ball", "spawn"), ("place a box on the ground", "spawn"),
    ("a crate falls from the sky", "spawn"), ("a person appears", "spawn"), ("park a car here", "spawn"),
    ("remove the object", "remove"), ("the ball disappears", "remove"),
    ("push the ball", "impulse"), ("kick the ball hard", "impulse"), ("hit the box sideways", "impulse"),
    ("apply a steady force to the box", "force"), ("keep pushing the crate", "force"),
    ("walk to the house", "move"), ("drive the car along the road", "move"), ("the hiker heads over there", "move"),
    ("slide the box to a new place", "animate"), ("raise the platform into the air", "animate"),
    ("the sun sets and night falls", "time"), ("time passes until the evening", "time"), ("dawn breaks", "time"),
    ("it starts to rain", "weather"), ("a storm rolls in", "weather"), ("fog rolls in", "weather"),
    ("the sky clears up", "weather"), ("snow begins to fall", "weather"),
    ("the wind picks up", "wind"), ("a strong gust of wind blows", "wind"), ("the wind dies down", "wind"),
    ("an explosion", "blast"), ("a bomb goes off", "blast"), ("a shockwave blasts everything away", "blast"),
    ("paint the ball blue", "material"), ("the box turns to metal", "material"), ("make the ball bouncy", "material"),
)
CUES: dict[str, tuple[str, ...]] = {
    "spawn": ("drop", "spawn", "add", "place", "throw", "launch", "appear", "appears", "falls", "fall", "roll"),
    "remove": ("remove", "delete", "disappear", "disappears", "vanish", "vanishes", "gone"),
    "impulse": ("push", "kick", "hit", "shove", "nudge", "knock", "punch", "smack"),
    "force": ("force", "keep", "pushing", "steadily", "thrust"),
    "move": ("walk", "walks", "drive", "drives", "go", "goes", "run", "runs", "head", "heads", "move", "moves"),
    "animate": ("slide", "slides", "raise", "lift", "animate", "glide"),
    "time": ("sunset", "sunrise", "dawn", "dusk", "night", "evening", "noon", "morning", "midnight", "clock",
             "o'clock", "pm", "am"),
    "weather": ("rain", "raining", "snow", "snowing", "storm", "fog", "foggy", "clear", "clears", "overcast",
                "drizzle"),
    "wind": ("wind", "gust", "breeze", "gale", "windy"),
    "blast": ("explosion", "explodes", "explode", "blast", "bomb", "shockwave", "detonate"),
    "material": ("paint", "painted", "colour", "color", "turns", "becomes", "metal", "rubber", "wooden", "icy",
                 "bouncy"),
}
SHAPE_WORDS: dict[str, str] = {
    "ball": "sphere", "sphere": "sphere", "orb": "sphere", "marble": "sphere", "boulder": "sphere",
    "box": "box", "crate": "box", "cube": "box", "block": "box", "brick": "box", "package": "box",
    "capsule": "capsule", "log": "capsule", "pill": "capsule", "barrel": "capsule", "cylinder": "capsule",
    "person": "character", "character": "character", "man": "character", "woman": "character",
    "hiker": "character", "walker": "character", "figure": "character", "child": "character",
    "car": "vehicle", "truck": "vehicle", "vehicle": "vehicle", "jeep": "vehicle", "van": "vehicle",
}
DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "east": (1, 0, 0), "west": (-1, 0, 0), "north": (0, 1, 0), "south": (0, -1, 0), "up": (0, 0, 1),
    "upward": (0, 0, 1), "upwards": (0, 0, 1), "northeast": (0.7071, 0.7071, 0), "northwest": (-0.7071, 0.7071, 0),
    "southeast": (0.7071, -0.7071, 0), "southwest": (-0.7071, -0.7071, 0),
}
HOURS: dict[str, float] = {"dawn": 5.5, "sunrise": 6.0, "morning": 8.5, "noon": 12.0, "midday": 12.0,
                           "afternoon": 15.0, "evening": 19.0, "sunset": 20.0, "dusk": 20.5, "night": 23.0,
                           "midnight": 24.0}
WEATHER_WORDS: dict[str, str] = {"rain": "rain", "raining": "rain", "drizzle": "rain", "snow": "snow",
                                 "snowing": "snow", "storm": "storm", "stormy": "storm", "thunder": "storm",
                                 "fog": "fog", "foggy": "fog", "mist": "fog", "clear": "clear", "clears": "clear",
                                 "sunny": "clear", "overcast": "overcast", "cloudy": "overcast", "grey": "overcast"}
SIZE_WORDS: dict[str, float] = {"tiny": 0.3, "small": 0.6, "little": 0.6, "big": 1.8, "large": 1.8, "huge": 3.0,
                                "giant": 4.0}
STRENGTH_WORDS: dict[str, float] = {"gently": 0.3, "lightly": 0.3, "softly": 0.3, "hard": 2.5, "strongly": 2.0,
                                    "violently": 4.0}
MIN_SCORE = 0.3

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_UNIT_SECONDS = r"(?:(?:s|sec|secs|second|seconds)\b)"
_METRES = r"\s*(?:m|metres|meters|metre|meter)\b"


class EnglishReader:
    """Reads English lines one by one; remembers what was spawned so later lines can refer to it."""

    def __init__(self, *, encoder: Any = None, context: list[dict[str, Any]] | None = None) -> None:
        self.encoder = encoder
        self.context = context if context is not None else []
        self.counts: dict[str, int] = {}

    def read(self, text: str, line: int, dsl_error: ActionError | None = None) -> dict[str, Any]:
        """The event one line means; raises ActionError when it is not understood."""
        words = _words(text)
        t0, t1 = _times(text, line)
        kind, score, phrase = self._kind(text, words)
        if score < MIN_SCORE:
            hint = f" (as the line form: {dsl_error.reason})" if dsl_error else ""
            raise ActionError(f"could not understand {text.strip()!r}{hint}; closest is '{phrase}' "
                              f"({score:.2f}); write e.g. 'at 2s spawn sphere ball1 height=20'",
                              line, dsl_error.column if dsl_error else 1)
        raw = {"kind": kind, "time": t0, "end": t1, **_SLOTS[kind](self, text, words, line)}
        if kind not in ("force", "animate") and raw["end"] is None:
            raw.pop("end")
        elif kind in ("force", "animate") and raw["end"] is None:
            raw["end"] = t0 + 1.0
        event = check_event(raw, line=line, column=1)
        event["text"] = text.strip()
        event["matched"] = f"matched '{phrase}', {score:.2f}"
        return event

    def spawn_fields(self, text: str, line: int = 1) -> dict[str, Any]:
        """The fields a spawn line gives (shape, id, colour, material, size, height, position, mass, speed),
        read the way `read` reads them once a line is known to be a spawn."""
        return self._spawn(text, _words(text), line)

    def _kind(self, text: str, words: list[str]) -> tuple[str, float, str]:
        matrix = self._intent_matrix()
        clean = re.sub(r"\d+(?:[.:]\d+)?\s*\w*/?\w*", " ", text.lower())
        clean = re.sub(r"\b(at|from|to|after|for|over|until|between|and|seconds?|s)\b", " ", clean)
        vec = self.encoder.encode([clean.strip() or text])[0]
        scores = matrix @ vec
        kinds = [k for _, k in INTENTS]
        best: dict[str, tuple[float, str]] = {}
        for (phrase, kind), s in zip(INTENTS, scores, strict=True):
            if kind not in best or s > best[kind][0]:
                best[kind] = (float(s), phrase)
        for kind in set(kinds):
            if any(w in CUES[kind] for w in words):
                best[kind] = (best[kind][0] + 0.2, best[kind][1])
        kind = max(sorted(best), key=lambda k: best[k][0])
        return kind, best[kind][0], best[kind][1]

    def _intent_matrix(self) -> np.ndarray:
        if self.encoder is None:
            raise ActionError("English action lines need the sentence encoder: write the line form "
                              "('at 2s drop a ball ...') or run the script from an action node")
        if callable(self.encoder) and not hasattr(self.encoder, "memo"):
            self.encoder = self.encoder()  # a provider: the encoder is loaded only once a line is English
        return self.encoder.memo("action_intents", [p for p, _ in INTENTS])

    # --- slots per kind ------------------------------------------------------------------------

    def _spawn(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        shape = next((SHAPE_WORDS[w] for w in words if w in SHAPE_WORDS), "sphere")
        color = next((w for w in words if w in COLORS), None)
        self.counts[shape] = self.counts.get(shape, 0) + 1
        used = {e.get("id") for e in self.context}
        base = {"sphere": "ball", "box": "box", "capsule": "log"}.get(shape, shape)
        n = self.counts[shape]
        while f"{base}{n}" in used:
            n += 1
        raw: dict[str, Any] = {"shape": shape, "id": f"{base}{n}"}
        height = _height(text)
        if height is not None:
            raw["height"] = height
        elif shape not in AGENT_KINDS and ("drop" in words or "falls" in words or "fall" in words):
            raw["height"] = 10.0
        pos = _coords(text)
        if pos is not None:
            raw["pos"] = pos
        if color:
            raw["color"] = color
        material = next((w for w in words if w in MATERIALS), None)
        if material:
            raw["material"] = material
        size = _size(text, words, shape)
        if size is not None:
            raw["size"] = size
        mass = _unit_number(text, r"\s*(?:kg|kilograms?)\b")
        if mass is not None:
            raw["mass"] = mass
        speed = _unit_number(text, r"\s*(?:m/s)")
        if speed is not None and shape not in AGENT_KINDS:
            raw["vel"] = list(np.array(_direction(words, (0.0, 1.0, 0.0))) * speed)
        return raw

    def _remove(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        return {"id": self._refer(words, line)}

    def _impulse(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        target = self._refer(words, line)
        direction = np.array(_direction(words, (0.0, 1.0, 0.3)))
        strength = _unit_number(text, r"\s*(?:N·?s|newton[- ]seconds?)") or 0.0
        if not strength:
            speed = _unit_number(text, r"\s*(?:m/s)") or 5.0
            strength = speed * _mass_of(self.context, target)
        strength *= next((STRENGTH_WORDS[w] for w in words if w in STRENGTH_WORDS), 1.0)
        return {"id": target, "vec": [float(c) for c in direction / np.linalg.norm(direction) * strength]}

    def _force(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        target = self._refer(words, line)
        newtons = _unit_number(text, r"\s*(?:N|newtons?)\b") or 20.0 * _mass_of(self.context, target)
        direction = np.array(_direction(words, (0.0, 1.0, 0.0)))
        return {"id": target, "vec": [float(c) for c in direction / np.linalg.norm(direction) * newtons]}

    def _move(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        target = self._refer(words, line, agents=True)
        to = _coords(text)
        if to is None:
            raise ActionError("say where to go with coordinates, e.g. 'walk to (40, 60)'", line, 1)
        raw: dict[str, Any] = {"id": target, "to": to[:2]}
        speed = _unit_number(text, r"\s*(?:m/s)")
        if speed is not None:
            raw["speed"] = speed
        return raw

    def _animate(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        target = self._refer(words, line)
        to = _coords(text)
        if to is None:
            raise ActionError("say where to with coordinates, e.g. 'slide the box to (40, 60, 5)'", line, 1)
        return {"id": target, "to": to}

    def _time(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        m = re.search(r"\b(\d{1,2}):(\d{2})\b", text)
        if m:
            return {"to": f"{m.group(1)}:{m.group(2)}"}
        m = re.search(r"\b(\d{1,2})\s*(am|pm|o'clock|h)\b", text.lower())
        if m:
            hour = int(m.group(1)) % 12 + (12 if m.group(2) == "pm" else 0) if m.group(2) in ("am", "pm") \
                else int(m.group(1))
            return {"to": float(hour)}
        hour = next((HOURS[w] for w in words if w in HOURS), None)
        if hour is None:
            raise ActionError("say which hour, e.g. 'the sun sets until 20:30' or 'night falls'", line, 1)
        return {"to": hour}

    def _weather(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        weather = next((WEATHER_WORDS[w] for w in words if w in WEATHER_WORDS), None)
        if weather is None or weather not in WEATHERS:
            raise ActionError(f"say which weather: {', '.join(WEATHERS)}", line, 1)
        return {"to": weather}

    def _wind(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        speed = _unit_number(text, r"\s*(?:m/s)")
        if speed is None:
            speed = 2.0 if {"dies", "calm", "drops", "down"} & set(words) else 12.0
        raw: dict[str, Any] = {"speed": speed}
        heading = [w for w in words if w in DIRECTIONS and DIRECTIONS[w][2] == 0]
        if heading:
            d = DIRECTIONS[heading[0]]
            raw["dir"] = math.degrees(math.atan2(d[1], d[0]))
        return raw

    def _blast(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        pos = _coords(text)
        raw: dict[str, Any] = {}
        if pos is not None:
            raw["pos"] = pos
        elif any(e.get("kind") == "spawn" for e in self.context) and (set(words) & set(SHAPE_WORDS) or "it" in words):
            raw["near"] = self._refer(words, line)
        radius = _after(text, r"radius(?: of)?\s*" + _NUMBER)
        if radius is not None:
            raw["radius"] = radius
        strength = _after(text, r"strength(?: of)?\s*" + _NUMBER)
        if strength is not None:
            raw["strength"] = strength
        return raw

    def _material(self, text: str, words: list[str], line: int) -> dict[str, Any]:
        raw: dict[str, Any] = {"id": self._refer(words, line)}
        colors = [w for w in words if w in COLORS]
        if colors:
            raw["color"] = colors[-1]
        material = next((w for w in words if w in MATERIALS), None)
        material = material or {"wooden": "wood", "icy": "ice", "bouncy": "rubber", "metallic": "metal"}.get(
            next((w for w in words if w in ("wooden", "icy", "bouncy", "metallic")), ""))
        if material:
            raw["material"] = material
        return raw

    def _refer(self, words: list[str], line: int, *, agents: bool = False) -> str:
        """The id a line refers to: a spawned id named outright, else the last spawn matching its words."""
        spawned = [e for e in self.context if e.get("kind") == "spawn" and e.get("id")]
        for w in words:
            if any(e["id"].lower() == w for e in spawned):
                return next(e["id"] for e in spawned if e["id"].lower() == w)
        shape = next((SHAPE_WORDS[w] for w in words if w in SHAPE_WORDS), None)
        color = next((COLORS[w] for w in words if w in COLORS), None)
        for e in reversed(spawned):
            if (shape is None or e.get("shape") == shape) and (color is None or e.get("color") == color):
                return e["id"]
        if shape in AGENT_KINDS or agents:
            return f"@{shape or 'character'}"
        what = " ".join(w for w in words if w in COLORS or w in SHAPE_WORDS) or "it"
        raise ActionError(f"nothing spawned before line {line} matches {what!r}; spawn it first or use its id",
                          line, 1)


_SLOTS = {"spawn": EnglishReader._spawn, "remove": EnglishReader._remove, "impulse": EnglishReader._impulse,
          "force": EnglishReader._force, "move": EnglishReader._move, "animate": EnglishReader._animate,
          "time": EnglishReader._time, "weather": EnglishReader._weather, "wind": EnglishReader._wind,
          "blast": EnglishReader._blast, "material": EnglishReader._material}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z@][a-z0-9_'\-]*", text.lower())


def _times(text: str, line: int) -> tuple[float, float | None]:
    low = text.lower()
    m = re.search(rf"\b(?:from|between)\s+{_NUMBER}\s*{_UNIT_SECONDS}?\s*(?:to|and|until|-)\s+{_NUMBER}\s*"
                  rf"{_UNIT_SECONDS}?", low)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = re.search(rf"\b(?:at|after|when)\s+{_NUMBER}\s*{_UNIT_SECONDS}", low) or \
        re.search(rf"^\s*{_NUMBER}\s*{_UNIT_SECONDS}", low)
    start = float(m.group(1)) if m else 0.0
    if start < 0:
        raise ActionError(f"time {start:g} s is before the shot starts", line, 1)
    d = re.search(rf"\b(?:for|over|during|within)\s+{_NUMBER}\s*{_UNIT_SECONDS}", low)
    return start, (start + float(d.group(1))) if d else None


def _height(text: str) -> float | None:
    low = text.lower()
    for pattern in (rf"\bfrom\s+(?:a height of\s+)?{_NUMBER}{_METRES}", rf"\bheight(?: of)?\s+{_NUMBER}",
                    rf"{_NUMBER}{_METRES}\s+(?:high|up|above|in the air)"):
        m = re.search(pattern, low)
        if m:
            return abs(float(m.group(1)))
    return None


def _coords(text: str) -> list[float] | None:
    m = re.search(rf"\(\s*{_NUMBER}\s*,\s*{_NUMBER}(?:\s*,\s*{_NUMBER})?\s*\)", text)
    if m is None:
        m = re.search(rf"\b(?:at|to)\s+{_NUMBER}\s*,\s*{_NUMBER}(?:\s*,\s*{_NUMBER})?", text)
    if m is None:
        return None
    return [float(g) for g in m.groups() if g is not None]


def _unit_number(text: str, unit: str) -> float | None:
    m = re.search(_NUMBER + unit, text)
    return abs(float(m.group(1))) if m else None


def _after(text: str, pattern: str) -> float | None:
    m = re.search(pattern, text.lower())
    return float(m.group(1)) if m else None


def _size(text: str, words: list[str], shape: str) -> list[float] | None:
    if shape in AGENT_KINDS:
        return None
    across = _after(text, rf"{_NUMBER}{_METRES}\s+(?:wide|across|diameter|big|box|ball|crate|cube)")
    radius = _after(text, rf"radius(?: of)?\s+{_NUMBER}")
    scale = next((SIZE_WORDS[w] for w in words if w in SIZE_WORDS), None)
    if radius is not None:
        return [radius]
    if across is not None:
        return [across / 2] if shape == "sphere" else [across] * 3
    if scale is not None:
        return [0.4 * scale] if shape == "sphere" else [scale] * 3 if shape == "box" else [0.25 * scale, scale]
    return None


def _direction(words: list[str], default: tuple[float, float, float]) -> tuple[float, float, float]:
    found = [np.array(DIRECTIONS[w]) for w in words if w in DIRECTIONS]
    if not found:
        return default
    v = np.sum(found, axis=0)
    return tuple(float(c) for c in v) if np.linalg.norm(v) > 1e-9 else default  # type: ignore[return-value]


def _mass_of(context: list[dict[str, Any]], object_id: str) -> float:
    for e in context:
        if e.get("kind") == "spawn" and e.get("id") == object_id and e.get("mass"):
            return float(e["mass"])
    return 5.0
