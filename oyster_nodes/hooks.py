"""Observers of a run: progress, timing, cache hits and errors wrap node execution from outside.

Every method takes keyword arguments only and does nothing by default; subclass what you need.
Every event carries `run_id`, the id of the run it belongs to (RunResult.run_id); a hook whose
method does not declare it (or **kwargs) is called without it. A hook that raises is reported as a
HookError on the run's result and is not called again in that run; it never changes a node's
outcome. Hooks are called from worker threads, so keep them quick and thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cache import CacheStats
    from .executor import NodeRecord


class Hook:
    def run_started(self, *, run_id: str = "", records: Mapping[str, NodeRecord], targets: Sequence[str]) -> None:
        """The plan is made: records say which nodes are cached and which are queued."""

    def node_started(self, *, run_id: str = "", record: NodeRecord) -> None:
        """A node begins to run."""

    def node_progress(self, *, run_id: str = "", node_id: str, fraction: float, message: str) -> None:
        """A long node reports how far it is (0..1) and what it is doing."""

    def node_finished(self, *, run_id: str = "", record: NodeRecord) -> None:
        """A node is done, failed, skipped or cancelled; record.seconds holds its time."""

    def run_finished(self, *, run_id: str = "", records: Mapping[str, NodeRecord], stats: CacheStats) -> None:
        """Every planned node has an end status; `stats` are the cache's counters after the run."""


class EventLog(Hook):
    """Collects (event, node id, detail) tuples; what the server streams and tests assert on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []
        #: the run ids the events came with
        self.run_ids: set[str] = set()
        self._lock = threading.Lock()

    def _add(self, event: str, node_id: str, detail: Any = None, run_id: str = "") -> None:
        with self._lock:
            self.events.append((event, node_id, detail))
            self.run_ids.add(run_id)

    def node_started(self, *, run_id: str = "", record: NodeRecord) -> None:
        self._add("started", record.node_id, run_id=run_id)

    def node_progress(self, *, run_id: str = "", node_id: str, fraction: float, message: str) -> None:
        self._add("progress", node_id, (fraction, message), run_id)

    def node_finished(self, *, run_id: str = "", record: NodeRecord) -> None:
        self._add(record.status, record.node_id, record.seconds, run_id)

    def run_finished(self, *, run_id: str = "", records: Mapping[str, NodeRecord], stats: CacheStats) -> None:
        self._add("run_finished", "", stats, run_id)

    def of(self, event: str) -> list[str]:
        return [n for e, n, _ in self.events if e == event]
