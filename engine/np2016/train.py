"""Training (spec §5.1, §6.1): Adam, global-norm clipping, annealed gradient noise, periodic evaluation.

`Trainer` is one run's state with its `step` and `evaluate`; `train()` loops them (engine/core/loop.py), reports
through a thread-safe `Progress` and honours a stop `threading.Event`. Every random number comes from the run's
own generators (engine/core/seeded_init.py, Trainer.generator, Trainer.noise_generator, the data's numpy stream),
so the same settings and seed give the same losses, bit for bit, in the app and the CLI (tests/test_same_curve.py).
The intra-op thread count changes float sums in the last bits, so cfg.threads is part of the settings.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from engine.core import train_state
from engine.core.device import resolve_device, to_device
from engine.core.loop import DivergedError, run_steps
from engine.core.progress import Progress
from engine.core.seeded_init import seeded
from engine.core.vocab import Vocab
from engine.np2016 import presets, sampling
from engine.np2016.batch import Batch, encode
from engine.np2016.config import ModelConfig, TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import evaluate, evaluate_examples, loss_fn
from engine.np2016.model import NeuralProgrammer
from engine.np2016.sampling import add_gradient_noise  # by name: tests wrap it
from engine.np2016.search import ProgramMemory, search_loss

DIVERGED_ADVICE = "try a lower learning rate, a smaller clipping threshold or less gradient noise"


@dataclass
class TrainResult:
    model: NeuralProgrammer
    vocab: Vocab
    summary: dict


def initial_model(cfg: TrainConfig, model_config: ModelConfig | None,
                  init: tuple[NeuralProgrammer, Vocab] | None) -> tuple[NeuralProgrammer, Vocab]:
    """A copy of `init`, or a new model for cfg.task's vocabulary initialised from cfg.seed by a private
    generator (engine/core/seeded_init.py), so runs starting at once in other threads cannot interleave with it."""
    if init is not None:
        model, vocab = copy.deepcopy(init[0]), init[1]
    else:
        vocab = Vocab(data.vocabulary(cfg.task))
        config = model_config or presets.model_config(cfg.preset, cfg.task, len(vocab))
        model = seeded(lambda: NeuralProgrammer(config), cfg.seed)
    if model.config.vocab_size != len(vocab):
        raise ValueError("model vocab_size does not match the vocabulary")
    return model, vocab


LOSS_CURVE_POINTS = 1000  # at most this many points of the loss curve go into the summary (the checkpoint)


def loss_curve(losses: list[float]) -> dict:
    """{"every": k, "losses": the mean of each k consecutive steps' losses}, k the smallest that keeps it to
    LOSS_CURVE_POINTS points (1 for shorter runs, so a run from the command line and one from the app compare
    step by step)."""
    every = max(1, -(-len(losses) // LOSS_CURVE_POINTS))
    chunks = [losses[i:i + every] for i in range(0, len(losses), every)]
    return {"every": every, "losses": [sum(c) / len(c) for c in chunks]}


def data_style(cfg: TrainConfig) -> data.Style:
    return data.Style(shuffle_letters=cfg.shuffle_letters, ordered_pivots=cfg.ordered_pivots,
                      lone_column_name=cfg.lone_column_name)


def new_summary(cfg: TrainConfig, train_size: int, eval_size: int) -> dict:
    """A run's summary before anything is trained or evaluated (the keys `train` and `train_many` write)."""
    return {"task": cfg.task, "steps_run": 0, "best_step": 0, "valid_accuracy": -1.0, "test_accuracy": -1.0,
            "preset": cfg.preset, "eval_size": eval_size, "train_size": train_size, "seconds": 0.0,
            "stopped": False, "error": None, "train_config": cfg.to_dict()}


def training_data(cfg: TrainConfig, stop: threading.Event, train_examples: list[dict] | None = None,
                  eval_examples: list[dict] | None = None) -> tuple[list[dict], list[dict]] | None:
    """(training, validation) examples: the given ones, or cfg.task's generated ones, both from the training
    distribution (validation: fresh tables on its own random stream). None when `stop` is set meanwhile."""
    style = data_style(cfg)
    if train_examples is None:
        train_examples = data.generate(cfg.task, "train", cfg.train_size, cfg.seed, stop=stop.is_set, style=style)
    if eval_examples is None and not stop.is_set():
        eval_examples = data.generate(cfg.task, "valid", cfg.eval_size, cfg.seed + 1_000_003, stop=stop.is_set,
                                      style=style)
    return None if stop.is_set() else (train_examples, eval_examples)


def test_accuracy(cfg: TrainConfig, model: NeuralProgrammer, vocab: Vocab, stop: threading.Event) -> float:
    """The task's test split scored once, after training (-1 when test_size is 0 or the run is stopped);
    nothing before this line reads it."""
    if cfg.test_size == 0 or stop.is_set():
        return -1.0
    examples = data.generate(cfg.task, "test", cfg.test_size, cfg.seed + 2_000_003, stop=stop.is_set,
                             style=data_style(cfg))
    if stop.is_set() or not examples:
        return -1.0
    return evaluate_examples(model, vocab, examples)["accuracy"]


class Trainer:
    """The state of one run (model, encoded data, optimiser, search memory, best weights)."""

    def __init__(self, cfg: TrainConfig, model: NeuralProgrammer, vocab: Vocab, train_examples: list[dict],
                 eval_examples: list[dict], progress: Progress):
        self.cfg, self.model, self.vocab, self.progress = cfg, model, vocab, progress
        # the model (initialised on the CPU, so alike on every device) and the evaluation sets go to the device;
        # the training set stays on the CPU, where each batch is drawn with the CPU generator, then moved
        self.device = resolve_device(cfg.device)
        model.to(self.device)
        # float32 stores indexed a batch at a time, so their total size is bounded by the settings alone
        self.train_set = encode(train_examples, vocab, exact=False, bounded=False)
        self.long_pool = sampling.long_program_pool(train_examples)  # read only while step <= long_first_steps
        self.eval_set = encode(eval_examples, vocab, exact=False, bounded=False).to(self.device)
        self.train_probe = self.train_set.index(slice(0, min(len(self.train_set), cfg.eval_size))).to(self.device)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=cfg.lr, eps=cfg.adam_eps, fused=True)
        self.generator = torch.Generator().manual_seed(cfg.seed)  # batches, name dropout, program search
        self.noise_generator = torch.Generator().manual_seed(cfg.seed + sampling.NOISE_SEED_OFFSET)
        self.memory = ProgramMemory(cfg.search_memory) if cfg.search_memory > 0 else None
        # the compiled module shares the model's parameters; the model itself stays plain for evaluation
        self.forward = torch.compile(model) if cfg.compile else model
        self.best_state, self.best_accuracy, self.best_step = copy.deepcopy(model.state_dict()), -1.0, 0

    def step(self, step: int) -> float:
        """One optimiser step on a sampled batch; its loss. DivergedError (weights untouched) when the loss or the
        search's scores are not finite."""
        cfg, model = self.cfg, self.model
        model.train()
        long_first = step <= cfg.long_first_steps and len(self.long_pool) > 0
        batch = self.train_set.index(sampling.draw_indices(len(self.train_set), self.long_pool if long_first else None,
                                                           cfg.batch_size, self.generator))
        if cfg.name_dropout > 0 and model.config.name_match:
            batch = sampling.drop_names(batch, cfg.name_dropout, self.generator)
        cpu_batch, batch = batch, batch.to(self.device)
        noise_scale, noise = cfg.selection_noise_at(step), None
        if noise_scale > 0:
            noise = sampling.logit_noise(len(batch), model.config.T, len(model.config.ops), batch.values.shape[2],
                                         noise_scale, self.noise_generator)
            noise = {k: v.to(self.device) for k, v in noise.items()}
        out = self._forward(batch, cfg.temperature_at(step), noise)
        loss = loss_fn(out, batch, cfg.huber_delta, cfg.lookup_weight, cfg.balanced_lookup)
        if not torch.isfinite(loss):
            raise DivergedError(f"the loss became {loss.item()}")
        if not cfg.soft_loss:  # program search alone: the soft loss is computed (the guard reads it) but not used
            loss = loss * 0.0
        if cfg.program_search:
            # where a sampled or remembered program answers right, also learn it (engine/np2016/search.py, which
            # raises DivergedError before sampling from scores that are not finite); programs are sampled (CPU
            # generator) and executed on the CPU: only the scores travel there, and the loss (with its gradient) back
            scores = to_device({k: out[k] for k in ("op_logits", "col_logits", "pivot_logits")}, "cpu")
            mml, found = search_loss(model, scores, cpu_batch, cfg.search_samples, cfg.search_epsilon,
                                     self.generator, self.memory, cfg.search_solved)
            if found.any():
                loss = loss + cfg.search_weight * mml[found].mean().to(loss.device)
            if not torch.isfinite(loss):
                raise DivergedError(f"the program-search loss became {loss.item()}")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, cfg.clip)
        if cfg.grad_noise:
            add_gradient_noise(self.params, step, cfg.noise_eta, self.noise_generator)
        self.optimizer.step()
        return loss.item()

    def _forward(self, batch: Batch, temperature: float, noise: dict | None) -> dict:
        try:
            return self.forward(batch, temperature=temperature, logit_noise=noise)
        except Exception as e:  # compile failures surface at the first call, as many exception types
            if self.forward is self.model:
                raise
            # e.g. no C++ compiler: say so and go on without compiling, rather than lose the run
            note = f"torch.compile failed ({type(e).__name__}: {str(e)[:200]}); training without it"
            warnings.warn(note, stacklevel=1)
            self.progress.update(message=note)
            self.forward = self.model
            return self.forward(batch, temperature=temperature, logit_noise=noise)

    def evaluate(self, step: int) -> float:
        """Hard accuracy on the validation set (and on a slice of the training set, for the curves); the
        weights are kept as the best when the validation accuracy beats every earlier evaluation."""
        started = time.perf_counter()
        valid_acc = evaluate(self.model, self.eval_set).float().mean().item()
        train_acc = evaluate(self.model, self.train_probe).float().mean().item()
        if valid_acc > self.best_accuracy:
            self.best_state = copy.deepcopy(self.model.state_dict())
            self.best_accuracy, self.best_step = valid_acc, step
        with self.progress.lock:
            self.progress.evals.append((step, train_acc, valid_acc))
            self.progress.best_accuracy = self.best_accuracy
        self.progress.add_eval_time(time.perf_counter() - started)
        return valid_acc

    def state(self, step: int, losses: list[float]) -> tuple[dict, dict]:
        """Everything a resumed run needs to go on bit for bit after `step` (engine/core/train_state.py)."""
        opt_tensors, opt_values = train_state.optimizer_state(self.optimizer)
        tensors = {**{f"model.{k}": v for k, v in self.model.state_dict().items()}, **opt_tensors,
                   **{f"best.{k}": v for k, v in self.best_state.items()},
                   "rng.batches": self.generator.get_state(), "rng.noise": self.noise_generator.get_state(),
                   "losses": torch.tensor(losses, dtype=torch.float64)}  # a tensor: JSON would outgrow the header
        memory = [[list(words), list(numbers), [[list(program), n] for program, n in programs.items()]]
                  for (words, numbers), programs in (self.memory.entries.items() if self.memory else ())]
        with self.progress.lock:
            evals = list(self.progress.evals)
        return tensors, {"optimizer": opt_values, "memory": memory, "step": step, "evals": evals,
                         "best": [self.best_accuracy, self.best_step]}

    def restore(self, tensors: dict, values: dict) -> tuple[int, list[float]]:
        """The state `state` saved; (the step it was saved after, the losses so far)."""
        self.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        self.best_state = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
        train_state.restore_optimizer(self.optimizer, tensors, values["optimizer"])
        self.generator.set_state(tensors["rng.batches"])
        self.noise_generator.set_state(tensors["rng.noise"])
        if self.memory is not None:
            self.memory.entries = {(tuple(words), tuple(numbers)): {tuple(program): n for program, n in programs}
                                   for words, numbers, programs in values["memory"]}
        self.best_accuracy, self.best_step = values["best"]
        with self.progress.lock:
            self.progress.evals[:] = [tuple(e) for e in values["evals"]]
            self.progress.best_accuracy = self.best_accuracy
        return values["step"], tensors["losses"].tolist()

    def keep_best(self) -> NeuralProgrammer:
        self.model.load_state_dict(self.best_state)
        self.model.eval()
        return self.model


