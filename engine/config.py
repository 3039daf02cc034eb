"""Configuration dataclasses for the model and for training (serialised as JSON in checkpoints).

Every field is declared once, with `setting(...)`: its default, help text, a short label, and its range or
choices. `settings(cls)` lists them as `Setting` records; the command line builds its flags from them and
the app its Train widgets, and `__post_init__` validates every value against them, so a range or a default
is never written a second time.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, get_type_hints

# The 2016 operation set (spec §2.7), in the order of U's rows. text_match is added for text tables.
NUMERIC_OPS = ("sum", "count", "difference", "greater", "lesser", "and", "or", "assign", "reset")
TEXT_OPS = NUMERIC_OPS + ("text_match",)
KNOWN_OPS = frozenset(TEXT_OPS)
DEVICES = ("cpu", "cuda")  # where a model may run (engine/device.py)

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def setting(default, help: str, *, label: str, lo: float | None = None, hi: float | None = None,
            choices: tuple | None = None, flag: str | None = None, cli: bool = True):
    """A dataclass field that carries its own documentation and limits (read back by `settings`).

    `flag` is the command-line name when it is not the field's (e.g. ModelConfig.steps is `--T`, so it does
    not clash with TrainConfig.steps); `cli=False` keeps a field off the command line (set by the engine)."""
    meta = {"help": help, "label": label, "lo": lo, "hi": hi, "choices": choices, "flag": flag, "cli": cli}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Setting:
    """One configuration field as the command line and the app see it."""

    name: str
    type: type  # int, float, bool, str or tuple
    default: Any
    help: str
    label: str
    lo: float | None  # inclusive bounds for numbers (None: unbounded)
    hi: float | None
    choices: tuple | None  # allowed values (for a tuple field: allowed items)
    flag: str  # command-line flag without the leading dashes, e.g. "batch-size"
    cli: bool  # whether the command line offers it

    def describe_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        if self.lo is not None and self.hi is not None:
            return f"in [{_num(self.lo)}, {_num(self.hi)}]"
        if self.lo is not None:
            return f"at least {_num(self.lo)}"
        if self.hi is not None:
            return f"at most {_num(self.hi)}"
        return "any value"

    def parse(self, text: str):
        """The value that command-line or URL text stands for, typed like the field (ValueError if not)."""
        text = text.strip()
        if self.type is bool:
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError(f"{self.name}: {text!r} is not true or false")
            return text.lower() in _TRUE
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise ValueError(f"{self.name}: {text!r} is not an integer") from None
        if self.type is float:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{self.name}: {text!r} is not a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{self.name}: {text!r} is not a finite number")
            return value
        if self.type is tuple:
            return tuple(item.strip() for item in text.split(",") if item.strip())
        return text

    def check(self, value) -> None:
        """Raise ValueError naming the field, the value and the allowed range when `value` does not fit."""
        kind = self.type
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{self.name} must be an integer, got {value!r}")
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{self.name} must be true or false, got {value!r}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{self.name} must be a number, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise ValueError(f"{self.name} must be a string, got {value!r}")
        if kind is tuple and not (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{self.name} must be a list of names, got {value!r}")
        if kind in (int, float):
            # written so that NaN fails too (every comparison with NaN is false)
            if not ((self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)):
                raise ValueError(f"{self.name} must be {self.describe_range()}, got {value!r}")
        if self.choices is not None:
            items = value if kind is tuple else (value,)
            bad = [v for v in items if v not in self.choices]
            if bad:
                raise ValueError(f"{self.name} must be {self.describe_range()}, got {bad[0]!r}")


def _num(x: float) -> str:
    """A bound as people write it: 4096, 1000000, 0.5, 1e-07."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def settings(cls) -> list[Setting]:
    """The `Setting` record of every field of the config dataclass `cls`, in declaration order."""
    hints = get_type_hints(cls)
    out = []
    for f in fields(cls):
        meta, hint = f.metadata, hints[f.name]
        kind = tuple if getattr(hint, "__origin__", hint) is tuple else hint
        default = f.default if f.default is not MISSING else None
        out.append(Setting(name=f.name, type=kind, default=default, help=meta["help"], label=meta["label"],
                           lo=meta["lo"], hi=meta["hi"], choices=meta["choices"],
                           flag=meta["flag"] or f.name.replace("_", "-"), cli=meta["cli"]))
    return out


def parse_options(cls, items: list[str] | None, exclude=()) -> dict:
    """`KEY=VALUE` strings -> {field: value} for the config dataclass `cls` (ValueError for a bad one).

    The values are typed here and range-checked when the config is built."""
    known = {s.name: s for s in settings(cls) if s.name not in exclude}
    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise ValueError(f"expected KEY=VALUE with KEY one of: {', '.join(sorted(known))}; got {item!r}")
        out[key] = known[key].parse(text)
    return out


def _validate(obj) -> None:
    """Type and range of every field; ints given for float fields become floats (JSON round-trips alike)."""
    for s in settings(type(obj)):
        value = getattr(obj, s.name)
        s.check(value)
        if s.type is float and not isinstance(value, float):
            object.__setattr__(obj, s.name, float(value))
        if s.type is tuple:
            object.__setattr__(obj, s.name, tuple(value))


def _known_fields(cls, data: dict) -> dict:
    """Keep only the dataclass's own fields, rejecting anything else with a clear message."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} must be a JSON object")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    return dict(data)


@dataclass(frozen=True)
class ModelConfig:
    """Shape and variant of a Neural Programmer."""

    vocab_size: int = setting(64, "number of words the embeddings know (set from the task's vocabulary)",
                              label="Vocabulary size", lo=3, hi=200_000, cli=False)
    d: int = setting(64, "word, operation and hidden size (the paper uses 256)", label="Hidden size",
                     lo=4, hi=1024)
    steps: int = setting(4, "T, the number of operation selections", label="Steps per program (T)",
                         lo=1, hi=16, flag="T")
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
        _validate(self)
        if len(set(self.ops)) != len(self.ops) or "reset" not in self.ops:
            raise ValueError(f"ops must be distinct names from {sorted(KNOWN_OPS)} including reset: {self.ops}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ops"] = list(self.ops)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        return cls(**_known_fields(cls, data))


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (spec §6.1)."""

    task: str = setting("single-column", "the synthetic task whose data is generated (engine.data.TASKS)",
                        label="Task", cli=False)
    preset: str = setting("default", "the preset the other values started from (engine/presets/)",
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
        _validate(self)
        if self.compile and (self.temperature != 1.0 or self.selection_noise > 0):
            # a new temperature or noise each step would recompile each step
            raise ValueError("compile cannot be combined with a temperature other than 1 or selection noise")

    @property
    def program_search(self) -> bool:
        """Whether a step adds the program-search loss (engine/search.py): 2+ samples and a positive weight."""
        return self.search_samples > 1 and self.search_weight > 0

    def anneal_left(self, step: int) -> float:
        """The share of the soft-selection schedule still ahead at optimiser step `step` (1-based): 1 at the
        first step, falling linearly to 0 over temperature_steps (always 1 when temperature_steps is 0)."""
        if self.temperature_steps == 0:
            return 1.0
        return max(0.0, 1.0 - (step - 1) / self.temperature_steps)

    def temperature_at(self, step: int) -> float:
        """The soft selections' temperature at step `step`: geometric from `temperature` to 1."""
        return self.temperature ** self.anneal_left(step)

    def selection_noise_at(self, step: int) -> float:
        """The Gumbel noise scale at step `step`: linear from selection_noise to 0."""
        return self.selection_noise * self.anneal_left(step)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        return cls(**_known_fields(cls, data))
