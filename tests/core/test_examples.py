"""The one input path (engine/core/io/examples.py, engine/core/io/csv_table.py): values read from CSV and JSONL, every
limit and error with its place, strict JSON out (hostile files: tests/core/test_examples_hostile.py)."""

from __future__ import annotations

import json
import math
import re
import time
import tracemalloc

import pytest

from engine.core import limits
from engine.core.io import examples
from engine.core.io.examples import InputError, check_example, dumps_example, iter_jsonl, read_jsonl, read_table_csv
from engine.core.vocab import parse_number, split_question, tokenize
from explorer import tables

CLI = dict(max_bytes=limits.TABLE_MAX_BYTES, max_rows=limits.TABLE_MAX_ROWS,
           max_columns=limits.TABLE_MAX_COLUMNS, max_cells=limits.TABLE_MAX_CELLS)
SMALL = dict(max_bytes=2_000, max_rows=6, max_columns=5, max_cells=20, max_name_chars=10)
GOOD = {"columns": ["A", "B"], "rows": [[1, "x"], [2.5, None]], "question": "sum A", "answer": {"scalar": 3.5}}


def csv_rows(raw: bytes, **caps) -> list[list]:
    return read_table_csv(raw, **(caps or CLI)).rows


def jsonl_error(*lines: str, need_answer: bool = False) -> str:
    with pytest.raises(InputError) as e:
        read_jsonl("\n".join(lines).encode(), need_answer=need_answer)
    return str(e.value)


# ----------------------------------------------------------------------------- numbers

def test_numbers_in_questions_and_cells():
    assert [parse_number(t) for t in ("1,500", "1e3", "2.5E-4", "-.5", "+7", "12,345,678.5")] == [
        1500.0, 1000.0, 0.00025, -0.5, 7.0, 12345678.5]
    for text in ("1,5", "1,50", "nan", "inf", "1e999", "9" * 400, "1_000", "١٢", "e3", "1e"):
        assert parse_number(text) is None, text
    assert split_question("greater 1e3 A and lesser 1,500 B count").numbers == [1000.0, 1500.0]
    assert tokenize("sum 1e3. or 2,5?") == ["sum", "1e3", "or", "2,5"]  # "2,5" is a word, never 25


def test_decimal_commas_read_the_same_in_the_app_and_the_cli(tmp_path):
    raw = b"A;B\n1,5;2\n-0,25;1.500,5\n3;1.000.000\n"
    want = [[1.5, 2.0], [-0.25, 1500.5], [3.0, 1_000_000.0]]
    assert csv_rows(raw) == want
    (tmp_path / "t.csv").write_bytes(raw)
    assert read_table_csv(tmp_path / "t.csv", **CLI).rows == want
    assert read_table_csv(str(tmp_path / "t.csv"), **CLI).rows == want
    df, notes = tables.parse_csv(raw)
    assert tables.to_engine(df) == (["A", "B"], want) and notes == []
    assert df["A"].sum() == pytest.approx(4.25)  # was 15 + -25 + 3 ("1,5" read as 15)


def test_comma_files_keep_thousands_and_refuse_ambiguity():
    assert csv_rows(b'a,b\n"1,500",2\n"12,345.5",1e3\n') == [[1500.0, 2.0], [12345.5, 1000.0]]
    assert csv_rows(b'a,b\n"1,5",2\n') == [["1,5", 2.0]]  # ambiguous in a comma file: text, not 15
    assert csv_rows(b"a\tb\n2.5E-4\t-1e2\n") == [[0.00025, -100.0]]


def test_scientific_notation_is_a_number_and_non_finite_cells_are_empty_with_a_note():
    table = read_table_csv(b"x,y,name\n1e3,NaN,Nan\n2,inf,Bo\n3,1e999,Al\n-Infinity,4,x\n", **CLI)
    assert table.rows == [[1000.0, None, "Nan"], [2.0, None, "Bo"], [3.0, None, "Al"], [None, 4.0, "x"]]
    assert len(table.notes) == 1 and "4 cell(s)" in table.notes[0]
    for where in ("row 1 (line 2) column 'y': 'NaN'", "row 3 (line 4) column 'y': '1e999'",
                  "row 4 (line 5) column 'x': '-Infinity'"):
        assert where in table.notes[0]
    df, notes = tables.parse_csv(b"v\n1e3\nNaN\n1e308\n")
    assert tables.is_numeric(df, "v") and df["v"].sum() == 1000.0 and "line 3" in notes[0]


