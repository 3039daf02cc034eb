"""AppTest: the Train page's presets, the checkpoint pickers' methods, the lesson "Why gradient descent gets
stuck" (two checkpoints side by side on the Compare page) and Lesson 4's table, whose two columns disagree.

`make_paper_model` writes an untrained single-column checkpoint recorded as trained by the paper2016 preset
(the app reads the method from the run's train_config, as it does for a real one). The last test reads the
shipped checkpoints themselves: the lessons' text must be what they do.
"""

from __future__ import annotations

import os

import pytest

from engine.np2016.batch import column_kinds
from engine.np2016.checkpoint import load_checkpoint, read_checkpoint_info
from engine.np2016.data import tasks as data
from engine.np2016.trace import trace
from explorer import checkpoints, escape, questions, state, tables, training
from explorer.components.train_settings import KNOBS, PRESET_PICK, resolved
from explorer.components.two_trainings import ALIGNED_KEY, PARTING_KEY
from explorer.pages.about import LESSON_4_QUESTION, LESSONS
from tests.ui.helpers import PAPER, ROOT, keyed_block, make_paper_model, markup_problems, new_app, page, texts, walk

SHIPPED = ROOT / "checkpoints"
STUCK = next(i for i, lesson in enumerate(LESSONS) if lesson["page"] is state.COMPARE)


@pytest.fixture
def with_paper(ckpt_dir, tmp_path, monkeypatch):
    """The test checkpoints plus a paper2016 one, in a second checkpoint directory."""
    extra = tmp_path / "paper"
    make_paper_model(extra / f"{PAPER}.safetensors")
    monkeypatch.setenv("NPX_CHECKPOINT_DIRS", f"{ckpt_dir}{os.pathsep}{extra}")
    return extra


def _values(at) -> dict:
    return {knob.key: at.session_state[knob.key] for knob in KNOBS}


# ----------------------------------------------------------------------------- the Train page's presets


def test_choosing_a_preset_sets_every_widget_and_back():
    at = page(new_app(), "train")
    assert _values(at) == resolved("default", "single-column", custom=False)
    at.radio(key=PRESET_PICK).set_value("paper2016").run()
    assert not at.exception, at.exception
    paper = resolved("paper2016", "single-column", custom=False)
    assert _values(at) == paper
    assert at.number_input(key="hp_lr").value == 1e-3 and at.selectbox(key="hp_model_d").value == 256
    assert at.number_input(key="hp_search_samples").value == 0
    assert at.toggle(key="hp_model_name_match").value is False and at.toggle(key="hp_shuffle_letters").value is False
    at.radio(key=PRESET_PICK).set_value("default").run()
    assert _values(at) == resolved("default", "single-column", custom=False)


def test_another_task_gets_the_presets_values_for_it():
    at = page(new_app(), "train")
    assert at.toggle(key="hp_model_bidirectional").value is False  # one column: a one-way RNN
    at.selectbox(key=state.TRAIN_TASK).set_value("columns-5").run()
    assert at.toggle(key="hp_model_bidirectional").value is True  # five columns: bidirectional, as the paper
    assert _values(at) == resolved("default", "columns-5", custom=False)


def test_a_run_records_its_preset_and_shows_its_accuracies(app_env):
    at = page(new_app(), "train")
    at.radio(key=PRESET_PICK).set_value("paper2016").run()
    for key, value in {"hp_steps": 3, "hp_eval_every": 1, "hp_train_size": 30, "hp_eval_size": 10,
                       "hp_test_size": 10, "hp_model_T": 2}.items():
        at.number_input(key=key).set_value(value)
    at.selectbox(key="hp_model_d").set_value(16)  # an override on top of the preset
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=60)
    assert job.cfg.preset == "paper2016" and job.cfg.search_samples == 0 and job.cfg.lr == 1e-3
    assert job.model_config.d == 16 and job.model_config.name_match is False
    assert job.model_config.text_match == "learned" and job.model_config.init_scale == 0.1
    info = read_checkpoint_info(job.saved_path)
    assert info["summary"]["train_config"]["preset"] == "paper2016" and info["preset"] == "paper2016"
    at.run()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Preset"] == "paper2016", shown
    assert "Validation accuracy" in shown and "Test accuracy" in shown


