"""Worksheets: one table and a list of questions (each with the answer a teacher expects, where given), shared as a
link or a small JSON file, and marked right or wrong by the benchmark's rules. No streamlit drawing here.

The file (docs/app.md, "Worksheets"):

    {"schema": "np-explorer-worksheet/1", "title": "...",
     "table": {"sample": "shop_sales"}  or  {"columns": [...], "rows": [[...], ...]},
     "questions": [{"question": "...", "expected": "..."}, ...],  ("expected" optional)
     "checkpoint": "..."}  (optional: the model that answers; without it, the one the app picks per question)

A link carries the same JSON, compressed (zlib) and base64url-encoded, in its `ws` parameter. Whatever arrives is
user input: it is read with a size bound (the link before and after it is inflated), strict JSON (no NaN, nesting
bounded), every field checked with a message naming it, the table as the engine checks an example's
(engine.core.io.examples) and then against the app's own table limits (explorer/tables.py). Nothing is unpickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from engine.core.io.examples import InputError, check_example, check_question, nesting_depth
from engine.core.limits import JSON_MAX_DEPTH
from engine.np2016.program import fmt
from engine.wtq2017.dataset.evaluator import denotation_match
from explorer import state, tables

SCHEMA = "np-explorer-worksheet/1"
LINK_PARAM = "ws"  # the query parameter of a worksheet link
MAX_QUESTIONS = 30  # a lesson's worth: each one is a model run when a student reaches it
MAX_TITLE_CHARS = 120
MAX_EXPECTED_CHARS = 300
MAX_FILE_BYTES = 2 * tables.MAX_UPLOAD_BYTES  # the largest table an upload allows, as JSON, and the questions
LINK_MAX_CHARS = state.URL_DATA_MAX_CHARS  # the same bound as a table packed in an Ask link
EXPECTED_MARK = "=>"  # "question => expected answer", one per line, in the teacher's box
ANSWER_SEPARATOR = "|"  # several answer items, as WikiTableQuestions writes them: "France|Spain"
DEFAULT_TITLE = "Worksheet"
DAMAGED_HELP = "ask for the link again, or for the worksheet's file"
_KEYS = {"schema", "title", "table", "questions", "checkpoint"}


class WorksheetError(InputError):
    """The worksheet cannot be used; the message says why (and where in the file)."""


@dataclass(frozen=True)
class Item:
    question: str
    expected: str | None = None  # the teacher's answer, items separated by ANSWER_SEPARATOR; None: not marked


@dataclass(frozen=True)
class Worksheet:
    title: str
    table: dict  # {"sample": id} or {"columns": [...], "rows": [[...]]}, as in the file
    items: tuple[Item, ...]
    checkpoint: str | None = None
    df: pd.DataFrame = field(default=None, compare=False, repr=False)  # the table as the app holds one


# ----------------------------------------------------------------------------- checking

def _text(value, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise WorksheetError(f"{where} must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise WorksheetError(f"{where} has {len(value):,} characters; the limit is {limit:,}")
    return " ".join(value.split())


def _items(questions) -> tuple[Item, ...]:
    if not isinstance(questions, list) or not questions:
        raise WorksheetError("'questions' must be a non-empty list of {\"question\": ..., \"expected\": ...}")
    if len(questions) > MAX_QUESTIONS:
        raise WorksheetError(f"the worksheet has {len(questions)} questions; the limit is {MAX_QUESTIONS}")
    items = []
    for n, q in enumerate(questions, 1):
        where = f"question {n}"
        if not isinstance(q, dict) or not set(q) <= {"question", "expected"}:
            raise WorksheetError(f"{where} must be an object with 'question' and, optionally, 'expected'")
        check_question(q.get("question"), where)  # the engine's check: text, length, numbers in it
        expected = q.get("expected")
        if expected is not None:
            expected = _text(expected, f"{where}: 'expected'", MAX_EXPECTED_CHARS) or None
        items.append(Item(" ".join(q["question"].split()), expected))
    return tuple(items)


def _table(table, first_question: str) -> tuple[dict, pd.DataFrame]:
    """The file's table (a copy) and the table as the app holds one, after the engine's checks of an example's
    table (types, finite numbers, cell lengths) and the app's own limits; a sample is named by its id."""
    if not isinstance(table, dict):
        raise WorksheetError("'table' must be an object: {\"sample\": name} or {\"columns\": ..., \"rows\": ...}")
    if set(table) == {"sample"}:
        sample = _text(table["sample"], "the table's 'sample'", 100)
        return {"sample": sample}, tables.load_sample(sample)
    if set(table) != {"columns", "rows"}:
        raise WorksheetError("'table' must hold either 'sample' or both 'columns' and 'rows'")
    # the engine checks a table as part of an example: the worksheet's first question makes it one
    check_example({"columns": table["columns"], "rows": table["rows"], "question": first_question},
                  "the worksheet's table")
    columns, rows = list(table["columns"]), [list(r) for r in table["rows"]]
    if len(rows) > tables.MAX_ROWS or len(columns) > tables.MAX_COLUMNS:
        raise WorksheetError(f"the worksheet's table has {len(rows)} rows × {len(columns)} columns; the app's "
                             f"limit is {tables.MAX_ROWS} rows × {tables.MAX_COLUMNS} columns")
    long = next((c for c in columns if len(c) > tables.MAX_NAME_CHARS), None)
    if long is not None:
        raise WorksheetError(f"the worksheet's table has a column name of {len(long)} characters; the limit is "
                             f"{tables.MAX_NAME_CHARS}")
    df = tables.normalize(pd.DataFrame(rows, columns=columns, dtype=object))
    if problems := tables.problems(df):
        raise WorksheetError(f"the worksheet's table cannot be used: {problems[0]}")
    return {"columns": columns, "rows": rows}, df


