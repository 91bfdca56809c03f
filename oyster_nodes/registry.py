"""One registry of node types, filled by one mechanism from three kinds of source.

A pack is a Python module (or package) whose `NODES` is a sequence of Node subclasses. Packs come
from the built-in pack (the `nodes/` folder, one module per node family, imported as
`oyster_nodes.builtin`), from the `oyster_nodes.packs` entry point group, and from folders named in
OYSTER_NODE_PATH or on the command line. A pack that fails to import, a bad node definition, or a
type name registered twice is an error naming the pack. The built-in pack is listed from an index
kept in the cache folder, so a run imports only the node families it uses.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
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
#: the import name of the `nodes/` folder (mapped by the build; see oyster_nodes/builtin/__init__.py)
BUILTIN_PACKAGE = "oyster_nodes.builtin"


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
    """Node types by name, and the packs they came from.

    A pack listed from its index is registered by name only; the module that defines a type is
    imported the first time that type is asked for, so a run imports only the families it uses.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, type[Node]] = {}
        #: type name -> (pack, module) for listed types whose module is not imported yet
        self._listed: dict[str, tuple[str, str]] = {}
        self._importers: dict[str, Callable[[str], ModuleType]] = {}
        self._lock = threading.RLock()
        self.packs: dict[str, PackInfo] = {}

    def get(self, type_name: str) -> type[Node] | None:
        cls = self._nodes.get(type_name)
        if cls is None and type_name in self._listed:
            self._import_listed(*self._listed[type_name])
            cls = self._nodes.get(type_name)
        return cls

    def __contains__(self, type_name: str) -> bool:
        return type_name in self._nodes or type_name in self._listed

    def __iter__(self) -> Iterator[type[Node]]:
        self.import_all()
        return iter(self._nodes[name] for name in sorted(self._nodes))

    def __len__(self) -> int:
        return len(self._nodes) + len(self._listed)

    def type_names(self) -> list[str]:
        """Every registered type name, without importing any listed module."""
        return sorted({*self._nodes, *self._listed})

    def import_all(self) -> None:
        """Import every listed module (what describing all nodes needs)."""
        with self._lock:
            for pack, module in sorted(set(self._listed.values())):
                self._import_listed(pack, module)

    def add_pack(self, name: str, nodes: Iterable[Any], *, version: str = "0", source: str = "code") -> None:
        """Register every node of one pack, or none of them if any is wrong."""
        with self._lock:
            if name in self.packs:
                raise RegistryError(name, f"is loaded twice (from {self.packs[name].source} and {source})")
            classes = list(nodes)
            problems = self._class_problems(classes)
            if problems:
                raise RegistryError(name, "; ".join(problems))
            self._register(name, classes)
            self.packs[name] = PackInfo(name=name, version=version, source=source,
                                        types=[c.type for c in classes])

    def add_listed_pack(self, name: str, index: Mapping[str, str], importer: Callable[[str], ModuleType], *,
                        version: str, source: str) -> None:
        """Register a pack from its index (type name -> module name); `importer` imports a module on demand."""
        with self._lock:
            if name in self.packs:
                raise RegistryError(name, f"is loaded twice (from {self.packs[name].source} and {source})")
            taken = sorted(t for t in index if t in self)
            if taken:
                raise RegistryError(name, "; ".join(f"node type '{t}' is already registered by pack "
                                                    f"'{self._pack_of(t)}'" for t in taken))
            self._importers[name] = importer
            self._listed.update({t: (name, module) for t, module in index.items()})
            self.packs[name] = PackInfo(name=name, version=version, source=source, types=sorted(index))

    def add_module(self, name: str, module: ModuleType, *, source: str) -> None:
        nodes = getattr(module, "NODES", None)
        if nodes is None:
            raise RegistryError(name, f"module {module.__name__} has no NODES sequence")
        version = str(getattr(module, "__version__", None) or "0")
        self.add_pack(name, nodes, version=version, source=source)

    def describe(self) -> list[dict[str, Any]]:
        return [cls.describe() for cls in self]

    def _class_problems(self, classes: list[Any]) -> list[str]:
        problems = []
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Node)):
                problems.append(f"{cls!r} is not a Node subclass")
                continue
            problems += cls.definition_problems()
            if cls.type in self:
                problems.append(f"node type '{cls.type}' is already registered by pack '{self._pack_of(cls.type)}'")
        seen = [c.type for c in classes if isinstance(c, type) and issubclass(c, Node)]
        dups = sorted({t for t in seen if seen.count(t) > 1})
        return problems + [f"node type '{t}' is defined twice in this pack" for t in dups]

    def _pack_of(self, type_name: str) -> str:
        cls = self._nodes.get(type_name)
        return cls.pack if cls is not None else self._listed[type_name][0]

    def _register(self, pack: str, classes: list[type[Node]]) -> None:
        for cls in classes:
            cls.pack = pack
            self._nodes[cls.type] = cls

    def _import_listed(self, pack: str, module_name: str) -> None:
        with self._lock:
            promised = sorted(t for t, where in self._listed.items() if where == (pack, module_name))
            if not promised:
                return  # another thread imported it meanwhile
            classes = list(getattr(self._importers[pack](module_name), "NODES", ()))
            for t in promised:
                del self._listed[t]
            problems = self._class_problems(classes)
            found = {c.type for c in classes if isinstance(c, type) and issubclass(c, Node)}
            problems += [f"module {module_name} no longer defines node type '{t}' listed in its index"
                         for t in promised if t not in found]
            if problems:
                raise RegistryError(pack, "; ".join(problems) + " (delete the pack index in the cache folder "
                                    "if this persists)")
            self._register(pack, classes)


