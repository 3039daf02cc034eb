"""benchmarks/ablation.py: its rows, the rule that says when a switch cannot matter for a task, resuming, and the
table it renders (from small hand-made records; one real run of two steps at d = 8)."""

import json

import pytest
import torch

from benchmarks import ablation as ab
from engine.core.vocab import Vocab
from engine.np2016 import presets
from engine.np2016.batch import encode
from engine.np2016.data import tasks as data

PAPER_ROW = ab.ROWS[0]


def row(label: str) -> ab.Row:
    return next(r for r in ab.ROWS if r.label == label)


def record(label: str, task: str, seed: int, accuracy: float, seconds: float, steps: int = 10) -> dict:
    """A finished run's record as `ab.run` writes it (configs resolved like a real one)."""
    train, model = ab.resolve(row(label), task, steps, seed)
    return {"row": label, "task": task, "seed": seed, "train_config": train, "model_config": model,
            "test_accuracy": accuracy, "valid_accuracy": accuracy, "seconds": seconds, "error": None}


def differing(task: str) -> set[str]:
    """Fields whose resolved values differ between the default and paper2016 presets on `task`."""
    default, paper = ab.resolve(row("search + memory (= default)"), task, 10, 0), ab.resolve(PAPER_ROW, task, 10, 0)
    # lone_column_name changes only the text shown (the model reads both forms alike): no row of its own
    return {k for a, b in zip(default, paper, strict=True) for k in a if a[k] != b[k]} - {"preset", "lone_column_name"}


@pytest.mark.parametrize("task", ab.TASKS)
def test_every_difference_between_the_presets_is_one_rows_addition(task):
    additions = [r for r in ab.ROWS if r.preset == "paper2016" and r is not PAPER_ROW]
    named = [set(r.train) | set(r.model) for r in additions]
    assert differing(task) <= set().union(*named)
    assert sum(map(len, named)) == len(set().union(*named))  # no field in two rows
    default = ab.resolve(row("search + memory (= default)"), task, 10, 0)
    for r in additions:
        for name, value in {**r.train, **r.model}.items():
            assert (default[1] if name in r.model else default[0])[name] == value, (r.label, name)


def test_the_rows_are_the_issues_rows():
    labels = [r.label for r in ab.ROWS]
    assert labels[0] == "paper2016" and labels[-3:] == ["search without memory", "search + memory (= default)",
                                                        "search only (no soft loss)"]
    assert row("search without memory").train == {"search_memory": 0}
    assert row("search only (no soft loss)").train == {"soft_loss": False}
    assert row("paper2016 + program search with memory").train == {
        k: getattr(presets.train_config("default", "columns-5"), k)
        for k in ("search_samples", "search_memory", "search_weight", "search_epsilon")}


def test_which_switches_cannot_matter():
    lone = "lone_column_name"
    assert ab.inert_fields("single-column") == {"text_match", "shuffle_letters", "name_match", lone}
    assert ab.inert_fields("words-1") == {"text_match", "shuffle_letters", "name_match", lone}
    assert ab.inert_fields("columns-5") == {"text_match", lone}
    assert ab.inert_fields("text-2") == {lone}
    shown = {task: [r.label for r in ab.ROWS if ab.same_as_paper(r, task, 10)] for task in ab.TASKS}
    assert shown["single-column"] == ["paper2016 + shuffled letters", "paper2016 + exact text match"]
    assert shown["columns-5"] == ["paper2016 + exact text match"]
    assert shown["text-2"] == []
    # name match also turns name dropout on, which changes the one column's name vector: it is run
    assert "paper2016 + name match" not in shown["single-column"]


@pytest.mark.parametrize("task", ["single-column", "words-1", "text-2"])
def test_an_inert_data_switch_leaves_the_training_data_alone(task):
    """The rule agrees with the generator: an inert switch gives the same names, and questions the model reads
    alike."""
    vocab = Vocab(data.vocabulary(task))
    for name in {"shuffle_letters", "lone_column_name"} & ab.inert_fields(task):
        on, off = (data.generate(task, "train", 200, 5, style=data.Style(**{name: v})) for v in (True, False))
        assert [ex["columns"] for ex in on] == [ex["columns"] for ex in off]
        assert torch.equal(encode(on, vocab).question_ids, encode(off, vocab).question_ids)


