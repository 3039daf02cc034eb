"""Training (spec §5.1, §6.1): Adam, global-norm clipping, annealed gradient noise, periodic evaluation.

`train()` is a plain function with a thread-safe `Progress` object and a stop `threading.Event`, so the
CLI shows a progress bar and the app can run it in a background thread and poll it.
"""

from __future__ import annotations

import copy
import math
import threading
import time
import warnings
from dataclasses import dataclass, field

import torch

from . import data
from .batch import encode
from .config import NUMERIC_OPS, TEXT_OPS, ModelConfig, TrainConfig
from .evaluate import evaluate, loss_fn
from .model import NeuralProgrammer
from .search import ProgramMemory, search_loss
from .vocab import Vocab


class TrainingError(RuntimeError):
    """Training stopped for a reason the user must hear about (e.g. a NaN loss)."""


@dataclass
class Progress:
    """Lock-protected training state, written by the trainer and read (snapshot) by any other thread."""

    total: int = 0
    step: int = 0
    losses: list = field(default_factory=list)  # (step, loss)
    evals: list = field(default_factory=list)  # (step, train_acc, test_acc)
    best_accuracy: float = -1.0
    started: float = field(default_factory=time.time)
    done: bool = False
    stopped: bool = False
    error: str | None = None
    message: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, v)

    def add_loss(self, step: int, loss: float):
        with self.lock:
            self.step = step
            self.losses.append((step, loss))

    def on_step(self, step: int, model) -> None:
        """Called by the trainer after every optimiser step with the live model; override to watch it
        (e.g. copy its weights for a probe view). Must not modify the model."""

    def snapshot(self) -> dict:
        with self.lock:
            elapsed = time.time() - self.started
            rate = self.step / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.step) / rate if rate > 0 else None
            return {"total": self.total, "step": self.step, "losses": list(self.losses),
                    "evals": list(self.evals), "best_accuracy": self.best_accuracy, "elapsed": elapsed,
                    "eta": eta, "done": self.done, "stopped": self.stopped, "error": self.error,
                    "message": self.message}


@dataclass
class TrainResult:
    model: NeuralProgrammer
    vocab: Vocab
    summary: dict


def default_model_config(task: str, vocab_size: int, **overrides) -> ModelConfig:
    """The model variant a task needs: text_match for text tables, a bidirectional RNN for 5+ columns."""
    spec = data.TASKS[task]
    settings = {"vocab_size": vocab_size, "ops": TEXT_OPS if spec.text_columns else NUMERIC_OPS,
                "bidirectional": spec.max_columns + spec.text_columns >= 5}
    settings.update(overrides)
    return ModelConfig(**settings)


def drop_names(batch, rate: float, generator):
    """Hide column names from the embeddings (UNK in the question and the header) in a share of the examples,
    so the model learns to find columns through the name-match feature, as it must for names never seen in
    training (a names-5 test table). The match feature itself is computed from the words and stays."""
    hide = torch.rand(len(batch), generator=generator) < rate  # (B,)
    in_name = (batch.name_match.sum(1) > 0) & hide[:, None]  # (B, Q) question words naming a column
    batch.question_ids = torch.where(in_name, torch.ones_like(batch.question_ids), batch.question_ids)
    named = (batch.name_ids > 0) & hide[:, None, None]
    batch.name_ids = torch.where(named, torch.ones_like(batch.name_ids), batch.name_ids)
    return batch


def add_gradient_noise(params, step: int, eta: float):
    """Gaussian noise of variance eta / (1 + t)^0.55 on every gradient (spec §6.1, after clipping)."""
    std = math.sqrt(eta / (1 + step) ** 0.55)
    for p in params:
        if p.grad is not None:
            p.grad.add_(torch.randn_like(p.grad), alpha=std)


