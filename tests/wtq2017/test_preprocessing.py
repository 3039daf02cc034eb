"""Pre-processing switches of the 2017 model (issue 21, item 3), each against a hand-computed value: the entry-match
count in each column's vector (exact matches only, or every matching cell as the TF code counts them) and the column
name from its first word or all its words."""

from __future__ import annotations

import torch

from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.predict import from_table

COLUMNS = ["Nation", "Gold medals"]
ROWS = [["United States (USA)", 5], ["United Kingdom", 2], ["Chile", 7], ["Chile", 3]]


def column_vectors(question: str, **settings):
    ex = from_table(COLUMNS, ROWS, question)
    vocab = build_vocab([ex], 1)
    config = ModelConfig(number_columns=1, word_columns=1, **settings, vocab_size=len(vocab))
    model = seeded(lambda: NeuralProgrammer(config, vocab), 0).eval()
    batch = encode_batch([ex], vocab, config)
    entry = model.word(model.entry_match_id)
    return model, vocab, batch, model.column_vectors(batch), entry


def count_of(question: str, match_count: str) -> list[float]:
    """n^match of each slot (Gold medals, Nation), read back from the column vectors."""
    model, vocab, batch, vectors, entry = column_vectors(question, match_count=match_count)
    names = torch.stack([model.word(batch.name_ids[0, s, 0]) for s in range(2)])
    return ((vectors[0] - names) @ entry / entry.dot(entry)).round(decimals=4).tolist()


def test_exact_matches_count_the_same_either_way():
    assert count_of("how many gold medals did chile win?", "exact") == [0.0, 2.0]
    assert count_of("how many gold medals did chile win?", "matched") == [0.0, 2.0]


def test_partial_matches_count_only_when_matched():
    # "united" is a word of two Nation cells but no cell is exactly "united": the partial fallback fires
    assert count_of("which united nation won the most?", "exact") == [0.0, 0.0]
    assert count_of("which united nation won the most?", "matched") == [0.0, 2.0]


def test_the_column_name_from_all_its_words():
    model, vocab, batch, first, _ = column_vectors("how many gold medals did chile win?", column_name="first")
    _, _, _, mean, _ = column_vectors("how many gold medals did chile win?", column_name="mean")
    gold, medals = model.word.weight[vocab.id("gold")], model.word.weight[vocab.id("medals")]
    assert torch.allclose(mean[0, 0] - first[0, 0], (gold + medals) / 2 - gold, atol=1e-6)
