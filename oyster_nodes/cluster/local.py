"""A Ray cluster of several nodes on this machine (a head and more nodes, a few CPUs each): what the tests and
the benchmark run on. Every port is picked free, so clusters started side by side do not collide."""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_local_cluster(*, nodes: int = 2, num_cpus: int = 1) -> Any:
    """A `ray.cluster_utils.Cluster` with a job server; its dashboard address is `dashboard_address(cluster)`."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": num_cpus, "include_dashboard": True, "dashboard_port": 0,
        "dashboard_agent_listen_port": free_port()})
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=num_cpus)
    cluster.wait_for_nodes()
    return cluster


def dashboard_address(cluster: Any) -> str:
    return str(cluster.head_node.webui_url)
