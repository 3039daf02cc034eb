"""AppTest: the Train page shows a run's estimated memory and says which settings to lower when a combination
is over the per-run budget (engine/np2016/memory_estimate.py)."""

from __future__ import annotations

from engine.np2016 import memory_estimate
from explorer import escape, state
from tests.ui.helpers import new_app, page


def test_the_train_page_refuses_a_run_over_the_memory_budget(monkeypatch):
    monkeypatch.delenv(memory_estimate.RUN_BUDGET_ENV, raising=False)
    at = page(new_app(), "train")
    at.selectbox(key=state.TRAIN_TASK).set_value("text-5").run()
    assert not at.error and any("Memory this run needs" in c.value for c in at.caption)
    at.number_input(key="hp_train_size").set_value(50_000)
    at.number_input(key="hp_batch_size").set_value(500)
    at.selectbox(key="hp_model_d").set_value(256).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    budget = escape.md(f"over the {memory_estimate.RUN_MEMORY_MB:,} MB")  # the page escapes what it shows
    assert any("need about" in e and "Training examples" in e and budget in e for e in errors), errors
    at.number_input(key="hp_train_size").set_value(5_000).run()
    assert not [e.value for e in at.error if "need about" in e.value]
