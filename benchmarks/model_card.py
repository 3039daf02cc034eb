"""The model card's "How each checkpoint was trained" section, read from the checkpoints' own metadata.

    python benchmarks/model_card.py            # rewrite the section in checkpoints/README.md
    python benchmarks/model_card.py --print    # print it only

One row per shipped checkpoint: the preset its run started from (summary.train_config.preset; runs from
before presets existed record none and are listed as such), the method in the app's words
(explorer.checkpoints.METHODS) and the switches that make the difference. The section sits between two
marker lines, so the rest of the card (written by benchmarks/reproduce.py) is left as it is; a card
without the markers gets the section appended.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.io.atomic import write_atomic  # noqa: E402
from engine.families import WTQ2017, family_id  # noqa: E402
from engine.np2016.checkpoint import CheckpointError, read_checkpoint_info  # noqa: E402
from engine.np2016.presets import METHODS, training_method  # noqa: E402

BEGIN = "<!-- how each checkpoint was trained: written by python benchmarks/model_card.py -->"
END = "<!-- end of how each checkpoint was trained -->"


def _switch(value) -> str:
    return "–" if value is None else ("on" if value else "off")


def _percent(value) -> str:
    return f"{100 * value:.2f}" if isinstance(value, (int, float)) and value >= 0 else "–"


def row(path: Path) -> str:
    """One checkpoint's line of the table."""
    try:
        info = read_checkpoint_info(path)
    except CheckpointError as e:
        return f"| `{path.name}` | unreadable: {e} | | | | | | |"
    summary = info["summary"]
    train = summary.get("train_config") or {}
    model = summary.get("model_config") or {}
    preset = train.get("preset") or "none recorded (trained before presets)"
    method = METHODS.get(training_method(summary), "not recorded")
    search = train.get("search_samples")
    search_text = "–" if search is None else (
        "off" if search == 0 else f"{search} samples, memory {train.get('search_memory', 0)}")
    return (f"| `{path.name}` | {info['task']} | {preset} | {method} | {_switch(train.get('soft_loss', True))} | "
            f"{search_text} | {_switch(model.get('name_match'))} | {_percent(summary.get('valid_accuracy'))} | "
            f"{_percent(info['accuracy'])} |")


def _is_2017(path: Path) -> bool:
    return family_id(path) == WTQ2017  # an unreadable file is listed as such by row()


def section(directory: Path) -> str:
    """The marked section for every .safetensors file directly in `directory`, by name."""
    lines = [BEGIN, "", "## How each checkpoint was trained", "",
             "Read from each file's metadata (its run's `train_config` and summary). *Ours* is the paper's "
             "soft execution and loss plus program search with a memory and a column-name match (preset "
             "`default`); *the paper's method* is gradient descent through soft execution alone (preset "
             "`paper2016`). Validation: the best accuracy on fresh tables from the training distribution "
             "(the model kept); test: the test split, scored once after training.", "",
             "| file | task | preset | method | soft-execution loss | program search | name match | "
             "validation % | test % |",
             "|---|---|---|---|---|---|---|---|---|"]
    # the 2017 model's file has its own part of the card (benchmarks/wtq_results.py)
    lines += [row(p) for p in sorted(directory.glob("*.safetensors")) if not _is_2017(p)]
    return "\n".join(lines + ["", END])


def with_section(card: str, text: str) -> str:
    """`card` with its marked section replaced by `text` (appended when it has none)."""
    if BEGIN in card and END in card:
        head, rest = card.split(BEGIN, 1)
        return head + text + rest.split(END, 1)[1]
    return card.rstrip("\n") + "\n\n" + text + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"), help="the directory of the checkpoints")
    ap.add_argument("--print", action="store_true", help="print the section instead of writing the card")
    args = ap.parse_args()
    directory = Path(args.checkpoints)
    text = section(directory)
    if args.print:
        print(text)
        return
    card = directory / "README.md"
    write_atomic(card, with_section(card.read_text() if card.is_file() else "# Shipped checkpoints\n", text))
    print(f"wrote {card}")


if __name__ == "__main__":
    main()
