"""How reliably does training reach the target? Several seeds, with and without gradient noise.

Each run trains from scratch with the default TrainConfig (plus the given overrides), stops early when the
evaluation accuracy reaches the target, and is then scored on a fresh test set (100 questions per
template, at most 5,000). Runs go two at a time (one torch thread each). Writes docs/trainability.json, which
benchmarks/reproduce.py renders into docs/RESULTS.md.

    python benchmarks/trainability.py --task single-column --seeds 10 --steps 6000
    python benchmarks/trainability.py --task columns-5 --seeds 5 --steps 8000 --append
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "trainability.json"
from engine.core.io.atomic import write_atomic  # noqa: E402


def one_run(task: str, seed: int, noise: bool, steps: int, target: float) -> dict:
    import torch

    from engine.np2016.config import TrainConfig
    from engine.np2016.data import tasks as data
    from engine.np2016.evaluate import evaluate_examples
    from engine.np2016.train import train

    torch.set_num_threads(1)
    started = time.time()
    # stops on the validation set (training distribution); the test below is read once, after training
    cfg = TrainConfig(task=task, steps=steps, seed=seed, grad_noise=noise, test_size=0)
    result = train(cfg, target_accuracy=target)
    test = data.generate(task, "test", min(100 * len(data.templates(task)), 5000), seed + 4242)
    acc = evaluate_examples(result.model, result.vocab, test)["accuracy"]
    return {"seed": seed, "noise": noise, "accuracy": acc, "seconds": round(time.time() - started, 1),
            "steps_run": result.summary["steps_run"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="single-column")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--target", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--append", action="store_true", help="keep other tasks' rows in docs/trainability.json")
    args = ap.parse_args()
    jobs = [(args.task, seed, noise, args.steps, args.target) for noise in (True, False) for seed in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(pool.map(one_run, *zip(*jobs, strict=True)))
    doc = json.loads(OUT.read_text()) if args.append and OUT.is_file() else {"runs": []}
    doc["runs"] = [r for r in doc["runs"] if r["task"] != args.task]
    for noise in (True, False):
        mine = [r for r in runs if r["noise"] == noise]
        row = {"task": args.task, "noise": noise, "target": args.target, "steps": args.steps,
               "accuracies": [r["accuracy"] for r in mine], "seconds": [r["seconds"] for r in mine],
               "hits": sum(r["accuracy"] >= args.target - 1e-9 for r in mine)}
        doc["runs"].append(row)
        print(f"{args.task} noise={'on' if noise else 'off'}: {row['hits']}/{len(mine)} reach "
              f"{100 * args.target:.0f}%; accuracies {[round(100 * a, 1) for a in row['accuracies']]}")
    doc["command"] = "python benchmarks/trainability.py " + " ".join(sys.argv[1:])
    write_atomic(OUT, json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
