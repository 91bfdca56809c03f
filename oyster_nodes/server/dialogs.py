"""Dialogs of the editor page: the template gallery, the output browser and the workspace file picker."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from nicegui import ui

from .workspace import Workspace

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
VIDEO_SUFFIXES = (".mp4", ".webm")


def template_gallery(workspace: Workspace, *, on_open: Callable[[str], Awaitable[None]]) -> None:
    entries = workspace.list("template")
    with ui.dialog().props('data-testid="template-gallery"') as dialog, ui.card().classes("oy-dialog oy-wide"):
        ui.label("Templates").classes("oy-text-lg")
        ui.label(f"from {workspace.templates}").classes("oy-muted")
        if not entries:
            ui.label("No templates found: add workflow JSON files to that folder.").classes("oy-muted")
        with ui.element("div").classes("oy-gallery"):
            for entry in entries:
                _template_card(entry.to_dict(), dialog, on_open)
    dialog.open()


def _template_card(entry: dict[str, Any], dialog: ui.dialog, on_open: Callable[[str], Awaitable[None]]) -> None:
    async def open_it() -> None:
        dialog.close()
        await on_open(entry["path"])

    with ui.element("div").classes("oy-template") as card:
        card.props["data-template"] = entry["path"]  # set as a value: a name never goes through props parsing
        ui.label(entry["name"]).classes("oy-template-name")
        ui.label(entry["description"] or entry["path"]).classes("oy-template-desc")
        if entry["problem"]:
            ui.label(entry["problem"]).classes("oy-problem-message")
        else:
            ui.label(f"{entry['nodes']} nodes").classes("oy-muted")
    if not entry["problem"]:
        card.on("click", open_it)


def outputs_browser(workspace: Workspace) -> None:
    files = workspace.files(workspace.outputs, limit=300)
    with ui.dialog() as dialog, ui.card().classes("oy-dialog oy-wide"):
        with ui.row().classes("items-center full-width"):
            ui.label("Outputs").classes("oy-text-lg")
            ui.label(str(workspace.outputs)).classes("oy-muted")
            ui.space()
            ui.button(icon="close", on_click=dialog.close).props("flat round dense color=grey-4")
        if not files:
            ui.label("Nothing written yet: run a workflow with an export node.").classes("oy-muted")
        with ui.element("div").classes("oy-gallery"):
            for f in files:
                _output_tile(f)
    dialog.open()


def _output_tile(f: dict[str, Any]) -> None:
    url = f"/oyster/files/{quote(f['path'])}"
    name = f["path"].lower()
    with ui.element("div").classes("oy-template"):
        if name.endswith(IMAGE_SUFFIXES):
            ui.image(url).classes("oy-thumb")
        elif name.endswith(VIDEO_SUFFIXES):
            ui.video(url, autoplay=False, muted=True).classes("oy-thumb")
        ui.link(f["path"], url, new_tab=True).classes("oy-template-name")
        when = time.strftime("%d %b %H:%M", time.localtime(f["modified"]))
        ui.label(f"{_size(f['bytes'])} · {when}").classes("oy-muted")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def file_picker(workspace: Workspace, *, on_pick: Callable[[str], Awaitable[None]]) -> None:
    """Choose a file inside the workspace; the value is its path relative to the workspace."""
    files = workspace.files(workspace.root, limit=500)
    with ui.dialog() as dialog, ui.card().classes("oy-dialog oy-wide"):
        ui.label("Choose a file in the workspace").classes("oy-text-lg")
        search = ui.input(placeholder="filter").props("dense dark outlined autofocus").classes("full-width")
        listing = ui.column().classes("oy-file-list full-width oy-gap-0")

        def fill() -> None:
            listing.clear()
            words = (search.value or "").lower().split()
            shown = [f for f in files if all(w in f["path"].lower() for w in words)][:200]
            with listing:
                for f in shown:
                    async def pick(path: str = f["path"]) -> None:
                        dialog.close()
                        await on_pick(path)

                    ui.label(f["path"]).classes("oy-file-row").on("click", pick)
                if not shown:
                    ui.label("no file matches").classes("oy-muted")

        search.on_value_change(lambda _: fill())
        fill()
    dialog.open()
