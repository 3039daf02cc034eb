"""Running a sweep (docs/sweeps.md): each group trained and its records written (`train_group`), the groups run as
Ray Tune trials (`run_sweep`, which the `sweep` command calls). Each trial writes its own records, and each group in
flight saves its whole state every `save_every` seconds (engine/sweep/group_state.py), so a crash or Ctrl-C loses at
most that much training: a rerun goes on from the last save. Progress is read from the runs directory by a thread of
the calling process, which also rewrites the summary (one writer, so two trials ending together never race on it).
With `address` the output directory must be on a file system every node shares, and engine/ importable on every node.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.core.io.atomic import write_atomic
from engine.core.ray_start import start_ray
from engine.sweep import group_state
from engine.sweep import plan as sweep

POLL_SECONDS = 0.5
SAVE_EVERY = 300.0  # seconds between two saves of a group's state


@dataclass
class SweepOutcome:
    total: int  # runs in the plan
    finished: int  # runs recorded (before and during this call)
    trained: int  # runs recorded during this call
    failures: list[str] = field(default_factory=list)  # one line per group whose trial raised
    rows: list[dict] = field(default_factory=list)  # the summary
    problems: list[str] = field(default_factory=list)  # record files skipped as unreadable


def make_record(run: sweep.Run, summary: dict, target: float) -> dict:
    """A finished run's record (README "Sweeps") from the trainer's summary and its curve."""
    cfg = run.cfg
    per_step = cfg.batch_size / max(1, summary.get("train_size") or cfg.train_size)  # epochs per step
    tested = summary["test_accuracy"] >= 0
    best, test = summary["valid_accuracy"], summary["test_accuracy"]
    return {"id": run.id, "preset": cfg.preset, "task": cfg.task, "params": run.params, "seed": run.seed,
            "curve": [[step, round(step * per_step, 6), valid] for step, _train, valid in summary["curve"]],
            "best_accuracy": best, "best_step": summary["best_step"], "test_accuracy": test,
            "reached_target": (test if tested else best) >= target, "steps": summary["steps_run"],
            "epochs": round(summary["steps_run"] * per_step, 6), "seconds": summary["seconds"],
            "error": summary["error"], "train_config": cfg.to_dict()}


def train_group(runs: list[sweep.Run], output_dir, target: float = 1.0, *, save_every: float = SAVE_EVERY,
                stop: threading.Event | None = None) -> list[dict]:
    """Train the runs of one group not recorded yet, going on from the group's saved state when there is one, and
    write one record per run, atomically; the new records. When `stop` is set meanwhile nothing is recorded: the
    state is saved for a rerun."""
    from engine.np2016.multi_train import train_many
    from engine.np2016.train import Progress, train

    todo = [r for r in runs if not sweep.record_path(output_dir, r.id).exists()]
    if not todo:
        return []
    stop = stop or threading.Event()
    saving = dict(stop=stop, target_accuracy=target if target > 0 else None,
                  state_file=group_state.begin(output_dir, todo), resume=True, save_every=save_every)
    if len(todo) == 1:
        progress = Progress(total=todo[0].cfg.steps)
        result = train(todo[0].cfg, progress=progress, **saving)
        summaries = [{**result.summary, "curve": progress.snapshot()["evals"]}]
    else:
        summaries = [r.summary for r in train_many([r.cfg for r in todo], **saving)]
    if stop.is_set():
        return []
    records = [make_record(run, summary, target) for run, summary in zip(todo, summaries, strict=True)]
    for record in records:
        write_atomic(sweep.record_path(output_dir, record["id"]), json.dumps(record, allow_nan=False) + "\n")
    group_state.finish(output_dir, todo)
    return records


def _trial(config: dict, batches: list, output: str, target: float, save_every: float) -> dict:
    """One Tune trial: train the group config["group"] (its records are written by train_group)."""
    import torch

    torch.set_num_threads(1)  # the trial holds one CPU
    return {"trained": len(train_group(batches[config["group"]], output, target, save_every=save_every))}


@contextlib.contextmanager
def _watching(output: Path, ids: set[str], progress: Callable[[int, int], None] | None):
    """While the block runs, polls the runs directory: progress(done, total), and the summary rewritten whenever
    records appear."""
    shown, stop = len(ids & sweep.recorded_ids(output)), threading.Event()

    def poll() -> None:
        nonlocal shown
        done = len(ids & sweep.recorded_ids(output))
        if done != shown:
            shown = done
            with contextlib.suppress(OSError, ValueError):  # written again, with its error raised, at the end
                sweep.write_summary(output)
        if progress:
            progress(done, len(ids))

    def loop() -> None:
        while not stop.wait(POLL_SECONDS):
            poll()

    if progress:
        progress(shown, len(ids))
    thread = threading.Thread(target=loop, name="sweep-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        poll()


def _resources(batches: list, workers: int) -> dict:
    """One CPU per trial; with device cuda also a share of the cluster's GPUs (Ray hides the GPUs from a trial
    that asked for none), so `workers` trials share them."""
    import ray

    if not any(run.cfg.device == "cuda" for group in batches for run in group):
        return {"cpu": 1}
    gpus = ray.cluster_resources().get("GPU", 0)
    if not gpus:  # a trial asking for a GPU would wait for one for ever
        raise ValueError("device cuda was asked for, but the Ray cluster has no GPU; use device cpu")
    return {"cpu": 1, "gpu": min(1.0, gpus / workers)}


def _run_trials(batches: list, output: Path, target: float, workers: int, address: str | None,
                save_every: float) -> list[str]:
    """Every group as one Tune trial, `workers` at once; a line per trial that raised."""
    # Tune's own Ctrl-C handler would stop the trials and tell the user to restore Tune's experiment; ours is
    # simpler (rerun the same command), so Ctrl-C is left to raise KeyboardInterrupt. The old reporter is
    # silent at verbose 0 (the new one still prints a header); our bar is the progress.
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    import ray
    from ray import tune

    # on a cluster Tune's files must be where every node can write: beside the records (shared, see the module
    # docstring); a local Ray keeps them in a temp dir, so DIR holds only the sweep's own files
    with tempfile.TemporaryDirectory(prefix="sweep-tune-") as scratch:
        started = start_ray(address, workers)
        try:
            trainable = tune.with_resources(  # with_parameters puts the groups in Ray's object store
                tune.with_parameters(_trial, batches=batches, output=str(output), target=target, save_every=save_every),
                _resources(batches, workers))
            tuner = tune.Tuner(
                trainable, param_space={"group": tune.grid_search(list(range(len(batches))))},
                tune_config=tune.TuneConfig(max_concurrent_trials=workers),
                run_config=tune.RunConfig(storage_path=str(output / "ray") if address else scratch, name="sweep",
                                          verbose=0))
            results = tuner.fit()
        finally:
            if started:  # before the scratch directory goes: no trial writes there any more
                ray.shutdown()
    # Tune wraps the trial's exception with its traceback: its last line is the exception itself
    return [f"group {r.config['group'] if r.config else '?'}: "
            f"{(str(r.error).strip().splitlines() or [type(r.error).__name__])[-1]}"
            for r in results if r.error is not None]


def run_sweep(output, preset: str, task: str, grid: dict, seeds: int, base: dict, *, target: float = 1.0,
              workers: int | None = None, models_per_worker: int = 16, address: str | None = None,
              progress: Callable[[int, int], None] | None = None, save_every: float = SAVE_EVERY) -> SweepOutcome:
    """Run (or resume) the sweep in directory `output`: write or check sweep.json, plan the runs, drop those
    recorded, take back the groups that saved a state, group the rest and train the groups as Ray Tune trials,
    `workers` at once (default: the CPU count), each saving its state every `save_every` seconds; progress(done,
    total) as records appear. ValueError for a bad grid, setting or directory (nothing is trained then);
    KeyboardInterrupt passes through after Ray is shut down and the summary rewritten."""
    output = Path(output).absolute()  # the trials run in directories of Tune's choosing
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    grid, base = sweep.check_grid(grid), sweep.check_base(base)
    spec = sweep.make_spec(preset, task, grid, seeds, base, target, models_per_worker)
    runs = sweep.plan(preset, task, grid, seeds, base)  # every config checked before anything is written
    sweep.open_sweep(output, spec)
    done = sweep.recorded_ids(output)
    todo = [r for r in runs if r.id not in done]
    # no larger groups than it takes to give every worker one, so that no worker idles while another trains a
    # group that could have been split
    per_group = max(1, min(models_per_worker, math.ceil(len(todo) / workers)))
    saved, rest = group_state.take_back(output, todo)  # a group that saved goes on as it was, whatever per_group
    batches = saved + sweep.groups(rest, per_group)
    failures: list[str] = []
    with _watching(output, {r.id for r in runs}, progress):
        if batches:
            failures = _run_trials(batches, output, target, workers, address, save_every)
    group_state.tidy(output)
    problems: list[str] = []
    rows = sweep.write_summary(output, problems)
    finished = len({r.id for r in runs} & sweep.recorded_ids(output))
    if finished < len(runs) and not failures:  # every trial returned, yet some runs left no record
        failures.append(f"{len(runs) - finished} runs ended without a record in {output / 'runs'}")
    return SweepOutcome(total=len(runs), finished=finished, trained=finished - (len(runs) - len(todo)),
                        failures=failures, rows=rows, problems=problems)
