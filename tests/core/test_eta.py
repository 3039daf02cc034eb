"""The smoothed ETA (engine/core/eta.py, engine.np2016.train.Progress): steady under one slow step, following a lasting
change of speed, counting evaluations apart from steps."""

from __future__ import annotations

import pytest

from engine.core.eta import EVAL_WEIGHT, STEP_WEIGHT, eta_seconds, evaluations_left, smoothed, weight_for
from engine.np2016.train import Progress


def _feed(times, weight=STEP_WEIGHT):
    value = None
    for t in times:
        value = smoothed(value, t, weight)
    return value


def test_the_first_measurement_is_the_estimate_and_a_steady_rate_stays_put():
    assert smoothed(None, 0.2, STEP_WEIGHT) == 0.2
    assert _feed([0.05] * 500) == pytest.approx(0.05)


def test_one_slow_step_moves_the_estimate_by_its_weight_only():
    steady = _feed([0.05] * 200)
    after = smoothed(steady, 0.5, STEP_WEIGHT)  # ten times slower: another run started a step, say
    assert after - steady == pytest.approx(STEP_WEIGHT * (0.5 - 0.05))
    assert after < steady * 1.2


def test_a_lasting_change_of_speed_is_followed_within_a_few_dozen_steps():
    value = _feed([0.05] * 200 + [0.1] * 150)
    assert value == pytest.approx(0.1, rel=0.06)


def _feed_warm(times, weight=STEP_WEIGHT):
    value = None
    for n, t in enumerate(times, 1):
        value = smoothed(value, t, weight_for(n, weight))
    return value


def test_the_first_measurements_are_averaged_so_a_slow_start_does_not_linger():
    assert _feed_warm([0.3, 0.1, 0.2]) == pytest.approx(0.2)  # the plain mean while there are few
    assert weight_for(1, STEP_WEIGHT) == 1.0 and weight_for(10_000, STEP_WEIGHT) == STEP_WEIGHT
    slow_start = [0.3] * 3 + [0.05] * 100  # a slow start (another run's data generation, say), then steady
    started_from_first = _feed(slow_start)  # an average that began at the first, slow value
    assert _feed_warm(slow_start) == pytest.approx(0.05, rel=0.15)
    assert started_from_first > 0.08  # still a third too slow after a hundred steps


def test_evaluations_left_counts_the_regular_ones_and_the_last():
    assert evaluations_left(0, 1000, 100) == 10
    assert evaluations_left(150, 1000, 100) == 9
    assert evaluations_left(0, 1050, 100) == 11  # ten, then one after the last step
    assert evaluations_left(1000, 1000, 100) == 0
    assert evaluations_left(0, 10, 0) == 0


def test_the_eta_adds_steps_and_evaluations():
    assert eta_seconds(0, 100, None) is None
    assert eta_seconds(40, 100, 0.5) == pytest.approx(30.0)
    assert eta_seconds(40, 100, 0.5, eval_every=20, eval_seconds=2.0) == pytest.approx(30.0 + 3 * 2.0)
    assert eta_seconds(100, 100, 0.5, 20, 2.0) == 0.0


def test_progress_smooths_step_and_evaluation_times():
    progress = Progress(total=100, eval_every=50)
    progress.add_step_time(5.0)  # the first step's warm-up: left out
    progress.add_loss(1, 1.0)
    assert progress.snapshot()["eta"] is None
    for step in range(2, 11):
        progress.add_step_time(0.1)
        progress.add_loss(step, 1.0)
    progress.add_eval_time(1.0)
    snap = progress.snapshot()
    assert snap["eta"] == pytest.approx(90 * 0.1 + 2 * 1.0)
    progress.add_eval_time(2.0)  # the second: the mean of the two
    assert progress.snapshot()["eta"] == pytest.approx(90 * 0.1 + 2 * 1.5)
    for _ in range(20):
        progress.add_eval_time(1.5)
    progress.add_eval_time(4.0)  # later ones move it by EVAL_WEIGHT of their excess
    assert progress.snapshot()["eta"] == pytest.approx(90 * 0.1 + 2 * (1.5 + EVAL_WEIGHT * 2.5))
