"""Ablation: the paper's method (preset paper2016), each of our additions alone on top of it, and program search
with and without its memory or the soft loss; several seeds per task, test accuracy and wall time.

Every run has the same budget and is scored once on its task's test split after training (the model chosen on
a validation set from the training distribution). Runs go `--workers` at a time, one torch thread each. Each
finished run is added to the JSON file at once (atomically), so a stopped sweep resumes where it was: a run whose
record holds the same resolved configs is not run again. The table is written into docs/RESULTS.md between
marker comments; benchmarks/reproduce.py includes the same section.

    python benchmarks/ablation.py --steps 1000 --seeds 3 [--tasks single-column,columns-5] [--workers 2]
    python benchmarks/ablation.py --render-only
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sections import replace_section  # noqa: E402
from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.vocab import Vocab  # noqa: E402
from engine.np2016 import presets  # noqa: E402
from engine.np2016.config import ModelConfig, TrainConfig  # noqa: E402
from engine.np2016.data import tasks as data  # noqa: E402
from engine.papers import SYNTHETIC_SETTINGS as PAPER  # noqa: E402

TASKS = ("single-column", "columns-5", "words-1", "text-2")
OUTPUT = ROOT / "docs" / "ablation.json"
RESULTS = ROOT / "docs" / "RESULTS.md"
START, END = "<!-- ablation: written by benchmarks/ablation.py -->", "<!-- /ablation -->"
BATCH, MAX_TRAIN, VALID, TEST = 50, 50_000, 500, 1000
SAME = "= paper2016"
MODEL_FIELDS = frozenset(ModelConfig.__dataclass_fields__)


@dataclass(frozen=True)
class Row:
    label: str
    preset: str
    train: dict = field(default_factory=dict)  # TrainConfig overrides
    model: dict = field(default_factory=dict)  # ModelConfig overrides


def ours(label: str, *names: str) -> Row:
    """paper2016 with the named fields set to the default preset's values (which must not depend on the task)."""
    train, model = {}, {}
    for name in names:
        values = set()
        for task in data.TASKS:
            if name in MODEL_FIELDS:
                values.add(getattr(presets.model_config("default", task, 64), name))  # any vocabulary size
            else:
                values.add(getattr(presets.train_config("default", task), name))
        if len(values) != 1:
            raise ValueError(f"the default preset's {name} depends on the task: {sorted(values)}")
        (model if name in MODEL_FIELDS else train)[name] = values.pop()
    return Row(f"paper2016 + {label}", "paper2016", train, model)


ROWS = (
    Row("paper2016", "paper2016"),
    ours("program search with memory", "search_samples", "search_memory", "search_weight", "search_epsilon"),
    ours("name match", "name_match", "name_dropout"),
    ours("step embedding", "step_embedding"),
    ours("variance-preserving init", "init_scale"),
    ours("balanced lookup loss", "balanced_lookup"),
    ours("question attention at every step", "question_attention"),
    ours("shuffled letters", "shuffle_letters"),
    ours("ordered pivots", "ordered_pivots"),
    ours("exact text match", "text_match"),
    ours("our optimiser settings", "d", "lr", "noise_eta"),
    Row("search without memory", "default", {"search_memory": 0}),
    Row("search + memory (= default)", "default"),
    Row("search only (no soft loss)", "default", {"soft_loss": False}),
)


@functools.cache
def inert_fields(task: str) -> frozenset[str]:
    """Switches that cannot change a run on `task` (whatever the resolved configs say)."""
    spec = data.TASKS[task]
    widest = spec.text_columns + spec.max_columns  # the largest training table's columns (text-2: 1 + 1)
    # the model reads a one-column table's question alike with or without the column's name (engine.core.vocab.
    # lone_column_words), so lone_column_name only changes the text shown: it is never a row of its own
    inert = {"lone_column_name"}
    if not spec.text_columns:
        inert.add("text_match")  # no text_match operation
    if spec.column_names != "letters" or widest == 1:
        inert.add("shuffle_letters")  # header words are drawn anyway; one letter cannot be shuffled
    if widest == 1:
        inert.add("name_match")  # one column: the column choice is that column whatever its score
    if not any("[n2]" in t for t in data.templates(task, "train")):
        inert.add("ordered_pivots")  # no question with two pivots
    return frozenset(inert)


@functools.cache
def vocab_size(task: str) -> int:
    return len(Vocab(data.vocabulary(task)))


