"""The 2017 model on the command line: `train --data/--dev`, and `evaluate`/`predict`/`ask` with a 2017
checkpoint (engine/cli/dispatch.py chooses them). `train` saves the best dev model whenever it improves, so Ctrl-C,
the NaN guard or --max-minutes leave it on disk; `predict` never reads "target" or "answer"; `evaluate` scores by
the benchmark's rules (engine/wtq2017/dataset/evaluator.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.cli.common import CliError, bar, checked_device, prediction_row
from engine.core.settings import parse_options, settings
from engine.np2016 import config as np2016_config
from engine.wtq2017.config import ModelConfig, TrainConfig
from engine.wtq2017.predict import read_examples


def wtq_configs(args) -> tuple[TrainConfig, dict]:
    """(train config, model values without vocab_size): a 2017 preset, then the flags both families share by name,
    then --train-option/--model-option."""
    from engine.cli.train import given_flags
    from engine.wtq2017 import presets as wtq_presets

    try:
        preset = wtq_presets.wtq_preset(args.preset or "wtq2017")
        train, model = dict(preset.train), dict(preset.model)
        # the flags are the 2016 configs' (engine/cli/train.py); one of the same name sets the 2017 field
        for flags_of, ours, values in ((np2016_config.TrainConfig, TrainConfig, train),
                                       (np2016_config.ModelConfig, ModelConfig, model)):
            names = {s.name for s in settings(ours)}
            for s, value in given_flags(args, flags_of):
                if s.name not in names:
                    raise ValueError(f"--{s.flag} is a setting of the synthetic-task model, not of the 2017 "
                                     "model that --data trains (see --train-option/--model-option)")
                values[s.name] = value
        train.update(parse_options(TrainConfig, args.train_option, exclude=("preset",)))
        model.update(parse_options(ModelConfig, args.model_option, exclude=("vocab_size",)))
        train.update({k: v for k in ("max_minutes", "patience") if (v := getattr(args, k)) is not None})
        cfg = TrainConfig(**train)
        ModelConfig(**model)  # range checks now, not after reading the data
    except ValueError as e:
        raise CliError(f"invalid setting: {e}", 2) from e
    return cfg, model


def run_training(args) -> int:
    from engine.cli.train import held_output

    if not args.dev:
        raise CliError("--data needs --dev: the dev examples choose the model (early stopping)", 2)
    cfg, model_values = wtq_configs(args)
    checked_device(cfg.device)
    with held_output(args.output) as output:  # another training writing this output is refused now
        return _train_and_save(args, cfg, model_values, output)


def _train_and_save(args, cfg: TrainConfig, model_values: dict, output) -> int:
    """Train the 2017 model on --data, choosing it on --dev; the best model is saved at `output` whenever it
    improves, and once more with the final summary."""
    from engine.cli.train import watched_run
    from engine.core.progress import Progress
    from engine.core.train_state import state_path
    from engine.wtq2017 import train as wtq2017_train
    from engine.wtq2017.checkpoint import save_checkpoint

    train_examples, dev_examples = read_examples(args.data, "--data"), read_examples(args.dev, "--dev")
    trainable = wtq2017_train.trainable(train_examples)
    print(f"{len(trainable):,} of {len(train_examples):,} training examples are trainable; "
          f"{sum('target' in ex for ex in dev_examples):,} dev examples have a target", file=sys.stderr)
    sources = {"data": str(args.data), "dev": str(args.dev)}

    def on_best(result):  # the best model on disk as soon as it is found
        save_checkpoint(output, result.model, result.vocab, {**result.summary, **sources})

    if cfg.search_weight > 0:
        print("program search: finding the programs that answer each training question (cached beside --data: "
              "minutes the first time, seconds after)", file=sys.stderr)
    state = state_path(output)
    if args.resume and not state.is_file():
        raise CliError(f"nothing to resume: {state} does not exist (a run saves it every --save-minutes)", 2)
    progress = Progress(total=cfg.steps)
    with watched_run(progress, "interrupted: stopping; the best dev model and the run's state are saved (Ctrl-C "
                     "again to abort)") as stop:
        try:
            result = wtq2017_train.train(cfg, model_values, train_examples, dev_examples, progress, stop, on_best,
                                         state_file=state, resume=args.resume, save_every=60 * args.save_minutes,
                                         data_path=Path(args.data))
        except ValueError as e:
            raise CliError(str(e)) from e
    summary = {**result.summary, **sources}
    save_checkpoint(output, result.model, result.vocab, summary)  # the final summary (steps, curve)
    how = " (stopped early)" if summary["stopped"] else ""
    print(f"trained {summary['steps_run']} steps{how} from preset {cfg.preset}: best dev accuracy "
          f"{summary['dev_accuracy']:.4f} at step {summary['best_step']} ({summary['dev_examples']:,} dev examples, "
          f"the benchmark's rules), {summary['seconds']:.1f} s; saved {output} (the run's state: {state}, for "
          "--resume)")
    if summary.get("error"):
        print(f"error: {summary['error']}", file=sys.stderr)
        return 2
    return 0


def _answers(args, examples):
    from engine.wtq2017.ensemble import load_model
    from engine.wtq2017.predict import answer_all

    device = checked_device(args.device)
    model, vocab, _ = load_model(args.checkpoint, device)
    with bar(total=len(examples), desc="answering", unit="ex") as b:
        return answer_all(model, vocab, examples, min(args.batch_size, 64), device,
                          on_batch=lambda done: b.update(done - b.n), beam=args.beam or 0)


def evaluate(args) -> int:
    from engine.wtq2017.predict import score

    examples = read_examples(args.input, "--input")
    if not any("target" in ex for ex in examples):
        raise CliError(f"{args.input}: no example carries \"target\" (the answer strings) to score against")
    result = score(examples, _answers(args, examples))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"accuracy: {result['accuracy']:.4f} ({result['correct']}/{result['total']}, the benchmark's rules)")
    for title, key in (("by answer type", "by_answer_type"), ("by final operation", "by_final_operation")):
        print(f"{title}:")
        for name, r in result[key].items():
            print(f"  {name:<16} {r['accuracy']:.3f}  ({r['correct']}/{r['total']})")
    return 0


def predict(args) -> int:
    from engine.core.io.atomic import atomic_writer
    from engine.core.io.examples import dumps_example, iter_jsonl
    from engine.core.limits import DATA_MAX_BYTES
    from engine.wtq2017.predict import denotation

    examples = read_examples(args.input, "--input")
    answers = _answers(args, examples)
    with atomic_writer(args.output) as f:
        # the input lines as they were: a plain example is written back without the wtq block added here
        originals = (ex for _, ex in iter_jsonl(args.input, max_bytes=DATA_MAX_BYTES))
        for ex, source, answer in zip(examples, originals, answers, strict=True):
            row = prediction_row(source, answer["program"], denotation=denotation(ex, answer))
            f.write(dumps_example(row) + "\n")
    print(f"wrote {len(answers)} predictions to {args.output}")
    return 0


def ask_trace(args, device, table, question: str) -> dict:
    """The 2017 model's trace of `question` about `table` (engine.core.io.csv_table's Table), run on `device`;
    with --beam, chosen by execution-guided decoding, the programs considered in extra["candidates"]."""
    from engine.wtq2017.ensemble import load_model
    from engine.wtq2017.trace import ask_table

    model, vocab, _ = load_model(args.checkpoint, device)
    return ask_table(model, vocab, table.columns, table.rows, question, beam=args.beam or 0)


def train_ensemble(args) -> int:
    """`ensemble-train`: the members as Ray tasks (engine/wtq2017/ensemble_train.py), then the ensemble file."""
    from engine.core.safetensors_reader import CheckpointError
    from engine.wtq2017.ensemble_train import train_ensemble as run

    cfg, model_values = wtq_configs(args)
    for path in (args.data, args.dev):
        if not Path(path).is_file():
            raise CliError(f"{path} does not exist", 2)
    train_values = {k: v for k, v in cfg.to_dict().items() if k != "seed"}
    try:
        ensemble = run(args.output, args.data, args.dev, train_values, model_values, list(range(args.seeds)),
                       workers=args.workers, address=args.address, save_every=60 * args.save_minutes,
                       log=lambda text: print(text, file=sys.stderr))
    except (ValueError, RuntimeError, CheckpointError) as e:
        raise CliError(f"cannot train the ensemble: {e}") from e
    print(f"wrote {ensemble}: {args.seeds} members answering together (--checkpoint {ensemble})")
    return 0
