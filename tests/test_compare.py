"""Pair comparison on hand-written fixtures: an obviously same-event pair outranks a same-topic pair."""

from __future__ import annotations

import pytest

from storyline.article import Article
from storyline.compare import DIMENSIONS, compare_articles, style_profile


@pytest.fixture(scope="module")
def results(fixture_articles: dict[str, Article]) -> dict[str, dict]:
    a = fixture_articles
    return {
        "same event, en-fr": compare_articles(a["en_summit"], a["fr_summit"], sentences=2),
        "same event, en-de": compare_articles(a["en_summit"], a["de_summit"]),
        "same people, other event": compare_articles(a["en_summit"], a["en_phone_call"]),
        "unrelated": compare_articles(a["en_summit"], a["en_quake"]),
    }


def test_every_dimension_is_a_similarity(results: dict[str, dict]) -> None:
    for result in results.values():
        assert list(result["dimensions"]) == list(DIMENSIONS)
        assert all(0.0 <= v <= 1.0 for v in result["dimensions"].values())
        assert 0.0 <= result["same_event"] <= 1.0


def test_same_event_outranks_same_topic_outranks_unrelated(results: dict[str, dict]) -> None:
    for same in ("same event, en-fr", "same event, en-de"):
        assert results[same]["same_event"] > results["same people, other event"]["same_event"]
        assert results[same]["dimensions"]["overall"] > results["same people, other event"]["dimensions"]["overall"]
    assert (results["same people, other event"]["dimensions"]["overall"]
            > results["unrelated"]["dimensions"]["overall"])
    assert results["same event, en-fr"]["dimensions"]["time"] == 1.0
    assert results["same people, other event"]["dimensions"]["time"] < 0.01  # March vs June


def test_the_explanation_names_what_is_shared_and_what_differs(results: dict[str, dict]) -> None:
    why = results["same event, en-fr"]["explanation"]
    assert {"Emmanuel Macron", "Olaf Scholz", "Berlin"} <= set(why["shared_entities"])
    assert "Berlin" in why["shared_places"]
    assert why["dates"] == ["2023-03-03", "2023-03-03"] and why["days_apart"] == 0
    pairs = why["similar_sentences"]
    assert len(pairs) == 2 and pairs[0]["similarity"] >= pairs[1]["similarity"]
    assert "Scholz" in pairs[0]["a"] and "Scholz" in pairs[0]["b"]  # across languages
    other = results["unrelated"]["explanation"]
    assert "Norcia" in " ".join(other["only_in_b"]) or "Italy" in other["only_in_b"]


def test_style_profile_measures_how_text_is_written() -> None:
    plain = style_profile("One short line. Another short line.")
    quoted = style_profile('"Who did this?" she asked. "Nobody!" 12 34 56.')
    assert plain[0] > quoted[0] or plain[2] < quoted[2]
    assert quoted[3] > plain[3] and quoted[4] > plain[4]


def test_the_explanation_says_whether_the_clusterer_makes_one_event(results: dict[str, dict]) -> None:
    same = results["same event, en-fr"]["explanation"]["clusterer"]
    assert same["one_event"] and "reaches the threshold" in same["reason"]
    other = results["same people, other event"]
    verdict = other["explanation"]["clusterer"]
    assert not verdict["one_event"]
    assert other["explanation"]["date_conflict"] and "days apart" in verdict["reason"]
