"""Shared test helpers: force a NeuralProgrammer to run a chosen program (ops, columns, pivots); the converted
WikiTableQuestions fixture questions."""

from pathlib import Path

import pytest
import torch
import torch.nn as nn

from engine.core.vocab import Vocab
from engine.np2016.config import NUMERIC_OPS, TEXT_OPS, ModelConfig
from engine.np2016.data import tasks as data
from engine.np2016.model import NEG, NeuralProgrammer

torch.set_num_threads(1)


class _Cycle(nn.Module):
    """Stands in for a selector layer: returns step t's vector, cycling through the T steps."""

    def __init__(self, vectors):
        super().__init__()
        self.vectors, self.t = vectors, 0

    def forward(self, s):
        v = self.vectors[self.t % len(self.vectors)]
        self.t += 1
        return v.to(s.dtype).expand(s.shape[0], -1)


def force_program(model: NeuralProgrammer, vocab: Vocab, program, names, pivots=None):
    """Make `model` run `program`, a list of (op, column index or None) per step, on tables whose columns
    are called `names` (known to `vocab`); pivots: op -> index of the question number it compares with."""
    cfg = model.config
    d, ops = cfg.d, list(cfg.ops)
    assert len(program) == cfg.T and d >= max(len(ops), len(names))
    with torch.no_grad():
        model.op_embed.copy_(10 * torch.eye(len(ops), d))  # U[k] = 10 e_k
        for j, name in enumerate(names):  # P[j] = e_j
            model.embed.weight[vocab.id(name.lower())] = torch.eye(d)[j]
        if cfg.name_match:
            model.match_weight.zero_()
    eye = torch.eye(d)
    model.op_select = _Cycle([3 * eye[ops.index(op)] for op, _ in program])
    model.col_select = _Cycle([3 * eye[col or 0] for _, col in program])
    pivots = pivots or {}

    def pivot_attention(forward, batch, op):
        logits = torch.zeros(batch.numbers.shape, dtype=forward.dtype)
        logits[:, pivots.get(op, 0)] = 10.0
        return logits.masked_fill(batch.number_mask == 0, NEG)

    model.pivot_attention = pivot_attention
    return model


@pytest.fixture
def letters_vocab():
    """Vocabulary of the columns-5 task (column names A..E)."""
    return Vocab(data.vocabulary("columns-5") + data.TEXT_WORDS)


def make_model(vocab: Vocab, text: bool = False, **kw) -> NeuralProgrammer:
    torch.manual_seed(kw.pop("seed", 0))
    settings = {"vocab_size": len(vocab), "d": 16, "ops": TEXT_OPS if text else NUMERIC_OPS}
    settings.update(kw)
    return NeuralProgrammer(ModelConfig(**settings)).eval()


@pytest.fixture
def model_factory():
    return make_model


@pytest.fixture
def forcer():
    return force_program


@pytest.fixture
def clean_training_registry():
    """After the test: every server job it left (training runs, small sweeps, evaluations) is stopped, ended
    and forgotten, so no job (or its claim on the cap of running jobs) leaks into the next test."""
    yield
    from explorer import jobs  # here, not at the top: most tests never touch the app's jobs

    held = jobs.forget_all()
    for job in held:
        job.request_stop("the test ended")
    for job in held:
        job.wait(timeout=30)


WTQ_FIXTURE = Path(__file__).parent / "fixtures" / "wtq"


@pytest.fixture(scope="session")
def wtq_fixture_examples(tmp_path_factory) -> list[dict]:
    """The 23 attributed fixture questions (tests/fixtures/wtq) converted for evaluation (every one kept)."""
    from engine.core.io.examples import read_jsonl
    from engine.wtq2017.dataset.convert import convert_file

    out = tmp_path_factory.mktemp("wtq") / "sample.jsonl"
    convert_file(WTQ_FIXTURE / "data" / "sample.tsv", WTQ_FIXTURE, out, purpose="eval")
    return read_jsonl(out)
