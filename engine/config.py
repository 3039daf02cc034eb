"""Configuration dataclasses for the model and for training (serialised as JSON in checkpoints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# The 2016 operation set (spec §2.7), in the order of U's rows. text_match is added for text tables.
NUMERIC_OPS = ("sum", "count", "difference", "greater", "lesser", "and", "or", "assign", "reset")
TEXT_OPS = NUMERIC_OPS + ("text_match",)
KNOWN_OPS = frozenset(TEXT_OPS)


@dataclass(frozen=True)
class ModelConfig:
    """Shape and variant of a Neural Programmer."""

    vocab_size: int = 64
    d: int = 64  # word, operation and hidden size (the paper uses 256)
    steps: int = 4  # T, the number of operation selections
    ops: tuple[str, ...] = NUMERIC_OPS
    bidirectional: bool = False  # bidirectional question RNN (paper: 5+ columns)
    question_attention: bool = True  # attention over question words at every step (paper: 10 columns)
    name_match: bool = True  # step-dependent column-name match feature (generalises to unseen names)
    product_logic: bool = False  # and/or as product / probabilistic sum instead of min / max
    step_embedding: bool = True  # a learned vector per timestep added to h_t in the selector (ours)
    init_scale: float = 0.0  # U[-s, s] initialisation (paper: 0.1); 0 = variance-preserving init

    def __post_init__(self):
        if not isinstance(self.ops, (list, tuple)) or not all(isinstance(o, str) for o in self.ops):
            raise ValueError("ops must be a list of operation names")
        object.__setattr__(self, "ops", tuple(self.ops))
        _check_types(self)
        if not 1 <= self.steps <= 16:
            raise ValueError(f"steps must be in [1, 16], got {self.steps}")
        if not 4 <= self.d <= 1024:
            raise ValueError(f"d must be in [4, 1024], got {self.d}")
        if not 3 <= self.vocab_size <= 200_000:
            raise ValueError(f"vocab_size must be in [3, 200000], got {self.vocab_size}")
        unknown = set(self.ops) - KNOWN_OPS
        if unknown or len(set(self.ops)) != len(self.ops) or "reset" not in self.ops:
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

    task: str = "single-column"
    steps: int = 3000  # optimiser steps
    batch_size: int = 50
    lr: float = 3e-3
    adam_eps: float = 1e-6
    clip: float = 1.0  # global-norm threshold
    grad_noise: bool = True
    noise_eta: float = 0.01  # noise variance eta / (1 + t)^0.55, added after clipping
    huber_delta: float = 10.0
    lookup_weight: float = 50.0  # lambda
    search_samples: int = 32  # programs sampled per question for the program-search loss (0 = off)
    search_weight: float = 20.0  # weight of the program-search loss
    search_epsilon: float = 0.5  # uniform exploration mixed into the sampling distributions
    search_memory: int = 4  # programs remembered per question wording and tried again (0 = no memory)
    search_solved: bool = False  # also sample programs for questions the likeliest/remembered ones answer
    balanced_lookup: bool = True  # weigh answer cells and other cells equally in the lookup loss
    name_dropout: float = 0.5  # share of examples whose column names are hidden (UNK) from the embeddings
    train_size: int = 50_000
    eval_size: int = 1000
    eval_every: int = 250
    seed: int = 0
    threads: int = 1  # torch threads (1 is fastest for this small model on 2 cores; 0 = default)
    compile: bool = False  # torch.compile the training forward pass (needs a C++ compiler): about 2x faster
    # forward and backward after a one-off compile of about a minute on a 2-core CPU; pays off on long runs

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        return cls(**_known_fields(cls, data))


def _check_types(obj) -> None:
    """Reject values of the wrong type (e.g. from a hand-edited or hostile checkpoint)."""
    for f in fields(obj):
        value, kind = getattr(obj, f.name), f.type
        if kind in ("int", int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{f.name} must be an integer, got {value!r}")
        if kind in ("bool", bool) and not isinstance(value, bool):
            raise ValueError(f"{f.name} must be true or false, got {value!r}")
        if kind in ("float", float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{f.name} must be a number, got {value!r}")


def _known_fields(cls, data: dict) -> dict:
    """Keep only the dataclass's own fields, rejecting anything else with a clear message."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} must be a JSON object")
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} keys: {sorted(unknown)}")
    return dict(data)
