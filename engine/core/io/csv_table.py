"""Reading a CSV table: the one CSV reader of the command line and the app (import it from engine.core.io.examples).

The rules (delimiter, quotes, decimal marks, header fixes, limits) are in docs/limits.md, "CSV files". Every
problem raises `InputError` naming the file, the line and, where there is one, the column; the reader stops at
the first row over a cap. The delimiter is the one of `,` `;` tab that makes the most records of the first 64 KB
fit the header (ties: more names, then `,` `;` tab). NaN, inf and numbers beyond ±NUMBER_MAX_ABS become empty
cells (with a note) in a numeric column and stay text in a text column; so does every number in a text column, as
written ("1" above "Total" stays "1", not the 1.0 it would be shown and matched as).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.io.input_file import TooLargeError, read_limited
from engine.core.limits import CELL_MAX_CHARS, NAME_MAX_CHARS, NUMBER_MAX_ABS
from engine.core.vocab import number_value

DELIMITERS = (",", ";", "\t")
SNIFF_CHARS = 65_536
NOTE_MAX_CELLS = 5  # cells named in one note
_SHOWN = {",": "','", ";": "';'", "\t": "tab"}
_NOT_FINITE_WORDS = {"nan", "inf", "infinity"}
_NUMBER_START = frozenset("0123456789+-.,")
_DECIMAL_COMMA = re.compile(
    r"[-+]?(?:\d{1,3}(?:\.\d{3})+,\d*|\d{1,3}(?:\.\d{3}){2,}|\d+,\d*|,\d+)(?:[eE][-+]?\d+)?", re.ASCII)


class InputError(ValueError):
    """A file or example the engine cannot use; the message says where (file, line, row, column) and why."""


@dataclass
class Table:
    columns: list[str]
    rows: list[list[float | str | None]]  # numbers as float (as written in a text column), text as str, empty None
    notes: list[str] = field(default_factory=list)  # what was fixed while reading


class _NotFinite(str):
    """A cell spelling NaN, infinity or a number beyond ±NUMBER_MAX_ABS; settled once its column is known."""


def _cell(text: str, decimal_comma: bool) -> float | str | None:
    s = text.strip()
    if not s:
        return None
    if s[0] not in _NUMBER_START:
        return _NotFinite(s) if s.lower() in _NOT_FINITE_WORDS else s
    if "," not in s and "_" not in s and s.isascii():
        # fast path, the same numbers as number_value: float() reads exactly those plus "1_0" (excluded
        # above), non-ASCII digits (likewise) and signed nan/inf, which are not finite anyway
        try:
            value = float(s)
        except ValueError:
            if not decimal_comma:
                return s  # "1.500.000" is still a number in a ';' file
        else:
            return value if abs(value) <= NUMBER_MAX_ABS else _NotFinite(s)
    if decimal_comma and _DECIMAL_COMMA.fullmatch(s):
        value = float(s.replace(".", "").replace(",", "."))
    else:
        value = number_value(s)
    if value is None:
        return _NotFinite(s) if s[0] in "+-" and s[1:].lower() in _NOT_FINITE_WORDS else s
    return value if abs(value) <= NUMBER_MAX_ABS else _NotFinite(s)


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def file_error(e: OSError, name: str, what: str, too_large: Callable[[int | None], str]) -> InputError:
    """The InputError for a file that cannot be read as `what` ("a CSV file"); too_large(size) words a
    TooLargeError (size None: the file grew past the limit while being read)."""
    if isinstance(e, FileNotFoundError):
        return InputError(f"{name}: file not found")
    if isinstance(e, IsADirectoryError):
        return InputError(f"{name} is a directory, not {what}")
    if isinstance(e, TooLargeError):
        return InputError(too_large(e.size))
    return InputError(f"{name}: cannot read it ({e.strerror or e})")


def _read_bytes(source: bytes | str | Path, max_bytes: int, name: str) -> bytes:
    limit = f"the limit is {_megabytes(max_bytes)}: use a smaller table"
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > max_bytes:
            raise InputError(f"{name} is {_megabytes(len(source))}; {limit}")
        return bytes(source)
    try:
        # a regular file only (a FIFO or /dev/zero is refused, never waited on), read to max_bytes + 1 at most
        return read_limited(Path(source), max_bytes)
    except OSError as e:
        raise file_error(e, name, "a CSV file", lambda size: f"{name} is {_megabytes(size)}; {limit}" if size
                         is not None else f"{name} is larger than {_megabytes(max_bytes)}; {limit}") from e


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def _decode(raw: bytes, name: str) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(f"{name}, line {_line_of(raw, nul)}: a NUL byte at byte {nul}: the file "
                         "looks binary (a spreadsheet?); export it from your program as CSV, UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}, line {_line_of(raw, e.start)}: not UTF-8 text (byte 0x{raw[e.start]:02x} at "
            f"position {e.start}); save the file as 'CSV UTF-8' and try again") from e


def _fit(record: list[str], named: int, width: int) -> bool:
    """Whether a record fits a header of `named` names and `width` fields (extra fields blank)."""
    return len(record) >= named and (len(record) <= width or not "".join(record[width:]).strip())


def _header_widths(header: list[str]) -> tuple[int, int]:
    """(fields up to the last non-blank name, all fields) of a header record."""
    named = len(header)
    while named and not header[named - 1].strip():
        named -= 1
    return named, len(header)


def sniff_delimiter(text: str) -> str:
    """The delimiter among `,` `;` tab for this text (the rule is in the module's docstring)."""
    sample, cut = text[:SNIFF_CHARS], len(text) > SNIFF_CHARS
    best, choice = None, ","
    for order, d in enumerate(DELIMITERS):
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d) if "".join(r).strip()]
        except csv.Error:
            continue
        if cut and len(records) > 1:
            records.pop()  # the sample may end inside the last record
        if not records:
            continue
        named, width = _header_widths(records[0])
        share = sum(_fit(r, named, width) for r in records) / len(records)
        key = (named > 1, share, named, -order)  # splitting the header at all beats a tidy single column
        if best is None or key > best:
            best, choice = key, d
    return choice


