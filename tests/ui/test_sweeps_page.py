"""The Sweeps page and the Train page's small sweep: the figures' data against counts made by hand, the page
on a fixture sweep directory (written exactly in the format engine/sweep/plan.py writes), hostile values escaped,
missing, empty and corrupt directories reported, and the small sweep's command line, bounds, start and stop."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import pytest

from explorer import small_sweep, state, sweeps
from explorer.components import sweep_launcher, sweep_view
from tests.ui.helpers import markup_problems, new_app, page, texts, visible

HOSTILE = "<script>alert(1)</script>"
SPEC = {"version": 1, "preset": "paper2016", "task": "single-column", "grid": {"lr": [0.001, 0.01]}, "seeds": 2,
        "base": {"steps": 100, "eval_every": 25, "train_size": 1000}, "target": 1.0, "models_per_worker": 2}
# (params, seed, validation accuracy at steps 25, 50, 75, 100, test accuracy); epoch = step * 50 / 1000
RUNS = [({"lr": 0.001}, 0, [0.5, 1.0, 1.0, 1.0], 1.0),  # reaches the target at epoch 2.5, on test too
        ({"lr": 0.001}, 1, [0.2, 0.4, 0.6, 0.7], 0.65),  # never
        ({"lr": 0.01}, 0, [0.3, 0.9, 0.95, 1.0], 0.98)]  # validation reaches it at epoch 5, test does not


def record(params: dict, seed: int, accs: list[float], test: float, target: float = 1.0, batch: int = 50,
           train_size: int = 1000, every: int = 25) -> dict:
    """One run record as the brief's format says (engine/sweep/plan.py writes the same keys)."""
    steps = [every * (i + 1) for i in range(len(accs))]
    best = max(accs)
    run_hash = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
    return {"id": f"{run_hash}-s{seed}", "preset": "paper2016", "task": "single-column", "params": params,
            "seed": seed, "curve": [[s, s * batch / train_size, a] for s, a in zip(steps, accs, strict=True)],
            "best_accuracy": best, "best_step": steps[accs.index(best)], "test_accuracy": test,
            "reached_target": test >= target if test >= 0 else best >= target, "steps": steps[-1],
            "epochs": steps[-1] * batch / train_size, "seconds": 1.5, "error": None,
            "train_config": {"lr": params.get("lr"), "seed": seed}}


def write_sweep(path: Path, spec: dict = SPEC, runs=RUNS) -> Path:
    """A sweep directory: sweep.json and one runs/<id>.json per finished run."""
    (path / "runs").mkdir(parents=True, exist_ok=True)
    (path / "sweep.json").write_text(json.dumps(spec))
    for params, seed, accs, test in runs:
        r = record(params, seed, accs, test)
        (path / "runs" / f"{r['id']}.json").write_text(json.dumps(r))
    return path


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> Path:
    """The shipped sweeps' folder and the app's own, both empty, in tmp_path; a typed path may lie anywhere in
    tmp_path."""
    monkeypatch.setenv(sweeps.SHIPPED_ENV, str(tmp_path / "shipped"))
    monkeypatch.setenv(sweeps.OWN_ENV, str(tmp_path / "own"))
    monkeypatch.setenv(sweeps.ALLOWED_ENV, str(tmp_path))
    (tmp_path / "shipped").mkdir()
    return tmp_path / "shipped"


def _typed(at, path) -> object:
    at.selectbox(key=sweep_view.PAGE_PICK).set_value("other").run()
    return at.text_input(key="sweep_typed_path").set_value(str(path)).run()


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# ----------------------------------------------------------------------------- the figures' data


def test_reach_over_epochs_counts_runs_by_their_validation_curves():
    records = [record(*run) for run in RUNS]
    assert sweeps.reach_over_epochs(records, 1.0) == [(1.25, 0), (2.5, 1), (3.75, 1), (5.0, 2)]
    assert sweeps.reach_over_epochs(records, 0.9) == [(1.25, 0), (2.5, 2), (3.75, 2), (5.0, 2)]
    other = record({"lr": 0.1}, 0, [0.95, 0.99], -1, every=20)  # epochs 1.0 and 2.0 join the union
    assert sweeps.reach_over_epochs(records + [other], 0.95) == [
        (1.0, 1), (1.25, 1), (2.0, 1), (2.5, 2), (3.75, 3), (5.0, 3)]
    assert [sweeps.first_reach(r, 1.0) for r in records] == [2.5, None, 5.0]


