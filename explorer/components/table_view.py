"""Read-only tables coloured by what the model did. st.dataframe draws a pandas Styler's background and text colours
(not borders), so every mark is a colour: blue rows (the row selector, darker = more selected), a green column (the
step's column), amber cells (printed / answer cells) and red text for a row picked in the row heatmap."""

from __future__ import annotations

import pandas as pd
import streamlit as st

ROW_RGB = (31, 119, 180)  # blue: how strongly a row is selected
COLUMN_RGB = (44, 160, 44)  # green: the column the step uses
CELL_COLOR = "#ffbf47"  # amber: answer / printed cells
FOCUS_TEXT = "#d62728"  # red text: the row clicked in the row-selector heatmap


def cell_styles(n: int, m: int, row_weights: list[float] | None = None, cells=None, column_index: int | None = None,
                focus_row: int | None = None) -> list[list[str]]:
    """CSS per cell (n rows × m columns); pure, so tests can check the colours."""
    css = [["" for _ in range(m)] for _ in range(n)]
    for r in range(n):
        w = min(max(float(row_weights[r]), 0.0), 1.0) if row_weights is not None and r < len(row_weights) else 0.0
        for c in range(m):
            if c == column_index:
                alpha = round(0.18 + 0.7 * w, 3)
                text = "white" if alpha > 0.6 else "black"
                css[r][c] = f"background-color: rgba{(*COLUMN_RGB, alpha)}; color: {text};"
            elif w > 0.02:
                text = "white" if w > 0.55 else "black"
                css[r][c] = f"background-color: rgba{(*ROW_RGB, round(0.85 * w, 3))}; color: {text};"
    for r, c in cells or []:
        if 0 <= r < n and 0 <= c < m:
            css[r][c] = f"background-color: {CELL_COLOR}; color: black; font-weight: bold;"
    if focus_row is not None and 0 <= focus_row < n:
        for c in range(m):
            css[focus_row][c] = css[focus_row][c].replace("color: white;", "").replace("color: black;", "")
            css[focus_row][c] += f" color: {FOCUS_TEXT}; font-weight: bold;"
    return css


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return "" if v is None else str(v)


def show(df: pd.DataFrame, key: str, height: int | None = None, row_weights=None, cells=None,
         column: str | None = None, focus_row=None) -> None:
    """Draw the coloured table (row numbers as the index, matching the row-selector heatmap)."""
    column_index = list(df.columns).index(column) if column is not None and column in df.columns else None
    css = cell_styles(len(df), len(df.columns), row_weights, cells, column_index, focus_row)
    style = pd.DataFrame(css, index=df.index, columns=df.columns)
    st.dataframe(df.style.apply(lambda _: style, axis=None).format(_fmt, na_rep=""), key=key,
                 height=height or min(38 + 35 * len(df), 460), hide_index=False)


_CHIP = "padding: 0 4px; white-space: nowrap"  # a legend chip never breaks across lines
LEGEND = (  # static HTML (no user text): the colours of the marks, as in the table
    f"<span style='background: rgba(31,119,180,0.8); color: white; {_CHIP}'>selected rows</span> "
    f"<span style='background: {CELL_COLOR}; {_CHIP}'>answer / printed cells</span>"
)
COLUMN_LEGEND = f" <span style='background: rgba(44,160,44,0.7); color: white; {_CHIP}'>the step's column</span>"


def legend(column: bool = False) -> None:
    st.caption(LEGEND + (COLUMN_LEGEND if column else ""), unsafe_allow_html=True)
