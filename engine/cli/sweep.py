"""The `sweep` command: every point of a hyper-parameter grid trained with Ray Tune (engine/sweep/), resumable, with
a progress bar and a summary; SIGTERM or the end of --parent-pid stops it as Ctrl-C does."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.common import CliError, bar


def cmd_sweep(args) -> int:
    from engine.core.settings import parse_options
    from engine.core.stop_signals import stop_on_signals
    from engine.np2016.config import TrainConfig
    from engine.sweep.plan import load_grid, read_records, read_spec, summary_markdown
    from engine.sweep.ray_runner import run_sweep

    if not args.save_minutes > 0:
        raise CliError("--save-minutes must be more than 0", 2)
    try:
        grid = load_grid(args.grid)
    except OSError as e:
        raise CliError(f"{args.grid}: {e.strerror or e}") from e
    except ValueError as e:
        raise CliError(str(e), 2) from e
    try:
        base = parse_options(TrainConfig, args.set, exclude=("task", "preset", "seed"))
    except ValueError as e:
        raise CliError(f"--set: {e}", 2) from e
    bars = []  # the bar, made once the total is known

    def progress(done, total):
        if not bars:  # initial: the runs recorded before this call, so the ETA counts only this call's
            bars.append(bar(total=total, initial=done, unit="run", desc="sweep"))
        if done > bars[0].n:
            bars[0].update(done - bars[0].n)

    def close_bar():
        for b in bars:
            b.close()

    try:
        with stop_on_signals(args.parent_pid):  # SIGTERM and the parent's end stop it as Ctrl-C does
            outcome = run_sweep(args.output, args.preset, args.task, grid, args.seeds, base, target=args.target,
                                workers=args.workers, models_per_worker=args.models_per_worker,
                                address=args.address, progress=progress, save_every=60 * args.save_minutes)
    except ValueError as e:
        raise CliError(str(e), 2) from e
    except KeyboardInterrupt:
        close_bar()  # before the message, so the bar does not redraw over it
        finished = len(read_records(args.output))
        print(f"\ninterrupted: the sweep's finished runs ({finished}) are recorded in {args.output}; rerun the "
              "same command to resume (only the other runs train)", file=sys.stderr)
        return 130
    finally:
        close_bar()
    for problem in outcome.problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(summary_markdown(outcome.rows, read_spec(args.output)), end="")
    print(f"{outcome.finished} of {outcome.total} runs finished ({outcome.trained} trained now); "
          f"summary in {Path(args.output) / 'summary.csv'} and summary.md")
    if outcome.failures:
        for failure in outcome.failures:
            print(f"error: {failure}", file=sys.stderr)
        print(f"error: {len(outcome.failures)} group(s) failed; rerun the same command to retry them",
              file=sys.stderr)
        return 1
    return 0
