"""The trace of one question (engine/np2016/trace.py): JSON, keys, per-step shapes, program text, answer kinds."""

import json
import math

import pytest

from engine.core.trace import STEP_KEYS, TOP_KEYS, problems
from engine.core.vocab import Vocab
from engine.np2016.data import tasks as data
from engine.np2016.trace import trace

COLUMNS = ["name", "profit"]
ROWS = [["word:1", 10.0], ["word:2", 60.0], ["word:1", 70.5], ["word:3", 80.0], ["word:2", None]]
QUESTION = "greater 50 profit and lesser 75 profit word:1 name sum profit"
STEP_EXTRA = {"scalar_soft", "scalar_hard", "lookup_soft", "lookup_cells"}  # the 2016 family's per-step extras
TRACE_EXTRA = {"unknown_words", "column_kinds", "pivots", "program"}
G, L = {"greater": 0, "lesser": 1}, {"greater": 1, "lesser": 0}

# program, pivots, expected program_text, expected answer
CASES = {
    "and-sum": ([("greater", 1), ("lesser", 1), ("and", None), ("sum", 1)], G,
                ["t1. greater than 50 in profit → 3 rows", "t2. less than 75 in profit → 3 rows",
                 "t3. and: rows selected by both of the two previous steps (t1, t2) → 2 rows",
                 "t4. sum of profit → 130.5"],
                {"kind": "scalar", "scalar": 130.5, "cells": None}),
    "or-count": ([("lesser", 1), ("greater", 1), ("or", None), ("count", None)], L,
                 ["t1. less than 50 in profit → 1 row", "t2. greater than 75 in profit → 1 row",
                  "t3. or: rows selected by either of the two previous steps (t1, t2) → 2 rows",
                  "t4. count the selected rows → 2"],
                 {"kind": "scalar", "scalar": 2.0, "cells": None}),
    "text-print": ([("reset", None), ("reset", None), ("text_match", 0), ("assign", 1)], G,
                   ["t1. reset: select all rows", "t2. reset: select all rows",
                    "t3. rows whose name occurs in the question → 2 rows",
                    "t4. print profit of the selected rows → 2 cells"],
                   {"kind": "cells", "scalar": None, "cells": [[0, 1], [2, 1]], "values": [10.0, 70.5]}),
    "nothing": ([("reset", None)] * 4, G, [f"t{t}. reset: select all rows" for t in range(1, 5)]
                + ["(every step is reset: the program does nothing)"],
                {"kind": "none", "scalar": None, "cells": None}),
    "filter-last": ([("reset", None), ("reset", None), ("reset", None), ("greater", 1)], G,
                    ["t1. reset: select all rows", "t2. reset: select all rows", "t3. reset: select all rows",
                     "t4. greater than 50 in profit → 3 rows"],
                    {"kind": "none", "scalar": None, "cells": None}),
}


# the trace rounds probabilities and rows to 5 decimals, so a recomputation from them is off by about
# 5e-6 times the table's sums (a few 1e-4 here); a wrong soft scalar is off by far more
SOFT_SCALAR_TOLERANCE = {"rel": 1e-3, "abs": 1e-3}


def numeric_value(cell) -> float:
    """A cell as the model reads it: its number, 0 for a text or empty cell (engine.np2016.batch)."""
    return float(cell) if isinstance(cell, (int, float)) else 0.0


def reference_soft_scalar(t: dict, rows: list[list]) -> float:
    """The last step's soft scalar answer recomputed by hand from the trace's own per-step fields (the 2016
    paper's scalar ops, spec §2.7): count = Σ rows_{T-1}; difference = scalar_{T-3} - scalar_{T-1};
    sum = Σ_c p_col[c] Σ_m rows_{T-1}[m] · value[m][c]; each weighted by its op's probability at step T.
    Before step 1 the scalars are 0 and every row is selected (spec A2)."""
    steps = t["steps"]
    last = steps[-1]
    p_op = dict(zip(t["ops"], last["op_probs"], strict=True))
    previous_rows = steps[-2]["rows_soft"] if len(steps) >= 2 else [1.0] * len(rows)

    def earlier_scalar(back: int) -> float:  # the soft scalar `back` steps before the last, 0 before step 1
        return steps[-1 - back]["extra"]["scalar_soft"] if len(steps) > back else 0.0

    count = sum(previous_rows)
    difference = earlier_scalar(3) - earlier_scalar(1)
    column_sums = [sum(r * numeric_value(row[c]) for r, row in zip(previous_rows, rows, strict=True))
                   for c in range(len(t["columns"]))]
    column_sum = sum(p * s for p, s in zip(last["col_probs"], column_sums, strict=True))
    return (p_op.get("count", 0.0) * count + p_op.get("difference", 0.0) * difference
            + p_op.get("sum", 0.0) * column_sum)


