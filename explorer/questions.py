"""Questions: example questions for a table and checkpoint, rendered from the engine's template grammar
(engine/np2016/data/templates.py) for the table's own shape; word checks; the grammar's right answer, and whether
the induced program is the grammar's (engine/np2016/data/program_check.py).
"""

from __future__ import annotations

import math

import numpy as np

from engine.core.limits import NUMBER_MAX_ABS, QUESTION_MAX_CHARS, QUESTION_MAX_NUMBERS
from engine.core.vocab import number_value, split_question, tokenize
from engine.np2016.data import templates as tg
from engine.np2016.data.program_check import Verdict, compare
from engine.np2016.data.question_grammar import canonical, parse
from engine.np2016.data.tasks import TASKS, reference_answer
from engine.np2016.program import Step
from engine.np2016.trace import fmt

COMPARISON_WORDS = {w for op in ("greater", "lesser") for form in tg.OP_WORDS[op] for w in form.split()}


def _column_values(rows: list[list], j: int) -> list:
    return [r[j] for r in rows if r[j] is not None]


def _pivot(values: list, rank: float) -> str:
    nums = sorted(float(v) for v in values if isinstance(v, (int, float)))
    if not nums:
        return "0"
    x = nums[min(len(nums) - 1, int(rank * len(nums)))]
    scale = 10 ** max(0, int(math.log10(abs(x))) - 1) if abs(x) >= 10 else 1
    return fmt(round(x / scale) * scale)


