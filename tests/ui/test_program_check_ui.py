"""AppTest: the Ask page tells a right answer from the right program; the Programs page counts both kinds."""

from __future__ import annotations

import pandas as pd

from explorer import programs, state, tables
from tests.ui.helpers import MD_LINK, ask, markup_problems, new_app, page, texts, visible
from tests.ui.programs_helpers import evaluate


def test_the_right_program_is_said_to_match_the_grammars():
    at = ask(new_app(), "sum sales")  # the test model's one step: sum of the named column
    assert not at.exception, at.exception
    assert "program matches the grammar's" in texts(at.success)
    assert not at.warning


def test_a_right_answer_from_another_program_says_so_and_why():
    # every sale is above -1000000, so summing all rows is right here; the grammar's program filters first
    at = ask(new_app(), "greater -1000000 sales sum sales")
    assert not at.exception, at.exception
    assert not at.success
    warning = texts(at.warning)
    assert "Right answer, wrong program" in warning
    assert "reads every row where the question filters on sales" in warning


def test_a_wrong_answer_says_where_the_program_goes_wrong():
    at = ask(new_app(), "greater 1000000 sales sum sales")  # no row passes: the right answer is 0
    assert not at.exception, at.exception
    assert "Wrong" in texts(at.error)
    assert "reads every row where the question filters on sales" in texts(at.caption)


def test_a_question_outside_the_grammar_gets_no_verdict():
    at = ask(new_app(), "what are the total sales")
    assert not at.exception, at.exception
    assert "program" not in texts(at.success) + texts(at.warning)


def test_the_reason_shows_a_hostile_column_name_as_text():
    name = MD_LINK.replace(" ", "_")  # one word, so that the question can name it
    df = tables.normalize(pd.DataFrame({name: [1.0, 2.0, 3.0], "B": [4.0, 5.0, 6.0]}, dtype=object))
    question = f"lesser 100 {name} sum {name}"
    at = new_app({"data": tables.to_url_param(df), "q": question, "ckpt": "names-5"})
    assert not at.exception, at.exception
    shown = list(at.session_state[state.TABLE].columns)[0]  # the name as the table holds it
    assert f"where the question filters on {shown}." in texts(at.warning)
    assert markup_problems(at) == []


def test_programs_page_counts_right_answers_by_program(clean_training_registry):
    at = page(new_app(), "programs")
    job = evaluate(at, "names-5", programs.template_count("names-5"), task="names-5")  # every template once
    assert not at.exception, at.exception
    summary, results = job.result.summary, job.result.records
    same = sum(r["correct"] and r["program_check"] == "same" for r in results)
    different = sum(r["correct"] and r["program_check"] == "different" for r in results)
    assert same > 0, "the test model sums the named column: the 'sum X' questions are right by the right program"
    assert (summary[programs.RIGHT_PROGRAM], summary[programs.WRONG_PROGRAM]) == (same, different)
    assert same + different == summary["correct"]  # every generated question is in the grammar
    for r in results:
        if r["program_check"] == "same":  # the check shown is the engine's on the example's own program
            assert r["correct"], r["question"]
    metrics = {visible(m.label): m.value for m in at.metric}
    assert metrics["Right, right program"] == str(same)
    assert metrics["Right answer, wrong program"] == str(different)
    tmpl = at.dataframe[0].value
    assert tmpl[programs.RIGHT_PROGRAM].sum() == same and tmpl[programs.WRONG_PROGRAM].sum() == different


def test_summary_counts_each_kind_of_right_answer():
    ex = {"columns": ["A"], "program": "sum A", "question": "sum A"}
    results = [
        {"correct": True, "program_check": "same", "positional": "sum A", "program": "sum A"},
        {"correct": True, "program_check": "different", "positional": "count", "program": "count"},
        {"correct": False, "program_check": "different", "positional": "count", "program": "count"},
        {"correct": True, "program_check": None, "positional": "sum A", "program": "sum A"},
    ]
    summary = programs.summarise([ex] * 4, results)
    assert (summary["correct"], summary[programs.RIGHT_PROGRAM], summary[programs.WRONG_PROGRAM]) == (3, 1, 1)
    by_program = {row["induced program"]: row for row in summary["programs"]}
    assert by_program["count"][programs.WRONG_PROGRAM] == 1 and by_program["sum A"][programs.RIGHT_PROGRAM] == 1
