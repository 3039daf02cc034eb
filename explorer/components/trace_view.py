"""The Ask page's result for a trace of either family: answer, program, heatmaps linked to the table, attention views
and exports; what a family says differently is data (LOOK). Heatmap clicks and the slider share one state
(state.FOCUS), so a click on step t anywhere shows step t in the table. Every user text is escaped where drawn."""

from __future__ import annotations

import json
from typing import NamedTuple

import pandas as pd
import streamlit as st

from engine.np2016.trace import fmt
from explorer import escape, questions, state
from explorer.components import candidates_view, context, figures, model_choice, table_view
from explorer.components import step_explain as ex
from explorer.components.table_editor import download

HM_KEYS = ("hm_ops", "hm_cols", "hm_rows", "hm_words")
IMAGE_FORMAT = "image_format"
MORE_VIEWS = "more_views"  # the row, word and pivot heatmaps are drawn (a toggle, off: see results())
TABLE_HEIGHT = 300  # the highlighted table on the first screen (it scrolls inside)
ANSWER_KEY = "np_answer"  # the answer's container (the browser tests find it by the class st-key-np_answer)
PROGRAM_KEY = "np_program"  # the program's container (browser tests find it by the class st-key-np_program)
MAX_ANSWER_ITEMS = 12  # cells listed in the answer line (then "… (n cells)")
ss = st.session_state


class Look(NamedTuple):
    """What the Ask page's result says differently for a family."""

    program: str  # the program's heading
    step: str  # the table's heading at step t ({} is t)
    answer: str  # the table's heading with no step picked, after "The answer:"
    last_read: bool  # with no step picked, the table shows the rows the last step read (else those it selected)
    legend_column: bool  # the legend always names the column colour (else only when the step uses a column)
    slider: str  # the step slider's label
    ops_height: int | None  # the operation heatmap's height (None: fitted to the operations)


LOOK = {
    "np2016": Look("Induced program", "Step {}", "the rows its last step read, answer cells in amber. Click a heatmap "
                   "cell to see one step.", True, True, "Highlight in the table", None),
    "wtq2017": Look("Induced program, in words", "Step t{}", "the rows its last step read, printed cells in amber. "
                    "Pick a step below or click a heatmap cell to see one step.", False, False,
                    "Step shown in the table", 330),
}


def cell_text(v) -> str:
    return fmt(v) if isinstance(v, float) else "(empty)" if v is None or v == "" else str(v)


def answer_text(answer: dict, view: str = "hard", family: str = "np2016") -> str:
    """The answer as the user reads it (2017: the benchmark's strings), or why there is none."""
    no_answer, no_cells = ex.SPECS[family].no_answer
    if answer["kind"] == "scalar":
        return fmt(answer["extra"]["soft_scalar"] if view == "soft" and family == "np2016" else answer["scalar"])
    if answer["kind"] == "cells":
        values = [cell_text(v) for v in answer["values"]]
        if not values:
            return no_cells
        more = f" … ({len(values)} cells)" if len(values) > MAX_ANSWER_ITEMS else ""
        return ", ".join(values[:MAX_ANSWER_ITEMS]) + more
    return no_answer


def right_text(right: dict, rows: list) -> str:
    if "scalar" in right:
        return fmt(right["scalar"])
    return ", ".join(cell_text(rows[r][c]) for r, c in right["cells"][:12]) or "no cells"


UNKNOWN_WORDS = "words the model does not know"  # engine.np2016.trace's warning, replaced by the guess notice


