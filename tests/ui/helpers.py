"""Helpers of the AppTest tests: tiny checkpoints and shortcuts to drive the app.

`make_sum_model` writes a names-5 checkpoint whose operation and column selectors are zeroed, with
T = 1: its single step is always the first operation (sum) on the column the question names (the
name-match feature), so "sum sales" is answered right and the answer follows the table's edits —
without any training. `make_letters_model` writes an untrained single-column model, `make_print_model` a
text-2 model that prints the column the question names (the hostile-table tests need a lookup answer).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.checkpoint import save_checkpoint
from engine.np2016.data import tasks as data
from engine.np2016.model import NeuralProgrammer
from explorer import escape, state
from explorer.components.trace_view import ANSWER_KEY

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
TIMEOUT = 60
PRINT_MODEL = "text-print"  # the checkpoint id of make_print_model in the test checkpoint directories


PAPER = "paper2016-single-column"  # the shipped paper-method checkpoint, which lesson 6 opens


def make_paper_model(path: Path) -> Path:
    vocab = Vocab(data.vocabulary("single-column"))
    torch.manual_seed(3)
    config = presets.model_config("paper2016", "single-column", len(vocab), d=16)
    train = presets.train_config("paper2016", "single-column")
    summary = {"task": "single-column", "preset": "paper2016", "train_config": train.to_dict(),
               "model_config": config.to_dict(), "valid_accuracy": 0.3, "test_accuracy": 0.25}
    return save_checkpoint(path, NeuralProgrammer(config), vocab, summary)


def make_sum_model(path: Path) -> Path:
    vocab = Vocab(data.vocabulary("names-5"))
    torch.manual_seed(0)
    model = NeuralProgrammer(presets.model_config("default", "names-5", len(vocab), d=16, T=1))
    with torch.no_grad():
        model.op_select.weight.zero_()  # every op logit is 0: the argmax is the first op, "sum"
        model.col_select.weight.zero_()  # the column comes from the name match alone
    return save_checkpoint(path, model, vocab, {"task": "names-5", "test_accuracy": 0.5, "valid_accuracy": 0.5})


def make_letters_model(path: Path) -> Path:
    vocab = Vocab(data.vocabulary("single-column"))
    torch.manual_seed(1)
    model = NeuralProgrammer(presets.model_config("default", "single-column", len(vocab), d=16, T=3))
    return save_checkpoint(path, model, vocab, {"task": "single-column", "test_accuracy": 0.1, "valid_accuracy": 0.1})


def make_print_model(path: Path) -> Path:
    """A text-2 checkpoint (T = 1) that prints the column the question names: "print A" lists A's cells.

    Its operations are listed with assign first and the operation selector is zeroed, so every operation
    logit is 0 and the argmax is assign; the column comes from the name match, as in make_sum_model."""
    vocab = Vocab(data.vocabulary("text-2"))
    torch.manual_seed(2)
    config = presets.model_config("default", "text-2", len(vocab), d=16, T=1)
    config = replace(config, ops=("assign",) + tuple(op for op in config.ops if op != "assign"))
    model = NeuralProgrammer(config)
    with torch.no_grad():
        model.op_select.weight.zero_()
        model.col_select.weight.zero_()
    return save_checkpoint(path, model, vocab, {"task": "text-2", "test_accuracy": 0.5, "valid_accuracy": 0.5})


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def page(at: AppTest, name: str) -> AppTest:
    return at.switch_page(f"explorer/pages/{name}.py").run()


def ask(at: AppTest, question: str) -> AppTest:
    at.text_input(key=state.QUESTION_BOX).set_value(question)
    return at.button(key="ask").click().run()


def editor_key(at: AppTest) -> str:
    """The session key of the data editor's edits (as state.editor_key, read from outside the app)."""
    return f"{state.EDITOR_PREFIX}{at.session_state[state.TABLE_VER]}"


