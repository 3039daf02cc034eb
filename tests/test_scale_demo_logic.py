"""The scale demo's plain parts (explorer/baselines.py, explorer/components/scale_demo.py): scaling a table and
a question together, the verdict sentence, and the measured figures read back from docs/baselines.json (which
must agree with the table of docs/RESULTS.md that quotes them)."""

from __future__ import annotations

import json

from engine.baselines import task
from explorer import baselines, tables
from explorer.components.scale_demo import NP, ScaleRow, as_table, verdict
from tests.ui.helpers import ROOT


def test_scaling_keeps_the_questions_meaning():
    values = [7, -3, 9, 2, -8, 5]
    question = "greater -3 A and lesser 4 A count"
    for k in baselines.DEMO_SCALES:
        rows = baselines.scale_rows([[v] for v in values], k)
        scaled = baselines.scale_question(question, k)
        assert scaled == f"greater {-3 * k} A and lesser {4 * k} A count"
        assert task.answer([r[0] for r in rows], scaled) == task.answer(values, question)  # a count is unchanged
    assert baselines.scale_rows([["x", 2.5, None, True]], 10) == [["x", 25.0, None, True]]
    assert baselines.scale_question("sum A diff count", 100) == "sum A diff count"


def test_the_largest_scale_stays_readable_by_the_baselines():
    """×max of the demo table and of any of its sums fits the baselines' reading limit (MAX_DIGITS)."""
    columns, rows = tables.to_engine(tables.load_sample(baselines.DEMO_SAMPLE))
    values = [abs(v) for v in task.read_table(columns, baselines.scale_rows(rows, max(baselines.DEMO_SCALES)))]
    assert sum(values) < 10 ** task.MAX_DIGITS


def test_the_verdict_says_where_each_model_goes_wrong():
    rows = [ScaleRow(1, "sum A", 12.0, {NP: (12.0, True), "seq2seq": (12.0, True)}),
            ScaleRow(10, "sum A", 120.0, {NP: (120.0, True), "seq2seq": (10.0, False)})]
    assert verdict(rows) == ("The Neural Programmer is right at every scale; the seq2seq baseline is wrong "
                             "from ×10 (1 of 2 scales).")
    shown = as_table(rows)
    assert list(shown.columns) == ["scale", "question", "right answer", NP, "seq2seq"]
    assert shown.loc[1, "seq2seq"] == "10 ✗" and shown.loc[1, NP] == "120 ✓"


def test_the_measured_figures_are_the_benchmarks_and_the_results_table_quotes_them(tmp_path):
    measured = baselines.measured_accuracy()
    raw = json.loads((ROOT / "docs" / "baselines.json").read_text())
    assert measured["command"] == raw["command"] and measured["test_size"] == raw["task"]["test_size"]
    results = (ROOT / "docs" / "RESULTS.md").read_text()
    for name, a10, a50 in measured["rows"]:
        assert f"| {name} | {a10 * 100:.2f} | {a50 * 100:.2f} |" in results, name
    (tmp_path / "bad.json").write_text("{not json")
    assert baselines.measured_accuracy(tmp_path / "bad.json") is None
    assert baselines.measured_accuracy(tmp_path / "missing.json") is None


def test_a_code_span_stays_one_plain_span():
    assert baselines.code_span("python `x`\n  --y") == "python 'x' --y"


def test_a_random_demo_table_is_one_the_baselines_can_read():
    for seed in range(20):
        columns, rows = baselines.demo_table(seed)
        values = task.read_table(columns, rows)
        assert values is not None and all(-task.BASE_RANGE <= v <= task.BASE_RANGE for v in values), rows
        assert baselines.demo_table(seed) == (columns, rows)  # the same seed, the same table
    assert baselines.demo_table(None) == tables.to_engine(tables.load_sample(baselines.DEMO_SAMPLE))
