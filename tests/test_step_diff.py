"""The first step where two programs part (explorer/step_diff.py) and the aligned program table that shows it
(explorer/components/two_trainings.program_table): plain functions over hand-made traces."""

from __future__ import annotations

from explorer import escape, step_diff
from explorer.checkpoints import Entry
from explorer.components.two_trainings import default_versus, program_table


def _step(t: int, op: str, column: str | None = None, pivot: float | None = None) -> dict:
    return {"t": t, "op": op, "column_name": column, "pivot": pivot, "sentence": f"{op} {column} {pivot}"}


def _trace(*steps: tuple) -> dict:
    return {"steps": [_step(t, *s) for t, s in enumerate(steps, 1)]}


FILTER_THEN_SUM = _trace(("reset",), ("greater", "A", 20.0), ("sum", "A"))


def test_the_same_program_never_parts():
    other = _trace(("reset",), ("greater", "A", 20.0), ("sum", "A"))
    assert step_diff.first_difference(FILTER_THEN_SUM, other) is None
    assert all(p.same for p in step_diff.aligned_steps(FILTER_THEN_SUM, other))
    assert "run the same program" in step_diff.parting_line(None, "left", "right")


def test_the_first_different_operation_is_where_they_part():
    other = _trace(("reset",), ("lesser", "A", 20.0), ("count",))
    part = step_diff.first_difference(FILTER_THEN_SUM, other)
    assert part.t == 2 and part.differs == (step_diff.OPERATION,)
    assert step_diff.parting_line(part, "a", "b") == \
        "They part at t2: greater A (pivot 20) vs lesser A (pivot 20) — the operation differs."
    later = step_diff.aligned_steps(FILTER_THEN_SUM, other)[2]
    assert later.differs == (step_diff.OPERATION,)  # a later difference is kept, not only the first


def test_a_column_or_a_pivot_alone_is_a_difference():
    other_column = _trace(("reset",), ("greater", "B", 20.0), ("sum", "A"))
    assert step_diff.first_difference(FILTER_THEN_SUM, other_column).differs == (step_diff.COLUMN,)
    other_pivot = _trace(("reset",), ("greater", "A", 30.0), ("sum", "A"))
    part = step_diff.first_difference(FILTER_THEN_SUM, other_pivot)
    assert part.t == 2 and part.differs == (step_diff.PIVOT,)
    assert step_diff.parting_line(part, "a", "b").endswith("— the pivot differs.")
    both = _trace(("reset",), ("greater", "B", 30.0), ("sum", "A"))
    assert step_diff.parting_line(step_diff.first_difference(FILTER_THEN_SUM, both), "a", "b").endswith(
        "— the column and the pivot differ.")


def test_operations_without_a_column_compare_by_operation_only():
    assert step_diff.step_difference(_step(1, "count"), _step(1, "count")) == ()
    assert step_diff.step_difference(_step(1, "sum", "A"), _step(1, "sum", "B")) == (step_diff.COLUMN,)


def test_programs_of_different_lengths_part_where_one_ends():
    short = _trace(("reset",), ("greater", "A", 20.0))
    pairs = step_diff.aligned_steps(FILTER_THEN_SUM, short)
    assert [p.t for p in pairs] == [1, 2, 3] and pairs[2].right is None
    part = step_diff.first_difference(FILTER_THEN_SUM, short)
    assert part.t == 3 and part.differs == (step_diff.MISSING,)
    assert step_diff.parting_line(part, "a", "b") == \
        "They part at t3: sum A vs no step — only one of the checkpoints has this step."


def test_the_program_table_marks_the_first_difference_and_escapes_names():
    hostile = "[x](http://e.org)"
    left = _trace(("greater", hostile, 1.0), ("sum", hostile), ("count",))
    right = _trace(("greater", hostile, 1.0), ("count",), ("sum", hostile))
    table = program_table(step_diff.aligned_steps(left, right), "ours", "paper").splitlines()
    assert len(table) == 2 + 3  # header, rule, one row per step
    assert table[2].endswith("| same |") and "background" not in table[2]
    assert table[3].startswith("| **t2** |") and table[3].count(":red-background[") == 2
    assert "they part here" in table[3] and ":orange-background[" in table[4]
    assert hostile not in "\n".join(table) and escape.md(f"sum {hostile} None") in table[3]


def _entry(ckpt_id: str, task: str = "single-column", method: str | None = "ours") -> Entry:
    return Entry(ckpt_id, f"/x/{ckpt_id}.safetensors", 0.0, task, 0.9, False, (), 4, 64, method=method)


def test_a_fine_tune_is_compared_with_the_checkpoint_it_started_from():
    entries = [_entry("columns-3", "columns-3"), _entry("paper", method="paper"), _entry("single-column"),
               _entry("trained/single-column-ft-1")]
    tuned = entries[-1]
    assert default_versus(entries, tuned, base="single-column") == "single-column"
    assert default_versus(entries, tuned) == "paper"  # no base: the same task trained another way
    assert default_versus(entries, tuned, base="gone") == "paper"  # a base no longer here is ignored
    assert default_versus([tuned], tuned, base="single-column") is None
