"""Background training runs: jobs of the one registry (explorer/jobs.py), so a run whose owner's pages are gone
is stopped and saves what it has. Each run trains in a process of its own (explorer/training_worker.py), so the
server's interpreter is left to the pages; the job's thread in the server only starts that process, passes a
stop on and copies the reported progress and probe weights into `Job.progress`, which the Train page polls.
A finished run's checkpoint gets a name no other run has, claimed with an exclusive create.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from engine.core.io.examples import read_jsonl
from engine.core.limits import CUSTOM_MAX_BYTES, CUSTOM_MAX_EXAMPLES
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.memory_estimate import check_memory
from engine.np2016.model import NeuralProgrammer
from explorer import jobs, training_worker
from explorer.training_progress import ProbeProgress, apply_changes

ROOT = Path(__file__).resolve().parent.parent  # the worker runs as `python -m explorer.training_worker` from here
POLL_SECONDS = 0.1  # how soon the job's thread passes a stop on to its process
# after a stop, the seconds a run gets to end its step, evaluate its last weights and save before it is killed
# (a run at the largest allowed settings evaluates in a few seconds)
STOP_GRACE_SECONDS = 60.0
EXIT_SECONDS = 10.0  # after its result, for the process to exit
log = logging.getLogger(__name__)
# the registry's names, used here and by the pages and tests that knew them from this module
MAX_ACTIVE_JOBS, JobRefused, owner_timeout = jobs.MAX_ACTIVE_JOBS, jobs.JobRefused, jobs.owner_timeout
new_owner, valid_owner, running_count = jobs.new_owner, jobs.valid_owner, jobs.running_count
KIND = "training"
# the owner's latest training run (None when the server has none); touch also keeps all their jobs alive; stop
# asks their running one to end (it saves the best model so far): False when none runs
find, touch, stop = partial(jobs.find, kind=KIND), partial(jobs.touch, kind=KIND), partial(jobs.stop, kind=KIND)
claim_path = training_worker.claim_path  # the worker claims its checkpoint's name; tests know it from here


@dataclass
class Job(jobs.ThreadJob):
    """One training run, owned by the browser that holds `owner`."""

    kind = KIND

    owner: str
    cfg: TrainConfig
    model_config: ModelConfig
    vocab: Vocab
    name: str
    progress: ProbeProgress
    probe: dict  # an example (JSONL form) whose trace is redrawn during training
    saved_path: Path | None = None  # None after the run: nothing was learned (no step) or saving failed
    summary: dict | None = None  # a diverged run's reason is in here, not in `error`
    announced: bool = False  # the page has shown the final result once
    estimate_seconds: float | None = None  # the Train page's measured estimate of the run (run_estimate.py)
    base: str | None = None  # the checkpoint a fine-tuning starts from; None for a run on a task
    process: subprocess.Popen | None = None  # the worker process, once the job's thread has started it

    def probe_model(self) -> tuple[int, NeuralProgrammer] | None:
        with self.progress.lock:
            snap = self.progress.probe_state
        if snap is None:
            return None
        # built on the meta device and given the copied weights: no random initialisation, so the global
        # torch generator (which the server's other threads draw from) is left alone
        with torch.device("meta"):
            model = NeuralProgrammer(self.model_config)
        model.load_state_dict(snap[1], assign=True)
        model.eval()
        return snap[0], model


def run_name(stem: str) -> str:
    """A file-safe name unique to this run: the stem, the time to the microsecond and a random suffix."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now % 1 * 1e6):06d}"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:60] or "model"
    return f"{safe}-{stamp}-{secrets.token_hex(3)}"


