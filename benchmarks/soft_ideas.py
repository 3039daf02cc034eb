"""Gradient descent alone: each idea of docs/design.md ("Gradient descent alone: what we tried") on single column,
4 seeds trained together (engine/np2016/multi_train.py), printed as that section's table.

    .venv/bin/python benchmarks/soft_ideas.py [--rows all|N,N,...] [--seeds 4] [--templates]

Every row starts from `presets.train_config("default", "single-column", search_samples=0, ...)`: our model and
its additions without program search. A run stops when its validation accuracy reaches 100 %; the best validated
model is scored on 1,000 fresh test questions. --templates also prints the first seed's accuracy per template on
600 more test questions (what the traces in docs/design.md were read from).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.core.vocab import Vocab  # noqa: E402
from engine.np2016 import presets  # noqa: E402
from engine.np2016.data import tasks as data
from engine.np2016.evaluate import evaluate_examples  # noqa: E402
from engine.np2016.multi_train import train_many  # noqa: E402

TASK = "single-column"
# (label, steps, TrainConfig switches, ModelConfig switches)
ROWS = [
    ("none: soft loss with our additions", 2000, {}, {}),
    ("product logic for and/or (`product_logic`)", 3000, {}, {"product_logic": True}),
    ("the paper's gradient-noise scale η = 1 (`noise_eta`)", 3000, {"noise_eta": 1.0}, {}),
    ("softmax temperature 5 → 1 over 2,000 steps", 3000, {"temperature": 5.0, "temperature_steps": 2000}, {}),
    ("Gumbel selection noise 1 → 0 over 2,000 steps", 3000, {"selection_noise": 1.0, "temperature_steps": 2000}, {}),
    ("Gumbel selection noise 2 → 0 over 4,000 steps", 5000, {"selection_noise": 2.0, "temperature_steps": 4000}, {}),
    ("long programs first (1,000 steps) + Gumbel 1 → 0 over 3,000", 4000,
     {"selection_noise": 1.0, "temperature_steps": 3000, "long_first_steps": 1000}, {}),
    ("Gumbel selection noise 1 throughout (the `soft` preset)", 5000, {"selection_noise": 1.0}, {}),
]


def run_row(steps: int, switches: dict, model_switches: dict, seeds: int):
    cfgs = [presets.train_config("default", TASK, steps=steps, eval_every=250, test_size=1000, search_samples=0,
                                 **switches, seed=s) for s in range(seeds)]
    model_config = presets.model_config("default", TASK, len(Vocab(data.vocabulary(TASK))), **model_switches)
    return train_many(cfgs, model_config, target_accuracy=1.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="all", help="row numbers (1-based, comma-separated) or all")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--templates", action="store_true")
    args = ap.parse_args(argv)
    chosen = range(1, len(ROWS) + 1) if args.rows == "all" else [int(r) for r in args.rows.split(",")]
    print("| idea (switch) | steps | test % per seed | test mean | validation mean | wall s |\n"
          "|---|---|---|---|---|---|", flush=True)
    for number in chosen:
        label, steps, switches, model_switches = ROWS[number - 1]
        start = time.time()
        results = run_row(steps, switches, model_switches, args.seeds)
        tests = [100 * r.summary["test_accuracy"] for r in results]
        valid = [100 * r.summary["valid_accuracy"] for r in results]  # what a choice between ideas may read
        print(f"| {label} | {steps:,} | {', '.join(f'{t:.1f}' for t in tests)} | {sum(tests) / len(tests):.1f} | "
              f"{sum(valid) / len(valid):.1f} | {time.time() - start:.0f} |", flush=True)
        if args.templates:
            report = evaluate_examples(results[0].model, results[0].vocab, data.generate(TASK, "test", 600, 99))
            print("  " + "; ".join(f"{k}: {v['correct']}/{v['total']}" for k, v in report["per_template"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
