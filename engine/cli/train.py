"""The `train` command: flags generated from the config fields, a progress bar, Ctrl-C, and the save.

Every field of TrainConfig and ModelConfig with `cli=True` becomes a flag (`--batch-size`, `--T`, `--grad-noise/
--no-grad-noise`, ...), left unset by default, so the defaults and the ranges are engine/np2016/config.py's alone.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from contextlib import contextmanager

from engine.cli.common import CliError, bar, checked_device
from engine.core.settings import Setting, parse_options, settings
from engine.np2016.config import ModelConfig, TrainConfig

# argparse destinations: both configs have a `steps` field, so each config's flags get their own prefix
_PREFIX = {TrainConfig: "train_", ModelConfig: "model_"}


def _typed(s: Setting):
    """argparse `type=` for a setting: its own parser, with argparse's usage error for bad text."""
    def parse(text: str):
        try:
            return s.parse(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    parse.__name__ = s.type.__name__  # argparse names the type in its message
    return parse


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per command-line setting of TrainConfig and ModelConfig, then the KEY=VALUE options."""
    titles = {TrainConfig: "training (defaults: the --preset's values, else engine.np2016.config.TrainConfig's; "
                           "ranges: engine.np2016.config.TrainConfig)",
              ModelConfig: "model (defaults: the --preset's values for the task, else "
                           "engine.np2016.config.ModelConfig's)"}
    for cls, title in titles.items():
        group = parser.add_argument_group(title)
        for s in settings(cls):
            if not s.cli:
                continue
            dest, text = _PREFIX[cls] + s.name, f"{s.help} (default {s.default}, unless the preset sets it)"
            if s.type is bool:
                group.add_argument(f"--{s.flag}", dest=dest, action=argparse.BooleanOptionalAction,
                                   default=None, help=text)
            else:
                group.add_argument(f"--{s.flag}", dest=dest, type=_typed(s), default=None,
                                   metavar=s.type.__name__.upper(), help=f"{text}; {s.describe_range()}")
        option = "train" if cls is TrainConfig else "model"
        group.add_argument(f"--{option}-option", action="append", metavar="KEY=VALUE",
                           help=f"set a {cls.__name__} field by name (repeatable), e.g. "
                                + ("search_samples=16" if cls is TrainConfig else "question_attention=false"))


def given_flags(args, cls) -> list[tuple[Setting, object]]:
    """(setting, value) of every flag of the config class `cls` given on the command line."""
    return [(s, v) for s in settings(cls) if s.cli and (v := getattr(args, _PREFIX[cls] + s.name, None)) is not None]


def configs_from_args(args) -> tuple[TrainConfig, ModelConfig]:
    """The run's configs: the defaults, then the flags given, then the KEY=VALUE options (CliError, code 2,
    for a value out of range, naming the field and the range)."""
    from engine.core.vocab import Vocab
    from engine.np2016 import presets
    from engine.np2016.data import tasks as data

    def given(cls, option_items, exclude=()):
        return {s.name: value for s, value in given_flags(args, cls)} | parse_options(cls, option_items, exclude)

    try:
        preset = getattr(args, "preset", None) or "default"
        cfg = presets.train_config(preset, args.task,
                                   **given(TrainConfig, args.train_option, exclude=("task", "preset")))
        vocab = Vocab(data.vocabulary(args.task))
        model_cfg = presets.model_config(preset, args.task, len(vocab),
                                         **given(ModelConfig, args.model_option, exclude=("vocab_size", "ops")))
    except ValueError as e:
        raise CliError(f"invalid setting: {e}", 2) from e
    return cfg, model_cfg


def _poll_progress(progress, b, done: threading.Event, interval: float = 0.25):
    """Mirror the trainer's Progress into the tqdm bar `b` until `done` is set."""
    training = False
    while True:
        finished = done.wait(interval)
        snap = progress.snapshot()
        if not training and snap["message"] == "training":
            training = True
            b.reset(total=snap["total"])
        b.set_description(snap["message"] or "starting", refresh=False)
        if snap["step"] > b.n:
            b.update(snap["step"] - b.n)
        post = {}
        if losses := snap["losses"][-20:]:
            post["loss"] = f"{sum(v for _, v in losses) / len(losses):.4g}"
        if snap["evals"]:
            _, train_acc, valid_acc = snap["evals"][-1]
            if train_acc >= 0:  # -1: a trainer that scores only its dev set (the 2017 model's)
                post["train_acc"] = f"{train_acc:.3f}"
            post.update(valid_acc=f"{valid_acc:.3f}", best=f"{snap['best_accuracy']:.3f}")
        if post:
            b.set_postfix(post, refresh=False)
        b.refresh()
        if finished:
            return