def test_names_fixed_with_notes_and_trailing_delimiters_dropped():
    table = read_table_csv(b"a,,a,\n1,2,3,\n4,5,6,\n", **CLI)
    assert table.columns == ["a", "column 2", "a 2"] and table.rows == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert len(table.notes) == 2
    assert read_table_csv(b'\xef\xbb\xbf"long, name";b\n"x\ny";1\n', **CLI).rows == [["x\ny", 1.0]]
    df, notes = tables.parse_csv(b"n" * 50 + b",b\n1,2\n")
    assert list(df.columns) == ["n" * 40, "b"] and "40 characters" in notes[0]


# ----------------------------------------------------------------------------- CSV errors and limits

@pytest.mark.parametrize("raw, words", [
    (b"", "empty"),
    (b"\n \n", "empty"),
    (b"a,b\n", "header row (line 1) but no data rows"),
    (b"a,b\n1,2\n3,4,5\n6\n", "line 3 has 3, line 4 has 1"),
    (b"caf\xe9,b\n1,2\n", "line 1: not UTF-8"),
    (b"a,b\n1,2\n\x89PNG\x00\x00", "line 3: a NUL byte"),
    (b"a,b\n1," + b"x" * 1001 + b"\n", "line 2, column 2: a cell of 1,001 characters; the limit is 1,000"),
])
def test_csv_errors_say_where(raw, words):
    with pytest.raises(InputError, match=re.escape(words)):
        read_table_csv(raw, **CLI)
    with pytest.raises(tables.TableError, match=re.escape(words)):  # the app: same reader, same message
        tables.parse_csv(raw)


def test_caps_stop_at_the_first_row_over_them():
    roomy = {**SMALL, "max_bytes": 10**7}
    with pytest.raises(InputError, match=r"line 8: the table has more than 6 rows; the limit is 6"):
        read_table_csv(b"a\n" + b"1\n" * 10**6, **roomy)
    with pytest.raises(InputError, match=r"line 7: .* more than 20 cells \(6 rows × 4 columns\); the limit is 20"):
        read_table_csv(b"a,b,c,d\n" + b"1,2,3,4\n" * 10**5, **roomy)
    with pytest.raises(InputError, match="6 columns; the limit is 5"):
        read_table_csv(b"a,b,c,d,e,f\n1,2,3,4,5,6\n", **SMALL)
    with pytest.raises(InputError, match="the limit is 2,000 bytes"):
        read_table_csv(b"a\n" + b"1\n" * 1000, **SMALL)


def test_a_100_mb_csv_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.write(b"a,b\n1,2\n")
        f.truncate(100 * 1024 * 1024)  # sparse: 100 MB by its size, nothing to write
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"is 104\.9 MB; the limit is 21\.0 MB"):
        read_table_csv(path, **CLI)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 0.5 and peak < 50e6, (seconds, peak)


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table_csv(tmp_path / "none.csv", **CLI)
    with pytest.raises(InputError, match="directory"):
        read_table_csv(tmp_path, **CLI)


def test_url_tables_over_the_upload_limit_are_refused_not_cut():
    import base64
    import zlib

    packed = base64.urlsafe_b64encode(zlib.compress(b"a\n" + b"1\n" * 600_000, 9)).decode()
    with pytest.raises(tables.TableError, match="larger than"):
        tables.from_url_param(packed)


# ----------------------------------------------------------------------------- JSONL

