"""Many models in one process: K independent soft-training runs as one batched computation.

At d = 64 a step is bound by the *count* of small tensor operations (~600), not their arithmetic, so the K
models' parameters are stacked (torch.func.stack_module_state) and the forward pass runs under torch.func.vmap.
Each run keeps its own initialisation, data, generators, hyper-parameters, validation and best model, so K runs
here equal K runs of `engine.np2016.train.train` (tests/np2016/test_multi_train.py). Runs may differ in anything
that leaves the shapes and the program alike; `SHARED` and the ModelConfig must be equal. Program search samples
discrete programs per model, which does not batch this way: such a run trains alone. With a state file the whole
computation saves itself and resumes bit for bit (engine/np2016/multi_state.py).
"""

from __future__ import annotations

import copy
import math
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from engine.core import train_state
from engine.core.device import resolve_device
from engine.np2016 import multi_state
from engine.np2016.batch import Batch, encode
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.evaluate import evaluate, loss_fn
from engine.np2016.model import NeuralProgrammer
from engine.np2016.sampling import NOISE_SEED_OFFSET, draw_indices, hide_names, logit_noise, long_program_pool
from engine.np2016.train import TrainResult, data_style, initial_model, new_summary, test_accuracy, training_data

# TrainConfig fields every run of one batched computation must share (shapes, schedule, the program)
SHARED = ("task", "preset", "steps", "batch_size", "eval_every", "balanced_lookup", "soft_loss", "search_samples",
          "search_weight", "threads", "compile", "temperature", "temperature_steps", "device")
BETAS = (0.9, 0.999)  # Adam's defaults, as engine.np2016.train's torch.optim.Adam


def batchable(cfg: TrainConfig) -> str | None:
    """Why `cfg` cannot train in a model-batched group (None when it can)."""
    reasons = {"program search samples programs per model; train it alone": cfg.program_search,
               "without the soft loss there is nothing to train by gradient descent": not cfg.soft_loss,
               "torch.compile is not combined with vmap here": cfg.compile}
    return next((why for why, applies in reasons.items() if applies), None)


def check_group(cfgs: list[TrainConfig]) -> None:
    """ValueError unless `cfgs` can train as one batched computation."""
    if not cfgs:
        raise ValueError("no runs to train")
    for cfg in cfgs:
        if why := batchable(cfg):
            raise ValueError(f"run with seed {cfg.seed} cannot be model-batched: {why}")
        for name in SHARED:
            if getattr(cfg, name) != getattr(cfgs[0], name):
                raise ValueError(f"runs trained together must share {name} "
                                 f"({getattr(cfgs[0], name)!r} and {getattr(cfg, name)!r})")


def padded_stack(batches: list[Batch]) -> Batch:
    """The K stores concatenated along the examples, each padded as `encode` pads (zeros, -1 for absent numbers)
    to the largest store's shape; the masks make the padding inert."""
    out = {}
    for f in fields(Batch):
        parts = [getattr(b, f.name) for b in batches]
        shape = [max(p.shape[i] for p in parts) for i in range(1, parts[0].dim())]
        fill = -1.0 if f.name == "numbers" else 0
        padded = []
        for p in parts:  # F.pad's (before, after) widths run from the last dimension back
            widths = [w for n, m in zip(reversed(p.shape[1:]), reversed(shape), strict=True) for w in (0, m - n)]
            padded.append(F.pad(p, widths, value=fill) if any(widths) else p)  # a store already that size: no copy
        out[f.name] = torch.cat(padded)
    return Batch(**out)


