"""Headless jobs: the durable SQLite job store, the runner that publishes outputs exactly once, and the worker.

The editor server (`oyster serve`), headless workers (`oyster worker`) and batches (`oyster batch --submit`) all
run from one store file per workspace. Nothing here imports the UI.
"""

from .records import FINISHED, EventKind, InterruptedPolicy, JobEvent, JobRecord, JobState, Lease, typed_body
from .store import JobStore, LeaseLost, StoreError, new_job_id

__all__ = ["FINISHED", "EventKind", "InterruptedPolicy", "JobEvent", "JobRecord", "JobState", "JobStore", "Lease",
           "LeaseLost", "StoreError", "new_job_id", "typed_body"]
