"""The Worksheet page's teacher view: a title, a table (the Ask page's, a CSV file or the open worksheet's), the
questions typed one per line with an optional "=> expected answer", and the model; the worksheet follows the
typing, checked as a student's copy will be (explorer/worksheet.py), and is shared as a link or a file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import checkpoints, escape, state, tables
from explorer import worksheet as ws
from explorer.components import context, table_editor, worksheet_view

TITLE_BOX = "ws_title"
QUESTIONS_BOX = "ws_questions"
TABLE_FROM = "ws_table_from"  # FROM_ASK, FROM_FILE or FROM_SHEET
TABLE_UPLOAD = "ws_table_upload"
MODEL_PICK = "ws_model"  # context.AUTO or a checkpoint id
LINK_KEY = "ws_link"  # the link's container (browser tests read the link there: st-key-ws_link)
FROM_ASK, FROM_FILE, FROM_SHEET = "ask", "file", "sheet"
PLACEHOLDER = "sum sales => 1234.5\nwhich year had the most sales? => 2015\ncount"
ss = st.session_state


def _edit_open() -> None:
    """Fill the boxes from the open worksheet (opened from a link or a file), to change it and share it again."""
    sheet = ss[worksheet_view.SHEET]
    ss[TITLE_BOX], ss[QUESTIONS_BOX] = sheet.title, ws.questions_text(sheet.items)
    ss[TABLE_FROM] = FROM_SHEET
    ids = [e.id for e in checkpoints.all_checkpoints()]
    ss[MODEL_PICK] = sheet.checkpoint if sheet.checkpoint in ids else context.AUTO


def _table() -> tuple[pd.DataFrame, str | None] | None:
    """The table picked and the sample it is (None: not a sample), or None after saying why there is none."""
    sheet = ss.get(worksheet_view.SHEET)
    sources = {FROM_ASK: "The Ask page's table", FROM_FILE: "A CSV file"}
    if sheet is not None:
        sources[FROM_SHEET] = "The open worksheet's table"
    if ss.get(TABLE_FROM) not in sources:
        ss[TABLE_FROM] = FROM_ASK
    picked = st.radio("Table", list(sources), format_func=sources.get, key=TABLE_FROM, horizontal=True)
    if picked == FROM_SHEET:
        st.caption(f"{len(sheet.df)} rows × {len(sheet.df.columns)} columns, from “{escape.md(sheet.title)}”.")
        return sheet.df, sheet.table.get("sample")
    if picked == FROM_ASK:
        st.caption(f"Table: **{table_editor.summary()}**. Pick, upload or edit it on the Ask page.")
        src = ss.get(state.TABLE_SOURCE) or {}
        return ss[state.TABLE], src.get("id") if src.get("kind") == "sample" else None
    upload = st.file_uploader(f"CSV file (UTF-8, at most {tables.MAX_ROWS} rows × {tables.MAX_COLUMNS} columns)",
                              type=["csv", "txt"], key=TABLE_UPLOAD, max_upload_size=1)
    if upload is None:
        st.info("Upload the table's CSV file.")
        return None
    try:
        df, notes = tables.parse_csv(upload.getvalue())
    except tables.TableError as e:
        st.error(escape.md(f"{upload.name}: {e}."))
        return None
    for note in notes:
        st.caption(escape.md(note))
    return df, None


def _model() -> str | None:
    registry = checkpoints.all_checkpoints()
    labels = {context.AUTO: "The model the app picks for each question, as on the Ask page"}
    labels |= {e.id: context.picker_label(e) for e in registry}
    if ss.get(MODEL_PICK) not in labels:
        ss[MODEL_PICK] = context.AUTO
    pick = st.selectbox("Model", list(labels), format_func=labels.get, key=MODEL_PICK,
                        help="Pin one model so that every student sees the same one whatever the question; by "
                        "default plain English goes to the real-tables model, as on the Ask page")
    return None if pick == context.AUTO else pick


def _share(sheet: ws.Worksheet) -> None:
    packed = ws.to_link_param(sheet)
    st.markdown(f"**Share it** ({len(sheet.items)} questions)")
    if packed is None:
        st.info(f"The worksheet is too large for a link (over {ws.LINK_MAX_CHARS:,} characters packed): share "
                "its file; students open it on this page.")
    else:
        base = str(st.context.url or "").split("?")[0]
        with st.container(key=LINK_KEY):
            st.code(f"{base}?{ws.LINK_PARAM}={packed}", language=None, wrap_lines=True)
    left, right = st.columns([1, 1])
    with left:
        worksheet_view.download(sheet, "ws_teacher_download")
    right.button("Try it as a student", key="ws_try", icon=":material/play_arrow:", type="primary",
                 on_click=worksheet_view.open_sheet, args=(sheet, True))


def form() -> None:
    """The teacher's boxes, then the worksheet's link and file, or what to fix first."""
    if ss.get(worksheet_view.SHEET) is not None:
        st.button("Edit the open worksheet", key="ws_edit", on_click=_edit_open, icon=":material/edit:",
                  help="Fill the boxes below from the worksheet open in the student view")
    ss.setdefault(TITLE_BOX, ws.DEFAULT_TITLE)
    st.text_input("Title", key=TITLE_BOX, max_chars=ws.MAX_TITLE_CHARS)
    table = _table()
    st.text_area(f"Questions, one per line (at most {ws.MAX_QUESTIONS}); after “{ws.EXPECTED_MARK}” the answer "
                 f"you expect, several items separated by “{ws.ANSWER_SEPARATOR}”", key=QUESTIONS_BOX,
                 placeholder=PLACEHOLDER, height=160,
                 help="Answers are marked by the WikiTableQuestions rules: numbers by value (1,000 = 1000), text "
                 "without case or surrounding punctuation, items in any order. A question without an expected "
                 "answer is shown but not marked")
    checkpoint = _model()
    questions = ws.parse_questions(ss.get(QUESTIONS_BOX) or "")
    if table is None:
        return
    if not questions:
        st.info("Type at least one question.")
        return
    try:
        sheet = ws.from_dict({"schema": ws.SCHEMA, "title": ss.get(TITLE_BOX) or ws.DEFAULT_TITLE,
                              "table": ws.table_of(*table), "questions": questions}
                             | ({"checkpoint": checkpoint} if checkpoint else {}))
    except ws.WorksheetError as e:
        st.error(f"The worksheet cannot be made yet: {escape.md(e)}.", icon=":material/block:")
        return
    _share(sheet)
