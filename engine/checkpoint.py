"""Checkpoints: one .safetensors file with the weights plus JSON metadata (config, vocabulary, summary).

Loading never unpickles anything and validates every field before building the model (guide §4.4).
"""

from __future__ import annotations

import json
import os
import struct
from datetime import UTC, datetime
from pathlib import Path

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from .config import ModelConfig
from .model import NeuralProgrammer
from .vocab import PAD, UNK, Vocab

SCHEMA = "np-explorer/1"
MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_VOCAB = 200_000


class CheckpointError(ValueError):
    """The file is not a valid Neural Programmer checkpoint; the message says why."""


def to_bytes(model: NeuralProgrammer, vocab: Vocab, summary: dict | None = None) -> bytes:
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "format": "pt",
        "schema": SCHEMA,
        "model_config": json.dumps(model.config.to_dict()),
        "vocab": json.dumps(vocab.words),
        "summary": json.dumps(summary or {}),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return save_tensors(tensors, metadata=metadata)


def write_atomic(path, payload: bytes) -> Path:
    """Write via a temp file + rename so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
    return path


def save_checkpoint(path, model: NeuralProgrammer, vocab: Vocab, summary: dict | None = None) -> Path:
    return write_atomic(path, to_bytes(model, vocab, summary))


def read_source(source, what: str = "checkpoint") -> bytes:
    """The raw bytes of a path or bytes, refusing anything larger than MAX_FILE_BYTES."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise CheckpointError(f"{what} not found: {path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CheckpointError(f"{what} larger than {MAX_FILE_BYTES // 2**20} MB: {path}")
        raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise CheckpointError(f"{what} larger than {MAX_FILE_BYTES // 2**20} MB")
    return raw


def read_metadata(raw: bytes, schema: str = SCHEMA) -> dict:
    """The string metadata of a .safetensors file, read from its JSON header without loading tensors."""
    if len(raw) < 8:
        raise CheckpointError("the file is too short to be a .safetensors checkpoint")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(raw):
        raise CheckpointError("the file's header is truncated or implausibly large (not a checkpoint?)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError("the file's header is not valid JSON (not a .safetensors file?)") from e
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        raise CheckpointError("the file has no Neural Programmer metadata (a .safetensors file from elsewhere?)")
    if meta.get("schema") != schema:
        raise CheckpointError(f"unsupported checkpoint schema {meta.get('schema')!r} (expected {schema!r})")
    return meta


def json_field(meta: dict, key: str, kind: type):
    """A metadata field decoded from JSON and checked to be of `kind`."""
    try:
        value = json.loads(meta[key])
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"checkpoint metadata field {key!r} is missing or not JSON") from e
    if not isinstance(value, kind):
        raise CheckpointError(f"checkpoint metadata field {key!r} has the wrong type")
    return value


def load_checkpoint(source) -> tuple[NeuralProgrammer, Vocab, dict]:
    """(model in eval mode, vocabulary, info) from a path or the raw bytes of a .safetensors file."""
    raw = read_source(source)
    meta = read_metadata(raw)
    words = json_field(meta, "vocab", list)
    if not (3 <= len(words) <= MAX_VOCAB) or not all(isinstance(w, str) and len(w) < 200 for w in words):
        raise CheckpointError("checkpoint vocabulary is malformed")
    if words[:2] != [PAD, UNK] or len(set(words)) != len(words):
        raise CheckpointError("checkpoint vocabulary must start with <pad>, <unk> and have no repeats")
    try:
        config = ModelConfig.from_dict(json_field(meta, "model_config", dict))
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint model config is invalid: {e}") from e
    if config.vocab_size != len(words):
        raise CheckpointError("checkpoint vocab_size does not match its vocabulary")
    summary = json_field(meta, "summary", dict) if "summary" in meta else {}

    try:
        tensors = load_tensors(raw)
    except Exception as e:  # safetensors raises its own error types for corrupt buffers
        raise CheckpointError(f"checkpoint tensors are corrupt: {e}") from e
    model = NeuralProgrammer(config)
    expected = model.state_dict()
    if set(tensors) != set(expected):
        missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
        raise CheckpointError(f"checkpoint weights do not match the model (missing {missing}, extra {extra})")
    for name, ref in expected.items():
        t = tensors[name]
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise CheckpointError(f"weight {name} has shape {tuple(t.shape)} {t.dtype}, "
                                  f"expected {tuple(ref.shape)} {ref.dtype}")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"weight {name} contains NaN or infinite values")
    model.load_state_dict(tensors, strict=True)
    model.eval()
    vocab = Vocab(words[2:])
    if vocab.words != words:
        raise CheckpointError("checkpoint vocabulary must be sorted after <pad>, <unk>")
    info = {"summary": summary, "created": meta.get("created", ""), "config": config.to_dict()}
    return model, vocab, info
