import copy
import pickle

from storyline.article import Article
from storyline.link.events import OnlineEventClusterer
from storyline.link.stories import StoryLinker


def _run(articles: list[Article]) -> dict[str, str]:
    clusterer = OnlineEventClusterer()
    return {a.id: clusterer.learn_one(a).event_id for a in articles}


def _named(fixture_articles: dict[str, Article], *names: str) -> list[Article]:
    out = []
    for name in names:
        article = copy.deepcopy(fixture_articles[name])
        article.id = name
        out.append(article)
    return out


def test_events_cross_lingual_versions_join_and_other_events_stay_apart(fixture_articles) -> None:
    articles = _named(fixture_articles, "en_quake", "en_summit", "fr_summit", "de_summit", "en_phone_call")
    events = _run(articles)
    assert events["en_summit"] == events["fr_summit"] == events["de_summit"]
    assert events["en_phone_call"] != events["en_summit"]
    assert len({events["en_phone_call"], events["en_quake"], events["en_summit"]}) == 3


def test_events_deterministic_for_the_same_order(fixture_articles) -> None:
    names = ("en_quake", "en_summit", "fr_summit", "de_summit", "en_phone_call")
    assert _run(_named(fixture_articles, *names)) == _run(_named(fixture_articles, *names))


def test_events_later_articles_never_renumber(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(window_days=365)
    first = {a.id: clusterer.learn_one(a).event_id for a in _named(fixture_articles, "en_summit", "en_quake")}
    later = {a.id: clusterer.learn_one(a).event_id for a in _named(fixture_articles, "fr_summit", "en_phone_call")}
    assert first == {"en_summit": "ev-000001", "en_quake": "ev-000002"}
    assert later == {"fr_summit": "ev-000001", "en_phone_call": "ev-000003"}
    assert clusterer.events["ev-000001"].article_ids == ["en_summit", "fr_summit"]


def test_events_late_article_still_joins_its_event(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(window_days=30)
    summit, quake, german = _named(fixture_articles, "en_summit", "en_quake", "de_summit")
    quake.event_date.value = summit.event_date.value.replace(day=24)  # news three weeks later
    clusterer.learn_one(summit)
    clusterer.learn_one(quake)
    assert clusterer.clock == quake.event_date.value
    assert clusterer.learn_one(german).event_id == "ev-000001"  # a late report still joins


def test_events_quiet_events_are_closed_and_released(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(window_days=30)
    summit, phone = _named(fixture_articles, "en_summit", "en_phone_call")  # March vs June 2023
    clusterer.learn_one(summit)
    clusterer.learn_one(phone)
    assert list(clusterer.events) == ["ev-000002"]


def test_events_predict_one_does_not_change_state_and_model_pickles(fixture_articles) -> None:
    clusterer = OnlineEventClusterer()
    (summit,) = _named(fixture_articles, "en_summit")
    assignment = clusterer.predict_one(summit)
    assert assignment.created and not clusterer.events
    clusterer.learn_one(summit)
    restored = pickle.loads(pickle.dumps(clusterer))
    assert list(restored.events) == ["ev-000001"]


def test_stories_link_events_with_the_same_principal_people(fixture_articles) -> None:
    clusterer, linker = OnlineEventClusterer(window_days=365), StoryLinker(window_days=365)
    stories = {}
    for article in _named(fixture_articles, "en_summit", "en_phone_call", "en_quake"):
        assignment = clusterer.learn_one(article)
        stories[article.id] = linker.learn_one(clusterer.events[assignment.event_id]).story_id
    assert stories["en_summit"] == stories["en_phone_call"]
    assert stories["en_quake"] != stories["en_summit"]
    assert "Emmanuel Macron" in linker.stories[stories["en_summit"]].label


def test_events_single_linkage_scores_by_the_best_member_average_by_the_mean(fixture_articles) -> None:
    summit, french, phone = _named(fixture_articles, "en_summit", "fr_summit", "en_phone_call")
    phone.event_date.value = summit.event_date.value  # same day, so no date veto: only content decides
    phone.extras.pop("event_weekday", None)
    scores = {}
    for linkage in ("single", "average"):
        clusterer = OnlineEventClusterer(linkage=linkage, threshold=0.0)  # threshold 0: everything joins
        clusterer.learn_one(summit)
        clusterer.learn_one(phone)  # forced into the summit's event
        scores[linkage] = clusterer.predict_one(french).probability
    assert scores["single"] > scores["average"]  # the French summit matches one member well, not both


def test_events_closed_events_are_reported_once_and_leave_the_index(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(window_days=30, max_candidates=1)
    summit, phone, french = _named(fixture_articles, "en_summit", "en_phone_call", "fr_summit")
    clusterer.learn_one(summit)
    clusterer.learn_one(phone)  # three months later: the summit closes
    assert clusterer.drain_closed() == ["ev-000001"]
    assert clusterer.drain_closed() == []
    french.event_date.value = phone.event_date.value  # even dated now, the closed summit is not found
    assert clusterer.predict_one(french).event_id != "ev-000001"


def test_events_an_article_far_from_every_member_is_not_scored(fixture_articles) -> None:
    summit, quake = _named(fixture_articles, "en_summit", "en_quake")
    quake.event_date.value = summit.event_date.value
    joined = OnlineEventClusterer(threshold=0.0, min_cosine=-1.0)  # threshold 0: whatever is scored joins
    joined.learn_one(summit)
    assert not joined.learn_one(quake).created
    gated = OnlineEventClusterer(threshold=0.0, min_cosine=0.99)  # nothing is that close: nothing is scored
    gated.learn_one(summit)
    assert gated.learn_one(quake).created


def test_events_candidates_come_from_the_nearest_open_events(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(max_candidates=1, window_days=3650)
    quake, summit, phone, french = _named(fixture_articles, "en_quake", "en_summit", "en_phone_call", "fr_summit")
    for article in (quake, summit, phone):
        clusterer.learn_one(article)
    assert clusterer._candidates(clusterer.events["ev-000002"].members[0])[0].event_id == "ev-000002"
    assert clusterer.learn_one(french).event_id == "ev-000002"


def _two_summit_events_then_the_german_report(fixture_articles, clusterer: OnlineEventClusterer) -> list:
    """English and French reports forced into two events, then the German one, which matches both."""
    english, french, german = _named(fixture_articles, "en_summit", "fr_summit", "de_summit")
    threshold = clusterer.threshold
    clusterer.threshold = 1.01  # nothing joins: the French report opens an event of its own
    first = [clusterer.learn_one(english), clusterer.learn_one(french)]
    clusterer.threshold = threshold
    return [*first, clusterer.learn_one(german)]


def test_events_an_article_matching_two_events_strongly_merges_them(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(merge_threshold=0.5)
    english, french, german = _two_summit_events_then_the_german_report(fixture_articles, clusterer)
    assert (english.event_id, french.event_id) == ("ev-000001", "ev-000002")
    assert not german.created and len(german.merges) == 1
    merge = german.merges[0]
    assert {merge.event_id, merge.into_event_id} == {"ev-000001", "ev-000002"}
    assert merge.into_event_id == german.event_id and merge.article_id == "de_summit"
    assert list(clusterer.events) == [german.event_id]
    assert sorted(clusterer.events[german.event_id].article_ids) == ["de_summit", "en_summit", "fr_summit"]
    (quake,) = _named(fixture_articles, "en_quake")
    assert clusterer.learn_one(quake).event_id == "ev-000003"  # the retired ID is never reused


def test_events_no_merge_below_the_merge_threshold(fixture_articles) -> None:
    clusterer = OnlineEventClusterer(merge_threshold=None)
    *_, german = _two_summit_events_then_the_german_report(fixture_articles, clusterer)
    assert german.merges == () and len(clusterer.events) == 2


def test_evaluation_scores_where_merges_took_the_articles(fixture_articles) -> None:
    from storyline.evaluate import evaluate_clustering
    from storyline.link.events import Assignment, Merge

    class Scripted:  # opens an event per article, then the third article merges the first two
        def __init__(self) -> None:
            self.seen = 0

        def learn_one(self, article: Article) -> Assignment:
            self.seen += 1
            if self.seen < 3:
                return Assignment(article.id, f"ev-{self.seen}", True, 1.0, None)
            merge = Merge("ev-1", "ev-2", article.id, 0.99, 0.99, None)  # type: ignore[arg-type]
            return Assignment(article.id, "ev-2", False, 0.99, None, (merge,))

    articles = _named(fixture_articles, "en_summit", "fr_summit", "de_summit")
    for article in articles:
        article.extras["gold"] = "summit"
    report = evaluate_clustering(articles, Scripted())  # type: ignore[arg-type]
    assert report["predicted_events"] == 1 and report["total"]["bcubed"]["f1"] == 1.0
    assert report["gold_events_kept_whole"] == 1.0  # the merge put the three versions back together
    assert report["language_id_accuracy"] is None  # plain-text fixtures give no language to check


def test_two_groups_cuts_where_the_pairs_across_are_weakest() -> None:
    import numpy as np

    from storyline.link.events import two_groups

    # items 0, 1, 4 agree strongly, 2, 3, 5 too; 4 and 5 are the bridge (0.5 between them)
    similarity = np.full((6, 6), 0.05)
    for group in ([0, 1, 4], [2, 3, 5]):
        similarity[np.ix_(group, group)] = 0.9
    similarity[4, 5] = similarity[5, 4] = 0.5
    first, second, cross = two_groups(similarity)
    assert (first, second) == ([0, 1, 4], [2, 3, 5])
    assert abs(cross - (8 * 0.05 + 0.5) / 9) < 1e-9
    assert two_groups(np.ones((1, 1))) == ([0], [], 1.0)


def _vector_articles(directions: list[tuple[str, float]]) -> list[Article]:
    """Articles that differ only in their embedding: an angle in a plane (degrees)."""
    import math

    import numpy as np

    articles = []
    for name, degrees in directions:
        vector = np.zeros(512, dtype=np.float32)
        vector[0], vector[1] = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        articles.append(Article(id=name, source="test", raw_text=name, text="", title="", embedding=vector,
                                title_embedding=vector))
    return articles


def test_events_an_event_chained_through_a_bridge_splits_and_keeps_its_id() -> None:
    """Three reports near one direction, a report halfway (it matches both sides a little),
    then five near the other side: single linkage chains them into one event; at eight
    reports the check finds two groups that hardly match and splits off the later one."""
    model = {"features": ["cosine"], "bias": -10.0, "weights": {"cosine": 14.0}, "threshold": 0.4}
    clusterer = OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0)
    articles = _vector_articles([("a1", 0), ("a2", 2), ("a3", 4), ("bridge", 45),
                                 ("b1", 88), ("b2", 90), ("b3", 92), ("b4", 89)])
    assignments = [clusterer.learn_one(article) for article in articles]
    assert {a.event_id for a in assignments} == {"ev-000001"}  # chained: one event
    (split,) = assignments[-1].splits
    assert (split.event_id, split.new_event_id, split.article_id) == ("ev-000001", "ev-000002", "b4")
    assert set(split.moved) >= {"b1", "b2", "b3", "b4"} and not {"a1", "a2", "a3"} & set(split.moved)
    assert split.cross_probability < 0.3 and sum(split.sizes) == 8
    assert assignments[-1].final_event_id == "ev-000002"
    assert set(clusterer.events["ev-000002"].article_ids) == set(split.moved)
    late_a, late_b = _vector_articles([("a4", 1), ("b5", 91)])
    assert clusterer.learn_one(late_a).event_id == "ev-000001"  # the first group keeps the ID
    assert clusterer.learn_one(late_b).event_id == "ev-000002"


def test_events_no_split_when_disabled_or_groups_are_small() -> None:
    model = {"features": ["cosine"], "bias": -10.0, "weights": {"cosine": 14.0}, "threshold": 0.4}
    directions = [("a1", 0), ("a2", 2), ("a3", 4), ("bridge", 45), ("b1", 88), ("b2", 90), ("b3", 92), ("b4", 89)]
    disabled = OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0, split_below=None)
    assert all(not disabled.learn_one(a).splits for a in _vector_articles(directions))
    strict = OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0, split_min_group=5)
    assert all(not strict.learn_one(a).splits for a in _vector_articles(directions))


def test_evaluation_scores_where_splits_took_the_articles() -> None:
    from storyline.evaluate import evaluate_clustering

    model = {"features": ["cosine"], "bias": -10.0, "weights": {"cosine": 14.0}, "threshold": 0.4}
    articles = _vector_articles([("a1", 0), ("a2", 2), ("a3", 4), ("b0", 45),
                                 ("b1", 88), ("b2", 90), ("b3", 92), ("b4", 89)])
    for article in articles:
        article.extras["gold"] = article.id[0]
    split = evaluate_clustering(articles, OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0))
    chained = evaluate_clustering(articles, OnlineEventClusterer(model=model, merge_threshold=None, min_cosine=-1.0,
                                                                 split_below=None))
    assert chained["predicted_events"] == 1 and split["predicted_events"] == 2
    assert split["total"]["bcubed"]["f1"] > chained["total"]["bcubed"]["f1"]
