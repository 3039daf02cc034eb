"""Several 2017 models answering as one, as the 2017 paper's ensemble did: at every step the members' operation,
column and pivot probabilities are averaged, and the program is decoded from the averages exactly as one model's
(argmax, or engine/wtq2017/decode.py's guided beam). Where the members disagree is kept: each member's own argmax
answer beside the ensemble's, and the share that agrees with it (a confidence of its own).

An ensemble file is a small JSON document naming its members' checkpoints (relative to the file) with their
sha256, so a file swapped underneath it is refused rather than silently answered with. Members must read a
question alike: the same vocabulary, column slots, T and question length; their width, dropout, column-name and
match-count settings and their operations may differ (a member without the larger language gives its operations
probability 0)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from engine.core.io.atomic import write_atomic
from engine.core.io.input_file import TooLargeError, open_input, read_limited
from engine.core.safetensors_reader import CheckpointError
from engine.wtq2017.checkpoint import load_checkpoint
from engine.wtq2017.decode import argmax_programs
from engine.wtq2017.model import NeuralProgrammer
from engine.wtq2017.ops import COMPARISONS, run_soft, table_of
from engine.wtq2017.predict import denotation

ENSEMBLE_SCHEMA = "np-explorer-wtq-ensemble/1"
ENSEMBLE_MAX_BYTES = 64 * 1024  # a list of member names: anything larger is not an ensemble file
MAX_MEMBERS = 32
# how a question is read (and matched against its table: the members answer from one encoding)
SHARED = ("vocab_size", "number_columns", "word_columns", "question_length", "T", "cell_text", "dates")
AVERAGED = ("op_probs", "col_probs", "pivot_probs", "attention")
TINY = 1e-30  # log of an averaged probability that is 0 (an empty column slot): very negative, not −inf


class Ensemble(nn.Module):
    """Members answering together; forward gives one model's outputs (engine/wtq2017/model.py) from the averaged
    probabilities, plus "members": each member's own outputs."""

    def __init__(self, members: list[NeuralProgrammer]):
        super().__init__()
        if not 1 <= len(members) <= MAX_MEMBERS:
            raise ValueError(f"an ensemble has 1 to {MAX_MEMBERS} members, not {len(members)}")
        first = members[0].config
        for n, m in enumerate(members[1:], start=2):
            differ = [k for k in SHARED if getattr(m.config, k) != getattr(first, k)]
            if differ:
                raise ValueError(f"member {n} reads questions differently from member 1 ({', '.join(differ)}): "
                                 "an ensemble's members share the vocabulary, column slots, T, question length and "
                                 "the matching of cell text and dates")
        self.members = nn.ModuleList(members)
        # the widest language: a member with the paper's 15 operations gives the larger language's ones 0
        self.config = max((m.config for m in members), key=lambda c: len(c.op_names))

    def forward(self, batch, execute: bool = True) -> dict:
        outs = [m(batch, execute=False) for m in self.members]  # the ensemble executes its own averages
        O = len(self.config.op_names)
        ops = [F.pad(o["op_probs"], (0, O - o["op_probs"].shape[-1])) for o in outs]  # (B, T, O) each
        out = {k: torch.stack([o[k] for o in outs]).mean(0) for k in AVERAGED if k != "op_probs"}
        out["op_probs"] = torch.stack(ops).mean(0)
        out["op_logits"] = out["op_probs"].clamp(min=TINY).log()
        out["col_logits"] = out["col_probs"].clamp(min=TINY).log()
        out["pivot_logits"] = out["pivot_probs"].clamp(min=TINY).log()
        out["members"] = outs
        if execute:
            betas = {op: out["pivot_probs"][:, k] for k, op in enumerate(COMPARISONS)}
            scalar, lookup, rows = run_soft(out["op_probs"], out["col_probs"], betas, table_of(batch),
                                            self.config.pivot, self.config.op_names)
            out.update(scalar=scalar, lookup=lookup, rows=rows)  # (B,), (B, R, C), (B, T, R)
        return out

    hard_answer = NeuralProgrammer.hard_answer  # decoding reads only forward's outputs