class MultiTrainer:
    """K runs as one: stacked parameters, a vmapped loss, a per-model Adam, clipping and noise."""

    def __init__(self, cfgs: list[TrainConfig], models: list[NeuralProgrammer], vocab, data: list[tuple]):
        self.cfgs, self.K, self.vocab = cfgs, len(cfgs), vocab
        # the weights and optimiser state live on the device; data, sampling and noise stay on the CPU (CPU
        # generators, as engine.np2016.train), so every device draws the same numbers
        self.device = device = resolve_device(cfgs[0].device)
        self.models = models  # plain modules: each model's evaluation copy and its initial weights
        # id of a (train, valid) pair -> its encoded sets, shared by its runs
        encoded = {key: [encode(part, vocab, exact=False, bounded=False) for part in pair]
                   for key, pair in {id(pair): pair for pair in data}.items()}
        sets = [encoded[id(pair)][0] for pair in data]
        self.sizes = [len(s) for s in sets]
        self.columns = [s.values.shape[2] for s in sets]  # each store's own column count, before padding
        pools = {id(pair): long_program_pool(pair[0]) for pair in data}  # read only while step <= long_first_steps
        self.long_pools = [pools[id(pair)] for pair in data]
        unique = list({id(s): s for s in sets}.values())  # each distinct training set stored once
        starts = dict(zip((id(s) for s in unique), torch.tensor([0] + [len(s) for s in unique[:-1]]).cumsum(0),
                          strict=True))
        self.offsets = torch.stack([starts[id(s)] for s in sets])  # (K,) where each run's examples start
        self.store = padded_stack(unique)  # (sum of distinct sizes, M, C, ...)
        self.eval_sets = [encoded[id(pair)][1].to(device) for pair in data]
        self.train_probes = [s.index(slice(0, min(len(s), c.eval_size))).to(device)
                             for s, c in zip(sets, cfgs, strict=True)]
        self.params, _ = stack_module_state([m.to(device) for m in models])  # name -> (K, ...) leaf tensors
        self.base = copy.deepcopy(models[0]).to("meta")  # the function the stacked parameters are run through
        self.base.unroll_rnn = True
        self.generators = [torch.Generator().manual_seed(c.seed) for c in cfgs]
        self.noise_generators = [torch.Generator().manual_seed(c.seed + NOISE_SEED_OFFSET) for c in cfgs]

        def per_model(values):  # (K,) float32
            return torch.tensor(values, dtype=torch.float32, device=device)

        self.lr, self.eps = per_model([c.lr for c in cfgs]), per_model([c.adam_eps for c in cfgs])
        self.clip = per_model([c.clip for c in cfgs])
        self.eta = per_model([c.noise_eta if c.grad_noise else 0.0 for c in cfgs])
        self.delta, self.lam = per_model([c.huber_delta for c in cfgs]), per_model([c.lookup_weight for c in cfgs])
        self.exp_avg = {n: torch.zeros_like(p) for n, p in self.params.items()}
        self.exp_avg_sq = {n: torch.zeros_like(p) for n, p in self.params.items()}
        # runs still training (not finished, not diverged)
        self.active = torch.ones(self.K, dtype=torch.bool, device=device)
        self.best = [(-1.0, 0, copy.deepcopy(m.state_dict())) for m in models]  # (valid acc, step, weights)
        self.curves: list[list] = [[] for _ in cfgs]  # per run: (step, train_acc, valid_acc)
        balanced = cfgs[0].balanced_lookup
        self.temperature = 1.0  # the soft selections' temperature at the current step (shared by the runs)

        def loss_one(params, batch_fields, delta, lam, noise):
            batch = Batch(**batch_fields)
            out = functional_call(self.base, params, (batch,),
                                  {"temperature": self.temperature, "logit_noise": noise or None})
            return loss_fn(out, batch, delta, lam, balanced)

        self.losses = vmap(loss_one)  # (K,) losses of (K, ...) parameters, batches and hyper-parameters

    def sample(self, step: int) -> dict:
        """Each run's batch, drawn by its own generator as `train.Trainer.step` draws it, stacked. (K, B, ...)"""
        B = self.cfgs[0].batch_size
        idx = torch.stack([draw_indices(n, pool if step <= c.long_first_steps and len(pool) else None, B, g)
                           for n, pool, c, g in zip(self.sizes, self.long_pools, self.cfgs, self.generators,
                                                    strict=True)])  # (K, B)
        batch = self.store.index((idx + self.offsets[:, None]).view(-1))
        if self.models[0].config.name_match and any(c.name_dropout > 0 for c in self.cfgs):
            # each run's draw from its own generator, right after its indices (as drop_names draws), applied once
            hide = torch.cat([torch.rand(B, generator=g) < c.name_dropout if c.name_dropout > 0
                              else torch.zeros(B, dtype=torch.bool)
                              for c, g in zip(self.cfgs, self.generators, strict=True)])  # (K*B,)
            batch = hide_names(batch, hide)
        batch = batch.to(self.device)
        return {f.name: getattr(batch, f.name).view(self.K, B, *getattr(batch, f.name).shape[1:])
                for f in fields(Batch)}

    def logit_noise(self, step: int) -> dict:
        """Each run's Gumbel perturbation of the selection logits, drawn as train.Trainer draws it (its own
        columns, then padded); {} when no run has selection noise. (K, B, T, O) and (K, B, T, C)"""
        scales = [c.selection_noise_at(step) for c in self.cfgs]
        if not any(s > 0 for s in scales):
            return {}
        config, B, C = self.models[0].config, self.cfgs[0].batch_size, self.store.values.shape[2]
        parts = []
        for scale, columns, g in zip(scales, self.columns, self.noise_generators, strict=True):
            if scale > 0:
                noise = logit_noise(B, config.T, len(config.ops), columns, scale, g)
            else:
                noise = {"op": torch.zeros(B, config.T, len(config.ops)), "col": torch.zeros(B, config.T, 0)}
            noise["col"] = torch.nn.functional.pad(noise["col"], (0, C - noise["col"].shape[2]))
            parts.append(noise)
        return {k: torch.stack([p[k] for p in parts]).to(self.device) for k in ("op", "col")}

    def step(self, step: int) -> torch.Tensor:
        """One optimiser step of every active run; the (K,) losses (non-finite for a run that diverged, whose
        weights are then left as they were)."""
        self.temperature = self.cfgs[0].temperature_at(step)
        batch = self.sample(step)
        losses = self.losses(self.params, batch, self.delta, self.lam, self.logit_noise(step))  # (K,)
        finite = torch.isfinite(losses).detach()
        self.active &= finite
        for p in self.params.values():
            p.grad = None
        torch.where(self.active, losses, torch.zeros_like(losses)).sum().backward()
        with torch.no_grad():
            self._update(step)
        return losses.detach()

    def _update(self, step: int) -> None:
        names, K = list(self.params), self.K
        grads = [torch.nan_to_num(self.params[n].grad) if self.params[n].grad is not None
                 else torch.zeros_like(self.params[n]) for n in names]
        # nn.Embedding's padding_idx keeps word 0's gradient at zero, but under vmap only for the first model
        # (the batching rule offsets the ids of the others): zero it for all, as each lone run has it
        grads[names.index("embed.weight")][:, 0] = 0.0
        # global-norm clipping per model, as torch.nn.utils.clip_grad_norm_ (coefficient clamped at 1)
        norm = torch.stack([g.reshape(K, -1).pow(2).sum(1) for g in grads]).sum(0).sqrt()  # (K,)
        coef = (self.clip / (norm + 1e-6)).clamp(max=1.0)
        # annealed noise per model from its own generator, one flat vector in parameter order (train.py)
        total = sum(g[0].numel() for g in grads)
        std = (self.eta / (1 + step) ** 0.55).sqrt()  # (K,) = sampling.noise_std(step, eta) per model
        noise = torch.stack([torch.randn(total, generator=g) for g in self.noise_generators]).to(self.device)
        noise = noise.split([g[0].numel() for g in grads], dim=1)
        bc1, bc2 = 1 - BETAS[0] ** step, 1 - BETAS[1] ** step
        live = self.active.to(torch.float32)
        for n, g, z in zip(names, grads, noise, strict=True):
            view = (K,) + (1,) * (g.dim() - 1)
            g = g * coef.view(view) + std.view(view) * z.view_as(g)
            m, v = self.exp_avg[n], self.exp_avg_sq[n]
            m.lerp_(g, 1 - BETAS[0])
            v.mul_(BETAS[1]).addcmul_(g, g, value=1 - BETAS[1])
            denom = v.sqrt() / math.sqrt(bc2) + self.eps.view(view)
            self.params[n].sub_((live * self.lr / bc1).view(view) * m / denom)

    def model(self, k: int) -> NeuralProgrammer:
        """Run k's current weights in its plain module (for evaluation and the result)."""
        model = self.models[k]
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(self.params[name][k])
        return model

    def evaluate(self, step: int, k: int) -> float:
        model = self.model(k)
        valid_acc = evaluate(model, self.eval_sets[k]).float().mean().item()
        train_acc = evaluate(model, self.train_probes[k]).float().mean().item()
        self.curves[k].append((step, train_acc, valid_acc))
        if valid_acc > self.best[k][0]:
            self.best[k] = (valid_acc, step, copy.deepcopy(model.state_dict()))
        return valid_acc


