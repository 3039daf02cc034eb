"""How long a training run will take, measured before it starts from a short warm-up of the real thing.

The run's own model takes a few real optimiser steps at the run's batch size and one evaluation, on a handful of
generated examples (their generation timed too). Scaled up: data ((train_size + eval_size) examples generated),
training (steps x one step), evaluations (every eval_every steps and after the last, on eval_size validation
examples plus as many training ones) and tests (test_size examples generated and scored, `tests` times). It runs
in the caller's thread and draws no number from torch's global generator, so it never changes a run beside it.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace

import torch

from engine.core.eta import evaluations_left
from engine.core.vocab import Vocab
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import evaluate_examples
from engine.np2016.model import NeuralProgrammer
from engine.np2016.train import Progress, Trainer, data_style, initial_model

SAMPLE_EXAMPLES = 24  # examples generated (and evaluated) to time one example
MAX_TIMED_STEPS = 5
STEP_BUDGET_SECONDS = 1.5  # timed steps stop once they have taken this long (at least one is timed)
COMPILE_SECONDS = 60.0  # torch.compile's one-off cost on a 2-core CPU (engine/np2016/config.py), not measured here


@dataclass(frozen=True)
class Estimate:
    """Seconds for each part of a run, and how they were measured."""

    data_seconds: float
    step_seconds: float  # one optimiser step
    eval_seconds: float  # one evaluation (validation + training probe)
    test_seconds: float  # every test-split scoring together
    compile_seconds: float
    steps: int
    evaluations: int
    timed_steps: int

    @property
    def total(self) -> float:
        return (self.data_seconds + self.steps * self.step_seconds + self.evaluations * self.eval_seconds
                + self.test_seconds + self.compile_seconds)


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def measure(cfg: TrainConfig, model_config: ModelConfig | None = None, *,
            init: tuple[NeuralProgrammer, Vocab] | None = None, examples: list[dict] | None = None,
            tests: int = 1) -> Estimate:
    """The time `engine.np2016.train.train(cfg, model_config, init=init, train_examples=examples, ...)` will take,
    followed by `tests` scorings of cfg.task's test split (cfg.test_size examples each; none when 0)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)  # as the run will: the thread count sets the speed
    style = data_style(cfg)
    data.generate(cfg.task, "valid", 2, cfg.seed, style=style)  # warm-up: the generator's one-off set-up
    sample, generate_seconds = _timed(lambda: data.generate(cfg.task, "train", SAMPLE_EXAMPLES, cfg.seed,
                                                            style=style))
    per_generated = generate_seconds / max(len(sample), 1)
    given = examples is not None
    train_examples = copy.deepcopy(examples) if given else sample
    model, vocab = initial_model(cfg, model_config, init)
    # the trainer of the run's settings on the small set; compiling is left out (its cost is a constant)
    trainer = Trainer(replace(cfg, compile=False, eval_size=len(train_examples)), model, vocab, train_examples,
                      train_examples, Progress())
    trainer.step(1)  # warm-up: first-call allocations, kept out of the timing
    timed, spent = 0, 0.0
    while timed < MAX_TIMED_STEPS and (timed == 0 or spent < STEP_BUDGET_SECONDS):
        _, seconds = _timed(lambda step=timed + 2: trainer.step(step))
        timed, spent = timed + 1, spent + seconds
    trainer.evaluate(0)  # warm-up, as for the steps
    _, evaluation = _timed(lambda: trainer.evaluate(0))  # the small set twice: as validation and as probe
    per_evaluated = evaluation / (2 * len(train_examples))
    evaluated_per_eval = (len(examples) * 2 if given else cfg.eval_size + min(cfg.train_size, cfg.eval_size))
    test_each = 0.0
    if cfg.test_size and tests:
        _, scored = _timed(lambda: evaluate_examples(trainer.keep_best(), vocab, sample))
        test_each = cfg.test_size * (per_generated + scored / max(len(sample), 1))
    return Estimate(
        data_seconds=0.0 if given else (cfg.train_size + cfg.eval_size) * per_generated,
        step_seconds=spent / timed,
        eval_seconds=evaluated_per_eval * per_evaluated,
        test_seconds=tests * test_each,
        compile_seconds=COMPILE_SECONDS if cfg.compile else 0.0,
        steps=cfg.steps,
        evaluations=evaluations_left(0, cfg.steps, cfg.eval_every),
        timed_steps=timed,
    )
