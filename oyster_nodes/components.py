"""Long-lived components (renderers, text encoders, model pipelines) made once per (kind, device).

A `ComponentSpec` says how to make one kind of component: `create(device)` builds it, `nbytes`
gives its size (an int, or a function of the component; without it the component's own `nbytes`
attribute or method is used), and `exclusive` marks a component that only one thread may use at a
time. A `ComponentStore` holds the components made from specs, keyed by (kind, device):

    RENDERER = ComponentSpec(kind="renderer", create=Renderer, nbytes=256 << 20, exclusive=True)

    with ctx.components.use(RENDERER, ctx.device) as renderer:   # or ctx.use_component(RENDERER)
        frames = renderer.render(...)

The first `use` creates the component (once, however many threads ask at the same moment); later
uses, in this run or the next job, get the same object. While a `use` block is open the component
is in use and is never evicted. Components not in use are evicted least recently used first when a
device holds more than `budget_bytes` (the budget applies to each device on its own: a GPU's
components do not compete with the CPU's); an evicted component's `close()` is called if it has one.
An exclusive component is used under the device lock of `oyster_nodes.devices.DeviceLocks`, the same
re-entrant lock the executor takes around GPU nodes, so a GPU node may use an exclusive component
on its own device without deadlock and two threads never use one at once. On the CPU all exclusive
components share the one "cpu" lock. Do not open an exclusive component of one device inside a block
holding an exclusive component of another (two threads doing it the other way round would deadlock).

The executor owns one store (`Executor.components`) and hands it to every node as `ctx.components`;
a worker process makes its own `ComponentStore()` and passes it as `Executor(components=store)`, so
the components stay warm across the jobs it runs. A node run outside an executor gets a store of its
own on first `ctx.use_component` (tests that run many nodes should pass one shared store instead).

Devices are "cpu", "cuda" (the same as "cuda:0") or "cuda:N". A store can also know specs by kind
(`register`), so a headless worker process registers the specs it serves and asks by name; it needs
nothing but this module and `devices`. Thread-safe throughout; factories and `close()` run outside
the store's own lock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from .devices import DeviceLocks

T = TypeVar("T")
log = logging.getLogger(__name__)
_DEVICE = re.compile(r"^(cpu|cuda(:\d{1,2})?)$")


class ComponentError(RuntimeError):
    """A component could not be found, made or sized."""


@dataclass(kw_only=True, frozen=True, slots=True)
class ComponentSpec(Generic[T]):
    """How to make one kind of component on a device."""

    #: the name components of this spec are stored under, e.g. "renderer", "text_encoder"
    kind: str
    #: builds the component for a device string ("cpu", "cuda:1")
    create: Callable[[str], T]
    #: bytes the component holds: a number, or a function of the component; None asks the component
    nbytes: int | Callable[[T], int] | None = None
    #: only one thread at a time may use it (a GL context, a pipeline with internal state)
    exclusive: bool = False


@dataclass(kw_only=True, frozen=True, slots=True)
class ComponentInfo:
    """What the store holds: one row per made component."""

    kind: str
    device: str
    nbytes: int
    in_use: int
    last_used: float


@dataclass(kw_only=True, slots=True)
class _Entry:
    spec: ComponentSpec[Any]
    device: str
    value: Any = None
    nbytes: int = 0
    in_use: int = 0
    last_used: float = 0.0
    ready: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def normalise_device(device: str) -> str:
    """'cuda' -> 'cuda:0'; refuses anything but cpu, cuda and cuda:N."""
    name = device.strip().lower()
    if not _DEVICE.match(name):
        raise ComponentError(f"unknown device {device!r} for a component: use cpu, cuda or cuda:N "
                             "(resolve 'auto' first)")
    return "cuda:0" if name == "cuda" else name


class ComponentStore:
    """Components by (kind, device), made on first use, kept under a per-device byte budget."""

    def __init__(self, *, budget_bytes: int = 8 << 30, locks: DeviceLocks | None = None):
        self.budget_bytes = budget_bytes
        self.locks = locks or DeviceLocks()
        self.evictions = 0
        self._specs: dict[str, ComponentSpec[Any]] = {}
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def register(self, spec: ComponentSpec[Any]) -> None:
        """Know a spec by its kind, so `use(kind, device)` can make it; a different spec for a known kind is refused."""
        with self._lock:
            self._spec_for(spec)

    @overload
    def use(self, what: ComponentSpec[T], device: str) -> AbstractContextManager[T]: ...
    @overload
    def use(self, what: str, device: str) -> AbstractContextManager[Any]: ...

    def use(self, what: ComponentSpec[Any] | str, device: str) -> AbstractContextManager[Any]:
        """The component of this spec (or registered kind) on `device`, in use for a `with` block."""
        return self._use(self._resolve(what), normalise_device(device))

    @contextmanager
    def _use(self, spec: ComponentSpec[Any], device: str) -> Iterator[Any]:
        lock = self.locks.exclusive_lock(device) if spec.exclusive else None
        if lock is not None:
            lock.acquire()
        try:
            entry = self._acquire(spec, device)
            try:
                yield entry.value
            finally:
                self._release(entry)
        finally:
            if lock is not None:
                lock.release()

    def _resolve(self, what: ComponentSpec[Any] | str) -> ComponentSpec[Any]:
        with self._lock:
            if isinstance(what, ComponentSpec):
                return self._spec_for(what)
            spec = self._specs.get(what)
        if spec is None:
            known = ", ".join(sorted(self._specs)) or "none"
            raise ComponentError(f"no component kind {what!r} is registered (known: {known}): "
                                 "pass its ComponentSpec or register it first")
        return spec

    def _spec_for(self, spec: ComponentSpec[Any]) -> ComponentSpec[Any]:
        known = self._specs.setdefault(spec.kind, spec)
        if known is not spec and known != spec:
            raise ComponentError(f"component kind {spec.kind!r} is already made by another spec "
                                 f"({known.create!r}): give the new spec its own kind")
        return known

    def _acquire(self, spec: ComponentSpec[Any], device: str) -> _Entry:
        key = (spec.kind, device)
        with self._lock:
            entry = self._entries.get(key)
            maker = entry is None
            if entry is None:
                entry = self._entries[key] = _Entry(spec=spec, device=device)
            entry.in_use += 1
            self._entries.move_to_end(key)
        if maker:
            self._make(entry)
        else:
            entry.ready.wait()
        if entry.error is not None:
            self._release(entry)
            raise ComponentError(f"component {spec.kind!r} on {device} could not be made: "
                                 f"{type(entry.error).__name__}: {entry.error}") from entry.error
        return entry

    def _make(self, entry: _Entry) -> None:
        try:
            entry.value = entry.spec.create(entry.device)
            entry.nbytes = _size_of(entry.spec, entry.value)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiter, re-raised there
            entry.error = exc
            close = getattr(entry.value, "close", None)
            if callable(close):  # made but not usable (its size could not be told): free what it holds
                try:
                    close()
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    log.exception("closing a component that could not be sized")
            entry.value = None
            with self._lock:
                if self._entries.get((entry.spec.kind, entry.device)) is entry:
                    del self._entries[(entry.spec.kind, entry.device)]
        finally:
            entry.ready.set()

    def _release(self, entry: _Entry) -> None:
        with self._lock:
            entry.in_use -= 1
            entry.last_used = time.monotonic()
            doomed = self._over_budget(entry.device)
        for victim in doomed:
            self._close(victim)

    def _over_budget(self, device: str) -> list[_Entry]:
        """Unlink least recently used idle entries of `device` until it fits the budget (store lock held)."""
        mine = [e for e in self._entries.values() if e.device == device and e.error is None and e.ready.is_set()]
        total = sum(e.nbytes for e in mine)
        doomed = []
        for e in mine:
            if total <= self.budget_bytes:
                break
            if e.in_use == 0:
                del self._entries[(e.spec.kind, e.device)]
                total -= e.nbytes
                doomed.append(e)
                self.evictions += 1
        return doomed

    def _close(self, entry: _Entry) -> None:
        close = getattr(entry.value, "close", None)
        if not callable(close):
            return
        lock = self.locks.exclusive_lock(entry.device) if entry.spec.exclusive else None
        try:
            if lock is None:
                close()
            else:
                with lock:
                    close()
        except Exception:  # a component that fails to close must not fail the node that evicted it
            log.exception("closing component %r on %s failed", entry.spec.kind, entry.device)

    def evict(self, kind: str | None = None, device: str | None = None) -> int:
        """Close and drop idle components (all, or of one kind and/or device); returns how many."""
        dev = normalise_device(device) if device is not None else None
        with self._lock:
            doomed = [e for e in self._entries.values()
                      if e.in_use == 0 and e.ready.is_set() and (kind is None or e.spec.kind == kind)
                      and (dev is None or e.device == dev)]
            for e in doomed:
                del self._entries[(e.spec.kind, e.device)]
        for e in doomed:
            self._close(e)
        return len(doomed)

    def close(self) -> None:
        """Close every idle component (at shutdown); components in use stay until their block ends."""
        self.evict()

    def nbytes(self, device: str | None = None) -> int:
        dev = normalise_device(device) if device is not None else None
        with self._lock:
            return sum(e.nbytes for e in self._entries.values() if dev is None or e.device == dev)

    def info(self) -> list[ComponentInfo]:
        """The made components, least recently used first."""
        with self._lock:
            return [ComponentInfo(kind=e.spec.kind, device=e.device, nbytes=e.nbytes, in_use=e.in_use,
                                  last_used=e.last_used)
                    for e in self._entries.values() if e.ready.is_set() and e.error is None]

    def __contains__(self, key: tuple[str, str]) -> bool:
        kind, device = key
        with self._lock:
            entry = self._entries.get((kind, normalise_device(device)))
            return entry is not None and entry.ready.is_set() and entry.error is None

    def __len__(self) -> int:
        return len(self.info())


def _size_of(spec: ComponentSpec[Any], value: Any) -> int:
    size: Any = spec.nbytes
    if size is None:
        size = getattr(value, "nbytes", None)
    if callable(size):
        size = size(value) if spec.nbytes is not None else size()
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ComponentError(f"component {spec.kind!r} reports no size in bytes (got {size!r}): give its "
                             "ComponentSpec an nbytes, or define nbytes on the component")
    return size
