"""The induced program: read once from a hard forward pass (`decode`, `answers`, `predict_chunks`), rendered in
words or in short notation. The trace, the command line's predict and the app's Programs page all go through
these functions, and every label of an operation comes from `OP_TEXT`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import torch

from engine.core import limits
from engine.core.io.examples import InputError
from engine.core.vocab import split_question
from engine.np2016.batch import encode, size_batches
from engine.np2016.evaluate import final_kinds
from engine.np2016.ops import COLUMN_OPS

PIVOT_OPS = ("greater", "lesser")  # the operations that compare with a number from the question


class OpText(NamedTuple):
    label: str  # in charts, tables and the app ("print", "text match")
    short: str  # in the one-line program notation ("print", "diff", "match")
    phrase: str  # in a sentence of the program in words ("less than 50 in profit")


# The one table of operation names people see: keep charts, notation and sentences in step.
OP_TEXT = {
    "sum": OpText("sum", "sum", "sum of"),
    "count": OpText("count", "count", "count the selected rows"),
    "difference": OpText("difference", "diff", "difference"),
    "greater": OpText("greater", "greater", "greater than"),
    "lesser": OpText("lesser", "lesser", "less than"),
    "and": OpText("and", "and", "and"),
    "or": OpText("or", "or", "or"),
    "assign": OpText("print", "print", "print"),
    "reset": OpText("reset", "reset", "reset"),
    "text_match": OpText("text match", "match", "rows whose"),
}


def op_label(op: str) -> str:
    """The name an operation is shown by ('assign' -> 'print'); an unknown name is shown as it is."""
    return OP_TEXT[op].label if op in OP_TEXT else op


@dataclass(frozen=True)
class Step:
    """One hard step of an induced program."""

    op: str
    column: str | None  # the column's name, for the operations that take a column (else None)
    column_index: int | None
    pivot: float | None  # the question number compared with, for greater and lesser (else None)
    pivot_index: int | None  # its position among the question's numbers (0-based)

    def to_json(self) -> dict:
        """The public form written by predict and trace: {"op", "column", "pivot"}."""
        return {"op": self.op, "column": self.column, "pivot": self.pivot}


Program = list[Step]


def _masked_argmax(scores: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """argmax over the first lengths[b] entries of the last axis. scores: (B, ..., K), lengths: (B,)"""
    keep = torch.arange(scores.shape[-1]) < lengths.view(-1, *([1] * (scores.dim() - 1)))  # (B, 1.., K)
    return scores.masked_fill(~keep, -math.inf).argmax(-1)


@torch.no_grad()
def decode(model, examples: list[dict], out: dict) -> list[Program]:
    """The program of every example, read by argmax from `out = model(encode(examples, vocab), hard=True)` over
    the example's own columns and numbers (never the batch's padding)."""
    ops = model.config.ops
    # -1: no number (spec §2.5)
    numbers = [split_question(ex["question"], ex["columns"]).numbers or [-1.0] for ex in examples]
    n_cols = torch.tensor([len(ex["columns"]) for ex in examples])  # (B,)
    n_nums = torch.tensor([len(n) for n in numbers])  # (B,)
    op_idx = out["op_logits"].argmax(-1).tolist()  # (B, T)
    col_idx = _masked_argmax(out["col_logits"], n_cols).tolist()  # (B, T)
    piv_idx = {op: _masked_argmax(att, n_nums).tolist() for op, att in out["pivot_attention"].items()}  # (B,)

    def step(b: int, t: int, op: str) -> Step:
        c = col_idx[b][t] if op in COLUMN_OPS else None
        p = piv_idx[op][b] if op in PIVOT_OPS and op in piv_idx else None
        return Step(op=op, column=None if c is None else examples[b]["columns"][c], column_index=c,
                    pivot=None if p is None else numbers[b][p], pivot_index=p)

    return [[step(b, t, ops[i]) for t, i in enumerate(op_idx[b])] for b in range(len(examples))]


@torch.no_grad()
def answers(model, examples: list[dict], out: dict, digits: int = 4) -> list[dict]:
    """What each example's program wrote: {"scalar": x}, {"cells": [[row, column], ...]} or {"none": true}.
    Scalars are rounded to `digits` decimals (float32: more digits are noise); one that is not finite (a sum
    beyond the float range) becomes {"none": true, "reason": ...}, as JSON has no NaN or inf."""
    kinds = final_kinds(model, out)
    scalars = out["scalar"].double().tolist()  # (B,)
    result = []
    for b, ex in enumerate(examples):
        if kinds[b] == "scalar":
            value = scalars[b]
            result.append({"scalar": round(value, digits)} if math.isfinite(value) else
                          {"none": True, "reason": f"the answer is not a finite number ({value})"})
        elif kinds[b] == "lookup":
            m, c = len(ex["rows"]), len(ex["columns"])
            result.append({"cells": (out["lookup"][b, :m, :c] > 0.5).nonzero().tolist()})
        else:
            result.append({"none": True})
    return result


def short(program: Program, names: list[str] | None = None) -> str:
    """One line, with pivots written as the question's number slots: 'greater n1 B → lesser n2 A → and → sum A'.
    `names` renames the columns by position (to group tables whose names differ); resets are left out."""
    parts = []
    for step in program:
        if step.op == "reset":
            continue
        word = OP_TEXT[step.op].short
        if step.pivot_index is not None:
            word += f" n{step.pivot_index + 1}"
        if step.column_index is not None:
            if names is None:
                word += f" {step.column}"
            elif step.column_index < len(names):
                word += f" {names[step.column_index]}"
        parts.append(word)
    return " → ".join(parts) or "reset (nothing)"


FIXED_MIN, FIXED_MAX = 1e-4, 1e15  # outside this range a number is written in scientific notation
SIGNIFICANT = 15  # float64 holds about 16 digits: a 16th would be noise


def fmt(x: float) -> str:
    """A number as a person writes it: 812.5, -3, 0.25, 0.00123; 1e+26 and 1.5e-07 outside [1e-4, 1e15).
    Numbers of 1 or more get at most 2 decimals (float32: more are noise), smaller ones 3 significant digits, none
    more than 15; beyond the fixed range, 6 significant digits (never the 27 digits of 1e26's binary value)."""
    x = float(x)
    if not math.isfinite(x) or x == 0:
        return "0" if x == 0 else str(x)  # nan, inf, -inf
    size = abs(x)
    if not FIXED_MIN <= size < FIXED_MAX:
        return f"{x:.6g}"
    exponent = math.floor(math.log10(size))  # 2 for 812.5, -3 for 0.00123
    decimals = max(2, 2 - exponent) if size < 1 else min(2, SIGNIFICANT - 1 - exponent)
    s = f"{x:.{max(decimals, 0)}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _rows(k: int) -> str:
    return f"{k} row" if k == 1 else f"{k} rows"


def describe(step: Step, t: int, rows: int, scalars: list[float], cells: int) -> str:
    """One sentence for hard step t (1-based), with what it did: 'greater than 50 in profit → 4 rows'.
    rows: rows selected after the step; scalars: the scalar after every step; cells: cells it printed."""
    op, col, text = step.op, step.column, OP_TEXT[step.op]
    if op in PIVOT_OPS:
        return f"{text.phrase} {fmt(step.pivot)} in {col} → {_rows(rows)}"
    if op == "text_match":
        return f"{text.phrase} {col} occurs in the question → {_rows(rows)}"
    if op in ("and", "or"):
        which = "both" if op == "and" else "either"
        return (f"{text.phrase}: rows selected by {which} of the two previous steps ({_step_name(t - 2)}, "
                f"{_step_name(t - 1)}) → {_rows(rows)}")
    if op == "sum":
        return f"{text.phrase} {col} → {fmt(scalars[t - 1])}"
    if op == "count":
        return f"{text.phrase} → {fmt(scalars[t - 1])}"
    if op == "difference":  # scalar_{t-3} - scalar_{t-1}
        a = scalars[t - 4] if t >= 4 else 0.0
        b = scalars[t - 2] if t >= 2 else 0.0
        return (f"{text.phrase} of the results three steps and one step back ({_step_name(t - 3)} − "
                f"{_step_name(t - 1)}): {fmt(a)} − {fmt(b)} → {fmt(scalars[t - 1])}")
    if op == "assign":
        return f"{text.phrase} {col} of the selected rows → {cells} cell{'s' if cells != 1 else ''}"
    return f"{text.phrase}: select all rows"


def step_name(t: int) -> str:
    """How every view names step t (1-based): 't3', as the heatmaps' axes do."""
    return f"t{t}"


def _step_name(t: int) -> str:
    """An earlier step an operation reads; before t1 it reads the start values (all rows, scalar 0)."""
    return step_name(t) if t >= 1 else "start"


def numbered(sentences: list[tuple[str, str]]) -> list[str]:
    """The program in words, one line per step from (op, sentence) pairs, numbered t1…tT as the heatmaps
    are; reset steps are kept, so that line tk is always step k."""
    lines = [f"{step_name(t)}. {sentence}" for t, (_, sentence) in enumerate(sentences, 1)]
    if sentences and all(op == "reset" for op, _ in sentences):
        lines.append("(every step is reset: the program does nothing)")
    return lines


def predict_chunks(model, vocab, numbered: Iterable[tuple[int, dict]], max_batch: int = 500,
                   name: str = "the input") -> Iterator[list[tuple[dict, Program, dict]]]:
    """Programs and answers for a stream of (line number, example), in order, a chunk of at most
    PREDICT_CHUNK_EXAMPLES examples or PREDICT_CHUNK_CELLS cells at a time (memory stays bounded), batched by size
    within it (batch.size_batches). An example over a limit raises InputError naming its line."""
    chunk, cells = [], 0
    for line, ex in numbered:
        chunk.append((line, ex))
        cells += max(len(ex["rows"]), 1) * max(len(ex["columns"]), 1)
        if len(chunk) >= limits.PREDICT_CHUNK_EXAMPLES or cells >= limits.PREDICT_CHUNK_CELLS:
            yield _predict_chunk(model, vocab, chunk, max_batch, name)
            chunk, cells = [], 0
    if chunk:
        yield _predict_chunk(model, vocab, chunk, max_batch, name)


@torch.no_grad()
def _predict_chunk(model, vocab, chunk: list[tuple[int, dict]], max_batch: int, name: str):
    examples = [ex for _, ex in chunk]
    groups = _at_line(chunk, name, lambda part: size_batches(part, max_batch=max_batch))
    result: list = [None] * len(examples)
    for group in groups:
        part = [examples[i] for i in group]
        batch = _at_line([chunk[i] for i in group], name, lambda p: encode(p, vocab))
        out = model(batch, hard=True)
        for i, program, answer in zip(group, decode(model, part, out), answers(model, part, out), strict=True):
            result[i] = (examples[i], program, answer)
    return result


def _at_line(chunk: list[tuple[int, dict]], name: str, work):
    """work([examples]); when it refuses them (ValueError), find the first example it refuses alone and raise
    InputError with that example's line number (the refusal's own message says which limit)."""
    try:
        return work([ex for _, ex in chunk])
    except ValueError as error:
        for line, ex in chunk:
            try:
                work([ex])
            except ValueError as e:
                raise InputError(f"{name} line {line}: {e}") from None
        raise error
