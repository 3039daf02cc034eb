"""The loss over programs that answered right, shared by both families' program search (engine/np2016/search.py
samples and remembers them; engine/wtq2017/search.py enumerates them): maximum marginal likelihood, as in
Krishnamurthy et al. 2017 and MAPO's memory term (Liang et al. 2018)."""

from __future__ import annotations

import torch


def marginal_loss(logp: torch.Tensor, ok: torch.Tensor, dim: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per question: −log of the mean probability of its right programs, 0 where it has none; and whether it
    has any. logp, ok: log-probabilities and rightness of K programs along `dim`. The mean, not the sum: its
    gradient is that of −log of their total probability (each program weighted by its share of it), and it is
    ≥ 0, 0 when every right program is certain, so questions with many spurious programs do not dominate the
    batch's loss by their count."""
    n_ok = ok.sum(dim).clamp(min=1).to(logp.dtype)
    mml = -(torch.logsumexp(logp.masked_fill(~ok, -1e9), dim) - n_ok.log())
    found = ok.any(dim)
    return torch.where(found, mml, torch.zeros_like(mml)), found
