"""Helpers of the AppTest tests: tiny checkpoints and shortcuts to drive the app.

`make_sum_model` writes a names-5 checkpoint whose operation and column selectors are zeroed, with
T = 1: its single step is always the first operation (sum) on the column the question names (the
name-match feature), so "sum sales" is answered right and the answer follows the table's edits —
without any training. `make_letters_model` writes an untrained single-column model.
"""

from __future__ import annotations

from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from engine import data
from engine.checkpoint import save_checkpoint
from engine.model import NeuralProgrammer
from engine.train import default_model_config
from engine.vocab import Vocab

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 60


def make_sum_model(path: Path) -> Path:
    vocab = Vocab(data.vocabulary("names-5"))
    torch.manual_seed(0)
    model = NeuralProgrammer(default_model_config("names-5", len(vocab), d=16, steps=1))
    with torch.no_grad():
        model.op_select.weight.zero_()  # every op logit is 0: the argmax is the first op, "sum"
        model.col_select.weight.zero_()  # the column comes from the name match alone
    return save_checkpoint(path, model, vocab, {"task": "names-5", "eval_accuracy": 0.5})


def make_letters_model(path: Path) -> Path:
    vocab = Vocab(data.vocabulary("single-column"))
    torch.manual_seed(1)
    model = NeuralProgrammer(default_model_config("single-column", len(vocab), d=16, steps=3))
    return save_checkpoint(path, model, vocab, {"task": "single-column", "eval_accuracy": 0.1})


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def page(at: AppTest, name: str) -> AppTest:
    return at.switch_page(f"explorer/pages/{name}.py").run()


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key="question_box").set_value(question)
    return at.button(key="ask").click().run()


def answer_of(at: AppTest) -> str:
    """The answer shown on the Ask page (the markdown block marked np-answer)."""
    for m in at.markdown:
        if "np-answer" in m.value:
            return m.value.split(">", 1)[1].rsplit("</div>", 1)[0]
    raise AssertionError("no answer on the page")


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)
