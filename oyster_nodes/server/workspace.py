"""The folders the editor reads and writes: templates, saved workflows, autosaves, recents, outputs.

Every path that comes from a browser is resolved inside one of these folders or refused. Files are
written to a temporary name and renamed, and a save never replaces a file it did not open without
the caller saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..workflow import Workflow, WorkflowError, load

STATE_DIR = ".oyster"
MAX_AUTOSAVES = 50
MAX_RECENT = 20
MAX_LISTED = 1000
MAX_COMPONENT = 255
ODD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\]")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_. -]+")
#: journal (autosave) identities are the session's hex tokens; anything else from a browser is refused
JOURNAL_ID = re.compile(r"[0-9a-f]{8,32}")
STATES_SUFFIX = ".states"
#: the journal version of an autosave, written after it: a crash between the two leaves the older number,
#: so a tab's copy of that same version still counts as newer and is applied (the same graph again)
SEQ_SUFFIX = ".seq"


class PathRefused(ValueError):
    """A path from outside that would leave its folder."""


class SaveConflict(Exception):
    """Saving would replace a file this graph was not opened from."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"{path.name} already exists")


def inside(base: Path, relative: str) -> Path:
    """`relative` resolved inside `base`, or PathRefused."""
    if not relative or len(relative) > 1000 or "\x00" in relative:
        raise PathRefused("give a non-empty path")
    if relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
        raise PathRefused(f"{relative!r} is absolute: give a path inside the folder")
    for part in relative.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT or ODD_CHARACTERS.search(part):
            raise PathRefused("a path component is over 255 bytes or holds control characters")
    root = base.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise PathRefused(f"{relative!r} leaves the folder")
    return target


def shown_path(kind: str, relative: str) -> str:
    """A served file as its problems name it to a client: its folder's kind and its path in there, never the
    absolute path (which is the operator's business)."""
    return f"{kind} {relative!r}"


def safe_name(name: str) -> str:
    """A file name for a workflow title: letters, digits, space, _ . - only, ending in .json."""
    stem = SAFE_NAME.sub("_", name.strip()).strip(" .")[:80] or "untitled"
    return stem if stem.endswith(".json") else f"{stem}.json"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(kw_only=True, slots=True)
class Entry:
    """A workflow the editor can open: a template, a saved file or an autosave."""

    kind: str
    path: str
    name: str
    description: str = ""
    nodes: int = 0
    modified: float = 0.0
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "name": self.name, "description": self.description,
                "nodes": self.nodes, "modified": self.modified, "problem": self.problem}


