"""docs/RESULTS.md's WikiTableQuestions section and the 2017 part of the model card, from the checkpoints' own
metadata and a fresh scoring of the dev split by the benchmark's rules.

    D=../shared/data/wikitablequestions
    python -m engine wtq-convert --tsv $D/data/random-split-1-dev.tsv --tables $D \\
        --output runs/wtq/random-split-1-dev.jsonl --purpose eval
    python benchmarks/wtq_results.py --dev runs/wtq/random-split-1-dev.jsonl \\
        [--checkpoint checkpoints/wtq2017.safetensors] [--also runs/wtq/wtq_small.safetensors ...] [--print]

Each checkpoint's dev accuracy is measured again here (hard execution, engine/wtq2017/dataset/evaluator.py's rules,
every dev question counted, the converter's unreadable ones as wrong); its training time, steps and settings are
read from its summary. The dev split is the one that chose each checkpoint (TF's recipe and the issue's), so dev
accuracy is a selection figure, optimistic; the test split is held back and scored elsewhere. Writes the section
between its markers in docs/RESULTS.md, the 2017 card in checkpoints/README.md, and docs/wtq_results.json (the
figures the tests re-check on the fixture tables, which CI has, unlike the dataset; and both sections' text, which
benchmarks/reproduce.py keeps when it rewrites those files).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sections import replace_section  # noqa: E402
from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.io.examples import read_jsonl  # noqa: E402
from engine.papers import P17_SINGLE_MODEL, P17_TABLE_1_TEXT, percent_text  # noqa: E402
from engine.wtq2017.checkpoint import SHIPPED  # noqa: E402
from engine.wtq2017.config import ModelConfig, TrainConfig  # noqa: E402
from engine.wtq2017.dataset.convert import convert_file, report_path  # noqa: E402
from engine.wtq2017.ensemble import load_model  # noqa: E402
from engine.wtq2017.predict import answer_all, score  # noqa: E402

START, END = "<!-- wtq: written by benchmarks/wtq_results.py -->", "<!-- /wtq -->"
CARD_START, CARD_END = "<!-- wtq card: written by benchmarks/wtq_results.py -->", "<!-- /wtq card -->"
FIXTURE = ROOT / "tests" / "fixtures" / "wtq"
DEFAULT_CHECKPOINT = SHIPPED
PAPER_ROWS = P17_TABLE_1_TEXT  # spec §8.5 (P17 Table 1): method, dev %, test %, from engine/papers.py
TYPE_NAMES = {"scalar": "scalar (a count)", "number_lookup": "number lookup", "word_lookup": "word lookup",
              "bad": "not printable (answer not in the table)", "unreadable": "unreadable (converter)"}


def _shown(path: Path) -> str:
    """A path as the command line would give it from the project root."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def measure(path: Path, dev: list[dict], unreadable: int) -> dict:
    model, vocab, info = load_model(path)
    summary = info["summary"]
    result = score(dev, answer_all(model, vocab, dev), unreadable)
    fixture = fixture_score(model, vocab)
    return {"file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path), "name": path.name,
            "bytes": path.stat().st_size, "summary": summary, "dev": result, "fixture": fixture}


def fixture_score(model, vocab) -> dict:
    """Accuracy and denotations on the 23 attributed fixture questions (tests/fixtures/wtq), which CI re-checks."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fixture.jsonl"
        convert_file(FIXTURE / "data" / "sample.tsv", FIXTURE, out, purpose="eval")
        examples = read_jsonl(out)
    from engine.wtq2017.predict import denotation

    answers = answer_all(model, vocab, examples)
    return {"accuracy": score(examples, answers)["accuracy"],
            "denotations": {ex["id"]: denotation(ex, a) for ex, a in zip(examples, answers, strict=True)}}


def _training_line(m: dict) -> str:
    s = m["summary"]
    train = TrainConfig.from_dict(s["train_config"]) if "train_config" in s else TrainConfig()
    model = ModelConfig.from_dict(s["model_config"])
    minutes = s.get("seconds", 0) / 60
    switches = "".join(f", {label} {getattr(model, k)}" for k, label, paper in (
        ("match_count", "match count", "exact"), ("column_name", "column name", "first"),
        ("ops", "operations", "paper"), ("cell_text", "cell text", "as_is"), ("dates", "dates by", "text"))
        if getattr(model, k) != paper)
    return (f"`{m['name']}`: preset `{s.get('preset')}`, {s.get('method', 'method not recorded')}{switches}, "
            f"d {model.d}, T {model.T}, batch {train.batch_size}, lr {train.lr}, "
            f"{s.get('steps_run'):,} steps in {minutes:.0f} min ({train.threads} thread, "
            f"time limit {train.max_minutes} min), best dev at step {s.get('best_step'):,}, seed "
            f"{train.seed}, {m['bytes'] / 1e6:.1f} MB")


CURVE_EVERY = 2000  # steps between the rows of the dev-curve table


def curves(measured: list[dict]) -> list[str]:
    """Each run's dev curve (its checkpoint's record of every dev evaluation), one row per CURVE_EVERY steps and
    the run's last evaluation: whether dev was still rising when the run stopped."""
    by_run = [{e["step"]: e["dev_accuracy"] for e in m["summary"].get("evals", [])} for m in measured]
    steps = sorted({k for run in by_run for k in run if k % CURVE_EVERY == 0} | {max(run) for run in by_run if run})
    if not steps:
        return []
    lines = ["", "Dev curves (dev accuracy % at each evaluation, every "
             f"{CURVE_EVERY:,} steps and at each run's last; read from the checkpoints' records):", "",
             "| step | " + " | ".join(f"`{m['name']}`" for m in measured) + " |",
             "|---" * (len(measured) + 1) + "|"]
    lines += [f"| {k:,} | " + " | ".join(pct(run[k]) if k in run else "" for run in by_run) + " |" for k in steps]
    return lines


