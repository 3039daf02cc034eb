"""Check the program, not only the answer: does an induced program mean what the grammar's program means?

Both programs become small expressions of what the answer is computed from:

    rows    ("all",) | ("none",) | ("greater", column, pivot) | ("lesser", column, pivot) | ("match", column)
            | ("and", rows, rows) | ("or", rows, rows)
    scalar  ("zero",) | ("count", rows) | ("sum", column, rows) | ("diff", scalar, scalar)
    answer  a scalar | ("print", column, rows) | ("none",)

The induced program's expression is the dataflow slice of its steps that the answer depends on, read
backwards from step T through what each operation reads (spec §2.7-2.8, `program_expression`); steps outside
the slice never matter.

Two expressions are the same program when they give the same answer on *every* table. Rows are cut
into regions by the expressions' own predicates (per column: each pivot, the open intervals between
and beyond them, a missing cell; matched or not); a row expression is then its set of regions, a
count is the number of rows in those regions and a sum a sum of free per-region column totals (a region
where the column equals a pivot p adds p per row). Equal region sets and equal linear forms: the same
program, whatever the table. So `count` equals `reset; count`, and/or are commutative, a repeated
filter changes nothing, and `greater 20 A; greater 50 A; and` is `greater 50 A`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from engine.np2016.data.question_grammar import GrammarQuestion, parse
from engine.np2016.ops import SCALAR_OPS
from engine.np2016.program import Program, fmt

ALL, NONE, ZERO = ("all",), ("none",), ("zero",)


def grammar_expression(q: GrammarQuestion) -> tuple:
    """The answer expression of the grammar's program for a parsed question."""
    if "diff" in q.aggregation:
        total, count = ("sum", q.column, ALL), ("count", ALL)
        return ("diff", total, count) if q.aggregation.startswith("sum") else ("diff", count, total)
    filters = [(f.kind, f.column, f.value) if f.kind != "match" else ("match", f.column) for f in q.filters]
    rows = ALL if not filters else filters[0] if len(filters) == 1 else (q.connector, *filters)
    if q.aggregation == "count":
        return ("count", rows)
    return (q.aggregation, q.column, rows)


def program_expression(program: Program) -> tuple:
    """The answer expression of an induced program: the slice of its steps that step T reads."""

    def rows(t: int) -> tuple:  # rs_t
        if t <= 0:
            return ALL
        s = program[t - 1]
        if s.op in ("greater", "lesser"):
            return (s.op, s.column_index, np.nan if s.pivot is None else float(s.pivot))
        if s.op == "text_match":
            return ("match", s.column_index)
        if s.op in ("and", "or"):
            return (s.op, rows(t - 1), rows(t - 2))
        return ALL if s.op == "reset" else NONE

    def scalar(t: int) -> tuple:  # scalar_t
        if t <= 0:
            return ZERO
        s = program[t - 1]
        if s.op == "sum":
            return ("sum", s.column_index, rows(t - 1))
        if s.op == "count":
            return ("count", rows(t - 1))
        if s.op == "difference":
            return ("diff", scalar(t - 3), scalar(t - 1))
        return ZERO

    t = len(program)
    last = program[-1].op if program else "reset"
    if last in SCALAR_OPS:
        return scalar(t)
    if last == "assign":
        return ("print", program[-1].column_index, rows(t - 1))
    return NONE


