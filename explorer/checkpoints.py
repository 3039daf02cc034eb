"""Checkpoints: find them, read their metadata, pick the best one for a table, load (cached) and trace.

Shipped checkpoints live in checkpoints/, the ones trained in the app in runs/checkpoints/. Files of the 2017
model (real tables, plain English; engine/wtq2017/checkpoint.py) are not listed here: the 2016 loader refuses them,
and the app offers the real-tables model by itself (explorer/real_tables.py, explorer/components/wtq_context.py).
NPX_CHECKPOINT_DIRS (os.pathsep-separated) replaces the shipped directories and NPX_RUNS_DIR the
training output directory, so tests can point the app at tiny checkpoints of their own.
A loaded model is cached once per process (st.cache_resource) and never mutated: inference runs
under torch.no_grad in eval mode and fine-tuning copies it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from engine.families import WTQ2017, is_family
from engine.np2016.checkpoint import CheckpointError, load_checkpoint, read_checkpoint_info
from engine.np2016.data import tasks as data
from engine.np2016.presets import METHODS, training_method
from engine.np2016.trace import trace

ROOT = Path(__file__).resolve().parent.parent


def shipped_dirs() -> list[Path]:
    env = os.environ.get("NPX_CHECKPOINT_DIRS")
    return [Path(p) for p in env.split(os.pathsep) if p] if env else [ROOT / "checkpoints"]


def runs_dir() -> Path:
    return Path(os.environ.get("NPX_RUNS_DIR") or ROOT / "runs" / "checkpoints")


@dataclass(frozen=True)
class Entry:
    """One checkpoint file and what its metadata says."""

    id: str  # stable name used in the URL: the file stem, "trained/<stem>" for app-trained ones
    path: str
    mtime: float
    task: str
    accuracy: float | None
    trained: bool
    ops: tuple[str, ...]
    steps: int
    d: int
    error: str | None = None
    method: str | None = None  # a key of METHODS, from the run's recorded train_config; None: not recorded

    @property
    def label(self) -> str:
        if self.error:
            return f"{self.id} (unreadable)"
        acc = (
            f", test accuracy {self.accuracy:.0%}" if self.accuracy is not None and self.accuracy >= 0 else ""
        )
        how = f", {METHODS[self.method]}" if self.method else ""
        return f"{self.id} ({self.task}{how}{acc})"

    @property
    def plain_name(self) -> str:
        """What the checkpoint reads, in plain words: "Synthetic, 5 columns, real header names"."""
        if self.error:
            return f"{self.id} (cannot be read)"
        spec = self.spec
        if spec is None:
            return f"Task {self.task}"
        n, k = spec.max_columns, spec.text_columns
        if k:
            columns = f"{k} text + {n} number column{'s' * (n > 1)}"
        else:
            columns = f"{'up to ' * (n > 1 and not spec.fixed_columns)}{n} column{'s' * (n > 1)}"
        last = chr(ord("A") + n + k - 1)
        parts = ["Trained here" if self.trained else "Synthetic", columns,
                 "real header names" if spec.column_names == "words" else f"named A{'–' + last if last != 'A' else ''}"]
        if spec.word_variability:
            parts.append("everyday wording (total, how many…)")
        if self.gradient_descent_only:
            parts.append("gradient descent only")
        return ", ".join(parts)

    @property
    def gradient_descent_only(self) -> bool:
        """Trained as the 2016 paper trains (no program search): shown to see the difference, never auto-picked."""
        return self.method in ("paper", "soft")

    @property
    def spec(self):
        return data.TASKS.get(self.task)


@st.cache_data(max_entries=256, show_spinner=False)
def _read_entry(path: str, mtime: float, ckpt_id: str, trained: bool) -> Entry:
    """Metadata only: the checked safetensors header (no tensor read, no model built, nothing unpickled)."""
    try:
        info = read_checkpoint_info(path)
    except CheckpointError as e:  # any unreadable file is listed with the reason, never raised
        return Entry(ckpt_id, path, mtime, "unknown", None, trained, (), 0, 0, error=str(e))
    return Entry(ckpt_id, path, mtime, info["task"], info["accuracy"], trained, info["ops"], info["steps"],
                 info["d"], method=training_method(info["summary"]))


@st.cache_data(max_entries=256, show_spinner=False)
def _is_2017(path: str, mtime: float) -> bool:
    """A checkpoint of the 2017 model (header only); an unreadable file is listed (with its reason) as before."""
    return is_family(path, WTQ2017)


def list_checkpoints() -> list[Entry]:
    """Every .safetensors checkpoint of the 2016 model, shipped first (sorted by name), then trained ones
    (newest first). 2017 files are left out: they are the real-tables model, offered on its own."""
    entries, seen = [], set()
    groups = [(d, False) for d in shipped_dirs()] + [(runs_dir(), True)]
    for directory, trained in groups:
        if not directory.is_dir():
            continue
        files = sorted(directory.glob("*.safetensors"))
        if trained:
            files.sort(key=lambda p: -p.stat().st_mtime)
        for p in files:
            ckpt_id = f"trained/{p.stem}" if trained else p.stem
            if ckpt_id in seen or _is_2017(str(p), p.stat().st_mtime):
                continue
            seen.add(ckpt_id)
            entries.append(_read_entry(str(p), p.stat().st_mtime, ckpt_id, trained))
    return entries


def find(entries: list[Entry], ckpt_id: str | None) -> Entry | None:
    return next((e for e in entries if e.id == ckpt_id), None)


# ----------------------------------------------------------------------------- matching a table


def table_shape(columns: list[str], kinds: list[str]) -> tuple[int, int, bool]:
    """(text columns, numeric columns, named with single letters?)"""
    letters = all(len(c) == 1 and c.isalpha() for c in columns)
    n_text = sum(k == "text" for k in kinds)
    return n_text, len(kinds) - n_text, letters


def fit_problems(entry: Entry, columns: list[str], kinds: list[str]) -> list[str]:
    """Why this checkpoint may not suit the table (each with what to do); empty when it fits."""
    n_text, n_num, letters = table_shape(columns, kinds)
    out = []
    if n_text and "text_match" not in entry.ops:
        out.append(
            f"this model has no text_match operation, so it cannot filter on the text column(s) "
            f"{', '.join(c for c, k in zip(columns, kinds, strict=True) if k == 'text')}: pick a text-* "
            "checkpoint, or remove the text columns"
        )
    spec = entry.spec
    if spec is not None:
        if n_num > spec.max_columns:
            out.append(
                f"this model was trained on at most {spec.max_columns} numeric column(s) and the table "
                f"has {n_num}: pick a checkpoint trained on more columns, or remove some columns"
            )
        if spec.text_columns and n_text > spec.text_columns:
            out.append(
                f"this model was trained on at most {spec.text_columns} text column(s) and the table "
                f"has {n_text}: remove some text columns"
            )
        if spec.column_names == "letters" and not letters:
            out.append(
                "this model was trained on columns named A, B, C…; with other names it may pick the "
                "wrong column: pick names-5 for tables with real header names"
            )
    return out


def best_match(entries: list[Entry], columns: list[str], kinds: list[str]) -> Entry | None:
    """The checkpoint that suits the table best: it fits, its column naming matches, its size is closest.

    Checkpoints trained by gradient descent alone (the paper's method) are never picked: they are shipped to
    show where that method gets stuck, and a user picks them by name."""
    usable = [e for e in entries if not e.error and not e.gradient_descent_only]
    if not usable:
        return None
    n_text, n_num, letters = table_shape(columns, kinds)

    def score(e: Entry):
        spec = e.spec
        text_ok = not n_text or "text_match" in e.ops
        if spec is None:
            return (text_ok, False, False, -99, False, e.accuracy or 0)
        fits = (
            text_ok and n_num <= spec.max_columns and (not spec.text_columns or n_text <= spec.text_columns)
        )
        naming = (spec.column_names == "letters") == letters
        spare = (spec.max_columns - n_num) + abs(spec.text_columns - n_text)
        return (fits, naming, not e.trained, -abs(spare), not spec.word_variability, e.accuracy or 0)

    return max(usable, key=score)


# ----------------------------------------------------------------------------- loading and tracing


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _load(path: str, mtime: float):
    model, vocab, info = load_checkpoint(path)
    for p in model.parameters():
        p.requires_grad_(False)  # shared by every session: nothing may train it in place
    return model, vocab, info


def load(entry: Entry):
    """(model, vocab, info) for a checkpoint entry; raises CheckpointError with a clear message."""
    if entry.error:
        raise CheckpointError(f"{entry.id} cannot be read: {entry.error}")
    return _load(entry.path, entry.mtime)


@st.cache_data(max_entries=256, show_spinner=False)
def traced(path: str, mtime: float, table_json: str, question: str) -> dict:
    """engine.np2016.trace of a question on a table (given as JSON {"columns", "rows"}), cached per input."""
    model, vocab, _ = _load(path, mtime)
    table = json.loads(table_json)
    return trace(model, vocab, table["columns"], table["rows"], question)


def run_trace(entry: Entry, columns: list[str], rows: list[list], question: str) -> dict:
    load(entry)  # raises CheckpointError for unreadable files before the cached call
    return traced(entry.path, entry.mtime, json.dumps({"columns": columns, "rows": rows}), question)
