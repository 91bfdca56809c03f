"""The package's layering: no import cycles, leaves stay leaves, the core never imports the UI."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("oyster_nodes", "nodes")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Every module of ours that `path` imports, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text())
    type_only = {id(n) for s in ast.walk(tree) if isinstance(s, ast.If) and "TYPE_CHECKING" in ast.unparse(s.test)
                 for b in s.body for n in ast.walk(b)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    modules = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    g = nx.DiGraph()
    g.add_nodes_from(modules)
    for name, path in modules.items():
        for target in _imports(path, name):
            # a package's __init__ is not a dependency of its own submodules' siblings
            if target in modules and target != name and not name.startswith(target + "."):
                g.add_edge(name, target)
    return g


def test_no_import_cycles(graph: nx.DiGraph) -> None:
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def _reaches(graph: nx.DiGraph, source_prefix: str, target_prefix: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in graph.edges
            if (a == source_prefix or a.startswith(source_prefix + ".")) and
            (b == target_prefix or b.startswith(target_prefix + "."))]


@pytest.mark.parametrize(("source", "forbidden"), [
    ("oyster_nodes.world", "oyster_nodes.server"),
    ("oyster_nodes.world", "oyster_nodes.executor"),
    ("oyster_nodes.world", "oyster_nodes.cli"),
    ("oyster_nodes.world", "oyster_nodes.io"),
    ("oyster_nodes.io", "oyster_nodes.server"),
    ("oyster_nodes.io.files", "oyster_nodes.world"),
    ("oyster_nodes.io.images", "oyster_nodes.world"),
    ("oyster_nodes.io.video", "oyster_nodes.world"),
    ("oyster_nodes.io.provenance", "oyster_nodes.world"),
    ("oyster_nodes.io.exr_header", "oyster_nodes.world"),
    ("nodes", "oyster_nodes.executor"),
    ("nodes", "oyster_nodes.server"),
    ("nodes", "oyster_nodes.cli"),
    ("oyster_nodes.types", "oyster_nodes.world"),
    ("oyster_nodes.workflow", "oyster_nodes.world"),
    ("oyster_nodes.world.state", "oyster_nodes.world.render"),
    ("oyster_nodes.world.geometry", "oyster_nodes.world.render"),
    ("oyster_nodes.world.simulate", "oyster_nodes.world.render"),
    ("oyster_nodes.world.camera.map", "oyster_nodes.world.render.gpu_scene"),
])
def test_layers(graph: nx.DiGraph, source: str, forbidden: str) -> None:
    assert not _reaches(graph, source, forbidden)


def test_packs_import_the_public_face_only() -> None:
    """Built-in nodes import the core through `oyster_nodes.world` and `oyster_nodes.io`'s faces."""
    deep = []
    for path in (ROOT / "nodes").glob("*.py"):
        for target in _imports(path, _module_name(path)):
            if target.startswith("oyster_nodes.world.") and target.count(".") > 2:
                deep.append((path.name, target))
    assert not deep, f"deep imports into the world core: {sorted(set(deep))[:10]}"