def train_many(cfgs: list[TrainConfig], model_config: ModelConfig | None = None, *,
               stop: threading.Event | None = None, target_accuracy: float | None = None,
               on_eval: Callable[[int, int, float], None] | None = None, state_file: Path | None = None,
               resume: bool = False, save_every: float = 300.0) -> list[TrainResult]:
    """Train the runs `cfgs` (see SHARED) as one model-batched computation; one TrainResult per run, in order,
    with the summary `engine.np2016.train.train` writes plus "curve": [(step, train_acc, valid_acc)].

    target_accuracy: a run stops (its weights freeze) once its validation accuracy reaches it; the whole
    computation stops when every run has. on_eval(k, step, valid_acc) is called after each validation.
    state_file: save the whole computation's state there (engine/np2016/multi_state.py) every `save_every`
    seconds and when it ends; with `resume`, go on from it bit for bit (ValueError for another group's state)."""
    check_group(cfgs)
    resolve_device(cfgs[0].device)  # a clear error before any data is generated
    stop = stop or threading.Event()
    first = cfgs[0]
    if first.threads:
        torch.set_num_threads(first.threads)
    started = time.time()
    built = [initial_model(cfg, model_config, None) for cfg in cfgs]  # each seeded as a lone run would be
    vocab = built[0][1]
    # runs that differ only in hyper-parameters (a sweep's grid points of one seed) read the same data
    keys = [(c.seed, c.train_size, c.eval_size, data_style(c)) for c in cfgs]  # the task is SHARED
    generated = {key: training_data(cfg, stop) for key, cfg in dict(zip(keys, cfgs, strict=True)).items()}
    data = [generated[key] for key in keys]
    if any(d is None for d in data):
        raise InterruptedError("stopped while generating data")
    trainer = MultiTrainer(cfgs, [m for m, _ in built], vocab, data)
    sizes = [(len(train), len(valid)) for train, valid in data]
    del data, generated  # the examples as Python objects (several times the encoded stores): no longer read
    done = [False] * len(cfgs)  # finished: reached the target
    errors: list[str | None] = [None] * len(cfgs)
    steps_run = [0] * len(cfgs)
    autosave = _autosave(trainer, state_file, save_every, resume, cfgs)
    saved = autosave.resumed(multi_state.identity(cfgs, trainer.models[0].config, vocab, sizes))
    last = 0  # the last step every run has finished (trained and, where due, evaluated)
    if saved is not None:
        last, loop = multi_state.restore(trainer, *saved)
        done, errors, steps_run = loop["done"], loop["errors"], loop["steps_run"]

    def save() -> None:
        autosave.save(*multi_state.state(trainer, last, {"done": done, "errors": errors, "steps_run": steps_run}))

    train_started = time.time()
    for step in range(last + 1, first.steps + 1):
        if stop.is_set() or not trainer.active.any():
            break
        losses = trainer.step(step)
        active = trainer.active.tolist()
        for k in range(len(cfgs)):
            if not active[k]:
                if errors[k] is None and not done[k]:
                    errors[k] = f"training stopped at step {step}: the loss became {losses[k].item()}"
                continue
            steps_run[k] = step
            if step % first.eval_every == 0 or step == first.steps:
                acc = trainer.evaluate(step, k)
                if on_eval:
                    on_eval(k, step, acc)
                if target_accuracy is not None and acc >= target_accuracy:
                    done[k] = True
                    trainer.active[k] = False
        last = step
        if autosave.overdue():  # after the step's evaluations, so a resumed run never repeats or skips one
            save()
    if autosave.path is not None:
        save()  # after the last step taken, before the closing evaluations of a stopped run
    seconds = round(time.time() - train_started, 2)
    results = []
    for k, cfg in enumerate(cfgs):
        if errors[k] is None and (not trainer.curves[k] or trainer.curves[k][-1][0] != steps_run[k]):
            trainer.evaluate(steps_run[k], k)
        best_acc, best_step, state = trainer.best[k]
        model = trainer.models[k]
        model.load_state_dict(state)
        model.cpu().eval()
        summary = new_summary(cfg, *sizes[k])
        summary.update(steps_run=steps_run[k], best_step=best_step, valid_accuracy=best_acc,
                       test_accuracy=test_accuracy(cfg, model, vocab, stop), seconds=seconds, stopped=stop.is_set(),
                       error=errors[k], curve=list(trainer.curves[k]), models_batched=len(cfgs),
                       total_seconds=round(time.time() - started, 2))
        results.append(TrainResult(model, vocab, summary))
    return results


def _autosave(trainer: MultiTrainer, state_file: Path | None, save_every: float, resume: bool,
              cfgs: list[TrainConfig]) -> train_state.Autosave:
    """Where the group's state goes; nowhere (with a warning) when it would be too large to read back."""
    if state_file is not None and not multi_state.fits(trainer):
        warnings.warn(f"the state of these {len(cfgs)} runs ({multi_state.state_bytes(trainer) / 2**20:.0f} MB) is "
                      f"over the size a state file may have: not saved in {state_file}; train fewer runs together "
                      "to make them resumable", stacklevel=3)
        state_file = None
    return train_state.Autosave(state_file, save_every, resume, cfgs[0].steps, cfgs[0].eval_every)
