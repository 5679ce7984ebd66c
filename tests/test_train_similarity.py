"""The similarity head's training script: groups, the held-out split and the weighted ridge, on made-up data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from train_similarity import fit_ridge, groups_of, held_out, predict


def test_pairs_sharing_an_article_are_one_group() -> None:
    records = [{"text1": "a", "text2": "b"}, {"text1": "b", "text2": "c"}, {"text1": "d", "text2": "e"}]
    groups = groups_of(records)
    assert groups[0] == groups[1] != groups[2]


def test_every_language_pair_is_held_out_in_part() -> None:
    groups = [f"g{i}" for i in range(50)] + [f"h{i}" for i in range(4)]
    languages = ["en-en"] * 50 + ["fr-fr"] * 4
    test = held_out(groups, languages)
    assert test[:50].sum() == 10 and test[50:].sum() == 1  # a fifth, and at least one
    assert np.array_equal(test, held_out(groups, languages))  # stable


def test_weighted_ridge_recovers_a_line_and_weights_shift_the_fit() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = 0.5 + 0.2 * x[:, 0] - 0.1 * x[:, 1]
    model = fit_ridge(x, y, penalty=0.0)
    assert predict(model, np.array([[1.0, 1.0]]))[0] == pytest.approx(0.6, abs=1e-6)
    assert predict(model, np.array([[100.0, 0.0]]))[0] == 1.0  # clipped
    other = np.concatenate([y[:100], np.full(100, 0.9)])  # the second half disagrees
    light = fit_ridge(x, other, 0.0, np.concatenate([np.ones(100), np.full(100, 1e-6)]))
    assert light["bias"] == pytest.approx(np.mean(y[:100]), abs=1e-3)
