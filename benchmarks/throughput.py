"""Training throughput: one model alone, K models batched in one process, and one process per core.

    .venv/bin/python benchmarks/throughput.py [--task single-column] [--preset paper2016] [--ds 64,256]
                                              [--ks 1,4,8,16] [--processes 2] [--seconds 20] [--json]

For each hidden size d:
- "alone": engine.np2016.train's Trainer.step (forward, loss, backward, clipping, noise, Adam) of one model;
- "K batched": engine.np2016.multi_train's MultiTrainer.step for K models (torch.func.vmap over stacked parameters),
  in one process with one thread; examples/s counts all K models' examples;
- "both cores": --processes processes at once, each running the best one-process row (a K-model batch, or the
  lone trainer) with one thread, summed, and its ratio to that one-process figure;
- the arithmetic: FLOPs per training example (torch.utils.flop_counter over one step of forward and backward),
  the FLOP/s one process reaches, and the core's peak as measured by a large float32 matmul on one thread.
Program search is off in every row (the batched trainer trains soft-loss runs, as the paper's sweep does). The
training data are small generated sets (2,000 examples per model): the step's cost does not depend on their
number. Each row times whole steps for about --seconds seconds after a warm-up of 3 steps.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.vocab import Vocab  # noqa: E402
from engine.np2016 import presets  # noqa: E402
from engine.np2016.data import tasks as data  # noqa: E402
from engine.np2016.multi_train import MultiTrainer  # noqa: E402
from engine.np2016.train import Progress, Trainer, initial_model, training_data  # noqa: E402


def configs(task: str, preset: str, k: int):
    return [presets.train_config(preset, task, seed=s, train_size=2000, eval_size=50, test_size=0,
                                 search_samples=0, threads=1) for s in range(k)]


def build(task: str, preset: str, d: int, k: int):
    """A MultiTrainer of k models (k = 0: a lone Trainer)."""
    torch.set_num_threads(1)
    cfgs = configs(task, preset, max(k, 1))
    model_config = presets.model_config(preset, task, len(Vocab(data.vocabulary(task))), d=d)
    built = [initial_model(c, model_config, None) for c in cfgs]
    sets = [training_data(c, threading.Event()) for c in cfgs]
    if k == 0:
        return Trainer(cfgs[0], built[0][0], built[0][1], *sets[0], Progress())
    return MultiTrainer(cfgs, [m for m, _ in built], built[0][1], sets)


def timed(trainer, models: int, seconds: float) -> float:
    """Examples per second over whole steps for about `seconds` after a 3-step warm-up."""
    batch = trainer.cfgs[0].batch_size if hasattr(trainer, "cfgs") else trainer.cfg.batch_size
    for step in range(1, 4):
        trainer.step(step)
    step, start = 4, time.perf_counter()
    while time.perf_counter() - start < seconds or step < 7:
        trainer.step(step)
        step += 1
    return models * batch * (step - 4) / (time.perf_counter() - start)  # models: 1 for a lone Trainer


def _worker(args, queue):
    task, preset, d, k, seconds, barrier = args
    trainer = build(task, preset, d, k)
    barrier.wait()  # every process starts timing together
    queue.put(timed(trainer, max(k, 1), seconds))


def both_cores(task, preset, d, k, seconds, processes) -> float:
    ctx = mp.get_context("spawn")
    queue, barrier = ctx.Queue(), ctx.Barrier(processes)
    procs = [ctx.Process(target=_worker, args=((task, preset, d, k, seconds, barrier), queue))
             for _ in range(processes)]
    for p in procs:
        p.start()
    rates = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def flops_per_example(task, preset, d) -> float:
    trainer = build(task, preset, d, 1)
    trainer.step(1)
    with FlopCounterMode(display=False) as counter:
        trainer.step(2)
    return counter.get_total_flops() / trainer.cfgs[0].batch_size


def peak_flops(n: int = 1024, seconds: float = 3.0) -> float:
    """FLOP/s of an n x n float32 matmul on one thread: what this core's arithmetic reaches at best."""
    torch.set_num_threads(1)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="single-column")
    parser.add_argument("--preset", default="paper2016")
    parser.add_argument("--ds", default="64,256", help="hidden sizes, comma-separated")
    parser.add_argument("--ks", default="1,4,8,16", help="models per process, comma-separated")
    parser.add_argument("--processes", type=int, default=2, help="processes for the both-cores row")
    parser.add_argument("--seconds", type=float, default=20.0, help="timed seconds per row")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="also save the figures to docs/throughput.json (benchmarks/reproduce.py shows them)")
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]
    peak = peak_flops()
    rows = []
    for d in (int(x) for x in args.ds.split(",")):
        fpe = flops_per_example(args.task, args.preset, d)
        alone = timed(build(args.task, args.preset, d, 0), 1, args.seconds)
        batched = {k: timed(build(args.task, args.preset, d, k), k, args.seconds) for k in ks}
        one_process = {0: alone, **batched}  # 0: the lone trainer
        best_k = max(one_process, key=one_process.get)
        both = both_cores(args.task, args.preset, d, best_k, args.seconds, args.processes)
        rows.append({"d": d, "flops_per_example": fpe, "alone": alone, "batched": batched, "best_k": best_k,
                     "both_cores": both, "processes": args.processes, "speedup": both / one_process[best_k],
                     "utilisation": fpe * one_process[best_k] / peak})
    doc = {"task": args.task, "preset": args.preset, "peak_flops": peak, "ks": ks, "rows": rows,
           "command": "python benchmarks/throughput.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if args.write:
        write_atomic(ROOT / "docs" / "throughput.json", json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc, indent=1) if args.json else table(doc))
    return 0


def table(doc: dict) -> str:
    """The figures as a markdown table with its caption (also shown in docs/RESULTS.md)."""
    ks = doc["ks"]
    head = " | ".join(f"K={k}" for k in ks)
    lines = [f"Task {doc['task']}, preset `{doc['preset']}` (program search off), batch 50, one torch thread per "
             f"process; examples/s. Core peak (1024×1024 float32 matmul, one thread): "
             f"{doc['peak_flops'] / 1e9:.1f} GFLOP/s. Produced by `{doc['command'].strip()}`.", "",
             f"| d | one model alone | {head} (one process) | both cores (processes × the best of one process) | "
             "both cores / the best one process | training FLOPs / example | the best one process's share of "
             "the core's peak |", "|---|---" + "|---" * len(ks) + "|---|---|---|---|"]
    for r in doc["rows"]:
        cells = " | ".join(f"{r['batched'][str(k)] if str(k) in r['batched'] else r['batched'][k]:,.0f}"
                           for k in ks)
        best = "alone" if r["best_k"] == 0 else f"K={r['best_k']}"
        lines.append(f"| {r['d']} | {r['alone']:,.0f} | {cells} | {r['both_cores']:,.0f} ({r['processes']} × "
                     f"{best}) | {r['speedup']:.2f}× | {r['flops_per_example'] / 1e6:.1f} M | "
                     f"{100 * r['utilisation']:.0f} % |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
