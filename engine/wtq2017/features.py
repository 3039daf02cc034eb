"""The 2017 pre-processing (spec §3.2): a table's features, computed once per table (`table_features`, cached by
the converter), and a question's, read against them (`question_features`). docs/wtq.md ("The JSONL line" and
"Choices") states every rule: column kinds, model columns, dates, most frequent entry, entry and column-name
matches, anonymisation, question numbers and their pivot positions, the appended special tokens."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass

from engine.wtq2017.dataset.tables import WtqTable
from engine.wtq2017.dataset.values import (
    MONTHS,
    cell_number,
    content,
    content_words,
    date_number,
    fold,
    token_number,
    tokens,
    whole_date,
    whole_number,
    without_asides,
)

__all__ = ["MAX_NUMBER_COLUMNS", "MAX_WORD_COLUMNS", "Preprocessing", "PAPER_PREPROCESSING", "TableFeatures",
           "table_features", "UNK", "ENTRY_MATCH", "COLUMN_MATCH", "QuestionFeatures", "question_features"]

UNK, ENTRY_MATCH, COLUMN_MATCH = "<unk>", "<entry_match>", "<column_match>"

MAX_NUMBER_COLUMNS = 15  # TF max_number_cols
MAX_WORD_COLUMNS = 25  # TF max_word_cols


@dataclass(frozen=True)
class Preprocessing:
    """How a question is matched against its table, beyond the paper (issue 21, item 3; ModelConfig's switches of
    the same names). cell_text "normalised": a cell matches without its asides (values.without_asides), as the
    reference code's cleaned cells do. dates "value": a date written in the question is one number (TF's date
    value) and matches the date cells it agrees with, and a year in the question matches the date cells of that
    year."""

    cell_text: str = "as_is"  # or "normalised"
    dates: str = "text"  # or "value"

    def as_dict(self) -> dict:
        return asdict(self)


PAPER_PREPROCESSING = Preprocessing()

@dataclass
class TableFeatures:
    table: WtqTable
    kinds: list[str]  # "number" or "word", per column
    model_columns: list[int]  # the columns the model may select, in table order
    values: list[list[float | None]]  # processed value per cell, row-major
    dates: list[list[int]]  # [row, column, year, month, day] per date cell (-1 = unknown field)
    most_frequent: list[list[int]]  # [row, column] per cell marked by group_by_max
    cell_tokens: dict[tuple[int, int], tuple[str, ...]]  # word-column cells of model columns -> tokens
    name_tokens: list[tuple[str, ...]]  # per column
    cell_has_content: dict[tuple[int, int], bool]  # a cell with a token that can make an exact match
    cell_words: dict[tuple[int, int], frozenset[str]]  # the words a partial match can share
    preprocessing: Preprocessing = PAPER_PREPROCESSING


def _kind(cells: list[str | None]) -> str:
    present = [c for c in cells if c is not None]
    return "number" if present and all(whole_number(c) is not None for c in present) else "word"


def _most_frequent(column: list[str | None], kind: str) -> list[int]:
    """Rows holding the column's most frequent value, if it occurs more than once."""
    keys = [None if c is None else (whole_number(c) if kind == "number" else " ".join(fold(c).split()))
            for c in column]
    counts = Counter(k for k in keys if k is not None)
    if not counts:
        return []
    best, n = counts.most_common(1)[0]  # most_common keeps first-seen order among ties
    return [i for i, k in enumerate(keys) if k == best] if n > 1 else []


def table_features(table: WtqTable, preprocessing: Preprocessing = PAPER_PREPROCESSING) -> TableFeatures:
    m, c = len(table.rows), len(table.columns)
    columns = [[table.rows[i][j] for i in range(m)] for j in range(c)]
    kinds = [_kind(col) for col in columns]
    model = sorted([j for j, k in enumerate(kinds) if k == "number"][:MAX_NUMBER_COLUMNS]
                   + [j for j, k in enumerate(kinds) if k == "word"][:MAX_WORD_COLUMNS])
    values = [[cell_number(cell) for cell in row] for row in table.rows]
    dates = [[i, j, *ymd] for i, row in enumerate(table.rows) for j, cell in enumerate(row)
             if cell is not None and kinds[j] == "word" and (ymd := whole_date(cell)) is not None]
    most_frequent = sorted([i, j] for j in model for i in _most_frequent(columns[j], kinds[j]))
    matched_text = without_asides if preprocessing.cell_text == "normalised" else str
    cell_tokens = {(i, j): tuple(tokens(matched_text(table.rows[i][j]))) for j in model if kinds[j] == "word"
                   for i in range(m) if table.rows[i][j] is not None}
    return TableFeatures(table, kinds, model, values, dates, most_frequent, cell_tokens,
                         [tuple(tokens(name)) for name in table.columns],
                         {key: bool(content(toks)) for key, toks in cell_tokens.items()},
                         {key: frozenset(content_words(toks)) for key, toks in cell_tokens.items()}, preprocessing)


# ----------------------------------------------------------------------------- a question against its table


@dataclass
class QuestionFeatures:
    tokens: list[str]  # the question's tokens
    words: list[str]  # anonymised, numbers removed, special tokens appended: what the model reads
    numbers: list[float]  # in order of appearance
    number_positions: list[int]  # pivot position of each number (an index into words)
    entry_match: list[list[int]]  # [row, column] of every matching cell (sorted)
    entry_match_kind: str  # "exact", "partial" or "none"
    entry_match_count: list[int]  # per column: cells matching exactly (TF's n^match_c)
    column_match: list[int]  # per column: 1 when its name matches the question
    column_match_kind: str  # "exact", "partial" or "none"
    anonymised: list[list[int]]  # [start, end) token spans replaced by <unk>


