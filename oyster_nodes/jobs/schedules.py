"""Schedules: cron expressions on saved workflows that enqueue jobs into the job store, never run them.

A schedule holds a snapshot of its workflow (taken and validated when it is added; add it again to pick up an
edit), a five-field cron expression, an IANA time zone (UTC by default) and a missed-run policy. Its own table
lives in the job store's SQLite file. APScheduler's CronTrigger parses the expression and computes fire times;
nothing of APScheduler's in-memory scheduler state is used: each schedule stores the time of the last fire it
handled, and a tick enqueues what fell due since then, so a restart after any downtime is decided by the policy:

- ``skip``: fires missed by more than the grace period are skipped (recorded), only a fire inside it runs;
- ``once``: however many fires were missed, one job runs, for the latest of them;
- ``catch-up`` with N: the latest N missed fires each run (oldest first); older ones are skipped.

A fire inside the grace period (``GRACE_S``, a late tick or a short pause) is on time and always runs. A fire's
job id is derived from the schedule and the fire time, so two scheduler loops on one store (the server and a
headless ``oyster schedule serve``) or a loop that dies between enqueueing and recording enqueue each fire once.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .store import JobStore

if TYPE_CHECKING:  # APScheduler is imported when a cron expression is read, not by `oyster run`'s parser
    from apscheduler.triggers.cron import CronTrigger

SCHEDULE_VERSION = 1
#: a fire this late is still on time (a tick that came late, a short pause of the process)
GRACE_S = 60.0
#: at most this many missed fires are looked at after a long downtime (older ones count as skipped)
MAX_MISSED = 1000
#: the loop wakes at least this often, so schedules added by other processes are seen
POLL_S = 30.0
SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, source TEXT NOT NULL,
  workflow TEXT NOT NULL, cron TEXT NOT NULL, timezone TEXT NOT NULL, policy TEXT NOT NULL,
  catch_up INTEGER NOT NULL, created REAL NOT NULL, last_fire REAL);
CREATE TABLE IF NOT EXISTS schedule_fires (
  schedule_id TEXT NOT NULL, fire_time REAL NOT NULL, outcome TEXT NOT NULL, job_id TEXT, at REAL NOT NULL,
  PRIMARY KEY (schedule_id, fire_time));
"""


class ScheduleError(ValueError):
    """A schedule that cannot be made or found; the message names the field and the fix."""


class MissedPolicy(StrEnum):
    SKIP = "skip"
    ONCE = "once"
    CATCH_UP = "catch-up"


@dataclass(kw_only=True, slots=True, frozen=True)
class Schedule:
    id: str
    name: str
    source: str
    workflow: str
    cron: str
    timezone: str
    policy: MissedPolicy
    catch_up: int
    created: float
    last_fire: float | None
    version: int = SCHEDULE_VERSION

    def trigger(self) -> CronTrigger:
        return cron_trigger(self.cron, self.timezone)

    def next_fire(self, now: float) -> float | None:
        """The first fire after the last one handled (or after its creation) that is not before `now`."""
        return next_after(self.trigger(), max(now, self.last_fire or self.created) - 1e-6)

    def policy_text(self) -> str:
        return f"catch-up {self.catch_up}" if self.policy is MissedPolicy.CATCH_UP else str(self.policy)


@dataclass(kw_only=True, slots=True, frozen=True)
class Fire:
    schedule: str
    fire_time: float
    outcome: str  # "enqueued", "skipped" or "duplicate" (another loop enqueued it first)
    job_id: str | None = None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"time zone {name!r} is not an IANA time zone name: give one such as UTC, "
                            "Europe/Paris or America/New_York") from None


def cron_trigger(expression: str, timezone: str = "UTC") -> CronTrigger:
    """APScheduler's trigger for a five-field crontab expression in an IANA time zone."""
    tz = zone(timezone)
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(f"cron {expression!r} has {len(fields)} fields: give five, 'minute hour day month "
                            "weekday' (e.g. '0 2 * * *' for 02:00 every day)")
    from apscheduler.triggers.cron import CronTrigger

    try:
        return CronTrigger.from_crontab(expression, timezone=tz)
    except ValueError as exc:
        raise ScheduleError(f"cron {expression!r}: {exc}; fields are 'minute hour day month weekday' "
                            "(e.g. '*/15 * * * *', '0 2 * * mon-fri')") from None


def next_after(trigger: CronTrigger, after: float) -> float | None:
    """The trigger's first fire strictly after `after` (epoch seconds), or None when it never fires again."""
    start = datetime.fromtimestamp(after, UTC) + timedelta(microseconds=1)
    fire = trigger.get_next_fire_time(None, start.astimezone(trigger.timezone))
    return fire.timestamp() if fire is not None else None


