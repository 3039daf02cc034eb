"""The two LSTM baselines of the paper (spec §8.2, P16 §3.2.2) and their configs.

- `Seq2Seq`: a multi-layer LSTM encoder over the input symbols whose final state starts an LSTM decoder of the
  same depth that writes the answer character by character.
- `AttentionLSTM`: a bidirectional LSTM encoder and an LSTM-cell decoder with multi-head attention (1, 5 or 10
  heads) over the encoder states, Luong-style with input feeding.

Both take `table_first` (table before or after the question). Values outside [-10, 10] are read (digit symbols)
but never seen in training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine.core.device import model_device

from . import task

MAX_OUT_LEN = 6  # answer characters before <eos>
MAX_WIDTH = 1024  # emb and hidden
MAX_LAYERS = 6


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


def config_from_dict(cls, data: dict):
    """A config of class `cls` from a checkpoint's JSON: every field present, typed and in range
    (ValueError naming the field otherwise)."""
    if not isinstance(data, dict):
        raise ValueError("config must be a JSON object")
    types = {f.name: (bool if f.type in ("bool", bool) else int) for f in fields(cls)}
    missing, unknown = [k for k in types if k not in data], sorted(set(data) - set(types))
    if missing or unknown:
        raise ValueError(f"config lacks {missing} / has unknown keys {unknown} (every field must be present)")
    for k, v in data.items():
        if type(v) is not types[k]:
            raise ValueError(f"config field {k!r} must be {types[k].__name__}, got {v!r}")
    cfg = cls(**data)
    if not (1 <= cfg.emb <= MAX_WIDTH and 2 <= cfg.hidden <= MAX_WIDTH and 1 <= cfg.layers <= MAX_LAYERS):
        raise ValueError(f"config sizes out of range (emb 1-{MAX_WIDTH}, hidden 2-{MAX_WIDTH}, "
                         f"layers 1-{MAX_LAYERS}): {data}")
    if isinstance(cfg, AttentionConfig) and (cfg.heads < 1 or cfg.hidden % cfg.heads or cfg.hidden % 2):
        raise ValueError("attention hidden size must be even and divisible by heads")
    return cfg


class BaselineModel(nn.Module):
    """What both baselines share: embeddings, packed encoding, teacher forcing, greedy decoding."""

    kind = ""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.info: dict = {}
        self.src_emb = nn.Embedding(len(task.IN_TOKENS), config.emb, padding_idx=0)
        self.tgt_emb = nn.Embedding(len(task.OUT_TOKENS), config.emb, padding_idx=0)

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
        prev, outs = torch.full((ids.shape[0],), task.BOS, dtype=torch.long, device=ids.device), []
        for _ in range(MAX_OUT_LEN + 1):
            logits, state = self.step(prev, state)
            prev = logits.argmax(-1)
            outs.append(prev)
        rows = torch.stack(outs, 1).tolist()
        return ["".join(task.OUT_TOKENS[i] for i in r[:r.index(task.EOS)]) if task.EOS in r else None
                for r in rows]

    def answer(self, columns: list[str], rows: list[list], question: str) -> float | None:
        """The model's answer to a user's question (the app's Compare page), or None when it cannot read the input:
        not one column, not 4-7 rows, a non-integer cell or pivot, a word outside the grammar (spec §7.4 synonyms
        and the column's own name are accepted), or a decoded string that is not an integer."""
        values = task.read_table(columns, rows)
        canon = task.normalise_question(str(columns[0]), question) if values is not None else None
        if canon is None:
            return None
        ids, lengths = task.encode_inputs([task.input_tokens(values, canon, self.config.table_first)])
        text = self.decode(ids.to(model_device(self)), lengths)[0]  # no dropout: the mode does not matter
        return float(int(text)) if text and re.fullmatch(r"-?\d+", text) else None


class Seq2Seq(BaselineModel):
    kind = "seq2seq"

    def __init__(self, config: Seq2SeqConfig):
        super().__init__(config)
        self.encoder = nn.LSTM(config.emb, config.hidden, config.layers, batch_first=True)
        self.decoder = nn.LSTM(config.emb, config.hidden, config.layers, batch_first=True)
        self.out = nn.Linear(config.hidden, len(task.OUT_TOKENS))

    def start(self, ids, lengths):
        return self._encode(ids, lengths)[1]

    def step(self, prev, state):
        out, state = self.decoder(self.tgt_emb(prev)[:, None], state)
        return self.out(out[:, 0]), state


class AttentionLSTM(BaselineModel):
    kind = "attention"

    def __init__(self, config: AttentionConfig):
        super().__init__(config)
        h = config.hidden
        self.encoder = nn.LSTM(config.emb, h // 2, config.layers, batch_first=True, bidirectional=True)
        self.cell = nn.LSTMCell(config.emb + h, h)
        self.attn = nn.MultiheadAttention(h, config.heads, batch_first=True)
        self.combine = nn.Linear(2 * h, h)
        self.out = nn.Linear(h, len(task.OUT_TOKENS))

    def start(self, ids, lengths):
        enc, (hn, cn) = self._encode(ids, lengths)
        enc = pad_packed_sequence(enc, batch_first=True, total_length=ids.shape[1])[0]  # (B, L, h)
        h0, c0 = torch.cat([hn[-2], hn[-1]], -1), torch.cat([cn[-2], cn[-1]], -1)  # last layer, both ways
        return h0, c0, torch.zeros_like(h0), enc, ids == task.PAD

    def step(self, prev, state):
        h, c, ctx, enc, mask = state
        h, c = self.cell(torch.cat([self.tgt_emb(prev), ctx], -1), (h, c))
        ctx = self.attn(h[:, None], enc, enc, key_padding_mask=mask, need_weights=False)[0][:, 0]
        out = torch.tanh(self.combine(torch.cat([h, ctx], -1)))
        return self.out(out), (h, c, ctx, enc, mask)


KINDS = {"seq2seq": (Seq2Seq, Seq2SeqConfig), "attention": (AttentionLSTM, AttentionConfig)}


def build(kind: str, config=None) -> BaselineModel:
    if kind not in KINDS:
        raise ValueError(f"unknown baseline kind {kind!r} (expected one of {sorted(KINDS)})")
    cls, cfg_cls = KINDS[kind]
    return cls(config if config is not None else cfg_cls())


def model_inputs(model: BaselineModel, examples: list[dict]):
    """(ids (B, L) on the model's device, lengths (B,) on the CPU as packing wants) for task examples."""
    ids, lengths = task.encode_inputs([task.example_tokens(ex, model.config.table_first) for ex in examples])
    return ids.to(model_device(model)), lengths
