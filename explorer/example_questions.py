"""Plain-English example questions for the real-tables model (2017): a WikiTableQuestions sample table's own
suggestions (explorer/real_table_samples.py), or, for any other table, a few built from its columns and cells
(a superlative, a comparison with a number of the table, a count, a lookup). No Streamlit here.
"""

from __future__ import annotations

from explorer import real_table_samples

MAX_EXAMPLES = 4


def _number(values: list) -> str | None:
    """A round number inside the column's range (its median, as the table writes numbers)."""
    nums = sorted(float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool))
    if not nums:
        return None
    mid = nums[len(nums) // 2]
    return str(int(mid)) if float(mid).is_integer() else f"{mid:g}"


def plain_examples(columns: list[str], rows: list[list], kinds: list[str], sample_id: str | None = None) -> list[str]:
    """Up to MAX_EXAMPLES plain-English questions about the table."""
    if suggested := real_table_samples.suggested_questions(sample_id or ""):
        return suggested[:MAX_EXAMPLES]
    if not columns or not rows:
        return []
    text = [j for j, k in enumerate(kinds) if k != "numeric"]
    key = text[0] if text else 0  # the column that names a row (the first text one, else the first)
    num = [j for j, k in enumerate(kinds) if k == "numeric" and j != key]
    name = columns[key]
    out = []
    if num:
        n = columns[num[0]]
        out.append(f"which {name} has the highest {n}?")
        pivot = _number([row[num[0]] for row in rows])
        if pivot is not None:
            out.append(f"how many rows have {n} above {pivot}?")
    out += ["how many rows are there?", f"what is the last {name}?"]
    return out[:MAX_EXAMPLES]