def test_accuracy_by_param_has_one_point_per_run():
    records = [record(*run) for run in RUNS]
    points = sweeps.accuracy_by_param(records, "lr")
    assert [(p["value"], p["accuracy"], p["seed"], p["reached"]) for p in points] == [
        (0.001, 1.0, 0, True), (0.001, 0.7, 1, False), (0.01, 1.0, 0, False)]
    assert sweeps.accuracy_by_param(records, "clip") == []


# ----------------------------------------------------------------------------- the page


def test_the_paper_sweep_opens_by_default_with_counts_table_and_plots(shipped):
    write_sweep(shipped / sweeps.PAPER_SWEEP)
    at = page(new_app(), "sweeps")
    assert not at.exception, at.exception
    assert at.selectbox(key=sweep_view.PAGE_PICK).value == str(shipped / sweeps.PAPER_SWEEP)
    assert _metric(at, "Runs reaching the target") == "1 / 3"
    assert _metric(at, "Runs finished") == "3 / 4"
    shown = texts(at.markdown)
    assert "lr ∈ {0.001, 0.01}" in shown and "2 point(s) × 2 seed(s) = 4 runs" in shown
    assert "100 steps of 50 examples = 5 epoch(s) of 1,000 training examples" in shown
    table = at.dataframe[0].value
    assert len(table) == 2 and "lr" in table.columns
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 4  # runs at target by epoch, the curves, accuracy by lr, mean accuracy by lr
    reach = charts[0]["data"][0]
    assert reach["x"] == [1.25, 2.5, 3.75, 5.0] and reach["y"] == [0, 1, 1, 2]
    curves = [t for t in charts[1]["data"] if t["line"]["color"] == sweep_view.REACHED]
    assert len(charts[1]["data"]) == 3 and len(curves) == 1
    assert "not in this copy" not in texts(at.info)


def test_without_the_paper_sweep_the_page_says_so(shipped, tmp_path):
    at = page(new_app(), "sweeps")
    assert not at.exception
    assert "paper2016-single-column" in texts(at.info) and "not in this copy" in texts(at.info)
    at = _typed(at, write_sweep(tmp_path / "mine"))
    assert not at.exception and _metric(at, "Runs finished") == "3 / 4"


def test_hostile_values_are_shown_as_text(shipped, tmp_path):
    spec = {**SPEC, "grid": {"lr": [0.001], "note": [HOSTILE]}, "task": HOSTILE}
    path = write_sweep(tmp_path / "hostile", spec, [({"lr": 0.001, "note": HOSTILE}, 0, [0.5, 1.0], 1.0)])
    at = _typed(page(new_app(), "sweeps"), path)
    assert not at.exception, at.exception
    assert markup_problems(at) == []
    assert f"note ∈ {{{HOSTILE}}}" in texts(at.markdown) and f"**task** {HOSTILE}" in texts(at.markdown)
    by_note = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert by_note["data"][0]["x"] == ["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert at.dataframe[0].value["note"].tolist() == [HOSTILE]


def test_missing_empty_and_corrupt_directories_are_messages(shipped, tmp_path):
    at = page(new_app(), "sweeps")
    at = _typed(at, tmp_path / "nowhere")
    assert not at.exception and "No sweep can be shown from that path" in texts(at.error)
    (tmp_path / "empty").mkdir()
    at = _typed(at, tmp_path / "empty")
    assert "No sweep can be shown from that path" in texts(at.error)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "sweep.json").write_text("{not json")
    at = _typed(at, tmp_path / "bad")
    assert "cannot be read" in texts(at.error)
    (tmp_path / "bad" / "sweep.json").write_text(json.dumps({**SPEC, "seeds": 0, "grid": []}))
    at = _typed(at, tmp_path / "bad")
    assert "seeds is not a positive integer" in texts(at.error) and "grid is not" in texts(at.error)
    fresh = write_sweep(tmp_path / "fresh", runs=[])
    at = _typed(at, fresh)
    assert "No run of this sweep has finished yet" in texts(at.info) and _metric(at, "Runs finished") == "0 / 4"
    (fresh / "runs" / "broken.json").write_text('{"id": "x", "params": {"lr": 0.1}, "curve": "none"')
    write_sweep(fresh)  # three good records beside the broken one
    at = _typed(at, fresh)
    assert not at.exception and _metric(at, "Runs finished") == "3 / 4"
    assert "1 run file(s) left out" in texts(at.warning) and "broken.json" in texts(at.warning)
    assert len(at.get("plotly_chart")) == 4


