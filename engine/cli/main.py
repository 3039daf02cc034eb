"""Command line: generate data, train, evaluate, predict, ask, sweep and wtq-convert (`python -m engine --help`).

This module only parses arguments and calls the engine: files are read by engine.core.io.examples, written by
engine.core.io.atomic, programs decoded by engine.np2016.program, and the training flags are generated from the
fields of engine.np2016.config. Every long command shows a tqdm progress bar on stderr. Bad input (a missing or corrupt
checkpoint, a malformed JSONL line, a bad CSV, an input over a limit) gives a one-line error on stderr and a
non-zero exit code, never a traceback. Exit codes: 0 success, 1 bad input or failure, 2 usage error (an
invalid setting) or training stopped by a NaN/inf loss (the best model so far is still saved), 130
interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from engine.cli.common import CliError, bar, checked_device

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "single-column.safetensors"


def _load(checkpoint: str | None, device=None):
    from engine.np2016.checkpoint import load_checkpoint

    if checkpoint is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise CliError(f"no --checkpoint given and the default {DEFAULT_CHECKPOINT} does not exist; "
                           "train one with `python -m engine train --task single-column --output FILE`")
        checkpoint = str(DEFAULT_CHECKPOINT)
    return load_checkpoint(checkpoint, device)


# ----------------------------------------------------------------------------- commands

def cmd_generate(args) -> int:
    from engine.core.io.atomic import atomic_writer
    from engine.core.io.examples import dumps_example
    from engine.np2016.data import tasks as data

    if args.n < 1:
        raise CliError("--n must be at least 1", 2)
    print(f"generating {args.n} {args.task} {args.split} examples (seed {args.seed})", file=sys.stderr)
    examples = data.generate(args.task, args.split, args.n, args.seed)
    with bar(total=len(examples), desc="writing", unit="ex") as b, atomic_writer(args.output) as f:
        for ex in examples:
            f.write(dumps_example(ex) + "\n")
            b.update(1)
    print(f"wrote {len(examples)} examples to {args.output}")
    return 0


def cmd_train(args) -> int:
    from engine.cli.train import run_training

    if args.data:
        if args.task:
            raise CliError("give either --task (the synthetic tasks) or --data (your own examples), not both", 2)
        from engine.cli.wtq2017 import run_wtq_training

        return run_wtq_training(args)
    if not args.task:
        raise CliError("train needs --task (a synthetic task) or --data TRAIN.jsonl --dev DEV.jsonl", 2)
    if args.dev or args.max_minutes is not None or args.patience is not None:
        raise CliError("--dev, --max-minutes and --patience go with --data (the 2017 model)", 2)
    args.preset = args.preset or "default"
    if args.preset not in _synthetic_presets():
        raise CliError(f"preset {args.preset!r} is for --data (the 2017 model); --task takes one of "
                       f"{', '.join(_synthetic_presets())}", 2)
    return run_training(args)


def _synthetic_presets():
    from engine.np2016 import presets

    return presets.NAMES


def _is_2017(checkpoint: str | None) -> bool:
    """Whether --checkpoint is a 2017-model file (its header's schema); the default checkpoint is not."""
    from engine.families import WTQ2017, is_family

    return checkpoint is not None and is_family(checkpoint, WTQ2017)


def cmd_evaluate(args) -> int:
    from engine.core.io.examples import read_jsonl
    from engine.np2016.evaluate import evaluate_examples

    if _is_2017(args.checkpoint):
        from engine.cli.wtq2017 import wtq_evaluate

        return wtq_evaluate(args)

    device = checked_device(args.device)
    examples = read_jsonl(args.input, need_answer=True)
    model, vocab, _ = _load(args.checkpoint, device)  # evaluate_examples runs on the model's device
    with bar(total=len(examples), desc="evaluating", unit="ex") as b:
        def progress(done, total, acc):
            b.update(done - b.n)
            b.set_postfix(acc=f"{acc:.4f}")
        result = evaluate_examples(model, vocab, examples, batch_size=args.batch_size, progress=progress)
    result.pop("flags", None)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"accuracy: {result['accuracy']:.4f} ({result['correct']}/{result['total']})")
    width = max(len(k) for k in result["per_template"])
    for key, r in result["per_template"].items():
        print(f"  {key:<{width}}  {r['correct'] / r['total']:.3f}  ({r['correct']}/{r['total']})")
    return 0


