"""The commands that serve both model families, each choosing the family once: `train` by its flags (--data trains
the 2017 model, --task the 2016 one), `evaluate`, `predict` and `ask` by the family that engine.families reads
from the checkpoint's header (`checkpoint_family`; the default checkpoint is the 2016 one). The family's own
commands are engine/cli/np2016.py (and train.py) and engine/cli/wtq2017.py; `print_trace` is `ask`'s output.
"""

from __future__ import annotations

import json

from engine.cli.common import CliError, checked_device


def checkpoint_family(checkpoint: str | None) -> str:
    """The id of --checkpoint's family: the one its header's schema names; the 2016 model for the default
    checkpoint, and for a file no family reads, which the 2016 model's loader then reports in full."""
    from engine.families import NP2016, family_id

    return NP2016 if checkpoint is None else family_id(checkpoint)


def commands_of(family: str):
    """The module of a family's commands: evaluate(args), predict(args) and ask_trace(checkpoint, device, table,
    question)."""
    from engine.cli import np2016, wtq2017
    from engine.families import NP2016, WTQ2017

    return {NP2016: np2016, WTQ2017: wtq2017}[family]


def cmd_train(args) -> int:
    from engine.cli.train import check_task_flags, run_training

    if args.data:
        if args.task:
            raise CliError("give either --task (the synthetic tasks) or --data (your own examples), not both", 2)
        from engine.cli import wtq2017

        return wtq2017.run_training(args)
    check_task_flags(args)
    return run_training(args)


def cmd_evaluate(args) -> int:
    return commands_of(checkpoint_family(args.checkpoint)).evaluate(args)


def cmd_predict(args) -> int:
    return commands_of(checkpoint_family(args.checkpoint)).predict(args)


def cmd_ask(args) -> int:
    from engine.core.io.examples import check_question, read_table_csv
    from engine.core.limits import TABLE_MAX_BYTES, TABLE_MAX_CELLS, TABLE_MAX_COLUMNS, TABLE_MAX_ROWS

    device = checked_device(args.device)
    question = " ".join(args.question).strip()
    if not question:
        raise CliError("the question is empty")
    check_question(question, "the question")  # its limits first: nothing is read or loaded for a bad one
    table = read_table_csv(args.table, max_bytes=TABLE_MAX_BYTES, max_rows=TABLE_MAX_ROWS,
                           max_columns=TABLE_MAX_COLUMNS, max_cells=TABLE_MAX_CELLS)
    family = checkpoint_family(args.checkpoint)
    result = commands_of(family).ask_trace(args.checkpoint, device, table, question)
    print_trace(result, table.notes, args.json)
    return 0


def print_trace(result: dict, notes: list[str], as_json: bool) -> None:
    """`ask`'s output from a trace of either family (docs/trace.md): the table reader's notes first among its
    warnings, then the whole trace as JSON, or the answer, the program in words and the warnings."""
    from engine.core.trace import answer_lines

    result["warnings"] = list(notes) + result["warnings"]
    if as_json:
        print(json.dumps(result, allow_nan=False))
        return
    print("\n".join(answer_lines(result)))
