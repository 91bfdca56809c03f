"""A local cluster of `ray start` nodes, each in a session of its own (what bench/batch_ray.py measures on):
the nodes join one cluster, live in distinct sessions, and `stop()` ends exactly their processes."""

from __future__ import annotations

import os
import time

import pytest

from oyster_nodes.cluster.local import session_pids, start_session_cluster

pytestmark = pytest.mark.ray


def test_each_node_of_a_session_cluster_has_a_session_of_its_own_and_stop_ends_them() -> None:
    from ray.util.state import list_nodes

    cluster = start_session_cluster(nodes=2, num_cpus=1)
    sessions = list(cluster.sessions)
    try:
        assert len(sessions) == 2 and len(set(sessions)) == 2 and os.getsid(0) not in sessions
        assert all(session_pids(sid) for sid in sessions)  # each session holds its node's daemons
        deadline = time.monotonic() + 60
        alive: list[object] = []
        while time.monotonic() < deadline:
            alive = [n for n in list_nodes(address=f"http://{cluster.dashboard}") if n.state == "ALIVE"]
            if len(alive) == 2:
                break
            time.sleep(0.5)
        assert len(alive) == 2, alive
    finally:
        cluster.stop()
    assert cluster.sessions == [] and not any(session_pids(sid) for sid in sessions)