# ----------------------------------------------------------------------------- the pickers


def test_the_picker_names_each_method_and_never_picks_the_papers_by_itself(with_paper):
    at = new_app({"table": "letters_1", "q": "greater 20 and lesser 60 count"})
    assert not at.exception, at.exception
    labels = at.selectbox(key=state.CKPT_PICK).options  # as shown: each checkpoint's label
    paper_label = next(o for o in labels if PAPER in o)
    assert "gradient descent only" in paper_label  # the method in words (checkpoints.METHODS says it so too)
    assert labels[0].lower().startswith("best match for the table") and "single-column" in labels[0]
    entries = checkpoints.list_checkpoints()
    only_paper = [e for e in entries if e.id == PAPER]
    columns, rows = ["A"], [[1.0], [2.0]]
    assert checkpoints.best_match(only_paper, columns, column_kinds(columns, rows)) is None
    assert checkpoints.best_match(entries, columns, column_kinds(columns, rows)).id == "single-column"


def test_the_about_page_says_how_each_shipped_checkpoint_was_trained(with_paper):
    at = page(new_app(), "about")
    assert not at.exception, at.exception
    listed = "\n".join(m.value for m in at.markdown)
    assert f"**{escape.md(PAPER)}**" in listed and escape.md(checkpoints.METHODS["paper"]) in listed
    assert all(f"**{escape.md(e.id)}**" in listed for e in checkpoints.list_checkpoints() if not e.trained)


# ----------------------------------------------------------------------------- lesson 6 and the Compare page


