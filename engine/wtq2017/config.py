"""Typed configuration of the 2017 Neural Programmer (WikiTableQuestions), spec §3, §5.3 and §6.2: the paper's and
the TF code's settings as defaults (the preset `wtq2017` uses them as they are), declared with
engine.core.settings.setting so that the command line, the app and the range checks read one declaration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.core.settings import Settings, setting
from engine.wtq2017.features import Preprocessing

# The 15 operations in TF's order, which is also the order of U's rows (spec §4.2).
OPS = ("count", "prev", "next", "first", "last", "mfe", "greater", "lesser", "geq", "leq",
       "argmax", "argmin", "select", "reset", "print")
# The larger language (issue 21, item 4; ModelConfig.ops "extended"): a column's sum, average, count of distinct
# values and range (largest − smallest: the difference of two selected values) over the selected rows, and the AND
# of the two selections before. After the paper's, so every paper operation keeps its index.
EXTRA_OPS = ("sum", "average", "distinct", "diff", "and")
ALL_OPS = OPS + EXTRA_OPS


@dataclass(frozen=True)
class ModelConfig(Settings):
    """Shape, regularisation and loss settings of a 2017 Neural Programmer."""

    RENAMED: ClassVar[dict[str, str]] = {"steps": "T"}  # files written before the fields had one name each

    vocab_size: int = setting(10_800, "number of words the embeddings know (set from the training vocabulary)",
                              label="Vocabulary size", lo=4, hi=200_000, cli=False)
    d: int = setting(256, "word, operation and hidden size (paper: 256)", label="Hidden size", lo=4, hi=1024)
    T: int = setting(4, "T, the number of operation selections (paper: 4)", label="Steps per program (T)",
                     lo=1, hi=16)
    number_columns: int = setting(15, "number-column slots (TF max_number_cols)", label="Number columns",
                                  lo=1, hi=100)
    word_columns: int = setting(25, "word-column slots (TF max_word_cols)", label="Word columns", lo=1, hi=100)
    question_length: int = setting(62, "words the question RNN reads; longer questions keep their first words "
                                   "(TF question_length)", label="Question length", lo=4, hi=1000)
    word_cutoff: int = setting(10, "training-set words seen fewer times become <unk> (paper: 10)",
                               label="Word cutoff", lo=1, hi=1000)
    dropout_keep: float = setting(0.8, "keep probability of dropout on word embeddings, operation embeddings, "
                                  "selector, column vectors and history input (paper: 0.8)",
                                  label="Dropout keep", lo=0.05, hi=1.0)
    rnn_keep: float = setting(0.9, "keep probability of the variational (per sequence) recurrent dropout of "
                              "the question and history RNNs (paper: 0.9)", label="Recurrent keep", lo=0.05, hi=1.0)
    word_keep: float = setting(0.9, "probability that a question word is kept rather than replaced by <unk> "
                               "while training (paper: 0.9)", label="Word keep", lo=0.05, hi=1.0)
    init_scale: float = setting(0.1, "U[-s, s] initialisation of every weight (paper: 0.1)", label="Init scale",
                                lo=0.0, hi=1.0)
    column_name: str = setting("first", "column-name vector: the embedding of its first word (TF, spec §3.4) "
                               "or the mean over its words", label="Column name", choices=("first", "mean"))
    ops: str = setting("paper", "the operations: the 2017 paper's 15, or those plus sum, average, distinct count, "
                       "difference (largest − smallest selected value) and the AND of two selections",
                       label="Operations", choices=("paper", "extended"))
    match_count: str = setting("exact", "n^match_c in each column's vector: the cells matching the question "
                               "exactly (ours until issue 21) or every matching cell, partial matches when only "
                               "those fired (the TF code)", label="Entry-match count", choices=("exact", "matched"))
    cell_text: str = setting("as_is", "cell text a question is matched against: as written (ours until issue 21) "
                             "or normalised, without parenthesised or bracketed asides, footnote marks and quotes "
                             "(\"United States (USA)\" matches \"united states\")", label="Cell text",
                             choices=("as_is", "normalised"))
    dates: str = setting("text", "dates in a question: as text, each numeral a number (ours until issue 21), or "
                         "by value, one number that matches the date cells it agrees with (a year too)",
                         label="Dates", choices=("text", "value"))
    lstm_output_tanh: bool = setting(False, "LSTM output o*tanh(c) (textbook) instead of TF's o*c",
                                     label="LSTM output tanh")
    pivot: str = setting("expected_comparison", "soft comparison with two question numbers: the expected "
                         "comparison sum_k beta_k [x > n_k] (differentiable in beta, spec A1) or TF's comparison "
                         "with the expected pivot [x > sum_k beta_k n_k] (no gradient to beta)", label="Pivot",
                         choices=("expected_comparison", "expected_pivot"))
    print_cost: float = setting(50.0, "weight of the lookup loss (TF print_cost)", label="Lookup weight",
                                lo=0.0, hi=1e6)
    max_math_error: float = setting(3.0, "cap of the scalar loss; above it the scalar loss has no gradient "
                                    "(TF max_math_error)", label="Scalar loss cap", lo=0.0, hi=1e12)
    soft_min_value: float = setting(5.0, "temperature of the soft minimum of the scalar and lookup losses for "
                                    "number answers that are also cells (TF soft_min_value)",
                                    label="Soft-min temperature", lo=1e-3, hi=1e3)

    @property
    def op_names(self) -> tuple[str, ...]:
        """The operations this model selects among, in the order of U's rows."""
        return OPS if self.ops == "paper" else ALL_OPS

    @property
    def preprocessing(self) -> Preprocessing:
        """How this model's questions are matched against their tables."""
        return Preprocessing(self.cell_text, self.dates)

    @property
    def columns(self) -> int:
        """Column slots: number columns first, then word columns (TF's layout)."""
        return self.number_columns + self.word_columns


