from datetime import date

from storyline.article import Article
from storyline.link.profile import lead_numbers, profile_of, weighted_jaccard
from storyline.link.similarity import PairEvidence, compare, date_conflict, same_event_probability


def test_similarity_same_event_outranks_same_topic_other_event(fixture_articles: dict[str, Article]) -> None:
    summit_en = profile_of(fixture_articles["en_summit"])
    summit_fr = profile_of(fixture_articles["fr_summit"])
    phone = profile_of(fixture_articles["en_phone_call"])
    same = same_event_probability(compare(summit_en, summit_fr))
    other_evidence = compare(summit_en, phone)
    other = same_event_probability(other_evidence)
    assert same > other
    # the same leaders three months later: alike enough that ECB+ would often count a follow-up in
    # one event, so not near 0; the dates conflict, so the clusterer never joins them
    assert same > 0.9 and other < same - 0.2 and date_conflict(other_evidence)


def test_similarity_explains_with_shared_entities_and_dates(fixture_articles: dict[str, Article]) -> None:
    evidence = compare(profile_of(fixture_articles["en_summit"]), profile_of(fixture_articles["de_summit"]))
    assert {"Emmanuel Macron", "Olaf Scholz", "Berlin"} <= set(evidence.shared_entities)
    assert "Berlin" in evidence.shared_places
    assert evidence.date_a == evidence.date_b == "2023-03-03"
    assert evidence.days_apart == 0
    assert evidence.to_json()["features"]["same_day"] == 1.0


def test_similarity_dates_far_apart_veto_the_same_event(fixture_articles: dict[str, Article]) -> None:
    evidence = compare(profile_of(fixture_articles["en_summit"]), profile_of(fixture_articles["en_phone_call"]))
    assert evidence.days_apart is not None and evidence.days_apart > 100
    assert date_conflict(evidence)


def test_profile_numbers_skip_years_and_days() -> None:
    assert lead_numbers("On March 3, 2023, 40 vehicles and 1,200 troops; magnitude 6.1") == ["40", "1200", "6.1"]


def test_weighted_jaccard_bounds() -> None:
    from collections import Counter

    assert weighted_jaccard(Counter(a=3), Counter(a=3)) == 1.0
    assert weighted_jaccard(Counter(a=1), Counter(b=1)) == 0.0
    assert weighted_jaccard(Counter(), Counter()) == 0.0


def _tree_model() -> dict:
    """Two hand-made trees over two features: the first splits on cosine, the second on numbers."""
    return {
        "kind": "trees",
        "features": ["cosine", "numbers"],
        "baseline": -1.0,
        "max_depth": 2,
        "trees": [
            # cosine <= 0.5 -> -2.0; else (numbers <= 0.1 -> 1.0; else 3.0)
            [[0, 0.5, 1, 2, 0.0, 0], [0, 0.0, 0, 0, -2.0, 1], [1, 0.1, 3, 4, 0.0, 0],
             [0, 0.0, 0, 0, 1.0, 1], [0, 0.0, 0, 0, 3.0, 1]],
            # a stump: numbers <= 0.5 -> 0.0; else 0.5
            [[1, 0.5, 1, 2, 0.0, 0], [0, 0.0, 0, 0, 0.0, 1], [0, 0.0, 0, 0, 0.5, 1]],
        ],
    }


def _evidence(**features: float) -> PairEvidence:
    return PairEvidence(features=features, shared_entities=[], shared_places=[], date_a=None, date_b=None,
                        days_apart=None)


def test_tree_model_walks_each_tree_to_its_leaf_and_adds_the_baseline() -> None:
    import math

    from storyline.link.similarity import same_event_probabilities

    model = _tree_model()
    pairs = [_evidence(cosine=0.2, numbers=0.9), _evidence(cosine=0.8, numbers=0.0),
             _evidence(cosine=0.8, numbers=0.9), _evidence(cosine=0.5, numbers=0.5)]
    expected_log_odds = [-1.0 - 2.0 + 0.5, -1.0 + 1.0 + 0.0, -1.0 + 3.0 + 0.5, -1.0 - 2.0 + 0.0]
    got = same_event_probabilities(pairs, model)
    assert got == [same_event_probability(p, model) for p in pairs]  # batch and single agree
    for probability, z in zip(got, expected_log_odds, strict=True):
        assert math.isclose(probability, 1 / (1 + math.exp(-z)), rel_tol=1e-9)


def test_logistic_model_is_still_understood() -> None:
    import math

    model = {"features": ["cosine"], "bias": -1.0, "weights": {"cosine": 2.0}}
    assert math.isclose(same_event_probability(_evidence(cosine=1.0), model), 1 / (1 + math.exp(-1.0)))


def test_shipped_model_scores_every_feature_it_names(fixture_articles: dict[str, Article]) -> None:
    from storyline.link.similarity import FEATURES, pair_model

    assert set(pair_model()["features"]) <= set(FEATURES)
    evidence = compare(profile_of(fixture_articles["en_summit"]), profile_of(fixture_articles["de_summit"]))
    assert set(FEATURES) <= set(evidence.features)
    assert evidence.features["rarest_shared"] > 0  # "Scholz" and "Macron" are rare in any language


def test_feature_rows_of_many_pairs_equal_each_pair_compared_alone(fixture_articles: dict[str, Article]) -> None:
    """The clusterer scores an article against many members in one vectorised pass; the
    explanation it shows comes from compare() of one pair. Both must give the same features."""
    import numpy as np

    from storyline.link.similarity import FEATURES, feature_rows

    profiles = [profile_of(article) for article in fixture_articles.values()]
    article, others = profiles[0], profiles[1:]
    rows, gaps, _ = feature_rows(article, others)
    for row, gap, other in zip(rows, gaps, others, strict=True):
        alone = compare(article, other)
        assert np.allclose(row, [alone.features[name] for name in FEATURES], atol=1e-6)
        assert gap == alone.days_apart
    assert rows[:, FEATURES.index("rarest_shared")].max() > 0


