"""Numbers, dates and tokens of WikiTableQuestions text (engine/wtq2017/dataset/values.py): properties over
many inputs."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wtq2017.dataset.values import (
    MONTHS,
    cell_number,
    date_number,
    token_number,
    tokens,
    whole_date,
    whole_number,
)

MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december"]


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**12, 10**12))
def test_integers_read_back_with_or_without_thousands_commas(n):
    assert whole_number(str(n)) == n
    assert whole_number(f"{n:,}") == n
    assert cell_number(f"{n:,}") == n
    assert tokens(f"about {n:,} people") == ["about", *([f"{n:,}"] if n >= 0 else ["-", f"{-n:,}"]), "people"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 99))
def test_decimals_read_back(whole, cents):
    assert whole_number(f"{whole}.{cents:02d}") == float(f"{whole}.{cents:02d}")


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(2999, 12, 31)))
def test_dates_in_every_written_form(d):
    month = MONTH_NAMES[d.month - 1]
    expected = (d.year, d.month, d.day)
    for text in (f"{month.title()} {d.day}, {d.year}", f"{d.day} {month.title()} {d.year}", d.isoformat(),
                 f"{month[:3].title()}. {d.day}, {d.year}"):
        assert whole_date(text) == expected, text
    assert whole_date(f"{month.title()} {d.year}") == (d.year, d.month, -1)
    assert cell_number(d.isoformat()) == date_number(expected) == d.year * 10000 + d.month * 100 + d.day


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=datetime.date(1000, 1, 1)), st.dates(min_value=datetime.date(1000, 1, 1)))
def test_full_dates_keep_their_order_as_processed_values(a, b):
    if a < b:
        assert cell_number(a.isoformat()) < cell_number(b.isoformat())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_without_error(text):
    value = cell_number(text)
    assert value is None or isinstance(value, float)
    date = whole_date(text)
    assert date is None or (date[1] == -1 or 1 <= date[1] <= 12) and (date[2] == -1 or 1 <= date[2] <= 31)
    assert all(t and not t.isspace() for t in tokens(text))


def test_month_table():
    assert [MONTHS[m] for m in MONTH_NAMES] == list(range(1, 13)) and MONTHS["sept"] == 9


def test_number_words_but_not_one():
    assert token_number("three") == 3 and token_number("twenty") == 20 and token_number("zero") == 0
    assert token_number("one") is None and token_number("first") is None and token_number("2nd") is None
