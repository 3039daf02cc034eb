"""Training the 2017 model on converted examples (WikiTableQuestions, or any table-question-answer JSONL) with the
paper's recipe (spec §6.2) on the shared loop (engine/core/loop.py): random batches, TF's per-example loss plus
weight decay, Adam, global-norm clipping; the dev set is scored by the benchmark's rules (predict.score) and the
best dev model is kept, as TF did, and handed to `on_best`, so a run cut short by the clock or Ctrl-C keeps what it
found. A non-finite loss stops the run with summary["error"]. Selection reads the dev split only, never a test split."""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from engine.core import train_state
from engine.core.device import resolve_device
from engine.core.loop import DivergedError, run_steps
from engine.core.progress import Progress
from engine.core.seeded_init import seeded
from engine.core.vocab import Vocab
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.config import ModelConfig, TrainConfig
from engine.wtq2017.model import NeuralProgrammer, batch_loss, weight_decay
from engine.wtq2017.predict import answer_all, score, with_wtq
from engine.wtq2017.search import cached_search, search_loss

__all__ = ["TrainResult", "train", "trainable"]

LOSS_CURVE_POINTS = 400  # losses kept in the summary (evenly thinned)


@dataclass
class TrainResult:
    model: NeuralProgrammer
    vocab: Vocab
    summary: dict


def trainable(examples: list[dict]) -> list[dict]:
    """The examples the 2017 recipe trains on (the converter's wtq.trainable)."""
    return [ex for ex in examples if (ex.get("wtq") or {}).get("trainable")]


def method(cfg: TrainConfig) -> str:
    """How the run learnt, in words (summaries, model cards)."""
    if cfg.search_weight > 0:
        return (f"gradient descent on the 2017 paper's loss plus {cfg.search_weight:g} × the marginal likelihood of "
                f"the programs found by search (at most {cfg.search_limit} a question)")
    return "gradient descent (the 2017 paper's recipe)"


def _thin(points: list, n: int) -> list:
    if len(points) <= n:
        return points
    stride = len(points) / n
    return [points[int(i * stride)] for i in range(n)] + [points[-1]]


def train(cfg: TrainConfig, model_values: dict, train_examples: list[dict], dev_examples: list[dict],
          progress: Progress | None = None, stop: threading.Event | None = None,
          on_best: Callable[[TrainResult], None] | None = None, state_file: Path | None = None,
          resume: bool = False, save_every: float = 300.0, data_path: Path | None = None) -> TrainResult:
    """Train from scratch: the vocabulary from the training examples (word_cutoff), the model from
    `model_values` (ModelConfig fields; vocab_size is set here), then the loop. With `state_file`, the run's whole
    state is saved there every `save_every` seconds and when it ends (engine/core/train_state.py); with `resume`
    and that file present, the run goes on from it bit for bit (the same data and settings; only steps,
    max_minutes and patience may change). With cfg.search_weight > 0 the programs that answer each training
    question are searched first (engine/wtq2017/search.py; cached beside `data_path`). ValueError for data that
    cannot train (no trainable example, no dev example with a target) or a state that does not belong to this
    run."""
    # the data as this model matches questions to tables (converted lines are matched as the paper does)
    matching = ModelConfig(**{k: model_values[k] for k in ("cell_text", "dates") if k in model_values}).preprocessing
    train_set = [with_wtq(ex, matching) for ex in trainable(train_examples)]
    dev_set = [with_wtq(ex, matching) for ex in dev_examples if "target" in ex and "wtq" in ex]
    if not train_set:
        raise ValueError("no trainable example in the training data (each needs a wtq block with "
                         "trainable true: convert it with `python -m engine wtq-convert` or give a target)")
    if not dev_set:
        raise ValueError("the dev data has no example with a target to select the model by")
    progress = progress or Progress()
    stop = stop or threading.Event()
    device = resolve_device(cfg.device)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        values = {k: v for k, v in model_values.items() if k != "vocab_size"}
        vocab = build_vocab(train_set, values.get("word_cutoff", ModelConfig().word_cutoff))
        model_cfg = ModelConfig(**values, vocab_size=len(vocab))
        torch.manual_seed(cfg.seed)  # dropout's draws
        model = seeded(lambda: NeuralProgrammer(model_cfg, vocab), cfg.seed).to(device).train()
        autosave = train_state.Autosave(state_file, save_every, resume, cfg.steps, cfg.eval_every)
        programs, search = None, None
        if cfg.search_weight > 0:
            progress.update(message="searching programs")
            programs, search = cached_search(train_set, model_cfg, data_path, cfg.search_limit,
                                             log=lambda text: progress.update(message=text))
        return _loop(cfg, model, vocab, train_set, dev_set, progress, stop, on_best, device, autosave, programs,
                     search)
    finally:
        torch.set_num_threads(threads_before)


# what may differ between a run and its resumption: how long it goes on
RESUMABLE_CHANGES = ("steps", "max_minutes", "patience")


def _identity(cfg: TrainConfig, model_cfg: ModelConfig, vocab: Vocab, train_set: list, dev_set: list) -> dict:
    """What a state must match to resume this run: the settings (but its length), the vocabulary, the data."""
    return {"train_config": {k: v for k, v in cfg.to_dict().items() if k not in RESUMABLE_CHANGES},
            "model_config": model_cfg.to_dict(), "vocab": vocab.words,
            "data": [len(train_set), len(dev_set), [ex.get("id") for ex in train_set[:50]]]}


