"""The two papers' reference figures, typed in once, for every script that sets our results beside them.

P16: Neelakantan, Le & Sutskever, "Neural Programmer: Inducing Latent Programs with Gradient Descent", ICLR 2016.
P17: Neelakantan, Le, Abadi, McCallum & Amodei, "Learning a Natural Language Interface with Neural Programmer",
ICLR 2017. This module imports nothing, so the benchmarks, the sweeps' statistics and the app's lessons all quote
the same figures without importing one another.
"""

from __future__ import annotations

from typing import NamedTuple

# P16 §4.3 (spec §8.3): runs reaching 100 % on single column, of 72 configurations x 3 initialisations per
# condition, about 300 epochs each; keyed by (preset, task, grid field) as the sweeps' records are
PAPER_TRAINABILITY = {("paper2016", "single-column", "grad_noise"): {True: "9/216", False: "1/216"}}
PAPER_DROPOUT = "0/216"  # the same grid with dropout, which the 2016 model does not have


class Table2Row(NamedTuple):
    """One setting of P16 Table 2 (spec §8.1); None where the paper has no figure."""

    name: str
    accuracy: float | None  # test accuracy, %
    test_templates: int | None  # number of test templates
    seen_in_training: float | None  # share of the test templates seen in training, %


P16_TABLE_2 = {
    "single-column": Table2Row("Single Column", 100.0, 23, 100.0),
    "columns-3": Table2Row("3 Columns", 99.02, 307, 100.0),
    "columns-5": Table2Row("5 Columns", 99.11, 1231, 98.62),
    "columns-10": Table2Row("10 Columns", 99.13, 7900, 62.44),
    "words-1": Table2Row("Word Variability on 1 Column", 96.49, 1368, 100.0),
    "words-5": Table2Row("Word Variability on 5 Columns", 88.99, 24000, 31.31),
    "text-2": Table2Row("Text Match on 2 Columns", 99.11, 1125, 97.42),
    "text-5": Table2Row("Text Match on 5 Columns", 98.03, 14600, 31.02),
}

# our held-out column-names split has no paper figure, but the results table and the ablation list it among the
# paper's settings, in this order
SYNTHETIC_SETTINGS = {**P16_TABLE_2,
                      "names-5": Table2Row("5 Columns, held-out column names (ours)", None, None, None)}

# P16 §3.2.2 (spec §8.2): the LSTM baselines on the simplified single-column task, as fractions
P16_LSTM_BASELINES = {"lstm_best_accuracy_range_10": 0.80, "lstm_accuracy_range_50": 0.30, "neural_programmer": 1.0,
                      "source": "P16 §3.2.2 (spec §8.2): approximate figures, no per-setting table"}


class Table1Row(NamedTuple):
    """One method of P17 Table 1 (spec §8.5): WikiTableQuestions accuracy, %; None where the paper has none."""

    method: str
    dev: float | None
    test: float | None


P17_SINGLE_MODEL = Table1Row("Neural Programmer, one model (P17)", 34.2, 34.2)
P17_ENSEMBLE = Table1Row("Neural Programmer, ensemble of 15 (P17, final)", 37.5, 37.7)
P17_TABLE_1 = (
    Table1Row("Information retrieval system (Pasupat & Liang 2015)", 13.4, 12.7),
    Table1Row("Simple semantic parser (Pasupat & Liang 2015)", 23.6, 24.3),
    Table1Row("Semantic parser (Pasupat & Liang 2015)", 37.0, 37.1),
    Table1Row("Neural Programmer − {dropout, weight decay} (P17)", 30.3, None),
    P17_SINGLE_MODEL,
    P17_ENSEMBLE,
)


def percent_text(value: float | None) -> str:
    """A figure as the paper prints it (one decimal), "–" where it has none."""
    return "–" if value is None else f"{value:.1f}"


# P17 Table 1 as table cells: (method, dev %, test %)
P17_TABLE_1_TEXT = tuple((row.method, percent_text(row.dev), percent_text(row.test)) for row in P17_TABLE_1)
