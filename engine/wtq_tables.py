"""Reading WikiTableQuestions files: the question TSVs (data/*.tsv) and the tables (csv/xxx-csv/yyy.{tsv,csv}).

The dataset's TSV escapes (its README): `\\n` newline, `\\p` a pipe, `\\\\` a backslash; a list (the
targetValue column) is `|`-separated. A question line's `context` names `csv/xxx-csv/yyy.csv`; we read the
`.tsv` beside it (one row a line, the same escapes) and fall back to the `.csv` (`\\"` and `\\\\` escaped).
The first row is the header. Limits: file bytes, rows, columns and cell characters (engine/limits.py and
the converter's own); every problem raises `InputError` naming the file and line. Column names are made
usable (blank and repeated names renamed) by engine.csv_table.dedupe_names, as for any uploaded table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .csv_table import InputError, dedupe_names
from .limits import CELL_MAX_CHARS, TABLE_MAX_BYTES, TABLE_MAX_CELLS, TABLE_MAX_COLUMNS, TABLE_MAX_ROWS

__all__ = ["unescape", "unescape_list", "WtqTable", "read_wtq_table", "table_path", "QuestionRow",
           "iter_questions", "REQUIRED_FIELDS"]

REQUIRED_FIELDS = ("id", "utterance", "context")  # targetValue is optional (an unlabelled file)
QUESTION_LINE_MAX_CHARS = 100_000


def unescape(text: str) -> str:
    """Undo the dataset's TSV escapes in one field (a single left-to-right pass, so `\\\\p` is `\\` + `p`)."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "np\\":
            out.append({"n": "\n", "p": "|", "\\": "\\"}[text[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def unescape_list(text: str) -> list[str]:
    """A `|`-separated list field, each item unescaped (escaped pipes are `\\p`, so split first)."""
    return [unescape(item) for item in text.split("|")]


@dataclass
class WtqTable:
    columns: list[str]  # usable names (see module docstring)
    rows: list[list[str | None]]  # original cell text; None for an empty cell
    cut_cells: int = 0  # cells longer than CELL_MAX_CHARS, cut to it
    notes: list[str] = field(default_factory=list)


def table_path(tables_dir: Path, context: str) -> Path:
    """The file a question's context names, inside tables_dir (InputError for a path that leaves it)."""
    root = tables_dir.resolve()
    path = (root / context).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"the table path {context!r} leaves the tables directory {tables_dir}")
    return path


def _records(path: Path) -> Iterator[list[str]]:
    """The table's rows as lists of unescaped fields, from the .tsv beside a .csv path, else the .csv."""
    tsv = path.with_suffix(".tsv")
    source = tsv if tsv.is_file() else path
    try:
        size = source.stat().st_size
        if size > TABLE_MAX_BYTES:
            raise InputError(f"{source}: {size:,} bytes; the limit is {TABLE_MAX_BYTES:,}")
        raw = source.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: table file not found") from None
    except OSError as e:
        raise InputError(f"{source}: cannot read it ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{source}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})") from None
    if source.suffix == ".tsv":
        for line in text.split("\n"):
            if line.strip():
                yield [unescape(f) for f in line.rstrip("\r").split("\t")]
        return
    reader = csv.reader(io.StringIO(text), escapechar="\\", doublequote=False, strict=True)
    try:
        yield from (r for r in reader if any(f.strip() for f in r))
    except csv.Error as e:
        raise InputError(f"{source}, line {reader.line_num}: not a WikiTableQuestions CSV ({e})") from None


def read_wtq_table(path: Path, max_rows: int = TABLE_MAX_ROWS) -> WtqTable:
    """One table, checked (module docstring). Rows beyond max_rows raise InputError."""
    records = _records(path)
    header = next(records, None)
    if header is None:
        raise InputError(f"{path}: the table is empty")
    if len(header) > TABLE_MAX_COLUMNS:
        raise InputError(f"{path}: {len(header)} columns; the limit is {TABLE_MAX_COLUMNS}")
    columns, notes = dedupe_names(header)
    rows, cut = [], 0
    for n, record in enumerate(records, start=2):
        if len(rows) == max_rows or (len(rows) + 1) * len(columns) > TABLE_MAX_CELLS:
            raise InputError(f"{path}: more than {len(rows):,} rows of {len(columns)} columns (the limits: "
                             f"{max_rows:,} rows, {TABLE_MAX_CELLS:,} cells)")
        if len(record) != len(columns):
            raise InputError(f"{path}, row {n}: {len(record)} fields; the header has {len(columns)}")
        row = []
        for cell in record:
            cell = cell.strip()
            if len(cell) > CELL_MAX_CHARS:
                cell, cut = cell[:CELL_MAX_CHARS], cut + 1
            row.append(cell or None)
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: the table has a header but no rows")
    if cut:
        notes.append(f"{cut} cell(s) longer than {CELL_MAX_CHARS:,} characters were cut to that length")
    return WtqTable(columns, rows, cut, notes)


@dataclass
class QuestionRow:
    line: int
    id: str
    question: str
    context: str
    target: list[str] | None  # None when the file has no targetValue column


def iter_questions(path: Path) -> Iterator[QuestionRow]:
    """The examples of a question TSV (id, utterance, context and optionally targetValue), a line at a time."""
    name = str(path)
    try:
        f = open(path, encoding="utf-8-sig", newline="\n")
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except (IsADirectoryError, PermissionError) as e:
        raise InputError(f"{name}: cannot read it ({e.strerror})") from None
    with f:
        try:
            header = f.readline(QUESTION_LINE_MAX_CHARS).rstrip("\r\n").split("\t")
            missing = [k for k in REQUIRED_FIELDS if k not in header]
            if missing:
                raise InputError(f"{name}, line 1: the header lacks {', '.join(missing)} (it needs "
                                 f"{', '.join(REQUIRED_FIELDS)} and optionally targetValue)")
            where = {k: header.index(k) for k in (*REQUIRED_FIELDS, "targetValue") if k in header}
            for n, line in enumerate(f, start=2):
                if len(line) > QUESTION_LINE_MAX_CHARS:
                    raise InputError(f"{name}, line {n}: longer than {QUESTION_LINE_MAX_CHARS:,} characters")
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) != len(header):
                    raise InputError(f"{name}, line {n}: {len(fields)} fields; the header has {len(header)}")
                target = unescape_list(fields[where["targetValue"]]) if "targetValue" in where else None
                yield QuestionRow(n, fields[where["id"]], unescape(fields[where["utterance"]]),
                                  fields[where["context"]], target)
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not UTF-8 text ({e.reason})") from None
