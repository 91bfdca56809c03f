"""Oyster Nodes: an open, node-based world-model studio.

The public node API for packs: Node, Port, Param, RelPath, RunContext and the wire types.
"""

__version__ = "0.1.0"

from .node import Cancelled, Node, Param, Port, RelPath, RunContext  # noqa: E402
from .types import (  # noqa: E402
    ActionScript,
    AnyData,
    Audio,
    CameraPath,
    Files,
    Frames,
    Image,
    Prompt,
    WireData,
)

__all__ = [
    "ActionScript", "AnyData", "Audio", "CameraPath", "Cancelled", "Files", "Frames", "Image", "Node",
    "Param", "Port", "Prompt", "RelPath", "RunContext", "WireData", "__version__",
]
