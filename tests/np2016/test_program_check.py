"""The program check: an induced program against the grammar's program, by meaning rather than by text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.vocab import split_question, tokenize
from engine.np2016.data import tasks as data
from engine.np2016.data.program_check import check, compare
from engine.np2016.data.question_grammar import parse
from engine.np2016.program import Step

LETTERS = data.LETTERS[:8]


def step(op: str, column: int | None = None, pivot: float | None = None) -> Step:
    return Step(op, None if column is None else data.LETTERS[column], column, pivot, None)


def reset() -> Step:
    return step("reset")


A, B, C, D, E, F, G, H = range(8)
PAPER = "greater 50.32 C and lesser 20.21 E sum H"  # spec §8.4, first row
PAPER_PROGRAM = [step("greater", C, 50.32), step("lesser", E, 20.21), step("and"), step("sum", H)]


def test_the_papers_programs_are_the_grammars():
    assert check(PAPER, LETTERS, PAPER_PROGRAM) == "same"
    printing = [step("lesser", D, -80.97), step("greater", B, 12.57), step("or"), step("assign", F)]
    assert check("lesser -80.97 D or greater 12.57 B print F", LETTERS, printing) == "same"
    diff = [step("sum", A), reset(), step("count"), step("difference")]
    assert check("sum A diff count", LETTERS, diff) == "same"
    count = [step("greater", A, 17.27), step("lesser", D, -19.21), step("and"), step("count")]
    assert check("greater 17.27 A and lesser -19.21 D count", LETTERS, count) == "same"


@pytest.mark.parametrize("program", [
    [step("lesser", E, 20.21), step("greater", C, 50.32), step("and"), step("sum", H)],  # and commutes
    [step("sum", A), step("greater", C, 50.32), step("lesser", E, 20.21), step("and"), step("sum", H)],  # T = 5
    [step("count"), step("greater", C, 50.32), step("greater", C, 50.32), step("lesser", E, 20.21), step("and"),
     step("sum", H)],  # a repeated filter earlier changes nothing: only what step T reads matters
])
def test_equivalent_programs_are_the_same(program):
    assert compare(PAPER, LETTERS, program).same


@pytest.mark.parametrize("program", [
    [step("count")],
    [reset(), reset(), reset(), step("count")],  # reset padding
    [step("sum", B), reset(), step("count")],  # count after reset = count of all rows
    [step("greater", A, 3.0), step("lesser", B, 1.0), reset(), step("count")],  # filters nobody reads
    [reset(), reset(), step("and"), step("count")],  # all rows and all rows
])
def test_count_of_all_rows_however_written(program):
    assert check("how many", LETTERS, program) == "same"


def test_a_count_after_a_number_reads_no_rows():
    verdict = compare("count", LETTERS, [reset(), step("sum", A), step("count")])
    assert not verdict.same and "selects none" in verdict.reason


@pytest.mark.parametrize("program, reason", [
    ([step("greater", C, 50.32), step("lesser", D, 20.21), step("and"), step("sum", H)],
     "filters on D where the question filters on E"),
    ([step("greater", C, 20.21), step("lesser", E, 20.21), step("and"), step("sum", H)],
     "keeps rows with C > 20.21 where the question keeps rows with C > 50.32"),
    ([step("greater", C, 50.32), step("lesser", E, 20.21), step("or"), step("sum", H)],
     "combines its filters with or where the question combines them with and"),
    ([step("greater", C, 50.32), step("lesser", E, 20.21), step("and"), step("sum", G)],
     "sums G where the question sums H"),
    ([step("greater", C, 50.32), step("lesser", E, 20.21), step("and"), step("count")],
     "counts rows where the question sums H"),
    ([reset(), reset(), reset(), step("sum", H)], "reads every row where the question filters on C and E"),
    ([step("greater", C, 50.32), step("lesser", E, 20.21), step("sum", H), step("and")],
     "ends on a row selection"),
    ([step("lesser", E, 20.21), step("greater", C, 50.32), step("and"), step("assign", H)],
     "prints H where the question sums H"),
])
def test_a_different_program_says_why(program, reason):
    verdict = compare(PAPER, LETTERS, program)
    assert not verdict.same
    assert reason in verdict.reason


def test_difference_order_and_operands_matter():
    sum_first = [step("sum", A), reset(), step("count"), step("difference")]
    count_first = [step("count"), reset(), step("sum", A), step("difference")]
    assert check("count diff sum A", LETTERS, count_first) == "same"
    verdict = compare("count diff sum A", LETTERS, sum_first)
    assert verdict.reason == "subtracts the count from the sum of A where the question subtracts the sum of A " \
                             "from the count"
    # without the reset, count reads the rows of sum (none): sum A - 0
    assert check("sum A diff count", LETTERS, [step("sum", A), step("count"), reset(), step("difference")]) == \
        "different"
    assert check("sum A diff count", LETTERS, [reset(), *sum_first]) == "same"  # diff at t = 5 reads steps 2, 4
    assert check("sum A diff count", LETTERS, [*sum_first[:3], reset(), step("difference")]) == "different"


def test_filters_compare_by_meaning_not_by_text():
    # greater 20 and greater 50 is greater 50; or of the two is greater 20
    both = [step("greater", A, 20.0), step("greater", A, 50.0), step("and"), step("count")]
    either = [step("greater", A, 20.0), step("greater", A, 50.0), step("or"), step("count")]
    assert check("greater 50 A and greater 20 A count", LETTERS, both[:1] + both[1:]) == "same"
    assert check("greater 50 A count", LETTERS, both) == "same"
    assert check("greater 20 A count", LETTERS, either) == "same"
    assert check("greater 50 A count", LETTERS, either) == "different"
    # lesser 50 is not "not greater 50": a cell equal to 50, or missing, is in neither
    assert check("lesser 50 A count", LETTERS, [step("greater", A, 50.0), step("count")]) == "different"


def test_the_grammar_is_read_in_all_its_forms():
    assert check("larger than 50 a total of b", ["A", "B"], [step("greater", A, 50.0), step("sum", B)]) == "same"
    assert check("how many", ["A"], [step("count")]) == "same"
    lone = [step("greater", A, 50.0), step("lesser", A, 60.0), step("or"), step("count")]
    assert check("greater 50 or lesser 60 count", ["A"], lone) == "same"  # a lone column's name left out
    assert check("sum diff count", ["A"], [step("sum", A), reset(), step("count"), step("difference")]) == "same"
    names = ["Exam", "Score"]
    verdict = compare("greater 50 exam sum score", names, [step("greater", B, 50.0), step("sum", B)])
    assert verdict.reason == "filters on Score where the question filters on Exam"
    text = [step("text_match", A), step("sum", B)]
    assert check("word:3 A sum B", ["A", "B"], text) == "same"
    assert check("word:3 A sum B", ["A", "B"], [step("text_match", B), step("sum", B)]) == "different"


@pytest.mark.parametrize("question", ["what is the total", "sum Z", "greater A count", "greater 50 count",
                                      "sum", "word:3 count", ""])
def test_a_question_outside_the_grammar_is_not_checked(question):
    assert check(question, ["A", "B"], [step("count")]) is None


def test_a_comparison_without_a_pivot_is_never_the_grammars():
    assert check("greater 50 A count", ["A"], [step("greater", A, None), step("count")]) == "different"


# ----------------------------------------------------------------------------- every generated question

def canonical_steps(canonical_question: str, columns: list[str]) -> list[Step]:
    """The intended program of a filled canonical question (spec §7.2, P16 Table 3), without padding."""
    col = {c: i for i, c in enumerate(columns)}
    tok = canonical_question.split()
    if "diff" in tok:
        first, second = (("sum", col[tok[1]]), ("count", None)) if tok[0] == "sum" else \
            (("count", None), ("sum", col[tok[3]]))
        return [step(*first), reset(), step(*second), step("difference")]
    agg = [step("count")] if tok[-1] == "count" else \
        [step("sum" if tok[-2] == "sum" else "assign", col[tok[-1]])]
    tok = tok[:-1] if tok[-1] == "count" else tok[:-2]
    steps, conn = [], None
    while tok:
        if tok[0] in ("and", "or"):
            conn, tok = tok[0], tok[1:]
        elif tok[0] in ("greater", "lesser"):
            steps.append(step(tok[0], col[tok[2]], float(tok[1])))
            tok = tok[3:]
        else:
            steps.append(step("text_match", col[tok[1]]))
            tok = tok[2:]
    return steps + ([step(conn)] if conn else []) + agg


def execute(program: list[Step], question: str, columns: list[str], rows: list[list]):
    """A plain interpreter of hard steps (spec §2.7-2.8): the answer a program writes."""
    m = len(rows)
    cols = list(zip(*rows, strict=True))
    words = set(tokenize(question))
    numeric = [np.array([v if isinstance(v, float) else 0.0 for v in c]) for c in cols]
    rs, scalars = [np.ones(m, bool), np.ones(m, bool)], [0.0, 0.0, 0.0]  # rs_{t-1}, rs_{t-2}; s_{t-1..t-3}
    answer = None
    for s in program:
        new_rs, scalar, answer = np.zeros(m, bool), 0.0, None
        if s.op in ("greater", "lesser"):
            x = numeric[s.column_index]
            new_rs = x > s.pivot if s.op == "greater" else x < s.pivot
        elif s.op == "text_match":
            new_rs = np.array([isinstance(v, str) and v.lower() in words for v in cols[s.column_index]])
        elif s.op in ("and", "or"):
            new_rs = rs[0] & rs[1] if s.op == "and" else rs[0] | rs[1]
        elif s.op == "reset":
            new_rs = np.ones(m, bool)
        elif s.op == "sum":
            scalar = answer = float(numeric[s.column_index][rs[0]].sum())
        elif s.op == "count":
            scalar = answer = float(rs[0].sum())
        elif s.op == "difference":
            scalar = answer = scalars[2] - scalars[0]
        elif s.op == "assign":
            answer = [[int(r), s.column_index] for r in np.flatnonzero(rs[0])]
        rs, scalars = [new_rs, rs[0]], [scalar, scalars[0], scalars[1]]
    return answer


OPS = ("sum", "count", "difference", "greater", "lesser", "and", "or", "assign", "reset", "text_match")


def random_step(draw, columns: list[str], numbers: list[float]) -> Step:
    op = draw(st.sampled_from(OPS))
    column = draw(st.integers(0, len(columns) - 1)) if op in ("sum", "greater", "lesser", "assign", "text_match") \
        else None
    pivot = draw(st.sampled_from(numbers)) if op in ("greater", "lesser") else None
    return step(op, column, pivot)


TASKS = ["single-column", "columns-3", "words-1", "words-5", "text-2", "text-5", "names-5"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task=st.sampled_from(TASKS), split=st.sampled_from(["train", "test"]), seed=st.integers(0, 10**6),
       lone=st.booleans(), data_=st.data())
def test_generated_questions_check_same_and_same_means_same_answer(task, split, seed, lone, data_):
    ex = data.generate(task, split, 1, seed, style=data.Style(lone_column_name=lone))[0]
    columns, question = ex["columns"], ex["question"]
    assert parse(question, columns) is not None, question
    intended = canonical_steps(ex["canonical_question"], columns)
    numbers = split_question(question).numbers or [-1.0]
    # steps before the intended program are read by nothing (a diff program fills T = 4 exactly)
    padding = [] if "diff" in ex["canonical_question"] else \
        [random_step(data_.draw, columns, numbers) for _ in range(data_.draw(st.integers(0, 2)))]
    if len(intended) == 1:  # an aggregation alone reads rs_{T-1}: all rows once something came before it
        padding += [reset()] if padding else []
    program = padding + intended
    assert check(question, columns, program) == "same", (question, program)
    assert_answer(execute(program, question, columns, ex["rows"]), ex["answer"])
    # a program with one step replaced: whenever the check calls it the same, it gives the grammar's answer
    mutated = list(program)
    mutated[data_.draw(st.integers(0, len(program) - 1))] = random_step(data_.draw, columns, numbers)
    if check(question, columns, mutated) == "same":
        assert_answer(execute(mutated, question, columns, ex["rows"]), ex["answer"])


def assert_answer(got, want: dict) -> None:
    if "scalar" in want:
        assert isinstance(got, float) and got == pytest.approx(want["scalar"], abs=1e-6)
    else:
        assert got == want["cells"]


def test_a_filter_left_out_or_added_is_named():
    question = "greater -135.32 A and lesser 199.77 A sum A"
    left_out = [step("greater", A, -135.32), step("lesser", A, 199.77), step("greater", A, -135.32), step("sum", A)]
    assert compare(question, LETTERS, left_out).reason == "leaves out the question's filter A < 199.77"
    added = [step("greater", A, 50.0), step("greater", B, 50.0), step("and"), step("count")]
    assert compare("greater 50 A and greater 50 A count", LETTERS, added).reason == \
        "also filters on B, which the question does not"
    extra = [step("greater", A, 50.0), step("lesser", A, 20.0), step("or"), step("count")]
    assert compare("greater 50 A count", LETTERS, extra).reason == \
        "adds the filter A < 20, which the question does not have"
