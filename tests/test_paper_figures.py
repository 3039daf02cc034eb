"""benchmarks/paper.py holds both papers' reference figures; the copies not yet moved there must still agree with
it, so that a figure corrected in one place cannot silently differ in another."""

import re
from pathlib import Path

from benchmarks import paper

ROOT = Path(__file__).resolve().parent.parent


def test_results_and_ablation_read_the_paper_module():
    from benchmarks import ablation, reproduce

    assert reproduce.PAPER is paper.SYNTHETIC_SETTINGS and ablation.PAPER is paper.SYNTHETIC_SETTINGS
    assert list(paper.P16_TABLE_2) == list(paper.SYNTHETIC_SETTINGS)[:-1]  # ours last, with no paper figure
    assert paper.SYNTHETIC_SETTINGS["columns-5"] == ("5 Columns", 99.11, 1231, 98.62)


def test_wtq_results_table_agrees():
    from benchmarks import wtq_results

    assert wtq_results.PAPER_ROWS is paper.P17_TABLE_1_TEXT
    source = (ROOT / "benchmarks" / "wtq_results.py").read_text(encoding="utf-8")
    assert not re.findall(r"Paper, one model: ([0-9.]+) % dev", source)  # quoted from paper.py, not typed in


def test_lstm_baselines_agree():
    from benchmarks import baselines

    assert baselines.PAPER is paper.P16_LSTM_BASELINES


def test_wtq_lesson_agrees():
    from explorer import wtq_lesson

    assert (wtq_lesson.PAPER_SINGLE_DEV, wtq_lesson.PAPER_SINGLE_TEST, wtq_lesson.PAPER_ENSEMBLE_TEST) == (
        paper.P17_SINGLE_MODEL.dev, paper.P17_SINGLE_MODEL.test, paper.P17_ENSEMBLE.test)
