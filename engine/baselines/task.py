"""The simplified single-column task of the LSTM baselines (spec §8.2, P16 §3.2.2) and its tokens.

P16 gives only an outline ("single column, scalar answers, 4-7 elements in [-10, 10], fresh examples every
step"). Our choices:
- Table: one numeric column "A", 4-7 rows (uniform) of uniform **integers** in [-10 s, 10 s], s the `scale` (1 for
  training and the main test, 5 for the scaled test), so every answer is an integer: "correct" is an exact match.
- Questions: the 16 scalar-answer templates of the single-column grammar (spec §7.2's 23 minus the 7 print ones)
  in the generator's text format (`greater 3 A and lesser -7 A sum A`, `sum A diff count`): a category, then a
  template within it, drawn uniformly as engine.np2016.data.tasks does; pivots uniform in the cells' range.
- Answers: `answer()`, tasks.reference_answer of the question, its own program (tests check it against pandas).
- Tokens: numbers written as their characters ("-12" -> "-", "1", "2"), so 19 input symbols read a number of any
  size, the scaled test's included; the table is "[T] v1 | v2 | ... | vM", the question "[Q] w1 w2 ...", and
  `table_first` puts the table first. Answers are decoded as characters (sign, digits), then "<eos>".
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from engine.core.vocab import tokenize
from engine.np2016.batch import cell_number
from engine.np2016.data import tasks
from engine.np2016.data import templates as tg
from engine.np2016.data.templates import OP_WORDS

BASE_RANGE = 10  # cells and pivots are integers in [-BASE_RANGE * scale, BASE_RANGE * scale]
MIN_ROWS, MAX_ROWS = 4, 7
MAX_DIGITS = 6  # the largest cell or pivot magnitude a user's input may have: 999999
COLUMN = "A"
TASK_NAME = "baseline-simple"

IN_TOKENS = ("<pad>", "[T]", "[Q]", "|", "-", *"0123456789", COLUMN.lower(),
             "sum", "count", "greater", "lesser", "and", "or", "diff")
OUT_TOKENS = ("<pad>", "<bos>", "<eos>", "-", *"0123456789")
IN_ID = {t: i for i, t in enumerate(IN_TOKENS)}
OUT_ID = {t: i for i, t in enumerate(OUT_TOKENS)}
PAD, BOS, EOS = 0, OUT_ID["<bos>"], OUT_ID["<eos>"]


# category -> scalar-answer templates of the single-column grammar, rendered with column A
TEMPLATES = {cat: [tg.render(t, [COLUMN]) for t in pool if "print" not in t]
             for cat, pool in tg.canonical(0, 1).items()}
ALL_TEMPLATES = [t for pool in TEMPLATES.values() for t in pool]


def answer(values: list[int], question: str) -> int:
    """The answer of a filled question over column A's values: the question is its own canonical program, run by
    the synthetic dataset's interpreter."""
    try:
        return int(tasks.reference_answer([COLUMN], [[v] for v in values], question)["scalar"])
    except (KeyError, IndexError, ValueError):  # another program ("print A"), another column, not a program
        raise ValueError(f"not a simplified-task question: {question!r}") from None


def sample(n: int, rng: np.random.Generator, scale: int = 1) -> list[dict]:
    """n fresh examples in the engine's JSONL form (scalar answers, "program" = the template)."""
    lim = BASE_RANGE * scale
    cats = list(TEMPLATES)
    out = []
    for _ in range(n):
        m = int(rng.integers(MIN_ROWS, MAX_ROWS + 1))
        values = rng.integers(-lim, lim + 1, size=m).tolist()
        pool = TEMPLATES[cats[rng.integers(len(cats))]]
        template = pool[rng.integers(len(pool))]
        fill = {p: str(int(rng.integers(-lim, lim + 1))) for p in ("[n]", "[n1]", "[n2]")}
        question = " ".join(fill.get(w, w) for w in template.split())
        out.append({"columns": [COLUMN], "rows": [[v] for v in values], "question": question,
                    "answer": {"scalar": float(answer(values, question))}, "program": template,
                    "canonical_question": question, "task": TASK_NAME, "scale": scale})
    return out


def generate(n: int, seed: int, scale: int = 1) -> list[dict]:
    """n examples, deterministic in (seed, scale)."""
    return sample(n, np.random.default_rng([seed, scale, 8_2]), scale)


def _number(word: str) -> int | None:
    body = word[1:] if word.startswith("-") else word
    return int(word) if body.isdigit() else None


def input_tokens(values: list[int], question: str, table_first: bool) -> list[str]:
    """The model's input symbols; raises KeyError for a word outside IN_TOKENS."""
    table = ["[T]"]
    for i, v in enumerate(values):
        table += (["|"] if i else []) + list(str(int(v)))
    words = ["[Q]"]
    for w in question.lower().split():
        words += list(str(n)) if (n := _number(w)) is not None else [w]
    for w in words:
        if w not in IN_ID:
            raise KeyError(w)
    return table + words if table_first else words + table


def example_tokens(ex: dict, table_first: bool) -> list[str]:
    return input_tokens([r[0] for r in ex["rows"]], ex["question"], table_first)


def answer_text(ex: dict) -> str:
    """The target string of an example ("-12")."""
    return str(int(round(ex["answer"]["scalar"])))


# ----------------------------------------------------------------------------- user input and tensors

def read_table(columns: list[str], rows: list[list]) -> list[int] | None:
    """Column A's integer values, or None unless the table has one column, MIN_ROWS..MAX_ROWS rows
    and only integer cells of at most MAX_DIGITS digits."""
    if len(columns) != 1 or not MIN_ROWS <= len(rows) <= MAX_ROWS:
        return None
    values = []
    for r in rows:
        x = cell_number(r[0]) if len(r) == 1 else None
        if x is None or x != int(x) or abs(x) >= 10 ** MAX_DIGITS:
            return None
        values.append(int(x))
    return values


_PHRASES = [(tuple(f.split()), op) for op, forms in OP_WORDS.items() if op != "print" for f in [op, *forms]]
_PHRASES = sorted(set(_PHRASES) | {(("and",), "and"), (("or",), "or")}, key=lambda p: -len(p[0]))


def normalise_question(column: str, question: str) -> str | None:
    """The question in the canonical words the models know (synonyms and the column's name mapped,
    "difference" -> "diff"), or None if a word is unknown or a number is not a small integer."""
    words, out, i = tokenize(question), [], 0
    name = tuple(tokenize(column)) or ("a",)
    phrases = [(name, COLUMN), *_PHRASES]
    while i < len(words):
        if (x := cell_number(words[i])) is not None:
            if x != int(x) or abs(x) >= 10 ** MAX_DIGITS:
                return None
            out.append(str(int(x)))
            i += 1
            continue
        hit = next(((p, w) for p, w in phrases if tuple(words[i:i + len(p)]) == p), None)
        if hit is None:
            return None
        out.append(hit[1])
        i += len(hit[0])
    return " ".join(out) if out else None


def encode_inputs(token_lists: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids (B, L) right-padded, lengths (B,))."""
    ids = pad_sequence([torch.tensor([IN_ID[t] for t in toks]) for toks in token_lists], batch_first=True)
    return ids, torch.tensor([len(t) for t in token_lists])


def encode_targets(texts: list[str]) -> torch.Tensor:
    """(B, T) <bos> chars <eos> <pad>...; decoder input is [:, :-1], target [:, 1:]."""
    return pad_sequence([torch.tensor([BOS, *(OUT_ID[ch] for ch in t), EOS]) for t in texts], batch_first=True)
