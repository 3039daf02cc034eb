"""A run's memory, predicted before it starts (engine/np2016/memory_estimate.py): within a quarter of a real run's peak
on settings the fit never saw, and the app refuses a combination over the per-run budget, naming what to lower."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks import train_memory
from engine.np2016 import memory_estimate, presets
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from explorer.components.train_settings import KNOBS, resolved

# the Train page's largest values: every bound it offers, the largest hidden size
LARGEST = {knob.name: knob.hi for knob in KNOBS if knob.hi is not None and knob.config is TrainConfig}
LARGEST_MODEL = {"d": max(next(k for k in KNOBS if k.name == "d").choices),
                 "T": next(k for k in KNOBS if k.name == "T").hi}
ISSUE = {"train_size": 50_000, "batch_size": 500}  # issue 19: text-5, 50,000 examples, d = 256, batch 500


@pytest.mark.parametrize("settings, measured", zip(train_memory.HELD_OUT_RUNS, train_memory.HELD_OUT_MB, strict=True),
                         ids=lambda v: v["task"] if isinstance(v, dict) else "")
def test_the_estimate_is_within_a_quarter_of_the_runs_held_out_of_the_fit(settings, measured):
    """The peaks recorded on the machine the costs were fitted on (benchmarks/train_memory.py HELD_OUT_MB): a
    change to the estimate or its constants that misses them fails here."""
    estimated = train_memory.estimated(settings).peak_mb
    assert abs(estimated - measured) <= 0.25 * measured, (estimated, measured)


# A real run on another machine: the same runs measured 503-519 MB here and 786 MB once on CI's machine (another
# CPU and allocator), so a live check can hold only the estimate's order, not its quarter.
LIVE_MARGIN = 1.75


def test_a_real_run_stays_within_a_stated_margin_of_its_estimate(tmp_path):
    """A short real run (3 steps) of settings left out of the fit, measured on whatever machine runs the tests."""
    settings = train_memory.HELD_OUT_RUNS[2]
    measured = train_memory.measure_run(settings, tmp_path / "model.safetensors")
    estimated = train_memory.estimated(settings).peak_mb
    assert estimated / LIVE_MARGIN <= measured <= estimated * LIVE_MARGIN, (estimated, measured)


def test_the_largest_settings_are_refused_with_what_to_lower(monkeypatch):
    monkeypatch.delenv(memory_estimate.RUN_BUDGET_ENV, raising=False)
    cfg = presets.train_config("default", "text-5", **ISSUE)
    with pytest.raises(ValueError) as refused:
        memory_estimate.check_memory(cfg, {"d": 256})
    message = str(refused.value)
    assert f"over the {memory_estimate.RUN_MEMORY_MB:,} MB one training run may use" in message
    assert "lower “Training examples” or “Validation examples”" in message  # the data is most of it
    assert "\n" not in message
    most = int(message.split("at most about ")[1].rstrip(")").replace(",", ""))
    memory_estimate.check_memory(presets.train_config("default", "text-5", **{**ISSUE, "train_size": most}),
                                 {"d": 256})  # the figure it quotes does fit
    for task in ("text-5", "columns-10", "columns-5"):
        with pytest.raises(ValueError, match="need about") as refused:
            memory_estimate.check_memory(presets.train_config("default", task, **LARGEST), LARGEST_MODEL)
        assert "“Batch size”" in str(refused.value)  # 256 programs searched per question: the step counts too


@pytest.mark.parametrize("preset", presets.NAMES)
def test_the_apps_defaults_fit_on_every_task(preset, monkeypatch):
    monkeypatch.delenv(memory_estimate.RUN_BUDGET_ENV, raising=False)
    for task in data.TASKS:
        values = resolved(preset, task, custom=False)
        train = {k.name: values[k.key] for k in KNOBS if k.config is TrainConfig}
        model = {k.name: values[k.key] for k in KNOBS if k.config is not TrainConfig}
        memory_estimate.check_memory(presets.train_config(preset, task, **train), model)


def test_the_estimate_grows_with_every_setting_that_sizes_the_run():
    base = TrainConfig(task="columns-5", train_size=5000, eval_size=300, test_size=300, batch_size=50)
    small = memory_estimate.estimate(base, 64, 4)
    larger = [(replace(base, train_size=10_000), 64, 4), (replace(base, test_size=3000), 64, 4),
              (replace(base, batch_size=400), 64, 4), (base, 256, 4), (base, 64, 8)]
    for bigger, d, T in larger:
        assert memory_estimate.estimate(bigger, d, T).run_mb > small.run_mb
    assert small.peak_mb == pytest.approx(small.process_mb + small.run_mb)


def test_a_server_sets_its_own_budget(monkeypatch):
    cfg = presets.train_config("default", "text-5", **ISSUE)
    monkeypatch.setenv(memory_estimate.RUN_BUDGET_ENV, "8000")
    memory_estimate.check_memory(cfg, {"d": 256})
    for unusable in ("lots", "-1", "0"):
        monkeypatch.setenv(memory_estimate.RUN_BUDGET_ENV, unusable)
        assert memory_estimate.run_budget_mb() == memory_estimate.RUN_MEMORY_MB
    with pytest.raises(ValueError, match="1,500 MB"):
        memory_estimate.check_memory(cfg, {"d": 256})


def test_a_fine_tuning_is_sized_by_its_custom_set():
    """The app's data sizes do not apply to a fine-tuning: its custom examples (copied for validation) do."""
    cfg = presets.train_config("default", "text-5", **ISSUE)
    custom = data.generate("text-5", "train", 50, seed=1)
    memory_estimate.check_memory(cfg, {"d": 256}, examples=custom)
    with pytest.raises(ValueError) as refused:
        memory_estimate.check_memory(cfg, {"d": 256}, examples=custom, budget_mb=10)
    assert "“Training examples”" not in str(refused.value)
    shape = memory_estimate.TableShape.of_examples(custom)
    assert shape.text_columns >= 1 and shape.rows <= 100 and shape.cells > shape.text_cells > 0
