"""Train the paper's LSTM baselines (spec §8.2) and Neural Programmer on the simplified single-column task.

    .venv/bin/python benchmarks/baselines.py                 # ~4-5 min per model, CPU, 1 thread
    .venv/bin/python benchmarks/baselines.py --seconds 60 --np-seconds 60 --eval-size 500   # quick

Each model is evaluated on fresh test examples with cell and pivot values in [-10, 10] (the training
range) and in [-50, 50] (the scaled test). Prints a table, writes docs/baselines.json, and saves the
baselines to checkpoints/baselines/{seq2seq,attention}.safetensors.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import baselines as B  # noqa: E402
from engine.baselines import task as bd  # noqa: E402
from engine.core.device import DeviceError, resolve_device  # noqa: E402
from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.settings import DEVICES  # noqa: E402
from engine.np2016.evaluate import evaluate_examples  # noqa: E402
from engine.papers import P16_LSTM_BASELINES  # noqa: E402

TEST_SEEDS = {1: 1_000_001, 5: 1_000_005}  # distinct from the training and validation seeds
PAPER = P16_LSTM_BASELINES  # engine/papers.py


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def categories(per_template: dict) -> dict:
    """Accuracy per question category (aggregation, comparison, logic, arithmetic)."""
    out = {}
    for cat, templates in bd.TEMPLATES.items():
        c = sum(per_template.get(t, {}).get("correct", 0) for t in templates)
        n = sum(per_template.get(t, {}).get("total", 0) for t in templates)
        out[cat] = round(c / n, 4) if n else None
    return out


def run_baseline(kind, config, args, tests) -> dict:
    path = ROOT / args.checkpoints / f"{kind}.safetensors"
    if args.reuse_checkpoints:
        print(f"evaluating the saved {path}", flush=True)
        model = B.load_baseline(path)
        config, info = model.config, model.info
    else:
        print(f"training {kind} {config} for up to {args.seconds:.0f} s ...", flush=True)
        model, info = B.train_baseline(kind, config, steps=args.max_steps, seed=args.seed,
                                       seconds=args.seconds, batch_size=args.batch_size, lr=args.lr,
                                       device=args.device)
        B.save_baseline(path, model, info)
    row = {"model": f"{kind} LSTM" if kind == "seq2seq" else f"LSTM + attention ({config.heads} heads)",
           "kind": kind, "config": config.__dict__, "steps": info["steps_run"],
           "train_seconds": info["seconds"],
           "parameters": info["parameters"], "checkpoint": _rel(path)}
    for scale, examples in tests.items():
        res = B.evaluate_baseline(model, examples, details=True)
        row[f"acc_range_{10 * scale}"] = round(res["accuracy"], 4)
        row[f"categories_range_{10 * scale}"] = categories(res["per_template"])
    return row


def run_np(args, tests) -> dict:
    from engine.np2016.config import TrainConfig
    from engine.np2016.train import train

    train_examples = bd.generate(args.np_train_size, seed=args.seed + 101)
    eval_examples = bd.generate(500, seed=args.seed + 202)
    cfg = TrainConfig(task="single-column", steps=args.np_steps, seed=args.seed, threads=1,
                      train_size=args.np_train_size, eval_size=500)
    print(f"training Neural Programmer ({args.np_steps} steps, at most {args.np_seconds:.0f} s) ...",
          flush=True)
    stop = threading.Event()
    timer = threading.Timer(args.np_seconds, stop.set)
    timer.start()
    try:
        result = train(cfg, train_examples=train_examples, eval_examples=eval_examples, stop=stop)
    finally:
        timer.cancel()
    s = result.summary
    row = {"model": "Neural Programmer", "kind": "neural-programmer", "steps": s["steps_run"],
           "train_seconds": s["seconds"], "train_size": len(train_examples), "error": s.get("error"),
           "parameters": sum(p.numel() for p in result.model.parameters()), "train_config": cfg.to_dict()}
    for scale, examples in tests.items():
        res = evaluate_examples(result.model, result.vocab, examples)
        row[f"acc_range_{10 * scale}"] = round(res["accuracy"], 4)
        row[f"categories_range_{10 * scale}"] = categories(res["per_template"])
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=240.0, help="training budget per baseline")
    ap.add_argument("--max-steps", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--heads", type=int, default=5, choices=[1, 5, 10])
    ap.add_argument("--table-first", action="store_true", help="put the table before the question")
    ap.add_argument("--np-steps", type=int, default=3000)
    ap.add_argument("--np-seconds", type=float, default=300.0, help="training budget for Neural Programmer")
    ap.add_argument("--np-train-size", type=int, default=50_000)
    ap.add_argument("--skip-np", action="store_true")
    ap.add_argument("--reuse-checkpoints", action="store_true",
                    help="evaluate the saved baselines instead of training them (train time: their metadata)")
    ap.add_argument("--also", nargs="*", default=[], metavar="JSON",
                    help="results of other runs of this script (longer GPU runs) to copy under other_runs")
    ap.add_argument("--eval-size", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=DEVICES, help="where the baselines train (NP always on the CPU)")
    ap.add_argument("--checkpoints", default="checkpoints/baselines")
    ap.add_argument("--out", default="docs/baselines.json")
    args = ap.parse_args(argv)
    try:
        resolve_device(args.device)
    except DeviceError as e:
        ap.exit(2, f"error: {e}\n")
    torch.set_num_threads(1)

    tests = {scale: bd.generate(args.eval_size, seed=TEST_SEEDS[scale], scale=scale) for scale in (1, 5)}
    rows = [run_baseline("seq2seq", B.Seq2SeqConfig(table_first=args.table_first), args, tests),
            run_baseline("attention", B.AttentionConfig(heads=args.heads, table_first=args.table_first),
                         args, tests)]
    if not args.skip_np:
        try:
            rows.append(run_np(args, tests))
        except Exception as e:  # the engine is a moving target; keep the baselines' figures
            print(f"Neural Programmer failed: {e!r}", flush=True)
            rows.append({"model": "Neural Programmer", "kind": "neural-programmer", "error": repr(e),
                         "acc_range_10": None, "acc_range_50": None, "train_seconds": None, "steps": None})

    print(f"\n{'model':34} | acc [-10,10] | acc [-50,50] | train time")
    print(f"{'-' * 34}-|--------------|--------------|-----------")
    for r in rows:
        if r.get("acc_range_10") is None:
            print(f"{r['model']:34} | failed: {r.get('error')}")
            continue
        print(f"{r['model']:34} | {r['acc_range_10']:12.1%} | {r['acc_range_50']:12.1%} | "
              f"{r['train_seconds']:6.0f} s ({r['steps']} steps)")
    out = {
        "task": {"name": bd.TASK_NAME, "columns": 1, "rows": [bd.MIN_ROWS, bd.MAX_ROWS],
                 "values": "uniform integers in [-10, 10] (training, test) and [-50, 50] (scaled test)",
                 "templates": bd.ALL_TEMPLATES, "test_size": args.eval_size,
                 "metric": "exact match of the integer answer (NP: within 0.05)"},
        "device": (f"CPU ({platform.processor() or platform.machine()}), torch threads = 1"
                   if args.device == "cpu"
                   else f"baselines: {torch.cuda.get_device_name()}"
                   + ("" if args.skip_np else "; Neural Programmer: CPU, 1 thread")),
        "command": "python benchmarks/baselines.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "paper": PAPER,
        "results": rows,
    }
    if args.also:
        out["other_runs"] = []
        for f in args.also:
            other = json.loads(Path(f).read_text())
            out["other_runs"].append({k: other[k] for k in ("device", "command", "date", "results")})
    path = ROOT / args.out
    write_atomic(path, json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {_rel(path)}")


if __name__ == "__main__":
    main()