def _records(reader, name: str):
    """(first line, record) of every non-blank record; a csv.Error becomes an InputError with its line."""
    start = 1
    try:
        for record in reader:
            if "".join(record).strip():
                yield start, record
            start = reader.line_num + 1
    except csv.Error as e:
        if "field larger than field limit" in str(e):  # the csv module's own cap, far above ours
            raise InputError(f"{name}, line {start}: a cell longer than {CELL_MAX_CHARS:,} characters (the "
                             "limit); is a quote left open?") from e
        raise InputError(f"{name}, line {start}: the CSV cannot be read ({e}); check the quotes") from e


def dedupe_names(header: list[str], max_chars: int = NAME_MAX_CHARS) -> tuple[list[str], list[str]]:
    """Usable column names (whitespace collapsed, cut to max_chars, blank and repeated ones renamed), notes."""
    names, seen, notes = [], set(), []
    for j, raw in enumerate(header):
        name = " ".join(str(raw).split())
        if len(name) > max_chars:
            name = name[:max_chars].rstrip()
            notes.append(f"the name of column {j + 1} is longer than {max_chars} characters; it is '{name}' now")
        if not name:
            name = f"column {j + 1}"
            notes.append(f"column {j + 1} had no name; it is called '{name}' now")
        base, k = name, 2
        while name in seen:
            name = f"{base} {k}"
            k += 1
        if name != base:
            notes.append(f"the column name '{base}' was used twice; the second one is '{name}' now")
        names.append(name)
        seen.add(name)
    return names, notes


def _settle_not_finite(rows: list[list], found: list[tuple[int, int, int]], names: list[str]) -> list[str]:
    """Turn NaN/inf/huge cells into None in numeric columns (returning a note) and into text elsewhere."""
    text_columns = {j for j in {j for _, j, _ in found} if any(type(r[j]) is str for r in rows)}
    emptied = []
    for i, j, line in found:
        if j in text_columns:
            rows[i][j] = str(rows[i][j])
        else:
            emptied.append(f"row {i + 1} (line {line}) column '{names[j]}': {str(rows[i][j])[:20]!r}")
            rows[i][j] = None
    if not emptied:
        return []
    more = f" and {len(emptied) - NOTE_MAX_CELLS} more" if len(emptied) > NOTE_MAX_CELLS else ""
    return [f"{len(emptied)} cell(s) hold NaN, infinity or a number beyond ±{NUMBER_MAX_ABS:g}, which the "
            f"model cannot use; they are empty now: {'; '.join(emptied[:NOTE_MAX_CELLS])}{more}"]


