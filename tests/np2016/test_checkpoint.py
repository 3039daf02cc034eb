"""Checkpoints (engine/np2016/checkpoint.py): round trip; every kind of bad file is rejected without executing it."""

import json
import os
import pickle
import struct

import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from engine.core.safetensors_reader import DTYPE_NAMES
from engine.core.vocab import Vocab
from engine.np2016.batch import encode
from engine.np2016.checkpoint import (
    SCHEMA,
    CheckpointError,
    expected_tensors,
    load_checkpoint,
    read_checkpoint_info,
    save_checkpoint,
    to_bytes,
)
from engine.np2016.config import ModelConfig
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer

EXAMPLES = data.generate("columns-3", "train", 6, seed=3)


@pytest.fixture(scope="module")
def saved():
    torch.manual_seed(0)
    vocab = Vocab(data.vocabulary("columns-3"))
    model = NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=12, bidirectional=True)).eval()
    raw = to_bytes(model, vocab, {"eval_accuracy": 0.5, "note": "ünïcode"})
    header_len = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + header_len])
    return model, vocab, raw, header["__metadata__"], load_tensors(raw)


def outputs(model, vocab):
    batch = encode(EXAMPLES, vocab)
    with torch.no_grad():
        return model(batch), model(batch, hard=True)


def assert_same(model_a, vocab_a, model_b, vocab_b):
    for a, b in zip(outputs(model_a, vocab_a), outputs(model_b, vocab_b), strict=True):
        for key in ("op_logits", "col_logits", "rows", "scalars", "scalar", "lookup"):
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)


def test_round_trip_path_and_bytes(saved, tmp_path):
    model, vocab, raw, _, _ = saved
    path = save_checkpoint(tmp_path / "sub" / "m.safetensors", model, vocab, {"eval_accuracy": 0.5})
    assert path.is_file() and not list(tmp_path.glob("**/*.tmp"))
    for source in (path, str(path), raw, bytearray(raw)):
        loaded, loaded_vocab, info = load_checkpoint(source)
        assert not loaded.training
        assert loaded.config == model.config and loaded_vocab.words == vocab.words
        assert info["summary"]["eval_accuracy"] == 0.5 and info["config"] == model.config.to_dict()
        assert_same(model, vocab, loaded, loaded_vocab)
    assert load_checkpoint(raw)[2]["summary"]["note"] == "ünïcode"


def rebuild(saved, meta_changes=None, tensor_changes=None, drop_meta=(), drop_tensors=()):
    """A valid .safetensors file with modified metadata and/or tensors."""
    _, _, _, meta, tensors = saved
    meta = {k: v for k, v in meta.items() if k not in drop_meta} | (meta_changes or {})
    tensors = {k: v for k, v in tensors.items() if k not in drop_tensors} | (tensor_changes or {})
    return save_tensors(tensors, metadata=meta)


def config_with(saved, **changes):
    cfg = json.loads(saved[3]["model_config"]) | changes
    return {"model_config": json.dumps(cfg)}


def bad_files(saved):
    model, vocab, raw, meta, tensors = saved
    name = "op_select.weight"
    nan = tensors[name].clone()
    nan[0, 0] = float("nan")
    inf = tensors["embed.weight"].clone()
    inf[3, 1] = float("inf")
    huge = struct.pack("<Q", 2**62) + raw[8:]
    return {
        "empty": b"",
        "tiny": raw[:5],
        "truncated header": raw[:100],
        "truncated tensors": raw[:-7],
        "random bytes": os.urandom(4096),
        "zeros": bytes(4096),
        "huge header length": huge,
        "header not json": struct.pack("<Q", 6) + b"{nope}" + raw[8:],
        "header is a list": struct.pack("<Q", 2) + b"[]",
        "no metadata": save_tensors(dict(tensors)),
        "other metadata": save_tensors(dict(tensors), metadata={"format": "pt", "author": "someone"}),
        "no schema": rebuild(saved, drop_meta=("schema",)),
        "wrong schema": rebuild(saved, {"schema": "np-explorer/999"}),
        "vocab not json": rebuild(saved, {"vocab": "[not json"}),
        "vocab not a list": rebuild(saved, {"vocab": json.dumps({"a": 1})}),
        "vocab missing": rebuild(saved, drop_meta=("vocab",)),
        "vocab without pad": rebuild(saved, {"vocab": json.dumps(vocab.words[2:] + ["x", "y"])}),
        "vocab unsorted": rebuild(saved, {"vocab": json.dumps(vocab.words[:2] + vocab.words[2:][::-1])}),
        "vocab repeats": rebuild(saved, {"vocab": json.dumps(vocab.words + [vocab.words[-1]])}),
        "vocab_size mismatch": rebuild(saved, config_with(saved, vocab_size=len(vocab) + 1)),
        "config missing": rebuild(saved, drop_meta=("model_config",)),
        "config unknown key": rebuild(saved, config_with(saved, evil=1)),
        "config bad d": rebuild(saved, config_with(saved, d=2)),
        "config bad op": rebuild(saved, config_with(saved, ops=["sum", "rm -rf"])),
        "config other d": rebuild(saved, config_with(saved, d=16)),
        "config not bidirectional": rebuild(saved, config_with(saved, bidirectional=False)),
        "wrong tensor shape": rebuild(saved, tensor_changes={name: torch.zeros(3, 3)}),
        "wrong dtype": rebuild(saved, tensor_changes={name: tensors[name].double()}),
        "missing tensor": rebuild(saved, drop_tensors=(name,)),
        "extra tensor": rebuild(saved, tensor_changes={"evil": torch.zeros(1)}),
        "NaN weights": rebuild(saved, tensor_changes={name: nan}),
        "inf weights": rebuild(saved, tensor_changes={"embed.weight": inf}),
        "summary not json": rebuild(saved, {"summary": "{"}),
    }


