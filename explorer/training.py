"""Background training jobs that belong to the server, not to a browser session.

A job is registered under its owner's token (`new_owner()`: 32 hex digits, kept in the session and in the
URL's `run` parameter), so a reloaded page finds its job again and can stop it. The registry is one
module-level dict behind one lock: the cap on running jobs is checked and the job registered in a single
acquisition, so simultaneous starts can never exceed MAX_ACTIVE_JOBS. The owner's pages touch their job
(`touch`) while they are open; a reaper thread stops a job whose owner has not been seen for
`owner_timeout()` seconds (and forgets finished jobs then), so a closed tab never holds a training slot.

The worker never calls streamlit; the Train page polls `Job` (progress snapshot, probe model) from a
fragment. A finished job's checkpoint gets a name no other run has (time to the microsecond plus a random
suffix, claimed with an exclusive create) and is written through engine.atomic.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from engine import data, presets
from engine.atomic import write_atomic
from engine.checkpoint import load_checkpoint, to_bytes
from engine.config import ModelConfig, TrainConfig
from engine.examples import read_jsonl
from engine.limits import CUSTOM_MAX_BYTES, CUSTOM_MAX_EXAMPLES
from engine.model import NeuralProgrammer
from engine.train import Progress, train
from engine.vocab import Vocab
from explorer import fine_tune_scores

MAX_ACTIVE_JOBS = 2  # running jobs on the whole server (two cores: more would slow every run down)
# seconds without a sign of the owner before its job is stopped: the owner's pages beat every 1-5 s, and a
# closed tab's run must give its cores back within a minute (the reaper adds at most 5 s)
DEFAULT_OWNER_TIMEOUT = 45.0
OWNER_TIMEOUT_ENV = "NPX_OWNER_TIMEOUT"
OWNER_TOKEN = re.compile(r"[0-9a-f]{32}")
log = logging.getLogger(__name__)


class JobRefused(RuntimeError):
    """A run was not started; the message says why and what to do."""


def owner_timeout() -> float:
    """DEFAULT_OWNER_TIMEOUT seconds, or the NPX_OWNER_TIMEOUT environment variable (read on every use, so tests
    can shorten it)."""
    try:
        value = float(os.environ.get(OWNER_TIMEOUT_ENV, DEFAULT_OWNER_TIMEOUT))
    except ValueError:
        return DEFAULT_OWNER_TIMEOUT
    return value if value > 0 else DEFAULT_OWNER_TIMEOUT


def new_owner() -> str:
    return secrets.token_hex(16)


def valid_owner(token) -> bool:
    return isinstance(token, str) and OWNER_TOKEN.fullmatch(token) is not None


class ProbeProgress(Progress):
    """Progress that also keeps a copy of the model's weights every `every` steps (for the probe view)."""

    def __init__(self, every: int, **kw):
        super().__init__(**kw)
        self.every = max(1, every)
        self.probe_state: tuple[int, dict] | None = None

    def on_step(self, step: int, model) -> None:
        if step == 1 or step % self.every == 0:
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            with self.lock:
                self.probe_state = (step, state)


@dataclass
class Job:
    """One training run, owned by the browser that holds `owner`."""

    owner: str
    cfg: TrainConfig
    model_config: ModelConfig
    vocab: Vocab
    name: str
    progress: ProbeProgress
    probe: dict  # an example (JSONL form) whose trace is redrawn during training
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    saved_path: Path | None = None  # None after the run: nothing was learned (no step) or saving failed
    error: str | None = None  # why the run failed (an exception); a diverged run's reason is in summary
    summary: dict | None = None
    stop_reason: str | None = None  # who stopped it: "you" (Stop) or why the server did
    last_seen: float = field(default_factory=time.monotonic)  # the owner's last sign of life
    announced: bool = False  # the page has shown the final result once
    estimate_seconds: float | None = None  # the Train page's measured estimate of the run (run_estimate.py)
    base: str | None = None  # the checkpoint a fine-tuning starts from; None for a run on a task
    started: float = field(default_factory=time.time)
    finished: float | None = None  # when the worker ended (time.time())

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def probe_model(self) -> tuple[int, NeuralProgrammer] | None:
        with self.progress.lock:
            snap = self.progress.probe_state
        if snap is None:
            return None
        # built on the meta device and given the copied weights: no random initialisation, so the global
        # torch generator (which a training thread draws from) is left alone
        with torch.device("meta"):
            model = NeuralProgrammer(self.model_config)
        model.load_state_dict(snap[1], assign=True)
        model.eval()
        return snap[0], model


