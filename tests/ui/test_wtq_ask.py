"""AppTest: the real-tables model (2017 paper, WikiTableQuestions) in the app — plain English answered by it on
the Ask page with the line that says so and one click back, the picker's entry, a 2017 checkpoint trained in
runs/ listed, picked and answering like the shipped one, hostile tables, the Step through page, and nothing
changed when its checkpoint is absent. Expected answers come from the engine
(ask_table on the shipped checkpoint), never written down: the checkpoint is retrained."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from engine.families import NP2016, WTQ2017
from engine.wtq2017.checkpoint import read_checkpoint_info
from engine.wtq2017.config import OPS
from explorer import checkpoints, real_table_samples, state, tables
from explorer.components import model_choice, trace_player, trace_view
from tests.ui.helpers import (
    HTML_LINK_NAME,
    IFRAME,
    IMG,
    MD_LINK,
    OVERLAY,
    answer_of,
    ask,
    markup_problems,
    new_app,
    page,
    texts,
    visible,
)
from tests.ui.wtq_helpers import GRAMMAR, PLAIN, SHIPPED_WTQ, TINY_SUMMARY, engine_trace, make_model

ANSWERED_BY = "Answered by the real-tables model"


@pytest.fixture
def real_model(monkeypatch):
    assert SHIPPED_WTQ.is_file(), f"{SHIPPED_WTQ} is shipped with the repository"
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))


def answer_of_2017(trace: dict) -> str:
    """The answer line the app shows for a 2017 trace."""
    return trace_view.answer_text(trace["answer"], "hard", "wtq2017")


def _heatmap_rows(at, key: str) -> list[str]:
    chart = next(c for c in at.get("plotly_chart") if c.key == key)
    return json.loads(chart.proto.spec)["data"][0]["y"]


def test_plain_english_is_answered_by_the_real_tables_model(real_model):
    at = ask(new_app(), PLAIN)
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    assert answer_of(at) == answer_of_2017(want)
    if want["answer"]["kind"] != "none" and 0 < len(want["extra"]["denotation"]) <= trace_view.MAX_ANSWER_ITEMS:
        assert answer_of(at) == ", ".join(want["extra"]["denotation"])
    line = texts(at.caption)
    assert ANSWERED_BY in line and "trained on WikiTableQuestions" in line
    assert "because the synthetic model does not know the word(s)" in line
    assert at.code[0].value == "\n".join(want["program_text"])  # the program in the engine's words
    assert [c.key for c in at.get("plotly_chart")] == ["hm_ops", "hm_cols", "hm_words"]
    assert _heatmap_rows(at, "hm_ops") == want["ops"] and want["ops"][:15] == list(OPS)  # the model's every operation
    assert len(_heatmap_rows(at, "hm_words")) == len(want["words"])
    assert at.query_params.get("ckpt") in (None, [])  # chosen by the page, not pinned


def test_step_slider_highlights_one_step(real_model):
    at = ask(new_app(), PLAIN)
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    at.select_slider(key=state.FOCUS_PICK).set_value("t2").run()
    assert not at.exception
    assert at.session_state[state.FOCUS] == {"step": 2, "row": None}
    assert f"Step t2:** {want['steps'][1]['sentence']}" in visible("\n".join(m.value for m in at.markdown))


def test_one_click_back_to_the_synthetic_model_and_forth(real_model):
    at = ask(new_app(), PLAIN)
    at.button(key=model_choice.BACK_KEY).click().run()
    assert not at.exception
    assert ANSWERED_BY not in texts(at.caption)
    assert "The model is guessing" in texts(at.warning)  # the synthetic model, honest about its guess
    assert at.session_state[state.CKPT] == "names-5"
    at.button(key=model_choice.USE_REAL_KEY).click().run()
    assert not at.exception
    assert at.session_state[state.CKPT] == model_choice.REAL_ID
    assert "because you picked it in the Model tab" in texts(at.caption)
    assert answer_of(at) == answer_of_2017(engine_trace(tables.load_sample("shop_sales"), PLAIN))


def test_a_grammar_question_stays_with_the_synthetic_model_unless_the_real_one_is_picked(real_model):
    at = ask(new_app(), GRAMMAR)
    assert ANSWERED_BY not in texts(at.caption) and "Right" in texts(at.success)
    at.selectbox(key=state.CKPT_PICK).set_value(model_choice.REAL_ID).run()
    assert not at.exception
    assert ANSWERED_BY in texts(at.caption)
    assert answer_of(at) == answer_of_2017(engine_trace(tables.load_sample("shop_sales"), GRAMMAR))


def test_the_picker_lists_the_2017_checkpoint_as_the_real_tables_model(real_model, monkeypatch):
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(SHIPPED_WTQ.parent))  # beside the shipped 2016 files
    assert "wtq2017" not in [e.id for e in checkpoints.list_checkpoints()]  # never an unreadable 2016 one
    at = new_app()
    assert not at.exception
    options = at.selectbox(key=state.CKPT_PICK).options
    assert not any("unreadable" in o or "cannot be read" in o for o in options)
    summary = read_checkpoint_info(SHIPPED_WTQ)["summary"]
    real = next(o for o in options if o.startswith("Real tables, plain English"))
    assert summary["method"] in real and f"preset {summary['preset']}" in real
    assert f"{summary['dev_accuracy']:.1%} right on the WikiTableQuestions dev set" in real
    assert not re.search(r"\btest\b", real.replace("no test accuracy", ""))  # its only accuracy is a dev one


def test_a_link_can_open_the_real_tables_model(real_model):
    at = new_app({"table": "shop_sales", "q": "how many years are there?", "ckpt": model_choice.REAL_ID})
    assert not at.exception
    assert "because you picked it in the Model tab" in texts(at.caption)
    assert "Real tables, plain English" in texts(at.caption)  # the summary line names it


def test_a_shared_link_to_real_tables_2017_still_opens_the_shipped_checkpoint(real_model, app_env):
    make_model(app_env.parent / "wtq" / "tiny.safetensors")  # another 2017 checkpoint beside it
    entry = checkpoints.find(checkpoints.all_checkpoints(), "real-tables-2017")
    assert entry.family == WTQ2017 and not entry.trained and entry.path == str(SHIPPED_WTQ)
    at = new_app({"table": "shop_sales", "q": PLAIN, "ckpt": "real-tables-2017"})
    assert not at.exception, at.exception
    assert at.session_state[state.CKPT] == "real-tables-2017" and at.query_params["ckpt"] == "real-tables-2017"
    assert "because you picked it in the Model tab" in texts(at.caption)
    assert answer_of(at) == answer_of_2017(engine_trace(tables.load_sample("shop_sales"), PLAIN))


@pytest.mark.parametrize("folder", ["runs", "wtq"])  # the app's runs dir (NPX_RUNS_DIR), runs/wtq/ beside it
def test_a_2017_checkpoint_trained_in_runs_is_listed_picked_and_answers(app_env, folder):
    path = make_model(app_env.parent / folder / "tiny.safetensors")
    entry = checkpoints.find(checkpoints.all_checkpoints(), "trained/tiny")
    assert (entry.family, entry.trained, entry.path, entry.error) == (WTQ2017, True, str(path), None)
    assert entry.label.startswith("Trained here: real tables, plain English") and "trained/tiny" in entry.label
    assert "preset tiny" in entry.label and "12.5% right on the WikiTableQuestions dev set" in entry.label
    assert checkpoints.list_checkpoints(WTQ2017) == [entry]  # no shipped 2017 one here (tests/ui/conftest.py)
    assert entry not in checkpoints.list_checkpoints() == checkpoints.list_checkpoints(NP2016)  # 2016 pages
    at = ask(new_app(), PLAIN)
    assert ANSWERED_BY not in texts(at.caption)  # "best match" sends plain English to the shipped one only
    at.selectbox(key=state.CKPT_PICK).set_value("trained/tiny").run()
    assert not at.exception, at.exception
    assert at.session_state[state.CKPT] == "trained/tiny" and at.query_params["ckpt"] == "trained/tiny"
    assert "because you picked it in the Model tab" in texts(at.caption) and entry.label in texts(at.caption)
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN, path)
    assert answer_of(at) == answer_of_2017(want)
    assert at.code[0].value == "\n".join(want["program_text"])
    at = page(at, "step")  # Step through answers with the same pick
    assert not at.exception, at.exception
    assert at.code[-1].value == "\n".join(want["program_text"])
    link = new_app({"table": "shop_sales", "q": PLAIN, "ckpt": "trained/tiny"})  # and so does a link to it
    assert not link.exception and answer_of(link) == answer_of_2017(want)
    assert TINY_SUMMARY["method"] in texts(link.caption)


def test_hostile_cells_and_column_names_are_shown_as_text(real_model):
    df = tables.normalize(pd.DataFrame({
        "A": [IFRAME, IMG, OVERLAY, MD_LINK, "plain"],
        "B": [1.0, 2.0, 3.0, 4.0, 5.0],
        HTML_LINK_NAME: ["x", "y", "z", "u", "v"],
    }, dtype=object))
    question = f"what is the A of the row with the largest B? {MD_LINK}"
    at = new_app({"data": tables.to_url_param(df), "q": question, "ckpt": model_choice.REAL_ID})
    assert not at.exception, at.exception
    assert answer_of(at) == answer_of_2017(engine_trace(at.session_state[state.TABLE], question))
    assert markup_problems(at) == []
    assert any("&lt;a href" in y for y in _heatmap_rows(at, "hm_cols"))  # the name, escaped, as text
    at = page(at, "step")
    assert not at.exception, at.exception
    assert markup_problems(at) == []


def test_step_through_a_real_tables_trace(real_model):
    at = page(ask(new_app(), PLAIN), "step")
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    assert ANSWERED_BY in texts(at.caption)
    T = len(want["steps"])
    for t in range(1, T + 1):
        step = want["steps"][t - 1]
        assert f"Step t{t} of {T}:** {step['sentence']}" in texts(at.info)
        assert at.metric[0].value == step["op"]
        before, after = (m.value for m in at.markdown if m.value.startswith(("**Before", "**After")))
        n_before = int(sum(want["steps"][t - 2]["rows_hard"])) if t > 1 else len(want["rows"])
        assert visible(before).endswith(f"{n_before} of {len(want['rows'])} rows")
        assert visible(after).endswith(f"{int(sum(step['rows_hard']))} of {len(want['rows'])} rows")
        if t < T:
            at = at.button(key="step_next").click().run()
            assert not at.exception
    assert at.code[-1].value == "\n".join(want["program_text"])


def test_the_player_draws_a_real_tables_trace():
    df = tables.load_sample("shop_sales")
    want = engine_trace(df, PLAIN)
    data = trace_player.payload(want, df, "hard", current=2)
    assert data["ops"] == want["ops"] and data["current"] == 2
    assert [s["line"] for s in data["steps"]] == want["program_text"]
    for s, step in zip(data["steps"], want["steps"], strict=True):
        assert len(s["p_op"]) == len(want["ops"]) and sum(s["p_op"]) == 1.0 and len(s["rows"]) == len(df)
        assert s["column_index"] == step["column_index"]
    soft = trace_player.payload(want, df, "soft")
    assert soft["steps"][0]["p_op"] == [round(p, 3) for p in want["steps"][0]["op_probs"]]


def test_without_the_2017_checkpoint_plain_english_is_an_honest_guess():
    at = ask(new_app(), PLAIN)  # tests/ui/conftest.py points NPX_WTQ_CHECKPOINT at a missing file
    assert not at.exception
    assert ANSWERED_BY not in texts(at.caption)
    assert "The model is guessing" in texts(at.warning)
    assert all(b.key != model_choice.USE_REAL_KEY for b in at.button)
    assert not any(o.startswith("Real tables") for o in at.selectbox(key=state.CKPT_PICK).options)


def test_a_wikitablequestions_sample_opens_with_a_plain_english_question(real_model):
    at = new_app()
    at.selectbox(key=state.SAMPLE_PICK).set_value("wtq_medal_table").run()
    assert not at.exception, at.exception
    question = at.session_state[state.QUESTION]
    assert question == real_table_samples.SAMPLES["wtq_medal_table"].questions[0]
    assert ANSWERED_BY in texts(at.caption)
    assert answer_of(at) == answer_of_2017(engine_trace(tables.load_sample("wtq_medal_table"), question))


def test_a_plain_english_example_is_one_click(real_model):
    at = new_app()
    pills = at.button_group(key=state.EXAMPLE_PICK_PLAIN)
    first = pills.options[0].content if hasattr(pills.options[0], "content") else pills.options[0]
    question = visible(first)
    at = pills.set_value([question] if isinstance(pills.value, list) else question).run()
    assert not at.exception, at.exception
    assert at.session_state[state.QUESTION] == question
    assert ANSWERED_BY in texts(at.caption)
    assert answer_of(at) == answer_of_2017(engine_trace(tables.load_sample("shop_sales"), question))


def test_the_soft_view_shows_the_probabilities(real_model):
    at = ask(new_app(), PLAIN)
    at.button_group(key=state.VIEW_PICK).set_value("soft").run()
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    chart = next(c for c in at.get("plotly_chart") if c.key == "hm_ops")
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    assert z == [[s["op_probs"][i] for s in want["steps"]] for i in range(len(want["ops"]))]
    at = page(at, "step")
    assert not at.exception, at.exception
    assert at.session_state[state.VIEW] == "soft"
    bars = next(c for c in at.get("plotly_chart") if c.key == "step_ops")
    assert json.loads(bars.proto.spec)["data"][0]["y"] == want["steps"][0]["op_probs"]
