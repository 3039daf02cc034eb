"""The table: pick a sample, upload a CSV or start blank; edit cells, rows and columns in place.

Base-table + version-key pattern (guide §3.4): the editor is given `state.TABLE_BASE` under the key
`editor_<version>`; its output becomes `state.TABLE` on every run. Loading a table or changing its
columns sets a new base and version, which gives the editor a clean start. Edits survive a page
switch: when the editor's widget state is gone, the current table becomes the new base.
"""

from __future__ import annotations

import streamlit as st

from explorer import escape, state, tables


def _on_sample() -> None:
    sample = st.session_state.get(state.SAMPLE_PICK)
    if sample:
        state.load_sample(sample)
        st.session_state.pop(state.QUESTION_BOX, None)


def _read_upload(raw: bytes):
    """(table, notes) of an uploaded file; TableError when it holds no usable table."""
    df, notes = tables.parse_csv(raw)
    if df.empty:
        raise tables.TableError(
            "the file has a header but no data rows: upload a CSV with a header row and at least one data row"
        )
    return df, notes


def _on_upload() -> None:
    """Load an uploaded CSV; a file that cannot be used leaves the current table as it was."""
    upload = st.session_state.get(state.CSV_UPLOAD)
    st.session_state[state.UPLOAD_ERROR] = None
    if upload is None:
        return
    try:
        df, notes = _read_upload(upload.getvalue())
    except tables.TableError as e:
        st.session_state[state.UPLOAD_ERROR] = f"{upload.name}: {e}. Your current table is unchanged."
        return
    state.set_table(df, {"kind": "upload", "id": None, "label": f"uploaded {upload.name}"})
    for note in notes:
        state.flash("info", note)


def _on_blank() -> None:
    state.set_table(tables.blank_table(), {"kind": "blank", "id": None, "label": "blank table"})
    st.session_state[state.QUESTION] = ""
    st.session_state.pop(state.QUESTION_BOX, None)


def source_picker() -> None:
    """Sample table selector, CSV upload and the blank-table button."""
    samples = tables.list_samples()
    src = st.session_state.get(state.TABLE_SOURCE) or {}
    current = src.get("id") if src.get("kind") == "sample" else None
    st.session_state[state.SAMPLE_PICK] = current
    left, mid, right = st.columns([3, 3, 1], vertical_alignment="bottom")
    left.selectbox(
        "Sample table",
        list(samples),
        format_func=samples.get,
        key=state.SAMPLE_PICK,
        on_change=_on_sample,
        placeholder="Choose a sample table…",
    )
    mid.file_uploader(
        f"…or upload a CSV (UTF-8, at most {tables.MAX_ROWS} rows × {tables.MAX_COLUMNS} "
        f"columns, {tables.MAX_UPLOAD_BYTES // 1_000_000} MB)",
        type=["csv", "txt"],
        key=state.CSV_UPLOAD,
        on_change=_on_upload,
        max_upload_size=1,
    )
    right.button("Blank table", on_click=_on_blank, help="Start from an empty one-column table")
    if st.session_state.get(state.UPLOAD_ERROR):
        st.error(escape.md(st.session_state[state.UPLOAD_ERROR]))
    label = escape.md(src.get("label", ""))
    edited = " (edited)" if st.session_state.get(state.TABLE_EDITED) or _has_edits() else ""
    st.caption(
        f"Table: **{label}{edited}** — {len(st.session_state[state.TABLE])} rows. Edit the cells below; "
        "+ under the table adds a row, select rows and press the bin to delete them."
    )


