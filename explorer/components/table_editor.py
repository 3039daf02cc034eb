"""The table: pick a sample, upload a CSV or start blank; edit cells, rows and columns in place. Base-table +
version-key pattern (guide §3.4): the editor gets `state.TABLE_BASE` under the key `editor_<version>` and its output
becomes `state.TABLE`; a new table or new columns set a new base and version (a clean start for the editor), and
back from another page the current table becomes the base, so edits survive a page switch."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from explorer import escape, state, tables

ss = st.session_state


def _on_sample() -> None:
    sample = ss.get(state.SAMPLE_PICK)
    if sample:
        state.load_sample(sample)
        ss.pop(state.QUESTION_BOX, None)


def _take_upload(upload) -> None:
    """Load a newly chosen file or refuse it with a message, acted on exactly once: in the page run (the uploader's
    on_change can miss a quick second upload), a file whose id was not seen yet is new."""
    file_id = getattr(upload, "file_id", None) or f"{upload.name}:{upload.size}"
    if ss.get(state.UPLOAD_SEEN) == file_id:
        return
    ss[state.UPLOAD_SEEN] = file_id
    try:
        df, notes = tables.parse_csv(upload.getvalue())
        if df.empty:
            raise tables.TableError("the file has a header but no data rows: upload a CSV with a header row and at "
                                    "least one data row")
    except tables.TableError as e:
        ss[state.UPLOAD_ERROR] = (f"{upload.name}: {e}. Your current table is unchanged.", _table_signature())
        return
    state.set_table(df, {"kind": "upload", "id": None, "label": f"uploaded {upload.name}"})
    for note in notes:  # next to the uploader, in this run (a flash would wait for the next one)
        st.info(escape.md(note))


def _table_signature() -> str:
    """What identifies the table on screen: its version and the editor's edits on it."""
    return f"{ss[state.TABLE_VER]}:{json.dumps(ss.get(state.editor_key()), sort_keys=True, default=str)}"


def upload_error() -> str | None:
    """Why the last upload was refused, while the table is still the one it was refused on (a sample
    picked, a blank table, a column change or a cell edit since then makes it stale, and it goes)."""
    err = ss.get(state.UPLOAD_ERROR)
    if err and (not isinstance(err, tuple) or err[1] != _table_signature()):
        ss[state.UPLOAD_ERROR] = err = None
    return err[0] if err else None


def _on_blank() -> None:
    state.set_table(tables.blank_table(), {"kind": "blank", "id": None, "label": "blank table"})
    ss[state.QUESTION] = ""
    ss.pop(state.QUESTION_BOX, None)


def source_picker() -> None:
    samples = tables.list_samples()
    src = ss.get(state.TABLE_SOURCE) or {}
    current = src.get("id") if src.get("kind") == "sample" else None
    ss[state.SAMPLE_PICK] = current
    left, mid, right = st.columns([3, 3, 1], vertical_alignment="bottom")
    left.selectbox("Sample table", list(samples), format_func=samples.get, key=state.SAMPLE_PICK,
                   on_change=_on_sample, placeholder="Choose a sample table…")
    upload = mid.file_uploader(f"…or upload a CSV (UTF-8, at most {tables.MAX_ROWS} rows × {tables.MAX_COLUMNS} "
                               f"columns, {tables.MAX_UPLOAD_BYTES // 1_000_000} MB)", type=["csv", "txt"],
                               key=state.CSV_UPLOAD, max_upload_size=1)
    if upload is not None:
        _take_upload(upload)
    right.button("Blank table", on_click=_on_blank, help="Start from an empty one-column table")
    error = upload_error()
    if error:
        st.error(escape.md(error))
    st.caption(f"Table: **{summary()}**. Edit the cells below; + under the table adds a row, select rows and press "
               "the bin to delete them. A number column that gets a word becomes a text column (you are told which "
               "cell).")


def summary() -> str:
    """The table in one line of markdown: where it came from, whether it was edited, its size."""
    src, df = ss.get(state.TABLE_SOURCE) or {}, ss[state.TABLE]
    edited = " (edited)" if ss.get(state.TABLE_EDITED) or _has_edits() else ""
    return f"{escape.md(src.get('label', 'table'))}{edited}, {len(df)} rows × {len(df.columns)} columns"