def fires_between(trigger: CronTrigger, after: float, until: float, *, limit: int = MAX_MISSED) -> list[float]:
    """The latest `limit` fire times in (after, until]. After a long downtime only a window before `until` is
    stepped through, doubled until it holds more than `limit` fires, so a minutely schedule a year late costs
    a few thousand steps, not half a million."""
    span = 3600.0
    while True:
        start = max(after, until - span)
        fires = _fires(trigger, start, until)
        if start == after or len(fires) > limit:
            return fires[-limit:]
        span *= 2


def _fires(trigger: CronTrigger, after: float, until: float) -> list[float]:
    out: list[float] = []
    t = next_after(trigger, after)
    while t is not None and t <= until:
        out.append(t)
        t = next_after(trigger, t)
    return out


def choose(policy: MissedPolicy, catch_up: int, due: list[float], now: float) -> tuple[list[float], list[float]]:
    """The due fires to run and those to skip, by the policy. A fire within GRACE_S of now is on time."""
    on_time = [t for t in due if now - t <= GRACE_S]
    missed = [t for t in due if now - t > GRACE_S]
    if policy is MissedPolicy.SKIP:
        run = on_time
    elif policy is MissedPolicy.ONCE:
        run = due[-1:]
    else:
        run = missed[-catch_up:] + on_time if catch_up else on_time
    return run, [t for t in due if t not in run]


def fire_job_id(schedule_id: str, fire_time: float) -> str:
    """The job id of one fire: the same for every loop that handles it, unguessable as the schedule id is."""
    digest = hashlib.blake2b(f"{schedule_id}@{fire_time:.6f}".encode(), digest_size=16).hexdigest()
    return "j" + digest


