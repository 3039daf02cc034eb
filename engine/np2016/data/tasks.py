"""The synthetic table-comprehension dataset of Neural Programmer 2016 (spec section 7).

Each example is a random table plus a question from the template grammar (engine/np2016/data/templates.py) and
its answer, computed by `reference_answer`, a plain numpy interpreter of the canonical program.

Test-template counts (`templates(task)`, the test-time column set):

    single-column 23   columns-3 307   columns-5 1231   columns-10 8861   (P16 reports 7900 for 10)
    words-1 1368       words-5 116368 (P16: 24000, presumably a sample)
    text-2 66          text-5 843      (text grammar not given by P16; ours, see templates.py)
    names-5 1231       (column slots are positional; rendered A..E by `templates`)

Train split: C ~ U[1, max_columns] (and K ~ U[1, text_columns]), category uniform then template uniform (or
uniform over all surface templates for words-5), synonyms uniform per op word; the valid split likewise, on a
random stream of its own. Test split: exactly the max column set, and templates drawn *without replacement* (a
permutation, restarted when n exceeds the count), so n = len(templates(task)) gives every test template exactly
once, as in P16 ("each question in the test set is unique").
"""

from __future__ import annotations

import gc
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.np2016.data import templates as tg
from engine.np2016.data.templates import CONNECTORS, OP_WORDS

TEXT_WORDS = [f"word:{k}" for k in range(10)]
# Real header words for names-5; the held-out pool only ever appears at test time.
TRAIN_NAMES = [
    "sales", "year", "profit", "population", "revenue", "price", "cost", "score", "points", "age",
    "height", "weight", "area", "income", "budget", "votes", "goals", "wins", "rank", "speed",
    "distance", "temperature", "rainfall", "salary", "units", "orders", "visits", "clicks", "rating",
    "length", "width", "depth", "volume", "mass", "duration", "capacity", "attendance", "students",
    "employees", "members"]
HELDOUT_NAMES = [
    "expenses", "margin", "tax", "debt", "assets", "fees", "rent", "bonus", "gdp", "births", "deaths",
    "exports", "imports", "tourists", "runs", "assists", "rebounds", "calories", "protein", "elevation"]
LETTERS = [chr(ord("A") + i) for i in range(26)]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    max_columns: int  # numeric columns: train C ~ U[1, max_columns], test exactly max_columns
    text_columns: int = 0  # text columns: train K ~ U[1, text_columns] when > 0, test exactly
    word_variability: bool = False
    uniform_programs: bool = False  # uniform over all templates instead of category-then-template
    column_names: str = "letters"  # "letters" or "words"
    fixed_columns: bool = False  # text-2: always 1 text + 1 numeric column


TASKS: dict[str, TaskSpec] = {t.name: t for t in [
    TaskSpec("single-column", 1),
    TaskSpec("columns-3", 3),
    TaskSpec("columns-5", 5),
    TaskSpec("columns-10", 10),
    TaskSpec("words-1", 1, word_variability=True),
    TaskSpec("words-5", 5, word_variability=True, uniform_programs=True),
    TaskSpec("text-2", 1, text_columns=1, fixed_columns=True),
    TaskSpec("text-5", 3, text_columns=2),
    TaskSpec("names-5", 5, column_names="words"),
]}


@dataclass(frozen=True)
class SplitSpec:
    min_rows: int
    max_rows: int
    value_range: float  # cells and pivots ~ U[-value_range, value_range], rounded to 2 decimals


# "valid" draws from the training distribution (its ranges, shapes, templates and names) with a random
# stream of its own: model selection never sees a test table, a test range or a held-out name.
SPLITS = {"train": SplitSpec(30, 100, 100.0), "test": SplitSpec(120, 120, 200.0),
          "valid": SplitSpec(30, 100, 100.0)}
TRAINING_SPLITS = ("train", "valid")


@dataclass(frozen=True)
class Style:
    """How generated questions and training tables are written; each switch is one of our additions to the
    paper's data (all on by default; the paper2016 preset turns them off)."""

    shuffle_letters: bool = True  # training tables: distinct letters in random order (test: A, B, ...)
    ordered_pivots: bool = True  # two-comparison questions: pivots that make a real interval / union
    lone_column_name: bool = True  # a one-column table's question names its column ("sum A", not "sum")


