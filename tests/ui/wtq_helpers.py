"""Helpers of the real-tables (2017) model's AppTest and browser tests: the shipped checkpoint, a tiny untrained
2017 checkpoint (as one trained in runs/ would be), and what the engine answers for a table and question (the
tests compare the app with it; no answer is written down, since the shipped checkpoint is retrained)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.checkpoint import SHIPPED, load_checkpoint, save_checkpoint
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.trace import ask_table
from explorer import real_tables, tables

SHIPPED_WTQ = SHIPPED  # the app's model for English, in the repository: its absence is a failure
PAPER_WTQ = SHIPPED.parent / "wtq2017.safetensors"  # the 2017 paper's recipe as shipped: 15 operations, no sum
PLAIN = "which year had the most sales?"  # plain English the synthetic checkpoints cannot read
GRAMMAR = "sum sales"  # a question of the synthetic grammar (the test checkpoints answer it right)


@cache
def _model(path: str, mtime: float):
    return load_checkpoint(path)


TINY_SUMMARY = {"preset": "tiny", "method": "untrained", "dev_accuracy": 0.125}  # what make_model records


def make_model(path: Path) -> Path:
    """A tiny untrained 2017 checkpoint (d=16, no question words: 22 kB) with TINY_SUMMARY as its summary."""
    vocab = build_vocab([], 1)
    model = seeded(lambda: NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=16), vocab), 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_checkpoint(path, model.eval(), vocab, TINY_SUMMARY)


def engine_trace(df: pd.DataFrame, question: str, path: Path = SHIPPED_WTQ) -> dict:
    """The engine's 2017 trace of the question on the table as the app passes it (tables.to_engine), by the
    checkpoint at `path` (the shipped one by default), decoded with the app's beam."""
    model, vocab, _ = _model(str(path), path.stat().st_mtime)
    columns, rows = tables.to_engine(df)
    return ask_table(model, vocab, columns, rows, question, beam=real_tables.APP_BEAM)
