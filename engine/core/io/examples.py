"""The one input path of the engine: tables (CSV) and examples (JSONL) in, checked; strict JSON out.

The command line, the app and the generator's writer all read and write through here, so a file means the
same thing everywhere. Every problem raises `InputError` saying where (file, line, row, column) and, for a
limit, its value (engine/core/limits.py, docs/limits.md). No torch, no streamlit.

A JSONL example is one JSON object per line: "columns", "rows" (cells: number, string or null), "question",
optionally "answer" ({"scalar": x} or {"cells": [[row, column], ...]}, 0-based) and "prediction" (the same, or
{"none": true}); other keys are kept. Lines are read one at a time, each at most JSONL_LINE_MAX_BYTES.
NaN, Infinity and numbers beyond ±NUMBER_MAX_ABS are refused, never turned into inf.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import numpy as np

from engine.core.io.csv_table import InputError, Table, dedupe_names, file_error, read_table_csv
from engine.core.io.input_file import open_file
from engine.core.limits import (
    CELL_MAX_CHARS,
    JSON_MAX_DEPTH,
    JSONL_LINE_MAX_BYTES,
    NAME_MAX_CHARS,
    NUMBER_MAX_ABS,
    QUESTION_MAX_CHARS,
    QUESTION_MAX_NUMBERS,
    TABLE_MAX_CELLS,
    TABLE_MAX_COLUMNS,
    TABLE_MAX_ROWS,
)
from engine.core.vocab import number_value, split_question

__all__ = ["InputError", "Table", "read_table_csv", "dedupe_names", "check_question", "check_example",
           "iter_jsonl", "read_jsonl", "dumps_example", "nesting_depth"]

ANSWER_FORM = '{"scalar": 3} or {"cells": [[0, 1]]}'
_CELL_TYPES = frozenset({int, float, str, type(None)})
_NUMBER_TYPES = (int, float)
# one JSON string literal, escapes included (possessive, so a long string cannot make it backtrack)
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NESTING_STEP = np.zeros(256, dtype=np.int32)  # +1 at an opening bracket, -1 at a closing one
_NESTING_STEP[[ord("["), ord("{")]] = 1
_NESTING_STEP[[ord("]"), ord("}")]] = -1


def _usable(v) -> bool:
    """A number the engine can compute with: int or float (not bool), finite, within ±NUMBER_MAX_ABS."""
    return isinstance(v, _NUMBER_TYPES) and not isinstance(v, bool) and abs(v) <= NUMBER_MAX_ABS  # NaN fails


def _cell_type(t: type) -> bool:
    """Whether cells of type t are allowed: numbers, strings, null (numpy's float64 is a float; bool is not)."""
    return t in _CELL_TYPES or (issubclass(t, (int, float, str)) and not issubclass(t, bool))


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


# ----------------------------------------------------------------------------- checking one example

def check_question(question, where: str) -> None:
    """Raise InputError unless `question` is text the model can read within the question limits."""
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: 'question' must be a non-empty string")
    if len(question) > QUESTION_MAX_CHARS:
        raise InputError(f"{where}: the question has {len(question):,} characters; "
                         f"the limit is {QUESTION_MAX_CHARS:,}")
    q = split_question(question)
    if len(q.numbers) > QUESTION_MAX_NUMBERS:
        raise InputError(f"{where}: the question has {len(q.numbers)} numbers; the limit is {QUESTION_MAX_NUMBERS}")
    huge = next((w for w in q.words if number_value(w) is not None), None)
    if huge is not None:
        raise InputError(f"{where}: the number {_short(huge)} in the question is beyond ±{NUMBER_MAX_ABS:g}")


def _check_table(columns, rows, where: str) -> None:
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise InputError(f"{where}: 'columns' must be a non-empty list of strings")
    if len(columns) > TABLE_MAX_COLUMNS:
        raise InputError(f"{where}: the table has {len(columns)} columns; the limit is {TABLE_MAX_COLUMNS}")
    long = next((c for c in columns if len(c) > NAME_MAX_CHARS), None)
    if long is not None:
        raise InputError(f"{where}: the column name {_short(long)} has {len(long):,} characters; "
                         f"the limit is {NAME_MAX_CHARS}")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{where}: 'rows' must be a non-empty list of rows")
    width = len(columns)
    if len(rows) > TABLE_MAX_ROWS or len(rows) * width > TABLE_MAX_CELLS:
        raise InputError(f"{where}: the table has {len(rows):,} rows × {width} columns; the limits are "
                         f"{TABLE_MAX_ROWS:,} rows and {TABLE_MAX_CELLS:,} cells")
    if set(map(type, rows)) != {list} or set(map(len, rows)) != {width}:
        i = next(i for i, r in enumerate(rows) if type(r) is not list or len(r) != width)
        raise InputError(f"{where}: row {i} (0-based) must be a list of {width} cells (one per column)")
    flat = list(chain.from_iterable(rows))  # (rows × columns,) row-major
    kinds = set(map(type, flat))

    def fail(k: int, what: str):
        i, j = divmod(k, width)
        raise InputError(f"{where}: row {i} (0-based), column {columns[j]!r}: {what}")

    if not all(map(_cell_type, kinds)):
        k = next(k for k, v in enumerate(flat) if not _cell_type(type(v)))
        fail(k, f"a cell that is not a number, string or null ({type(flat[k]).__name__})")
    number_types = {t for t in kinds if issubclass(t, _NUMBER_TYPES)}
    text_types = kinds - number_types - {type(None)}
    if number_types:
        numbers = [v for v in flat if type(v) in number_types]
        try:
            values = np.array(numbers, dtype=np.float64)  # (numbers,)
            ok = bool((np.abs(values) <= NUMBER_MAX_ABS).all())  # NaN and inf fail
        except OverflowError:  # an integer beyond float64
            ok = False
        if not ok:
            k = next(k for k, v in enumerate(flat) if type(v) in number_types and not _usable(v))
            fail(k, f"the number {_short(flat[k])} is not finite or beyond ±{NUMBER_MAX_ABS:g}")
    if text_types and max(len(v) for v in flat if type(v) in text_types) > CELL_MAX_CHARS:
        k = next(k for k, v in enumerate(flat) if type(v) in text_types and len(v) > CELL_MAX_CHARS)
        fail(k, f"a text cell of {len(flat[k]):,} characters; the limit is {CELL_MAX_CHARS:,}")


def _check_answer(answer, key: str, where: str, m: int, c: int, allow_none: bool) -> None:
    """An answer-like object ({"scalar"} or {"cells"}, or {"none": true} where allowed) for an m×c table."""
    if not isinstance(answer, dict):
        raise InputError(f"{where}: '{key}' must be an object like {ANSWER_FORM}")
    kinds = [k for k in ("scalar", "cells") if k in answer]
    if allow_none and not kinds and answer.get("none") is True:
        return
    if len(kinds) != 1:
        raise InputError(f"{where}: '{key}' needs exactly one of 'scalar' or 'cells', like {ANSWER_FORM}")
    if kinds == ["scalar"]:
        if not _usable(answer["scalar"]):
            raise InputError(f"{where}: {key} 'scalar' must be a finite number within ±{NUMBER_MAX_ABS:g}, "
                             f"not {_short(answer['scalar'])}")
        return
    cells = answer["cells"]
    if not isinstance(cells, list):
        raise InputError(f"{where}: {key} 'cells' must be a list of [row, column] pairs (0-based), "
                         f"not {_short(cells)}")
    if len(cells) > m * c:
        raise InputError(f"{where}: {key} 'cells' lists {len(cells):,} cells; the table has {m * c:,}")
    for n, pair in enumerate(cells):
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(i) is int for i in pair)):
            raise InputError(f"{where}: {key} 'cells' item {n} must be a [row, column] pair of integers, "
                             f"not {_short(pair)}")
        if not (0 <= pair[0] < m and 0 <= pair[1] < c):
            raise InputError(f"{where}: {key} 'cells' item {n} {pair} is outside the table "
                             f"({m} rows × {c} columns, 0-based)")


