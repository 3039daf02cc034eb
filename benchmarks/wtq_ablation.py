"""docs/RESULTS.md's ablation of the 2017 model on dev (issue 21): the paper's recipe as shipped, then each lever
this project added, alone and together, each row a checkpoint (or an ensemble file) named on the command line.

    python benchmarks/wtq_ablation.py --dev runs/wtq/random-split-1-dev.jsonl \\
        --run "the paper's recipe=checkpoints/wtq2017.safetensors" --run "search=runs/wtq21/search.safetensors" ...

A PATH may end with @SWITCH=VALUE,... (the matching switches cell_text and dates): the checkpoint then answers
with its questions matched that way, though it was trained without (a switch measured with no retraining).

For every row: dev accuracy with the paper's decoding (the per-step argmax program) and with execution-guided
decoding (a beam of --beam); from the run's own record, the best dev evaluation (the figure that chose the
checkpoint) and the mean of its last five evaluations (what the run was doing when it stopped, less flattered by
the choice), steps and minutes. Every dev question counts, the converter's unreadable ones as wrong. Dev chose every
checkpoint: these are selection figures. Writes the section between its markers in docs/RESULTS.md and
docs/wtq_ablation.json (the figures and the section's text, which benchmarks/reproduce.py keeps).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sections import replace_section  # noqa: E402
from benchmarks.wtq_results import _shown, pct, unreadable_count  # noqa: E402
from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.core.io.examples import read_jsonl  # noqa: E402
from engine.wtq2017.ensemble import load_model  # noqa: E402
from engine.wtq2017.predict import answer_all, score  # noqa: E402

START, END = "<!-- wtq ablation: written by benchmarks/wtq_ablation.py -->", "<!-- /wtq ablation -->"
LAST = 5  # evaluations averaged for "mean of the last five"


def run_record(summary: dict) -> dict:
    """Best dev evaluation, mean of the last LAST, steps, minutes and the settings that differ from the paper's."""
    evals = [e["dev_accuracy"] for e in summary.get("evals", [])]
    model, train = summary.get("model_config", {}), summary.get("train_config", {})
    search = summary.get("search") or {}
    levers = [f"search × {train['search_weight']:g}" + (f" ({search['seconds']:.0f} s before training)"
                                                         if search.get("seconds") else "")
              for _ in [0] if train.get("search_weight")]
    levers += ["the larger language (sum, average, distinct, diff, and)" for _ in [0]
               if model.get("ops", "paper") != "paper"]
    levers += [f"match count: {model['match_count']}" for _ in [0] if model.get("match_count", "exact") != "exact"]
    levers += [f"column name: {model['column_name']}" for _ in [0] if model.get("column_name", "first") != "first"]
    levers += [f"cell text: {model['cell_text']}" for _ in [0] if model.get("cell_text", "as_is") != "as_is"]
    levers += [f"dates by {model['dates']}" for _ in [0] if model.get("dates", "text") != "text"]
    return {"best": max(evals) if evals else None, "last": sum(evals[-LAST:]) / len(evals[-LAST:]) if evals else None,
            "steps": summary.get("steps_run"), "minutes": summary.get("seconds", 0) / 60, "d": model.get("d"),
            "levers": levers or ["none (the 2017 paper's recipe)"], "seed": train.get("seed")}


MATCHING = ("cell_text", "dates")  # the switches a trained model can answer with (ModelConfig.preprocessing)


def measure(label: str, path: Path, dev: list[dict], unreadable: int, beam: int, answered_with: dict) -> dict:
    model, vocab, info = load_model(path)
    model.config = dataclasses.replace(model.config, **answered_with)  # ModelConfig checks the values
    members = info.get("members") or [info]
    argmax = score(dev, answer_all(model, vocab, dev), unreadable)["accuracy"]
    guided = score(dev, answer_all(model, vocab, dev, beam=beam), unreadable)["accuracy"]
    records = [run_record(m["summary"]) for m in members]
    for record in records:
        record["levers"] += [f"answered with {k} {v} (not trained with it)" for k, v in answered_with.items()]
    return {"label": label, "file": _shown(path), "argmax": argmax, "beam": guided, "answered_with": answered_with,
            "members": records}


