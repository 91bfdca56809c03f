"""A Ray cluster of several nodes on this machine (a head and more nodes, a few CPUs each): what the tests and
the benchmark run on. Every port is picked free, so clusters started side by side do not collide, and every
cluster keeps its sessions in a temporary folder of its own: Ray's job supervisor starts a job's driver on the
cluster whose address was written last in that folder (`ray_current_cluster`), so clusters sharing Ray's
default /tmp/ray hand each other's jobs to the one started last (a driver then runs its tasks on another
cluster, another checkout's code, or one already gone)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: each node's object store: the rendered frame ranges a job joins pass through it (a 240-frame 640x360 shot is
#: 166 MB), and a store too small for them spills them to disk and back
OBJECT_STORE_MB = 512


def start_local_cluster(*, nodes: int = 2, num_cpus: int = 1, object_store_mb: int = OBJECT_STORE_MB) -> Any:
    """A `ray.cluster_utils.Cluster` with a job server; its dashboard address is `dashboard_address(cluster)`."""
    from ray._common.utils import get_ray_address_file
    from ray._private.utils import write_ray_address
    from ray.cluster_utils import Cluster

    store = object_store_mb << 20
    temp = own_temp_dir()
    shared = Path(get_ray_address_file(None))
    before = shared.read_text() if shared.is_file() else None
    made = not shared.parent.exists()
    shared.parent.mkdir(parents=True, exist_ok=True)  # Ray writes the shared file there, and fails without the folder
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": num_cpus, "include_dashboard": True, "dashboard_port": 0, "object_store_memory": store,
        "dashboard_agent_listen_port": free_port(), "temp_dir": temp})
    # where this cluster's job supervisor looks for the cluster to start drivers on (without it, Ray connects
    # them to any cluster running on the machine); and the shared file as it was, for the clusters using it
    write_ray_address(cluster.head_node.gcs_address, temp)
    if before is None:
        shared.unlink(missing_ok=True)
        if made:
            _remove_if_empty(shared.parent)
    else:
        shared.write_text(before)
    for _ in range(nodes - 1):
        add_local_node(cluster, num_cpus=num_cpus, object_store_mb=object_store_mb)
    cluster.wait_for_nodes()
    return cluster


def add_local_node(cluster: Any, *, num_cpus: int = 1, object_store_mb: int = OBJECT_STORE_MB) -> Any:
    """One more node of the local cluster, as `start_local_cluster` makes them."""
    return cluster.add_node(num_cpus=num_cpus, object_store_memory=object_store_mb << 20,
                            temp_dir=cluster.head_node.get_temp_dir_path())


def own_temp_dir() -> str:
    """A short new folder for one cluster's sessions (Ray's socket paths inside it must stay short)."""
    import tempfile

    return tempfile.mkdtemp(prefix="oyr-", dir="/tmp")


def dashboard_address(cluster: Any) -> str:
    return str(cluster.head_node.webui_url)


@dataclass(kw_only=True, slots=True)
class SessionCluster:
    """A local cluster started with `ray start`, each node in a session of its own. Where the kernel shares the CPU
    between sessions (Linux's autogroup scheduling), the nodes of a `Cluster` started by one process share that
    process's one share of a busy machine, as no two machines do; nodes in sessions of their own each get one,
    as separate machines would. `stop()` ends exactly the processes of those sessions."""

    address: str
    dashboard: str
    temp_dir: str
    sessions: list[int] = field(default_factory=list)

    def add_node(self, *, num_cpus: int = 1, object_store_mb: int = OBJECT_STORE_MB) -> None:
        self.sessions.append(_ray_start(["--address", self.address, "--temp-dir", self.temp_dir], num_cpus,
                                        object_store_mb))

    def stop(self) -> None:
        for sid in reversed(self.sessions):
            _end_session(sid)
        self.sessions.clear()


def start_session_cluster(*, nodes: int = 2, num_cpus: int = 1,
                          object_store_mb: int = OBJECT_STORE_MB) -> SessionCluster:
    port, dashboard, temp = free_port(), free_port(), own_temp_dir()
    head = _ray_start(["--head", "--port", str(port), "--include-dashboard", "true", "--dashboard-host",
                       "127.0.0.1", "--dashboard-port", str(dashboard), "--temp-dir", temp], num_cpus, object_store_mb)
    cluster = SessionCluster(address=f"127.0.0.1:{port}", dashboard=f"127.0.0.1:{dashboard}", sessions=[head],
                             temp_dir=temp)
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=num_cpus, object_store_mb=object_store_mb)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _ray_start(args: list[str], num_cpus: int, object_store_mb: int) -> int:
    """`ray start ...` in a new session; returns the session's id (the ray start process's pid)."""
    ports = ["--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port",
             "--metrics-export-port", "--ray-client-server-port", "--node-manager-port", "--object-manager-port"]
    command = [str(Path(sys.executable).with_name("ray")), "start", *args, "--num-cpus", str(num_cpus),
               "--object-store-memory", str(object_store_mb << 20), "--disable-usage-stats",
               *[x for flag in ports for x in (flag, str(free_port()))]]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    out, _ = proc.communicate(timeout=120)
    if proc.returncode != 0:
        _end_session(proc.pid)
        raise RuntimeError(f"ray start failed: {out[-2000:]}")
    return proc.pid  # its daemons stay in its session after it exits; the session's id is its pid


def session_pids(sid: int) -> list[int]:
    """The live processes of a session (by its id)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _end_session(sid: int, *, grace_s: float = 10.0) -> None:
    """SIGTERM to every process of the session, SIGKILL to those left after `grace_s`."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 2.0)):
        pids = session_pids(sid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while session_pids(sid) and time.monotonic() < deadline:
            time.sleep(0.2)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # something else of Ray's is in it now
        pass
