"""The paper's LSTM baselines (spec §8.2, P16 §3.2.2) on the simplified single-column task: `task` (the task and
its symbols), `models`, `training`, `checkpoint`. The names below are the package's public interface."""

from .checkpoint import load_baseline, save_baseline
from .models import AttentionConfig, AttentionLSTM, BaselineModel, Seq2Seq, Seq2SeqConfig, build
from .training import evaluate_baseline, train_baseline

__all__ = ["AttentionConfig", "AttentionLSTM", "BaselineModel", "Seq2Seq", "Seq2SeqConfig", "build",
           "evaluate_baseline", "load_baseline", "save_baseline", "train_baseline"]
