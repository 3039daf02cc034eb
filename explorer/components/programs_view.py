"""The Programs page's result, for either family: the counts, the examples grouped by program (2016: question
templates; 2017: program shapes) with each group's accuracy, and a picker of examples (PAGE_SIZE a page) whose chosen
one opens in Ask or Step through. The result escapes what markdown shows; how a family names and keys it is LOOKS."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.families import NP2016, WTQ2017
from explorer import escape, state
from explorer.components import figures
from explorer.evaluation_result import PAGE_SIZE, RegenerationError
from explorer.real_tables import APP_BEAM

DEV_RUN, OPEN_KEY = "real_prog_run", "real_prog_open"  # the 2017 view's Evaluate and Open in Ask buttons
ACCURACY = {"accuracy": st.column_config.ProgressColumn("accuracy", format="percent", min_value=0, max_value=1)}
ss = st.session_state


@dataclass(frozen=True)
class Look:
    """How one family's page names and keys what it draws."""

    intro: str  # what the page does, under its title
    only_wrong: str  # the toggle's label
    only_wrong_key: str
    none_wrong: str  # said when only wrong ones are asked for and there are none
    table_key: str  # the groups table
    example_label: str  # the example picker's label
    example_key: str
    opens: tuple[tuple[str, str, str], ...]  # (label, key, page) of each button opening the chosen example
    table_intro: str = ""  # markdown above the groups table
    picker_intro: str = ""  # markdown above the example picker
    hidden: tuple[str, ...] = ()  # columns of the groups left out of the table
    group_column: str = ""  # when set, one group is picked (by this column) before its example
    group_key: str = ""
    members_key: str = ""  # the table of the picked group's examples


LOOKS = {
    NP2016: Look("Evaluate a checkpoint on freshly generated test questions, then see which program it induces for "
                 "each question template, how often, and how often it is right.",
                 "Only templates with errors", state.PROG_ERRORS, "No errors to show.", "prog_templates", "Example",
                 state.PROG_EXAMPLE, (("Open in Ask", "open_ask", state.ASK.path),
                                      ("Open in Step through", "open_step", state.STEP_THROUGH.path)),
                 table_intro="**Templates** (the canonical program of the question, columns named A, B, … by "
                 "position) and the program the model induced most often:",
                 picker_intro="**Open an example** in Ask or Step through:", hidden=("pattern",)),
    WTQ2017: Look("The 2017 model (plain English on real tables) answers the WikiTableQuestions dev questions; their "
                  "induced programs are grouped by *program shape* (the operations in order, reset steps left out). "
                  f"Each question is decoded as Ask decodes it (the most probable of the {APP_BEAM} most probable "
                  "programs whose answer is an answer), so an example opened in Ask gets the same answer. Accuracy "
                  "follows the benchmark's rules (answers normalised, numbers and dates by value, compared as sets).",
                  "Only wrong answers", state.WTQ_PROG_WRONG, "No wrong answers to show.",
                  "real_prog_groups", "Question", state.WTQ_PROG_EXAMPLE, (("Open in Ask", OPEN_KEY, state.ASK.path),),
                  group_column="program shape", group_key=state.WTQ_PROG_SHAPE, members_key="real_prog_members"),
}


def code_span(text) -> str:
    """`text` as a markdown code span: shown as typed, with no escape's backslash (markdown reads nothing inside
    one), its fence a backtick longer than any run of backticks in the text."""
    text = " ".join(str(text).splitlines())
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def draw(result) -> None:
    """Everything about one evaluation's result (either family's)."""
    look = LOOKS[result.family]
    st.subheader(result.heading)
    for note in result.notes:
        st.caption(note)
    for problem in result.problems:
        st.warning(escape.md(problem))
    if result.metrics:
        for column, (name, value, text) in zip(st.columns(len(result.metrics)), result.metrics, strict=True):
            column.metric(name, value, help=text, border=True)
    only_wrong = st.toggle(look.only_wrong, key=look.only_wrong_key)
    if result.chart:
        chart(result.chart)
    groups = result.groups(only_wrong)
    if look.table_intro:
        st.markdown(look.table_intro)
    if groups:
        st.dataframe(pd.DataFrame(groups).drop(columns=list(look.hidden)), hide_index=True, key=look.table_key,
                     column_config=ACCURACY)
    for title, rows, key in result.more(only_wrong):
        with st.expander(title):
            st.dataframe(pd.DataFrame(rows), hide_index=True, key=key, column_config=ACCURACY)
    picker(result, look, groups, only_wrong)


