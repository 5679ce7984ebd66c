"""Story labels (principal people and the main place, never a name twice); closing; the person index."""

import copy
from collections import Counter
from datetime import date

import numpy as np

from storyline.link.events import OnlineEventClusterer
from storyline.link.profile import Profile
from storyline.link.stories import StoryLinker, StoryState


def _story(entities: dict[str, tuple[int, str]]) -> StoryState:
    profile = Profile(vector_sum=np.zeros(2, dtype=np.float32), title_sum=np.zeros(2, dtype=np.float32),
                      entities=Counter({n: c for n, (c, _) in entities.items()}),
                      types={n: t for n, (_, t) in entities.items()})
    return StoryState(story_id="st-000001", seq=1, profile=profile)


def test_label_names_people_and_place() -> None:
    story = _story({"Vladimir Putin": (5, "PER"), "Benjamin Netanyahu": (4, "PER"), "Syria": (3, "LOC")})
    assert story.label == "Benjamin Netanyahu, Vladimir Putin · Syria"


def test_label_without_people_does_not_repeat_the_place() -> None:
    assert _story({"Geneva": (3, "LOC")}).label == "Geneva"
    assert _story({"Geneva": (3, "LOC"), "United Nations": (2, "ORG")}).label == "United Nations · Geneva"
    assert _story({}).label == "st-000001"


def test_label_ties_prefer_the_lead_then_the_alphabet() -> None:
    story = _story({"Vladimir Putin": (5, "PER"), "Bashar al-Assad": (3, "PER"), "Francois Hollande": (3, "PER")})
    story.profile.lead_entities = Counter({"Francois Hollande": 1, "Vladimir Putin": 1})
    assert story.label == "Francois Hollande, Vladimir Putin"
    story.profile.lead_entities = Counter()
    assert story.label == "Bashar al-Assad, Vladimir Putin"


def test_quiet_stories_close_and_are_reported_once(fixture_articles) -> None:
    clusterer, linker = OnlineEventClusterer(window_days=3650), StoryLinker(window_days=30, close_after_days=30)
    stories = {}
    for name in ("en_summit", "en_phone_call"):  # March and June 2023: more than 30 days apart
        article = copy.deepcopy(fixture_articles[name])
        event = clusterer.events[clusterer.learn_one(article).event_id]
        stories[name] = linker.learn_one(event).story_id
    assert stories["en_summit"] != stories["en_phone_call"]
    assert list(linker.stories) == [stories["en_phone_call"]]
    assert [s.story_id for s in linker.drain_closed()] == [stories["en_summit"]] and linker.drain_closed() == []


def test_stories_are_found_through_their_people(fixture_articles) -> None:
    clusterer, linker = OnlineEventClusterer(), StoryLinker()
    events = []
    for name in ("en_quake", "en_summit"):
        article = copy.deepcopy(fixture_articles[name])
        events.append(clusterer.events[clusterer.learn_one(article).event_id])
        linker.learn_one(events[-1])
    summit_people = events[1].profile.salient("PER")
    assert summit_people
    for person in summit_people:
        assert linker._by_person[person] == {events[1].story_id}


def test_an_undated_event_reopens_the_closed_story_it_belongs_to(fixture_articles) -> None:
    """Closed stories leave memory; the archive (the store, in real runs) still offers them to an
    undated report about the same people, and the story it joins is open again."""
    archived: dict[str, StoryState] = {}

    def archive(people: set[str], near: date | None, window_days: int) -> list[StoryState]:
        return [s for s in archived.values() if people & s.profile.salient("PER")]

    clusterer = OnlineEventClusterer(window_days=3650)
    linker = StoryLinker(window_days=30, close_after_days=30, archive=archive)
    stories = {}
    for name in ("en_summit", "en_phone_call"):
        event = clusterer.events[clusterer.learn_one(copy.deepcopy(fixture_articles[name])).event_id]
        stories[name] = linker.learn_one(event).story_id
    archived.update((s.story_id, s) for s in linker.drain_closed())
    assert list(archived) == [stories["en_summit"]] and stories["en_summit"] not in linker.stories

    undated = copy.deepcopy(fixture_articles["en_summit"])
    undated.id, undated.event_date.value = "undated", None
    later = OnlineEventClusterer()  # the summit's event has closed too: the report opens its own
    later.next_seq = clusterer.next_seq
    event = later.events[later.learn_one(undated).event_id]
    assert event.profile.date is None
    link = linker.learn_one(event)
    assert not link.created and link.story_id == stories["en_summit"]
    assert stories["en_summit"] in linker.stories and linker.drain_closed() == []
    # a dated event from the phone call's time does not look in the archive: the summit is out of its window
    assert not linker._may_be_closed(linker.clock)