def cmd_predict(args) -> int:
    from engine.core.device import on_device
    from engine.core.io.atomic import atomic_writer
    from engine.core.io.examples import dumps_example, iter_jsonl
    from engine.np2016.program import predict_chunks

    if _is_2017(args.checkpoint):
        from engine.cli.wtq2017 import wtq_predict

        return wtq_predict(args)
    device = checked_device(args.device)
    model, vocab, _ = _load(args.checkpoint)
    model = on_device(model, device)  # the forward pass on the device; decoding reads its outputs on the CPU
    n = 0
    # streamed a chunk at a time, so memory stays bounded for long files; the output appears only when
    # every line was predicted (a bad line leaves no half-written file)
    with bar(desc="predicting", unit="ex") as b, atomic_writer(args.output) as f:
        for chunk in predict_chunks(model, vocab, iter_jsonl(args.input), args.batch_size, name=args.input):
            for ex, program, answer in chunk:
                row = dict(ex)
                if "program" in row:  # the generator's template string: kept, and not mistaken for ours
                    row["program_template"] = row.pop("program")
                row["prediction"] = answer
                row["program"] = [step.to_json() for step in program]
                f.write(dumps_example(row) + "\n")
            n += len(chunk)
            b.update(len(chunk))
        if n == 0:
            raise CliError(f"{args.input}: no examples (the file is empty)")
    print(f"wrote {n} predictions to {args.output}")
    return 0


def cmd_ask(args) -> int:
    from engine.core.device import on_device
    from engine.core.io.examples import check_question, read_table_csv
    from engine.core.limits import TABLE_MAX_BYTES, TABLE_MAX_CELLS, TABLE_MAX_COLUMNS, TABLE_MAX_ROWS
    from engine.np2016.trace import fmt, trace

    device = checked_device(args.device)
    question = " ".join(args.question).strip()
    if not question:
        raise CliError("the question is empty")
    check_question(question, "the question")  # its limits first: nothing is read or loaded for a bad one
    table = read_table_csv(args.table, max_bytes=TABLE_MAX_BYTES, max_rows=TABLE_MAX_ROWS,
                           max_columns=TABLE_MAX_COLUMNS, max_cells=TABLE_MAX_CELLS)
    if _is_2017(args.checkpoint):
        from engine.cli.wtq2017 import wtq_ask

        return wtq_ask(args, table, question)
    model, vocab, _ = _load(args.checkpoint)
    result = trace(on_device(model, device), vocab, table.columns, table.rows, question)
    result["warnings"] = table.notes + result["warnings"]
    if args.json:
        print(json.dumps(result, allow_nan=False))
        return 0
    answer = result["answer"]
    if answer["kind"] == "scalar":
        text = fmt(answer["scalar"])
    elif answer["kind"] == "lookup":
        values = answer["values"]
        text = ", ".join("" if v is None else fmt(v) if isinstance(v, float) else str(v) for v in values)
        text = f"{len(values)} cells: {text}" if values else "(no cells selected)"
    else:
        text = "(no answer: the program's last operation writes neither a number nor cells)"
    print(f"answer: {text}")
    print("program:")
    for line in result["program_text"]:
        print(f"  {line}")
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    return 0


def cmd_sweep(args) -> int:
    from engine.core.settings import parse_options
    from engine.core.stop_signals import stop_on_signals
    from engine.np2016.config import TrainConfig
    from engine.sweep.plan import load_grid, read_records, read_spec, summary_markdown
    from engine.sweep.ray_runner import run_sweep

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
    shown = {}  # the bar, made once the total is known

    def progress(done, total):
        if "bar" not in shown:
            # initial: the runs recorded before this call, so the ETA counts only this call's
            shown["bar"] = bar(total=total, initial=done, unit="run", desc="sweep")
        b = shown["bar"]
        if done > b.n:
            b.update(done - b.n)

    def close_bar():
        if "bar" in shown:
            shown["bar"].close()

    try:
        with stop_on_signals(args.parent_pid):  # SIGTERM and the parent's end stop it as Ctrl-C does
            outcome = run_sweep(args.output, args.preset, args.task, grid, args.seeds, base, target=args.target,
                                workers=args.workers, models_per_worker=args.models_per_worker,
                                address=args.address, progress=progress)
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