def _test_shape(spec: TaskSpec) -> tuple[int, int]:
    return (1, 1) if spec.fixed_columns else (spec.text_columns, spec.max_columns)


def _train_shapes(spec: TaskSpec) -> list[tuple[int, int]]:
    if spec.fixed_columns:
        return [(1, 1)]
    ks = range(1, spec.text_columns + 1) if spec.text_columns else [0]
    return [(k, c) for k in ks for c in range(1, spec.max_columns + 1)]


def templates(task: str, split: str = "test") -> list[str]:
    """All surface templates (column slots as letters), sorted and unique, of the test-time column set or, for
    split="train", of every train column set."""
    spec = TASKS[task]
    shapes = [_test_shape(spec)] if split == "test" else _train_shapes(spec)
    variants = (t for k, c in shapes for t in tg.surface_all(k, c, spec.word_variability))
    return sorted({tg.render(t, LETTERS) for t in variants})


def vocabulary(task: str) -> list[str]:
    """Every whitespace word of a train question or column name, numbers excluded (case kept)."""
    spec = TASKS[task]
    ops = [w for forms in OP_WORDS.values() for f in forms for w in f.split()] if spec.word_variability \
        else list(OP_WORDS)
    names = TRAIN_NAMES if spec.column_names == "words" else LETTERS[:max(k + c for k, c in _train_shapes(spec))]
    return sorted(set(ops) | set(CONNECTORS) | set(names) | set(TEXT_WORDS if spec.text_columns else []))


# ----------------------------------------------------------------------------- reference answers

def _execute(names: list[str], cols: list[np.ndarray], program: str) -> dict:
    """Run a filled canonical program on column arrays (float for numeric, str for text)."""
    tok = program.split()
    col = {n: i for i, n in enumerate(names)}
    m = len(cols[0])
    if "diff" in tok:  # "sum X diff count" | "count diff sum X": no filter, M = all rows
        total = float(cols[col[tok[1] if tok[0] == "sum" else tok[3]]].sum())
        return {"scalar": round((total - m if tok[0] == "sum" else m - total) + 0.0, 4)}
    if tok[-1] == "count":
        agg, target, tok = "count", None, tok[:-1]
    else:
        agg, target, tok = tok[-2], col[tok[-1]], tok[:-2]
    mask = np.ones(m, dtype=bool)
    if tok:
        conn = next((t for t in tok if t in CONNECTORS), None)
        if conn is None:
            mask = _filter(tok, col, cols)
        else:
            i = tok.index(conn)
            a, b = _filter(tok[:i], col, cols), _filter(tok[i + 1:], col, cols)
            mask = a & b if conn == "and" else a | b
    if agg == "count":
        return {"scalar": float(mask.sum())}
    if agg == "sum":
        return {"scalar": round(float(cols[target][mask].sum()) + 0.0, 4)}
    return {"cells": [[int(r), target] for r in np.flatnonzero(mask)]}


def _filter(tok: list[str], col: dict[str, int], cols: list[np.ndarray]) -> np.ndarray:
    if tok[0] == "greater":
        return cols[col[tok[2]]] > float(tok[1])
    if tok[0] == "lesser":
        return cols[col[tok[2]]] < float(tok[1])
    return cols[col[tok[1]]] == tok[0]  # text match: "word:k Y"


def reference_answer(columns: list[str], rows: list[list], program: str) -> dict:
    """Answer of a filled canonical program, e.g. "greater 50.32 A and lesser 20.21 B sum A":
    {"scalar": x} or {"cells": [[row, col], ...]} (0-based, sorted)."""
    cols = [np.asarray(c) for c in zip(*rows, strict=True)] if rows else [np.zeros(0)] * len(columns)
    return _execute(list(columns), cols, program)


# ----------------------------------------------------------------------------- generation

def _ordered_pivots(canon: tuple, fill: dict) -> dict:
    """Pivots of a two-comparison question, ordered so that the filter is not trivially empty or full.

    Spec A5 leaves the pivot distribution open. Independent pivots make `greater n1 and lesser n2` empty half the
    time (answer 0 whatever the program), a shortcut that traps training. So the greater-than gets the smaller of
    two values under `and` (a real interval) and the larger under `or` (a real union of two tails)."""
    low, high = sorted((fill["[n1]"], fill["[n2]"]), key=float)
    first_is_greater = canon[canon.index("[n1]") - 1] == "greater"
    g, l_ = (low, high) if "and" in canon else (high, low)  # the greater-than gets the low pivot under `and`
    return {"[n1]": g, "[n2]": l_} if first_is_greater else {"[n1]": l_, "[n2]": g}


