"""A run's initial model is private and thread-safe, and still the one a seed gave before (engine/core/seeded_init.py):
the shipped checkpoints and RESULTS.md were trained from `torch.manual_seed(seed); NeuralProgrammer(config)`,
which these tests compute the old way, with the global generator, as the reference. Loading a checkpoint draws
no random numbers at all."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.core.seeded_init import seeded
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.checkpoint import load_checkpoint, save_checkpoint
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer
from engine.np2016.train import initial_model

CASES = [("default", "columns-3", {}), ("default", "names-5", {}), ("paper2016", "single-column", {}),
         ("default", "text-5", {"bidirectional": True, "question_attention": True, "step_embedding": True})]


def _config(preset, task, extra):
    return presets.model_config(preset, task, len(Vocab(data.vocabulary(task))), **extra)


def _old_way(config, seed):
    torch.manual_seed(seed)
    return NeuralProgrammer(config).state_dict()


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(("preset", "task", "extra"), CASES)
def test_a_seed_gives_the_weights_it_gave_before(preset, task, extra):
    config = _config(preset, task, extra)
    for seed in (0, 7):
        reference = _old_way(config, seed)
        cfg = presets.train_config(preset, task, seed=seed)
        model, _ = initial_model(cfg, config, None)
        assert _same(model.state_dict(), reference)
    assert not _same(_old_way(config, 0), _old_way(config, 7))  # the seed matters: the comparison can fail


def test_building_leaves_the_global_generator_alone():
    config = _config("default", "columns-3", {})
    torch.manual_seed(123)
    before = torch.get_rng_state()
    seeded(lambda: NeuralProgrammer(config), 5)
    assert torch.equal(torch.get_rng_state(), before)


def test_builds_in_threads_do_not_interleave_with_each_other_or_with_global_draws():
    config = _config("default", "columns-3", {})
    references = {seed: _old_way(config, seed) for seed in range(4)}
    built: dict[int, list] = {seed: [] for seed in references}
    stop = threading.Event()

    def draw_globally():
        while not stop.is_set():
            torch.rand(32)

    def build(seed):
        for _ in range(5):
            built[seed].append(seeded(lambda: NeuralProgrammer(config), seed).state_dict())

    noise = threading.Thread(target=draw_globally)
    noise.start()
    builders = [threading.Thread(target=build, args=(seed,)) for seed in references]
    for t in builders:
        t.start()
    for t in builders:
        t.join()
    stop.set()
    noise.join()
    for seed, states in built.items():
        assert len(states) == 5 and all(_same(state, references[seed]) for state in states), seed


def test_loading_a_checkpoint_draws_no_random_numbers(tmp_path):
    vocab = Vocab(data.vocabulary("columns-3"))
    torch.manual_seed(3)
    model = NeuralProgrammer(_config("default", "columns-3", {}))
    path = save_checkpoint(tmp_path / "m.safetensors", model, vocab, {"task": "columns-3"})
    before = torch.get_rng_state()
    loaded, _, _ = load_checkpoint(path)
    assert torch.equal(torch.get_rng_state(), before)
    assert _same(loaded.state_dict(), model.state_dict())
    assert all(p.device.type == "cpu" and p.requires_grad for p in loaded.parameters())
