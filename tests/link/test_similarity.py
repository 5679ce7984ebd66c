from storyline.article import Article
from storyline.link.profile import lead_numbers, profile_of, weighted_jaccard
from storyline.link.similarity import compare, date_conflict, same_event_probability


def test_similarity_same_event_outranks_same_topic_other_event(fixture_articles: dict[str, Article]) -> None:
    summit_en = profile_of(fixture_articles["en_summit"])
    summit_fr = profile_of(fixture_articles["fr_summit"])
    phone = profile_of(fixture_articles["en_phone_call"])
    same = same_event_probability(compare(summit_en, summit_fr))
    other = same_event_probability(compare(summit_en, phone))
    assert same > other
    assert same > 0.9 and other < 0.1


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
