"""Question grammar of the 2016 synthetic dataset (spec 7.2-7.5): enumerate and sample templates.

A template is a tuple of tokens. Strings are op words, connectors or placeholders ([n], [n1], [n2],
[w]); ints are column positions (text columns 0..K-1 first, then numeric columns K..K+C-1), so one
template list serves every naming of the columns (letters, or header words for names-5).

    <agg>     := sum X | count | print X        X numeric for sum, any column for print
    <filter>  := greater [n] Y | lesser [n] Y   Y numeric
               | [w] Y                          Y text (text tasks only)
    template  := <agg> | <filter> <agg> | <filter1> and|or <filter2> <agg>
               | sum X diff count | count diff sum X

Two-filter forms pair two *different* filter kinds (greater/lesser/text) in either order. With
numeric columns only this is exactly greater-and-lesser, lesser-and-greater, greater-or-lesser and
lesser-or-greater, so the count is N(C) = 8C^3 + 8C^2 + 6C + 1 (spec 7.3). For K text and C numeric
columns (T = K + C, A = C + T + 1 aggregations, F = 2C + K filters) it is
A + F*A + 2*(2C^2 + 4CK)*A + 2C, which gives 66 for text-2 (1 + 1) and 843 for text-5 (2 + 3).
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np

# Surface forms per canonical op (spec 7.4). Without word variability the canonical key is written.
OP_WORDS: dict[str, list[str]] = {
    "sum": ["sum", "total", "total of", "sum of"],
    "count": ["count", "count of", "how many"],
    "print": ["print", "display", "show"],
    "greater": ["greater", "greater than", "bigger", "bigger than", "larger", "larger than"],
    "lesser": ["lesser", "lesser than", "smaller", "smaller than", "under"],
    "diff": ["difference", "difference between"],
}
CONNECTORS = ("and", "or")
CATEGORIES = ("aggregation", "comparison", "logic", "arithmetic")
SYNONYM_TO_OP = {s: op for op, forms in OP_WORDS.items() for s in forms} | {op: op for op in OP_WORDS}


def _number_placeholders(f1: tuple, f2: tuple) -> tuple[tuple, tuple]:
    """Two numeric filters get [n1] and [n2]; a lone number keeps [n]."""
    if "[n]" in f1 and "[n]" in f2:
        return tuple("[n1]" if t == "[n]" else t for t in f1), tuple("[n2]" if t == "[n]" else t for t in f2)
    return f1, f2


@cache
def canonical(k: int, c: int) -> dict[str, list[tuple]]:
    """Canonical templates per category for K text + C numeric columns."""
    num, cols = range(k, k + c), range(k + c)
    aggs = [("sum", x) for x in num] + [("count",)] + [("print", x) for x in cols]
    filters = {"greater": [("greater", "[n]", y) for y in num],
               "lesser": [("lesser", "[n]", y) for y in num],
               "text": [("[w]", y) for y in range(k)]}
    single = [f + a for fs in filters.values() for f in fs for a in aggs]
    logic = []
    for kind1, kind2 in itertools.permutations(filters, 2):
        for conn, f1, f2 in itertools.product(CONNECTORS, filters[kind1], filters[kind2]):
            f1, f2 = _number_placeholders(f1, f2)
            logic += [f1 + (conn,) + f2 + a for a in aggs]
    diff = [("sum", x, "diff", "count") for x in num] + [("count", "diff", "sum", x) for x in num]
    return dict(zip(CATEGORIES, ([a for a in aggs], single, logic, diff), strict=True))


def _forms(token, variability: bool) -> list:
    if isinstance(token, str) and token in OP_WORDS:
        return OP_WORDS[token] if variability else [token]
    return [token]


@cache
def surface_all(k: int, c: int, variability: bool) -> list[tuple]:
    """Every surface template (every synonym combination) for K text + C numeric columns."""
    out = []
    for tmpl in itertools.chain(*canonical(k, c).values()):
        out += itertools.product(*(_forms(t, variability) for t in tmpl))
    return out


@cache
def _weights(k: int, c: int, variability: bool) -> tuple[list[tuple], np.ndarray]:
    """All canonical templates and the cumulative count of their surface variants."""
    allc = list(itertools.chain(*canonical(k, c).values()))
    return allc, np.cumsum([math.prod(len(_forms(t, variability)) for t in tmpl) for tmpl in allc])


def sample(k: int, c: int, variability: bool, uniform: bool, rng: np.random.Generator) -> tuple:
    """One surface template: category then template uniformly (or uniformly over all surface
    templates when `uniform`), then each op word's synonym uniformly."""
    if uniform:
        allc, cum = _weights(k, c, variability)
        tmpl = allc[int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))]
    else:
        pool = canonical(k, c)[CATEGORIES[rng.integers(len(CATEGORIES))]]
        tmpl = pool[rng.integers(len(pool))]
    if not variability:
        return tmpl
    return tuple(f[rng.integers(len(f))] if len(f := _forms(t, True)) > 1 else t for t in tmpl)


def to_canonical(template: tuple) -> tuple:
    """Replace every synonym by its canonical op name (column positions and placeholders stay)."""
    return tuple(SYNONYM_TO_OP.get(t, t) if isinstance(t, str) else t for t in template)


def render(template: tuple, names: list[str], fill: dict[str, str] | None = None) -> str:
    """The template as text: column positions become names, placeholders are filled if given."""
    fill = fill or {}
    return " ".join(names[t] if isinstance(t, int) else fill.get(t, t) for t in template)
