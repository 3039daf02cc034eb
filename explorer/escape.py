"""Escaping of anything a user supplies (cells, column names, questions, file names, messages quoting them)
for the three places the app renders markup: Streamlit markdown, plotly labels, CSV files opened in a
spreadsheet. No streamlit here, so the escaping is tested as plain functions.
"""

from __future__ import annotations

import html as _html
import re
import string

import pandas as pd

_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
WORD_JOINER = "\u2060"  # word joiner: invisible, not a space, not a word character
_BREAK_AT = re.compile(r"(?i)(?<=:)|(?<=www)(?=\.)|(?=@)")  # inside http://, www., a@b and :emoji:
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md(value) -> str:
    """`value` as Streamlit markdown that renders as exactly its text, on one line. Every ASCII punctuation
    character is backslash-escaped (CommonMark allows it), so no link, image, emphasis, :color[] or $maths$
    forms. Two rewrites run after parsing, whatever the escapes (GFM's bare-address links: http://, www.,
    name@host; remark-emoji's :smile:), so a word joiner goes after every colon and www, and before every @."""
    text = _BREAK_AT.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", str(value)))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_join(values, sep: str = ", ") -> str:
    """Several user strings, each escaped, joined with `sep` (our own markdown, left as it is)."""
    return sep.join(md(v) for v in values)


def html(value) -> str:
    """`value` as text for a plotly label or hover text: < > & as entities, so no tag can form (quotes stay
    as they are: plotly shows &quot; literally, and outside a tag a quote is plain text)."""
    return _html.escape(str(value), quote=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_cell(value):
    """A cell as a spreadsheet will not run it: text that starts like a formula (= + - @, a tab or CR) gets a
    leading ' (numbers such as -3 are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _is_number(value):
        return "'" + value
    return value


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of the table whose text cells and column names cannot start a spreadsheet formula."""
    out = df.copy()
    out.columns = [csv_cell(str(c)) for c in df.columns]
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if pd.api.types.is_numeric_dtype(col):
            continue
        text = col.astype("string")  # None stays missing
        risky = text.str.startswith(FORMULA_START).fillna(False) & pd.to_numeric(text, errors="coerce").isna()
        out.iloc[:, j] = col.where(~risky, "'" + text)
    return out