def section(measured: list[dict], dev_path: str, dev_total: int, command: str) -> str:
    shipped = measured[0]
    lines = [START, "", "## WikiTableQuestions: the 2017 model (spec §8.5)", "",
             f"Produced by `{command}` (do not edit by hand). Accuracy: "
             "the benchmark's rules (engine/wtq2017/dataset/evaluator.py: official normalisation, numbers and dates "
             "by value, "
             f"denotations as sets) on all {dev_total:,} questions of random-split-1-dev, hard execution; answers "
             "no program can print count wrong. **Dev is also the split that chose each checkpoint** (the best "
             "dev evaluation of its run is kept, as TF did), so our dev figures are selection figures; the test "
             "split is held back and scored independently. Each run's method is its checkpoint's own record (below).",
             "", "| method | dev % | test % |", "|---|---|---|"]
    lines += [f"| {name} | {dev} | {test} |" for name, dev, test in PAPER_ROWS]
    for m in measured:
        s = m["summary"]
        lines.append(f"| **Ours**, one model, preset `{s.get('preset')}` (d {s['model_config']['d']}, "
                     f"{s.get('steps_run'):,} steps, {s.get('seconds', 0) / 60:.0f} min on this 2-core CPU) "
                     f"| **{pct(m['dev']['accuracy'])}** | held back |")
    lines += ["", "Training (read from each checkpoint's summary). The runs listed trained at the same time, one "
              "thread each, on this 2-core machine while it also ran tests, so the steps reached in the time limit "
              "are fewer than on an idle machine:", ""]
    lines += [f"- {_training_line(m)}" for m in measured]
    lines += curves(measured)
    lines += ["", f"By answer type (`{shipped['name']}`; types from the converter, docs/wtq.md):", "",
              "| answer type | questions | right | accuracy % |", "|---|---|---|---|"]
    for kind, r in shipped["dev"]["by_answer_type"].items():
        lines.append(f"| {TYPE_NAMES.get(kind, kind)} | {r['total']:,} | {r['correct']:,} | {pct(r['accuracy'])} |")
    lines += ["", f"By the program's final operation (`{shipped['name']}`):", "",
              "| final operation | questions | accuracy % |", "|---|---|---|"]
    ops = shipped["dev"]["by_final_operation"].items()
    lines += [f"| {op} | {r['total']:,} | {pct(r['accuracy'])} |" for op, r in ops]
    lines += ["", f"The 10 most frequent program shapes (`{shipped['name']}`, reset steps left out):", "",
              "| program | questions | accuracy % |", "|---|---|---|"]
    shapes = list(shipped["dev"]["by_program_shape"].items())[:10]
    lines += [f"| {shape} | {r['total']:,} | {pct(r['accuracy'])} |" for shape, r in shapes]
    lines += ["", "Commands (D=../shared/data/wikitablequestions):", "", "```",
              "python -m engine wtq-convert --tsv $D/data/random-split-1-train.tsv --tables $D \\",
              "    --output runs/wtq/random-split-1-train.jsonl",
              "python -m engine wtq-convert --tsv $D/data/random-split-1-dev.tsv --tables $D \\",
              "    --output runs/wtq/random-split-1-dev.jsonl --purpose eval"]
    for m in measured:
        lines += [train_command(m)]
    lines += [f"cp runs/wtq/{shipped['name']} checkpoints/{SHIPPED.name}  # the best run by dev accuracy",
              command, "```", "", END]
    return "\n".join(lines)


def train_command(m: dict) -> str:
    """The command that trains a measured run again: its preset, its time limit and every model or training
    setting that differs from the preset's (read from the checkpoint's own record)."""
    from engine.wtq2017.presets import wtq_preset

    s = m["summary"]
    preset = wtq_preset(s.get("preset") or "wtq2017")
    model_base = ModelConfig(**{**preset.model, "vocab_size": s["model_config"]["vocab_size"]}).to_dict()
    train_base = TrainConfig(**preset.train).to_dict()
    model = {ModelConfig.RENAMED.get(k, k): v for k, v in s["model_config"].items()}  # older files' names
    train = {TrainConfig.RENAMED.get(k, k): v for k, v in s.get("train_config", {}).items()}
    options = [f"--model-option {k}={v}" for k, v in model.items() if model_base.get(k) != v]
    options += [f"--train-option {k}={v}" for k, v in train.items()
                if k not in ("max_minutes", "preset") and train_base.get(k) != v]
    return " ".join(["python -m engine train --data runs/wtq/random-split-1-train.jsonl --dev",
                     f"runs/wtq/random-split-1-dev.jsonl --preset {preset.name}",
                     f"--max-minutes {s['train_config'].get('max_minutes'):g}", *options,
                     f"--output runs/wtq/{m['name']}"])


