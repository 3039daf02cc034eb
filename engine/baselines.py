"""The paper's LSTM baselines (spec §8.2, P16 §3.2.2) on the simplified single-column task.

- `Seq2Seq`: a 3-layer LSTM encoder over the input symbols (engine/baseline_data.py) whose final
  state starts a 3-layer LSTM decoder that writes the answer character by character.
- `AttentionLSTM`: a bidirectional LSTM encoder and an LSTM-cell decoder with multi-head attention
  (1, 5 or 10 heads) over the encoder states, Luong-style with input feeding.

Both take `table_first` (table before or after the question). Training draws fresh examples every step
(Adam, teacher forcing); testing decodes greedily, and an answer is correct when the decoded string
equals the true integer. `model.answer(columns, rows, question)` (the app's Compare page) returns None
for input the model cannot read: not one column, not 4-7 rows, a non-integer cell or pivot, a word
outside the grammar (spec §7.4 synonyms and the column's own name are accepted), or a decoded string
that is not an integer. Values outside [-10, 10] are read (digit symbols) but never seen in training.
Checkpoints: one .safetensors file, config and info as JSON metadata, validated, never unpickled.
"""

from __future__ import annotations

import copy
import json
import math
import re
import threading
import time
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from . import baseline_data as bd
from .baseline_data import encode_inputs, encode_targets, normalise_question  # noqa: F401
from .checkpoint import CheckpointError, json_field, read_metadata, read_source, write_atomic

SCHEMA = "np-explorer-baseline/1"
MAX_OUT_LEN = 6  # answer characters before <eos>


@dataclass(frozen=True)
class Seq2SeqConfig:
    emb: int = 64
    hidden: int = 128
    layers: int = 3
    table_first: bool = False


@dataclass(frozen=True)
class AttentionConfig:
    emb: int = 64
    hidden: int = 120  # divisible by 1, 5 and 10 heads; each encoder direction has hidden / 2
    layers: int = 1  # encoder layers
    heads: int = 5
    table_first: bool = False


def _config_from_dict(cls, data: dict):
    if not isinstance(data, dict):
        raise ValueError("config must be a JSON object")
    names = {f.name: f.type for f in fields(cls)}
    if set(data) - set(names):
        raise ValueError(f"unknown config keys {sorted(set(data) - set(names))}")
    for k, v in data.items():
        want = bool if names[k] in ("bool", bool) else int
        if type(v) is not want:
            raise ValueError(f"config field {k!r} must be {want.__name__}")
    cfg = cls(**data)
    if not (1 <= cfg.emb <= 1024 and 2 <= cfg.hidden <= 1024 and 1 <= cfg.layers <= 6):
        raise ValueError("config sizes out of range")
    if isinstance(cfg, AttentionConfig) and (cfg.heads < 1 or cfg.hidden % cfg.heads or cfg.hidden % 2):
        raise ValueError("attention hidden size must be even and divisible by heads")
    return cfg


class _Baseline(nn.Module):
    kind = ""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.info: dict = {}
        self.src_emb = nn.Embedding(len(bd.IN_TOKENS), config.emb, padding_idx=0)
        self.tgt_emb = nn.Embedding(len(bd.OUT_TOKENS), config.emb, padding_idx=0)

    def _encode(self, ids, lengths):
        packed = pack_padded_sequence(self.src_emb(ids), lengths, batch_first=True, enforce_sorted=False)
        return self.encoder(packed)

    def forward(self, ids, lengths, tgt_in):
        """Teacher-forced logits (B, T, V) for decoder inputs tgt_in (B, T)."""
        state, logits = self.start(ids, lengths), []
        for t in range(tgt_in.shape[1]):
            out, state = self.step(tgt_in[:, t], state)
            logits.append(out)
        return torch.stack(logits, 1)

    @torch.no_grad()
    def decode(self, ids, lengths) -> list[str | None]:
        """Greedy decoding: the answer strings (None where no <eos> came within MAX_OUT_LEN)."""
        state = self.start(ids, lengths)
        prev, outs = torch.full((ids.shape[0],), bd.BOS, dtype=torch.long, device=ids.device), []
        for _ in range(MAX_OUT_LEN + 1):
            logits, state = self.step(prev, state)
            prev = logits.argmax(-1)
            outs.append(prev)
        rows = torch.stack(outs, 1).tolist()
        return ["".join(bd.OUT_TOKENS[i] for i in r[:r.index(bd.EOS)]) if bd.EOS in r else None for r in rows]

    def answer(self, columns: list[str], rows: list[list], question: str) -> float | None:
        """The model's answer to a user's question, or None when it cannot read the input (module doc)."""
        values = bd.read_table(columns, rows)
        canon = bd.normalise_question(str(columns[0]), question) if values is not None else None
        if canon is None:
            return None
        ids, lengths = encode_inputs([bd.input_tokens(values, canon, self.config.table_first)])
        text = self.decode(ids.to(self.out.weight.device), lengths)[0]  # no dropout: mode does not matter
        return float(int(text)) if text and re.fullmatch(r"-?\d+", text) else None


