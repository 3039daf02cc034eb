"""LSTM baselines for the Compare page, if the reproduction work has shipped them.

The baselines are expected as `engine.baselines.load_baseline(path)` returning an object with
`answer(columns, rows, question) -> float`, and checkpoints at checkpoints/baselines/*.safetensors
(NPX_BASELINE_DIR overrides the directory). Until both exist, `available()` says why not.
"""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)
READ_LIMITS = (
    "it cannot read this input: the baselines know one numeric column of 4-7 integer rows and "
    "the question words of the grammar (load the sample table for the baselines to try them)"
)


def baseline_dir() -> Path:
    return Path(os.environ.get("NPX_BASELINE_DIR") or ROOT / "checkpoints" / "baselines")


def _loader():
    try:
        module = importlib.import_module("engine.baselines")
        return module.load_baseline
    except (ImportError, AttributeError):
        return None


def available() -> tuple[list[Path], str | None]:
    """(baseline checkpoint files, None) or ([], the reason there are none)."""
    files = sorted(baseline_dir().glob("*.safetensors")) if baseline_dir().is_dir() else []
    if _loader() is None:
        return [], "the LSTM baselines are not part of this installation yet (no engine.baselines module)"
    if not files:
        where = baseline_dir()
        where = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
        return [], f"no baseline checkpoint was found in {where}/"
    return files, None


@st.cache_resource(max_entries=8, show_spinner="Loading the baseline…")
def _load(path: str, mtime: float):
    return _loader()(path)


def answer(
    path: Path, columns: list[str], rows: list[list], question: str
) -> tuple[float | None, str | None]:
    """(the baseline's answer, None) or (None, why it could not answer)."""
    try:
        model = _load(str(path), path.stat().st_mtime)
        value = model.answer(columns, rows, question)
    except Exception as e:  # noqa: BLE001 - a baseline that fails is reported, never raised
        log.exception("baseline %s failed", path)
        return None, f"{type(e).__name__}: {e}"
    if value is None:
        return None, READ_LIMITS
    return float(value), None
