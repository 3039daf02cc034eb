"""The training loop both model families share, as minGPT's trainer: the family brings one optimiser step and one
evaluation, the loop the rest (evaluation cadence, stop flag, clock, patience, target accuracy, NaN guard,
progress), so a rule about *when* a run stops or is evaluated is written once. The loop draws no random number:
each family's step draws its own, in its own order, so the losses are those from before the loop was shared
(tests/test_same_curve.py). A step raises DivergedError when its loss (or the scores it samples from) is not
finite, before the weights change; the family then keeps the best model it evaluated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.core.progress import Progress


class DivergedError(ArithmeticError):
    """A training step whose loss, or the scores it would sample programs from, is not finite."""


@dataclass
class LoopEnd:
    steps_done: int  # optimiser steps taken
    stopped: bool  # by the stop flag, the time limit or patience
    diverged: DivergedError | None  # the step's error when a loss stopped being finite
    diverged_at: int  # the step that raised it (0 when none did)


def run_steps(total: int, eval_every: int, step: Callable[[int], float], evaluate: Callable[[int], float],
              progress: Progress, stop: threading.Event, *, deadline: float | None = None, patience: int = 0,
              target: float | None = None, after_step: Callable[[int, float], None] | None = None,
              start: int = 0, evaluated: Sequence[float] = ()) -> LoopEnd:
    """Call `step(t)` for t = start+1..total (each returns its loss) and `evaluate(t)` (returns the accuracy that
    selects the model) every `eval_every` steps and after the last one. Ends early when `stop` is set or the
    `time.perf_counter()` `deadline` passes (before a step), when `patience` evaluations in a row did not beat
    the best one, when an evaluation reaches `target`, or when a step raises DivergedError. A resumed run passes
    the step it stopped after (`start`) and its evaluations' accuracies so far (`evaluated`)."""
    best, since_best, done = float("-inf"), 0, start
    for accuracy in evaluated:  # patience counts on from where the run stopped
        best, since_best = (accuracy, 0) if accuracy > best else (best, since_best + 1)
    for t in range(start + 1, total + 1):
        if stop.is_set() or (deadline is not None and time.perf_counter() > deadline):
            return LoopEnd(done, True, None, 0)
        tick = time.perf_counter()
        try:
            loss = step(t)
        except DivergedError as e:
            return LoopEnd(done, False, e, t)
        progress.add_step_time(time.perf_counter() - tick)
        progress.add_loss(t, loss)
        if after_step is not None:
            after_step(t, loss)
        done = t
        if t % eval_every == 0 or t == total:
            accuracy = evaluate(t)
            best, since_best = (accuracy, 0) if accuracy > best else (best, since_best + 1)
            if target is not None and accuracy >= target:
                break
            if patience and since_best >= patience:
                return LoopEnd(done, True, None, 0)
    return LoopEnd(done, False, None, 0)
