"""The Programs page's result: the counts, accuracy per kind of question, the templates and their induced
programs, and a picker of examples (PAGE_SIZE per page) that opens one in Ask or Step through.

It draws an evaluation's compact result (explorer/evaluation_result.py): an example's table is made again
when it is opened, unless it is on the page of examples opened last.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer import escape, programs, state
from explorer.components import figures
from explorer.evaluation_result import PAGE_SIZE, RegenerationError, Result

EXAMPLES_PAGE = "prog_examples_page"  # which page of examples the picker shows (0-based)
ss = st.session_state


def draw(result: Result) -> None:
    """Everything about one evaluation's result."""
    summary = result.summary
    counts(result)
    only_errors = st.toggle("Only templates with errors", key=state.PROG_ERRORS)
    chart(summary["patterns"])
    tables(summary, only_errors)
    picker(result, only_errors)


def counts(result: Result) -> None:
    summary = result.summary
    st.subheader(
        f"{escape.md(result.ckpt)} on {result.task}: {summary['accuracy']:.1%} right "
        f"({summary['correct']} of {summary['total']})"
    )
    m1, m2, m3 = st.columns(3)
    m1.metric("Right answers", f"{summary['correct']} of {summary['total']}", border=True)
    m2.metric("Right, right program", summary[programs.RIGHT_PROGRAM], border=True,
              help="A right answer from the grammar's own program (the same answer on every table).")
    m3.metric("Right answer, wrong program", summary[programs.WRONG_PROGRAM], border=True,
              help="A right answer by luck: the program differs from the grammar's and would answer another table "
                   "wrongly.")


def chart(patterns: list[dict]) -> None:
    pat = pd.DataFrame(patterns)
    fig = go.Figure(go.Bar(x=pat["pattern"], y=pat["accuracy"], customdata=pat["examples"],
                           hovertemplate="%{x}<br>accuracy %{y:.0%} of %{customdata} examples<extra></extra>"))
    fig.update_layout(
        title={"text": "Accuracy per kind of question (operations of the template)", "font": {"size": 14}},
        height=320, yaxis_range=[0, 1.02], yaxis_tickformat=".0%", margin={"l": 10, "r": 10, "t": 40},
    )
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(automargin=True)
    figures.show(fig, "prog_chart", clickable=False, name="accuracy-per-template")


ACCURACY = {"accuracy": st.column_config.ProgressColumn("accuracy", format="percent", min_value=0, max_value=1)}


def tables(summary: dict, only_errors: bool) -> None:
    tmpl = pd.DataFrame(summary["templates"])
    progs = pd.DataFrame(summary["programs"])
    if only_errors:
        tmpl = tmpl[tmpl["correct"] < tmpl["examples"]]
        progs = progs[progs["correct"] < progs["examples"]]
    st.markdown("**Templates** (the canonical program of the question, columns named A, B, … by position) and the "
                "program the model induced most often:")
    st.dataframe(tmpl.drop(columns=["pattern"]), hide_index=True, key="prog_templates", column_config=ACCURACY)
    with st.expander(f"All induced programs per template ({len(progs)})"):
        st.dataframe(progs, hide_index=True, key="prog_programs", column_config=ACCURACY)


def label(record: dict, index: int) -> str:
    """A picker line: right or wrong, the example's number, its question and the program induced for it."""
    mark = "✗" if not record["correct"] else "✓ (wrong program)" if record["program_check"] == "different" else "✓"
    return f"{mark} #{index}: {record['question']}  →  {record['induced']}"


def page_label(page: int, total: int) -> str:
    return f"examples {page * PAGE_SIZE + 1:,}–{min((page + 1) * PAGE_SIZE, total):,} of {total:,}"


def shown_page(pool: list[int]) -> list[int]:
    """The examples of the picker's page: a page selector when the pool holds more than PAGE_SIZE."""
    pages = -(-len(pool) // PAGE_SIZE)
    if not 0 <= ss.get(EXAMPLES_PAGE, 0) < pages:  # fewer pages now (only the errors): back to the first
        ss[EXAMPLES_PAGE] = 0
    page = 0
    if pages > 1:
        page = st.selectbox("Page of examples", list(range(pages)), key=EXAMPLES_PAGE,
                            format_func=lambda p: page_label(p, len(pool)))
    return pool[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def picker(result: Result, only_errors: bool) -> None:
    records = result.records
    st.markdown("**Open an example** in Ask or Step through:")
    pool = [i for i, r in enumerate(records) if not (only_errors and r["correct"])]
    if not pool:
        st.success("No errors to show.")
        return
    shown = shown_page(pool)
    if ss.get(state.PROG_EXAMPLE) not in shown:  # another page: its first example
        ss.pop(state.PROG_EXAMPLE, None)
    pick = st.selectbox("Example", shown, format_func=lambda i: label(records[i], i), key=state.PROG_EXAMPLE)
    a, b, _ = st.columns([1, 1, 3])
    if a.button("Open in Ask", key="open_ask"):
        open_example(result, pick, shown, state.ASK.path)
    if b.button("Open in Step through", key="open_step"):
        open_example(result, pick, shown, state.STEP_THROUGH.path)
    record = records[pick]
    st.caption(f"Right answer: {record['answer']} · template: {record['template']} · table {record['n_rows']} rows "
               f"× {record['n_columns']} columns")


def open_example(result: Result, index: int, shown: list[int], page: str) -> None:
    """Load example `index` (its table made again if need be) into the session and go to `page`."""
    try:
        with st.spinner("Making the example's table again…"):
            example = result.example(index, shown)
    except RegenerationError as e:
        st.error(escape.md(f"This example cannot be opened: {e}. Evaluate again."))
        return
    state.load_example(example, result.ckpt, f"{result.task} test example #{index}")
    ss.pop(state.QUESTION_BOX, None)
    ss[state.STEP] = 1
    st.switch_page(page)
