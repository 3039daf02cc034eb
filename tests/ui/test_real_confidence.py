"""AppTest: the real-tables model's answer says how far to trust it and what else it considered (issue 21): the
calibrated confidence under the answer (a guess headed as one), the programs its beam considered on the Ask and
Step through pages, and an honest note for a checkpoint without a calibration of its own. Expected figures come
from the engine and the shipped calibration file, never written down here."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from engine.wtq2017 import calibration
from explorer import real_tables, state, tables
from tests.ui.helpers import answer_of, ask, new_app, page, texts, visible
from tests.ui.wtq_helpers import PAPER_WTQ, PLAIN, SHIPPED_WTQ, engine_trace, make_model


def expander_labels(at) -> list[str]:
    return [e.label for e in at.expander]


def candidates_table(at):
    """The table of programs considered (AppTest does not expose a dataframe's key: found by its columns)."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == ["#", "probability", "answer", "why",
                                                                          "program"])


def test_the_shipped_model_answers_with_its_calibrated_confidence_and_its_candidates(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))
    at = ask(new_app(), PLAIN)
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample("shop_sales"), PLAIN)
    found = calibration.confidence(calibration.read_calibration(calibration.path_for(SHIPPED_WTQ)),
                                   want["extra"]["probability"])
    shown = texts(at.caption) + texts(at.warning)
    assert f"program probability {want['extra']['probability']:.2f}" in shown
    assert f"were right {found['right_share']:.0%} of the time on dev" in shown
    caption = next(c for c in at.caption if "of the time on dev" in c.value)
    assert f"{found['total']:,} of random-split-1-dev.jsonl at beam 16" in visible(caption.help)  # the source, on hover
    heading = "A guess, not an answer" if found["guess"] else "Answer"
    assert any(m.value == f"**{heading}**" for m in at.markdown)
    chosen = want["extra"]["chosen"]
    label = next(x for x in expander_labels(at) if x.startswith("Programs considered"))
    assert label.startswith(f"Programs considered: {real_tables.APP_BEAM}, the chosen one is #{chosen + 1}")
    frame = candidates_table(at)
    assert len(frame) == real_tables.APP_BEAM and frame["why"][chosen] == "chosen"
    assert list(frame["answer"]) == [c["answer"] for c in want["extra"]["candidates"]]
    assert all(frame["why"][k] == c["rejected"] for k, c in enumerate(want["extra"]["candidates"][:chosen]))

    at = page(at, "step")  # the Step through page says the same
    assert not at.exception, at.exception
    assert f"were right {found['right_share']:.0%} of the time on dev" in texts(at.caption) + texts(at.warning)
    assert candidates_table(at)["why"][chosen] == "chosen"


def _calibrated(path, right: int) -> None:
    """A calibration file for the checkpoint at `path`: 10 dev answers per band, `right` of them right."""
    bands = [{"lo": lo, "hi": hi, "total": 10, "right": right}
             for lo, hi in zip(calibration.EDGES[:-1], calibration.EDGES[1:], strict=True)]
    data = {"checkpoint": path.name, "checkpoint_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "beam": real_tables.APP_BEAM, "split": "test-dev.jsonl", "bands": bands}
    calibration.path_for(path).write_text(json.dumps(data))


@pytest.mark.parametrize("right, heading, said", [
    (1, "**A guess, not an answer**", "Probably wrong:"), (9, "**Answer**", "were right 90% of the time on dev")])
def test_an_answer_from_a_band_that_was_rarely_right_is_headed_as_a_guess(tmp_path, monkeypatch, right, heading, said):
    path = make_model(tmp_path / "tiny.safetensors")
    _calibrated(path, right)
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(path))
    at = ask(new_app(), PLAIN)
    assert not at.exception, at.exception
    assert any(m.value == heading for m in at.markdown)
    assert said in texts(at.caption) + texts(at.warning)
    source = [visible(c.help) for c in at.caption if c.help] + [visible(w.value) for w in at.warning]
    assert any("10 of test-dev.jsonl at beam 16" in text for text in source)  # on hover, or in the warning


def test_a_calibration_made_for_other_weights_is_not_used(tmp_path, monkeypatch):
    path = make_model(tmp_path / "tiny.safetensors")
    _calibrated(make_model(tmp_path / "other" / "tiny.safetensors"), 9)  # the same name, other bytes
    calibration.path_for(tmp_path / "other" / "tiny.safetensors").rename(calibration.path_for(path))
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")  # the weights changed after calibrating
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(path))
    at = ask(new_app(), PLAIN)
    assert not at.exception, at.exception
    assert "this checkpoint has no calibration" in texts(at.caption)
    assert not any(m.value == "**A guess, not an answer**" for m in at.markdown)


def test_a_question_the_language_cannot_say_is_answered_as_a_guess_with_the_reason(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(PAPER_WTQ))
    question = "what is the total of sales?"  # the paper's 2017 model has no sum: it counts the rows (issue 21)
    at = ask(new_app(), question)
    assert not at.exception, at.exception
    want = engine_trace(tables.load_sample("shop_sales"), question, PAPER_WTQ)
    assert want["extra"]["cannot_say"] and any(m.value == "**A guess, not an answer**" for m in at.markdown)
    assert "has no sum operation" in texts(at.warning) and "right only if the table holds that value" in texts(
        at.warning)


def test_a_sum_the_real_model_cannot_compute_is_offered_from_the_synthetic_model_beside_it(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(PAPER_WTQ))  # the paper's 15 operations: no sum
    at = ask(new_app(), "what is the total of sales?")
    assert not at.exception, at.exception
    offer = texts(at.info)
    assert "The synthetic model can compute it" in offer
    reading, offered = re.search(r"reads the question as “(.+?)” \(its own grammar\) and answers \*\*(.+?)\*\*\. "
                                 "Check", offer).groups()
    assert reading.split()[0] == "sum" and "sales" in reading  # the grammar's words for "total of sales"
    at = at.button(key="ask_synthetic_reading").click().run()  # one click: the synthetic model answers it
    assert not at.exception and at.session_state[state.QUESTION] == reading
    assert answer_of(at) == offered  # the answer offered is the one the synthetic model gives on its page
    assert "Answered by the real-tables model" not in texts(at.caption)
