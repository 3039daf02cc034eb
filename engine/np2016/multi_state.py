"""The whole state of a model-batched computation (engine/np2016/multi_train.py) as one training-state file
(engine/core/train_state.py), so that K runs stopped together resume together bit for bit: every model's weights and
Adam moments (stacked, as the trainer holds them), which runs are still training, each run's two generators, its
curve and its best weights so far, and the loop's own bookkeeping (the step, finished runs, errors, steps run).
"""

from __future__ import annotations

import torch

from engine.core.limits import CHECKPOINT_MAX_BYTES
from engine.core.vocab import Vocab
from engine.np2016.config import ModelConfig, TrainConfig


def identity(cfgs: list[TrainConfig], model_config: ModelConfig, vocab: Vocab, sizes: list[tuple[int, int]]) -> dict:
    """What a state must match to resume these runs: their settings but their length (as engine.np2016.train
    allows a resumed run to go on for more steps), the model, the vocabulary and the data's sizes."""
    return {"train_configs": [{k: v for k, v in c.to_dict().items() if k != "steps"} for c in cfgs],
            "model_config": model_config.to_dict(), "vocab": vocab.words, "data": [list(s) for s in sizes]}


def state_bytes(trainer) -> int:
    """The size of the tensors `state` would save (its JSON is small beside them)."""
    stacked = sum(p.numel() * p.element_size() for p in trainer.params.values())  # weights, and twice for Adam
    best = sum(t.numel() * t.element_size() for _, _, weights in trainer.best for t in weights.values())
    return 3 * stacked + best


def fits(trainer) -> bool:
    """Whether a state of `trainer` can be read back (a state file is bounded as a checkpoint is)."""
    return state_bytes(trainer) < CHECKPOINT_MAX_BYTES - 1_000_000  # room for the header and the generators


def state(trainer, step: int, loop: dict) -> tuple[dict, dict]:
    """(tensors, JSON values) of `trainer` after `step`; `loop` is train_many's bookkeeping (JSON-able)."""
    tensors = {"active": trainer.active}
    for name, p in trainer.params.items():
        tensors[f"params.{name}"] = p
        tensors[f"exp_avg.{name}"], tensors[f"exp_avg_sq.{name}"] = trainer.exp_avg[name], trainer.exp_avg_sq[name]
    for k in range(trainer.K):
        tensors.update({f"best.{k}.{name}": t for name, t in trainer.best[k][2].items()})
        tensors[f"rng.batches.{k}"] = trainer.generators[k].get_state()
        tensors[f"rng.noise.{k}"] = trainer.noise_generators[k].get_state()
    # the curves as one float64 tensor (steps are exact in it): as JSON a long run's would outgrow the header
    points = [point for curve in trainer.curves for point in curve]
    tensors["curves"] = torch.tensor(points, dtype=torch.float64).reshape(len(points), 3)
    return tensors, {"step": step, "loop": loop, "curve_lengths": [len(c) for c in trainer.curves],
                     "best": [[accuracy, at] for accuracy, at, _ in trainer.best]}


def restore(trainer, tensors: dict, values: dict) -> tuple[int, dict]:
    """Put the state `state` saved back into `trainer`; (the step it was saved after, the loop's bookkeeping)."""
    with torch.no_grad():
        trainer.active.copy_(tensors["active"])
        for name, p in trainer.params.items():
            p.copy_(tensors[f"params.{name}"])
            trainer.exp_avg[name].copy_(tensors[f"exp_avg.{name}"])
            trainer.exp_avg_sq[name].copy_(tensors[f"exp_avg_sq.{name}"])
    points = [(int(step), train_acc, valid_acc) for step, train_acc, valid_acc in tensors["curves"].tolist()]
    start = 0
    for k, length in enumerate(values["curve_lengths"]):
        trainer.curves[k] = points[start:start + length]
        start += length
        prefix = f"best.{k}."
        weights = {name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)}
        accuracy, at = values["best"][k]
        trainer.best[k] = (accuracy, at, weights)
        trainer.generators[k].set_state(tensors[f"rng.batches.{k}"])
        trainer.noise_generators[k].set_state(tensors[f"rng.noise.{k}"])
    return values["step"], values["loop"]
