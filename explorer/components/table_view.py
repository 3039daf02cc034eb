"""Read-only tables coloured by what the model did: a row selector's weights, chosen cells, a column."""

from __future__ import annotations

import pandas as pd
import streamlit as st

ROW_RGB = (31, 119, 180)  # blue: how strongly a row is selected
CELL_COLOR = "#ffbf47"  # amber: answer / printed cells
COLUMN_COLOR = "#2ca02c"  # green outline: the column the step uses


def styled(
    df: pd.DataFrame,
    row_weights: list[float] | None = None,
    cells=None,
    column: str | None = None,
    focus_row: int | None = None,
):
    """A pandas Styler: rows shaded by weight (0..1), `cells` [[r, c]] in amber, `column` outlined."""
    n, m = len(df), len(df.columns)
    css = [["" for _ in range(m)] for _ in range(n)]
    for r in range(n):
        w = row_weights[r] if row_weights is not None and r < len(row_weights) else 0.0
        w = min(max(float(w), 0.0), 1.0)
        if w > 0.02:
            text = "white" if w > 0.55 else "black"
            for c in range(m):
                css[r][c] = f"background-color: rgba{(*ROW_RGB, round(0.85 * w, 3))}; color: {text};"
    for r, c in cells or []:
        if 0 <= r < n and 0 <= c < m:
            css[r][c] = f"background-color: {CELL_COLOR}; color: black; font-weight: bold;"
    if column is not None and column in df.columns:
        c = list(df.columns).index(column)
        for r in range(n):
            css[r][c] += f" border-left: 3px solid {COLUMN_COLOR}; border-right: 3px solid {COLUMN_COLOR};"
    if focus_row is not None and 0 <= focus_row < n:
        for c in range(m):
            css[focus_row][c] += " border-top: 2px solid #d62728; border-bottom: 2px solid #d62728;"
    style = pd.DataFrame(css, index=df.index, columns=df.columns)
    return df.style.apply(lambda _: style, axis=None).format(_fmt, na_rep="")


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return "" if v is None else str(v)


def show(df: pd.DataFrame, key: str, height: int | None = None, **kw) -> None:
    """Draw the coloured table (row numbers as the index, matching the row-selector heatmap)."""
    rows = len(df)
    st.dataframe(styled(df, **kw), key=key, height=height or min(38 + 35 * rows, 460), hide_index=False)


def legend(column: bool = False) -> None:
    parts = [
        "<span style='background: rgba(31,119,180,0.8); color: white; padding: 0 4px'>selected rows</span>",
        f"<span style='background: {CELL_COLOR}; padding: 0 4px'>answer cells</span>",
    ]
    if column:
        parts.append(
            f"<span style='border: 2px solid {COLUMN_COLOR}; padding: 0 4px'>the step's column</span>"
        )
    st.caption(" ".join(parts), unsafe_allow_html=True)
