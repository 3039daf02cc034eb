"""The arguments of every command (`python -m engine COMMAND --help`), each command's function set as its `func`.
The training flags are generated from the fields of engine.np2016.config (engine/cli/train.py)."""

from __future__ import annotations

import argparse

from engine.cli.data import cmd_generate, cmd_wtq_convert
from engine.cli.dispatch import cmd_ask, cmd_ensemble, cmd_ensemble_train, cmd_train, family_commands
from engine.cli.np2016 import DEFAULT_CHECKPOINT
from engine.cli.sweep import cmd_sweep

# evaluate and predict take either model family's checkpoint (engine/cli/dispatch.py: family_commands reads the
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
    p.add_argument("--resume", action="store_true",
                   help="go on from the state saved beside --output (OUTPUT.state.safetensors: model, "
                   "optimiser, random generators, search memory, step, curves), bit for bit; only --steps (and with "
                   "--data, --max-minutes and --patience) may differ from the stopped run")
    p.add_argument("--save-minutes", type=float, default=5.0,
                   help="save that state every this many minutes and when the run stops (default 5)")
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

    def model_command(name: str, help: str, func, **kw) -> argparse.ArgumentParser:
        """evaluate, predict and ask: a checkpoint of either family, where it runs, and --beam."""
        p = sub.add_parser(name, help=help, **kw)
        p.add_argument("--checkpoint", help="model checkpoint: the 2016 model or the 2017 (WikiTableQuestions) one, "
                       "told apart by the file's header (default: "
                       f"{DEFAULT_CHECKPOINT.parent.name}/{DEFAULT_CHECKPOINT.name})")
        p.add_argument("--device", choices=DEVICES, default="cpu",
                       help="where the model runs: cpu (default) or cuda (an NVIDIA GPU that torch can see)")
        p.add_argument("--beam", type=_positive, default=None, metavar="K", help="the 2017 model: "
                       "execution-guided decoding, answering with the most probable of the K most probable programs "
                       "whose answer is not empty, a zero count or only blank cells (default: the per-step argmax "
                       "program, as the paper)")
        p.set_defaults(func=func)
        return p

    batch_help = "most examples per batch (batches are also grouped by table size to bound memory); 2017: at most 64"
    p = model_command("evaluate", "accuracy on a JSONL file: the 2016 paper's, or WikiTableQuestions' (2017)",
                      lambda args: family_commands(args).evaluate(args), description=EVALUATE_DESCRIPTION)
    p.add_argument("--input", required=True, help="JSONL examples with answers: 2016, an 'answer' "
                   "({\"scalar\": x} or {\"cells\": [[row, col], ...]}); 2017, a 'target' (the answer "
                   "strings) or an 'answer', read as strings")
    p.add_argument("--batch-size", type=_positive, default=500, help=batch_help)
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = model_command("predict", "write the model's answer and program for each JSONL example (2016 or 2017)",
                      lambda args: family_commands(args).predict(args), description=PREDICT_DESCRIPTION)
    p.add_argument("--input", required=True, help="JSONL examples (columns, rows, question); a 'target' or an "
                   "'answer' is copied to the output, never used to answer")
    p.add_argument("--output", required=True, help="JSONL file to write: each input line with 'prediction' "
                   "(2016) or 'denotation' (2017) and 'program' added")
    p.add_argument("--batch-size", type=_positive, default=500, help=batch_help)

    p = model_command("ask", "answer a question about a CSV table and show the program", cmd_ask,
                      description="Answer QUESTION about a CSV table (header row, then data rows; cells "
                      "that parse as numbers are numbers, empty cells are missing; ',', ';' or tab "
                      "delimited, with decimal commas in ';' files). README 'Limits' lists the sizes.")
    p.add_argument("--table", required=True, help="CSV file with a header row")
    p.add_argument("--json", action="store_true", help="print the full trace as JSON")
    p.add_argument("question", nargs="+", help='the question, e.g. "greater 50 A sum A"')

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
    p.add_argument("--save-minutes", type=float, default=5.0,
                   help="how often each group in training saves its state (OUTPUT/state/), so that rerunning the "
                   "command goes on from there rather than from step 0 (default 5)")
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

    p = sub.add_parser("ensemble", help="write an ensemble file: several 2017 checkpoints answering as one",
                       description="Write a small JSON file naming 2017 (real-tables) checkpoints, each with its "
                       "sha256; give it to evaluate, predict or ask as --checkpoint and the members answer together "
                       "(their per-step probabilities averaged, as the 2017 paper's ensemble). The members must "
                       "share the vocabulary, column slots, T and question length (trained on the same data).")
    p.add_argument("members", nargs="+", metavar="CHECKPOINT", help="the members' .safetensors files")
    p.add_argument("--output", required=True, help="ensemble file to write (.json)")
    p.set_defaults(func=cmd_ensemble)

    p = sub.add_parser("ensemble-train", help="train an ensemble of 2017 models, one Ray task per seed",
                       description="Train one 2017 (real-tables) model per seed on --data, each choosing its "
                       "checkpoint on --dev, as Ray tasks (a local Ray, or a cluster with --address), then write "
                       "OUTPUT/ensemble.json naming them. Rerun the same command to resume: members that are done "
                       "are skipped, the others go on from their saved state.")
    p.add_argument("--data", required=True, help="training JSONL (converted WikiTableQuestions or plain examples)")
    p.add_argument("--dev", required=True, help="dev JSONL that chooses each member's checkpoint")
    p.add_argument("--preset", choices=wtq_presets.WTQ_NAMES, default="wtq2017")
    p.add_argument("--seeds", type=_positive, default=5, help="members, trained with seeds 0 … N−1 (default 5)")
    p.add_argument("--output", required=True, help="directory for the members, their states and ensemble.json")
    p.add_argument("--max-minutes", type=float, help="each member's time limit")
    p.add_argument("--patience", type=int, help="each member stops after N dev evaluations without a better one")
    p.add_argument("--train-option", action="append", metavar="KEY=VALUE", help="a TrainConfig field of the 2017 "
                   "model, e.g. steps=20000 (repeatable)")
    p.add_argument("--model-option", action="append", metavar="KEY=VALUE", help="a ModelConfig field of the 2017 "
                   "model, e.g. match_count=matched (repeatable)")
    p.add_argument("--workers", type=_positive, default=None, help="members trained at once (default: CPU count)")
    p.add_argument("--address", help="an existing Ray cluster; --output and the data on a shared file system")
    p.add_argument("--save-minutes", type=float, default=5.0, help="how often each member saves its state")
    p.set_defaults(func=cmd_ensemble_train)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
