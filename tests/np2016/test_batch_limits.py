"""Memory bounded before allocation (engine/np2016/batch.py): size_batches groups examples so that no padded
batch exceeds the budget of engine/core/limits.py, encode refuses what would, and evaluate_examples keeps
the examples' order and reads predict's own output."""

import resource
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.limits import BATCH_MAX_CELLS, BATCH_MAX_COMPARISONS, QUESTION_MAX_NUMBERS
from engine.core.vocab import Vocab
from engine.np2016.batch import checked_questions, encode, padded_shape, size_batches
from engine.np2016.evaluate import evaluate_examples


def table(m: int, c: int, question: str = "greater 1 A sum B", fill: float = 1.0) -> dict:
    """An m x c example whose rows share one list (size_batches reads only the shape; cheap to build)."""
    row = [fill] * c
    return {"columns": [chr(65 + j % 26) for j in range(c)], "rows": [row] * m, "question": question}


def padded_sizes(examples: list[dict], group: list[int]) -> tuple[int, int, int]:
    """(cells, comparisons, name matches) of a group padded to its largest member, as encode pads it."""
    shapes = [padded_shape(examples[i], q) for i, q in zip(group, checked_questions([examples[i] for i in group]),
                                                           strict=True)]
    M, C, N, Q = (max(s[k] for s in shapes) for k in range(4))
    B = len(group)
    return B * M * C, B * M * C * N, B * C * Q


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_one_huge_table_does_not_inflate_the_small_ones():
    """1 example of 1000 x 1000 cells among 499 of 30 x 5: every group's padded size is within the budget,
    the small examples are padded only among themselves, and every index is grouped exactly once."""
    small = [table(30 - i % 7, 5 - i % 3, f"greater {i} A and lesser {i + 9} B sum C") for i in range(499)]
    examples = small[:200] + [table(1000, 1000)] + small[200:]
    groups = size_batches(examples, max_batch=500)
    assert sorted(i for g in groups for i in g) == list(range(500))
    huge = next(g for g in groups if 200 in g)
    for group in groups:
        cells, comparisons, matches = padded_sizes(examples, group)
        assert cells <= BATCH_MAX_CELLS and comparisons <= BATCH_MAX_COMPARISONS and matches <= BATCH_MAX_COMPARISONS
        if group is not huge:  # padded to the small tables' 30 x 5, not to 1000 x 1000
            assert cells <= len(group) * 30 * 5
    # the huge table's group holds only examples it does not blow past the budget with
    cells, _, _ = padded_sizes(examples, huge)
    assert cells == len(huge) * 1000 * 1000 <= BATCH_MAX_CELLS
    # without grouping, the same 500 examples are one padded batch of 500 x 1000 x 1000 cells: refused
    with pytest.raises(ValueError, match="BATCH_MAX_CELLS"):
        encode(examples, vocab=None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40), st.integers(0, 6)), min_size=1, max_size=60),
       st.integers(1, 25), st.integers(2_000, 200_000), st.integers(1, 4))
def test_groups_stay_within_any_budget(shapes, max_batch, max_cells, ratio):
    """For any shapes and budgets: a partition of the indices, at most max_batch per group, each group's
    padded size within the budget, or a ValueError naming the limit an example breaks alone."""
    examples = [table(m, c, " ".join(["greater"] + [str(k) for k in range(n)]) + " A") for m, c, n in shapes]
    max_comparisons = max_cells * ratio
    try:
        groups = size_batches(examples, max_cells=max_cells, max_comparisons=max_comparisons, max_batch=max_batch)
    except ValueError as e:
        assert "BATCH_MAX_CELLS" in str(e) or "BATCH_MAX_COMPARISONS" in str(e)
        assert any(max(m, 1) * max(c, 1) * max(n, 1) > max_comparisons or max(m, 1) * max(c, 1) > max_cells
                   for m, c, n in shapes)
        return
    assert sorted(i for g in groups for i in g) == list(range(len(examples)))
    for group in groups:
        assert 1 <= len(group) <= max_batch
        cells, comparisons, matches = padded_sizes(examples, group)
        assert cells <= max_cells and comparisons <= max_comparisons and matches <= max_comparisons


