"""The trace of one (table, question): everything the model chose at every step, soft and hard, as JSON.

The app draws every view from this object; `program_lines` renders the induced program in words.
"""

from __future__ import annotations

import torch

from .batch import column_kinds, encode
from .evaluate import final_kinds
from .ops import COLUMN_OPS
from .vocab import split_question

OP_WORDS = {"sum": "sum of", "count": "count rows", "difference": "difference", "greater": "greater than",
            "lesser": "less than", "and": "and", "or": "or", "assign": "print", "reset": "reset",
            "text_match": "text match"}


def fmt(x: float) -> str:
    """A number as a person writes it: 812.5, -3, 0.25."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _rows_word(k: int) -> str:
    return f"{k} row" if k == 1 else f"{k} rows"


def describe_step(step: dict, steps: list[dict], columns: list[str]) -> str:
    """One sentence for one hard step, e.g. 'greater than 50 in profit → 4 rows'."""
    op, col, t = step["op"], step["column"], step["t"]
    k = int(round(sum(step["rows_hard"])))
    if op in ("greater", "lesser"):
        return f"{OP_WORDS[op]} {fmt(step['pivot'])} in {col} → {_rows_word(k)}"
    if op == "text_match":
        return f"rows whose {col} occurs in the question → {_rows_word(k)}"
    if op in ("and", "or"):
        which = "both" if op == "and" else "either"
        return f"{op}: rows selected by {which} of the two previous steps → {_rows_word(k)}"
    if op == "sum":
        return f"sum of {col} → {fmt(step['scalar_hard'])}"
    if op == "count":
        return f"count the selected rows → {fmt(step['scalar_hard'])}"
    if op == "difference":  # scalar_{t-3} - scalar_{t-1}; steps is 0-based, t is 1-based
        a = steps[t - 4]["scalar_hard"] if t >= 4 else 0.0
        b = steps[t - 2]["scalar_hard"] if t >= 2 else 0.0
        return (f"difference of the results three steps and one step back: {fmt(a)} − {fmt(b)} "
                f"→ {fmt(step['scalar_hard'])}")
    if op == "assign":
        n = len(step["lookup_cells"])
        return f"print {col} of the selected rows → {n} cell{'s' if n != 1 else ''}"
    return "reset: select all rows"


def program_lines(steps: list[dict], columns: list[str]) -> list[str]:
    """Numbered lines of the induced program; reset (the no-op) is left out unless it is all there is."""
    lines = [describe_step(s, steps, columns) for s in steps if s["op"] != "reset"]
    lines = lines or ["reset: select all rows (the program does nothing)"]
    return [f"{i}. {line}" for i, line in enumerate(lines, 1)]


def _half(out, i: int):
    """Example i of a forward pass's outputs, kept as a batch of one."""
    if isinstance(out, dict):
        return {k: _half(v, i) for k, v in out.items()}
    return out[i:i + 1]


@torch.no_grad()
def trace(model, vocab, columns: list[str], rows: list[list], question: str) -> dict:
    """Run the model soft and hard on one table and question; return a JSON-serialisable trace."""
    cfg = model.config
    example = {"columns": list(columns), "rows": [list(r) for r in rows], "question": question}
    # one pass over a batch of two copies, the first executed soft and the second hard: the selections do
    # not depend on the execution (the history RNN reads the soft distributions), so this is both runs
    both = model(encode([example], vocab).index(torch.tensor([0, 0])), hard=torch.tensor([False, True]), record=True)
    soft, hard = _half(both, 0), _half(both, 1)
    q = split_question(question)
    m, c = len(rows), len(columns)
    ops = list(cfg.ops)

    def r5(x):  # tensor -> (nested) lists of floats rounded to 5 decimals (a small JSON), in one pass
        return (x.double() * 1e5).round().div(1e5).tolist()

    pivots, hard_pivot = {}, {}
    for op, att in hard["pivot_attention"].items():
        att = att[0, :max(len(q.numbers), 1)]
        number_list = q.numbers or [-1.0]
        i = int(att.argmax())
        hard_pivot[op] = number_list[i]
        pivots[op] = {"attention": r5(att), "numbers": number_list,
                      "hard": number_list[i], "soft": float(sum(a * n for a, n in zip(att.tolist(), number_list,
                                                                                      strict=True)))}
    steps = []
    for t in range(cfg.steps):
        op_i = int(hard["op_logits"][0, t].argmax())
        col_i = int(hard["col_logits"][0, t, :c].argmax()) if c else None
        op = ops[op_i]
        lookup_hard = hard["lookups"][0, t, :m, :c]
        step = {
            "t": t + 1, "op": op,
            "column": columns[col_i] if op in COLUMN_OPS and col_i is not None else None,
            "column_index": col_i if op in COLUMN_OPS else None,
            "pivot": hard_pivot.get(op),
            "op_probs": r5(soft["op_probs"][0, t]),
            "col_probs": r5(soft["col_probs"][0, t, :c]),
            "rows_soft": r5(soft["rows"][0, t, :m]),
            "rows_hard": r5(hard["rows"][0, t, :m]),
            "scalar_soft": float(soft["scalars"][0, t]), "scalar_hard": float(hard["scalars"][0, t]),
            "lookup_soft": r5(soft["lookups"][0, t, :m, :c]),
            "lookup_cells": [[i, j] for i, j in (lookup_hard > 0.5).nonzero().tolist()],
            "question_attention": (r5(soft["attention"][0, t, :len(q.words)])
                                   if "attention" in soft else None),
        }
        steps.append(step)
    for step in steps:
        step["description"] = describe_step(step, steps, columns)

    kind = final_kinds(model, hard)[0]
    answer = {"kind": kind, "scalar": float(hard["scalar"][0]) if kind == "scalar" else None,
              "cells": steps[-1]["lookup_cells"] if kind == "lookup" else None,
              "soft_scalar": float(soft["scalar"][0])}
    if kind == "lookup":
        answer["values"] = [rows[i][j] for i, j in answer["cells"]]
    warnings = []
    kinds = column_kinds(columns, rows)
    if "text" in kinds and "text_match" not in cfg.ops:
        warnings.append("this model has no text_match operation: it cannot filter on text columns")
    unknown = vocab.unknown(q.words)
    if unknown:
        warnings.append("words the model does not know: " + ", ".join(unknown))
    return {
        "question": question, "words": q.words, "numbers": q.numbers, "unknown_words": unknown,
        "columns": list(columns), "column_kinds": kinds, "n_rows": m, "ops": ops, "steps": steps,
        "pivots": pivots, "program": [{"op": s["op"], "column": s["column"], "pivot": s["pivot"]
                                       if s["op"] in ("greater", "lesser") else None} for s in steps],
        "program_text": program_lines(steps, columns), "answer": answer, "warnings": warnings,
    }
