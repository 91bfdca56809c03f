"""Node parameters declared once: Params come from the core's settings dataclasses, exactly as before.

The fixtures were first written from the node definitions before their parameters moved into the core's
settings dataclasses: `builtin_nodes.json` is `oyster nodes --json`, `builtin_params.json` every field of
every Param (repr, so 24 and 24.0 differ). A change to them is a change to every saved workflow: when one is
meant (a new parameter, a new default), rewrite them with `python -m tests.test_node_params` and say so in
the commit.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from oyster_nodes.builtin import audio, camera, render, sequence, simulate, world
from oyster_nodes.cli import main
from oyster_nodes.node import Param, params_from, settings_from
from oyster_nodes.registry import load_registry
from oyster_nodes.settings import SETTING, setting
from oyster_nodes.world import (
    AudioSettings,
    FollowSettings,
    GenerateConfig,
    PresetSettings,
    SequenceSettings,
    ShotSettings,
    SimSettings,
    ViewSettings,
)

FIXTURES = Path(__file__).parent / "fixtures"
#: keys `oyster nodes --json` may add to a parameter
ADDED_PARAM_KEYS = {"applies"}
#: node fields added since the fixture was written (the pass-through of a bypassed node)
ADDED_NODE_KEYS = {"bypass"}
PARAM_FIELDS = ("name", "type", "default", "min", "max", "choices", "description", "widget", "max_items",
                "max_length", "required")


def test_nodes_json_is_unchanged_but_for_additions(capsys: pytest.CaptureFixture[str]) -> None:
    before = json.loads((FIXTURES / "builtin_nodes.json").read_text())
    assert main(["nodes", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    old = {n["type"]: n for n in before["nodes"]}
    new = {n["type"]: n for n in after["nodes"]}
    assert set(new) >= set(old)
    for type_name, node in old.items():
        got = new[type_name]
        assert set(got) - set(node) <= ADDED_NODE_KEYS, type_name
        assert {k: got[k] for k in node if k != "params"} == {k: v for k, v in node.items() if k != "params"}
        assert [p["name"] for p in got["params"]] == [p["name"] for p in node["params"]], type_name
        for was, now in zip(node["params"], got["params"], strict=True):
            assert set(now) - set(was) <= ADDED_PARAM_KEYS, (type_name, was["name"])
            assert {k: now[k] for k in was} == was, (type_name, was["name"])


def test_every_param_field_is_unchanged() -> None:
    before = json.loads((FIXTURES / "builtin_params.json").read_text())
    reg = load_registry(use_entry_points=False)
    after = {cls.type: [{k: repr(getattr(p, k)) for k in PARAM_FIELDS} for p in cls.params]
             for cls in reg if cls.type in before}
    assert after == before


@pytest.mark.parametrize(
    ("node", "settings", "names"),
    [
        (simulate.Simulate, SimSettings, None),
        (sequence.SequenceRender, SequenceSettings, None),
        (audio.Ambience, AudioSettings, None),
        (render.RenderImage, ViewSettings, None),
        (world.WorldGenerate, GenerateConfig, ("size_m", "cell_m", "max_instances")),
        (camera.CameraFollow, FollowSettings, ("target_id", "mode", "distance_m", "height_m", "lag_s", "focal_mm")),
        (camera.CameraPreset, PresetSettings, ("preset", "aim_height_m", "distance_m", "end_distance_m", "height_m",
                                               "end_height_m", "sweep_deg", "travel_m", "altitude_m", "speed_mps",
                                               "focal_mm", "ease")),
        (camera.CameraKeyframes, ShotSettings, None),
    ],
)
def test_a_nodes_params_are_its_settings_fields(node, settings, names) -> None:  # noqa: ANN001
    """Each setting field is the node's Param, and the settings' default is the Param's default."""
    declared = {p.name: p for p in node.params}
    built = settings()
    for param in params_from(settings):
        if names is None or param.name in names:
            assert declared[param.name] == param
            default = getattr(built, param.name)
            assert param.default == default and (param.type is not float or isinstance(default, float))


def test_settings_from_builds_the_core_settings_from_checked_values() -> None:
    values = {p.name: p.check(p.default)[0] for p in simulate.Simulate.params}
    values["fps"] = 30
    built = settings_from(SimSettings, values)
    assert built == SimSettings(fps=30.0) and isinstance(built.fps, float)
    seq = settings_from(SequenceSettings, {"motion_blur": 4, "shutter_deg": 90.0, "unrelated": 1})
    assert (seq.blur_samples, seq.shutter) == (4, 0.25)
    preset = settings_from(PresetSettings, {"preset": "crane", "distance_m": 9.0}, subject=(1.0, 2.0))
    assert (preset.preset, preset.distance_m, preset.subject) == ("crane", 9.0, (1.0, 2.0))


