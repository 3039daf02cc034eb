"""Answers are computed exactly (float64) while training's soft execution stays float32 (engine/np2016/model.py).

In float32 the sum of 0..9999 reads 49992896, 16777217 > 16777216 is false, and a cell beyond float32's
range turns the answer into NaN. The model's hard answers (evaluate, trace, predict, ask) read the
batch's float64 values and execute in float64.
"""

import json
import math

import pytest
import torch

from engine.np2016.batch import encode
from engine.np2016.evaluate import evaluate_examples
from engine.np2016.trace import trace

SUM_A = [("reset", None), ("reset", None), ("reset", None), ("sum", 0)]
GREATER_COUNT = [("reset", None), ("reset", None), ("greater", 0), ("count", None)]


def one_column(values, question: str) -> dict:
    return {"columns": ["A"], "rows": [[v] for v in values], "question": question}


@pytest.fixture
def run(letters_vocab, model_factory, forcer):
    """run(program, example) -> the hard scalar answer, computed as predict computes it: in a batch (a
    batch of one takes another float32 kernel, which happens to sum 0..9999 exactly)."""

    def answer(program, example, grad=False):
        model = forcer(model_factory(letters_vocab), letters_vocab, program, ["A"], {"greater": 0})
        with torch.set_grad_enabled(grad):
            return model(encode([example, one_column([1.0], "sum A")], letters_vocab), hard=True)["scalar"][0]

    return answer


def test_sum_of_ten_thousand_integers_is_exact(run):
    ex = one_column(range(10_000), "sum A")
    assert float(run(SUM_A, ex)) == 49_995_000
    assert float(run(SUM_A, ex, grad=True)) == 49_995_000  # hard=True is an answer, with or without a gradient


def test_comparison_above_float32_precision(run):
    """16777217 and 16777216 are one float32: the comparison must see them apart."""
    ex = one_column([16_777_217, 1], "greater 16777216 A count")
    assert float(run(GREATER_COUNT, ex)) == 1
    ex = one_column([16_777_217, 16_777_216, 16_777_218], "greater 16777216.5 A count")
    assert float(run(GREATER_COUNT, ex)) == 2


def test_cell_beyond_float32_range_gives_a_finite_right_sum(run):
    big = 1e38 * 10  # float32's largest value is about 3.4e38
    got = float(run(SUM_A, one_column([big, 2.5e38, -3.0], "sum A")))
    assert math.isfinite(got) and got == pytest.approx(big + 2.5e38 - 3.0, rel=1e-15)
    json.dumps({"scalar": got}, allow_nan=False)  # strict JSON (predict's output)


def test_exact_answers_reach_evaluate_and_trace(letters_vocab, model_factory, forcer):
    """evaluate counts the exact sum right (float32's 49992896 is 2104 off), and the trace reports it."""
    model = forcer(model_factory(letters_vocab), letters_vocab, SUM_A, ["A"])
    ex = one_column(range(10_000), "sum A") | {"answer": {"scalar": 49_995_000}}
    assert evaluate_examples(model, letters_vocab, [ex])["flags"] == [True]
    t = trace(model, letters_vocab, ex["columns"], ex["rows"], ex["question"])
    assert t["answer"]["kind"] == "scalar" and t["answer"]["scalar"] == 49_995_000


def test_training_stays_float32_and_matches_the_exact_execution(letters_vocab, model_factory):
    """Soft execution with a gradient (training) runs in float32, without one in float64; the two agree
    to float32's precision, so training results are those of before."""
    tables = [  # negatives, empty cells, text, and different shapes (padding)
        {"columns": ["A", "B"], "rows": [[1.5, -2.0], [30.25, 4.0], [-7.0, 12.5]], "question": "greater 2.00 A sum B"},
        {"columns": ["A", "B", "C"], "rows": [[float(i), None, 2.0 * i] for i in range(9)],
         "question": "greater 1.00 A and lesser 5.00 B or greater 3 C count"},
        {"columns": ["A", "B"], "rows": [["word:1", 5.0], ["word:2", -1.0]], "question": "word:1 A sum B"}]
    model = model_factory(letters_vocab, text=True)
    batch = encode(tables, letters_vocab)
    train_batch = encode(tables, letters_vocab, exact=False)
    assert batch.values.dtype == torch.float64 and train_batch.values.dtype == torch.float32
    soft = model(batch)
    assert soft["scalar"].dtype == torch.float32 and soft["scalar"].requires_grad
    assert model(train_batch)["scalar"].dtype == torch.float32
    with torch.no_grad():
        exact = model(batch)
    assert exact["scalar"].dtype == torch.float64 and exact["rows"].dtype == torch.float64
    for key in ("scalar", "rows", "lookup", "op_logits"):
        torch.testing.assert_close(soft[key].detach().double(), exact[key].double(), rtol=1e-5, atol=1e-4)
