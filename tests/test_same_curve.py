"""Same settings and seed, same curve (issue 11): two app runs of columns-3 started at once, for two owners,
and one command-line run with the same preset, task, seed and settings give bit-identical losses for their
first 200 steps, while another thread keeps drawing from torch's global generator. The command-line run is the
one the Train page shows for the app's run (explorer/run_command.py).

Every random number of a run comes from its own generators (initialisation: engine/core/seeded_init.py; batches
and search: Trainer.generator; selection and gradient noise: Trainer.noise_generator; data: its own numpy
stream), and both the app and the command line train with cfg.threads = 1 (the intra-op thread count changes
float sums, hence the losses, in the last bits). The command line's losses are read from its checkpoint's
summary, which records every step's loss for runs of up to engine.np2016.train.LOSS_CURVE_POINTS steps.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

from engine.np2016 import presets
from engine.np2016.checkpoint import read_checkpoint_info
from engine.np2016.train import LOSS_CURVE_POINTS, loss_curve
from explorer import run_command, training

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"steps": 200, "train_size": 300, "eval_size": 50, "test_size": 0, "eval_every": 200, "seed": 0}


def _cli(job: training.Job, output: Path) -> subprocess.Popen:
    """The command the Train page shows for `job` (explorer/run_command.py), run with this Python."""
    words = shlex.split(run_command.command(job.cfg, job.model_config, str(output)))
    assert words[:2] == ["python", "-m"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, *words[1:]], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _hammer(stop: threading.Event) -> None:
    """Another thread of the server drawing from the global generator (a page building a module, say)."""
    while not stop.is_set():
        torch.rand(64)
        time.sleep(0.0005)


def test_two_app_runs_and_the_command_line_give_the_same_losses(tmp_path):
    cfg = presets.train_config("default", "columns-3", **SETTINGS)
    assert cfg.threads == 1  # the app offers no thread setting: every app run trains on one thread
    stop_hammer = threading.Event()
    hammer = threading.Thread(target=_hammer, args=(stop_hammer,), daemon=True)
    hammer.start()
    owners = [training.new_owner() for _ in range(2)]
    cli = None
    try:
        jobs = [training.start(owner, cfg, tmp_path / "app") for owner in owners]
        cli = _cli(jobs[0], tmp_path / "cli.safetensors")  # at the same time as the app's runs
        deadline = time.monotonic() + 300
        while any(job.running for job in jobs) and time.monotonic() < deadline:
            for owner in owners:
                training.touch(owner)  # the owners' pages are open: the reaper must not stop the runs
            time.sleep(0.2)
        output, _ = cli.communicate(timeout=max(deadline - time.monotonic(), 1))
    finally:
        stop_hammer.set()
        hammer.join()
        for owner in owners:
            training.stop(owner)
        if cli is not None and cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, output
    assert all(job.error is None and job.summary["steps_run"] == 200 for job in jobs)

    app_curves = [[loss for _, loss in job.progress.snapshot()["losses"]] for job in jobs]
    cli_curve = read_checkpoint_info(tmp_path / "cli.safetensors")["summary"]["loss_curve"]
    assert cli_curve["every"] == 1 and len(cli_curve["losses"]) == 200
    assert app_curves[0] == app_curves[1] == cli_curve["losses"]  # exact, bit for bit
    assert len(set(app_curves[0])) > 100  # a real curve, not a constant
    for job in jobs:  # what the app saved records the same curve
        assert read_checkpoint_info(job.saved_path)["summary"]["loss_curve"] == cli_curve


def test_the_loss_curve_keeps_every_step_up_to_its_limit_then_averages():
    losses = [float(i) for i in range(LOSS_CURVE_POINTS)]
    assert loss_curve(losses) == {"every": 1, "losses": losses}
    longer = [float(i) for i in range(2 * LOSS_CURVE_POINTS + 1)]
    curve = loss_curve(longer)
    assert curve["every"] == 3 and len(curve["losses"]) <= LOSS_CURVE_POINTS
    assert curve["losses"][:2] == [1.0, 4.0] and curve["losses"][-1] == 1999.0  # the mean of the last three
    assert loss_curve([]) == {"every": 1, "losses": []}