def test_a_switch_that_matters_changes_the_data():
    shuffled = data.generate("columns-5", "train", 200, 5, style=data.Style(shuffle_letters=True))
    assert any(ex["columns"] != data.LETTERS[:len(ex["columns"])] for ex in shuffled)
    named, bare = (data.generate("single-column", "train", 50, 5, style=data.Style(lone_column_name=v))
                   for v in (True, False))
    assert [ex["question"] for ex in named] != [ex["question"] for ex in bare]


def test_resume_skips_recorded_runs_and_reruns_changed_ones():
    everything = ab.jobs(["single-column"], 2, 10, [])
    assert len(everything) == 2 * (len(ab.ROWS) - 2)  # two cells are "= paper2016"
    done = [record("paper2016", "single-column", 0, 0.5, 3.0), record("paper2016", "single-column", 1, 0.5, 3.0)]
    left = ab.jobs(["single-column"], 2, 10, done)
    assert len(left) == len(everything) - 2 and all(j["row"] != "paper2016" for j in left)
    assert len(ab.jobs(["single-column"], 2, 20, done)) == len(everything)  # another budget: run again
    newer = record("paper2016", "single-column", 0, 0.9, 4.0, steps=20)
    kept = ab.add_record(done, newer)
    assert len(kept) == 2 and newer in kept and done[0] not in kept


def fake_doc() -> dict:
    runs = [record("paper2016", "single-column", s, a, t) for s, a, t in ((0, 0.2, 10), (1, 0.4, 20), (2, 0.6, 30))]
    runs += [record("paper2016", "text-2", s, 0.5, 6) for s in (0, 1)]  # one seed missing
    runs += [record("paper2016", "text-2", 7, 0.0, 6)]  # a seed beyond --seeds: not shown
    runs += [record("search only (no soft loss)", "single-column", 0, 1.0, 5, steps=99)]  # another budget
    return {"steps": 10, "seeds": 3, "workers": 2, "tasks": ["text-2", "single-column"],
            "command": "python benchmarks/ablation.py --steps 10 --seeds 3", "runs": runs}


def table(text: str) -> dict[str, list[str]]:
    rows = [[c.strip() for c in line[1:-1].split("|")] for line in text.splitlines() if line.startswith("| ")]
    return {cells[0]: cells for cells in rows}


def test_the_table_shows_mean_min_max_and_paper_figures_on_the_paper_row_only():
    text = ab.render_section(fake_doc())
    assert "`python benchmarks/ablation.py --steps 10 --seeds 3`" in text
    rows = table(text)
    head = rows["method"]
    assert head[3] == "Single Column" and head[4].startswith("Text Match on 2 Columns (66 test templates; paper 1,125")
    assert rows["paper2016"][1:] == ["paper2016", "256", "40.0 (20.0–60.0), 20 s", "50.0 (50.0–50.0), 6 s "
                                     "[2 of 3 seeds]", "100 / 99.11"]
    assert rows["paper2016 + shuffled letters"][3] == "= paper2016"
    assert rows["search only (no soft loss)"][3] == "–" and rows["search only (no soft loss)"][2] == "64"
    assert all(cells[-1] == "" for label, cells in rows.items() if label not in ("method", "paper2016"))


def test_the_section_is_replaced_in_place(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nbefore\n")
    ab.write_section(results, fake_doc())
    first = results.read_text()
    assert first.startswith("# Results\n\nbefore\n\n" + ab.START) and first.endswith(ab.END + "\n")
    results.write_text(first + "\n## After\n")
    doc = fake_doc()
    doc["runs"][0]["test_accuracy"] = 0.8
    ab.write_section(results, doc)
    text = results.read_text()
    assert text.count(ab.START) == 1 and text.endswith("\n## After\n") and "60.0 (40.0–80.0)" in text


def test_a_real_run_returns_its_record():
    job = ab.jobs(["single-column"], 1, 2, [])[0]
    job["train_config"].update(train_size=20, eval_size=10, test_size=10)
    job["model_config"]["d"] = 8
    out = ab.run(job)
    assert out["steps_run"] == 2 and 0.0 <= out["test_accuracy"] <= 1.0 and out["seconds"] >= 0.0
    json.dumps(out)  # a record goes into the JSON file as it is


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as e:
        ab.main(["--tasks", "nope", "--output", "/nonexistent/a.json"])
    assert e.value.code == 2 and "unknown nope" in capsys.readouterr().err