def budget(steps: int, seed: int) -> dict:
    """The TrainConfig values every run shares (the same for every row)."""
    return {"steps": steps, "batch_size": BATCH, "train_size": min(steps * BATCH, MAX_TRAIN), "eval_size": VALID,
            "eval_every": max(1, steps // 4), "test_size": TEST, "threads": 1, "seed": seed}


def resolve(row: Row, task: str, steps: int, seed: int) -> tuple[dict, dict]:
    """The TrainConfig and ModelConfig (as dicts) of `row` on `task`."""
    train = presets.train_config(row.preset, task, **{**row.train, **budget(steps, seed)})
    model = presets.model_config(row.preset, task, vocab_size(task), **row.model)
    return train.to_dict(), model.to_dict()


def same_as_paper(row: Row, task: str, steps: int) -> bool:
    """Whether `row` on `task` would run the paper2016 row's configs, up to switches that cannot matter there."""
    if row is ROWS[0]:
        return False
    inert = inert_fields(task)
    mine, paper = resolve(row, task, steps, 0), resolve(ROWS[0], task, steps, 0)
    return all({k: v for k, v in a.items() if k not in inert} == {k: v for k, v in b.items() if k not in inert}
               for a, b in zip(mine, paper, strict=True))


def jobs(tasks, seeds: int, steps: int, records: list[dict]) -> list[dict]:
    """The runs still to do: every (row, task, seed) not shown as "= paper2016" and without a record of the same
    resolved configs."""
    done = {(r["row"], r["task"], r["seed"], json.dumps([r["train_config"], r["model_config"]])) for r in records}
    out = []
    # seed by seed, so that a sweep stopped early has every cell at fewer seeds rather than some cells at none
    for seed, row, task in ((s, r, t) for s in range(seeds) for r in ROWS for t in tasks):
        if same_as_paper(row, task, steps):
            continue
        train, model = resolve(row, task, steps, seed)
        if (row.label, task, seed, json.dumps([train, model])) not in done:
            out.append({"row": row.label, "preset": row.preset, "overrides": {"train": row.train, "model": row.model},
                        "task": task, "seed": seed, "train_config": train, "model_config": model})
    return out


def run(job: dict) -> dict:
    """Train one job (in a worker process) and return its record."""
    from engine.np2016.train import train

    started = time.time()
    result = train(TrainConfig.from_dict(job["train_config"]), ModelConfig.from_dict(job["model_config"]))
    s = result.summary
    return {**job, "steps_run": s["steps_run"], "valid_accuracy": s["valid_accuracy"],
            "test_accuracy": s["test_accuracy"], "error": s["error"], "seconds": round(time.time() - started, 1)}


def add_record(records: list[dict], record: dict) -> list[dict]:
    """`records` with `record` replacing any earlier one of the same row, task and seed."""
    key = (record["row"], record["task"], record["seed"])
    return [r for r in records if (r["row"], r["task"], r["seed"]) != key] + [record]


def sweep(todo: list[dict], doc: dict, output: Path, workers: int) -> dict:
    """Run `todo`, saving `doc` (its "runs" grown) after every finished run."""
    started, total = time.time(), len(todo)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending = {pool.submit(run, job) for job in todo}
    count = 0
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                r, count = future.result(), count + 1
                doc["runs"] = add_record(doc["runs"], r)
                write_atomic(output, json.dumps(doc, indent=1))
                eta = (time.time() - started) / count * (total - count)
                score = f"test {100 * r['test_accuracy']:.1f} %" if r["test_accuracy"] >= 0 else \
                    f"not scored ({r['error'] or 'stopped'})"
                print(f"[{count}/{total}] {r['row']} · {r['task']} · seed {r['seed']}: {score}, "
                      f"{r['seconds']:.0f} s; ETA {eta / 60:.0f} min", flush=True)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        print(f"\nstopped; the finished runs are in {output}: the same command resumes", file=sys.stderr)
        raise SystemExit(130) from None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return doc


# ----------------------------------------------------------------------------- the table

def cell(runs: list[dict], seeds: int) -> str:
    """ "mean (min–max) %, wall s" over the runs' test accuracies; how many seeds when fewer than asked."""
    scored = [100 * r["test_accuracy"] for r in runs if r["test_accuracy"] >= 0]
    if not scored:
        return "–" if not runs else f"not scored ({len(runs)} runs: {runs[0]['error'] or 'no test split'})"
    mean = sum(scored) / len(scored)
    wall = sum(r["seconds"] for r in runs) / len(runs)
    text = f"{mean:.1f} ({min(scored):.1f}–{max(scored):.1f}), {wall:.0f} s"
    return text if len(scored) >= seeds else f"{text} [{len(scored)} of {seeds} seeds]"


def header(task: str) -> str:
    """The task's column title; text tasks give our template count beside the paper's (the grammars differ)."""
    name, _, paper_templates, _ = PAPER[task]
    if not data.TASKS[task].text_columns:
        return name
    return f"{name} ({len(data.templates(task)):,} test templates; paper {paper_templates:,})"


def render_section(doc: dict, source: str = "docs/ablation.json") -> str:
    """The Markdown section "## Ablation: …" from an ablation JSON document (read from `source`)."""
    steps, seeds = doc["steps"], doc["seeds"]
    tasks = [t for t in TASKS if t in doc["tasks"]] + [t for t in doc["tasks"] if t not in TASKS]
    b = budget(steps, 0)
    epochs = steps * b["batch_size"] / b["train_size"]
    lines = [
        "## Ablation: the paper's method and each of our additions", "",
        f"Produced by `{doc['command']}` (do not edit by hand; figures in `{source}`). Every run: "
        f"{steps:,} steps of batch {b['batch_size']} ({epochs:g} epoch{'s' * (epochs != 1)} of "
        f"{b['train_size']:,} generated training examples), the model chosen on {b['eval_size']} validation "
        f"examples from the training distribution every {b['eval_every']} steps, then scored once on "
        f"{b['test_size']:,} questions of the paper's test distribution; one thread per run, "
        f"{doc.get('workers', 2)} at a time. Cell: mean test accuracy % over seeds 0–{seeds - 1} (min–max), "
        "mean wall time per run (data, training and test). "
        f"`{SAME}`: the addition cannot change a run on that task (e.g. no text column), so it is not run.", "",
        "`paper2016` is gradient descent through soft execution and nothing else; `default` adds program search "
        "(sampled programs executed hard, a marginal-likelihood loss on the right ones). The paper's figures stand "
        "beside the paper2016 row only: the paper trained far longer (its budget is not given; its gradient-noise "
        "plots run about 300 epochs), so they are a reference, not a like-for-like comparison. The budget is what "
        "this 2-core machine allowed for every cell in one session, and it is short: read the rows against each "
        "other, not against the headline table, whose checkpoints trained up to 10,000 steps.", "",
        "| method | preset | d | " + " | ".join(header(t) for t in tasks) + " | paper % (same order) |",
        "|---|---|---|" + "---|" * len(tasks) + "---|",
    ]
    for row in ROWS:
        cells = []
        for task in tasks:
            if same_as_paper(row, task, steps):
                cells.append(SAME)
                continue
            runs = [r for r in doc["runs"] if r["row"] == row.label and r["task"] == task
                    and r["train_config"]["steps"] == steps and r["seed"] < seeds]
            cells.append(cell(runs, seeds))
        paper = " / ".join(f"{PAPER[t][1]:g}" for t in tasks) if row is ROWS[0] else ""
        d = resolve(row, tasks[0], steps, 0)[1]["d"]
        lines.append(f"| {row.label} | {row.preset} | {d} | " + " | ".join(cells) + f" | {paper} |")
    return "\n".join(lines) + "\n"


def marked_section(doc: dict, source: str = "docs/ablation.json") -> str:
    """The section between the marker comments that `write_section` replaces in place."""
    return f"{START}\n{render_section(doc, source)}{END}\n"


def write_section(results: Path, doc: dict, source: str = "docs/ablation.json") -> None:
    """Replace the ablation section of `results` (between the markers), or add it at the end."""
    replace_section(results, START, END, marked_section(doc, source))


# ----------------------------------------------------------------------------- command line

def load(path: Path) -> dict:
    if not path.is_file():
        return {"runs": []}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SystemExit(f"{path}: not a readable ablation file ({e}); move it away to start afresh") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise SystemExit(f"{path}: not an ablation file (no list of runs); move it away to start afresh")
    return doc


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000, help="optimiser steps of every run")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per cell (0, 1, …)")
    ap.add_argument("--tasks", default=",".join(TASKS), help="comma-separated tasks (the table's columns)")
    ap.add_argument("--workers", type=int, default=2, help="runs at a time, one thread each")
    ap.add_argument("--output", type=Path, default=OUTPUT, help="the JSON file of every run (resumed from)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="the Markdown file whose section is rewritten")
    ap.add_argument("--render-only", action="store_true", help="rewrite the section from --output, run nothing")
    args = ap.parse_args(argv)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in data.TASKS or t not in PAPER]
    if unknown or not tasks:
        ap.error(f"--tasks: unknown {', '.join(unknown) or '(none given)'}; one of {', '.join(data.TASKS)}")
    if min(args.steps, args.seeds, args.workers) < 1:
        ap.error("--steps, --seeds and --workers must be at least 1")
    doc = load(args.output)
    if not args.render_only:
        command = f"python benchmarks/ablation.py --steps {args.steps} --seeds {args.seeds}"
        if tasks != list(TASKS):
            command += f" --tasks {','.join(tasks)}"
        doc.update(steps=args.steps, seeds=args.seeds, workers=args.workers, command=command,
                   tasks=sorted(set(doc.get("tasks", [])) | set(tasks), key=list(data.TASKS).index))
        todo = jobs(tasks, args.seeds, args.steps, doc["runs"])
        print(f"{len(todo)} runs to do ({args.workers} at a time); finished runs are kept in {args.output}",
              flush=True)
        if todo:
            doc = sweep(todo, doc, args.output, args.workers)
        write_atomic(args.output, json.dumps(doc, indent=1))
    elif "steps" not in doc:
        raise SystemExit(f"{args.output}: nothing to render yet (run without --render-only first)")
    output = args.output.resolve()
    source = str(output.relative_to(ROOT)) if output.is_relative_to(ROOT) else str(output)
    write_section(args.results, doc, source)
    print(f"wrote the ablation section of {args.results}")


if __name__ == "__main__":
    main()