def card(m: dict) -> str:
    s = m["summary"]
    model = ModelConfig.from_dict(s["model_config"])  # an older file's absent fields read as their defaults
    language = ("the paper's 15" if model.ops == "paper" else
                "the paper's 15 and the larger language's sum, average, distinct, diff and and")
    limits = ("answers are one count or the cells of one column; no sums, averages or differences (the 2017 "
              "language has none)" if model.ops == "paper" else
              "answers are one number (count, sum, average, distinct count, largest − smallest) or the cells of "
              "one column; no difference of two counts")
    search = s.get("search") or {}
    return "\n".join([
        CARD_START, "", f"## `{m['name']}`: plain English on real tables (the 2017 model; the app's model for "
        "English)", "",
        "The Neural Programmer of Neelakantan, Le, Abadi, McCallum and Amodei (ICLR 2017): "
        f"{len(model.op_names)} operations ({language}), "
        f"a question LSTM, trained by {s.get('method', 'a method not recorded')} on WikiTableQuestions "
        f"random-split-1-train ({s.get('train_examples', 0):,} trainable questions, CC BY-SA 4.0, Pasupat & Liang "
        "2015).", "",
        f"- Training: {_training_line(m)}."
        + (f" Program search before training: {search['seconds']:.0f} s, programs for "
           f"{search['questions_with_programs']:,} of {search['questions']:,} questions." if search.get("seconds")
           else ""),
        f"- Dev accuracy {pct(m['dev']['accuracy'])} % on all {m['dev']['total']:,} questions of random-split-1-dev "
        "(the benchmark's rules). Dev also chose the checkpoint: a selection figure. Paper, one model: "
        f"{percent_text(P17_SINGLE_MODEL.dev)} % dev.",
        "- Test: held back, not scored here.",
        "- Reads: any table (cells as text; numbers and dates are recognised) and an English question; the "
        f"vocabulary is the training questions' and column names' words seen at least "
        f"{s['model_config'].get('word_cutoff')} times ({s.get('vocab_size', 0):,} words); other words read as "
        "unknown, and a question word matching a cell is replaced by the match features.",
        f"- Limits: {limits}; no answers that are not in the table (9.3 % of dev).",
        "- Figures: `python benchmarks/wtq_results.py --dev runs/wtq/random-split-1-dev.jsonl` (docs/RESULTS.md); "
        "the confidence the app shows: `python benchmarks/wtq_decoding.py --dev runs/wtq/random-split-1-dev.jsonl`; "
        "`tests/wtq2017/test_shipped.py` re-checks the file on the fixture questions.", "", CARD_END])


def unreadable_count(dev: Path) -> int:
    """Dev questions the converter could not read (its report beside the file): counted as wrong."""
    report = report_path(dev)
    return json.loads(report.read_text()).get("dropped", {}).get("unreadable", 0) if report.is_file() else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True, help="converted dev split (wtq-convert --purpose eval)")
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    ap.add_argument("--also", type=Path, nargs="*", default=[], help="other checkpoints to list beside it")
    ap.add_argument("--print", action="store_true", help="print the section instead of writing files")
    args = ap.parse_args(argv)
    dev = read_jsonl(args.dev)
    unreadable = unreadable_count(Path(args.dev))
    measured = [measure(p, dev, unreadable) for p in [args.checkpoint, *args.also]]
    command = " ".join(["python benchmarks/wtq_results.py", "--dev", args.dev]
                       + (["--checkpoint", _shown(args.checkpoint)] if args.checkpoint != DEFAULT_CHECKPOINT else [])
                       + (["--also", *map(_shown, args.also)] if args.also else []))
    text = section(measured, args.dev, len(dev) + unreadable, command)
    if args.print:
        print(text)
        return 0
    card_text = card(measured[0])
    replace_section(ROOT / "docs" / "RESULTS.md", START, END, text)
    replace_section(ROOT / "checkpoints" / "README.md", CARD_START, CARD_END, card_text)
    main_m = measured[0]
    figures = {"checkpoint": main_m["name"], "bytes": main_m["bytes"], "dev_accuracy": main_m["dev"]["accuracy"],
               "dev_total": main_m["dev"]["total"], "fixture_accuracy": main_m["fixture"]["accuracy"],
               "fixture_denotations": main_m["fixture"]["denotations"],
               "others": {m["name"]: m["dev"]["accuracy"] for m in measured[1:]},
               # the two sections as written, which benchmarks/reproduce.py puts back when it rewrites both files
               "results_section": text, "card_section": card_text}
    write_atomic(ROOT / "docs" / "wtq_results.json", json.dumps(figures, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
