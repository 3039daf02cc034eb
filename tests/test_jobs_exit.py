"""When the server's interpreter exits with jobs running, every job is stopped first (explorer/jobs.py's exit
handler): a training run saves what it learned and the exit is clean. A run trains in a worker process
(explorer/training_worker.py): it is gone once the server has exited, and a server killed outright (no exit
handler runs) still leaves no worker behind: the worker sees the end of its pipe, stops, saves and exits."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from explorer import sweeps

SERVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from explorer import jobs, training
    from tests.test_training_jobs import ENDLESS, TINY
    job = training.start(jobs.new_owner(), ENDLESS, Path(sys.argv[1]), model_settings=TINY)
    deadline = time.monotonic() + 60
    while job.progress.step < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    print("training", job.progress.step, job.process.pid, flush=True)
    if sys.argv[2:] == ["hang"]:
        time.sleep(600)  # until the test kills this "server"
""")  # then the interpreter exits, the run still going


def _gone(pid: int, seconds: float) -> bool:
    """The process has exited within `seconds` (a zombie whose parent is gone has exited too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def _worker_pid(line: str) -> int:
    words = line.split()
    assert words[0] == "training" and int(words[1]) >= 3, line
    return int(words[2])


def test_the_servers_exit_stops_and_saves_a_running_training_run(tmp_path):
    done = subprocess.run([sys.executable, "-c", SERVER, str(tmp_path)], cwd=sweeps.ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    worker = _worker_pid(done.stdout)
    saved = list(tmp_path.glob("*.safetensors"))
    assert len(saved) == 1 and saved[0].stat().st_size > 0, "the stopped run saved nothing"
    assert _gone(worker, 10), "the training process outlived the server"


def test_a_killed_servers_worker_stops_saves_and_exits(tmp_path: Path):
    """Before: the run was a thread of the server; now a worker whose server is killed must not run on."""
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path), "hang"], cwd=sweeps.ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        worker = _worker_pid(server.stdout.readline())
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert _gone(worker, 60), "the training process outlived its killed server"
    saved = list(tmp_path.glob("*.safetensors"))
    assert len(saved) == 1 and saved[0].stat().st_size > 0, "the orphaned run saved nothing"
