"""Tests of the synthetic dataset generator (engine/np2016/data/tasks.py) against an independent pandas reference."""

import json
import re
from collections import Counter

import pandas as pd
import pytest

from engine.core.io.examples import check_example, dumps_example, read_jsonl
from engine.np2016.data import tasks as data
from engine.np2016.data import templates as tg

NUMBER = re.compile(r"^-?\d+\.\d{2}$")
FILTER = r"(?:(greater|lesser) (-?\d+\.\d{2}) (\S+)|(word:\d) (\S+))"
PROGRAM = re.compile(rf"(?:{FILTER}(?: (and|or) {FILTER})? )?(count|sum \S+|print \S+)")
# Longest synonym first so "total of" is not read as "total" + "of".
SYNONYMS = sorted(((s, op) for op, forms in data.OP_WORDS.items() for s in forms), key=lambda p: -len(p[0]))
SYNONYM_RE = re.compile(r"(?<!\S)(" + "|".join(re.escape(s) for s, _ in SYNONYMS) + r")(?!\S)")


def pandas_answer(ex: dict) -> dict:
    """Answer of ex["canonical_question"] computed with pandas, independently of engine.np2016.data.tasks."""
    df = pd.DataFrame(ex["rows"], columns=ex["columns"])
    q = ex["canonical_question"]
    if m := re.fullmatch(r"sum (\S+) diff count", q):
        return {"scalar": df[m[1]].sum() - len(df)}
    if m := re.fullmatch(r"count diff sum (\S+)", q):
        return {"scalar": len(df) - df[m[1]].sum()}
    m = PROGRAM.fullmatch(q)
    assert m, q

    def cond(op, num, col, word, word_col):
        if op == "greater":
            return df[col] > float(num)
        if op == "lesser":
            return df[col] < float(num)
        return df[word_col] == word

    mask = pd.Series(True, index=df.index)
    if m[1] or m[4]:
        mask = cond(*m.group(1, 2, 3, 4, 5))
        if m[6] == "and":
            mask = mask & cond(*m.group(7, 8, 9, 10, 11))
        elif m[6] == "or":
            mask = mask | cond(*m.group(7, 8, 9, 10, 11))
    agg = m[12].split()
    if agg[0] == "count":
        return {"scalar": int(mask.sum())}
    if agg[0] == "sum":
        return {"scalar": df.loc[mask, agg[1]].sum()}
    j = ex["columns"].index(agg[1])
    return {"cells": [[int(i), j] for i in df.index[mask]]}


def test_template_counts():
    expected = {"single-column": 23, "columns-3": 307, "columns-5": 1231, "columns-10": 8861,
                "words-1": 1368, "words-5": 116368, "text-2": 66, "text-5": 843, "names-5": 1231}
    for task, n in expected.items():
        t = data.templates(task)
        assert len(t) == n, task
        assert t == sorted(set(t))
    for c in range(1, 11):  # spec 7.3: N(C) = 8C^3 + 8C^2 + 6C + 1
        assert sum(map(len, tg.canonical(0, c).values())) == 8 * c**3 + 8 * c**2 + 6 * c + 1
    assert "greater [n1] A and lesser [n2] B sum A" in data.templates("columns-3")
    assert "[w] A sum B" in data.templates("text-2")
    assert "bigger than [n] A total of A" in data.templates("words-1")


@pytest.mark.parametrize("task", list(data.TASKS))
@pytest.mark.parametrize("split", ["train", "test"])
def test_answers_match_pandas(task, split):
    for ex in data.generate(task, split, 300, seed=7):
        ref = pandas_answer(ex)
        if "scalar" in ref:
            assert ex["answer"].keys() == {"scalar"}
            assert ex["answer"]["scalar"] == pytest.approx(float(ref["scalar"]), abs=1e-6), ex["question"]
        else:
            assert ex["answer"] == ref, ex["question"]
        assert data.reference_answer(ex["columns"], ex["rows"], ex["canonical_question"]) == ex["answer"]
        # The surface question reads back to the canonical one by replacing synonyms.
        assert SYNONYM_RE.sub(lambda mt: dict(SYNONYMS)[mt[1]], ex["question"]) == ex["canonical_question"]
        assert SYNONYM_RE.sub(lambda mt: dict(SYNONYMS)[mt[1]], ex["template"]) == ex["program"]
        # Filling the template's placeholders gives the question.
        filled = [w for w, t in zip(ex["question"].split(), ex["template"].split(), strict=True) if w != t]
        assert all(NUMBER.match(w) or w in data.TEXT_WORDS for w in filled)
        assert json.loads(json.dumps(ex)) == ex


