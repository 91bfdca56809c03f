"""REST and websocket API: the node catalog, the tab's graph, the job queue, previews and output files.

The catalog evaluates `types.link_problem` for every pair of wire types the registry uses, so the
browser refuses a wire while it is dragged with exactly the server's reason.

Bodies are bounded in size and schema-checked; file paths are resolved inside their folder or refused, and files
are served as data: only the types the editor previews are inline, anything else is an octet-stream attachment.
Every route sits behind the request gate of `auth.py`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..io.provenance import ProvenanceError, read_workflow_bytes
from ..node import Node
from ..registry import Registry
from ..types import AnyData, link_problem, wire_color, wire_name
from ..workflow import MAX_BYTES, Problem, WorkflowError, parse_data, parse_text
from .batch_api import add_batch_routes
from .jobs import FINISHED, Job, JobQueue
from .sessions import Session, SessionStore, StaleRevision, StaleVersion
from .workspace import PathRefused, Workspace, inside, safe_name

PREFIX = "/oyster"


def port_types(registry: Registry) -> dict[str, type]:
    """Every wire type used by a port of a registered node, by wire name."""
    found: dict[str, type] = {}
    for cls in registry:
        for port in (*cls.inputs, *cls.outputs):
            found.setdefault(wire_name(port.type), port.type)
    for t in (int, float, str, bool):
        found.setdefault(wire_name(t), t)
    return found


def compatibility(types: dict[str, type]) -> dict[str, dict[str, str | None]]:
    """compat[source][target]: None when the link is allowed, else why not."""
    return {s: {t: link_problem(st, tt) for t, tt in types.items() if tt is not AnyData}
            for s, st in types.items()}


def build_catalog(registry: Registry) -> dict[str, Any]:
    types = port_types(registry)
    nodes = {cls.type: _describe(cls) for cls in registry}
    return {
        "nodes": nodes,
        "colors": {name: css_colour(wire_color(t)) for name, t in types.items()},
        "compat": compatibility(types),
        "categories": sorted({d["category"] for d in nodes.values()}),
    }


COLOUR = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def css_colour(value: str) -> str:
    """A pack's wire colour if it is a plain hex colour; anything else (a url(...), a CSS expression) is grey."""
    return value if isinstance(value, str) and COLOUR.match(value) else "#9e9e9e"


def _describe(cls: type[Node]) -> dict[str, Any]:
    described = cls.describe()
    for p in described["params"]:
        p["default"] = _jsonable(p["default"])
        p["choices"] = [_jsonable(c) for c in p["choices"]] if p["choices"] is not None else None
    return described


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


@dataclass(kw_only=True, slots=True)
class Services:
    registry: Registry
    catalog: dict[str, Any]
    sessions: SessionStore
    jobs: JobQueue
    workspace: Workspace


class DocUpdate(BaseModel):
    """PUT body of /session/{sid}/doc: the graph as the tab shows it, for the revision it loaded."""

    model_config = ConfigDict(extra="forbid")
    version: int = 1
    rev: int
    #: the journal version the tab gives this graph (it kept a copy under it until the answer came)
    seq: int | None = Field(default=None, ge=0, le=2**53)
    doc: dict[str, Any]


def problems_body(problems: list[Problem], status: int = 422) -> JSONResponse:
    return JSONResponse({"problems": [p.to_dict() | {"text": str(p)} for p in problems]}, status_code=status)


#: an exported video or GLB dropped on the editor to restore its workflow may be large
MAX_OPEN_BYTES = 512 * 1024 * 1024