def test_feature_rows_handle_profiles_without_words_or_embeddings(fixture_articles: dict[str, Article]) -> None:
    from storyline.link.similarity import FEATURES, feature_rows

    empty = profile_of(Article(id="empty", source="test", raw_text="", text="", title=""))
    full = profile_of(fixture_articles["en_summit"])
    rows, gaps, _ = feature_rows(empty, [full, empty])
    assert rows.shape == (2, len(FEATURES)) and gaps == [None, None]
    assert rows[:, FEATURES.index("cosine")].tolist() == [0.0, 0.0]
    assert rows[:, FEATURES.index("rarest_shared")].tolist() == [0.0, 0.0]
    rows, _, _ = feature_rows(full, [empty])
    assert rows[0, FEATURES.index("lexical")] == 0.0


def _dated(article: Article, value: date, confidence: float, basis: str) -> Article:
    import copy

    from storyline.article import DatedValue

    dated = copy.deepcopy(article)
    dated.event_date = DatedValue(value=value, precision="day", confidence=confidence, basis=basis)
    dated.dates = [m for m in dated.dates if m.value == value]  # no stated date but this one, if it was stated
    return dated


def test_only_firm_dates_veto_within_a_year_and_any_dates_beyond(fixture_articles: dict[str, Article]) -> None:
    """A weekday read against a publication date guessed from the text can be months off, so it
    does not veto a pair 40 days apart; a date the text states does; any two dates a year apart do."""
    from datetime import timedelta

    from storyline.link.similarity import date_vetoes

    summit = fixture_articles["en_summit"]
    first = summit.event_date.value
    assert first is not None and profile_of(summit).firm_dates == [first]  # "Friday, March 3, 2023": stated
    weeks_later = first + timedelta(days=40)
    guessed = profile_of(_dated(fixture_articles["fr_summit"], weeks_later, 0.6, "weekday date in lead"))
    stated = profile_of(_dated(fixture_articles["fr_summit"], weeks_later, 0.8, "explicit date in lead"))
    assert guessed.firm_dates == [] and stated.firm_dates == [weeks_later]
    assert not compare(profile_of(summit), guessed).date_veto
    assert compare(profile_of(summit), stated).date_veto and date_conflict(compare(profile_of(summit), stated))
    assert date_vetoes(gap=400, firm_gap=None) and not date_vetoes(gap=40, firm_gap=None)
    assert date_vetoes(gap=None, firm_gap=31) and not date_vetoes(gap=None, firm_gap=30)


def test_profiles_keep_firm_dates_through_json_and_absorb(fixture_articles: dict[str, Article]) -> None:
    from storyline.link.profile import Profile

    event = profile_of(fixture_articles["en_summit"]).copy()
    event.absorb(profile_of(fixture_articles["de_summit"]))
    assert Profile.from_json(event.to_json()).firm_dates == event.firm_dates and event.firm_date is not None
    saved = event.to_json()
    del saved["firm_dates"]  # as a store written by an earlier version holds it
    assert Profile.from_json(saved).firm_dates == []


def test_a_month_the_text_states_does_not_make_a_day_firm(fixture_articles: dict[str, Article]) -> None:
    """"Monday" read as December 1st and "December 2008" (read as the 1st too) agree only by how a
    month is stored: the day is not stated, so it is not firm."""
    from datetime import date

    from storyline.article import DateMention

    article = _dated(fixture_articles["fr_summit"], date(2008, 12, 1), 0.6, "weekday date in lead")
    article.dates = [DateMention(text="December 2008", value=date(2008, 12, 1), precision="month", kind="explicit")]
    assert profile_of(article).firm_dates == []
    article.dates = [DateMention(text="December 1, 2008", value=date(2008, 12, 1), precision="day", kind="explicit")]
    assert profile_of(article).firm_dates == [date(2008, 12, 1)]


def test_a_date_conflict_is_calibrated_for_same_event_and_never_joins(fixture_articles: dict[str, Article]) -> None:
    """``same_event`` of a pair whose dates conflict is the model's calibrated probability (lowered,
    never raised); the clusterer's join score for it stays far below any threshold."""
    import numpy as np

    from storyline.link.similarity import (
        VETO_FACTOR,
        conflict_calibrated,
        content_probabilities,
        feature_rows,
        pair_model,
        row_probabilities,
    )

    summit, phone = profile_of(fixture_articles["en_summit"]), profile_of(fixture_articles["en_phone_call"])
    rows, _, vetoed = feature_rows(summit, [phone])
    assert vetoed[0]
    model = pair_model()
    content = content_probabilities(rows, model)
    assert same_event_probability(compare(summit, phone)) == float(conflict_calibrated(content, model)[0])
    assert row_probabilities(rows, vetoed, model)[0] == content[0] * VETO_FACTOR
    high = np.array([0.5, 0.9, 0.99, 0.999999])
    calibrated = conflict_calibrated(high, model)
    assert np.all(calibrated <= high) and np.all(np.diff(calibrated) > 0)  # lowered, order kept
    uncalibrated = {k: v for k, v in model.items() if k != "date_conflict"}  # a model from before it
    assert np.allclose(conflict_calibrated(high, uncalibrated), high * VETO_FACTOR)
