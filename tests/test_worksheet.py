"""Worksheets as data (explorer/worksheet.py): the file and the link round-trip, every field is checked with a
message that names it, the size limits hold before anything large is built, hostile input is refused, and answers
are marked by the benchmark's rules."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

import pytest

from engine.core.limits import JSON_MAX_DEPTH, QUESTION_MAX_CHARS
from explorer import tables
from explorer import worksheet as ws

SALES = tables.load_sample("shop_sales")


def sheet_dict(**changes) -> dict:
    obj = {"schema": ws.SCHEMA, "title": "Sales", "table": {"sample": "shop_sales"},
           "questions": [{"question": "sum sales", "expected": "1936.8"}, {"question": "count"}]}
    return obj | changes


def refused(obj) -> str:
    with pytest.raises(ws.WorksheetError) as e:
        ws.from_dict(obj)
    return str(e.value)


def pack(raw: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")


# ----------------------------------------------------------------------------- round trips

def test_a_sample_worksheet_round_trips_through_its_file_and_its_link():
    sheet = ws.from_dict(sheet_dict(checkpoint="names-5"))
    assert sheet.items == (ws.Item("sum sales", "1936.8"), ws.Item("count", None))
    assert sheet.df.equals(SALES) and sheet.checkpoint == "names-5"
    assert ws.loads(ws.dumps(sheet).encode()) == sheet
    packed = ws.to_link_param(sheet)
    assert len(packed) < 300  # a sample is named, not copied
    again = ws.from_link_param(packed)
    assert again == sheet and again.df.equals(SALES)


def test_an_edited_table_travels_as_its_cells():
    edited = SALES.copy()
    edited.loc[0, "sales"] = 5.0
    table = ws.table_of(edited, "shop_sales")
    assert set(table) == {"columns", "rows"}  # no longer the sample
    assert ws.table_of(SALES, "shop_sales") == {"sample": "shop_sales"}
    sheet = ws.from_link_param(ws.to_link_param(ws.from_dict(sheet_dict(table=table))))
    assert sheet.df.equals(edited)


def test_a_text_table_keeps_its_text_and_empty_cells():
    table = {"columns": ["name", "score"], "rows": [["Ann", 3], ["Bo", None], ["007", 4.5]]}
    sheet = ws.loads(ws.dumps(ws.from_dict(sheet_dict(table=table))).encode())
    assert list(sheet.df["name"]) == ["Ann", "Bo", "007"]
    assert sheet.df["score"].isna().tolist() == [False, True, False]


def test_the_teachers_box_reads_questions_and_expected_answers():
    text = "sum sales => 1936.8\n\n  count  \nwhich year had the most sales? =>  2015|2016 "
    assert ws.parse_questions(text) == [{"question": "sum sales", "expected": "1936.8"}, {"question": "count"},
                                        {"question": "which year had the most sales?", "expected": "2015|2016"}]
    sheet = ws.from_dict(sheet_dict(questions=ws.parse_questions(text)))
    assert ws.parse_questions(ws.questions_text(sheet.items)) == ws.parse_questions(text)
    assert ws.from_dict(sheet_dict(questions=[{"question": "count", "expected": "  "}])).items[0].expected is None


# ----------------------------------------------------------------------------- messages

@pytest.mark.parametrize("changes, says", [
    ({"schema": "np-explorer-worksheet/2"}, "'schema' must be 'np-explorer-worksheet/1'"),
    ({"extra": 1}, "unknown keys 'extra'"),
    ({"title": 5}, "the title must be text"),
    ({"title": "x" * (ws.MAX_TITLE_CHARS + 1)}, f"the limit is {ws.MAX_TITLE_CHARS}"),
    ({"questions": []}, "'questions' must be a non-empty list"),
    ({"questions": [{"question": "count"}] * (ws.MAX_QUESTIONS + 1)}, f"the limit is {ws.MAX_QUESTIONS}"),
    ({"questions": ["count"]}, "question 1 must be an object"),
    ({"questions": [{"question": "count", "answer": "3"}]}, "question 1 must be an object with 'question'"),
    ({"questions": [{"question": "count"}, {"question": " "}]}, "question 2: 'question' must be a non-empty"),
    ({"questions": [{"question": "x" * (QUESTION_MAX_CHARS + 1)}]}, f"the limit is {QUESTION_MAX_CHARS:,}"),
    ({"questions": [{"question": "count", "expected": 3}]}, "question 1: 'expected' must be text, not int"),
    ({"questions": [{"question": "count", "expected": "9" * 301}]}, f"the limit is {ws.MAX_EXPECTED_CHARS}"),
    ({"checkpoint": "../../etc/passwd"}, "'checkpoint' is not a checkpoint name"),
    ({"table": {"sample": "no_such_table"}}, "there is no sample table called 'no_such_table'"),
    ({"table": [1, 2]}, "'table' must be an object"),
    ({"table": {"columns": ["a"]}}, "either 'sample' or both 'columns' and 'rows'"),
    ({"table": {"columns": ["a", "b"], "rows": [[1]]}}, "row 0 (0-based) must be a list of 2 cells"),
    ({"table": {"columns": ["a"], "rows": [[{"x": 1}]]}}, "a cell that is not a number, string or null (dict)"),
    ({"table": {"columns": ["a"], "rows": [[True]]}}, "not a number, string or null (bool)"),
    ({"table": {"columns": ["a"], "rows": [[1e301]]}}, "is not finite or beyond"),
    ({"table": {"columns": ["a"], "rows": [["x" * 1001]]}}, "a text cell of 1,001 characters"),
    ({"table": {"columns": ["a", "a"], "rows": [[1, 2]]}}, "two columns have the same name"),
    ({"table": {"columns": ["a"], "rows": [[None]]}}, "every cell is empty"),
    ({"table": {"columns": ["a"] * 0, "rows": []}}, "'columns' must be a non-empty list of strings"),
    ({"table": {"columns": ["n" * 41], "rows": [[1]]}}, f"the limit is {tables.MAX_NAME_CHARS}"),
    ({"table": {"columns": ["a"], "rows": [[1]] * (tables.MAX_ROWS + 1)}}, f"{tables.MAX_ROWS} rows ×"),
    ({"table": {"columns": [f"c{j}" for j in range(tables.MAX_COLUMNS + 1)],
                "rows": [list(range(tables.MAX_COLUMNS + 1))]}}, f"× {tables.MAX_COLUMNS} columns"),
])
def test_each_problem_is_refused_with_a_message_naming_it(changes, says):
    assert says in refused(sheet_dict(**changes))


def test_a_file_that_is_not_a_worksheet_object_is_refused():
    assert "a worksheet is a JSON object, not list" in refused([1])
    with pytest.raises(ws.WorksheetError, match="w.json: it is not valid JSON"):
        ws.loads(b'{"schema": ', "w.json")


# ----------------------------------------------------------------------------- limits and hostile input

@pytest.mark.parametrize("raw, says", [
    (b"[" * (JSON_MAX_DEPTH + 1) + b"]" * (JSON_MAX_DEPTH + 1), f"deeper than {JSON_MAX_DEPTH} levels"),
    (b'{"schema": NaN}', "NaN, which is not a number JSON allows"),
    (b'{"schema": -Infinity}', "-Infinity, which is not a number JSON allows"),
    (b'{"schema": ' + b"1" * 5000 + b"}", "a number it cannot read"),
    (b'{"title": "\xff"}', "not UTF-8 text"),
    (b" " * (ws.MAX_FILE_BYTES + 1), f"the limit is {ws.MAX_FILE_BYTES:,}"),
])
def test_hostile_files_are_refused(raw, says):
    with pytest.raises(ws.WorksheetError, match="^the worksheet: ") as e:
        ws.loads(raw)
    assert says in str(e.value)


def test_a_bracket_inside_a_string_is_not_nesting():
    title = "[" * (JSON_MAX_DEPTH + 5)
    assert ws.loads(json.dumps(sheet_dict(title=title)).encode()).title == title


def test_links_are_bounded_before_and_after_they_are_inflated():
    with pytest.raises(ws.WorksheetError, match=f"the limit is {ws.LINK_MAX_CHARS:,}"):
        ws.from_link_param("A" * (ws.LINK_MAX_CHARS + 1))
    bomb = pack(b" " * (3 * ws.MAX_FILE_BYTES))  # a few kB that inflate past the file limit
    assert len(bomb) <= ws.LINK_MAX_CHARS
    with pytest.raises(ws.WorksheetError, match=f"larger than {ws.MAX_FILE_BYTES:,} bytes"):
        ws.from_link_param(bomb)
    for damaged in ("not base64!", pack(b"{}")[:-6], base64.urlsafe_b64encode(b"not zlib").decode()):
        with pytest.raises(ws.WorksheetError, match="is damaged"):
            ws.from_link_param(damaged)
    whole = ws.to_link_param(ws.from_dict(sheet_dict()))
    cut = whole[:len(whole) // 2 // 4 * 4]  # whole base64 groups: only the zlib stream is cut
    with pytest.raises(ws.WorksheetError, match="is cut short"):
        ws.from_link_param(cut)
    with pytest.raises(ws.WorksheetError, match="^the worksheet in the link: this is not a worksheet"):
        ws.from_link_param(pack(b'{"schema": "x"}'))


def test_a_worksheet_too_large_for_a_link_has_none_but_its_file_opens():
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(tables.MAX_ROWS)]  # incompressible
    table = {"columns": ["name", "n"], "rows": [[d, i] for i, d in enumerate(digests)]}
    sheet = ws.from_dict(sheet_dict(table=table))
    assert ws.to_link_param(sheet) is None
    assert ws.loads(ws.dumps(sheet).encode()) == sheet


# ----------------------------------------------------------------------------- marking

def scalar_trace(x: float) -> dict:
    return {"answer": {"kind": "scalar", "scalar": x}, "extra": {}}


def test_numbers_are_marked_by_value_at_the_precision_shown():
    assert ws.is_right(scalar_trace(1936.8000488), "1936.8")  # a float32 sum
    assert ws.is_right(scalar_trace(1000.0), "1,000")
    assert ws.is_right(scalar_trace(12.0), "12.0")
    assert ws.is_right(scalar_trace(12.0), "13") is False
    assert ws.is_right(scalar_trace(12.0), None) is None and ws.is_right(scalar_trace(12.0), "") is None


def test_cells_and_the_2017_denotation_are_marked_as_the_benchmark_marks_them():
    cells = {"answer": {"kind": "cells", "values": ["France", 2015.0]}, "extra": {}}
    assert ws.is_right(cells, "2015 | france")  # any order, no case
    assert ws.is_right(cells, "France") is False  # one item missing
    real = {"answer": {"kind": "cells", "values": ["x"]}, "extra": {"denotation": ["Paris (France)"]}}
    assert ws.is_right(real, "paris")
    assert ws.is_right({"answer": {"kind": "none"}, "extra": {}}, "3") is False
