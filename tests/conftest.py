from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
# subprocesses and spawned workers of the tests import `tests.…` (stub packs) and this checkout's code
_ROOT = str(Path(__file__).resolve().parents[1])
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH", "")) if p)

from oyster_nodes.registry import Registry, load_registry  # noqa: E402
from oyster_nodes.workflow import Workflow, parse_data  # noqa: E402

from . import stubnodes  # noqa: E402


class WorkflowBuilder:
    """Builds workflow documents in tests: nodes, then links by 'node.port'."""

    def __init__(self) -> None:
        self.doc: dict[str, Any] = {"format": "oyster-workflow", "version": 1, "nodes": [], "links": []}

    def node(self, node_id: str, type_name: str, **params: Any) -> WorkflowBuilder:
        self.doc["nodes"].append({"id": node_id, "type": type_name, "params": params})
        return self

    def link(self, source: str, target: str) -> WorkflowBuilder:
        sn, so = source.split(".")
        tn, ti = target.split(".")
        self.doc["links"].append({"from_node": sn, "from_output": so, "to_node": tn, "to_input": ti})
        return self

    def build(self) -> Workflow:
        return parse_data(self.doc)


@pytest.fixture
def builder() -> WorkflowBuilder:
    return WorkflowBuilder()


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    reg.add_pack("stub", stubnodes.NODES)
    return reg


@pytest.fixture(scope="session")
def full_registry() -> Registry:
    return load_registry(use_entry_points=False)


@pytest.fixture(autouse=True)
def _reset_runs() -> None:
    stubnodes.RUNS.clear()
