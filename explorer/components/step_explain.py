"""What one step of a trace reads and why its outputs look as they do, in words, for both model families (the Step
page's explanations, the Ask page's linked table, the trace player), free of Streamlit so they test as plain
functions. What differs between the families is data: SPECS, keyed by trace["family"]. 2016 (engine/np2016/ops.py
`execute_step`): every step recomputes the row selector, scalar and lookup from its own operation (spec §2.8);
before t1 every row is selected and every scalar is 0 (spec ambiguity A2). 2017: engine/wtq2017/ops.py, hard_step.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.np2016.ops import COLUMN_OPS, SCALAR_OPS
from engine.np2016.program import PIVOT_OPS, op_label, step_name
from engine.np2016.trace import fmt
from engine.wtq2017 import ops as ops2017

ROW_PAIR_OPS = ("and", "or")  # combine the row selectors of t-2 and t-1
READS_ROWS = ("sum", "count", "assign")  # read the row selector of t-1
READS_COLUMN = ("greater", "lesser", "text_match")  # read the whole column
NO_ROWS_AFTER = SCALAR_OPS + ("assign",)  # their row selector is empty: they output a number or cells


@dataclass(frozen=True)
class OpSpec:
    """A family's operations (what they read and write) and the few words its views say differently."""

    pair: tuple[str, ...]  # read the row selectors of t−2 and t−1
    scalars: tuple[str, ...]  # read the scalars of t−3 and t−1
    rows: tuple[str, ...]  # read the rows selected after t−1
    column: tuple[str, ...]  # read the whole column
    no_rows_after: tuple[str, ...]  # output a number or cells: no row is selected after them
    column_ops: tuple[str, ...]  # take a column
    pivot_ops: tuple[str, ...]  # compare with a question number
    prints: str  # the operation that prints cells
    shows_read_rows: tuple[str, ...]  # the player and the Ask table show the rows these read, not their (none)
    before: tuple[str, str]  # the Step page's "before" table title: at t1, after t−1 ({} is t−1)
    inputs_named: bool  # the Step page titles the table a `rows` operation reads "Input: …"
    column_help: tuple[str, str]  # the column used ({column}), no column used ({op})
    column_caption: bool  # the "no column used" line is also a caption
    pivot_help: tuple[str, str]  # the pivot at a comparison, at another step
    hide_column_words: bool  # a step that takes no column lists no column name among its words
    no_answer: tuple[str, str]  # the answer line when the program ends without one, when it prints no cells


SPECS = {
    "np2016": OpSpec(
        ROW_PAIR_OPS, ("difference",), READS_ROWS, READS_COLUMN, NO_ROWS_AFTER, COLUMN_OPS, PIVOT_OPS, "assign", (),
        ("Before: all rows (nothing has filtered yet)", "Before: rows after t{}"), True,
        ("Column used: {column}.", "{op} uses no column: the column the model attends to at this step is not used."),
        True, ("the question number the comparison uses", "only greater and lesser use a pivot"), True,
        ("no answer (the last operation neither computes a number nor prints cells)",
         "no cells (the print step selected no rows)")),
    "wtq2017": OpSpec(  # with the larger language's (ModelConfig.ops "extended"): and, sum, average, distinct, diff
        ("and",), (), ("prev", "next", "first", "last", "argmax", "argmin", "print") + ops2017.SCALAR_OPS,
        ("mfe", "select") + ops2017.COMPARISONS, ("print",) + ops2017.SCALAR_OPS, ops2017.COLUMN_OPS,
        ops2017.COMPARISONS, "print",
        ("print",) + ops2017.SCALAR_OPS,
        ("Before: all rows (nothing has selected yet)", "Before: rows selected after t{}"), False,
        ("the column the operation reads", "{op} takes no column"), False,
        ("the question number the comparison compares with", "only greater, lesser, geq and leq use a pivot"), False,
        ("no answer (the program ends on a row selection: its last step neither counts nor prints)",
         "no cells (the print step had no rows to print)")),
}


def spec(trace: dict) -> OpSpec:
    return SPECS[trace["family"]]


@dataclass(frozen=True)
class Reads:
    """What a step reads: `kind` is "rows" (the row selectors of `steps`), "scalars" (the scalars of
    `steps`), "column" (the whole column) or "nothing"; `steps` are 1-based, 0 or less = the start."""

    kind: str
    steps: tuple[int, ...] = ()