def _numbers_as_written(rows: list[list], text: str, delimiter: str, name: str) -> None:
    """Put back the written text of the numbers in text columns (columns holding any text): a number there is a word
    of the column, and its text is what the file says ("1", "007", "1,500"), not the float's ("1.0", "7.0",
    "1500.0"). The file's records are read a second time, only for a table with such a column, rather than the
    text of every number cell kept through the first reading."""
    width = len(rows[0])
    text_columns = {j for j in range(width) if any(type(r[j]) is str for r in rows)}
    mixed = [j for j in sorted(text_columns) if any(type(r[j]) is float for r in rows)]
    if not mixed:
        return
    records = _records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), name)
    next(records)  # the header
    for row, (_, record) in zip(rows, records, strict=True):
        for j in mixed:
            if type(row[j]) is float:
                row[j] = record[j].strip()


def read_table_csv(source: bytes | str | Path, *, max_bytes: int, max_rows: int, max_columns: int,
                   max_cells: int, max_name_chars: int = NAME_MAX_CHARS, name: str | None = None) -> Table:
    """The table in a CSV file (str or Path: a file to open; bytes: its content). Raises InputError."""
    name = name or ("the CSV file" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    text = _decode(_read_bytes(source, max_bytes, name), name)
    delimiter = sniff_delimiter(text)
    decimal_comma = delimiter == ";"
    records = _records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), name)
    header_line, header = next(records, (0, None))
    if header is None:
        raise InputError(f"{name} is empty: a CSV table needs a header row and at least one data row")
    named, width = _header_widths(header)
    if named > max_columns:
        raise InputError(f"{name}, line {header_line}: the table has {named} columns; the limit is {max_columns}")
    rows: list[list] = []
    found: list[tuple[int, int, int]] = []  # (row, column, line) of NaN/inf/huge cells
    ragged: list[tuple[int, int]] = []  # (line, fields)
    used = named  # >= 1 (the header is not blank); trailing blank-named columns that hold something stay
    for line, record in records:
        if not _fit(record, named, width):
            ragged.append((line, len(record)))
            if len(ragged) == 3:
                break
            continue
        if ragged:
            continue  # only looking for more ragged lines to report
        if len(rows) == max_rows:
            raise InputError(f"{name}, line {line}: the table has more than {max_rows:,} rows; "
                             f"the limit is {max_rows:,}")
        if (len(rows) + 1) * used > max_cells:
            raise InputError(f"{name}, line {line}: the table has more than {max_cells:,} cells "
                             f"({len(rows) + 1:,} rows × {used} columns); the limit is {max_cells:,}")
        if max(map(len, record)) > CELL_MAX_CHARS:
            j = next(j for j, c in enumerate(record) if len(c) > CELL_MAX_CHARS)
            raise InputError(f"{name}, line {line}, column {j + 1}: a cell of {len(record[j]):,} characters; "
                             f"the limit is {CELL_MAX_CHARS:,}")
        values = [_cell(c, decimal_comma) for c in record[:width]] + [None] * (width - len(record))
        if width > used:
            used = max([used] + [j + 1 for j in range(used, width) if values[j] is not None])
        if _NotFinite in set(map(type, values)):
            found.extend((len(rows), j, line) for j, v in enumerate(values) if type(v) is _NotFinite)
        rows.append(values)
    if ragged:
        where = ", ".join(f"line {line} has {n}" for line, n in ragged)
        raise InputError(
            f"{name}: rows have different numbers of fields (ragged rows): the header (line {header_line}) "
            f"has {named}, {where}{' …' if len(ragged) == 3 else ''}; the delimiter is {_SHOWN[delimiter]}: "
            "quote cells that contain it, close every quote, and give every row one field per column")
    if not rows:
        raise InputError(f"{name} has a header row (line {header_line}) but no data rows: add at least one row")
    if used > max_columns or len(rows) * used > max_cells:
        raise InputError(f"{name}: the table has {used} columns and {len(rows) * used:,} cells; the limits "
                         f"are {max_columns} columns and {max_cells:,} cells")
    if used < width:
        rows = [r[:used] for r in rows]
    names, notes = dedupe_names(header[:used] + [""] * (used - len(header)), max_name_chars)
    notes += _settle_not_finite(rows, found, names)
    _numbers_as_written(rows, text, delimiter, name)
    return Table(names, rows, notes)
