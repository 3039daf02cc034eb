"""AppTest: several 2017 checkpoints answering as one (engine/wtq2017/ensemble.py) in the app. An ensemble file and a
second 2017 checkpoint in a shipped directory are listed once each (the shipped one not twice); an ensemble file's
info is read from its members' headers and it loads and answers wherever a checkpoint does; the answer says how many
of its models give it and, escaped, what the others say. Expected answers come from the engine."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from engine.core.safetensors_reader import CheckpointError
from engine.core.seeded_init import seeded
from engine.families import WTQ2017, family_id
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.checkpoint import read_checkpoint_info, save_checkpoint
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.ensemble import ENSEMBLE_SCHEMA, Ensemble, is_ensemble_file, load_model, write_ensemble
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.trace import ask_table
from explorer import checkpoints, escape, real_tables, state, tables
from explorer.components import candidates_view
from tests.ui.helpers import ask, markup_problems, new_app, page, texts, visible
from tests.ui.wtq_helpers import PLAIN, SHIPPED_WTQ, TINY_SUMMARY, make_model

AGREEMENT = "models in the ensemble"  # in the agreement line, whatever the count


def tiny(path, seed: int):
    """A tiny untrained 2017 checkpoint as wtq_helpers.make_model's, from another seed (so members differ)."""
    vocab = build_vocab([], 1)
    model = seeded(lambda: NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=16), vocab), seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_checkpoint(path, model.eval(), vocab, TINY_SUMMARY)


def engine_trace(path, question: str = PLAIN) -> dict:
    """The engine's trace of the question on the default table by the ensemble at `path`, at the app's beam."""
    model, vocab, _ = load_model(path)
    columns, rows = tables.to_engine(tables.load_sample("shop_sales"))
    return ask_table(model, vocab, columns, rows, question, beam=real_tables.APP_BEAM)


def agreement_lines(at) -> list[str]:
    """The agreement captions as read (their icon left out)."""
    return [visible(c.value).removeprefix(":material/groups: ") for c in at.caption if AGREEMENT in c.value]


# ----------------------------------------------------------------------------- the registry


def test_the_registry_lists_each_other_shipped_2017_file_once_and_the_shipped_one_once(tmp_path, monkeypatch,
                                                                                       ckpt_dir):
    shipped = tmp_path / "shipped"
    ens = write_ensemble(shipped / "pair.json", [SHIPPED_WTQ, SHIPPED_WTQ])
    other = make_model(shipped / "other-2017.safetensors")
    (shipped / "other-2017.calibration.json").write_text("{}")  # not an ensemble file: not listed
    (shipped / "notes.json").write_text(json.dumps({"members": []}))
    broken = write_ensemble(shipped / "broken.json", [make_model(tmp_path / "gone" / "m.safetensors")])
    (tmp_path / "gone" / "m.safetensors").unlink()  # its member is gone: listed with the reason
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))
    # the shipped 2017 file's own directory too: it is REAL_ID, never a second entry "wtq2017"
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", os.pathsep.join(map(str, (ckpt_dir, shipped, SHIPPED_WTQ.parent))))
    entries = checkpoints.all_checkpoints()
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    assert [e.path for e in entries].count(str(SHIPPED_WTQ)) == 1 and SHIPPED_WTQ.stem not in ids
    real = [e for e in entries if e.family == WTQ2017]
    # the other shipped 2017 files (the paper's recipe, the search-only run, their ensemble) are listed too
    others = sorted(p.name.removesuffix(".safetensors").removesuffix(".json") for p in SHIPPED_WTQ.parent.iterdir()
                    if p != SHIPPED_WTQ and (p.suffix == ".safetensors" and family_id(str(p)) == WTQ2017
                                             or p.suffix == ".json" and is_ensemble_file(p)))
    assert [e.id for e in real][:4] == [checkpoints.REAL_ID, "broken", "other-2017", "pair"]  # after REAL_ID
    assert sorted(e.id for e in real[4:]) == others and "wtq2017" in others
    assert ids[-len(real):] == [e.id for e in real]  # after the 2016 ones (nothing trained here)
    pair = checkpoints.find(real, "pair")
    assert (pair.path, pair.error, pair.trained) == (str(ens), None, False)
    assert "ensemble of 2 models" in pair.label and "preset ensemble" in pair.label
    assert checkpoints.find(real, "other-2017").path == str(other)
    assert "does not exist" in checkpoints.find(real, "broken").error and str(broken) == \
        checkpoints.find(real, "broken").path
    assert not any(e.id in ("notes", "other-2017.calibration") for e in entries)


def test_the_shipped_2017_file_in_a_shipped_directory_is_listed_once_as_the_real_tables_model(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    make_model(shipped / "tiny.safetensors")
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(shipped / "tiny.safetensors"))  # the shipped one is here
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", str(shipped))
    assert [(e.id, e.family) for e in checkpoints.all_checkpoints()] == [(checkpoints.REAL_ID, WTQ2017)]


# ----------------------------------------------------------------------------- info and loading


