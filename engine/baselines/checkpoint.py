"""LSTM baseline checkpoints: one .safetensors file, with kind, config, info and token lists as JSON metadata,
checked in the order of every checkpoint: the header (schema, kind, token lists, config), the tensor table against
the shapes the config implies (on the meta device), only then the tensors and the model."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from engine.core import safetensors_reader as reader
from engine.core.checkpoint import loaded_model, model_bytes
from engine.core.io.atomic import write_atomic

from . import task
from .models import KINDS, BaselineModel, build, config_from_dict

SCHEMA = "np-explorer-baseline/1"
WHAT = "baseline checkpoint"


def save_baseline(path, model: BaselineModel, info: dict | None = None) -> Path:
    """Write weights + {kind, config, info, token lists} metadata atomically."""
    return write_atomic(path, model_bytes(
        model, SCHEMA, kind=model.kind, config=json.dumps(asdict(model.config)),
        info=json.dumps(info if info is not None else model.info), in_tokens=json.dumps(task.IN_TOKENS),
        out_tokens=json.dumps(task.OUT_TOKENS)))


def load_baseline(source, device=None) -> BaselineModel:
    """A baseline model (eval mode, `.info` set) from a path or raw bytes, on `device` (default the CPU);
    CheckpointError if invalid."""
    raw = reader.read_source(source, WHAT)
    header = reader.read_header(raw, WHAT)
    meta = reader.check_schema(header, SCHEMA, WHAT)
    kind = meta.get("kind")
    if kind not in KINDS:
        raise reader.CheckpointError(f"unknown baseline kind {kind!r} (expected one of {sorted(KINDS)})")
    if (reader.json_field(meta, "in_tokens", list, WHAT) != list(task.IN_TOKENS)
            or reader.json_field(meta, "out_tokens", list, WHAT) != list(task.OUT_TOKENS)):
        raise reader.CheckpointError("the baseline checkpoint's token lists differ from this version's")
    try:
        config = config_from_dict(KINDS[kind][1], reader.json_field(meta, "config", dict, WHAT))
    except (TypeError, ValueError) as e:
        raise reader.CheckpointError(f"baseline config is invalid: {e}") from e
    info = reader.json_field(meta, "info", dict, WHAT) if "info" in meta else {}
    tensors = reader.read_tensors(raw, header, reader.expected_specs(lambda: build(kind, config)), WHAT)
    model = loaded_model(lambda: build(kind, config), tensors, device)
    model.info = info | {"created": meta.get("created", "")}
    return model