@pytest.fixture
def vocab():
    return Vocab(data.vocabulary("columns-5") + data.TEXT_WORDS + COLUMNS)


def run(vocab, model_factory, forcer, program, pivots, question=QUESTION, rows=ROWS, **kw):
    model = forcer(model_factory(vocab, text=True, **kw), vocab, program, COLUMNS, pivots)
    return trace(model, vocab, COLUMNS, rows, question)


@pytest.mark.parametrize("case", list(CASES))
def test_trace_of_known_program(vocab, model_factory, forcer, case):
    program, pivots, text, answer = CASES[case]
    t = run(vocab, model_factory, forcer, program, pivots)
    assert json.loads(json.dumps(t, allow_nan=False)) == t  # JSON-serialisable, no NaN/inf
    assert list(t) == list(TOP_KEYS) and set(t["extra"]) == TRACE_EXTRA and problems(t) == []
    assert t["schema"] == "np-explorer-trace/1" and t["family"] == "np2016" and t["rows"] == ROWS
    assert t["program_text"] == text
    assert {k: t["answer"][k] for k in answer} == answer
    soft_scalar = t["answer"]["extra"]["soft_scalar"]
    assert isinstance(soft_scalar, float) and math.isfinite(soft_scalar)
    assert soft_scalar == pytest.approx(reference_soft_scalar(t, ROWS), **SOFT_SCALAR_TOLERANCE)
    T, C, M, O = 4, len(COLUMNS), len(ROWS), len(t["ops"])
    Q = len(t["words"])
    assert t["n_rows"] == M and t["columns"] == COLUMNS and t["extra"]["column_kinds"] == ["text", "numeric"]
    assert t["words"] == ["greater", "profit", "and", "lesser", "profit", "word:1", "name", "sum", "profit"]
    assert t["numbers"] == [50.0, 75.0]
    assert len(t["steps"]) == T
    for i, (step, (op, col)) in enumerate(zip(t["steps"], program, strict=True)):
        assert list(step) == list(STEP_KEYS) and set(step["extra"]) == STEP_EXTRA
        assert step["t"] == i + 1 and step["op"] == op
        assert step["column_name"] == (COLUMNS[col] if col is not None else None) and step["column_index"] == col
        assert len(step["op_probs"]) == O and len(step["col_probs"]) == C
        assert len(step["rows_soft"]) == M and len(step["rows_hard"]) == M
        lookup = step["extra"]["lookup_soft"]
        assert len(lookup) == M and all(len(r) == C for r in lookup)
        assert len(step["question_attention"]) == Q
        assert sum(step["op_probs"]) == pytest.approx(1, abs=1e-3)
        assert set(step["rows_hard"]) <= {0.0, 1.0}
        assert step["pivot"] == (t["numbers"][pivots[op]] if op in ("greater", "lesser") else None)
    assert t["extra"]["program"] == [{"op": op, "column": COLUMNS[col] if col is not None else None,
                             "pivot": t["numbers"][pivots[op]] if op in ("greater", "lesser") else None}
                            for op, col in program]
    for op in ("greater", "lesser"):
        p = t["extra"]["pivots"][op]
        assert p["numbers"] == [50.0, 75.0] and len(p["attention"]) == 2
        assert p["hard"] == t["numbers"][pivots[op]]
        soft = sum(a * n for a, n in zip(p["attention"], p["numbers"], strict=True))
        assert p["soft"] == pytest.approx(soft, abs=1e-2)  # the attention is rounded to 5 decimals
    assert t["warnings"] == []


