"""Paths from outside (workflow parameters, lines said in Explore) confined to one folder; a leaf module.

One confinement for every file a node reads or writes and every file Explore reads for the graph (a mesh
brought in live): a relative path with no '..', resolved with its symbolic links, that stays inside the folder.
"""

from __future__ import annotations

from pathlib import Path


def _show(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def relpath_problem(value: str) -> str | None:
    """Why a path is not a safe relative path inside the output folder, or None."""
    if not value:
        return "is empty: give a file name inside the output folder"
    p = Path(value)
    if p.is_absolute() or value.startswith(("/", "\\")) or (len(value) > 1 and value[1] == ":"):
        return f"is an absolute path ({_show(value)}): give a path inside the output folder"
    if ".." in p.parts:
        return f"leaves the output folder ({_show(value)}): remove '..'"
    if "\x00" in value:
        return "contains a NUL character"
    return None


def inside_folder(root: Path, relative: str) -> Path:
    """`relative` resolved inside `root` (symbolic links followed), or ValueError saying how it leaves it: the one
    confinement of every path a node reads or writes, and of files Explore reads for a node (a live import)."""
    problem = relpath_problem(relative)
    if problem:
        raise ValueError(problem)
    base = Path(root).resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{relative!r} leaves the output folder")
    return target
