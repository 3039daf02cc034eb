"""What one step of a trace reads and why its outputs look as they do, in words: the Step through page's
explanations, kept free of Streamlit so they can be tested as plain functions.

Every step recomputes the row selector, the scalar and the lookup from the operation it chose (spec §2.8;
engine/np2016/ops.py `execute_step`): nothing is carried over. What each operation reads (engine/np2016/ops.py):

- greater, lesser, text match: the whole column (not the earlier selection);
- and, or: the row selectors of the two steps before (t−2 and t−1), element-wise min / max;
- sum, count, print: the row selector of the step before (t−1);
- difference: the scalars of three steps and one step before: scalar(t−3) − scalar(t−1);
- reset: nothing; it selects every row.

Before t1 the start values stand in: every row selected, every scalar 0 (spec ambiguity A2).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.np2016.ops import COLUMN_OPS, SCALAR_OPS
from engine.np2016.program import op_label, step_name
from engine.np2016.trace import fmt

ROW_PAIR_OPS = ("and", "or")  # combine the row selectors of t-2 and t-1
READS_ROWS = ("sum", "count", "assign")  # read the row selector of t-1
READS_COLUMN = ("greater", "lesser", "text_match")  # read the whole column
NO_ROWS_AFTER = SCALAR_OPS + ("assign",)  # their row selector is empty: they output a number or cells


@dataclass(frozen=True)
class Reads:
    """What a step reads: `kind` is "rows" (the row selectors of `steps`), "scalars" (the scalars of
    `steps`), "column" (the whole column) or "nothing"; `steps` are 1-based, 0 or less = the start."""

    kind: str
    steps: tuple[int, ...] = ()


def reads(op: str, t: int) -> Reads:
    """What operation `op` at step t reads (engine/np2016/ops.py execute_step)."""
    if op in ROW_PAIR_OPS:
        return Reads("rows", (t - 2, t - 1))
    if op == "difference":
        return Reads("scalars", (t - 3, t - 1))
    if op in READS_ROWS:
        return Reads("rows", (t - 1,))
    if op in READS_COLUMN:
        return Reads("column")
    return Reads("nothing")


def name(t: int) -> str:
    """An input's name: 't2', or 'start' before the first step."""
    return step_name(t) if t >= 1 else "start"


def rows_of(trace: dict, t: int, view: str) -> list[float]:
    """The row selector after step t (all rows before the first step)."""
    if t < 1:
        return [1.0] * trace["n_rows"]
    return trace["steps"][t - 1]["rows_soft" if view == "soft" else "rows_hard"]


def scalar_of(trace: dict, t: int, view: str) -> float:
    """The scalar after step t (0 before the first step)."""
    if t < 1:
        return 0.0
    return trace["steps"][t - 1]["extra"]["scalar_soft" if view == "soft" else "scalar_hard"]


def selected(weights: list[float]) -> int:
    return sum(1 for w in weights if w >= 0.5)


def row_line(step: dict, trace: dict, view: str) -> str:
    """One line on the row selector after the step, with the reason when it is empty or full."""
    op, t, m = step["op"], step["t"], trace["n_rows"]
    n = selected(rows_of(trace, t, view))
    head = f"Row selector after {step_name(t)}: {n} of {m} rows."
    if view == "soft":
        head = (f"Row selector after {step_name(t)}: {n} of {m} rows weigh ½ or more. In the soft view every "
                "row's weight mixes what each operation would select, weighted by the operation's "
                f"probability; what follows is the rule of the chosen one, {op_label(op)}.")
    label = op_label(op)
    if op in NO_ROWS_AFTER:
        made = "cells (the lookup answer)" if op == "assign" else "a number (the scalar)"
        return (f"{head} {label} outputs {made}, not rows, and every step builds its row selector anew from "
                "its own operation, so after it no row is selected. A count or sum right after it would read "
                "no rows: that is why programs put a reset (or a filter) in between, as in sum; reset; count; "
                "difference.")
    if op == "reset":
        return (f"{head} reset selects every row again: it is also the no-op, which lets a program shorter "
                "than its steps fill the rest.")
    if op in READS_COLUMN:
        return (f"{head} {label} looks at every row of its column, not only at the rows selected before: "
                "to combine two filters, a later step chooses and (or or).")
    if op in ROW_PAIR_OPS:
        a, b = reads(op, t).steps
        if b < 1:
            return f"{head} At t1 both inputs of {label} are the start values (every row), so every row stays."
        rule = "in both" if op == "and" else "in either"
        start = " (the start: every row)" if a < 1 else ""
        return f"{head} {label} keeps the rows selected {rule} of {name(a)}{start} and {name(b)}."
    return head


def difference_line(step: dict, trace: dict, view: str) -> str:
    """difference at step t: scalar(t−3) − scalar(t−1), with the values it read."""
    a, b = reads("difference", step["t"]).steps
    x, y = scalar_of(trace, a, view), scalar_of(trace, b, view)
    result = step["extra"]["scalar_soft" if view == "soft" else "scalar_hard"]
    return (f"difference reads the scalar of {name(a)} (three steps back) and of {name(b)} (one step back): "
            f"{fmt(x)} − {fmt(y)} = {fmt(result)}" + (" (before t1 every scalar is 0)" if a < 1 else ""))


def column_line(step: dict) -> str:
    """Which column the step uses; at a step whose operation takes none, says so and names none."""
    if uses_column(step):
        return f"Column used: {step['column_name']}."
    return f"{op_label(step['op'])} uses no column: the column the model attends to at this step is not used."


def uses_column(step: dict) -> bool:
    return step["op"] in COLUMN_OPS and step["column_name"] is not None


def attention_line(step: dict, words: list[str], columns: list[str], top: int = 3) -> str | None:
    """The question words the step attends to most (None for models without question attention).

    At a step whose operation takes no column, words that are column names are left out (and the line
    says so): listed there they read as the column the step used, and it used none."""
    att = step.get("question_attention")
    if att is None or not words:
        return None
    pairs = list(zip(words, att, strict=True))
    note = ""
    if not uses_column(step):
        names = {c.lower() for c in columns}
        kept = [(w, a) for w, a in pairs if w.lower() not in names]
        if len(kept) < len(pairs):
            note = f" (column names left out: {op_label(step['op'])} uses no column)"
        pairs = kept
    best = sorted(pairs, key=lambda x: -x[1])[:top]
    return (", ".join(f"{w} ({a:.0%})" for w, a in best) or "no other word") + note
