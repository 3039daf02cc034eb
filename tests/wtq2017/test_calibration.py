"""The confidence of the 2017 model's answers (engine/wtq2017/calibration.py): the bands, the checked file, the
guess rule, and the shipped calibration, which must belong to the shipped checkpoint and agree with RESULTS.md."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from engine.wtq2017.calibration import (
    EDGES,
    GUESS_BELOW,
    band_index,
    calibrate,
    confidence,
    path_for,
    read_calibration,
)
from engine.wtq2017.checkpoint import SHIPPED as SHIPPED_CHECKPOINT

ROOT = Path(__file__).parents[2]
SHIPPED = path_for(SHIPPED_CHECKPOINT)  # the calibration of the model the app answers with


def test_every_probability_falls_in_one_band():
    assert [band_index(p) for p in (0.0, 0.029, 0.03, 0.2, 0.25, 0.49, 0.5, 0.99, 1.0)] == [0, 0, 1, 2, 3, 3, 4, 4, 4]
    bands = calibrate([0.01, 0.02, 0.6, 0.7, 0.8], [False, True, True, True, False])
    assert [(b["total"], b["right"]) for b in bands] == [(2, 1), (0, 0), (0, 0), (0, 0), (3, 2)]
    assert [(b["lo"], b["hi"]) for b in bands] == list(zip(EDGES[:-1], EDGES[1:], strict=True))


def test_a_band_right_less_often_than_the_threshold_heads_its_answers_as_guesses():
    bands = calibrate([0.01] * 10 + [0.7] * 10, [False] * 9 + [True] + [True] * 10)
    data = {"beam": 16, "split": "dev", "bands": bands}
    low, high, empty = confidence(data, 0.01), confidence(data, 0.7), confidence(data, 0.2)
    assert low["right_share"] == 0.1 < GUESS_BELOW and low["guess"]
    assert high["right_share"] == 1.0 and not high["guess"] and (high["lo"], high["hi"]) == (0.5, 1.0)
    assert empty["right_share"] is None and empty["guess"]  # no dev answer in that band: nothing to vouch for it


@pytest.mark.parametrize("change", [
    lambda d: d["bands"].pop(), lambda d: d["bands"][0].update(right=5, total=2), lambda d: d.pop("beam"),
    lambda d: d["bands"][1].update(lo=0.5), lambda d: d["bands"][2].update(total=-1), lambda d: d.update(split=3)])
def test_a_damaged_calibration_file_is_refused(tmp_path, change):
    data = {"beam": 16, "split": "dev", "bands": calibrate([0.01, 0.7], [False, True])}
    change(data)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError):
        read_calibration(path)


def test_the_shipped_calibration_belongs_to_the_shipped_checkpoint_and_to_results():
    data = read_calibration(SHIPPED)
    checkpoint = ROOT / "checkpoints" / data["checkpoint"]
    assert data["checkpoint_sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest(), \
        "the checkpoint changed: run the command in the calibration file again"
    dev_total = json.loads((ROOT / "docs" / "wtq_results.json").read_text())["dev_total"]
    # every dev question the converter could read is in one band; the unreadable ones count as wrong elsewhere
    assert sum(b["total"] for b in data["bands"]) + data["unreadable"] == dev_total
    widths = {r["width"]: r for r in data["by_width"]}
    assert widths[0]["total"] == dev_total and data["beam"] in widths
    assert data["results_section"] in (ROOT / "docs" / "RESULTS.md").read_text()
    # the argmax row agrees with the accuracy the WikiTableQuestions section reports for the same checkpoint
    assert widths[0]["accuracy"] == pytest.approx(json.loads((ROOT / "docs" / "wtq_results.json").read_text())
                                                  ["dev_accuracy"])


def test_the_calibration_sits_beside_a_checkpoint_or_an_ensemble_file():
    assert path_for(Path("checkpoints/x.safetensors")) == Path("checkpoints/x.calibration.json")
    assert path_for(Path("checkpoints/wtq_ensemble.json")) == Path("checkpoints/wtq_ensemble.calibration.json")
