"""The 2016 model's configs: its shape and variant (ModelConfig) and one training run's hyper-parameters
(TrainConfig), each field declared once with `setting(...)` (engine/core/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from engine.core.settings import DEVICES, Settings, setting

# The 2016 operation set (spec §2.7), in the order of U's rows. text_match is added for text tables.
NUMERIC_OPS = ("sum", "count", "difference", "greater", "lesser", "and", "or", "assign", "reset")
TEXT_OPS = NUMERIC_OPS + ("text_match",)
KNOWN_OPS = frozenset(TEXT_OPS)


@dataclass(frozen=True)
class ModelConfig(Settings):
    """Shape and variant of a Neural Programmer."""

    RENAMED: ClassVar[dict[str, str]] = {"steps": "T"}  # files written before the fields had one name each

    vocab_size: int = setting(64, "number of words the embeddings know (set from the task's vocabulary)",
                              label="Vocabulary size", lo=3, hi=200_000, cli=False)
    d: int = setting(64, "word, operation and hidden size (the paper uses 256)", label="Hidden size",
                     lo=4, hi=1024)
    T: int = setting(4, "T, the number of operation selections", label="Steps per program (T)", lo=1, hi=16)
    ops: tuple[str, ...] = setting(NUMERIC_OPS, "the operations, in the order of U's rows (set from the task)",
                                   label="Operations", choices=tuple(TEXT_OPS), cli=False)
    bidirectional: bool = setting(False, "bidirectional question RNN (the task's default: on for 5+ columns)",
                                  label="Bidirectional RNN")
    question_attention: bool = setting(True, "attention over question words at every step (paper: 10 columns)",
                                       label="Question attention")
    name_match: bool = setting(True, "step-dependent column-name match feature (generalises to unseen names)",
                               label="Name match")
    product_logic: bool = setting(False, "and/or as product / probabilistic sum instead of min / max",
                                  label="Product logic")
    step_embedding: bool = setting(True, "a learned vector per timestep added to h_t in the selector",
                                   label="Step embedding")
    init_scale: float = setting(0.0, "U[-s, s] initialisation (paper: 0.1); 0 = variance-preserving init",
                                label="Init scale", lo=0.0, hi=1.0)
    text_match: str = setting("exact", "text_match's cell selection: exact (a cell's text occurs in the question, "
                              "as the 2017 entry match) or learned (the paper's two-stage attention, spec §2.9)",
                              label="Text match", choices=("exact", "learned"))

    def __post_init__(self):
        super().__post_init__()
        if len(set(self.ops)) != len(self.ops) or "reset" not in self.ops:
            raise ValueError(f"ops must be distinct names from {sorted(KNOWN_OPS)} including reset: {self.ops}")


@dataclass(frozen=True)
class TrainConfig(Settings):
    """Hyper-parameters of one training run (spec §6.1)."""

    task: str = setting("single-column", "the synthetic task whose data is generated (engine.np2016.data.tasks.TASKS)",
                        label="Task", cli=False)
    preset: str = setting("default", "the preset the other values started from (engine/np2016/presets/)",
                          label="Preset", cli=False)
    steps: int = setting(3000, "optimiser steps", label="Training steps", lo=1, hi=1_000_000)
    batch_size: int = setting(50, "examples per optimiser step", label="Batch size", lo=1, hi=4096)
    # the upper bound is deliberately loose: a diverging rate is caught by training's NaN guard, which stops
    # with a clear message and keeps the best model so far
    lr: float = setting(3e-3, "Adam learning rate", label="Learning rate", lo=1e-7, hi=1e6)
    adam_eps: float = setting(1e-6, "Adam epsilon", label="Adam ε", lo=1e-12, hi=1.0)
    clip: float = setting(1.0, "global gradient-norm threshold", label="Clipping threshold", lo=1e-4, hi=1e6)
    grad_noise: bool = setting(True, "annealed Gaussian gradient noise", label="Gradient noise")
    noise_eta: float = setting(0.01, "noise variance eta / (1 + t)^0.55, added after clipping",
                               label="Noise scale η", lo=0.0, hi=100.0)
    huber_delta: float = setting(10.0, "Huber loss threshold of the scalar answer", label="Huber δ",
                                 lo=1e-3, hi=1e6)
    lookup_weight: float = setting(50.0, "lambda, the weight of the lookup loss", label="λ (lookup loss weight)",
                                   lo=0.0, hi=1e6)
    soft_loss: bool = setting(True, "the paper's loss on the soft execution (off: program search alone)",
                              label="Soft-execution loss")
    search_samples: int = setting(32, "programs sampled per question for the program-search loss (0 = off)",
                                  label="Search: programs sampled", lo=0, hi=1024)
    search_weight: float = setting(20.0, "weight of the program-search loss", label="Search weight",
                                   lo=0.0, hi=1e6)
    search_epsilon: float = setting(0.5, "uniform exploration mixed into the sampling distributions",
                                    label="Search: exploration ε", lo=0.0, hi=1.0)
    search_memory: int = setting(4, "programs remembered per question wording and tried again (0 = no memory)",
                                 label="Remembered programs", lo=0, hi=64)
    search_solved: bool = setting(False, "also sample programs for questions the likeliest/remembered ones "
                                  "answer", label="Search solved questions")
    balanced_lookup: bool = setting(True, "weigh answer cells and other cells equally in the lookup loss",
                                    label="Balanced lookup loss")
    name_dropout: float = setting(0.5, "share of examples whose column names are hidden (UNK) from the "
                                  "embeddings", label="Name dropout", lo=0.0, hi=1.0)
    shuffle_letters: bool = setting(True, "training tables name their columns with distinct letters in random "
                                    "order (off: A, B, C… in order, as the paper)", label="Shuffle letters")
    ordered_pivots: bool = setting(True, "two-comparison questions get pivots that make a real interval or union "
                                   "(off: independent pivots, as the paper)", label="Ordered pivots")
    lone_column_name: bool = setting(True, "questions about a one-column table name the column (off: `greater 50 "
                                     "count`, as the paper's Table 4)", label="Name a lone column")
    train_size: int = setting(50_000, "number of generated training examples", label="Training examples",
                              lo=1, hi=1_000_000)
    eval_size: int = setting(1000, "number of validation examples: fresh tables from the training distribution, "
                             "used for early stopping and the best model", label="Validation examples",
                             lo=1, hi=100_000)
    test_size: int = setting(1000, "number of test examples, scored once after training (0 = none)",
                             label="Test examples", lo=0, hi=100_000)
    eval_every: int = setting(250, "validate every this many steps", label="Validate every", lo=1, hi=1_000_000)
    seed: int = setting(0, "random seed of data generation and initialisation", label="Seed", lo=0, hi=2**31 - 1)
    threads: int = setting(1, "torch threads (1 is fastest for this small model on 2 cores; 0 = torch's "
                           "default)", label="Threads", lo=0, hi=256)
    # data, sampling and noise stay on the CPU (CPU generators), so a run gives the same results on either device
    device: str = setting("cpu", "where the model trains and is evaluated: cpu, or cuda (an NVIDIA GPU that torch "
                          "can see)", label="Device", choices=DEVICES)
    temperature: float = setting(1.0, "softmax temperature of the soft operation, column and pivot selections at "
                                 "the first step, annealed to 1 over temperature_steps (not with compile)",
                                 label="Start temperature", lo=0.05, hi=100.0)
    temperature_steps: int = setting(0, "steps over which the temperature falls geometrically to 1 (0: it stays)",
                                     label="Temperature steps", lo=0, hi=1_000_000)
    long_first_steps: int = setting(0, "for the first N steps, train only on the questions whose programs need two "
                                    "filters or a difference (and / or / diff), so that no step is claimed by a "
                                    "one-filter shortcut before the long programs are learned (0 = off)",
                                    label="Long programs first (steps)", lo=0, hi=1_000_000)
    selection_noise: float = setting(0.0, "scale of Gumbel noise added to the operation and column logits of the "
                                     "soft selections in training, falling to 0 with the temperature (0 = none)",
                                     label="Selection noise", lo=0.0, hi=100.0)
    # about 2x faster forward and backward after a one-off compile of about a minute on a 2-core CPU
    compile: bool = setting(False, "torch.compile the training forward pass (needs a C++ compiler)",
                            label="Compile")

    def __post_init__(self):
        super().__post_init__()
        if self.compile and (self.temperature != 1.0 or self.selection_noise > 0):
            # a new temperature or noise each step would recompile each step
            raise ValueError("compile cannot be combined with a temperature other than 1 or selection noise")

    @property
    def program_search(self) -> bool:
        """Whether a step adds the program-search loss (engine/np2016/search.py): 2+ samples and a positive weight."""
        return self.search_samples > 1 and self.search_weight > 0

    def anneal_left(self, step: int) -> float:
        """The share of the soft-selection schedule still ahead at (1-based) step `step`: 1, then linearly to 0."""
        if self.temperature_steps == 0:
            return 1.0
        return max(0.0, 1.0 - (step - 1) / self.temperature_steps)

    def temperature_at(self, step: int) -> float:
        """The soft selections' temperature at step `step`: geometric from `temperature` to 1."""
        return self.temperature ** self.anneal_left(step)

    def selection_noise_at(self, step: int) -> float:
        """The Gumbel noise scale at step `step`: linear from selection_noise to 0."""
        return self.selection_noise * self.anneal_left(step)
