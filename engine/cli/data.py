"""The data commands: `generate` (synthetic examples of the 2016 paper's tasks, engine/np2016/data/) and
`wtq-convert` (WikiTableQuestions questions and tables to JSONL examples, engine/wtq2017/dataset/convert.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.common import CliError, bar


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
