"""Jobs on a Ray cluster: each job is a Ray Job whose submission id is the job's key, and whose work runs as Ray
tasks spread over the nodes, a long shot's frame ranges each a task of its own.

- **The key.** A job's key is a hash of what it computes (the workflow, the output and cache folders, the split),
  used as the Ray submission id. Ray refuses a second submission with an id it knows, so submitting the same
  job again (a re-run command, a driver restarted after a crash) attaches to the first one: never a duplicate.
- **Where work runs.** The job's entrypoint (`python -m oyster_nodes.cluster.job SPEC`) is a small driver on the
  head node; it starts tasks: one computing the shot's inputs (world, simulation), one per frame range (spread
  over the nodes, `num_gpus` each on a cluster with GPUs), and one joining the ranges and running the rest of
  the workflow (the export). A job without a shot is one task.
- **A dead worker.** Tasks are retried when their worker or node dies (`max_retries`); a range that was running
  on a machine that went away is rendered again elsewhere, and ranges it had finished are rebuilt by Ray.
- **Progress.** Each range task appends how many of its frames it has rendered to a file beside the job's spec
  (`<key>.progress.jsonl`); `wait` and `oyster worker --ray` read it as the shot node's progress.
- **Shared state.** World states, timelines and the joined frames go through the content-addressed disk cache
  in a folder every node mounts at the same path (`cache_dir`), not through Ray's object store: the cache is
  keyed by content, so any job, batch, restarted cluster or single-machine run finds a world computed once;
  it outlives the cluster and the driver that would own an object; and it is not bounded by the object store's
  memory. Only the rendered ranges, used once by the joining task, travel as Ray objects.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: frames one range task renders
FRAMES_PER_TASK = 24
#: retries of a task whose worker died
MAX_RETRIES = 3
#: jobs' specs and results, inside the output folder (shared by every node)
JOBS_FOLDER = ".oyster-ray"
TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")
#: how long a submit waits for the job agent of a cluster that has just started
AGENT_WAIT_S = 60.0
#: a range task notes its progress at most this often (and at its last frame)
PROGRESS_EVERY_S = 0.5
#: the job's tasks run at the usual priority: Ray starts task workers at niceness 15 (so that its own daemons
#: stay responsive), which on a machine doing anything else leaves the renders only its idle time, and two
#: nodes on one busy machine no faster than one
TASK_ENV = {"env_vars": {"RAY_worker_niceness": "0"}}


class ClusterError(RuntimeError):
    """The cluster cannot be reached or refused the job; the message says what to check."""


@dataclass(kw_only=True, slots=True)
class JobSpec:
    """What one job computes; its key is a hash of all of it."""

    workflow: str
    out_dir: str
    cache_dir: str
    name: str = ""
    frames_per_task: int = FRAMES_PER_TASK
    device: str = "auto"
    #: GPUs per task: None means one per task when the cluster has GPUs, else none
    num_gpus: float | None = None
    packs: list[str] = field(default_factory=list)
    #: the workflow the exports embed, when not `workflow` itself (a store job's workflow as submitted, not its
    #: staging paths), so a file's bytes are those a run on one machine writes
    embed: str = ""
    #: the Ray submission id when given (a store job's attempt: `oyster worker --ray`); else a hash of the rest
    submission: str = ""

    def key(self) -> str:
        if self.submission:
            return self.submission
        body = json.dumps({k: v for k, v in asdict(self).items() if k != "name" and (v or k != "embed")},
                          sort_keys=True, separators=(",", ":"))
        return "oyster-" + hashlib.blake2b(body.encode(), digest_size=12).hexdigest()

    def folder(self) -> Path:
        return Path(self.out_dir) / JOBS_FOLDER

    def path(self) -> Path:
        return self.folder() / f"{self.key()}.json"

    def result_path(self) -> Path:
        return self.folder() / f"{self.key()}.result.json"

    def attempts_path(self) -> Path:
        """One line per task attempt (task, node, pid): what ran where, retries included."""
        return self.folder() / f"{self.key()}.attempts.jsonl"

    def progress_path(self) -> Path:
        """One line per progress note of a range task: node, range, frames done of the range's, the shot's."""
        return self.folder() / f"{self.key()}.progress.jsonl"


@dataclass(kw_only=True, slots=True)
class Submitted:
    key: str
    spec: JobSpec
    #: True when the cluster already knew the key: this submission attached to the existing job
    refused: bool = False


# ----------------------------------------------------------------------------------------- the driver side


def client(address: str) -> Any:
    """Ray's job client for a cluster's dashboard address (`http://HOST:8265`, or HOST:PORT)."""
    from ray.job_submission import JobSubmissionClient

    url = address if "://" in address else f"http://{address}"
    try:
        return JobSubmissionClient(url)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"--ray {address}: no Ray cluster answers there ({str(exc).splitlines()[0]}); give "
                           "the dashboard address `ray start --head` prints (default 127.0.0.1:8265)") from None


def submit(jobs: Any, spec: JobSpec) -> Submitted:
    """Submit the job under its key; a key the cluster knows is refused by Ray, and we attach to that job."""
    key = spec.key()
    if _known(jobs, key):
        return Submitted(key=key, spec=spec, refused=True)
    spec.folder().mkdir(parents=True, exist_ok=True)
    _write_atomic(spec.path(), json.dumps(asdict(spec), indent=1))
    # a task holds one CPU: the CPU rasterizer (llvmpipe) and BLAS use one thread each, as Ray does for OpenMP
    env = {name: os.environ.get(name, "1") for name in ("OMP_NUM_THREADS", "LP_NUM_THREADS")}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    deadline = time.monotonic() + AGENT_WAIT_S
    while True:
        try:
            jobs.submit_job(entrypoint=f"{shlex.quote(sys.executable)} -m oyster_nodes.cluster.job "
                                       f"{shlex.quote(str(spec.path()))}",
                            submission_id=key, runtime_env={"env_vars": env}, entrypoint_num_cpus=0,
                            metadata={"oyster": "job", "name": spec.name[:200]})
            return Submitted(key=key, spec=spec)
        except RuntimeError as exc:
            if _known(jobs, key):  # submitted meanwhile by someone else: Ray refused ours
                return Submitted(key=key, spec=spec, refused=True)
            if "No available agent" not in str(exc) or time.monotonic() > deadline:
                raise ClusterError(f"the cluster refused job {key}: {str(exc).splitlines()[0]}") from None
        time.sleep(0.5)  # a cluster just started: its job agent is not up yet


def _known(jobs: Any, key: str) -> bool:
    try:
        jobs.get_job_info(key)
    except RuntimeError:
        return False
    return True


def wait(jobs: Any, submitted: list[Submitted], *, on_change: Callable[[Submitted, str], None] | None = None,
         on_progress: Callable[[Submitted, str, ShotProgress], None] | None = None, poll_s: float = 0.5,
         timeout_s: float | None = None) -> dict[str, str]:
    """Wait for every job to end; returns each key's final Ray status. `on_progress(job, node, tally)` is called
    when a shot node of a job has rendered more frames."""
    status: dict[str, str] = {}
    tallies = {s.key: ShotProgress() for s in submitted}
    deadline = time.monotonic() + timeout_s if timeout_s else None
    while True:
        for s in submitted:
            now = str(jobs.get_job_status(s.key).value)
            for node in tallies[s.key].read(s.spec) if on_progress is not None else ():
                on_progress(s, node, tallies[s.key])
            if status.get(s.key) != now and on_change is not None:
                on_change(s, now)
            status[s.key] = now
        if all(v in TERMINAL for v in status.values()):
            return status
        if deadline is not None and time.monotonic() > deadline:
            raise ClusterError(f"jobs still running after {timeout_s:g} s: " +
                               ", ".join(k for k, v in status.items() if v not in TERMINAL))
        time.sleep(poll_s)


def result(spec: JobSpec) -> dict[str, Any] | None:
    """What the job's entrypoint wrote when it ended: ok, outputs, errors, seconds."""
    try:
        return json.loads(spec.result_path().read_text())
    except (OSError, ValueError):
        return None


