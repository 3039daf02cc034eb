"""Training an ensemble's members (issue 21, item 5): one 2017 model per seed, each a Ray task holding one CPU (a
local Ray by default, a cluster with `address`), then the ensemble file naming them (engine/wtq2017/ensemble.py).

Resumable as `engine sweep` is: each member writes its checkpoint, its whole training state (every few minutes and
when it stops, engine/core/train_state.py) and, once done, a `.done.json` record into the output directory. Running
the same command again skips the members that are done and resumes the others from their state, bit for bit; a
directory made with other settings is refused. With `address` the directory and the data must be on a file system
every node shares, and engine/ importable on every node.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from engine.core.io.atomic import write_atomic
from engine.core.ray_start import start_ray
from engine.core.train_state import state_path

PLAN = "ensemble-plan.json"  # what the directory trains: data, settings, seeds


def member_path(output: Path, seed: int) -> Path:
    return Path(output) / f"member-seed{seed}.safetensors"


def done_path(output: Path, seed: int) -> Path:
    return Path(output) / f"member-seed{seed}.done.json"


def train_member(output, seed: int, data: str, dev: str, train_values: dict, model_values: dict,
                 save_every: float = 300.0, stop: threading.Event | None = None, progress=None) -> dict:
    """Train (or resume, or skip when done) the member of `seed`; its summary, without the curves."""
    from engine.core.progress import Progress
    from engine.wtq2017 import train as wtq_train
    from engine.wtq2017.checkpoint import save_checkpoint
    from engine.wtq2017.config import TrainConfig
    from engine.wtq2017.predict import read_examples

    output = Path(output)
    if done_path(output, seed).is_file():
        return json.loads(done_path(output, seed).read_text())
    cfg = TrainConfig(**{**train_values, "seed": seed})
    path = member_path(output, seed)
    sources = {"data": data, "dev": dev}

    def on_best(result):  # the best model on disk as soon as it is found, as `train` does
        save_checkpoint(path, result.model, result.vocab, {**result.summary, **sources})

    result = wtq_train.train(cfg, model_values, read_examples(data, "--data"), read_examples(dev, "--dev"),
                             progress or Progress(total=cfg.steps), stop, on_best, state_file=state_path(path),
                             resume=True, save_every=save_every, data_path=Path(data))
    summary = {**result.summary, **sources}
    save_checkpoint(path, result.model, result.vocab, summary)
    brief = {k: v for k, v in summary.items() if k not in ("loss_curve", "evals", "dev_score")}
    # done (skipped next time) when it ran its course: all its steps, its time limit or its patience; a run that
    # was stopped or diverged is resumed (or reported) instead
    if summary["error"] is None and not (stop is not None and stop.is_set()):
        write_atomic(done_path(output, seed), json.dumps(brief, allow_nan=False) + "\n")
    return brief


def open_plan(output: Path, plan: dict) -> None:
    """Write the directory's plan, or check that it is this one (ValueError naming what differs)."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / PLAN
    if path.is_file():
        old = json.loads(path.read_text())
        differ = sorted(k for k in plan.keys() | old.keys() if plan.get(k) != old.get(k))
        if differ:
            raise ValueError(f"{output} holds an ensemble trained with other {', '.join(differ)}: use another "
                             "--output, or the same settings to resume it")
        return
    write_atomic(path, json.dumps(plan, indent=2) + "\n")


def train_ensemble(output, data: str, dev: str, train_values: dict, model_values: dict, seeds: list[int], *,
                   workers: int | None = None, address: str | None = None, save_every: float = 300.0,
                   log=print) -> Path:
    """Train every member (Ray tasks, `workers` at once on a local Ray) and write `output/ensemble.json`; the
    members already done are skipped, the others resumed. ValueError for a directory of other settings; a
    member that fails is named in a RuntimeError after the others finished (the ensemble is then not written)."""
    import ray

    from engine.wtq2017.ensemble import write_ensemble

    output = Path(output).absolute()
    data, dev = str(Path(data).absolute()), str(Path(dev).absolute())
    open_plan(output, {"data": data, "dev": dev, "train": train_values, "model": model_values, "seeds": seeds})
    todo = [s for s in seeds if not done_path(output, s).is_file()]
    log(f"{len(seeds) - len(todo)} of {len(seeds)} members done; training {len(todo)}")
    if todo:
        started = start_ray(address, workers or os.cpu_count() or 1)
        try:
            task = ray.remote(num_cpus=1)(_member_task)
            pending = {task.remote(str(output), s, data, dev, train_values, model_values, save_every): s
                       for s in todo}
            failures = []
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                seed = pending.pop(ready[0])
                try:
                    brief = ray.get(ready[0])
                    log(f"member seed {seed}: best dev {brief['dev_accuracy']:.4f} at step {brief['best_step']:,}")
                except ray.exceptions.RayError as e:
                    failures.append(f"seed {seed}: {str(e).strip().splitlines()[-1]}")
        finally:
            if started:
                ray.shutdown()
        if failures:
            raise RuntimeError("members failed: " + "; ".join(failures))
    return write_ensemble(output / "ensemble.json", [member_path(output, s) for s in seeds])


def _member_task(output: str, seed: int, data: str, dev: str, train_values: dict, model_values: dict,
                 save_every: float) -> dict:
    import torch

    torch.set_num_threads(1)  # the task holds one CPU
    return train_member(output, seed, data, dev, train_values, model_values, save_every)
