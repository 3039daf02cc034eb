"""Program search for the 2017 family (issue 21): every program of the model's own language whose hard execution
answers a training question right, found by enumeration over row selections, bounded and cached beside the
converted data; the training loss over them is engine/core/marginal.py's, the one the synthetic family's search
uses too.

Why enumeration works here: in the 2017 language, seven operations ignore the rows selected before them (reset,
mfe, select and the four comparisons write a selection from the whole table; count and print write none). A step
that runs one of them makes every earlier step irrelevant, so a program is canonical when it starts with such a
"static" step: the steps before it are wildcards (−1), which the loss charges nothing (their probabilities sum to
one). What follows it reads the selection: prev, next, first, last, argmax and argmin; the last step counts or
prints. The search walks the row selections (Python ints used as bit sets: row i is bit i) breadth first from the
static ones, one step at a time, merging programs that reach the same selection.

Priors against spurious programs (a count that is right by chance, a print of the right cell reached by a detour):
the shortest programs first (the length of the first that answers, and one step more), ties broken by how many of
the program's columns the question grounds (its name or one of its cells appears in the question); at most
`limit` programs a question.
"""

from __future__ import annotations

import hashlib
import json
import operator
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.core.io.atomic import write_atomic
from engine.core.marginal import marginal_loss
from engine.core.vocab import Vocab
from engine.wtq2017.batch import encode_batch
from engine.wtq2017.config import ALL_OPS, OPS, ModelConfig
from engine.wtq2017.dataset.evaluator import denotation_match
from engine.wtq2017.decode import READS_COLUMN
from engine.wtq2017.features import PAPER_PREPROCESSING
from engine.wtq2017.ops import COMPARISONS, OP, SCALAR_OPS
from engine.wtq2017.predict import number_text

SEARCH_VERSION = 1  # bump when what counts as a program found changes: the cache is then rebuilt
STATIC = ("reset", "mfe", "select") + COMPARISONS  # ops whose rows do not depend on the rows before them
FOLLOWING = ("prev", "next", "first", "last", "argmax", "argmin")  # ops that read the rows before them
EDGES_PER_STATE = 6  # ways into one row selection that are kept (the shortest, most grounded first)

Program = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # ops (T), column slots (T), pivots (4)


def _bits(flags) -> int:
    return sum(1 << i for i, f in enumerate(flags) if f)


