"""The 2017 model's trace: one JSON object that shows a question's answer step by step (as engine/np2016/trace.py
does for the 2016 model), for the app and `ask --json`.

For each of the T steps: the 15 operations' probabilities, the column probabilities (per table column; a
column the model cannot select has none), the question attention over the words the model read, the
operation and column chosen (argmax), the pivot for a comparison, the rows selected after the step by the
discrete program (what the answer is made of) and by the soft one (what training sees), and a sentence in
plain words. Then the answer, its denotation (the benchmark's strings) and the program in words; `ask_table`
fills "warnings" with the table reader's notes. The trace follows the schema of engine/core/trace.py
(docs/trace.md); what only this family has (which columns can be picked, the entry matches, the denotation,
the program as the model decoded it, a comparison's pivot probabilities) is under "extra".
"""

from __future__ import annotations

import torch

from engine.core.trace import SCHEMA, step_of
from engine.wtq2017.batch import encode_batch
from engine.wtq2017.config import OPS
from engine.wtq2017.ops import COMPARISONS
from engine.wtq2017.predict import denotation, from_table

__all__ = ["OP_WORDS", "step_sentence", "program_words", "trace", "ask_table"]

# what each operation does, in the classroom's words (spec §4.2)
OP_WORDS = {
    "count": "count the selected rows",
    "prev": "move to the row above each selected row",
    "next": "move to the row below each selected row",
    "first": "keep the first selected row",
    "last": "keep the last selected row",
    "mfe": "select the rows holding the most frequent value of {col}",
    "greater": "select the rows where {col} > {pivot}",
    "lesser": "select the rows where {col} < {pivot}",
    "geq": "select the rows where {col} ≥ {pivot}",
    "leq": "select the rows where {col} ≤ {pivot}",
    "argmax": "of the selected rows, keep the one with the largest {col}",
    "argmin": "of the selected rows, keep the one with the smallest {col}",
    "select": "select the rows whose {col} matches words of the question",
    "reset": "select every row again",
    "print": "print {col} of the selected rows",
}


def _number(value) -> str:
    if value is None:
        return "(no number in the question)"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def step_sentence(step: dict, columns: list[str]) -> str:
    """One step of a program ({"op", "column", "pivot"}) in plain words."""
    col = f"“{columns[step['column']]}”" if step.get("column") is not None else "the column"
    return OP_WORDS[step["op"]].format(col=col, pivot=_number(step.get("pivot")))


def program_words(program: list[dict], columns: list[str]) -> list[str]:
    """"t1: select the rows …" for every step."""
    return [f"t{t}: {step_sentence(step, columns)}" for t, step in enumerate(program, start=1)]


def _per_column(slot_values: list[float], slots: list[int], n_columns: int) -> list[float | None]:
    """Slot values laid out by table column; None for a column that has no slot."""
    out: list[float | None] = [None] * n_columns
    for s, c in enumerate(slots):
        if c >= 0:
            out[c] = slot_values[s]
    return out


@torch.no_grad()
def trace(model, vocab, example: dict) -> dict:
    """The trace of one converted example (docs/wtq.md); the model is put in eval mode for it."""
    model.eval()
    batch = encode_batch([example], vocab, model.config)
    out = model(batch)
    answer = model.hard_answer(batch, out)[0]
    slots = batch.slot_columns[0]
    columns, rows = example["columns"], example["rows"]
    words = example["wtq"]["words"][:model.config.question_length]
    # every per-step list is taken from the tensors at once (.tolist), not element by element
    n_rows, n_words = len(rows), len(words)
    op_probs = out["op_probs"][0].double().round(decimals=5).tolist()  # (T, O)
    col_probs = out["col_probs"][0].double().round(decimals=5).tolist()  # (T, C)
    attention = out["attention"][0, :, :n_words].double().round(decimals=5).tolist()  # (T, words)
    picked_rows = out["hard_rows"][0, :, :n_rows].double().tolist()  # (T, R) 1/0, written by hard_answer
    soft_rows = out["rows"][0, :, :n_rows].double().round(decimals=5).tolist()
    pivot_probs = out["pivot_probs"][0].double().round(decimals=5).tolist()  # (4, 2)
    steps = []
    for t, step in enumerate(answer["program"]):
        extra = {"pivot_probs": pivot_probs[COMPARISONS.index(step["op"])]} if step["op"] in COMPARISONS else {}
        steps.append(step_of(t + 1, step["op"], op_probs[t], step["column"], columns,
                             _per_column(col_probs[t], slots, len(columns)), step["pivot"], picked_rows[t],
                             soft_rows[t], attention[t], step_sentence(step, columns), **extra))
    den = denotation(example, answer)
    return {
        "schema": SCHEMA, "family": "wtq2017", "question": example["question"], "words": words,
        "numbers": example["wtq"]["numbers"][:2], "columns": columns, "rows": rows, "n_rows": n_rows,
        "ops": list(OPS), "steps": steps,
        "answer": {"kind": answer["kind"], "scalar": answer.get("value"), "cells": answer.get("cells"),
                   "values": den if answer["kind"] == "cells" else None,
                   "text": ", ".join(den) or "(no answer: the program ends on a row selection)", "extra": {}},
        "program_text": program_words(answer["program"], columns), "warnings": [],
        "extra": {"selectable": [c in slots for c in range(len(columns))],
                  "entry_match": example["wtq"]["entry_match"], "denotation": den, "program": answer["program"]},
    }


def ask_table(model, vocab, columns: list[str], rows: list[list], question: str,
              notes: list[str] | tuple = ()) -> dict:
    """The trace of a question about any table (cells of any type; InputError/ValueError for a bad one).
    `notes` are what the table's reader said about it (renamed columns, cells made empty, ...): they go in
    "warnings", as the 2016 trace's warnings do, so `ask --json` reads the same for both families."""
    result = trace(model, vocab, from_table(columns, rows, question))
    result["warnings"] = list(notes)
    return result
