"""The LSTM baselines on the Compare page: find their checkpoints (NPX_BASELINE_DIR), load them (cached, any
invalid file refused by engine.baselines.load_baseline), ask them; and the plain parts of the scale demo.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import streamlit as st

from engine.baselines import load_baseline
from engine.baselines import task as baseline_task
from engine.core.io.input_file import read_limited
from engine.np2016.checkpoint import CheckpointError
from explorer import tables

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
READ_LIMITS = ("it cannot read this input: the baselines know one numeric column of 4-7 integer rows and the "
               "question words of the grammar (load the sample table for the baselines to try them)")


def baseline_dir() -> Path:
    return Path(os.environ.get("NPX_BASELINE_DIR") or ROOT / "checkpoints" / "baselines")


def available() -> tuple[list[Path], str | None]:
    """(baseline checkpoint files, None) or ([], the reason there are none)."""
    where = baseline_dir()
    files = sorted(where.glob("*.safetensors")) if where.is_dir() else []
    shown = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    return (files, None) if files else ([], f"no baseline checkpoint was found in {shown}/")


@st.cache_resource(max_entries=8, show_spinner="Loading the baseline…")
def _load(path: str, mtime: float):
    return load_baseline(path)


@st.cache_data(max_entries=512, show_spinner=False)
def _asked(path: str, mtime: float, table_json: str, question: str) -> float | None:
    """The model's answer, cached per input: the scale demo asks every baseline 4 times on each rerun."""
    table = json.loads(table_json)
    return _load(path, mtime).answer(table["columns"], table["rows"], question)


def answer(path: Path, columns: list[str], rows: list[list], question: str) -> tuple[float | None, str | None]:
    """(the baseline's answer, None) or (None, why it could not answer)."""
    try:
        mtime = path.stat().st_mtime
        _load(str(path), mtime)
    except (CheckpointError, OSError) as e:
        return None, f"the baseline checkpoint {path.name} cannot be read: {e}"
    try:
        value = _asked(str(path), mtime, json.dumps({"columns": columns, "rows": rows}), question)
    except Exception as e:  # noqa: BLE001 - a baseline that fails is reported, never raised
        log.exception("baseline %s failed", path)
        return None, f"{type(e).__name__}: {e}"
    if value is None:
        return None, READ_LIMITS
    return float(value), None


# the scale demo (Compare page)
DEMO_SAMPLE = "baseline_small"  # one numeric column A of 6 small integers: what the baselines were trained on
DEMO_SCALES = (1, 10, 100, 1000)  # ×1000 keeps every cell and answer within the baselines' 6 digits
DEMO_QUESTIONS = ("sum A", "greater 0 A sum A", "greater 3 A count", "sum A diff count")
MEASURED = ROOT / "docs" / "baselines.json"  # written by benchmarks/baselines.py
MEASURED_MAX_BYTES = 1_000_000  # ours is about 2 KB; a larger file (or a FIFO, a device) is not ours
_INTEGER = re.compile(r"-?\d+")


def demo_table(seed: int | None) -> tuple[list[str], list[list]]:
    """(columns, rows) of the demo: the sample table (seed None) or a random one of the baselines' own task,
    4-7 integers in [-10, 10] drawn by engine.baselines.task with this seed."""
    if seed is None:
        return tables.to_engine(tables.load_sample(DEMO_SAMPLE))
    example = baseline_task.generate(1, seed=seed)[0]
    return list(example["columns"]), [[float(r[0])] for r in example["rows"]]


def scale_rows(rows: list[list], factor: int) -> list[list]:
    """Every numeric cell times `factor` (integers stay integers)."""
    return [[c * factor if isinstance(c, (int, float)) and not isinstance(c, bool) else c for c in r] for r in rows]


def scale_question(question: str, factor: int) -> str:
    """Every integer of the question times `factor`, so a comparison keeps its meaning on the scaled table:
    "greater 3 A count" ×10 is "greater 30 A count" (and its answer does not change)."""
    return " ".join(str(int(w) * factor) if _INTEGER.fullmatch(w) else w for w in question.split())


def code_span(text: str) -> str:
    """Text for inside a markdown code span, where backslash escapes show as backslashes: one line, no backtick
    (a backtick would end the span), so nothing in it can become markup."""
    return " ".join(str(text).replace("`", "'").split())


def measured_accuracy(path: Path = MEASURED) -> dict | None:
    """What benchmarks/baselines.py measured, from its JSON: {"command", "date", "test_size", "metric",
    "rows": [(model, accuracy in [-10, 10], accuracy in [-50, 50])]}; None when the file is missing or odd."""
    try:
        data = json.loads(read_limited(path, MEASURED_MAX_BYTES))
        rows = [(str(r["model"]), float(r["acc_range_10"]), float(r["acc_range_50"]))
                for r in data["results"] if r.get("acc_range_10") is not None]
        task = data.get("task", {})
        return {"command": str(data["command"]), "date": str(data.get("date", "")),
                "test_size": int(task.get("test_size", 0)), "metric": str(task.get("metric", "")), "rows": rows}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