def test_audio_levels_come_from_its_fields() -> None:
    assert AudioSettings(rain=0.5).levels == {"wind": 1.0, "rain": 0.5, "water": 1.0, "birds": 1.0, "impacts": 1.0}


def test_applies_names_the_mode_a_param_belongs_to() -> None:
    described = {p["name"]: p for p in camera.CameraPreset.describe()["params"]}
    assert described["end_distance_m"]["applies"] == {"preset": ["dolly_in", "dolly_out"]}
    assert described["speed_mps"]["applies"] == {"preset": ["walk"]}
    assert described["azimuth_deg"]["applies"] == {"auto_azimuth": [False]}
    assert "applies" not in described["distance_m"]
    follow = {p["name"]: p for p in camera.CameraFollow.describe()["params"]}
    assert follow["width"]["applies"] == {"resolution": ["custom"]}
    assert "pov" not in follow["lag_s"]["applies"]["mode"]


@dataclasses.dataclass(kw_only=True, slots=True)
class _Demo:
    count: int = setting(3, min=1, max=9, description="how many")
    rate: float = setting(24.0, choices=(24, 30), param_type=int)
    names: list[str] = setting(["a"], max_items=4, widget="vector")
    mode: str = setting("x", choices=("x", "y"), applies={"count": (1, 2)})
    hidden: int = 5


def test_params_from_reads_the_setting_metadata() -> None:
    count, rate, names, mode = params_from(_Demo)
    assert count == Param("count", int, 3, min=1, max=9, description="how many")
    assert rate.type is int and rate.default == 24 and isinstance(rate.default, int)
    assert names == Param("names", list, ["a"], max_items=4, widget="vector")
    assert mode.applies == {"count": (1, 2)} and mode.choices == ("x", "y")
    assert [p.name for p in params_from(_Demo, exclude=("count",))] == ["rate", "names", "mode"]
    assert [p.name for p in params_from(_Demo, only=("mode", "count"))] == ["mode", "count"]
    first, second = _Demo(), _Demo()
    first.names.append("b")
    assert second.names == ["a"], "a list default is copied per instance"
    assert SETTING not in dataclasses.fields(_Demo)[-1].metadata


def test_params_from_refuses_what_it_cannot_turn_into_a_param() -> None:
    with pytest.raises(TypeError, match="no setting field hidden"):
        params_from(_Demo, only=("hidden",))

    @dataclasses.dataclass(kw_only=True, slots=True)
    class Odd:
        where: tuple[float, float] | None = setting(None)

    with pytest.raises(TypeError, match="Odd.where"):
        params_from(Odd)


def _our_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {n for n in found if n.startswith((".", "oyster_nodes", "nodes"))}


def test_settings_is_a_leaf_and_the_core_never_imports_the_node_api() -> None:
    root = Path(__file__).resolve().parents[1] / "oyster_nodes"
    assert _our_imports(root / "settings.py") == set()
    offenders = [str(p.relative_to(root)) for p in (root / "world").rglob("*.py")
                 if any(name.endswith((".node", "oyster_nodes.node")) for name in _our_imports(p))]
    assert offenders == []


def test_a_definition_whose_applies_names_no_param_or_no_choice_is_refused() -> None:
    class Bad(camera.CameraPreset):
        type = "test.bad_applies"
        params = (*camera.CameraPreset.params,
                  Param("lens", float, 1.0, applies={"presett": ("orbit",)}),
                  Param("roll", float, 0.0, applies={"preset": ("barrel_roll",)}))

    problems = Bad.definition_problems()
    assert any("'lens' applies under 'presett'" in p for p in problems)
    assert any("'roll'" in p and "barrel_roll" in p for p in problems)
    for cls in load_registry(use_entry_points=False):
        assert cls.definition_problems() == [], cls.type


if __name__ == "__main__":  # rewrite the fixtures from the node definitions as they are now
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["nodes", "--json"])
    (FIXTURES / "builtin_nodes.json").write_text(json.dumps(json.loads(out.getvalue()), indent=1) + "\n")
    reg = load_registry(use_entry_points=False)
    params = {cls.type: [{k: repr(getattr(p, k)) for k in PARAM_FIELDS} for p in cls.params] for cls in reg}
    (FIXTURES / "builtin_params.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")
