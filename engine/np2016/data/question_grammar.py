"""Reading a question back into the synthetic grammar (engine/np2016/data/templates.py, spec 7.2-7.5).

`parse` turns a question typed by anyone into the grammar's structure, or None when it is not in the
grammar. It accepts every synonym of the word-variability forms, column names in any case (several
words too), text filters `word:k Y`, and on a one-column table the column's name left out, as the
paper's Table 4 writes them ("greater 50 count", "sum diff count"). The app's right answer and the
program check both start here, so there is one reading of a question.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.vocab import parse_number, tokenize
from engine.np2016.data.templates import CONNECTORS, SYNONYM_TO_OP


@dataclass(frozen=True)
class Filter:
    """One row filter: `greater 50 Y`, `lesser 50 Y` or a text match `word:3 Y`."""

    kind: str  # "greater" | "lesser" | "match"
    column: int  # position in the table's columns
    number: str | None = None  # the pivot as typed ("1,500"), comparisons only
    value: float | None = None  # the pivot's value, comparisons only
    word: str | None = None  # the word a text match looks for


@dataclass(frozen=True)
class GrammarQuestion:
    """A question of the grammar: filters, an optional connector and an aggregation."""

    filters: tuple[Filter, ...]
    connector: str | None
    aggregation: str  # "sum" | "count" | "print", or "sum diff count" / "count diff sum" (no filters there)
    column: int | None  # the aggregated column (sum, print and the diff forms' sum), else None


# A slot of a template: an operation word (any of its synonyms), a connector, or one of these.
COLUMN, NUMBER, WORD = "<column>", "<number>", "<word>"
_FORMS: dict[str, list[list[str]]] = {}
for _form, _op in SYNONYM_TO_OP.items():
    _FORMS.setdefault(_op, []).append(_form.split())
for _conn in CONNECTORS:
    _FORMS[_conn] = [[_conn]]
# words a text filter's word can never be: they belong to the grammar itself
RESERVED = {w for forms in _FORMS.values() for form in forms for w in form}

_AGG_SLOTS = [("sum", COLUMN), ("count",), ("print", COLUMN)]
_FILTER_SLOTS = [("greater", NUMBER, COLUMN), ("lesser", NUMBER, COLUMN), (WORD, COLUMN)]
PATTERNS = (
    _AGG_SLOTS
    + [f + a for f in _FILTER_SLOTS for a in _AGG_SLOTS]
    + [f1 + (c,) + f2 + a for f1 in _FILTER_SLOTS for c in CONNECTORS for f2 in _FILTER_SLOTS for a in _AGG_SLOTS]
    + [("sum", COLUMN, "diff", "count"), ("count", "diff", "sum", COLUMN)]
)


def _slot_matches(slot: str, prev: str | None, toks: list[str], i: int, names: list[list[str]]):
    """(value, next position) for every way `slot` can read toks[i:]; value is a column index, a token
    (number or word) or the slot itself (an operation word)."""
    if slot == COLUMN:
        found = [(c, i + len(n)) for c, n in enumerate(names) if n and toks[i:i + len(n)] == n]
        if len(names) == 1 and prev != WORD:  # one column: its name may be left out (not after a text word)
            found.append((0, i))
        return found
    if i >= len(toks):
        return []
    if slot == NUMBER:
        return [(toks[i], i + 1)] if parse_number(toks[i]) is not None else []
    if slot == WORD:
        ok = toks[i] not in RESERVED and parse_number(toks[i]) is None
        return [(toks[i], i + 1)] if ok else []
    return [(slot, i + len(f)) for f in _FORMS[slot] if toks[i:i + len(f)] == f]


def _match(pattern: tuple, toks: list[str], names: list[list[str]], k: int = 0, i: int = 0) -> list | None:
    """The slot values of the first way `pattern[k:]` reads exactly toks[i:], or None (backtracking)."""
    if k == len(pattern):
        return [] if i == len(toks) else None
    for value, j in _slot_matches(pattern[k], pattern[k - 1] if k else None, toks, i, names):
        rest = _match(pattern, toks, names, k + 1, j)
        if rest is not None:
            return [value] + rest
    return None


def _filter(slots: tuple, values: list) -> Filter:
    if slots[0] == WORD:
        return Filter("match", values[1], word=values[0])
    return Filter(slots[0], values[2], number=values[1], value=parse_number(values[1]))


def parse(question: str, columns: list[str]) -> GrammarQuestion | None:
    """The question as the grammar reads it, or None when it is not one of the grammar's questions."""
    toks = tokenize(question)
    names = [tokenize(c) for c in columns]
    for pattern in PATTERNS:
        if len(pattern) - pattern.count(COLUMN) > len(toks):  # every other slot reads a token or more
            continue
        values = _match(pattern, toks, names)
        if values is None:
            continue
        if "diff" in pattern:
            return GrammarQuestion((), None, " ".join(s for s in pattern if s != COLUMN),
                                   values[pattern.index(COLUMN)])
        agg = pattern[-2:] if pattern[-1] == COLUMN else pattern[-1:]
        head, head_values = pattern[:-len(agg)], values[:-len(agg)]
        column = values[-1] if agg[-1] == COLUMN else None
        if not head:
            return GrammarQuestion((), None, agg[0], column)
        conn = next((i for i, s in enumerate(head) if s in CONNECTORS), None)
        if conn is None:
            return GrammarQuestion((_filter(head, head_values),), None, agg[0], column)
        first = _filter(head[:conn], head_values[:conn])
        second = _filter(head[conn + 1:], head_values[conn + 1:])
        return GrammarQuestion((first, second), head[conn], agg[0], column)
    return None


def canonical(q: GrammarQuestion, columns: list[str]) -> str:
    """The canonical program with the table's names and the question's numbers: 'greater 50 sales count'."""
    if "diff" in q.aggregation:
        first, _, second = q.aggregation.split()
        return " ".join(w if w != "sum" else f"sum {columns[q.column]}" for w in (first, "diff", second))
    parts = []
    for i, f in enumerate(q.filters):
        if i:
            parts.append(q.connector)
        parts.append(f"{f.word} {columns[f.column]}" if f.kind == "match" else
                     f"{f.kind} {f.number} {columns[f.column]}")
    parts.append(q.aggregation if q.column is None else f"{q.aggregation} {columns[q.column]}")
    return " ".join(parts)
