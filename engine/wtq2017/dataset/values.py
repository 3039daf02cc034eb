"""Numbers, dates and tokens in WikiTableQuestions text: the parsing the converter and the evaluator share.

The 2017 pre-processing (spec §3.2) read these from CoreNLP annotations ("tagged" files) that are not in
shared/; this module is our stand-in, with rules of ours that docs/wtq.md lists ("Choices" 1-5)."""

from __future__ import annotations

import re
import unicodedata

from engine.core.limits import NUMBER_MAX_ABS

__all__ = ["MONTHS", "STOP_WORDS", "content", "content_words", "fold", "tokens", "whole_number", "whole_date",
           "date_number", "cell_number", "token_number", "NUMBER_WORDS", "without_asides"]

MONTHS = {name: i + 1 for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9

# Question words CoreNLP tags as numbers. "one" is left out: "which one", "one of" are far more often
# words than the number 1 in these questions.
NUMBER_WORDS = {w: float(i) for i, w in enumerate(
    ["zero", "", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
     "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]) if w}

# Words that never make a match on their own (a cell "the" would otherwise match every question).
STOP_WORDS = frozenset("""
a an the of in on at to for by with from and or but as is was were are be been being am do does did has have had
what which who whom whose when where why how many much that this these those it its their his her they he she
there than then so if not no into onto over under about per 's s
""".split())

_PLAIN = str.maketrans("\u2018\u2019\u00b4`\u201c\u201d\u2010\u2011\u2012\u2013\u2014\u2212", "''''\"\"------")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
_NUMBER_INSIDE = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*[^\W_]*|[^\W\d_]+|'s\b|[^\w\s]|_")
_ISO = re.compile(r"(\d{4}|xx|xxxx)-(\d{1,2}|xx)(?:-(\d{1,2}|xx))?")  # a 4-digit year: "7-1" is a score
_MONTH = r"(?P<month>[a-z]{3,9})\.?"
_DATE_FORMS = [
    re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{1,4}})"),  # January 3, 2005
    re.compile(rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{1,4}})"),  # 3 January 2005
    re.compile(rf"{_MONTH},?\s+(?P<year>\d{{4}})"),  # January 2005
    re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"),  # January 3
    re.compile(rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"),  # 3 January
]


def plain_text(text) -> str:
    """Diacritics removed; curly quotes, accents used as quotes and every dash made ASCII (the evaluator and
    the tokeniser treat them alike)."""
    text = str(text).replace("`", "'")
    if text.isascii():  # the common case: nothing else to do
        return text
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn")
    return text.translate(_PLAIN)


# An aside in a cell: a parenthesised or bracketed part, a footnote mark, a quotation mark
_ASIDE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|[\u2020\u2021\u00a7\u00b6\u201c\u201d*#^\"]+")


def without_asides(text: str) -> str:
    """A cell's text without its asides: "United States (USA)" -> "United States", "Paris[3]" -> "Paris",
    "\"Hello\"" -> "Hello", "Smith\u2020" -> "Smith"; the text itself when nothing else is left."""
    stripped = " ".join(_ASIDE.sub(" ", text).split())
    return stripped or text


def fold(text: str) -> str:
    """Lower case, diacritics removed, typographic quotes and dashes made ASCII: the form every match uses."""
    return plain_text(text).lower()


def tokens(text: str) -> list[str]:
    """The tokens of a question, cell or column name, folded: numbers keep their commas and decimals, "'s" is
    a token, every other punctuation mark is a token of its own."""
    return _TOKEN.findall(fold(text))


def content(toks) -> set[str]:
    """The tokens that can make a match: not stop words, not punctuation."""
    return {t for t in toks if t not in STOP_WORDS and any(ch.isalnum() for ch in t)}


def content_words(toks) -> set[str]:
    """Content tokens that are not numbers: what partial matches share (numbers match by value instead)."""
    return {t for t in content(toks) if token_number(t) is None}


def _finite(value: float) -> float | None:
    return value if abs(value) <= NUMBER_MAX_ABS else None


def whole_number(text: str) -> float | None:
    """The number the whole text spells ("1,500" -> 1500.0, "-2.5", "+3"; not "1,5", "$5", "5%", "1st"), else None."""
    s = str(text).strip().translate(_PLAIN)  # dashes as "-" (quotes never make a number)
    if not s or len(s) > 40 or not _NUMBER.fullmatch(s):
        return None
    return _finite(float(s.replace(",", "")))


def token_number(token: str) -> float | None:
    """The number a question token stands for: a numeral ("1,500") or a number word ("three")."""
    return value if (value := whole_number(token)) is not None else NUMBER_WORDS.get(token)


def _date_fields(year: str | None, month: int, day: str | None) -> tuple[int, int, int] | None:
    y = -1 if year is None or year.startswith("x") else int(year)
    d = -1 if day is None or day.startswith("x") else int(day)
    if not (month == -1 or 1 <= month <= 12) or not (d == -1 or 1 <= d <= 31) or y == month == d == -1:
        return None
    return y, month, d


def whole_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) with -1 for unknown fields when the whole text is a date, else None.

    A bare year ("2005") is a number, not a date; "1990-xx-xx" is (1990, -1, -1), which callers treat as
    the number 1990, as the official evaluator turns year-only dates into numbers."""
    s = fold(str(text)).strip()
    if not s or len(s) > 40 or not (s[0].isdigit() or s[0] in "x" or s[0].isalpha()):
        return None
    if m := _ISO.fullmatch(s):
        month = -1 if m.group(2).startswith("x") else int(m.group(2))
        if m.group(3) is None and m.group(1).startswith("x"):
            return None  # "xx-05" is not a date form
        return _date_fields(m.group(1), month, m.group(3))
    for form in _DATE_FORMS:
        if (m := form.fullmatch(s)) and m.group("month") in MONTHS:
            groups = m.groupdict()
            return _date_fields(groups.get("year"), MONTHS[m.group("month")], groups.get("day"))
    return None


def date_number(ymd: tuple[int, int, int]) -> float:
    """TF's processed value of a date: its ISO form with unknown fields and dashes removed
    (1990-XX-XX -> 1990, 2005-01-03 -> 20050103, XXXX-01-03 -> 103)."""
    year, month, day = ymd
    digits = "".join(f"{v:0{w}d}" for v, w in ((year, 4), (month, 2), (day, 2)) if v != -1)
    return float(int(digits))


def cell_number(text: str | None) -> float | None:
    """The processed value comparison, argmax and argmin use (spec §3.2): the whole number, else the date's
    date_number, else the first number inside the text ("4th, Western" -> 4), else None (TF's "bad number")."""
    if text is None:
        return None
    if (value := whole_number(text)) is not None:
        return value
    if (ymd := whole_date(text)) is not None:
        return date_number(ymd)
    m = _NUMBER_INSIDE.search(str(text)[:200])
    return _finite(float(m.group().replace(",", ""))) if m else None
