"""The induced program (engine/np2016/program.py): decoded once from a batched hard pass, one table of labels."""

import json
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from engine.core.vocab import Vocab
from engine.np2016.batch import encode
from engine.np2016.config import KNOWN_OPS
from engine.np2016.data import tasks as data
from engine.np2016.program import OP_TEXT, Step, answers, decode, describe, fmt, numbered, op_label, short
from engine.np2016.trace import trace

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
        assert [s.to_json() for s in program] == t["extra"]["program"]
        kind = t["answer"]["kind"]
        if kind == "scalar":
            assert pred == {"scalar": pytest.approx(t["answer"]["scalar"], abs=1e-3)}
        else:
            assert pred == ({"cells": t["answer"]["cells"]} if kind == "cells" else {"none": True})


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
    huge = float("100000000000000000000000000")  # a pivot typed with 27 digits: never its binary value's digits
    assert describe(Step("greater", "A", 0, huge, 0), 1, 0, [0.0], 0) == "greater than 1e+26 in A → 0 rows"


def test_and_or_and_difference_name_the_steps_they_read():
    """and/or read t-2 and t-1; difference reads t-3 and t-1 (spec §2.7); before t1 is the start."""
    both = describe(Step("and", None, None, None, None), 3, 2, [0.0] * 3, 0)
    assert both == "and: rows selected by both of the two previous steps (t1, t2) → 2 rows"
    assert "(start, t1)" in describe(Step("or", None, None, None, None), 2, 5, [0.0] * 2, 0)
    diff = describe(Step("difference", None, None, None, None), 4, 0, [220.5, 0.0, 5.0, 215.5], 0)
    assert diff.endswith("(t1 − t3): 220.5 − 5 → 215.5")
    assert "(start − t2)" in describe(Step("difference", None, None, None, None), 3, 0, [1.0, 2.0, -2.0], 0)


def test_numbered_keeps_reset_steps_so_line_k_is_step_k():
    lines = numbered([("sum", "sum of A → 3"), ("reset", "reset: select all rows"), ("count", "count → 2")])
    assert lines == ["t1. sum of A → 3", "t2. reset: select all rows", "t3. count → 2"]
    assert numbered([("reset", "r")] * 2)[-1] == "(every step is reset: the program does nothing)"
    assert numbered([]) == []


@pytest.mark.parametrize("x, text", [
    (1e26, "1e+26"), (100000000000000004764729344.0, "1e+26"), (812.5, "812.5"), (-3.0, "-3"), (0.25, "0.25"),
    (0.00123, "0.00123"), (1.5e-7, "1.5e-07"), (0.0, "0"), (-0.0, "0"), (185.29999, "185.3"), (-0.001, "-0.001"),
    (123456789012345.67, "123456789012346"), (1e15, "1e+15"), (math.inf, "inf"), (-math.inf, "-inf"),
])
def test_fmt_examples(x, text):
    assert fmt(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_fmt_is_short_and_reads_back_close(x):
    """Any finite float: at most 20 characters and 17 digits, and float(text) within 0.5 % of the value (2
    decimals from 1 up, 3 significant digits below, 6 in scientific notation)."""
    text = fmt(x)
    assert len(text) <= 20
    assert sum(ch.isdigit() for ch in text) <= 17
    back = float(text)
    assert math.isfinite(back)
    assert abs(back - x) <= 0.005 * abs(x)
