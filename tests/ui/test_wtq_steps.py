"""What a step of a 2017 trace reads and writes (explorer/wtq_steps.py), on a hand-made trace whose values
are worked out by hand, and the plain-English examples (explorer/wtq_examples.py)."""

from __future__ import annotations

from engine.core.trace import SCHEMA, problems
from engine.np2016.batch import column_kinds
from engine.wtq2017.config import WTQ_OPS
from explorer import tables, wtq_examples, wtq_samples, wtq_steps
from explorer.components import wtq_figures

COLUMNS = ["name", "<b>pts</b>"]


def _step(t, op, column, rows, pivot=None):
    return {"t": t, "op": op, "op_probs": [1 / 15] * 15, "column_index": column,
            "column_name": None if column is None else COLUMNS[column], "col_probs": [0.5, None], "pivot": pivot,
            "rows_hard": [1.0 if r else 0.0 for r in rows], "rows_soft": [0.5] * len(rows),
            "question_attention": [0.5, 0.5], "sentence": op, "extra": {}}


def _trace(answer: dict, denotation: list[str]) -> dict:
    """select (the rows matching the question) → argmax of column 1 → print column 0, on four rows."""
    steps = [_step(1, "select", 0, [True, False, True, False]), _step(2, "argmax", 1, [False, False, True, False]),
             _step(3, "print", 0, [False, False, False, False])]
    answer = {"kind": answer["kind"], "scalar": answer.get("value"), "cells": answer.get("cells"),
              "values": denotation if answer["kind"] == "cells" else None, "text": ", ".join(denotation), "extra": {}}
    return {
        "schema": SCHEMA, "family": "wtq2017", "question": "who?", "words": ["who", "<unk>"], "numbers": [],
        "columns": COLUMNS, "rows": [["a", "3"], ["b", "9"], ["c", "5"], ["d", "1"]], "n_rows": 4,
        "ops": list(WTQ_OPS), "steps": steps, "answer": answer, "program_text": [s["sentence"] for s in steps],
        "warnings": [], "extra": {"selectable": [True, False], "entry_match": [], "denotation": denotation},
    }


def test_reads_rows_and_printed_cells():
    trace = _trace({"kind": "cells", "cells": [[2, 0]]}, ["c"])
    assert problems(trace) == []
    assert [wtq_steps.reads(s["op"]) for s in trace["steps"]] == ["column", "rows", "rows"]
    assert wtq_steps.reads("reset") == "nothing" and wtq_steps.reads("greater") == "column"
    assert wtq_steps.rows_after(trace, 0) == [1.0] * 4  # before t1: every row
    assert wtq_steps.rows_after(trace, 2) == [0.0, 0.0, 1.0, 0.0]
    assert wtq_steps.rows_after(trace, 2, "soft") == [0.5] * 4
    assert wtq_steps.printed_cells(trace, 3) == [[2, 0]]  # the last step: the answer's cells
    assert wtq_steps.printed_cells(trace, 2) == []  # argmax prints nothing
    assert [wtq_steps.output(trace, t) for t in (1, 2, 3)] == ["2 rows", "1 rows", "1 cell"]
    assert "0 of 4" in wtq_steps.after_line(trace, 3) and "outputs cells" in wtq_steps.after_line(trace, 3)
    assert wtq_steps.reads_line(trace, 2) == "argmax reads the rows selected after t1: 2 of 4."
    assert wtq_steps.answer_text(trace) == "c"


def test_an_intermediate_print_prints_the_rows_it_read():
    trace = _trace({"kind": "none"}, [])
    trace["steps"].append(_step(4, "select", 0, [True, False, False, False]))
    assert wtq_steps.printed_cells(trace, 3) == [[2, 0]]  # the rows after t2, in its column
    assert wtq_steps.answer_text(trace).startswith("no answer")


def test_answer_text_of_counts_empty_and_long_answers():
    assert wtq_steps.answer_text(_trace({"kind": "scalar", "value": 2.0}, ["2"])) == "2"
    assert wtq_steps.answer_text(_trace({"kind": "cells", "cells": []}, [])).startswith("no cells")
    many = [str(i) for i in range(20)]
    text = wtq_steps.answer_text(_trace({"kind": "cells", "cells": [[0, 0]] * 20}, many))
    assert text.startswith("0, 1, 2") and text.endswith("… (20 cells)")


def test_a_column_the_model_cannot_pick_is_labelled_and_escaped():
    trace = _trace({"kind": "cells", "cells": [[2, 0]]}, ["c"])
    assert wtq_figures.column_labels(trace) == ["name", "&lt;b&gt;pts&lt;/b&gt;" + wtq_figures.NOT_SELECTABLE]
    z = wtq_figures.columns_figure(trace, "soft").data[0].z
    assert list(z[1]) == [None, None, None]  # no probability for it: drawn blank


def test_plain_examples():
    cols, rows = tables.to_engine(tables.load_sample("shop_sales"))
    got = wtq_examples.plain_examples(cols, rows, column_kinds(cols, rows))
    assert got[:2] == ["which year has the highest sales?", "how many rows have sales above 162.7?"]
    assert len(got) <= wtq_examples.MAX_EXAMPLES
    sample = wtq_examples.plain_examples(cols, rows, [], "wtq_medal_table")
    assert sample == list(wtq_samples.SAMPLES["wtq_medal_table"].questions)[:wtq_examples.MAX_EXAMPLES]
