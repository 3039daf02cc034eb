"""engine/papers.py holds both papers' reference figures, typed in once: the benchmark scripts, the sweeps'
statistics and the app's lessons quote it, so a figure corrected there cannot silently differ anywhere else."""

import re
from pathlib import Path

from engine import papers as paper

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


def test_the_sweeps_and_the_lessons_quote_the_paper_module():
    from engine.sweep import stats
    from explorer import lesson_real_tables

    assert stats.PAPER_TRAINABILITY is paper.PAPER_TRAINABILITY
    source = (ROOT / "explorer" / "lesson_real_tables.py").read_text(encoding="utf-8")
    assert "34.2" not in source and "37.7" not in source  # quoted from engine/papers.py, not typed in
    shown = lesson_real_tables.INTRO.format(dev=paper.P17_SINGLE_MODEL.dev, test=paper.P17_SINGLE_MODEL.test,
                                    ens=paper.P17_ENSEMBLE.test)
    assert "**34.2%** on the dev split" in shown and "37.7% for an ensemble of 15" in shown