def _spans(needle: tuple[str, ...], hay: list[str]) -> list[tuple[int, int]]:
    n = len(needle)
    return [(s, s + n) for s in range(len(hay) - n + 1) if tuple(hay[s:s + n]) == needle]


def _ngrams(toks: list[str], lengths: set[int]) -> set[tuple[str, ...]]:
    """The question's n-grams of the given lengths only: a cell or name can only match one of its own length
    (and a long question never builds all of its O(n^2) n-grams)."""
    return {tuple(toks[s:s + n]) for n in lengths for s in range(len(toks) - n + 1)}


_BEFORE_PUNCT = re.compile(r"\s+([,.])")
DATE_SPAN_TOKENS = 6  # "the 3rd of january , 2005" is the longest form


def _date_spans(toks: list[str]) -> list[tuple[int, int, tuple[int, int, int]]]:
    """The dates written in a question's tokens with a month's name, as (start, end, (year, month, day)) token
    spans, longest first from each start; a bare year stays a number."""
    spans, s = [], 0
    while s < len(toks):
        for e in range(min(len(toks), s + DATE_SPAN_TOKENS), s, -1):
            if not any(t in MONTHS for t in toks[s:e]):
                continue
            if (ymd := whole_date(_BEFORE_PUNCT.sub(r"\1", " ".join(toks[s:e])))) is not None:
                spans.append((s, e, ymd))
                s = e - 1
                break
        s += 1
    return spans


def _agrees(question_date: tuple[int, int, int], cell_date) -> bool:
    """Two dates agree: every field both know is equal, and they share at least two (a month alone is no date)."""
    shared = [(q, c) for q, c in zip(question_date, cell_date, strict=True) if q != -1 and c != -1]
    return len(shared) >= 2 and all(q == c for q, c in shared)


def _date_matches(toks: list[str], spans, feats: TableFeatures) -> set[tuple[int, int]]:
    """Date cells of the model's columns that a date in the question agrees with, or whose year the question
    names (a whole number from 1000 to 2999 outside a date)."""
    inside = {k for s, e, _ in spans for k in range(s, e)}
    years = {int(v) for k, t in enumerate(toks) if k not in inside and (v := token_number(t)) is not None
             and v.is_integer() and 1000 <= v <= 2999}
    model = set(feats.model_columns)
    return {(i, j) for i, j, *cell in feats.dates if j in model
            and (cell[0] in years or any(_agrees(ymd, cell) for _, _, ymd in spans))}


def question_features(question: str, feats: TableFeatures) -> QuestionFeatures:
    toks = tokens(question)
    lengths = {len(t) for t in feats.cell_tokens.values()} | {len(feats.name_tokens[j]) for j in feats.model_columns}
    grams, words_in_q = _ngrams(toks, lengths - {0}), content_words(toks)
    c = len(feats.table.columns)
    exact, counts, spans = set(), [0] * c, set()
    for (i, j), cell in feats.cell_tokens.items():
        if cell in grams and feats.cell_has_content[(i, j)]:
            exact.add((i, j))
            counts[j] += 1
            spans.update(_spans(cell, toks))
    by_value = feats.preprocessing.dates == "value"
    spans_of_dates = _date_spans(toks) if by_value else []
    in_dates = {k for s, e, _ in spans_of_dates for k in range(s, e)}
    # a number inside a date by value ("march 5, 2006") is not a number of its own
    q_numbers = {v for k, t in enumerate(toks) if k not in in_dates and (v := token_number(t)) is not None}
    for j in (j for j in feats.model_columns if feats.kinds[j] == "number"):
        for i, row in enumerate(feats.values):
            if row[j] is not None and feats.table.rows[i][j] is not None and row[j] in q_numbers:
                exact.add((i, j))
                counts[j] += 1
    for i, j in _date_matches(toks, spans_of_dates, feats) - exact if by_value else ():
        exact.add((i, j))
        counts[j] += 1
    # partial matches only when nothing matched exactly, for cells and for column names alike
    matched = exact or {key for key, words in feats.cell_words.items() if words & words_in_q}
    name_toks = feats.name_tokens
    exact_names = {j for j in feats.model_columns if content(name_toks[j]) and name_toks[j] in grams}
    names = exact_names or {j for j in feats.model_columns if content_words(name_toks[j]) & words_in_q}
    name_match = [int(j in names) for j in range(c)]

    # by value, a date in the question is never hidden: it is one number (TF's date value), so "after march 5,
    # 2006" can compare, while the date cells it names match all the same
    hidden = {k for s, e in spans for k in range(s, e)} - in_dates
    shown: list = [UNK if k in hidden else t for k, t in enumerate(toks)]
    for s, e, ymd in reversed(spans_of_dates):
        shown[s:e] = [date_number(ymd)]
    words, numbers, positions = [], [], []
    for t in shown:
        value = t if isinstance(t, float) else token_number(t) if t != UNK else None
        if value is None:
            words.append(t)
        else:
            numbers.append(value)
            positions.append(max(len(words) - 1, 0))
    if matched:
        words.append(ENTRY_MATCH)
    if names:
        words.append(COLUMN_MATCH)
    return QuestionFeatures(
        tokens=toks, words=words, numbers=numbers, number_positions=positions,
        entry_match=sorted([i, j] for i, j in matched),
        entry_match_kind="exact" if exact else "partial" if matched else "none", entry_match_count=counts,
        column_match=name_match, column_match_kind="exact" if exact_names else "partial" if names else "none",
        anonymised=_merge(sorted(hidden)))


def _merge(positions: list[int]) -> list[list[int]]:
    """Sorted token positions as [start, end) runs."""
    runs: list[list[int]] = []
    for p in positions:
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + 1
        else:
            runs.append([p, p + 1])
    return runs