class Seq2Seq(_Baseline):
    kind = "seq2seq"

    def __init__(self, config: Seq2SeqConfig):
        super().__init__(config)
        self.encoder = nn.LSTM(config.emb, config.hidden, config.layers, batch_first=True)
        self.decoder = nn.LSTM(config.emb, config.hidden, config.layers, batch_first=True)
        self.out = nn.Linear(config.hidden, len(bd.OUT_TOKENS))

    def start(self, ids, lengths):
        return self._encode(ids, lengths)[1]

    def step(self, prev, state):
        out, state = self.decoder(self.tgt_emb(prev)[:, None], state)
        return self.out(out[:, 0]), state


class AttentionLSTM(_Baseline):
    kind = "attention"

    def __init__(self, config: AttentionConfig):
        super().__init__(config)
        h = config.hidden
        self.encoder = nn.LSTM(config.emb, h // 2, config.layers, batch_first=True, bidirectional=True)
        self.cell = nn.LSTMCell(config.emb + h, h)
        self.attn = nn.MultiheadAttention(h, config.heads, batch_first=True)
        self.combine = nn.Linear(2 * h, h)
        self.out = nn.Linear(h, len(bd.OUT_TOKENS))

    def start(self, ids, lengths):
        enc, (hn, cn) = self._encode(ids, lengths)
        enc = pad_packed_sequence(enc, batch_first=True, total_length=ids.shape[1])[0]
        h0, c0 = torch.cat([hn[-2], hn[-1]], -1), torch.cat([cn[-2], cn[-1]], -1)
        return h0, c0, torch.zeros_like(h0), enc, ids == bd.PAD

    def step(self, prev, state):
        h, c, ctx, enc, mask = state
        h, c = self.cell(torch.cat([self.tgt_emb(prev), ctx], -1), (h, c))
        ctx = self.attn(h[:, None], enc, enc, key_padding_mask=mask, need_weights=False)[0][:, 0]
        out = torch.tanh(self.combine(torch.cat([h, ctx], -1)))
        return self.out(out), (h, c, ctx, enc, mask)


KINDS = {"seq2seq": (Seq2Seq, Seq2SeqConfig), "attention": (AttentionLSTM, AttentionConfig)}


def build(kind: str, config=None) -> _Baseline:
    if kind not in KINDS:
        raise ValueError(f"unknown baseline kind {kind!r} (expected one of {sorted(KINDS)})")
    cls, cfg_cls = KINDS[kind]
    return cls(config if config is not None else cfg_cls())


def _inputs(model: _Baseline, examples: list[dict]):
    """(ids on the model's device, lengths on the CPU as packing wants)."""
    ids, lengths = encode_inputs([bd.example_tokens(ex, model.config.table_first) for ex in examples])
    return ids.to(model.out.weight.device), lengths


# ----------------------------------------------------------------------------- train and evaluate

def evaluate_baseline(model: _Baseline, examples: list[dict], batch_size: int = 500,
                      details: bool = False) -> float | dict:
    """Exact-match accuracy of greedy decoding (details=True: also per template, and the flags)."""
    was_training = model.training
    model.eval()
    flags = []
    for i in range(0, len(examples), batch_size):
        chunk = examples[i:i + batch_size]
        texts = model.decode(*_inputs(model, chunk))
        flags += [t == bd.answer_text(ex) for t, ex in zip(texts, chunk, strict=True)]
    model.train(was_training)
    acc = sum(flags) / max(len(flags), 1)
    if not details:
        return acc
    per = {}
    for ex, ok in zip(examples, flags, strict=True):
        c, n = per.get(ex["program"], (0, 0))
        per[ex["program"]] = (c + ok, n + 1)
    return {"accuracy": acc, "correct": sum(flags), "total": len(flags), "flags": flags,
            "per_template": {k: {"correct": c, "total": n} for k, (c, n) in sorted(per.items())}}


def train_baseline(kind: str, config=None, steps: int = 5000, seed: int = 0, progress=None, *,
                   batch_size: int = 64, lr: float = 5e-3, clip: float = 1.0, seconds: float | None = None,
                   stop: threading.Event | None = None, eval_every: int = 250, eval_size: int = 500,
                   threads: int = 1, device: str = "cpu") -> tuple[_Baseline, dict]:
    """Train on fresh examples every step; keep the best model on a fixed validation set.

    The learning rate follows a cosine from lr to lr / 20 over the run, measured by steps or by
    `seconds` (a wall-clock budget), whichever is further along. `progress` may be an
    engine.train.Progress (add_loss / update / evals are used).
    """
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    model = build(kind, config).to(device)
    val = bd.generate(eval_size, seed + 7_919)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    best_state, best_acc, best_step, step = copy.deepcopy(model.state_dict()), -1.0, 0, 0
    if progress is not None:
        progress.update(total=steps, started=time.time(), message="training")
    started = time.time()
    model.train()
    for step in range(1, steps + 1):
        if stop is not None and stop.is_set():
            break
        frac = max(step / steps, (time.time() - started) / seconds if seconds else 0.0)
        for g in opt.param_groups:
            g["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        batch = bd.sample(batch_size, rng)
        tgt = encode_targets([bd.answer_text(ex) for ex in batch]).to(device)
        logits = model(*_inputs(model, batch), tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=bd.PAD)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        if progress is not None:
            progress.add_loss(step, loss.item())
        done = frac >= 1.0 or step == steps
        if step % eval_every == 0 or done:
            acc = evaluate_baseline(model, val)
            if acc > best_acc:
                best_state, best_acc, best_step = copy.deepcopy(model.state_dict()), acc, step
            if progress is not None:
                with progress.lock:
                    progress.evals.append((step, acc, acc))
                    progress.best_accuracy = best_acc
        if done:
            break
    model.load_state_dict(best_state)
    model.cpu().eval()
    model.info = {"kind": kind, "steps_run": step, "best_step": best_step, "val_accuracy": best_acc,
                  "val_size": eval_size, "seconds": round(time.time() - started, 1), "seed": seed,
                  "batch_size": batch_size, "lr": lr, "task": bd.TASK_NAME,
                  "parameters": sum(p.numel() for p in model.parameters()),
                  "device": str(device)}
    if progress is not None:
        progress.update(done=True, message="done")
    return model, dict(model.info)


# ----------------------------------------------------------------------------- checkpoints

def save_baseline(path, model: _Baseline, info: dict | None = None) -> Path:
    """Write weights + {kind, config, info, token lists} metadata atomically."""
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "pt", "schema": SCHEMA, "kind": model.kind, "config": json.dumps(asdict(model.config)),
            "info": json.dumps(info if info is not None else model.info),
            "in_tokens": json.dumps(bd.IN_TOKENS), "out_tokens": json.dumps(bd.OUT_TOKENS),
            "created": datetime.now(UTC).isoformat(timespec="seconds")}
    return write_atomic(path, save_tensors(tensors, metadata=meta))


def load_baseline(source) -> _Baseline:
    """A baseline model (eval mode, `.info` set) from a path or raw bytes; CheckpointError if invalid."""
    raw = read_source(source, "baseline checkpoint")
    meta = read_metadata(raw, SCHEMA)
    if meta.get("kind") not in KINDS:
        raise CheckpointError(f"unknown baseline kind {meta.get('kind')!r}")
    if (json_field(meta, "in_tokens", list) != list(bd.IN_TOKENS)
            or json_field(meta, "out_tokens", list) != list(bd.OUT_TOKENS)):
        raise CheckpointError("the checkpoint's token lists differ from this version's")
    try:
        config = _config_from_dict(KINDS[meta["kind"]][1], json_field(meta, "config", dict))
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"baseline config is invalid: {e}") from e
    info = json_field(meta, "info", dict) if "info" in meta else {}
    try:
        tensors = load_tensors(raw)
    except Exception as e:  # safetensors raises its own error types for corrupt buffers
        raise CheckpointError(f"baseline tensors are corrupt: {e}") from e
    model = build(meta["kind"], config)
    expected = model.state_dict()
    if set(tensors) != set(expected):
        raise CheckpointError("baseline weights do not match the model")
    for name, ref in expected.items():
        t = tensors[name]
        if t.shape != ref.shape or t.dtype != ref.dtype or not torch.isfinite(t).all():
            raise CheckpointError(f"weight {name} has the wrong shape or type, or non-finite values")
    model.load_state_dict(tensors, strict=True)
    model.eval()
    model.info = info | {"created": meta.get("created", "")}
    return model
