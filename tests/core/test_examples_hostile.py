"""Hypothesis suites of hostile input through the one input path (engine/core/io/examples.py): any bytes as a CSV
and any line as JSONL give a checked result or an InputError that says where, never another exception."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core import limits
from engine.core.io.csv_table import _DECIMAL_COMMA, _cell
from engine.core.io.examples import InputError, dumps_example, iter_jsonl, read_jsonl, read_table_csv
from engine.core.vocab import number_value, split_question
from explorer import tables

SMALL = dict(max_bytes=2_000, max_rows=6, max_columns=5, max_cells=20, max_name_chars=10)
GOOD = {"columns": ["A", "B"], "rows": [[1, "x"], [2.5, None]], "question": "sum A", "answer": {"scalar": 3.5}}


# ----------------------------------------------------------------------------- hostile files (hypothesis)

SPELLINGS = (repr, str, "{:.3e}".format, "{:,.2f}".format, lambda x: f"{x:.2f}".replace(".", ","),
             lambda x: f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", "."), lambda x: str(int(x)))
ODD_NUMBERS = ["NaN", "-inf", "Infinity", "1e999", "-1e308", "9" * 400, "1,5", "1.500,25", "1.500.000", "1e3",
               "2.5E-4", ".5", "5.", "+7", "1_000", "١٢", "0x10", "1e", "--1", "", " ", '"', '""', "a\nb", "x;y,z"]
CELL_TEXTS = st.one_of(
    st.tuples(st.floats(-1e12, 1e12), st.sampled_from(SPELLINGS)).map(
        lambda p: p[1](p[0]) if math.isfinite(p[0]) else repr(p[0])),
    st.sampled_from(ODD_NUMBERS),
    st.text(alphabet=',;\t"\n\r é€\x00\ufeffaZ09.-', max_size=10),
)


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    width = draw(st.integers(1, 6))
    quote_all = draw(st.booleans())

    def line(cells: list[str]) -> str:
        quoted = ['"' + c.replace('"', '""') + '"' if quote_all or i % 3 == 0 else c for i, c in enumerate(cells)]
        return delimiter.join(quoted)

    names = st.one_of(st.sampled_from(["", "a", "A B", "a", "x" * 30]), st.text(max_size=12))
    header = line(draw(st.lists(names, min_size=width, max_size=width)))
    shapes = draw(st.lists(st.sampled_from([width] * 6 + [0, width - 1, width + 1, width + 2]), max_size=9))
    body = [line(draw(st.lists(CELL_TEXTS, min_size=n, max_size=n))) + (delimiter if n % 4 == 3 else "")
            for n in shapes]
    raw = eol.join([header, *body]).encode() + eol.encode()
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    if draw(st.integers(0, 7)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at:]
    return raw


def check_table(table, max_bytes, max_rows, max_columns, max_cells, max_name_chars):
    width = len(table.columns)
    assert 1 <= width <= max_columns and 1 <= len(table.rows) <= max_rows and len(table.rows) * width <= max_cells
    assert len(set(table.columns)) == width
    assert all(type(c) is str and c == c.strip() and 0 < len(c) <= max_name_chars + 4 for c in table.columns)
    for row in table.rows:
        assert len(row) == width
        for v in row:
            assert v is None or (type(v) is float and abs(v) <= limits.NUMBER_MAX_ABS) or (
                type(v) is str and v == v.strip() and 0 < len(v) <= limits.CELL_MAX_CHARS)
    assert all(isinstance(n, str) for n in table.notes)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(csv_files(), st.binary(max_size=300)))
def test_any_csv_bytes_give_a_valid_table_or_an_input_error(raw):
    try:
        table = read_table_csv(raw, **SMALL)
    except InputError as e:
        assert str(e)
        table = None
    else:
        check_table(table, **SMALL)
    try:
        df, notes = tables.parse_csv(raw)  # the app: the same reader with its own (larger) limits
    except tables.TableError:
        assert table is None
        return
    assert len(df) <= tables.MAX_ROWS and 1 <= len(df.columns) <= tables.MAX_COLUMNS
    assert all(isinstance(n, str) for n in notes)
    if table is not None:
        assert len(df.columns) == len(table.columns) and len(df) == len(table.rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e12, 1e12).map(lambda x: round(x, 3)), min_size=1, max_size=8),
       st.sampled_from([",", ";", "\t"]))
def test_numbers_written_the_local_way_read_back_exactly(values, delimiter):
    def spelled(x: float) -> str:
        text = repr(x)
        return text.replace(".", ",") if delimiter == ";" else text

    raw = ("v" + delimiter + "w\n" + "".join(f"{spelled(x)}{delimiter}{spelled(-x)}\n" for x in values)).encode()
    assert read_table_csv(raw, **{**SMALL, "max_rows": 10, "max_cells": 100}).rows == [[x, -x] for x in values]


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                        st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
HOSTILE_NUMBERS = st.sampled_from(["NaN", "Infinity", "-Infinity", "9" * 400, "1e999", "-1e400", "1e300"])


@st.composite
def jsonl_lines(draw) -> str:
    width = draw(st.integers(0, 3))
    cells = st.one_of(JSON_LEAVES, st.floats(-1e6, 1e6), JSON_VALUES)
    ex = {
        "columns": draw(st.one_of(st.just([chr(65 + j) for j in range(width)]), JSON_VALUES)),
        "rows": draw(st.lists(st.lists(cells, min_size=width, max_size=width + (draw(st.integers(0, 5)) == 0)),
                              max_size=4) | JSON_VALUES),
        "question": draw(st.one_of(st.sampled_from(["count", "sum A", "greater 1e3 A print B", "", " "]),
                                   st.text(max_size=30), JSON_LEAVES)),
    }
    answer = st.one_of(st.fixed_dictionaries({"scalar": JSON_LEAVES}),
                       st.fixed_dictionaries({"cells": st.lists(st.lists(st.integers(-1, 4), max_size=3),
                                                                max_size=3) | JSON_VALUES}), JSON_VALUES)
    for key, value in (("answer", answer), ("prediction", answer), ("program", JSON_VALUES)):
        if draw(st.booleans()):
            ex[key] = draw(value)
    line = json.dumps(ex)
    mutation = draw(st.integers(0, 9))
    if mutation == 0:
        line = line.replace("1", draw(HOSTILE_NUMBERS), 1)
    elif mutation == 1:
        depth = draw(st.integers(20, 5000))
        line = line[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    elif mutation == 2:
        line = line[:draw(st.integers(0, len(line)))]
    elif mutation == 3:
        line = draw(st.text(max_size=40))
    return line


def check_accepted(ex: dict):
    width = len(ex["columns"])
    assert all(type(c) is str for c in ex["columns"]) and 1 <= width <= limits.TABLE_MAX_COLUMNS
    for row in ex["rows"]:
        assert type(row) is list and len(row) == width
        for v in row:
            assert v is None or type(v) is str or (type(v) in (int, float) and abs(v) <= limits.NUMBER_MAX_ABS)
    assert type(ex["question"]) is str and ex["question"].strip()
    assert len(split_question(ex["question"]).numbers) <= limits.QUESTION_MAX_NUMBERS
    for key in ("answer", "prediction"):
        answer = ex.get(key)
        if answer is None or answer.get("none") is True:
            continue
        if "scalar" in answer:
            assert type(answer["scalar"]) in (int, float) and math.isfinite(answer["scalar"])
        else:
            assert all(0 <= r < len(ex["rows"]) and 0 <= c < width for r, c in answer["cells"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jsonl_lines())
def test_any_jsonl_line_gives_a_checked_example_or_an_error_naming_its_line(line):
    raw = (json.dumps(GOOD) + "\n" + line + "\n").encode()
    try:
        read = list(iter_jsonl(raw))
    except InputError as e:
        assert str(e).startswith("the JSONL file, line 2: "), str(e)
        return
    assert read[0] == (1, GOOD)
    for _, ex in read[1:]:
        check_accepted(ex)
        assert read_jsonl(dumps_example(ex).encode()) == [ex]  # strict JSON out reads back the same


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.+-eE_, nafINF١", max_size=10), st.booleans())
def test_the_cell_fast_path_reads_the_same_numbers_as_the_rules(token, decimal_comma):
    text = token.strip()
    if decimal_comma and _DECIMAL_COMMA.fullmatch(text):
        spelled = float(text.replace(".", "").replace(",", "."))
    else:
        spelled = number_value(text)
    value = _cell(token, decimal_comma)
    if spelled is None:
        assert value is None or type(value) is not float
    elif abs(spelled) <= limits.NUMBER_MAX_ABS:
        assert value == spelled
    else:
        assert type(value) is not float  # held back as not finite, settled by its column
