"""Tokenisation of questions and column names, and the word vocabulary."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

PAD, UNK = "<pad>", "<unk>"
_STRIP = "?!,;:\"'()[]{}."
_NUMBER = re.compile(r"^[-+]?(\d[\d,]*(\.\d*)?|\.\d+)$")


def tokenize(text: str) -> list[str]:
    """Lower-case whitespace tokens with surrounding punctuation removed ('sales?' -> 'sales')."""
    tokens = []
    for raw in str(text).split():
        tok = raw.strip(_STRIP) if not _NUMBER.match(raw.rstrip("?!,;.")) else raw.rstrip("?!,;")
        tok = tok.lower()
        if tok.endswith(".") and parse_number(tok) is None:
            tok = tok.rstrip(".")
        if tok:
            tokens.append(tok)
    return tokens


def parse_number(token: str) -> float | None:
    """A finite float for a numeric token ('1,500', '-3.25'), else None."""
    if not _NUMBER.match(token):
        return None
    try:
        value = float(token.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass
class Question:
    """A question split the paper's way (spec §2.1): words without numbers, and the numbers."""

    words: list[str]  # tokens with numbers removed
    numbers: list[float]  # qn_1..qn_N in order of appearance
    number_left: list[int]  # index in `words` of the token left of each number (0 if none)


def split_question(text: str) -> Question:
    words, numbers, left = [], [], []
    for tok in tokenize(text):
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
        seen, out = set(), []
        for w in words:
            if w not in self.index and parse_number(w) is None and w not in seen:
                seen.add(w)
                out.append(w)
        return out
