"""The closest question (explorer/guesses.py) gives a compared number the column whose values it fits (issue 22,
item 3). Before, "what is the total profit after 2015?" was rewritten "greater 2015 profit sum profit", which
answers 0 (no profit is over 2015) and was then marked right; the question means the years after 2015."""

from __future__ import annotations

import pytest

from engine.np2016.batch import column_kinds
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.trace import trace
from explorer import guesses, questions, tables
from tests.ui.helpers import ROOT

SHIPPED_NAMES5 = ROOT / "checkpoints" / "names-5.safetensors"  # the synthetic checkpoint the issue was found with
NAMES5_OPS = ("sum", "count", "difference", "greater", "lesser", "and", "or", "assign", "reset")  # its operations


def _shop_sales():
    cols, rows = tables.to_engine(tables.load_sample("shop_sales"))  # year 2010–2021, profit 8.4–33.9
    return cols, rows, column_kinds(cols, rows)


def test_the_year_after_which_profit_is_summed_is_a_year():
    cols, rows, kinds = _shop_sales()
    model, vocab, _ = load_checkpoint(SHIPPED_NAMES5)
    got = guesses.closest_question("what is the total profit after 2015?", cols, rows, kinds, model.config.ops, vocab)
    assert got == "greater 2015 year sum profit"
    assert questions.right_answer(got, cols, rows, kinds) == {"scalar": pytest.approx(148.2)}
    assert trace(model, vocab, cols, rows, got)["answer"]["scalar"] == pytest.approx(148.2)  # 24.3+27.8+…+33.9


@pytest.mark.parametrize("question, closest", [
    ("what is the total of profit before 2013", "lesser 2013 year sum profit"),
    ("how many after 2015", "greater 2015 year count"),  # no column named: the one the number fits (so before too)
    ("sum profit after 5000", "greater 5000 visits sum profit"),  # visits 4200–7150
])
def test_a_number_that_does_not_fit_the_summed_column_goes_to_the_column_it_fits(question, closest):
    cols, rows, kinds = _shop_sales()
    assert guesses.closest_question(question, cols, rows, kinds, NAMES5_OPS) == closest


@pytest.mark.parametrize("question, closest", [
    # a column named with the comparison is the user's reading, whether or not the number fits it
    ("sales above 400, how many?", "greater 400 sales count"),
    ("how many years had more than 1000 orders", "greater 1000 orders count"),
    # the summed column keeps a number that fits it
    ("total profit above 20", "greater 20 profit sum profit"),
    # a number that fits no column stays with the column named before the word
    ("total profit after 9999", "greater 9999 profit sum profit"),
])
def test_a_column_named_with_the_comparison_keeps_its_number(question, closest):
    cols, rows, kinds = _shop_sales()
    assert guesses.closest_question(question, cols, rows, kinds, NAMES5_OPS) == closest

