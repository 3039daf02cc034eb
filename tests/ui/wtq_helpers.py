"""Helpers of the real-tables (2017) model's AppTest and browser tests: the shipped checkpoint, and what the
engine answers for a table and question (the tests compare the app with it; no answer is written down,
since the shipped checkpoint is retrained)."""

from __future__ import annotations

from functools import cache

import pandas as pd

from engine.wtq2017.checkpoint import load_wtq_checkpoint
from engine.wtq2017.trace import ask_table
from explorer import tables
from tests.ui.helpers import ROOT

SHIPPED_WTQ = ROOT / "checkpoints" / "wtq2017.safetensors"  # in the repository: its absence is a failure
PLAIN = "which year had the most sales?"  # plain English the synthetic checkpoints cannot read
GRAMMAR = "sum sales"  # a question of the synthetic grammar (the test checkpoints answer it right)


@cache
def _model(path: str, mtime: float):
    return load_wtq_checkpoint(path)


def engine_trace(df: pd.DataFrame, question: str) -> dict:
    """The engine's 2017 trace of the question on the table as the app passes it (tables.to_engine)."""
    model, vocab, _ = _model(str(SHIPPED_WTQ), SHIPPED_WTQ.stat().st_mtime)
    columns, rows = tables.to_engine(df)
    return ask_table(model, vocab, columns, rows, question)
