"""AppTest: the Train page shows a measured estimate of the run's time next to Start (with how it was
measured), the run keeps it, and the page compares it with the time the run took; a finished run also shows
the command line that reproduces it."""

from __future__ import annotations

from explorer import run_command, state, training
from explorer.components import run_estimate
from tests.ui.helpers import new_app, page, texts, visible

SMALL = {"hp_steps": 6, "hp_eval_every": 3, "hp_train_size": 40, "hp_eval_size": 10, "hp_test_size": 10,
         "hp_batch_size": 5, "hp_search_samples": 2}


def test_the_estimate_is_next_to_start_and_the_run_reports_it():
    at = page(new_app(), "train")
    for key, value in SMALL.items():
        at.number_input(key=key).set_value(value)
    at.run()
    assert not at.exception, at.exception
    shown = [c for c in at.caption if "Estimated time: about" in visible(c.value)]
    assert len(shown) == 1
    assert "real training steps of this model" in visible(shown[0].proto.help)
    estimate = at.session_state["train_last_estimate"]
    assert estimate > 0 and run_estimate.duration(estimate) in visible(shown[0].value)
    at.button(key="train_start").click().run()
    job = training.find(at.session_state[state.RUN_OWNER])
    job.thread.join(timeout=60)
    at.run()
    assert job.estimate_seconds == estimate
    assert f"Estimated before the start: about {run_estimate.duration(estimate)}; the run took " in texts(at.caption)
    # and the command that trains the same run (the same curve) from the command line
    assert any(c.value == run_command.command(job.cfg, job.model_config, f"{job.name}.safetensors") for c in at.code)


def test_durations_read_as_people_say_them():
    assert [run_estimate.duration(s) for s in (None, 4.4, 65, 3725)] == ["…", "4 s", "1 min 05 s", "1 h 02 min"]
