"""Tokenisation of questions and column names, and the word vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.core.limits import NUMBER_MAX_ABS

PAD, UNK = "<pad>", "<unk>"
_STRIP = "?!,;:\"'()[]{}."
# A number: optional sign; digits, where commas may group thousands ("1,500", "12,345,678", never
# "1,5", which is ambiguous); an optional decimal point; an optional exponent ("1e3", "2.5E-4").
_NUMBER = re.compile(r"^[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$", re.ASCII)


def tokenize(text: str) -> list[str]:
    """Lower-case whitespace tokens with surrounding punctuation removed ('sales?' -> 'sales')."""
    tokens = []
    for raw in str(text).split():
        tok = (raw.strip(_STRIP) if not _NUMBER.match(raw.rstrip("?!,;.")) else raw.rstrip("?!,;")).lower()
        if tok.endswith(".") and parse_number(tok) is None:
            tok = tok.rstrip(".")
        if tok:
            tokens.append(tok)
    return tokens


def number_value(token: str) -> float | None:
    """The float a token spells when it has the syntax of a number, even if it overflows or is
    larger than NUMBER_MAX_ABS ('1e999' -> inf); None for anything else (words, 'nan', 'inf')."""
    if not _NUMBER.fullmatch(token):
        return None
    return float(token.replace(",", ""))  # the regex admits only what float() reads


def parse_number(token: str) -> float | None:
    """A finite float within ±NUMBER_MAX_ABS for a numeric token ('1,500', '-3.25', '1e3'), else None."""
    value = number_value(token)
    return value if value is not None and abs(value) <= NUMBER_MAX_ABS else None


@dataclass
class Question:
    """A question split the paper's way (spec §2.1): words without numbers, and the numbers."""

    words: list[str]  # tokens with numbers removed
    numbers: list[float]  # qn_1..qn_N in order of appearance
    number_left: list[int]  # index in `words` of the token left of each number (0 if none)


def lone_column_words(tokens: list[str], columns: list[str] | None) -> list[str]:
    """`tokens` without the name of a one-column table's only column: with one column the name says nothing,
    so `sum A` and `sum` (the paper's Table 4 form) read alike whatever a model was trained on. Tokens are
    kept when the name is all there is or the table has more (or no) columns."""
    if not columns or len(columns) != 1:
        return tokens
    name = tokenize(columns[0])
    n = len(name)
    if not n:
        return tokens
    out, i = [], 0
    while i < len(tokens):
        if tokens[i:i + n] == name:
            i += n
        else:
            out.append(tokens[i])
            i += 1
    return out if any(parse_number(t) is None for t in out) else tokens


def split_question(text: str, columns: list[str] | None = None) -> Question:
    """The question as the model reads it; `columns`: the table's (a lone column's name is dropped)."""
    words, numbers, left = [], [], []
    for tok in lone_column_words(tokenize(text), columns):
        value = parse_number(tok)
        if value is None:
            words.append(tok)
        else:
            numbers.append(value)
            left.append(max(len(words) - 1, 0))
    return Question(words, numbers, left)


class Vocab:
    """Word <-> id map; id 0 is padding (a zero embedding), id 1 stands for every unknown word."""

    def __init__(self, words):
        # lower-cased like the tokenizer, so column letters "A" and question words "a" are one word
        self.words = [PAD, UNK] + sorted({w.lower() for w in words if w not in (PAD, UNK)})
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def id(self, word: str) -> int:
        return self.index.get(word, 1)

    def unknown(self, words) -> list[str]:
        """The words (in order, without repeats) this vocabulary does not know."""
        return list(dict.fromkeys(w for w in words if w not in self.index and parse_number(w) is None))
