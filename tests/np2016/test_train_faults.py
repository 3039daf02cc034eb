"""Training faults (issue 8, part 4): a diverging run stops with a message and keeps a model; a stop during
data generation is honoured at once; a stopped run never replaces a better checkpoint; an output that
cannot be written is refused before any work."""

from __future__ import annotations

import os
import threading
import time

import pytest
import torch

from engine.core.loop import DivergedError
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016 import train as train_module
from engine.np2016.checkpoint import load_checkpoint, save_checkpoint
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.runs import OutputError, check_output, save_trained
from engine.np2016.search import MASKED, check_logits
from engine.np2016.train import Progress, train

TASK = "single-column"
VOCAB = Vocab(data.vocabulary(TASK))
# a run that diverges within a few steps: lr 1e6 on a wide model (measured: stops at step 9, under 2 s)
HUGE_LR = dict(task=TASK, lr=1e6, steps=150, batch_size=5, train_size=100, eval_size=20, test_size=20, eval_every=10,
               threads=1, search_samples=4)


def test_a_huge_learning_rate_stops_with_a_message_and_keeps_a_model():
    """Before: `RuntimeError: invalid multinomial distribution` from inside the program search."""
    progress = Progress()
    result = train(TrainConfig(**HUGE_LR), presets.model_config("default", TASK, len(VOCAB), d=128), progress=progress)
    error = result.summary["error"]
    assert error and error.startswith("training stopped at step") and "lower learning rate" in error
    assert progress.error == error and progress.done
    assert result.summary["steps_run"] < HUGE_LR["steps"]
    assert result.summary["valid_accuracy"] >= 0  # the kept model was evaluated
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


def test_scores_that_overflow_or_turn_nan_are_caught_before_sampling():
    ok = {"op_logits": torch.zeros(2, 3, 4), "col_logits": torch.zeros(2, 3, 2),
          "pivot_logits": {"greater": torch.tensor([[0.0, -1e9], [1.0, 2.0]])}}
    check_logits(ok)  # masked entries (-1e9) beside real ones are fine
    low = dict(ok, col_logits=torch.full((2, 3, 2), 10 * MASKED))
    with pytest.raises(DivergedError, match="column scores overflowed"):
        check_logits(low)
    nan = dict(ok, pivot_logits={"greater": torch.tensor([[float("nan"), 0.0], [1.0, 2.0]])})
    with pytest.raises(DivergedError, match="greater pivot scores became NaN"):
        check_logits(nan)


def test_stop_during_data_generation_returns_within_a_second():
    """Before: the 50,000 training examples were all generated first (about 11 s) before the flag was read."""
    stop = threading.Event()
    stop.set()
    started = time.perf_counter()
    result = train(TrainConfig(task=TASK, steps=100, train_size=50_000, threads=1), stop=stop)
    assert time.perf_counter() - started < 1.0
    assert result.summary["stopped"] and result.summary["steps_run"] == 0
    assert result.summary["valid_accuracy"] == -1.0  # nothing was trained or evaluated


def test_a_stop_while_generating_takes_effect_mid_way():
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    examples = data.generate(TASK, "train", 5000, seed=3, stop=stop)
    assert len(examples) == 3 * data.STOP_CHECK_EVERY
    assert examples == data.generate(TASK, "train", len(examples), seed=3)  # the same examples, cut short


def _stopped_run(stop_at: int):
    """A tiny run stopped by its stop flag after `stop_at` steps (as Ctrl-C or the Stop button do)."""
    stop = threading.Event()

    class StopAt(Progress):
        def on_step(self, step, model):
            if step == stop_at:
                stop.set()

    cfg = TrainConfig(task=TASK, steps=1000, train_size=100, eval_size=20, test_size=20, eval_every=1000, threads=1,
                      search_samples=4)
    return train(cfg, presets.model_config("default", TASK, len(VOCAB), d=8), progress=StopAt(), stop=stop)


def test_a_stopped_run_never_replaces_a_better_checkpoint(tmp_path):
    """Before: Ctrl-C overwrote an existing 100 % checkpoint at --output with the stopped model."""
    target = tmp_path / "model.safetensors"
    torch.manual_seed(0)
    best = train_module.NeuralProgrammer(presets.model_config("default", TASK, len(VOCAB), d=8))
    save_checkpoint(target, best, VOCAB, {"task": TASK, "valid_accuracy": 1.0})
    before = target.read_bytes()

    result = _stopped_run(stop_at=3)
    assert result.summary["stopped"] and result.summary["valid_accuracy"] < 1.0
    outcome = save_trained(target, result)
    assert target.read_bytes() == before and outcome.kept == target
    assert outcome.path == tmp_path / "model.stopped.safetensors" and outcome.path.is_file()
    assert "kept" in outcome.message and str(outcome.path) in outcome.message
    assert load_checkpoint(outcome.path)[2]["summary"]["stopped"]
    # a second stopped run gets its own name beside it, losing neither
    assert save_trained(target, result).path == tmp_path / "model.stopped-2.safetensors"


def test_a_stopped_run_replaces_a_worse_checkpoint_and_a_finished_run_always_does(tmp_path):
    target = tmp_path / "model.safetensors"
    result = _stopped_run(stop_at=3)
    save_checkpoint(target, result.model, VOCAB, {"task": TASK, "valid_accuracy": -0.5})
    outcome = save_trained(target, result)
    assert outcome.path == target and outcome.kept is None
    assert load_checkpoint(target)[2]["summary"]["stopped"]

    finished = dict(result.summary, stopped=False, valid_accuracy=0.0)
    save_checkpoint(target, result.model, VOCAB, {"task": TASK, "valid_accuracy": 1.0})
    assert save_trained(target, result, finished).path == target
    assert load_checkpoint(target)[2]["summary"]["valid_accuracy"] == 0.0


def test_a_run_stopped_before_training_saves_nothing(tmp_path):
    stop = threading.Event()
    stop.set()
    result = train(TrainConfig(task=TASK, steps=10, train_size=1000, threads=1), stop=stop)
    target = tmp_path / "model.safetensors"
    outcome = save_trained(target, result)
    assert outcome.path is None and not target.exists() and "nothing was saved" in outcome.message


def test_check_output_refuses_what_cannot_be_written(tmp_path):
    with pytest.raises(OutputError, match="is a directory"):
        check_output(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create the directory"):
        check_output(blocker / "sub" / "model.safetensors")
    fine = check_output(tmp_path / "new" / "model.safetensors")
    assert fine.parent.is_dir() and list(fine.parent.iterdir()) == []  # the probe file is gone


def test_check_output_refuses_a_read_only_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):  # root ignores permission bits: a path under a file stands in
            target = tmp_path / "plain-file"
            target.write_text("x")
            with pytest.raises(OutputError, match="cannot"):
                check_output(target / "model.safetensors")
        else:
            with pytest.raises(OutputError, match="does not accept new files"):
                check_output(locked / "model.safetensors")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
