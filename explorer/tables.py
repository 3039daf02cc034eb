"""Tables: CSV parsing and validation, sample tables, column edits, and conversion to the engine's rows.

A table is a pandas DataFrame whose columns are either float64 (numeric) or object holding str/None
(text). Nothing here imports streamlit; every problem a user can cause raises `TableError` with a
message that says what to do.
"""

from __future__ import annotations

import base64
import csv
import io
import math
import zlib
from pathlib import Path

import pandas as pd

from engine.vocab import parse_number

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_tables"
MAX_UPLOAD_BYTES = 1_000_000  # 1 MB
MAX_ROWS = 500
MAX_COLUMNS = 20
MAX_NAME_CHARS = 40
MAX_URL_TABLE_CHARS = 1500  # edited tables up to this size (compressed, base64) travel in the URL

SAMPLE_TITLES = {
    "shop_sales": "Shop sales by year (year, sales, profit, orders, visits)",
    "countries": "Country statistics (population, area, income, exports, rainfall)",
    "league": "Sports league (wins, points, goals, rank, attendance)",
    "grade_book": "Grade book (age, homework, exam, score, attendance)",
    "letters_1": "Paper: one column A",
    "letters_3": "Paper: columns A-C",
    "letters_5": "Paper: columns A-E",
    "text_2": "Paper: text column A, numbers B",
    "text_5": "Paper: text columns A-B, numbers C-E",
    "baseline_small": "Paper's LSTM-baseline task: one column of 6 small integers",
}


class TableError(ValueError):
    """The table or file cannot be used; the message says why and what to do."""


# ----------------------------------------------------------------------------- samples


def list_samples() -> dict[str, str]:
    """Sample id -> title, for every CSV under sample_tables/ (known ones first, in SAMPLE_TITLES order)."""
    found = {p.stem for p in SAMPLE_DIR.glob("*.csv")}
    ordered = [s for s in SAMPLE_TITLES if s in found] + sorted(found - set(SAMPLE_TITLES))
    return {s: SAMPLE_TITLES.get(s, s.replace("_", " ")) for s in ordered}


def load_sample(sample_id: str) -> pd.DataFrame:
    if sample_id not in list_samples():
        raise TableError(f"there is no sample table called {sample_id!r}")
    df, _ = parse_csv((SAMPLE_DIR / f"{sample_id}.csv").read_bytes())
    return df


def blank_table() -> pd.DataFrame:
    return normalize(pd.DataFrame({"A": [None, None, None]}))


# ----------------------------------------------------------------------------- parsing


def _decode(raw: bytes) -> str:
    if not raw or not raw.strip():
        raise TableError("the file is empty: upload a CSV with a header row and at least one data row")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise TableError(
            f"the file is {len(raw) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1_000_000} MB "
            f"({MAX_ROWS} rows × {MAX_COLUMNS} columns): upload a smaller table"
        )
    if b"\x00" in raw[:4096]:
        raise TableError("the file looks binary (a spreadsheet?): export it from your program as CSV, UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TableError(
            f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start}): "
            "save it again as 'CSV UTF-8' and upload it again"
        ) from e


def _dedupe_names(header: list[str]) -> tuple[list[str], list[str]]:
    names, notes = [], []
    for j, raw in enumerate(header):
        name = " ".join(str(raw).split())[:MAX_NAME_CHARS]
        if not name:
            name = f"column {j + 1}"
            notes.append(f"column {j + 1} had no name; it is called '{name}' now (rename it below)")
        base, k = name, 2
        while name in names:
            name = f"{base} {k}"
            k += 1
        if name != base:
            notes.append(f"the column name '{base}' was used twice; the second one is '{name}' now")
        names.append(name)
    return names, notes