@pytest.mark.parametrize("task", list(data.TASKS))
def test_tables(task):
    spec = data.TASKS[task]
    for split, (lo, hi, lim) in {"train": (30, 100, 100), "test": (120, 120, 200)}.items():
        for ex in data.generate(task, split, 100, seed=1):
            rows, cols = ex["rows"], ex["columns"]
            assert lo <= len(rows) <= hi
            assert len(set(cols)) == len(cols)
            assert all(len(r) == len(cols) for r in rows)
            n_text = sum(isinstance(x, str) for x in rows[0])
            n_num = len(cols) - n_text
            if spec.fixed_columns:
                assert (n_text, n_num) == (1, 1)
            elif split == "test":
                assert (n_text, n_num) == (spec.text_columns, spec.max_columns)
            else:
                assert 1 <= n_num <= spec.max_columns
                assert (1 <= n_text <= spec.text_columns) if spec.text_columns else n_text == 0
            for r in rows:  # text columns first, then numbers within range with 2 decimals
                assert all(x in data.TEXT_WORDS for x in r[:n_text])
                assert all(isinstance(x, float) and -lim <= x <= lim and round(x, 2) == x for x in r[n_text:])
            for w in ex["question"].split():
                if NUMBER.match(w):
                    assert -lim <= float(w) <= lim
            if spec.column_names == "letters":
                in_order = [chr(ord("A") + i) for i in range(len(cols))]
                if split == "test":  # (training tables shuffle their letters by default: data.Style)
                    assert cols == in_order
                else:  # distinct letters from the task's set, in any order
                    n_max = spec.max_columns + spec.text_columns
                    assert len(set(cols)) == len(cols) and all("A" <= x < chr(ord("A") + n_max) for x in cols)
            if "cells" in ex["answer"]:
                cells = ex["answer"]["cells"]
                assert cells == sorted(cells)
                assert all(0 <= i < len(rows) and 0 <= j < len(cols) for i, j in cells)


@pytest.mark.parametrize("task", ["columns-3", "words-1", "text-2", "text-5"])
def test_test_split_covers_every_template_once(task):
    exs = data.generate(task, "test", len(data.templates(task)), seed=3)
    assert sorted(ex["template"] for ex in exs) == data.templates(task)


def test_train_category_sampling():
    exs = data.generate("columns-3", "train", 4000, seed=5)
    n_filters = Counter(
        "diff" if "diff" in ex["program"] else ex["program"].count("[n") for ex in exs)
    for key in (0, 1, 2, "diff"):  # aggregation, comparison, logic, arithmetic: 1/4 each
        assert abs(n_filters[key] / len(exs) - 0.25) < 0.04


def test_names():
    ops = {w for forms in data.OP_WORDS.values() for f in forms for w in f.split()} | set(data.OP_WORDS)
    ops |= {"and", "or"}
    assert not set(data.TRAIN_NAMES) & set(data.HELDOUT_NAMES)
    assert not (set(data.TRAIN_NAMES) | set(data.HELDOUT_NAMES)) & ops
    vocab = set(data.vocabulary("names-5"))
    for ex in data.generate("names-5", "test", 200, seed=2):
        assert set(ex["columns"]) <= set(data.HELDOUT_NAMES) and not set(ex["columns"]) & vocab
    for ex in data.generate("names-5", "train", 200, seed=2):
        assert set(ex["columns"]) <= set(data.TRAIN_NAMES)


@pytest.mark.parametrize("task", list(data.TASKS))
def test_vocabulary_covers_train_questions(task):
    vocab = set(data.vocabulary(task))
    assert data.vocabulary(task) == sorted(vocab)
    assert not any(NUMBER.match(w) for w in vocab)
    for ex in data.generate(task, "train", 500, seed=4):
        words = [w for w in ex["question"].split() if not NUMBER.match(w)]
        assert set(words) | set(ex["columns"]) <= vocab, ex["question"]


def test_determinism():
    a = data.generate("text-5", "train", 50, seed=11)
    assert a == data.generate("text-5", "train", 50, seed=11)
    assert a != data.generate("text-5", "train", 50, seed=12)
    assert data.generate("columns-3", "test", 20, seed=0) == data.generate("columns-3", "test", 20, seed=0)


def test_reference_answer_examples():
    cols, rows = ["A", "B"], [[1.0, 10.0], [-2.0, 20.0], [3.0, -5.0]]
    assert data.reference_answer(cols, rows, "count") == {"scalar": 3.0}
    assert data.reference_answer(cols, rows, "sum A diff count") == {"scalar": -1.0}
    assert data.reference_answer(cols, rows, "count diff sum B") == {"scalar": -22.0}
    assert data.reference_answer(cols, rows, "greater 0.00 A and lesser 15.00 B sum B") == {"scalar": 5.0}
    assert data.reference_answer(cols, rows, "greater 2.00 A or lesser 0.00 A print B") == {
        "cells": [[1, 1], [2, 1]]}
    assert data.reference_answer(cols, rows, "greater 100.00 A print A") == {"cells": []}
    text = [["word:1", 4.0], ["word:2", 5.0], ["word:1", 6.0]]
    assert data.reference_answer(cols, text, "word:1 A sum B") == {"scalar": 10.0}


@pytest.mark.parametrize("split", ["train", "test"])
def test_generated_examples_pass_the_one_checker_and_round_trip_as_strict_json(split):
    for task in data.TASKS:
        exs = data.generate(task, split, 20, seed=9)
        for i, ex in enumerate(exs):
            check_example(ex, f"{task} {split} example {i}", need_answer=True)
        lines = "\n".join(dumps_example(ex) for ex in exs)
        assert "NaN" not in lines and "Infinity" not in lines
        assert read_jsonl(lines.encode(), need_answer=True) == exs
