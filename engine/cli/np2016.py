"""The 2016 model on the command line: `evaluate`, `predict` and `ask` with a 2016 checkpoint (engine/cli/dispatch.py
chooses them), and the default checkpoint they load when --checkpoint is not given."""

from __future__ import annotations

import json
from pathlib import Path

from engine.cli.common import CliError, bar, checked_device, prediction_row

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "checkpoints" / "single-column.safetensors"


def load(checkpoint: str | None, device=None):
    """(model, vocabulary, info) of --checkpoint, else of DEFAULT_CHECKPOINT (a CliError when it is absent)."""
    from engine.np2016.checkpoint import load_checkpoint

    if checkpoint is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise CliError(f"no --checkpoint given and the default {DEFAULT_CHECKPOINT} does not exist; "
                           "train one with `python -m engine train --task single-column --output FILE`")
        checkpoint = str(DEFAULT_CHECKPOINT)
    return load_checkpoint(checkpoint, device)


def evaluate(args) -> int:
    from engine.core.io.examples import read_jsonl
    from engine.np2016.evaluate import evaluate_examples

    device = checked_device(args.device)
    examples = read_jsonl(args.input, need_answer=True)
    model, vocab, _ = load(args.checkpoint, device)  # evaluate_examples runs on the model's device
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


def predict(args) -> int:
    from engine.core.device import on_device
    from engine.core.io.atomic import atomic_writer
    from engine.core.io.examples import dumps_example, iter_jsonl
    from engine.np2016.program import predict_chunks

    device = checked_device(args.device)
    model, vocab, _ = load(args.checkpoint)
    model = on_device(model, device)  # the forward pass on the device; decoding reads its outputs on the CPU
    n = 0
    # streamed a chunk at a time, so memory stays bounded for long files; the output appears only when
    # every line was predicted (a bad line leaves no half-written file)
    with bar(desc="predicting", unit="ex") as b, atomic_writer(args.output) as f:
        for chunk in predict_chunks(model, vocab, iter_jsonl(args.input), args.batch_size, name=args.input):
            for ex, program, answer in chunk:
                row = prediction_row(ex, [step.to_json() for step in program], prediction=answer)
                f.write(dumps_example(row) + "\n")
            n += len(chunk)
            b.update(len(chunk))
        if n == 0:
            raise CliError(f"{args.input}: no examples (the file is empty)")
    print(f"wrote {n} predictions to {args.output}")
    return 0


def ask_trace(args, device, table, question: str) -> dict:
    """The 2016 model's trace of `question` about `table` (engine.core.io.csv_table's Table), run on `device`."""
    from engine.core.device import on_device
    from engine.np2016.trace import trace

    model, vocab, _ = load(args.checkpoint)
    return trace(on_device(model, device), vocab, table.columns, table.rows, question)
