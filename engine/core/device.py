"""Where a model runs: the `--device {cpu,cuda}` of training, evaluation and prediction.

Data is read, encoded, sampled and decoded on the CPU whatever the device: the generators that draw batches, name
dropout, gradient noise and searched programs are CPU generators, so a run draws the same numbers on every device
and its results agree to floating-point tolerance. Only the model and the tensors it reads move.
"""

from __future__ import annotations

import torch

from engine.core.settings import DEVICES


class DeviceError(ValueError):
    """A device that cannot be used here; the message is one line, fit for the command line."""


def resolve_device(name) -> torch.device:
    """The torch.device for "cpu" or "cuda"; DeviceError for any other name, or for "cuda" on a machine
    where torch finds no CUDA GPU (checked here, before any work, rather than at the first tensor moved)."""
    text = str(name)
    if text not in DEVICES:
        raise DeviceError(f"unknown device {text!r}: expected one of {', '.join(DEVICES)}")
    if text == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device cuda was asked for, but torch finds no CUDA GPU on this machine "
                          "(torch.cuda.is_available() is False); use --device cpu")
    return torch.device(text)


def model_device(model) -> torch.device:
    """The device of a model's weights (the CPU for a model without any)."""
    first = next(iter(model.parameters()), None)
    return torch.device("cpu") if first is None else first.device


def to_device(value, device):
    """`value` with every tensor in it (in a Batch, or anything with `.to`, in nested dicts, lists and tuples)
    on `device`; anything else as it is."""
    if isinstance(value, torch.Tensor) or callable(getattr(value, "to", None)):
        return value.to(device)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(v, device) for v in value)
    return value


class OnDevice:
    """A model on `device`, called with CPU inputs and returning CPU outputs, for predict's decoding and ask's trace,
    which read the outputs as Python values; every other attribute is the model's own."""

    def __init__(self, model, device):
        self.device = torch.device(device)
        self.model = model.to(self.device)

    def __call__(self, batch, *args, **kwargs):
        out = self.model(to_device(batch, self.device), *to_device(args, self.device),
                         **to_device(kwargs, self.device))
        return to_device(out, "cpu")

    def __getattr__(self, name):  # called only for names the wrapper lacks
        if name == "model":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.model, name)


def on_device(model, device):
    """The model itself on the CPU (exactly as without a device), else an OnDevice for it."""
    device = torch.device(device)
    return model if device.type == "cpu" else OnDevice(model, device)
