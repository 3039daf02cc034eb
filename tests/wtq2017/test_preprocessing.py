"""Pre-processing switches of the 2017 model (issue 21, item 3), each against a hand-computed value: the entry-match
count in each column's vector (exact matches only, or every matching cell as the TF code counts them) and the column
name from its first word or all its words; cell text matched without its asides; dates matched by value."""

from __future__ import annotations

import torch

from engine.core.seeded_init import seeded
from engine.wtq2017.batch import build_vocab, encode_batch
from engine.wtq2017.checkpoint import ADDED
from engine.wtq2017.config import ModelConfig
from engine.wtq2017.dataset.values import without_asides
from engine.wtq2017.features import PAPER_PREPROCESSING, Preprocessing
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.predict import from_table, with_wtq

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


# ----------------------------------------------------------------------------- cell text and dates (issue 21, item 3)

DATED_COLUMNS = ["Date", "Nation", "Score"]
DATED_ROWS = [["January 3, 2005", "United States (USA)", "3"], ["March 5, 2006", "Chile[1]", "4"],
              ["2005-07-01", "\u201cPeru\u201d", "5"]]


def matched(question: str, cell_text: str = "as_is", dates: str = "text") -> dict:
    """The wtq block of the question against DATED_ROWS, matched with the given switches."""
    return from_table(DATED_COLUMNS, DATED_ROWS, question, preprocessing=Preprocessing(cell_text, dates))["wtq"]


def test_without_asides_by_hand():
    assert without_asides("United States (USA)") == "United States"
    assert without_asides("Paris[3]") == "Paris"
    assert without_asides("\"Hello\"") == "Hello"
    assert without_asides("Smith\u2020") == "Smith"
    assert without_asides("(1)") == "(1)"  # nothing else left: the text itself


def test_normalised_cell_text_matches_exactly_what_was_partial():
    as_is = matched("what did united states score?")
    assert as_is["entry_match_kind"] == "partial" and as_is["entry_match"] == [[0, 1]]
    normalised = matched("what did united states score?", cell_text="normalised")
    assert normalised["entry_match_kind"] == "exact" and normalised["entry_match"] == [[0, 1]]
    assert normalised["entry_match_count"] == [0, 1, 0]
    assert normalised["anonymised"] == [[2, 4]]  # "united states" hidden, as any exact match of a word cell
    assert matched("what did peru score?", cell_text="normalised")["entry_match"] == [[2, 1]]  # quotes gone
    assert "preprocessing" not in as_is and normalised["preprocessing"] == {"cell_text": "normalised",
                                                                            "dates": "text"}


def test_a_date_by_value_is_one_number_and_matches_its_cells():
    as_text = matched("score after march 5, 2006")
    assert as_text["numbers"] == [] and as_text["anonymised"] == [[2, 6]]  # the date cell's tokens, hidden
    by_value = matched("score after march 5, 2006", dates="value")
    assert by_value["numbers"] == [20060305.0]  # TF's date value, one number
    assert by_value["words"][:2] == ["score", "after"] and by_value["number_positions"] == [1]
    assert by_value["entry_match"] == [[1, 0]]  # the date cell, not the Score cell "5" inside the date
    assert by_value["anonymised"] == []


def test_a_year_matches_the_date_cells_of_that_year():
    assert matched("how many games in 2005?")["entry_match"] == []
    by_value = matched("how many games in 2005?", dates="value")
    assert by_value["entry_match"] == [[0, 0], [2, 0]] and by_value["entry_match_count"] == [2, 0, 0]
    assert by_value["numbers"] == [2005.0]  # still a number to compare with


def test_a_month_alone_or_may_as_a_verb_is_no_date():
    assert matched("who may win in march?", dates="value")["numbers"] == []
    assert matched("who may win in march?", dates="value")["entry_match_kind"] != "exact"


def test_a_line_is_matched_again_for_a_model_with_other_switches():
    line = from_table(DATED_COLUMNS, DATED_ROWS, "what did united states score?", target=["3"])
    assert with_wtq(line) is line  # converted as the paper does: read as it is
    again = with_wtq(line, Preprocessing("normalised", "value"))
    assert again["wtq"]["entry_match_kind"] == "exact" and again["wtq"]["answer_type"] == line["wtq"]["answer_type"]
    assert with_wtq(again, Preprocessing("normalised", "value")) is again


def test_switches_are_model_settings_old_files_read_as_the_paper():
    assert ModelConfig().preprocessing == PAPER_PREPROCESSING
    assert ADDED["cell_text"] == "as_is" and ADDED["dates"] == "text"
    config = ModelConfig(cell_text="normalised", dates="value")
    assert config.preprocessing == Preprocessing("normalised", "value")
