"""Honest guesses: why an answer is a guess (unknown words, a form of question never trained on), and the closest
question the checkpoint does read, built from its own grammar (engine/np2016/data/templates.py) for the table.
"""

from __future__ import annotations

import math

import numpy as np

from engine.core.vocab import parse_number, tokenize
from engine.np2016.data import templates as tg
from engine.np2016.data.question_grammar import parse
from explorer.questions import column_slots, render, text_cells

# Everyday English for the grammar's words, so a question asked in plain words maps onto the grammar.
PLAIN_WORDS: dict[str, tuple[str, ...]] = {
    "sum": ("sum", "sum of", "total", "total of", "add up", "altogether", "combined", "summed"),
    "count": ("count", "count of", "how many", "number of", "counted"),
    "print": ("print", "show", "show me", "list", "display", "give me"),
    "greater": ("greater", "greater than", "more than", "above", "over", "bigger", "bigger than", "larger",
                "larger than", "higher", "higher than", "exceeds", "exceeding", "at least", "after", "since",
                "older than"),
    "lesser": ("lesser", "lesser than", "less than", "below", "under", "smaller", "smaller than", "lower",
               "lower than", "fewer than", "at most", "before", "until", "younger than", "cheaper than"),
    "diff": ("diff", "difference", "difference between", "minus"),
    "and": ("and",),
    "or": ("or",),
}
HINT_PRINT = ("what is", "what are", "what was", "what were", "which", "tell me")  # a weak hint of print
_PHRASES = sorted(
    [(tuple(f.split()), op, 3.0) for op, forms in PLAIN_WORDS.items() for f in forms]
    + [(tuple(f.split()), "print", 1.0) for f in HINT_PRINT],
    key=lambda x: -len(x[0]),
)
AGGREGATING, COMPARING = ("sum", "print"), ("greater", "lesser")


def guess_reasons(question: str, columns: list[str], report: dict) -> list[str]:
    """Why an answer to this question is a guess (empty: the model was trained on questions like it)."""
    out = []
    if report["unknown"]:
        out.append("it does not know the word(s) " + ", ".join(report["unknown"]))
    if parse(question, columns) is None:
        out.append("the question is not one of the forms it was trained on")
    return out


def _names_at(toks: list[str], i: int, names: list[list[str]]) -> int | None:
    """The column whose name starts at toks[i] (the longest; a one-word name also in the plural)."""
    def starts_here(n: list[str]) -> bool:
        return toks[i:i + len(n)] == n or (len(n) == 1 and toks[i] == n[0] + "s")

    found = [j for j, n in enumerate(names) if n and starts_here(n)]
    return max(found, key=lambda j: len(names[j]), default=None)


def named_columns(question: str, columns: list[str]) -> set[int]:
    """The columns whose name (the longest at a place; a one-word name also in the plural) the question says."""
    toks, names = tokenize(question), [tokenize(c) for c in columns]
    return {j for i in range(len(toks)) if (j := _names_at(toks, i, names)) is not None}


def _read_plain(question: str, columns: list[str], cells: dict[str, list[int]] | None) -> list[tuple]:
    """The question as items (kind, value, weight): "col" (column index), "num" (as typed), "op"
    (a grammar word), "cell" ((columns holding it, word)); every other word is left out. A word of the
    text-cell form word:k that is not in the table is a cell of no column yet."""
    toks, names = tokenize(question), [tokenize(c) for c in columns]
    items, i = [], 0
    while i < len(toks):
        col = _names_at(toks, i, names)
        phrase = next((p for p in _PHRASES if toks[i:i + len(p[0])] == list(p[0])), None)
        if col is not None:
            items.append(("col", col, 0.0))
            i += len(names[col])
        elif parse_number(toks[i]) is not None:
            items.append(("num", toks[i], 0.0))
            i += 1
        elif phrase is not None:
            items.append(("op", phrase[1], phrase[2]))
            i += len(phrase[0])
        else:
            if cells is not None and (toks[i] in cells or toks[i].startswith("word:")):
                items.append(("cell", (cells.get(toks[i], []), toks[i]), 0.0))
            i += 1
    return items


def _ranges(rows: list[list], num_cols: list[int]) -> dict[int, tuple[float, float]]:
    """Numeric column -> (smallest, largest) of its cells (columns with no cells left out)."""
    out = {}
    for j in num_cols:
        values = [float(r[j]) for r in rows if isinstance(r[j], (int, float))]
        if values:
            out[j] = (min(values), max(values))
    return out


def _fitting_column(number: str, ranges: dict[int, tuple[float, float]]) -> int | None:
    """The numeric column whose values the number falls among (the narrowest such range: the most specific
    evidence), or None when it fits none: "after 2015" is about the column of years, whatever is named near it."""
    value = parse_number(number)
    fits = [j for j, (lo, hi) in ranges.items() if value is not None and lo <= value <= hi]
    return min(fits, key=lambda j: (ranges[j][1] - ranges[j][0], j), default=None)


def _compared_column(after: list[tuple], before: list[tuple], ranges: dict[int, tuple[float, float]]) -> int | None:
    """The column a comparison word is about: the column named right after it or its number ("greater 50 X"),
    else the one named right before the word ("X above 50"). A column right before that is already what an
    aggregation asks for ("total profit after 2015") is a weak reading: when the number does not fit its values
    but fits another column's, that column is meant (the year), as it is when no column is named at all."""
    number = after[0][1] if after[:1] and after[0][0] == "num" else None
    named_after = after[int(number is not None):][:1]
    if named_after and named_after[0][0] == "col":
        return named_after[0][1]
    col = before[0][1] if before[:1] and before[0][0] == "col" else None
    if number is None:
        return col
    aggregated = col is not None and before[1:2] and before[1][0] == "op" and before[1][1] in AGGREGATING
    lo, hi = ranges.get(col, (-math.inf, math.inf))
    if col is None or (aggregated and not lo <= parse_number(number) <= hi):
        fitting = _fitting_column(number, ranges)
        return col if fitting is None else fitting
    return col


