"""Where exports land: name templates, confinement to the output folder, atomic writes, the run manifest.

Every file an export writes goes through an `OutputFolder`:
- its name comes from a template ({workflow}, {node}, {seed}, {date}, {time}, {frame:04d}) whose
  substituted values are reduced to safe file-name characters;
- the path must stay inside the output folder: absolute paths, '..' and symbolic links that lead
  outside are refused with an ExportError that says which;
- the bytes go to a temporary file in the same folder, which is then renamed into place, so a reader
  never sees half a file;
- an existing file is never replaced unless the policy says "overwrite"; "error" (the default) refuses
  with a clear message, "number" picks the first free name-1.ext, name-2.ext, ...
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import string
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..node import relpath_problem
from ..types import Files

IfExists = Literal["error", "number", "overwrite"]
IF_EXISTS: tuple[str, ...] = ("error", "number", "overwrite")
TEMPLATE_FIELDS: tuple[str, ...] = ("workflow", "node", "seed", "date", "time", "frame")
MANIFEST_FORMAT = "oyster-manifest"
MANIFEST_VERSION = 1
_UNSAFE = re.compile(r"(?:[^A-Za-z0-9._-]|\.{2,})+")
_MAX_NUMBERED = 10_000


class ExportError(ValueError):
    """An export that cannot be written as asked; the message says why and how to fix it."""


# ------------------------------------------------------------------------------------- templates


@dataclass(kw_only=True, slots=True)
class NameFields:
    """The values a name template may use."""

    workflow: str = "workflow"
    node: str = "node"
    seed: int = 0
    when: dt.datetime = field(default_factory=dt.datetime.now)

    def values(self, frame: int | None) -> dict[str, Any]:
        return {"workflow": safe_name(self.workflow), "node": safe_name(self.node), "seed": int(self.seed),
                "date": self.when.strftime("%Y%m%d"), "time": self.when.strftime("%H%M%S"), "frame": frame}


def safe_name(text: str, fallback: str = "untitled") -> str:
    """A value reduced to letters, digits, '.', '_' and '-', never starting with a dot."""
    cleaned = re.sub("_+", "_", _UNSAFE.sub("_", str(text))).strip("._-")[:80]
    return cleaned or fallback


def template_fields(template: str) -> set[str]:
    """The field names a template uses; raises ExportError for anything but the known plain fields."""
    used: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ExportError(f"name template {template!r} is malformed: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            raise ExportError(f"name template {template!r} uses {{{name}}}; "
                              f"allowed fields: {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}")
        if conversion or (spec and name not in ("frame", "seed")) or "{" in (spec or ""):
            raise ExportError(f"name template {template!r}: only {{frame}} and {{seed}} take a format such as :04d")
        used.add(name)
    return used


def render_name(template: str, fields: NameFields, *, frame: int | None = None) -> str:
    """The relative path a template gives; refuses results that would leave the output folder."""
    used = template_fields(template)
    if "frame" in used and frame is None:
        raise ExportError(f"name template {template!r} uses {{frame}}, which only image sequences provide")
    try:
        name = template.format(**fields.values(frame))
    except (ValueError, TypeError) as exc:
        raise ExportError(f"name template {template!r} cannot be filled: {exc}") from None
    problem = relpath_problem(name)
    if problem:
        raise ExportError(f"name template {template!r} gives a path that {problem}")
    return name


def require_frame_field(template: str) -> None:
    """Sequences need {frame} in their name, or every frame would get the same file."""
    if "frame" not in template_fields(template):
        raise ExportError(f"name template {template!r} has no {{frame}} field: add one, e.g. 'shot_{{frame:04d}}.png'")


# ----------------------------------------------------------------------------------- confinement


def confined_path(root: Path, relative: str) -> Path:
    """`relative` inside `root`, refusing absolute paths, '..' and symbolic links that lead outside."""
    problem = relpath_problem(relative)
    if problem:
        raise ExportError(f"export path {problem}")
    base = root.resolve()
    current = base
    for part in Path(relative).parts:
        current = current / part
        if current.is_symlink():
            target = current.resolve()
            if target != base and base not in target.parents:
                raise ExportError(f"export path {relative!r} goes through the symbolic link "
                                  f"'{current.relative_to(base)}', which leads outside the output folder")
    target = (base / relative).resolve()
    if target == base or base not in target.parents:
        raise ExportError(f"export path {relative!r} leaves the output folder")
    return base / relative


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def numbered(relative: str, k: int) -> str:
    """name.ext → name-k.ext (the suffix goes before the last extension)."""
    p = Path(relative)
    return str(p.with_name(f"{p.stem}-{k}{p.suffix}"))


# ---------------------------------------------------------------------------------------- writing


@dataclass(kw_only=True, slots=True)
class OutputFolder:
    """Writes files inside one output folder, atomically, and remembers what it wrote."""

    root: Path
    if_exists: IfExists = "error"
    paths: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.if_exists not in IF_EXISTS:
            raise ExportError(f"if_exists must be one of {', '.join(IF_EXISTS)}, got {self.if_exists!r}")
        self.root = Path(self.root)
        self.root.mkdir(parents=True, exist_ok=True)

    def claim(self, relative: str) -> str:
        """The relative name to write to under the policy (checks confinement and existence)."""
        path = confined_path(self.root, relative)
        if not os.path.lexists(path) or self.if_exists == "overwrite":
            if path.is_dir() and not path.is_symlink():
                raise ExportError(f"export path {relative!r} is a folder; give a file name")
            return relative
        if self.if_exists == "error":
            raise ExportError(f"'{relative}' already exists in the output folder: set overwrite to replace it, "
                              "or put {date}/{time} or {seed} in the name template")
        for k in range(1, _MAX_NUMBERED):
            candidate = numbered(relative, k)
            if not os.path.lexists(confined_path(self.root, candidate)):
                return candidate
        raise ExportError(f"no free numbered name for {relative!r} after {_MAX_NUMBERED} tries")

    def claim_all(self, relatives: Sequence[str]) -> list[str]:
        """Check a whole set before writing any of it, so a refused sequence leaves nothing half-written.

        Under "number" the whole set gets the same suffix (shot_0001-1.png, shot_0002-1.png, ...)."""
        if len(set(relatives)) != len(relatives):
            raise ExportError("the name template gives the same file name twice: add {frame} to it")
        if self.if_exists != "number":
            return [self.claim(r) for r in relatives]
        for k in range(_MAX_NUMBERED):
            names = list(relatives) if k == 0 else [numbered(r, k) for r in relatives]
            if not any(os.path.lexists(confined_path(self.root, n)) for n in names):
                return names
        raise ExportError(f"no free numbered names for {relatives[0]!r} and the rest of its set")

    @contextlib.contextmanager
    def writing(self, relative: str, *, claimed: bool = False) -> Iterator[Path]:
        """Yields a temporary path next to the target; renames it into place when the block succeeds."""
        name = relative if claimed else self.claim(relative)
        final = confined_path(self.root, name)
        final.parent.mkdir(parents=True, exist_ok=True)
        confined_path(self.root, name)  # the folders just made must not have been swapped for links
        tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:12]}.tmp{final.suffix}")
        try:
            yield tmp
            self._commit(tmp, final, name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def write_bytes(self, relative: str, data: bytes, *, claimed: bool = False) -> str:
        """Write bytes atomically; returns the relative name actually used."""
        with self.writing(relative, claimed=claimed) as tmp:
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        return self.paths[-1]

    def write_text(self, relative: str, text: str, *, claimed: bool = False) -> str:
        return self.write_bytes(relative, text.encode("utf-8"), claimed=claimed)

    def _commit(self, tmp: Path, final: Path, name: str) -> None:
        if not tmp.is_file():
            raise ExportError(f"the writer for {name!r} produced no file")
        digest = sha256_file(tmp)
        if self.if_exists == "overwrite":
            os.replace(tmp, final)
        else:
            _publish_no_clobber(tmp, final, name)
        self.paths.append(name)
        self.hashes.append(digest)

    def files(self) -> Files:
        return Files(root=str(self.root), paths=list(self.paths), hashes=list(self.hashes))


def _publish_no_clobber(tmp: Path, final: Path, name: str) -> None:
    """Move tmp to final only if final does not exist, atomically where the file system allows links."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise ExportError(f"'{name}' appeared in the output folder while it was being written; "
                          "nothing was replaced") from None
    except OSError:
        if os.path.lexists(final):
            raise ExportError(f"'{name}' already exists in the output folder; nothing was replaced") from None
        os.replace(tmp, final)
        return
    tmp.unlink()


