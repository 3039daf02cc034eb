"""Tables: CSV parsing and validation, sample tables, column edits, and conversion to the engine's rows.

A table is a DataFrame whose columns are float64 (numeric) or object holding str/None (text). No streamlit here;
every problem a user can cause raises `TableError`, saying what to do.
"""

from __future__ import annotations

import base64
import math
import zlib
from pathlib import Path

import pandas as pd

from engine.core import limits
from engine.core.io.examples import InputError, read_table_csv
from engine.core.vocab import parse_number
from explorer import real_table_samples

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_tables"
MAX_UPLOAD_BYTES = limits.APP_TABLE_MAX_BYTES
MAX_ROWS = limits.APP_TABLE_MAX_ROWS
MAX_COLUMNS = limits.APP_TABLE_MAX_COLUMNS
MAX_NAME_CHARS = limits.APP_NAME_MAX_CHARS
MAX_URL_TABLE_CHARS = 1500  # edited tables up to this size (compressed, base64) travel in the URL

# sample id -> (title, the question the app opens it with); the WikiTableQuestions ones are real_table_samples'
SAMPLES = {
    "shop_sales": ("Shop sales by year (year, sales, profit, orders, visits)", "greater 2015 year sum sales"),
    "countries": ("Country statistics (population, area, income, exports, rainfall)", "greater 40 population count"),
    "league": ("Sports league (wins, points, goals, rank, attendance)", "greater 60 points sum goals"),
    "grade_book": ("Grade book (age, homework, exam, score, attendance)", "lesser 90 attendance print score"),
    "letters_1": ("Paper: one column A", "greater 20 A sum A"),
    "letters_3": ("Paper: columns A-C", "greater 20 A and lesser 30 B count"),
    "letters_5": ("Paper: columns A-E", "lesser 10 C print E"),
    "text_2": ("Paper: text column A, numbers B", "word:3 A sum B"),
    "text_5": ("Paper: text columns A-B, numbers C-E", "word:2 B sum C"),
    "baseline_small": ("Paper's LSTM-baseline task: one column of 6 small integers", "greater 0 A sum A"),
}
SAMPLE_TITLES = {s: title for s, (title, _) in SAMPLES.items()} | real_table_samples.titles()


class TableError(InputError):
    """The table or file cannot be used; the message says why and what to do."""


def list_samples() -> dict[str, str]:
    """Sample id -> title, for every CSV under sample_tables/ (known ones first, in SAMPLE_TITLES order)."""
    found = {p.stem for p in SAMPLE_DIR.glob("*.csv")}
    ordered = [s for s in SAMPLE_TITLES if s in found] + sorted(found - set(SAMPLE_TITLES))
    return {s: SAMPLE_TITLES.get(s, s.replace("_", " ")) for s in ordered}


def load_sample(sample_id: str) -> pd.DataFrame:
    if sample_id not in list_samples():
        raise TableError(f"there is no sample table called {sample_id!r}")
    return parse_csv((SAMPLE_DIR / f"{sample_id}.csv").read_bytes())[0]


def blank_table() -> pd.DataFrame:
    return normalize(pd.DataFrame({"A": [None, None, None]}))