@dataclass(kw_only=True, slots=True)
class ShotProgress:
    """The frames a job's shot nodes have rendered, read on from the progress file its range tasks write."""

    offset: int = 0
    #: node -> range -> frames done (a range rendered again after its worker died starts again from 0)
    done: dict[str, dict[str, int]] = field(default_factory=dict)
    #: node -> frames in the shot
    frames: dict[str, int] = field(default_factory=dict)

    def read(self, spec: JobSpec) -> list[str]:
        """Take in the notes written since the last read; returns the nodes whose count changed."""
        try:
            with open(spec.progress_path(), "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return []
        whole = data[:data.rfind(b"\n") + 1]  # a line being written is read next time
        self.offset += len(whole)
        changed: list[str] = []
        for line in whole.splitlines():
            try:
                note = json.loads(line)
                node, done = str(note["node"]), int(note["done"])
                self.frames[node] = int(note["total"])
                ranges = self.done.setdefault(node, {})
            except (ValueError, KeyError, TypeError):
                continue
            if ranges.get(str(note["range"])) != done:
                ranges[str(note["range"])] = done
                changed += [] if node in changed else [node]
        return changed

    def fraction(self, node: str) -> float:
        total = self.frames.get(node, 0)
        return min(1.0, sum(self.done.get(node, {}).values()) / total) if total else 0.0

    def message(self, node: str) -> str:
        ranges = self.done.get(node, {})
        return (f"frame {min(sum(ranges.values()), self.frames.get(node, 0))}/{self.frames.get(node, 0)} on Ray "
                f"({len(ranges)} frame ranges started)")


def attempts(spec: JobSpec) -> list[dict[str, Any]]:
    try:
        lines = spec.attempts_path().read_text().splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


# ------------------------------------------------------------------------------------- the entrypoint side


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Inside the Ray Job: the job's tasks, its shots split into frame ranges; returns its result."""
    import ray

    started = time.time()
    gpus = spec.num_gpus if spec.num_gpus is not None else (1.0 if ray.cluster_resources().get("GPU", 0) else 0.0)
    task = {"max_retries": MAX_RETRIES, "retry_exceptions": False, "num_cpus": 1, "num_gpus": gpus,
            "runtime_env": TASK_ENV}
    prepare = ray.remote(_prepare_task).options(**task)
    render = ray.remote(_range_task)
    finish = ray.remote(_finish_task).options(**task)
    warm = ray.remote(_warm_task).options(num_cpus=0, max_retries=0, scheduling_strategy="SPREAD",
                                          runtime_env=TASK_ENV)
    for _ in [n for n in ray.nodes() if n["Alive"]]:
        warm.remote(spec)
    counts = ray.get(prepare.remote(spec))
    from .shots import frame_ranges

    place = _placements(ray)
    ranges: dict[str, list[Any]] = {}
    for node, count in counts.items():
        for r in frame_ranges(node, count, spec.frames_per_task):
            ranges.setdefault(node, []).append(
                render.options(**task, scheduling_strategy=place(sum(map(len, ranges.values())))).remote(
                    spec, r.node, r.start, r.stop, count))
    prepared = time.time()
    refs = [ref for refs in ranges.values() for ref in refs]
    ray.wait(refs, num_returns=len(refs), fetch_local=False)  # the finish task starts once they all are done
    rendered = time.time()
    out = ray.get(finish.remote(spec, list(ranges), *refs, sizes=[len(refs) for refs in ranges.values()]))
    out["seconds"] = round(time.time() - started, 3)
    out["phases"] = {"prepare_s": round(prepared - started, 3), "ranges_s": round(rendered - prepared, 3),
                     "finish_s": round(time.time() - rendered, 3), **out.get("phases", {})}
    out["ranges"] = sum(len(refs) for refs in ranges.values())
    return out


def _placements(ray: Any) -> Any:
    """Frame ranges dealt round the cluster's nodes in turn (soft affinity: a range whose node is gone, or
    busy past its share, runs elsewhere), so every node takes its share from the start instead of the first
    node to start its workers taking them all."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"] and n.get("Resources", {}).get("CPU", 0) > 0)
    if not nodes:
        return lambda k: "SPREAD"
    return lambda k: NodeAffinitySchedulingStrategy(node_id=nodes[k % len(nodes)], soft=True)


_WORKERS: dict[tuple[str, str], Any] = {}


def _worker(spec: JobSpec) -> tuple[Any, Any]:
    """One executor per worker process and cache folder: its renderer and memory cache serve the next task."""
    from ..cache import Cache, DiskCache
    from ..executor import Executor
    from ..registry import load_registry

    key = (spec.cache_dir, json.dumps(spec.packs))
    if key not in _WORKERS:
        _WORKERS[key] = (Executor(Cache(disk=DiskCache(spec.cache_dir)), workers=1),
                         load_registry(folders=spec.packs))
    return _WORKERS[key]


def _graph(spec: JobSpec) -> tuple[Any, Any]:
    from ..graph import build
    from ..workflow import parse_text

    executor, registry = _worker(spec)
    graph = build(parse_text(spec.workflow, source=spec.name or "job"), registry)
    if spec.embed:
        graph.workflow = parse_text(spec.embed, source=spec.name or "job")
    return executor, graph


def _options(spec: JobSpec) -> Any:
    from ..executor import RunOptions

    return RunOptions(device=spec.device, out_dir=Path(spec.out_dir))


def _note_attempt(spec: JobSpec, task: str) -> None:
    import ray

    _append(spec.attempts_path(), {"task": task, "node": ray.get_runtime_context().get_node_id(),
                                   "pid": os.getpid(), "at": time.time(), "nice": os.nice(0),
                                   "threads": os.environ.get("OMP_NUM_THREADS", "")})


def _append(path: Path, note: dict[str, Any]) -> None:
    """One line appended in one write (appends of a line are not interleaved)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(note) + "\n")


