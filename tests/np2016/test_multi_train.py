"""The model-batched trainer (engine/np2016/multi_train.py) against separate runs of engine.np2016.train.train: K runs
trained as one vmapped computation must give the weights, curves and accuracies of K runs trained alone."""

import pytest
import torch

from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.batch import encode
from engine.np2016.data import tasks as data
from engine.np2016.multi_train import check_group, padded_stack, train_many
from engine.np2016.train import train

SMALL = {"steps": 24, "eval_every": 8, "train_size": 300, "eval_size": 60, "test_size": 40, "threads": 1}


def configs(preset: str, task: str, variations: list[dict]):
    return [presets.train_config(preset, task, **{**SMALL, **v}) for v in variations]


@pytest.mark.parametrize("preset,task,variations", [
    # the paper's grid axes differ between the runs (ε, clipping, δ, λ, noise on and off); the first two share a
    # seed, so they share their data (generated and stored once)
    ("paper2016", "single-column", [{"seed": 0}, {"seed": 0, "adam_eps": 1e-8, "clip": 5.0, "huber_delta": 25.0},
                                    {"seed": 2, "grad_noise": False, "lookup_weight": 100.0, "lr": 3e-3}]),
    # our model (name match, step embedding, bidirectional RNN, name dropout) without program search
    ("default", "columns-5", [{"seed": 3, "search_samples": 0}, {"seed": 4, "search_samples": 0, "noise_eta": 0.1}]),
    # an annealed softmax temperature, shared by the group
    ("default", "single-column", [{"seed": s, "search_samples": 0, "temperature": 4.0, "temperature_steps": 12,
                                   "long_first_steps": 10 * (s - 5)} for s in (5, 6)]),
    # Gumbel noise on the selection logits, drawn per run (one run without it)
    ("default", "columns-5", [{"seed": 7, "search_samples": 0, "selection_noise": 1.0, "temperature_steps": 12},
                              {"seed": 8, "search_samples": 0, "temperature_steps": 12}]),
])
def test_batched_runs_equal_separate_runs(preset, task, variations):
    cfgs = configs(preset, task, variations)
    mc = presets.model_config(preset, task, len(Vocab(data.vocabulary(task))), d=16)
    alone = [train(cfg, mc) for cfg in cfgs]
    together = train_many(cfgs, mc)
    for a, b in zip(alone, together, strict=True):
        assert b.summary["valid_accuracy"] == pytest.approx(a.summary["valid_accuracy"])
        assert b.summary["test_accuracy"] == pytest.approx(a.summary["test_accuracy"])
        assert b.summary["best_step"] == a.summary["best_step"]
        assert len(b.summary["curve"]) == SMALL["steps"] // SMALL["eval_every"]
        for (name, p), q in zip(a.model.named_parameters(), b.model.parameters(), strict=True):
            torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-6, msg=name)


def test_search_runs_and_mixed_shapes_are_refused():
    with pytest.raises(ValueError, match="program search"):
        check_group(configs("default", "single-column", [{}]))
    with pytest.raises(ValueError, match="steps"):
        check_group(configs("paper2016", "single-column", [{}, {"steps": 30}]))


def test_padded_stack_keeps_each_store_and_pads_inertly():
    vocab = Vocab(data.vocabulary("single-column"))
    small = encode(data.generate("single-column", "train", 3, 0), vocab, exact=False, bounded=False)
    large = encode(data.generate("single-column", "train", 5, 1), vocab, exact=False, bounded=False)
    both = padded_stack([small, large])
    assert len(both) == 8
    M = max(small.values.shape[1], large.values.shape[1])
    assert both.values.shape[1] == M
    torch.testing.assert_close(both.values[:3, :small.values.shape[1]], small.values)
    assert (both.row_mask[:3, small.values.shape[1]:] == 0).all()
    assert (both.numbers[:3, small.numbers.shape[1]:] == -1).all()


def test_cuda_without_a_gpu_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfgs = configs("paper2016", "single-column", [{"device": "cuda"}])
    with pytest.raises(ValueError, match="no CUDA GPU"):
        train_many(cfgs)