# ----------------------------------------------------------------------------- the small sweep


def test_the_command_line_of_a_small_sweep(tmp_path):
    sweep = small_sweep.SmallSweep("paper2016", "columns-3", "lr", (0.001, 0.01), 2, 500)
    sweep.check()
    assert sweep.runs == 4
    assert small_sweep.command(sweep, tmp_path) == [
        sys.executable, "-m", "engine", "sweep", "--preset", "paper2016", "--task", "columns-3",
        "--grid", str(tmp_path / "grid.json"), "--seeds", "2", "--output", str(tmp_path), "--workers", "1",
        "--set", "steps=500", "--set", "eval_every=50", "--set", "train_size=5000", "--set", "eval_size=300",
        "--set", "test_size=300"]
    assert small_sweep.parse_values("grad_noise", "true, false, true") == (True, False)
    assert small_sweep.parse_values("adam_eps", "1e-8,1e-6,1e-4") == (1e-8, 1e-6, 1e-4)


@pytest.mark.parametrize("values, seeds, steps, why", [
    ((0.001,), 1, 100, "give 2 to 4 different values"),
    ((1e-4, 1e-3, 1e-2, 1e-1, 1.0), 1, 100, "give 2 to 4 different values"),
    ((0.001, 0.01), 4, 100, "seeds must be 1 to 3"),
    ((0.001, 0.01), 0, 100, "seeds must be 1 to 3"),
    ((0.001, 0.01), 1, 2001, "steps must be 1 to 2000"),
    ((0.001, -1.0), 1, 100, "lr must be in"),
])
def test_out_of_bounds_small_sweeps_are_refused(values, seeds, steps, why):
    with pytest.raises(sweeps.SweepError, match=why):
        small_sweep.SmallSweep("default", "single-column", "lr", values, seeds, steps).check()


def test_only_the_listed_fields_and_parsable_values_are_accepted():
    for name, text, why in (("steps", "1, 2", "cannot be varied"), ("grad_noise", "yes, maybe", "not true or false"),
                            ("clip", "1, x", "not a number"), ("lr", "0.1, nan", "not a finite number")):
        with pytest.raises(sweeps.SweepError, match=why):
            small_sweep.parse_values(name, text)
    with pytest.raises(sweeps.SweepError, match="unknown preset"):
        small_sweep.SmallSweep("mine", "single-column", "lr", (0.1, 0.2), 1, 10).check()


@pytest.fixture
def fake_engine(monkeypatch):
    """The sweep's command replaced by a process that sleeps (the real one trains for minutes)."""
    calls = []

    def command(sweep, out):
        calls.append((sweep, out))
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    monkeypatch.setattr(small_sweep, "command", command)
    yield calls
    from explorer import jobs

    for job in jobs.forget_all():
        if job.running:
            job.process.kill()
            job.process.wait()


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_train_page_starts_watches_stops_and_resumes_a_small_sweep(shipped, fake_engine):
    at = page(new_app(), "train")
    at.selectbox(key=sweep_launcher.VARY).set_value("clip").run()
    assert at.text_input(key=sweep_launcher.VALUES).value == sweep_launcher.SUGGESTED["clip"]
    at.text_input(key=sweep_launcher.VALUES).set_value("1, 10, 100").run()
    at.number_input(key=sweep_launcher.SEEDS).set_value(2).run()
    at.number_input(key=sweep_launcher.STEPS).set_value(200).run()
    assert "3 value(s) × 2 seed(s) = 6 runs of 200 steps" in visible(texts(at.caption))
    at.button(key=sweep_launcher.START).click().run()
    assert not at.exception, at.exception
    launch = small_sweep.current()
    assert launch.running and launch.sweep.values == (1.0, 10.0, 100.0) and launch.sweep.seeds == 2
    assert json.loads((launch.path / small_sweep.GRID).read_text()) == {"clip": [1.0, 10.0, 100.0]}
    assert at.button(key=sweep_launcher.START).disabled and not at.button(key=sweep_launcher.STOP).disabled
    with pytest.raises(sweeps.SweepError, match="small sweep"):
        small_sweep.start(launch.sweep, "f" * 32)  # someone else: one small sweep at a time
    spec = {**SPEC, "preset": "default", "grid": {"clip": [1.0, 10.0, 100.0]}}
    write_sweep(launch.path, spec, [({"clip": 1.0}, 0, [0.5, 1.0], 1.0)])  # the first run has finished
    at.run()
    assert at.get("progress")[0].proto.text == "1 of 6 runs finished · running"
    assert len(at.get("plotly_chart")) == 3
    at.button(key=sweep_launcher.STOP).click().run()
    _wait(lambda: not launch.running)
    assert not launch.running
    at.run()
    assert not at.button(key=sweep_launcher.START).disabled
    at.button(key=sweep_launcher.START).click().run()  # the same settings: the same directory, resumed
    assert small_sweep.current().path == launch.path and len(fake_engine) == 2
    at.button(key=sweep_launcher.OPEN).click().run()
    assert at.title[0].value == "Sweeps" and not at.exception
    assert at.selectbox(key=sweep_view.PAGE_PICK).value == str(launch.path)