def answer_box(trace: dict, right: dict | None, agree: bool | None, view: str, rows: list,
               guess: context.Guess | None = None, choice: model_choice.Choice | None = None) -> None:
    """The answer, whether it is right, and for a grammar question whether the program is the grammar's. A question the
    model was not trained to read gets its answer marked as a guess, with the closest question it does read as one
    click. An answer of the 2017 model (`choice`) says which model gave it."""
    ans = trace["answer"]
    real_guess = candidates_view.heading(trace) if choice is not None else None
    st.markdown(real_guess or ("**A guess, not an answer**" if guess else "**Answer**"))
    with st.container(key=ANSWER_KEY):
        st.subheader(escape.md(answer_text(ans, view, trace["family"])), anchor=False)
    if choice is not None:
        model_choice.answered_by(choice)
        candidates_view.confidence_note(trace)
        return
    verdict = questions.program_verdict(trace["question"], trace["columns"], trace) if agree is not None else None
    if view == "soft" and ans["kind"] == "scalar":
        st.caption(f"Soft (training-time) value; the hard, test-time answer is {fmt(ans['scalar'])}.")
    if guess:
        guess_notice(guess)
    elif agree is True and verdict is not None and not verdict.same:
        st.warning("**Right answer, wrong program:** the grammar's interpreter gives the same answer, but the "
                   f"program {escape.md(verdict.reason)}. On another table it would answer differently.")
    elif agree is True:
        st.success("Right: the grammar's interpreter agrees, and the program matches the grammar's.",
                   icon=":material/check_circle:")
    elif agree is False:
        st.error(f"Wrong: the right answer is {escape.md(right_text(right, rows))}. You can teach the model this "
                 "answer below.")
        if verdict is not None and not verdict.same:
            st.caption(f"Where it goes wrong: the program {escape.md(verdict.reason)}.")
    for w in trace["warnings"]:
        if not w.startswith(UNKNOWN_WORDS):  # the guess notice lists the unknown words (not column names)
            st.warning(escape.md(w[0].upper() + w[1:] + "."))


def guess_notice(guess: context.Guess) -> None:
    st.warning(f"**The model is guessing:** {escape.md('; '.join(guess.reasons))}. It answers anyway; do not trust "
               "this answer.")
    if guess.suggestion:
        st.button(f"Ask instead: **{escape.md(guess.suggestion)}**", key="ask_instead", icon=":material/lightbulb:",
                  on_click=context.ask_instead, args=(guess.suggestion,),
                  help="The closest question this model was trained to read, built from its own grammar, the "
                  "table's columns and your numbers")
    model_choice.offer_real()


def program_box(trace: dict) -> None:
    st.markdown(f"**{LOOK[trace['family']].program}**")
    with st.container(key=PROGRAM_KEY):
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
    v = ss.get(state.FOCUS_PICK)
    ss[state.FOCUS] = None if v in (None, "answer") else {"step": int(v[1:]), "row": None}


def linked_table(trace: dict, df: pd.DataFrame, view: str) -> None:
    """The table highlighted for the focused step (or the answer when no step is focused): the rows it selected,
    or for a step that selects none (sum, count, print, …) the rows it read, in blue; printed cells in amber."""
    steps, focus, look = trace["steps"], ss.get(state.FOCUS), LOOK[trace["family"]]
    t = focus["step"] if focus else len(steps)
    s = steps[t - 1]
    reads = s["op"] in ex.spec(trace).no_rows_after or (look.last_read and not focus)
    weights = ex.rows_of(trace, t - 1 if reads else t, view)
    if focus:
        cells = ex.cells_of(trace, t, view) if s["op"] == ex.spec(trace).prints else None
        which = "rows it read" if reads else "rows it selected"
        st.markdown(f"**{look.step.format(t)}:** {escape.md(s['sentence'])} ({which} in blue)")
    else:
        cells = trace["answer"]["cells"] if trace["answer"]["kind"] == "cells" else None
        st.markdown(f"**The answer:** {look.answer}")
    table_view.show(df, "linked_table", height=TABLE_HEIGHT, row_weights=weights, cells=cells,
                    column=s["column_name"], focus_row=focus.get("row") if focus else None)
    table_view.legend(column=look.legend_column or s["column_name"] is not None)


VIEW_LABELS = {"hard": "hard (test)", "soft": "soft (training)"}  # short: the Step page gives the control 3/10 of a row


def view_picker(container, key: str = state.VIEW_PICK) -> str:
    """The hard / soft control (its choice kept in state.VIEW for every page); the view picked."""
    return container.segmented_control(
        "View", list(VIEW_LABELS), key=key, default=ss.get(state.VIEW, "hard"), required=True,
        format_func=VIEW_LABELS.get, on_change=lambda: ss.__setitem__(state.VIEW, ss.get(key) or "hard"),
        help="hard: the choices the model makes at test time (the most probable operation and column). soft: the "
        "probabilities behind them, as training uses them.",
    ) or "hard"


