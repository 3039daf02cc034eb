"""What the 2017 model's language cannot say (engine/wtq2017/language.py): the words that ask for a sum, an average
or a difference, the questions that only look like it, and the warning the trace carries."""

from __future__ import annotations

import pytest

from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.language import cannot_say
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.trace import ask_table


@pytest.mark.parametrize("question, lacking", [
    ("what is the total of sales?", ["sum"]), ("sum of the gold medals", ["sum"]),
    ("what was the average attendance?", ["average"]), ("what is the mean score?", ["average"]),
    ("how many more gold medals did china win than japan?", ["difference"]),
    ("what is the difference in points between the first and the last?", ["difference"]),
    ("the average difference", ["average", "difference"]),
    # a count, a meaning, a superlative: the language says these
    ("what is the total number of nations?", []), ("how many nations won gold in total?", []),
    ("what does gdp mean?", []), ("which nation won the most gold medals?", []), ("totally", [])])
def test_the_words_that_ask_for_what_the_language_lacks(question, lacking):
    assert [f["operation"] for f in cannot_say(question)] == lacking


def test_the_trace_warns_and_says_what_is_missing():
    columns, rows = ["Nation", "Gold"], [["Cuba", 5], ["Peru", 3]]
    vocab = build_vocab([], 1)
    net = seeded(lambda: NeuralProgrammer(ModelConfig(vocab_size=len(vocab), d=8), vocab), 0).eval()
    trace = ask_table(net, vocab, columns, rows, "what is the total of gold?", notes=["a note"])
    assert trace["extra"]["cannot_say"] == [{"asked": "a total", "operation": "sum", "word": "total"}]
    assert trace["warnings"][0] == "a note" and "no sum operation" in trace["warnings"][1]
    assert ask_table(net, vocab, columns, rows, "which nation won most gold?")["warnings"] == []
