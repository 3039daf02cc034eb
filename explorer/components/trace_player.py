"""The trace player: the program's lines, the operation × step and column × step grids and the table's row
selectors drawn together in the browser, with a Play button that walks through the steps (one a second)
and hover linked across the views (hovering step t anywhere highlights t everywhere).

Plotly hovers never reach Python, so this is one self-contained component (st.components.v2): Python
sends one JSON object (`payload`, the trace reduced to what is drawn) and the renderer
(trace_player.js / .css, beside this file) draws it. The JSON travels as the component's data, never
inside HTML, and the renderer writes every user string (column names, cells, question words) with
textContent, never as markup. Clicking a step sends it back (`on_pick`), so a page can follow it.
A 2017 trace (the real-tables model) is reduced to the same JSON (`wtq_payload`), so one renderer draws both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.np2016.program import op_label, step_name
from engine.np2016.trace import fmt
from explorer import wtq_steps
from explorer.components import step_explain

HERE = Path(__file__).parent
MAX_ROWS = 40  # table rows drawn (the grids stay readable; the payload stays small)
MAX_CELL_CHARS = 24  # a longer cell is cut with … on screen (its text, up to MAX_TIP_CHARS, is its tooltip)
MAX_TIP_CHARS = 200
SECONDS_PER_STEP = 1.0
PICKED = "picked"  # the trigger a click on a step sends back

_player = st.components.v2.component(
    "npx_trace_player",
    html='<div class="npx-player"></div>',
    css=(HERE / "trace_player.css").read_text(encoding="utf-8"),
    js=(HERE / "trace_player.js").read_text(encoding="utf-8"),
)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return fmt(v) if isinstance(v, float | int) and not isinstance(v, bool) else str(v)


def _output(step: dict, view: str) -> str:
    """What the step wrote, in a few words: '5 rows', 'scalar 185.3', '2 cells'."""
    if step["op"] in step_explain.NO_ROWS_AFTER and step["op"] != "assign":
        return "scalar " + fmt(step["scalar_soft" if view == "soft" else "scalar_hard"])
    if step["op"] == "assign":
        n = len(step["lookup_cells"])
        return f"{n} cell{'s' if n != 1 else ''}"
    key = "rows_soft" if view == "soft" else "rows_hard"
    return f"{step_explain.selected(step[key])} rows"


def wtq_payload(trace: dict, df: pd.DataFrame, view: str = "hard", current: int = 1) -> dict:
    """`payload` for a 2017 trace: the 15 operations, the program in the engine's words, the rows of each step
    (the rows it read for count and print, which select none), the cells a print writes."""
    steps, ops, cols = trace["steps"], list(trace["ops"]), trace["columns"]
    m = min(len(trace["rows"]), MAX_ROWS, len(df))
    shown = []
    for s in steps:
        t = s["t"]
        if view == "soft":
            p_op, p_col = s["op_probs"], [p or 0.0 for p in s["col_probs"]]
        else:
            p_op = [1.0 if o == s["op"] else 0.0 for o in ops]
            p_col = [1.0 if j == s["column"] else 0.0 for j in range(len(cols))]
        reads = wtq_steps.reads(s["op"])
        shown_rows = wtq_steps.rows_after(trace, t - 1 if s["op"] in wtq_steps.WRITES_NO_ROWS else t, view)
        shown.append({
            "t": t, "name": step_name(t), "line": trace["program_words"][t - 1], "op": s["op"],
            "column": wtq_steps.column_name(trace, s), "column_index": s["column"],
            "p_op": [round(float(p), 3) for p in p_op], "p_col": [round(float(p), 3) for p in p_col],
            "rows": [round(min(max(float(w), 0.0), 1.0), 3) for w in shown_rows[:m]],
            "cells": [[a, b] for a, b in wtq_steps.printed_cells(trace, t) if a < m],
            "reads": {"kind": reads, "steps": [t - 1] if reads == "rows" else []},
            "output": wtq_steps.output(trace, t, view),
        })
    return {
        "view": view, "ops": ops, "columns": [str(c) for c in cols],
        "rows": [[_cell(v)[:MAX_TIP_CHARS] for v in row] for row in df.values.tolist()[:m]],
        "n_rows": len(trace["rows"]), "max_cell_chars": MAX_CELL_CHARS, "steps": shown,
        "current": min(max(int(current), 1), max(len(steps), 1)), "ms_per_step": int(SECONDS_PER_STEP * 1000),
    }


def payload(trace: dict, df: pd.DataFrame, view: str = "hard", current: int = 1) -> dict:
    """The JSON the renderer draws: plain lists and strings, soft or hard as `view` says."""
    if wtq_steps.is_wtq(trace):
        return wtq_payload(trace, df, view, current)
    steps, ops, cols = trace["steps"], trace["ops"], trace["columns"]
    key = "rows_soft" if view == "soft" else "rows_hard"
    m = min(trace["n_rows"], MAX_ROWS, len(df))
    shown = []
    for s in steps:
        if view == "soft":
            p_op, p_col = s["op_probs"], s["col_probs"]
            cells = [[r, c] for r, row in enumerate(s["lookup_soft"]) for c, p in enumerate(row) if p > 0.5]
        else:
            p_op = [1.0 if o == s["op"] else 0.0 for o in ops]
            p_col = [1.0 if j == s["column_index"] else 0.0 for j in range(len(cols))]
            cells = s["lookup_cells"]
        r = step_explain.reads(s["op"], s["t"])
        shown.append({
            "t": s["t"],
            "name": step_name(s["t"]),
            "line": trace["program_text"][s["t"] - 1] if s["t"] <= len(trace["program_text"]) else "",
            "op": op_label(s["op"]),
            "column": s["column"] if step_explain.uses_column(s) else None,
            "column_index": s["column_index"] if step_explain.uses_column(s) else None,
            "p_op": [round(float(p), 3) for p in p_op],
            "p_col": [round(float(p), 3) for p in p_col],
            "rows": [round(min(max(float(w), 0.0), 1.0), 3) for w in s[key][:m]],
            "cells": [[int(a), int(b)] for a, b in cells if a < m],
            "reads": {"kind": r.kind, "steps": list(r.steps)},
            "output": _output(s, view),
        })
    rows = df.values.tolist()[:m]
    return {
        "view": view,
        "ops": [op_label(o) for o in ops],
        "columns": [str(c) for c in cols],
        "rows": [[_cell(v)[:MAX_TIP_CHARS] for v in row] for row in rows],
        "n_rows": trace["n_rows"],
        "max_cell_chars": MAX_CELL_CHARS,
        "steps": shown,
        "current": min(max(int(current), 1), max(len(steps), 1)),
        "ms_per_step": int(SECONDS_PER_STEP * 1000),
    }


def show(trace: dict, df: pd.DataFrame, view: str = "hard", current: int = 1, key: str = "trace_player",
         on_pick: Callable[[], None] | None = None):
    """Draw the player for `trace` on the table `df`, starting at step `current`.

    on_pick: called (as a widget callback) when a step is clicked; read the step from
    `st.session_state[key].picked` (1-based)."""
    if not trace["steps"]:
        return None
    kwargs = {f"on_{PICKED}_change": on_pick or (lambda: None)}
    return _player(key=key, data=payload(trace, df, view, current), **kwargs)


def picked(key: str = "trace_player") -> int | None:
    """The step last clicked in the player with this key (None before any click)."""
    value = st.session_state.get(key)
    try:
        step = value[PICKED] if isinstance(value, dict) else getattr(value, PICKED, None)
    except (KeyError, TypeError):
        return None
    return int(step) if isinstance(step, int | float) and not isinstance(step, bool) else None
