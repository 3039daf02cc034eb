"""Neural Programmer checkpoints: one .safetensors file, the weights plus JSON metadata (every ModelConfig field,
the vocabulary, a summary of the run). Loading checks all the header says (schema, config, the tensor table
against the shapes the config implies, computed on the meta device, vocabulary) before a tensor is read (NaN and
infinity refused) or the model built; every failure is a CheckpointError, and nothing is ever unpickled.
"""

from __future__ import annotations

import math
from pathlib import Path

from engine.core import safetensors_reader as reader
from engine.core.checkpoint import checked_header, file_bytes, loaded_model
from engine.core.io.atomic import write_atomic
from engine.core.safetensors_reader import CheckpointError
from engine.core.vocab import Vocab
from engine.np2016.config import ModelConfig
from engine.np2016.model import NeuralProgrammer

# CheckpointError lives in the reader and is re-exported here, where most callers already import from
__all__ = ["SCHEMA", "CheckpointError", "load_checkpoint", "read_checkpoint_info", "save_checkpoint", "to_bytes"]

SCHEMA = "np-explorer/1"


def to_bytes(model: NeuralProgrammer, vocab: Vocab, summary: dict | None = None) -> bytes:
    return file_bytes(model, vocab, summary, SCHEMA)


def save_checkpoint(path, model: NeuralProgrammer, vocab: Vocab, summary: dict | None = None) -> Path:
    return write_atomic(path, to_bytes(model, vocab, summary))


# ModelConfig fields added after checkpoints were first shipped, with the value that means what files without
# the field did (text_match: the exact entry match, the only one there was)
ADDED_FIELDS = {"text_match": "exact"}


def expected_tensors(config: ModelConfig) -> dict[str, reader.TensorSpec]:
    """(dtype, shape) of every weight a model of `config` has, without allocating it."""
    return reader.expected_specs(lambda: NeuralProgrammer(config))


def _accuracy(value, measured_only: bool = False) -> float | None:
    """A recorded accuracy, or None when it is not a finite number (or, measured_only, when it is negative:
    -1 stands for "not measured")."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if number and not (measured_only and value < 0) else None


def read_checkpoint_info(path) -> dict:
    """What a listing shows, from the header alone (no tensor read, no model built): {"task", "accuracy" (the test
    split's, scored once after training; None when not measured), "valid_accuracy" (the validation set's, which
    chose the model; an older file's "eval_accuracy"), "preset", "ops", "T", "d", "summary", "created"}, the
    accuracies None unless finite numbers. CheckpointError whenever `load_checkpoint` would refuse the header."""
    header = reader.read_header(path)
    config, _, summary, _ = checked_header(header, SCHEMA, ModelConfig, NeuralProgrammer, ADDED_FIELDS)
    train_config = summary.get("train_config") if isinstance(summary.get("train_config"), dict) else {}
    return {"task": str(summary.get("task", "unknown")), "accuracy": _accuracy(summary.get("test_accuracy"), True),
            "valid_accuracy": _accuracy(summary.get("valid_accuracy", summary.get("eval_accuracy"))),
            "preset": str(summary.get("preset", train_config.get("preset", "default"))),
            "ops": tuple(config.ops), "T": config.T, "d": config.d, "summary": summary,
            "created": header.metadata.get("created", "")}


def load_checkpoint(source, device=None) -> tuple[NeuralProgrammer, Vocab, dict]:
    """(model in eval mode, vocabulary, info) from a path or the raw bytes of a .safetensors file; the model
    is on `device` (a torch.device or name, engine/core/device.py; default the CPU). The file is read on the CPU,
    checked, then the built model moved."""
    raw = reader.read_source(source)
    header = reader.read_header(raw)
    config, vocab, summary, expected = checked_header(header, SCHEMA, ModelConfig, NeuralProgrammer, ADDED_FIELDS)
    model = loaded_model(lambda: NeuralProgrammer(config), reader.read_tensors(raw, header, expected), device)
    info = {"summary": summary, "created": header.metadata.get("created", ""), "config": config.to_dict()}
    return model, vocab, info
