"""Checkpoints of the 2017 model (WikiTableQuestions): one .safetensors file, weights plus JSON metadata.

The same reader and the same order of checks as the 2016 model's (engine/np2016/checkpoint.py): schema, a config
with every WtqModelConfig field in range, the tensor table against the shapes that config implies (on the
meta device), the vocabulary, and only then the tensors (NaN and infinity refused). The schema differs
("np-explorer-wtq/1"), so either loader refuses the other's files with a message that says which it is;
engine/families.py tells a caller which loader a file needs from its header alone.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from engine.core import safetensors_reader as reader
from engine.core.checkpoint import file_bytes, vocabulary_from_metadata
from engine.core.io.atomic import write_atomic
from engine.core.safetensors_reader import CheckpointError
from engine.core.seeded_init import uninitialised
from engine.core.vocab import Vocab
from engine.wtq2017.config import WtqModelConfig
from engine.wtq2017.model import WtqProgrammer

__all__ = ["SCHEMA", "load_wtq_checkpoint", "read_wtq_info", "save_wtq_checkpoint"]

SCHEMA = "np-explorer-wtq/1"


def save_wtq_checkpoint(path, model: WtqProgrammer, vocab: Vocab, summary: dict | None = None) -> Path:
    return write_atomic(path, file_bytes(model, vocab, summary, SCHEMA))


def _config(meta: dict[str, str]) -> WtqModelConfig:
    data = reader.json_field(meta, "model_config", dict)
    missing = [f.name for f in fields(WtqModelConfig) if f.name not in data]
    if missing:
        raise CheckpointError(f"checkpoint model config lacks the field(s) {', '.join(missing)}")
    try:
        return WtqModelConfig.from_dict(data)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint model config is invalid: {e}") from e


def _checked(header):
    meta = reader.check_schema(header, SCHEMA)
    config = _config(meta)
    expected = reader.expected_specs(lambda: WtqProgrammer(config, _Sized(config.vocab_size)))
    reader.check_tensor_table(header, expected)
    vocab = vocabulary_from_metadata(meta, config)
    summary = reader.json_field(meta, "summary", dict) if "summary" in meta else {}
    return config, vocab, summary, expected


class _Sized:
    """A stand-in vocabulary of the right size for a shape-only build (the model asks only its length and
    the id of <entry_match>, a buffer whose value the loaded weights replace)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def id(self, word: str) -> int:
        return 0


def read_wtq_info(path) -> dict:
    """Config, summary and creation time from the header alone (CheckpointError when loading would refuse it)."""
    header = reader.read_header(path)
    config, vocab, summary, _ = _checked(header)
    return {"config": config.to_dict(), "summary": summary, "vocab_size": len(vocab),
            "created": header.metadata.get("created", "")}


def load_wtq_checkpoint(source, device=None) -> tuple[WtqProgrammer, Vocab, dict]:
    """(model in eval mode, vocabulary, info) from a path or the bytes of a .safetensors file."""
    raw = reader.read_source(source)
    header = reader.read_header(raw)
    config, vocab, summary, expected = _checked(header)
    tensors = reader.read_tensors(raw, header, expected)
    model = uninitialised(lambda: WtqProgrammer(config, vocab))
    model.load_state_dict(tensors, strict=True)
    if device is not None:
        model.to(device)
    model.eval()
    return model, vocab, {"summary": summary, "created": header.metadata.get("created", ""),
                          "config": config.to_dict()}
