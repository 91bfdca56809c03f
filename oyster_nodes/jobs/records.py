"""The job store's records: a job, a lease on one of its runs, and the events of its life. Typed and versioned.

A job's `state` moves queued -> running -> done | error | cancelled. A run that stops without finishing (its
process died, or the server was stopped mid-run) is `interrupted`: an event, after which the job is queued
again or failed, by the store's policy. Each run holds a lease: its owner, an expiry and a fencing token that
grows with every claim, so a run that lost its lease can no longer write anything about the job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: version of the stored job and event records; bumped when their fields change meaning
RECORD_VERSION = 1


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"


FINISHED = (JobState.DONE, JobState.ERROR, JobState.CANCELLED)


class EventKind(StrEnum):
    """What happened to a job. `submitted` is its queueing; `finished` ends every run that ends, its `state` saying
    done, error (failed) or cancelled, so a job has one `finished` per time it was run to an end."""

    SUBMITTED = "submitted"
    LEASED = "leased"
    NODE = "node"
    CANCEL_REQUESTED = "cancel_requested"
    INTERRUPTED = "interrupted"
    REQUEUED = "requeued"
    FINISHED = "finished"
    #: the run's graph was built and the executor started (attempt, fence)
    STARTED = "started"
    #: a node's progress, at most about once a second per node
    PROGRESS = "progress"
    #: the run decided its outputs (fenced): from here they are renamed into place, by it or by whoever resumes it
    COMMITTING = "committing"
    #: one output file is in its final place (path, sha256, bytes)
    OUTPUT = "output"
    #: a finished job that failed or was cancelled was queued again by a user
    RETRIED = "retried"


class InterruptedPolicy(StrEnum):
    """What a restarted store does with a run whose owner died: queue it again (up to max attempts) or fail it."""

    REQUEUE = "requeue"
    FAIL = "fail"


@dataclass(kw_only=True, slots=True)
class JobRecord:
    id: str
    name: str
    owner: str
    workflow: str
    state: JobState = JobState.QUEUED
    version: int = RECORD_VERSION
    created: float = 0.0
    started: float | None = None
    finished: float | None = None
    message: str = ""
    attempts: int = 0
    max_attempts: int = 3
    lease_owner: str | None = None
    lease_expires: float | None = None
    fence: int = 0
    cancel_requested: bool = False
    #: the final state of each node (status, seconds, public error, previews), written when the run ends
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: files the run wrote, relative to the output folder
    outputs: list[str] = field(default_factory=list)
    #: the number of the job's latest event: grows whenever anything about the job changes
    seq: int = 0
    #: an idempotency key: a second submit with the same key returns this job instead of making another
    key: str | None = None
    #: the batch the job belongs to ("" for none)
    batch: str = ""
    #: outputs decided by a run but not yet all renamed into place: [{staged, final, sha256, bytes, replace}]
    commit: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for s in self.nodes.values():
            counts[s.get("status", "queued")] = counts.get(s.get("status", "queued"), 0) + 1
        end = self.finished or self.started
        return {"id": self.id, "name": self.name, "owner": self.owner, "state": str(self.state),
                "created": self.created, "message": self.message, "counts": counts, "attempts": self.attempts,
                "version": self.seq, "batch": self.batch, "key": self.key,
                "seconds": round(end - self.started, 3) if self.started and end else 0.0, "outputs": self.outputs}


@dataclass(kw_only=True, slots=True, frozen=True)
class Lease:
    """The right to run one attempt of a job; every write about the run names its fence."""

    job_id: str
    owner: str
    fence: int
    attempt: int
    expires: float


@dataclass(kw_only=True, slots=True, frozen=True)
class JobEvent:
    seq: int
    job_id: str
    at: float
    kind: EventKind
    body: dict[str, Any]
    version: int = RECORD_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "job": self.job_id, "at": self.at, "kind": str(self.kind), "version": self.version,
                "body": self.body}


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# ---------------------------------------------------------------------------------------- typed event bodies
@dataclass(kw_only=True, slots=True, frozen=True)
class Submitted:
    name: str
    owner: str


@dataclass(kw_only=True, slots=True, frozen=True)
class Leased:
    owner: str
    attempt: int
    fence: int


@dataclass(kw_only=True, slots=True, frozen=True)
class Started:
    attempt: int
    fence: int
    nodes: int = 0


@dataclass(kw_only=True, slots=True, frozen=True)
class NodeState:
    node: str
    status: str
    fence: int = 0
    seconds: float = 0.0


@dataclass(kw_only=True, slots=True, frozen=True)
class Progress:
    node: str
    fraction: float
    fence: int
    message: str = ""


@dataclass(kw_only=True, slots=True, frozen=True)
class Committing:
    fence: int
    files: int


@dataclass(kw_only=True, slots=True, frozen=True)
class OutputWritten:
    path: str
    sha256: str
    bytes: int
    fence: int


@dataclass(kw_only=True, slots=True, frozen=True)
class Finished:
    state: str
    message: str = ""
    fence: int = 0


@dataclass(kw_only=True, slots=True, frozen=True)
class Interrupted:
    attempt: int
    reason: str


@dataclass(kw_only=True, slots=True, frozen=True)
class Requeued:
    attempt: int


@dataclass(kw_only=True, slots=True, frozen=True)
class Retried:
    previous: str


@dataclass(kw_only=True, slots=True, frozen=True)
class CancelRequested:
    pass


EventBody = (Submitted | Leased | Started | NodeState | Progress | Committing | OutputWritten | Finished
             | Interrupted | Requeued | Retried | CancelRequested)
BODY_TYPES: dict[EventKind, type] = {
    EventKind.SUBMITTED: Submitted, EventKind.LEASED: Leased, EventKind.STARTED: Started, EventKind.NODE: NodeState,
    EventKind.PROGRESS: Progress, EventKind.COMMITTING: Committing, EventKind.OUTPUT: OutputWritten,
    EventKind.FINISHED: Finished, EventKind.INTERRUPTED: Interrupted, EventKind.REQUEUED: Requeued,
    EventKind.RETRIED: Retried, EventKind.CANCEL_REQUESTED: CancelRequested}


def typed_body(event: JobEvent) -> EventBody:
    """The event's body as its dataclass; fields a later version added are ignored, missing ones take defaults."""
    cls = BODY_TYPES[event.kind]
    names = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    return cls(**{k: v for k, v in event.body.items() if k in names})