def agreement(examples: list[dict], batch, out: dict, answers: list[dict]) -> list[dict]:
    """Per example: each member's own argmax answer (its denotation) and the share of members whose answer is the
    ensemble's. `out`: Ensemble.forward's; `answers`: the ensemble's decoded answers."""
    per_member = [argmax_programs(o, table_of(batch), batch) for o in out["members"]]
    result = []
    for b, (ex, chosen) in enumerate(zip(examples, answers, strict=True)):
        ours = denotation(ex, chosen)
        theirs = [denotation(ex, member[b]) for member in per_member]
        result.append({"members": theirs, "agree": sum(t == ours for t in theirs) / len(theirs)})
    return result


# ---- the ensemble file ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_ensemble(path, members: list) -> Path:
    """An ensemble file at `path` naming `members` (checkpoint paths), each loaded first (so a bad member or an
    incompatible set is refused before anything is written)."""
    path = Path(path)
    Ensemble([load_checkpoint(m)[0] for m in members])  # refuses members that cannot answer together
    base = path.resolve().parent
    entries = [{"path": Path(m).resolve().relative_to(base).as_posix() if Path(m).resolve().is_relative_to(base)
                else str(Path(m).resolve()), "sha256": _sha256(Path(m))} for m in members]
    return write_atomic(path, json.dumps({"schema": ENSEMBLE_SCHEMA, "members": entries}, indent=2) + "\n")


def is_ensemble_file(path) -> bool:
    """Whether `path` reads as an ensemble file (JSON naming the schema near its start); not a checkpoint. A FIFO
    or device is not opened for reading (engine/core/io/input_file.py), so asking never blocks."""
    try:
        with open_input(path) as (f, _):
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and ENSEMBLE_SCHEMA.encode() in head


def read_ensemble(path) -> list[Path]:
    """The member paths of an ensemble file, checked (schema, size, member count, each member's sha256);
    CheckpointError saying what is wrong otherwise."""
    path = Path(path)
    try:
        raw = read_limited(path, ENSEMBLE_MAX_BYTES)  # never more than the limit read into memory
    except TooLargeError as e:
        raise CheckpointError(f"{path} is over {ENSEMBLE_MAX_BYTES // 1024} KB: not an ensemble file") from e
    except OSError as e:
        raise CheckpointError(f"cannot read the ensemble file {path}: {e.strerror or e}") from e
    try:
        doc = json.loads(raw)
        members = doc["members"]
        ok = doc.get("schema") == ENSEMBLE_SCHEMA and isinstance(members, list)
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok or not 1 <= len(members) <= MAX_MEMBERS or not all(
            isinstance(m, dict) and isinstance(m.get("path"), str) and isinstance(m.get("sha256"), str)
            for m in members):
        raise CheckpointError(f"{path} is not an ensemble file (schema {ENSEMBLE_SCHEMA}, 1 to {MAX_MEMBERS} "
                              "members, each with a path and a sha256)")
    paths = []
    for n, m in enumerate(members, start=1):
        member = (path.parent / m["path"]) if not Path(m["path"]).is_absolute() else Path(m["path"])
        if not member.is_file():
            raise CheckpointError(f"member {n} of {path}, {m['path']}, does not exist")
        if _sha256(member) != m["sha256"]:
            raise CheckpointError(f"member {n} of {path}, {m['path']}, is not the file the ensemble was made "
                                  "with (its sha256 differs): write the ensemble again")
        paths.append(member)
    return paths


def load_model(path, device=None):
    """(model, vocab, info) of a 2017 checkpoint or of an ensemble file (an Ensemble, its members' shared
    vocabulary, and info with "members": each member's info). CheckpointError for members whose vocabularies
    differ."""
    if not is_ensemble_file(path):
        return load_checkpoint(path, device)
    loaded = [load_checkpoint(p, device) for p in read_ensemble(path)]
    vocab = loaded[0][1]
    for n, (_, other, _) in enumerate(loaded[1:], start=2):
        if other.words != vocab.words:
            raise CheckpointError(f"member {n} of {path} has another vocabulary than member 1: an ensemble's "
                                  "members must be trained on the same data with the same word cutoff")
    try:
        model = Ensemble([m for m, _, _ in loaded])
    except ValueError as e:
        raise CheckpointError(f"{path}: {e}") from e
    return model.eval(), vocab, {"members": [info for _, _, info in loaded], "ensemble": str(path)}
