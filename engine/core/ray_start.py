"""Starting Ray for the work this project spreads over processes (a sweep's groups, an ensemble's members), said
once: connect to a cluster at `address`, or start a quiet local Ray with `workers` CPUs; a Ray the caller already
started (the app's) is used as it is and left running."""

from __future__ import annotations

import logging

# a local Ray keeps only small things in its object store (configs, paths); Ray's minimum is 75 MiB
OBJECT_STORE_BYTES = 80 * 1024 * 1024


def start_ray(address: str | None, workers: int) -> bool:
    """Whether we started Ray (and so shut it down after)."""
    import ray

    if ray.is_initialized():
        return False
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address:
        ray.init(address=address, **quiet)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, object_store_memory=OBJECT_STORE_BYTES, **quiet)
    return True
