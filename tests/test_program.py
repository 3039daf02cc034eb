"""The induced program (engine/program.py): decoded once from a batched hard pass, one table of labels."""

import json
import math

import pytest
import torch

from engine import data
from engine.batch import encode
from engine.config import KNOWN_OPS
from engine.program import OP_TEXT, Step, answers, decode, describe, op_label, short
from engine.trace import trace
from engine.vocab import Vocab

NAMES = ["A", "B", "C"]


@pytest.fixture
def vocab():
    return Vocab(data.vocabulary("columns-5") + data.TEXT_WORDS)


def test_one_label_table_covers_every_operation():
    assert set(OP_TEXT) == KNOWN_OPS
    assert op_label("assign") == "print" and op_label("text_match") == "text match" and op_label("sum") == "sum"
    assert op_label("no_such_op") == "no_such_op"
    shorts = [t.short for t in OP_TEXT.values()]
    assert len(set(shorts)) == len(shorts)  # the one-line notation can be read back unambiguously


def test_decode_reads_the_forced_program_in_a_ragged_batch(vocab, model_factory, forcer):
    """A batch of tables with 3, 2 and 1 columns and 2, 1 and no numbers: each program as forced, with the
    example's own column names and question numbers (never a padding column or number)."""
    program = [("greater", 1), ("lesser", 0), ("and", None), ("sum", 1)]
    model = forcer(model_factory(vocab), vocab, program, NAMES, {"greater": 1, "lesser": 0})
    examples = [
        {"columns": NAMES, "rows": [[1, 2, 3], [4, 5, 6]], "question": "greater 7 B lesser 9 A sum B"},
        {"columns": ["A", "B"], "rows": [[1, 2]], "question": "greater 3 B sum B"},
        {"columns": ["A"], "rows": [[1]], "question": "count"},
    ]
    with torch.no_grad():
        out = model(encode(examples, vocab), hard=True)
    programs = decode(model, examples, out)
    assert programs[0] == [Step("greater", "B", 1, 9.0, 1), Step("lesser", "A", 0, 7.0, 0),
                           Step("and", None, None, None, None), Step("sum", "B", 1, None, None)]
    # one number: pivot slot 1 does not exist, so the first is read; no number: -1 (spec §2.5)
    assert [s.pivot for s in programs[1]] == [3.0, 3.0, None, None]
    assert [s.pivot for s in programs[2]] == [-1.0, -1.0, None, None]
    assert [s.column for s in programs[2]] == ["A", "A", None, "A"]  # column 1 is padding here
    assert short(programs[0]) == "greater n2 B → lesser n1 A → and → sum B"
    assert short(programs[0], ["x", "y"]) == "greater n2 y → lesser n1 x → and → sum y"
    assert [s.to_json() for s in programs[0]][0] == {"op": "greater", "column": "B", "pivot": 9.0}


def test_batched_decode_equals_the_trace_of_each_example(vocab, model_factory):
    """The one decoder serves both: programs read from one batched pass equal trace()'s, example by example."""
    torch.manual_seed(1)
    model = model_factory(vocab, text=True, d=24)
    examples = data.generate("columns-5", "test", 16, seed=3) + data.generate("text-2", "test", 4, seed=3)
    examples.append({"columns": ["A"], "rows": [[1.0]], "question": "count"})  # no numbers
    with torch.no_grad():
        out = model(encode(examples, vocab), hard=True)
    predictions = answers(model, examples, out)
    for ex, program, pred in zip(examples, decode(model, examples, out), predictions, strict=True):
        t = trace(model, vocab, ex["columns"], ex["rows"], ex["question"])
        assert [s.to_json() for s in program] == t["program"]
        kind = t["answer"]["kind"]
        if kind == "scalar":
            assert pred == {"scalar": pytest.approx(t["answer"]["scalar"], abs=1e-3)}
        else:
            assert pred == ({"cells": t["answer"]["cells"]} if kind == "lookup" else {"none": True})


def test_answers_never_write_nan_or_inf(vocab, model_factory, forcer):
    """A sum beyond the float range is not a JSON number: the prediction says so instead of writing NaN."""
    model = forcer(model_factory(vocab), vocab, [("reset", None)] * 3 + [("sum", 0)], NAMES)
    examples = [{"columns": ["A"], "rows": [[1.0], [2.0]], "question": "sum A"}] * 3
    with torch.no_grad():
        out = model(encode(examples, vocab), hard=True)
    out["scalar"] = torch.tensor([math.nan, math.inf, 3.0], dtype=out["scalar"].dtype)
    preds = answers(model, examples, out)
    assert preds[0]["none"] and "not a finite number" in preds[0]["reason"]
    assert preds[1]["none"] and preds[2] == {"scalar": 3.0}
    json.dumps(preds, allow_nan=False)


def test_describe_sentences():
    assert describe(Step("greater", "profit", 1, 50.0, 0), 1, 4, [0.0], 0) == "greater than 50 in profit → 4 rows"
    assert describe(Step("count", None, None, None, None), 2, 3, [0.0, 3.0], 0) == "count the selected rows → 3"
    assert describe(Step("assign", "A", 0, None, None), 1, 2, [0.0], 1) == "print A of the selected rows → 1 cell"
    assert describe(Step("reset", None, None, None, None), 1, 5, [0.0], 0) == "reset: select all rows"
