"""Node parameters for calling a node's run() directly in tests."""

from __future__ import annotations

from typing import Any

from oyster_nodes.node import Node


def checked_params(node: type[Node], **values: Any) -> dict[str, Any]:
    """Defaults overridden by `values`, each checked the way the executor checks them."""
    out = {}
    for p in node.params:
        value, problem = p.check(values.get(p.name, p.default))
        assert problem is None, f"{node.type}.{p.name}: {problem}"
        out[p.name] = value
    return out