def _rows_of(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


class _Example:
    """One encoded question as Python ints: per column slot, its selections and value order."""

    def __init__(self, batch, b: int, names: tuple[str, ...]):
        m = int(batch.row_mask[b].sum())
        self.m, self.all = m, (1 << m) - 1
        self.slots = [s for s in range(batch.col_mask.shape[1]) if batch.col_mask[b, s] > 0]
        values, valid = batch.values[b, :m].T.tolist(), batch.valid[b, :m].T.tolist()  # per slot (C, R)
        self.values, self.valid, self.keys = values, valid, batch.cell_key[b, :m].T.tolist()
        entry, frequent = batch.entry_match[b, :m].T.tolist(), batch.most_frequent[b, :m].T.tolist()
        has = batch.number_mask[b].tolist()
        numbers = [n for n, h in zip(batch.numbers[b].tolist(), has, strict=True) if h] if has[0] else []
        grounded = (batch.name_match[b] > 0) | (batch.entry_match[b, :m] > 0).any(0)
        self.grounded = {s for s in self.slots if bool(grounded[s])}
        # (op, slot, pivot index, rows): every static step; pivot -1 where the op reads none
        self.static = [(OP["reset"], 0, -1, self.all)]
        for s in self.slots:
            self.static += [(OP["mfe"], s, -1, _bits(frequent[s])), (OP["select"], s, -1, _bits(entry[s]))]
            for name in COMPARISONS:
                for k, n in enumerate(numbers):
                    rows = [v is not None and ok and _COMPARE[name](v, n) for v, ok in zip(values[s], valid[s],
                                                                                           strict=True)]
                    self.static.append((OP[name], s, k, _bits(rows)))
        # rows by descending / ascending value per slot, ties in table order (hard_step's first row)
        self.desc = {s: sorted((i for i in range(m) if valid[s][i]), key=lambda i, s=s: -values[s][i])
                     for s in self.slots}
        self.asc = {s: sorted((i for i in range(m) if valid[s][i]), key=lambda i, s=s: values[s][i])
                    for s in self.slots}
        self.scalar_ops = [name for name in SCALAR_OPS if name in names]
        self.pairs = "and" in names  # the AND of two static selections, as one three-step move

    def scalar(self, name: str, rows: int, slot: int) -> float | None:
        """What a scalar op computes from `rows` of column `slot` (hard_step's rules); None: nothing to say."""
        if name == "count":
            return float(rows.bit_count())
        picked = _rows_of(rows)
        if name == "distinct":
            return float(len({self.keys[slot][i] for i in picked if self.keys[slot][i] >= 0}))
        numbers = [self.values[slot][i] for i in picked if self.valid[slot][i]]
        if not numbers:
            return None
        return {"sum": sum(numbers), "average": sum(numbers) / len(numbers),
                "diff": max(numbers) - min(numbers)}[name]

    def anded(self) -> list[tuple[int, list]]:
        """(rows, steps) of "S1; S2; and" for static selections S1, S2 whose AND is new (neither of them, not
        empty): a condition on two columns, or two conditions on one."""
        out, statics = [], [(op, s, k, rows) for op, s, k, rows in self.static if op != OP["reset"]]
        for n, (op1, s1, k1, r1) in enumerate(statics):
            for op2, s2, k2, r2 in statics[n + 1:]:
                both = r1 & r2
                if both and both != r1 and both != r2:
                    out.append((both, [(op1, s1, k1), (op2, s2, k2), (OP["and"], 0, -1)]))
        return out

    def following(self, rows: int):
        """(op, slot, rows after) for every step that reads `rows`."""
        low = rows & -rows
        yield OP["prev"], 0, rows >> 1
        yield OP["next"], 0, (rows << 1) & self.all
        yield OP["first"], 0, low
        yield OP["last"], 0, (1 << (rows.bit_length() - 1)) if rows else 0
        for s in self.slots:
            for name, order in (("argmax", self.desc[s]), ("argmin", self.asc[s])):
                yield OP[name], s, next((1 << i for i in order if rows >> i & 1), 0)


# the comparisons of ops.hard_step, on Python floats
_COMPARE = {"greater": operator.gt, "lesser": operator.lt, "geq": operator.ge, "leq": operator.le}


def search_example(ex: dict, batch, b: int, T: int, limit: int, edges: int = EDGES_PER_STATE,
                   names: tuple[str, ...] = OPS) -> list[Program]:
    """The programs (at most `limit`) of the language `names` whose answer matches example `ex`'s target, shortest
    first; `edges`: the ways into one row selection kept."""
    e = _Example(batch, b, names)
    slot_column = batch.slot_columns[b]
    target = [str(t) for t in ex["target"]]
    checked: dict[tuple, bool] = {}

    def right(rows: int, op: int, slot: int) -> bool:
        key = (rows, op, slot)
        if key not in checked:
            if op != OP["print"]:
                value = e.scalar(ALL_OPS[op], rows, slot)
                denotation = [] if value is None else [number_text(value)]
            else:
                denotation = [ex["rows"][r][slot_column[slot]] or "" for r in _rows_of(rows)]
            checked[key] = bool(denotation) and denotation_match(denotation, target)
        return checked[key]

    finals = [(OP["count"], 0)] + [(OP[name], s) for name in ("print", *e.scalar_ops[1:]) for s in e.slots]
    # level j: row selection -> up to `edges` ways in, (parent selection or None, [(op, slot, pivot), ...]), j steps
    level = {}
    for op, s, k, rows in sorted(e.static, key=lambda st: st[1] not in e.grounded):
        level.setdefault(rows, [])
        if len(level[rows]) < edges:
            level[rows].append((None, [(op, s, k)]))
    levels, found, shortest = [level], [], None
    for j in range(1, T):
        hits = [(rows, op, s) for rows in levels[-1] for op, s in finals if right(rows, op, s)]
        if hits:
            shortest = shortest or j
            found += [p for rows, op, s in hits for p in _paths(levels, j, rows, [(op, s, -1)], T)]
        if (shortest is not None and j > shortest) or j == T - 1:
            break
        following: dict[int, list] = {}
        for rows in levels[-1]:
            for op, s, after in e.following(rows):
                into = following.setdefault(after, [])
                if len(into) < edges:
                    into.append((rows, [(op, s, -1)]))
        if e.pairs and j == 2:  # the AND of two static selections is a three-step start
            for rows, steps in e.anded():
                into = following.setdefault(rows, [])
                if len(into) < edges:
                    into.append((None, steps))
        levels.append(following)
    ranked = sorted(set(found), key=lambda p: (sum(o >= 0 for o in p[0]),
                                                -sum(c in e.grounded for o, c in zip(*p[:2], strict=True) if o >= 0)))
    return ranked[:limit]


def _paths(levels: list[dict], j: int, rows: int, tail: list, T: int, cap: int = 64):
    """Programs reaching `rows` in j steps then running `tail`: wildcards first, then the steps. At most cap."""
    out = []
    for parent, first in levels[j - 1][rows]:
        steps = first + tail
        if parent is None:
            program = _program([(-1, 0, -1)] * (T - len(steps)) + steps)
            if program is not None:
                out.append(program)
        else:
            out += _paths(levels, j - 1, parent, steps, T, cap - len(out))
        if len(out) >= cap:
            break
    return out


def _program(steps: list[tuple[int, int, int]]) -> Program | None:
    """(ops, slots, pivots), or None when two steps of one comparison read different numbers (the model chooses
    one pivot per comparison, spec §3.6)."""
    pivots = [-1] * len(COMPARISONS)
    for op, _, k in steps:
        if k >= 0:
            c = COMPARISONS.index(next(n for n, i in OP.items() if i == op))
            if pivots[c] not in (-1, k):
                return None
            pivots[c] = k
    return tuple(o for o, _, _ in steps), tuple(s for _, s, _ in steps), tuple(pivots)


def search_all(examples: list[dict], config: ModelConfig, limit: int = 32, chunk: int = 64,
               edges: int = EDGES_PER_STATE) -> list[list[Program]]:
    """search_example for every example (those without a target get none), encoded in chunks."""
    results: list[list[Program]] = []
    for start in range(0, len(examples), chunk):
        part = examples[start:start + chunk]
        batch = encode_batch(part, Vocab([]), config)  # the search reads no word: every word is <unk>
        results += [search_example(ex, batch, b, config.T, limit, edges, config.op_names) if "target" in ex else []
                    for b, ex in enumerate(part)]
    return results


def cached_search(examples: list[dict], config: ModelConfig, data_path: Path | None, limit: int = 32,
                  log=print) -> tuple[list[list[Program]], dict]:
    """search_all, read from (or written to) `<data>.programs.json` (`.programs-extended.json` for the larger
    language) beside the converted data when the data, the column slots, T, the operations, the limit and
    SEARCH_VERSION are those it was made with; and a record of the search that
    made them (its seconds, questions with a program, programs), which a run's summary keeps."""
    matched_otherwise = config.preprocessing != PAPER_PREPROCESSING  # the entry matches differ: so do programs
    key = hashlib.sha256(json.dumps([SEARCH_VERSION, limit, config.T, config.number_columns, config.word_columns,
                                     list(config.op_names), [ex.get("id") for ex in examples],
                                     [ex.get("target") for ex in examples]]
                                    + ([config.preprocessing.as_dict()] if matched_otherwise else []),
                                    sort_keys=True).encode()).hexdigest()
    # one file per language and matching, so that searching for one never overwrites another's
    suffix = "".join(f"-{v}" for v in ([config.ops] if config.ops != "paper" else [])
                     + ([config.cell_text, f"dates-by-{config.dates}"] if matched_otherwise else []))
    suffix = f".programs{suffix}.json"
    cache = None if data_path is None else Path(data_path).with_suffix(suffix)
    if cache is not None and cache.is_file():
        try:
            stored = json.loads(cache.read_text())
            if stored.get("key") == key:
                found = [[tuple(tuple(x) for x in p) for p in progs] for progs in stored["programs"]]
                return found, {**_record(found, stored.get("seconds")), "cached": True}
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache is searched again
    started = time.perf_counter()
    found = search_all(examples, config, limit)
    record = _record(found, round(time.perf_counter() - started, 1))
    log(f"program search: {record['questions_with_programs']:,} of {len(found):,} questions have a program "
        f"({record['programs']:,} programs, {record['seconds']:.0f} s)")
    if cache is not None:
        write_atomic(cache, json.dumps({"key": key, "seconds": record["seconds"], "programs": found}))
    return found, {**record, "cached": False}


def _record(found: list[list[Program]], seconds: float | None) -> dict:
    return {"seconds": seconds, "questions": len(found), "questions_with_programs": sum(bool(p) for p in found),
            "programs": sum(map(len, found))}


# ---- the loss over the programs found ------------------------------------------------------------


def program_tensors(programs: list[list[Program]], T: int, device=None):
    """A batch's programs, padded: ops, slots (B, K, T) long (ops −1: a wildcard), pivots (B, K, 4) long (−1:
    unused) and present (B, K) bool; K ≥ 1."""
    K = max([1] + [len(p) for p in programs])
    empty = ((-1,) * T, (0,) * T, (-1,) * len(COMPARISONS))
    padded = [list(p) + [empty] * (K - len(p)) for p in programs]
    ops = torch.tensor([[p[0] for p in row] for row in padded], dtype=torch.long, device=device)
    slots = torch.tensor([[p[1] for p in row] for row in padded], dtype=torch.long, device=device)
    pivots = torch.tensor([[p[2] for p in row] for row in padded], dtype=torch.long, device=device)
    present = torch.tensor([[k < len(p) for k in range(K)] for p in programs], dtype=torch.bool, device=device)
    return ops.view(-1, K, T), slots.view(-1, K, T), pivots.view(-1, K, len(COMPARISONS)), present.view(-1, K)


def program_log_probs(out: dict, ops, slots, pivots) -> torch.Tensor:
    """log P(program) under the model's selections, as decode.top_programs counts it (a column only for the ops
    that read one; a wildcard step costs nothing) plus the pivot of each comparison used. (B, K)"""
    B, K, T = ops.shape
    step = ops >= 0
    op = ops.clamp(min=0)
    log_op = F.log_softmax(out["op_logits"], -1)[:, None].expand(B, K, T, -1).gather(3, op[..., None])[..., 0]
    log_col = F.log_softmax(out["col_logits"], -1)[:, None].expand(B, K, T, -1).gather(3, slots[..., None])[..., 0]
    reads = READS_COLUMN.to(ops.device)[op] & step  # (B, K, T)
    log_pivot = F.log_softmax(out["pivot_logits"], -1)[:, None].expand(B, K, -1, -1) \
        .gather(3, pivots.clamp(min=0)[..., None])[..., 0]  # (B, K, 4)
    return ((log_op * step).sum(-1) + torch.where(reads, log_col, 0.0).sum(-1)
            + torch.where(pivots >= 0, log_pivot, 0.0).sum(-1))


def search_loss(out: dict, programs: list[list[Program]], T: int) -> torch.Tensor:
    """Mean over the batch's questions that have programs of marginal_loss over them (0 when none has). ()"""
    ops, slots, pivots, present = program_tensors(programs, T, out["op_logits"].device)
    loss, found = marginal_loss(program_log_probs(out, ops, slots, pivots), present, dim=1)
    return loss.sum() / found.sum().clamp(min=1)
