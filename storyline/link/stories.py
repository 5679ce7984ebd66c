"""Story linking: chain events about the same ongoing matter.

A story is a set of events with the same principal participants and subject
within a time window (a meeting, then a phone call between the same leaders
about the same war). Online like the event clusterer: a new event joins the
best-matching open story or starts one; story IDs are never renumbered.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from storyline.link.events import EventState
from storyline.link.profile import Profile, weighted_jaccard


@dataclass(slots=True, kw_only=True)
class StoryState:
    story_id: str
    seq: int
    profile: Profile
    event_ids: list[str] = field(default_factory=list)
    first_date: date | None = None
    last_date: date | None = None

    @property
    def label(self) -> str:
        """Its principal people and main place, e.g. "Benjamin Netanyahu, Vladimir Putin · Syria"."""
        principal = self.profile.salient("PER")
        lead = self.profile.lead_entities
        people = sorted(principal, key=lambda n: (-self.profile.entities[n], -lead[n], n))[:2]
        places = [n for n, _ in self.profile.of_type("LOC").most_common(1)]
        if not people:  # no person: the most named entities other than the place
            people = [n for n, _ in self.profile.entities.most_common(3) if n not in places][:2]
        subject = ", ".join(sorted(people))
        if subject and places:
            return f"{subject} · {places[0]}"
        return subject or (places[0] if places else self.story_id)


@dataclass(slots=True, frozen=True)
class StoryLink:
    story_id: str
    created: bool
    score: float
    shared_people: list[str]

    def reason(self) -> dict[str, Any]:
        return {"created": self.created, "score": round(self.score, 3), "shared_people": self.shared_people}


class StoryLinker:
    """Link events into stories.

    Args:
        window_days: an event more than this many days from a story's date range
            does not join it.
        min_score: minimum similarity (mean of centroid cosine and entity
            overlap) for a link on one shared principal person; two shared
            principal people link at any score.
    """

    def __init__(self, window_days: int = 120, min_score: float = 0.55) -> None:
        self.window_days = window_days
        self.min_score = min_score
        self.stories: dict[str, StoryState] = {}
        self.next_seq = 1

    def predict_one(self, event: EventState) -> StoryLink:
        people = event.profile.salient("PER")
        best: StoryLink | None = None
        for story in self.stories.values():
            if not self._in_window(story, event.profile.date):
                continue
            shared = sorted(people & story.profile.salient("PER"))
            if not shared:
                continue
            cosine = float(np.dot(event.profile.centroid, story.profile.centroid))
            score = 0.5 * cosine + 0.5 * weighted_jaccard(event.profile.entities, story.profile.entities)
            if len(shared) < 2 and score < self.min_score:
                continue
            if best is None or score > best.score:
                best = StoryLink(story.story_id, False, score, shared)
        return best or StoryLink(f"st-{self.next_seq:06d}", True, 0.0, [])

    def learn_one(self, event: EventState) -> StoryLink:
        """Place a newly created event in a story."""
        link = self.predict_one(event)
        if link.created:
            story = StoryState(story_id=link.story_id, seq=self.next_seq, profile=copy.deepcopy(event.profile))
            self.stories[story.story_id] = story
            self.next_seq += 1
        else:
            story = self.stories[link.story_id]
            story.profile.absorb(event.profile)
        story.event_ids.append(event.event_id)
        self._extend_dates(story, event.profile.date)
        event.story_id = story.story_id
        return link

    def update(self, story_id: str, article_profile: Profile) -> None:
        """An article joined one of the story's events: keep the story's profile current."""
        story = self.stories.get(story_id)
        if story is not None:
            story.profile.absorb(article_profile)
            self._extend_dates(story, article_profile.date)

    def _in_window(self, story: StoryState, when: date | None) -> bool:
        if when is None or story.first_date is None or story.last_date is None:
            return True
        if story.first_date <= when <= story.last_date:
            return True
        gap = min(abs((when - story.first_date).days), abs((when - story.last_date).days))
        return gap <= self.window_days

    @staticmethod
    def _extend_dates(story: StoryState, when: date | None) -> None:
        if when is None:
            return
        story.first_date = min(story.first_date or when, when)
        story.last_date = max(story.last_date or when, when)