async def read_body(request: Request, limit: int = MAX_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body is larger than {limit} bytes")
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def make_router(services: Services) -> APIRouter:
    router = APIRouter()
    _session_routes(router, services)
    _job_routes(router, services)
    _file_routes(router, services)
    add_batch_routes(router, services, read_body)
    return router


def _session(services: Services, sid: str) -> Session:
    session = services.sessions.get(sid)
    if session is None:
        raise HTTPException(404, "no such editor session (reload the page)")
    return session


def _doc_body(session: Session) -> dict[str, Any]:
    """The tab's graph with the journal it is kept in and that journal's version."""
    return {"rev": session.rev, "doc": session.doc, "problems": session.problems, "doc_id": session.doc_id,
            "seq": session.seq}


def _session_routes(router: APIRouter, services: Services) -> None:
    @router.get(f"{PREFIX}/api/nodes")
    def nodes() -> dict[str, Any]:
        return services.catalog

    @router.get(f"{PREFIX}/api/session/{{sid}}/doc")
    def get_doc(sid: str) -> dict[str, Any]:
        return _doc_body(_session(services, sid))

    @router.get(f"{PREFIX}/api/session/{{sid}}/cached")
    def cached_previews(sid: str, node: str) -> Response:
        """Previews of a node of the tab's graph from the cache, for one no run has shown (`node`: its path)."""
        session = _session(services, sid)
        try:
            previews = services.jobs.cached_previews(session.workflow(), node)
        except WorkflowError as exc:
            return problems_body(exc.problems)
        except KeyError:
            return JSONResponse({"detail": f"the graph has no node '{node}'"}, status_code=404)
        if previews is None:
            return JSONResponse({"detail": f"'{node}' is not in the cache: run the workflow"}, status_code=404)
        return JSONResponse({"previews": previews})

    @router.put(f"{PREFIX}/api/session/{{sid}}/doc")
    async def put_doc(sid: str, request: Request) -> Response:
        session = _session(services, sid)
        try:
            update = DocUpdate.model_validate_json(await read_body(request))
            problems, autosaved = services.sessions.update(session, update.rev, update.doc, update.seq)
        except ValidationError as exc:
            return problems_body([Problem("schema", str(exc.errors()[0]["msg"]))])
        except WorkflowError as exc:
            return problems_body(exc.problems)
        except (StaleRevision, StaleVersion) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return JSONResponse({"problems": problems, "autosaved": autosaved, "seq": session.seq, "doc_id": session.doc_id})

    @router.post(f"{PREFIX}/api/session/{{sid}}/open")
    async def open_upload(sid: str, request: Request, name: str = "upload.json") -> Response:
        session = _session(services, sid)
        try:
            workflow = read_workflow_bytes(await read_body(request, MAX_OPEN_BYTES), name=name[:200])
        except WorkflowError as exc:
            return problems_body(exc.problems)
        except ProvenanceError as exc:
            return problems_body([Problem("file", str(exc), fix="drop a workflow JSON, or a PNG, MP4, MOV, EXR, "
                                          "GLB or PLY exported by Oyster Nodes")])
        session.replace(workflow, ("upload", name[:200]))
        session.problems = [p.to_dict() for p in services.sessions.problems_of(workflow)]
        return JSONResponse(_doc_body(session))

    @router.get(f"{PREFIX}/api/session/{{sid}}/download")
    def download(sid: str) -> Response:
        session = _session(services, sid)
        text = parse_data(session.doc).to_json()
        headers = {"content-disposition": f'attachment; filename="{safe_name(session.name)}"'}
        return Response(text, media_type="application/json", headers=headers)

    @router.get(f"{PREFIX}/api/templates")
    def templates() -> list[dict[str, Any]]:
        return [e.to_dict() for e in services.workspace.list("template")]

    @router.get(f"{PREFIX}/api/sessions")
    def sessions() -> dict[str, int]:
        return {"live": len(services.sessions)}


JOBS_TAG = "jobs"
PROBLEMS = {422: {"description": "the workflow cannot run: every problem, each with node, field and fix (the same "
                                 "problems `oyster validate` prints)"}}
NO_JOB = {404: {"description": "no such job"}}


def _job_routes(router: APIRouter, services: Services) -> None:
    @router.get(f"{PREFIX}/api/jobs", tags=[JOBS_TAG], summary="List jobs, newest first")
    def list_jobs(limit: int = 100) -> list[dict[str, Any]]:
        return services.jobs.list(limit=max(1, min(limit, 10_000)))

    @router.post(f"{PREFIX}/api/jobs", status_code=201, tags=[JOBS_TAG], responses=PROBLEMS,
                 summary="Submit a workflow (JSON body) as a job",
                 description="Validated at once; the job is in the durable store before the 201. A `key` query "
                 "makes the submit idempotent: a second submit with the same key returns the first job.")
    async def submit(request: Request, key: str | None = None) -> Response:
        try:
            workflow = parse_text(await read_body(request), source="request body")
            job = services.jobs.submit(workflow, owner="api", key=key[:200] if key else None)
        except WorkflowError as exc:
            return problems_body(exc.problems)
        return JSONResponse(job.summary(), status_code=201)

    @router.get(f"{PREFIX}/api/jobs/{{job_id}}", tags=[JOBS_TAG], responses=NO_JOB,
                summary="A job's status, node states and outputs")
    def job_detail(job_id: str) -> dict[str, Any]:
        return _job(services, job_id).detail()

    @router.post(f"{PREFIX}/api/jobs/{{job_id}}/cancel", tags=[JOBS_TAG], responses=NO_JOB, summary="Cancel a job",
                 description="A queued job is cancelled at once; a running one stops at its next node or progress "
                 "report, wherever it runs.")
    def cancel(job_id: str) -> dict[str, Any]:
        _job(services, job_id)
        return {"cancelled": services.jobs.cancel(job_id)}

    @router.post(f"{PREFIX}/api/jobs/{{job_id}}/retry", tags=[JOBS_TAG], responses=NO_JOB,
                 summary="Queue a failed or cancelled job again",
                 description="It resumes from the cache: nodes whose results are cached are not computed again.")
    def retry(job_id: str) -> dict[str, Any]:
        _job(services, job_id)
        return {"retried": services.jobs.retry(job_id)}

    @router.get(f"{PREFIX}/api/jobs/{{job_id}}/events/log", tags=[JOBS_TAG], responses=NO_JOB,
                summary="A job's stored events after `after`",
                description="Typed, versioned events: submitted, leased, started, node, progress, committing, "
                "output, finished (state done, error or cancelled), cancel_requested, interrupted, requeued, retried.")
    def event_log(job_id: str, after: int = 0) -> list[dict[str, Any]]:
        _job(services, job_id)
        return [e.to_dict() for e in services.jobs.store.events(job_id, after=max(0, after))]

    @router.get(f"{PREFIX}/api/openapi.json", tags=[JOBS_TAG], summary="This API's OpenAPI description",
                include_in_schema=False)
    def openapi() -> dict[str, Any]:
        from fastapi.openapi.utils import get_openapi

        return get_openapi(title="Oyster Nodes API", version="1", routes=router.routes,
                           description="Jobs, batches, schedules, the node catalog and files. Behind the server's access token when "
                           "it has one (Authorization: Bearer TOKEN). Websockets: /oyster/api/jobs/{id}/events "
                           "(node changes) and /oyster/api/jobs/{id}/events/stream?after=N (stored events).")

    @router.websocket(f"{PREFIX}/api/jobs/{{job_id}}/events")
    async def events(websocket: WebSocket, job_id: str) -> None:
        await websocket.accept()
        if services.jobs.get(job_id) is None:
            await websocket.close(code=4404)
            return
        try:
            await _stream_job(websocket, services, job_id)
        except WebSocketDisconnect:
            return
        await websocket.close()

    @router.websocket(f"{PREFIX}/api/jobs/{{job_id}}/events/stream")
    async def event_stream(websocket: WebSocket, job_id: str, after: int = 0) -> None:
        await websocket.accept()
        if services.jobs.store.seq(job_id) < 0:
            await websocket.close(code=4404)
            return
        try:
            await _stream_events(websocket, services, job_id, max(0, after))
        except WebSocketDisconnect:
            return
        await websocket.close()


async def _stream_events(websocket: WebSocket, services: Services, job_id: str, after: int) -> None:
    """Every stored event of the job after `after`, as they are written, until the job has finished."""
    store = services.jobs.store
    while True:
        events = await asyncio.to_thread(store.events, job_id, after=after)
        for e in events:
            await websocket.send_json(e.to_dict())
            after = e.seq
        record = await asyncio.to_thread(store.get, job_id)
        if record is None or (str(record.state) in FINISHED and record.seq <= after):
            await websocket.send_json({"final": True, "job": record.summary() if record else None})
            return
        await asyncio.sleep(0.2)


def _job(services: Services, job_id: str) -> Job:
    job = services.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job


async def _stream_job(websocket: WebSocket, services: Services, job_id: str) -> None:
    """Send node changes until the job ends; a job re-read from the store is sent whole again."""
    seen, last = 0, None
    while True:
        job = await asyncio.to_thread(services.jobs.get, job_id)
        if job is None:
            return
        if job is not last:
            seen, last = 0, job
        changes, seen = job.changes_since(seen)
        if changes:
            await websocket.send_json({"job": job.summary(), "nodes": changes})
        if job.state in FINISHED and not job.changes_since(seen)[0]:
            await websocket.send_json({"job": job.summary(), "nodes": {}, "final": True})
            return
        await asyncio.sleep(0.1)


def _file_routes(router: APIRouter, services: Services) -> None:
    ws = services.workspace

    @router.get(f"{PREFIX}/previews/{{job_id}}/{{name}}")
    def preview(job_id: str, name: str) -> FileResponse:
        return _serve(ws.previews, f"{job_id}/{name}")

    @router.get(f"{PREFIX}/files/{{path:path}}")
    def output_file(path: str) -> FileResponse:
        return _serve(ws.outputs, path)


#: what the editor previews, served inline; anything else is an attachment of unknown type, never run
INLINE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
                ".mp4": "video/mp4", ".webm": "video/webm", ".glb": "model/gltf-binary", ".json": "application/json"}
FILE_CSP = "default-src 'none'; sandbox"


def _serve(base: Any, relative: str) -> FileResponse:
    try:
        path = inside(base, relative)
    except PathRefused as exc:
        raise HTTPException(400, str(exc)) from None
    try:
        if not path.is_file():
            raise HTTPException(404, "no such file")
    except OSError:
        raise HTTPException(404, "no such file") from None
    headers = {"cache-control": "no-cache", "x-content-type-options": "nosniff", "content-security-policy": FILE_CSP}
    kind = INLINE_TYPES.get(path.suffix.lower())
    if kind is None:
        headers["content-disposition"] = attachment(path.name)
        return FileResponse(path, media_type="application/octet-stream", headers=headers)
    return FileResponse(path, media_type=kind, headers=headers, content_disposition_type="inline")


def attachment(name: str) -> str:
    """A Content-Disposition naming the file safely: an ASCII fallback and the exact name percent-encoded."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120] or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