def check_example(ex, where: str, need_answer: bool = False) -> None:
    """Raise InputError unless `ex` is an example the engine can encode (extra keys are allowed)."""
    if not isinstance(ex, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(ex).__name__}")
    for key in ("columns", "rows", "question"):
        if key not in ex:
            raise InputError(f"{where}: missing key {key!r} (an example needs columns, rows, question)")
    _check_table(ex["columns"], ex["rows"], where)
    check_question(ex["question"], where)
    m, c = len(ex["rows"]), len(ex["columns"])
    if ex.get("answer") is not None:
        _check_answer(ex["answer"], "answer", where, m, c, allow_none=False)
    elif need_answer:
        raise InputError(f"{where}: missing key 'answer' (the true answer, like {ANSWER_FORM})")
    if "prediction" in ex:
        _check_answer(ex["prediction"], "prediction", where, m, c, allow_none=True)


# ----------------------------------------------------------------------------- JSONL in

class _BadNumber(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text) > 302 or not _usable(value := int(text)):  # 302: sign + the digits of 1e300
        raise _BadNumber(text)
    return value


def _parse_float(text: str) -> float:
    if not _usable(value := float(text)):
        raise _BadNumber(text)
    return value


def _parse_constant(text: str):
    raise _BadNumber(text)  # NaN, Infinity, -Infinity: not JSON


def nesting_depth(text: bytes) -> int:
    """How deeply JSON arrays and objects nest in `text` (brackets inside strings do not count)."""
    skeleton = np.frombuffer(_JSON_STRING.sub(b"", text), dtype=np.uint8)
    return int(np.cumsum(_NESTING_STEP[skeleton]).max(initial=0))  # the running sum is the depth