def _user_features(items: list[tuple], text_cols: list[int], ranges: dict[int, tuple[float, float]]) -> dict:
    """Operations (with weights), (operation, column) pairs, mentioned columns (with those a number was found to
    be about), numbers, the comparisons (operation, column, number) and text words (column -> word)."""
    ops, pairs, comparisons, words = {}, set(), [], {}
    for k, (kind, value, weight) in enumerate(items):
        if kind == "cell":
            near = [it[1] for it in items[max(k - 1, 0):k] + items[k + 1:k + 2] if it[0] == "col"]
            # "B is word:1": the text column named next to the word (the user's reading), else one holding it
            col = next((c for c in near if c in text_cols), (value[0] or text_cols)[0])
            pairs.add(("match", col))
            words.setdefault(col, value[1])
        if kind != "op":
            continue
        ops[value] = max(ops.get(value, 0.0), weight)
        after = [it for it in items[k + 1:] if it[0] != "cell"]
        before = [it for it in reversed(items[:k]) if it[0] != "cell"]
        if value in AGGREGATING:  # sum X / print X: the column right after, else right before
            col = next((it[1] for it in after[:1] + before[:1] if it[0] == "col"), None)
        elif value in COMPARING:
            col = _compared_column(after, before, ranges)
            if after[:1] and after[0][0] == "num":
                comparisons.append((value, col, after[0][1]))
        else:
            col = None
        if col is not None:
            pairs.add((value, col))
    found = {c for _, c, _ in comparisons if c is not None}
    return {"ops": ops, "pairs": pairs, "cols": {v for kind, v, _ in items if kind == "col"} | found,
            "numbers": [v for kind, v, _ in items if kind == "num"], "comparisons": comparisons, "words": words}


def _numbers_for(tmpl: tuple, order: list[int], user: dict) -> list[str]:
    """The user's numbers for the template's comparisons, in the template's order: the number said with
    the same comparison on the same column first, then with the same comparison, then any left over."""
    left = list(user["comparisons"])
    loose = [n for n in user["numbers"] if n not in {c[2] for c in left}]
    out = []
    for i, t in enumerate(tmpl):
        if t in COMPARING and i + 2 < len(tmpl):
            col = order[tmpl[i + 2]]
            pick = next((c for c in left if c[:2] == (t, col)), None) or next((c for c in left if c[0] == t), None)
            if pick is not None:
                left.remove(pick)
                out.append(pick[2])
            else:
                out.append(loose.pop(0) if loose else (left.pop(0)[2] if left else None))
    return out


def _template_features(tmpl: tuple, order: list[int]) -> tuple[set, set, set, int]:
    """(operations, (operation, column) pairs, columns, number slots) of a canonical template."""
    ops, pairs, cols = set(), set(), set()
    for i, t in enumerate(tmpl):
        if isinstance(t, int):
            cols.add(order[t])
            head = tmpl[i - 1] if i else None
            head = tmpl[i - 2] if head in ("[n]", "[n1]", "[n2]") else head
            kind = "match" if head == "[w]" else head
            if kind in AGGREGATING + COMPARING + ("match",):
                pairs.add((kind, order[t]))
        elif t in PLAIN_WORDS:
            ops.add(t)
    return ops, pairs, cols, sum(t in ("[n]", "[n1]", "[n2]") for t in tmpl)


def _score(user: dict, tmpl: tuple, order: list[int]) -> float:
    ops, pairs, cols, n_numbers = _template_features(tmpl, order)
    s = sum(w if op in ops else -w * 2 / 3 for op, w in user["ops"].items())
    s -= sum(0.5 if op == "count" else 1.0 for op in ops - set(user["ops"]))  # count: the plainest default
    s += 2.0 * len(user["pairs"] & pairs)
    s -= 1.5 * len(user["cols"] - cols) + 0.5 * len(cols - user["cols"])
    return s - 2.0 * abs(len(user["numbers"]) - n_numbers)


def _op_words(vocab) -> dict[str, str]:
    """The word the checkpoint knows for each grammar operation (words-5 knows "difference", not "diff")."""
    def first_known(forms: list[str]) -> str:
        return next((f for f in forms if vocab is None or all(w in vocab for w in f.split())), forms[0])

    return {op: first_known([op, *words]) for op, words in tg.OP_WORDS.items()}


def closest_question(question: str, columns: list[str], rows: list[list], kinds: list[str],
                     ops: tuple[str, ...], vocab=None) -> str | None:
    """The question of the checkpoint's grammar closest to `question` (None: it is one, or no column can be asked
    about): the user's numbers and columns kept, plain English mapped (total → sum…), every template ranked."""
    if parse(question, columns) is not None:
        return None
    text, num = column_slots(kinds, ops)
    if not num and not text:
        return None
    order = text + num
    cells = text_cells(columns, rows, kinds) if text else None
    user = _user_features(_read_plain(question, columns, cells), text, _ranges(rows, num))
    pool = [t for group in tg.canonical(len(text), len(num)).values() for t in group]
    best = max(pool, key=lambda t: (_score(user, t, order), -len(t)))
    words_for = {t: user["words"][order[t]] for t in range(len(order)) if order[t] in user["words"]}
    names = [columns[j] for j in order]
    numbers = _numbers_for(best, order, user)
    out = render(best, names, order, rows, np.random.default_rng(0), numbers, words_for, _op_words(vocab))
    return out if parse(out, columns) is not None else None
