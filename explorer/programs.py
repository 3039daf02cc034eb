"""Induced programs, grouped and counted, for the Programs page of either family (no streamlit here).

A 2016 program is written by engine.np2016.program.short with the question's numbers as n1, n2, so programs of one
template group together; a right answer comes from the grammar's program or, by luck, another one
(engine/np2016/data/program_check.py). The 2017 model's dev results (explorer/dev_questions.py) are marked alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cache

import torch

from engine.np2016.batch import encode
from engine.np2016.data import tasks as data
from engine.np2016.data.program_check import check
from engine.np2016.evaluate import correct
from engine.np2016.program import decode, short


@torch.no_grad()
def induced_programs(model, vocab, examples: list[dict], batch_size: int = 200,
                     progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Per example, in order: {"program" (induced, with the table's column names), "positional" (the same
    with columns named A, B, … by position, for grouping tables with different names), "correct",
    "program_check" ("same" or "different": the induced program against the grammar's, None when the
    question is not in the grammar)}."""
    model.eval()
    out = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i : i + batch_size]
        batch = encode(chunk, vocab)
        res = model(batch, hard=True)
        flags = correct(model, res, batch).tolist()
        for ex, program, ok in zip(chunk, decode(model, chunk, res), flags, strict=True):
            out.append({"program": short(program), "positional": short(program, data.LETTERS), "correct": bool(ok),
                        "program_check": check(ex["question"], ex["columns"], program)})
        if progress:
            progress(len(out), len(examples))
    return out


@cache
def template_count(task: str) -> int:
    """How many test templates a task has (words-5 has 116 368: worth computing once)."""
    return len(data.templates(task))


def positional(program: str, columns: list[str]) -> str:
    """A template with its column names replaced by letters by position ("sum sales" -> "sum B")."""
    index = {c: data.LETTERS[j] for j, c in enumerate(columns) if j < len(data.LETTERS)}
    return " ".join(index.get(w, w) for w in program.split())


def pattern(program: str) -> str:
    """The operations of a canonical program, without columns and numbers: 'greater lesser and sum'."""
    keep = {"sum", "count", "print", "greater", "lesser", "and", "or", "diff"}
    return " ".join("match" if w == "[w]" else w for w in program.split() if w in keep or w == "[w]")


RIGHT_PROGRAM, WRONG_PROGRAM = "right, right program", "right, wrong program"


def right_kinds(results: list[dict]) -> dict[str, int]:
    """Right answers from the grammar's program and right answers from another program (a right answer
    whose question is outside the grammar is in neither)."""
    right = [r.get("program_check") for r in results if r["correct"]]
    return {RIGHT_PROGRAM: right.count("same"), WRONG_PROGRAM: right.count("different")}


def summarise(examples: list[dict], results: list[dict]) -> dict:
    """Tables for the Programs page: per template and per (template, induced program), and per pattern."""
    by_template = defaultdict(list)
    for ex, r in zip(examples, results, strict=True):
        by_template[positional(ex.get("program") or ex.get("template") or "(no template)", ex["columns"])].append(r)
    templates, programs = [], []
    for tmpl, items in sorted(by_template.items()):
        n_ok = sum(r["correct"] for r in items)
        counts = Counter(r["positional"] for r in items)
        templates.append({"template": tmpl, "pattern": pattern(tmpl), "examples": len(items), "correct": n_ok,
                          **right_kinds(items), "accuracy": n_ok / len(items),
                          "most common program": counts.most_common(1)[0][0], "distinct programs": len(counts)})
        for prog, n in counts.most_common():
            same = [r for r in items if r["positional"] == prog]
            ok = sum(r["correct"] for r in same)
            programs.append({"template": tmpl, "induced program": prog, "examples": n, "correct": ok,
                             **right_kinds(same), "accuracy": ok / n})
    per_pattern = defaultdict(lambda: [0, 0])
    for row in templates:
        per_pattern[row["pattern"]][0] += row["correct"]
        per_pattern[row["pattern"]][1] += row["examples"]
    patterns = [{"pattern": p, "accuracy": c / n, "examples": n} for p, (c, n) in sorted(per_pattern.items())]
    n_ok = sum(r["correct"] for r in results)
    return {"accuracy": n_ok / max(len(results), 1), "correct": n_ok, **right_kinds(results), "total": len(results),
            "templates": templates, "programs": programs, "patterns": patterns}


def right_text(counts: dict) -> str:
    """"80.0% right (4 of 5)" of a summary or a score (accuracy, correct, total)."""
    return f"{counts['accuracy']:.1%} right ({counts['correct']} of {counts['total']})"


def mark(correct: bool | None, program_check: str | None = None) -> str:
    """✓ right, ✗ wrong, ? (no target); "✓ (wrong program)": right by another program than the grammar's."""
    if correct and program_check == "different":
        return "✓ (wrong program)"
    return {True: "✓", False: "✗"}.get(correct, "?")


def with_errors(rows: list[dict], right: str = "correct") -> list[dict]:
    """The rows of a groups table (each with "examples" and a count of right ones) that have a wrong answer."""
    return [r for r in rows if r[right] < r["examples"]]