def _example(spec: TaskSpec, split: str, k: int, c: int, template: tuple, rng: np.random.Generator,
             style: Style) -> dict:
    sp = SPLITS[split]
    training = split in TRAINING_SPLITS
    m = int(rng.integers(sp.min_rows, sp.max_rows + 1))
    lim = sp.value_range
    # + 0.0 turns -0.0 into 0.0 so the JSON and the question text never show "-0".
    numeric = np.round(rng.uniform(-lim, lim, size=(m, c)), 2) + 0.0
    if spec.column_names == "words":
        pool = TRAIN_NAMES if training else HELDOUT_NAMES
        names = [pool[i] for i in rng.choice(len(pool), size=k + c, replace=False)]
    elif training and style.shuffle_letters:
        # distinct letters in random order: a column's letter says nothing about its position, so the
        # model must find columns by the name the question uses (as it must for real headers)
        letters = LETTERS[:max(kk + cc for kk, cc in _train_shapes(spec))]
        names = [letters[i] for i in rng.choice(len(letters), size=k + c, replace=False)]
    else:
        names = LETTERS[:k + c]
    if k:
        text = np.asarray(TEXT_WORDS)[rng.integers(len(TEXT_WORDS), size=(m, k))]
        cols = list(text.T) + list(numeric.T)
        rows = [t + v for t, v in zip(text.tolist(), numeric.tolist(), strict=True)]
    else:
        cols, rows = list(numeric.T), numeric.tolist()
    fill = {}
    canon = tg.to_canonical(template)
    for t in template:
        if t in ("[n]", "[n1]", "[n2]"):
            fill[t] = f"{np.round(rng.uniform(-lim, lim), 2) + 0.0:.2f}"
        elif t == "[w]":
            fill[t] = TEXT_WORDS[rng.integers(len(TEXT_WORDS))]
    # the test distribution is fixed whatever the training style: pivots ordered (spec A5 leaves it open)
    if "[n1]" in canon and "[n2]" in canon and (style.ordered_pivots or not training):
        fill.update(_ordered_pivots(canon, fill))
    canonical_question = tg.render(canon, names, fill)
    # the paper's Table 4 writes one-column questions without the name: "greater 50 count", "sum diff count"
    shown = template if style.lone_column_name or k + c > 1 else tuple(t for t in template if not isinstance(t, int))
    return {
        "columns": names,
        "rows": rows,
        "question": tg.render(shown, names, fill),
        "answer": _execute(names, cols, canonical_question),
        "template": tg.render(template, names),
        "program": tg.render(canon, names),
        "canonical_question": canonical_question,
        "task": spec.name,
        "split": split,
    }


STOP_CHECK_EVERY = 100  # examples between two calls of generate's `stop` (about 20 ms of work)


def generate(task: str, split: str, n: int, seed: int, stop: Callable[[], bool] | None = None,
             style: Style = Style()) -> list[dict]:
    """n examples of `task` ("train", "valid" or "test" split), deterministic in (task, split, seed, style).
    stop: called every STOP_CHECK_EVERY examples; once it returns True the examples so far are returned."""
    spec = TASKS[task]
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    rng = np.random.default_rng([seed, zlib.crc32(task.encode()), list(SPLITS).index(split)])
    # Millions of small row lists make the cyclic GC rescan everything (2-3x slower); none are cyclic.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        shapes, out = _train_shapes(spec), []
        if split == "test":
            k, c = _test_shape(spec)
            pool = tg.surface_all(k, c, spec.word_variability)
            order = np.concatenate([rng.permutation(len(pool)) for _ in range(max(1, -(-n // len(pool))))])
        for i in range(n):
            if stop is not None and i % STOP_CHECK_EVERY == 0 and stop():
                break
            if split == "test":
                template = pool[order[i]]
            else:
                k, c = shapes[rng.integers(len(shapes))]
                template = tg.sample(k, c, spec.word_variability, spec.uniform_programs, rng)
            out.append(_example(spec, split, k, c, template, rng, style))
        return out
    finally:
        if gc_was_enabled:
            gc.enable()
