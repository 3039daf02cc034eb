"""The Train page's small sweep with the real engine (Ray Tune): killed with SIGKILL, it leaves none of Ray's
processes behind (before: Ray's dashboard and runtime-env agents, orphaned, ran on for good). About 30 s."""

from __future__ import annotations

import os
import signal

import pytest

from explorer import jobs, small_sweep, sweeps
from tests.test_training_jobs import _wait

pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py


def test_a_killed_sweep_takes_rays_processes_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv(sweeps.OWN_ENV, str(tmp_path / "sweeps"))
    sweep = small_sweep.SmallSweep("default", "single-column", "lr", (0.001, 0.01), 1, 2000)
    launch = small_sweep.start(sweep, jobs.new_owner())
    members = lambda: small_sweep.session_members(launch.process.pid)  # noqa: E731
    try:
        assert _wait(lambda: len(members()) >= 4, 120), "Ray's processes did not start"
        os.kill(launch.process.pid, signal.SIGKILL)
        assert _wait(lambda: not launch.running, 10)
        assert _wait(lambda: not members(), 10), f"left behind: {members()}"
    finally:
        small_sweep.end_session(launch.process.pid, signal.SIGKILL)
