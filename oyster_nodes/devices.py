"""Which device a node runs on, one lock per GPU, and freeing GPU memory under a budget.

torch is imported only when a GPU question is asked, so CPU-only runs start fast.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d{1,2})?)$")


class DeviceError(ValueError):
    pass


@lru_cache(maxsize=1)
def cuda_count() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve(requested: str | None) -> str:
    """'auto' or None -> 'cuda' when a GPU is present, else 'cpu'; checks explicit requests."""
    name = (requested or "auto").strip().lower()
    if not _DEVICE.match(name):
        raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda or cuda:N")
    if name == "auto":
        return "cuda" if cuda_count() else "cpu"
    if name.startswith("cuda"):
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= cuda_count():
            have = cuda_count()
            raise DeviceError(f"device {name} is not available ({have} GPU{'s' if have != 1 else ''} found): "
                              "use --device cpu")
    return name


class DeviceLocks:
    """GPU work is serialised per device; CPU work is not. Re-entrant, so a GPU node holding its
    device's lock may use an exclusive component on that device (see oyster_nodes.components)."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def lock_for(self, device: str) -> threading.RLock | None:
        """The lock GPU nodes run under on `device`; None on the CPU, where nodes run in parallel."""
        if not device.startswith("cuda"):
            return None
        return self.exclusive_lock(device)

    def exclusive_lock(self, device: str) -> threading.RLock:
        """The one lock of `device` ("cuda" is "cuda:0"), for work only one thread may do there at a time."""
        key = "cuda:0" if device == "cuda" else device
        with self._guard:
            return self._locks.setdefault(key, threading.RLock())


def free_gpu_memory(device: str, budget_bytes: int) -> bool:
    """Release cached GPU blocks when the device holds more than the budget; True if it did."""
    if not device.startswith("cuda") or not cuda_count():
        return False
    import torch

    if torch.cuda.memory_reserved(device) <= budget_bytes:
        return False
    torch.cuda.empty_cache()
    return True