def chart(patterns: list[dict]) -> None:
    pat = pd.DataFrame(patterns)
    fig = go.Figure(go.Bar(x=pat["pattern"], y=pat["accuracy"], customdata=pat["examples"],
                           hovertemplate="%{x}<br>accuracy %{y:.0%} of %{customdata} examples<extra></extra>"))
    figures.chart_layout(fig, "Accuracy per kind of question (operations of the template)", height=320,
                         margin={"l": 10, "r": 10, "t": 40}, yaxis_range=[0, 1.02], yaxis_tickformat=".0%")
    figures.show(fig, "prog_chart", clickable=False, name="accuracy-per-template")


def page_label(page: int, total: int) -> str:
    return f"examples {page * PAGE_SIZE + 1:,}–{min((page + 1) * PAGE_SIZE, total):,} of {total:,}"


def shown_page(pool: list[int]) -> list[int]:
    """The examples of the picker's page: a page selector when the pool holds more than PAGE_SIZE."""
    pages = -(-len(pool) // PAGE_SIZE)
    if not 0 <= ss.get(state.PROG_EXAMPLES_PAGE, 0) < pages:  # fewer pages now (only the errors): back to the first
        ss[state.PROG_EXAMPLES_PAGE] = 0
    page = 0
    if pages > 1:
        page = st.selectbox("Page of examples", list(range(pages)), key=state.PROG_EXAMPLES_PAGE,
                            format_func=lambda p: page_label(p, len(pool)))
    return pool[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def picker(result, look: Look, groups: list[dict], only_wrong: bool) -> None:
    """The example picker (of the picked group's examples, where the family picks a group first) and its buttons."""
    group = None
    if look.group_column and groups:
        by = {g[look.group_column]: g for g in groups}
        group = st.selectbox(look.group_column.capitalize(), list(by), key=look.group_key, format_func=lambda s: (
            f"{s} ({by[s]['examples']} question{'s' * (by[s]['examples'] != 1)}, {by[s]['accuracy']:.0%} right)"))
    pool = result.pool(only_wrong, group)
    if not pool:
        st.success(look.none_wrong)
        return
    if look.members_key:
        st.dataframe(pd.DataFrame(result.members(pool)), hide_index=True, key=look.members_key)
    if look.picker_intro:
        st.markdown(look.picker_intro)
    shown = shown_page(pool)
    if ss.get(look.example_key) not in shown:  # another page or group: its first example
        ss.pop(look.example_key, None)
    pick = st.selectbox(look.example_label, shown, format_func=result.label, key=look.example_key)
    lines, caption, table = result.detail(pick)
    with st.container(border=True, key="prog_detail"):
        for line in lines:
            st.markdown(line)
        st.caption(caption)
        if table is not None:
            st.dataframe(table, hide_index=True, key="prog_table")
        for column, (label, key, page) in zip(st.columns([1] * len(look.opens) + [3]), look.opens, strict=False):
            if column.button(label, key=key):
                open_example(result, pick, shown, page)


def open_example(result, index: int, shown: list[int], page: str) -> None:
    """Load example `index` (a 2016 one's table made again if need be) into the session and go to `page`."""
    try:
        with st.spinner("Opening the example…"):
            example, ckpt, source = result.opening(index, shown)
    except RegenerationError as e:
        st.error(escape.md(f"This example cannot be opened: {e}. Evaluate again."))
        return
    state.load_example(example, ckpt, source)
    ss.pop(state.QUESTION_BOX, None)
    ss[state.STEP] = 1
    st.switch_page(page)
