"""Sweeps (engine/sweep/plan.py, engine/sweep/ray_runner.py, `python -m engine sweep`): a 2-run sweep end to
end on a local Ray and its resume, the grid file's checks, the spec guard, the groups, and the records reader."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main as cli
from engine.np2016.multi_train import check_group
from engine.sweep import plan as sweep

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"steps": 4, "eval_every": 2, "train_size": 60, "eval_size": 20, "test_size": 20}
RECORD_KEYS = {"id", "preset", "task", "params", "seed", "curve", "best_accuracy", "best_step", "test_accuracy",
               "reached_target", "steps", "epochs", "seconds", "error", "train_config"}


def run_sweep_cli(tmp_path, grid, output, seeds=1, workers=1, settings=SMALL):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    args = ["--preset", "paper2016", "--task", "single-column", "--grid", grid, "--seeds", seeds, "--output", output,
            "--workers", workers, "--set", *(f"{k}={v}" for k, v in settings.items())]
    result = subprocess.run([sys.executable, "-m", "engine", "sweep", *map(str, args)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result


def test_cli_sweep_end_to_end_then_resume_trains_only_the_missing_run(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text('{"clip": [1, 5]}')
    out = tmp_path / "out"
    first = run_sweep_cli(tmp_path, grid, out)  # one model-batched group of two (train_many)

    spec = json.loads((out / "sweep.json").read_text())
    assert spec == {"version": 1, "preset": "paper2016", "task": "single-column", "grid": {"clip": [1.0, 5.0]},
                    "seeds": 1, "base": SMALL, "target": 1.0, "models_per_worker": 16}
    problems = []
    records = {r["params"]["clip"]: r for r in sweep.read_records(out, problems)}
    assert problems == [] and sorted(records) == [1.0, 5.0]
    for clip, record in records.items():
        assert set(record) == RECORD_KEYS
        assert record["id"] == sweep.run_id({"clip": clip}, 0)  # ids agree across processes
        assert (out / "runs" / f"{record['id']}.json").is_file()
        assert record["train_config"]["clip"] == clip and record["train_config"]["preset"] == "paper2016"
        assert record["seed"] == 0 and record["steps"] == 4 and record["error"] is None
        assert [step for step, _, _ in record["curve"]] == [2, 4]
        assert record["curve"][-1][1] == pytest.approx(4 * 50 / 60, abs=1e-5)  # epochs: steps * batch / train
        assert record["epochs"] == pytest.approx(4 * 50 / 60, abs=1e-5)
        assert record["best_accuracy"] == max(valid for _, _, valid in record["curve"])
        assert 0 <= record["test_accuracy"] <= 1
        assert record["reached_target"] == (record["test_accuracy"] >= 1.0)

    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["clip"]) for r in rows] == [1.0, 5.0]
    for row in rows:
        record = records[float(row["clip"])]
        assert row["runs"] == "1" and int(row["reached_target"]) == record["reached_target"]
        assert float(row["mean_best_accuracy"]) == pytest.approx(record["best_accuracy"])
        assert float(row["mean_test_accuracy"]) == pytest.approx(record["test_accuracy"])
    table = (out / "summary.md").read_text()
    assert table.startswith("| clip | runs |") and table in first.stdout
    assert "2 of 2 runs finished (2 trained now)" in first.stdout

    # resume: one record gone; the rerun trains that run alone (engine.np2016.train.train) and leaves the other alone
    kept, dropped = (out / "runs" / f"{records[c]['id']}.json" for c in (1.0, 5.0))
    kept_bytes, kept_mtime = kept.read_bytes(), kept.stat().st_mtime_ns
    dropped.unlink()
    second = run_sweep_cli(tmp_path, grid, out)
    assert "2 of 2 runs finished (1 trained now)" in second.stdout
    assert dropped.is_file() and json.loads(dropped.read_text())["params"] == {"clip": 5.0}
    assert kept.read_bytes() == kept_bytes and kept.stat().st_mtime_ns == kept_mtime
    assert sorted(p.name for p in out.iterdir()) == ["runs", "summary.csv", "summary.md", "sweep.json"]


# ----------------------------------------------------------------------------- the grid file

def _grid(tmp_path, text):
    path = tmp_path / "grid.json"
    path.write_text(text)
    return path


def test_load_grid_types_values_and_accepts_a_good_grid(tmp_path):
    grid = sweep.load_grid(_grid(tmp_path, '{"clip": [1, 5], "grad_noise": [true, false], "batch_size": [20]}'))
    assert grid == {"clip": [1.0, 5.0], "grad_noise": [True, False], "batch_size": [20]}
    assert isinstance(grid["clip"][0], float)  # 1 and 1.0 are one grid point, one run id
    assert sweep.run_id({"clip": 1.0, "lr": 0.1}, 3) == sweep.run_id({"lr": 0.1, "clip": 1.0}, 3)
    assert re.fullmatch(r"[0-9a-f]{12}-s3", sweep.run_id({"clip": 1.0}, 3))
    assert sweep.run_id({"clip": 1.0}, 0) != sweep.run_id({"clip": 5.0}, 0) != sweep.run_id({"clip": 5.0}, 1)


@pytest.mark.parametrize("text, words", [
    ('{"colour": [1]}', ["unknown TrainConfig field 'colour'"]),
    ('{"d": [16]}', ["unknown TrainConfig field 'd'"]),  # a ModelConfig field
    ('{"clip": [0]}', ["clip must be in", "got 0"]),
    ('{"steps": [1.5]}', ["steps must be an integer"]),
    ('{"grad_noise": ["yes"]}', ["grad_noise must be true or false"]),
    ('{"clip": 5}', ["clip must map to a non-empty list"]),
    ('{"clip": []}', ["clip must map to a non-empty list"]),
    ('{"clip": [1, 1.0]}', ["clip lists a value twice"]),
    ('{"task": ["columns-3"]}', ["task cannot be swept"]),
    ('{"seed": [1, 2]}', ["seed cannot be swept", "--seeds"]),
    ('[1, 2]', ["a grid is a JSON object"]),
    ('{"clip": [1,', ["not a JSON grid file"]),
    ('{"clip": [NaN]}', ["not a JSON grid file"]),
    (json.dumps({"lr": [1e-3 + i * 1e-5 for i in range(101)], "clip": list(range(1, 102))}),
     ["more than 10,000 points"]),
])
def test_load_grid_refuses_a_bad_grid_naming_the_problem(tmp_path, text, words):
    path = _grid(tmp_path, text)
    with pytest.raises(ValueError) as e:
        sweep.load_grid(path)
    assert str(path) in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_load_grid_refuses_a_large_file_from_its_size(tmp_path):
    path = _grid(tmp_path, '{"clip": [1]}' + " " * sweep.GRID_MAX_BYTES)
    with pytest.raises(ValueError, match="over the limit of 1,000,000"):
        sweep.load_grid(path)


def test_cli_bad_grid_and_bad_set_are_one_line_usage_errors(tmp_path, capsys):
    good = _grid(tmp_path, '{"clip": [1]}')
    bad = tmp_path / "bad.json"
    bad.write_text('{"clip": [-1]}')
    common = ["sweep", "--task", "single-column", "--output", str(tmp_path / "out")]
    assert cli.main([*common, "--grid", str(bad)]) == 2
    assert cli.main([*common, "--grid", str(tmp_path / "missing.json")]) == 1
    assert cli.main([*common, "--grid", str(good), "--set", "d=16"]) == 2
    assert cli.main([*common, "--grid", str(good), "--set", "clip=2"]) == 2  # in the grid and fixed
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("error: ") for line in err)
    assert "clip must be in" in err[0] and "missing.json" in err[1] and "d=16" in err[2] and "both" in err[3]
    assert not (tmp_path / "out").exists()  # nothing written for a command refused


# ----------------------------------------------------------------------------- the spec guard

def test_a_directory_holding_another_sweep_is_refused(tmp_path, capsys):
    spec = sweep.make_spec("paper2016", "single-column", {"clip": [1.0]}, 1, {"steps": 4}, 1.0, 16)
    sweep.open_sweep(tmp_path, spec)
    sweep.open_sweep(tmp_path, json.loads(json.dumps(spec)))  # the same sweep: resumed
    other = {**spec, "grid": {"clip": [1.0, 5.0]}}
    with pytest.raises(ValueError, match="holds another sweep.*differs in grid"):
        sweep.open_sweep(tmp_path, other)
    assert sweep.read_spec(tmp_path) == spec  # left as it was

    grid = _grid(tmp_path, '{"clip": [2]}')
    code = cli.main(["sweep", "--preset", "paper2016", "--task", "single-column", "--grid", str(grid),
                     "--output", str(tmp_path), "--set", "steps=4"])
    assert code == 2 and "holds another sweep" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


# ----------------------------------------------------------------------------- groups

def test_groups_pack_batchable_runs_and_leave_search_runs_alone():
    search = sweep.plan("default", "single-column", {"clip": [1, 5]}, 2, SMALL)
    assert all(run.cfg.search_samples > 1 for run in search)
    assert [[r.id for r in g] for g in sweep.groups(search, 16)] == [[r.id] for r in search]

    soft = sweep.plan("paper2016", "single-column", {"lr": [1e-3, 3e-3], "clip": [1.0, 5.0, 10.0]}, 2, SMALL)
    packed = sweep.groups(soft, 5)  # 12 runs: 3 groups of 4, not 5 + 5 + 2
    assert [len(g) for g in packed] == [4, 4, 4]
    assert sorted(r.id for g in packed for r in g) == sorted(r.id for r in soft)
    for g in packed:
        check_group([r.cfg for r in g])

    mixed = sweep.plan("paper2016", "single-column", {"steps": [4, 8], "clip": [1.0, 5.0]}, 1,
                       {k: v for k, v in SMALL.items() if k != "steps"})
    parts = sweep.groups(mixed, 16)  # steps is shared inside a group: one group per value
    assert sorted(tuple(sorted({r.cfg.steps for r in g})) for g in parts) == [(4,), (8,)]
    assert [len(g) for g in parts] == [2, 2]

    with pytest.raises(ValueError, match="both in the grid and fixed"):
        sweep.plan("paper2016", "single-column", {"steps": [4]}, 1, SMALL)


# ----------------------------------------------------------------------------- records and summary

def _record(params, seed, best, test, seconds=2.0):
    return {"id": sweep.run_id(params, seed), "preset": "paper2016", "task": "single-column", "params": params,
            "seed": seed, "curve": [[2, 1.0, best]], "best_accuracy": best, "best_step": 2, "test_accuracy": test,
            "reached_target": test >= 1.0, "steps": 2, "epochs": 1.0, "seconds": seconds, "error": None,
            "train_config": {}}


def test_read_records_skips_bad_files_and_the_summary_counts_each_point(tmp_path):
    spec = sweep.make_spec("paper2016", "single-column", {"clip": [1.0, 5.0, 10.0]}, 2, {}, 1.0, 16)
    sweep.open_sweep(tmp_path, spec)
    runs = tmp_path / "runs"
    runs.mkdir()
    good = [_record({"clip": 1.0}, 0, 0.5, 0.4), _record({"clip": 1.0}, 1, 1.0, 1.0, 4.0),
            _record({"clip": 5.0}, 0, 0.25, -1.0)]
    for r in good:
        (runs / f"{r['id']}.json").write_text(json.dumps(r))
    (runs / "partial-s0.json").write_text('{"id": "partial-s0", "params": {')
    (runs / "binary-s0.json").write_bytes(b"\xff\xfe\x00")
    (runs / "list-s0.json").write_text("[1, 2]")
    (runs / "renamed-s0.json").write_text(json.dumps(good[0]))  # its id is not its name
    (runs / "x.json.123.tmp").write_text("{")  # an atomic write in progress is not a record
    problems = []
    records = sweep.read_records(tmp_path, problems)
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in good)
    assert sorted(Path(p.split(":")[0]).name for p in problems) == [
        "binary-s0.json", "list-s0.json", "partial-s0.json", "renamed-s0.json"]

    rows = sweep.write_summary(tmp_path)
    assert [r["clip"] for r in rows] == [1.0, 5.0, 10.0]
    one, five, ten = rows
    assert (one["runs"], one["reached_target"], one["max_best_accuracy"]) == (2, 1, 1.0)
    assert one["mean_best_accuracy"] == pytest.approx(0.75) and one["mean_test_accuracy"] == pytest.approx(0.7)
    assert one["mean_seconds"] == pytest.approx(3.0)
    assert five["runs"] == 1 and five["mean_test_accuracy"] is None  # no test split: no test mean
    assert ten["runs"] == 0 and ten["mean_best_accuracy"] is None
    md = (tmp_path / "summary.md").read_text().splitlines()
    assert md[2] == "| 1.0 | 2 | 1 | 0.7500 | 1.0000 | 0.7000 | 3.0000 |" and md[4] == "| 10.0 | 0 | 0 |  |  |  |  |"
    assert (tmp_path / "summary.csv").read_text().splitlines()[3] == "10.0,0,0,,,,"


def test_train_group_never_trains_a_recorded_run(tmp_path):
    from engine.sweep.ray_runner import train_group

    (run,) = sweep.plan("paper2016", "single-column", {"clip": [1.0]}, 1, SMALL)
    path = sweep.record_path(tmp_path, run.id)
    path.parent.mkdir()
    path.write_text("marker")
    assert train_group([run], tmp_path) == [] and path.read_text() == "marker"
