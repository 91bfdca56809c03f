"""Prompt reading: does the WorldSpec read from each adherence prompt hold what the prompt names?

No rendering: for every prompt in bench/prompts/adherence.json the spec is read twice, with the lexical rules
only and with the sentence encoder, and scored against the prompt's subjects (is each named subject in the
spec: water, snow, rock, sand, each tree kind, roads, buildings, props) and its weather/time list (is each
named one the spec's), plus false readings (night, fog, rain, snow or storm in a spec whose prompt names none).
Product subjects are left out (they come from an imported mesh, not the prompt). The last line printed is one
JSON object.

Run: .venv/bin/python bench/prompt_reading.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from oyster_nodes.types import Prompt  # noqa: E402
from oyster_nodes.world.prompt.spec import WorldSpec  # noqa: E402
from oyster_nodes.world.prompt.understand import spec_from_prompt  # noqa: E402

PROMPTS = Path(__file__).resolve().parents[1] / "bench" / "prompts" / "adherence.json"
TREES = {"conifer": "conifers", "broadleaf": "broadleaf", "palm": "palms", "dead_tree": "dead_trees",
         "shrub": "shrubs", "flower": "flowers", "cactus": "cactus"}
PROPS = {"vehicle": "vehicles", "lamp": "lamps", "crate": "crates", "barrel": "barrels"}


def has_subject(spec: WorldSpec, name: str) -> bool:
    """Whether a spec asks for what a bench subject class needs."""
    s = spec.structures
    if name == "water":  # a swamp's pools are water too
        return bool(spec.water) or spec.shore != "none" or spec.terrain == "swamp"
    if name == "snow":
        return spec.season == "winter" or spec.weather == "snow" or spec.terrain in ("snowfield", "mountains")
    if name == "rock":
        return bool(spec.props.get("rocks")) or spec.terrain in ("mountains", "canyon", "volcanic") or bool(
            getattr(spec, "modifiers", {}).get("shore"))
    if name == "sand":
        return spec.terrain == "dunes" or spec.shore != "none"
    if name in TREES:
        return spec.vegetation.get(TREES[name], 0.0) > 0.0
    if name in PROPS:
        return spec.props.get(PROPS[name], 0) > 0
    if name == "fence":
        return bool(s.get("fences"))
    if name == "house":
        return bool(s.get("house") or s.get("village"))
    return bool(s.get(name))


WEATHER = {
    "sunrise": lambda sp: sp.time_of_day in ("dawn", "morning"),
    "sunset": lambda sp: sp.time_of_day in ("golden_hour", "dusk"),
    "night": lambda sp: sp.time_of_day == "night",
    "fog": lambda sp: sp.weather == "fog",
    "rain": lambda sp: sp.weather in ("rain", "storm"),
    "snowfall": lambda sp: sp.weather == "snow",
    "storm": lambda sp: sp.weather == "storm",
    "overcast": lambda sp: sp.weather in ("overcast", "rain", "storm", "fog"),
}


def false_readings(spec: WorldSpec, named: list[str]) -> list[str]:
    """Time or weather the spec holds that the prompt's list does not name."""
    out = []
    if spec.time_of_day == "night" and "night" not in named:
        out.append("night")
    wanted = {"fog": "fog", "rain": "rain", "snow": "snowfall", "storm": "storm"}
    if spec.weather in wanted and wanted[spec.weather] not in named and not (
        spec.weather == "storm" and "rain" in named
    ):
        out.append(spec.weather)
    return out


#: prompts with nouns outside the vocabulary (not in the adherence set), and the concept each should give
HELD_OUT: tuple[tuple[str, str], ...] = (
    ("a bungalow by the river", "cabin"), ("a skyscraper city", "tower"), ("an estuary at low tide", "coast"),
    ("a motel beside the interstate", "road"), ("a sequoia grove", "conifers"), ("a pagoda on a hill", "tower"),
    ("an igloo on the ice", "cabin"), ("mangroves along a lagoon", "broadleaf"),
    ("a eucalyptus forest", "broadleaf"), ("a hacienda among olive groves", "house"),
    ("boulders and scree below a glacier", "rocks"), ("a limestone quarry", "rocks"),
    ("a rivulet through the heath", "river"), ("a chapel on the moor", "church"),
)


def held_out(encoder: object | None) -> dict[str, object]:
    """Share of HELD_OUT prompts whose spec names the expected concept, and how many name a wrong one."""
    hits, wrong = 0, 0
    for text, concept in HELD_OUT:
        spec = spec_from_prompt(Prompt(text=text), encoder)  # type: ignore[arg-type]
        found = {m["concept"] for m in spec.matches if not m["negated"]}
        hits += concept in found
        wrong += any(m["source"] == "embedding" and m["concept"] != concept for m in spec.matches)
    return {"held_out_nouns": round(hits / len(HELD_OUT), 4), "held_out_wrong": wrong}


def score(encoder: object | None, prompts: list[dict], verbose: bool) -> dict[str, object]:
    subj_ok = subj_n = wx_ok = wx_n = false_n = 0
    misses: list[str] = []
    for p in prompts:
        spec = spec_from_prompt(Prompt(text=p["text"]), encoder)  # type: ignore[arg-type]
        for name in p["subjects"]:
            if name == "product":
                continue
            subj_n += 1
            ok = has_subject(spec, name)
            subj_ok += ok
            if not ok:
                misses.append(f"{p['id']}:{name}")
        for name in p["weather"]:
            wx_n += 1
            ok = WEATHER[name](spec)
            wx_ok += ok
            if not ok:
                misses.append(f"{p['id']}:{name}")
        wrong = false_readings(spec, p["weather"])
        false_n += len(wrong)
        misses += [f"{p['id']}:false-{w}" for w in wrong]
        if verbose:
            print(p["id"], spec.summary(), getattr(spec, "modifiers", {}))
    return {
        "subjects_read": round(subj_ok / max(subj_n, 1), 4),
        "weather_read": round(wx_ok / max(wx_n, 1), 4),
        "false_readings": false_n,
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    prompts = json.loads(PROMPTS.read_text())["prompts"]
    from oyster_nodes.world.prompt.embed import load_encoder

    t0 = time.perf_counter()
    encoder = load_encoder()
    load_s = time.perf_counter() - t0
    lexical = score(None, prompts, args.verbose)
    t0 = time.perf_counter()
    with_model = score(encoder, prompts, args.verbose)
    model_s = time.perf_counter() - t0
    differs = sorted(set(lexical["misses"]) ^ set(with_model["misses"]))  # type: ignore[arg-type]
    for name, r in (("lexical", lexical), ("with_model", with_model)):
        print(name, "misses:", " ".join(r["misses"]))  # type: ignore[arg-type]
    summary = {
        "prompts": len(prompts),
        "lexical": {**{k: v for k, v in lexical.items() if k != "misses"}, **held_out(None)},
        "with_model": {**{k: v for k, v in with_model.items() if k != "misses"}, **held_out(encoder)},
        "model_changes": differs,
        "model_load_s": round(load_s, 2),
        "model_read_s": round(model_s, 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