def _parse_line(text: str, where: str):
    # cannot be deeper than its number of openings: most lines are never scanned
    if text.count("[") + text.count("{") > JSON_MAX_DEPTH and nesting_depth(text.encode()) > JSON_MAX_DEPTH:
        raise InputError(f"{where}: arrays and objects nest deeper than {JSON_MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except _BadNumber as e:
        raise InputError(f"{where}: the number {_short(str(e))} is not finite or beyond "
                         f"±{NUMBER_MAX_ABS:g}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise InputError(f"{where}: arrays and objects nest deeper than {JSON_MAX_DEPTH} levels") from None


def _open_binary(source: bytes | str | Path, name: str, max_bytes: int | None):
    if isinstance(source, (bytes, bytearray, memoryview)):
        if max_bytes is not None and len(source) > max_bytes:
            raise InputError(f"{name} has {len(source):,} bytes; the limit is {max_bytes:,}")
        return io.BytesIO(source)
    try:
        return open_file(Path(source), max_bytes)[0]  # a regular file only: a FIFO or device is refused at once
    except OSError as e:
        raise file_error(e, name, "a JSONL file", lambda size: f"{name} has {size:,} bytes; the limit is "
                         f"{max_bytes:,}") from e


def iter_jsonl(source: bytes | str | Path, *, need_answer: bool = False, name: str | None = None,
               max_bytes: int | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, checked example) for every non-blank line of a JSONL file (str or Path: a file to
    open; bytes: its content), read one line at a time. Raises InputError naming the line."""
    name = name or ("the JSONL file" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    with _open_binary(source, name, max_bytes) as f:
        n = read = 0
        while raw := f.readline(JSONL_LINE_MAX_BYTES + 1):
            n, read = n + 1, read + len(raw)
            if max_bytes is not None and read > max_bytes:  # it grew after it was opened
                raise InputError(f"{name}, line {n}: the file is over the limit of {max_bytes:,} bytes")
            where = f"{name}, line {n}"
            raw = raw.rstrip(b"\r\n")
            if len(raw) > JSONL_LINE_MAX_BYTES:
                raise InputError(f"{where}: the line is longer than {JSONL_LINE_MAX_BYTES:,} bytes (the limit)")
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"{where}: not UTF-8 text (byte 0x{raw[e.start]:02x} at column "
                                 f"{e.start + 1})") from None
            if not text.strip():
                continue
            ex = _parse_line(text, where)
            check_example(ex, where, need_answer)
            yield n, ex


def read_jsonl(source: bytes | str | Path, *, need_answer: bool = False, limit: int | None = None,
               name: str | None = None, max_bytes: int | None = None) -> list[dict]:
    """Every example of a JSONL file (see iter_jsonl); InputError when there are none or more than `limit`."""
    name = name or ("the JSONL file" if isinstance(source, (bytes, bytearray, memoryview)) else str(source))
    examples = []
    for n, ex in iter_jsonl(source, need_answer=need_answer, name=name, max_bytes=max_bytes):
        if limit is not None and len(examples) == limit:
            raise InputError(f"{name}, line {n}: more than {limit:,} examples (the limit): split the file")
        examples.append(ex)
    if not examples:
        raise InputError(f"{name}: no examples (the file is empty)")
    return examples


# ----------------------------------------------------------------------------- JSON out

def _first_unwritable(obj, path: str = "", depth: int = 0) -> str | None:
    """The key path of the first number strict JSON cannot write (NaN, ±inf), or None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return path or "(the value)"
    if depth < JSON_MAX_DEPTH and isinstance(obj, (dict, list, tuple)):
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for k, v in items:
            if (found := _first_unwritable(v, f"{path}[{k!r}]", depth + 1)) is not None:
                return found
    return None


def dumps_example(obj: dict) -> str:
    """One strict JSON line (no NaN or Infinity, ever) for an example, a prediction or an answer. A predicted
    scalar that is not finite or beyond ±NUMBER_MAX_ABS (a float32 sum can overflow) is written as {"none": true,
    "reason": ...}; any other non-finite number is a bug in the writer: ValueError names its key."""
    prediction = obj.get("prediction")
    if isinstance(prediction, dict) and "scalar" in prediction and not _usable(prediction["scalar"]):
        obj = dict(obj)
        obj["prediction"] = {"none": True, "reason": f"the predicted number {_short(prediction['scalar'])} is "
                             f"not finite or beyond ±{NUMBER_MAX_ABS:g}"}
    try:
        return json.dumps(obj, allow_nan=False)
    except ValueError as e:
        where = _first_unwritable(obj)
        raise ValueError(f"cannot write {where} as JSON: {e}" if where else str(e)) from None