def _has_edits() -> bool:
    """The data editor holds edits (its widget state, available before the editor is drawn)."""
    delta = ss.get(state.editor_key())
    return bool(delta) and any(delta.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text, for the editor: a word typed into a number column then stays a word, and the column is read
    as text with a message naming the cell, where a number column would blank the cell without a word."""
    return pd.DataFrame({c: [_cell_text(v) for v in df[c]] for c in df.columns}, columns=list(df.columns),
                        index=df.index, dtype=object)


def _cell_text(v) -> str | None:
    """A cell as the editor shows it: whole numbers without '.0', other numbers exactly (repr round-trips)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def editor() -> None:
    """The data editor; keeps `state.TABLE` equal to what the user sees."""
    key = state.editor_key()
    if key not in ss and ss[state.TABLE_BASE] is not ss[state.TABLE]:
        ss[state.TABLE_BASE] = ss[state.TABLE]  # back from another page: keep the edits
        ss[state.TABLE_VER] += 1
        key = state.editor_key()
    base = ss[state.TABLE_BASE]
    if ss.get(state.EDITOR_TEXT, (None,))[0] != key:  # built once per base table, so the editor's input is stable
        ss[state.EDITOR_TEXT] = (key, _as_text(base))
    config = {c: st.column_config.TextColumn(str(c), help="numbers" if tables.is_numeric(base, c) else "text")
              for c in base.columns}
    out = st.data_editor(ss[state.EDITOR_TEXT][1], key=key, num_rows="dynamic", column_config=config, width="stretch",
                         height=min(38 + 35 * (len(base) + 1), 420))
    if _has_edits():
        ss[state.TABLE_EDITED] = True
    ss[state.TABLE] = tables.normalize(out)


def _apply(fn, *args) -> None:
    try:
        df = fn(ss[state.TABLE], *args)
    except tables.TableError as e:
        ss[state.COLUMN_ERROR] = str(e)
        return
    ss[state.COLUMN_ERROR] = None
    state.set_table(df)
    ss[state.TABLE_EDITED] = True


def _rename() -> None:
    _apply(tables.rename_column, ss.get(state.COL_PICK), ss.get(state.COL_NEW_NAME, ""))


def _add() -> None:
    _apply(tables.add_column, ss.get(state.COL_ADD_NAME, ""), ss.get(state.COL_ADD_KIND, "numbers") == "numbers")


def _drop() -> None:
    if len(ss[state.TABLE].columns) <= 1:
        ss[state.COLUMN_ERROR] = "a table needs at least one column: add another column first"
        return
    _apply(tables.drop_column, ss.get(state.COL_PICK))


def column_tools() -> None:
    """Rename, add and remove columns (outside the editor, which edits cells and rows)."""
    df = ss[state.TABLE]
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
    if ss.get(state.COLUMN_ERROR):
        st.error(escape.md(ss[state.COLUMN_ERROR]))


def cell_warnings() -> None:
    """Number columns holding a few words: which cells, what the model does with them, one click to clear them."""
    for name, bad in tables.mixed_columns(ss[state.TABLE]).items():
        cells = ", ".join(f"row {r}: '{escape.md(v)}'" for r, v in bad[:4]) + (" …" if len(bad) > 4 else "")
        st.warning(f"Column **{escape.md(name)}** is mostly numbers but has cells that are not ({cells}), so the "
                   "model reads the whole column as text. Correct those cells, or clear them:")
        st.button(f"Clear the non-numeric cells of {escape.md(name)}", key=f"fix_{name}", on_click=_apply,
                  args=(tables.clear_non_numeric, name))


def csv_export(df) -> bytes:
    """The table as a CSV file a spreadsheet opens without running any cell as a formula."""
    return tables.to_csv_bytes(escape.csv_safe(df))


def download() -> None:
    df = ss[state.TABLE]
    st.download_button("Table as CSV", lambda: csv_export(df), "table.csv", "text/csv",  # built only when clicked
                       on_click="ignore", key="dl_csv")