# ----------------------------------------------------------------------------- the registry

_lock = threading.Lock()
_jobs: dict[str, Job] = {}  # owner token -> that owner's latest job (running or finished)
_reaper: threading.Thread | None = None
_wake = threading.Event()


def _reap_locked(now: float) -> None:
    """Stop running jobs whose owner is gone; forget finished ones (call with _lock held)."""
    limit = owner_timeout()
    for owner, job in list(_jobs.items()):
        if now - job.last_seen <= limit:
            continue
        if job.running:
            if not job.stop.is_set():
                job.stop_reason = f"its page was closed ({limit:g} s without a sign of it)"
                job.stop.set()
                log.info("stopping training run %s: owner gone", job.name)
        else:
            del _jobs[owner]


def _reap_loop() -> None:
    """Reap every quarter of the timeout until no job is left, then end (start() starts a new one)."""
    global _reaper
    while True:
        _wake.wait(min(max(owner_timeout() / 4, 0.05), 5.0))
        _wake.clear()
        with _lock:
            _reap_locked(time.monotonic())
            if not _jobs:
                _reaper = None
                return


def _ensure_reaper_locked() -> None:
    global _reaper
    _wake.set()  # a running reaper re-reads the timeout now rather than after its current wait
    if _reaper is None or not _reaper.is_alive():
        _reaper = threading.Thread(target=_reap_loop, daemon=True, name="train-reaper")
        _reaper.start()


def find(owner: str | None) -> Job | None:
    """The owner's latest job, if the server still has it."""
    if not valid_owner(owner):
        return None
    with _lock:
        _reap_locked(time.monotonic())
        return _jobs.get(owner)


def touch(owner: str | None) -> Job | None:
    """The owner is still there (a page of theirs ran): keep its job alive. Returns the job, if any."""
    if not valid_owner(owner):
        return None
    with _lock:
        now = time.monotonic()
        job = _jobs.get(owner)
        if job is not None:
            job.last_seen = now  # before reaping: the owner is here now, however long it was away
        _reap_locked(now)
        return _jobs.get(owner)


def stop(owner: str | None) -> bool:
    """Ask the owner's running job to stop (it saves the best model so far); False when none runs."""
    job = find(owner)
    if job is None or not job.running:
        return False
    job.stop_reason = "you stopped it"
    job.stop.set()
    return True


def running_count() -> int:
    with _lock:
        return sum(job.running for job in _jobs.values())


# ----------------------------------------------------------------------------- starting and running a job

def run_name(stem: str) -> str:
    """A file-safe name unique to this run: the stem, the time to the microsecond and a random suffix."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now % 1 * 1e6):06d}"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:60] or "model"
    return f"{safe}-{stamp}-{secrets.token_hex(3)}"


def start(owner: str, cfg: TrainConfig, out_dir: Path, *, model_settings: dict | None = None,
          base: str | None = None, custom: list[dict] | None = None, estimate_seconds: float | None = None) -> Job:
    """Start training in a daemon thread for `owner`: a new model (ModelConfig `model_settings` over the
    values of the preset `cfg.preset` for the task), or the checkpoint at `base` fine-tuned on the `custom`
    examples.

    JobRefused when MAX_ACTIVE_JOBS jobs are running or this owner already has one running."""
    if not valid_owner(owner):
        raise JobRefused("this page has no valid run token: reload the page")
    init = None
    if base is not None:
        if not custom:
            raise JobRefused("fine-tuning needs at least one example in the custom set")
        model, vocab, _ = load_checkpoint(base)  # a private copy: the cached, shared model stays untouched
        init, model_config = (model, vocab), model.config
        probe = dict(custom[0])
        stem = re.sub(r"(-ft)?-\d{8}-\d{6}(-\d{6}-[0-9a-f]{6})?$", "", Path(base).stem) + "-ft"
    else:
        vocab = Vocab(data.vocabulary(cfg.task))
        model_config = presets.model_config(cfg.preset, cfg.task, len(vocab), **(model_settings or {}))
        probe = data.generate(cfg.task, "test", 1, seed=12345)[0]
        probe["rows"] = probe["rows"][:20]
        stem = cfg.task
    name = run_name(stem)
    job = Job(owner, cfg, model_config, vocab, name, ProbeProgress(every=max(cfg.steps // 25, 5)), probe,
              estimate_seconds=estimate_seconds, base=base)
    job.thread = threading.Thread(target=_work, args=(job, Path(out_dir), init, custom, base), daemon=True,
                                  name=f"train-{name}")
    with _lock:  # one acquisition: the cap is checked and the job registered together
        _reap_locked(time.monotonic())
        mine = _jobs.get(owner)
        if mine is not None and mine.running:
            raise JobRefused("your training run is still going: stop it before starting another")
        active = sum(j.running for j in _jobs.values())
        if active >= MAX_ACTIVE_JOBS:
            raise JobRefused(f"{active} training runs are already going on this server (the limit is "
                             f"{MAX_ACTIVE_JOBS}): wait for one to finish and start again")
        _jobs[owner] = job
        job.thread.start()  # alive before the lock is released, so the next start counts it
        _ensure_reaper_locked()
    return job


def claim_path(out_dir: Path, name: str) -> Path:
    """Create `<name>.safetensors` exclusively (so no other run can have it); another suffix if taken."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for attempt in range(10):
        path = out_dir / f"{name if attempt == 0 else f'{name}-{attempt}'}.safetensors"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return path
    raise OSError(f"no free checkpoint name for {name} in {out_dir}")


