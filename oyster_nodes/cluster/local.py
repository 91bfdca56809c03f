"""A Ray cluster of several nodes on this machine (a head and more nodes, a few CPUs each): what the tests and
the benchmark run on. Every port is picked free, so clusters started side by side do not collide."""

from __future__ import annotations

import socket
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
    from ray.cluster_utils import Cluster

    store = object_store_mb << 20
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": num_cpus, "include_dashboard": True, "dashboard_port": 0, "object_store_memory": store,
        "dashboard_agent_listen_port": free_port()})
    for _ in range(nodes - 1):
        add_local_node(cluster, num_cpus=num_cpus, object_store_mb=object_store_mb)
    cluster.wait_for_nodes()
    return cluster


def add_local_node(cluster: Any, *, num_cpus: int = 1, object_store_mb: int = OBJECT_STORE_MB) -> Any:
    """One more node of the local cluster, as `start_local_cluster` makes them."""
    return cluster.add_node(num_cpus=num_cpus, object_store_memory=object_store_mb << 20)


def dashboard_address(cluster: Any) -> str:
    return str(cluster.head_node.webui_url)
