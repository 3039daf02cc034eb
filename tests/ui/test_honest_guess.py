"""Honest guesses (explorer/guesses.py): which questions a checkpoint was not trained to read, the closest
question it does read (plain English mapped onto the grammar, the user's numbers and columns kept), word
checks that never call a column name unknown, and the checkpoints' plain names."""

from __future__ import annotations

import pytest

from engine.core.vocab import Vocab
from engine.np2016.batch import column_kinds
from engine.np2016.data import tasks as data
from engine.np2016.data.question_grammar import parse
from explorer import checkpoints, guesses, questions, tables

ALL_OPS = ("sum", "count", "print", "greater", "lesser", "and", "or", "diff", "text_match")


def table(sample: str):
    cols, rows = tables.to_engine(tables.load_sample(sample))
    return cols, rows, column_kinds(cols, rows)


@pytest.mark.parametrize("sample, question, closest", [
    ("shop_sales", "what is the total profit when sales are above 100", "greater 100 sales sum profit"),
    ("shop_sales", "how many years had more than 1000 orders", "greater 1000 orders count"),
    ("shop_sales", "show the profit for years after 2015", "greater 2015 year print profit"),
    ("shop_sales", "average sales", "sum sales"),
    ("shop_sales", "sales above 100", "greater 100 sales count"),
    # two filters: each number stays with the comparison and the column it was said with
    ("shop_sales", "sales below 150 and profit above 20, how many?", "greater 20 profit and lesser 150 sales count"),
    ("shop_sales", "number of years with visits under 5000 or orders over 300",
     "greater 300 orders or lesser 5000 visits count"),
    ("grade_book", "how many students have attendance under 90", "lesser 90 attendance count"),
    ("text_5", "total of C where A is word:2", "word:2 A sum C"),
    ("text_5", "sum of E when B is word:1 and C above 3", "greater 3 C and word:1 B sum E"),
])
def test_closest_question_keeps_numbers_and_columns(sample, question, closest):
    cols, rows, kinds = table(sample)
    got = guesses.closest_question(question, cols, rows, kinds, ALL_OPS)
    assert got == closest
    assert parse(got, cols) is not None  # always a question of the grammar


def test_closest_question_uses_the_checkpoints_own_words():
    cols, rows, kinds = table("letters_1")
    words5 = Vocab(data.vocabulary("words-5"))  # knows "difference", not "diff"
    cols3 = Vocab(data.vocabulary("columns-3"))  # knows "diff", not "difference"
    assert guesses.closest_question("total A minus count", cols, rows, kinds, ALL_OPS, words5) == \
        "sum A difference count"
    assert guesses.closest_question("total A minus count", cols, rows, kinds, ALL_OPS, cols3) == "sum A diff count"


def test_closest_question_respects_the_checkpoints_operations():
    cols, rows, kinds = table("text_2")
    no_text = tuple(op for op in ALL_OPS if op != "text_match")
    got = guesses.closest_question("how many rows where A is word:3", cols, rows, kinds, no_text)
    assert got is not None and "word:" not in got  # a model without text_match is never offered a text filter
    assert "word:3" in guesses.closest_question("how many rows where A is word:3", cols, rows, kinds, ALL_OPS)


def test_grammar_questions_need_no_suggestion():
    cols, rows, kinds = table("shop_sales")
    assert guesses.closest_question("greater 2015 year sum sales", cols, rows, kinds, ALL_OPS) is None


def test_guess_reasons():
    cols, rows, kinds = table("shop_sales")
    vocab = Vocab(data.vocabulary("names-5"))
    ok = questions.word_report("greater 2015 year sum sales", vocab, cols, rows, kinds)
    assert guesses.guess_reasons("greater 2015 year sum sales", cols, ok) == []
    q = "what is the total of sales please"
    reasons = guesses.guess_reasons(q, cols, questions.word_report(q, vocab, cols, rows, kinds))
    assert "does not know the word(s) what, is, the, total, of, please" in reasons[0]
    assert "not one of the forms" in reasons[1]


def test_a_word_found_by_name_or_in_a_cell_is_never_unknown():
    cols, rows, kinds = table("grade_book")
    vocab = Vocab(data.vocabulary("names-5"))  # "exam" is not a training header word
    report = questions.word_report("sum exam", vocab, cols, rows, kinds)
    assert report["by_name"] == {"exam": "exam"} and report["unknown"] == []
    assert guesses.guess_reasons("sum exam", cols, report) == []
    cols, rows, kinds = table("text_2")
    vocab = Vocab([w for w in data.vocabulary("text-2") if not w.startswith("word:")])
    report = questions.word_report("word:3 A count", vocab, cols, rows, kinds)
    assert report["in_cells"] == {"word:3": "A"} and report["unknown"] == []


def _entry(task: str, method: str | None = "ours", trained: bool = False) -> checkpoints.Entry:
    return checkpoints.Entry(task, "", 0.0, task, 1.0, trained, (), 4, 64, method=method)


@pytest.mark.parametrize("task, method, name", [
    ("names-5", "ours", "Synthetic, up to 5 columns, real header names"),
    ("columns-3", "ours", "Synthetic, up to 3 columns, named A–C"),
    ("single-column", "paper", "Synthetic, 1 column, named A, gradient descent only"),
    ("words-5", "ours", "Synthetic, up to 5 columns, named A–E, everyday wording (total, how many…)"),
    ("text-5", "ours", "Synthetic, 2 text + 3 number columns, named A–E"),
    ("text-2", None, "Synthetic, 1 text + 1 number column, named A–B"),
])
def test_plain_names(task, method, name):
    assert _entry(task, method).plain_name == name


def test_plain_name_of_unknown_and_trained_checkpoints():
    assert _entry("columns-3", trained=True).plain_name.startswith("Trained here, up to 3 columns")
    assert checkpoints.Entry("x", "", 0.0, "mystery", None, False, (), 0, 0).plain_name == "Task mystery"
    assert "cannot be read" in checkpoints.Entry("x", "", 0.0, "unknown", None, False, (), 0, 0, error="bad").plain_name
