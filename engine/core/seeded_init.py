"""A model's random initialisation drawn from a private generator, with the very numbers torch's global one gave.

Runs used to seed torch's global generator and then build the model, so the initial weights of a seed are those
of `torch.manual_seed(seed); Module(...)`; the shipped checkpoints and RESULTS.md were trained from them. The
global generator is shared by every thread of the process, though: two runs starting at once in the app, or a
page building a module while a run starts, interleave their draws and a seed no longer fixes the weights.

`seeded(build, seed)` builds under a torch-function mode that hands every random fill that names no generator
(nn.init's functions, Tensor.uniform_ / normal_ and the factories) a fresh CPU generator seeded with `seed`.
A CPU generator seeded with s produces the same stream as the global one after torch.manual_seed(s), and the
same fills are drawn in the same order, so the weights are bit for bit the old ones (tests/core/test_seeded_init.py
compares them with a global-generator build), while the global generator is neither read nor advanced. Torch
function modes are thread-local, so a build in one thread never routes another thread's draws.

`uninitialised(build)` is for weights loaded right after (a checkpoint): built on the meta device with the
initialisers skipped, then given uninitialised CPU memory, so loading draws no random numbers at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch
from torch.overrides import TorchFunctionMode

from engine.core.safetensors_reader import SkipInitOnMeta  # the reader's shape-only builds use it too

T = TypeVar("T")

# torch functions and Tensor methods that draw random numbers and take a `generator=` keyword
RANDOM_DRAWS = frozenset({
    "uniform_", "normal_", "random_", "bernoulli_", "exponential_", "cauchy_", "log_normal_", "geometric_",
    "rand", "randn", "randint", "randperm", "bernoulli", "multinomial", "normal", "poisson",
})


class PrivateDraws(TorchFunctionMode):
    """Routes random draws that name no generator to `generator` (the caller's own) instead of the global one."""

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.generator = generator

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        # nn.init passes generator=None explicitly; a bare Tensor.uniform_(a, b) or torch.rand(n) passes none
        named_none = "generator" in kwargs and kwargs["generator"] is None
        if named_none or (getattr(func, "__name__", "") in RANDOM_DRAWS and "generator" not in kwargs):
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


def seeded(build: Callable[[], T], seed: int) -> T:
    """`build()` with its random initialisation drawn from a CPU generator seeded with `seed`: the result
    `torch.manual_seed(seed); build()` gave, without touching torch's global generator. Build on the CPU
    (the default device), as a run's model always is."""
    with PrivateDraws(torch.Generator().manual_seed(seed)):
        return build()


def uninitialised(build: Callable[[], T]) -> T:
    """`build()`'s module with uninitialised CPU weights, for a caller that loads every weight next: built on
    the meta device with the initialisers skipped (no random number drawn, no time spent on values thrown
    away), then given CPU memory."""
    with torch.device("meta"), SkipInitOnMeta():
        module = build()
    return module.to_empty(device="cpu")
