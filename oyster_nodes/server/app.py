"""Assemble and start the editor app: services, API routes, the token gate, the page, the theme."""

from __future__ import annotations

import ctypes
import gc
import logging

from nicegui import Client, app, ui
from nicegui.client import ClientConnectionTimeout

from ..cache import Cache, DiskCache
from ..executor import Executor
from ..jobs import InterruptedPolicy, JobStore
from ..jobs.schedules import ScheduleLoop, Schedules
from ..registry import load_registry
from ..workflow import WorkflowError, load
from .api import Services, build_catalog, make_router
from .auth import RequestGate
from .editor import register_frontend
from .explore import ExploreHub, make_explore_router
from .jobs import JobQueue
from .options import REPO_ROOT, OptionsError, ServeOptions
from .pages import EditorPage
from .sessions import SessionStore
from .workspace import Workspace

CHROME_CSS = """
body, .q-page-container, .nicegui-content { background: #16181d !important; }
.nicegui-content { padding: 0 !important; }
.oy-editor-host { width: 100%; height: calc(100vh - 48px); }
.oy-header { background: #1d2026 !important; border-bottom: 1px solid #363b45; height: 48px; color: #d8dbe2;
  display: flex; align-items: center; }
.oy-name .q-field__control, .oy-name .q-field__native { min-height: 32px; height: 32px; padding: 0; }
.oy-logo { color: #4f8cff; font-size: 20px; margin-right: 4px; }
.oy-brand { font-weight: 700; letter-spacing: .02em; margin-right: 10px; }
.oy-name { width: 200px; margin-right: 8px; }
.oy-name .q-field__native { color: #fff; font-weight: 500; }
.oy-hbtn { font-size: 12.5px; }
.oy-run-label { color: #8a909c; font-size: 12px; margin-right: 8px; }
.oy-drawer { background: #1d2026 !important; color: #d8dbe2; padding: 10px 12px; }
.oy-panel-title { text-transform: uppercase; letter-spacing: .08em; font-size: 10.5px; color: #8a909c; margin: 8px 0 4px; }
.oy-muted { color: #8a909c; font-size: 11.5px; }
.oy-problem-row { background: rgba(229,83,75,.08); border: 1px solid rgba(229,83,75,.35); border-radius: 6px;
  padding: 6px 8px; cursor: pointer; width: 100%; }
.oy-problem-row:hover { background: rgba(229,83,75,.16); }
.oy-problem-where { font-size: 11px; color: #ff8a80; font-weight: 600; }
.oy-problem-message { font-size: 12px; color: #e8c4c0; }
.oy-problem-fix { font-size: 11.5px; color: #e6d9a8; }
.oy-job { width: 100%; background: #23262d; border: 1px solid #363b45; border-radius: 6px; padding: 6px 8px; gap: 8px; }
.oy-job-mine { border-color: #4f8cff; }
.oy-job-name { font-size: 12.5px; font-weight: 500; }
.oy-dialog { background: #1d2026 !important; color: #d8dbe2; min-width: 420px; }
.oy-wide { width: min(920px, 92vw); max-width: 92vw !important; }
.oy-gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; width: 100%;
  max-height: 64vh; overflow-y: auto; }
.oy-template { background: #23262d; border: 1px solid #363b45; border-radius: 8px; padding: 10px 12px; cursor: pointer; }
.oy-template:hover { border-color: #4f8cff; }
.oy-template-name { font-weight: 600; font-size: 13px; color: #e8eaef; word-break: break-all; }
.oy-template-desc { font-size: 11.5px; color: #aab0bb; margin: 4px 0; }
.oy-thumb { width: 100%; border-radius: 4px; margin-bottom: 6px; }
.oy-file-list { max-height: 56vh; overflow-y: auto; }
.oy-file-row { padding: 4px 8px; border-radius: 4px; cursor: pointer; font-family: ui-monospace, monospace; font-size: 12px; }
.oy-file-row:hover { background: #2b3039; }
.oy-menu-head { font-size: 10.5px; text-transform: uppercase; color: #8a909c; padding: 6px 14px 2px; }
.oy-text-lg { font-size: 17px; font-weight: 500; } .oy-text-base { font-size: 15px; } .oy-text-sm { font-size: 13px; }
.oy-gap-0 { gap: 0; } .oy-gap-1 { gap: 4px; } .oy-gap-2 { gap: 8px; } .oy-px-3 { padding-left: 12px; padding-right: 12px; }
.oy-restore { position: fixed; left: 50%; transform: translateX(-50%); bottom: 40px; z-index: 10; background: #23262d !important; color: #d8dbe2;
  border: 1px solid #4f8cff; }
"""


