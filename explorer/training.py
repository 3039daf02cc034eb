"""Background training jobs: a thread runs engine.train and saves the result as a checkpoint.

The worker never calls streamlit; the Train page polls `Job` (progress snapshot, probe model) from a
fragment. Each session keeps its own Job in st.session_state; a process-wide limit keeps the two
cores of a small machine from being swamped by many sessions training at once.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine import data
from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.config import ModelConfig, TrainConfig
from engine.model import NeuralProgrammer
from engine.train import Progress, default_model_config, train
from engine.vocab import Vocab

MAX_ACTIVE_JOBS = 2
_active_lock = threading.Lock()
_active: set[int] = set()
log = logging.getLogger(__name__)


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
    """One training run of one session."""

    cfg: TrainConfig
    model_config: ModelConfig
    vocab: Vocab
    name: str
    progress: ProbeProgress
    probe: dict  # an example (JSONL form) whose trace is redrawn during training
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    saved_path: Path | None = None
    error: str | None = None
    summary: dict | None = None
    announced: bool = False  # the page has shown the final result once

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def probe_model(self) -> tuple[int, NeuralProgrammer] | None:
        with self.progress.lock:
            snap = self.progress.probe_state
        if snap is None:
            return None
        model = NeuralProgrammer(self.model_config)
        model.load_state_dict(snap[1])
        model.eval()
        return snap[0], model


def active_jobs() -> int:
    with _active_lock:
        return len(_active)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:60] or "model"


def start(
    cfg: TrainConfig,
    out_dir: Path,
    *,
    d: int = 64,
    T: int = 4,
    base: str | None = None,
    custom: list[dict] | None = None,
) -> Job:
    """Start training in a daemon thread. base: a checkpoint path to fine-tune on `custom` examples."""
    with _active_lock:
        if len(_active) >= MAX_ACTIVE_JOBS:
            raise RuntimeError(
                f"{MAX_ACTIVE_JOBS} training runs are already going on this server: wait for "
                "one to finish (or stop yours) and start again"
            )
    init = None
    if base is not None:
        model, vocab, _ = load_checkpoint(base)  # a private copy: the cached, shared model stays untouched
        init, model_config = (model, vocab), model.config
        probe = dict(custom[0])
    else:
        vocab = Vocab(data.vocabulary(cfg.task))
        model_config = default_model_config(cfg.task, len(vocab), d=d, steps=T)
        probe = data.generate(cfg.task, "test", 1, seed=12345)[0]
        probe["rows"] = probe["rows"][:20]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = re.sub(r"(-ft)?-\d{8}-\d{6}$", "", Path(base).stem) + "-ft" if base else cfg.task
    name = safe_name(f"{stem}-{stamp}")
    job = Job(cfg, model_config, vocab, name, ProbeProgress(every=max(cfg.steps // 25, 5)), probe)
    job.thread = threading.Thread(
        target=_work, args=(job, out_dir, init, custom, base), daemon=True, name=f"train-{name}"
    )
    with _active_lock:
        _active.add(id(job))
    job.thread.start()
    return job


def _work(job: Job, out_dir: Path, init, custom, base) -> None:
    try:
        result = train(
            job.cfg,
            None if init else job.model_config,
            progress=job.progress,
            stop=job.stop,
            init=init,
            train_examples=copy.deepcopy(custom) if custom else None,
            eval_examples=copy.deepcopy(custom) if custom else None,
        )
        summary = dict(result.summary)
        if base:
            summary.update(fine_tuned_from=Path(base).stem, custom_examples=len(custom))
        job.summary = summary
        job.saved_path = save_checkpoint(
            out_dir / f"{job.name}.safetensors", result.model, result.vocab, summary
        )
    except Exception as e:  # noqa: BLE001 - shown to the user as a message, logged with its traceback
        log.exception("training run %s failed", job.name)
        job.error = f"training failed: {e}"
        job.progress.update(done=True, error=job.error)
    finally:
        with _active_lock:
            _active.discard(id(job))


def parse_jsonl(raw: bytes, limit: int = 500) -> list[dict]:
    """Examples in the JSONL form ({"columns", "rows", "question", "answer"}); ValueError says why not."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError("the file is not UTF-8 text") from e
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            ex = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"line {n} is not JSON ({e.msg})") from e
        if not isinstance(ex, dict) or not {"columns", "rows", "question", "answer"} <= set(ex):
            raise ValueError(f"line {n} needs the keys columns, rows, question and answer")
        cols, rows, ans = ex["columns"], ex["rows"], ex["answer"]
        if not (
            isinstance(cols, list)
            and isinstance(rows, list)
            and all(isinstance(r, list) and len(r) == len(cols) for r in rows)
        ):
            raise ValueError(f"line {n}: every row must be a list with one cell per column")
        if not isinstance(ans, dict) or not ({"scalar"} <= set(ans) or {"cells"} <= set(ans)):
            raise ValueError(
                f'line {n}: the answer must be {{"scalar": x}} or {{"cells": [[row, column], ...]}}'
            )
        out.append(
            {
                "columns": [str(c) for c in cols],
                "rows": rows,
                "question": str(ex["question"]),
                "answer": ans,
                "template": "custom",
                "program": "custom",
            }
        )
        if len(out) > limit:
            raise ValueError(f"more than {limit} examples: split the file")
    if not out:
        raise ValueError("the file has no examples")
    return out