def test_a_bad_value_disables_start_with_a_message(shipped):
    at = page(new_app(), "train")
    at.text_input(key=sweep_launcher.VALUES).set_value("0.1").run()
    assert "give 2 to 4 different values of lr, got 1" in visible(texts(at.warning))
    assert at.button(key=sweep_launcher.START).disabled


def test_the_papers_counts_stand_beside_a_paper2016_noise_sweep(tmp_path, shipped):
    spec = {**SPEC, "grid": {"grad_noise": [True, False]}}
    runs = [({"grad_noise": True}, 0, [0.5, 1.0, 1.0, 1.0], 1.0), ({"grad_noise": True}, 1, [0.2, 0.3, 0.3, 0.3], 0.3),
            ({"grad_noise": False}, 0, [0.2, 0.3, 0.3, 0.4], 0.35)]
    path = write_sweep(tmp_path / "noise", spec, runs)
    at = _typed(page(new_app(), "sweeps"), path)
    table = next(df.value for df in at.dataframe if "the paper" in df.value.columns)
    assert table.to_dict("records")[0] | {"best validation (mean)": 0, "test (mean)": 0} == {
        "hyper-parameter": "grad_noise", "value": "true", "reached the target": "1 / 2", "the paper": "9/216",
        "best validation (mean)": 0, "test (mean)": 0}
    assert table["the paper"].tolist() == ["9/216", "1/216"]
    assert table["reached the target"].tolist() == ["1 / 2", "0 / 1"]


def test_a_reloaded_train_page_finds_its_sweep_and_stops_it(shipped, fake_engine):
    """Before: the sweep's owner token lived only in the session, so after a reload "Stop sweep" was disabled
    and nobody could stop it. Now it is the Train page's `run` token, in its address."""
    at = page(new_app(), "train")
    at.text_input(key=sweep_launcher.VALUES).set_value("0.001, 0.1").run()
    at.number_input(key=sweep_launcher.STEPS).set_value(700).run()
    at.button(key=sweep_launcher.START).click().run()
    launch = small_sweep.current()
    token = at.session_state[state.RUN_OWNER]
    assert launch.owner == token and at.query_params[state.RUN_PARAM] in (token, [token])
    again = page(new_app({state.RUN_PARAM: token}), "train")  # the reload: a new session, the same address
    assert not again.exception, again.exception
    assert not again.button(key=sweep_launcher.STOP).disabled
    assert again.number_input(key=sweep_launcher.STEPS).value == 700  # the running sweep's settings are shown
    assert again.text_input(key=sweep_launcher.VALUES).value == "0.001, 0.1"
    stranger = page(new_app(), "train")
    assert stranger.button(key=sweep_launcher.STOP).disabled and stranger.button(key=sweep_launcher.START).disabled
    again.button(key=sweep_launcher.STOP).click().run()
    _wait(lambda: not launch.running)
    assert not launch.running and launch.stop_reason == "you stopped it"