def visible(markdown: str) -> str:
    """What markdown source shows as text: backslash escapes resolved, invisible word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", str(markdown)).replace(escape.WORD_JOINER, "")


def walk(node):
    """Every node of an AppTest element tree, depth first."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def keyed_block(at: AppTest, key: str):
    """The container made with st.container(key=key)."""
    for node in walk(at._tree):
        if type(node).__name__ == "Block" and str(getattr(node.proto, "id", "")).endswith(f"-{key}"):
            return node
    raise AssertionError(f"no container with the key {key!r} on the page")


def answer_of(at: AppTest) -> str:
    """The answer shown on the Ask page, as the user reads it."""
    block = keyed_block(at, ANSWER_KEY)
    return visible(next(n for n in walk(block) if getattr(n, "type", None) == "subheader").value)


def texts(elements) -> str:
    """The visible text of elements (markdown escapes resolved)."""
    return "\n".join(visible(e.value) for e in elements)


# ----------------------------------------------------------------------------- no markup from user text

MARKDOWN_FIELDS = ("body", "label", "help")  # rendered as markdown by every element that has them
MARKDOWN_OPTIONS = ("ButtonGroup", "Radio")  # widgets whose options are markdown too (selectbox's are text)
FORMING = ("<", "](", "![")  # what, unescaped, markdown turns into HTML, a link or an image
# rewritten after parsing, escaped or not: bare links (GFM) and emoji shortcodes (remark-emoji)
BARE_LINK = re.compile(r"(?i)https?://|www\.|[-.\w+]@[-\w]+\.|:[\w+-]+:")
HOVER_MARKUP = re.compile(r"<br>|<extra></extra>")  # the only markup of our own hover templates


def _unescaped(markdown: str) -> str:
    """The markdown source with every backslash escape removed (what markdown could still interpret)."""
    return re.sub(r"\\.", "", markdown)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def markup_problems(at: AppTest) -> list[str]:
    """Every rendered string that markdown or plotly could turn into markup: unescaped < , a link or an
    image in a markdown field or a markdown option; HTML in a plotly label or hover text. Static HTML
    (the table legend) is the only HTML allowed, and only as the exact strings of table_view."""
    from google.protobuf.json_format import MessageToDict

    from explorer.components import table_view

    legends = {table_view.LEGEND, table_view.LEGEND + table_view.COLUMN_LEGEND}
    found = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        kind = type(node).__name__
        if getattr(node, "type", None) == "plotly_chart":
            spec = json.loads(proto.spec)
            for trace in spec["data"]:
                found += [f"plotly hover: {h}" for h in _strings(trace.get("hovertemplate"))
                          if "<" in HOVER_MARKUP.sub("", h)]
                found += [f"plotly data: {s}" for key, v in trace.items() if key != "hovertemplate"
                          for s in _strings(v) if "<" in s]
            found += [f"plotly layout: {s}" for s in _strings(spec["layout"]) if "<" in s]
            continue
        fields = MessageToDict(proto)
        if fields.get("allowHtml"):
            if fields.get("body") not in legends:
                found.append(f"{kind} with HTML: {fields.get('body')}")
            continue
        texts = [fields[f] for f in MARKDOWN_FIELDS if isinstance(fields.get(f), str)]
        if kind in MARKDOWN_OPTIONS:
            texts += [o["content"] if isinstance(o, dict) else o for o in fields.get("options", [])]
        found += [f"{kind}: {t}" for t in texts
                  if any(f in _unescaped(t) for f in FORMING) or BARE_LINK.search(re.sub(r"\\(.)", r"\1", t))]
    return found


# hostile cell and column-name payloads shared by the AppTest and the browser tests: each would run script,
# cover the page or make a link if the app rendered user text as markup
IFRAME = "<iframe srcdoc=\"<script>parent.document.title='X';parent.npxPwned=1</script>\"></iframe>"
IMG = "<img src=x onerror=\"window.npxPwned=2;alert('img')\">"
OVERLAY = '<div id="npx-overlay" style="position:fixed;inset:0;z-index:99999;background:red">Log in</div>'
MD_LINK = "[Log in again](http://evil.example/login)"
HTML_LINK_NAME = '<a href="http://evil.example">h</a>'  # column names are at most 40 characters