@contextmanager
def watched_run(progress, interrupted: str):
    """While the block runs: a progress bar on stderr mirroring `progress`, and Ctrl-C setting the stop event it
    yields (with the message `interrupted`; a second Ctrl-C aborts)."""
    stop, done = threading.Event(), threading.Event()
    b = bar(total=progress.total, unit="step", desc="starting")

    def on_sigint(signum, frame):
        if stop.is_set():  # a second Ctrl-C aborts without saving
            raise KeyboardInterrupt
        stop.set()  # honoured during data generation too
        b.write(interrupted, file=sys.stderr)

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    poller = threading.Thread(target=_poll_progress, args=(progress, b, done), daemon=True)
    poller.start()
    try:
        yield stop
    finally:
        done.set()
        poller.join()
        b.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def held_output(path):
    """engine.np2016.runs.hold_output for a command: an output another training is writing is a usage error (exit
    code 2, one line), one that cannot be written a failure (exit code 1)."""
    from engine.np2016.runs import OutputBusy, OutputError, hold_output

    try:
        return hold_output(path)
    except OutputBusy as e:
        raise CliError(str(e), 2) from e
    except OutputError as e:
        raise CliError(str(e)) from e


def check_task_flags(args) -> None:
    """`train --task`'s usage errors (exit code 2), before anything is imported or read: the task, the flags that
    go with --data only, the preset (default 'default')."""
    from engine.np2016 import presets

    if not args.task:
        raise CliError("train needs --task (a synthetic task) or --data TRAIN.jsonl --dev DEV.jsonl", 2)
    if args.dev or args.max_minutes is not None or args.patience is not None:
        raise CliError("--dev, --max-minutes and --patience go with --data (the 2017 model)", 2)
    args.preset = args.preset or "default"
    if args.preset not in presets.NAMES:
        raise CliError(f"preset {args.preset!r} is for --data (the 2017 model); --task takes one of "
                       f"{', '.join(presets.NAMES)}", 2)


def run_training(args) -> int:
    """Check and claim the output, train with a progress bar (Ctrl-C stops and saves), save, report. Exit code 0, 2 when
    the NaN guard stopped the run, 130 when Ctrl-C came before there was a model to save."""
    from engine.core.train_state import state_path
    from engine.np2016.runs import save_trained
    from engine.np2016.train import Progress, train

    cfg, model_cfg = configs_from_args(args)
    checked_device(cfg.device)  # --device (a TrainConfig field): cuda without a GPU fails now, exit code 2
    target = args.target_accuracy if args.target_accuracy > 0 else None
    interrupted = ("interrupted: stopping and saving the best model so far, unless the output holds a better "
                   "one (Ctrl-C again to abort)")
    progress = Progress(total=cfg.steps)
    # before any work: an unwritable path, or one another training is writing, fails now, not after training
    with held_output(args.output) as output:
        state = state_path(output)
        if args.resume and not state.is_file():
            raise CliError(f"nothing to resume: {state} does not exist (a run saves it every --save-minutes)", 2)
        with watched_run(progress, interrupted) as stop:
            try:
                result = train(cfg, model_cfg, progress=progress, stop=stop, target_accuracy=target,
                               state_file=state, resume=args.resume, save_every=60 * args.save_minutes)
            except ValueError as e:  # the state of another run
                raise CliError(str(e), 2) from e
        summary = {**result.summary, "model_config": result.model.config.to_dict(), "target_accuracy": target}
        try:
            outcome = save_trained(output, result, summary)
        except OSError as e:
            raise CliError(f"cannot write checkpoint {output}: {e.strerror or e}") from e
    how = " (stopped by Ctrl-C)" if summary.get("stopped") else ""
    if summary["steps_run"] or summary["valid_accuracy"] >= 0:
        test = summary["test_accuracy"]
        tested = f"; test accuracy {test:.4f} ({cfg.test_size} test examples, read once)" if test >= 0 else ""
        print(f"trained {summary['steps_run']} steps{how} from preset {cfg.preset}: best validation accuracy "
              f"{summary['valid_accuracy']:.4f} at step {summary['best_step']} ({summary['eval_size']} validation "
              f"examples){tested}, {summary['seconds']:.1f} s")
    print(outcome.message)
    if summary.get("error"):
        print(f"error: {summary['error']}", file=sys.stderr)
        return 2
    return 130 if outcome.path is None else 0  # interrupted before anything could be saved