@dataclass(frozen=True)
class TrainConfig(Settings):
    """The paper's optimisation settings (spec §6.2); a trainer reads them, the model does not."""

    # files written before one name per setting across families (the 2016 TrainConfig's)
    RENAMED: ClassVar[dict[str, str]] = {"learning_rate": "lr", "clip_norm": "clip", "train_steps": "steps"}

    batch_size: int = setting(20, "examples per step (paper: 20)", label="Batch size", lo=1, hi=4096)
    lr: float = setting(1e-3, "Adam learning rate", label="Learning rate", lo=1e-7, hi=1.0)
    adam_eps: float = setting(1e-6, "Adam epsilon (paper: 1e-6)", label="Adam ε", lo=1e-12, hi=1.0)
    clip: float = setting(1.0, "global gradient-norm threshold (paper: 1)", label="Clipping threshold",
                          lo=0.0, hi=1e6)
    l2: float = setting(1e-4, "weight decay: l2 * sum ||theta||^2 / 2 over every parameter (paper: 1e-4)",
                        label="Weight decay", lo=0.0, hi=1.0)
    steps: int = setting(100_001, "optimiser steps (TF: 100,001, best dev checkpoint kept)",
                         label="Training steps", lo=1, hi=10_000_000)
    eval_every: int = setting(500, "steps between dev evaluations (TF eval_cycle)", label="Evaluate every",
                              lo=1, hi=1_000_000)
    patience: int = setting(0, "stop after this many dev evaluations without a better accuracy (0: never; TF "
                            "ran every step and kept the best)", label="Patience", lo=0, hi=1_000_000)
    max_minutes: float = setting(0.0, "stop after this many minutes of training, keeping the best dev model "
                                 "(0: no limit)", label="Time limit (minutes)", lo=0.0, hi=1e6)
    search_weight: float = setting(0.0, "weight of the program-search loss (engine/wtq2017/search.py: marginal "
                                   "likelihood of the programs found to answer each training question) beside "
                                   "the paper's loss; 0: gradient descent on the paper's loss alone",
                                   label="Search weight", lo=0.0, hi=1e3)
    search_limit: int = setting(32, "programs kept per training question by the search (shortest first)",
                                label="Programs per question", lo=1, hi=1024)
    seed: int = setting(0, "seed of the initial weights, the batch order and dropout", label="Seed",
                        lo=0, hi=2**31 - 1)
    threads: int = setting(1, "intra-op CPU threads of the run", label="Threads", lo=1, hi=256)
    device: str = setting("cpu", "where the model trains", label="Device", choices=("cpu", "cuda"))
    preset: str = setting("wtq2017", "the preset the run started from (recorded, not a switch)",
                          label="Preset", cli=False)
