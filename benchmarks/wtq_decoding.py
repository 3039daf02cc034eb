"""docs/RESULTS.md's section on decoding the 2017 model: dev accuracy with execution-guided beam decoding by beam
width, and the calibration of its answers' confidence, which it writes beside the checkpoint for the app.

    D=../shared/data/wikitablequestions
    python -m engine wtq-convert --tsv $D/data/random-split-1-dev.tsv --tables $D \\
        --output runs/wtq/random-split-1-dev.jsonl --purpose eval
    python benchmarks/wtq_decoding.py --dev runs/wtq/random-split-1-dev.jsonl \\
        [--checkpoint checkpoints/wtq2017.safetensors] [--widths 0 1 4 16 64] [--beam 16] [--print]

Width 0 is the paper's decoding (the per-step argmax program). Every dev question counts, the converter's
unreadable ones as wrong, by the benchmark's rules (engine/wtq2017/dataset/evaluator.py). The calibration
(engine/wtq2017/calibration.py) is measured at --beam: per band of the chosen program's probability, how many dev
answers fell in it and how many were right. Dev chose the checkpoint, so every figure here is a selection figure.
Writes the section between its markers in docs/RESULTS.md and checkpoints/<stem>.calibration.json (the bands, the
checkpoint's SHA-256 and the section's text, which benchmarks/reproduce.py keeps when it rewrites RESULTS.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from benchmarks.sections import replace_section  # noqa: E402
from benchmarks.wtq_results import _shown, pct, unreadable_count  # noqa: E402
from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.io.examples import read_jsonl  # noqa: E402
from engine.wtq2017.calibration import GUESS_BELOW, calibrate, path_for  # noqa: E402
from engine.wtq2017.checkpoint import SHIPPED  # noqa: E402
from engine.wtq2017.dataset.evaluator import denotation_match  # noqa: E402
from engine.wtq2017.ensemble import load_model  # noqa: E402
from engine.wtq2017.language import MISSING, cannot_say  # noqa: E402
from engine.wtq2017.predict import answer_all, denotation, score  # noqa: E402

START, END = "<!-- wtq decoding: written by benchmarks/wtq_decoding.py -->", "<!-- /wtq decoding -->"
DEFAULT_CHECKPOINT = SHIPPED


def by_width(model, vocab, dev: list[dict], widths: list[int], unreadable: int) -> list[dict]:
    rows = []
    for width in widths:
        started = time.perf_counter()
        answers = answer_all(model, vocab, dev, beam=width)
        seconds = time.perf_counter() - started
        result = score(dev, answers, unreadable)
        empty = sum(not denotation(ex, a) for ex, a in zip(dev, answers, strict=True))
        zero = sum(a["kind"] == "scalar" and a["value"] == 0 for a in answers)
        rows.append({"width": width, "accuracy": result["accuracy"], "correct": result["correct"],
                     "total": result["total"], "empty": empty, "zero_counts": zero, "seconds": seconds,
                     "answers": answers})
    return rows


def section(name: str, rows: list[dict], bands: list[dict], beam: int, dev_path: str, command: str,
            unsayable: dict[str, tuple[int, int]]) -> str:
    lines = [START, "## WikiTableQuestions: decoding and confidence (the 2017 model)", "",
             f"Produced by `{command}`. Checkpoint `{name}`, dev split `{dev_path}` ({rows[0]['total']:,} questions, "
             "the benchmark's rules). Width 0 is the paper's decoding: the per-step argmax program. A beam of K "
             "keeps the K most probable programs (exact: the model's history reads the soft selections, so a "
             "program's probability is a product over its steps), executes each, and answers with the most "
             "probable one whose answer is not empty, not a zero count and not only blank cells (execution-guided "
             "decoding, engine/wtq2017/decode.py). No retraining. **Dev chose this checkpoint, so these are "
             "selection figures.**", "",
             "| beam width | dev accuracy % | right | empty answers | zero counts | seconds (1 thread) |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['width'] or '0 (argmax)'} | {pct(r['accuracy'])} | {r['correct']:,} | {r['empty']:,} | "
              f"{r['zero_counts']:,} | {r['seconds']:.0f} |" for r in rows]
    lines += ["", f"Calibration at beam {beam}: dev answers grouped by the probability of the program that gave them "
              f"(engine/wtq2017/calibration.py). The app shows the share beside each answer of the real-tables model, "
              f"and heads the answer as a guess when its band was right less than {GUESS_BELOW:.0%} of the time.", "",
              "| probability of the program | dev answers | right % | the app says |", "|---|---|---|---|"]
    for b in bands:
        share = b["right"] / b["total"] if b["total"] else None
        said = "no dev answer" if share is None else ("a guess" if share < GUESS_BELOW else "an answer")
        lines.append(f"| {b['lo']:g} – {b['hi']:g} | {b['total']:,} | {'–' if share is None else pct(share)} | "
                     f"{said} |")
    lines += ["", f"Questions that ask for what the paper's 15 operations cannot say (engine/wtq2017/language.py reads "
              f"the question's words; for a model without the operation, the app and `ask` warn that the answer is "
              f"right only if the table holds the value; the larger language has sum, average and diff), at beam "
              f"{beam}:", "", "| the question asks for | dev questions | right % |", "|---|---|---|"]
    lines += [f"| {name} | {n:,} | {pct(right / n) if n else '–'} |" for name, (n, right) in unsayable.items()]
    return "\n".join(lines + ["", END]) + "\n"


def by_unsayable(dev: list[dict], answers: list[dict]) -> dict[str, tuple[int, int]]:
    """(questions, right answers) per operation the language lacks, and for the questions asking for none."""
    counts = {f"{asked} (the paper's has no {op})": [0, 0] for asked, op, _ in MISSING} | {"none of these": [0, 0]}
    for ex, answer in zip(dev, answers, strict=True):
        if "target" not in ex:
            continue
        right = denotation_match(denotation(ex, answer), list(ex["target"]))
        found = cannot_say(ex["question"])
        for key in [f"{f['asked']} (the paper's has no {f['operation']})" for f in found] or ["none of these"]:
            counts[key][0] += 1
            counts[key][1] += int(right)
    return {k: (n, r) for k, (n, r) in counts.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True, help="converted dev split (wtq-convert --purpose eval)")
    ap.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    ap.add_argument("--widths", type=int, nargs="+", default=[0, 1, 4, 16, 64])
    ap.add_argument("--beam", type=int, default=16, help="the width the app decodes with, calibrated here")
    ap.add_argument("--print", action="store_true", help="print the section instead of writing files")
    ap.add_argument("--calibration-only", action="store_true",
                    help="write the calibration beside the checkpoint (another than the shipped one, e.g. an "
                    "ensemble the app can answer with) and leave docs/RESULTS.md as it is")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    dev = read_jsonl(args.dev)
    model, vocab, _ = load_model(args.checkpoint)
    widths = sorted(set(args.widths) | {args.beam})
    unreadable = unreadable_count(Path(args.dev))
    rows = by_width(model, vocab, dev, widths, unreadable)
    at_beam = next(r for r in rows if r["width"] == args.beam)["answers"]
    scored = [(a["probability"], denotation_match(denotation(ex, a), list(ex["target"])))
              for ex, a in zip(dev, at_beam, strict=True) if "target" in ex]
    bands = calibrate([p for p, _ in scored], [ok for _, ok in scored])
    command = " ".join(["python benchmarks/wtq_decoding.py", "--dev", args.dev]
                       + (["--checkpoint", _shown(args.checkpoint)] if args.checkpoint != DEFAULT_CHECKPOINT else [])
                       + ["--widths", *map(str, args.widths), "--beam", str(args.beam)])
    text = section(args.checkpoint.name, rows, bands, args.beam, args.dev, command, by_unsayable(dev, at_beam))
    print(text)
    if args.print:
        return 0
    digest = hashlib.sha256(args.checkpoint.read_bytes()).hexdigest()
    calibration = {"checkpoint": args.checkpoint.name, "checkpoint_sha256": digest, "beam": args.beam,
                   "split": Path(args.dev).name, "unreadable": unreadable, "command": command, "bands": bands,
                   "by_width": [{k: v for k, v in r.items() if k != "answers"} for r in rows],
                   "results_section": text}
    write_atomic(path_for(args.checkpoint), json.dumps(calibration, indent=1) + "\n")
    if not args.calibration_only:
        replace_section(ROOT / "docs" / "RESULTS.md", START, END, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
