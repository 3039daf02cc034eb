"""AppTest fixtures: tiny checkpoints in a temporary directory, the app pointed at them by env vars."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st

from tests.ui.helpers import PRINT_MODEL, make_letters_model, make_print_model, make_sum_model


@pytest.fixture(scope="session")
def ckpt_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("checkpoints")
    make_sum_model(d / "names-5.safetensors")
    make_letters_model(d / "single-column.safetensors")
    make_print_model(d / f"{PRINT_MODEL}.safetensors")
    return d


@pytest.fixture(autouse=True)
def app_env(ckpt_dir, tmp_path, monkeypatch):
    """Every test: its own runs dir, no baselines, no real-tables (2017) model unless the test points
    NPX_WTQ_CHECKPOINT at one (tests/ui/wtq_helpers.py), and empty Streamlit caches."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(ckpt_dir))
    monkeypatch.setenv("NPX_RUNS_DIR", str(runs))
    monkeypatch.setenv("NPX_BASELINE_DIR", str(tmp_path / "no-baselines"))
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(tmp_path / "no-real-tables-model.safetensors"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield runs
    st.cache_data.clear()
    st.cache_resource.clear()


