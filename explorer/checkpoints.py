"""Checkpoints: the one registry of the checkpoints the app answers with, of both families (engine/families.py),
their metadata, the best one for a table, loading (cached, never mutated: fine-tuning copies) and tracing.

Shipped ones live in checkpoints/ (NPX_CHECKPOINT_DIRS), the shipped 2017 one is listed as REAL_ID when readable
(explorer/real_tables.py), any other 2017 file there (a checkpoint, or an ensemble file: engine/wtq2017/ensemble.py)
by its stem; trained ones, "trained/<stem>", in runs/checkpoints/ (NPX_RUNS_DIR) and runs/wtq/.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from engine.families import NP2016, WTQ2017, family_id
from engine.np2016.checkpoint import CheckpointError, load_checkpoint, read_checkpoint_info
from engine.np2016.data import tasks as data
from engine.np2016.presets import METHODS, training_method
from engine.np2016.trace import trace
from engine.wtq2017.ensemble import is_ensemble_file
from explorer import real_tables

ROOT = Path(__file__).resolve().parent.parent
REAL_ID = "real-tables-2017"  # the shipped 2017 checkpoint's id: the picker's and a link's ckpt= (shared links)
REAL_NAME = "Real tables, plain English (2017 paper, WikiTableQuestions)"  # what a 2017 checkpoint reads


def shipped_dirs() -> list[Path]:
    env = os.environ.get("NPX_CHECKPOINT_DIRS")
    return [Path(p) for p in env.split(os.pathsep) if p] if env else [ROOT / "checkpoints"]


def runs_dir() -> Path:
    return Path(os.environ.get("NPX_RUNS_DIR") or ROOT / "runs" / "checkpoints")


def wtq_runs_dir() -> Path:
    """runs/wtq/ beside the runs directory (`python -m engine train … --output runs/wtq/<preset>`, README)."""
    return Path(os.environ.get("NPX_WTQ_RUNS_DIR") or runs_dir().parent / "wtq")


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
    T: int  # steps per program
    d: int
    error: str | None = None
    method: str | None = None  # a key of METHODS, from the run's recorded train_config; None: not recorded
    family: str = NP2016  # the engine.families id of the model that reads it
    how: tuple[str, ...] = ()  # a 2017 checkpoint: how it was trained ("<method>", "preset <name>"), recorded

    @property
    def label(self) -> str:
        if self.family == WTQ2017:
            return self._real_label()
        if self.error:
            return f"{self.id} (unreadable)"
        acc = f", test accuracy {self.accuracy:.0%}" if self.accuracy is not None and self.accuracy >= 0 else ""
        how = f", {METHODS[self.method]}" if self.method else ""
        return f"{self.id} ({self.task}{how}{acc})"

    @property
    def plain_name(self) -> str:
        """What the checkpoint reads, in plain words: "Synthetic, 5 columns, real header names"."""
        if self.family == WTQ2017:
            return f"Trained here: {REAL_NAME[0].lower()}{REAL_NAME[1:]}" if self.trained else REAL_NAME
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

    def _real_label(self) -> str:
        """A 2017 checkpoint: what it reads, its file, how it was trained and its dev accuracy."""
        if self.error:
            return f"{self.plain_name} (cannot be read: {self.error})"
        how = list(self.how)
        if self.accuracy is not None:
            how.append(f"{self.accuracy:.1%} right on the WikiTableQuestions dev set (the set that chose it; no "
                       "test accuracy)")
        name = self.id if self.trained else Path(self.path).stem
        return f"{self.plain_name}  ·  {name}" + (", " + ", ".join(how) if how else "")

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
    return Entry(ckpt_id, path, mtime, info["task"], info["accuracy"], trained, info["ops"], info["T"],
                 info["d"], method=training_method(info["summary"]))


@st.cache_data(max_entries=256, show_spinner=False)
def _read_real_entry(path: str, mtime: float, ckpt_id: str, trained: bool) -> Entry:
    """A 2017 checkpoint's entry from its checked header (real_tables.info: no weights read)."""
    try:
        summary = real_tables.info(path).get("summary") or {}
    except (CheckpointError, OSError) as e:
        return Entry(ckpt_id, path, mtime, "unknown", None, trained, (), 0, 0, error=str(e), family=WTQ2017)
    how = tuple(str(summary[k]) if k == "method" else f"preset {summary[k]}" for k in ("method", "preset")
                if summary.get(k))
    acc = summary.get("dev_accuracy")
    return Entry(ckpt_id, path, mtime, "wikitablequestions", acc if isinstance(acc, int | float) else None, trained,
                 (), 0, 0, family=WTQ2017, how=how)


@st.cache_data(max_entries=256, show_spinner=False)
def _family(path: str, mtime: float) -> str:
    """The file's family from its header; an unreadable file is a 2016 one, listed with the reason as before."""
    return family_id(path)


