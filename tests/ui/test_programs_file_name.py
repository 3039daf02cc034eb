"""AppTest: the Programs page's real-tables view names its checkpoint file as typed (issue 22, item 8): before, the
markdown escape showed through as `wtq2017\\.safetensors`; the name is now a code span, which markdown shows
literally, so it needs no escape."""

from __future__ import annotations

from explorer.components.programs_view import code_span
from tests.ui.helpers import new_app, page
from tests.ui.wtq_helpers import SHIPPED_WTQ

REAL = "Real tables (WikiTableQuestions dev)"


def test_the_checkpoint_file_is_named_in_code_without_escapes(monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(SHIPPED_WTQ))
    at = page(new_app(), "programs")
    at.radio(key="prog_view").set_value(REAL).run()
    assert not at.exception, at.exception
    line = next(m.value for m in at.markdown if m.value.startswith("Checkpoint "))
    assert line.startswith(f"Checkpoint ` {SHIPPED_WTQ.name} `: preset"), line
    assert "\\" not in line.split(":")[0]


def test_a_code_span_holds_any_name_whole():
    assert code_span("wtq2017.safetensors") == "` wtq2017.safetensors `"
    assert code_span("a`b``c.safetensors") == "``` a`b``c.safetensors ```"  # no run of backticks closes it
    assert code_span("two\nlines") == "` two lines `"
