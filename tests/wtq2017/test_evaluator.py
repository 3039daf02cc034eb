"""The WikiTableQuestions evaluator (engine/wtq2017/dataset/evaluator.py): the official normalisation, value
matching, set rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.wtq2017.dataset.evaluator import (
    denotation_accuracy,
    denotation_match,
    normalize,
    to_value,
    to_values,
    values_match,
)


@pytest.mark.parametrize("raw, expected", [
    ("Café", "cafe"),  # diacritics
    ("Zürich", "zurich"),
    ("\u2018quoted\u2019", "'quoted'"),  # smart single quotes
    ("\u201cHello\u201d", "hello"),  # smart double quotes become ASCII, then outer quotes go
    ("1990\u20131995", "1990-1995"),  # en dash
    ("\u22125", "-5"),  # minus sign
    ("Paris[1]", "paris"),  # citation
    ("Paris [note 2]", "paris"),
    ("Smith*", "smith"),
    ("Smith\u2020", "smith"),  # dagger
    ("Paris (France)", "paris"),  # trailing parenthesis
    ("Paris (France) [1]", "paris"),  # citation, then the parenthesis it uncovered
    ("(France)", "(france)"),  # a parenthesis at the start is kept
    ('"Hello"', "hello"),
    ("Dr.", "dr"),  # one final period
    ("  Many    spaces\there ", "many spaces here"),
    ("UPPER", "upper"),
])
def test_normalize_follows_the_official_rules(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("predicted, target", [
    (["1,000"], ["1000"]),  # thousands separator: the same number
    (["1000"], ["1,000"]),
    (["2.0"], ["2"]),
    (["2"], ["2.0"]),
    ([3], ["3"]),  # a predicted scalar
    ([5537.5], ["5537.5"]),
    (["January 3, 2005"], ["2005-01-03"]),  # dates by value
    (["3 January 2005"], ["January 3, 2005"]),
    (["2005-01-03"], ["Jan. 3, 2005"]),
    (["1990"], ["1990-xx-xx"]),  # a year-only date is a number
    (["March 1990"], ["1990-03-xx"]),
    (["Wolfe Tones"], ["wolfe tones"]),
    (["Paris (France)"], ["Paris"]),
    (["a", "b"], ["b", "a"]),  # a set: order does not matter
    (["a", "a", "b"], ["b", "a"]),  # duplicates merge
    (["Smith[1]"], ["Smith"]),
])
def test_matches(predicted, target):
    assert denotation_match(predicted, target)


@pytest.mark.parametrize("predicted, target", [
    (["1,001"], ["1000"]),
    (["2.5"], ["2"]),
    (["January 4, 2005"], ["2005-01-03"]),
    (["xx-01-03"], ["1990-01-03"]),  # every field must agree
    (["2005-01-03"], ["2005"]),  # a date is not the number of its year
    (["a"], ["a", "b"]),  # sizes differ
    (["a", "b"], ["a"]),
    (["a", "c"], ["a", "b"]),
    ([], ["a"]),
    (["Canada, Calgary"], ["Calgary"]),
    (["6"], ["6 years"]),
])
def test_mismatches(predicted, target):
    assert not denotation_match(predicted, target)


def test_empty_denotations_match_each_other():
    assert denotation_match([], [])


def test_a_single_string_is_refused_rather_than_read_as_characters():
    with pytest.raises(TypeError):
        denotation_match("abc", ["abc"])


def test_value_kinds():
    assert to_value("1,500").kind == "number" and to_value("1,500").amount == 1500
    assert to_value("January 3, 2005").ymd == (2005, 1, 3)
    assert to_value("2005").kind == "number"
    assert to_value("Wolfe Tones").kind == "string"
    assert to_value(float("nan")).kind == "string"  # never a number that matches by value
    assert len(to_values(["2", "2.0", "2.0000000001"])) == 1


def test_number_match_is_not_a_string_match_across_kinds():
    assert not values_match(to_value("2005-01-03"), to_value("20050103"))


def test_accuracy_counts_missing_denotations_and_unreadable_examples_wrong():
    examples = [
        {"target": ["1,000"], "denotation": ["1000"], "wtq": {"answer_type": "scalar"}},
        {"target": ["Paris"], "denotation": ["Rome"], "wtq": {"answer_type": "word_lookup"}},
        {"target": ["Paris"], "wtq": {"answer_type": "word_lookup"}},  # no prediction: wrong
        {"target": ["6 years"], "denotation": ["6"], "wtq": {"answer_type": "bad"}},
        {"question": "no target: not scored"},
    ]
    result = denotation_accuracy(examples, unreadable=1)
    assert (result["correct"], result["total"]) == (1, 5) and result["accuracy"] == 0.2
    assert result["by_answer_type"]["word_lookup"] == {"correct": 0, "total": 2, "accuracy": 0.0}
    assert result["by_answer_type"]["unreadable"]["total"] == 1


# ----------------------------------------------------------------------------- properties

items = st.lists(st.text(max_size=12), max_size=5)


@settings(max_examples=150, deadline=None)
@given(items)
def test_every_denotation_matches_itself(denotation):
    assert denotation_match(denotation, denotation)


@settings(max_examples=150, deadline=None)
@given(items, items, st.randoms(use_true_random=False))
def test_order_never_matters(predicted, target, rnd):
    shuffled = list(predicted)
    rnd.shuffle(shuffled)
    assert denotation_match(shuffled, target) == denotation_match(predicted, target)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=-10**9, max_value=10**9))
def test_integers_match_however_they_are_written(n):
    assert denotation_match([f"{n:,}"], [str(n)])
    assert denotation_match([f"{n}.0"], [f"{n:,}"])
    assert denotation_match([n], [str(n)])
    assert not denotation_match([str(n + 1)], [str(n)])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=15))
def test_case_citations_and_spacing_never_matter(word):
    if not word.strip():
        return
    assert denotation_match([word.upper()], [word])
    assert denotation_match([f"  {word}[3] "], [word])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=5, unique=True), st.integers(51, 99))
def test_an_extra_distinct_item_is_wrong(values, extra):
    target = [str(v) for v in values]
    assert denotation_match(target, target)
    assert not denotation_match(target + [str(extra)], target)
    assert not denotation_match(target[:-1], target)
