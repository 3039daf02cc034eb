"""The Train page's small sweep with the real engine (Ray Tune): killed with SIGKILL, it leaves none of Ray's
processes behind (before: Ray's dashboard and runtime-env agents, orphaned, ran on for good). About 30 s."""

from __future__ import annotations

import os
import signal
import time

import pytest

from explorer import jobs, small_sweep, sweeps

pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_a_killed_sweep_takes_rays_processes_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv(sweeps.OWN_ENV, str(tmp_path / "sweeps"))
    sweep = small_sweep.SmallSweep("default", "single-column", "lr", (0.001, 0.01), 1, 2000)
    launch = small_sweep.start(sweep, jobs.new_owner())
    members = lambda: small_sweep.session_members(launch.process.pid)  # noqa: E731
    try:
        assert _until(lambda: len(members()) >= 4, 120), "Ray's processes did not start"
        os.kill(launch.process.pid, signal.SIGKILL)
        assert _until(lambda: not launch.running, 10)
        assert _until(lambda: not members(), 10), f"left behind: {members()}"
    finally:
        small_sweep.end_session(launch.process.pid, signal.SIGKILL)