def _loop(cfg, model, vocab, train_set, dev_set, progress, stop, on_best, device,
          autosave: train_state.Autosave, programs: list | None, search: dict | None) -> TrainResult:
    model_cfg = model.config
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, eps=cfg.adam_eps)
    rng = random.Random(cfg.seed)
    order: list[int] = []
    progress.update(total=cfg.steps, eval_every=cfg.eval_every, message="training", timed_by_trainer=True)
    started = time.perf_counter()
    deadline = started + 60 * cfg.max_minutes if cfg.max_minutes > 0 else None
    best = {"accuracy": -1.0, "step": 0, "state": None, "score": None}
    evals, losses = [], []
    error, stopped, step = None, False, 0
    saved = autosave.resumed(_identity(cfg, model_cfg, vocab, train_set, dev_set))
    if saved is not None:  # every piece of state as it was after the saved step
        tensors, values = saved
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        train_state.restore_optimizer(opt, tensors, values["optimizer"])
        train_state.restore_generator(rng, values["rng"])
        torch.set_rng_state(tensors["rng.torch"])
        order, step, evals = values["order"], values["step"], values["evals"]
        losses = [(int(at), value) for at, value in tensors["losses"].tolist()]  # (step, loss) pairs
        started -= values["seconds"]
        kept = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
        best.update(accuracy=values["best"]["accuracy"], step=values["best"]["step"], score=values["best"]["score"],
                    state=kept or None)
        with progress.lock:
            progress.evals.extend((e["step"], -1.0, e["dev_accuracy"]) for e in evals)

    def save() -> None:
        if autosave.path is None:
            return
        opt_tensors, opt_values = train_state.optimizer_state(opt)
        tensors = {**{f"model.{k}": v for k, v in model.state_dict().items()}, **opt_tensors,
                   **{f"best.{k}": v for k, v in (best["state"] or {}).items()}, "rng.torch": torch.get_rng_state(),
                   "losses": torch.tensor(losses, dtype=torch.float64).reshape(-1, 2)}  # JSON would outgrow the header
        autosave.save(tensors, {
            "optimizer": opt_values, "rng": train_state.generator_state(rng), "order": order,
            "step": step, "evals": evals, "seconds": round(time.perf_counter() - started, 3),
            "best": {k: best[k] for k in ("accuracy", "step", "score")}})

    def evaluate(at: int) -> float:
        """Score the dev set, keep the model when it is a new best (and tell `on_best`); the dev accuracy."""
        t0 = time.perf_counter()
        result = score(dev_set, answer_all(model, vocab, dev_set, device=device))  # in eval mode (hard_answer)
        progress.add_eval_time(time.perf_counter() - t0)
        acc = result["accuracy"]
        evals.append({"step": at, "seconds": round(time.perf_counter() - started, 1), "dev_accuracy": acc})
        with progress.lock:
            progress.evals.append((at, -1.0, acc))
        if acc > best["accuracy"]:
            best.update(accuracy=acc, step=at, state=copy.deepcopy(model.state_dict()), score=result)
            progress.update(best_accuracy=acc)
            if on_best is not None:
                on_best(result_of_best())
        return acc

    def summary() -> dict:
        return {
            "family": "wtq2017", "preset": cfg.preset, "train_config": cfg.to_dict(),
            "model_config": model_cfg.to_dict(), "method": method(cfg),
            "train_examples": len(train_set), "dev_examples": len(dev_set), "vocab_size": len(vocab),
            "steps_run": step, "best_step": best["step"], "dev_accuracy": best["accuracy"],
            "dev_score": best["score"], "evals": evals, "loss_curve": _thin(losses, LOSS_CURVE_POINTS),
            "seconds": round(time.perf_counter() - started, 1), "stopped": stopped, "error": error,
            "parameters": sum(p.numel() for p in model.parameters()),
            **({"search": search} if search is not None else {}),  # its seconds are not in "seconds"
        }

    def result_of_best() -> TrainResult:
        kept = copy.deepcopy(model)
        if best["state"] is not None:
            kept.load_state_dict(best["state"])
        return TrainResult(kept.cpu().eval(), vocab, summary())

    def train_step(at: int) -> float:
        nonlocal order, step
        step = at  # what a summary made meanwhile (on_best's) reports as steps_run, as the loop's counter did
        if len(order) < cfg.batch_size:  # a fresh shuffle of the training set each epoch
            order = list(range(len(train_set)))
            rng.shuffle(order)
        picks, order = order[:cfg.batch_size], order[cfg.batch_size:]
        batch = encode_batch([train_set[i] for i in picks], vocab, model_cfg).to(device)
        out = model(batch)
        loss = batch_loss(out, batch, model_cfg)
        if programs is not None:  # beside the paper's loss: the programs found to answer (marginal likelihood)
            loss = loss + cfg.search_weight * search_loss(out, [programs[i] for i in picks], model_cfg.T)
        total = loss + weight_decay(model, cfg.l2)
        if not torch.isfinite(total):
            raise DivergedError(f"the loss became {total.item()} at step {at}")
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        return loss.item()

    def after_step(at: int, value: float) -> None:
        losses.append((at, value))
        if autosave.due(at):
            save()

    autosave.last = time.perf_counter()  # the clock starts with the first step, not with the data
    end = run_steps(cfg.steps, cfg.eval_every, train_step, evaluate, progress, stop, deadline=deadline,
                    patience=cfg.patience, after_step=after_step, start=step,
                    evaluated=[e["dev_accuracy"] for e in evals])
    if end.diverged is None:
        step = end.steps_done
        save()  # the state after the last step taken, before the closing evaluation: resuming adds nothing to it
    stopped, step = end.stopped, end.diverged_at or end.steps_done
    if end.diverged is not None:
        error = f"{end.diverged}: stopped, keeping the best model so far"
        progress.update(error=error)
    if best["state"] is None or (evals and evals[-1]["step"] != step and step > 0 and error is None):
        evaluate(step)  # the last steps since an evaluation, or a run stopped before its first one
    progress.update(done=True, stopped=stopped)
    return result_of_best()
