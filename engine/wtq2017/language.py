"""What the 2017 model's language cannot say, read off the question: its 15 operations count rows and print cells,
but never add, average or subtract values (spec §4.2). A question asking for one of those gets an answer anyway,
which is right only when the table happens to hold it; the trace says so (issue 21, item 7)."""

from __future__ import annotations

import re

# (what is asked, the operation the language lacks, the words that ask for it); whole words, lower case
MISSING = (
    ("a total", "sum", ("total", "sum", "altogether", "combined")),
    ("an average", "average", ("average", "averages", "mean")),
    ("a difference", "difference", ("difference", "how many more", "how much more", "how many fewer",
                                    "how much less", "how much higher", "how much lower", "how many less")),
)
# the operation of the larger language (ModelConfig.ops "extended") that says each: a model that has it can say it
SAID_BY = {"sum": "sum", "average": "average", "difference": "diff"}
_PATTERNS = [(asked, op, re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b"))
             for asked, op, words in MISSING]


def cannot_say(question: str, ops: tuple[str, ...] = ()) -> list[dict]:
    """Per operation the question asks for and the language lacks: {"asked", "operation", "word"}. `ops`: the
    model's operations (a model with sum can say a total)."""
    text = question.lower()
    found = []
    for asked, op, pattern in _PATTERNS:
        if SAID_BY[op] in ops:
            continue
        if op == "average" and re.search(r"\bwhat (does|do|did) .* mean\b", text):
            continue  # "what does X mean" asks for a meaning, not a mean
        if op == "sum" and re.search(r"\btotal (number|count|amount of times)\b|^how many\b", text):
            continue  # "the total number of …", "how many … in total": a count, which the language has
        if match := pattern.search(text):
            found.append({"asked": asked, "operation": op, "word": match.group(1)})
    return found


def warning(found: dict) -> str:
    return (f"the question asks for {found['asked']} (“{found['word']}”), and the real-tables model has no "
            f"{found['operation']} operation: it can count rows or print cells, so this answer is right only if the "
            "table holds that value")
