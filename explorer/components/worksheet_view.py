"""The Worksheet page's student view: a worksheet (explorer/worksheet.py) opened from its link or file, its questions
walked one at a time (each answered by the model the Ask page would use, or the one the worksheet names, with its
program in words, the heatmaps and the table, and marked against the teacher's answer), then a summary. The page's
own session keys and its Page are here; the answering is the Ask page's (context, model_choice, trace_view)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pandas as pd
import streamlit as st

from engine.families import NP2016
from engine.np2016.batch import column_kinds
from explorer import checkpoints, escape, state, tables
from explorer import worksheet as ws
from explorer.components import context, figures, model_choice, trace_view

SHEET = "ws_sheet"  # the worksheet open in this session (worksheet.Worksheet) or None
AT = "ws_at"  # the question shown (0-based); len(items): the summary
RESULTS = "ws_results"  # question index -> {"answer": the answer as shown or None, "right": True/False/None}
LINK_SEEN = "ws_link_seen"  # the `ws` parameter last read, so a link is opened once, not on every rerun
LOAD_ERROR = "ws_load_error"  # why the last link or file was refused (plain text)
MODE = "ws_mode"  # "student" or "teacher" (the page's segmented control)
UPLOAD, UPLOAD_SEEN = "ws_upload", "ws_upload_seen"  # the worksheet file uploader; the id of the file acted on
NAV_KEY = "ws_nav"  # the container of the Previous / Next buttons (browser tests find it by st-key-ws_nav)
SUMMARY_KEY = "ws_summary"  # the summary's container
ss = st.session_state


def open_sheet(sheet: ws.Worksheet, to_student: bool = False) -> None:
    """Start walking `sheet` from its first question (a link, a file, the teacher's Try it). `to_student`: also
    switch the page to the student view (only before the view control is drawn: a callback, or read_link)."""
    ss[SHEET], ss[AT], ss[RESULTS], ss[LOAD_ERROR] = sheet, 0, {}, None
    ss[state.FOCUS] = None
    if to_student:
        ss[MODE] = "student"


def read_link() -> None:
    """Open the worksheet of the address's `ws` parameter the first time this session sees it."""
    packed = st.query_params.get(ws.LINK_PARAM)
    if not packed or packed == ss.get(LINK_SEEN):
        return
    ss[LINK_SEEN] = packed
    try:
        open_sheet(ws.from_link_param(packed), to_student=True)
    except ws.WorksheetError as e:
        ss[LOAD_ERROR] = f"The worksheet could not be opened: {e}."
        ss[MODE] = "student"  # where the message is


def _take_upload(upload) -> None:
    file_id = getattr(upload, "file_id", None) or f"{upload.name}:{upload.size}"
    if ss.get(UPLOAD_SEEN) == file_id:  # acted on once, as the table uploader does
        return
    ss[UPLOAD_SEEN] = file_id
    try:
        open_sheet(ws.loads(upload.getvalue(), upload.name))
    except ws.WorksheetError as e:
        ss[LOAD_ERROR] = f"The worksheet could not be opened: {e}."


def opener(expanded: bool) -> None:
    """The worksheet file's uploader, and why the last link or file was refused (after it: a file just refused)."""
    with st.expander("Open a worksheet file (.json)", expanded=expanded, icon=":material/upload_file:"):
        upload = st.file_uploader(f"Worksheet file (at most {ws.MAX_FILE_BYTES // 1_000_000} MB)", type=["json"],
                                  key=UPLOAD, max_upload_size=ws.MAX_FILE_BYTES // 1_000_000)
        if upload is not None:
            _take_upload(upload)
    if ss.get(LOAD_ERROR):
        st.error(escape.md(ss[LOAD_ERROR]), icon=":material/block:")


def download(sheet: ws.Worksheet, key: str) -> None:
    st.download_button("Worksheet as a file (.json)", lambda: ws.dumps(sheet), "worksheet.json", "application/json",
                       on_click="ignore", key=key, icon=":material/download:")


# ----------------------------------------------------------------------------- answering one question

def _context(sheet: ws.Worksheet) -> context.Context:
    """The worksheet's table as the Ask page's context sees a table (context.table_context reads the session's)."""
    columns, rows = tables.to_engine(sheet.df)
    return context.Context(sheet.df, columns, rows, column_kinds(columns, rows) if columns else [],
                           tables.problems(sheet.df))


def _pick_models(ctx: context.Context, sheet: ws.Worksheet) -> str | None:
    """The worksheet's checkpoint when it is here (None: the app picks per question, as on Ask); sets ctx.entry to
    the synthetic checkpoint that answers (the worksheet's, else the best match for the table)."""
    registry = checkpoints.all_checkpoints()
    pinned = checkpoints.find(registry, sheet.checkpoint)
    if sheet.checkpoint and pinned is None:
        st.warning(f"The worksheet asks for the model '{escape.md(sheet.checkpoint)}', which is not here; the "
                   "model the app picks for each question answers instead.", icon=":material/report:")
    synthetic = [e for e in registry if e.family == NP2016]
    entry = pinned if pinned is not None and pinned.family == NP2016 else (
        checkpoints.best_match(synthetic, ctx.columns, ctx.kinds))
    if entry is not None:
        ctx.vocab = context.vocab_of(entry, st)
        ctx.entry = entry if ctx.vocab is not None else None
    return pinned.id if pinned is not None else None


@contextmanager
def _session_model(ckpt_id: str | None) -> Iterator[None]:
    """model_choice and context read the session's checkpoint (state.CKPT, the Ask page's pick); a worksheet's
    model is its own (so every student gets the same answers), set for these calls of this run and put back."""
    before = ss.get(state.CKPT)
    ss[state.CKPT] = ckpt_id
    try:
        yield
    finally:
        ss[state.CKPT] = before


def _trace(ctx: context.Context, question: str, ckpt_id: str | None) -> tuple[dict | None, model_choice.Choice]:
    """The trace of the model that answers `question` (as Ask chooses it), or None after a message."""
    with _session_model(ckpt_id):
        choice = model_choice.choose(ctx, question)
        if choice.picked:
            choice = replace(choice, reason="the worksheet names it")
        if choice.real:
            return model_choice.get_trace(ctx, question), choice
        if ctx.entry is None:
            st.warning("No model here can answer questions on this table.", icon=":material/report:")
            return None, choice
        return context.get_trace(ctx, question), choice


def _verdict(right: bool | None, expected: str | None) -> None:
    if right is None:
        st.info("The worksheet gives no answer to this question: decide for yourself whether the model is right.")
    elif right:
        st.success(f"**Right:** the worksheet's answer is {escape.md(expected)}.", icon=":material/check_circle:")
    else:
        st.error(f"**Wrong:** the worksheet's answer is {escape.md(expected)}.", icon=":material/cancel:")


def _result(trace: dict, ctx: context.Context, choice: model_choice.Choice, right: bool | None,
            expected: str | None) -> None:
    """The Ask page's first screen for the trace (trace_view's parts, without Ask's exports, Teach and buttons
    that change the Ask page's model), with the mark against the worksheet's answer."""
    trace_view.update_focus(trace)
    focus = ss.get(state.FOCUS)
    answer_col, ops_col, table_col = st.columns([5, 4, 5])
    with answer_col:
        trace_view.answer_box(trace, None, None, "hard", ctx.df.values.tolist(), choice=choice if choice.real else None)
        if not choice.real:  # (the real-tables model's answer says itself which model gave it)
            st.caption(f"Answered by {context.model_summary(ctx.entry)}.")
            if (guess := context.honest_guess(ctx, trace["question"])) is not None:
                st.warning(f"**The model is guessing:** {escape.md('; '.join(guess.reasons))}.")
        _verdict(right, expected)
        trace_view.program_box(trace)
    with ops_col:
        fig = figures.ops_figure(trace, "hard", focus=focus)
        fig.update_layout(height=trace_view.LOOK[trace["family"]].ops_height or min(300, 90 + 22 * len(trace["ops"])))
        figures.show(fig, "hm_ops", name="operations")
        fig = figures.columns_figure(trace, "hard", focus=focus)
        fig.update_layout(height=min(300, 90 + 22 * len(trace["columns"])))
        figures.show(fig, "hm_cols", name="columns")
    with table_col:
        trace_view.linked_table(trace, ctx.df, "hard")
        ss[state.FOCUS_PICK] = f"t{focus['step']}" if focus else "answer"
        st.select_slider(trace_view.LOOK[trace["family"]].slider, ["answer"] + [f"t{s['t']}" for s in trace["steps"]],
                         key=state.FOCUS_PICK, on_change=trace_view.on_focus_pick)


def _go(to: int) -> None:
    ss[AT] = to
    ss[state.FOCUS] = None  # a step picked in one question's heatmap means nothing in the next


def _nav(at: int, n: int) -> None:
    with st.container(key=NAV_KEY, horizontal=True):
        st.button("Previous", key="ws_prev", on_click=_go, args=(at - 1,), disabled=at == 0,
                  icon=":material/arrow_back:")
        st.button("See the summary" if at == n - 1 else "Next question", key="ws_next", on_click=_go,
                  args=(at + 1,), type="primary", icon=":material/arrow_forward:")


def question(sheet: ws.Worksheet, at: int) -> None:
    """Question `at`: the model's answer, program, heatmaps and mark; recorded for the summary."""
    item, n = sheet.items[at], len(sheet.items)
    st.progress(at / n, text=f"Question {at + 1} of {n}")
    st.markdown(f"#### {escape.md(item.question)}")
    _nav(at, n)
    ctx = _context(sheet)
    ckpt_id = _pick_models(ctx, sheet)
    trace, choice = _trace(ctx, item.question, ckpt_id)
    if trace is None:
        ss[RESULTS][at] = {"answer": None, "right": None}
        return
    right = ws.is_right(trace, item.expected)
    ss[RESULTS][at] = {"answer": trace_view.answer_text(trace["answer"], "hard", trace["family"]), "right": right}
    _result(trace, ctx, choice, right, item.expected)


def summary(sheet: ws.Worksheet) -> None:
    """Every question, the model's answer, the worksheet's and the mark; how many were right."""
    results = ss.get(RESULTS, {})
    marks = {True: "right", False: "wrong", None: "not marked"}
    rows = [{"#": i + 1, "Question": item.question,
             "Model's answer": (results[i]["answer"] or "(none)") if i in results else "(not reached)",
             "Worksheet's answer": item.expected or "",
             "Mark": marks[results[i]["right"]] if i in results else "not reached"}
            for i, item in enumerate(sheet.items)]
    marked = [r for r in rows if r["Mark"] in ("right", "wrong")]
    with st.container(key=SUMMARY_KEY):
        st.subheader("Summary", anchor=False)
        right = sum(r["Mark"] == "right" for r in marked)
        if marked:
            st.markdown(f"The model answered **{right} of {len(marked)}** marked questions right"
                        + (f" ({len(rows) - len(marked)} not marked)." if len(marked) < len(rows) else "."))
        else:
            st.markdown("No question was marked: the worksheet gives no answers to them, or the model gave none.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="ws_summary_table")
    left, right_col = st.columns([1, 3])
    left.button("Back to the last question", key="ws_back", on_click=_go, args=(len(rows) - 1,),
                icon=":material/arrow_back:")
    right_col.button("Start again", key="ws_restart", on_click=_go, args=(0,), icon=":material/replay:")


def student() -> None:
    """The open worksheet (its title, table, the question reached or the summary), or how to open one."""
    opener(expanded=ss.get(SHEET) is None)
    sheet = ss.get(SHEET)  # after the uploader, which may have opened another
    if sheet is None:
        st.info("Open a worksheet: follow the link your teacher shared, or upload its file above. To make one, "
                "switch to the teacher view.")
        return
    st.header(escape.md(sheet.title), anchor=False)
    with st.expander(f"The table: {len(sheet.df)} rows × {len(sheet.df.columns)} columns", icon=":material/table:"):
        st.dataframe(sheet.df, key="ws_table")
    at = min(max(int(ss.get(AT, 0)), 0), len(sheet.items))
    if at == len(sheet.items):
        summary(sheet)
    else:
        question(sheet, at)
    download(sheet, "ws_download")
