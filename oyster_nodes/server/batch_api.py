"""Batches and schedules over HTTP, for the editor's Batch and Schedules panels (and any client).

A batch is the open workflow (by editor session) or a saved one (by file name in saved/), swept with the same
`NODE.PARAM=V1,V2` / `A..B:STEP` strings and CSV tables as `oyster batch`, validated all at once with the same
problems, and submitted as jobs under one batch id and a key per variant: submitting the same batch again adds
nothing. Schedules are the cron schedules of `oyster schedule`, in the same store. These routes sit on the API
router, behind the request gate of `auth.py` like every other route.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import batch
from ..graph import build
from ..jobs.batches import batch_id, default_folder
from ..jobs.schedules import MAX_MISSED, MissedPolicy, Schedule, ScheduleError, Schedules, cron_trigger, zone
from ..workflow import Problem, Workflow, WorkflowError
from .jobs import FINISHED
from .workspace import PathRefused, inside

PREFIX = "/oyster"
BATCH_TAG, SCHEDULE_TAG = "batches", "schedules"
#: a batch from the editor; larger ones go through `oyster batch --submit`
MAX_API_VARIANTS = 1000
MAX_SWEEPS = 32
PROBLEMS = {422: {"description": "every problem at once, each with node, field and fix (the problems `oyster batch` "
                                 "and `oyster schedule add` print); a sweep's problem names its `row`"}}


class BatchRequest(BaseModel):
    """POST /api/batches: which workflow, how to sweep it, where its outputs go."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    session: str | None = Field(None, description="an editor session id: its open workflow")
    saved: str | None = Field(None, description="a saved workflow's file name in the workspace's saved/ folder")
    sweeps: list[str] = Field(default_factory=list, max_length=MAX_SWEEPS,
                              description="NODE.PARAM=V1,V2,... or NODE.PARAM=A..B[:STEP], as `oyster batch --sweep`")
    table: str | None = Field(None, description="CSV text: a header of NODE.PARAM columns, one variant per row")
    combine: Literal["cartesian", "zip"] = "cartesian"
    out: str | None = Field(None, max_length=200, description="folder inside the outputs (default batch/NAME)")
    dry_run: bool = Field(False, description="validate and count the variants; submit nothing")


class ScheduleRequest(BaseModel):
    """POST /api/schedules: a cron schedule on a saved workflow (a snapshot is taken now)."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1
    name: str = Field(max_length=100)
    saved: str = Field(max_length=300, description="the saved workflow's file name in saved/")
    cron: str = Field(max_length=200, description="five fields: 'minute hour day month weekday'")
    timezone: str = Field("UTC", max_length=100, description="IANA time zone of the cron times")
    policy: str = Field("skip", description="missed fires: skip, once or catch-up")
    catch_up: int = Field(0, description="with catch-up: how many of the latest missed fires run")


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The request body of a route that reads its body itself (to bound its size), for the OpenAPI description."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _problems(problems: list[Problem], rows: dict[int, str] | None = None, status: int = 422) -> JSONResponse:
    return JSONResponse({"problems": [_problem_dict(p, rows or {}) for p in problems]}, status_code=status)


def _problem_dict(p: Problem, rows: dict[int, str]) -> dict[str, Any]:
    out = p.to_dict() | {"text": str(p)}
    match = re.fullmatch(r"sweeps\[(\d+)\]", p.field or "")
    if match:
        out["row"] = int(match[1])
    elif p.node is not None:
        target = f"{p.node}.{p.field.removeprefix('params.')}" if p.field else None
        for k, label in rows.items():
            if label == target or (p.field is None and label.startswith(f"{p.node}.")):
                out["row"] = k
                break
    return out


def _schema_problems(exc: ValidationError) -> list[Problem]:
    return [Problem("schema", str(e["msg"]), field=".".join(str(x) for x in e["loc"]) or None,
                    fix="see the request schema in /oyster/api/openapi.json") for e in exc.errors()[:20]]


ReadBody = Callable[[Request], Awaitable[bytes]]


async def _parse(read_body: ReadBody, request: Request, model: type[BaseModel]) -> BaseModel | JSONResponse:
    try:
        return model.model_validate_json(await read_body(request))
    except ValidationError as exc:
        return _problems(_schema_problems(exc))


def add_batch_routes(router: APIRouter, services: Any, read_body: ReadBody) -> None:
    """The batch and schedule routes on the API router; `read_body` is the API's size-bounded body reader."""
    _batch_routes(router, services, read_body)
    _schedule_routes(router, services, read_body, Schedules(services.jobs.store))


