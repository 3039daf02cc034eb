"""What a training step draws at random: batches (with the long-programs-first curriculum), hidden column names,
the Gumbel perturbation of the soft selections and the annealed gradient noise. Every draw comes from one of the
run's own CPU generators, never torch's global one, so a run is reproducible whatever else the process does, draws
the same numbers on every device, and engine/np2016/multi_train.py can draw each run's numbers as it would alone.
"""

from __future__ import annotations

import math

import torch


def drop_names(batch, rate: float, generator):
    """Hide column names from the embeddings (UNK in the question and the header) in a share of the examples, so
    the model learns to find columns through the name-match feature (which stays), as it must for unseen names."""
    return hide_names(batch, torch.rand(len(batch), generator=generator) < rate)


def hide_names(batch, hide):
    """drop_names for the chosen examples: hide (B,) bool."""
    in_name = (batch.name_match.sum(1) > 0) & hide[:, None]  # (B, Q) question words naming a column
    batch.question_ids = torch.where(in_name, torch.ones_like(batch.question_ids), batch.question_ids)
    named = (batch.name_ids > 0) & hide[:, None, None]
    batch.name_ids = torch.where(named, torch.ones_like(batch.name_ids), batch.name_ids)
    return batch


NOISE_SEED_OFFSET = 7_000_003  # the gradient noise's generator: cfg.seed + this, apart from sampling and data


def noise_std(step: int, eta: float) -> float:
    """The standard deviation of the annealed gradient noise, variance eta / (1 + t)^0.55 (spec §6.1)."""
    return math.sqrt(eta / (1 + step) ** 0.55)


LONG_PROGRAM_WORDS = frozenset({"and", "or", "diff"})  # program words of the two-filter and difference templates


def long_program_pool(examples: list[dict]) -> torch.Tensor:
    """Indices of the examples whose generating program needs two filters or a difference (its "program" or
    "template" holds and / or / diff): the pool the first `long_first_steps` batches are drawn from. (n,)"""
    def is_long(ex):
        text = ex.get("program") or ex.get("template") or ""
        return isinstance(text, str) and not LONG_PROGRAM_WORDS.isdisjoint(text.split())
    return torch.tensor([i for i, ex in enumerate(examples) if is_long(ex)], dtype=torch.long)


def draw_indices(n: int, pool: torch.Tensor | None, batch_size: int, generator) -> torch.Tensor:
    """A batch's example indices: uniform over all n examples, or over `pool` when one is given. (B,)"""
    if pool is None:
        return torch.randint(n, (batch_size,), generator=generator)
    return pool[torch.randint(len(pool), (batch_size,), generator=generator)]


def gumbel(shape, scale: float, generator: torch.Generator) -> torch.Tensor:
    """Gumbel(0, scale) noise drawn on the CPU from `generator` (the run's noise generator)."""
    uniform = torch.rand(shape, generator=generator).clamp(1e-10, 1.0 - 1e-7)
    return -scale * torch.log(-torch.log(uniform))


def logit_noise(batch_size: int, steps: int, ops: int, columns: int, scale: float, generator) -> dict:
    """The selection logits' Gumbel perturbation of one training batch: op (B, T, O), then col (B, T, C)."""
    return {"op": gumbel((batch_size, steps, ops), scale, generator),
            "col": gumbel((batch_size, steps, columns), scale, generator)}


def add_gradient_noise(params, step: int, eta: float, generator: torch.Generator):
    """Gaussian noise on every gradient (after clipping), drawn from the run's own generator as one flat
    vector in parameter order: the model-batched trainer draws the same numbers (engine/np2016/multi_train.py)."""
    params = [p for p in params if p.grad is not None]
    noise = torch.randn(sum(p.numel() for p in params), generator=generator)
    std = noise_std(step, eta)
    for p, n in zip(params, noise.split([p.numel() for p in params]), strict=True):
        p.grad.add_(n.view_as(p.grad).to(p.grad.device), alpha=std)