def cmd_wtq_convert(args) -> int:
    from engine.wtq2017.dataset.convert import convert_file, report_path

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1", 2)
    tables = Path(args.tables) if args.tables else Path(args.tsv).resolve().parent.parent
    with bar(desc="converting", unit="ex") as b:
        report = convert_file(Path(args.tsv), tables, Path(args.output), purpose=args.purpose,
                              max_rows=args.max_rows, limit=args.limit, progress=lambda n: b.update(n - b.n))
    print(f"read {report['read']} examples, wrote {report['written']} to {args.output} "
          f"({report['seconds']:.1f} s; report in {report_path(Path(args.output))})")
    for name, n in report["answer_types"].items():
        print(f"  written, answer type {name}: {n}")
    for name, n in report["written_trainable"].items():
        if name != "trainable":
            print(f"  written, kept for evaluation but not trainable ({name}): {n}")
    for name, n in report["dropped"].items():
        print(f"  dropped ({name}): {n}")
    for problem in report["problems"][:5]:
        print(f"warning: {problem}", file=sys.stderr)
    if report["written"] == 0:
        raise CliError(f"{args.tsv}: no example could be converted")
    return 0


# ----------------------------------------------------------------------------- parser

# evaluate and predict take either model family's checkpoint (cmd_evaluate, cmd_predict: _is_2017 reads the
# header), so their help describes what each family does rather than only the 2016 model's behaviour
EVALUATE_DESCRIPTION = (
    "Score a checkpoint on JSONL examples; the checkpoint's header says which model it is. "
    "2016 model (synthetic tables): accuracy as the paper counts it (the program executed hard: a scalar "
    "right to 0.05, a lookup right when it prints exactly the answer's cells), overall and per template "
    "(the 'program_template' key, else 'program' when it is a string, else 'template'); reads predict's "
    "output too. 2017 model (WikiTableQuestions): accuracy by WikiTableQuestions' rules (the answer "
    "strings against each example's 'target', else its 'answer' read as strings), overall, by answer type "
    "and by final operation.")
PREDICT_DESCRIPTION = (
    "Copy every input line to the output with keys added; the checkpoint's header says which model it is. "
    "2016 model (synthetic tables): 'prediction' ({\"scalar\": x}, {\"cells\": [[row, col], ...]} or "
    "{\"none\": true} when the last operation writes nothing or the answer is not a finite number) and "
    "'program' (a list of {\"op\", \"column\", \"pivot\"} steps). 2017 model (WikiTableQuestions): "
    "'denotation' (the answer strings, as the benchmark compares them) and 'program'; it never reads "
    "'target' or 'answer' to answer. Either way an input 'program' key (the generator's template string) "
    "is renamed to 'program_template' so it is not lost.")


