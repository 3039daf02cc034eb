"""A sweep directory (`python -m engine sweep`) as a section of docs/RESULTS.md: runs reaching the target by
condition, accuracy by hyper-parameter, the budget of each run and the command that made it.

    .venv/bin/python benchmarks/sweep_report.py docs/sweeps/paper2016-single-column [--grid-file FILE] [--write]

Without --write the section is printed; with it, it replaces the sweep's own section of docs/RESULTS.md (between
marker comments named after the directory) or is added at the end. benchmarks/reproduce.py includes the section
of every sweep directory under docs/sweeps/ in the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sections import replace_section  # noqa: E402
from engine.np2016 import presets  # noqa: E402
from engine.papers import PAPER_DROPOUT  # noqa: E402
from engine.sweep import plan as sweep  # noqa: E402
from engine.sweep.stats import by_value, group_stats, paper_fields  # noqa: E402

PAPER_TRAIN_SIZE = 50_000  # the paper's training set, for epochs in its terms
MAX_RUN_ROWS = 20  # a sweep with at most this many runs lists each
SHIPPED = ROOT / "docs" / "sweeps"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- sweep {name}: written by benchmarks/sweep_report.py -->", f"<!-- /sweep {name} -->"


def command(directory: Path, spec: dict, grid_file: str | None) -> str:
    """The command line that (re)makes this sweep; rerunning it resumes from the records already there."""
    directory = directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory
    out = (f"python -m engine sweep --preset {spec['preset']} --task {spec['task']} "
           f"--grid {grid_file or str(directory / 'grid.json')} --seeds {spec['seeds']} --output {directory} "
           f"--models-per-worker {spec['models_per_worker']} --target {spec['target']:g}")
    return out + "".join(f" --set {k}={v}" for k, v in spec["base"].items())


def pct(x) -> str:
    return "–" if x is None or x < 0 else f"{100 * x:.1f}"


def stats(row: dict) -> str:
    """group_stats as table cells: runs | reached | validation mean (max) | test mean (max)."""
    return (f"{row['runs']} | **{row['reached']}/{row['runs']}** | {pct(row['best_mean'])} ({pct(row['best_max'])}) | "
            f"{pct(row['test_mean'])} ({pct(row['test_max'])})")


def render(directory: Path, grid_file: str | None = None) -> str:
    directory = Path(directory)
    spec = sweep.read_spec(directory)
    if spec is None:
        raise ValueError(f"{directory} has no sweep.json")
    records = sweep.read_records(directory)
    runs_planned = len(sweep.grid_points(spec["grid"])) * spec["seeds"]
    base, name = spec["base"], directory.name
    cfg = presets.train_config(spec["preset"], spec["task"], **base)  # every run's values outside the grid
    steps, batch, train_size = cfg.steps, cfg.batch_size, cfg.train_size
    n_epochs = steps * batch / train_size
    epochs = f"{n_epochs:g} epoch{'' if n_epochs == 1 else 's'} of its {train_size:,} training examples"
    paper_epochs = f"{steps * batch / PAPER_TRAIN_SIZE:.2f} of the paper's 50,000-example epochs"
    seconds = [r["seconds"] for r in records]
    points = len(sweep.grid_points(spec["grid"]))
    grid_text = ", ".join(f"{k} ∈ {{{', '.join(map(str, v))}}}" for k, v in spec["grid"].items())
    grid_text = f"{points} grid points ({grid_text})" if spec["grid"] else "one grid point (the preset's values)"
    where = directory.relative_to(ROOT) if directory.is_relative_to(ROOT) else directory
    lines = [f"### Sweep `{name}`: preset `{spec['preset']}`, task {spec['task']}", "",
             f"{len(records)} of {runs_planned} runs finished: {grid_text} × {spec['seeds']} seeds. Each run: "
             f"{steps:,} steps of batch {batch} ({epochs}; {paper_epochs}), validated every {cfg.eval_every} steps "
             f"on {cfg.eval_size:,} validation examples (training distribution), the best validated model scored "
             f"once on {cfg.test_size:,} fresh test questions. A run reaches the target when that test "
             f"accuracy is at least {100 * spec['target']:.0f} %. {spec['models_per_worker']} runs batched per "
             f"process (engine/np2016/multi_train.py), one thread each; the training wall time of one such batched "
             f"computation: {min(seconds, default=0):.0f}–{max(seconds, default=0):.0f} s.",
             "", f"Produced by `{command(directory, spec, grid_file)}`, then "
             f"`python benchmarks/sweep_report.py {where} --write`"
             f" (records: `{name}/runs/*.json`).", ""]
    rows = by_value(records, spec)
    for field in paper_fields(spec):  # the paper's condition first, with its counts beside ours
        lines += [f"| {field} | runs | reached the target | best validation % mean (max) | test % mean (max) | "
                  "paper (216 runs per condition, ~300 epochs) |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['value']} | {stats(r)} | {r['paper']} |" for r in rows if r["field"] == field]
        if field == "grad_noise":
            lines.append(f"| dropout | not run (the 2016 model has no dropout) | | | | {PAPER_DROPOUT} |")
        lines.append("")
    lines += ["| all runs | runs | reached the target | best validation % mean (max) | test % mean (max) |",
              "|---|---|---|---|---|", f"| | {stats(group_stats(records))} |"]
    if rows:
        lines += ["", "By hyper-parameter value (every run with that value):", "",
                  "| hyper-parameter | value | runs | reached the target | best validation % mean (max) | "
                  "test % mean (max) |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['field']} | {r['value']} | {stats(r)} |" for r in rows]
    if len(records) <= MAX_RUN_ROWS:  # a sweep of seeds: every run
        lines += ["", "| run | seed | best validation % | at step | test % |", "|---|---|---|---|---|"]
        lines += [f"| `{r['id']}` | {r['seed']} | {pct(r['best_accuracy'])} | {r['best_step']:,} | "
                  f"{pct(r['test_accuracy'])} |" for r in sorted(records, key=lambda r: (r["seed"], r["id"]))]
    return "\n".join(lines) + "\n"


def marked(directory: Path, grid_file: str | None = None) -> str:
    start, end = markers(Path(directory).name)
    return f"{start}\n{render(directory, grid_file)}{end}\n"


def write_section(results: Path, directory: Path, grid_file: str | None = None) -> None:
    """Replace this sweep's section of `results` (between its markers), or add it at the end."""
    replace_section(results, *markers(Path(directory).name), marked(directory, grid_file))


