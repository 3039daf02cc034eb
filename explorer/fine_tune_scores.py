"""What a fine-tuning on taught examples did: accuracy on those examples and on fresh test questions of the
checkpoint's own task (engine.np2016.train.test_accuracy, never seen by it), each before and after, so
forgetting shows: the run's own validation is on the taught examples and says only that they were learned.
"""

from __future__ import annotations

import threading

from engine.core.vocab import Vocab
from engine.np2016.config import TrainConfig
from engine.np2016.evaluate import evaluate_examples
from engine.np2016.model import NeuralProgrammer
from engine.np2016.train import test_accuracy

__all__ = ["measure", "summary_fields", "sentence"]


def measure(model: NeuralProgrammer, vocab: Vocab, cfg: TrainConfig, taught: list[dict],
            stop: threading.Event) -> dict:
    """{"taught_correct", "taught_total", "fresh": accuracy on cfg.task's fresh test questions, None when not
    measured (test_size 0, or stopped)}."""
    was_training = model.training
    model.eval()
    scored = evaluate_examples(model, vocab, taught)
    fresh = test_accuracy(cfg, model, vocab, stop)
    model.train(was_training)
    return {"taught_correct": int(scored["correct"]), "taught_total": int(scored["total"]),
            "fresh": fresh if fresh >= 0 else None}


def summary_fields(cfg: TrainConfig, before: dict, after: dict) -> dict:
    """The checkpoint summary's record of both measurements. Its test_accuracy becomes the fresh test's after
    fine-tuning: the accuracy a listing shows is then one on the task, not on the examples trained on."""
    fields = {"taught": {"correct": after["taught_correct"], "total": after["taught_total"],
                         "correct_before": before["taught_correct"]},
              "fresh_test": {"task": cfg.task, "n": cfg.test_size, "split": "test",
                             "accuracy": after["fresh"], "before": before["fresh"]}}
    if after["fresh"] is not None:
        fields["test_accuracy"] = after["fresh"]
    return fields


def _percent(value) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else "not measured"


def sentence(summary: dict) -> str | None:
    """E.g. "taught examples: 3/3 (before: 1/3); fresh columns-5 test questions: 96 % of 300 (before: 100 %)";
    None for a run that was not a fine-tuning on taught examples."""
    taught, fresh = summary.get("taught"), summary.get("fresh_test")
    if not isinstance(taught, dict) or not isinstance(fresh, dict):
        return None
    text = f"taught examples: {taught['correct']}/{taught['total']} (before: {taught['correct_before']}/" \
           f"{taught['total']})"
    if fresh.get("n"):
        text += (f"; fresh {fresh['task']} test questions: {_percent(fresh['accuracy'])} of {fresh['n']} "
                 f"(before: {_percent(fresh['before'])})")
    else:
        text += "; no fresh test questions were scored (test size 0)"
    return text
