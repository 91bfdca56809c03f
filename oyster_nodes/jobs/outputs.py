"""Exactly-once outputs: a run writes its files under a staging folder named by its job and fence, and only a run
that still holds its lease publishes them.

Publishing is two steps. First the run decides its outputs in one fenced store transaction (`begin_commit`:
the staged and final names, each file's sha256 and size); a run that lost its lease is refused here and writes
nothing. Then the staged files are renamed into place and the job is finished. The renames are idempotent (a file
already in place with the decided sha256 counts as done), so if the run dies between the two steps, the next
holder of the job's lease completes exactly the decided renames instead of running the graph again: a finished
output is never half-written, never lost, and a resumed run never writes it twice. A run that fails or is
cancelled publishes nothing; its staging folder is removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.files import confined_path, sha256_file
from ..types import Files
from ..workflow import Workflow

#: inside the output folder; hidden, so listings and galleries of outputs pass it by
STAGE_DIR = ".oyster-stage"


class CommitError(RuntimeError):
    """A decided output cannot be put in place (its staged file vanished and no equal file is in place)."""


@dataclass(kw_only=True, slots=True)
class Refused:
    node: str
    message: str
    fix: str = ""


def stage_prefix(job_id: str, fence: int) -> str:
    return f"{STAGE_DIR}/{job_id}.{fence}"


def stage_folder(staged: str) -> str:
    """The staging folder (STAGE_DIR/<job>.<fence>) a staged path lies in."""
    return "/".join(staged.split("/")[:2])


def staged_workflow(workflow: Workflow, registry: Any, prefix: str) -> Workflow:
    """A copy whose file-writing nodes write under `prefix` inside the output folder (readers are untouched)."""
    from ..batch import into_folder

    wf = workflow.model_copy(deep=True)
    into_folder(wf, prefix, registry)
    return wf


def written_files(outputs: Mapping[str, Mapping[str, Any]], out_dir: Path) -> list[tuple[str, str]]:
    """(node id, path relative to the output folder) of every file the run's outputs name inside it."""
    root = out_dir.resolve()
    found = []
    for node_id, values in outputs.items():
        for value in values.values():
            if isinstance(value, Files):
                for rel in value.paths:
                    full = (Path(value.root) / rel).resolve()
                    if root in full.parents:
                        found.append((node_id, full.relative_to(root).as_posix()))
    return found


def plan_commit(out_dir: Path, prefix: str, written: list[tuple[str, str]],
                replace: Mapping[str, bool]) -> tuple[list[dict[str, Any]], list[Refused]]:
    """The renames that publish a run's staged files, or why some cannot be published (nothing then is)."""
    files: list[dict[str, Any]] = []
    refused: list[Refused] = []
    finals: set[str] = set()
    for node_id, rel in dict.fromkeys(written):
        if not rel.startswith(prefix + "/"):
            continue  # written in place by a node without a path parameter: nothing to publish
        final = rel[len(prefix) + 1:]
        staged = out_dir / rel
        item = {"node": node_id, "staged": rel, "final": final, "sha256": sha256_file(staged),
                "bytes": staged.stat().st_size, "replace": bool(replace.get(node_id, False))}
        target = confined_path(out_dir, final)
        if final in finals:
            refused.append(Refused(node=node_id, message=f"'{final}' is written twice by this run",
                                   fix="give each export its own path"))
        elif os.path.lexists(target) and not item["replace"] and _sha(target) != item["sha256"]:
            fix = "set overwrite to replace it, or put {date}/{time} or {seed} in the name template"
            refused.append(Refused(node=node_id, message=f"'{final}' already exists in the output folder: {fix}",
                                   fix=fix))
        finals.add(final)
        files.append(item)
    return files, refused


def apply_commit(out_dir: Path, files: list[dict[str, Any]]) -> None:
    """Rename every decided file into place; safe to repeat, and safe when two runs race over the same list."""
    folders = set()
    for item in files:
        staged, final = out_dir / item["staged"], confined_path(out_dir, item["final"])
        final.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(staged):
            _publish(staged, final, item)
        elif _sha(final) != item["sha256"]:
            raise CommitError(f"'{item['final']}': its staged file is gone and the file in place differs")
        folders.add(final.parent)
    for folder in folders:
        _fsync_dir(folder)


def _publish(staged: Path, final: Path, item: dict[str, Any]) -> None:
    if item["replace"]:
        with contextlib.suppress(FileNotFoundError):  # a racing run renamed it first
            os.replace(staged, final)
    else:
        try:
            os.link(staged, final)
        except FileExistsError:
            if _sha(final) != item["sha256"]:
                raise CommitError(f"'{item['final']}' appeared in the output folder while the run was publishing; "
                                  "nothing was replaced") from None
        except FileNotFoundError:
            pass  # a racing run published it first
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
    if _sha(final) != item["sha256"]:
        raise CommitError(f"'{item['final']}' in place differs from what the run decided")


def _sha(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_staging(out_dir: Path, job_id: str, *, keep: str | None = None) -> None:
    """Remove the job's staging folders (every attempt's), except `keep` (a decided commit's)."""
    stage = out_dir / STAGE_DIR
    if not stage.is_dir():
        return
    for folder in stage.glob(f"{job_id}.*"):
        if keep is None or f"{STAGE_DIR}/{folder.name}" != keep:
            shutil.rmtree(folder, ignore_errors=True)
