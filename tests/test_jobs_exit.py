"""When the server's interpreter exits with jobs running, every job is stopped first (explorer/jobs.py's exit
handler): a training run saves what it learned and the exit is clean, not an abort from torch's threads killed
in the middle of a step."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
    print("training", job.progress.step, flush=True)
""")  # then the interpreter exits, the run still going


def test_the_servers_exit_stops_and_saves_a_running_training_run(tmp_path):
    done = subprocess.run([sys.executable, "-c", SERVER, str(tmp_path)], cwd=sweeps.ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("training")
    saved = list(tmp_path.glob("*.safetensors"))
    assert len(saved) == 1 and saved[0].stat().st_size > 0, "the stopped run saved nothing"