class Schedules:
    """Schedules in the job store's file, and the tick that turns due fires into queued jobs."""

    def __init__(self, store: JobStore, *, clock: Callable[[], float] = time.time):
        self.store, self.clock = store, clock
        with self._write() as db:
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)

    # ------------------------------------------------------------------ connection
    def _db(self) -> sqlite3.Connection:
        return self.store.connection()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.store.transaction()

    def close(self) -> None:
        """Close this thread's connection (the store's: schedules live in its file)."""
        self.store.close()

    # ------------------------------------------------------------------ add, list, remove
    def add(self, *, name: str, workflow: str, cron: str, timezone: str = "UTC",
            policy: MissedPolicy | str = MissedPolicy.SKIP, catch_up: int = 0, source: str = "") -> Schedule:
        """A new schedule; its first fire is the first cron time after now. The workflow is a JSON snapshot."""
        policy = _policy(policy)
        cron_trigger(cron, timezone)
        if not name.strip() or len(name) > 100:
            raise ScheduleError(f"schedule name {name!r}: give 1 to 100 characters")
        if policy is MissedPolicy.CATCH_UP and not 1 <= catch_up <= MAX_MISSED:
            raise ScheduleError(f"--catch-up {catch_up}: the catch-up policy runs the latest N missed fires; "
                                f"give N from 1 to {MAX_MISSED}")
        schedule = Schedule(id="s" + secrets.token_hex(16), name=name, source=source, workflow=workflow, cron=cron,
                            timezone=timezone, policy=policy, catch_up=catch_up if policy is MissedPolicy.CATCH_UP
                            else 0, created=self.clock(), last_fire=None)
        try:
            with self._write() as db:
                db.execute("INSERT INTO schedules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (schedule.id, name, SCHEDULE_VERSION, source, workflow, cron, timezone, str(policy),
                            schedule.catch_up, schedule.created, None))
        except sqlite3.IntegrityError:
            raise ScheduleError(f"a schedule named {name!r} exists: remove it first or choose another name") from None
        return schedule

    def list(self) -> list[Schedule]:
        rows = self._db().execute(f"SELECT {COLUMNS} FROM schedules ORDER BY name").fetchall()
        return [_schedule(r) for r in rows]

    def get(self, name: str) -> Schedule:
        row = self._db().execute(f"SELECT {COLUMNS} FROM schedules WHERE name=?", (name,)).fetchone()
        if row is None:
            known = ", ".join(s.name for s in self.list()) or "none"
            raise ScheduleError(f"no schedule named {name!r} (schedules: {known}); see `oyster schedule list`")
        return _schedule(row)

    def remove(self, name: str) -> None:
        schedule = self.get(name)
        with self._write() as db:
            db.execute("DELETE FROM schedules WHERE id=?", (schedule.id,))
            db.execute("DELETE FROM schedule_fires WHERE schedule_id=?", (schedule.id,))

    def fires(self, name: str, *, limit: int = 100) -> list[Fire]:
        schedule = self.get(name)
        rows = self._db().execute("SELECT fire_time, outcome, job_id FROM schedule_fires WHERE schedule_id=? "
                                  "ORDER BY fire_time DESC LIMIT ?", (schedule.id, limit)).fetchall()
        return [Fire(schedule=name, fire_time=r[0], outcome=r[1], job_id=r[2]) for r in reversed(rows)]

    # ------------------------------------------------------------------ firing
    def run_now(self, name: str) -> str:
        """Enqueue the schedule's workflow at once (its cron times are unchanged); returns the job id."""
        schedule = self.get(name)
        return self._enqueue(schedule, self.clock(), job_id=None)

    def tick(self) -> list[Fire]:
        """Enqueue every schedule's fires that fell due since its last handled fire, by its missed-run policy."""
        now = self.clock()
        out: list[Fire] = []
        for schedule in self.list():
            out += self._tick_one(schedule, now)
        return out

    def _tick_one(self, schedule: Schedule, now: float) -> list[Fire]:
        due = fires_between(schedule.trigger(), schedule.last_fire or schedule.created, now)
        if not due:
            return []
        run, skipped = choose(schedule.policy, schedule.catch_up, due, now)
        fires = [Fire(schedule=schedule.name, fire_time=t, outcome="skipped") for t in skipped]
        for t in run:
            job_id = fire_job_id(schedule.id, t)
            outcome = "enqueued" if self._enqueue(schedule, t, job_id=job_id) == job_id else "duplicate"
            fires.append(Fire(schedule=schedule.name, fire_time=t, outcome=outcome, job_id=job_id))
        self._record(schedule, fires, due[-1], now)
        return sorted(fires, key=lambda f: f.fire_time)

    def _enqueue(self, schedule: Schedule, fire_time: float, *, job_id: str | None) -> str:
        when = datetime.fromtimestamp(fire_time, zone(schedule.timezone)).isoformat(timespec="seconds")
        try:
            record = self.store.submit(name=f"{schedule.name} @ {when}", owner=f"schedule:{schedule.name}",
                                       workflow=schedule.workflow, job_id=job_id)
        except sqlite3.IntegrityError:  # this fire's job exists: another loop, or this one before a crash
            if job_id is None or self.store.get(job_id) is None:
                raise
            return ""
        return record.id

    def _record(self, schedule: Schedule, fires: list[Fire], last: float, now: float) -> None:
        with self._write() as db:
            db.execute("UPDATE schedules SET last_fire=? WHERE id=? AND (last_fire IS NULL OR last_fire<?)",
                       (last, schedule.id, last))
            db.executemany("INSERT OR IGNORE INTO schedule_fires VALUES (?, ?, ?, ?, ?)",
                           [(schedule.id, f.fire_time, f.outcome, f.job_id, now) for f in fires])

    def seconds_to_next(self) -> float:
        """How long the loop may sleep: until the soonest next fire, at most POLL_S."""
        now = self.clock()
        times = [t for s in self.list() if (t := s.next_fire(now)) is not None]
        return max(0.05, min([POLL_S, *(t - now for t in times)]))


class ScheduleLoop:
    """A thread that ticks the schedules when a fire is due; the server runs one (see server/app.py)."""

    def __init__(self, schedules: Schedules, *, on_error: Callable[[Exception], None] | None = None):
        self.schedules, self.on_error = schedules, on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="oyster-schedules", daemon=True)

    def start(self) -> ScheduleLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.schedules.tick()
                wait = self.schedules.seconds_to_next()
            except Exception as exc:  # a locked or broken store: report and try again later
                if self.on_error is not None:
                    self.on_error(exc)
                wait = POLL_S
            self._stop.wait(wait)


COLUMNS = "id, name, version, source, workflow, cron, timezone, policy, catch_up, created, last_fire"


def _policy(value: MissedPolicy | str) -> MissedPolicy:
    try:
        return MissedPolicy(value)
    except ValueError:
        raise ScheduleError(f"missed-run policy {value!r}: use skip, once or catch-up (with --catch-up N)") from None


def _schedule(row: tuple) -> Schedule:
    (id_, name, version, source, workflow, cron, timezone, policy, catch_up, created, last_fire) = row
    return Schedule(id=id_, name=name, version=version, source=source, workflow=workflow, cron=cron,
                    timezone=timezone, policy=MissedPolicy(policy), catch_up=catch_up, created=created,
                    last_fire=last_fire)
