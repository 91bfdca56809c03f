"""The canvas as a NiceGUI element: a Vue component (frontend/) bundled by the setup command."""

from __future__ import annotations

from nicegui import ui
from nicegui.dependencies import register_importmap_override

from .options import EDITOR_ROOT, FRONTEND_DIST

COMPONENT = EDITOR_ROOT / "src" / "component.js"
ASSETS_URL = "/oyster/assets"


class FrontendMissing(RuntimeError):
    """The editor bundle has not been built."""


def register_frontend() -> str:
    """Serve frontend/dist and map the editor module; returns the stylesheet URL."""
    from nicegui import app

    bundle = FRONTEND_DIST / "editor.js"
    if not bundle.is_file():
        raise FrontendMissing(f"{bundle} is missing: run `bash scripts/setup.sh` (it runs `npm ci` and builds "
                              "the editor in frontend/)")
    stamp = int(bundle.stat().st_mtime)
    app.add_static_files(ASSETS_URL, FRONTEND_DIST)
    register_importmap_override("oyster-editor", f"{ASSETS_URL}/editor.js?v={stamp}")
    return f"{ASSETS_URL}/editor.css?v={stamp}"


class GraphEditor(ui.element, component=COMPONENT):
    """One tab's canvas; it talks to the server over the session's HTTP API and NiceGUI events."""

    def __init__(self, *, session: str, api_base: str = "/oyster") -> None:
        super().__init__()
        self._props["session"] = session
        self._props["apiBase"] = api_base
