"""Peak resident memory of training runs, measured, and the fit behind engine/np2016/memory_estimate.py.

    python benchmarks/train_memory.py            # the recorded measurements beside today's estimate (instant)
    python benchmarks/train_memory.py --measure  # measure again (about 8 min on 2 busy cores), print them and the fit

Three kinds of measurement, each in a fresh process reading its own peak with resource.getrusage (ru_maxrss):
- the process alone: `import torch` and the engine (PROCESS_MB);
- each task's data: 4,000 generated training examples, then encoded as the trainer stores them (the costs per
  example, per cell and per padded cell);
- short training runs (`python -m engine train ... --steps 3`, one thread): what is left once the process and
  the data are taken away is fitted, by least squares with no negative cost, as a constant plus one training
  step's tensors (soft execution, column scores, program search).
The HELD_OUT runs are not fitted: they check the estimate (tests/np2016/test_memory_estimate.py holds it to a quarter
of their recorded peaks, and runs one of them live with a wider margin, since another machine measures more).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.np2016 import memory_estimate as me  # noqa: E402
from engine.np2016.config import TrainConfig  # noqa: E402
from engine.np2016.data import tasks as data  # noqa: E402

DATA_EXAMPLES = 4000
SHORT = {"steps": 3, "eval_every": 3, "threads": 1}
PEAK = "peak_kb"

# a fresh process that reports its peak resident memory on its last stderr line, however it exits
RUN_CHILD = f"""
import resource, runpy, sys
sys.argv = ["engine", *sys.argv[1:]]
try:
    runpy.run_module("engine", run_name="__main__")
