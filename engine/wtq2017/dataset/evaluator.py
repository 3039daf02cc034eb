"""WikiTableQuestions accuracy with the benchmark's rules (Pasupat & Liang's evaluator 1.0.2), written here.

A denotation is a list of answer strings. Each string becomes a value:

- a number, when the whole string is one ("1,000", "2.0", "-3") or an ISO date with only the year
  ("1990-xx-xx"); a bare year ("2005") is therefore a number;
- a date (year, month, day; -1 for unknown fields) when the whole string is a date with a month
  ("January 3, 2005", "2005-01-03", "xx-01-03"; engine/wtq2017/dataset/values.py lists the forms);
- otherwise a string.

Every value also carries `normalize(original text)`: diacritics removed, typographic quotes and dashes made
ASCII, trailing citations ("[1]", "*", "†") and trailing parenthesised details removed, outer double quotes
removed (these three repeated until nothing changes), one final period removed, whitespace collapsed,
lower case.

A target item matches a predicted item when their normalized texts are equal, or both are numbers within
1e-6, or both are dates with all three fields equal. The prediction is correct when, after duplicates are
merged (equal numbers, equal dates, equal normalized strings), both lists have the same size and every
target item matches some predicted item.

Where this differs from the official script: the official evaluator reads the targets' numbers and dates
from CoreNLP annotations (not shipped in shared/) and expects predictions already in canonical form, as
SEMPRE writes them; we canonicalise both sides with the one parser above, so a predicted cell "1,000"
is the number 1000 as the table's annotation would have made it. docs/wtq.md has the details.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from engine.wtq2017.dataset.values import plain_punctuation, whole_date, whole_number

__all__ = ["normalize", "WtqValue", "to_value", "to_values", "values_match", "denotation_match", "denotation_accuracy"]

_CITATION = re.compile(r"((?<!^)\[[^\]]*\]|\[\d+\]|[\u2022\u2666\u2020\u2021*#+])*$")
_PARENTHESIS = re.compile(r"(?<!^)( \([^)]*\))*$")
_OUTER_QUOTES = re.compile(r'^"([^"]*)"$')
_SPACES = re.compile(r"\s+")
NUMBER_TOLERANCE = 1e-6


def normalize(text: str) -> str:
    """The official string normalisation (module docstring), for any text."""
    x = str(text).replace("`", "'")
    if not x.isascii():  # diacritics, typographic quotes and dashes only occur outside ASCII
        x = unicodedata.normalize("NFKD", x)
        x = "".join(ch for ch in x if unicodedata.category(ch) != "Mn")
        x = plain_punctuation(x)
    while True:  # each rule can uncover another: 'Paris (France) [1]' -> 'Paris (France)' -> 'Paris'
        before = x
        x = _CITATION.sub("", x.strip())
        x = _PARENTHESIS.sub("", x.strip())
        x = _OUTER_QUOTES.sub(r"\1", x.strip())
        if x == before:
            break
    if x.endswith("."):
        x = x[:-1]
    return _SPACES.sub(" ", x).lower().strip()


@dataclass(frozen=True)
class WtqValue:
    """One answer item: kind "number", "date" or "string", its normalized text and its parsed value."""

    kind: str
    normalized: str
    amount: float | None = None  # numbers
    ymd: tuple[int, int, int] | None = None  # dates (-1 = unknown field)

    @property
    def key(self) -> tuple:
        """What makes two items the same item when a denotation's duplicates are merged."""
        if self.kind == "number":
            return "number", _rounded(self.amount)
        if self.kind == "date":
            return "date", self.ymd
        return "string", self.normalized


def _rounded(amount: float) -> float:
    # the official NumberValue keeps an int when the amount is within 1e-6 of one: 2.0000001 merges with 2
    return float(round(amount)) if abs(amount - round(amount)) < NUMBER_TOLERANCE else amount


def to_value(item: str | int | float) -> WtqValue:
    """The value of one answer item (a string, or a number such as a predicted count)."""
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        if not math.isfinite(item):
            return WtqValue("string", normalize(str(item)))
        amount = _rounded(float(item))
        text = str(int(amount)) if amount.is_integer() else repr(amount)
        return WtqValue("number", normalize(text), amount=amount)
    text = str(item)
    normalized = normalize(text)
    number = whole_number(text)
    if number is not None:
        return WtqValue("number", normalized, amount=number)
    ymd = whole_date(text)
    if ymd is not None:
        if ymd[1] == ymd[2] == -1:
            return WtqValue("number", normalized, amount=float(ymd[0]))
        return WtqValue("date", normalized, ymd=ymd)
    return WtqValue("string", normalized)


def to_values(items) -> list[WtqValue]:
    """The values of a denotation with duplicates merged (first occurrence kept, order kept)."""
    seen, out = set(), []
    for item in items:
        value = to_value(item)
        if value.key not in seen:
            seen.add(value.key)
            out.append(value)
    return out


def values_match(target: WtqValue, predicted: WtqValue) -> bool:
    """Whether a predicted item matches a target item (module docstring)."""
    if target.normalized == predicted.normalized:
        return True
    if target.kind == predicted.kind == "number":
        return abs(target.amount - predicted.amount) < NUMBER_TOLERANCE
    if target.kind == predicted.kind == "date":
        return target.ymd == predicted.ymd
    return False


def denotation_match(predicted: list, target: list) -> bool:
    """Whether a predicted denotation is correct for a target denotation (lists of strings or numbers)."""
    if isinstance(predicted, (str, bytes)) or isinstance(target, (str, bytes)):
        raise TypeError("denotation_match takes lists of answer items, not a single string")
    want, got = to_values(target), to_values(predicted)
    if len(want) != len(got):
        return False
    return all(any(values_match(t, p) for p in got) for t in want)


def denotation_accuracy(examples, unreadable: int = 0) -> dict:
    """Accuracy of examples carrying "target" and a predicted "denotation" (a missing one is wrong), overall and
    by wtq.answer_type. `unreadable`: examples the converter could not write (its report's "dropped"
    "unreadable"), counted wrong, so the denominator is every question of the split."""
    by_type: dict[str, list[int]] = {}
    for ex in examples:
        if "target" not in ex:
            continue
        kind = (ex.get("wtq") or {}).get("answer_type", "unknown")
        right = denotation_match(list(ex.get("denotation") or []), list(ex["target"]))
        counts = by_type.setdefault(kind, [0, 0])
        counts[0] += int(right)
        counts[1] += 1
    if unreadable:
        by_type.setdefault("unreadable", [0, 0])[1] += unreadable
    correct = sum(c for c, _ in by_type.values())
    total = sum(n for _, n in by_type.values())
    per_type = {k: {"correct": c, "total": n, "accuracy": c / n} for k, (c, n) in sorted(by_type.items())}
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total,
            "by_answer_type": per_type}
