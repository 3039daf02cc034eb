"""The trace player: the program's lines, the operation and column grids and the table's row selectors drawn together
in the browser, with a Play button (at a speed of SPEEDS) and hover linked across the views. Plotly hovers never
reach Python, so this is one st.components.v2 component: Python sends one JSON object (`payload`) as the component's
data, never inside HTML, and trace_player.js writes every user string with textContent, never as markup. Clicking a
step sends it back (`on_pick`), and so does every step Play reaches: the page's step, slider, panels and address
follow Play."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.np2016.program import op_label, step_name
from engine.np2016.trace import fmt
from explorer.components import step_explain

HERE = Path(__file__).parent
MAX_ROWS = 40  # table rows drawn (the grids stay readable; the payload stays small)
MAX_CELL_CHARS = 24  # a longer cell is cut with … on screen (its text, up to MAX_TIP_CHARS, is its tooltip)
MAX_TIP_CHARS = 200
# Play's speeds: (label, seconds a step); the slow ones give a class time to read each step on a projector
SPEEDS = (("2× (½ s a step)", 0.5), ("1× (1 s a step)", 1.0), ("½× (2 s a step)", 2.0), ("projector (3 s a step)", 3.0))
DEFAULT_SPEED = 1  # an index of SPEEDS; the browser keeps the speed chosen last
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


def payload(trace: dict, df: pd.DataFrame, view: str = "hard", current: int = 1) -> dict:
    """The JSON the renderer draws from a trace of either family: plain lists and strings, soft or hard as `view`
    says; a 2017 count or print shows the rows it read (it selects none: step_explain.SPECS)."""
    steps, ops, lines = trace["steps"], trace["ops"], trace["program_text"]
    m = min(trace["n_rows"], MAX_ROWS, len(df))
    shown = []
    for s in steps:
        t, (p_op, p_col) = s["t"], step_explain.choice_probs(trace, s, view)
        rows, cells = step_explain.shown_rows(trace, t, view), step_explain.cells_of(trace, t, view)
        reads = step_explain.reads(s["op"], t, trace["family"])
        shown.append({
            "t": t, "name": step_name(t), "line": lines[t - 1] if t <= len(lines) else "",
            "op": op_label(s["op"]), "column": s["column_name"], "column_index": s["column_index"],
            "p_op": [round(float(p), 3) for p in p_op],
            "p_col": [round(float(p or 0.0), 3) for p in p_col],  # None: a column it cannot pick
            "rows": [round(min(max(float(w), 0.0), 1.0), 3) for w in rows[:m]],
            "cells": [[int(a), int(b)] for a, b in cells if a < m],
            "reads": {"kind": reads.kind, "steps": list(reads.steps)}, "output": step_explain.output(trace, t, view),
        })
    return {
        "view": view, "ops": [op_label(o) for o in ops], "columns": [str(c) for c in trace["columns"]],
        "rows": [[_cell(v)[:MAX_TIP_CHARS] for v in row] for row in df.values.tolist()[:m]],
        "n_rows": trace["n_rows"], "max_cell_chars": MAX_CELL_CHARS, "steps": shown,
        "current": min(max(int(current), 1), max(len(steps), 1)), "speed": DEFAULT_SPEED,
        "speeds": [{"label": label, "ms": int(seconds * 1000)} for label, seconds in SPEEDS],
    }


def show(trace: dict, df: pd.DataFrame, view: str = "hard", current: int = 1, key: str = "trace_player",
         on_pick: Callable[[], None] | None = None):
    """Draw the player for `trace` on the table `df`, starting at step `current`; on_pick is called (a widget
    callback) when a step is clicked and at each step Play reaches: picked(key) reads it."""
    if not trace["steps"]:
        return None
    kwargs = {f"on_{PICKED}_change": on_pick or (lambda: None)}
    return _player(key=key, data=payload(trace, df, view, current), **kwargs)


def picked(key: str = "trace_player") -> int | None:
    """The step last clicked or reached by Play in the player with this key (None before either)."""
    value = st.session_state.get(key)
    try:
        step = value[PICKED] if isinstance(value, dict) else getattr(value, PICKED, None)
    except (KeyError, TypeError):
        return None
    return int(step) if isinstance(step, int | float) and not isinstance(step, bool) else None
