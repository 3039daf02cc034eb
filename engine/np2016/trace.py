"""The trace of one (table, question): everything the model chose at every step, soft and hard, as JSON.

The trace follows the schema of engine/core/trace.py (docs/trace.md); what only this family has (the scalars
and lookups of every step, the pivot attention, the column kinds, the words the model does not know) is under
"extra". The program is read by engine.np2016.program.decode and put in words by engine.np2016.program.describe.
"""

from __future__ import annotations

import torch

from engine.core.trace import SCHEMA, step_of
from engine.core.vocab import split_question
from engine.np2016.batch import column_kinds, encode
from engine.np2016.evaluate import final_kinds
from engine.np2016.program import decode, describe, fmt, numbered

__all__ = ["fmt", "trace"]  # fmt is the number format of every view


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
    q = split_question(question, example["columns"])
    m, c = len(rows), len(columns)

    def r5(x):  # tensor -> (nested) lists of floats rounded to 5 decimals (a small JSON), in one pass
        return (x.double() * 1e5).round().div(1e5).tolist()

    pivots = {}
    number_list = q.numbers or [-1.0]  # -1 stands for "no number" (spec §2.5)
    for op, att in hard["pivot_attention"].items():
        att = att[0, :len(number_list)]
        i = int(att.argmax())
        pivots[op] = {"attention": r5(att), "numbers": number_list, "hard": number_list[i],
                      "soft": float(att.double() @ torch.tensor(number_list, dtype=torch.float64))}
    program = decode(model, [example], hard)[0]
    scalars = hard["scalars"][0].tolist()  # (T,)
    steps = []
    attention = r5(soft["attention"][0, :, :len(q.words)]) if "attention" in soft else None
    for t, s in enumerate(program):
        lookup_hard = hard["lookups"][0, t, :m, :c]
        rows_hard = r5(hard["rows"][0, t, :m])
        cells = (lookup_hard > 0.5).nonzero().tolist()
        steps.append(step_of(
            t + 1, s.op, r5(soft["op_probs"][0, t]), s.column_index, columns, r5(soft["col_probs"][0, t, :c]),
            s.pivot, rows_hard, r5(soft["rows"][0, t, :m]), None if attention is None else attention[t],
            describe(s, t + 1, int(round(sum(rows_hard))), scalars, len(cells)),
            scalar_soft=float(soft["scalars"][0, t]), scalar_hard=scalars[t],
            lookup_soft=r5(soft["lookups"][0, t, :m, :c]), lookup_cells=cells))

    kind = final_kinds(model, hard)[0]
    cells = steps[-1]["extra"]["lookup_cells"] if kind == "lookup" else None
    answer = {"kind": "cells" if kind == "lookup" else kind,
              "scalar": float(hard["scalar"][0]) if kind == "scalar" else None, "cells": cells,
              "values": None if cells is None else [rows[i][j] for i, j in cells]}
    answer["text"] = _answer_text(answer)
    answer["extra"] = {"soft_scalar": float(soft["scalar"][0])}
    warnings = []
    kinds = column_kinds(columns, rows)
    if "text" in kinds and "text_match" not in cfg.ops:
        warnings.append("this model has no text_match operation: it cannot filter on text columns")
    unknown = vocab.unknown(q.words)
    if unknown:
        warnings.append("words the model does not know: " + ", ".join(unknown))
    return {
        "schema": SCHEMA, "family": "np2016", "question": question, "words": q.words, "numbers": q.numbers,
        "columns": list(columns), "rows": example["rows"], "n_rows": m, "ops": list(cfg.ops), "steps": steps,
        "answer": answer, "program_text": numbered([(s["op"], s["sentence"]) for s in steps]),
        "warnings": warnings,
        "extra": {"unknown_words": unknown, "column_kinds": kinds, "pivots": pivots,
                  "program": [s.to_json() for s in program]},
    }


def _answer_text(answer: dict) -> str:
    """The answer as `ask` prints it: the number, the cells, or why there is none."""
    if answer["kind"] == "scalar":
        return fmt(answer["scalar"])
    if answer["kind"] == "cells":
        values = answer["values"]
        text = ", ".join("" if v is None else fmt(v) if isinstance(v, float) else str(v) for v in values)
        return f"{len(values)} cells: {text}" if values else "(no cells selected)"
    return "(no answer: the program's last operation writes neither a number nor cells)"
