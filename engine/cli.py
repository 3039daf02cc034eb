"""Command line: generate data, train, evaluate, predict and ask (`python -m engine --help`).

Every long command shows a tqdm progress bar on stderr. Bad input (a missing or corrupt checkpoint, a
malformed JSONL line, a bad CSV, an unknown task) gives a one-line error on stderr and a non-zero exit
code, never a traceback. Exit codes: 0 success, 1 bad input or failure, 2 usage error or training
stopped by a NaN/inf loss (the best model so far is still saved), 130 interrupted.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import sys
import threading
from pathlib import Path

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent.parent / "checkpoints" / "single-column.safetensors"
MAX_TABLE_CELLS = 1_000_000


class CliError(Exception):
    """A user-facing error: printed as one line, exit code `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# ----------------------------------------------------------------------------- input files

def _open_text(path: str, what: str):
    p = Path(path)
    if not p.exists():
        raise CliError(f"{what} not found: {path}")
    if p.is_dir():
        raise CliError(f"{what} is a directory, not a file: {path}")
    try:
        return open(p, encoding="utf-8-sig", newline="")
    except OSError as e:
        raise CliError(f"cannot read {what} {path}: {e.strerror or e}") from e


def _check_example(ex: dict, where: str, need_answer: bool):
    """Raise CliError unless `ex` has the JSONL example shape the engine encodes."""
    for key in ("columns", "rows", "question"):
        if key not in ex:
            raise CliError(f"{where}: missing key {key!r} (an example needs columns, rows, question)")
    columns, rows, question = ex["columns"], ex["rows"], ex["question"]
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise CliError(f"{where}: 'columns' must be a non-empty list of strings")
    if not isinstance(rows, list) or not rows:
        raise CliError(f"{where}: 'rows' must be a non-empty list of rows")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise CliError(f"{where}: row {i} must be a list of {len(columns)} cells (one per column)")
        for cell in row:
            if isinstance(cell, bool) or not (cell is None or isinstance(cell, (int, float, str))):
                raise CliError(f"{where}: row {i} has a cell that is not a number, string or null")
    if len(rows) * len(columns) > MAX_TABLE_CELLS:
        raise CliError(f"{where}: the table has more than {MAX_TABLE_CELLS} cells")
    if not isinstance(question, str) or not question.strip():
        raise CliError(f"{where}: 'question' must be a non-empty string")
    answer = ex.get("answer")
    if need_answer and answer is None:
        raise CliError(f"{where}: missing key 'answer' (evaluate needs the true answers)")
    if answer is not None:
        if not isinstance(answer, dict):
            raise CliError(f"{where}: 'answer' must be an object like "
                           "{\"scalar\": 3} or {\"cells\": [[0, 1]]}")
        scalar, cells = answer.get("scalar"), answer.get("cells")
        if scalar is not None and (isinstance(scalar, bool) or not isinstance(scalar, (int, float))
                                   or not math.isfinite(scalar)):
            raise CliError(f"{where}: answer 'scalar' must be a finite number")
        if cells is not None and not (isinstance(cells, list) and all(
                isinstance(c, list) and len(c) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in c) for c in cells)):
            raise CliError(f"{where}: answer 'cells' must be a list of [row, column] integer pairs")
        if need_answer and scalar is None and cells is None:
            raise CliError(f"{where}: 'answer' needs a 'scalar' or a 'cells' key")


def read_jsonl(path: str, need_answer: bool = False) -> list[dict]:
    """Examples from a JSONL file; a clear CliError naming the line for anything malformed."""
    examples = []
    with _open_text(path, "input file") as f:
        try:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path} line {n}"
                try:
                    ex = json.loads(line.strip())
                except json.JSONDecodeError as e:
                    raise CliError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from e
                if not isinstance(ex, dict):
                    raise CliError(f"{where}: expected a JSON object, got {type(ex).__name__}")
                _check_example(ex, where, need_answer)
                examples.append(ex)
        except UnicodeDecodeError as e:
            raise CliError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    if not examples:
        raise CliError(f"{path}: no examples (the file is empty)")
    return examples


def _csv_cell(text: str):
    """CSV cell -> float when it parses as a number, None when empty, else the (stripped) string."""
    from .vocab import parse_number

    s = text.strip()
    if not s:
        return None
    value = parse_number(s)
    return value if value is not None else s


def read_csv_table(path: str) -> tuple[list[str], list[list]]:
    """(columns, rows) of a CSV file with a header row; CliError for anything unusable."""
    with _open_text(path, "table file") as f:
        try:
            records = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
        except UnicodeDecodeError as e:
            raise CliError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); "
                           "save the CSV as UTF-8") from e
        except csv.Error as e:
            raise CliError(f"{path}: malformed CSV ({e})") from e
    if not records:
        raise CliError(f"{path}: the CSV file is empty (it needs a header row and at least one data row)")
    header, body = records[0], records[1:]
    columns = [h.strip() for h in header]
    if any(not c for c in columns):
        raise CliError(f"{path}: every column needs a name in the header row")
    if not body:
        raise CliError(f"{path}: the CSV file has a header but no data rows")
    for i, r in enumerate(body, 2):
        if len(r) != len(columns):
            raise CliError(f"{path}: data row {i - 1} has {len(r)} cells but the header has {len(columns)} "
                           "(ragged rows)")
    if len(body) * len(columns) > MAX_TABLE_CELLS:
        raise CliError(f"{path}: the table has more than {MAX_TABLE_CELLS} cells")
    return columns, [[_csv_cell(c) for c in r] for r in body]


def _load(checkpoint: str | None):
    from .checkpoint import load_checkpoint

    if checkpoint is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise CliError(f"no --checkpoint given and the default {DEFAULT_CHECKPOINT} does not exist; "
                           "train one with `python -m engine train --task single-column --output FILE`")
        checkpoint = str(DEFAULT_CHECKPOINT)
    model, vocab, info = load_checkpoint(checkpoint)
    return model, vocab, info


def _bar(**kw):
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, mininterval=0.2, **kw)


def _write_jsonl(path: str, lines):
    """Write lines atomically (temp file + rename)."""
    out = Path(path)
    if out.is_dir():
        raise CliError(f"output {path} is a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line)
                f.write("\n")
        os.replace(tmp, out)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror or e}") from e


# ----------------------------------------------------------------------------- generate

def cmd_generate(args) -> int:
    from . import data

    if args.n < 1:
        raise CliError("--n must be at least 1")
    print(f"generating {args.n} {args.task} {args.split} examples (seed {args.seed})", file=sys.stderr)
    examples = data.generate(args.task, args.split, args.n, args.seed)
    with _bar(total=len(examples), desc="writing", unit="ex") as bar:
        def lines():
            for ex in examples:
                yield json.dumps(ex)
                bar.update(1)
        _write_jsonl(args.output, lines())
    print(f"wrote {len(examples)} examples to {args.output}")
    return 0


# ----------------------------------------------------------------------------- train

def _train_configs(args):

    from . import data
    from .config import ModelConfig, TrainConfig
    from .train import default_model_config
    from .vocab import Vocab

    overrides = {}
    for name in ("steps", "batch_size", "lr", "adam_eps", "clip", "noise_eta", "huber_delta", "lookup_weight",
                 "train_size", "eval_size", "eval_every", "seed", "threads"):
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    if args.no_grad_noise:
        overrides["grad_noise"] = False
    overrides.update(_options(TrainConfig, args.train_option, "--train-option"))
    cfg = TrainConfig(task=args.task, **overrides)
    positive = ("steps", "batch_size", "train_size", "eval_size", "eval_every")
    for name in positive:
        if getattr(cfg, name) < 1:
            raise CliError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("lr", "adam_eps", "clip", "huber_delta"):
        value = getattr(cfg, name)
        if not (math.isfinite(value) and value > 0):
            raise CliError(f"--{name.replace('_', '-')} must be a positive number")
    for name in ("noise_eta", "lookup_weight"):
        value = getattr(cfg, name)
        if not (math.isfinite(value) and value >= 0):
            raise CliError(f"--{name.replace('_', '-')} must be a non-negative number")
    if cfg.threads < 0:
        raise CliError("--threads must be 0 (torch's default) or more")

    vocab = Vocab(data.vocabulary(args.task))
    model_overrides = {}
    if args.d is not None:
        model_overrides["d"] = args.d
    if args.T is not None:
        model_overrides["steps"] = args.T
    if args.bidirectional is not None:
        model_overrides["bidirectional"] = args.bidirectional
    model_overrides.update(_options(ModelConfig, args.model_option, "--model-option",
                                    exclude=("vocab_size", "ops")))
    try:
        model_cfg = default_model_config(args.task, len(vocab), **model_overrides)
    except ValueError as e:
        raise CliError(f"invalid model setting: {e}") from e
    return cfg, model_cfg


def _options(cls, items, flag: str, exclude=()) -> dict:
    """KEY=VALUE strings -> {field: value} for the dataclass `cls`, typed like each field's default."""
    from dataclasses import MISSING, fields

    known = {f.name: f for f in fields(cls) if f.name not in exclude and f.name != "task"}
    out = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise CliError(f"{flag} expects KEY=VALUE with KEY one of: {', '.join(sorted(known))}")
        default = known[key].default
        kind = type(default) if default is not MISSING else str
        text = text.strip()
        try:
            if kind is bool:
                if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError(text)
                value = text.lower() in ("true", "1", "yes", "on")
            elif kind is int:
                value = int(text)
            elif kind is float:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError(text)
            else:
                value = text
        except ValueError as e:
            raise CliError(f"{flag} {key}: {text!r} is not a valid {kind.__name__}") from e
        out[key] = value
    return out


def _poll_progress(progress, bar, done: threading.Event, interval: float = 0.25):
    """Mirror the trainer's Progress into the tqdm bar until `done` is set."""
    shown, training = 0, False
    while True:
        finished = done.wait(interval)
        snap = progress.snapshot()
        if not training and snap["message"] == "training":
            training = True
            bar.reset(total=snap["total"])
            shown = 0
        bar.set_description(snap["message"] or "starting", refresh=False)
        step = snap["step"]
        if step > shown:
            bar.update(step - shown)
            shown = step
        post = {}
        losses = snap["losses"][-20:]
        if losses:
            post["loss"] = f"{sum(v for _, v in losses) / len(losses):.4g}"
        if snap["evals"]:
            _, train_acc, test_acc = snap["evals"][-1]
            post["train_acc"] = f"{train_acc:.3f}"
            post["eval_acc"] = f"{test_acc:.3f}"
            post["best"] = f"{snap['best_accuracy']:.3f}"
        if post:
            bar.set_postfix(post, refresh=False)
        bar.refresh()
        if finished:
            return


def cmd_train(args) -> int:
    import torch

    from .checkpoint import save_checkpoint
    from .train import Progress, train

    cfg, model_cfg = _train_configs(args)
    target = args.target_accuracy if args.target_accuracy > 0 else None
    output = Path(args.output)
    if output.is_dir():
        raise CliError(f"--output {args.output} is a directory; give a file name like model.safetensors")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)

    progress, stop, done = Progress(total=cfg.steps), threading.Event(), threading.Event()

    bar = _bar(total=cfg.steps, unit="step", desc="starting")

    def on_sigint(signum, frame):
        if stop.is_set():  # a second Ctrl-C aborts without saving
            raise KeyboardInterrupt
        stop.set()
        bar.write("interrupted: stopping after this step and saving the best model so far "
                  "(Ctrl-C again to abort)", file=sys.stderr)

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    poller = threading.Thread(target=_poll_progress, args=(progress, bar, done), daemon=True)
    poller.start()
    try:
        result = train(cfg, model_cfg, progress=progress, stop=stop, target_accuracy=target)
    finally:
        done.set()
        poller.join()
        bar.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    summary = dict(result.summary)
    summary["model_config"] = result.model.config.to_dict()
    summary["target_accuracy"] = target
    try:
        save_checkpoint(output, result.model, result.vocab, summary)
    except OSError as e:
        raise CliError(f"cannot write checkpoint {args.output}: {e.strerror or e}") from e
    acc = summary["eval_accuracy"]
    how = " (stopped by Ctrl-C)" if summary.get("stopped") else ""
    print(f"trained {summary['steps_run']} steps{how}: best eval accuracy {acc:.4f} at step "
          f"{summary['best_step']} ({summary['eval_size']} test examples), {summary['seconds']:.1f} s; "
          f"saved {output}")
    if summary.get("error"):
        print(f"error: {summary['error']}", file=sys.stderr)
        return 2
    return 0


# ----------------------------------------------------------------------------- evaluate

def cmd_evaluate(args) -> int:
    from .evaluate import evaluate_examples

    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    examples = read_jsonl(args.input, need_answer=True)
    model, vocab, _ = _load(args.checkpoint)
    with _bar(total=len(examples), desc="evaluating", unit="ex") as bar:
        def progress(done, total, acc):
            bar.update(done - bar.n)
            bar.set_postfix(acc=f"{acc:.4f}")
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


# ----------------------------------------------------------------------------- predict

def hard_programs(model, examples: list[dict], out: dict) -> tuple[list[list[dict]], list[dict]]:
    """Per example: the hard program [{"op", "column", "pivot"}] and the prediction, read from one batched
    hard forward pass `out` the way engine.trace.trace reads a single example."""
    from .evaluate import final_kinds
    from .ops import COLUMN_OPS
    from .vocab import split_question

    ops = model.config.ops
    kinds = final_kinds(model, out)
    op_idx = out["op_logits"].argmax(-1).tolist()  # (B, T)
    programs, predictions = [], []
    for b, ex in enumerate(examples):
        m, c = len(ex["rows"]), len(ex["columns"])
        numbers = split_question(ex["question"]).numbers or [-1.0]
        cols = out["col_logits"][b, :, :c].argmax(-1).tolist()  # (T,)
        pivots = {op: numbers[int(att[b, :len(numbers)].argmax())]
                  for op, att in out["pivot_attention"].items()}
        program = []
        for t, i in enumerate(op_idx[b]):
            op = ops[i]
            program.append({"op": op, "column": ex["columns"][cols[t]] if op in COLUMN_OPS else None,
                            "pivot": pivots.get(op) if op in ("greater", "lesser") else None})
        if kinds[b] == "scalar":
            pred = {"scalar": round(float(out["scalar"][b]), 4)}  # float32: more digits are noise
        elif kinds[b] == "lookup":
            pred = {"cells": (out["lookup"][b, :m, :c] > 0.5).nonzero().tolist()}
        else:
            pred = {"none": True}
        programs.append(program)
        predictions.append(pred)
    return programs, predictions


def cmd_predict(args) -> int:
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    examples = read_jsonl(args.input)
    import torch

    from .batch import encode

    model, vocab, _ = _load(args.checkpoint)
    lines = []
    with _bar(total=len(examples), desc="predicting", unit="ex") as bar, torch.no_grad():
        for i in range(0, len(examples), args.batch_size):
            chunk = examples[i:i + args.batch_size]
            out = model(encode(chunk, vocab), hard=True)
            programs, predictions = hard_programs(model, chunk, out)
            for ex, program, pred in zip(chunk, programs, predictions, strict=True):
                row = dict(ex)
                if "program" in row:
                    row["program_template"] = row.pop("program")
                row["prediction"] = pred
                row["program"] = program
                lines.append(json.dumps(row))
            bar.update(len(chunk))
    _write_jsonl(args.output, lines)
    print(f"wrote {len(lines)} predictions to {args.output}")
    return 0


# ----------------------------------------------------------------------------- ask

def cmd_ask(args) -> int:
    question = " ".join(args.question).strip()
    if not question:
        raise CliError("the question is empty")
    columns, rows = read_csv_table(args.table)
    from .trace import fmt, trace

    model, vocab, _ = _load(args.checkpoint)
    result = trace(model, vocab, columns, rows, question)
    if args.json:
        print(json.dumps(result))
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


# ----------------------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    from . import data

    tasks = list(data.TASKS)
    parser = argparse.ArgumentParser(
        prog="python -m engine", description="Neural Programmer (Neelakantan, Le, Sutskever 2016): "
        "generate synthetic data, train, evaluate, predict, and ask questions about a CSV table.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("generate", help="write synthetic examples as JSONL",
                       description="Write n synthetic examples (one JSON object per line).")
    p.add_argument("--task", required=True, choices=tasks, metavar="TASK", help="one of: " + ", ".join(tasks))
    p.add_argument("--split", choices=("train", "test"), default="train")
    p.add_argument("--n", type=int, required=True, help="number of examples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True, help="JSONL file to write")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("train", help="train a model and save a .safetensors checkpoint",
                       description="Train on freshly generated data for TASK; keeps the best model by eval "
                       "accuracy. Ctrl-C stops early and still saves it. Exit code 2 when the loss became "
                       "NaN/inf (the best model so far is saved).")
    p.add_argument("--task", required=True, choices=tasks, metavar="TASK", help="one of: " + ", ".join(tasks))
    p.add_argument("--output", required=True, help="checkpoint file to write (.safetensors)")
    g = p.add_argument_group("training (defaults: engine.config.TrainConfig)")
    g.add_argument("--steps", type=int, help="optimiser steps")
    g.add_argument("--batch-size", type=int)
    g.add_argument("--lr", type=float, help="Adam learning rate")
    g.add_argument("--adam-eps", type=float)
    g.add_argument("--clip", type=float, help="global gradient-norm threshold")
    g.add_argument("--no-grad-noise", action="store_true", help="no annealed gradient noise")
    g.add_argument("--noise-eta", type=float, help="gradient noise variance eta / (1 + t)^0.55")
    g.add_argument("--huber-delta", type=float)
    g.add_argument("--lookup-weight", type=float, help="lambda, the weight of the lookup loss")
    g.add_argument("--train-size", type=int, help="number of generated training examples")
    g.add_argument("--eval-size", type=int, help="number of generated test examples")
    g.add_argument("--eval-every", type=int, help="evaluate every this many steps")
    g.add_argument("--seed", type=int)
    g.add_argument("--threads", type=int, help="torch threads (0: torch's default)")
    g.add_argument("--target-accuracy", type=float, default=1.0,
                   help="stop when the eval accuracy reaches this (default 1.0; 0 or less: never stop early)")
    g.add_argument("--train-option", action="append", metavar="KEY=VALUE",
                   help="set any other TrainConfig field (repeatable), e.g. search_samples=16")
    g = p.add_argument_group("model (defaults: engine.train.default_model_config)")
    g.add_argument("--d", type=int, help="hidden size")
    g.add_argument("--T", type=int, help="number of steps (operation selections)")
    g.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="bidirectional question RNN (default: on for 5+ columns)")
    g.add_argument("--model-option", action="append", metavar="KEY=VALUE",
                   help="set any other ModelConfig field (repeatable), e.g. question_attention=false")
    p.set_defaults(func=cmd_train)

    ckpt_help = f"model checkpoint (default: {DEFAULT_CHECKPOINT.parent.name}/{DEFAULT_CHECKPOINT.name})"
    p = sub.add_parser("evaluate", help="hard-execution accuracy on a JSONL file",
                       description="Accuracy overall and per template (the 'program' key, else 'template').")
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--input", required=True, help="JSONL examples with answers")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="write the model's answer and program for each JSONL example",
                       description="Copy every input line to the output with two keys added: 'prediction' "
                       "({\"scalar\": x}, {\"cells\": [[row, col], ...]} or {\"none\": true} when the last "
                       "operation writes nothing) and 'program' (a list of {\"op\", \"column\", \"pivot\"} "
                       "steps). An input 'program' key (the generator's template string) is renamed to "
                       "'program_template' so it is not lost.")
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--input", required=True, help="JSONL examples (columns, rows, question)")
    p.add_argument("--output", required=True, help="JSONL file to write")
    p.add_argument("--batch-size", type=int, default=500)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("ask", help="answer a question about a CSV table and show the program",
                       description="Answer QUESTION about a CSV table (header row, then data rows; cells "
                       "that parse as numbers are numbers, empty cells are missing).")
    p.add_argument("--checkpoint", help=ckpt_help)
    p.add_argument("--table", required=True, help="CSV file with a header row")
    p.add_argument("--json", action="store_true", help="print the full trace as JSON")
    p.add_argument("question", nargs="+", help='the question, e.g. "greater 50 A sum A"')
    p.set_defaults(func=cmd_ask)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
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
        checkpoint = sys.modules.get("engine.checkpoint")  # not imported: no CheckpointError possible
        if checkpoint is not None and isinstance(e, checkpoint.CheckpointError):
            print(f"error: bad checkpoint: {e}", file=sys.stderr)
            return 1
        # anything unforeseen: still one line, the traceback only on request
        if os.environ.get("NP_DEBUG"):
            raise
        print(f"error: {type(e).__name__}: {e} (set NP_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
    return code
