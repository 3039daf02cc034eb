"""Without Chromium the browser tests skip on a developer's machine and fail in CI (CI=1 in .ci/run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import helpers


def test_missing_chromium_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(helpers, "CHROMIUM", Path(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        helpers.need_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        helpers.need_chromium()


def test_ci_script_sets_ci():
    assert "export CI=1" in (helpers.ROOT / ".ci" / "run").read_text(encoding="utf-8")
