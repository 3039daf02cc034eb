"""What every model family's checkpoint file shares: the .safetensors bytes of a model with its config,
vocabulary and run summary in the metadata, that header checked in one order and the model loaded back. Each
family's own checkpoint module (its schema string, its config, the model it builds) builds on these."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime

from safetensors.torch import save as save_tensors

from engine.core.safetensors_reader import (
    CheckpointError,
    Header,
    check_schema,
    check_tensor_table,
    expected_specs,
    json_field,
)
from engine.core.seeded_init import uninitialised
from engine.core.vocab import PAD, UNK, Vocab

MAX_WORD_CHARS = 200  # one vocabulary word


def model_bytes(model, schema: str, **metadata: str) -> bytes:
    """The .safetensors bytes of `model`'s weights (from any device) with string `metadata`, under `schema`."""
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    return save_tensors(tensors, metadata={"format": "pt", "schema": schema, **metadata,
                                           "created": datetime.now(UTC).isoformat(timespec="seconds")})


def file_bytes(model, vocab: Vocab, summary: dict | None, schema: str) -> bytes:
    """The .safetensors bytes of a model whose `config.to_dict()` describes it, under its family's `schema`."""
    return model_bytes(model, schema, model_config=json.dumps(model.config.to_dict()), vocab=json.dumps(vocab.words),
                       summary=json.dumps(summary or {}))


def checked_header(header: Header, schema: str, cls, build, added: dict | None = None) -> tuple:
    """(config, vocabulary, summary, expected tensors) of a family's header once all of it is consistent: its
    `schema`, a `cls` config (`added`: see config_from_metadata), the tensor table against the shapes of
    `build(config)` (on the meta device), then the vocabulary: the table check is the cheap one that refuses an
    inflated config."""
    meta = check_schema(header, schema)
    config = config_from_metadata(meta, cls, added)
    expected = expected_specs(lambda: build(config))
    check_tensor_table(header, expected)
    vocab = vocabulary_from_metadata(meta, config)
    summary = json_field(meta, "summary", dict) if "summary" in meta else {}
    return config, vocab, summary, expected


def loaded_model(build, tensors: dict, device=None):
    """`build()`'s model with every weight from `tensors`, in eval mode on `device` (default the CPU). Built
    uninitialised: loading draws no random numbers from torch's global generator, which other threads may use."""
    model = uninitialised(build)
    model.load_state_dict(tensors, strict=True)
    return (model if device is None else model.to(device)).eval()


def config_from_metadata(meta: dict[str, str], cls, added: dict | None = None):
    """The `cls` config the metadata's model_config describes. Every field must be there (a default would hide a
    change), except `added`: fields a family added after shipping files, with the value that means what files
    without them did. A field's older name (cls.RENAMED) reads as its name now."""
    data = {**(added or {}), **{cls.RENAMED.get(k, k): v for k, v in json_field(meta, "model_config", dict).items()}}
    if missing := [f.name for f in fields(cls) if f.name not in data]:
        raise CheckpointError(f"checkpoint model config lacks the field(s) {', '.join(missing)} "
                              f"(every {cls.__name__} field must be present)")
    try:
        return cls.from_dict(data)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint model config is invalid: {e}") from e


def vocabulary_from_metadata(meta: dict[str, str], config) -> Vocab:
    words = json_field(meta, "vocab", list)
    if len(words) != config.vocab_size:
        raise CheckpointError(f"checkpoint vocab_size {config.vocab_size} does not match its vocabulary "
                              f"of {len(words)} words")
    if not all(isinstance(w, str) and len(w) <= MAX_WORD_CHARS for w in words):
        raise CheckpointError(f"checkpoint vocabulary must be strings of at most {MAX_WORD_CHARS} characters")
    if words[:2] != [PAD, UNK] or len(set(words)) != len(words):
        raise CheckpointError("checkpoint vocabulary must start with <pad>, <unk> and have no repeats")
    vocab = Vocab(words[2:])
    if vocab.words != words:
        raise CheckpointError("checkpoint vocabulary must be lower-case and sorted after <pad>, <unk>")
    return vocab
