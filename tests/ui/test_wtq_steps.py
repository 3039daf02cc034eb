"""What a step of a 2017 trace reads and writes (explorer/components/step_explain.py, its 2017 op spec) and its
answer line (trace_view.answer_text), on a hand-made trace whose values are worked out by hand, and the
plain-English examples (explorer/example_questions.py)."""

from __future__ import annotations

from engine.core.trace import SCHEMA, problems
from engine.np2016.batch import column_kinds
from engine.wtq2017.config import OPS
from explorer import example_questions, real_table_samples, tables
from explorer.components import step_explain as ex
from explorer.components.trace_view import answer_text as answer_line

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
        "ops": list(OPS), "steps": steps, "answer": answer, "program_text": [s["sentence"] for s in steps],
        "warnings": [], "extra": {"selectable": [True, False], "entry_match": [], "denotation": denotation},
    }


def answer(trace: dict) -> str:
    return answer_line(trace["answer"], "hard", trace["family"])


def test_reads_rows_and_printed_cells():
    trace = _trace({"kind": "cells", "cells": [[2, 0]]}, ["c"])
    assert problems(trace) == []
    assert [ex.reads(s["op"], s["t"], "wtq2017").kind for s in trace["steps"]] == ["column", "rows", "rows"]
    assert ex.reads("reset", 1, "wtq2017").kind == "nothing" and ex.reads("greater", 1, "wtq2017").kind == "column"
    assert ex.rows_of(trace, 0, "hard") == [1.0] * 4  # before t1: every row
    assert ex.rows_of(trace, 2, "hard") == [0.0, 0.0, 1.0, 0.0]
    assert ex.rows_of(trace, 2, "soft") == [0.5] * 4
    assert ex.cells_of(trace, 3, "hard") == [[2, 0]]  # the last step: the answer's cells
    assert ex.cells_of(trace, 2, "hard") == []  # argmax prints nothing
    assert [ex.output(trace, t, "hard") for t in (1, 2, 3)] == ["2 rows", "1 rows", "1 cell"]
    assert "0 of 4" in ex.after_line(trace, 3) and "outputs cells" in ex.after_line(trace, 3)
    assert ex.reads_line(trace, 2) == "argmax reads the rows selected after t1: 2 of 4."
    assert answer(trace) == "c"


def test_an_intermediate_print_prints_the_rows_it_read():
    trace = _trace({"kind": "none"}, [])
    trace["steps"].append(_step(4, "select", 0, [True, False, False, False]))
    assert ex.cells_of(trace, 3, "hard") == [[2, 0]]  # the rows after t2, in its column
    assert answer(trace).startswith("no answer")


def test_answer_text_of_counts_empty_and_long_answers():
    assert answer(_trace({"kind": "scalar", "value": 2.0}, ["2"])) == "2"
    assert answer(_trace({"kind": "cells", "cells": []}, [])).startswith("no cells")
    many = [str(i) for i in range(20)]
    text = answer(_trace({"kind": "cells", "cells": [[0, 0]] * 20}, many))
    assert text.startswith("0, 1, 2") and text.endswith("… (20 cells)")
    assert answer(_trace({"kind": "cells", "cells": [[0, 0]]}, [""])) == "(empty)"  # an empty cell, said so


def test_plain_examples():
    cols, rows = tables.to_engine(tables.load_sample("shop_sales"))
    got = example_questions.plain_examples(cols, rows, column_kinds(cols, rows))
    assert got[:2] == ["which year has the highest sales?", "how many rows have sales above 162.7?"]
    assert len(got) <= example_questions.MAX_EXAMPLES
    sample = example_questions.plain_examples(cols, rows, [], "wtq_medal_table")
    assert sample == list(real_table_samples.SAMPLES["wtq_medal_table"].questions)[:example_questions.MAX_EXAMPLES]
