"""Reading WikiTableQuestions files: the question TSVs (data/*.tsv) and the tables (csv/xxx-csv/yyy.{tsv,csv}).

The dataset's TSV escapes (its README): `\\n` newline, `\\p` a pipe, `\\\\` a backslash; a list (targetValue) is
`|`-separated. A table is read from the `.tsv` beside the `.csv` a context names, else from the `.csv` (`\\"` and
`\\\\` escaped); its first row is the header. Every file is opened through engine/core/io/input_file.py (regular
files only, never blocking, bounded reads); a table must resolve inside the tables directory (table_path,
table_source: symlinks and `..` followed); every problem raises InputError naming the file and line."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.io.csv_table import InputError, dedupe_names
from engine.core.io.input_file import TooLargeError, open_file, read_limited
from engine.core.limits import CELL_MAX_CHARS, TABLE_MAX_BYTES, TABLE_MAX_CELLS, TABLE_MAX_COLUMNS, TABLE_MAX_ROWS

__all__ = ["unescape", "unescape_list", "WtqTable", "read_wtq_table", "table_path", "table_source", "QuestionRow",
           "iter_questions", "has_targets", "REQUIRED_FIELDS"]

REQUIRED_FIELDS = ("id", "utterance", "context")  # targetValue is optional (an unlabelled file)
QUESTION_LINE_MAX_CHARS = 100_000
_ESCAPE = re.compile(r"\\([np\\])")
_UNESCAPED = {"n": "\n", "p": "|", "\\": "\\"}


def unescape(text: str) -> str:
    """Undo the dataset's TSV escapes in one field (a single left-to-right pass, so `\\\\p` is `\\` + `p`)."""
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], text) if "\\" in text else text


def unescape_list(text: str) -> list[str]:
    """A `|`-separated list field, each item unescaped (escaped pipes are `\\p`, so split first)."""
    return [unescape(item) for item in text.split("|")]


@dataclass
class WtqTable:
    columns: list[str]  # usable names: blank and repeated ones renamed (engine.core.io.csv_table.dedupe_names)
    rows: list[list[str | None]]  # original cell text; None for an empty cell
    notes: list[str] = field(default_factory=list)


def table_path(tables_dir: Path, context: str) -> Path:
    """The resolved file a question's context names, inside tables_dir (InputError for a context that is
    empty, `.`, names a directory or leaves tables_dir)."""
    root = tables_dir.resolve()
    if not context.strip():
        raise InputError(f"the table path {context!r} is empty: a context names a table file (csv/xxx-csv/yyy.csv)")
    path = (root / context).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"the table path {context!r} leaves the tables directory {tables_dir}")
    if path == root or path.is_dir():
        raise InputError(f"the table path {context!r} names a directory, not a table file (csv/xxx-csv/yyy.csv)")
    return path


def table_source(path: Path, root: Path | None = None) -> Path:
    """The resolved file to read for a table path: the .tsv beside it when there is one, else the path itself.
    With `root` (resolved), InputError unless that file lies inside it: a symlinked sibling may point anywhere."""
    tsv = path.with_suffix(".tsv")
    named = tsv if tsv.is_file() else path
    source = named.resolve()
    if root is not None and not source.is_relative_to(root):
        raise InputError(f"{named}: a link to a file outside the tables directory {root}")
    return source


def _records(path: Path, root: Path | None) -> Iterator[list[str]]:
    """The table's rows as lists of unescaped fields, from the .tsv beside a .csv path, else the .csv."""
    source = table_source(path, root)
    try:
        raw = read_limited(source, TABLE_MAX_BYTES)  # a regular file only, at most the limit + 1 bytes
    except FileNotFoundError:
        raise InputError(f"{path}: table file not found") from None
    except TooLargeError as e:
        size = f"{e.size:,} bytes" if e.size is not None else "more bytes"
        raise InputError(f"{source}: {size}; the limit is {TABLE_MAX_BYTES:,}") from None
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


def read_wtq_table(path: Path, max_rows: int = TABLE_MAX_ROWS, root: Path | None = None) -> WtqTable:
    """One table, checked against engine/core/limits.py (bytes, columns, cells; longer cells are cut). Rows
    beyond max_rows raise InputError; with `root` (the resolved tables directory) the file read must lie inside it."""
    records = _records(path, root)
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
        cells = [cell.strip() for cell in record]
        cut += sum(len(cell) > CELL_MAX_CHARS for cell in cells)
        rows.append([cell[:CELL_MAX_CHARS] or None for cell in cells])
    if not rows:
        raise InputError(f"{path}: the table has a header but no rows")
    if cut:
        notes.append(f"{cut} cell(s) longer than {CELL_MAX_CHARS:,} characters were cut to that length")
    return WtqTable(columns, rows, notes)


@dataclass
class QuestionRow:
    line: int
    id: str
    question: str
    context: str
    target: list[str] | None  # None when the file has no targetValue column


@contextmanager
def _open_text(path: Path, name: str) -> Iterator[io.TextIOWrapper]:
    """The file as text; InputError for a file that cannot be opened or is not UTF-8."""
    try:
        binary, _ = open_file(path)  # a regular file only: a FIFO or a device is refused, never waited on
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except OSError as e:
        raise InputError(f"{name}: cannot read it ({e.strerror or e})") from None
    with io.TextIOWrapper(binary, encoding="utf-8-sig", newline="\n") as f:
        try:
            yield f
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not UTF-8 text ({e.reason})") from None


def _lines(f: io.TextIOWrapper, name: str) -> Iterator[tuple[int, str]]:
    """(line number from 2, line) after the header; a line is read to the limit + 1 characters, never whole."""
    n = 1
    while line := f.readline(QUESTION_LINE_MAX_CHARS + 1):
        n += 1
        if len(line.rstrip("\r\n")) > QUESTION_LINE_MAX_CHARS:
            raise InputError(f"{name}, line {n}: longer than {QUESTION_LINE_MAX_CHARS:,} characters")
        yield n, line


def _header(f: io.TextIOWrapper, name: str) -> list[str]:
    """A question TSV's column names, checked for the required ones."""
    header = f.readline(QUESTION_LINE_MAX_CHARS).rstrip("\r\n").split("\t")
    missing = [k for k in REQUIRED_FIELDS if k not in header]
    if missing:
        raise InputError(f"{name}, line 1: the header lacks {', '.join(missing)} (it needs "
                         f"{', '.join(REQUIRED_FIELDS)} and optionally targetValue)")
    return header


def has_targets(path: Path) -> bool:
    """Whether a question TSV has a targetValue column (the answers), read from its header alone."""
    name = str(path)
    with _open_text(path, name) as f:
        return "targetValue" in _header(f, name)


def iter_questions(path: Path) -> Iterator[QuestionRow]:
    """The examples of a question TSV (id, utterance, context and optionally targetValue), a line at a time."""
    name = str(path)
    with _open_text(path, name) as f:
        header = _header(f, name)
        where = {k: header.index(k) for k in (*REQUIRED_FIELDS, "targetValue") if k in header}
        for n, line in _lines(f, name):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                raise InputError(f"{name}, line {n}: {len(fields)} fields; the header has {len(header)}")
            target = unescape_list(fields[where["targetValue"]]) if "targetValue" in where else None
            yield QuestionRow(n, fields[where["id"]], unescape(fields[where["utterance"]]),
                              fields[where["context"]], target)
