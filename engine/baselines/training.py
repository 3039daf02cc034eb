"""Training and evaluating the LSTM baselines on the simplified single-column task: fresh examples every step (Adam,
teacher forcing, a cosine learning-rate schedule), the best model kept on a fixed validation set; an answer is
correct when the greedily decoded string equals the true integer.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.core.device import resolve_device
from engine.np2016.evaluate import accuracy_report

from . import task
from .models import BaselineModel, build, model_inputs


def evaluate_baseline(model: BaselineModel, examples: list[dict], batch_size: int = 500,
                      details: bool = False) -> float | dict:
    """Exact-match accuracy of greedy decoding (details=True: also per template, and the flags)."""
    was_training = model.training
    model.eval()
    flags = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i:i + batch_size]
        texts = model.decode(*model_inputs(model, chunk))
        flags += [t == task.answer_text(ex) for t, ex in zip(texts, chunk, strict=True)]
    model.train(was_training)
    report = accuracy_report(examples, flags)
    return report if details else report["accuracy"]


def train_baseline(kind: str, config=None, steps: int = 5000, seed: int = 0, *, batch_size: int = 64,
                   lr: float = 5e-3, clip: float = 1.0, seconds: float | None = None, eval_every: int = 250,
                   eval_size: int = 500, threads: int = 1, device: str = "cpu") -> tuple[BaselineModel, dict]:
    """Train on fresh examples every step; keep the best model on a fixed validation set. The learning rate follows
    a cosine from lr to lr / 20 over the run, measured by steps or by `seconds` (a wall-clock budget), whichever is
    further along. Examples are drawn on the CPU, so a "cuda" `device` gives the same run up to floating-point
    tolerance; the model comes back on the CPU."""
    device = resolve_device(device)
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    model = build(kind, config).to(device)
    val = task.generate(eval_size, seed + 7_919)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    best_state, best_acc, best_step, step = copy.deepcopy(model.state_dict()), -1.0, 0, 0
    started = time.time()
    model.train()
    for step in range(1, steps + 1):
        frac = max(step / steps, (time.time() - started) / seconds if seconds else 0.0)
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        batch = task.sample(batch_size, rng)
        tgt = task.encode_targets([task.answer_text(ex) for ex in batch]).to(device)
        logits = model(*model_inputs(model, batch), tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=task.PAD)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        done = frac >= 1.0 or step == steps
        if step % eval_every == 0 or done:
            acc = evaluate_baseline(model, val)
            if acc > best_acc:
                best_state, best_acc, best_step = copy.deepcopy(model.state_dict()), acc, step
        if done:
            break
    model.load_state_dict(best_state)
    model.cpu().eval()
    model.info = {"kind": kind, "steps_run": step, "best_step": best_step, "val_accuracy": best_acc,
                  "val_size": eval_size, "seconds": round(time.time() - started, 1), "seed": seed,
                  "batch_size": batch_size, "lr": lr, "task": task.TASK_NAME,
                  "parameters": sum(p.numel() for p in model.parameters()), "device": str(device)}
    return model, dict(model.info)
