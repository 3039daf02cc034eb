"""The LSTM baselines on the Compare page: find their checkpoints, load them (cached), ask them.

Checkpoints live in checkpoints/baselines/*.safetensors (NPX_BASELINE_DIR overrides the directory) and
are read by engine.baselines.load_baseline, which refuses any invalid file with a CheckpointError.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from engine.baselines import load_baseline
from engine.checkpoint import CheckpointError

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
READ_LIMITS = (
    "it cannot read this input: the baselines know one numeric column of 4-7 integer rows and "
    "the question words of the grammar (load the sample table for the baselines to try them)"
)


def baseline_dir() -> Path:
    return Path(os.environ.get("NPX_BASELINE_DIR") or ROOT / "checkpoints" / "baselines")


def available() -> tuple[list[Path], str | None]:
    """(baseline checkpoint files, None) or ([], the reason there are none)."""
    files = sorted(baseline_dir().glob("*.safetensors")) if baseline_dir().is_dir() else []
    if not files:
        where = baseline_dir()
        where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
        return [], f"no baseline checkpoint was found in {where}/"
    return files, None


@st.cache_resource(max_entries=8, show_spinner="Loading the baseline…")
def _load(path: str, mtime: float):
    return load_baseline(path)


def answer(
    path: Path, columns: list[str], rows: list[list], question: str
) -> tuple[float | None, str | None]:
    """(the baseline's answer, None) or (None, why it could not answer)."""
    try:
        model = _load(str(path), path.stat().st_mtime)
    except (CheckpointError, OSError) as e:
        return None, f"the baseline checkpoint {path.name} cannot be read: {e}"
    try:
        value = model.answer(columns, rows, question)
    except Exception as e:  # noqa: BLE001 - a baseline that fails is reported, never raised
        log.exception("baseline %s failed", path)
        return None, f"{type(e).__name__}: {e}"
    if value is None:
        return None, READ_LIMITS
    return float(value), None
