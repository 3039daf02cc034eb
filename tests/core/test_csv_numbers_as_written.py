"""A number in a text column is read as written (engine/core/io/csv_table.py) and shown so by the app
(explorer/tables.py): issue 22, item 2. Before, the medal table's Rank column ("1" … "8", then "Total") was read as
floats among text and shown, matched and answered as "1.0", "5.0"; the command line gave the 2017 model "1" (its
cell text drops the ".0"), so the app's model read another table than the command line's."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.core import limits
from engine.core.io.examples import read_table_csv
from engine.wtq2017.predict import from_table
from explorer import tables

CLI = dict(max_bytes=limits.TABLE_MAX_BYTES, max_rows=limits.TABLE_MAX_ROWS,
           max_columns=limits.TABLE_MAX_COLUMNS, max_cells=limits.TABLE_MAX_CELLS)


def test_numbers_in_a_text_column_keep_their_written_form():
    raw = b'id,code,n\n1,007,3\n"1,500",x,4.50\n1.50,A12,5\nTotal,,6\n'
    assert read_table_csv(raw, **CLI).rows == [
        ["1", "007", 3.0], ["1,500", "x", 4.5], ["1.50", "A12", 5.0], ["Total", None, 6.0]]


def test_a_column_of_numbers_only_stays_numeric():
    assert read_table_csv(b"a,b\n1,2\n3.5,\n", **CLI).rows == [[1.0, 2.0], [3.5, None]]


def test_decimal_commas_and_not_finite_cells_of_a_text_column_stay_as_written():
    assert read_table_csv(b"a;b;c\n1,5;1;x\nn/a;2,25;NaN\n", **CLI).rows == [["1,5", 1.0, "x"], ["n/a", 2.25, "NaN"]]


def test_the_medal_tables_ranks_are_shown_and_asked_as_written():
    df = tables.load_sample("wtq_medal_table")
    assert list(df["Rank"]) == ["1", "2", "3", "4", "5", "6", "7", "8", "8", "Total"]
    assert tables.is_numeric(df, "Gold") and df["Gold"].sum() == 24.0  # numbers still computed as numbers
    columns, rows = tables.to_engine(df)
    assert rows[4][:2] == ["5", "Ecuador"]
    # the 2017 model reads the app's table as the command line's (floats there: "5", as its cell text writes them)
    cli = read_table_csv(tables.SAMPLE_DIR / "wtq_medal_table.csv", **CLI)
    as_floats = [[float(c) if isinstance(c, str) and c.isdigit() else c for c in r] for r in cli.rows]
    question = "what rank is ecuador?"
    assert from_table(columns, rows, question)["wtq"] == from_table(cli.columns, as_floats, question)["wtq"]


def test_numbers_put_in_a_text_column_by_an_edit_are_written_as_people_write_them():
    df = pd.DataFrame({"a": [4.0, "Total", 12.5, np.float64(3.0), None, 7, math.nan]}, dtype=object)
    assert list(tables.normalize(df)["a"]) == ["4", "Total", "12.5", "3", None, "7", None]