def all_checkpoints() -> list[Entry]:
    """The registry: shipped 2016 checkpoints (by name), the shipped 2017 one (REAL_ID, when readable), the other
    shipped 2017 files (by name), trained ones of either family (newest first); cached on the files' names and times."""
    # of the .json files only ensemble files (not calibrations, not anything else): a 4 KB look at each
    shipped = [p for d in shipped_dirs() if d.is_dir()
               for p in sorted([*d.glob("*.safetensors"), *filter(is_ensemble_file, d.glob("*.json"))])]
    real = real_tables.checkpoint_path()
    trained = [p for d in (runs_dir(), wtq_runs_dir()) if d.is_dir() for p in d.glob("*.safetensors")]
    trained.sort(key=lambda p: (-p.stat().st_mtime, p.name))
    return _registry(tuple((str(p), p.stat().st_mtime) for p in shipped),
                     (str(real), real.stat().st_mtime) if real.is_file() else None,
                     tuple((str(p), p.stat().st_mtime) for p in trained))


@st.cache_data(max_entries=16, show_spinner=False)
def _registry(shipped: tuple, real: tuple | None, trained: tuple) -> list[Entry]:
    """all_checkpoints from the (path, mtime) of the shipped files, the shipped 2017 one and the trained ones."""
    entries, seen, others = [], {REAL_ID}, []  # REAL_ID names the shipped 2017 one only, whatever files are here
    for path, mtime in shipped:
        stem = Path(path).stem
        if stem in seen:  # the first directory's file of a name wins, as its id says which
            continue
        if _family(path, mtime) == NP2016:
            seen.add(stem)
            entries.append(_read_entry(path, mtime, stem, False))
        elif real is None or not _same_file(path, real[0]):  # `real` is listed once, as REAL_ID
            seen.add(stem)
            others.append((path, mtime, stem))
    if real is not None:
        entry = _read_real_entry(*real, REAL_ID, False)
        if entry.error is None:  # an unreadable shipped model is not offered (links to it say it is not here)
            entries.append(entry)
    # the other shipped 2017 files after it, an unreadable one with its reason (an ensemble whose member is gone)
    entries += [_read_real_entry(path, mtime, stem, False) for path, mtime, stem in others]
    for path, mtime in trained:
        ckpt_id = f"trained/{Path(path).stem}"
        if ckpt_id not in seen and (real is None or not _same_file(path, real[0])):
            seen.add(ckpt_id)
            read = _read_real_entry if _family(path, mtime) == WTQ2017 else _read_entry
            entries.append(read(path, mtime, ckpt_id, True))
    return entries


def _same_file(path: str, other: str) -> bool:
    return Path(path).resolve() == Path(other).resolve()


def list_checkpoints(family: str | None = NP2016) -> list[Entry]:
    """The registry's checkpoints of one family (all of them for None): by default the 2016 ones, which every
    page but Ask and Step through (explorer/components/context.py) trains, compares and evaluates."""
    return [e for e in all_checkpoints() if family is None or e.family == family]


def answering_real(entries: list[Entry], ckpt_id: str | None) -> Entry | None:
    """The 2017 checkpoint that answers when the session picked `ckpt_id`: that one, else the shipped one."""
    real = [e for e in entries if e.family == WTQ2017]
    return find(real, ckpt_id) or find(real, REAL_ID)


def find(entries: list[Entry], ckpt_id: str | None) -> Entry | None:
    return next((e for e in entries if e.id == ckpt_id), None)


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
        out.append(f"this model has no text_match operation, so it cannot filter on the text column(s) "
                   f"{', '.join(c for c, k in zip(columns, kinds, strict=True) if k == 'text')}: pick a text-* "
                   "checkpoint, or remove the text columns")
    spec = entry.spec
    if spec is not None:
        if n_num > spec.max_columns:
            out.append(f"this model was trained on at most {spec.max_columns} numeric column(s) and the table "
                       f"has {n_num}: pick a checkpoint trained on more columns, or remove some columns")
        if spec.text_columns and n_text > spec.text_columns:
            out.append(f"this model was trained on at most {spec.text_columns} text column(s) and the table "
                       f"has {n_text}: remove some text columns")
        if spec.column_names == "letters" and not letters:
            out.append("this model was trained on columns named A, B, C…; with other names it may pick the "
                       "wrong column: pick names-5 for tables with real header names")
    return out


def best_match(entries: list[Entry], columns: list[str], kinds: list[str]) -> Entry | None:
    """The checkpoint that suits the table best: it fits, its column naming matches, its size is closest. Never one
    trained by gradient descent alone: those are shipped to show where that method gets stuck."""
    usable = [e for e in entries if not e.error and not e.gradient_descent_only]
    if not usable:
        return None
    n_text, n_num, letters = table_shape(columns, kinds)

    def score(e: Entry):
        spec = e.spec
        text_ok = not n_text or "text_match" in e.ops
        if spec is None:
            return (text_ok, False, False, -99, False, e.accuracy or 0)
        fits = text_ok and n_num <= spec.max_columns and (not spec.text_columns or n_text <= spec.text_columns)
        naming = (spec.column_names == "letters") == letters
        spare = (spec.max_columns - n_num) + abs(spec.text_columns - n_text)
        return (fits, naming, not e.trained, -abs(spare), not spec.word_variability, e.accuracy or 0)

    return max(usable, key=score)


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _load(path: str, mtime: float):
    model, vocab, info = load_checkpoint(path)
    model.requires_grad_(False)  # shared by every session: nothing may train it in place
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
