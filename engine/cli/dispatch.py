"""The commands that serve both model families, each choosing the family once: `train` by its flags (--data trains
the 2017 model, --task the 2016 one), `evaluate`, `predict` and `ask` by the checkpoint's header (engine.families;
the default checkpoint is the 2016 one). `ask` prints the trace (docs/trace.md) as JSON or as text.
"""

from __future__ import annotations

import json

from engine.cli.common import CliError, checked_device


def family_commands(args):
    """The module of --checkpoint's family's commands (evaluate, predict, ask_trace): the family its header's schema
    names; the 2016 model's for the default checkpoint, and for a file no family reads, which the 2016 model's loader
    then reports in full. --beam is the 2017 model's alone."""
    from engine.cli import np2016, wtq2017
    from engine.families import WTQ2017, family_id

    if args.checkpoint is not None and family_id(args.checkpoint) == WTQ2017:
        return wtq2017
    if args.beam:
        raise CliError("--beam is for the 2017 model (a real-tables checkpoint): the 2016 model's program is the "
                       "per-step argmax, and its search is in training", 2)
    return np2016


def cmd_train(args) -> int:
    from engine.cli.train import check_task_flags, run_training

    if args.data:
        if args.task:
            raise CliError("give either --task (the synthetic tasks) or --data (your own examples), not both", 2)
        from engine.cli import wtq2017

        return wtq2017.run_training(args)
    check_task_flags(args)
    return run_training(args)


def cmd_ensemble(args) -> int:
    from engine.core.safetensors_reader import CheckpointError
    from engine.wtq2017.ensemble import write_ensemble

    try:
        path = write_ensemble(args.output, args.members)
    except (CheckpointError, ValueError, OSError) as e:
        raise CliError(f"cannot make an ensemble: {e}") from e
    print(f"wrote {path}: {len(args.members)} members answering together (--checkpoint {path})")
    return 0


def cmd_ensemble_train(args) -> int:
    from engine.cli import wtq2017

    return wtq2017.train_ensemble(args)


def cmd_ask(args) -> int:
    from engine.core.io.examples import check_question, read_table_csv
    from engine.core.limits import TABLE_MAX_BYTES, TABLE_MAX_CELLS, TABLE_MAX_COLUMNS, TABLE_MAX_ROWS
    from engine.core.trace import answer_lines

    device = checked_device(args.device)
    question = " ".join(args.question).strip()
    if not question:
        raise CliError("the question is empty")
    check_question(question, "the question")  # its limits first: nothing is read or loaded for a bad one
    table = read_table_csv(args.table, max_bytes=TABLE_MAX_BYTES, max_rows=TABLE_MAX_ROWS,
                           max_columns=TABLE_MAX_COLUMNS, max_cells=TABLE_MAX_CELLS)
    result = family_commands(args).ask_trace(args, device, table, question)
    result["warnings"] = list(table.notes) + result["warnings"]  # the table reader's notes first
    print(json.dumps(result, allow_nan=False) if args.json else "\n".join(answer_lines(result)))
    return 0
