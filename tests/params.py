"""Node parameters for calling a node's run() directly in tests."""

from __future__ import annotations

from typing import Any

from oyster_nodes.components import ComponentSpec, ComponentStore
from oyster_nodes.node import Node, RunContext

#: one store for the whole test session, so nodes run directly share one renderer and one text encoder
STORE = ComponentStore()


def node_context(node_id: str, **fields: Any) -> RunContext:
    """A RunContext for calling a node directly, on the session's component store."""
    return RunContext(node_id=node_id, components=STORE, **fields)


def component(spec: ComponentSpec[Any]) -> Any:
    """The session's component of a spec on the CPU (made once)."""
    with STORE.use(spec, "cpu") as value:
        return value


def checked_params(node: type[Node], **values: Any) -> dict[str, Any]:
    """Defaults overridden by `values`, each checked the way the executor checks them."""
    out = {}
    for p in node.params:
        value, problem = p.check(values.get(p.name, p.default))
        assert problem is None, f"{node.type}.{p.name}: {problem}"
        out[p.name] = value
    return out