#: a page whose browser has not connected after this long is freed (NiceGUI's own sweep waits 60 s)
UNCONNECTED_S = 20.0
PRUNE_EVERY_S = 5.0


def free_unconnected() -> None:
    """Delete clients whose browser never connected; hand the freed memory back to the system."""
    before = len(Client.instances)
    Client.prune_instances(client_age_threshold=UNCONNECTED_S)
    if len(Client.instances) < before:
        gc.collect()
        _malloc_trim()


def _scheduler_failed(exc: Exception) -> None:
    logging.getLogger(__name__).warning("scheduler: %s", exc)


def _malloc_trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        pass


def build_services(options: ServeOptions) -> Services:
    registry = load_registry(folders=options.packs)
    disk = DiskCache(options.cache_dir) if options.cache_dir else None
    executor = Executor(Cache(memory_bytes=int(options.memory_cache_gb * 2**30), disk=disk), workers=options.workers)
    workspace = Workspace(root=options.workspace, templates=options.templates, outputs=options.outputs)
    store = JobStore(options.jobs_db, policy=InterruptedPolicy(options.interrupted))
    folders = ((options.workspace, "<workspace>"), (options.templates, "<templates>"), (REPO_ROOT, "<oyster>"))
    jobs = JobQueue(registry=registry, executor=executor, store=store, out_dir=options.outputs,
                    previews_dir=workspace.previews, device=options.device, expose_tracebacks=bool(options.token),
                    folders=folders)
    initial = None
    if options.open_workflow is not None:
        try:
            initial = (load(options.open_workflow), str(options.open_workflow))
        except WorkflowError as exc:
            raise OptionsError(f"cannot open {options.open_workflow}:\n{exc}") from None
    return Services(registry=registry, catalog=build_catalog(registry), sessions=SessionStore(
        registry=registry, workspace=workspace, initial=initial), jobs=jobs, workspace=workspace)


def install(options: ServeOptions) -> Services:
    """Register routes, middleware and the page on NiceGUI's app (once per process)."""
    services = build_services(options)
    stylesheet = register_frontend()
    app.include_router(make_router(services))
    explore = ExploreHub(registry=services.registry, executor=services.jobs.executor, sessions=services.sessions,
                         device=options.device, out_dir=options.outputs)
    app.include_router(make_explore_router(explore))
    app.add_middleware(RequestGate, token=options.token, allowed_hosts=options.gate_hosts())
    ui.add_head_html(f'<link rel="stylesheet" href="{stylesheet}">', shared=True)
    ui.add_css(CHROME_CSS, shared=True)
    app.on_shutdown(services.jobs.stop)
    scheduler = ScheduleLoop(Schedules(services.jobs.store), on_error=_scheduler_failed).start()  # it only queues
    app.on_shutdown(scheduler.stop)
    app.timer(PRUNE_EVERY_S, free_unconnected)

    @ui.page("/", title="Oyster Nodes")
    async def index() -> None:
        # The page is built once its browser connects: a visit that never connects (a plain GET, a prefetch,
        # a tab closed at once) holds an empty client for UNCONNECTED_S, not an editor and a session.
        ui.dark_mode(True)
        try:
            await ui.context.client.connected(timeout=UNCONNECTED_S)
        except ClientConnectionTimeout:
            return
        EditorPage(services).build()

    return services


#: how long a tab may stay silent before the server drops it (its session with it) and the tab reloads itself.
#: NiceGUI derives the socket's ping timeout from it (0.4 of it): at 5 s that was 2 s, which a busy machine
#: misses while a large graph mounts, so edits made right after were lost with the session.
RECONNECT_S = 15.0


def serve(options: ServeOptions) -> None:
    """Start the editor and block until it is stopped."""
    options.checked()
    install(options)
    given = " (open it with ?token= and the token you gave)" if options.token and not options.token_generated else ""
    print(f"Oyster Nodes editor on {options.url()}{given}", flush=True)
    ui.run(host=options.host, port=options.port, title="Oyster Nodes", dark=True, reload=False, show=False,
           favicon="◉", uvicorn_logging_level="warning", reconnect_timeout=RECONNECT_S, tailwind=False)
