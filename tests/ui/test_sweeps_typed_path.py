"""The Sweeps page's typed path: read only when, resolved, it lies under an allowed folder (NPX_SWEEP_DIRS),
and refused in the same words whether the path names a sweep outside, nothing at all, or a folder without a
sweep.json, so the page never tells what exists on the server (explorer.sweeps.typed_directory)."""

from __future__ import annotations

import pytest

from explorer import sweeps
from explorer.components import sweep_view
from tests.ui.helpers import new_app, page, texts
from tests.ui.test_sweeps_page import write_sweep


@pytest.fixture
def roots(tmp_path, monkeypatch):
    """A sweep under the one allowed folder and another outside it."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    write_sweep(allowed / "mine")
    write_sweep(outside / "theirs")
    (allowed / "empty").mkdir()
    monkeypatch.setenv(sweeps.ALLOWED_ENV, str(allowed))
    return allowed, outside


def _typed(path):
    at = page(new_app(), "sweeps")
    at.selectbox(key=sweep_view.PAGE_PICK).set_value("other").run()
    return at.text_input(key="sweep_typed_path").set_value(str(path)).run()


def test_an_existing_sweep_outside_and_a_missing_path_read_alike(roots, tmp_path):
    allowed, outside = roots
    shown = []
    for path in (outside / "theirs", tmp_path / "nowhere", allowed / "nowhere", allowed / "empty"):
        at = _typed(path)
        assert not at.exception and not at.metric, at.exception
        shown.append(texts(at.error))
    assert len(set(shown)) == 1 and "No sweep can be shown from that path" in shown[0] and str(allowed) in shown[0]
    at = _typed(allowed / "mine")
    assert not at.exception and not at.error and len(at.metric) == 2