def parse_csv(raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """A normalised table and notes about what was fixed, from the bytes of a CSV file, read and checked as the
    command line reads files (engine.core.io.examples.read_table_csv), with the app's smaller limits."""
    try:
        table = read_table_csv(raw, max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS,
                               max_cells=MAX_ROWS * MAX_COLUMNS, max_name_chars=MAX_NAME_CHARS, name="the file")
    except InputError as e:
        raise TableError(str(e)) from e
    return normalize(pd.DataFrame(table.rows, columns=table.columns, dtype=object)), table.notes


def _is_empty(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) or v is pd.NA


def _number(v) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    return parse_number(str(v).strip())


def cell_text(v) -> str | None:
    """A cell as text, as a person writes it: whole numbers without '.0' (4, not 4.0), other numbers exactly (repr
    round-trips), None for an empty cell. A CSV's text columns keep their numbers as written already
    (engine/core/io/csv_table.py); numbers in a text column from an edit or an example's rows are written so."""
    if _is_empty(v):
        return None
    if isinstance(v, float):  # numpy's float64 too
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(float(v))
    return str(v).strip()


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Columns whose non-empty cells are all numbers become float64; the others hold str or None."""
    out = {}
    for name in df.columns:
        values = list(df[name])
        if all(_is_empty(v) or _number(v) is not None for v in values):
            out[name] = pd.Series([math.nan if _is_empty(v) else _number(v) for v in values], dtype="float64")
        else:
            out[name] = pd.Series([cell_text(v) for v in values], dtype=object)
    result = pd.DataFrame(out, columns=list(df.columns))
    result.index = pd.RangeIndex(len(result))
    return result


def is_numeric(df: pd.DataFrame, name: str) -> bool:
    return pd.api.types.is_float_dtype(df[name]) or pd.api.types.is_integer_dtype(df[name])


def mixed_columns(df: pd.DataFrame) -> dict[str, list[tuple[int, str]]]:
    """Text columns that are mostly numbers: name -> [(row, cell)] of the cells that are not numbers."""
    report = {}
    for name in df.columns:
        if is_numeric(df, name):
            continue
        cells = [(i, v) for i, v in enumerate(df[name]) if not _is_empty(v)]
        bad = [(i, str(v)) for i, v in cells if _number(v) is None]
        if cells and len(bad) < len(cells) and len(bad) <= max(1, len(cells) // 3):
            report[name] = bad
    return report


def clear_non_numeric(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = df.copy()
    out[name] = [v if _number(v) is not None else None for v in out[name]]
    return normalize(out)


def to_engine(df: pd.DataFrame) -> tuple[list[str], list[list]]:
    """(columns, rows) for engine.np2016.trace: floats for numbers, str for text, None for empty cells."""
    def cell(v):
        if _is_empty(v):
            return None
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v).strip()

    return [str(c) for c in df.columns], [[cell(v) for v in record] for record in df.itertuples(index=False, name=None)]


def problems(df: pd.DataFrame) -> list[str]:
    """Reasons the model cannot run on this table (each with what to do); empty when it can."""
    out = []
    if len(df.columns) == 0:
        out.append("the table has no columns: add a column")
    if len(df) == 0:
        out.append("the table has no rows: add a row (the + under the table) or load a sample table")
    names = [str(c).strip() for c in df.columns]
    if any(not n for n in names):
        out.append("a column has no name: rename it")
    if len(set(names)) != len(names):
        out.append("two columns have the same name: rename one of them")
    if len(df) > MAX_ROWS or len(df.columns) > MAX_COLUMNS:
        out.append(f"the table is larger than {MAX_ROWS} rows × {MAX_COLUMNS} columns: remove some")
    if len(df) and len(df.columns) and all(_is_empty(v) for col in df.columns for v in df[col]):
        out.append("every cell is empty: type some numbers into the table")
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def check_name(df: pd.DataFrame, name: str, old: str | None = None) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise TableError("a column name cannot be empty: type a name")
    if len(name) > MAX_NAME_CHARS:
        raise TableError(f"column names are limited to {MAX_NAME_CHARS} characters")
    if name != old and name in [str(c) for c in df.columns]:
        raise TableError(f"there is already a column called '{name}': choose another name")
    return name


def rename_column(df: pd.DataFrame, old: str, new: str) -> pd.DataFrame:
    return df.rename(columns={old: check_name(df, new, old)})


def add_column(df: pd.DataFrame, name: str, numeric: bool = True) -> pd.DataFrame:
    name = check_name(df, name)
    if len(df.columns) >= MAX_COLUMNS:
        raise TableError(f"the limit is {MAX_COLUMNS} columns: remove one first")
    out = df.copy()
    out[name] = pd.Series([math.nan if numeric else None] * len(df), dtype="float64" if numeric else object)
    return out


def drop_column(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.drop(columns=[name])


class LinkDataError(ValueError):
    """What is wrong with data read from a link: `kind` is "damaged", "cut short" or "too large"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def pack_for_link(raw: bytes) -> str:
    """Bytes as a link parameter: zlib-compressed, then base64url (a table here, a worksheet in worksheet.py)."""
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")


def unpack_from_link(packed: str, limit: int) -> bytes:
    """pack_for_link's bytes back, at most `limit` of them (LinkDataError otherwise)."""
    inflate = zlib.decompressobj()
    try:
        # one byte past the limit, so that larger data is refused rather than silently cut
        raw = inflate.decompress(base64.urlsafe_b64decode(packed.encode("ascii")), limit + 1)
    except (ValueError, zlib.error):  # binascii.Error is a ValueError
        raise LinkDataError("damaged") from None
    if len(raw) > limit or inflate.unconsumed_tail:
        raise LinkDataError("too large")
    if not inflate.eof:  # a cut stream inflates to its first part without an error
        raise LinkDataError("cut short")
    return raw


def to_url_param(df: pd.DataFrame) -> str | None:
    """A compressed, URL-safe form of a small table (None when it is too large for a link)."""
    packed = pack_for_link(to_csv_bytes(df))
    return packed if len(packed) <= MAX_URL_TABLE_CHARS else None


def from_url_param(packed: str) -> pd.DataFrame:
    try:
        raw = unpack_from_link(packed, MAX_UPLOAD_BYTES)
    except LinkDataError as e:
        if e.kind == "too large":
            raise TableError(f"the table in the link is larger than {MAX_UPLOAD_BYTES:,} bytes: load a sample "
                             "table") from None
        raise TableError("the table in the link is damaged: load a sample table instead") from None
    return parse_csv(raw)[0]
