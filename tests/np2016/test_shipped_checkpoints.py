"""Each shipped checkpoint loads and still scores its recorded accuracy on a small fresh test set."""

import json
import math
from pathlib import Path

import pytest

from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import evaluate_examples

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "docs" / "RESULTS.json"
REQUIRED = ("single-column", "names-5", "words-1", "text-2")  # issue 3: at least these ship
N = 300


def recorded() -> dict:
    return {k: v for k, v in json.loads(RECORDED.read_text()).items() if v}


def test_required_checkpoints_ship():
    rows = recorded()
    for task in REQUIRED:
        assert (ROOT / "checkpoints" / f"{task}.safetensors").is_file(), task
        assert task in rows, f"{task} has no recorded accuracy in docs/RESULTS.json"


@pytest.mark.parametrize("name", sorted(recorded()))
def test_checkpoint_scores_recorded_accuracy(name):
    """Every checkpoint in docs/RESULTS.json (keyed by file name: paper2016-single-column is task single-column)
    scores its recorded accuracy on an independent test sample."""
    row = recorded()[name]
    task = row.get("task", name)
    model, vocab, info = load_checkpoint(ROOT / "checkpoints" / f"{name}.safetensors")
    assert info["summary"]["task"] == task
    result = evaluate_examples(model, vocab, data.generate(task, "test", N, seed=777))
    p = row["accuracy"] / 100
    slack = 3 * math.sqrt(max(p * (1 - p), 0.0025) / N) + 0.01  # three standard errors of a 300-question sample
    assert abs(result["accuracy"] - p) <= slack, (task, result["accuracy"], p)