# ---------------------------------------------------------------------- where the workflow comes from
def _saved_workflow(services: Any, name: str) -> Workflow:
    try:
        found = inside(services.workspace.saved, name).is_file()
    except PathRefused as exc:
        raise WorkflowError([Problem("saved", str(exc), field="saved", fix="give a file name in saved/")]) from None
    if not found:
        raise WorkflowError([Problem("saved", f"no saved workflow {name!r}", field="saved",
                                     fix="save the workflow first (Save in the editor)")])
    return services.workspace.open("saved", name)[0]


def _workflow(services: Any, session: str | None, saved: str | None) -> Workflow:
    if (session is None) == (saved is None):
        raise WorkflowError([Problem("schema", "name one workflow", field="session",
                                     fix="give `session` (the open workflow) or `saved` (a saved file), not both")])
    if saved is not None:
        return _saved_workflow(services, saved)
    found = services.sessions.get(session)
    if found is None:
        raise WorkflowError([Problem("schema", "no such editor session", field="session", fix="reload the page")])
    return found.workflow()


def saved_state(services: Any, sid: str) -> dict[str, Any]:
    """Whether a tab's workflow is saved, and whether the saved file still holds what the tab shows."""
    session = services.sessions.get(sid)
    if session is None:
        raise HTTPException(404, "no such editor session (reload the page)")
    name = session.saved_name
    current = False
    if name:
        try:
            current = _saved_workflow(services, name).to_json() == session.workflow().to_json()
        except WorkflowError:
            name = None
    return {"saved": name, "current": current, "name": session.name}


# ---------------------------------------------------------------------- batches
def _axes(req: BatchRequest) -> tuple[list[batch.Axis], list[Problem], dict[int, str]]:
    axes, problems, rows = [], [], {}
    for k, text in enumerate(req.sweeps):
        try:
            axis = batch.parse_sweep(text)
        except batch.BatchError as exc:
            problems.append(Problem("sweep", str(exc), field=f"sweeps[{k}]",
                                    fix="write NODE.PARAM=V1,V2,... or NODE.PARAM=A..B[:STEP]"))
            continue
        axes.append(axis)
        rows[k] = axis.label
    if req.table and req.table.strip():
        try:
            axes.append(batch.parse_table(req.table, name="table"))
        except batch.BatchError as exc:
            problems.append(Problem("table", str(exc), field="table",
                                    fix="a header row of NODE.PARAM columns, then one row per variant"))
    return axes, problems, rows


def _out_folder(services: Any, req: BatchRequest, workflow: Workflow) -> str:
    out = (req.out or default_folder(workflow.metadata.name)).strip().strip("/")
    try:
        inside(services.workspace.outputs, out)
    except PathRefused as exc:
        raise WorkflowError([Problem("out", str(exc), field="out",
                                     fix="give a folder inside the outputs, e.g. batch/seeds")]) from None
    if ".." in out.split("/"):
        raise WorkflowError([Problem("out", f"{out!r} climbs out of its folder", field="out",
                                     fix="give a folder inside the outputs, e.g. batch/seeds")])
    return out


def plan_batch(services: Any, req: BatchRequest) -> tuple[Workflow, batch.BatchPlan, str, dict[int, str]]:
    """The request's variants, built and validated; WorkflowError (with `.rows`) lists every problem at once."""
    workflow = _workflow(services, req.session, req.saved)
    axes, problems, rows = _axes(req)
    out = _out_folder(services, req, workflow)
    variants: list[batch.Variant] = []
    if not problems:
        try:
            variants = batch.expand(axes, mode=req.combine)
        except batch.BatchError as exc:
            problems.append(Problem("combine", str(exc), field="combine", fix="zip sweeps of one length, or sweep less"))
    if len(variants) > MAX_API_VARIANTS:
        problems.append(Problem("combine", f"{len(variants)} variants; the editor submits at most {MAX_API_VARIANTS}",
                                field="combine", fix="sweep less, or use `oyster batch --submit` for larger batches"))
    if not problems:
        planned = batch.plan(workflow, variants, services.registry, prefix=out)
        problems = planned.problems
    if problems:
        error = WorkflowError(problems)
        error.rows = rows  # type: ignore[attr-defined]
        raise error
    return workflow, planned, out, rows


