"""The Train page's small sweep is a job like a training run (explorer/jobs.py): one cap for both, owned by the
page's run token, stopped when its owner is gone, and its whole session of processes ends with it, also when
the sweep itself was killed. The engine's side: a sweep stops on Ctrl-C even when started with SIGINT ignored,
and when the process that started it ends.

The sweep's command is replaced by a small Python program that, like a real sweep, starts a child in a process
group of its own (Ray's workers do that) and ends on Ctrl-C without ending its child; the real Ray sweep is
tested in tests/test_small_sweep_ray.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from explorer import jobs, small_sweep, sweeps, training
from tests.test_training_jobs import ENDLESS, TINY, _wait

pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py

# a sweep with a Ray-like child in its own process group; Ctrl-C ends the sweep and leaves the child behind
FAKE_SWEEP = textwrap.dedent("""
    import subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], process_group=0)
    try:
        time.sleep(600)
    except KeyboardInterrupt:
        sys.exit(130)
""")
SWEEP = small_sweep.SmallSweep("default", "single-column", "lr", (0.001, 0.01), 1, 100)


@pytest.fixture
def fake_sweep(monkeypatch, tmp_path):
    monkeypatch.setenv(sweeps.OWN_ENV, str(tmp_path / "sweeps"))
    monkeypatch.setattr(small_sweep, "command", lambda sweep, out: [sys.executable, "-c", FAKE_SWEEP])
    started = []
    real_start = small_sweep.start

    def start(sweep, owner):
        launch = real_start(sweep, owner)
        started.append(launch)
        return launch

    monkeypatch.setattr(small_sweep, "start", start)
    yield start
    for launch in started:  # whatever a failing test left
        small_sweep.end_session(launch.process.pid, signal.SIGKILL)


def _members(launch) -> list[int]:
    return small_sweep.session_members(launch.process.pid)


def _started(launch) -> bool:
    return _wait(lambda: len(_members(launch)) == 2, 20)  # the sweep and its child


def test_stop_ends_the_sweeps_whole_session(fake_sweep):
    """Before: only the process group was signalled, and Ray's workers (in groups of their own) stayed."""
    owner = jobs.new_owner()
    launch = fake_sweep(SWEEP, owner)
    assert _started(launch)
    assert not small_sweep.stop(jobs.new_owner()), "only the owner may stop it"
    assert small_sweep.stop(owner)
    assert _wait(lambda: not _members(launch), 15), "a process of the sweep's session survived Stop"
    assert not launch.running and launch.stop_reason == "you stopped it"


def test_a_killed_sweep_leaves_no_process_behind(fake_sweep):
    """Before: a sweep killed with SIGKILL left Ray's agents running, owned by nobody."""
    launch = fake_sweep(SWEEP, jobs.new_owner())
    assert _started(launch)
    os.kill(launch.process.pid, signal.SIGKILL)
    assert _wait(lambda: not launch.running, 10)
    assert _wait(lambda: not _members(launch), 5), "the killed sweep's child is still running"


def test_a_sweep_whose_owner_is_gone_is_stopped(fake_sweep, monkeypatch):
    """Before: a small sweep had no last-seen time and no reaper: closing every tab left it running for good."""
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "0.5")
    owner = jobs.new_owner()
    launch = fake_sweep(SWEEP, owner)
    assert _started(launch)
    assert _wait(lambda: not _members(launch), 20), "the orphaned sweep was not stopped"
    assert "page was closed" in launch.stop_reason
    assert small_sweep.mine(owner) is None or not small_sweep.mine(owner).running


def test_the_owners_pages_keep_the_sweep_alive(fake_sweep, monkeypatch):
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "0.5")
    owner = jobs.new_owner()
    launch = fake_sweep(SWEEP, owner)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        training.touch(owner)  # any page of the owner's (the sidebar's heartbeat calls this)
        time.sleep(0.1)
    assert launch.running and not launch.stopping


def test_one_cap_for_training_runs_and_small_sweeps(fake_sweep, tmp_path):
    """Before: two training runs and a small sweep ran together (200 % CPU on two cores)."""
    for _ in range(jobs.MAX_ACTIVE_JOBS):
        training.start(jobs.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    with pytest.raises(sweeps.SweepError, match=f"the limit is {jobs.MAX_ACTIVE_JOBS}"):
        fake_sweep(SWEEP, jobs.new_owner())
    for job in jobs.running("training"):
        job.request_stop("test")
        job.wait(30)
    launch = fake_sweep(SWEEP, jobs.new_owner())
    training.start(jobs.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    with pytest.raises(training.JobRefused, match=f"the limit is {jobs.MAX_ACTIVE_JOBS}"):
        training.start(jobs.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    with pytest.raises(sweeps.SweepError, match="small sweep"):  # one small sweep at a time, whoever asks
        fake_sweep(SWEEP, jobs.new_owner())
    assert jobs.running_count() == jobs.MAX_ACTIVE_JOBS and launch.running


# ----------------------------------------------------------------------------- the engine's side

STOPPABLE = textwrap.dedent("""
    import sys, time
    from engine.core.stop_signals import stop_on_signals
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else None
    try:
        with stop_on_signals(parent):
            print("ready", flush=True)
            time.sleep(60)
    except KeyboardInterrupt:
        print("stopped cleanly", flush=True)
        sys.exit(130)
""")


def test_ctrl_c_stops_a_sweep_started_with_sigint_ignored():
    """A server started in the background by a shell passes SIGINT on ignored; Stop's Ctrl-C must still work."""
    proc = subprocess.Popen([sys.executable, "-c", STOPPABLE], cwd=sweeps.ROOT, stdout=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 130 and "stopped cleanly" in out


def test_a_sweep_stops_when_the_process_that_started_it_dies(tmp_path):
    """The app's sweep runs in a session of its own: a killed server must not leave it running."""
    marker = tmp_path / "out.txt"
    launcher = textwrap.dedent(f"""
        import os, subprocess, sys, time
        with open({str(marker)!r}, "w") as out:
            subprocess.Popen([sys.executable, "-c", {STOPPABLE!r}, str(os.getpid())], stdout=out,
                             start_new_session=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", launcher], cwd=sweeps.ROOT)
    assert _wait(lambda: marker.is_file() and "ready" in marker.read_text(), 20)
    parent.kill()
    parent.wait()
    assert _wait(lambda: "stopped cleanly" in marker.read_text(), 10), "the sweep outlived its parent"
