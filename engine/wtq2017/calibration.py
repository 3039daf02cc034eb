"""How far to trust an answer of the 2017 model: the probability of the program that gave it (with execution-guided
decoding, the chosen candidate's), set against how often answers of that probability were right on dev.

A calibration file (checkpoints/<name>.calibration.json, written by benchmarks/wtq_decoding.py) holds, for one
checkpoint and beam width, each probability band's count of dev answers and of right ones. The app heads an answer
whose band was right less than GUESS_BELOW of the time as a guess. Dev chose the checkpoint, so these shares are
selection figures, as the dev accuracy is.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.core.io.input_file import read_limited

EDGES = (0.0, 0.03, 0.1, 0.25, 0.5, 1.0)  # probability bands [lo, hi); the last includes 1
GUESS_BELOW = 0.25  # a band right less often than this heads its answers as guesses
MAX_BYTES = 64_000  # a calibration file is a few hundred bytes


def path_for(checkpoint: Path) -> Path:
    """checkpoints/x.safetensors (or the ensemble file x.json) -> checkpoints/x.calibration.json"""
    return checkpoint.with_name(checkpoint.name.removesuffix(".safetensors").removesuffix(".json")
                                + ".calibration.json")


def band_index(probability: float) -> int:
    return next(k for k in range(len(EDGES) - 1) if probability < EDGES[k + 1] or k == len(EDGES) - 2)


def calibrate(probabilities: list[float], right: list[bool]) -> list[dict]:
    """Per band: {"lo", "hi", "total", "right"} of the answers whose program had that probability."""
    bands = [{"lo": lo, "hi": hi, "total": 0, "right": 0} for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=True)]
    for p, ok in zip(probabilities, right, strict=True):
        band = bands[band_index(p)]
        band["total"] += 1
        band["right"] += int(ok)
    return bands


def read_calibration(path: Path) -> dict:
    """A calibration file, checked (ValueError naming what is wrong)."""
    data = json.loads(read_limited(path, MAX_BYTES))
    bands = data.get("bands") if isinstance(data, dict) else None
    if not isinstance(bands, list) or len(bands) != len(EDGES) - 1:
        raise ValueError(f"{path}: expected {len(EDGES) - 1} bands")
    for band, lo, hi in zip(bands, EDGES[:-1], EDGES[1:], strict=True):
        ok = isinstance(band, dict) and band.get("lo") == lo and band.get("hi") == hi
        counts = [band.get(k) for k in ("total", "right")] if ok else []
        if not ok or not all(isinstance(n, int) and n >= 0 for n in counts) or counts[1] > counts[0]:
            raise ValueError(f"{path}: band [{lo}, {hi}) must hold counts total ≥ right ≥ 0")
    if not isinstance(data.get("beam"), int) or not isinstance(data.get("split"), str):
        raise ValueError(f"{path}: needs the beam width and the split it was measured on")
    return data


def confidence(calibration: dict, probability: float) -> dict:
    """What the app says of an answer whose program had `probability`: its band, the share of dev answers of that
    band that were right (None when the band had none), and whether to head it as a guess."""
    band = calibration["bands"][band_index(probability)]
    share = band["right"] / band["total"] if band["total"] else None
    return {"probability": probability, "lo": band["lo"], "hi": band["hi"], "total": band["total"],
            "right_share": share, "guess": share is None or share < GUESS_BELOW}