def _import(pack: str, import_name: str) -> ModuleType:
    try:
        return importlib.import_module(import_name)
    except Exception as exc:
        raise RegistryError(pack, f"failed to import: {type(exc).__name__}: {exc}",
                            traceback.format_exc()) from exc


def index_folder() -> Path:
    """Where pack indexes are kept: beside the disk cache ($OYSTER_CACHE_DIR or ~/.cache/oyster-nodes)."""
    env = os.environ.get("OYSTER_CACHE_DIR")
    return (Path(env) if env else Path.home() / ".cache" / "oyster-nodes") / "packs"


def package_modules(pack: str, package_name: str) -> list[ModuleType]:
    """The top-level modules and subpackages of a pack package, one node family each, imported."""
    package = _import(pack, package_name)
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    return [_import(f"{pack}/{name}", f"{package_name}.{name}") for name in names]


def builtin_modules() -> list[ModuleType]:
    """The modules of the built-in pack (the `nodes/` folder, imported as `oyster_nodes.builtin`)."""
    return package_modules(BUILTIN_PACK, BUILTIN_PACKAGE)


def load_package(registry: Registry, pack: str, package_name: str, *, version: str,
                 index_dir: Path | None = None) -> None:
    """Register a pack package from its index when the index matches the sources, else import it all.

    The index (type name -> defining module) is keyed by the package's location and stamped with
    the size and modification time of every source file, so editing, adding or removing a module
    rebuilds it on the next start.
    """
    package = _import(pack, package_name)
    folders = [Path(p) for p in package.__path__]
    stamp = source_stamp(folders, version)
    path = (index_dir or index_folder()) / f"{pack}-{_digest(str(folders))}.json"
    index = _read_index(path, stamp)
    source = f"{package_name} ({', '.join(map(str, folders))})"
    if index is not None:
        registry.add_listed_pack(pack, index, lambda module: _import(f"{pack}/{module.rsplit('.', 1)[-1]}", module),
                                 version=version, source=source)
        return
    modules = package_modules(pack, package_name)
    registry.add_pack(pack, [cls for m in modules for cls in getattr(m, "NODES", ())], version=version,
                      source=source)
    _write_index(path, stamp, {cls.type: m.__name__ for m in modules for cls in getattr(m, "NODES", ())})


def load_builtin(registry: Registry, *, index_dir: Path | None = None) -> None:
    load_package(registry, BUILTIN_PACK, BUILTIN_PACKAGE, version=__version__, index_dir=index_dir)


def source_stamp(folders: Iterable[Path], version: str) -> str:
    """A digest of the path, size and modification time of every Python file under the folders."""
    parts = [version]
    for folder in folders:
        for file in sorted(folder.rglob("*.py")):
            st = file.stat()
            parts.append(f"{file.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}")
    return _digest("\n".join(parts))


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _read_index(path: Path, stamp: str) -> dict[str, str] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    types = doc.get("types") if isinstance(doc, dict) and doc.get("stamp") == stamp else None
    if not isinstance(types, dict) or not all(isinstance(v, str) for v in types.values()):
        return None
    return types


def _write_index(path: Path, stamp: str, types: dict[str, str]) -> None:
    """Best effort: a folder we cannot write only means the next start imports everything again."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "types": types}, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass


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