# --------------------------------------------------------------------------------------- manifest


def workflow_json(workflow: Any) -> str | None:
    """The exact workflow JSON to embed: a Workflow's canonical JSON, or text as given."""
    if workflow is None:
        return None
    if isinstance(workflow, bytes):
        return workflow.decode("utf-8")
    if isinstance(workflow, str):
        return workflow
    return str(workflow.to_json())


def workflow_key(workflow: Any) -> str | None:
    """sha256 of the workflow's canonical JSON: equal workflows have equal keys."""
    text = workflow_json(workflow)
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _workflow_name(workflow: Any) -> str:
    meta = getattr(workflow, "metadata", None)
    if meta is not None:
        return str(meta.name)
    text = workflow_json(workflow)
    try:
        return str(json.loads(text)["metadata"]["name"]) if text else ""
    except (ValueError, KeyError, TypeError):
        return ""


def _manifest_entries(root: Path, files: Sequence[Files]) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for group in files:
        given = dict(zip(group.paths, group.hashes, strict=False))
        for rel in group.paths:
            absolute = (Path(group.root) / rel).resolve()
            inside = absolute.relative_to(root) if root in absolute.parents else None
            if inside is None:
                raise ExportError(f"manifest: {absolute} is not inside the output folder {root}")
            key = inside.as_posix()
            if not absolute.is_file():
                raise ExportError(f"manifest: '{key}' was listed as written but is missing")
            digest = sha256_file(absolute)
            entry = {"path": key, "sha256": digest, "bytes": absolute.stat().st_size}
            if rel in given and given[rel] and given[rel] != digest:
                entry["changed_after_export"] = True
            entries[key] = entry
    return [entries[k] for k in sorted(entries)]


def write_manifest(out_dir: str | Path, files: Sequence[Files], workflow: Any, *,
                   name: str = "manifest-{date}-{time}.json") -> Path:
    """Write the run's manifest (every file with its sha256 and size, and the workflow's key).

    The name is a template ({date}, {time}, {workflow}); an existing manifest is never replaced: a
    numbered name is used instead. Returns the manifest's path."""
    folder = OutputFolder(root=Path(out_dir), if_exists="number")
    root = folder.root.resolve()
    fields = NameFields(workflow=_workflow_name(workflow) or "workflow", node="manifest")
    document = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "created": fields.when.astimezone().isoformat(timespec="seconds"),
        "workflow": {"name": _workflow_name(workflow), "key": workflow_key(workflow)},
        "files": _manifest_entries(root, files),
    }
    rel = folder.write_text(render_name(name, fields), json.dumps(document, indent=2) + "\n")
    return root / rel


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest written by write_manifest, checked for its format."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path} is not an Oyster Nodes manifest")
    return data
