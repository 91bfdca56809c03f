"""The browser node editor: a NiceGUI app with a REST/websocket job API and a shared job queue."""

from .options import ServeOptions

__all__ = ["ServeOptions"]
