"""How long a training run has left: remaining steps x step time + remaining evaluations x evaluation time, each
time an exponential moving average of its own, so an evaluation never looks like a slow stretch of steps and one
slow step (or a slow first minute) moves the estimate by a few per cent only. engine.core.progress feeds these."""

from __future__ import annotations

# weight of the newest measurement: a half-life of about 34 steps, so the ETA follows a lasting change of
# speed within a few dozen steps while one outlier moves it by 2 % of its excess
STEP_WEIGHT = 0.02
EVAL_WEIGHT = 0.3  # evaluations are few (one per eval_every steps): each counts for more


def smoothed(previous: float | None, value: float, weight: float) -> float:
    """The exponential moving average after `value`: `value` itself when there was none before."""
    return float(value) if previous is None else previous + weight * (float(value) - previous)


def weight_for(count: int, weight: float) -> float:
    """The weight of the count-th measurement (1, 2, ...): 1/count (the plain mean of those so far) until that
    falls to `weight`, then `weight`, so that no single early measurement (a slow start) lingers for the
    1/weight steps an average started from it would take to forget it."""
    return max(1.0 / max(count, 1), weight)


def evaluations_left(step: int, total: int, eval_every: int) -> int:
    """Evaluations the trainer still runs after `step` of `total`: every eval_every steps, and one after the last."""
    if step >= total or eval_every <= 0:
        return 0
    regular = total // eval_every - step // eval_every
    return regular + (0 if total % eval_every == 0 else 1)


def eta_seconds(step: int, total: int, step_seconds: float | None, eval_every: int = 0,
                eval_seconds: float | None = None) -> float | None:
    """Seconds the run has left after `step` of `total` steps (None until a step time is known)."""
    if step_seconds is None:
        return None
    left = max(total - step, 0) * step_seconds
    if eval_seconds is not None:
        left += evaluations_left(step, total, eval_every) * eval_seconds
    return left
