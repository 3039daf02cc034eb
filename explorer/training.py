"""Background training runs: jobs of the one registry (explorer/jobs.py), so a run whose owner's pages are gone
is stopped and saves what it has. The worker never calls streamlit: the Train page polls `Job` (progress,
probe model). A finished run's checkpoint gets a name no other run has, claimed with an exclusive create.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from engine.core.io.atomic import write_atomic
from engine.core.io.examples import read_jsonl
from engine.core.limits import CUSTOM_MAX_BYTES, CUSTOM_MAX_EXAMPLES
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.checkpoint import load_checkpoint, to_bytes
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.memory_estimate import check_memory
from engine.np2016.model import NeuralProgrammer
from engine.np2016.train import Progress, train
from explorer import fine_tune_scores, jobs

log = logging.getLogger(__name__)
# the registry's names, used here and by the pages and tests that knew them from this module
MAX_ACTIVE_JOBS, JobRefused, owner_timeout = jobs.MAX_ACTIVE_JOBS, jobs.JobRefused, jobs.owner_timeout
new_owner, valid_owner, running_count = jobs.new_owner, jobs.valid_owner, jobs.running_count
KIND = "training"
# the owner's latest training run (None when the server has none); touch also keeps all their jobs alive; stop
# asks their running one to end (it saves the best model so far): False when none runs
find, touch, stop = partial(jobs.find, kind=KIND), partial(jobs.touch, kind=KIND), partial(jobs.stop, kind=KIND)


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


def run_name(stem: str) -> str:
    """A file-safe name unique to this run: the stem, the time to the microsecond and a random suffix."""
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now)) + f"-{int(now % 1 * 1e6):06d}"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:60] or "model"
    return f"{safe}-{stamp}-{secrets.token_hex(3)}"


def start(owner: str, cfg: TrainConfig, out_dir: Path, *, model_settings: dict | None = None,
          base: str | None = None, custom: list[dict] | None = None, estimate_seconds: float | None = None) -> Job:
    """Start training in a daemon thread for `owner`: a new model (ModelConfig `model_settings` over the preset's
    values for the task), or the checkpoint at `base` fine-tuned on the `custom` examples. JobRefused also when
    the run's estimated memory is over the per-run budget (engine/np2016/memory_estimate.py)."""
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
    try:  # before any data is generated: two runs at the largest settings would not fit a classroom server
        check_memory(cfg, {"d": model_config.d, "T": model_config.T}, examples=custom if base else None)
    except ValueError as e:
        raise JobRefused(str(e)) from None
    name = run_name(stem)
    job = Job(owner, cfg, model_config, vocab, name, ProbeProgress(every=max(cfg.steps // 25, 5)), probe,
              estimate_seconds=estimate_seconds, base=base)
    job.thread = threading.Thread(target=_work, args=(job, Path(out_dir), init, custom, base), daemon=True,
                                  name=f"train-{name}")
    return jobs.register(job, noun="training run")


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


def _work(job: Job, out_dir: Path, init, custom, base) -> None:
    jobs.lower_thread_priority()
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
