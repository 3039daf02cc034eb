"""Teach that teaches (issue 11): a fine-tuning on taught examples reports its accuracy on those examples and,
separately, on fresh test questions of the checkpoint's own task, each before and after, so forgetting shows.
The numbers are checked against an independent scoring of the base and the saved checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import evaluate_examples
from engine.np2016.train import data_style
from explorer import fine_tune_scores, training

SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints"
TASK = "columns-3"
CFG = TrainConfig(task=TASK, steps=6, batch_size=4, eval_every=3, test_size=40, threads=1, search_samples=2,
                  lr=0.05, seed=3)


pytestmark = pytest.mark.usefixtures("clean_training_registry")  # tests/conftest.py


def _taught() -> list[dict]:
    """Three questions of the task; the last one taught a different number than its true answer (a teacher's
    own rule), which the shipped checkpoint cannot already know."""
    examples = [{**ex, "template": "custom", "program": "custom"}
                for ex in data.generate(TASK, "test", 30, seed=11) if "scalar" in ex["answer"]][:3]
    examples[-1]["answer"] = {"scalar": examples[-1]["answer"]["scalar"] + 1.0}
    return examples


def _fresh_accuracy(model, vocab) -> float:
    fresh = data.generate(TASK, "test", CFG.test_size, CFG.seed + 2_000_003, style=data_style(CFG))
    return evaluate_examples(model, vocab, fresh)["accuracy"]


def test_a_fine_tuning_reports_taught_and_fresh_accuracy_before_and_after(tmp_path):
    base = SHIPPED / f"{TASK}.safetensors"  # a trained checkpoint: its fresh accuracy is far from 0
    base_model, vocab, _ = load_checkpoint(base)
    taught = _taught()
    assert len(taught) == 3
    job = training.start(training.new_owner(), CFG, tmp_path / "runs", base=str(base), custom=taught)
    job.thread.join(timeout=120)
    assert job.error is None and job.saved_path is not None, job.error
    summary = job.summary
    tuned, tuned_vocab, info = load_checkpoint(job.saved_path)

    fresh = summary["fresh_test"]
    assert (fresh["task"], fresh["n"]) == (TASK, CFG.test_size)
    assert fresh["before"] == pytest.approx(_fresh_accuracy(base_model, vocab))
    assert fresh["accuracy"] == pytest.approx(_fresh_accuracy(tuned, tuned_vocab))
    # the accuracy a listing shows is the task's, not the taught examples' (the validation set of a fine-tuning)
    assert summary["test_accuracy"] == fresh["accuracy"] == info["summary"]["test_accuracy"]

    record = summary["taught"]
    assert record["total"] == len(taught)
    assert record["correct_before"] == evaluate_examples(base_model, vocab, taught)["correct"]
    assert record["correct"] == evaluate_examples(tuned, tuned_vocab, taught)["correct"]
    assert fresh["before"] > 0.5 and 0 < record["correct_before"] < 3  # numbers that a wrong scoring would miss

    text = fine_tune_scores.sentence(summary)
    assert text.startswith(f"taught examples: {record['correct']}/3 (before: {record['correct_before']}/3)")
    assert f"fresh {TASK} test questions: {fresh['accuracy']:.0%} of {CFG.test_size}" in text
    assert f"(before: {fresh['before']:.0%})" in text


def test_a_run_on_a_task_has_no_taught_sentence_and_test_size_zero_says_so():
    assert fine_tune_scores.sentence({"task": TASK, "test_accuracy": 0.5}) is None
    summary = {"taught": {"correct": 2, "total": 2, "correct_before": 0},
               "fresh_test": {"task": TASK, "n": 0, "accuracy": None, "before": None}}
    assert fine_tune_scores.sentence(summary) == ("taught examples: 2/2 (before: 0/2); no fresh test questions "
                                                  "were scored (test size 0)")