def test_no_attention_variant_and_no_numbers(vocab, model_factory, forcer):
    program = [("reset", None)] * 3 + [("count", None)]
    t = run(vocab, model_factory, forcer, program, {}, question="count", question_attention=False)
    assert all(s["question_attention"] is None for s in t["steps"])
    assert t["numbers"] == [] and t["extra"]["pivots"]["greater"]["numbers"] == [-1.0]  # spec §2.5: no number = -1
    assert t["answer"]["scalar"] == 5.0 and t["program_text"][3] == "t4. count the selected rows → 5"
    json.dumps(t, allow_nan=False)


def test_warnings(vocab, model_factory, forcer):
    t = run(vocab, model_factory, forcer, [("reset", None)] * 4, {}, question="how big is the profit")
    assert t["extra"]["unknown_words"] == ["how", "big", "is", "the"]
    assert any("how, big, is, the" in w for w in t["warnings"])
    # a model without text_match warns about text columns
    numeric_vocab = Vocab(data.vocabulary("columns-5") + COLUMNS)
    model = model_factory(numeric_vocab, text=False)
    t = trace(model, numeric_vocab, COLUMNS, [["x", 1.0], ["y", 2.0]], "count")
    assert any("text_match" in w for w in t["warnings"])
    json.dumps(t, allow_nan=False)


def test_difference_description(vocab, model_factory, forcer):
    """sum; reset; count; difference -> diff_4 = scalar_1 - scalar_3 = 220.5 - 5 (spec §2.7)."""
    program = [("sum", 1), ("reset", None), ("count", None), ("difference", None)]
    t = run(vocab, model_factory, forcer, program, {})
    assert t["answer"]["scalar"] == pytest.approx(215.5)
    assert t["steps"][3]["extra"]["scalar_hard"] == pytest.approx(215.5)
    assert t["answer"]["extra"]["soft_scalar"] == pytest.approx(reference_soft_scalar(t, ROWS),
                                                                **SOFT_SCALAR_TOLERANCE)
    assert t["program_text"][:3] == ["t1. sum of profit → 220.5", "t2. reset: select all rows",
                                     "t3. count the selected rows → 5"]
    assert "(t1 − t3): 220.5 − 5 → 215.5" in t["program_text"][3]
    assert "three steps and one step back" in t["steps"][3]["sentence"]


def test_one_pass_trace_equals_separate_soft_and_hard_runs(vocab, model_factory):
    """trace() runs soft and hard as one batch of two; each half must equal its own forward pass."""
    import torch

    from engine.np2016.batch import encode

    torch.manual_seed(3)
    model = model_factory(vocab, text=True)
    t = trace(model, vocab, COLUMNS, ROWS, QUESTION)
    batch = encode([{"columns": COLUMNS, "rows": ROWS, "question": QUESTION}], vocab)
    with torch.no_grad():
        soft, hard = model(batch, record=True), model(batch, hard=True, record=True)
    for i, step in enumerate(t["steps"]):
        assert step["rows_soft"] == pytest.approx(soft["rows"][0, i].tolist(), abs=1e-4)
        assert step["rows_hard"] == pytest.approx(hard["rows"][0, i].tolist(), abs=1e-4)
        assert step["extra"]["scalar_soft"] == pytest.approx(float(soft["scalars"][0, i]), rel=1e-4, abs=1e-4)
        assert step["extra"]["scalar_hard"] == pytest.approx(float(hard["scalars"][0, i]), rel=1e-4, abs=1e-4)
        assert step["op_probs"] == pytest.approx(soft["op_probs"][0, i].tolist(), abs=1e-4)
        lookup = soft["lookups"][0, i]
        assert torch.allclose(torch.tensor(step["extra"]["lookup_soft"], dtype=lookup.dtype), lookup, atol=1e-4)
    assert t["answer"]["extra"]["soft_scalar"] == pytest.approx(float(soft["scalar"][0]), rel=1e-4, abs=1e-4)
    # an untrained model spreads its probabilities over every op: each term of the reference counts
    assert t["answer"]["extra"]["soft_scalar"] == pytest.approx(reference_soft_scalar(t, ROWS),
                                                                **SOFT_SCALAR_TOLERANCE)
