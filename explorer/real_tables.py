"""The 2017 model (plain English on real tables) in the app: where its shipped checkpoint (NPX_WTQ_CHECKPOINT) and
the dataset (NPX_WTQ_DIR, read in place, never copied) are, a checkpoint's header, the cached model, its trace
(execution-guided, a beam of APP_BEAM) and its calibrated confidence. Every function taking `path` reads that
checkpoint, the shipped one when it is None; an ensemble file (engine/wtq2017/ensemble.py: several 2017 checkpoints
answering as one) works wherever a checkpoint does.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import streamlit as st

from engine.core.safetensors_reader import CheckpointError
from engine.wtq2017 import calibration, ensemble
from engine.wtq2017.checkpoint import SHIPPED, read_checkpoint_info
from engine.wtq2017.trace import ask_table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKPOINT = SHIPPED  # the shipped model for English (engine/wtq2017/checkpoint.py)
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "wikitablequestions"
REAL_NAME = "the real-tables model (2017 paper, trained on WikiTableQuestions)"  # in "answered by …"
MEMBER_SUMMARY = ("preset", "method", "dev_accuracy")  # what an ensemble's info keeps of each member's summary
APP_BEAM = 16  # programs the app considers per question (benchmarks/wtq_decoding.py: 34.1 % on dev, argmax 32.9 %)


def checkpoint_path() -> Path:
    """The shipped 2017 checkpoint."""
    return Path(os.environ.get("NPX_WTQ_CHECKPOINT") or DEFAULT_CHECKPOINT)


def data_dir() -> Path:
    return Path(os.environ.get("NPX_WTQ_DIR") or DEFAULT_DATA_DIR)


def available(path: str | Path | None = None) -> bool:
    """Whether a readable 2017 checkpoint is there (header checked, no weights read)."""
    if not Path(path or checkpoint_path()).is_file():
        return False
    try:
        info(path)
    except (CheckpointError, OSError):
        return False
    return True


@st.cache_data(max_entries=16, show_spinner=False)
def _header_info(path: str, mtime: float) -> dict:
    # checking a header builds the model's shapes on the meta device (about 11 ms), and one Ask rerun asks
    # several times (the registry, the picker's label, the figures' method note): read once per file version.
    # An ensemble file is keyed on its own time: its members are checked by sha256 when it is read, and a member
    # replaced later is refused when the model is loaded (engine/wtq2017/ensemble.py read_ensemble)
    return _ensemble_info(path) if ensemble.is_ensemble_file(path) else read_checkpoint_info(path)


def _ensemble_info(path: str) -> dict:
    """An ensemble file's info shaped like a checkpoint's, from its members' headers (no weights read): a summary
    saying what it is, with each member's preset, method and dev accuracy (their own summaries hold their whole
    training curves: not kept). CheckpointError when its members could not answer together."""
    members = [(p, read_checkpoint_info(p)) for p in ensemble.read_ensemble(path)]
    first = members[0][1]["config"]
    for n, (_, member) in enumerate(members[1:], start=2):
        differ = [k for k in ensemble.SHARED if member["config"].get(k) != first.get(k)]
        if differ:  # as Ensemble refuses them on loading, said before a session picks the file
            raise CheckpointError(f"member {n} of {path} reads questions differently from member 1 "
                                  f"({', '.join(differ)}): they cannot answer together")
    summaries = [{k: (m.get("summary") or {}).get(k) for k in MEMBER_SUMMARY} for _, m in members]
    return {"summary": {"method": f"ensemble of {len(members)} models: their per-step probabilities averaged",
                        "preset": "ensemble", "members": summaries, "dev_accuracy": None},
            "members": [{"path": str(p), "summary": s, "config": m["config"], "vocab_size": m["vocab_size"]}
                        for (p, m), s in zip(members, summaries, strict=True)],
            "config": first, "created": ""}


def info(path: str | Path | None = None) -> dict:
    """The checkpoint's config and training summary (CheckpointError/OSError when unreadable); an ensemble file's
    summary says it is one, with its members' in "members"."""
    path = Path(path or checkpoint_path())
    return _header_info(str(path), path.stat().st_mtime)


@st.cache_resource(max_entries=2, show_spinner="Loading the real-tables model…")
def _load(path: str, mtime: float):
    return ensemble.load_model(path)


def load(path: str | Path | None = None):
    """(model, vocabulary, info) of a 2017 checkpoint or ensemble file, cached per file version."""
    path = Path(path or checkpoint_path())
    return _load(str(path), path.stat().st_mtime)


def answer(columns: list[str], rows: list[list], question: str, path: str | Path | None = None) -> dict:
    """A 2017 model's trace (engine/wtq2017/trace.py) for any table and question, decoded with a beam of APP_BEAM
    (extra["candidates"]: the programs considered)."""
    model, vocab, _ = load(path)
    return ask_table(model, vocab, columns, rows, question, beam=APP_BEAM)


@st.cache_data(max_entries=8, show_spinner=False)
def _calibration(path: str, mtime: float, calibration_mtime: float) -> dict | None:
    """The calibration file beside the checkpoint, when it is sound, measured at APP_BEAM and made for exactly
    these weights (its SHA-256); None otherwise: an answer then has no known rate of being right."""
    try:
        data = calibration.read_calibration(calibration.path_for(Path(path)))
    except (ValueError, OSError):
        return None
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return data if data.get("checkpoint_sha256") == digest and data["beam"] == APP_BEAM else None


def confidence(trace: dict, path: str | Path | None = None) -> dict | None:
    """engine.wtq2017.calibration.confidence of the trace's answer, with the calibration's split and beam; None
    when the checkpoint has no calibration of its own."""
    path = Path(path or checkpoint_path())
    beside = calibration.path_for(path)
    data = _calibration(str(path), path.stat().st_mtime, beside.stat().st_mtime) if beside.is_file() else None
    if data is None:
        return None
    return {**calibration.confidence(data, trace["extra"]["probability"]), "split": data["split"],
            "beam": data["beam"]}