def submit_batch(services: Any, workflow: Workflow, planned: batch.BatchPlan, out: str) -> dict[str, Any]:
    bid = batch_id(workflow.to_json(), [v.label for v in planned.variants], out)
    before = {r.id for r in services.jobs.store.list(limit=1_000_000, batch=bid)}
    jobs = []
    for v in planned.variants:
        name = f"{workflow.metadata.name} #{v.index + 1} {v.label}"[:200]
        job = services.jobs.submit(v.workflow, owner="batch", key=f"{bid}:{v.index}", batch=bid, name=name)
        jobs.append({"index": v.index, "label": v.label, "id": job.id, "added": job.id not in before})
    return {"batch": bid, "count": len(jobs), "added": sum(j["added"] for j in jobs), "out": out, "jobs": jobs}


def batch_status(services: Any, bid: str) -> dict[str, Any]:
    records = services.jobs.store.list(limit=1_000_000, batch=bid)
    if not records:
        raise HTTPException(404, "no such batch")
    records.sort(key=lambda r: _index(r.key))
    jobs = [_job_row(services, r) for r in records]
    states = [j["state"] for j in jobs]
    finished = sum(s in FINISHED for s in states)
    return {"batch": bid, "total": len(jobs), "finished": finished, "done": states.count("done"),
            "failed": states.count("error"), "cancelled": states.count("cancelled"),
            "running": states.count("running"), "queued": states.count("queued"),
            "fraction": round(sum(j["fraction"] for j in jobs) / len(jobs), 4), "complete": finished == len(jobs),
            "jobs": jobs}


def _index(key: str | None) -> int:
    """A batch job's variant index, from its key BATCH:INDEX."""
    tail = (key or "").rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


def _job_row(services: Any, record: Any) -> dict[str, Any]:
    job = services.jobs.get(record.id)
    summary = job.summary() if job is not None else record.summary()
    counts = summary["counts"]
    total = sum(counts.values())
    ready = counts.get("done", 0) + counts.get("cached", 0) + counts.get("skipped", 0)
    state = summary["state"]
    fraction = 1.0 if state in FINISHED else (ready / total if total else 0.0)
    index = _index(record.key)
    label = summary["name"].partition(f" #{index + 1} ")[2] or summary["name"]
    return {"id": record.id, "index": index, "name": summary["name"], "label": label, "state": state, "message": summary["message"],
            "counts": counts, "fraction": round(fraction, 4), "seconds": summary["seconds"],
            "attempts": summary["attempts"],
            "outputs": [{"path": p, "url": f"{PREFIX}/files/{quote(p)}"} for p in summary["outputs"]]}


def _batch_routes(router: APIRouter, services: Any, read_body: ReadBody) -> None:
    @router.get(f"{PREFIX}/api/session/{{sid}}/saved", tags=[BATCH_TAG],
                summary="Whether a tab's workflow is saved (batches and schedules run saved workflows)")
    def saved(sid: str) -> dict[str, Any]:
        return saved_state(services, sid)

    @router.post(f"{PREFIX}/api/batches", status_code=201, tags=[BATCH_TAG], responses=PROBLEMS,
                 openapi_extra=body_schema(BatchRequest),
                 summary="Sweep a workflow into variants and submit them as jobs of one batch",
                 description="Body: BatchRequest. Every variant is built and validated before any is submitted; a "
                 "problem names its node, field, fix and (for a sweep) its `row`. The batch id comes from the "
                 "workflow, the variants and the folder, and each variant has its key, so submitting the same "
                 "batch again adds nothing (`added` counts what was new). `dry_run` only counts (200).")
    async def post_batch(request: Request) -> Response:
        req = await _parse(read_body, request, BatchRequest)
        if isinstance(req, JSONResponse):
            return req
        assert isinstance(req, BatchRequest)
        try:
            workflow, planned, out, _ = plan_batch(services, req)
        except WorkflowError as exc:
            return _problems(exc.problems, getattr(exc, "rows", None))
        if req.dry_run:
            return JSONResponse({"count": len(planned.variants), "out": out, "problems": []})
        return JSONResponse(submit_batch(services, workflow, planned, out), status_code=201)

    @router.get(f"{PREFIX}/api/batches/{{bid}}", tags=[BATCH_TAG], responses={404: {"description": "no such batch"}},
                summary="A batch's jobs with their state, progress and output files, and its overall progress")
    def get_batch(bid: str) -> dict[str, Any]:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", bid):
            raise HTTPException(404, "no such batch")
        return batch_status(services, bid)