def build_parser() -> argparse.ArgumentParser:
    from engine.cli.train import add_config_flags
    from engine.core.settings import DEVICES
    from engine.np2016 import presets
    from engine.np2016.data import tasks as data
    from engine.wtq2017 import presets as wtq_presets

    tasks = list(data.TASKS)
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="Neural Programmer (Neelakantan, Le, Sutskever 2016): "
        "generate synthetic data, train, evaluate, predict, and ask questions about a CSV table.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    task_help = "one of: " + ", ".join(tasks)

    p = sub.add_parser("generate", help="write synthetic examples as JSONL",
                       description="Write n synthetic examples (one JSON object per line).")
    p.add_argument("--task", required=True, choices=tasks, metavar="TASK", help=task_help)
    p.add_argument("--split", choices=tuple(data.SPLITS), default="train",
                   help="train, valid (the training distribution, its own random stream) or test")
    p.add_argument("--n", type=int, required=True, help="number of examples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True, help="JSONL file to write")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("train", help="train a model and save a .safetensors checkpoint",
                       description="Train on freshly generated data for TASK, starting from a preset "
                       "(engine/np2016/presets/; every flag below overrides it); keeps the best model by its accuracy "
                       "on a validation set drawn from the training distribution, then scores the test split "
                       "once. Ctrl-C stops early and saves it, unless --output already holds a better "
                       "model. Exit code 2 when the loss became NaN/inf (the best model so far is saved).")
    p.add_argument("--task", choices=tasks, metavar="TASK", help=task_help + " (or --data)")
    p.add_argument("--data", help="train the 2017 model on your own JSONL examples instead of a synthetic task: "
                   "converted WikiTableQuestions lines (wtq-convert) or plain ones with a target or answer")
    p.add_argument("--dev", help="with --data: JSONL examples with targets that choose the model (early stopping)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="with --data: stop after this many minutes, keeping the best dev model")
    p.add_argument("--patience", type=int, default=None,
                   help="with --data: stop after this many dev evaluations without improvement")
    p.add_argument("--output", required=True, help="checkpoint file to write (.safetensors); checked "
                   "before training starts")
    p.add_argument("--preset", choices=presets.NAMES + wtq_presets.WTQ_NAMES, default=None,
                   help="the starting values (default: 'default' with --task, 'wtq2017' with --data): "
                   + "; ".join([f"{n}: {presets.PRESETS[n].description}" for n in presets.NAMES]
                               + [f"{n}: {wtq_presets.wtq_preset(n).description}" for n in wtq_presets.WTQ_NAMES]))
    p.add_argument("--target-accuracy", type=float, default=1.0,
                   help="stop when the validation accuracy reaches this (default 1.0; 0 or less: never stop early)")
    add_config_flags(p)
    p.set_defaults(func=cmd_train)

    ckpt_help = (f"model checkpoint: the 2016 model or the 2017 (WikiTableQuestions) one, told apart by the "
                 f"file's header (default: {DEFAULT_CHECKPOINT.parent.name}/{DEFAULT_CHECKPOINT.name})")
    batch_help = "most examples per batch (batches are also grouped by table size to bound memory)"
    device_help = "where the model runs: cpu (default) or cuda (an NVIDIA GPU that torch can see)"
    p = sub.add_parser("evaluate", help="accuracy on a JSONL file: the 2016 paper's, or WikiTableQuestions' (2017)",
                       description=EVALUATE_DESCRIPTION)
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--input", required=True, help="JSONL examples with answers: 2016, an 'answer' "
                   "({\"scalar\": x} or {\"cells\": [[row, col], ...]}); 2017, a 'target' (the answer "
                   "strings) or an 'answer', read as strings")
    p.add_argument("--batch-size", type=_positive, default=500, help=batch_help + "; 2017: at most 64")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--device", choices=DEVICES, default="cpu", help=device_help)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="write the model's answer and program for each JSONL example (2016 or 2017)",
                       description=PREDICT_DESCRIPTION)
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--input", required=True, help="JSONL examples (columns, rows, question); a 'target' or an "
                   "'answer' is copied to the output, never used to answer")
    p.add_argument("--output", required=True, help="JSONL file to write: each input line with 'prediction' "
                   "(2016) or 'denotation' (2017) and 'program' added")
    p.add_argument("--batch-size", type=_positive, default=500, help=batch_help + "; 2017: at most 64")
    p.add_argument("--device", choices=DEVICES, default="cpu", help=device_help)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("ask", help="answer a question about a CSV table and show the program",
                       description="Answer QUESTION about a CSV table (header row, then data rows; cells "
                       "that parse as numbers are numbers, empty cells are missing; ',', ';' or tab "
                       "delimited, with decimal commas in ';' files). README 'Limits' lists the sizes.")
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--table", required=True, help="CSV file with a header row")
    p.add_argument("--json", action="store_true", help="print the full trace as JSON")
    p.add_argument("--device", choices=DEVICES, default="cpu", help=device_help)
    p.add_argument("question", nargs="+", help='the question, e.g. "greater 50 A sum A"')
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("sweep", help="train every point of a hyper-parameter grid, with Ray Tune",
                       description="Train each point of --grid (a JSON object {TrainConfig field: [values]}) with "
                       "seeds 0..N-1 from --preset, runs that can share one computation model-batched, --workers "
                       "groups at once as Ray Tune trials. Writes OUTPUT/sweep.json, one OUTPUT/runs/<id>.json "
                       "per finished run and OUTPUT/summary.csv/.md. Rerun the same command to resume.")
    p.add_argument("--preset", choices=presets.NAMES, default="default", help="the starting values of every run")
    p.add_argument("--task", required=True, choices=tasks, metavar="TASK", help=task_help)
    p.add_argument("--grid", required=True, help='JSON grid file, e.g. {"lr": [0.001, 0.003], "clip": [1, 5]}')
    p.add_argument("--seeds", type=_positive, default=1, help="seeds per grid point: 0..N-1 (default 1)")
    p.add_argument("--output", required=True, help="sweep directory (created, or resumed when it holds this sweep)")
    p.add_argument("--set", nargs="+", action="extend", metavar="FIELD=VALUE",
                   help="TrainConfig values fixed for every run, e.g. --set steps=500 test_size=200")
    p.add_argument("--target", type=float, default=1.0,
                   help="accuracy a run must reach (test accuracy, else best validation accuracy); a run stops "
                   "early when its validation accuracy reaches it (default 1.0; 0: never early)")
    p.add_argument("--workers", type=_positive, default=None, help="groups trained at once (default: CPU count)")
    p.add_argument("--models-per-worker", type=_positive, default=16,
                   help="most runs trained together as one model-batched computation (default 16)")
    p.add_argument("--address", help="an existing Ray cluster (default: a local Ray with --workers CPUs); "
                   "--output must then be on a file system every node shares")
    p.add_argument("--parent-pid", type=_positive, default=None, metavar="PID",
                   help="stop (as Ctrl-C does: finished runs kept) when process PID ends; the app's small sweep "
                   "passes its server's pid, so a sweep never outlives the server that started it")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("wtq-convert", help="convert WikiTableQuestions questions and tables to JSONL",
                       description="Convert a WikiTableQuestions question TSV (id, utterance, context and, "
                       "optionally, targetValue) and its tables to JSONL examples with the 2017 Neural "
                       "Programmer pre-processing in a 'wtq' key (docs/wtq.md). Writes OUTPUT and a report beside it "
                       "(.report.json in place of .jsonl: counts of kept and dropped examples, answer types, "
                       "seconds).")
    p.add_argument("--tsv", required=True, help="question file, e.g. data/random-split-1-train.tsv")
    p.add_argument("--tables", help="the dataset directory the TSV's context paths are relative to "
                   "(the one holding csv/; default: the TSV's folder's parent)")
    p.add_argument("--output", required=True, help="JSONL file to write")
    p.add_argument("--purpose", choices=("train", "eval"), default="train",
                   help="train (default): drop examples the 2017 recipe cannot train on; eval: keep them, marked "
                   "wtq.trainable false (answers no program can print have answer_type 'bad'); a TSV without a "
                   "targetValue column is always converted for evaluation, with a warning saying so")
    p.add_argument("--max-rows", type=_positive, default=100,
                   help="tables with more rows are not trained on (TF max_elements, default 100)")
    p.add_argument("--limit", type=int, help="convert only the first N examples")
    p.set_defaults(func=cmd_wtq_convert)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()  # e.g. `| head`: nothing more to say
        return 1
    except MemoryError:
        print("error: out of memory (try a smaller --batch-size or a smaller input)", file=sys.stderr)
        return 1
    except Exception as e:
        return _report(e)


def _report(e: Exception) -> int:
    """One line for any other failure: input and checkpoint errors as themselves, an OSError with its file, a
    ValueError (a limit or a value the engine refused) with its message, the rest with their type. With
    NP_DEBUG=1 everything but input and checkpoint errors raises, with its traceback."""
    examples = sys.modules.get("engine.core.io.examples")  # modules not imported cannot have raised
    checkpoint = sys.modules.get("engine.np2016.checkpoint")
    if examples is not None and isinstance(e, examples.InputError):
        message = str(e)
    elif checkpoint is not None and isinstance(e, checkpoint.CheckpointError):
        message = f"bad checkpoint: {e}"
    elif os.environ.get("NP_DEBUG"):
        raise e
    elif isinstance(e, OSError):
        message = f"{e.filename}: {e.strerror or e}" if e.filename else str(e.strerror or e)
    elif isinstance(e, ValueError):
        message = str(e)
    else:
        message = f"{type(e).__name__}: {e} (set NP_DEBUG=1 for the traceback)"
    print(f"error: {message}", file=sys.stderr)
    return 1