def from_dict(obj) -> Worksheet:
    """A checked worksheet from parsed JSON; WorksheetError says what is wrong."""
    try:
        return _checked(obj)
    except WorksheetError:
        raise
    except InputError as e:  # the engine's and the tables' checks say it the same way
        raise WorksheetError(str(e)) from None


def _checked(obj) -> Worksheet:
    if not isinstance(obj, dict):
        raise WorksheetError(f"a worksheet is a JSON object, not {type(obj).__name__}")
    if obj.get("schema") != SCHEMA:
        raise WorksheetError(f"this is not a worksheet: its 'schema' must be {SCHEMA!r}")
    if unknown := sorted(map(str, set(obj) - _KEYS)):
        raise WorksheetError(f"unknown keys {', '.join(map(repr, unknown))[:200]}: a worksheet has only "
                             f"{', '.join(sorted(_KEYS))}")
    title = _text(obj.get("title", DEFAULT_TITLE), "the title", MAX_TITLE_CHARS) or DEFAULT_TITLE
    items = _items(obj.get("questions"))
    checkpoint = obj.get("checkpoint")
    if checkpoint is not None and (not isinstance(checkpoint, str) or not state.CKPT_ID.fullmatch(checkpoint)):
        raise WorksheetError("'checkpoint' is not a checkpoint name (letters, digits, _ . - and an optional "
                             "'trained/' in front)")
    table, df = _table(obj.get("table"), items[0].question)
    return Worksheet(title, table, items, checkpoint, df)


def to_dict(sheet: Worksheet) -> dict:
    out = {"schema": SCHEMA, "title": sheet.title, "table": sheet.table,
           "questions": [{"question": i.question} | ({"expected": i.expected} if i.expected else {})
                         for i in sheet.items]}
    return out | ({"checkpoint": sheet.checkpoint} if sheet.checkpoint else {})


# ----------------------------------------------------------------------------- the file and the link

def _parse_constant(text: str):
    raise WorksheetError(f"it holds {text}, which is not a number JSON allows")


