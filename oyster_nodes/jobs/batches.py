"""Batches as jobs: each variant of `oyster batch --submit` becomes a job in the workspace's store, under a batch
id and a key per variant, so the batch survives any crash (of the submitter, a worker or the server) and
submitting the same batch again adds only the variants that are missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..io.files import safe_name
from .records import FINISHED, JobRecord
from .store import JobStore


def default_folder(workflow_name: str) -> str:
    """Where a submitted batch writes unless told: batch/<workflow name>, the same from the CLI and the editor."""
    return f"batch/{safe_name(workflow_name.removesuffix('.json'))}"


@dataclass(kw_only=True, slots=True)
class Submitted:
    index: int
    label: str
    record: JobRecord
    added: bool


def batch_id(workflow_json: str, labels: Sequence[str], folder: str) -> str:
    """The same workflow, variants and folder always make the same id."""
    text = json.dumps([workflow_json, list(labels), folder], separators=(",", ":"))
    return "b" + hashlib.sha256(text.encode()).hexdigest()[:20]


def submit_variants(store: JobStore, *, batch: str, name: str, variants: Sequence[tuple[int, str, str]],
                    owner: str = "batch") -> list[Submitted]:
    """Submit (index, label, workflow JSON) variants; one already in the store under the batch's key is kept."""
    out = []
    for index, label, workflow in variants:
        record, added = store.submit_once(name=f"{name} #{index + 1} {label}"[:200], owner=owner, workflow=workflow,
                                          key=f"{batch}:{index}", batch=batch)
        out.append(Submitted(index=index, label=label, record=record, added=added))
    return out


def batch_states(store: JobStore, batch: str) -> dict[str, JobRecord]:
    return {r.id: r for r in store.list(limit=1_000_000, batch=batch)}


def all_finished(records: dict[str, JobRecord]) -> bool:
    return all(r.state in FINISHED for r in records.values())
