"""Escaping of anything a user supplies (cells, column names, questions, file names, messages that quote
them) for the three places the app renders text with markup: Streamlit markdown, plotly labels and
CSV files opened in a spreadsheet.

- Streamlit's markdown (st.markdown, st.caption, alerts, widget labels, button labels, pills, metrics)
  renders links, images, emphasis, `:color[...]` directives and `$maths$`. CommonMark lets a backslash
  escape any ASCII punctuation character, so `md` escapes all of them: the text is then shown exactly as
  typed, and no link, image or directive can be formed from it. Two rewrites run *after* parsing,
  whatever the escapes: GitHub-flavoured markdown links bare addresses (http://…, www.…, name@host.org)
  and remark-emoji turns :smile: into an emoji; so `md` puts an invisible word joiner (U+2060) after
  every colon, after a www before its dot and before every @, where neither pattern can match.
- Plotly renders a subset of HTML (<a href>, <b>, <br>, <span style>) in titles, tick labels and hover
  text; `html` escapes it with `html.escape`, and plotly shows the entities as the characters typed.
- Spreadsheets run cells that begin with = + - @ (or a tab or carriage return) as formulas; `csv_cell`
  puts a ' in front of such a text cell (numbers such as -3 are left alone).

Nothing here imports streamlit, so the escaping is tested as plain functions.
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
    """`value` as Streamlit markdown that renders as exactly its text, on one line."""
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
    """A cell as a spreadsheet will not run it: text that starts like a formula gets a leading '."""
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
