"""A training run's progress, shared between the thread that trains and those that watch it (the CLI's progress bar,
the app's Train page, a sweep): the trainer writes, any other thread reads a consistent `snapshot()`."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from engine.core.eta import EVAL_WEIGHT, STEP_WEIGHT, eta_seconds, smoothed, weight_for


@dataclass
class Progress:
    """Lock-protected training state, written by the trainer and read (snapshot) by any other thread."""

    total: int = 0
    step: int = 0
    losses: list = field(default_factory=list)  # (step, loss)
    evals: list = field(default_factory=list)  # (step, train_acc, valid_acc)
    best_accuracy: float = -1.0
    started: float = field(default_factory=time.time)
    done: bool = False
    stopped: bool = False
    error: str | None = None
    message: str = ""
    eval_every: int = 0  # the run's validation interval, which the ETA counts evaluations by
    step_seconds: float | None = None  # smoothed wall time of one training step (engine/core/eta.py)
    eval_seconds: float | None = None  # smoothed wall time of one evaluation
    last_tick: float | None = None  # when the last loss came, for callers that do not time their steps
    timed_steps: int = 0
    timed_by_trainer: bool = False  # add_step_time is called: add_loss does not time steps itself
    timed_evals: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, v)

    def add_loss(self, step: int, loss: float):
        """The loss of `step`. Unless the trainer times its steps (add_step_time), the time since the previous
        loss is the step's time."""
        now = time.time()
        with self.lock:
            if not self.timed_by_trainer and self.last_tick is not None:
                self._smooth_step(now - self.last_tick)
            self.last_tick = now
            self.step = step
            self.losses.append((step, loss))

    def add_step_time(self, seconds: float) -> None:
        """The wall time of the step whose loss comes next (its evaluation not included)."""
        with self.lock:
            self.timed_by_trainer = True
            self._smooth_step(seconds)

    def _smooth_step(self, seconds: float) -> None:
        if not self.losses:  # the first step: one-off warm-up work, left out of the smoothed time
            return
        self.timed_steps += 1
        self.step_seconds = smoothed(self.step_seconds, seconds, weight_for(self.timed_steps, STEP_WEIGHT))

    def add_eval_time(self, seconds: float) -> None:
        with self.lock:
            self.timed_evals += 1
            self.eval_seconds = smoothed(self.eval_seconds, seconds, weight_for(self.timed_evals, EVAL_WEIGHT))

    def on_step(self, step: int, model) -> None:
        """Called after every optimiser step with the live model, to watch it (never modify it) in an override."""

    def snapshot(self) -> dict:
        with self.lock:
            return {"total": self.total, "step": self.step, "losses": list(self.losses),
                    "evals": list(self.evals), "best_accuracy": self.best_accuracy,
                    "elapsed": time.time() - self.started,
                    "eta": eta_seconds(self.step, self.total, self.step_seconds, self.eval_every, self.eval_seconds),
                    "done": self.done, "stopped": self.stopped, "error": self.error, "message": self.message}
