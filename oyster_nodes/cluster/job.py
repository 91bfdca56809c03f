"""`python -m oyster_nodes.cluster.job SPEC.json`: the entrypoint of one job on a Ray cluster (see ray_jobs)."""

import sys

from .ray_jobs import main

if __name__ == "__main__":
    sys.exit(main())