@dataclass(kw_only=True, slots=True)
class Workspace:
    root: Path
    templates: Path
    outputs: Path
    #: autosave files known to exist after the last prune plus the new ones written since (None: not counted yet)
    _autosave_count: int | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def saved(self) -> Path:
        return self.root / "saved"

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def autosaves(self) -> Path:
        return self.state / "autosave"

    @property
    def previews(self) -> Path:
        return self.state / "previews"

    def folder(self, kind: str) -> Path:
        folders = {"template": self.templates, "saved": self.saved, "autosave": self.autosaves}
        if kind not in folders:
            raise PathRefused(f"unknown kind {kind!r}")
        return folders[kind]

    # ------------------------------------------------------------------ listing
    def list(self, kind: str, *, limit: int | None = None) -> list[Entry]:
        """Entries of one kind, newest first (templates by name); only the newest `limit` files are read."""
        folder = self.folder(kind)
        if not folder.is_dir():
            return []
        cap = MAX_LISTED if limit is None else max(0, min(limit, MAX_LISTED))
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[:cap]
        entries = [self._entry(kind, folder, f) for f in files]
        return sorted(entries, key=lambda e: e.name.lower()) if kind == "template" else entries

    def _entry(self, kind: str, folder: Path, path: Path) -> Entry:
        rel = path.relative_to(folder).as_posix()
        entry = Entry(kind=kind, path=rel, name=path.stem, modified=path.stat().st_mtime)
        try:
            wf = load(path, shown=shown_path(kind, rel))
        except WorkflowError as exc:
            entry.problem = str(exc.problems[0]) if exc.problems else "cannot read"
            return entry
        entry.name = wf.metadata.name if wf.metadata.name != "untitled" or kind == "autosave" else path.stem
        entry.description, entry.nodes = wf.metadata.description, len(wf.nodes)
        return entry

    def open(self, kind: str, relative: str) -> tuple[Workflow, str]:
        """The workflow at kind/relative and the hash of its text."""
        path = inside(self.folder(kind), relative)
        workflow = load(path, shown=shown_path(kind, relative))
        return workflow, digest(path.read_text(encoding="utf-8"))

    # ------------------------------------------------------------------ saving
    def save(self, workflow: Workflow, name: str, *, opened_hash: str | None, overwrite: bool = False) -> tuple[str, str]:
        """Write to saved/NAME.json; a different existing file is replaced only with overwrite=True."""
        path = inside(self.saved, safe_name(name))
        text = workflow.to_json()
        if path.exists() and not overwrite and digest(path.read_text(encoding="utf-8")) != opened_hash:
            raise SaveConflict(path)
        write_atomic(path, text)
        self.remember("saved", path.name, workflow.metadata.name)
        return path.name, digest(text)

    def autosave(self, doc_id: str, workflow: Workflow, *, seq: int | None = None) -> bool:
        """Journal the graph (as version `seq` when given); an empty graph is not written."""
        if not workflow.nodes and not workflow.notes:
            return False
        path = self.autosaves / f"{doc_id}.json"
        new = not path.exists()
        write_atomic(path, workflow.to_json())
        if seq is not None:
            write_atomic(path.with_suffix(SEQ_SUFFIX), str(seq))
        # Rewriting an existing autosave cannot push the folder past MAX_AUTOSAVES: prune (a glob and a
        # stat per file) only on the first save and when a new file may take the count past the maximum.
        if self._autosave_count is not None and new:
            self._autosave_count += 1
        if self._autosave_count is None or self._autosave_count > MAX_AUTOSAVES:
            self._autosave_count = self._prune_autosaves()
        return True

    def _prune_autosaves(self) -> int:
        """Keep the newest MAX_AUTOSAVES autosaves (and their run states); returns how many are kept."""
        files = sorted(self.autosaves.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[MAX_AUTOSAVES:]:
            old.unlink(missing_ok=True)
            old.with_suffix(STATES_SUFFIX).unlink(missing_ok=True)
            old.with_suffix(SEQ_SUFFIX).unlink(missing_ok=True)
        return min(len(files), MAX_AUTOSAVES)

    # ------------------------------------------------------------------ the journal of one graph
    def journal(self, doc_id: str) -> str | None:
        """The autosave path (relative) of a journaled graph, or None when there is none."""
        if not JOURNAL_ID.fullmatch(doc_id):
            return None
        return f"{doc_id}.json" if (self.autosaves / f"{doc_id}.json").is_file() else None

    def journal_seq(self, doc_id: str) -> int:
        """The journal version of a graph's autosave (0 when unknown: any kept copy of it is newer)."""
        path = self.autosaves / f"{doc_id}{SEQ_SUFFIX}"
        if not JOURNAL_ID.fullmatch(doc_id) or not path.is_file():
            return 0
        try:
            return max(0, int(path.read_text(encoding="utf-8").strip()[:20]))
        except (OSError, ValueError):
            return 0

    def write_states(self, doc_id: str, states: dict[str, Any]) -> None:
        """The last run's node states (status, time, error, previews) next to the graph's autosave."""
        if JOURNAL_ID.fullmatch(doc_id) and (self.autosaves / f"{doc_id}.json").is_file():
            write_atomic(self.autosaves / f"{doc_id}{STATES_SUFFIX}", json.dumps(states))

    def read_states(self, doc_id: str) -> dict[str, Any]:
        path = self.autosaves / f"{doc_id}{STATES_SUFFIX}"
        if not JOURNAL_ID.fullmatch(doc_id) or not path.is_file():
            return {}
        try:
            states = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return states if isinstance(states, dict) else {}

    # ------------------------------------------------------------------ recent
    def recent(self) -> list[dict[str, Any]]:
        path = self.state / "recent.json"
        try:
            items = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
        except (OSError, ValueError):
            return []
        return [i for i in items if isinstance(i, dict) and {"kind", "path", "name"} <= set(i)][:MAX_RECENT]

    def remember(self, kind: str, relative: str, name: str) -> None:
        items = [i for i in self.recent() if not (i["kind"] == kind and i["path"] == relative)]
        items.insert(0, {"kind": kind, "path": relative, "name": name, "at": time.time()})
        write_atomic(self.state / "recent.json", json.dumps(items[:MAX_RECENT], indent=1))

    # ------------------------------------------------------------------ aliases for node search
    def aliases(self, *extra: Path) -> dict[str, list[str]]:
        """The titles templates give their nodes, by node type: search finds "Orbit" as well as "Camera move"."""
        found: dict[str, set[str]] = {}
        for folder in dict.fromkeys((self.templates, *extra)):
            for path in sorted(folder.glob("*.json"))[:MAX_LISTED] if folder.is_dir() else ():
                try:
                    workflow = load(path)
                except WorkflowError:
                    continue
                for ref in workflow.nodes:
                    title = (ref.editor.title or "").strip() if ref.editor else ""
                    if title:
                        found.setdefault(ref.type, set()).add(title[:80])
        return {t: sorted(titles) for t, titles in found.items()}

    # ------------------------------------------------------------------ files for the pickers
    def files(self, base: Path, *, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        """Files under base (newest first), skipping hidden folders."""
        if not base.is_dir():
            return []
        found: list[dict[str, Any]] = []
        cap = limit * 4
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
            for name in filenames:
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                stat = p.stat()
                found.append({"path": p.relative_to(base).as_posix(), "bytes": stat.st_size, "modified": stat.st_mtime})
                if len(found) >= cap:
                    break
            if len(found) >= cap:
                break  # stop the walk too, not just this folder
        found.sort(key=lambda f: f["modified"], reverse=True)
        return found[:limit]

