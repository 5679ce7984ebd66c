"""The subcorpus probe's features read nothing of what a text says (scikit-learn: the dev extra)."""

from __future__ import annotations

import math
import sys
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("sklearn")  # the probe imports the training script, which needs it
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))

from subcorpus_probe import PROBES, probe_features, probe_rows

from storyline.article import Article, DatedValue


def _article(id_: str, text: str, topic: str, gold: str, when: date | None = None) -> Article:
    article = Article(id=id_, source="fixture", raw_text=text, text=text,
                      event_date=DatedValue(value=when, precision="day" if when else "unknown"))
    article.extras.update(topic=topic, gold=gold)
    return article


def test_probe_features_are_lengths_and_which_sides_are_dated() -> None:
    short = _article("a", "A quake struck.", "1", "1_ecb")
    long = _article("b", "A strong quake struck the island on Sunday, killing ten. " * 5, "1", "1_ecbplus",
                    date(2005, 11, 27))
    values = dict(zip(PROBES, probe_features(short, long), strict=True))
    assert values["shorter_length"] == pytest.approx(math.log1p(len(short.text)))
    assert values["longer_length"] == pytest.approx(math.log1p(len(long.text)))
    assert values["dated_sides"] == 1.0 and values["one_side_dated"] == 1.0
    # the same pair the other way round, and two texts that say different things at equal length
    assert probe_features(long, short) == probe_features(short, long)
    other = _article("c", "B" * len(short.text), "1", "1_ecb")
    assert probe_features(short, other)[:2] == [math.log1p(len(short.text))] * 2


def test_probe_rows_follow_the_training_pairs() -> None:
    """Every same-topic pair, then one other-topic draw per same-topic negative (some skipped when
    the draw lands in one topic): the rows line up with ``train_pair_model.pairs``."""
    articles = [_article(f"{t}{i}", "text " * (i + 1), t, f"{t}_{'ecb' if i < 2 else 'ecbplus'}")
                for t in ("1", "2") for i in range(4)]
    rows = probe_rows(articles)
    same_topic_pairs = 2 * 6
    assert rows.shape[1] == len(PROBES)
    assert same_topic_pairs <= len(rows) <= same_topic_pairs + 2 * 4
    assert rows[0].tolist() == probe_features(articles[0], articles[1])  # topic 1, in combinations order
    assert rows[6].tolist() == probe_features(articles[4], articles[5])  # topic 2 follows