def test_the_stuck_lesson_opens_both_checkpoints_side_by_side(with_paper):
    at = page(new_app(), "about")
    assert LESSONS[STUCK]["title"].endswith("Why gradient descent gets stuck")
    at.button(key=f"lesson_{STUCK}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Compare"
    assert "Two trainings of the same model" in texts(at.subheader)
    assert at.session_state[state.CKPT] == "single-column" and at.session_state[state.VERSUS] == PAPER
    assert at.session_state[state.TABLE_SOURCE]["id"] == "letters_1"
    assert at.session_state[state.QUESTION] == "greater 20 and lesser 60 count"
    aligned = [n for n in walk(keyed_block(at, ALIGNED_KEY)) if getattr(n, "type", None) == "markdown"]
    assert len(aligned) == 1 and aligned[0].value.splitlines()[2].startswith("| ")  # one row per step, t1 first
    assert "t1" in aligned[0].value.splitlines()[2]
    parting = [n for n in walk(keyed_block(at, PARTING_KEY)) if getattr(n, "type", None) in ("error", "success")]
    assert len(parting) == 1 and ("They part at t" in parting[0].value or "same program" in parting[0].value)
    assert len(at.get("plotly_chart")) == 6  # per side: operations (hard and soft) and rows (one column)
    assert checkpoints.METHODS["paper"] in texts(at.caption)
    assert at.query_params["vs"] == PAPER and at.query_params["ckpt"] == "single-column"


def test_a_link_with_vs_opens_the_side_by_side_view_and_the_mode_goes_back(with_paper):
    at = page(new_app({"table": "letters_1", "q": "count", "vs": PAPER}), "compare")
    assert not at.exception, at.exception
    assert "Two trainings of the same model" in texts(at.subheader)
    at.segmented_control(key=state.COMPARE_MODE_PICK).set_value("baselines").run()
    assert not at.exception
    assert at.session_state[state.VERSUS] is None
    assert "Neural Programmer vs. LSTM baselines" in texts(at.subheader)


# ----------------------------------------------------------------------------- lesson 4's table


def test_lesson_4s_columns_disagree_on_the_grade_book():
    """Filtering on the printed column would select other rows, so only the program the text describes
    (filter on attendance, print score) gives the right answer; exam and score disagree too."""
    df = tables.load_sample("grade_book")
    columns, rows = tables.to_engine(df)
    kinds = column_kinds(columns, rows)
    lesson = next(lesson for lesson in LESSONS if lesson["title"].startswith("4."))
    assert lesson["question"] == LESSON_4_QUESTION == state.SAMPLE_QUESTIONS["grade_book"]
    # what its text says of names-5's header words
    assert len(data.TRAIN_NAMES) == 40 and {"attendance", "score"} <= set(data.TRAIN_NAMES)
    assert not {"exam", "homework"} & set(data.TRAIN_NAMES)
    for filtered, pivot in (("attendance", 90), ("exam", 70)):
        named = questions.right_answer(f"lesser {pivot} {filtered} print score", columns, rows, kinds)
        printed = questions.right_answer(f"lesser {pivot} score print score", columns, rows, kinds)
        assert named and printed and sorted(named["cells"]) != sorted(printed["cells"]), filtered
    at = page(new_app(), "about")
    at.button(key=f"lesson_{LESSONS.index(lesson)}").click().run()
    assert not at.exception
    assert at.session_state[state.QUESTION] == LESSON_4_QUESTION
    assert at.session_state[state.TABLE_SOURCE]["id"] == "grade_book"


# ----------------------------------------------------------------------------- the lessons and the shipped files


def _shipped_program(name: str, sample: str, question: str) -> tuple[bool | None, list[tuple[str, str | None]]]:
    """(is the answer right?, [(operation, column)] per step) of a shipped checkpoint on a sample table."""
    model, vocab, _ = load_checkpoint(SHIPPED / f"{name}.safetensors")
    columns, rows = tables.to_engine(tables.load_sample(sample))
    traced = trace(model, vocab, columns, rows, question)
    right = questions.right_answer(question, columns, rows, column_kinds(columns, rows))
    return questions.answers_agree(traced["answer"], right), [(s["op"], s["column_name"]) for s in traced["steps"]]


def test_the_lessons_say_what_the_shipped_checkpoints_do():
    """Lesson 4: names-5 filters on attendance and prints score. Lesson 6: the default single-column
    checkpoint runs greater, lesser, and, count; the paper2016 one does not, and is never the best match."""
    right, program = _shipped_program("names-5", "grade_book", LESSON_4_QUESTION)
    filters = {column for op, column in program if op in ("greater", "lesser")}
    assert right and filters == {"attendance"} and program[-1] == ("assign", "score"), program
    lesson = LESSONS[STUCK]
    ours, paper = lesson["checkpoints"]
    right, program = _shipped_program(ours, lesson["table"], lesson["question"])
    ops = [op for op, _ in program]
    assert right and ops[-2:] == ["and", "count"] and sorted(ops[-4:-2]) == ["greater", "lesser"], program
    right, program = _shipped_program(paper, lesson["table"], lesson["question"])
    ops = [op for op, _ in program]
    assert not (right and ops[-2:] == ["and", "count"]), program
    assert read_checkpoint_info(SHIPPED / f"{paper}.safetensors")["preset"] == "paper2016"


def test_the_model_card_says_how_each_checkpoint_was_trained(ckpt_dir, tmp_path):
    from benchmarks import model_card

    make_paper_model(tmp_path / f"{PAPER}.safetensors")
    (tmp_path / "single-column.safetensors").write_bytes((ckpt_dir / "single-column.safetensors").read_bytes())
    text = model_card.section(tmp_path)
    paper_row = next(line for line in text.splitlines() if line.startswith(f"| `{PAPER}"))
    assert "| paper2016 |" in paper_row and checkpoints.METHODS["paper"] in paper_row and "| off |" in paper_row
    assert "| 30.00 | 25.00 |" in paper_row  # validation and test accuracy from the summary
    other = next(line for line in text.splitlines() if line.startswith("| `single-column"))
    assert "none recorded" in other
    card = "# Shipped checkpoints\n\nThe table of benchmarks/reproduce.py\n"
    once = model_card.with_section(card, text)
    assert once.startswith(card.rstrip("\n")) and once.count(model_card.BEGIN) == 1
    assert model_card.with_section(once, text) == once  # regenerating replaces the section, never adds one


def test_hostile_cells_side_by_side_are_text():
    from tests.ui.test_hostile_input import IFRAME, hostile_link

    at = page(new_app({**hostile_link(), "vs": "names-5"}), "compare")
    assert not at.exception, at.exception
    assert "Two trainings of the same model" in texts(at.subheader)
    assert IFRAME in texts(at.subheader)  # the print model's answer, as text
    assert markup_problems(at) == []