# defects that only the tensor data shows: a listing (header only) cannot see them, loading refuses them
DATA_DEFECTS = {"NaN weights", "inf weights"}


def test_rejects_bad_files(saved, tmp_path):
    for label, raw in bad_files(saved).items():
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(raw)
        assert str(err.value), label
        path = tmp_path / f"{label.replace(' ', '_')}.safetensors"
        path.write_bytes(raw)
        with pytest.raises(CheckpointError):
            load_checkpoint(path)
        if label in DATA_DEFECTS:
            assert read_checkpoint_info(path)["d"] == 12
        else:
            with pytest.raises(CheckpointError):
                read_checkpoint_info(path)


@pytest.mark.parametrize("field", ["vocab_size", "d", "ops", "step_embedding", "init_scale"])
def test_missing_config_field_is_refused_by_name(saved, field):
    """Before: a missing field silently took its default (a different model than the one saved)."""
    cfg = json.loads(saved[3]["model_config"])
    del cfg[field]
    raw = rebuild(saved, {"model_config": json.dumps(cfg)})
    with pytest.raises(CheckpointError, match=rf"lacks the field\(s\) {field} "):
        load_checkpoint(raw)


def test_checkpoint_info_lists_without_loading(saved, tmp_path):
    model, vocab, _, _, _ = saved
    path = save_checkpoint(tmp_path / "m.safetensors", model, vocab, {
        "task": "columns-3", "test_accuracy": 0.75, "valid_accuracy": 0.8, "train_config": {"preset": "paper2016"}})
    info = read_checkpoint_info(path)
    assert (info["task"], info["accuracy"], info["valid_accuracy"], info["preset"], info["ops"], info["T"],
            info["d"]) == ("columns-3", 0.75, 0.8, "paper2016", model.config.ops, model.config.T, 12)
    for odd in (float("nan"), "high", True, None, -1.0):  # not a finite number, or not measured: none shown
        save_checkpoint(path, model, vocab, {"test_accuracy": odd})
        info = read_checkpoint_info(path)
        assert info["accuracy"] is None and info["task"] == "unknown" and info["preset"] == "default"
    save_checkpoint(path, model, vocab, {"eval_accuracy": 0.5})  # a file from before validation splits
    assert read_checkpoint_info(path)["valid_accuracy"] == 0.5 and read_checkpoint_info(path)["accuracy"] is None


@pytest.mark.parametrize("config", [
    ModelConfig(vocab_size=30, d=8),
    ModelConfig(vocab_size=30, d=12, bidirectional=True, question_attention=False),
    ModelConfig(vocab_size=5, d=4, T=2, name_match=False, step_embedding=False, init_scale=0.1),
])
def test_expected_tensors_match_a_built_model(config):
    """The shapes are computed on the meta device; they must be exactly what the real model has."""
    real = {k: (DTYPE_NAMES[v.dtype], tuple(v.shape)) for k, v in NeuralProgrammer(config).state_dict().items()}
    assert expected_tensors(config) == real


def test_explorer_listing_uses_the_checked_reader(saved, tmp_path):
    from explorer.checkpoints import _read_entry

    model, vocab, _, _, _ = saved
    good = save_checkpoint(tmp_path / "good.safetensors", model, vocab, {"task": "columns-3"})
    entry = _read_entry(str(good), 1.0, "good", False)
    assert entry.error is None and entry.d == 12 and entry.task == "columns-3"
    cfg = json.loads(saved[3]["model_config"])
    del cfg["T"]
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(rebuild(saved, {"model_config": json.dumps(cfg)}))
    entry = _read_entry(str(bad), 1.0, "bad", False)
    assert "lacks the field(s) T" in entry.error and entry.label == "bad (unreadable)"


def test_rejects_missing_paths(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path)  # a directory


class Payload:
    """Unpickling this runs a shell command that creates `marker`."""

    marker = None

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_pickle_is_never_executed(saved, tmp_path):
    marker = tmp_path / "pwned"
    Payload.marker = marker
    sources = []
    zipped = tmp_path / "model.safetensors"  # torch.save's zip format, named like a checkpoint
    torch.save({"state_dict": {}, "payload": Payload()}, zipped)
    sources.append(zipped)
    legacy = tmp_path / "legacy.safetensors"  # a bare pickle stream
    legacy.write_bytes(pickle.dumps({"payload": Payload()}))
    sources.append(legacy)
    # a valid header whose metadata carries a pickle (base64 or raw) must not be unpickled either
    sources.append(rebuild(saved, {"summary": pickle.dumps(Payload(), protocol=0).decode("latin-1")}))
    for source in sources:
        with pytest.raises(CheckpointError):
            load_checkpoint(source)
    assert not marker.exists()
    # the payload is real: unpickling it would have run the command
    pickle.loads(legacy.read_bytes())  # noqa: S301 (deliberate: proves the payload works)
    assert marker.exists()


@pytest.mark.parametrize("change", [{"d": 12.0}, {"T": 2.5}, {"init_scale": "x"},
                                    {"vocab_size": "float"}],
                         ids=["d-float", "steps-float", "init_scale-str", "vocab_size-float"])
def test_config_field_types_rejected(saved, change):
    if change.get("vocab_size") == "float":  # equal to the vocabulary's length, but a float
        change = {"vocab_size": float(len(saved[1]))}
    with pytest.raises(CheckpointError):
        load_checkpoint(rebuild(saved, config_with(saved, **change)))


def test_schema_constant_in_file(saved):
    assert saved[3]["schema"] == SCHEMA and saved[3]["format"] == "pt"
