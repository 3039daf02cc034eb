"""The trace schema (docs/trace.md): the one JSON shape in which every model family reports how it answered a
question, step by step; engine/np2016/trace.py and engine/wtq2017/trace.py emit it, `ask --json` prints it and the
app draws it. What only one family has sits under "extra". `problems` checks a trace against the schema, and
`answer_lines` is the text `ask` prints. This module imports no model family (tests/test_engine_layout.py).
"""

from __future__ import annotations

SCHEMA = "np-explorer-trace/1"
FAMILIES = ("np2016", "wtq2017")
TOP_KEYS = ("schema", "family", "question", "words", "numbers", "columns", "rows", "n_rows", "ops", "steps",
            "answer", "program_text", "warnings", "extra")
STEP_KEYS = ("t", "op", "op_probs", "column_index", "column_name", "col_probs", "pivot", "rows_hard",
             "rows_soft", "question_attention", "sentence", "extra")
ANSWER_KEYS = ("kind", "scalar", "cells", "values", "text", "extra")
ANSWER_KINDS = ("scalar", "cells", "none")


def _keys(where: str, got: dict, want: tuple[str, ...]) -> list[str]:
    missing, unknown = [k for k in want if k not in got], sorted(set(got) - set(want))
    return ([f"{where}: missing {', '.join(missing)}"] if missing else []) + (
        [f"{where}: unknown {', '.join(unknown)}"] if unknown else [])


def _step_problems(step: dict, i: int, trace: dict) -> list[str]:
    where, out = f"step {i + 1}", []
    out += _keys(where, step, STEP_KEYS)
    if out:
        return out
    n_cols, n_rows = len(trace["columns"]), trace["n_rows"]
    if step["t"] != i + 1:
        out.append(f"{where}: t is {step['t']}")
    if step["op"] not in trace["ops"] or len(step["op_probs"]) != len(trace["ops"]):
        out.append(f"{where}: op or op_probs do not match ops")
    c = step["column_index"]
    if c is None and step["column_name"] is not None or c is not None and (
            not 0 <= c < n_cols or step["column_name"] != trace["columns"][c]):
        out.append(f"{where}: column_index and column_name disagree")
    if len(step["col_probs"]) != n_cols:
        out.append(f"{where}: col_probs has {len(step['col_probs'])} entries for {n_cols} columns")
    if len(step["rows_hard"]) != n_rows or len(step["rows_soft"]) != n_rows:
        out.append(f"{where}: rows_hard / rows_soft are not one weight per row")
    att = step["question_attention"]
    if att is not None and len(att) != len(trace["words"]):
        out.append(f"{where}: question_attention is not one weight per word")
    if not isinstance(step["sentence"], str) or not isinstance(step["extra"], dict):
        out.append(f"{where}: sentence must be a string and extra an object")
    return out


def problems(trace: dict) -> list[str]:
    """What is wrong with `trace` against the schema (docs/trace.md); [] for a good one."""
    out = _keys("trace", trace, TOP_KEYS)
    if out:
        return out
    if trace["schema"] != SCHEMA:
        out.append(f"trace: schema is {trace['schema']!r}, not {SCHEMA!r}")
    if trace["family"] not in FAMILIES:
        out.append(f"trace: unknown family {trace['family']!r}")
    if trace["n_rows"] != len(trace["rows"]):
        out.append("trace: n_rows is not the number of rows")
    if len(trace["program_text"]) < len(trace["steps"]):
        out.append("trace: program_text has fewer lines than steps")
    answer = trace["answer"]
    out += _keys("answer", answer, ANSWER_KEYS)
    if answer.get("kind") not in ANSWER_KINDS:
        out.append(f"answer: unknown kind {answer['kind']!r}")
    for i, step in enumerate(trace["steps"]):
        out += _step_problems(step, i, trace)
    return out


def check(trace: dict) -> dict:
    """`trace` itself when it follows the schema; ValueError listing what does not."""
    if wrong := problems(trace):
        raise ValueError("not a " + SCHEMA + " trace: " + "; ".join(wrong))
    return trace


def step_of(t: int, op: str, op_probs: list[float], column_index: int | None, columns: list[str],
            col_probs: list, pivot: float | None, rows_hard: list[float], rows_soft: list[float],
            question_attention: list[float] | None, sentence: str, **extra) -> dict:
    """One step in the schema's shape (the column named from its index); keyword leftovers go in "extra"."""
    return {"t": t, "op": op, "op_probs": op_probs, "column_index": column_index,
            "column_name": None if column_index is None else columns[column_index], "col_probs": col_probs,
            "pivot": pivot, "rows_hard": rows_hard, "rows_soft": rows_soft,
            "question_attention": question_attention, "sentence": sentence, "extra": extra}


def answer_lines(trace: dict) -> list[str]:
    """What `ask` prints without --json: the answer, the program in words, the programs a beam considered
    (extra["candidates"]: each one's probability, answer and why it was passed over), the warnings."""
    lines = [f"answer: {trace['answer']['text']}", "program:"] + [f"  {line}" for line in trace["program_text"]]
    if candidates := trace["extra"].get("candidates", []):
        lines.append(f"programs considered (beam of {len(candidates)}, most probable first):")
        for k, c in enumerate(candidates):
            mark = "chosen" if k == trace["extra"]["chosen"] else (c["rejected"] or "not needed")
            lines.append(f"  {k + 1:>2}. p={c['probability']:.4f}  answer: {c['answer']}  [{mark}]")
            lines += [f"        {line}" for line in c["program_text"]]
    return lines + [f"warning: {w}" for w in trace["warnings"]]
