"""benchmarks/sweep_report.py: a sweep directory as a RESULTS section, with the paper's counts beside a paper2016
noise sweep, rewritten in place."""

import json

from benchmarks import sweep_report
from engine.sweep import plan as sweep


def write_sweep(path, grid, runs):
    spec = {"version": 1, "preset": "paper2016", "task": "single-column", "grid": grid, "seeds": 2,
            "base": {"steps": 200, "eval_every": 100, "train_size": 10000, "test_size": 2300}, "target": 1.0,
            "models_per_worker": 4}
    (path / "runs").mkdir(parents=True)
    (path / "sweep.json").write_text(json.dumps(spec))
    for params, seed, best, test in runs:
        rid = sweep.run_id(params, seed)
        record = {"id": rid, "preset": "paper2016", "task": "single-column", "params": params, "seed": seed,
                  "curve": [[100, 0.5, best / 2], [200, 1.0, best]], "best_accuracy": best, "best_step": 200,
                  "test_accuracy": test, "reached_target": test >= 1.0, "steps": 200, "epochs": 1.0,
                  "seconds": 12.0, "error": None, "train_config": {}}
        (path / "runs" / f"{rid}.json").write_text(json.dumps(record))
    return path


def test_the_noise_condition_stands_beside_the_papers_counts(tmp_path):
    path = write_sweep(tmp_path / "paper", {"grad_noise": [True, False]},
                       [({"grad_noise": True}, 0, 1.0, 1.0), ({"grad_noise": True}, 1, 0.4, 0.3),
                        ({"grad_noise": False}, 0, 0.5, 0.25)])
    text = sweep_report.render(path)
    assert "3 of 4 runs finished: 2 grid points (grad_noise ∈ {True, False}) × 2 seeds" in text
    assert "200 steps of batch 50 (1 epoch of its 10,000 training examples; 0.20 of the paper's" in text
    assert "| True | 2 | **1/2** | 70.0 (100.0) | 65.0 (100.0) | 9/216 |" in text
    assert "| False | 1 | **0/1** | 50.0 (50.0) | 25.0 (25.0) | 1/216 |" in text
    assert "| dropout | not run" in text and "0/216" in text
    assert "--grid" in text and "--seeds 2" in text and "--set steps=200" in text


def test_the_section_is_rewritten_in_place(tmp_path):
    path = write_sweep(tmp_path / "seeds", {}, [({}, 0, 0.9, 0.95), ({}, 1, 0.7, 0.6)])
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nbefore\n")
    sweep_report.write_section(results, path)
    first = results.read_text()
    assert first.startswith("# Results\n\nbefore\n") and "one grid point (the preset's values) × 2 seeds" in first
    assert "| 0 | 90.0 | 200 | 95.0 |" in first  # a sweep of seeds lists every run
    results.write_text(first + "\nafter\n")
    sweep_report.write_section(results, path)
    assert results.read_text() == first + "\nafter\n"
