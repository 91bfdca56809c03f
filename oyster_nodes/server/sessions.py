"""Per-client editor state: each browser tab keeps its own graph, freed when the tab goes away.

A session holds the graph the tab shows (as the server last received it), where it came from, and
its autosave identity. Replacing the graph bumps `rev`, so a late update from the old graph is
ignored instead of overwriting the new one. `seq` numbers the versions of the journal (the autosave) itself:
it goes on across sessions and server restarts, so a tab that kept a copy the server never acknowledged can
tell whether its copy or the journal is newer.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..graph import validate
from ..registry import Registry
from ..workflow import Problem, Workflow, WorkflowError, parse_data
from .workspace import Workspace


def empty_doc(name: str = "untitled") -> dict[str, Any]:
    return Workflow(metadata={"name": name}).model_dump(mode="json")


@dataclass(kw_only=True, slots=True)
class Session:
    sid: str
    doc: dict[str, Any] = field(default_factory=empty_doc)
    rev: int = 1
    #: the journal version this graph is at (the workspace keeps it next to the autosave)
    seq: int = 0
    doc_id: str = field(default_factory=lambda: secrets.token_hex(6))
    #: where the graph came from: ("template" | "saved" | "autosave" | "upload" | "new", path)
    source: tuple[str, str] = ("new", "")
    #: hash of the saved file this graph was opened from or last saved to
    saved_hash: str | None = None
    saved_name: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    job_id: str | None = None
    seen_version: int = 0
    touched: float = field(default_factory=time.time)

    @property
    def name(self) -> str:
        return str(self.doc.get("metadata", {}).get("name") or "untitled")

    def replace(self, workflow: Workflow, source: tuple[str, str], *, doc_id: str | None = None, seq: int = 0) -> None:
        """Show another graph in this tab (journal `doc_id` at version `seq`); the previous one stays in its autosave."""
        self.doc = workflow.model_dump(mode="json")
        self.rev += 1
        self.seq = seq
        self.doc_id = doc_id or secrets.token_hex(6)
        self.source = source
        self.saved_hash = None
        self.saved_name = None
        self.job_id = None
        self.seen_version = 0

    def workflow(self) -> Workflow:
        return parse_data(self.doc)


class SessionStore:
    """Live sessions by id; the page removes its session when its client is deleted."""

    def __init__(self, *, registry: Registry, workspace: Workspace, initial: tuple[Workflow, str] | None = None):
        self.registry, self.workspace = registry, workspace
        self.initial = initial
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> Session:
        session = Session(sid=secrets.token_urlsafe(24))
        if self.initial is not None:
            workflow, path = self.initial
            session.replace(workflow, ("template", path))
        with self._lock:
            self._sessions[session.sid] = session
        return session

    def get(self, sid: str) -> Session | None:
        return self._sessions.get(sid)

    def drop(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)

    def __len__(self) -> int:
        return len(self._sessions)

    def take_over(self, doc_id: str, sid: str) -> None:
        """Give journal `doc_id` to session `sid`; another (stale or duplicated) tab holding it gets a fresh one."""
        for other in list(self._sessions.values()):
            if other.doc_id == doc_id and other.sid != sid:
                other.doc_id = secrets.token_hex(6)

    def doc_in_use(self, doc_id: str, *, besides: str) -> bool:
        return any(s.doc_id == doc_id and s.sid != besides for s in list(self._sessions.values()))

    def update(self, session: Session, rev: int, doc: Any, seq: int | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Take the browser's graph (journal version `seq`, else the next): schema-check, validate, autosave.
        Returns (problems, autosaved)."""
        if rev != session.rev:
            raise StaleRevision(session.rev)
        if seq is not None and seq <= session.seq:
            raise StaleVersion(session.seq)
        workflow = parse_data(doc, source="graph")
        session.doc = self.canonical(workflow.model_dump(mode="json"))
        workflow = parse_data(session.doc, source="graph")
        session.touched = time.time()
        session.problems = [p.to_dict() for p in validate(workflow, self.registry)]
        session.seq = seq if seq is not None else session.seq + 1
        autosaved = self.workspace.autosave(session.doc_id, workflow, seq=session.seq)
        return session.problems, autosaved

    def canonical(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Float parameters as floats: JSON from the browser writes 2.0 as 2, and a save must not change bytes."""
        for node in doc.get("nodes", []):
            cls = self.registry.get(node.get("type", ""))
            params = node.get("params") or {}
            for param in cls.params if cls is not None else ():
                value = params.get(param.name)
                if param.type is float and isinstance(value, int) and not isinstance(value, bool):
                    params[param.name] = float(value)
        return doc

    def problems_of(self, workflow: Workflow) -> list[Problem]:
        try:
            return validate(workflow, self.registry)
        except WorkflowError as exc:
            return exc.problems


class StaleRevision(Exception):
    """An update for a graph the tab no longer shows."""

    def __init__(self, current: int):
        self.current = current
        super().__init__(f"the graph was replaced (now revision {current})")


class StaleVersion(Exception):
    """A write of a journal version the journal already holds or has passed (a request that arrived late)."""

    def __init__(self, current: int):
        self.current = current
        super().__init__(f"the journal already holds a newer version of this graph (version {current})")
