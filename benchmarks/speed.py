"""Speed of the engine on CPU: training throughput and single-question inference latency.

    .venv/bin/python benchmarks/speed.py [--threads 1] [--d 64] [--steps 200] [--runs 200] [--json]

Training: task columns-5 with its default model (presets.model_config("default", 'columns-5', ..., d=D)) and the
default TrainConfig, batch 50: engine.np2016.train.train itself runs, and the time of its optimiser steps
(forward, loss, backward, global-norm clipping, gradient noise, Adam) is taken over --steps steps after
--warmup steps, twice: from scratch (the first steps of a run, where the search samples programs
for almost every question) and going on from a trained model (--trained, where most questions are
solved and search samples only for the rest, as through most of a run).
Inference: one question on a 120-row, 5-column test table; `trace()` end to end (one pass executing soft and
hard, and the JSON trace) and a bare hard forward of one already encoded example, each over --runs runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from engine.core.settings import parse_options  # noqa: E402
from engine.core.vocab import Vocab  # noqa: E402
from engine.np2016 import presets  # noqa: E402
from engine.np2016.batch import encode  # noqa: E402
from engine.np2016.config import TrainConfig
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer  # noqa: E402
from engine.np2016.trace import trace  # noqa: E402
from engine.np2016.train import Progress, train  # noqa: E402

TASK = "columns-5"
SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints" / f"{TASK}.safetensors"


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class TimedProgress(Progress):
    """Progress that also records when each optimiser step finished."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.stamps = []

    def add_loss(self, step, loss):
        self.stamps.append(time.perf_counter())
        super().add_loss(step, loss)


def bench_training(d: int, steps: int, warmup: int, batch_size: int = 50,
                   options: dict | None = None, init=None) -> dict:
    """Times engine.np2016.train.train itself (so every option of the current training step is included: loss,
    backward, clipping, gradient noise, Adam), from the end of the warm-up to the end of the last step;
    data generation, encoding and evaluation are outside the timed span. init: (model, vocab) to go on
    training (a trained model solves most questions, so search samples fewer programs)."""
    settings = dict(batch_size=batch_size, steps=warmup + steps, eval_every=10**6, eval_size=10, threads=0,
                    seed=0)
    cfg = TrainConfig(task=TASK, **{**(options or {}), **settings})
    vocab = Vocab(data.vocabulary(TASK))
    model_cfg = presets.model_config("default", TASK, len(vocab), d=d)
    train_ex = data.generate(TASK, "train", 2000, seed=0)
    eval_ex = data.generate(TASK, "test", 10, seed=1)
    progress = TimedProgress()
    result = train(cfg, model_cfg, progress=progress, train_examples=train_ex, eval_examples=eval_ex, init=init)
    stamps = progress.stamps
    assert len(stamps) == warmup + steps, "training stopped early"
    times = [b - a for a, b in zip(stamps[warmup - 1:], stamps[warmup:], strict=False)]
    total = stamps[-1] - stamps[warmup - 1]
    options = {k: v for k, v in cfg.to_dict().items() if k not in ("task", "steps", "eval_every", "seed")}
    return {"config": model_cfg.to_dict(), "train_config": options,
            "parameters": sum(p.numel() for p in result.model.parameters()),
            "batch_size": batch_size, "steps": len(times), "seconds": total,
            "examples_per_s": batch_size * len(times) / total, "steps_per_s": len(times) / total,
            "step_ms_p50": 1e3 * percentile(times, 0.5), "step_ms_p95": 1e3 * percentile(times, 0.95)}


def bench_inference(d: int, runs: int, warmup: int) -> dict:
    vocab = Vocab(data.vocabulary(TASK))
    torch.manual_seed(0)
    model = NeuralProgrammer(presets.model_config("default", TASK, len(vocab), d=d)).eval()
    ex = next(e for e in data.generate(TASK, "test", 50, seed=0) if e["program"].count("[n") == 2)
    assert len(ex["rows"]) == 120 and len(ex["columns"]) == 5
    batch = encode([ex], vocab)

    def time_runs(fn):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return {"p50_ms": 1e3 * percentile(times, 0.5), "p95_ms": 1e3 * percentile(times, 0.95),
                "mean_ms": 1e3 * statistics.fmean(times)}

    def forward():
        with torch.no_grad():
            model(batch, hard=True)

    def full_trace():
        json.dumps(trace(model, vocab, ex["columns"], ex["rows"], ex["question"]))

    return {"rows": 120, "columns": 5, "question": ex["question"], "runs": runs,
            "hard_forward": time_runs(forward), "trace": time_runs(full_trace),
            "encode": time_runs(lambda: encode([ex], vocab))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--d", type=int, default=64, help="hidden size (default 64, the shipped config)")
    parser.add_argument("--steps", type=int, default=200, help="timed training steps (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed warm-up steps/runs (default 20)")
    parser.add_argument("--runs", type=int, default=200, help="timed inference runs (default 200)")
    parser.add_argument("--train-option", action="append", metavar="KEY=VALUE",
                        help="override a TrainConfig field for the training benchmark (repeatable)")
    parser.add_argument("--skip-inference", action="store_true")
    parser.add_argument("--trained", default=str(SHIPPED),
                        help="checkpoint for the trained-model training figure (default: the shipped columns-5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        options = parse_options(TrainConfig, args.train_option, exclude=("task",))
    except ValueError as e:
        parser.error(f"--train-option: {e}")

    train = bench_training(args.d, args.steps, args.warmup, options=options)
    trained = None
    if Path(args.trained).is_file():
        from engine.np2016.checkpoint import load_checkpoint
        model, vocab, _ = load_checkpoint(args.trained)
        trained = bench_training(model.config.d, args.steps, args.warmup, options=options, init=(model, vocab))
    if args.skip_inference:
        for label, r in (("from scratch", train), ("trained model", trained)):
            if r:
                print(f"training {label} ({options or 'defaults'}): {r['examples_per_s']:.0f} examples/s, "
                      f"step p50 {r['step_ms_p50']:.1f} ms, p95 {r['step_ms_p95']:.1f} ms ({r['steps']} steps)")
        return 0
    infer = bench_inference(args.d, args.runs, args.warmup)
    if args.json:
        print(json.dumps({"threads": args.threads, "torch": torch.__version__, "training": train,
                          "training_trained_model": trained, "inference": infer}, indent=2))
        return 0
    cfg = train["config"]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), task {TASK}, d={args.d}, "
          f"T={cfg['steps']}, bidirectional={cfg['bidirectional']}, {train['parameters']} parameters")
    interesting = ("search_samples", "search_memory", "search_weight", "grad_noise")
    print("training options: " + ", ".join(f"{k}={train['train_config'][k]}" for k in interesting
                                            if k in train["train_config"]))
    for label, r in (("from scratch ", train), ("trained model", trained)):
        if r:
            print(f"training {label}: {r['examples_per_s']:.0f} examples/s ({r['steps_per_s']:.1f} steps/s of "
                  f"batch {r['batch_size']}; step p50 {r['step_ms_p50']:.1f} ms, p95 {r['step_ms_p95']:.1f} ms;"
                  f" {r['steps']} steps)")
    labels = {"trace": "trace()     ", "hard_forward": "hard forward", "encode": "encode      "}
    for key, label in labels.items():
        r = infer[key]
        print(f"inference {label}: p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms "
              f"({infer['runs']} runs, {infer['rows']} rows x {infer['columns']} columns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