class _Regions:
    """Every combination of per-column cases the expressions can tell apart, as arrays over regions: value[j]
    (R,) a value of column j (nan: a missing cell); point[j] (R,) whether it is a pivot; matched[j] (R,)."""

    def __init__(self, *expressions: tuple):
        atoms: set = set()
        for e in expressions:
            _filters(e, atoms, set())
        pivots: dict[int, set[float]] = {}
        for kind, j, pivot in atoms:
            if kind != "match" and pivot is not None:
                pivots.setdefault(j, set()).add(float(pivot))
        matched = {j for kind, j, _ in atoms if kind == "match"}
        axes, names = [], []
        for j in sorted(pivots):
            p = sorted(pivots[j])
            between = [(a + b) / 2 for a, b in zip(p, p[1:], strict=False)]
            values = sorted([p[0] - 1, p[-1] + 1, *p, *between]) + [np.nan]
            axes.append(np.asarray(values))
            names.append(("value", j))
        axes += [np.asarray([False, True]) for _ in sorted(matched)]
        names += [("matched", j) for j in sorted(matched)]
        grids = [g.ravel() for g in np.meshgrid(*axes, indexing="ij")] if axes else []
        self.size = grids[0].size if grids else 1
        self.value = {j: g for (kind, j), g in zip(names, grids, strict=True) if kind == "value"}
        self.matched = {j: g for (kind, j), g in zip(names, grids, strict=True) if kind == "matched"}
        self.point = {j: np.isin(self.value[j], sorted(pivots[j])) for j in self.value}

    def rows(self, e: tuple) -> np.ndarray:
        """(R,) bool: the regions a row expression selects."""
        kind = e[0]
        if kind in ("all", "none"):
            return np.full(self.size, kind == "all")
        if kind == "match":
            return self.matched[e[1]].copy()
        if kind in ("greater", "lesser"):
            x = self.value[e[1]]
            with np.errstate(invalid="ignore"):
                return x > e[2] if kind == "greater" else x < e[2]  # nan (missing cell or pivot): never
        a, b = self.rows(e[1]), self.rows(e[2])
        return a & b if kind == "and" else a | b

    def linear(self, e: tuple) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """A scalar as coefficients of per-region row counts (R,) and per-region column totals {j: (R,)}."""
        kind = e[0]
        if kind == "zero":
            return np.zeros(self.size), {}
        if kind == "count":
            return self.rows(e[1]).astype(float), {}
        if kind == "sum":
            j, sel = e[1], self.rows(e[2])
            if j not in self.value:  # no predicate on this column: its per-region totals are free
                return np.zeros(self.size), {j: sel.astype(float)}
            x, point = self.value[j], self.point[j]
            free = sel & ~point & ~np.isnan(x)  # a missing cell adds nothing
            return np.where(sel & point, x, 0.0), {j: free.astype(float)}
        (n1, s1), (n2, s2) = self.linear(e[1]), self.linear(e[2])
        return n1 - n2, {j: s1.get(j, 0.0) - s2.get(j, 0.0) for j in s1.keys() | s2.keys()}


def _ordered(e):
    """The expression with the operands of and/or in one order (a quick test of sameness before regions)."""
    if not isinstance(e, tuple):
        return e
    parts = tuple(_ordered(x) for x in e)
    return (parts[0], *sorted(parts[1:], key=repr)) if e[0] in ("and", "or") else parts


def answer_kind(e: tuple) -> str:
    return "lookup" if e[0] == "print" else "none" if e[0] == "none" else "scalar"


def same(a: tuple, b: tuple) -> bool:
    """Do two answer expressions give the same answer on every table?"""
    if answer_kind(a) != answer_kind(b):
        return False
    if answer_kind(a) == "none" or _ordered(a) == _ordered(b):  # the same up to the order of and/or operands
        return True
    regions = _Regions(a, b)
    if a[0] == "print":
        return a[1] == b[1] and bool((regions.rows(a[2]) == regions.rows(b[2])).all())
    (na, sa), (nb, sb) = regions.linear(a), regions.linear(b)
    zero = np.zeros(regions.size)
    return np.allclose(na, nb, rtol=0, atol=1e-9) and all(
        np.allclose(sa.get(j, zero), sb.get(j, zero), rtol=0, atol=1e-9) for j in sa.keys() | sb.keys())


# ----------------------------------------------------------------------------- the reason, in words

def _name(j, columns: list[str]) -> str:
    return columns[j] if isinstance(j, int) and 0 <= j < len(columns) else "no column"


def _term(e: tuple, columns: list[str]) -> str:
    if e[0] == "count":
        return "the count"
    if e[0] == "sum":
        return f"the sum of {_name(e[1], columns)}"
    return "0" if e[0] == "zero" else "a difference"


