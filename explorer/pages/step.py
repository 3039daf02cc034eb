"""Step through: one timestep at a time, the table before and after, the choices and what happened."""

from __future__ import annotations

import streamlit as st

from engine.program import op_label
from engine.trace import fmt
from explorer import escape, state
from explorer.components import context, figures, table_view
from explorer.components.trace_view import answer_text

st.title("Step through the program")
state.show_flash()
ss = st.session_state
ctx = context.table_context()
top = st.container()
entry = context.checkpoint_picker(ctx, container=top)
question = ss.get(state.QUESTION, "")
src = (ss.get(state.TABLE_SOURCE) or {}).get("label", "")
st.markdown(
    f"**Question:** {escape.md(question) or '(none)'} on the table *{escape.md(src)}* "
    "(change them on the Ask page)."
)
context.fit_warnings(ctx)

trace = context.get_trace(ctx, question) if entry is not None else None
if trace is None:
    st.page_link(
        state.ASK.path, label="Choose a table and a question on Ask", icon=f":material/{state.ASK.icon}:"
    )
    st.stop()

T = len(trace["steps"])
ss[state.STEP] = min(max(int(ss.get(state.STEP, 1)), 1), T)


def _move(delta: int) -> None:
    ss[state.STEP] = min(max(ss[state.STEP] + delta, 1), T)
    ss[state.STEP_SLIDER] = ss[state.STEP]


def _slide() -> None:
    ss[state.STEP] = int(ss[state.STEP_SLIDER])


ss[state.STEP_SLIDER] = ss[state.STEP]
a, b, c, d = st.columns([1.3, 1.3, 5, 3], vertical_alignment="bottom")
a.button("◀ Back", on_click=_move, args=(-1,), disabled=ss[state.STEP] <= 1, key="step_prev")
b.button("Next ▶", on_click=_move, args=(1,), disabled=ss[state.STEP] >= T, key="step_next")
if T > 1:
    c.slider("Step", 1, T, key=state.STEP_SLIDER, on_change=_slide)
view = d.segmented_control(
    "View",
    ["hard", "soft"],
    key=state.STEP_VIEW,
    default=ss.get(state.VIEW, "hard"),
    required=True,
    on_change=lambda: ss.__setitem__(state.VIEW, ss.get(state.STEP_VIEW)),
)
view = view or "hard"

t = ss[state.STEP]
step = trace["steps"][t - 1]
key = "rows_soft" if view == "soft" else "rows_hard"
before = trace["steps"][t - 2][key] if t >= 2 else [1.0] * trace["n_rows"]
st.info(f"**Step {t} of {T}:** {escape.md(step['description'])}.")

left, right = st.columns(2)
with left:
    st.markdown(
        "**Rows selected before the step**" + (" (all rows: nothing has filtered yet)" if t == 1 else "")
    )
    table_view.show(ctx.df, "step_before", row_weights=before, column=step["column"])
with right:
    cells = step["lookup_cells"]
    if view == "soft":
        cells = [[r, j] for r, row in enumerate(step["lookup_soft"]) for j, p in enumerate(row) if p > 0.5]
    st.markdown("**Rows selected after the step**" + (", printed cells in amber" if cells else ""))
    table_view.show(ctx.df, "step_after", row_weights=step[key], cells=cells, column=step["column"])
table_view.legend(column=True)

ops_fig, cols_fig = figures.step_bars(step, trace, view)
left, right = st.columns(2)
with left:
    figures.show(ops_fig, "step_ops", clickable=False, name=f"step{t}-operations")
with right:
    figures.show(cols_fig, "step_cols", clickable=False, name=f"step{t}-columns")

m1, m2, m3, m4 = st.columns(4)
m1.metric("Operation", op_label(step["op"]))
m2.metric("Column", escape.md(step["column"]) if step["column"] else "—")
if step["op"] in ("greater", "lesser"):
    m3.metric("Pivot", fmt(step["pivot"]), help="the question number the comparison uses")
else:
    m3.metric("Pivot", "—", help="only greater and lesser use a pivot")
scalar = step["scalar_soft"] if view == "soft" else step["scalar_hard"]
m4.metric("Scalar output", fmt(scalar), help="what sum, count or difference computed at this step")
n_sel = sum(1 for v in step[key] if v >= 0.5)
st.caption(
    f"Row selector after the step: {n_sel} of {trace['n_rows']} rows. Lookup output: "
    f"{len(cells)} cell(s). Final answer after step {T}: {escape.md(answer_text(trace['answer'], view))}."
)
if step["question_attention"] is not None and trace["words"]:
    top_words = sorted(zip(trace["words"], step["question_attention"], strict=True), key=lambda x: -x[1])[:3]
    st.caption(
        "At this step the model attends most to the words: "
        + ", ".join(f"**{escape.md(w)}** ({a:.0%})" for w, a in top_words)
    )
with st.expander("The whole program"):
    st.code("\n".join(trace["program_text"]), language=None)
state.sync_url(step=t)