def start(owner: str, cfg: TrainConfig, out_dir: Path, *, model_settings: dict | None = None,
          base: str | None = None, custom: list[dict] | None = None, estimate_seconds: float | None = None) -> Job:
    """Start training in a worker process for `owner`: a new model (ModelConfig `model_settings` over the preset's
    values for the task), or the checkpoint at `base` fine-tuned on the `custom` examples. JobRefused also when
    the run's estimated memory is over the per-run budget (engine/np2016/memory_estimate.py)."""
    if not valid_owner(owner):
        raise JobRefused("this page has no valid run token: reload the page")
    if base is not None:
        if not custom:
            raise JobRefused("fine-tuning needs at least one example in the custom set")
        model, vocab, _ = load_checkpoint(base)  # read here too: a broken file is refused before any process starts
        model_config = model.config
        probe = dict(custom[0])
        stem = re.sub(r"(-ft)?-\d{8}-\d{6}(-\d{6}-[0-9a-f]{6})?$", "", Path(base).stem) + "-ft"
    else:
        vocab = Vocab(data.vocabulary(cfg.task))
        model_config = presets.model_config(cfg.preset, cfg.task, len(vocab), **(model_settings or {}))
        probe = data.generate(cfg.task, "test", 1, seed=12345)[0]
        probe["rows"] = probe["rows"][:20]
        stem = cfg.task
    try:  # before any data is generated: two runs at the largest settings would not fit a classroom server
        check_memory(cfg, {"d": model_config.d, "T": model_config.T}, examples=custom if base else None)
    except ValueError as e:
        raise JobRefused(str(e)) from None
    name, every = run_name(stem), max(cfg.steps // 25, 5)
    job = Job(owner, cfg, model_config, vocab, name, ProbeProgress(every=every, total=cfg.steps), probe,
              estimate_seconds=estimate_seconds, base=base)
    spec = training_worker.RunSpec(cfg, model_config, str(out_dir), name, every, base, custom)
    job.thread = threading.Thread(target=_watch, args=(job, spec), daemon=True, name=f"train-{name}")
    return jobs.register(job, noun="training run")


def _launch(spec: training_worker.RunSpec) -> tuple[subprocess.Popen, Connection, Connection]:
    """The worker process, at the jobs' lower priority, and the server's ends of its two pipes (commands, reports);
    the run's settings are already on their way."""
    commands_read, commands_write = os.pipe()
    reports_read, reports_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "explorer.training_worker", str(commands_read), str(reports_write)], cwd=ROOT,
            stdin=subprocess.DEVNULL, pass_fds=(commands_read, reports_write),
            preexec_fn=lambda: os.nice(jobs.NICENESS))
    except BaseException:
        for fd in (commands_write, reports_read):
            os.close(fd)
        raise
    finally:  # the worker holds its own copies: once it ends, reading its reports meets the end of the pipe
        os.close(commands_read)
        os.close(reports_write)
    commands, reports = Connection(commands_write, readable=False), Connection(reports_read, writable=False)
    with suppress(OSError):  # a worker that died at once: following it meets the end of its reports
        commands.send(vars(spec))
    return process, commands, reports


def _follow(job: Job, commands: Connection, reports: Connection) -> dict | None:
    """Copy the worker's progress into the job and pass a stop on, until its result (None: it ended without one,
    or did not stop within STOP_GRACE_SECONDS of being asked)."""
    asked = None
    while True:
        if job.stop.is_set() and asked is None:
            asked = time.monotonic()
            with suppress(OSError):  # already gone: its reports end below
                commands.send(("stop", job.stop_reason))
        if asked is not None and time.monotonic() - asked > STOP_GRACE_SECONDS:
            log.warning("training run %s did not stop within %g s", job.name, STOP_GRACE_SECONDS)
            return None
        try:
            if not reports.poll(POLL_SECONDS):
                continue
            kind, body = reports.recv()
        except (EOFError, OSError):
            return None
        if kind == "result":
            return body
        apply_changes(job.progress, body)


def _end(process: subprocess.Popen, seconds: float) -> int:
    """Give the process `seconds` to exit, then kill it; its exit code."""
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _watch(job: Job, spec: training_worker.RunSpec) -> None:
    """The job's thread in the server: start the worker, follow it, keep its result; it has ended when this does."""
    process = commands = reports = None
    try:
        process, commands, reports = _launch(spec)
        job.process = process
        outcome = _follow(job, commands, reports)
        if outcome is None:  # it died, or would not stop
            job.error = f"the training process ended without a result (exit code {_end(process, 2.0)})"
        else:
            job.summary, job.error, job.name = outcome["summary"], outcome["error"], outcome["name"]
            job.saved_path = Path(outcome["saved_path"]) if outcome["saved_path"] else None
    except Exception as e:  # noqa: BLE001 - shown to the user as a message, logged with its traceback
        log.exception("training run %s failed", job.name)
        job.error = f"training failed: {e}"
    finally:
        if process is not None:
            _end(process, EXIT_SECONDS)
        for connection in (commands, reports):
            if connection is not None:
                connection.close()
        job.finished = time.time()
        job.progress.update(done=True, error=job.error or job.progress.error)


def read_custom_set(raw: bytes, name: str | None = None) -> list[dict]:
    """Examples for the custom set from an uploaded JSONL file, every line checked by the engine's reader
    (answers present, finite and well-formed; InputError, a ValueError, names the line). At most
    CUSTOM_MAX_EXAMPLES examples and CUSTOM_MAX_BYTES bytes."""
    examples = read_jsonl(raw, need_answer=True, limit=CUSTOM_MAX_EXAMPLES, name=name, max_bytes=CUSTOM_MAX_BYTES)
    return [{"columns": ex["columns"], "rows": ex["rows"], "question": ex["question"], "answer": ex["answer"],
             "template": "custom", "program": "custom"} for ex in examples]
