"""The similarity head's training script: groups, the held-out split and the weighted ridge, on made-up data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from train_similarity import fit_ridge, groups_of, held_out, predict, repeated_cv


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


def test_repeated_cv_never_fits_a_group_it_scores() -> None:
    """Each pair is predicted by a fit that never saw its group: a model that memorises the rows
    it was fitted on (here: the mean of its training targets) cannot score its own group."""
    groups = [f"g{i // 2}" for i in range(40)]  # pairs of rows share a group
    languages = np.array(["en-en"] * 20 + ["de-en"] * 20)
    y = np.repeat(np.arange(20, dtype=float) / 19, 2)  # a group's two rows share their target (in [0, 1])
    x = y[:, None] + 0.0
    seen: list[set[float]] = []

    def fit(some_x: np.ndarray, some_y: np.ndarray) -> dict:
        seen.append(set(some_y.tolist()))
        return fit_ridge(some_x, some_y, penalty=0.0)

    report = repeated_cv(x, y, groups, languages, fit, repeats=3)
    assert len(seen) == 15 and all(len(targets) == 16 for targets in seen)  # 4 of 20 groups left out each time
    assert report["all"] == pytest.approx(1.0)  # a line in x is recovered from the other groups
    assert set(report["by_language_pair"]) == {"en-en", "de-en"} and report["spread"] == pytest.approx(0.0)
