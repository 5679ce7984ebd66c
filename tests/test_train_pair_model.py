"""The training script's date-conflict calibration, regime weights and feed pairs, on made-up data
(scikit-learn: the `eval` extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")  # in the dev extra; skipped only outside it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from train_pair_model import feed_pair_indices, fit_conflict_calibration, regime_weights

from storyline.article import Article
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


def test_regime_weights_give_each_regime_the_first_ones_total() -> None:
    weights = regime_weights(100, 25, 400)
    assert weights.shape == (525,)
    totals = weights[:100].sum(), weights[100:125].sum(), weights[125:].sum()
    assert np.allclose(totals, 100.0)


def test_feed_pairs_take_same_story_pairs_nearest_confusers_and_random_ones() -> None:
    """Three stories, each on its own axis of the embedding but for one article that leans to
    another story: that article is the nearest confuser of the other story's members."""
    articles = []
    for story in range(3):
        for n in range(4):
            vector = np.zeros(8, dtype=np.float32)
            vector[story] = 1.0
            if (story, n) == (0, 0):
                vector[1] = 0.9
            vector /= np.linalg.norm(vector)
            article = Article(id=f"s{story}-{n}", source="test", raw_text="headline words", text="headline words",
                              title="headline")
            article.embedding = vector
            article.extras["gold"] = f"story{story}"
            articles.append(article)
    chosen = feed_pair_indices(articles, seed=0, same_per_story=3, neighbours=1)
    same = [(i, j) for i, j, _, kind in chosen if kind == "same"]
    confusers = [(i, j) for i, j, _, kind in chosen if kind == "topic"]
    others = [(i, j) for i, j, _, kind in chosen if kind == "other"]
    assert len(same) == 9 and all(articles[i].extras["gold"] == articles[j].extras["gold"] for i, j in same)
    assert len(confusers) == len(others) == len(articles)
    assert all(articles[i].extras["gold"] != articles[j].extras["gold"] for i, j in confusers + others)
    # every member of story 1 has story 0's leaning article as its nearest confuser
    assert all(j == 0 for i, j in confusers if articles[i].extras["gold"] == "story1")