def _range_progress(spec: JobSpec, node: str, start: int, stop: int, total: int) -> Callable[[float, str], None]:
    """The progress callback of a range task: notes frames done, at most every PROGRESS_EVERY_S and at the end."""
    last = [-1e9]
    label = f"{node}[{start}:{stop}]"

    def note(fraction: float, message: str) -> None:
        done, now = round(fraction * (stop - start)), time.monotonic()
        if done < stop - start and now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        _append(spec.progress_path(), {"node": node, "range": label, "done": done, "total": total})

    return note


def _warm_task(spec: JobSpec) -> None:
    """While the world is computed, a worker on each node imports the nodes and makes its renderer, so the
    range tasks that follow on that worker start rendering at once."""
    from ..devices import resolve
    from ..world import RENDERER

    executor, _ = _worker(spec)
    with executor.components.use(RENDERER, resolve(spec.device)):
        pass


def _prepare_task(spec: JobSpec) -> dict[str, int]:
    """The shots' inputs computed into the shared cache; their frame counts."""
    from .shots import frame_count, shot_inputs, shot_nodes

    _note_attempt(spec, "prepare")
    executor, graph = _graph(spec)
    return {node: frame_count(shot_inputs(graph, node, executor, _options(spec))) for node in shot_nodes(graph)}