def parse_csv(raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """A normalised table and notes about what was fixed, from the bytes of a CSV file."""
    text = _decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        records = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    except csv.Error as e:
        raise TableError(f"the CSV could not be read ({e}): check the quotes in the file") from e
    if not records:
        raise TableError("the file is empty: upload a CSV with a header row and at least one data row")
    header, body = records[0], records[1:]
    while (
        header
        and not header[-1].strip()
        and all(len(r) < len(header) or not r[len(header) - 1].strip() for r in body)
    ):
        header = header[:-1]  # a trailing delimiter on every line is not a column
    width = len(header)
    if width > MAX_COLUMNS:
        raise TableError(f"the table has {width} columns; the limit is {MAX_COLUMNS}: remove some columns")
    if len(body) > MAX_ROWS:
        raise TableError(f"the table has {len(body)} rows; the limit is {MAX_ROWS}: keep the rows you need")
    ragged = [
        (i + 2, len(r))
        for i, r in enumerate(body)
        if len(r) != width and not (len(r) > width and not any(c.strip() for c in r[width:]))
    ]
    if ragged:
        where = ", ".join(f"line {line} has {n}" for line, n in ragged[:3])
        raise TableError(
            f"rows have different numbers of fields: the header has {width}, {where}"
            f"{' …' if len(ragged) > 3 else ''}. Fix those lines (quote cells that contain "
            "commas) and upload again"
        )
    names, notes = _dedupe_names(header)
    cells = [[c.strip() or None for c in (r + [""] * width)[:width]] for r in body]
    df = pd.DataFrame(cells, columns=names, dtype=object)
    return normalize(df), notes


# ----------------------------------------------------------------------------- kinds and conversion


def _is_empty(v) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
        or v is pd.NA
    )


def _number(v) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    return parse_number(str(v).strip())


def normalize(df: pd.DataFrame) -> pd.DataFrame:
    """Columns whose non-empty cells are all numbers become float64; the others hold str or None."""
    out = {}
    for name in df.columns:
        values = list(df[name])
        if all(_is_empty(v) or _number(v) is not None for v in values):
            out[name] = pd.Series([math.nan if _is_empty(v) else _number(v) for v in values], dtype="float64")
        else:
            out[name] = pd.Series([None if _is_empty(v) else str(v).strip() for v in values], dtype=object)
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
    """(columns, rows) for engine.trace: floats for numbers, str for text, None for empty cells."""
    columns = [str(c) for c in df.columns]
    rows = []
    for record in df.itertuples(index=False, name=None):
        row = []
        for v in record:
            if _is_empty(v):
                row.append(None)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                row.append(float(v))
            else:
                row.append(str(v).strip())
        rows.append(row)
    return columns, rows


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


# ----------------------------------------------------------------------------- column edits


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
    new = check_name(df, new, old)
    return df.rename(columns={old: new})


def add_column(df: pd.DataFrame, name: str, numeric: bool = True) -> pd.DataFrame:
    name = check_name(df, name)
    if len(df.columns) >= MAX_COLUMNS:
        raise TableError(f"the limit is {MAX_COLUMNS} columns: remove one first")
    out = df.copy()
    out[name] = (
        pd.Series([math.nan] * len(df), dtype="float64")
        if numeric
        else pd.Series([None] * len(df), dtype=object)
    )
    return out


def drop_column(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df.drop(columns=[name])


# ----------------------------------------------------------------------------- URL form


def to_url_param(df: pd.DataFrame) -> str | None:
    """A compressed, URL-safe form of a small table (None when it is too large for a link)."""
    packed = base64.urlsafe_b64encode(zlib.compress(to_csv_bytes(df), 9)).decode("ascii")
    return packed if len(packed) <= MAX_URL_TABLE_CHARS else None


def from_url_param(packed: str) -> pd.DataFrame:
    try:
        raw = zlib.decompressobj().decompress(
            base64.urlsafe_b64decode(packed.encode("ascii")), MAX_UPLOAD_BYTES
        )
    except (ValueError, zlib.error) as e:
        raise TableError("the table in the link is damaged: load a sample table instead") from e
    return parse_csv(raw)[0]
