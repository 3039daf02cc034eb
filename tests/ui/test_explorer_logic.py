"""The explorer's plain logic (no AppTest): CSV parsing, questions, checkpoint matching, programs, JSONL."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from engine.families import WTQ2017
from engine.np2016.batch import column_kinds
from explorer import checkpoints, programs, questions, tables, training


def test_every_sample_table_loads_and_is_small():
    samples = tables.list_samples()
    assert {"shop_sales", "countries", "league", "grade_book", "letters_1", "text_2"} <= set(samples)
    for sample_id in samples:
        df = tables.load_sample(sample_id)
        assert 0 < len(df) <= tables.MAX_ROWS and not tables.problems(df)


def test_csv_parsing_fixes_names_and_keeps_kinds():
    df, notes = tables.parse_csv(b"\xef\xbb\xbfyear;name;\n2001;north;\n2002;;\n")
    assert list(df.columns) == ["year", "name"] and notes == []
    assert tables.is_numeric(df, "year") and not tables.is_numeric(df, "name")
    cols, rows = tables.to_engine(df)
    assert rows == [[2001.0, "north"], [2002.0, None]]


def test_url_form_round_trips_and_rejects_junk():
    df = tables.load_sample("league")
    assert tables.from_url_param(tables.to_url_param(df)).equals(df)
    with pytest.raises(tables.TableError):
        tables.from_url_param("not-base64!!")


def test_column_edits_validate_names():
    df = tables.load_sample("letters_3")
    with pytest.raises(tables.TableError, match="already"):
        tables.rename_column(df, "A", "B")
    with pytest.raises(tables.TableError, match="empty"):
        tables.add_column(df, "  ")
    assert list(tables.drop_column(tables.add_column(df, "D"), "A").columns) == ["B", "C", "D"]


@pytest.mark.parametrize(
    "question, program",
    [
        ("how many", "count"),
        ("larger than 5 A total of A", "greater 5 A sum A"),
        ("sum A difference count", "sum A diff count"),
        ("greater 5 A and lesser 2 B print C", "greater 5 A and lesser 2 B print C"),
        ("sum Z", None),
        ("greater A count", None),
    ],
)
def test_canonical_program(question, program):
    assert questions.canonical_program(question, ["A", "B", "C"]) == program


def test_example_questions_are_grammatical_and_answerable():
    for sample_id, task, ops in (
        ("shop_sales", "names-5", ("sum",)),
        ("letters_1", "words-1", ()),
        ("text_5", "text-5", ("text_match",)),
    ):
        cols, rows = tables.to_engine(tables.load_sample(sample_id))
        kinds = column_kinds(cols, rows)
        ex = questions.examples(cols, rows, kinds, ops, task)
        assert len(ex) >= 5
        for q in ex:
            assert questions.right_answer(q, cols, rows, kinds) is not None, q


def test_right_answer_matches_pandas():
    df = tables.load_sample("shop_sales")
    cols, rows = tables.to_engine(df)
    kinds = column_kinds(cols, rows)
    got = questions.right_answer("greater 2015 year sum sales", cols, rows, kinds)
    assert math.isclose(got["scalar"], df[df["year"] > 2015]["sales"].sum())
    cells = questions.right_answer("lesser 10 profit print year", cols, rows, kinds)["cells"]
    assert [r for r, _ in cells] == list(df.index[df["profit"] < 10])


def _entry(task: str, trained: bool = False, ops=("sum", "reset")):
    return checkpoints.Entry(task if not trained else f"trained/{task}", "", 0.0, task, 0.5, trained, ops, 4, 64)


def test_best_match_follows_the_table():
    entries = [
        _entry(t, ops=("sum", "text_match", "reset") if t.startswith("text") else ("sum", "reset"))
        for t in ("single-column", "words-1", "names-5", "columns-3", "text-2", "text-5")
    ]
    for sample_id, want in (
        ("letters_1", "single-column"),
        ("shop_sales", "names-5"),
        ("letters_3", "columns-3"),
        ("text_2", "text-2"),
        ("text_5", "text-5"),
    ):
        cols, rows = tables.to_engine(tables.load_sample(sample_id))
        assert checkpoints.best_match(entries, cols, column_kinds(cols, rows)).id == want, sample_id


def test_the_2017_checkpoint_that_answers_is_the_one_picked_else_the_shipped_one():
    shipped = checkpoints.Entry(checkpoints.REAL_ID, "checkpoints/wtq2017.safetensors", 0.0, "wikitablequestions",
                                0.25, False, (), 0, 0, family=WTQ2017, how=("gradient descent", "preset wtq2017"))
    mine = replace(shipped, id="trained/mine", path="runs/wtq/mine.safetensors", trained=True, accuracy=None, how=())
    entries = [_entry("names-5"), shipped, mine]
    assert checkpoints.answering_real(entries, None) is shipped  # "best match": the shipped one
    assert checkpoints.answering_real(entries, "names-5") is shipped  # a 2016 pick: still the shipped one
    assert checkpoints.answering_real(entries, "trained/mine") is mine
    assert checkpoints.answering_real([_entry("names-5"), mine], None) is None
    assert shipped.label == ("Real tables, plain English (2017 paper, WikiTableQuestions)  ·  wtq2017, gradient "
                             "descent, preset wtq2017, 25.0% right on the WikiTableQuestions dev set (the set that "
                             "chose it; no test accuracy)")
    assert mine.label == "Trained here: real tables, plain English (2017 paper, WikiTableQuestions)  ·  trained/mine"
    assert "cannot be read: bad" in replace(mine, error="bad").label


def test_fit_problems_say_what_to_do():
    cols, rows = tables.to_engine(tables.load_sample("text_5"))
    problems = checkpoints.fit_problems(_entry("single-column"), cols, column_kinds(cols, rows))
    assert any("text_match" in p for p in problems) and any("at most 1 numeric" in p for p in problems)


def test_positional_grouping():
    assert programs.positional("greater [n] sales sum profit", ["profit", "sales"]) == "greater [n] B sum A"
    assert programs.pattern("greater [n1] A and lesser [n2] B print A") == "greater and lesser print"


def test_jsonl_custom_sets():
    good = b'{"columns": ["A"], "rows": [[1], [2]], "question": "sum A", "answer": {"scalar": 3}}\n'
    assert training.read_custom_set(good)[0]["answer"] == {"scalar": 3}
    for bad, why in (
        (b"{", "line 1: not valid JSON"),
        (b'{"columns": ["A"]}', "line 1: missing key"),
        (b"", "no examples"),
        (b'{"columns": ["A"], "rows": [[1, 2]], "question": "q", "answer": {"scalar": 1}}', "one per column"),
    ):
        with pytest.raises(ValueError, match=why):
            training.read_custom_set(bad)