def column_slots(kinds: list[str], ops: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """(text columns, numeric columns) a template's column slots take: text columns only with text_match."""
    text = [j for j, k in enumerate(kinds) if k == "text"] if "text_match" in ops else []
    return text, [j for j, k in enumerate(kinds) if k == "numeric"]


def examples(columns: list[str], rows: list[list], kinds: list[str], ops: tuple[str, ...], task: str | None,
             n: int = 8, seed: int = 0) -> list[str]:
    """Up to n example questions (two per category: aggregation, comparison, logic, arithmetic)."""
    text, num = column_slots(kinds, ops)
    if not num and not text:
        return []
    order = text + num  # template column slots: text columns first, then numeric ones
    names = [columns[j] for j in order]
    spec = TASKS.get(task or "")
    variability = bool(spec and spec.word_variability)
    rng = np.random.default_rng(seed)
    out = []
    for category, pool in tg.canonical(len(text), len(num)).items():
        if not pool:
            continue
        picks = rng.permutation(len(pool))[: 2 if category != "arithmetic" else 1]
        for i in picks:
            tmpl = pool[int(i)]
            if variability:
                tmpl = tuple(f[rng.integers(len(f))] if isinstance(t, str) and len(f := tg.OP_WORDS.get(t, [t])) > 1
                             else t for t in tmpl)
            out.append(render(tmpl, names, order, rows, rng))
    return list(dict.fromkeys(out))[:n]  # without repeats, in order


def render(tmpl: tuple, names: list[str], order: list[int], rows: list[list], rng,
            numbers: list[str] = (), words_for: dict[int, str] | None = None, op_words: dict | None = None) -> str:
    """The template as a question: numbers from `numbers` (in order), else from the column's range; text
    words from `words_for` (template column -> word), else a cell of the column; op words via `op_words`."""
    words, ranks, given = [], iter([0.6, 0.4, 0.5]), iter(numbers)
    for i, t in enumerate(tmpl):
        nxt = tmpl[i + 1] if i + 1 < len(tmpl) else None
        if t in ("[n]", "[n1]", "[n2]") and isinstance(nxt, int):
            words.append(next(given, None) or _pivot(_column_values(rows, order[nxt]), next(ranks, 0.5)))
        elif t == "[w]" and isinstance(nxt, int):
            cells = _column_values(rows, order[nxt])
            word = (words_for or {}).get(nxt)
            words.append(word or (str(cells[int(rng.integers(len(cells)))]) if cells else "word"))
        elif isinstance(t, int):
            words.append(names[t])
        else:
            words.append((op_words or {}).get(t, str(t)))
    return " ".join(words)


def limit_problem(question: str, columns: list[str] | None = None) -> str | None:
    """What puts the question over the engine's limits, said plainly (None: within them): the rules of
    engine.np2016.batch.checked_questions, checked first so the app never shows its traceback-shaped refusal."""
    if len(question) > QUESTION_MAX_CHARS:
        return (f"The question is {len(question):,} characters long; the limit is {QUESTION_MAX_CHARS:,}. "
                "Shorten it to get an answer.")
    numbers = len(split_question(question, columns).numbers)
    if numbers > QUESTION_MAX_NUMBERS:
        return (f"The question has {numbers:,} numbers; the limit is {QUESTION_MAX_NUMBERS}. "
                "Ask it with fewer numbers to get an answer.")
    return None


def huge_number_problem(question: str) -> str | None:
    """A number in the question beyond ±NUMBER_MAX_ABS, said plainly (None: none): the real-tables model refuses
    one (engine.core.io.examples.check_question); the synthetic one reads it as an unknown word."""
    huge = next((w for w in split_question(question).words if number_value(w) is not None), None)
    if huge is None:
        return None
    shown = huge if len(huge) <= 40 else huge[:37] + "..."
    return f"The number {shown} in the question is beyond ±{NUMBER_MAX_ABS:g}, the largest the model reads."


def word_report(question: str, vocab, columns: list[str], rows: list[list] | None = None,
                kinds: list[str] | None = None) -> dict:
    """Which words the model knows: {"words", "numbers", "unknown", "by_name", "in_cells",
    "comparison_without_number"}. by_name, in_cells: words outside the vocabulary that are (part of) a column
    name or a text cell; the model compares the question with those, so they are never listed as unknown."""
    q = split_question(question)
    unknown = vocab.unknown(q.words)
    name_words = {w: c for c in columns for w in tokenize(c)}
    by_name = {w: name_words[w] for w in unknown if w in name_words}
    cells = text_cells(columns, rows or [], kinds or [])
    in_cells = {w: columns[cells[w][0]] for w in unknown if w in cells and w not in by_name}
    return {"words": q.words, "numbers": q.numbers, "unknown": [w for w in unknown if w not in by_name | in_cells],
            "by_name": by_name, "in_cells": in_cells,
            "comparison_without_number": bool(COMPARISON_WORDS & set(q.words)) and not q.numbers}


def text_cells(columns: list[str], rows: list[list], kinds: list[str]) -> dict[str, list[int]]:
    """One-word cells of text columns -> the columns holding them: the model matches those against the
    question itself."""
    out: dict[str, list[int]] = {}
    for j, kind in enumerate(kinds):
        if kind == "text":
            for v in _column_values(rows, j):
                toks = tokenize(str(v))
                if len(toks) == 1 and j not in out.setdefault(toks[0], []):
                    out[toks[0]].append(j)
    return out


def canonical_program(question: str, columns: list[str]) -> str | None:
    """The question as a canonical program of the grammar ("greater 50 sales count"), or None."""
    parsed = parse(question, columns)
    return None if parsed is None else canonical(parsed, columns)


def _is_number(tok: str) -> bool:
    try:
        return math.isfinite(float(tok.replace(",", "")))
    except ValueError:
        return False


def right_answer(question: str, columns: list[str], rows: list[list], kinds: list[str]) -> dict | None:
    """{"scalar": x} or {"cells": [[r, c], ...]} computed by the grammar's interpreter, or None when the
    question is not in the grammar or the table has empty cells where the program reads."""
    parsed = parse(question, columns)
    if parsed is None or not rows:
        return None
    slots = [f"c{j}" for j in range(len(columns))]  # names by position: a name may hold spaces
    program = canonical(parsed, slots)
    program = " ".join(t.replace(",", "") if _is_number(t) else t for t in program.split())
    clean = [[" ".join(tokenize(c or "")) if k == "text" else (math.nan if c is None else float(c))
              for c, k in zip(r, kinds, strict=True)] for r in rows]
    try:
        answer = reference_answer(slots, clean, program)
    except Exception:  # a question the grammar parses but this table cannot answer (e.g. sum of text)
        return None
    if "scalar" in answer and not math.isfinite(answer["scalar"]):
        return None
    return answer


def answers_agree(got: dict, want: dict | None) -> bool | None:
    """Does the model's answer (trace["answer"]) equal the grammar's? None: nothing to compare."""
    if want is None:
        return None
    if "scalar" in want:
        return got.get("kind") == "scalar" and abs(got["scalar"] - want["scalar"]) < 0.05
    return got.get("kind") == "cells" and sorted(map(tuple, got["cells"])) == sorted(map(tuple, want["cells"]))


def program_verdict(question: str, columns: list[str], trace: dict) -> Verdict | None:
    """The trace's induced program against the grammar's program for the question (None: not a grammar
    question), so a right answer from the wrong program can be told from a right one."""
    program = [Step(s["op"], s["column_name"], s["column_index"], s["pivot"], None) for s in trace["steps"]]
    return compare(question, columns, program)
