"""Training throughput of the 2017 model (engine/wtq2017/model.py) on converted WikiTableQuestions examples.

    .venv/bin/python benchmarks/wtq_throughput.py [--data runs/wtq/random-split-1-train.jsonl] [--d 256]
                                                  [--batch-size 20] [--seconds 30] [--threads 1] [--json]

One training step as the paper's recipe has it (spec §6.2): a random batch, encoded (engine/wtq2017/batch.py),
forward with dropout, recurrent and word dropout, the TF loss plus weight decay (engine/wtq2017/model.py),
backward, global-norm clipping at 1 and Adam (eps 1e-6). Prints examples/s, the split between encoding and
the step itself, and what the paper's 100,001 steps of 20 would take at that rate. The vocabulary is the
training file's words seen at least `word_cutoff` times. Timing starts after 3 warm-up steps.

The default --data lives in the git-ignored runs/ folder: on a fresh clone it is missing, and the script says
which wtq-convert command writes it and exits 2 (so does any --data it cannot read).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from engine.core.io.csv_table import InputError  # noqa: E402
from engine.core.io.examples import read_jsonl  # noqa: E402
from engine.wtq2017.batch import build_vocab, encode_batch  # noqa: E402
from engine.wtq2017.config import ModelConfig, TrainConfig  # noqa: E402
from engine.wtq2017.model import NeuralProgrammer, batch_loss, weight_decay  # noqa: E402

DEFAULT_DATA = ROOT / "runs" / "wtq" / "random-split-1-train.jsonl"
TRAIN_TSV = "WikiTableQuestions/data/random-split-1-train.tsv"  # in the dataset, wherever it was unpacked


def measure(examples: list[dict], d: int, batch_size: int, seconds: float, seed: int = 0) -> dict:
    train = TrainConfig(batch_size=batch_size)
    vocab = build_vocab(examples, ModelConfig().word_cutoff)
    cfg = ModelConfig(vocab_size=len(vocab), d=d)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = NeuralProgrammer(cfg, vocab).train()
    opt = torch.optim.Adam(model.parameters(), lr=train.lr, eps=train.adam_eps)
    encode_s = step_s = 0.0
    steps = 0
    losses = []
    start = time.perf_counter()
    for i in range(10**9):
        t0 = time.perf_counter()
        batch = encode_batch(rng.sample(examples, batch_size), vocab, cfg)
        t1 = time.perf_counter()
        loss = batch_loss(model(batch), batch, cfg)
        opt.zero_grad()
        (loss + weight_decay(model, train.l2)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train.clip)
        opt.step()
        t2 = time.perf_counter()
        losses.append(loss.item())
        if i == 2:  # warm-up done
            start, encode_s, step_s, steps = time.perf_counter(), 0.0, 0.0, 0
            continue
        if i > 2:
            encode_s, step_s, steps = encode_s + t1 - t0, step_s + t2 - t1, steps + 1
            if time.perf_counter() - start >= seconds:
                break
    wall = time.perf_counter() - start
    rate = steps * batch_size / wall
    return {
        "d": d, "batch_size": batch_size, "vocab": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
        "steps": steps, "seconds": round(wall, 2), "examples_per_s": round(rate, 1),
        "encode_ms_per_step": round(1000 * encode_s / steps, 1), "train_ms_per_step": round(1000 * step_s / steps, 1),
        "paper_schedule_hours": round(train.steps * batch_size / rate / 3600, 1),
        "epoch_minutes": round(len(examples) / rate / 60, 1),
        "first_loss": round(losses[0], 3), "last_loss": round(losses[-1], 3),
    }


def convert_first(data: Path) -> str:
    """The one line that says how to make a missing data file (a fresh clone has no runs/ folder)."""
    return (f"{data}: not found; convert the training questions first: python -m engine wtq-convert "
            f"--tsv {TRAIN_TSV} --output {os.path.relpath(data)} (or pass --data FILE)")


def trainable_examples(data: Path) -> list[dict]:
    """The trainable examples of a converted file; InputError, in one line, when it cannot be read."""
    if not data.is_file():  # checked here, not left to the reader, to name the command that writes it
        raise InputError(convert_first(data))
    return [ex for ex in read_jsonl(data) if ex.get("wtq", {}).get("trainable")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="converted training examples (default: runs/wtq/random-split-1-train.jsonl)")
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    try:
        examples = trainable_examples(args.data)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if len(examples) < args.batch_size:
        print(f"{args.data}: only {len(examples)} trainable examples", file=sys.stderr)
        return 1
    read_s = time.perf_counter() - t0
    result = measure(examples, args.d, args.batch_size, args.seconds)
    result.update(data=str(args.data), examples=len(examples), read_s=round(read_s, 1))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
