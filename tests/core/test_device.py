"""--device (engine/core/device.py): the CPU path unchanged, a clear refusal of cuda where torch finds no GPU, and
every tensor the model's forward pass creates on its input's device (checked on the meta device, so no GPU
is needed)."""

import json

import pytest
import torch
from torch.overrides import TorchFunctionMode

from engine import baselines as B
from engine.cli import main as cli
from engine.core.device import DeviceError, OnDevice, on_device, resolve_device, to_device
from engine.np2016.batch import encode
from engine.np2016.checkpoint import load_checkpoint
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import correct, loss_fn
from engine.np2016.program import predict_chunks
from engine.np2016.trace import trace
from engine.np2016.train import train

TINY = ["--steps", "12", "--train-size", "200", "--eval-size", "30", "--test-size", "20", "--d", "16",
        "--eval-every", "6", "--threads", "1"]
NO_GPU = "torch.cuda.is_available() is False"


@pytest.fixture
def no_gpu(monkeypatch):
    """This machine as one without a GPU, whatever it has: the refusal is tested everywhere."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- resolve_device


def test_resolve_device(no_gpu):
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(DeviceError) as e:
        resolve_device("cuda")
    assert NO_GPU in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(DeviceError, match="expected one of cpu, cuda"):
        resolve_device("gpu")
    with pytest.raises(ValueError, match="device must be one of cpu, cuda"):
        TrainConfig(device="tpu")


def test_to_device_moves_nested_tensors_and_keeps_the_rest():
    meta = torch.device("meta")
    value = {"a": torch.ones(2), "b": [torch.zeros(1), (torch.ones(3), "x")], "c": 3}
    moved = to_device(value, meta)
    assert moved["a"].device == meta and moved["b"][0].device == meta and moved["b"][1][0].device == meta
    assert moved["b"][1][1] == "x" and moved["c"] == 3 and isinstance(moved["b"][1], tuple)
    cpu = torch.ones(2)
    assert to_device(cpu, "cpu") is cpu  # nothing copied where it already is


# ----------------------------------------------------------------------------- cuda refused, one line, code 2


@pytest.mark.parametrize("command", ["train", "evaluate", "predict", "ask"])
def test_cuda_without_gpu_is_a_one_line_usage_error(no_gpu, capsys, tmp_path, command):
    (tmp_path / "t.csv").write_text("A\n1\n2\n")
    argv = {"train": ["train", "--task", "single-column", *TINY, "--output", tmp_path / "m.safetensors"],
            "evaluate": ["evaluate", "--input", tmp_path / "missing.jsonl"],
            "predict": ["predict", "--input", tmp_path / "missing.jsonl", "--output", tmp_path / "p.jsonl"],
            "ask": ["ask", "--table", tmp_path / "t.csv", "sum A"]}[command]
    code, out, err = run(capsys, *argv, "--device", "cuda")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and NO_GPU in err and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "m.safetensors").exists() and not (tmp_path / "p.jsonl").exists()


def test_train_option_cuda_is_refused_too(no_gpu, capsys, tmp_path):
    code, _, err = run(capsys, "train", "--task", "single-column", *TINY, "--train-option", "device=cuda",
                       "--output", tmp_path / "m.safetensors")
    assert code == 2 and NO_GPU in err


def test_cuda_refused_by_the_library_calls(no_gpu):
    with pytest.raises(DeviceError, match="is_available"):
        train(TrainConfig(steps=1, train_size=10, eval_size=5, test_size=0, device="cuda"))
    with pytest.raises(DeviceError, match="is_available"):
        B.train_baseline("seq2seq", B.Seq2SeqConfig(emb=8, hidden=8, layers=1), steps=1, device="cuda")


# ----------------------------------------------------------------------------- the CPU path as before


@pytest.fixture(scope="module")
def cpu_runs(tmp_path_factory):
    """train, evaluate and predict, each with --device cpu and without, in one directory."""
    d = tmp_path_factory.mktemp("device")
    examples = data.generate("single-column", "test", 30, 5)
    (d / "test.jsonl").write_text("".join(json.dumps(ex) + "\n" for ex in examples))
    results = {}
    for name, flag in (("plain", []), ("cpu", ["--device", "cpu"])):
        ckpt = d / f"{name}.safetensors"
        assert cli.main(["train", "--task", "single-column", *TINY, "--output", str(ckpt), *flag]) == 0
        assert cli.main(["predict", "--checkpoint", str(ckpt), "--input", str(d / "test.jsonl"),
                         "--output", str(d / f"{name}.jsonl"), *flag]) == 0
        results[name] = ckpt
    return d, results


def test_cpu_training_is_the_same_run(cpu_runs):
    _, ckpts = cpu_runs
    (plain, _, plain_info), (cpu, _, cpu_info) = load_checkpoint(ckpts["plain"]), load_checkpoint(ckpts["cpu"])
    for (name, a), (_, b) in zip(plain.state_dict().items(), cpu.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    keep = ("valid_accuracy", "test_accuracy", "best_step", "steps_run")
    assert {k: plain_info["summary"][k] for k in keep} == {k: cpu_info["summary"][k] for k in keep}
    assert plain_info["summary"]["train_config"]["device"] == "cpu"


def test_cpu_evaluate_and_predict_are_the_same(cpu_runs, capsys):
    d, ckpts = cpu_runs
    capsys.readouterr()
    args = ["evaluate", "--checkpoint", ckpts["plain"], "--input", d / "test.jsonl", "--json"]
    (code_a, plain, _), (code_b, cpu, _) = run(capsys, *args), run(capsys, *args, "--device", "cpu")
    assert code_a == code_b == 0 and json.loads(plain) == json.loads(cpu)
    assert (d / "plain.jsonl").read_text() == (d / "cpu.jsonl").read_text()
    code, out, _ = run(capsys, "ask", "--checkpoint", ckpts["plain"], "--table", _table(d), "--device", "cpu",
                       "--json", "greater 2 A sum A")
    assert code == 0 and json.loads(out)["answer"]["kind"] in ("scalar", "cells", "none")


def _table(d):
    path = d / "t.csv"
    path.write_text("A\n1\n3\n5\n")
    return path


def test_on_device_gives_the_models_own_results(cpu_runs):
    """OnDevice (predict's and ask's forward pass on a device) changes nothing but where the pass runs."""
    d, ckpts = cpu_runs
    model, vocab, _ = load_checkpoint(ckpts["plain"])
    assert on_device(model, "cpu") is model
    wrapped = OnDevice(model, "cpu")
    assert wrapped.config is model.config and wrapped.op_index is model.op_index
    examples = data.generate("single-column", "test", 12, 9)
    numbered = list(enumerate(examples, 1))
    direct = [(p, a) for chunk in predict_chunks(model, vocab, numbered) for _, p, a in chunk]
    through = [(p, a) for chunk in predict_chunks(wrapped, vocab, numbered) for _, p, a in chunk]
    assert direct == through
    ex = examples[0]
    assert trace(model, vocab, ex["columns"], ex["rows"], ex["question"]) == \
        trace(wrapped, vocab, ex["columns"], ex["rows"], ex["question"])


def test_baseline_cpu_device_is_the_same_run(tmp_path):
    config = B.Seq2SeqConfig(emb=8, hidden=8, layers=1)
    runs = [B.train_baseline("seq2seq", config, steps=4, eval_every=2, eval_size=20, **kw)
            for kw in ({}, {"device": "cpu"}, {"device": torch.device("cpu")})]
    for model, info in runs[1:]:
        assert info["val_accuracy"] == runs[0][1]["val_accuracy"]
        for a, b in zip(runs[0][0].state_dict().values(), model.state_dict().values(), strict=True):
            assert torch.equal(a, b)
    path = tmp_path / "b.safetensors"
    B.save_baseline(path, runs[0][0])
    loaded = B.load_baseline(path, device="cpu")
    examples = B.task.generate(20, 3)
    assert B.evaluate_baseline(loaded, examples) == B.evaluate_baseline(runs[0][0], examples)


# ----------------------------------------------------------------------------- tensors follow the input


class _OffDevice(TorchFunctionMode):
    """Records every torch call whose result holds a tensor that is not on `device`."""

    def __init__(self, device):
        super().__init__()
        self.device, self.stray = torch.device(device), []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        results = out if isinstance(out, (tuple, list)) else (out,)
        if any(isinstance(t, torch.Tensor) and t.device != self.device for t in results):
            self.stray.append(getattr(func, "__name__", repr(func)))
        return out


class _FactoryWithoutDevice(TorchFunctionMode):
    """Records every tensor-creating torch function called without device= (it would make a CPU tensor)."""

    FACTORIES = {torch.arange, torch.zeros, torch.ones, torch.full, torch.empty, torch.tensor, torch.as_tensor,
                 torch.eye, torch.linspace, torch.rand, torch.randn, torch.randint}

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.FACTORIES and (kwargs or {}).get("device") is None:
            self.calls.append(func.__name__)
        return func(*args, **(kwargs or {}))


EXAMPLES = [
    {"columns": ["A", "B"], "rows": [[1.5, -2.0], [30.25, 4.0], [-7.0, 12.5]], "question": "greater 2.00 A sum B",
     "answer": {"scalar": 16.5}},
    {"columns": ["A", "B", "C"], "rows": [["word:1", 5.0, 1.0], ["word:2", -1.0, 2.0]],
     "question": "word:1 A print B", "answer": {"cells": [[0, 1]]}},
]


def _passes(model, batch):
    """The forward passes the engine makes (training's soft one with its loss, answering, a trace's mixed
    soft/hard batch) and the correctness check of evaluation."""
    out = model(batch)
    loss_fn(out, batch, 10.0, 50.0, True)
    with torch.no_grad():
        correct(model, model(batch, hard=True), batch)
        model(batch, hard=torch.tensor([False, True], device=batch.values.device), record=True)


@pytest.mark.parametrize("unroll", [False, True])
def test_forward_creates_every_tensor_on_the_input_device(letters_vocab, model_factory, unroll):
    """On the meta device a tensor made on the CPU (torch.arange(B) without device=) meets a meta tensor
    and raises, or shows up as a CPU result: either fails this test. (torch.unique, of the learned text
    match, has no meta kernel: that path is checked by the next test.)"""
    model = model_factory(letters_vocab, text=True, T=3, bidirectional=True, question_attention=True,
                          name_match=True).to("meta")
    model.unroll_rnn = unroll
    batch = encode(EXAMPLES, letters_vocab).to("meta")
    with _OffDevice("meta") as mode:
        _passes(model, batch)
    assert mode.stray == []


@pytest.mark.parametrize("text_match", ["exact", "learned"])
def test_forward_names_the_device_of_every_tensor_it_makes(letters_vocab, model_factory, text_match):
    model = model_factory(letters_vocab, text=True, T=3, bidirectional=True, question_attention=True,
                          name_match=True, text_match=text_match)
    batch = encode(EXAMPLES, letters_vocab)
    mixed = torch.tensor([False, True])
    with _FactoryWithoutDevice() as mode:
        out = model(batch)
        loss_fn(out, batch, 10.0, 50.0, True)
        with torch.no_grad():
            correct(model, model(batch, hard=True), batch)
            model(batch, hard=mixed, record=True)
    assert mode.calls == []


def test_the_checks_catch_a_tensor_made_on_the_cpu(letters_vocab, model_factory, monkeypatch):
    """The two checks above fail for the bug they look for: a torch.arange without device= in the model."""
    import engine.np2016.model as model_module

    real_arange = torch.arange

    def cpu_arange(*args, **kwargs):
        kwargs.pop("device", None)
        return real_arange(*args, **kwargs)

    model = model_factory(letters_vocab, text=True, T=2).to("meta")
    batch = encode(EXAMPLES, letters_vocab).to("meta")
    monkeypatch.setattr(model_module.torch, "arange", cpu_arange)
    with pytest.raises(RuntimeError, match="device"):
        model(batch)
    with _FactoryWithoutDevice() as mode:
        model_factory(letters_vocab, text=True, T=2)(encode(EXAMPLES, letters_vocab))
    assert "arange" in mode.calls
