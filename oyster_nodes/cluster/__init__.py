"""Scale-out: long shots split into frame ranges, and jobs and ranges spread over a Ray cluster."""
