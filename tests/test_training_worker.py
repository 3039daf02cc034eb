"""The app's training runs train in a process of their own (explorer/training_worker.py), not in the server's
interpreter (issue 22, item 10): the same seed gives the same curve and the same checkpoint as a run in this very
process; the worker trains at the jobs' priority on one torch thread; a worker that dies, or will not stop, ends
its job with a message and gives its slot back; progress and probe weights cross the pipe as changes."""

from __future__ import annotations

import json
import os
import signal
import struct
import time

import numpy as np
import pytest
import torch

from engine.np2016 import presets
from engine.np2016.checkpoint import to_bytes
from engine.np2016.config import TrainConfig
from engine.np2016.train import Progress, train
from explorer import jobs, training
from explorer.training_progress import ProbeProgress, ProgressReader, apply_changes
from tests.test_training_jobs import ENDLESS, TINY, _wait

pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py


@pytest.fixture(autouse=True)
def owners_stay(monkeypatch):
    """No page touches these runs: the reaper must not stop one while a busy machine starts its worker."""
    monkeypatch.setenv(jobs.OWNER_TIMEOUT_ENV, "3600")

CURVE = TrainConfig(task="single-column", steps=40, batch_size=5, train_size=60, eval_size=10, test_size=10,
                    eval_every=20, threads=1, search_samples=2, seed=7)


def _worker_threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def _without_creation_time(raw: bytes) -> tuple[dict, bytes]:
    """A .safetensors file as (its header less the time it was written, every byte of its tensors)."""
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    del header["__metadata__"]["created"]
    return header, raw[8 + size:]


def test_same_seed_same_curve_and_checkpoint_in_this_process_and_in_the_worker(tmp_path):
    job = training.start(training.new_owner(), CURVE, tmp_path, model_settings=TINY)
    model_config = presets.model_config(CURVE.preset, CURVE.task, len(job.vocab), **TINY)
    progress = Progress()
    here = train(CURVE, model_config, progress=progress)  # in this process, as the server's thread ran it before
    job.thread.join(timeout=120)
    assert job.error is None and job.saved_path is not None, (job.error, job.summary)
    assert job.process.pid != os.getpid()
    snap = job.progress.snapshot()
    assert snap["losses"] == progress.losses and len({loss for _, loss in snap["losses"]}) > 20  # bit for bit
    assert snap["evals"] == progress.evals and [e[0] for e in snap["evals"]] == [20, 40]
    timing = {"seconds"}  # wall time, the one field two runs cannot share
    assert {k: v for k, v in job.summary.items() if k not in timing} == \
        {k: v for k, v in here.summary.items() if k not in timing}
    assert _without_creation_time(job.saved_path.read_bytes()) == \
        _without_creation_time(to_bytes(here.model, here.vocab, job.summary))  # the same weights, the same header


def test_the_worker_trains_at_the_jobs_priority_on_one_thread(tmp_path):
    """Before: the run was a thread of the server's own interpreter, holding its GIL between torch's calls."""
    job = training.start(training.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    assert _wait(lambda: job.progress.snapshot()["step"] > 0, 60)
    pid = job.process.pid
    assert pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, pid) == jobs.NICENESS
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0  # the server is not niced
    # the main thread, the stop listener and the progress reporter, and no pool of torch threads (one per core)
    assert _worker_threads(pid) <= 4
    assert training.stop(job.owner)
    job.thread.join(timeout=60)
    assert job.process.poll() is not None and job.summary["stopped"] and job.saved_path.is_file()


def test_a_worker_that_dies_ends_its_job_with_a_message(tmp_path):
    job = training.start(training.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    assert _wait(lambda: job.progress.snapshot()["step"] > 0, 60)
    os.kill(job.process.pid, signal.SIGKILL)
    job.thread.join(timeout=30)
    assert not job.running and training.running_count() == 0  # its slot is free again
    assert job.error == "the training process ended without a result (exit code -9)"
    assert job.progress.snapshot()["done"] and job.progress.snapshot()["error"] == job.error
    assert job.saved_path is None and not list(tmp_path.iterdir())


def test_a_worker_that_does_not_stop_is_killed_after_the_grace_period(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "STOP_GRACE_SECONDS", 1.0)
    job = training.start(training.new_owner(), ENDLESS, tmp_path, model_settings=TINY)
    assert _wait(lambda: job.progress.snapshot()["step"] > 0, 60)
    os.kill(job.process.pid, signal.SIGSTOP)  # frozen: it cannot hear the stop
    asked = time.monotonic()
    assert training.stop(job.owner)
    job.thread.join(timeout=30)
    assert not job.running and 1.0 <= time.monotonic() - asked < 10
    assert job.process.returncode == -signal.SIGKILL and "without a result" in job.error


def test_progress_crosses_as_changes_and_probe_weights_as_tensors():
    worker, server = ProbeProgress(every=2), ProbeProgress(every=2)
    reader = ProgressReader(worker)
    model = torch.nn.Linear(2, 1)
    worker.update(total=10, message="training")
    for step in (1, 2):
        worker.add_loss(step, float(step))
        worker.on_step(step, model)
    first = reader.changes()
    apply_changes(server, first)
    assert server.snapshot()["losses"] == [(1, 1.0), (2, 2.0)] and server.total == 10
    assert server.probe_state[0] == 2 and torch.equal(server.probe_state[1]["weight"], model.weight.detach())
    assert isinstance(first["probe"][1]["weight"], np.ndarray)  # never a tensor on the pipe
    worker.add_loss(3, 3.0)
    worker.evals.append((3, 0.5, 0.25))
    second = reader.changes()
    assert second["lists"]["losses"] == (2, [(3, 3.0)]) and second["probe"] is None  # only what is new
    apply_changes(server, second)
    assert server.snapshot()["losses"] == [(1, 1.0), (2, 2.0), (3, 3.0)] and server.evals == [(3, 0.5, 0.25)]
    worker.evals[:] = []  # a list rewritten shorter is sent again from where it now ends
    apply_changes(server, reader.changes())
    assert server.evals == []