def test_an_example_too_large_alone_is_refused_naming_the_limit():
    with pytest.raises(ValueError, match=r"example 2 is too large even alone: .*4,000,000 \(BATCH_MAX_CELLS\)"):
        size_batches([table(3, 3), table(2001, 2000)])
    with pytest.raises(ValueError, match="BATCH_MAX_COMPARISONS"):
        size_batches([table(100, 10, "greater 1 2 3 4 A")], max_comparisons=3_999)


def test_encode_refuses_an_oversized_batch_before_allocating():
    """Five 1000 x 1000 tables would pad to 5,000,000 cells (about 100 MB of tensors): refused at once."""
    examples = [table(1000, 1000)] * 5
    before, start = peak_rss_mb(), time.perf_counter()
    with pytest.raises(ValueError, match=r"5,000,000 padded cells; at most 4,000,000 \(BATCH_MAX_CELLS\)"):
        encode(examples, vocab=None)
    assert time.perf_counter() - start < 0.5
    assert peak_rss_mb() - before < 20


def test_a_question_with_3000_numbers_is_refused_before_allocation():
    """The comparisons hold B x M x C x N values: 3,000 numbers on a 1,000-row table would be gigabytes."""
    question = "greater " + " ".join(str(k) for k in range(3000)) + " A count"
    examples = [table(1000, 20, question)]
    before, start = peak_rss_mb(), time.perf_counter()
    for call in (lambda: encode(examples, vocab=None), lambda: size_batches(examples)):
        limit = rf"3,000 numbers; at most {QUESTION_MAX_NUMBERS} \(QUESTION_MAX_NUMBERS\)"
        with pytest.raises(ValueError, match=limit):
            call()
    assert time.perf_counter() - start < 0.5
    assert peak_rss_mb() - before < 20


def test_evaluate_examples_keeps_the_order_and_reads_predict_output(letters_vocab, model_factory, forcer):
    """Flags come back in the examples' order although size_batches reorders them; per_template takes the
    template string (predict moves it to "program_template" and writes the induced program, a list, under
    "program")."""
    model = forcer(model_factory(letters_vocab), letters_vocab,
                   [("reset", None), ("reset", None), ("reset", None), ("count", None)], ["A"])
    examples = []
    for i, m in enumerate([40, 3, 250, 7, 3, 90, 1, 12]):
        ex = table(m, 1 + i % 3, "count A")
        ex["answer"] = {"scalar": m if i % 3 else m + 1}  # every third answer is wrong
        if i % 2:  # the form predict writes
            ex["program_template"], ex["program"] = "count", [{"op": "count", "column": None, "pivot": None}]
        else:
            ex["program"] = "count"
        examples.append(ex)
    assert [g for g in size_batches(examples, max_batch=3)] != [[0, 1, 2], [3, 4, 5], [6, 7]]  # reordered
    result = evaluate_examples(model, letters_vocab, examples, batch_size=3)
    assert result["flags"] == [bool(i % 3) for i in range(len(examples))]
    assert result["per_template"] == {"count": {"correct": 5, "total": 8}}


@pytest.mark.parametrize("cell", [10**400, -(10**400), 1e301, -2e305])
def test_a_number_beyond_the_limit_is_refused_naming_it(cell):
    """Sums of up to TABLE_MAX_ROWS numbers within NUMBER_MAX_ABS stay finite in float64; larger ones (a
    400-digit integer used to raise OverflowError) are refused with the limit's value."""
    examples = [{"columns": ["A", "B"], "rows": [[1.0, 2.0], [cell, 3.0]], "question": "sum A"}]
    with pytest.raises(ValueError, match=r"beyond ±1e\+300 \(NUMBER_MAX_ABS\)"):
        encode(examples, Vocab(["sum", "a"]))


def test_a_training_set_refuses_numbers_float32_cannot_hold():
    """A float32 training store (exact=False) would turn 1e39 into inf and the loss into NaN: refused, while
    the exact encoding of answers keeps it."""
    ex = {"columns": ["A"], "rows": [[1e39]], "question": "sum A", "answer": {"scalar": 1e39}}
    assert encode([ex], Vocab(["sum", "a"])).values[0, 0, 0].item() == 1e39
    with pytest.raises(ValueError, match="range of float32"):
        encode([ex], Vocab(["sum", "a"]), exact=False)
    ex["rows"] = [[1.0]]
    with pytest.raises(ValueError, match="the answer is beyond"):
        encode([ex], Vocab(["sum", "a"]), exact=False)
