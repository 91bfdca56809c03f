"""The editor page: header with file and run actions, the canvas, and a side panel with queue and problems.

Each tab gets an EditorPage holding its session; the session is dropped when NiceGUI deletes the client.
"""

from __future__ import annotations

import time
from typing import Any

from nicegui import ui
from nicegui.events import UploadEventArguments

from ..io.provenance import ProvenanceError, read_workflow_bytes
from ..subgraphs import display_path
from ..workflow import Workflow, WorkflowError
from .api import MAX_OPEN_BYTES, Services
from .dialogs import file_picker, outputs_browser, template_gallery
from .editor import GraphEditor
from .jobs import Job
from .options import REPO_ROOT
from .sessions import Session
from .workspace import SaveConflict, safe_name

#: the example workflows, whose node titles are search aliases wherever the templates folder points
EXAMPLES = REPO_ROOT / "workflows"
STATUS_EVERY_S = 0.15
STATUS_CHUNK = 250
PANEL_EVERY_S = 0.6
STATE_COLOURS = {"queued": "grey-6", "running": "amber-7", "done": "green-6", "error": "red-6", "cancelled": "purple-4"}


class EditorPage:
    def __init__(self, services: Services):
        self.services = services
        self.session: Session = services.sessions.create()
        self.editor: GraphEditor | None = None
        self.name_input: ui.input | None = None
        self.drawer: ui.right_drawer | None = None
        self.run_label: ui.label | None = None
        self._panel_sig: Any = None
        self._last_job_state: str | None = None
        self._restore_card: ui.card | None = None
        self._first_doc = self.session.doc
        self._status_job: Job | None = None
        self._timers_started = False

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        ui.context.client.on_delete(lambda: self.services.sessions.drop(self.session.sid))
        self._header()
        self._side_panel()
        self.editor = GraphEditor(session=self.session.sid, doc_id=self.session.doc_id,
                                  aliases=self.services.workspace.aliases(EXAMPLES)).classes("oy-editor-host")
        self.editor.on("resume", lambda e: self.resume(str(e.args.get("doc_id", ""))))
        self.editor.on("run_request", lambda _: self.run())
        self.editor.on("save_request", lambda _: self.save())
        self.editor.on("pick_file", lambda e: self.pick_file(e.args["node"], e.args["param"]))
        self.editor.on("opened", lambda e: self._after_open(("upload", str(e.args.get("name", "")))))
        # Timers start once the browser is connected: a timer made before waits for the connection forever, so
        # a visit that never connects would keep its whole page in memory.
        self._timer_host = ui.element("div").classes("hidden")
        client = ui.context.client
        if client.has_socket_connection:
            self._start_timers()
        else:
            client.on_connect(self._start_timers)
        self._offer_restore()

    def _start_timers(self) -> None:
        if self._timers_started:
            return
        self._timers_started = True
        with self._timer_host:
            ui.timer(STATUS_EVERY_S, self.push_status)
            ui.timer(PANEL_EVERY_S, self.refresh_panel)

    def _header(self) -> None:
        with ui.header().classes("oy-header items-center no-wrap oy-gap-1 oy-px-3"):
            ui.html('<span class="oy-logo">◉</span>', sanitize=False)
            ui.label("Oyster Nodes").classes("oy-brand")
            self.name_input = ui.input(value=self.session.name).props(
                'dense borderless dark aria-label="Workflow name"').classes("oy-name")
            self.name_input.on("change", lambda e: self.rename(self.name_input.value if self.name_input else ""))
            self._button("add", "New", self.new)
            self._button("dashboard", "Templates", self.templates, "templates-button")
            self._button("folder_open", "Open", self.upload, "open-button")
            self._recent_menu()
            self._button("save", "Save", self.save, "save-button")
            self._button("download", "Download", self.download, "download-button")
            self._button("perm_media", "Outputs", self.outputs)
            ui.space()
            self.run_label = ui.label("").classes("oy-run-label").props('data-testid="run-label"')
            ui.button("Run", icon="play_arrow", on_click=self.run).props(
                'unelevated color=green-7 data-testid="run-button"').classes("oy-run")
            ui.button(icon="stop", on_click=self.cancel).props(
                'flat round dense color=red-4 data-testid="cancel-button" aria-label="Cancel the run"').tooltip(
                "Cancel the run")
            ui.button(icon="view_sidebar", on_click=lambda: self.drawer.toggle() if self.drawer else None).props(
                'flat round dense color=grey-4 aria-label="Show or hide the queue and problems"').tooltip(
                "Queue and problems")

    def _button(self, icon: str, label: str, action: Any, testid: str | None = None) -> ui.button:
        button = ui.button(label, icon=icon, on_click=action).props("flat dense no-caps color=grey-3").classes("oy-hbtn")
        if testid:
            button.props(f'data-testid="{testid}"')
        return button

    def _recent_menu(self) -> None:
        with ui.button("Recent", icon="history").props("flat dense no-caps color=grey-3").classes("oy-hbtn"):
            with ui.menu().props("dark") as menu:
                menu.on("before-show", lambda: self._fill_recent(menu))

    def _fill_recent(self, menu: ui.menu) -> None:
        menu.clear()
        ws = self.services.workspace
        with menu:
            ui.label("Recent").classes("oy-menu-head")
            for item in ws.recent()[:10]:
                when = _when(float(item.get("at") or 0))
                ui.menu_item(f"{item['name']}  ·  {item['kind']}  ·  {when}",
                             lambda i=item: self.open_entry(i["kind"], i["path"]))
            ui.label("Autosaves").classes("oy-menu-head")
            for entry in ws.list("autosave", limit=10):
                ui.menu_item(f"{entry.name}  ·  {entry.nodes} nodes  ·  {_when(entry.modified)}",
                             lambda e=entry: self.open_entry("autosave", e.path))

    def _side_panel(self) -> None:
        self.drawer = ui.right_drawer(value=True, fixed=True).props("width=300 dark bordered").classes("oy-drawer")
        with self.drawer:
            ui.label("Problems").classes("oy-panel-title")
            self.problems_box = ui.column().classes("oy-problems full-width oy-gap-1")
            ui.label("Queue").classes("oy-panel-title")
            self.queue_box = ui.column().classes("oy-queue full-width oy-gap-1")

    def _offer_restore(self) -> None:
        autosaves = self.services.workspace.list("autosave", limit=1)
        if not autosaves:
            return
        last = autosaves[0]
        with ui.card().classes("oy-restore").props("dark flat bordered") as card:
            self._restore_card = card
            ui.label(f"Continue where you left off: “{last.name}” ({last.nodes} nodes, {_when(last.modified)})"
                     ).classes("oy-text-sm")

            async def restore() -> None:
                await self.open_entry("autosave", last.path)

            with ui.row().classes("oy-gap-2"):
                ui.button("Restore", on_click=restore).props(
                    'dense unelevated color=primary data-testid="restore-button"')
                ui.button("Dismiss", on_click=self._dismiss_restore).props("dense flat color=grey-4")

    def _dismiss_restore(self) -> None:
        if self._restore_card is not None:
            self._restore_card.delete()
            self._restore_card = None

    # ------------------------------------------------------------------ files
    async def _flush(self) -> None:
        if self.editor is not None:
            await self.editor.run_method("flush", timeout=10)

    async def open_entry(self, kind: str, path: str) -> None:
        ws = self.services.workspace
        try:
            workflow, digest = ws.open(kind, path)
        except (WorkflowError, ValueError) as exc:
            ui.notify(f"Cannot open {path}: {exc}", type="negative", multi_line=True)
            return
        await self._flush()
        keep = self.session.doc.get("nodes")
        doc_id = None
        if kind == "autosave" and not self.services.sessions.doc_in_use(path[:-5], besides=self.session.sid):
            doc_id = path[:-5]
        self.session.replace(workflow, (kind, path), doc_id=doc_id, seq=ws.journal_seq(doc_id) if doc_id else 0)
        if kind == "saved":
            self.session.saved_hash, self.session.saved_name = digest, path
        if kind in ("template", "saved"):
            ws.remember(kind, path, workflow.metadata.name)
        await self._after_open((kind, path), reload=True)
        if keep:
            ui.notify("The previous graph is kept in Recent → Autosaves", type="info")

    async def resume(self, doc_id: str) -> None:
        """Reopen the journaled graph a reloaded (or crashed, or reconnected) tab was showing."""
        ws = self.services.workspace
        path = ws.journal(doc_id)
        if path is None:
            if self.editor is not None:
                self.editor.show_journal(self.session.doc_id)
                await self.editor.run_method("reload", timeout=10)
            return
        try:
            workflow, _ = ws.open("autosave", path)
        except (WorkflowError, ValueError) as exc:
            ui.notify(f"Cannot reopen the journal {path}: {exc}", type="negative", multi_line=True)
            return
        self.services.sessions.take_over(doc_id, self.session.sid)
        self.session.replace(workflow, ("autosave", path), doc_id=doc_id, seq=ws.journal_seq(doc_id))
        await self._after_open(("autosave", path), reload=True)
        if self.editor is None:
            return
        states = list(ws.read_states(doc_id).items())
        for start in range(0, len(states), STATUS_CHUNK):
            self.editor.run_method("setStatus", dict(states[start:start + STATUS_CHUNK]))
        when = _when((ws.autosaves / path).stat().st_mtime)
        self.editor.run_method("showNotice", f"Reopened “{self.session.name}” as journaled at {when}")

    async def _after_open(self, source: tuple[str, str], *, reload: bool = False) -> None:
        self._dismiss_restore()
        self.session.problems = [p.to_dict() for p in self.services.sessions.problems_of(self.session.workflow())]
        if self.editor is not None:
            self.editor.show_journal(self.session.doc_id)
        if reload and self.editor is not None:
            await self.editor.run_method("reload", timeout=10)
        if self.name_input is not None:
            self.name_input.value = self.session.name
        self._panel_sig = None

    async def new(self) -> None:
        await self._flush()
        self.session.replace(Workflow(), ("new", ""))
        await self._after_open(("new", ""), reload=True)

    def templates(self) -> None:
        template_gallery(self.services.workspace, on_open=lambda path: self.open_entry("template", path))

    def upload(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("oy-dialog"):
            ui.label("Open a workflow JSON file, or an image, video or GLB exported here").classes("oy-text-lg")
            ui.label("or drop it onto the canvas").classes("oy-text-sm text-grey-5")

            async def received(e: UploadEventArguments) -> None:
                dialog.close()
                await self.open_text(await e.file.read(), e.file.name)

            ui.upload(on_upload=received, auto_upload=True, max_file_size=MAX_OPEN_BYTES).props(
                'accept=".json,.png,.mp4,.mov,.exr,.glb,.ply" dark flat bordered data-testid="upload"'
            ).classes("full-width")
        dialog.open()

    async def open_text(self, data: bytes, name: str) -> None:
        try:
            workflow = read_workflow_bytes(data, name=name)
        except (WorkflowError, ProvenanceError) as exc:
            ui.notify(f"{name}: {exc}", type="negative", multi_line=True)
            return
        await self._flush()
        self.session.replace(workflow, ("upload", name))
        await self._after_open(("upload", name), reload=True)

    async def rename(self, name: str) -> None:
        if self.editor is not None and name.strip():
            await self.editor.run_method("setMeta", {"name": name.strip()[:200]})

    async def save(self, overwrite: bool = False) -> None:
        await self._flush()
        workflow = self.session.workflow()
        target = safe_name(workflow.metadata.name)
        same_file = self.session.saved_name == target
        try:
            name, digest = self.services.workspace.save(
                workflow, workflow.metadata.name, opened_hash=self.session.saved_hash if same_file else None,
                overwrite=overwrite)
        except SaveConflict as exc:
            self._confirm_overwrite(exc.path.name)
            return
        self.session.saved_name, self.session.saved_hash = name, digest
        if self.editor is not None:
            self.editor.run_method("markSaved")
        ui.notify(f"Saved to saved/{name}", type="positive")

    def _confirm_overwrite(self, name: str) -> None:
        with ui.dialog() as dialog, ui.card().classes("oy-dialog"):
            ui.label(f"saved/{name} already exists and holds a different graph.").classes("oy-text-base")
            ui.label("Rename the workflow to keep both, or replace the file.").classes("oy-text-sm text-grey-5")
            with ui.row().classes("justify-end full-width"):
                ui.button("Cancel", on_click=dialog.close).props("flat color=grey-4")

                async def replace() -> None:
                    dialog.close()
                    await self.save(overwrite=True)

                ui.button("Replace", on_click=replace).props('unelevated color=red-6 data-testid="overwrite"')
        dialog.open()

    async def download(self) -> None:
        await self._flush()
        if self.editor is not None:
            self.editor.run_method("markSaved")
        ui.download.from_url(f"/oyster/api/session/{self.session.sid}/download", safe_name(self.session.name))

    def outputs(self) -> None:
        outputs_browser(self.services.workspace)

    def pick_file(self, node: str, param: str) -> None:
        async def chosen(path: str) -> None:
            if self.editor is not None:
                await self.editor.run_method("setParamValue", node, param, path)

        file_picker(self.services.workspace, on_pick=chosen)

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        if self.editor is None:
            return
        await self.editor.run_method("prepareRun", timeout=10)
        workflow = self.session.workflow()
        try:
            job = self.services.jobs.submit(workflow, owner=self.session.sid[:6])
        except WorkflowError as exc:
            self.session.problems = [p.to_dict() for p in exc.problems]
            self._panel_sig = None
            if self.drawer is not None:
                self.drawer.show()
            first = next((p.node for p in exc.problems if p.node), None)
            if first:
                self.editor.run_method("focusNode", first)
            ui.notify(f"{len(exc.problems)} problem(s) to fix before running: {exc.problems[0]}", type="warning",
                      multi_line=True)
            return
        self.session.job_id, self.session.seen_version = job.id, 0
        self.editor.run_method("runSubmitted")

    def cancel(self) -> None:
        if self.session.job_id and self.services.jobs.cancel(self.session.job_id):
            ui.notify("Cancelling…")

    def push_status(self) -> None:
        job = self.services.jobs.get(self.session.job_id or "")
        if job is None or self.editor is None:
            return
        if job is not self._status_job:  # live while it ran, re-read from the store once it ended: send it whole
            self._status_job, self.session.seen_version = job, 0
        changes, version = job.changes_since(self.session.seen_version)
        if changes:
            self.session.seen_version = version
            items = list(changes.items())
            for start in range(0, len(items), STATUS_CHUNK):  # keep each message far below NiceGUI's ~1 MB
                self.editor.run_method("setStatus", dict(items[start:start + STATUS_CHUNK]))
        if self.run_label is not None:
            summary = job.summary()
            self.run_label.text = f"{summary['state']} · {summary['seconds']:.1f} s"
            if summary["state"] != self._last_job_state and summary["state"] in ("done", "error", "cancelled"):
                self._announce(job.id, summary)
                self.services.workspace.write_states(self.session.doc_id, job.detail()["nodes"])
            self._last_job_state = summary["state"]

    def _announce(self, job_id: str, summary: dict[str, Any]) -> None:
        kind = {"done": "positive", "error": "negative", "cancelled": "warning"}[summary["state"]]
        ui.notify(f"Run {summary['state']}: {summary['message']}", type=kind)
        self._panel_sig = None

    def refresh_panel(self) -> None:
        if self._restore_card is not None and self.session.doc is not self._first_doc:
            self._dismiss_restore()  # the graph was edited or replaced: the offer is moot
        job = self.services.jobs.get(self.session.job_id or "")
        errors = [(n, s["error"]) for n, s in (job.detail()["nodes"].items() if job else []) if s.get("error")]
        queue = self.services.jobs.list(limit=15)
        sig = (tuple((j["id"], j["state"], j["version"]) for j in queue), len(self.session.problems),
               tuple(p.get("message") for p in self.session.problems[:3]), len(errors))
        if sig == self._panel_sig:
            return
        self._panel_sig = sig
        self._fill_problems(errors)
        self._fill_queue(queue)

    def _fill_problems(self, errors: list[tuple[str, dict[str, Any]]]) -> None:
        self.problems_box.clear()
        with self.problems_box:
            if not self.session.problems and not errors:
                ui.label("No problems.").classes("oy-muted")
            for node, err in errors:
                self._problem_row(node, "failed", err["message"], err.get("fix", ""))
            for p in self.session.problems[:100]:
                self._problem_row(p.get("node"), p.get("field") or p.get("kind"), p["message"], p.get("fix", ""))

    def _problem_row(self, node: str | None, field: str | None, message: str, fix: str) -> None:
        with ui.element("div").classes("oy-problem-row") as row:
            row.props["data-node"] = node or ""  # a value, never parsed as props
            ui.label(f"{display_path(node) if node else 'workflow'} · {field or ''}").classes("oy-problem-where")
            ui.label(message).classes("oy-problem-message")
            if fix:
                ui.label(f"fix: {fix}").classes("oy-problem-fix")
        if node and self.editor is not None:
            editor = self.editor
            row.on("click", lambda: editor.run_method("focusNode", node))

    def _fill_queue(self, queue: list[dict[str, Any]]) -> None:
        self.queue_box.clear()
        with self.queue_box:
            if not queue:
                ui.label("The queue is empty.").classes("oy-muted")
            for j in queue:
                mine = j["id"] == self.session.job_id
                with ui.row().classes("oy-job no-wrap items-center full-width" + (" oy-job-mine" if mine else "")):
                    ui.icon("circle", size="10px", color=STATE_COLOURS.get(j["state"], "grey-6"))
                    with ui.column().classes("oy-gap-0 col-grow"):
                        ui.label(f"{j['name']}").classes("oy-job-name")
                        ui.label(queue_line(j)).classes("oy-muted")
                    if j["state"] in ("queued", "running"):
                        ui.button(icon="close", on_click=lambda i=j["id"]: self.services.jobs.cancel(i)).props(
                            "flat round dense size=sm color=grey-5")


def queue_line(job: dict[str, Any]) -> str:
    """A queue card's second line: state, nodes finished of all (and failed), time; no count before any is known."""
    counts = job.get("counts") or {}
    parts = [str(job["state"])]
    total = sum(counts.values())
    if total:
        parts.append(f"{counts.get('done', 0) + counts.get('cached', 0)}/{total} nodes")
    if counts.get("error"):
        parts.append(f"{counts['error']} failed")
    parts.append(f"{job.get('seconds', 0.0):.1f} s")
    return " · ".join(parts)


def _when(stamp: float) -> str:
    """A journal or recent entry's time as people read it: today's as 14:05:09, older ones with their day."""
    if stamp <= 0:
        return "earlier"
    local = time.localtime(stamp)
    same_day = time.strftime("%Y%m%d", local) == time.strftime("%Y%m%d")
    return time.strftime("%H:%M:%S" if same_day else "%d %b %H:%M", local)