def _range_task(spec: JobSpec, node: str, start: int, stop: int, total: int) -> list[Any]:
    from ..devices import resolve
    from .shots import FrameRange, render_range, shot_inputs

    _note_attempt(spec, f"{node}[{start}:{stop}]")
    executor, graph = _graph(spec)
    inputs = shot_inputs(graph, node, executor, _options(spec))
    return render_range(graph, FrameRange(node=node, start=start, stop=stop), inputs, executor, resolve(spec.device),
                        _range_progress(spec, node, start, stop, total))


def _finish_task(spec: JobSpec, nodes: list[str], *parts: list[Any], sizes: list[int]) -> dict[str, Any]:
    """The ranges joined into each shot's Frames (kept in the cache), then the whole workflow run."""
    from ..types import Files
    from .shots import join_ranges, keep_joined, shot_inputs

    _note_attempt(spec, "finish")
    started = time.time()
    executor, graph = _graph(spec)
    options = _options(spec)
    k = 0
    for node, size in zip(nodes, sizes, strict=True):
        inputs = shot_inputs(graph, node, executor, options)
        keep_joined(graph, node, join_ranges(graph, node, parts[k:k + size], inputs), executor, options.out_dir)
        k += size
    joined = time.time()
    run = executor.run(graph, options)
    phases = {"join_s": round(joined - started, 3), "rest_s": round(time.time() - joined, 3)}
    root = Path(spec.out_dir).resolve()
    by_node = {node: sorted(Path(f.root, p).resolve().relative_to(root).as_posix() for f in outs.values()
                            if isinstance(f, Files) for p in f.paths) for node, outs in run.outputs.items()}
    files = sorted(p for paths in by_node.values() for p in paths)
    return {"ok": run.ok, "outputs": files, "errors": [str(e) for e in run.errors], "phases": phases,
            "executed": run.executed, "files": {node: paths for node, paths in by_node.items() if paths}}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    """The Ray Job's entrypoint: run the job in SPEC and write its result beside it."""
    import ray

    path = Path((argv or sys.argv[1:])[0])
    spec = JobSpec(**json.loads(path.read_text()))
    ray.init()
    try:
        out = run_job(spec)
    except Exception as exc:
        out = {"ok": False, "outputs": [], "errors": [f"{type(exc).__name__}: {exc}"]}
    _write_atomic(spec.result_path(), json.dumps(out, indent=1))
    print(json.dumps(out))
    return 0 if out["ok"] else 1