# ---------------------------------------------------------------------- schedules
def schedule_row(s: Schedule, now: float) -> dict[str, Any]:
    tz = zone(s.timezone)
    nxt = s.next_fire(now)

    def show(t: float | None) -> str | None:
        return datetime.fromtimestamp(t, tz).isoformat(timespec="seconds") if t is not None else None

    return {"name": s.name, "id": s.id, "cron": s.cron, "timezone": s.timezone, "policy": str(s.policy),
            "catch_up": s.catch_up, "missed": s.policy_text(), "source": s.source, "next_fire": show(nxt),
            "next_fire_at": nxt, "last_fire": show(s.last_fire), "last_fire_at": s.last_fire}


def check_schedule(req: ScheduleRequest) -> list[Problem]:
    """Every problem of the schedule's own fields at once, each named."""
    problems = []
    fix = {"timezone": "give an IANA name such as UTC, Europe/Paris or America/New_York",
           "cron": "five fields 'minute hour day month weekday', e.g. '0 2 * * *' or '*/15 * * * mon-fri'",
           "policy": "skip, once or catch-up"}
    checks = (("timezone", lambda: zone(req.timezone)), ("cron", lambda: cron_trigger(req.cron, "UTC")),
              ("policy", lambda: MissedPolicy(req.policy)))
    for name, check in checks:
        try:
            check()
        except (ScheduleError, ValueError) as exc:
            message = str(exc) if isinstance(exc, ScheduleError) else f"missed-run policy {req.policy!r} is unknown"
            problems.append(Problem("schedule", message, field=name, fix=fix[name]))
    if req.policy == str(MissedPolicy.CATCH_UP) and not 1 <= req.catch_up <= MAX_MISSED:
        problems.append(Problem("schedule", f"catch-up {req.catch_up}: the catch-up policy runs the latest N missed "
                                "fires", field="catch_up", fix=f"give N from 1 to {MAX_MISSED}"))
    if not req.name.strip():
        problems.append(Problem("schedule", "the schedule has no name", field="name", fix="give 1 to 100 characters"))
    return problems


def _schedule_routes(router: APIRouter, services: Any, read_body: ReadBody, schedules: Schedules) -> None:
    def get(name: str) -> Schedule:
        try:
            return schedules.get(name)
        except ScheduleError as exc:
            raise HTTPException(404, str(exc)) from None

    @router.get(f"{PREFIX}/api/schedules", tags=[SCHEDULE_TAG],
                summary="Schedules with their cron, time zone, missed-run policy, last and next fire")
    def list_schedules() -> list[dict[str, Any]]:
        now = schedules.clock()
        return [schedule_row(s, now) for s in schedules.list()]

    @router.post(f"{PREFIX}/api/schedules", status_code=201, tags=[SCHEDULE_TAG], responses=PROBLEMS,
                 openapi_extra=body_schema(ScheduleRequest),
                 summary="Schedule a saved workflow with a cron expression",
                 description="Body: ScheduleRequest. The saved workflow is validated now (with the CLI's "
                 "problems) and kept as a snapshot: add it again to pick up edits. A bad cron, time zone, "
                 "policy or catch-up count is named with its fix. Fires only queue jobs.")
    async def add_schedule(request: Request) -> Response:
        req = await _parse(read_body, request, ScheduleRequest)
        if isinstance(req, JSONResponse):
            return req
        assert isinstance(req, ScheduleRequest)
        problems = check_schedule(req)
        workflow = None
        try:
            workflow = _saved_workflow(services, req.saved)
            build(workflow, services.registry)
        except WorkflowError as exc:
            problems += exc.problems
        if problems or workflow is None:
            return _problems(problems)
        try:
            schedule = schedules.add(name=req.name.strip(), workflow=workflow.to_json(), cron=req.cron,
                                     timezone=req.timezone, policy=req.policy, catch_up=req.catch_up,
                                     source=f"saved/{req.saved}")
        except ScheduleError as exc:
            return _problems([Problem("schedule", str(exc), field="name", fix="remove it first or choose another "
                                      "name")])
        return JSONResponse(schedule_row(schedule, schedules.clock()), status_code=201)

    @router.delete(f"{PREFIX}/api/schedules/{{name}}", tags=[SCHEDULE_TAG],
                   responses={404: {"description": "no such schedule"}},
                   summary="Remove a schedule (jobs it queued stay queued)")
    def remove_schedule(name: str) -> dict[str, Any]:
        get(name)
        schedules.remove(name)
        return {"removed": name}

    @router.post(f"{PREFIX}/api/schedules/{{name}}/run-now", tags=[SCHEDULE_TAG],
                 responses={404: {"description": "no such schedule"}},
                 summary="Queue the schedule's workflow at once (its cron times are unchanged)")
    def run_now(name: str) -> dict[str, Any]:
        get(name)
        return {"job": schedules.run_now(name)}
