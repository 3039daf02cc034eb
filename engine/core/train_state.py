"""A training run's whole state in one file, so that a run stopped (Ctrl-C, a restart, the clock) resumes bit for
bit: the model, the optimiser, every random generator, the step, the curves. Tensors go in a .safetensors body and
everything else in its JSON metadata: reading a state file runs no code (no pickle), and its size is bounded before
it is read, as a checkpoint's is. Each family says what its state holds; this module only stores and restores it.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from engine.core.io.atomic import write_atomic
from engine.core.safetensors_reader import CheckpointError, check_schema, json_field, read_header, read_source

SCHEMA = "np-explorer-train-state/1"


def state_path(output: str | Path) -> Path:
    """Where a run writing `output` (CKPT.safetensors) keeps its state: CKPT.state.safetensors beside it."""
    output = Path(output)
    return output.with_name(output.name.removesuffix(".safetensors") + ".state.safetensors")


def save_state(path: str | Path, tensors: dict[str, torch.Tensor], values: dict) -> Path:
    """Write `tensors` and the JSON-able `values` atomically (a stopped write leaves the previous state)."""
    body = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    return write_atomic(path, save_tensors(body, metadata={"schema": SCHEMA, "values": json.dumps(values)}))


def load_state(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, values) of a state file (CheckpointError when it is not one, or is damaged)."""
    raw = read_source(Path(path), "training state")
    meta = check_schema(read_header(raw, "training state"), SCHEMA, "training state")
    try:
        return load_tensors(raw), json_field(meta, "values", dict)
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - any damage is one clear message
        raise CheckpointError(f"{path}: unreadable training state ({type(e).__name__}: {e})") from e


class Autosave:
    """Where and how often a run saves its state (with the run's identity), said once for both families."""

    def __init__(self, path: str | Path | None, every: float, resume: bool, total: int, eval_every: int):
        self.path, self.every, self.resume = (Path(path) if path else None), every, resume
        self.total, self.eval_every, self.identity = total, eval_every, None
        self.last = time.perf_counter()

    def resumed(self, identity: dict) -> tuple[dict, dict] | None:
        """The saved state to go on from: None for a fresh run, ValueError when it is another run's."""
        self.identity = identity
        if not (self.resume and self.path is not None and self.path.is_file()):
            return None
        tensors, values = load_state(self.path)
        if values.get("identity") != json.loads(json.dumps(identity)):  # as JSON gives it back
            raise ValueError(f"{self.path} is the state of another run (other data or settings): remove it, or "
                             "train without --resume")
        return tensors, values

    def due(self, step: int) -> bool:
        """Time to save after `step`, unless the loop evaluates there: a state saved before an evaluation would
        resume without it (the end of the run saves after its last step anyway)."""
        evaluates = step % self.eval_every == 0 or step == self.total
        return not evaluates and self.overdue()

    def overdue(self) -> bool:
        """`every` seconds have passed since the last save (for a loop that saves after its evaluations)."""
        return self.path is not None and time.perf_counter() - self.last > self.every

    def save(self, tensors: dict[str, torch.Tensor], values: dict) -> None:
        if self.path is not None:
            save_state(self.path, tensors, {**values, "identity": self.identity})
            self.last = time.perf_counter()


def optimizer_state(opt: torch.optim.Optimizer, prefix: str = "opt.") -> tuple[dict, dict]:
    """An optimiser's state as (tensors, JSON values)."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for pid, entry in sd["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}{pid}.{key}"] = value
            else:
                scalars[f"{pid}.{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars,
                     "keys": {str(pid): sorted(entry) for pid, entry in sd["state"].items()}}


def restore_optimizer(opt: torch.optim.Optimizer, tensors: dict, values: dict, prefix: str = "opt.") -> None:
    state = {}
    for pid, keys in values["keys"].items():
        state[int(pid)] = {k: tensors[f"{prefix}{pid}.{k}"] if f"{prefix}{pid}.{k}" in tensors
                           else values["scalars"][f"{pid}.{k}"] for k in keys}
    opt.load_state_dict({"state": state, "param_groups": values["param_groups"]})


def generator_state(rng: random.Random) -> list:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def restore_generator(rng: random.Random, saved: list) -> None:
    rng.setstate((saved[0], tuple(saved[1]), saved[2]))
