"""AppTest: an uploaded table keeps the question only when it can be asked of it (explorer/state.py set_table):
issue 22, item 8. Before, "greater 2015 year sum sales" stayed in the box after uploading a table without year or
sales, and every model was asked about columns that were not there."""

from __future__ import annotations

from explorer import example_questions, state, tables
from tests.ui.helpers import new_app

OPENING = "greater 2015 year sum sales"  # the default sample's question (shop_sales)
PRICES = b"item,price,units\ntea,3,10\ncake,5,20\n"


def _upload(at, raw: bytes, name: str = "mine.csv"):
    return at.file_uploader(key=state.CSV_UPLOAD).set_value((name, raw, "text/csv")).run()


def _box(at) -> str:
    return at.text_input(key=state.QUESTION_BOX).value


def test_an_upload_without_the_questions_columns_gets_a_question_about_its_own():
    at = new_app()
    assert at.session_state[state.QUESTION] == OPENING and _box(at) == OPENING
    _upload(at, PRICES)
    assert not at.exception
    df = at.session_state[state.TABLE]
    columns, rows = tables.to_engine(df)
    want = example_questions.plain_examples(columns, rows, ["text", "numeric", "numeric"])[0]
    assert want == "which item has the highest price?"
    assert at.session_state[state.QUESTION] == want and _box(at) == want


def test_an_upload_that_has_the_questions_columns_keeps_it():
    at = _upload(new_app(), b"year,sales,staff\n2016,5,2\n2017,6,3\n")
    assert not at.exception
    assert at.session_state[state.QUESTION] == OPENING and _box(at) == OPENING


def test_a_question_naming_no_column_is_kept():
    at = new_app({"q": "how many rows are there?"})
    _upload(at, PRICES)
    assert at.session_state[state.QUESTION] == "how many rows are there?"


def test_a_refused_upload_keeps_the_table_and_the_question():
    at = _upload(new_app(), b"a,b\n1,2\n3,4,5\n", "bad.csv")
    assert at.session_state[state.QUESTION] == OPENING and _box(at) == OPENING