finally:
    print("{PEAK}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""
IMPORT_CHILD = f"""
import resource, sys
import torch, engine.cli.main, engine.cli.train, engine.np2016.train
print("{PEAK}", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""
DATA_CHILD = f"""
import resource, sys
import torch, engine.cli.main, engine.np2016.train
from engine import data
from engine.np2016.batch import encode
from engine.core.vocab import Vocab
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
task, n = sys.argv[1], int(sys.argv[2])
before = peak()
examples = data.generate(task, "train", n, 0)
generated = peak()
store = encode(examples, Vocab(data.vocabulary(task)), exact=False, bounded=False)
print("{PEAK}", before, generated, peak(), file=sys.stderr)
"""

# The records: measured with --measure on a 2-core x86-64 CPU (torch 2, one thread), other work on the machine.
PROCESS = 220.9  # MB, the process alone
# (task, MB after the imports, after generating DATA_EXAMPLES training examples, after encoding them)
DATA = [("single-column", 219.9, 260.8, 270.3), ("columns-3", 219.8, 270.6, 290.3), ("columns-5", 219.9, 281.4, 310.4),
        ("columns-10", 219.9, 309.1, 361.0), ("words-1", 220.1, 261.4, 271.3), ("words-5", 219.9, 281.1, 311.8),
        ("text-2", 220.0, 277.8, 301.8), ("text-5", 220.0, 300.0, 351.8), ("names-5", 219.8, 281.3, 310.1)]
# peak MB of each run below, in order
FITTED_MB = [342.4, 452.6, 484.0, 614.5, 825.9, 523.3, 583.2, 990.9, 1315.5]
HELD_OUT_MB = [615.2, 605.9, 513.5, 2474.0]

FIT_RUNS = [
    dict(task="single-column", train_size=2000, eval_size=100, test_size=0, batch_size=50, d=64, T=4,
         search_samples=32),
    dict(task="single-column", train_size=2000, eval_size=100, test_size=0, batch_size=500, d=256, T=8,
         search_samples=0),
    dict(task="columns-10", train_size=2000, eval_size=100, test_size=0, batch_size=500, d=64, T=4,
         search_samples=0),
    dict(task="columns-10", train_size=2000, eval_size=100, test_size=0, batch_size=500, d=256, T=4,
         search_samples=32),
    dict(task="text-5", train_size=2000, eval_size=100, test_size=0, batch_size=500, d=64, T=8,
         search_samples=256),
    dict(task="text-5", train_size=2000, eval_size=100, test_size=0, batch_size=250, d=256, T=8,
         search_samples=32),
    dict(task="columns-3", train_size=2000, eval_size=100, test_size=0, batch_size=500, d=128, T=4,
         search_samples=128),
    dict(task="columns-10", train_size=15000, eval_size=1000, test_size=1000, batch_size=100, d=64, T=4,
         search_samples=32),
    dict(task="text-5", train_size=20000, eval_size=2000, test_size=2000, batch_size=500, d=256, T=8,
         search_samples=32),
]
HELD_OUT_RUNS = [
    dict(task="names-5", train_size=10000, eval_size=500, test_size=500, batch_size=200, d=128, T=4,
         search_samples=32),
    dict(task="text-2", train_size=6000, eval_size=300, test_size=1000, batch_size=400, d=256, T=6,
         search_samples=64),
    dict(task="words-5", train_size=5000, eval_size=300, test_size=500, batch_size=300, d=32, T=5,
         search_samples=16),
    # the Train page's largest data sizes with issue 19's settings (text-5, d = 256, batch 500): about a minute
    dict(task="text-5", train_size=50000, eval_size=5000, test_size=5000, batch_size=500, d=256, T=8,
         search_samples=32),
]


def peak_mb(stderr: str) -> list[float]:
    """The MB figures of the child's last peak line (ru_maxrss is in KB on Linux)."""
    line = next(line for line in reversed(stderr.splitlines()) if line.startswith(PEAK))
    return [int(kb) / 1024 for kb in line.split()[1:]]


def child(code: str, *args) -> list[float]:
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    return peak_mb(result.stderr)


def flags(settings: dict, output: Path) -> list[str]:
    """`train` arguments for `settings` (TrainConfig fields, plus d and T of the model)."""
    args = ["train", "--task", settings["task"], "--output", str(output)]
    for name, value in {**SHORT, **settings}.items():
        if name != "task":
            args += [f"--{name.replace('_', '-')}", str(value)]
    return args


def measure_run(settings: dict, output: Path) -> float:
    """Peak MB of a short `python -m engine train` with `settings`."""
    return child(RUN_CHILD, *flags(settings, output))[0]


def config(settings: dict) -> TrainConfig:
    return TrainConfig(**{k: v for k, v in {**SHORT, **settings}.items() if k not in ("d", "T")})


def estimated(settings: dict) -> me.MemoryEstimate:
    return me.estimate(config(settings), settings["d"], settings["T"])


def nonnegative_least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares with every coefficient >= 0: a cost that fits negative is dropped and the rest refitted."""
    keep = np.ones(x.shape[1], bool)
    while True:
        coef = np.zeros(x.shape[1])
        coef[keep] = np.linalg.lstsq(x[:, keep], y, rcond=None)[0]
        if (coef >= 0).all():
            return coef
        keep &= coef > 0


def fit_data(rows: list[tuple[str, float, float, float]]) -> dict[str, float]:
    """The data costs (bytes per example, cell, text cell; per padded cell and padded text cell) from each
    task's generated and encoded examples."""
    shapes = [me.TableShape.of_task(task, "train") for task, *_ in rows]
    generated = np.array([(gen - before) * me.MB / DATA_EXAMPLES for _, before, gen, _ in rows])
    encoded = np.array([(enc - gen) * me.MB / DATA_EXAMPLES for _, _, gen, enc in rows])
    example, cell, text = nonnegative_least_squares(np.array([[1.0, s.cells, s.text_cells] for s in shapes]),
                                                    generated)
    padded, padded_text = nonnegative_least_squares(
        np.array([[s.rows * s.columns, s.rows * s.text_columns] for s in shapes], float), encoded)
    return {"EXAMPLE_BYTES": example, "CELL_BYTES": cell, "TEXT_CELL_BYTES": text, "PADDED_CELL_BYTES": padded,
            "PADDED_TEXT_BYTES": padded_text}


def step_counts(settings: dict) -> tuple[float, float, float]:
    cfg = config(settings)
    shape = me.TableShape.of_task(cfg.task, "train")
    return me.step_features(cfg.batch_size, shape.rows, shape.columns, settings["d"], settings["T"],
                            me.searched_programs(cfg))


def fit_steps(runs: list[tuple[dict, float]]) -> dict[str, float]:
    """The fixed MB and the step costs: what the process, data and test parts (already fitted) leave of each
    run."""
    rest = np.array([mb - (e := estimated(s)).process_mb - e.data_mb - e.test_mb for s, mb in runs])
    x = np.array([[1.0, *(n / me.MB for n in step_counts(s))] for s, _ in runs])
    fixed, soft, column, search = nonnegative_least_squares(x, rest)
    return {"FIXED_MB": fixed, "SOFT_BYTES": soft, "COLUMN_BYTES": column, "SEARCH_BYTES": search}


def refit(process: float, rows, fitted) -> dict[str, float]:
    """Every constant of engine/np2016/memory_estimate.py from these measurements (set there while fitting, since the
    step costs are fitted to what the data costs leave)."""
    constants = {"PROCESS_MB": process, **fit_data(rows)}
    vars(me).update(constants)
    constants.update(fit_steps(fitted))
    vars(me).update(constants)
    return constants


def table(title: str, runs: list[tuple[dict, float]]) -> None:
    print(f"\n{title}\n| task | train | eval | test | batch | d | T | programs | measured MB | estimated MB | error |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s, mb in runs:
        guess = estimated(s).peak_mb
        print(f"| {s['task']} | {s['train_size']:,} | {s['eval_size']:,} | {s['test_size']:,} | {s['batch_size']} | "
              f"{s['d']} | {s['T']} | {s['search_samples']} | {mb:,.0f} | {guess:,.0f} | {(guess - mb) / mb:+.0%} |")


def report(process: float, rows, fitted, held) -> None:
    """The measurements beside engine/np2016/memory_estimate.py's estimate, then the constants they fit."""
    print(f"process alone (import torch and the engine): {process:.0f} MB (PROCESS_MB {me.PROCESS_MB:.0f})")
    print(f"\ndata: {DATA_EXAMPLES:,} training examples of each task, MB generated and MB encoded (estimate)")
    for task, before, gen, enc in rows:
        shape = me.TableShape.of_task(task, "train")
        print(f"  {task:14s} generated {gen - before:5.1f} ({DATA_EXAMPLES * me.generated_bytes(shape) / me.MB:5.1f})"
              f"  encoded {enc - gen:5.1f} ({DATA_EXAMPLES * me.encoded_bytes(shape) / me.MB:5.1f})")
    table("runs the costs were fitted to (peak resident memory of `python -m engine train`, 3 steps)", fitted)
    table("runs held out of the fit", held)
    print("\nthe constants these measurements fit (engine/np2016/memory_estimate.py):")
    for name, value in refit(process, rows, fitted).items():
        print(f"  {name} = {value:,.2f}")


def measure_all(output: Path) -> None:
    """Measure everything again; print the records (to paste above) and the report."""
    process = child(IMPORT_CHILD)[0]
    rows = [(task, *child(DATA_CHILD, task, DATA_EXAMPLES)) for task in data.TASKS]
    fitted = [(s, measure_run(s, output)) for s in FIT_RUNS]
    held = [(s, measure_run(s, output)) for s in HELD_OUT_RUNS]
    print(f"PROCESS = {process:.1f}")
    print(f"DATA = {[(task, *(round(mb, 1) for mb in mbs)) for task, *mbs in rows]}")
    print(f"FITTED_MB = {[round(mb, 1) for _, mb in fitted]}\nHELD_OUT_MB = {[round(mb, 1) for _, mb in held]}\n")
    report(process, rows, fitted, held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure again and print a new fit")
    parser.add_argument("--output", type=Path, default=Path("/tmp/train_memory.safetensors"),
                        help="checkpoint the short runs write (replaced by each)")
    args = parser.parse_args()
    if args.measure:
        measure_all(args.output)
    else:
        report(PROCESS, DATA, list(zip(FIT_RUNS, FITTED_MB, strict=True)),
               list(zip(HELD_OUT_RUNS, HELD_OUT_MB, strict=True)))


if __name__ == "__main__":
    main()