def reads(op: str, t: int, family: str = "np2016") -> Reads:
    """What operation `op` at step t reads (engine/np2016/ops.py execute_step, engine/wtq2017/ops.py hard_step)."""
    ops = SPECS[family]
    if op in ops.pair:
        return Reads("rows", (t - 2, t - 1))
    if op in ops.scalars:
        return Reads("scalars", (t - 3, t - 1))
    if op in ops.rows:
        return Reads("rows", (t - 1,))
    if op in ops.column:
        return Reads("column")
    return Reads("nothing")


def name(t: int) -> str:
    """An input's name: 't2', or 'start' before the first step."""
    return step_name(t) if t >= 1 else "start"


def rows_of(trace: dict, t: int, view: str) -> list[float]:
    """The row selector after step t (all rows before the first step)."""
    return trace["steps"][t - 1]["rows_soft" if view == "soft" else "rows_hard"] if t >= 1 else [1.0] * trace["n_rows"]


def scalar_of(trace: dict, t: int, view: str) -> float:
    """The scalar after step t (0 before the first step)."""
    return trace["steps"][t - 1]["extra"]["scalar_soft" if view == "soft" else "scalar_hard"] if t >= 1 else 0.0


def choice_probs(trace: dict, step: dict, view: str) -> tuple[list[float], list[float | None]]:
    """(operation, column) probabilities of a step: soft, the model's (None: a column it cannot pick); hard, one-hot
    on its choices (all zero for the column where its operation takes none)."""
    if view == "soft":
        return step["op_probs"], step["col_probs"]
    return ([float(o == step["op"]) for o in trace["ops"]],
            [float(j == step["column_index"]) for j in range(len(trace["columns"]))])


def selected(weights: list[float]) -> int:
    return sum(1 for w in weights if w >= 0.5)


def shown_rows(trace: dict, t: int, view: str) -> list[float]:
    """The rows drawn for step t: those it read for a 2017 count or print (they select none), else its own."""
    return rows_of(trace, t - 1 if trace["steps"][t - 1]["op"] in spec(trace).shows_read_rows else t, view)


def cells_of(trace: dict, t: int, view: str) -> list[list[int]]:
    """The cells step t prints: 2016, its lookup (soft: the cells weighing over ½); 2017, a print's cells (the
    rows of t−1 in its column; the answer's cells at the last step)."""
    step = trace["steps"][t - 1]
    if trace["family"] == "np2016":
        if view == "soft":
            return [[r, c] for r, row in enumerate(step["extra"]["lookup_soft"]) for c, p in enumerate(row) if p > 0.5]
        return step["extra"]["lookup_cells"]
    if step["op"] != "print" or step["column_index"] is None:
        return []
    if t == len(trace["steps"]) and trace["answer"]["kind"] == "cells":
        return [[int(r), int(c)] for r, c in trace["answer"]["cells"]]
    return [[r, int(step["column_index"])] for r, w in enumerate(rows_of(trace, t - 1, "hard")) if w >= 0.5]


def output(trace: dict, t: int, view: str) -> str:
    """What step t wrote, in a few words: '5 rows', 'scalar 185.3', 'count 3', '2 cells'."""
    step = trace["steps"][t - 1]
    if step["op"] == spec(trace).prints:
        n = len(cells_of(trace, t, "hard"))
        return f"{n} cell{'s' * (n != 1)}"
    if step["op"] in spec(trace).no_rows_after:
        if "scalar_hard" in step["extra"]:  # the 2016 model's scalar
            return "scalar " + fmt(scalar_of(trace, t, view))
        if step["op"] != "count":  # the 2017 larger language's sum, average, …: the answer when it is the last step
            last = t == len(trace["steps"]) and trace["answer"].get("scalar") is not None
            return f"{step['op']} " + (fmt(trace["answer"]["scalar"]) if last else
                                       f"of {selected(rows_of(trace, t - 1, view))} rows")
        return f"count {selected(rows_of(trace, t - 1, view))}"
    return f"{selected(rows_of(trace, t, view))} rows"


