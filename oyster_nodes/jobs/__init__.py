"""Headless jobs: the durable SQLite job store that the editor server (and later workers and schedules) run from."""

from .records import FINISHED, EventKind, InterruptedPolicy, JobEvent, JobRecord, JobState, Lease
from .store import JobStore, LeaseLost, StoreError, new_job_id

__all__ = ["FINISHED", "EventKind", "InterruptedPolicy", "JobEvent", "JobRecord", "JobState", "JobStore", "Lease",
           "LeaseLost", "StoreError", "new_job_id"]