def _switches(answered_with: dict) -> str:
    return "@" + ",".join(f"{k}={v}" for k, v in answered_with.items()) if answered_with else ""


def _cell(x: float | None) -> str:
    return "–" if x is None else pct(x)


def section(rows: list[dict], beam: int, dev_total: int, command: str) -> str:
    lines = [START, "## WikiTableQuestions: what each lever adds (the 2017 model, dev)", "",
             f"Produced by `{command}`. All {dev_total:,} questions of random-split-1-dev, the benchmark's rules. "
             f"*argmax*: the paper's decoding; *beam {beam}*: execution-guided decoding (no retraining). *Best eval* "
             "is the dev evaluation that chose the checkpoint (a selection figure), *last five* the mean of the run's "
             "last five dev evaluations; an ensemble lists its members'. *Minutes* are training time on this 2-core "
             "CPU, one thread per run, two runs at a time; the runs did not train equally long (each row says how "
             "long), and a program search before training is not in them. One seed per row: differences of a point "
             "or two are within what another seed could change.", "",
             f"| run | levers | d | steps | minutes | best eval % | last five % | argmax % | beam {beam} % |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ms = r["members"]

        def each(text_of, ms=ms) -> str:  # an ensemble's members side by side
            return " / ".join(text_of(m) for m in ms)

        lines.append(f"| {r['label']} (`{r['file']}`) | {each(lambda m: ', '.join(m['levers']))} | "
                     f"{each(lambda m: str(m['d']))} | {each(lambda m: format(m['steps'] or 0, ','))} | "
                     f"{each(lambda m: format(m['minutes'], '.0f'))} | {each(lambda m: _cell(m['best']))} | "
                     f"{each(lambda m: _cell(m['last']))} | **{pct(r['argmax'])}** | **{pct(r['beam'])}** |")
    lines += ["", "Commands: each run's is in its checkpoint's summary and in the WikiTableQuestions section above; "
              f"this table: `{command}`.", "", END]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True, help="converted dev split (wtq-convert --purpose eval)")
    ap.add_argument("--run", action="append", required=True, metavar="LABEL=PATH",
                    help="a row: its label and a 2017 checkpoint or ensemble file")
    ap.add_argument("--beam", type=int, default=16)
    ap.add_argument("--print", action="store_true", help="print the section instead of writing files")
    args = ap.parse_args(argv)
    runs = []
    for item in args.run:
        label, sep, path = item.partition("=")
        if not sep or not label.strip() or not path.strip():
            ap.error(f"--run {item!r}: give LABEL=PATH")
        path, _, switches = path.strip().partition("@")
        answered_with = dict(kv.split("=", 1) for kv in switches.split(",") if "=" in kv)
        if switches and (not answered_with or set(answered_with) - set(MATCHING)):
            ap.error(f"--run {item!r}: after @ give SWITCH=VALUE pairs of {', '.join(MATCHING)}")
        runs.append((label.strip(), Path(path), answered_with))
    dev = read_jsonl(args.dev)
    unreadable = unreadable_count(Path(args.dev))
    rows = []
    for label, path, answered_with in runs:
        try:
            rows.append(measure(label, path, dev, unreadable, args.beam, answered_with))
        except ValueError as e:
            ap.error(f"--run {label!r}: {e}")
        print(f"{label}: argmax {pct(rows[-1]['argmax'])} %, beam {pct(rows[-1]['beam'])} %", file=sys.stderr)
    command = " ".join(["python benchmarks/wtq_ablation.py", "--dev", args.dev]
                       + [f'--run "{label}={_shown(path)}{_switches(answered_with)}"'
                          for label, path, answered_with in runs]
                       + ([f"--beam {args.beam}"] if args.beam != 16 else []))
    text = section(rows, args.beam, len(dev) + unreadable, command)
    if args.print:
        print(text)
        return 0
    replace_section(ROOT / "docs" / "RESULTS.md", START, END, text)
    write_atomic(ROOT / "docs" / "wtq_ablation.json",
                 json.dumps({"rows": rows, "beam": args.beam, "results_section": text}, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