def loads(raw: bytes, name: str = "the worksheet") -> Worksheet:
    """A worksheet from the bytes of its file (UTF-8 JSON, at most MAX_FILE_BYTES)."""
    try:
        if len(raw) > MAX_FILE_BYTES:
            raise WorksheetError(f"it has {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise WorksheetError(f"it is not UTF-8 text (byte {e.start})") from None
        # json.loads recurses: a file nested deeper than any worksheet is refused before it is parsed
        if nesting_depth(text.encode()) > JSON_MAX_DEPTH:
            raise WorksheetError(f"its arrays and objects nest deeper than {JSON_MAX_DEPTH} levels")
        try:
            obj = json.loads(text, parse_constant=_parse_constant)
        except json.JSONDecodeError as e:
            raise WorksheetError(f"it is not valid JSON ({e.msg}, line {e.lineno}, column {e.colno})") from None
        except WorksheetError:  # NaN or Infinity (_parse_constant)
            raise
        except ValueError as e:  # an integer of more digits than Python converts
            raise WorksheetError(f"it holds a number it cannot read ({str(e)[:80]})") from None
        return from_dict(obj)
    except WorksheetError as e:
        raise WorksheetError(f"{name}: {e}") from None


def dumps(sheet: Worksheet, indent: int | None = 1) -> str:
    """The worksheet's file (strict JSON: no NaN)."""
    compact = (",", ":") if indent is None else None
    return json.dumps(to_dict(sheet), indent=indent, separators=compact, ensure_ascii=False, allow_nan=False)


def to_link_param(sheet: Worksheet) -> str | None:
    """The worksheet packed for a link's `ws` parameter; None when it is longer than LINK_MAX_CHARS (share the
    file instead)."""
    packed = tables.pack_for_link(dumps(sheet, None).encode("utf-8"))
    return packed if len(packed) <= LINK_MAX_CHARS else None


def from_link_param(packed: str) -> Worksheet:
    name = "the worksheet in the link"
    if len(packed) > LINK_MAX_CHARS:
        raise WorksheetError(f"{name} has {len(packed):,} characters; the limit is {LINK_MAX_CHARS:,}")
    try:
        raw = tables.unpack_from_link(packed, MAX_FILE_BYTES)
    except tables.LinkDataError as e:
        if e.kind == "too large":
            raise WorksheetError(f"{name} is larger than {MAX_FILE_BYTES:,} bytes") from None
        if e.kind == "cut short":
            raise WorksheetError(f"{name} is cut short: {DAMAGED_HELP}") from None
        raise WorksheetError(f"{name} is damaged (was the link cut short?): {DAMAGED_HELP}") from None
    return loads(raw, name)


# ----------------------------------------------------------------------------- the teacher's box

def parse_questions(text: str) -> list[dict]:
    """The questions of the teacher's box, one per line, each optionally "=> the answer you expect" (blank lines
    skipped), as the file's "questions" list (from_dict checks them)."""
    out = []
    for line in text.splitlines():
        question, mark, expected = line.partition(EXPECTED_MARK)
        if question.strip() or expected.strip():
            out.append({"question": question.strip()} | ({"expected": expected.strip()} if mark else {}))
    return out


def questions_text(items: tuple[Item, ...]) -> str:
    """The teacher's box for these questions (parse_questions reads it back)."""
    return "\n".join(i.question + (f" {EXPECTED_MARK} {i.expected}" if i.expected else "") for i in items)


def table_of(df: pd.DataFrame, sample: str | None) -> dict:
    """The file's "table": the sample's name when `df` is that sample unchanged (a short link), else the cells."""
    if sample in tables.list_samples() and tables.load_sample(sample).equals(df):
        return {"sample": sample}
    columns, rows = tables.to_engine(df)
    return {"columns": columns, "rows": rows}


# ----------------------------------------------------------------------------- marking

def shown_answer(trace: dict) -> list:
    """The model's answer as items to mark: the 2017 model's denotation (the benchmark's strings), else the answer
    as the page shows it (a number to its shown precision: float32 sums carry noise beyond it)."""
    if "denotation" in trace.get("extra", {}):
        return list(trace["extra"]["denotation"])
    answer = trace["answer"]
    if answer["kind"] == "scalar":
        return [fmt(answer["scalar"])]
    if answer["kind"] == "cells":
        return [tables.cell_text(v) or "" for v in answer["values"]]
    return []


def expected_items(expected: str) -> list[str]:
    return [part.strip() for part in expected.split(ANSWER_SEPARATOR) if part.strip()]


def is_right(trace: dict, expected: str | None) -> bool | None:
    """The model's answer against the teacher's by the benchmark's rules (numbers by value, text normalised,
    items in any order); None when the teacher gave no answer."""
    if not expected:
        return None
    return denotation_match(shown_answer(trace), expected_items(expected))
