"""Story labels: principal people and the main place, never a name twice."""

from collections import Counter

import numpy as np

from storyline.link.profile import Profile
from storyline.link.stories import StoryState


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
