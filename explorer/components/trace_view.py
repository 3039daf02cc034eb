"""The Ask page's result: answer, program, heatmaps linked to the table, attention views and exports."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.np2016.ops import ROW_OPS
from engine.np2016.trace import fmt
from explorer import escape, questions, state
from explorer.components import context, figures, table_view, wtq_context
from explorer.components.table_editor import download

HM_KEYS = ("hm_ops", "hm_cols", "hm_rows", "hm_words")
IMAGE_FORMAT = "image_format"
MORE_VIEWS = "more_views"  # the row, word and pivot heatmaps are drawn (a toggle, off: see results())
TABLE_HEIGHT = 300  # the highlighted table on the first screen (it scrolls inside)
ANSWER_KEY = "np_answer"  # the answer's container (the browser tests find it by the class st-key-np_answer)


def cell_text(v) -> str:
    return fmt(v) if isinstance(v, float) else "(empty)" if v is None else str(v)


def answer_text(answer: dict, view: str = "hard") -> str:
    if answer["kind"] == "scalar":
        return fmt(answer["extra"]["soft_scalar"] if view == "soft" else answer["scalar"])
    if answer["kind"] == "cells":
        values = [cell_text(v) for v in answer["values"]]
        if not values:
            return "no cells (the print step selected no rows)"
        return ", ".join(values[:12]) + (f" … ({len(values)} cells)" if len(values) > 12 else "")
    return "no answer (the last operation neither computes a number nor prints cells)"


def right_text(right: dict, rows: list) -> str:
    if "scalar" in right:
        return fmt(right["scalar"])
    vals = [rows[r][c] for r, c in right["cells"]]
    return ", ".join(cell_text(v) for v in vals[:12]) or "no cells"


UNKNOWN_WORDS = "words the model does not know"  # engine.np2016.trace's warning, replaced by the guess notice


def answer_box(trace: dict, right: dict | None, agree: bool | None, view: str, rows: list,
               guess: context.Guess | None = None) -> None:
    """The answer, whether it is right, and for a grammar question whether the program is the grammar's.
    A question the model was not trained to read gets its answer marked as a guess, with the closest
    question it does read as one click."""
    ans = trace["answer"]
    verdict = questions.program_verdict(trace["question"], trace["columns"], trace) if agree is not None else None
    st.markdown("**A guess, not an answer**" if guess else "**Answer**")
    with st.container(key=ANSWER_KEY):
        st.subheader(escape.md(answer_text(ans, view)), anchor=False)
    if view == "soft" and ans["kind"] == "scalar":
        st.caption(f"Soft (training-time) value; the hard, test-time answer is {fmt(ans['scalar'])}.")
    if guess:
        guess_notice(guess)
    elif agree is True and verdict is not None and not verdict.same:
        st.warning(
            "**Right answer, wrong program:** the grammar's interpreter gives the same answer, but the "
            f"program {escape.md(verdict.reason)}. On another table it would answer differently."
        )
    elif agree is True:
        st.success("Right: the grammar's interpreter agrees, and the program matches the grammar's.",
                   icon=":material/check_circle:")
    elif agree is False:
        st.error(
            f"Wrong: the right answer is {escape.md(right_text(right, rows))}. "
            "You can teach the model this answer below."
        )
        if verdict is not None and not verdict.same:
            st.caption(f"Where it goes wrong: the program {escape.md(verdict.reason)}.")
    for w in trace["warnings"]:
        if not w.startswith(UNKNOWN_WORDS):  # the guess notice lists the unknown words (not column names)
            st.warning(escape.md(w[0].upper() + w[1:] + "."))


def guess_notice(guess: context.Guess) -> None:
    reasons = "; ".join(guess.reasons)
    st.warning(
        f"**The model is guessing:** {escape.md(reasons)}. It answers anyway; do not trust this answer."
    )
    if guess.suggestion:
        st.button(
            f"Ask instead: **{escape.md(guess.suggestion)}**",
            key="ask_instead",
            icon=":material/lightbulb:",
            on_click=context.ask_instead,
            args=(guess.suggestion,),
            help="The closest question this model was trained to read, built from its own grammar, the table's "
            "columns and your numbers",
        )
    wtq_context.offer_real()


def program_box(trace: dict) -> None:
    st.markdown("**Induced program**")
    st.code("\n".join(trace["program_text"]), language=None, wrap_lines=True)


def _focus_from(key: str, point: dict, trace: dict) -> dict | None:
    x, y = str(point.get("x", "")), str(point.get("y", ""))
    step = int(x[1:]) if x.startswith("t") and x[1:].isdigit() else None
    if step is None or not 1 <= step <= len(trace["steps"]):
        return None
    row = int(y[4:]) if key == "hm_rows" and y.startswith("row ") and y[4:].isdigit() else None
    return {"step": step, "row": row}


def update_focus(trace: dict) -> None:
    """Turn a new heatmap click (a changed selection event) into the focused step/row."""
    ss = st.session_state
    seen = ss[state.HEATMAP_SEEN]
    for key in HM_KEYS:
        point = figures.clicked_point(ss.get(key))
        sig = json.dumps(point, sort_keys=True, default=str) if point else None
        if sig != seen.get(key):
            seen[key] = sig
            if point:
                ss[state.FOCUS] = _focus_from(key, point, trace)
    focus = ss.get(state.FOCUS)
    if focus and focus["step"] > len(trace["steps"]):
        ss[state.FOCUS] = None


def on_focus_pick() -> None:
    v = st.session_state.get(state.FOCUS_PICK)
    st.session_state[state.FOCUS] = None if v in (None, "answer") else {"step": int(v[1:]), "row": None}


def linked_table(trace: dict, df: pd.DataFrame, view: str) -> None:
    """The table highlighted for the focused step (or the answer when no step is focused)."""
    steps, focus = trace["steps"], st.session_state.get(state.FOCUS)
    key = "rows_soft" if view == "soft" else "rows_hard"
    if focus:
        t = focus["step"]
        s = steps[t - 1]
        cells = s["extra"]["lookup_cells"] if s["op"] == "assign" else None
        if view == "soft" and s["op"] == "assign":
            cells = [[r, c] for r, row in enumerate(s["extra"]["lookup_soft"]) for c, p in enumerate(row) if p > 0.5]
        if s["op"] in ROW_OPS:  # a filter: the rows it selected
            weights, which = s[key], "rows it selected"
        else:  # sum, count, print, difference: the rows it read
            weights = steps[t - 2][key] if t >= 2 else [1.0] * trace["n_rows"]
            which = "rows it read"
        st.markdown(f"**Step {t}:** {escape.md(s['sentence'])} ({which} in blue)")
        table_view.show(
            df,
            "linked_table",
            row_weights=weights,
            cells=cells,
            column=s["column_name"],
            focus_row=focus.get("row"),
            height=TABLE_HEIGHT,
        )
    else:
        before = steps[-2][key] if len(steps) >= 2 else [1.0] * trace["n_rows"]
        cells = trace["answer"]["cells"] if trace["answer"]["kind"] == "cells" else None
        st.markdown("**The answer:** the rows its last step read, answer cells in amber. Click a heatmap cell "
                    "to see one step.")
        table_view.show(df, "linked_table", height=TABLE_HEIGHT, row_weights=before, cells=cells,
                        column=steps[-1]["column_name"])
    table_view.legend(column=True)


def _fit(fig, height: int):
    """The heatmap at a fixed, compact height, so the first screen holds it."""
    fig.update_layout(height=height)
    return fig


def results(trace: dict, df: pd.DataFrame, right: dict | None, agree: bool | None,
            guess: context.Guess | None = None) -> None:
    """First row (on the first screen): answer and program, operation heatmap, highlighted table. Then the
    view controls and the other heatmaps."""
    ss = st.session_state
    rows = df.values.tolist()
    update_focus(trace)
    view = ss.get(state.VIEW, "hard")
    focus = ss.get(state.FOCUS)
    fmt_pick = ss.get(IMAGE_FORMAT, "png")
    n_ops = len(trace["ops"])
    answer_col, ops_col, table_col = st.columns([5, 4, 5])
    with answer_col:
        answer_box(trace, right, agree, view, rows, guess)
        program_box(trace)
    with ops_col:
        fig = _fit(figures.ops_figure(trace, view, focus=focus), min(300, 90 + 22 * n_ops))
        figures.show(fig, "hm_ops", fmt_pick, name="operations")
        fig = figures.columns_figure(trace, view, focus=focus)
        figures.show(_fit(fig, min(300, 90 + 22 * len(trace["columns"]))), "hm_cols", fmt_pick, name="columns")
    with table_col:
        linked_table(trace, df, view)
        options = ["answer"] + [f"t{s['t']}" for s in trace["steps"]]
        ss[state.FOCUS_PICK] = f"t{focus['step']}" if focus else "answer"
        st.select_slider("Highlight in the table", options, key=state.FOCUS_PICK, on_change=on_focus_pick)

    c1, c2, c3 = st.columns([3, 3, 2], vertical_alignment="bottom")
    c1.segmented_control(
        "View",
        ["hard", "soft"],
        key=state.VIEW_PICK,
        default=view,
        required=True,
        format_func={"hard": "hard (test time)", "soft": "soft (training time)"}.get,
        on_change=lambda: ss.__setitem__(state.VIEW, ss.get(state.VIEW_PICK) or "hard"),
    )
    more = c2.toggle(
        "More heatmaps",
        key=MORE_VIEWS,
        help="The row selector, question-word attention and pivot heatmaps. Off by default: every chart "
        "costs the browser about 0.15 s each time the answer is redrawn "
        "(benchmarks/explorer_latency.py), and the first screen already shows the operation and column choices",
    )
    c3.radio(
        "Heatmap download",
        ["png", "svg"],
        horizontal=True,
        key=IMAGE_FORMAT,
        help="The camera icon at the top right of each heatmap downloads it in this format",
    )
    if not more:
        exports(trace)
        return
    left, mid, right_col = st.columns(3)
    with left:
        figures.show(figures.rows_figure(trace, view, focus=focus), "hm_rows", fmt_pick, name="rows")
    with mid:
        fig = figures.words_figure(trace, focus=focus)
        if fig is not None:
            figures.show(fig, "hm_words", fmt_pick, name="question-attention")
        else:
            st.caption("This model has no question-word attention.")
    with right_col:
        fig = figures.pivot_figure(trace)
        if fig is not None:
            figures.show(fig, "hm_pivot", fmt_pick, clickable=False, name="pivot")
        else:
            st.info("The question has no numbers, so the comparisons have no pivot (they compare with −1).")
    exports(trace)


def exports(trace: dict) -> None:
    a, b, c = st.columns([1, 1, 3])
    a.download_button(
        "Trace as JSON",
        lambda: json.dumps(trace, indent=1),  # built only when clicked, not on every keystroke
        "trace.json",
        "application/json",
        on_click="ignore",
        key="dl_trace",
    )
    with b:
        download()
    c.caption("Share this view: the address bar holds the table, question and checkpoint.")
