from __future__ import annotations

import pytest

from oyster_nodes.world import RENDERER, Renderer

from ..params import component


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The test session's renderer (one GL context), the same one nodes run directly get from the store."""
    return component(RENDERER)
