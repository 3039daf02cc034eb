"""What one step of a 2017 trace (engine/wtq2017/trace.py) reads and writes, in plain functions (no Streamlit), for
the Ask page's linked table, the Step through page and the trace player.

What each of the 15 operations reads (engine/wtq2017/ops.py, hard_step):

- prev, next, first, last, argmax, argmin, count, print: the rows selected after the step before (t−1);
- mfe, greater, lesser, geq, leq, select: the whole column (not the rows selected before);
- reset: nothing (it selects every row again).

count and print write no rows: after them no row is selected. Before t1 every row is selected. The step's
sentence and the program in words come from the engine (wtq_trace.step_sentence), never from here.
"""

from __future__ import annotations

from engine.wtq2017.ops import COMPARISONS

READS_ROWS = ("prev", "next", "first", "last", "argmax", "argmin", "count", "print")
READS_COLUMN = ("mfe", "select") + COMPARISONS
WRITES_NO_ROWS = ("count", "print")
MAX_ANSWER_ITEMS = 12  # printed cells listed in the answer line (then "… (n cells)")


def is_wtq(trace: dict | None) -> bool:
    """Whether a trace is the 2017 model's."""
    return bool(trace) and trace.get("family") == "wtq2017"


def n_rows(trace: dict) -> int:
    return trace["n_rows"]


def reads(op: str) -> str:
    """"rows" (the rows after the step before), "column" (the whole column) or "nothing"."""
    if op in READS_ROWS:
        return "rows"
    if op in READS_COLUMN:
        return "column"
    return "nothing"


def rows_after(trace: dict, t: int, view: str = "hard") -> list[float]:
    """The rows selected after step t as weights (1/0 in the hard view); every row before t1."""
    if t < 1:
        return [1.0] * n_rows(trace)
    step = trace["steps"][t - 1]
    if view == "soft":
        return [float(w) for w in step["rows_soft"]]
    return [1.0 if r else 0.0 for r in step["rows_hard"]]


def selected(weights: list[float]) -> int:
    return sum(1 for w in weights if w >= 0.5)


def printed_cells(trace: dict, t: int) -> list[list[int]]:
    """The cells a print at step t writes (the rows of t−1 in its column); the answer's cells at the last step."""
    step = trace["steps"][t - 1]
    if step["op"] != "print" or step["column_index"] is None:
        return []
    if t == len(trace["steps"]) and trace["answer"]["kind"] == "cells":
        return [[int(r), int(c)] for r, c in trace["answer"]["cells"]]
    before = rows_after(trace, t - 1)
    return [[r, int(step["column_index"])] for r, w in enumerate(before) if w >= 0.5]


def column_name(trace: dict, step: dict) -> str | None:
    return step["column_name"]


def pivot_text(step: dict) -> str:
    p = step.get("pivot")
    if p is None:
        return "—"
    return str(int(p)) if float(p).is_integer() else f"{p:g}"


def output(trace: dict, t: int, view: str = "hard") -> str:
    """What step t wrote, in a few words: '5 rows', 'count 3', '2 cells'."""
    step = trace["steps"][t - 1]
    if step["op"] == "count":
        return f"count {selected(rows_after(trace, t - 1, view))}"
    if step["op"] == "print":
        n = len(printed_cells(trace, t))
        return f"{n} cell{'s' * (n != 1)}"
    return f"{selected(rows_after(trace, t, view))} rows"


def answer_text(trace: dict) -> str:
    """The answer as the user reads it: the denotation (the benchmark's strings), or why there is none."""
    kind, values = trace["answer"]["kind"], trace["extra"]["denotation"]
    if kind == "none":
        return "no answer (the program ends on a row selection: its last step neither counts nor prints)"
    if kind == "cells" and not values:
        return "no cells (the print step had no rows to print)"
    shown = [v if v != "" else "(empty)" for v in values[:MAX_ANSWER_ITEMS]]
    more = f" … ({len(values)} cells)" if len(values) > MAX_ANSWER_ITEMS else ""
    return ", ".join(shown) + more


def reads_line(trace: dict, t: int, view: str = "hard") -> str:
    """What step t read, with the count of rows, in words."""
    step, m = trace["steps"][t - 1], n_rows(trace)
    kind = reads(step["op"])
    if kind == "rows":
        source = f"after t{t - 1}" if t > 1 else "at the start (every row)"
        n = selected(rows_after(trace, t - 1, view))
        return f"{step['op']} reads the rows selected {source}: {n} of {m}."
    if kind == "column":
        return (f"{step['op']} looks at every row of its column, not only the rows selected before; a later "
                "step (first, last, argmax, …) can narrow its rows down.")
    return "reset reads nothing: it selects every row again."


def after_line(trace: dict, t: int, view: str = "hard") -> str:
    """The rows after step t, with the reason when there are none."""
    step, m = trace["steps"][t - 1], n_rows(trace)
    n = selected(rows_after(trace, t, view))
    head = f"Rows selected after t{t}: {n} of {m}."
    if step["op"] in WRITES_NO_ROWS:
        made = "cells (the answer)" if step["op"] == "print" else "a number (the answer)"
        return f"{head} {step['op']} outputs {made}, not rows, so after it no row is selected."
    if n == 0 and step["op"] in READS_COLUMN:
        return f"{head} No cell of the column passes the test, so no row is selected."
    return head


def top_words(step: dict, words: list[str], top: int = 3) -> str:
    """The words the step attends to most: 'sales (40%), above (22%), … '."""
    pairs = sorted(zip(words, step["question_attention"], strict=False), key=lambda x: -x[1])[:top]
    return ", ".join(f"{w} ({a:.0%})" for w, a in pairs)
