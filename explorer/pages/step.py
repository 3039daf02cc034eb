"""Step through: the trace player (Play, linked hover) above, then one step at a time: what it read beside
what it produced, why, and the probabilities behind its choices. The model that answers is the Ask page's
(model_choice.choose): the synthetic checkpoint, or the real-tables model (2017) for plain English."""

from __future__ import annotations

import streamlit as st

from engine.np2016.program import step_name
from explorer import escape, state
from explorer.components import candidates_view, context, figures, model_choice, step_panels, trace_player
from explorer.components.trace_view import answer_text, view_picker

PLAYER_KEY = "step_player"  # the trace player's widget key on this page

st.title("Step through the program")
state.show_flash()
ss = st.session_state
ctx = context.table_context()
top = st.container()
entry = context.checkpoint_picker(ctx, container=top, question=ss.get(state.QUESTION, ""))
question = ss.get(state.QUESTION, "")
src = (ss.get(state.TABLE_SOURCE) or {}).get("label", "")
st.markdown(f"**Question:** {escape.md(question) or '(none)'} on the table *{escape.md(src)}* (change them on the "
            "Ask page).")
choice = model_choice.choose(ctx, question)
if choice.real:
    st.caption(f"Answered by {model_choice.REAL_NAME} because {escape.md(choice.reason)}.")
    trace = model_choice.get_trace(ctx, question)
    if trace is not None:
        candidates_view.confidence_note(trace)
else:
    context.fit_warnings(ctx)
    trace = context.get_trace(ctx, question) if entry is not None else None
if trace is None:
    st.page_link(state.ASK.path, label="Choose a table and a question on Ask", icon=f":material/{state.ASK.icon}:")
    st.stop()

T = len(trace["steps"])
ss[state.STEP] = min(max(int(ss.get(state.STEP, 1)), 1), T)


def _move(delta: int) -> None:
    ss[state.STEP] = min(max(ss[state.STEP] + delta, 1), T)  # the slider follows: it is set from STEP below


def _picked() -> None:
    t = trace_player.picked(PLAYER_KEY)
    if t is not None:
        ss[state.STEP] = min(max(t, 1), T)


ss[state.STEP_SLIDER] = ss[state.STEP]
a, b, c, d = st.columns([1.3, 1.3, 5, 3], vertical_alignment="bottom")
a.button("◀ Back", on_click=_move, args=(-1,), disabled=ss[state.STEP] <= 1, key="step_prev")
b.button("Next ▶", on_click=_move, args=(1,), disabled=ss[state.STEP] >= T, key="step_next")
if T > 1:
    c.select_slider("Step", list(range(1, T + 1)), key=state.STEP_SLIDER, format_func=step_name,
                    on_change=lambda: ss.update({state.STEP: int(ss[state.STEP_SLIDER])}))
view = view_picker(d, state.STEP_VIEW)
t = ss[state.STEP]

with st.container(border=True):
    trace_player.show(trace, ctx.df, view, current=t, key=PLAYER_KEY, on_pick=_picked)

step_panels.explain(ctx, trace, t, view)
step_panels.choices(trace, t, view)
ops_fig, cols_fig = figures.step_bars(trace, t, view)
figures.show_row((ops_fig, "step_ops", f"step{t}-operations"), (cols_fig, "step_cols", f"step{t}-columns"))
answer = answer_text(trace["answer"], view, trace["family"])
st.caption(f"Final answer after {step_name(T)}: {escape.md(answer)}.")
with st.expander("The whole program"):
    st.code("\n".join(trace["program_text"]), language=None, wrap_lines=True)
if choice.real:
    candidates_view.candidates(trace, "step_candidates")
state.sync_url(step=t)