def test_jsonl_errors_carry_their_line_number():
    good = json.dumps(GOOD)
    cases = {
        '{"columns": ["A"], "rows": [[' + "9" * 400 + ']], "question": "count"}': "not finite or beyond",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "x": ' + "[" * 40 + "]" * 40 + "}": "deeper than 32",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "x": ' + "[" * 10**5 + "]" * 10**5 + "}": "deeper",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"cells": null}}': "'cells' must be a list",
        '{"columns": ["A"], "rows": [[NaN]], "question": "count"}': "'NaN' is not finite",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"scalar": Infinity}}': "not finite",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"scalar": "3"}}': "finite number",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"cells": [[0, 1]]}}': "outside the table",
        '{"columns": ["A"], "rows": [[1]], "question": "count", "answer": {"cells": [[0, true]]}}': "pair of integers",
        '{"columns": ["A"], "rows": [[{"x": 1}]], "question": "count"}': "not a number, string or null (dict)",
        '{"columns": ["A"], "rows": [[[1]]], "question": "count"}': "(list)",
        '{"columns": ["A"], "rows": [[false]], "question": "count"}': "(bool)",
        '{"columns": ["A", "B"], "rows": [[1, 2], [3]], "question": "count"}': "row 1 (0-based) must be a list of 2",
        '{"columns": ["A"], "rows": [[1]], "question": "' + "x" * 2001 + '"}': "the limit is 2,000",
        '{"columns": ["A"], "rows": [[1]], "question": "' + " ".join(["5"] * 33) + '"}': "33 numbers; the limit is 32",
        '{"columns": ["A"], "rows": [[1]], "question": "greater 1e999 A count"}': "'1e999' in the question",
        '{"columns": ["A"], "rows": ' + json.dumps([[1]] * 100_001) + ', "question": "count"}': "100,000 rows",
        '{"columns": ["A"], "rows": [[1]], "question": "count"': "not valid JSON",
        "[1, 2]": "expected a JSON object, got list",
    }
    for line, words in cases.items():
        message = jsonl_error(good, "", line)
        assert message.startswith("the JSONL file, line 3: ") and words in message, (words, message)
    assert "line 1: missing key 'answer'" in jsonl_error(json.dumps({**GOOD, "answer": None}), need_answer=True)
    assert "no examples" in jsonl_error("", " ")


def test_jsonl_lines_are_read_one_at_a_time_within_the_line_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(examples, "JSONL_LINE_MAX_BYTES", 200)
    big = json.dumps({**GOOD, "rows": [[1, "x"]] * 40})
    assert "line 2: the line is longer than 200 bytes" in jsonl_error(json.dumps(GOOD), big)
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n\n" + b'{"q": "\xff"}\n')
    lines = iter_jsonl(path)
    assert next(lines) == (1, GOOD)
    with pytest.raises(InputError, match=r"x.jsonl, line 3: not UTF-8"):
        next(lines)
    with pytest.raises(InputError, match="line 2: more than 1 examples"):
        read_jsonl(((json.dumps(GOOD) + "\n") * 2).encode(), limit=1)


def test_predict_output_reads_back_and_nothing_non_finite_is_written():
    predicted = {**GOOD, "program_template": "sum A", "prediction": {"scalar": float("nan")},
                 "program": [{"op": "sum", "column": "A", "pivot": None}]}
    line = dumps_example(predicted)
    assert "NaN" not in line and "Infinity" not in line
    back = read_jsonl(line.encode(), need_answer=True)[0]
    assert back["prediction"]["none"] is True and "not finite" in back["prediction"]["reason"]
    assert back["program"] == predicted["program"]
    huge = dumps_example({**GOOD, "prediction": {"scalar": 5e305}})
    assert read_jsonl(huge.encode())[0]["prediction"]["none"] is True
    cells = {**GOOD, "prediction": {"cells": [[1, 0]]}}
    assert read_jsonl(dumps_example(cells).encode()) == [cells]
    with pytest.raises(ValueError, match=r"\['rows'\]\[0\]\[0\]"):
        dumps_example({**GOOD, "rows": [[math.inf, "x"]]})


def test_check_example_accepts_numpy_floats_and_keeps_extra_keys():
    import numpy as np

    ex = {**GOOD, "rows": [[np.float64(1.5), "x"], [2, None]], "extra": {"kept": [1]}}
    check_example(ex, "here", need_answer=True)
    with pytest.raises(InputError, match=r"here: row 0 \(0-based\), column 'A'"):
        check_example({**ex, "rows": [[np.float64("nan"), "x"], [2, None]]}, "here")
