"""The local models folder: where user-supplied diffusers weights live, and checks of their layout.

Weights are never downloaded. A model is a folder name under the models folder (`OYSTER_MODELS_DIR`,
default `~/.local/share/oyster-nodes/models`) or a path to a folder; a pipeline folder is what
diffusers' `save_pretrained` writes for a Stable Diffusion pipeline, with weights as safetensors.
Importing this module costs nothing: it needs only the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MODELS_VARIABLE = "OYSTER_MODELS_DIR"
#: the components a Stable-Diffusion-style img2img pipeline folder must hold
PIPELINE_PARTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
PIPELINE_LAYOUT = ("a Stable Diffusion pipeline folder as diffusers' save_pretrained writes it: model_index.json "
                   "and the subfolders unet/, vae/, text_encoder/, tokenizer/, scheduler/, weights as "
                   ".safetensors (e.g. Stable Diffusion 1.5 or SD-Turbo)")
CONTROLNET_LAYOUT = "a ControlNet folder as diffusers' save_pretrained writes it: config.json and a .safetensors file"
_HASH_SUFFIXES = (".safetensors", ".json", ".txt", ".model")


class ModelError(ValueError):
    """A model folder is missing or is not what the node needs; the message names the fix."""


def models_dir() -> Path:
    """The models folder: $OYSTER_MODELS_DIR, else ~/.local/share/oyster-nodes/models."""
    env = os.environ.get(MODELS_VARIABLE, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".local" / "share" / "oyster-nodes" / "models"


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a model folder (checked before any file is looked at), or None."""
    if not name.strip():
        return f"is empty: give the name of a folder under {models_dir()} ({MODELS_VARIABLE}) or a path to one"
    if "\x00" in name:
        return "contains a NUL character"
    if not _is_path(name) and ".." in Path(name).parts:
        return f"leaves the models folder ({name!r}): give a folder name under it, or an absolute path"
    return None


def _is_path(name: str) -> bool:
    return name.startswith(("/", "~", "./")) or Path(name).is_absolute()


def locate(name: str, *, what: str, layout: str) -> Path:
    """The folder a model name means; ModelError saying where to put the weights when there is none."""
    problem = name_problem(name)
    if problem:
        raise ModelError(f"the {what} name {problem}")
    if _is_path(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise ModelError(f"the {what} folder {folder} does not exist: give the path of {layout}")
        return folder.resolve()
    root = models_dir()
    if not root.is_dir():
        raise ModelError(f"there is no models folder at {root}: create it (or set {MODELS_VARIABLE} to another "
                         f"folder) and put {layout} in it, named {name!r}")
    folder = root / name
    if not folder.is_dir():
        have = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        listed = ", ".join(have[:12]) or "none"
        raise ModelError(f"no {what} {name!r} in the models folder {root} (it holds: {listed}): put {layout} "
                         f"at {folder}, or name one of those")
    return folder.resolve()


def check_pipeline(folder: Path) -> None:
    """ModelError unless `folder` is a Stable-Diffusion-style diffusers pipeline with safetensors weights."""
    index = _read_json(folder / "model_index.json", folder, PIPELINE_LAYOUT)
    missing = [part for part in PIPELINE_PARTS if part not in index or not (folder / part).is_dir()]
    if missing:
        raise ModelError(f"{folder} is not a diffusers pipeline folder: it lacks {', '.join(missing)}; it must be "
                         f"{PIPELINE_LAYOUT}")
    for part in ("unet", "vae", "text_encoder"):
        if not any((folder / part).glob("*.safetensors")):
            raise ModelError(f"{folder / part} holds no .safetensors weights (only safetensors are loaded, never "
                             "pickled .bin files): save the pipeline with save_pretrained(safe_serialization=True)")


def weights_variant(folder: Path) -> str | None:
    """"fp16" when the pipeline's UNet holds only half-precision variant files, else None (plain weights)."""
    unet = folder / "unet"
    plain = [p for p in unet.glob("*.safetensors") if ".fp16." not in p.name]
    return "fp16" if not plain and any(unet.glob("*.fp16.safetensors")) else None


def check_controlnet(folder: Path) -> None:
    """ModelError unless `folder` is a diffusers ControlNet with safetensors weights."""
    config = _read_json(folder / "config.json", folder, CONTROLNET_LAYOUT)
    if config.get("_class_name") != "ControlNetModel":
        raise ModelError(f"{folder} is not a ControlNet folder (its config.json names "
                         f"{config.get('_class_name')!r}): give {CONTROLNET_LAYOUT}")
    if not any(folder.glob("*.safetensors")):
        raise ModelError(f"{folder} holds no .safetensors weights: give {CONTROLNET_LAYOUT}")


def _read_json(path: Path, folder: Path, layout: str) -> dict[str, object]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{folder} has no {path.name}: it must be {layout}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} cannot be read ({exc}): it must be {layout}") from None
    if not isinstance(doc, dict):
        raise ModelError(f"{path} is not a JSON object: it must be {layout}")
    return doc


def _model_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _HASH_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def folder_stamp(folder: Path) -> str:
    """A cheap digest of the names, sizes and modification times of a model folder's files."""
    parts = [str(folder)]
    for p in _model_files(folder):
        st = p.stat()
        parts.append(f"{p.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=10).hexdigest()


def content_digest(folder: Path) -> str:
    """blake2b of every weight, config and vocabulary file of a model folder (names and bytes), hex."""
    h = hashlib.blake2b(digest_size=16)
    for p in _model_files(folder):
        h.update(str(p.relative_to(folder).as_posix()).encode() + b"\0")
        with p.open("rb") as f:
            while chunk := f.read(8 << 20):
                h.update(chunk)
    return h.hexdigest()