def train(cfg: TrainConfig, model_config: ModelConfig | None = None, *, progress: Progress | None = None,
          stop: threading.Event | None = None, init: tuple[NeuralProgrammer, Vocab] | None = None,
          train_examples: list[dict] | None = None, eval_examples: list[dict] | None = None,
          target_accuracy: float | None = None) -> TrainResult:
    """Train a Neural Programmer on `cfg.task` (or on `train_examples`), keeping the best evaluated model.

    init: fine-tune this (model, vocab) instead of starting from scratch (the model is copied).
    target_accuracy: stop as soon as the evaluation accuracy reaches it.
    """
    progress = progress or Progress()
    stop = stop or threading.Event()
    progress.update(total=cfg.steps, started=time.time(), message="generating data")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)

    if train_examples is None:
        train_examples = data.generate(cfg.task, "train", cfg.train_size, cfg.seed)
    if eval_examples is None:
        eval_examples = data.generate(cfg.task, "test", cfg.eval_size, cfg.seed + 1_000_003)
    if init is not None:
        model, vocab = copy.deepcopy(init[0]), init[1]
    else:
        vocab = Vocab(data.vocabulary(cfg.task))
        model = NeuralProgrammer(model_config or default_model_config(cfg.task, len(vocab)))
    if model.config.vocab_size != len(vocab):
        raise ValueError("model vocab_size does not match the vocabulary")
    train_set, eval_set = encode(train_examples, vocab), encode(eval_examples, vocab)
    train_probe = train_set.index(slice(0, min(len(train_set), cfg.eval_size)))

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=cfg.lr, eps=cfg.adam_eps, fused=True)
    generator = torch.Generator().manual_seed(cfg.seed)
    memory = ProgramMemory(cfg.search_memory) if cfg.search_memory > 0 else None
    # the compiled module shares the model's parameters; the model itself stays plain for evaluation
    forward = torch.compile(model) if cfg.compile else model
    best_state, best_acc, best_step = copy.deepcopy(model.state_dict()), -1.0, 0
    progress.update(message="training", started=time.time())
    started, step, steps_done = time.time(), 0, 0
    model.train()

    def run_eval(step):
        nonlocal best_state, best_acc, best_step
        test_acc = evaluate(model, eval_set).float().mean().item()
        train_acc = evaluate(model, train_probe).float().mean().item()
        if test_acc > best_acc:
            best_state, best_acc, best_step = copy.deepcopy(model.state_dict()), test_acc, step
        with progress.lock:
            progress.evals.append((step, train_acc, test_acc))
            progress.best_accuracy = best_acc
        return test_acc

    for step in range(1, cfg.steps + 1):
        if stop.is_set():
            progress.update(stopped=True)
            break
        idx = torch.randint(len(train_set), (cfg.batch_size,), generator=generator)
        batch = train_set.index(idx)
        if cfg.name_dropout > 0 and model.config.name_match:
            batch = drop_names(batch, cfg.name_dropout, generator)
        try:
            out = forward(batch)
        except Exception as e:  # compile failures surface at the first call, as many exception types
            if forward is model:
                raise
            # e.g. no C++ compiler: say so and go on without compiling, rather than lose the run
            note = f"torch.compile failed ({type(e).__name__}: {str(e)[:200]}); training without it"
            warnings.warn(note, stacklevel=1)
            progress.update(message=note)
            forward = model
            out = forward(batch)
        loss = loss_fn(out, batch, cfg.huber_delta, cfg.lookup_weight, cfg.balanced_lookup)
        if cfg.search_samples > 1 and cfg.search_weight > 0 and torch.isfinite(loss):
            # where a sampled or remembered program answers right, also learn that program (engine/search.py)
            mml, found = search_loss(model, out, batch, cfg.search_samples, cfg.search_epsilon, generator, memory,
                                     cfg.search_solved)
            if found.any():
                loss = loss + cfg.search_weight * mml[found].mean()
        if not torch.isfinite(loss):
            msg = (f"training stopped at step {step}: the loss became {loss.item()} (try a lower learning rate, "
                   "a smaller clipping threshold or less gradient noise); the best model so far is kept")
            progress.update(error=msg)
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        if cfg.grad_noise:
            add_gradient_noise(params, step, cfg.noise_eta)
        optimizer.step()
        progress.add_loss(step, loss.item())
        progress.on_step(step, model)
        steps_done = step
        if step % cfg.eval_every == 0 or step == cfg.steps:
            acc = run_eval(step)
            if target_accuracy is not None and acc >= target_accuracy:
                break
    if not progress.evals or progress.evals[-1][0] != steps_done:
        run_eval(steps_done)

    model.load_state_dict(best_state)
    model.eval()
    summary = {"task": cfg.task, "steps_run": steps_done, "best_step": best_step, "eval_accuracy": best_acc,
               "eval_size": len(eval_examples), "train_size": len(train_examples),
               "seconds": round(time.time() - started, 2), "stopped": progress.stopped,
               "error": progress.error, "train_config": cfg.to_dict()}
    progress.update(done=True, message="done")
    return TrainResult(model, vocab, summary)