def test_an_ensemble_file_reads_and_loads_like_a_checkpoint(tmp_path):
    ens = write_ensemble(tmp_path / "pair.json", [SHIPPED_WTQ, SHIPPED_WTQ])
    assert real_tables.available(ens)
    found = real_tables.info(ens)
    member = read_checkpoint_info(SHIPPED_WTQ)["summary"]
    summary = found["summary"]
    assert summary["preset"] == "ensemble" and summary["dev_accuracy"] is None
    assert summary["method"].startswith("ensemble of 2 models")
    assert summary["members"] == [{k: member[k] for k in ("preset", "method", "dev_accuracy")}] * 2
    assert [m["path"] for m in found["members"]] == [str(SHIPPED_WTQ)] * 2
    assert len(json.dumps(found)) < 4000  # the members' training curves are not kept
    model, vocab, info = real_tables.load(ens)
    assert isinstance(model, Ensemble) and len(model.members) == 2 and info["ensemble"] == str(ens)
    trace = real_tables.answer(*tables.to_engine(tables.load_sample("shop_sales")), PLAIN, ens)
    assert trace["extra"]["ensemble"] == engine_trace(ens)["extra"]["ensemble"]


def _by_hand(path, members) -> None:
    """An ensemble file naming `members` as they are (write_ensemble refuses members that cannot answer together)."""
    path.write_text(json.dumps({"schema": ENSEMBLE_SCHEMA, "members": [
        {"path": str(m), "sha256": hashlib.sha256(m.read_bytes()).hexdigest()} for m in members]}))


def test_an_ensemble_whose_members_cannot_answer_together_or_changed_is_not_available(tmp_path):
    small = make_model(tmp_path / "tiny.safetensors")
    mixed = tmp_path / "mixed.json"
    _by_hand(mixed, [SHIPPED_WTQ, small])  # another vocabulary and width
    with pytest.raises(CheckpointError, match="reads questions differently"):
        real_tables.info(mixed)
    assert not real_tables.available(mixed)
    changed = write_ensemble(tmp_path / "changed.json", [small])
    tiny(small, 5)  # the member was retrained after the ensemble was written
    assert not real_tables.available(changed)


# ----------------------------------------------------------------------------- the agreement line


@pytest.mark.parametrize("extra", [{"denotation": ["y"]}, {}])  # the engine's denotation, else the answer's text
def test_the_agreement_line_counts_the_models_and_escapes_what_the_others_say(extra):
    trace = {"answer": {"text": "y"}, "extra": {**extra, "ensemble": {"agree": 0.5, "members": ["<b>x</b>", "y"]}}}
    text = candidates_view.agreement_text(trace)
    assert text.startswith("1 of 2 models in the ensemble gives this answer; the other says:")
    assert "<b>" not in text and escape.md("<b>x</b>") in text and visible(text).endswith("“<b>x</b>”")


def test_the_agreement_line_when_all_or_none_agree():
    ours = {"answer": {"text": "2019"}, "extra": {"denotation": ["2019"]}}
    all_agree = {**ours, "extra": {**ours["extra"], "ensemble": {"agree": 1.0, "members": ["2019"] * 3}}}
    assert candidates_view.agreement_text(all_agree) == "3 of 3 models in the ensemble give this answer"
    none = {**ours, "extra": {**ours["extra"], "ensemble": {"agree": 0.0, "members": ["(no answer)"] * 3}}}
    assert visible(candidates_view.agreement_text(none)) == (
        "None of the 3 models in the ensemble gives this answer on its own; they say: “(no answer)” (3 models)")
    assert candidates_view.agreement_text({"answer": {"text": "2019"}, "extra": {}}) is None  # one model


# ----------------------------------------------------------------------------- the app


def test_the_shipped_model_as_an_ensemble_answers_with_its_agreement_line(tmp_path, monkeypatch):
    ens = write_ensemble(tmp_path / "pair.json", [SHIPPED_WTQ, SHIPPED_WTQ])
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(ens))  # the shipped 2017 model is an ensemble file
    at = ask(new_app(), PLAIN)
    assert not at.exception, at.exception
    assert "Answered by the real-tables model" in texts(at.caption)
    want = engine_trace(ens)
    assert agreement_lines(at) == [visible(candidates_view.agreement_text(want)) + "."]
    assert agreement_lines(at)[0].startswith(f"{round(want['extra']['ensemble']['agree'] * 2)} of 2 models")
    assert "this checkpoint has no calibration" in texts(at.caption)  # none was made for this ensemble


def test_a_link_to_a_shipped_ensemble_answers_with_it_and_says_where_its_models_disagree(tmp_path, monkeypatch,
                                                                                         ckpt_dir):
    shipped = tmp_path / "shipped"
    ens = write_ensemble(shipped / "tiny-pair.json", [tiny(tmp_path / "m1.safetensors", 1),
                                                      tiny(tmp_path / "m2.safetensors", 2)])
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", os.pathsep.join(map(str, (ckpt_dir, shipped))))
    at = new_app({"table": "shop_sales", "q": PLAIN, "ckpt": "tiny-pair"})
    assert not at.exception, at.exception
    assert at.session_state[state.CKPT] == "tiny-pair"
    assert "because you picked it in the Model tab" in texts(at.caption)
    want = engine_trace(ens)
    line = visible(candidates_view.agreement_text(want)) + "."
    assert agreement_lines(at) == [line] and ("of the 2 models" in line or "of 2 models" in line)
    assert not markup_problems(at)
    at = page(at, "step")  # the Step through page says the same
    assert not at.exception, at.exception
    assert agreement_lines(at) == [line]
