"""The world-model core's public face: what node packs import.

One folder per stage a user sees as a node family, over the world state and shared geometry:
  state     the WorldState, the Timeline a simulation makes, world files, sun and sky (env)
  geometry  the physical camera and the boxes that cameras, bodies and agents keep clear of
  prompt    text -> WorldSpec (concepts, the sentence encoder, counts, negation, modifiers)
  generate  WorldSpec + seed -> WorldState (terrain, water, scatter, structures)
  edit      operations on a WorldState and imported meshes
  actions   action scripts (text, JSON, English) -> events
  simulate  WorldState + events -> Timeline (MuJoCo bodies, agents, wind, clock, weather)
  camera    camera paths: keyframes, presets, clearance, the top-down map
  render    the rasterizer (moderngl/EGL): passes for stills and sequences
  refine    diffusers film passes over rendered passes, weights from the local models folder
  audio     ambience tracks from a world and a timeline

Names are resolved on first use, so importing this package costs nothing; packs write
`from oyster_nodes.world import WorldState, generate_world` and never import deep paths.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .actions.events import MAX_EVENTS
    from .actions.forms import events_help
    from .actions.parse import (
        MAX_SCRIPT_CHARS,
        SIZE_FIX,
        check_script,
        check_size,
        parse_json,
        parse_lines,
        parse_script,
    )
    from .audio.ambience import AudioSettings, ambience
    from .camera.framing import PRODUCT_SIDES, Framing, ViewSettings, establishing_shot, frame_shot
    from .camera.map import blank_map, top_down_map
    from .camera.path import (
        ASPECTS,
        EASINGS,
        FPS_CHOICES,
        RESOLUTION_CHOICES,
        RESOLUTIONS,
        CameraPathError,
        PathSamples,
        Shot,
        ShotSettings,
        camera_at,
        frame_size,
        frame_times,
        keep_clear,
        parse_keys,
        path_from_keys,
        sample_keys,
        to_camera_path,
    )
    from .camera.presets import (
        FOLLOW_MODES,
        PRESETS,
        FollowSettings,
        PresetSettings,
        follow_samples,
        preset_samples,
    )
    from .edit.meshimport import PLACES as MESH_PLACES
    from .edit.meshimport import import_mesh
    from .edit.operations import apply_edits, check_edits, set_time, set_weather
    from .generate.boats import afloat_note
    from .generate.world import GenerateConfig, generate_world
    from .geometry.camera import Camera, camera_from_key, lift_above_ground, vec3
    from .prompt.concepts import STYLES, WEATHERS
    from .prompt.embed import TEXT_ENCODER, load_encoder
    from .prompt.spec import WorldSpec
    from .prompt.understand import spec_from_prompt
    from .refine.film import FilmSettings, check_controlnet_name, check_model_name, model_stamp
    from .refine.film import refine as refine_image
    from .refine.models import ModelError, models_dir
    from .render.renderer import RENDERER, Renderer, RenderSettings
    from .render.sequence import SequenceSettings, render_sequence
    from .simulate.run import FrameSample, SessionSnapshot, SimSettings, WorldSession
    from .simulate.run import simulate as run_simulation
    from .state.store import SUFFIX, WorldFileError, load_world, save_world
    from .state.timeline import Timeline
    from .state.world_state import INSTANCE_KINDS, MATERIALS, SEMANTIC_CLASSES, WorldState, heights_at, water_at

#: public name -> (module under oyster_nodes.world, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "WorldState": ("state.world_state", "WorldState"),
    "MATERIALS": ("state.world_state", "MATERIALS"),
    "INSTANCE_KINDS": ("state.world_state", "INSTANCE_KINDS"),
    "SEMANTIC_CLASSES": ("state.world_state", "SEMANTIC_CLASSES"),
    "heights_at": ("state.world_state", "heights_at"),
    "water_at": ("state.world_state", "water_at"),
    "Timeline": ("state.timeline", "Timeline"),
    "SUFFIX": ("state.store", "SUFFIX"),
    "WorldFileError": ("state.store", "WorldFileError"),
    "load_world": ("state.store", "load_world"),
    "save_world": ("state.store", "save_world"),
    "WorldSpec": ("prompt.spec", "WorldSpec"),
    "STYLES": ("prompt.concepts", "STYLES"),
    "WEATHERS": ("prompt.concepts", "WEATHERS"),
    "spec_from_prompt": ("prompt.understand", "spec_from_prompt"),
    "TEXT_ENCODER": ("prompt.embed", "TEXT_ENCODER"),
    "load_encoder": ("prompt.embed", "load_encoder"),
    "GenerateConfig": ("generate.world", "GenerateConfig"),
    "generate_world": ("generate.world", "generate_world"),
    "afloat_note": ("generate.boats", "afloat_note"),
    "apply_edits": ("edit.operations", "apply_edits"),
    "check_edits": ("edit.operations", "check_edits"),
    "set_time": ("edit.operations", "set_time"),
    "set_weather": ("edit.operations", "set_weather"),
    "import_mesh": ("edit.meshimport", "import_mesh"),
    "MESH_PLACES": ("edit.meshimport", "PLACES"),
    "MAX_SCRIPT_CHARS": ("actions.parse", "MAX_SCRIPT_CHARS"),
    "MAX_EVENTS": ("actions.events", "MAX_EVENTS"),
    "events_help": ("actions.forms", "events_help"),
    "parse_json": ("actions.parse", "parse_json"),
    "check_script": ("actions.parse", "check_script"),
    "check_size": ("actions.parse", "check_size"),
    "SIZE_FIX": ("actions.parse", "SIZE_FIX"),
    "parse_lines": ("actions.parse", "parse_lines"),
    "parse_script": ("actions.parse", "parse_script"),
    "SimSettings": ("simulate.run", "SimSettings"),
    "WorldSession": ("simulate.run", "WorldSession"),
    "SessionSnapshot": ("simulate.run", "SessionSnapshot"),
    "FrameSample": ("simulate.run", "FrameSample"),
    "run_simulation": ("simulate.run", "simulate"),
    "Camera": ("geometry.camera", "Camera"),
    "ViewSettings": ("camera.framing", "ViewSettings"),
    "vec3": ("geometry.camera", "vec3"),
    "camera_from_key": ("geometry.camera", "camera_from_key"),
    "establishing_shot": ("camera.framing", "establishing_shot"),
    "frame_shot": ("camera.framing", "frame_shot"),
    "Framing": ("camera.framing", "Framing"),
    "PRODUCT_SIDES": ("camera.framing", "PRODUCT_SIDES"),
    "lift_above_ground": ("geometry.camera", "lift_above_ground"),
    "ASPECTS": ("camera.path", "ASPECTS"),
    "EASINGS": ("camera.path", "EASINGS"),
    "FPS_CHOICES": ("camera.path", "FPS_CHOICES"),
    "RESOLUTIONS": ("camera.path", "RESOLUTIONS"),
    "RESOLUTION_CHOICES": ("camera.path", "RESOLUTION_CHOICES"),
    "ShotSettings": ("camera.path", "ShotSettings"),
    "CameraPathError": ("camera.path", "CameraPathError"),
    "PathSamples": ("camera.path", "PathSamples"),
    "Shot": ("camera.path", "Shot"),
    "camera_at": ("camera.path", "camera_at"),
    "frame_size": ("camera.path", "frame_size"),
    "frame_times": ("camera.path", "frame_times"),
    "keep_clear": ("camera.path", "keep_clear"),
    "parse_keys": ("camera.path", "parse_keys"),
    "path_from_keys": ("camera.path", "path_from_keys"),
    "sample_keys": ("camera.path", "sample_keys"),
    "to_camera_path": ("camera.path", "to_camera_path"),
    "FOLLOW_MODES": ("camera.presets", "FOLLOW_MODES"),
    "PRESETS": ("camera.presets", "PRESETS"),
    "PresetSettings": ("camera.presets", "PresetSettings"),
    "FollowSettings": ("camera.presets", "FollowSettings"),
    "follow_samples": ("camera.presets", "follow_samples"),
    "preset_samples": ("camera.presets", "preset_samples"),
    "blank_map": ("camera.map", "blank_map"),
    "top_down_map": ("camera.map", "top_down_map"),
    "FilmSettings": ("refine.film", "FilmSettings"),
    "check_model_name": ("refine.film", "check_model_name"),
    "check_controlnet_name": ("refine.film", "check_controlnet_name"),
    "refine_image": ("refine.film", "refine"),
    "model_stamp": ("refine.film", "model_stamp"),
    "ModelError": ("refine.models", "ModelError"),
    "models_dir": ("refine.models", "models_dir"),
    "Renderer": ("render.renderer", "Renderer"),
    "RenderSettings": ("render.renderer", "RenderSettings"),
    "RENDERER": ("render.renderer", "RENDERER"),
    "SequenceSettings": ("render.sequence", "SequenceSettings"),
    "render_sequence": ("render.sequence", "render_sequence"),
    "AudioSettings": ("audio.ambience", "AudioSettings"),
    "ambience": ("audio.ambience", "ambience"),
}

__all__ = [
    "FrameSample",
    "SessionSnapshot",
    "WorldSession",
    "RENDERER",
    "TEXT_ENCODER",
    "ASPECTS",
    "AudioSettings",
    "Camera",
    "CameraPathError",
    "EASINGS",
    "FilmSettings",
    "ModelError",
    "check_controlnet_name",
    "check_model_name",
    "model_stamp",
    "models_dir",
    "refine_image",
    "FOLLOW_MODES",
    "FPS_CHOICES",
    "FollowSettings",
    "Framing",
    "GenerateConfig",
    "afloat_note",
    "INSTANCE_KINDS",
    "MATERIALS",
    "MAX_EVENTS",
    "MESH_PLACES",
    "MAX_SCRIPT_CHARS",
    "SIZE_FIX",
    "PRESETS",
    "PRODUCT_SIDES",
    "PathSamples",
    "PresetSettings",
    "RESOLUTIONS",
    "RESOLUTION_CHOICES",
    "RenderSettings",
    "Renderer",
    "SEMANTIC_CLASSES",
    "STYLES",
    "SUFFIX",
    "SequenceSettings",
    "Shot",
    "ShotSettings",
    "SimSettings",
    "Timeline",
    "ViewSettings",
    "WEATHERS",
    "WorldFileError",
    "WorldSpec",
    "WorldState",
    "ambience",
    "apply_edits",
    "blank_map",
    "camera_at",
    "camera_from_key",
    "check_edits",
    "check_script",
    "check_size",
    "events_help",
    "establishing_shot",
    "frame_shot",
    "follow_samples",
    "frame_size",
    "frame_times",
    "generate_world",
    "load_encoder",
    "heights_at",
    "import_mesh",
    "keep_clear",
    "lift_above_ground",
    "load_world",
    "parse_json",
    "parse_keys",
    "path_from_keys",
    "parse_lines",
    "parse_script",
    "preset_samples",
    "render_sequence",
    "run_simulation",
    "sample_keys",
    "save_world",
    "set_time",
    "set_weather",
    "spec_from_prompt",
    "to_camera_path",
    "top_down_map",
    "vec3",
    "water_at",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