def _aggregation(e: tuple, columns: list[str]) -> str:
    """What the last step does: 'counts rows', 'sums exam', 'subtracts the count from the sum of exam'."""
    if e[0] == "count":
        return "counts rows"
    if e[0] in ("sum", "print"):
        return f"{e[0]}s {_name(e[1], columns)}"
    if e[0] == "diff":
        return f"subtracts {_term(e[2], columns)} from {_term(e[1], columns)}"
    return "gives 0" if e[0] == "zero" else "ends on a row selection, which is no answer"


def _filters(e, atoms: set, connectors: set) -> None:
    """The comparisons and text matches an expression reads, and the connectors that combine them."""
    if not isinstance(e, tuple) or not e:
        return
    if e[0] in ("greater", "lesser"):
        atoms.add((e[0], e[1], e[2] if np.isfinite(e[2]) else None))
    elif e[0] == "match":
        atoms.add(("match", e[1], None))
    elif e[0] in ("and", "or"):
        connectors.add(e[0])
    for part in e[1:]:
        _filters(part, atoms, connectors)


def _condition(atom: tuple, columns: list[str]) -> str:
    kind, j, pivot = atom
    if kind == "match":
        return f"{_name(j, columns)} matching a word of the question"
    return f"{_name(j, columns)} {'>' if kind == 'greater' else '<'} {'?' if pivot is None else fmt(pivot)}"


def reason(got: tuple, want: tuple, columns: list[str]) -> str:
    """Why the induced program (got) differs from the grammar's (want), in one plain clause:
    'filters on score where the question filters on exam'."""
    did, asked = _aggregation(got, columns), _aggregation(want, columns)
    if did != asked:
        return f"{did} where the question {asked}"
    got_atoms, want_atoms, got_conn, want_conn = set(), set(), set(), set()
    _filters(got, got_atoms, got_conn)
    _filters(want, want_atoms, want_conn)
    got_cols = {_name(j, columns) for _, j, _ in got_atoms}
    want_cols = {_name(j, columns) for _, j, _ in want_atoms}
    extra, missing = " and ".join(sorted(got_cols - want_cols)), " and ".join(sorted(want_cols - got_cols))
    if extra and missing:
        return f"filters on {extra} where the question filters on {missing}"
    if missing:
        return (f"reads every row where the question filters on {missing}" if not got_cols else
                f"does not filter on {missing}, which the question does")
    if extra:
        return (f"filters on {extra} where the question reads every row" if not want_cols else
                f"also filters on {extra}, which the question does not")
    did = " and ".join(sorted(_condition(a, columns) for a in got_atoms - want_atoms))
    asked = " and ".join(sorted(_condition(a, columns) for a in want_atoms - got_atoms))
    if did and asked:
        return f"keeps rows with {did} where the question keeps rows with {asked}"
    if asked:
        return f"leaves out the question's filter {asked}"
    if did:
        return f"adds the filter {did}, which the question does not have"
    if got_conn != want_conn:
        did = " and ".join(sorted(got_conn)) or "nothing"
        asked = " and ".join(sorted(want_conn)) or "nothing"
        return f"combines its filters with {did} where the question combines them with {asked}"
    if _contains(got, NONE):
        return "reads the rows of a step that selects none (a step that computes a number or prints)"
    return "selects other rows than the question's filters do"


def _contains(e, part: tuple) -> bool:
    return e == part or (isinstance(e, tuple) and any(_contains(x, part) for x in e[1:]))


class Verdict(NamedTuple):
    same: bool
    reason: str  # plain English, with the table's column names: empty when the programs are the same


def compare(question: str, columns: list[str], program: Program) -> Verdict | None:
    """The induced program against the grammar's for this question; None when it is not in the grammar."""
    q = parse(question, columns)
    if q is None:
        return None
    want, got = grammar_expression(q), program_expression(program)
    return Verdict(True, "") if same(want, got) else Verdict(False, reason(got, want, columns))


def check(question: str, columns: list[str], program: Program) -> str | None:
    """'same' or 'different' (the induced program against the grammar's), None for a non-grammar question."""
    verdict = compare(question, columns, program)
    return None if verdict is None else "same" if verdict.same else "different"