def results(trace: dict, ctx: context.Context, right: dict | None = None, agree: bool | None = None,
            guess: context.Guess | None = None, choice: model_choice.Choice | None = None) -> None:
    """First row (on the first screen): answer and program, operation and column heatmaps, highlighted table.
    Then the view controls and the other heatmaps. `choice`: the 2017 model answered (model_choice.choose)."""
    update_focus(trace)
    view, focus, fmt_pick = ss.get(state.VIEW, "hard"), ss.get(state.FOCUS), ss.get(IMAGE_FORMAT, "png")
    look = LOOK[trace["family"]]
    answer_col, ops_col, table_col = st.columns([5, 4, 5])
    with answer_col:
        answer_box(trace, right, agree, view, ctx.df.values.tolist(), guess, choice)
        if choice is not None:
            candidates_view.synthetic_reading(ctx, trace)
        program_box(trace)
        if choice is not None:
            model_choice.back_button(ctx)
    with ops_col:  # at a fixed, compact height, so the first screen holds them
        fig = figures.ops_figure(trace, view, focus=focus)
        fig.update_layout(height=look.ops_height or min(300, 90 + 22 * len(trace["ops"])))
        figures.show(fig, "hm_ops", fmt_pick, name="operations")
        fig = figures.columns_figure(trace, view, focus=focus)
        fig.update_layout(height=min(300, 90 + 22 * len(trace["columns"])))
        figures.show(fig, "hm_cols", fmt_pick, name="columns")
    with table_col:
        linked_table(trace, ctx.df, view)
        options = ["answer"] + [f"t{s['t']}" for s in trace["steps"]]
        ss[state.FOCUS_PICK] = f"t{focus['step']}" if focus else "answer"
        st.select_slider(look.slider, options, key=state.FOCUS_PICK, on_change=on_focus_pick)
    if choice is not None:
        candidates_view.candidates(trace, "ask_candidates")  # full width: each row is a whole program
        _words_2017(trace, focus, fmt_pick)
    else:
        _more_views(trace, view, focus, fmt_pick)
    exports(trace)


def _words_2017(trace: dict, focus: dict | None, fmt_pick: str) -> None:
    """The 2017 model's view control, a note on how it reads the question, and its question-word attention."""
    left, right = st.columns([3, 5], vertical_alignment="bottom")
    view_picker(left)
    right.caption("The real-tables model reads the question's words after replacing the cells it matched by "
                  f"{escape.md('<unk>')} and taking the numbers out (they are the comparisons' pivots); "
                  f"{escape.md('<entry_match>')} and {escape.md('<column_match>')} say what matched the table.")
    fig = figures.words_figure(trace, focus=focus, how=model_choice.method_note())
    if fig is not None:
        figures.show(fig, "hm_words", fmt_pick, name="question-attention")


def _more_views(trace: dict, view: str, focus: dict | None, fmt_pick: str) -> None:
    """The view control, "More heatmaps" and the download format; when on, the row, word and pivot heatmaps."""
    c1, c2, c3 = st.columns([3, 3, 2], vertical_alignment="bottom")
    view_picker(c1)
    more = c2.toggle("More heatmaps", key=MORE_VIEWS,
                     help="The row selector, question-word attention and pivot heatmaps. Off by default: every chart "
                     "costs the browser about 0.15 s each time the answer is redrawn (benchmarks/explorer_latency.py), "
                     "and the first screen already shows the operation and column choices")
    c3.radio("Heatmap download", ["png", "svg"], horizontal=True, key=IMAGE_FORMAT,
             help="The camera icon at the top right of each heatmap downloads it in this format")
    if not more:
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


def exports(trace: dict) -> None:
    a, b, c = st.columns([1, 1, 3])
    # the JSON is built only when clicked, not on every keystroke
    a.download_button("Trace as JSON", lambda: json.dumps(trace, indent=1), "trace.json", "application/json",
                      on_click="ignore", key="dl_trace")
    with b:
        download()
    c.caption("Share this view: the address bar holds the table, question and checkpoint.")