TRAINING_NICENESS = 10  # the people asking questions come first: a run gets the cores they leave free


def _lower_priority() -> None:
    """Give this (training) thread a lower CPU priority. Linux schedules threads one by one, so the server's
    other threads (every session's page runs) keep answering quickly while two runs train on two cores."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: the run just keeps normal priority
        pass


def _work(job: Job, out_dir: Path, init, custom, base) -> None:
    _lower_priority()
    try:
        before = None
        if base:  # the checkpoint as it was: on the taught examples and on fresh questions of its own task
            job.progress.update(message="scoring the checkpoint before fine-tuning")
            before = fine_tune_scores.measure(init[0], init[1], job.cfg, custom, job.stop)
        result = train(job.cfg, None if init else job.model_config, progress=job.progress, stop=job.stop,
                       init=init, train_examples=copy.deepcopy(custom) if custom else None,
                       eval_examples=copy.deepcopy(custom) if custom else None)
        summary = dict(result.summary)
        if base:
            summary.update(fine_tuned_from=Path(base).stem, custom_examples=len(custom))
            if summary["steps_run"]:
                job.progress.update(message="scoring the fine-tuned model")
                after = fine_tune_scores.measure(result.model, result.vocab, job.cfg, custom, job.stop)
                summary.update(fine_tune_scores.summary_fields(job.cfg, before, after))
        if job.stop_reason:
            summary["stopped_because"] = job.stop_reason
        job.summary = summary
        if summary["steps_run"] == 0:  # stopped (or diverged) before the first step: nothing was learned
            return
        payload = to_bytes(result.model, result.vocab, summary)
        path = claim_path(out_dir, job.name)
        try:
            write_atomic(path, payload)
        except BaseException:
            path.unlink(missing_ok=True)  # the empty claim must not stay behind as a broken checkpoint
            raise
        job.name, job.saved_path = path.stem, path
    except Exception as e:  # noqa: BLE001 - shown to the user as a message, logged with its traceback
        log.exception("training run %s failed", job.name)
        job.error = f"training failed: {e}"
    finally:
        job.finished = time.time()
        job.progress.update(done=True, error=job.error or job.progress.error)


def read_custom_set(raw: bytes, name: str | None = None) -> list[dict]:
    """Examples for the custom set from an uploaded JSONL file, every line checked by the engine's reader
    (answers present, finite and well-formed; InputError, a ValueError, names the line). At most
    CUSTOM_MAX_EXAMPLES examples and CUSTOM_MAX_BYTES bytes."""
    examples = read_jsonl(raw, need_answer=True, limit=CUSTOM_MAX_EXAMPLES, name=name, max_bytes=CUSTOM_MAX_BYTES)
    return [{"columns": ex["columns"], "rows": ex["rows"], "question": ex["question"], "answer": ex["answer"],
             "template": "custom", "program": "custom"} for ex in examples]
