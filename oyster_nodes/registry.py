"""One registry of node types, filled by one mechanism from three kinds of source.

A pack is a Python module (or package) whose `NODES` is a sequence of Node subclasses. Packs come
from the built-in `nodes/` package (one module per node family), from the `oyster_nodes.packs`
entry point group, and from folders named in OYSTER_NODE_PATH or on the command line. A pack that
fails to import, a bad node definition, or a type name registered twice is an error naming the pack.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from . import __version__
from .node import Node

ENTRY_POINT_GROUP = "oyster_nodes.packs"
PATH_VARIABLE = "OYSTER_NODE_PATH"
BUILTIN_PACK = "builtin"


class RegistryError(Exception):
    """A node pack could not be registered."""

    def __init__(self, pack: str, message: str, detail: str = ""):
        self.pack, self.detail = pack, detail
        super().__init__(f"node pack '{pack}': {message}")


@dataclass(kw_only=True, slots=True)
class PackInfo:
    name: str
    version: str
    source: str
    types: list[str] = field(default_factory=list)


class Registry:
    """Node types by name, and the packs they came from."""

    def __init__(self) -> None:
        self._nodes: dict[str, type[Node]] = {}
        self.packs: dict[str, PackInfo] = {}

    def get(self, type_name: str) -> type[Node] | None:
        return self._nodes.get(type_name)

    def __contains__(self, type_name: str) -> bool:
        return type_name in self._nodes

    def __iter__(self) -> Iterator[type[Node]]:
        return iter(self._nodes[name] for name in sorted(self._nodes))

    def __len__(self) -> int:
        return len(self._nodes)

    def add_pack(self, name: str, nodes: Iterable[Any], *, version: str = "0", source: str = "code") -> None:
        """Register every node of one pack, or none of them if any is wrong."""
        if name in self.packs:
            raise RegistryError(name, f"is loaded twice (from {self.packs[name].source} and {source})")
        classes = list(nodes)
        problems = []
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Node)):
                problems.append(f"{cls!r} is not a Node subclass")
                continue
            problems += cls.definition_problems()
            if cls.type in self._nodes:
                other = self._nodes[cls.type].pack
                problems.append(f"node type '{cls.type}' is already registered by pack '{other}'")
        seen = [c.type for c in classes if isinstance(c, type) and issubclass(c, Node)]
        dups = sorted({t for t in seen if seen.count(t) > 1})
        problems += [f"node type '{t}' is defined twice in this pack" for t in dups]
        if problems:
            raise RegistryError(name, "; ".join(problems))
        for cls in classes:
            cls.pack = name
            self._nodes[cls.type] = cls
        self.packs[name] = PackInfo(name=name, version=version, source=source, types=[c.type for c in classes])

    def add_module(self, name: str, module: ModuleType, *, source: str) -> None:
        nodes = getattr(module, "NODES", None)
        if nodes is None:
            raise RegistryError(name, f"module {module.__name__} has no NODES sequence")
        version = str(getattr(module, "__version__", None) or "0")
        self.add_pack(name, nodes, version=version, source=source)

    def describe(self) -> list[dict[str, Any]]:
        return [cls.describe() for cls in self]


def _import(pack: str, import_name: str) -> ModuleType:
    try:
        return importlib.import_module(import_name)
    except Exception as exc:
        raise RegistryError(pack, f"failed to import: {type(exc).__name__}: {exc}",
                            traceback.format_exc()) from exc


def builtin_modules() -> list[ModuleType]:
    """The modules of the built-in `nodes` package, one node family each."""
    package = _import(BUILTIN_PACK, "nodes")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    return [_import(f"{BUILTIN_PACK}/{name}", f"nodes.{name}") for name in names]


def load_builtin(registry: Registry) -> None:
    nodes: list[type[Node]] = []
    for module in builtin_modules():
        nodes += list(getattr(module, "NODES", ()))
    registry.add_pack(BUILTIN_PACK, nodes, version=__version__, source="nodes/")


def load_entry_points(registry: Registry) -> None:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            target = ep.load()
        except Exception as exc:
            raise RegistryError(ep.name, f"entry point {ep.value} failed to load: {type(exc).__name__}: {exc}",
                                traceback.format_exc()) from exc
        if isinstance(target, ModuleType):
            registry.add_module(ep.name, target, source=f"entry point {ep.value}")
        else:
            version = ep.dist.version if ep.dist is not None else "0"
            registry.add_pack(ep.name, target, version=version, source=f"entry point {ep.value}")


def load_folder(registry: Registry, folder: str | Path) -> None:
    """Every `*.py` file and every package in `folder` is one pack, named after it."""
    root = Path(folder)
    if not root.is_dir():
        raise RegistryError(str(root), "pack folder does not exist")
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        if entry.suffix == ".py" and entry.is_file():
            registry.add_module(entry.stem, _import_file(entry.stem, entry), source=str(entry))
        elif (entry / "__init__.py").is_file():
            registry.add_module(entry.name, _import_file(entry.name, entry / "__init__.py"), source=str(entry))


def _import_file(pack: str, path: Path) -> ModuleType:
    module_name = f"oyster_pack_{pack}"
    spec = importlib.util.spec_from_file_location(
        module_name, path, submodule_search_locations=[str(path.parent)] if path.name == "__init__.py" else None)
    if spec is None or spec.loader is None:
        raise RegistryError(pack, f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise RegistryError(pack, f"failed to import {path}: {type(exc).__name__}: {exc}",
                            traceback.format_exc()) from exc
    return module


def pack_folders(extra: Iterable[str | Path] = ()) -> list[Path]:
    env = [p for p in os.environ.get(PATH_VARIABLE, "").split(os.pathsep) if p]
    return [Path(p) for p in [*env, *extra]]


def load_registry(*, folders: Iterable[str | Path] = (), use_entry_points: bool = True) -> Registry:
    """The built-in pack, installed entry-point packs, and folder packs, in that order."""
    registry = Registry()
    load_builtin(registry)
    if use_entry_points:
        load_entry_points(registry)
    for folder in pack_folders(folders):
        load_folder(registry, folder)
    return registry
