"""The launcher (explorer/serve.py): its warm-up fills the caches a browser's session reads, so a session after it
loads no model from disk; its options are checked before the warm-up; Streamlit starts after it, in the same
process, with the options given."""

from __future__ import annotations

import pytest
from streamlit import config
from streamlit.web import bootstrap

from explorer import checkpoints, real_tables, serve, state
from tests.ui.helpers import new_app
from tests.ui.wtq_helpers import PLAIN, make_model

OTHER_PLAIN = "how many years had sales over 100?"  # plain English the warm-up did not ask: traced afresh


def _not_loaded(*args, **kwargs):
    raise AssertionError(f"a model was loaded from disk after the warm-up: {args}")


def failures(at) -> list[str]:
    """The page's uncaught exceptions and the errors it showed because a model was loaded (the pages catch what
    fails while answering and say it in an error; an error about the answer itself is the page's business)."""
    return [e.message for e in at.exception] + [e.value for e in at.error if "loaded from disk" in e.value]


def test_after_the_warm_up_no_session_loads_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("NPX_WTQ_CHECKPOINT", str(make_model(tmp_path / "real.safetensors")))
    assert serve.WARM_VISITS[1] == {"q": PLAIN}  # the second visit is the one the 2017 model answers
    assert serve.warm() == []
    monkeypatch.setattr(checkpoints, "load_checkpoint", _not_loaded)
    monkeypatch.setattr(real_tables.ensemble, "load_model", _not_loaded)
    first = new_app()  # a new browser's first page: the sample table, its question, the checkpoint that fits
    assert failures(first) == []
    assert len(first.get("plotly_chart")) >= 1  # its heatmaps drawn
    plain = new_app({"q": OTHER_PLAIN})  # the 2017 model traces a question it was not asked before
    assert failures(plain) == []
    assert "Answered by the real-tables model" in "\n".join(c.value for c in plain.caption)


def test_a_session_without_the_warm_up_would_load_them(monkeypatch):
    """The checks above can fail: with empty caches the first page loads its checkpoint from disk."""
    monkeypatch.setattr(checkpoints, "load_checkpoint", _not_loaded)
    assert failures(new_app())


def test_the_warm_up_reports_an_uncaught_exception(monkeypatch):
    def broken():
        raise RuntimeError("the session state could not be set up")

    monkeypatch.setattr(state, "init_state", broken)
    problems = serve.warm(visits=({}, {"q": PLAIN}))  # each message as the config lets pages show it
    assert len(problems) == 2
    assert problems[0].startswith("the Ask page: ")
    assert problems[1].startswith(f"the Ask page with {{'q': '{PLAIN}'}}: ")


@pytest.fixture
def served(monkeypatch):
    """serve.main with the warm-up and Streamlit's server replaced by recorders: [(what, details)] in order."""
    calls = []
    monkeypatch.setattr(serve, "warm", lambda: calls.append(("warm", config.get_option("server.port"))) or [])
    monkeypatch.setattr(bootstrap, "run", lambda script, is_hello, args, flags: calls.append(("run", script, flags)))
    yield calls
    bootstrap.load_config_options({})  # Streamlit's config without the test's flags again


def test_streamlit_starts_after_the_warm_up_with_the_options_given(served):
    serve.main(["--server.port", "8599", "--server.headless", "true"])
    assert [c[0] for c in served] == ["warm", "run"]
    assert served[0][1] == 8599  # the pages warmed under the config they are served with
    _, script, flags = served[1]
    assert script == str(serve.APP)
    assert flags["server_port"] == 8599 and flags["server_headless"] is True


@pytest.mark.parametrize("argv, code, said", [(["--server.bogus", "1"], 2, "No such option '--server.bogus'"),
                                               (["--help"], 0, f"Usage: {serve.PROG} [OPTIONS]")])
def test_options_are_answered_before_the_warm_up(served, capsys, argv, code, said):
    with pytest.raises(SystemExit) as stop:
        serve.main(argv)
    assert stop.value.code == code
    said_out = capsys.readouterr()
    assert said in said_out.out + said_out.err
    assert served == []
