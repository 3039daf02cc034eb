"""WikiTableQuestions accuracy with the benchmark's rules (Pasupat & Liang's evaluator 1.0.2), written here.

docs/wtq.md ("The evaluator") gives the rules (values, normalisation, matching, duplicates) and where ours differs
from the official script: without CoreNLP's annotations or SEMPRE's canonical predictions, both sides go through
one parser (engine/wtq2017/dataset/values.py), so a predicted cell "1,000" is the number 1000."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from engine.wtq2017.dataset.values import plain_text, whole_date, whole_number

__all__ = ["normalize", "WtqValue", "to_value", "to_values", "values_match", "denotation_match", "accuracy_by",
           "denotation_accuracy"]

_CITATION = re.compile(r"((?<!^)\[[^\]]*\]|\[\d+\]|[\u2022\u2666\u2020\u2021*#+])*$")
_PARENTHESIS = re.compile(r"(?<!^)( \([^)]*\))*$")
_OUTER_QUOTES = re.compile(r'^"([^"]*)"$')
_SPACES = re.compile(r"\s+")
NUMBER_TOLERANCE = 1e-6


def normalize(text: str) -> str:
    """The official string normalisation (docs/wtq.md), for any text."""
    x = plain_text(text)
    while True:  # each rule can uncover another: 'Paris (France) [1]' -> 'Paris (France)' -> 'Paris'
        before = x
        x = _CITATION.sub("", x.strip())
        x = _PARENTHESIS.sub("", x.strip())
        x = _OUTER_QUOTES.sub(r"\1", x.strip())
        if x == before:
            break
    return _SPACES.sub(" ", x.removesuffix(".")).lower().strip()


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
    if (number := whole_number(text)) is not None:
        return WtqValue("number", normalized, amount=number)
    if (ymd := whole_date(text)) is not None:
        if ymd[1] == ymd[2] == -1:
            return WtqValue("number", normalized, amount=float(ymd[0]))
        return WtqValue("date", normalized, ymd=ymd)
    return WtqValue("string", normalized)


def to_values(items) -> list[WtqValue]:
    """The values of a denotation with duplicates merged (first occurrence kept, order kept)."""
    merged: dict[tuple, WtqValue] = {}
    for value in map(to_value, items):
        merged.setdefault(value.key, value)
    return list(merged.values())


def values_match(target: WtqValue, predicted: WtqValue) -> bool:
    """Whether a predicted item matches a target item: equal normalized texts, numbers within 1e-6, equal dates."""
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
    return len(want) == len(got) and all(any(values_match(t, p) for p in got) for t in want)


def accuracy_by(pairs) -> dict:
    """{key: {"correct", "total", "accuracy"}} of (key, right) pairs, keys in the order first seen."""
    counts: dict = {}
    for key, right in pairs:
        counts.setdefault(key, [0, 0])[0] += int(right)
        counts[key][1] += 1
    return {k: {"correct": c, "total": n, "accuracy": c / n} for k, (c, n) in counts.items()}


def denotation_accuracy(examples, unreadable: int = 0) -> dict:
    """Accuracy of examples carrying "target" and a predicted "denotation" (a missing one is wrong), overall and
    by wtq.answer_type. `unreadable`: examples the converter could not write (its report's "dropped"
    "unreadable"), counted wrong, so the denominator is every question of the split."""
    pairs = [((ex.get("wtq") or {}).get("answer_type", "unknown"),
              denotation_match(list(ex.get("denotation") or []), list(ex["target"])))
             for ex in examples if "target" in ex]
    per_type = dict(sorted(accuracy_by(pairs + [("unreadable", False)] * unreadable).items()))
    correct = sum(v["correct"] for v in per_type.values())
    total = sum(v["total"] for v in per_type.values())
    return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total,
            "by_answer_type": per_type}