def lines(trace: dict, t: int, view: str) -> list[str]:
    """The lines under a step's tables: what it read (2017) and the rows after it."""
    if trace["family"] == "np2016":
        return [row_line(trace["steps"][t - 1], trace, view)]
    return [reads_line(trace, t, view), after_line(trace, t, view)]


def row_line(step: dict, trace: dict, view: str) -> str:
    """One line on the row selector after the step, with the reason when it is empty or full."""
    op, t, m = step["op"], step["t"], trace["n_rows"]
    n = selected(rows_of(trace, t, view))
    label = op_label(op)
    head = f"Row selector after {step_name(t)}: {n} of {m} rows" + (
        " weigh ½ or more. In the soft view every row's weight mixes what each operation would select, weighted by "
        f"the operation's probability; what follows is the rule of the chosen one, {label}." if view == "soft" else ".")
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
    x, y, result = (scalar_of(trace, s, view) for s in (a, b, step["t"]))
    return (f"difference reads the scalar of {name(a)} (three steps back) and of {name(b)} (one step back): "
            f"{fmt(x)} − {fmt(y)} = {fmt(result)}" + (" (before t1 every scalar is 0)" if a < 1 else ""))


def column_line(step: dict, family: str = "np2016") -> str:
    """Which column the step uses; at a step whose operation takes none, says so and names none."""
    used, unused = SPECS[family].column_help
    if uses_column(step, family):
        return used.format(column=step["column_name"])
    return unused.format(op=op_label(step["op"]))


def uses_column(step: dict, family: str = "np2016") -> bool:
    return step["op"] in SPECS[family].column_ops and step["column_name"] is not None


def attention_line(step: dict, words: list[str], columns: list[str], top: int = 3,
                   family: str = "np2016") -> str | None:
    """The question words the step attends to most (None for models without question attention). At a step whose
    operation takes no column, column names are left out (and the line says so): they would read as its column."""
    att = step.get("question_attention")
    if att is None or not words:
        return None
    pairs = list(zip(words, att, strict=True))
    note = ""
    if SPECS[family].hide_column_words and not uses_column(step, family):
        names = {c.lower() for c in columns}
        kept = [(w, a) for w, a in pairs if w.lower() not in names]
        if len(kept) < len(pairs):
            note = f" (column names left out: {op_label(step['op'])} uses no column)"
        pairs = kept
    best = sorted(pairs, key=lambda x: -x[1])[:top]
    return (", ".join(f"{w} ({a:.0%})" for w, a in best) or "no other word") + note


def reads_line(trace: dict, t: int, view: str = "hard") -> str:
    """What 2017 step t read, with the count of rows, in words."""
    step, m = trace["steps"][t - 1], trace["n_rows"]
    kind, steps = (read := reads(step["op"], t, "wtq2017")).kind, read.steps
    if kind == "rows" and len(steps) == 2:  # and: the two selections before it
        counts = [selected(rows_of(trace, s, view)) if s >= 1 else m for s in steps]
        where = [f"after t{s}" if s >= 1 else "at the start" for s in steps]
        return (f"{step['op']} reads the rows selected {where[0]} ({counts[0]} of {m}) and {where[1]} "
                f"({counts[1]} of {m}) and keeps those in both.")
    if kind == "rows":
        source = f"after t{t - 1}" if t > 1 else "at the start (every row)"
        return f"{step['op']} reads the rows selected {source}: {selected(rows_of(trace, t - 1, view))} of {m}."
    if kind == "column":
        return (f"{step['op']} looks at every row of its column, not only the rows selected before; a later "
                "step (first, last, argmax, …) can narrow its rows down.")
    return "reset reads nothing: it selects every row again."


def after_line(trace: dict, t: int, view: str = "hard") -> str:
    """The rows after 2017 step t, with the reason when there are none."""
    step, m = trace["steps"][t - 1], trace["n_rows"]
    n = selected(rows_of(trace, t, view))
    head = f"Rows selected after t{t}: {n} of {m}."
    if step["op"] in SPECS["wtq2017"].no_rows_after:
        made = "cells (the answer)" if step["op"] == "print" else "a number (the answer)"
        return f"{head} {step['op']} outputs {made}, not rows, so after it no row is selected."
    if n == 0 and step["op"] in SPECS["wtq2017"].column:
        return f"{head} No cell of the column passes the test, so no row is selected."
    return head
