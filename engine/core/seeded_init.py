"""A model's random initialisation drawn from a private generator, with the very numbers torch's global one gave.

The shipped checkpoints and RESULTS.md were trained from `torch.manual_seed(seed); Module(...)`, but the global
generator is shared by every thread: two runs starting at once in the app interleave their draws. `seeded` hands
every random fill that names no generator a fresh CPU generator seeded with `seed`, which draws the same stream in
the same order, so the weights are bit for bit the old ones (tests/core/test_seeded_init.py) while the global
generator is neither read nor advanced; torch function modes are thread-local. `uninitialised` is for weights
loaded right after (a checkpoint): no random number drawn at all.
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
    """`torch.manual_seed(seed); build()`'s result without touching torch's global generator. Build on the CPU
    (the default device), as a run's model always is."""
    with PrivateDraws(torch.Generator().manual_seed(seed)):
        return build()


def uninitialised(build: Callable[[], T]) -> T:
    """`build()`'s module built on the meta device, then given uninitialised CPU weights for the caller to load."""
    with torch.device("meta"), SkipInitOnMeta():
        module = build()
    return module.to_empty(device="cpu")
