"""How much memory a training run will need, predicted from its settings before it starts.

The prediction is a sum of the parts a run holds at its peak (the test split is scored while the training data
and the last step's freed tensors are still in the process), each a measured cost times a count:

    process: Python, torch and the engine loaded (in the app the server has them already: shared by every run)
    fixed:   the run's own constant part (model, optimiser, evaluation chunks, allocator slack)
    data:    (train_size + eval_size) examples, as generated (Python lists: a cost per example and per cell)
             and as encoded for training (float32 stores padded to the task's largest table)
    test:    test_size generated test examples (larger tables: 120 rows of the test shape)
    steps:   one training step's tensors: the soft execution (batch x rows x columns x T), the column scores
             (batch x d x columns x T) and program search (batch x programs sampled x rows x T)

The costs were fitted to peak resident memory measured on short runs (`python benchmarks/train_memory.py`).
The app refuses a run whose own memory (all but `process`) is over `run_budget_mb()` (`check_memory`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from engine.core.limits import RUN_MEMORY_MB
from engine.core.settings import settings
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.batch import column_kinds
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data

MB = 2**20

# Fitted by benchmarks/train_memory.py (python benchmarks/train_memory.py --measure), on a 2-core x86-64 CPU
# with torch 2 and one torch thread.
PROCESS_MB = 221.0  # `import torch` and the engine: measured alone
FIXED_MB = 148.0
EXAMPLE_BYTES = 7_750.0  # one generated example's question, answer, program and row lists
CELL_BYTES = 43.4  # one generated cell (a float or a string in a row list)
TEXT_CELL_BYTES = 32.1  # more for a text cell (its string)
PADDED_CELL_BYTES = 14.7  # one padded cell of the encoded training store (resident pages only)
PADDED_TEXT_BYTES = 31.7  # more for a padded cell of a text column (word ids, entry match)
SOFT_BYTES = 0.94  # per batch x row x column x step of the soft execution (kept for the backward pass)
COLUMN_BYTES = 26.1  # per batch x d x column x step
SEARCH_BYTES = 3.77  # per batch x program sampled x row x step of program search

# The budget, RUN_MEMORY_MB (engine/core/limits.py), is for a 4 GB classroom server: the app's process with torch and
# a checkpoint loaded measured 450 MB for one session; 1 GB is left to it and a class's sessions, and the two
# runs that may go at once (explorer/jobs.py MAX_ACTIVE_JOBS), threads of that process, share 3 GB.
RUN_BUDGET_ENV = "NPX_RUN_MEMORY_MB"  # a server with more (or less) memory sets its own per-run budget


def run_budget_mb() -> float:
    """The memory one run of the app may use, in MB: NPX_RUN_MEMORY_MB when positive, else RUN_MEMORY_MB."""
    try:
        value = float(os.environ.get(RUN_BUDGET_ENV, ""))
    except ValueError:
        return float(RUN_MEMORY_MB)
    return value if value > 0 else float(RUN_MEMORY_MB)


@dataclass(frozen=True)
class TableShape:
    """The tables of a set of examples: mean cells (and text cells) per example, and the padded rows x columns
    (and text columns) of the training store."""

    cells: float
    text_cells: float
    rows: int
    columns: int
    text_columns: int

    @classmethod
    def of_task(cls, task: str, split: str) -> TableShape:
        """From the generator's own description of the task: rows ~ U[min, max], the (text, numeric) column
        counts of the split drawn uniformly (the test split has one shape)."""
        spec, sizes = data.TASKS[task], data.SPLITS[split]
        # the generator's private helpers are the one description of a task's table shapes
        shapes = [data._test_shape(spec)] if split == "test" else data._train_shapes(spec)
        mean_rows = (sizes.min_rows + sizes.max_rows) / 2
        return cls(cells=mean_rows * sum(k + c for k, c in shapes) / len(shapes),
                   text_cells=mean_rows * sum(k for k, _ in shapes) / len(shapes), rows=sizes.max_rows,
                   columns=max(k + c for k, c in shapes), text_columns=max(k for k, _ in shapes))

    @classmethod
    def of_examples(cls, examples: list[dict]) -> TableShape:
        """Measured from given examples (a fine-tuning's custom set)."""
        if not examples:
            return cls(0.0, 0.0, 0, 0, 0)
        texts = [column_kinds(ex["columns"], ex["rows"]).count("text") for ex in examples]
        return cls(cells=sum(len(ex["rows"]) * len(ex["columns"]) for ex in examples) / len(examples),
                   text_cells=sum(len(ex["rows"]) * k for ex, k in zip(examples, texts, strict=True)) / len(examples),
                   rows=max(len(ex["rows"]) for ex in examples), columns=max(len(ex["columns"]) for ex in examples),
                   text_columns=max(texts))


def generated_bytes(shape: TableShape) -> float:
    """One example as the generator holds it."""
    return EXAMPLE_BYTES + CELL_BYTES * shape.cells + TEXT_CELL_BYTES * shape.text_cells


def encoded_bytes(shape: TableShape) -> float:
    """One example in the training store: every padded cell, and more for a text column (its words' ids)."""
    return shape.rows * (PADDED_CELL_BYTES * shape.columns + PADDED_TEXT_BYTES * shape.text_columns)


def step_features(batch: int, rows: int, columns: int, d: int, T: int, samples: int) -> tuple[float, float, float]:
    """The counts one training step's tensors grow with: (soft execution, column scores, program search)."""
    return (batch * rows * columns * T, batch * d * columns * T, batch * samples * rows * T)


@dataclass(frozen=True)
class MemoryEstimate:
    """Each part of a run's peak resident memory, in MB (see the module's docstring)."""

    process_mb: float
    fixed_mb: float
    data_mb: float
    test_mb: float
    steps_mb: float
    per_example_mb: float  # what one more training (or validation) example adds

    @property
    def run_mb(self) -> float:
        """What the run adds to a process that has torch and the engine loaded (the app's server)."""
        return self.fixed_mb + self.data_mb + self.test_mb + self.steps_mb

    @property
    def peak_mb(self) -> float:
        """The peak resident memory of `python -m engine train` with these settings."""
        return self.process_mb + self.run_mb


def searched_programs(cfg: TrainConfig) -> int:
    """Programs sampled per question at each step (0 when the run does no program search)."""
    return cfg.search_samples if cfg.program_search else 0


def estimate(cfg: TrainConfig, d: int, T: int, examples: list[dict] | None = None) -> MemoryEstimate:
    """The memory of `engine.np2016.train.train(cfg, ...)` for a model of hidden size `d` and `T` steps: on cfg.task's
    generated data, or on `examples` (a fine-tuning trains and validates on copies of them)."""
    if examples is None:
        shape, held = TableShape.of_task(cfg.task, "train"), cfg.train_size + cfg.eval_size
    else:
        shape, held = TableShape.of_examples(examples), 2 * len(examples)
    per_example = generated_bytes(shape) + encoded_bytes(shape)
    test = cfg.test_size * generated_bytes(TableShape.of_task(cfg.task, "test"))
    features = step_features(cfg.batch_size, shape.rows, shape.columns, d, T, searched_programs(cfg))
    steps = sum(cost * n for cost, n in zip((SOFT_BYTES, COLUMN_BYTES, SEARCH_BYTES), features, strict=True))
    return MemoryEstimate(process_mb=PROCESS_MB, fixed_mb=FIXED_MB, data_mb=held * per_example / MB,
                          test_mb=test / MB, steps_mb=steps / MB, per_example_mb=per_example / MB)


@functools.lru_cache(maxsize=32)
def _vocab_size(task: str) -> int:
    return len(Vocab(data.vocabulary(task)))


def model_shape(cfg: TrainConfig, model_values: dict | None) -> tuple[int, int]:
    """(d, T) of the model the app builds: the preset's values for the task, then the page's `model_values`
    (ValueError for a bad one, as the run itself would raise)."""
    config = presets.model_config(cfg.preset, cfg.task, _vocab_size(cfg.task), **(model_values or {}))
    return config.d, config.T


def _label(config: type, name: str) -> str:
    """A setting as the Train page labels it (engine/np2016/config.py says it once)."""
    return "“" + next(s.label for s in settings(config) if s.name == name) + "”"


MENTIONED_SHARE = 0.1  # a part of the estimate under this share of the run is not worth lowering


def settings_to_lower(cfg: TrainConfig, found: MemoryEstimate, given: bool) -> list[str]:
    """The labels of the settings behind the estimate's larger parts, the largest part first."""
    step = [_label(TrainConfig, "batch_size")]
    if searched_programs(cfg):
        step.append(_label(TrainConfig, "search_samples"))
    step += [_label(ModelConfig, "d"), _label(ModelConfig, "T")]
    parts = [(found.steps_mb, step), (found.test_mb, [_label(TrainConfig, "test_size")])]
    if not given:  # a fine-tuning's data is the custom set, which no setting sizes
        parts.append((found.data_mb, [_label(TrainConfig, "train_size"), _label(TrainConfig, "eval_size")]))
    parts.sort(key=lambda part: -part[0])
    kept = [labels for mb, labels in parts if mb >= MENTIONED_SHARE * found.run_mb] or [parts[0][1]]
    return [label for labels in kept for label in labels]


def check_memory(cfg: TrainConfig, model_values: dict | None, examples: list[dict] | None = None,
                 budget_mb: float | None = None) -> None:
    """ValueError saying how much it needs and which settings to lower, for a run of the app over the per-run
    budget. `model_values`: the page's ModelConfig values over the preset's; `examples`: a fine-tuning's set."""
    budget = run_budget_mb() if budget_mb is None else budget_mb
    d, T = model_shape(cfg, model_values)
    found = estimate(cfg, d, T, examples)
    if found.run_mb <= budget:
        return
    lower = settings_to_lower(cfg, found, given=examples is not None)
    # the largest train_size that fits with every other setting unchanged, quoted to two significant digits
    # rounded down (35,463 -> 35,000)
    most = max(int((budget - (found.run_mb - found.data_mb)) / found.per_example_mb) - cfg.eval_size, 0)
    unit, hint = 10 ** max(len(str(most)) - 2, 0), ""
    if examples is None and 0 < most < cfg.train_size:
        hint = f" ({_label(TrainConfig, 'train_size')} alone: at most about {most // unit * unit:,})"
    raise ValueError(f"these settings need about {found.run_mb:,.0f} MB of memory, over the {budget:,.0f} MB one "
                     f"training run may use on this server (two runs share it): lower {', '.join(lower[:-1])}"
                     f"{' or ' if len(lower) > 1 else ''}{lower[-1]}{hint}")
