"""A sweep's runs grouped by one hyper-parameter's value, with the paper's figures (engine/papers.py) beside them,
for the RESULTS section (benchmarks/sweep_report.py) and the app's Sweeps page alike."""

from __future__ import annotations

from engine.papers import PAPER_TRAINABILITY


def mean(xs: list) -> float | None:
    return sum(xs) / len(xs) if xs else None


def group_stats(records: list[dict]) -> dict:
    """Runs, runs reaching the target, best validation and test accuracy (mean, max; None without any)."""
    best = [r["best_accuracy"] for r in records]
    test = [r["test_accuracy"] for r in records if r["test_accuracy"] >= 0]
    return {"runs": len(records), "reached": sum(bool(r["reached_target"]) for r in records),
            "best_mean": mean(best), "best_max": max(best, default=None),
            "test_mean": mean(test), "test_max": max(test, default=None)}


def by_value(records: list[dict], spec: dict) -> list[dict]:
    """One row per (grid field, value): the field, the value, the paper's count for it where the paper
    reports one (else None), and group_stats of the runs with that value."""
    rows = []
    for field, values in spec["grid"].items():
        paper = PAPER_TRAINABILITY.get((spec["preset"], spec["task"], field), {})
        for value in values:
            recs = [r for r in records if r["params"].get(field) == value]
            rows.append({"field": field, "value": value, "paper": paper.get(value), **group_stats(recs)})
    return rows


def paper_fields(spec: dict) -> list[str]:
    """The grid fields of `spec` for which the paper reports runs reaching 100 %."""
    return [f for f in spec["grid"] if (spec["preset"], spec["task"], f) in PAPER_TRAINABILITY]
