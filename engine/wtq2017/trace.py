"""The 2017 model's trace of one question, step by step, for the app and `ask --json`: the schema of
engine/core/trace.py (docs/trace.md) that the 2016 trace fills too, with what only this family has (which columns
can be picked, the entry matches, the denotation, the program as decoded, a comparison's pivot probabilities)
under "extra"."""

from __future__ import annotations

import torch

from engine.core.trace import SCHEMA, step_of
from engine.wtq2017.batch import encode_batch
from engine.wtq2017.ensemble import agreement
from engine.wtq2017.language import cannot_say, warning
from engine.wtq2017.ops import COMPARISONS
from engine.wtq2017.predict import denotation, from_table, number_text

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
    # the larger language (ModelConfig.ops "extended")
    "sum": "add up {col} over the selected rows",
    "average": "average {col} over the selected rows",
    "distinct": "count the different values of {col} in the selected rows",
    "diff": "subtract the smallest {col} of the selected rows from the largest",
    "and": "keep the rows selected by both of the last two steps",
}


def step_sentence(step: dict, columns: list[str]) -> str:
    """One step of a program ({"op", "column", "pivot"}) in plain words."""
    col = f"“{columns[step['column']]}”" if step.get("column") is not None else "the column"
    pivot = "(no number in the question)" if step.get("pivot") is None else number_text(step["pivot"])
    return OP_WORDS[step["op"]].format(col=col, pivot=pivot)


def program_words(program: list[dict], columns: list[str]) -> list[str]:
    """"t1: select the rows …" for every step."""
    return [f"t{t}: {step_sentence(step, columns)}" for t, step in enumerate(program, start=1)]


@torch.no_grad()
def trace(model, vocab, example: dict, beam: int = 0) -> dict:
    """The trace of one converted example (docs/wtq.md); the model is put in eval mode for it. With `beam` K, the
    program is chosen by execution-guided decoding and extra["candidates"] lists the K programs considered."""
    model.eval()
    batch = encode_batch([example], vocab, model.config)
    out = model(batch)
    answer = model.hard_answer(batch, out, beam=beam, rows=[example["rows"]])[0]
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
        by_column = dict(zip(slots, col_probs[t], strict=True))  # None for a column that has no slot
        steps.append(step_of(t + 1, step["op"], op_probs[t], step["column"], columns,
                             [by_column.get(c) for c in range(len(columns))], step["pivot"], picked_rows[t],
                             soft_rows[t], attention[t], step_sentence(step, columns), **extra))
    den = denotation(example, answer)
    together = {}
    if "members" in out:  # an ensemble (engine/wtq2017/ensemble.py): where its members disagree
        agreed = agreement([example], batch, out, [answer])[0]
        together = {"ensemble": {"agree": agreed["agree"], "members": [", ".join(d) or "(no answer)"
                                                                         for d in agreed["members"]]}}
    return {
        "schema": SCHEMA, "family": "wtq2017", "question": example["question"], "words": words,
        "numbers": example["wtq"]["numbers"][:2], "columns": columns, "rows": rows, "n_rows": n_rows,
        "ops": list(model.config.op_names), "steps": steps,
        "answer": {"kind": answer["kind"], "scalar": answer.get("value"), "cells": answer.get("cells"),
                   "values": den if answer["kind"] == "cells" else None,
                   "text": answer_text(example, answer), "extra": {}},
        "program_text": program_words(answer["program"], columns), "warnings": [],
        "extra": {"selectable": [c in slots for c in range(len(columns))],
                  "entry_match": example["wtq"]["entry_match"], "denotation": den, "program": answer["program"],
                  "probability": round(answer["probability"], 6),
                  **({"beam": beam, "chosen": answer["chosen"], "candidates": [
                      {"probability": round(c["probability"], 6), "program_text": program_words(c["program"], columns),
                       "answer": answer_text(example, c["answer"]), "rejected": c["rejected"]}
                      for c in answer["candidates"]]} if beam else {}), **together},
    }


def answer_text(example: dict, answer: dict) -> str:
    """The answer as one line; what an empty one means when there is none."""
    if answer["kind"] == "none":
        return "(no answer: the program ends on a row selection)"
    return ", ".join(denotation(example, answer)) or "(no answer: the program printed no cell)"


def ask_table(model, vocab, columns: list[str], rows: list[list], question: str,
              notes: list[str] | tuple = (), beam: int = 0) -> dict:
    """The trace of a question about any table (cells of any type; InputError/ValueError for a bad one).
    `notes` are what the table's reader said about it (renamed columns, cells made empty, ...): they go in
    "warnings", as the 2016 trace's warnings do, so `ask --json` reads the same for both families; then what
    the question asks for that the language cannot say (extra["cannot_say"], engine/wtq2017/language.py)."""
    result = trace(model, vocab, from_table(columns, rows, question, preprocessing=model.config.preprocessing), beam)
    result["extra"]["cannot_say"] = cannot_say(question, model.config.op_names)
    result["warnings"] = list(notes) + [warning(found) for found in result["extra"]["cannot_say"]]
    return result