def train(cfg: TrainConfig, model_config: ModelConfig | None = None, *, progress: Progress | None = None,
          stop: threading.Event | None = None, init: tuple[NeuralProgrammer, Vocab] | None = None,
          train_examples: list[dict] | None = None, eval_examples: list[dict] | None = None,
          target_accuracy: float | None = None, state_file: Path | None = None, resume: bool = False,
          save_every: float = 300.0) -> TrainResult:
    """Train a Neural Programmer on `cfg.task` (or on `train_examples`), keeping the best evaluated model.

    init: fine-tune this (model, vocab) instead (it is copied). target_accuracy: stop once the validation accuracy
    reaches it. state_file: save the run's whole state there every `save_every` seconds and when it stops; with
    `resume`, go on from it bit for bit (ValueError for the state of another run: only steps may differ).
    summary["valid_accuracy"]: the best validation accuracy, which chose the model (-1 if stopped while the data was
    generated); summary["test_accuracy"]: the task's test split, read once after training (-1 for given examples,
    test_size 0 or a stopped run).
    """
    progress = progress or Progress()
    stop = stop or threading.Event()
    resolve_device(cfg.device)  # a device this machine lacks is refused now, not after generating the data
    progress.update(total=cfg.steps, eval_every=cfg.eval_every, started=time.time(), message="generating data")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    started = time.time()
    model, vocab = initial_model(cfg, model_config, init)
    examples = training_data(cfg, stop, train_examples, eval_examples)
    summary = new_summary(cfg, *(map(len, examples) if examples else (0, 0)))
    if examples is None:  # nothing was trained: the model is the initial one and is not evaluated
        progress.update(stopped=True, done=True, message="stopped while generating data")
        model.eval()
        summary.update(stopped=True, seconds=round(time.time() - started, 2))
        return TrainResult(model, vocab, summary)
    trainer = Trainer(cfg, model, vocab, *examples, progress)

    progress.update(message="training", started=time.time())
    started, losses, start = time.time(), [], 0
    autosave = train_state.Autosave(state_file, save_every, resume, cfg.steps, cfg.eval_every)
    saved = autosave.resumed({"train_config": {k: v for k, v in cfg.to_dict().items() if k != "steps"},
                              "model_config": model.config.to_dict(), "vocab": vocab.words,
                              "data": [len(e) for e in examples]})
    if saved is not None:
        start, losses = trainer.restore(*saved)

    def after_step(step: int, loss: float) -> None:
        losses.append(loss)
        progress.on_step(step, model)
        if autosave.due(step):
            autosave.save(*trainer.state(step, losses))

    end = run_steps(cfg.steps, cfg.eval_every, trainer.step, trainer.evaluate, progress, stop,
                    target=target_accuracy, after_step=after_step, start=start,
                    evaluated=[e[2] for e in progress.evals])
    steps_done = end.steps_done
    if end.diverged is None and autosave.path is not None:
        autosave.save(*trainer.state(steps_done, losses))  # after the last step taken, before a closing evaluation
    if end.stopped:
        progress.update(stopped=True)
    if end.diverged is not None:
        progress.update(error=f"training stopped at step {end.diverged_at}: {end.diverged} ({DIVERGED_ADVICE}); "
                              "the best model so far is kept")
        # the weights after the last step may hold NaN or huge values: never evaluate them as a candidate
        if trainer.best_accuracy < 0:
            trainer.keep_best()
            trainer.evaluate(0)
    elif not progress.evals or progress.evals[-1][0] != steps_done:
        trainer.evaluate(steps_done)

    model = trainer.keep_best()
    seconds = round(time.time() - started, 2)  # training alone: the test below is not part of it
    if train_examples is None:  # the kept model (the best validated) is scored even after a diverged run
        progress.update(message="scoring the test split")
        summary["test_accuracy"] = test_accuracy(cfg, model, vocab, stop)
    summary.update(steps_run=steps_done, best_step=trainer.best_step, valid_accuracy=trainer.best_accuracy,
                   loss_curve=loss_curve(losses), seconds=seconds, stopped=progress.stopped, error=progress.error)
    model.cpu()  # whatever the device, the caller (a checkpoint, the app, a fine-tuning) gets a CPU model
    progress.update(done=True, message="done")
    return TrainResult(model, vocab, summary)