def shipped_sections() -> list[str]:
    """The marked section of every sweep shipped under docs/sweeps/ (for benchmarks/reproduce.py)."""
    return [marked(d, grid_file_for(d)) for d in sorted(SHIPPED.iterdir())
            if d.is_dir() and (d / "sweep.json").is_file()]


def grid_file_for(directory: Path) -> str | None:
    """docs/sweeps/<preset>-grid.json, the grid file shipped beside a sweep, when there is one."""
    spec = sweep.read_spec(directory) or {}
    candidate = Path(directory).parent / f"{spec.get('preset')}-grid.json"
    return str(candidate.relative_to(ROOT)) if candidate.is_file() and candidate.is_relative_to(ROOT) else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("directory", type=Path)
    ap.add_argument("--grid-file", help="the grid file the sweep was started with (for the command shown)")
    ap.add_argument("--write", action="store_true", help="write the section into docs/RESULTS.md")
    ap.add_argument("--results", type=Path, default=ROOT / "docs" / "RESULTS.md")
    args = ap.parse_args(argv)
    directory = args.directory.resolve()
    grid_file = args.grid_file or grid_file_for(directory)
    if args.write:
        write_section(args.results, directory, grid_file)
        print(f"wrote the section of {directory.name} into {args.results}")
    else:
        print(render(directory, grid_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
