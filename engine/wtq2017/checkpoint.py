"""Checkpoints of the 2017 model: one .safetensors file, weights plus JSON metadata, read with the same checks in
the same order as the 2016 model's (engine/np2016/checkpoint.py: schema, config, tensor shapes on the meta device,
vocabulary, then the tensors) under its own schema, so either loader refuses the other's files, saying which."""

from __future__ import annotations

from pathlib import Path

from engine.core import safetensors_reader as reader
from engine.core.checkpoint import checked_header, file_bytes, loaded_model
from engine.core.io.atomic import write_atomic
from engine.core.vocab import Vocab
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.model import NeuralProgrammer

__all__ = ["SCHEMA", "SHIPPED", "load_checkpoint", "read_checkpoint_info", "save_checkpoint"]

SCHEMA = "np-explorer-wtq/1"
# the shipped model that answers English by default (the app, the benchmarks' default --checkpoint)
SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints" / "wtq_extended.safetensors"


def save_checkpoint(path, model: NeuralProgrammer, vocab: Vocab, summary: dict | None = None) -> Path:
    return write_atomic(path, file_bytes(model, vocab, summary, SCHEMA))


# fields added after files shipped, with the value that means what those files did
ADDED = {"match_count": "exact", "ops": "paper", "cell_text": "as_is", "dates": "text"}


def _checked(header):
    return checked_header(header, SCHEMA, ModelConfig, lambda c: NeuralProgrammer(c, _Sized(c.vocab_size)), ADDED)


class _Sized:
    """A stand-in vocabulary of the right size for a shape-only build (the model asks only its length and
    the id of <entry_match>, a buffer whose value the loaded weights replace)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def id(self, word: str) -> int:
        return 0


def read_checkpoint_info(path) -> dict:
    """Config, summary and creation time from the header alone (CheckpointError when loading would refuse it)."""
    header = reader.read_header(path)
    config, vocab, summary, _ = _checked(header)
    return {"config": config.to_dict(), "summary": summary, "vocab_size": len(vocab),
            "created": header.metadata.get("created", "")}


def load_checkpoint(source, device=None) -> tuple[NeuralProgrammer, Vocab, dict]:
    """(model in eval mode, vocabulary, info) from a path or the bytes of a .safetensors file."""
    raw = reader.read_source(source)
    header = reader.read_header(raw)
    config, vocab, summary, expected = _checked(header)
    model = loaded_model(lambda: NeuralProgrammer(config, vocab), reader.read_tensors(raw, header, expected), device)
    return model, vocab, {"summary": summary, "created": header.metadata.get("created", ""),
                          "config": config.to_dict()}