def _has_edits() -> bool:
    """The data editor holds edits (its widget state, available before the editor is drawn)."""
    delta = st.session_state.get(state.editor_key())
    return bool(delta) and any(delta.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def editor() -> None:
    """The data editor; keeps `state.TABLE` equal to what the user sees."""
    ss = st.session_state
    key = state.editor_key()
    if key not in ss and ss[state.TABLE_BASE] is not ss[state.TABLE]:
        ss[state.TABLE_BASE] = ss[state.TABLE]  # back from another page: keep the edits
        ss[state.TABLE_VER] += 1
        key = state.editor_key()
    base = ss[state.TABLE_BASE]
    config = {
        c: (
            st.column_config.NumberColumn(str(c), help="numeric column")
            if tables.is_numeric(base, c)
            else st.column_config.TextColumn(str(c), help="text column")
        )
        for c in base.columns
    }
    out = st.data_editor(
        base,
        key=key,
        num_rows="dynamic",
        column_config=config,
        width="stretch",
        height=min(38 + 35 * (len(base) + 1), 530),
    )
    if _has_edits():
        ss[state.TABLE_EDITED] = True
    ss[state.TABLE] = tables.normalize(out)


def _apply(fn, *args) -> None:
    try:
        df = fn(st.session_state[state.TABLE], *args)
    except tables.TableError as e:
        st.session_state[state.COLUMN_ERROR] = str(e)
        return
    st.session_state[state.COLUMN_ERROR] = None
    state.set_table(df)
    st.session_state[state.TABLE_EDITED] = True


def _rename() -> None:
    _apply(tables.rename_column, st.session_state.get(state.COL_PICK), st.session_state.get(state.COL_NEW_NAME, ""))


def _add() -> None:
    _apply(
        tables.add_column,
        st.session_state.get(state.COL_ADD_NAME, ""),
        st.session_state.get(state.COL_ADD_KIND, "numbers") == "numbers",
    )


def _drop() -> None:
    if len(st.session_state[state.TABLE].columns) <= 1:
        st.session_state[state.COLUMN_ERROR] = "a table needs at least one column: add another column first"
        return
    _apply(tables.drop_column, st.session_state.get(state.COL_PICK))


def _fix(name: str) -> None:
    _apply(tables.clear_non_numeric, name)


def column_tools() -> None:
    """Rename, add and remove columns (outside the editor, which edits cells and rows)."""
    df = st.session_state[state.TABLE]
    with st.expander("Columns: rename, add, remove"):
        left, right = st.columns(2)
        with left:
            st.selectbox("Column", list(df.columns), key=state.COL_PICK)
            st.text_input("New name", key=state.COL_NEW_NAME, max_chars=tables.MAX_NAME_CHARS)
            a, b = st.columns(2)
            a.button("Rename", on_click=_rename, key="col_rename")
            b.button("Remove column", on_click=_drop, key="col_drop")
        with right:
            st.text_input("Name of the new column", key=state.COL_ADD_NAME, max_chars=tables.MAX_NAME_CHARS)
            st.radio("It holds", ["numbers", "text"], key=state.COL_ADD_KIND, horizontal=True)
            st.button("Add column", on_click=_add, key="col_add")
    if st.session_state.get(state.COLUMN_ERROR):
        st.error(escape.md(st.session_state[state.COLUMN_ERROR]))
    for name, bad in tables.mixed_columns(df).items():
        cells = ", ".join(f"row {r}: '{escape.md(v)}'" for r, v in bad[:4]) + (" …" if len(bad) > 4 else "")
        st.warning(
            f"Column **{escape.md(name)}** is mostly numbers but has cells that are not ({cells}), so the "
            "model reads the whole column as text. Correct those cells, or clear them:"
        )
        st.button(
            f"Clear the non-numeric cells of {escape.md(name)}", key=f"fix_{name}", on_click=_fix, args=(name,)
        )


def csv_export(df) -> bytes:
    """The table as a CSV file a spreadsheet opens without running any cell as a formula."""
    return tables.to_csv_bytes(escape.csv_safe(df))


def download() -> None:
    st.download_button(
        "Table as CSV",
        csv_export(st.session_state[state.TABLE]),
        "table.csv",
        "text/csv",
        on_click="ignore",
        key="dl_csv",
    )
