"""The training script's date-conflict calibration, on made-up scores (scikit-learn: the `eval` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")  # in the dev extra; skipped only outside it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from train_pair_model import fit_conflict_calibration

from storyline.link.similarity import conflict_calibrated


def test_conflict_calibration_weighs_both_regimes_the_same() -> None:
    """One set where conflicting pairs the trees like are one event (follow-ups), one where none
    is (distinct events of the same actors), the second ten times larger: the calibration lands
    between them, not on the larger one, and keeps the order of the scores."""
    rng = np.random.default_rng(0)
    follow_ups = rng.uniform(0.0, 1.0, 400)
    follow_up_labels = (rng.uniform(0.0, 1.0, 400) < follow_ups).astype(int)  # calibrated already
    distinct = rng.uniform(0.0, 1.0, 4000)
    calibration = fit_conflict_calibration(follow_ups, follow_up_labels, distinct, np.zeros(4000, dtype=int))
    assert calibration["pairs"]["meantime_apple"] == 4000 and calibration["pairs"]["meantime_apple_same_event"] == 0
    scores = np.array([0.2, 0.5, 0.8, 0.95])
    calibrated = conflict_calibrated(scores, {"date_conflict": calibration})
    assert np.all(np.diff(calibrated) > 0)
    # each regime half the weight: near half the probability the follow-ups alone would give
    assert 0.3 < calibrated[-1] / scores[-1] < 0.7
